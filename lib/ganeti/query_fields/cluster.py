"""Cluster query fields (``Query("cluster", ...)``, QueryConfigValues).

Owns the cluster field table and :class:`ClusterQueryData`.  It must never
fetch data: the queue drain flag and watcher pause come from the caller.
"""

import platform
from dataclasses import dataclass, field as dc_field
from typing import Any, Iterator

from ganeti import constants
from ganeti.query import (
    CQ_CONFIG,
    CQ_QUEUE_DRAINED,
    CQ_WATCHER_PAUSE,
    FS_UNAVAIL,
    QFF_HOSTNAME,
    QFT_BOOL,
    QFT_NUMBER,
    QFT_OTHER,
    QFT_TEXT,
    QFT_TIMESTAMP,
    make_table,
)
from ganeti.query_fields import common
from ganeti.query_fields.common import attr, field


@dataclass
class ClusterQueryData:
    """What a cluster query reads: one item, the cluster.

    ``cluster``: the cluster object (``cluster_name, master_node,
    volume_group_name, tags, ctime, mtime``); ``nodes``: node uuid -> node
    (to name the master); ``drain_flag``: whether the job queue is drained
    (``CQ_QUEUE_DRAINED``); ``watcher_pause``: epoch until which the watcher
    is paused, or None (``CQ_WATCHER_PAUSE``).
    """

    cluster: Any
    nodes: dict = dc_field(default_factory=dict)
    drain_flag: bool = False
    watcher_pause: float | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter([self.cluster])


def arch_info() -> list[str]:
    """``[word size, machine]`` of the running system, e.g. ``["64bit", "x86_64"]``."""
    return [platform.architecture()[0], platform.machine()]


def _master_name(ctx: ClusterQueryData, cluster: Any) -> Any:
    node = ctx.nodes.get(getattr(cluster, "master_node", None))
    return FS_UNAVAIL if node is None else node.name


def _static(value: Any):
    return lambda ctx, item: value


_VERSIONS = [
    (
        "software_version",
        "SoftwareVersion",
        QFT_TEXT,
        constants.RELEASE_VERSION,
        "Software version",
    ),
    (
        "protocol_version",
        "ProtocolVersion",
        QFT_NUMBER,
        constants.PROTOCOL_VERSION,
        "RPC protocol version",
    ),
    (
        "config_version",
        "ConfigVersion",
        QFT_NUMBER,
        constants.CONFIG_VERSION,
        "Configuration format version",
    ),
    (
        "os_api_version",
        "OsApiVersion",
        QFT_NUMBER,
        max(constants.OS_API_VERSIONS),
        "OS definition API version",
    ),
    (
        "export_version",
        "ExportVersion",
        QFT_NUMBER,
        constants.EXPORT_VERSION,
        "Instance export format version",
    ),
    ("vcs_version", "VCSVersion", QFT_TEXT, constants.VCS_VERSION, "Version control revision"),
]


def _build() -> dict:
    entries = [
        field("tags", "Tags", QFT_OTHER, "Tags", CQ_CONFIG, common.get_tags),
        field(
            "architecture",
            "ArchInfo",
            QFT_OTHER,
            "Word size and machine type",
            None,
            lambda ctx, item: arch_info(),
        ),
        field(
            "drain_flag",
            "QueueDrained",
            QFT_BOOL,
            "Whether the job queue is drained",
            CQ_QUEUE_DRAINED,
            lambda ctx, item: bool(ctx.drain_flag),
        ),
        field(
            "watcher_pause",
            "WatcherPause",
            QFT_TIMESTAMP,
            "Until when the watcher is paused",
            CQ_WATCHER_PAUSE,
            lambda ctx, item: FS_UNAVAIL if ctx.watcher_pause is None else ctx.watcher_pause,
        ),
        field(
            "master_node",
            "Master",
            QFT_TEXT,
            "Master node name",
            CQ_CONFIG,
            _master_name,
            QFF_HOSTNAME,
        ),
        field(
            "cluster_name",
            "Name",
            QFT_TEXT,
            "Cluster name",
            CQ_CONFIG,
            attr("cluster_name"),
            QFF_HOSTNAME,
        ),
        field(
            "volume_group_name",
            "VgName",
            QFT_TEXT,
            "LVM volume group of instance disks",
            CQ_CONFIG,
            attr("volume_group_name", True),
        ),
    ]
    entries.extend(
        field(name, title, kind, doc, None, _static(value))
        for (name, title, kind, value, doc) in _VERSIONS
    )
    entries.extend(common.timestamp_fields(CQ_CONFIG, "Cluster"))
    return make_table(entries, [("name", "cluster_name")])


CLUSTER_FIELDS = _build()
