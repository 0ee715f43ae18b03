"""Node query fields (``gnt-node list``, luxi/RAPI ``Query("node", ...)``).

Owns the node field table and :class:`NodeQueryData`, the context the node
query LU fills.  It must never fetch data: live values come in
``NodeQueryData.live_data``, collected by the caller in one parallel RPC and
only when :meth:`ganeti.query.Query.requested_data` contains ``NQ_LIVE``.
"""

from dataclasses import dataclass, field as dc_field
from typing import Any, Iterable, Iterator

from ganeti import constants
from ganeti.query import (
    FS_NODATA,
    FS_OFFLINE,
    FS_UNAVAIL,
    NQ_CONFIG,
    NQ_GROUP,
    NQ_INST,
    NQ_LIVE,
    NQ_OOB,
    QFF_HOSTNAME,
    QFT_BOOL,
    QFT_NUMBER,
    QFT_OTHER,
    QFT_TEXT,
    QFT_UNIT,
    make_table,
)
from ganeti.query_fields import common
from ganeti.query_fields.common import attr, field
from ganeti.utils import text as utils_text


@dataclass
class NodeQueryData:
    """What a node query reads.

    ``nodes``: node objects to report (attributes ``name, uuid, primary_ip,
    secondary_ip, master_candidate, offline, drained, group, master_capable,
    vm_capable, ndparams, powered, tags, serial_no, ctime, mtime``).
    ``cluster``: the cluster object (``master_node``, ``ndparams``).
    ``groups``: group uuid -> group object (``NQ_GROUP``).
    ``master_uuid``: the master's uuid (default: ``cluster.master_node``).
    ``live_data``: node uuid -> dict keyed by the live field names
    (``bootid, cnodes, cnos, csockets, ctotal, dfree, dtotal, spfree,
    sptotal, mfree, mnode, mtotal``), only for nodes that answered
    (``NQ_LIVE``); an offline node reads ``RS_OFFLINE``, a non-vm_capable
    one ``RS_UNAVAIL``, one without an entry ``RS_NODATA``.
    ``node_to_primary`` / ``node_to_secondary``: node uuid -> names of its
    primary / secondary instances (``NQ_INST``; see :func:`instances_by_node`).
    ``oob_support``: node uuid -> whether it has an out-of-band program
    (``NQ_OOB``); ``powered`` is unavailable without it.
    """

    nodes: list
    cluster: Any
    groups: dict = dc_field(default_factory=dict)
    master_uuid: str | None = None
    live_data: dict | None = None
    node_to_primary: dict | None = None
    node_to_secondary: dict | None = None
    oob_support: dict | None = None

    def __post_init__(self) -> None:
        if self.master_uuid is None:
            self.master_uuid = getattr(self.cluster, "master_node", None)

    def __iter__(self) -> Iterator["_NodeRow"]:
        for node in self.nodes:
            yield _NodeRow(self, node)


class _NodeRow(common.QueryRow):
    """One node while it is being reported; node attributes read through."""

    __slots__ = ()

    @property
    def q_group(self) -> Any:
        return self.q_ctx.groups.get(getattr(self.q_obj, "group", None))

    @property
    def q_ndparams(self) -> dict | None:
        def compute() -> dict | None:
            group = self.q_group
            if group is None:
                return None
            return common.filled_node_ndparams(self.q_ctx.cluster, group, self.q_obj)

        return self.q_once("nd", compute)


