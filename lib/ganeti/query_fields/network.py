"""Network query fields (``gnt-network list``, ``Query("network", ...)``).

Owns the network field table and :class:`NetworkQueryData`.  It must never
fetch data or compute address pool statistics itself.
"""

from dataclasses import dataclass, field as dc_field
from typing import Any, Iterator

from ganeti.query import (
    FS_UNAVAIL,
    NETQ_CONFIG,
    NETQ_GROUP,
    NETQ_INST,
    NETQ_STATS,
    QFT_NUMBER,
    QFT_OTHER,
    QFT_TEXT,
    make_table,
)
from ganeti.query_fields import common
from ganeti.query_fields.common import attr, field
from ganeti.utils import text as utils_text


@dataclass
class NetworkQueryData:
    """What a network query reads.

    ``networks``: network objects (``name, uuid, network, gateway,
    network6, gateway6, mac_prefix, tags, serial_no, ctime, mtime``);
    ``network_to_groups``: network uuid -> list of ``[group name, NIC mode,
    NIC link]`` (``NETQ_GROUP``); ``network_to_instances``: network uuid ->
    instance names (``NETQ_INST``); ``stats``: network uuid -> dict with
    ``free_count, reserved_count, map, external_reservations``
    (``NETQ_STATS``).
    """

    networks: list
    network_to_groups: dict | None = None
    network_to_instances: dict | None = None
    stats: dict | None = dc_field(default=None)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.networks)


def _count(mapping: str):
    def getter(ctx: NetworkQueryData, net: Any) -> Any:
        table = getattr(ctx, mapping)
        return FS_UNAVAIL if table is None else len(table.get(net.uuid, ()))

    return getter


def _groups(ctx: NetworkQueryData, net: Any) -> Any:
    if ctx.network_to_groups is None:
        return FS_UNAVAIL
    return [list(entry) for entry in ctx.network_to_groups.get(net.uuid, ())]


def _instances(ctx: NetworkQueryData, net: Any) -> Any:
    if ctx.network_to_instances is None:
        return FS_UNAVAIL
    return utils_text.nice_sort(ctx.network_to_instances.get(net.uuid, ()))


def _stat(name: str, kind: str):
    def getter(ctx: NetworkQueryData, net: Any) -> Any:
        stats = (ctx.stats or {}).get(net.uuid)
        if not stats or stats.get(name) is None:
            return FS_UNAVAIL
        value = stats[name]
        if kind == QFT_NUMBER:
            try:
                return int(value)
            except (TypeError, ValueError):
                return FS_UNAVAIL
        return value

    return getter


_SIMPLE = [
    ("name", "Network", QFT_TEXT, "Network name"),
    ("network", "Subnet", QFT_TEXT, "IPv4 subnet"),
    ("gateway", "Gateway", QFT_OTHER, "IPv4 gateway"),
    ("network6", "IPv6Subnet", QFT_OTHER, "IPv6 subnet"),
    ("gateway6", "IPv6Gateway", QFT_OTHER, "IPv6 gateway"),
    ("mac_prefix", "MacPrefix", QFT_OTHER, "MAC address prefix"),
    ("serial_no", "SerialNo", QFT_NUMBER, common.SERIAL_DOC % "Network"),
    ("uuid", "UUID", QFT_TEXT, "Network UUID"),
]

_STATS = [
    ("free_count", "FreeCount", QFT_NUMBER, "Number of free addresses"),
    ("reserved_count", "ReservedCount", QFT_NUMBER, "Number of reserved addresses"),
    ("map", "Map", QFT_TEXT, "Address map (X reserved, . free)"),
    (
        "external_reservations",
        "ExternalReservations",
        QFT_TEXT,
        "Addresses reserved outside Ganeti",
    ),
]


def _build() -> dict:
    entries = [field("tags", "Tags", QFT_OTHER, "Tags", NETQ_CONFIG, common.get_tags)]
    entries.extend(
        field(name, title, kind, doc, NETQ_CONFIG, attr(name, True))
        for (name, title, kind, doc) in _SIMPLE
    )
    entries.extend(
        [
            field(
                "group_cnt",
                "NodeGroups",
                QFT_NUMBER,
                "Number of connected node groups",
                NETQ_GROUP,
                _count("network_to_groups"),
            ),
            field(
                "group_list",
                "GroupList",
                QFT_OTHER,
                "Connected node groups ([group, NIC mode, NIC link])",
                NETQ_GROUP,
                _groups,
            ),
            field(
                "inst_cnt",
                "Instances",
                QFT_NUMBER,
                "Number of instances using the network",
                NETQ_INST,
                _count("network_to_instances"),
            ),
            field(
                "inst_list",
                "InstanceList",
                QFT_OTHER,
                "Instances using the network",
                NETQ_INST,
                _instances,
            ),
        ]
    )
    entries.extend(
        field(name, title, kind, doc, NETQ_STATS, _stat(name, kind))
        for (name, title, kind, doc) in _STATS
    )
    entries.extend(common.timestamp_fields(NETQ_CONFIG, "Network"))
    return make_table(entries)


NETWORK_FIELDS = _build()
