"""The hooks environment of an instance (Ganeti's BuildInstanceHookEnv).

Owns the ``INSTANCE_*`` variables the instance LUs hand to their hooks
(names, nodes, OS, parameters, one block per NIC and disk) and the nodes
those hooks run on.  It must never change the configuration nor reach a
node: it only reads what the LU already holds.
"""

from typing import Any, Iterable

from ganeti import constants
from ganeti import objects


def nic_hook_env(idx: int, nic: Any, filled: dict, network: Any = None) -> dict[str, Any]:
    """The ``INSTANCE_NIC<idx>_*`` variables of one NIC."""
    prefix = "INSTANCE_NIC%d_" % idx
    mode = filled.get(constants.NIC_MODE)
    link = filled.get(constants.NIC_LINK)
    env: dict[str, Any] = {
        prefix + "IP": nic.ip or "",
        prefix + "MAC": nic.mac,
        prefix + "MODE": mode,
        prefix + "LINK": link,
        prefix + "VLAN": filled.get(constants.NIC_VLAN, ""),
    }
    if nic.name:
        env[prefix + "NAME"] = nic.name
    if nic.uuid:
        env[prefix + "UUID"] = nic.uuid
    if mode in (constants.NIC_MODE_BRIDGED, constants.NIC_MODE_OVS):
        env[prefix + "BRIDGE"] = link
    if network is not None:
        env[prefix + "NETWORK_NAME"] = network.name
        env[prefix + "NETWORK_UUID"] = network.uuid
        env[prefix + "NETWORK_TAGS"] = " ".join(sorted(network.get_tags()))
        for key, attr in (
            ("SUBNET", "network"),
            ("GATEWAY", "gateway"),
            ("SUBNET6", "network6"),
            ("GATEWAY6", "gateway6"),
            ("MAC_PREFIX", "mac_prefix"),
        ):
            value = getattr(network, attr, None)
            if value:
                env[prefix + "NETWORK_" + key] = value
    return env


def disk_hook_env(idx: int, disk: Any) -> dict[str, Any]:
    """The ``INSTANCE_DISK<idx>_*`` variables of one disk."""
    prefix = "INSTANCE_DISK%d_" % idx
    env: dict[str, Any] = {
        prefix + "SIZE": disk.size,
        prefix + "MODE": disk.mode or constants.DISK_RDWR,
        prefix + "DEV_TYPE": disk.dev_type,
    }
    if disk.name:
        env[prefix + "NAME"] = disk.name
    if disk.uuid:
        env[prefix + "UUID"] = disk.uuid
    if disk.spindles is not None:
        env[prefix + "SPINDLES"] = disk.spindles
    lid = disk.logical_id or []
    if disk.dev_type in constants.DTS_FILEBASED or disk.dev_type == constants.DT_BLOCK:
        if len(lid) == 2:
            env[prefix + "DRIVER"], env[prefix + "ID"] = lid
    elif disk.dev_type == constants.DT_PLAIN and len(lid) == 2:
        env[prefix + "VG"], env[prefix + "ID"] = lid
    return env


def build_instance_hook_env(
    name: str,
    primary: str,
    secondaries: Iterable[str],
    os_type: str | None,
    status: str,
    beparams: dict,
    hvparams: dict,
    hypervisor: str,
    nics: list,
    nic_params: list[dict],
    disk_template: str,
    disks: list,
    tags: Iterable[str] = (),
    networks: dict | None = None,
) -> dict[str, Any]:
    """The hooks environment of an instance (keys without ``GANETI_``)."""
    env: dict[str, Any] = {
        "OP_TARGET": name,
        "INSTANCE_NAME": name,
        "INSTANCE_PRIMARY": primary,
        "INSTANCE_SECONDARIES": " ".join(secondaries),
        "INSTANCE_OS_TYPE": os_type or "",
        "INSTANCE_STATUS": status,
        "INSTANCE_MINMEM": beparams.get(constants.BE_MINMEM),
        "INSTANCE_MAXMEM": beparams.get(constants.BE_MAXMEM),
        "INSTANCE_MEMORY": beparams.get(constants.BE_MAXMEM),
        "INSTANCE_VCPUS": beparams.get(constants.BE_VCPUS),
        "INSTANCE_DISK_TEMPLATE": disk_template,
        "INSTANCE_HYPERVISOR": hypervisor,
        "INSTANCE_NIC_COUNT": len(nics),
        "INSTANCE_DISK_COUNT": len(disks),
        "INSTANCE_TAGS": " ".join(sorted(tags)),
    }
    for idx, (nic, filled) in enumerate(zip(nics, nic_params)):
        net = (networks or {}).get(nic.network) if nic.network else None
        env.update(nic_hook_env(idx, nic, filled, net))
    for idx, disk in enumerate(disks):
        env.update(disk_hook_env(idx, disk))
    for key, value in beparams.items():
        env["INSTANCE_BE_%s" % key] = value
    for key, value in hvparams.items():
        env["INSTANCE_HV_%s" % key] = value
    return env


def instance_hook_env(
    lu: Any,
    inst: objects.Instance,
    override: dict | None = None,
    disks: list | None = None,
) -> dict[str, Any]:
    """The hooks environment of a configured instance (``override`` wins)."""
    cfg = lu.cfg
    cluster = cfg.get_cluster_info()
    if disks is None:
        disks = cfg.get_instance_disks(inst.uuid)
    secondaries = [n for n in cfg.get_instance_nodes(inst.uuid)[1:]]
    env = build_instance_hook_env(
        inst.name,
        cfg.get_node_name(inst.primary_node) or inst.primary_node,
        [cfg.get_node_name(n) or n for n in secondaries],
        inst.os,
        inst.admin_state,
        cluster.fill_beparams(inst),
        cluster.fill_hvparams(inst, skip_globals=True),
        inst.hypervisor,
        list(inst.nics),
        [cluster.fill_nicparams(n) for n in inst.nics],
        disks[0].dev_type if disks else constants.DT_DISKLESS,
        disks,
        inst.get_tags(),
        cfg.get_all_networks_info() if any(n.network for n in inst.nics) else None,
    )
    env.update(override or {})
    return env


def instance_hook_nodes(lu: Any, inst: objects.Instance) -> tuple[list[str], list[str]]:
    """Master, primary and secondaries, for both phases."""
    nodes = [lu.cfg.get_master_node()] + [
        n for n in lu.cfg.get_instance_nodes(inst.uuid) if n != lu.cfg.get_master_node()
    ]
    return nodes, list(nodes)