def instances_by_node(
    instances: Iterable[Any], disks: dict | None = None
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """``(node_to_primary, node_to_secondary)`` instance names per node uuid."""
    from ganeti.query_fields.instance import instance_secondary_nodes

    primary: dict[str, list[str]] = {}
    secondary: dict[str, list[str]] = {}
    for inst in instances:
        primary.setdefault(inst.primary_node, []).append(inst.name)
        for node_uuid in instance_secondary_nodes(inst, disks or {}):
            secondary.setdefault(node_uuid, []).append(inst.name)
    return primary, secondary


def _role(ctx: NodeQueryData, row: _NodeRow) -> str:
    node = row.q_obj
    if node.uuid == ctx.master_uuid:
        return constants.NR_MASTER
    if getattr(node, "master_candidate", False):
        return constants.NR_MCANDIDATE
    if getattr(node, "drained", False):
        return constants.NR_DRAINED
    if getattr(node, "offline", False):
        return constants.NR_OFFLINE
    return constants.NR_REGULAR


def _group_name(_ctx: NodeQueryData, row: _NodeRow) -> Any:
    return FS_UNAVAIL if row.q_group is None else row.q_group.name


def _ndparams(_ctx: NodeQueryData, row: _NodeRow) -> Any:
    return FS_UNAVAIL if row.q_ndparams is None else row.q_ndparams


def _powered(ctx: NodeQueryData, row: _NodeRow) -> Any:
    if not ctx.oob_support or not ctx.oob_support.get(row.q_obj.uuid):
        return FS_UNAVAIL
    return getattr(row.q_obj, "powered", True)


def _state(name: str):
    def getter(_ctx: NodeQueryData, row: _NodeRow) -> Any:
        value = getattr(row.q_obj, name, None)
        if value is None:
            value = getattr(row.q_obj, name + "_static", None)
        return FS_UNAVAIL if value is None else common.plain(value)

    return getter


def _instance_count(mapping: str):
    def getter(ctx: NodeQueryData, row: _NodeRow) -> Any:
        table = getattr(ctx, mapping)
        if table is None:
            return FS_UNAVAIL
        return len(table.get(row.q_obj.uuid, ()))

    return getter


def _instance_list(mapping: str):
    def getter(ctx: NodeQueryData, row: _NodeRow) -> Any:
        table = getattr(ctx, mapping)
        if table is None:
            return FS_UNAVAIL
        return utils_text.nice_sort(table.get(row.q_obj.uuid, ()))

    return getter


def _live(name: str, kind: str):
    def getter(ctx: NodeQueryData, row: _NodeRow) -> Any:
        node = row.q_obj
        if getattr(node, "offline", False):
            return FS_OFFLINE
        if not getattr(node, "vm_capable", True):
            return FS_UNAVAIL
        data = (ctx.live_data or {}).get(node.uuid)
        if not data:
            return FS_NODATA
        value = data.get(name)
        if value is None:
            return FS_UNAVAIL
        if kind == QFT_TEXT:
            return value
        try:
            return int(value)
        except (TypeError, ValueError):
            return FS_UNAVAIL

    return getter


_LIVE_FIELDS = [
    ("bootid", "BootID", QFT_TEXT, "Random id renewed on every boot of the node"),
    ("cnodes", "CNodes", QFT_NUMBER, "Number of NUMA domains (if the hypervisor tells)"),
    ("cnos", "CNOs", QFT_NUMBER, "Logical processors used by the node OS (dom0 on Xen)"),
    ("csockets", "CSockets", QFT_NUMBER, "Number of CPU sockets (if the hypervisor tells)"),
    ("ctotal", "CTotal", QFT_NUMBER, "Number of logical processors"),
    ("dfree", "DFree", QFT_UNIT, "Free space in the storage unit for instance disks"),
    ("dtotal", "DTotal", QFT_UNIT, "Size of the storage unit for instance disks"),
    ("spfree", "SpFree", QFT_NUMBER, "Free spindles (exclusive storage only)"),
    ("sptotal", "SpTotal", QFT_NUMBER, "Total spindles (exclusive storage only)"),
    ("mfree", "MFree", QFT_UNIT, "Memory free for instances"),
    ("mnode", "MNode", QFT_UNIT, "Memory used by the node itself (dom0 on Xen)"),
    ("mtotal", "MTotal", QFT_UNIT, "Total memory of the machine"),
]


def _build() -> dict:
    role_doc = (
        'Node role: "%s" master, "%s" master candidate, "%s" regular,'
        ' "%s" drained, "%s" offline'
        % (
            constants.NR_MASTER,
            constants.NR_MCANDIDATE,
            constants.NR_REGULAR,
            constants.NR_DRAINED,
            constants.NR_OFFLINE,
        )
    )
    entries = [
        field("pip", "PrimaryIP", QFT_TEXT, "Primary IP address", NQ_CONFIG, attr("primary_ip")),
        field(
            "sip", "SecondaryIP", QFT_TEXT, "Secondary IP address", NQ_CONFIG, attr("secondary_ip")
        ),
        field("tags", "Tags", QFT_OTHER, "Tags", NQ_CONFIG, common.get_tags),
        field(
            "master",
            "IsMaster",
            QFT_BOOL,
            "Whether the node is the master",
            NQ_CONFIG,
            lambda ctx, row: row.q_obj.uuid == ctx.master_uuid,
        ),
        field("group", "Group", QFT_TEXT, "Node group name", NQ_GROUP, _group_name),
        field("group.uuid", "GroupUUID", QFT_TEXT, "Node group UUID", NQ_CONFIG, attr("group")),
        field(
            "powered",
            "Powered",
            QFT_BOOL,
            "Whether the node is believed to be powered on",
            NQ_OOB,
            _powered,
        ),
        field(
            "ndparams", "NodeParameters", QFT_OTHER, "Node parameters (merged)", NQ_GROUP, _ndparams
        ),
        field(
            "custom_ndparams",
            "CustomNodeParameters",
            QFT_OTHER,
            "Node parameters set on the node",
            NQ_GROUP,
            attr("ndparams"),
        ),
        field(
            "hv_state",
            "HypervisorState",
            QFT_OTHER,
            "Hypervisor state",
            NQ_CONFIG,
            _state("hv_state"),
        ),
        field("disk_state", "DiskState", QFT_OTHER, "Disk state", NQ_CONFIG, _state("disk_state")),
        field("role", "Role", QFT_TEXT, role_doc, NQ_CONFIG, _role),
        field(
            "pinst_cnt",
            "Pinst",
            QFT_NUMBER,
            "Number of instances with this primary node",
            NQ_INST,
            _instance_count("node_to_primary"),
        ),
        field(
            "pinst_list",
            "PriInstances",
            QFT_OTHER,
            "Instances with this primary node",
            NQ_INST,
            _instance_list("node_to_primary"),
        ),
        field(
            "sinst_cnt",
            "Sinst",
            QFT_NUMBER,
            "Number of instances with this secondary node",
            NQ_INST,
            _instance_count("node_to_secondary"),
        ),
        field(
            "sinst_list",
            "SecInstances",
            QFT_OTHER,
            "Instances with this secondary node",
            NQ_INST,
            _instance_list("node_to_secondary"),
        ),
        field(
            "drained",
            "Drained",
            QFT_BOOL,
            "Whether the node is drained",
            NQ_CONFIG,
            attr("drained"),
        ),
        field(
            "master_candidate",
            "MasterC",
            QFT_BOOL,
            "Whether the node is a master candidate",
            NQ_CONFIG,
            attr("master_candidate"),
        ),
        field(
            "master_capable",
            "MasterCapable",
            QFT_BOOL,
            "Whether the node may become a master candidate",
            NQ_CONFIG,
            attr("master_capable"),
        ),
        field("name", "Node", QFT_TEXT, "Node name", NQ_CONFIG, attr("name"), QFF_HOSTNAME),
        field(
            "offline",
            "Offline",
            QFT_BOOL,
            "Whether the node is offline",
            NQ_CONFIG,
            attr("offline"),
        ),
        field(
            "serial_no",
            "SerialNo",
            QFT_NUMBER,
            common.SERIAL_DOC % "Node",
            NQ_CONFIG,
            attr("serial_no"),
        ),
        field("uuid", "UUID", QFT_TEXT, "Node UUID", NQ_CONFIG, attr("uuid")),
        field(
            "vm_capable",
            "VMCapable",
            QFT_BOOL,
            "Whether the node may host instances",
            NQ_CONFIG,
            attr("vm_capable"),
        ),
    ]
    entries.extend(
        field(name, title, kind, doc, NQ_LIVE, _live(name, kind))
        for (name, title, kind, doc) in _LIVE_FIELDS
    )
    entries.extend(common.timestamp_fields(NQ_CONFIG, "Node"))
    entries.extend(common.nd_param_fields(NQ_GROUP, lambda ctx, row: row.q_ndparams))
    return make_table(entries)


NODE_FIELDS = _build()
