"""Instance query fields (``gnt-instance list``, ``Query("instance", ...)``).

Owns the instance field table (including the indexed ``disk.*/N`` and
``nic.*/N`` families and the ``hv/`` and ``be/`` parameter fields),
:class:`InstanceQueryData`, and the rules of the ``status`` field.  It must
never fetch data: live state comes in ``InstanceQueryData.live_data``.
"""

from dataclasses import dataclass, field as dc_field
from typing import Any, Callable, Iterator

from ganeti import constants
from ganeti.query import (
    FS_NODATA,
    FS_UNAVAIL,
    IQ_CONFIG,
    IQ_CONSOLE,
    IQ_DISKUSAGE,
    IQ_LIVE,
    IQ_NETWORKS,
    IQ_NODES,
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

#: Hypervisor-reported instance states in ``live_data[uuid]["state"]``.
HV_STATE_RUNNING = 0
HV_STATE_SHUTDOWN = 1
_SHUTDOWN_STATES = (HV_STATE_SHUTDOWN, "shutdown")


@dataclass
class InstanceQueryData:
    """What an instance query reads.

    ``instances``: instance objects (``name, uuid, primary_node, os,
    hypervisor, hvparams, beparams, osparams, admin_state,
    admin_state_source, nics, disks, disk_template, disks_active,
    network_port, tags, serial_no, ctime, mtime``); ``disks`` may hold disk
    uuids (3.0 layout, resolved through ``disks``) or disk objects.
    ``cluster``: the cluster object, for the filled hv/be/os/nic parameters
    and ``enabled_user_shutdown``.
    ``nodes`` / ``groups`` / ``disks`` / ``networks``: uuid -> object.
    ``live_data``: instance uuid -> ``{"state": HV_STATE_*, "memory": MiB,
    "vcpus": n, ...}`` for instances found running (``IQ_LIVE``).
    ``offline_nodes``: uuids of nodes marked offline; ``bad_nodes``: uuids
    of nodes that could not be asked (offline ones may be in both).
    ``wrong_node``: uuids of instances found running on another node.
    ``disk_usage``: instance uuid -> MiB, overriding the usage computed from
    the disks; ``console``: instance uuid -> console info (``IQ_CONSOLE``).
    """

    instances: list
    cluster: Any
    nodes: dict = dc_field(default_factory=dict)
    groups: dict = dc_field(default_factory=dict)
    disks: dict = dc_field(default_factory=dict)
    networks: dict = dc_field(default_factory=dict)
    live_data: dict = dc_field(default_factory=dict)
    offline_nodes: set = dc_field(default_factory=set)
    bad_nodes: set = dc_field(default_factory=set)
    wrong_node: set = dc_field(default_factory=set)
    disk_usage: dict | None = None
    console: dict | None = None

    def __iter__(self) -> Iterator["_InstanceRow"]:
        for inst in self.instances:
            yield _InstanceRow(self, inst)


class _InstanceRow(common.QueryRow):
    """One instance while it is being reported; attributes read through."""

    __slots__ = ()

    @property
    def q_hvparams(self) -> dict:
        return self.q_once("hv", lambda: common.filled_hvparams(self.q_ctx.cluster, self.q_obj))

    @property
    def q_beparams(self) -> dict:
        return self.q_once("be", lambda: common.filled_beparams(self.q_ctx.cluster, self.q_obj))

    @property
    def q_osparams(self) -> dict:
        return self.q_once("os", lambda: common.filled_osparams(self.q_ctx.cluster, self.q_obj))

    @property
    def q_nics(self) -> list:
        return self.q_once("nics", lambda: list(getattr(self.q_obj, "nics", None) or []))

    @property
    def q_nicparams(self) -> list[dict]:
        return self.q_once(
            "nicparams",
            lambda: [common.filled_nicparams(self.q_ctx.cluster, nic) for nic in self.q_nics],
        )

    @property
    def q_disks(self) -> list:
        """Disk objects (None where a uuid is not in ``ctx.disks``)."""
        return self.q_once("disks", lambda: resolve_disks(self.q_obj, self.q_ctx.disks))


def resolve_disks(inst: Any, disks: dict) -> list:
    result = []
    for disk in getattr(inst, "disks", None) or []:
        result.append(disks.get(disk) if isinstance(disk, str) else disk)
    return result


def instance_secondary_nodes(inst: Any, disks: dict) -> list[str]:
    """Uuids of the nodes other than the primary that hold the instance's disks."""
    result: list[str] = []
    for disk in resolve_disks(inst, disks):
        for node_uuid in getattr(disk, "nodes", None) or []:
            if node_uuid != inst.primary_node and node_uuid not in result:
                result.append(node_uuid)
    return result


def instance_disk_template(inst: Any, disks: dict) -> str:
    """The stored template or, in the 3.0 layout, the first disk's type."""
    template = getattr(inst, "disk_template", None)
    if template:
        return template
    for disk in resolve_disks(inst, disks):
        if disk is not None and getattr(disk, "dev_type", None):
            return disk.dev_type
    return constants.DT_DISKLESS


def _is_shutdown(state: Any) -> bool:
    return state in _SHUTDOWN_STATES


def instance_status(
    ctx: InstanceQueryData, inst: Any, hvparams: dict | Callable[[], dict] | None = None
) -> str:
    """The ``status`` field (``constants.INSTST_*``) of one instance.

    ``hvparams`` (the filled ones, or a function returning them) is only
    needed, and only computed, for an instance found shut down.
    """
    if inst.primary_node in ctx.offline_nodes:
        return constants.INSTST_NODEOFFLINE
    if inst.primary_node in ctx.bad_nodes:
        return constants.INSTST_NODEDOWN
    admin_up = inst.admin_state == constants.ADMINST_UP
    live = ctx.live_data.get(inst.uuid)
    if live:
        if inst.uuid in ctx.wrong_node:
            return constants.INSTST_WRONGNODE
        if _is_shutdown(live.get("state")):
            if admin_up:
                if hvparams is None:
                    hvparams = common.filled_hvparams(ctx.cluster, inst)
                elif callable(hvparams):
                    hvparams = hvparams()
                allow_user_down = bool(getattr(ctx.cluster, "enabled_user_shutdown", False)) and (
                    inst.hypervisor != constants.HT_KVM or bool(hvparams.get("user_shutdown"))
                )
                return constants.INSTST_USERDOWN if allow_user_down else constants.INSTST_ERRORDOWN
            return constants.INSTST_ADMINDOWN
        return constants.INSTST_RUNNING if admin_up else constants.INSTST_ERRORUP
    if admin_up:
        return constants.INSTST_ERRORDOWN
    if inst.admin_state == constants.ADMINST_DOWN:
        if getattr(inst, "admin_state_source", None) == constants.USER_SOURCE:
            return constants.INSTST_USERDOWN
        return constants.INSTST_ADMINDOWN
    return constants.INSTST_ADMINOFFLINE


# ------------------------------------------------------------- getters


def _status(ctx: InstanceQueryData, row: _InstanceRow) -> str:
    return instance_status(ctx, row.q_obj, lambda: row.q_hvparams)


def _oper_state(ctx: InstanceQueryData, row: _InstanceRow) -> Any:
    pnode = row.q_obj.primary_node
    if pnode in ctx.bad_nodes or pnode in ctx.offline_nodes:
        return FS_NODATA
    return bool(ctx.live_data.get(row.q_obj.uuid))


def _live(name: str):
    def getter(ctx: InstanceQueryData, row: _InstanceRow) -> Any:
        pnode = row.q_obj.primary_node
        if pnode in ctx.bad_nodes or pnode in ctx.offline_nodes:
            return FS_NODATA
        value = (ctx.live_data.get(row.q_obj.uuid) or {}).get(name)
        return FS_UNAVAIL if value is None else value

    return getter


def _node_name(ctx: InstanceQueryData, node_uuid: str) -> str | None:
    node = ctx.nodes.get(node_uuid)
    return None if node is None else node.name


def _node_group_uuid(ctx: InstanceQueryData, node_uuid: str) -> str | None:
    node = ctx.nodes.get(node_uuid)
    return None if node is None else getattr(node, "group", None)


def _node_group_name(ctx: InstanceQueryData, node_uuid: str) -> str | None:
    group = ctx.groups.get(_node_group_uuid(ctx, node_uuid))
    return None if group is None else group.name


def _primary(lookup):
    def getter(ctx: InstanceQueryData, row: _InstanceRow) -> Any:
        value = lookup(ctx, row.q_obj.primary_node)
        return FS_UNAVAIL if value is None else value

    return getter


def _secondaries(lookup):
    def getter(ctx: InstanceQueryData, row: _InstanceRow) -> list:
        return [lookup(ctx, uuid) for uuid in instance_secondary_nodes(row.q_obj, ctx.disks)]

    return getter


def _console(ctx: InstanceQueryData, row: _InstanceRow) -> Any:
    info = (ctx.console or {}).get(row.q_obj.uuid)
    return FS_UNAVAIL if info is None else common.plain(info)


def _disk_usage(ctx: InstanceQueryData, row: _InstanceRow) -> Any:
    if ctx.disk_usage is not None and row.q_obj.uuid in ctx.disk_usage:
        return ctx.disk_usage[row.q_obj.uuid] or 0
    template = instance_disk_template(row.q_obj, ctx.disks)
    total = 0
    for disk in row.q_disks:
        if disk is None or getattr(disk, "size", None) is None:
            return FS_UNAVAIL
        total += disk.size
        if template == constants.DT_DRBD8:
            total += constants.DRBD_META_SIZE
    return total


def _nic_network_name(ctx: InstanceQueryData, nic: Any) -> str | None:
    net_uuid = getattr(nic, "network", None)
    if not net_uuid:
        return None
    net = ctx.networks.get(net_uuid)
    return None if net is None else net.name


def _vlan_of(nicparams: dict) -> Any:
    if nicparams.get(constants.NIC_MODE) in (constants.NIC_MODE_BRIDGED, constants.NIC_MODE_OVS):
        return nicparams.get(constants.NIC_VLAN)
    return None


def _bridge_of(nicparams: dict) -> Any:
    if nicparams.get(constants.NIC_MODE) == constants.NIC_MODE_BRIDGED:
        return nicparams.get(constants.NIC_LINK)
    return None


def _per_nic(fn):
    """Getter of one value per NIC: fn(ctx, row, index, nic)."""

    def getter(ctx: InstanceQueryData, row: _InstanceRow) -> list:
        return [fn(ctx, row, index, nic) for (index, nic) in enumerate(row.q_nics)]

    return getter


def _nic(index: int, fn):
    """Getter of one NIC's value; FS_UNAVAIL if absent or None."""

    def getter(ctx: InstanceQueryData, row: _InstanceRow) -> Any:
        if index >= len(row.q_nics):
            return FS_UNAVAIL
        value = fn(ctx, row, index, row.q_nics[index])
        return FS_UNAVAIL if value is None else value

    return getter


def _nic_vlan_ovs(ctx: InstanceQueryData, row: _InstanceRow, index: int, _nic: Any) -> Any:
    params = row.q_nicparams[index]
    if params.get(constants.NIC_MODE) == constants.NIC_MODE_OVS:
        return params.get(constants.NIC_VLAN)
    return None


def _disk(index: int, fn):
    """Getter of one disk's value; FS_UNAVAIL if absent or None."""

    def getter(ctx: InstanceQueryData, row: _InstanceRow) -> Any:
        disks = row.q_disks
        if index >= len(disks) or disks[index] is None:
            return FS_UNAVAIL
        value = fn(disks[index])
        return FS_UNAVAIL if value is None else value

    return getter


def _per_disk(name: str):
    def getter(ctx: InstanceQueryData, row: _InstanceRow) -> list:
        return [None if d is None else getattr(d, name, None) for d in row.q_disks]

    return getter


def _disk_uuids(ctx: InstanceQueryData, row: _InstanceRow) -> list:
    raw = getattr(row.q_obj, "disks", None) or []
    return [d if isinstance(d, str) else getattr(d, "uuid", None) for d in raw]


def _hv_param(name: str):
    return lambda ctx, row: row.q_hvparams.get(name, FS_UNAVAIL)


def _be_param(name: str):
    return lambda ctx, row: row.q_beparams.get(name, FS_UNAVAIL)


# --------------------------------------------------------------- table

_NIC_ALL = [
    ("nic.macs", "NIC_MACs", "MAC address of each NIC", lambda c, r, i, n: n.mac),
    ("nic.ips", "NIC_IPs", "IP address of each NIC", lambda c, r, i, n: getattr(n, "ip", None)),
    ("nic.names", "NIC_Names", "Name of each NIC", lambda c, r, i, n: getattr(n, "name", None)),
    ("nic.uuids", "NIC_UUIDs", "UUID of each NIC", lambda c, r, i, n: getattr(n, "uuid", None)),
    (
        "nic.modes",
        "NIC_modes",
        "Mode of each NIC",
        lambda c, r, i, n: r.q_nicparams[i].get(constants.NIC_MODE),
    ),
    (
        "nic.links",
        "NIC_links",
        "Link of each NIC",
        lambda c, r, i, n: r.q_nicparams[i].get(constants.NIC_LINK),
    ),
    ("nic.vlans", "NIC_VLANs", "VLAN of each NIC", lambda c, r, i, n: _vlan_of(r.q_nicparams[i])),
    (
        "nic.bridges",
        "NIC_bridges",
        "Bridge of each NIC (bridged mode only)",
        lambda c, r, i, n: _bridge_of(r.q_nicparams[i]),
    ),
    (
        "nic.networks",
        "NIC_networks",
        "Network UUID of each NIC",
        lambda c, r, i, n: getattr(n, "network", None),
    ),
]

_NIC_INDEXED = [
    (
        "nic.ip/%d",
        "NicIP/%d",
        "IP address of NIC %d",
        IQ_CONFIG,
        lambda c, r, i, n: getattr(n, "ip", None),
    ),
    ("nic.mac/%d", "NicMAC/%d", "MAC address of NIC %d", IQ_CONFIG, lambda c, r, i, n: n.mac),
    (
        "nic.name/%d",
        "NicName/%d",
        "Name of NIC %d",
        IQ_CONFIG,
        lambda c, r, i, n: getattr(n, "name", None),
    ),
    (
        "nic.uuid/%d",
        "NicUUID/%d",
        "UUID of NIC %d",
        IQ_CONFIG,
        lambda c, r, i, n: getattr(n, "uuid", None),
    ),
    (
        "nic.mode/%d",
        "NicMode/%d",
        "Mode of NIC %d",
        IQ_CONFIG,
        lambda c, r, i, n: r.q_nicparams[i].get(constants.NIC_MODE),
    ),
    (
        "nic.link/%d",
        "NicLink/%d",
        "Link of NIC %d",
        IQ_CONFIG,
        lambda c, r, i, n: r.q_nicparams[i].get(constants.NIC_LINK),
    ),
    (
        "nic.bridge/%d",
        "NicBridge/%d",
        "Bridge of NIC %d (bridged mode only)",
        IQ_CONFIG,
        lambda c, r, i, n: _bridge_of(r.q_nicparams[i]),
    ),
    (
        "nic.vlan/%d",
        "NicVLAN/%d",
        "VLAN of NIC %d (openvswitch mode only)",
        IQ_CONFIG,
        _nic_vlan_ovs,
    ),
    (
        "nic.network/%d",
        "NicNetwork/%d",
        "Network UUID of NIC %d",
        IQ_CONFIG,
        lambda c, r, i, n: getattr(n, "network", None) or None,
    ),
    (
        "nic.network.name/%d",
        "NicNetworkName/%d",
        "Network name of NIC %d",
        IQ_NETWORKS,
        lambda c, r, i, n: _nic_network_name(c, n),
    ),
]

_DISK_INDEXED = [
    ("disk.size/%d", "Disk/%d", QFT_UNIT, "Size of disk %d", lambda d: getattr(d, "size", None)),
    (
        "disk.spindles/%d",
        "DiskSpindles/%d",
        QFT_NUMBER,
        "Spindles of disk %d",
        lambda d: getattr(d, "spindles", None),
    ),
    (
        "disk.name/%d",
        "DiskName/%d",
        QFT_TEXT,
        "Name of disk %d",
        lambda d: getattr(d, "name", None),
    ),
    (
        "disk.uuid/%d",
        "DiskUUID/%d",
        QFT_TEXT,
        "UUID of disk %d",
        lambda d: getattr(d, "uuid", None),
    ),
]


def _status_doc() -> str:
    return (
        "Instance status: %s (should run and does), %s (stopped as wanted),"
        " %s (running on another node), %s (should be stopped but runs),"
        " %s (should run but does not), %s (primary node unreachable),"
        " %s (primary node offline), %s (marked offline), %s (shut down by its user)"
        % (
            constants.INSTST_RUNNING,
            constants.INSTST_ADMINDOWN,
            constants.INSTST_WRONGNODE,
            constants.INSTST_ERRORUP,
            constants.INSTST_ERRORDOWN,
            constants.INSTST_NODEDOWN,
            constants.INSTST_NODEOFFLINE,
            constants.INSTST_ADMINOFFLINE,
            constants.INSTST_USERDOWN,
        )
    )


def hv_field_params() -> list[str]:
    """Hypervisor parameters offered as ``hv/<name>`` fields."""
    return sorted(set(constants.HVS_PARAMETER_TYPES) - common.HV_GLOBALS)


def _build() -> dict:
    entries = [
        field(
            "pnode",
            "Primary_node",
            QFT_TEXT,
            "Primary node",
            IQ_NODES,
            _primary(_node_name),
            QFF_HOSTNAME,
        ),
        field(
            "pnode.group",
            "PrimaryNodeGroup",
            QFT_TEXT,
            "Group of the primary node",
            IQ_NODES,
            _primary(_node_group_name),
        ),
        field(
            "pnode.group.uuid",
            "PrimaryNodeGroupUUID",
            QFT_TEXT,
            "Group UUID of the primary node",
            IQ_NODES,
            _primary(_node_group_uuid),
        ),
        field(
            "snodes",
            "Secondary_Nodes",
            QFT_OTHER,
            "Secondary nodes (usually one)",
            IQ_NODES,
            _secondaries(_node_name),
        ),
        field(
            "snodes.group",
            "SecondaryNodesGroups",
            QFT_OTHER,
            "Groups of the secondary nodes",
            IQ_NODES,
            _secondaries(_node_group_name),
        ),
        field(
            "snodes.group.uuid",
            "SecondaryNodesGroupsUUID",
            QFT_OTHER,
            "Group UUIDs of the secondary nodes",
            IQ_NODES,
            _secondaries(_node_group_uuid),
        ),
        field(
            "admin_state",
            "InstanceState",
            QFT_TEXT,
            "Wanted state of the instance",
            IQ_CONFIG,
            attr("admin_state"),
        ),
        field(
            "admin_up",
            "Autostart",
            QFT_BOOL,
            "Whether the instance should be running",
            IQ_CONFIG,
            lambda ctx, row: row.q_obj.admin_state == constants.ADMINST_UP,
        ),
        field(
            "admin_state_source",
            "InstanceStateSource",
            QFT_TEXT,
            "Who last changed the wanted state",
            IQ_CONFIG,
            attr("admin_state_source", True),
        ),
        field(
            "disks_active",
            "DisksActive",
            QFT_BOOL,
            "Whether the disks should be active",
            IQ_CONFIG,
            attr("disks_active"),
        ),
        field("tags", "Tags", QFT_OTHER, "Tags", IQ_CONFIG, common.get_tags),
        field("console", "Console", QFT_OTHER, "How to reach the console", IQ_CONSOLE, _console),
        field(
            "forthcoming",
            "Forthcoming",
            QFT_BOOL,
            "Whether the instance is only reserved",
            IQ_CONFIG,
            lambda ctx, row: bool(getattr(row.q_obj, "forthcoming", False)),
        ),
        field(
            "disk_template",
            "Disk_template",
            QFT_TEXT,
            "Disk template",
            IQ_CONFIG,
            lambda ctx, row: instance_disk_template(row.q_obj, ctx.disks),
        ),
        field("hypervisor", "Hypervisor", QFT_TEXT, "Hypervisor", IQ_CONFIG, attr("hypervisor")),
        field("name", "Instance", QFT_TEXT, "Instance name", IQ_CONFIG, attr("name"), QFF_HOSTNAME),
        field(
            "network_port",
            "Network_port",
            QFT_OTHER,
            "Network port of the console, if any",
            IQ_CONFIG,
            lambda ctx, row: getattr(row.q_obj, "network_port", None),
        ),
        field("os", "OS", QFT_TEXT, "Operating system", IQ_CONFIG, attr("os")),
        field(
            "serial_no",
            "SerialNo",
            QFT_NUMBER,
            common.SERIAL_DOC % "Instance",
            IQ_CONFIG,
            attr("serial_no"),
        ),
        field("uuid", "UUID", QFT_TEXT, "Instance UUID", IQ_CONFIG, attr("uuid")),
        field("oper_state", "Running", QFT_BOOL, "Whether the instance runs", IQ_LIVE, _oper_state),
        field(
            "oper_ram",
            "Memory",
            QFT_UNIT,
            "Memory in use, as the hypervisor reports",
            IQ_LIVE,
            _live("memory"),
        ),
        field(
            "oper_vcpus",
            "VCPUs",
            QFT_NUMBER,
            "Virtual CPUs, as the hypervisor reports",
            IQ_LIVE,
            _live("vcpus"),
        ),
        field("status", "Status", QFT_TEXT, _status_doc(), IQ_LIVE, _status),
        field(
            "nic.count",
            "NICs",
            QFT_NUMBER,
            "Number of NICs",
            IQ_CONFIG,
            lambda ctx, row: len(row.q_nics),
        ),
    ]
    entries.extend(
        field(name, title, QFT_OTHER, doc, IQ_CONFIG, _per_nic(fn))
        for (name, title, doc, fn) in _NIC_ALL
    )
    entries.append(
        field(
            "nic.networks.names",
            "NIC_networks_names",
            QFT_OTHER,
            "Network name of each NIC",
            IQ_NETWORKS,
            _per_nic(lambda c, r, i, n: _nic_network_name(c, n)),
        )
    )
    for index in range(constants.MAX_NICS):
        entries.extend(
            field(name % index, title % index, QFT_TEXT, doc % index, kind, _nic(index, fn))
            for (name, title, doc, kind, fn) in _NIC_INDEXED
        )
    entries.extend(
        [
            field(
                "hvparams",
                "HypervisorParameters",
                QFT_OTHER,
                "Hypervisor parameters (merged)",
                IQ_CONFIG,
                lambda ctx, row: row.q_hvparams,
            ),
            field(
                "beparams",
                "BackendParameters",
                QFT_OTHER,
                "Backend parameters (merged)",
                IQ_CONFIG,
                lambda ctx, row: row.q_beparams,
            ),
            field(
                "osparams",
                "OpSysParameters",
                QFT_OTHER,
                "OS parameters (merged)",
                IQ_CONFIG,
                lambda ctx, row: row.q_osparams,
            ),
            field(
                "custom_hvparams",
                "CustomHypervisorParameters",
                QFT_OTHER,
                "Hypervisor parameters set on the instance",
                IQ_CONFIG,
                lambda ctx, row: dict(getattr(row.q_obj, "hvparams", None) or {}),
            ),
            field(
                "custom_beparams",
                "CustomBackendParameters",
                QFT_OTHER,
                "Backend parameters set on the instance",
                IQ_CONFIG,
                lambda ctx, row: dict(getattr(row.q_obj, "beparams", None) or {}),
            ),
            field(
                "custom_osparams",
                "CustomOpSysParameters",
                QFT_OTHER,
                "OS parameters set on the instance",
                IQ_CONFIG,
                lambda ctx, row: dict(getattr(row.q_obj, "osparams", None) or {}),
            ),
            field(
                "custom_nicparams",
                "CustomNicParameters",
                QFT_OTHER,
                "NIC parameters set on each NIC",
                IQ_CONFIG,
                _per_nic(lambda c, r, i, n: dict(getattr(n, "nicparams", None) or {})),
            ),
        ]
    )
    entries.extend(
        field(
            "hv/%s" % name,
            common.HV_TITLES.get(name, "hv/%s" % name),
            common.VTYPE_TO_QFT[constants.HVS_PARAMETER_TYPES[name]],
            'The "%s" hypervisor parameter' % name,
            IQ_CONFIG,
            _hv_param(name),
        )
        for name in hv_field_params()
    )
    entries.extend(
        field(
            "be/%s" % name,
            common.BE_TITLES.get(name, "be/%s" % name),
            common.VTYPE_TO_QFT[vtype],
            'The "%s" backend parameter' % name,
            IQ_CONFIG,
            _be_param(name),
        )
        for (name, vtype) in sorted(constants.BES_PARAMETER_TYPES.items())
    )
    entries.extend(
        [
            field(
                "disk_usage",
                "DiskUsage",
                QFT_UNIT,
                "Space the disks take on each node (not the size the instance sees)",
                IQ_DISKUSAGE,
                _disk_usage,
            ),
            field(
                "disk.count",
                "Disks",
                QFT_NUMBER,
                "Number of disks",
                IQ_CONFIG,
                lambda ctx, row: len(row.q_disks),
            ),
            field(
                "disk.sizes",
                "Disk_sizes",
                QFT_OTHER,
                "Size of each disk",
                IQ_CONFIG,
                _per_disk("size"),
            ),
            field(
                "disk.spindles",
                "Disk_spindles",
                QFT_OTHER,
                "Spindles of each disk",
                IQ_CONFIG,
                _per_disk("spindles"),
            ),
            field(
                "disk.names",
                "Disk_names",
                QFT_OTHER,
                "Name of each disk",
                IQ_CONFIG,
                _per_disk("name"),
            ),
            field(
                "disk.uuids", "Disk_UUIDs", QFT_OTHER, "UUID of each disk", IQ_CONFIG, _disk_uuids
            ),
        ]
    )
    for index in range(constants.MAX_DISKS):
        entries.extend(
            field(name % index, title % index, kind, doc % index, IQ_CONFIG, _disk(index, fn))
            for (name, title, kind, doc, fn) in _DISK_INDEXED
        )
    entries.extend(common.timestamp_fields(IQ_CONFIG, "Instance"))
    aliases = [
        ("vcpus", "be/vcpus"),
        ("be/memory", "be/maxmem"),
        ("sda_size", "disk.size/0"),
        ("sdb_size", "disk.size/1"),
        ("ip", "nic.ip/0"),
        ("mac", "nic.mac/0"),
        ("bridge", "nic.bridge/0"),
        ("nic_mode", "nic.mode/0"),
        ("nic_link", "nic.link/0"),
        ("nic_network", "nic.network/0"),
    ]
    return make_table(entries, aliases)


INSTANCE_FIELDS = _build()
