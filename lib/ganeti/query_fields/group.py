"""Node group query fields (``gnt-group list``, ``Query("group", ...)``).

Owns the group field table and :class:`GroupQueryData`.  It must never
fetch data: member lists come filled in by the caller.
"""

from dataclasses import dataclass
from typing import Any, Iterator

from ganeti.query import (
    FS_UNAVAIL,
    GQ_CONFIG,
    GQ_DISKPARAMS,
    GQ_INST,
    GQ_NODE,
    QFT_NUMBER,
    QFT_OTHER,
    QFT_TEXT,
    make_table,
)
from ganeti.query_fields import common
from ganeti.query_fields.common import attr, field
from ganeti.utils import text as utils_text


@dataclass
class GroupQueryData:
    """What a group query reads.

    ``cluster``: the cluster object (for the merged ipolicy, ndparams and
    diskparams); ``groups``: group objects (``name, uuid, alloc_policy,
    ipolicy, ndparams, diskparams, tags, serial_no, ctime, mtime``);
    ``group_to_nodes`` / ``group_to_instances``: group uuid -> names of its
    nodes / of the instances whose primary node is in it (``GQ_NODE`` /
    ``GQ_INST``); ``want_diskparams``: whether to merge disk parameters
    (``GQ_DISKPARAMS``).
    """

    cluster: Any
    groups: list
    group_to_nodes: dict | None = None
    group_to_instances: dict | None = None
    want_diskparams: bool = True

    def __iter__(self) -> Iterator["_GroupRow"]:
        for group in self.groups:
            yield _GroupRow(self, group)


class _GroupRow(common.QueryRow):
    """One group while it is being reported; attributes read through."""

    __slots__ = ()

    @property
    def q_ndparams(self) -> dict:
        return self.q_once(
            "nd", lambda: common.filled_group_ndparams(self.q_ctx.cluster, self.q_obj)
        )

    @property
    def q_ipolicy(self) -> dict:
        return self.q_once("ipolicy", lambda: common.filled_ipolicy(self.q_ctx.cluster, self.q_obj))

    @property
    def q_diskparams(self) -> Any:
        if not self.q_ctx.want_diskparams:
            return FS_UNAVAIL
        return self.q_once("dp", lambda: common.filled_diskparams(self.q_ctx.cluster, self.q_obj))


def _count(mapping: str):
    def getter(ctx: GroupQueryData, row: _GroupRow) -> Any:
        table = getattr(ctx, mapping)
        return FS_UNAVAIL if table is None else len(table.get(row.q_obj.uuid, ()))

    return getter


def _names(mapping: str):
    def getter(ctx: GroupQueryData, row: _GroupRow) -> Any:
        table = getattr(ctx, mapping)
        if table is None:
            return FS_UNAVAIL
        return utils_text.nice_sort(table.get(row.q_obj.uuid, ()))

    return getter


def _custom(name: str):
    return lambda ctx, row: dict(getattr(row.q_obj, name, None) or {})


def _build() -> dict:
    entries = [
        field(
            "alloc_policy",
            "AllocPolicy",
            QFT_TEXT,
            "Allocation policy of the group",
            GQ_CONFIG,
            attr("alloc_policy"),
        ),
        field("name", "Group", QFT_TEXT, "Group name", GQ_CONFIG, attr("name")),
        field(
            "serial_no",
            "SerialNo",
            QFT_NUMBER,
            common.SERIAL_DOC % "Group",
            GQ_CONFIG,
            attr("serial_no"),
        ),
        field("uuid", "UUID", QFT_TEXT, "Group UUID", GQ_CONFIG, attr("uuid")),
        field(
            "node_cnt", "Nodes", QFT_NUMBER, "Number of nodes", GQ_NODE, _count("group_to_nodes")
        ),
        field(
            "node_list",
            "NodeList",
            QFT_OTHER,
            "Nodes in the group",
            GQ_NODE,
            _names("group_to_nodes"),
        ),
        field(
            "pinst_cnt",
            "Instances",
            QFT_NUMBER,
            "Number of instances with a primary node here",
            GQ_INST,
            _count("group_to_instances"),
        ),
        field(
            "pinst_list",
            "InstanceList",
            QFT_OTHER,
            "Instances with a primary node here",
            GQ_INST,
            _names("group_to_instances"),
        ),
        field("tags", "Tags", QFT_OTHER, "Tags", GQ_CONFIG, common.get_tags),
        field(
            "ipolicy",
            "InstancePolicy",
            QFT_OTHER,
            "Instance policy (merged)",
            GQ_CONFIG,
            lambda ctx, row: row.q_ipolicy,
        ),
        field(
            "custom_ipolicy",
            "CustomInstancePolicy",
            QFT_OTHER,
            "Instance policy set on the group",
            GQ_CONFIG,
            _custom("ipolicy"),
        ),
        field(
            "custom_ndparams",
            "CustomNDParams",
            QFT_OTHER,
            "Node parameters set on the group",
            GQ_CONFIG,
            _custom("ndparams"),
        ),
        field(
            "ndparams",
            "NDParams",
            QFT_OTHER,
            "Node parameters (merged)",
            GQ_CONFIG,
            lambda ctx, row: row.q_ndparams,
        ),
        field(
            "diskparams",
            "DiskParameters",
            QFT_OTHER,
            "Disk parameters (merged)",
            GQ_DISKPARAMS,
            lambda ctx, row: row.q_diskparams,
        ),
        field(
            "custom_diskparams",
            "CustomDiskParameters",
            QFT_OTHER,
            "Disk parameters set on the group",
            GQ_CONFIG,
            _custom("diskparams"),
        ),
    ]
    entries.extend(common.nd_param_fields(GQ_CONFIG, lambda ctx, row: row.q_ndparams))
    entries.extend(common.timestamp_fields(GQ_CONFIG, "Group"))
    return make_table(entries)


GROUP_FIELDS = _build()
