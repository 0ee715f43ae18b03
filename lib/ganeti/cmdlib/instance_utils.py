"""Shared pieces of the instance logical units.

Owns what several instance LUs need: name expansion, the hooks
environment of an instance (Ganeti's BuildInstanceHookEnv), parsing and
checking of NIC and disk specifications, the per-template disk layout
(diskless, file, sharedfile, blockdev), creating, removing, assembling and
shutting down an instance's disks over RPC, and the checks against the
nodes (free memory and storage in one ``node_info`` call, OS, hypervisor
parameters, bridges) and against the instance policy.

It must never write config.data except through ConfigWriter, nor reach a
node except through ``lu.rpc``.
"""

import concurrent.futures
import ipaddress
import os
import threading
from typing import Any, Callable, Iterable

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti.cmdlib.group import force_param_types

IP_POOL = "pool"

#: templates whose storage this build cannot provide yet
_UNAVAILABLE_TEMPLATES = {
    constants.DT_PLAIN: "LVM",
    constants.DT_DRBD8: "DRBD",
    constants.DT_RBD: "RBD",
    constants.DT_EXT: "external",
    constants.DT_GLUSTER: "Gluster",
}

_SUPPORTED_TEMPLATES = frozenset(
    [constants.DT_DISKLESS, constants.DT_FILE, constants.DT_SHARED_FILE, constants.DT_BLOCK]
)


# --- names ---------------------------------------------------------------------------------


def ec_id(lu: Any) -> Any:
    """The execution context (job id) of an LU, for config reservations."""
    return getattr(lu.proc, "_ec_id", None)


def expand_instance(cfg: Any, name: str) -> tuple[str, str]:
    """(uuid, full name) of instance ``name``; OpPrereqError ECODE_NOENT if unknown."""
    uuid, full = cfg.expand_instance_name(name)
    if uuid is None:
        raise errors.OpPrereqError("Instance '%s' not known" % name, errors.ECODE_NOENT)
    return uuid, full


def expand_node(cfg: Any, name: str | None, uuid: str | None = None) -> tuple[str, str]:
    """(uuid, full name) of a node given by name (or uuid); ECODE_NOENT if unknown."""
    if uuid:
        node = cfg.get_node_info(uuid)
        if node is not None and (name is None or node.name == name or name == uuid):
            return node.uuid, node.name
    if name is None:
        raise errors.OpPrereqError("Node '%s' not known" % uuid, errors.ECODE_NOENT)
    found, full = cfg.expand_node_name(name)
    if found is None:
        raise errors.OpPrereqError("Node '%s' not known" % name, errors.ECODE_NOENT)
    return found, full


def instance_name_lock(lu: Any) -> None:
    """Expands ``op.instance_name`` and locks the instance (its name)."""
    uuid, name = expand_instance(lu.cfg, lu.op.instance_name)
    if getattr(lu.op, "instance_uuid", None) and lu.op.instance_uuid != uuid:
        raise errors.OpPrereqError(
            "Instance '%s' has UUID %s, not %s" % (name, uuid, lu.op.instance_uuid),
            errors.ECODE_INVAL,
        )
    lu.op.instance_name = name
    lu.op.instance_uuid = uuid
    if lu.needed_locks is None:
        lu.needed_locks = {}
    from ganeti import locking

    lu.needed_locks[locking.LEVEL_INSTANCE] = [name]


def get_locked_instance(lu: Any) -> objects.Instance:
    """The instance of ``op.instance_uuid`` (it must still exist)."""
    inst = lu.cfg.get_instance_info(lu.op.instance_uuid)
    if inst is None:
        raise errors.OpPrereqError(
            "Instance '%s' not known" % lu.op.instance_name, errors.ECODE_NOENT
        )
    return inst


# --- hooks environment ---------------------------------------------------------------------


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


# --- NICs ----------------------------------------------------------------------------------


def _check_nic_name(name: Any, seen: set) -> str | None:
    if name is None or (isinstance(name, str) and name.lower() == constants.VALUE_NONE):
        return None
    if not isinstance(name, str) or not name:
        raise errors.OpPrereqError("Invalid NIC name %r" % (name,), errors.ECODE_INVAL)
    if name in seen:
        raise errors.OpPrereqError("Duplicate NIC name '%s'" % name, errors.ECODE_NOTUNIQUE)
    try:
        int(name)
    except ValueError:
        pass
    else:
        raise errors.OpPrereqError(
            "NIC name '%s' is numeric: it would be taken for an index" % name, errors.ECODE_INVAL
        )
    seen.add(name)
    return name


def normalize_mac(mac: str) -> str:
    """A MAC in lower case; OpPrereqError ECODE_INVAL unless six hex octets."""
    parts = mac.split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        raise errors.OpPrereqError("Invalid MAC address '%s'" % mac, errors.ECODE_INVAL)
    try:
        [int(p, 16) for p in parts]
    except ValueError:
        raise errors.OpPrereqError("Invalid MAC address '%s'" % mac, errors.ECODE_INVAL) from None
    return mac.lower()


def check_ip(ip: str) -> str:
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        raise errors.OpPrereqError("Invalid IP address '%s'" % ip, errors.ECODE_INVAL) from None


def compute_nics(
    nic_specs: list[dict], cluster: Any, cfg: Any, default_ip: str | None, name_check: bool
) -> list[objects.NIC]:
    """NIC objects from ``--net`` specifications (MACs still ``auto``/given).

    Follows Ganeti: ``ip=auto`` needs the name check (the instance's own
    address), ``ip=pool`` a network, routed mode an address or a network;
    ``mode``/``link`` may not be combined with ``network``.
    """
    nics = []
    names: set = set()
    if len(nic_specs) > constants.MAX_NICS:
        raise errors.OpPrereqError(
            "Too many NICs (%d), at most %d allowed" % (len(nic_specs), constants.MAX_NICS),
            errors.ECODE_INVAL,
        )
    for idx, spec in enumerate(nic_specs):
        spec = dict(spec or {})
        unknown = sorted(set(spec) - set(constants.INIC_PARAMS_TYPES))
        if unknown:
            raise errors.OpPrereqError(
                "Unknown NIC parameter(s) for NIC %d: %s" % (idx, ", ".join(unknown)),
                errors.ECODE_INVAL,
            )
        if spec.get(constants.INIC_BRIDGE) and not spec.get(constants.INIC_LINK):
            spec[constants.INIC_LINK] = spec[constants.INIC_BRIDGE]
        mode = spec.get(constants.INIC_MODE)
        link = spec.get(constants.INIC_LINK)
        vlan = spec.get(constants.INIC_VLAN)
        net = spec.get(constants.INIC_NETWORK)
        if net is not None and net.lower() == constants.VALUE_NONE:
            net = None
        net_uuid = None
        if net is not None:
            if mode or link:
                raise errors.OpPrereqError(
                    "If network is given, mode or link should not be given", errors.ECODE_INVAL
                )
            net_uuid = cfg.lookup_network(net)
            if net_uuid is None:
                raise errors.OpPrereqError("Network '%s' not found" % net, errors.ECODE_NOENT)
        if mode is not None and mode not in constants.NIC_VALID_MODES:
            raise errors.OpPrereqError(
                "Invalid NIC mode '%s' for NIC %d" % (mode, idx), errors.ECODE_INVAL
            )
        ip = spec.get(constants.INIC_IP)
        if ip is None or ip.lower() == constants.VALUE_NONE:
            nic_ip = None
        elif ip.lower() == constants.VALUE_AUTO:
            if not name_check:
                raise errors.OpPrereqError(
                    "IP address set to auto but name checks have been skipped",
                    errors.ECODE_INVAL,
                )
            nic_ip = default_ip
        elif ip.lower() == IP_POOL:
            if net is None:
                raise errors.OpPrereqError(
                    "if ip=pool, parameter network must be passed too", errors.ECODE_INVAL
                )
            nic_ip = IP_POOL
        else:
            nic_ip = check_ip(ip)
        effective_mode = mode or cluster.simple_fill_nic(None).get(constants.NIC_MODE)
        if effective_mode == constants.NIC_MODE_ROUTED and not nic_ip and net is None:
            raise errors.OpPrereqError("Routed nic mode requires an ip address", errors.ECODE_INVAL)
        mac = spec.get(constants.INIC_MAC) or constants.VALUE_AUTO
        if mac not in (constants.VALUE_AUTO, constants.VALUE_GENERATE):
            mac = normalize_mac(mac)
        nicparams: dict[str, Any] = {}
        if mode:
            nicparams[constants.NIC_MODE] = mode
        if link:
            nicparams[constants.NIC_LINK] = link
        if vlan is not None:
            nicparams[constants.NIC_VLAN] = vlan
        force_param_types(nicparams, constants.NICS_PARAMETER_TYPES, "NIC")
        nics.append(
            objects.NIC(
                mac=mac,
                ip=nic_ip,
                network=net_uuid,
                name=_check_nic_name(spec.get(constants.INIC_NAME), names),
                nicparams=nicparams,
            )
        )
    return nics


def assign_macs(cfg: Any, nics: list[objects.NIC], job: Any) -> None:
    """Generates ``auto``/``generate`` MACs and reserves given ones (per job)."""
    for nic in nics:
        if nic.mac in (constants.VALUE_AUTO, constants.VALUE_GENERATE):
            nic.mac = cfg.generate_mac(nic.network, job)
        else:
            try:
                cfg.reserve_mac(nic.mac, job)
            except errors.ReservationError:
                raise errors.OpPrereqError(
                    "MAC address %s already in use in cluster" % nic.mac, errors.ECODE_NOTUNIQUE
                ) from None


def check_nic_bridges(lu: Any, nics: list, node_uuid: str) -> None:
    """Fails unless the bridges of bridged NICs exist on the node."""
    cluster = lu.cfg.get_cluster_info()
    bridges = []
    for nic in nics:
        params = cluster.fill_nicparams(nic)
        if params.get(constants.NIC_MODE) == constants.NIC_MODE_BRIDGED:
            link = params.get(constants.NIC_LINK)
            if link and link not in bridges:
                bridges.append(link)
    if not bridges or lu.rpc is None:
        return
    result = lu.rpc.call_bridges_exist(node_uuid, bridges)
    result.raise_error(
        "Bridges %s not found on node %s" % (", ".join(bridges), lu.cfg.get_node_name(node_uuid)),
        prereq=True,
        ecode=errors.ECODE_ENVIRON,
    )


# --- disks ---------------------------------------------------------------------------------


def check_disk_template(cluster: Any, template: str | None) -> str:
    """The template, checked: enabled on the cluster and storable here."""
    if template is None:
        raise errors.OpPrereqError("No disk template given", errors.ECODE_INVAL)
    if template not in constants.DISK_TEMPLATES:
        raise errors.OpPrereqError("Invalid disk template '%s'" % template, errors.ECODE_INVAL)
    if not cluster.is_disk_template_enabled(template):
        raise errors.OpPrereqError(
            "Disk template '%s' is not enabled in cluster. Enabled disk templates are: %s"
            % (template, ",".join(cluster.enabled_disk_templates or [])),
            errors.ECODE_STATE,
        )
    if template not in _SUPPORTED_TEMPLATES:
        raise errors.OpPrereqError(
            "Disk template '%s' needs %s storage, which is not available on this system"
            % (template, _UNAVAILABLE_TEMPLATES.get(template, template)),
            errors.ECODE_ENVIRON,
        )
    return template


def compute_disks(disk_specs: list[dict], template: str) -> list[dict]:
    """Checked disk specifications: ``{size, mode, name, adopt?, spindles?}``."""
    if template == constants.DT_DISKLESS:
        if disk_specs:
            raise errors.OpPrereqError(
                "Diskless instances cannot have disks (%d given)" % len(disk_specs),
                errors.ECODE_INVAL,
            )
        return []
    if not disk_specs:
        raise errors.OpPrereqError(
            "Disk template '%s' needs at least one disk" % template, errors.ECODE_INVAL
        )
    if len(disk_specs) > constants.MAX_DISKS:
        raise errors.OpPrereqError(
            "Too many disks (%d), at most %d allowed" % (len(disk_specs), constants.MAX_DISKS),
            errors.ECODE_INVAL,
        )
    result = []
    names: set = set()
    adopted = 0
    for idx, spec in enumerate(disk_specs):
        spec = dict(spec or {})
        unknown = sorted(set(spec) - set(constants.IDISK_PARAMS_TYPES))
        if unknown:
            raise errors.OpPrereqError(
                "Unknown disk parameter(s) for disk %d: %s" % (idx, ", ".join(unknown)),
                errors.ECODE_INVAL,
            )
        mode = spec.get(constants.IDISK_MODE, constants.DISK_RDWR)
        if mode not in constants.DISK_ACCESS_SET:
            raise errors.OpPrereqError("Invalid disk access mode '%s'" % mode, errors.ECODE_INVAL)
        adopt = spec.get(constants.IDISK_ADOPT)
        size = spec.get(constants.IDISK_SIZE)
        if size is None and adopt is None:
            raise errors.OpPrereqError("Missing disk size for disk %d" % idx, errors.ECODE_INVAL)
        if size is not None:
            size = parse_disk_size(size, idx)
        disk: dict[str, Any] = {
            constants.IDISK_SIZE: size if size is not None else 0,
            constants.IDISK_MODE: mode,
            constants.IDISK_NAME: None,
        }
        name = spec.get(constants.IDISK_NAME)
        if name is not None and str(name).lower() != constants.VALUE_NONE:
            if name in names:
                raise errors.OpPrereqError(
                    "Duplicate disk name '%s'" % name, errors.ECODE_NOTUNIQUE
                )
            names.add(name)
            disk[constants.IDISK_NAME] = name
        if spec.get(constants.IDISK_SPINDLES) is not None:
            try:
                disk[constants.IDISK_SPINDLES] = int(spec[constants.IDISK_SPINDLES])
            except (TypeError, ValueError):
                raise errors.OpPrereqError(
                    "Invalid spindles '%s' for disk %d" % (spec[constants.IDISK_SPINDLES], idx),
                    errors.ECODE_INVAL,
                ) from None
        if adopt is not None:
            adopted += 1
            disk[constants.IDISK_ADOPT] = adopt
        result.append(disk)
    if adopted:
        if adopted != len(result):
            raise errors.OpPrereqError(
                "Either all disks are adopted or none is", errors.ECODE_INVAL
            )
        if template != constants.DT_BLOCK:
            raise errors.OpPrereqError(
                "Disk adoption is not supported for the '%s' disk template" % template,
                errors.ECODE_INVAL,
            )
    elif template == constants.DT_BLOCK:
        raise errors.OpPrereqError(
            "Disk template blockdev requires disk adoption, but no 'adopt' parameter given",
            errors.ECODE_INVAL,
        )
    return result


def parse_disk_size(size: Any, idx: int) -> int:
    from ganeti.utils import text as utils_text

    try:
        value = utils_text.parse_unit(size) if isinstance(size, str) else int(size)
    except (errors.UnitParseError, TypeError, ValueError):
        raise errors.OpPrereqError(
            "Invalid disk size '%s' for disk %d" % (size, idx), errors.ECODE_INVAL
        ) from None
    if value < 1 or isinstance(size, bool):
        raise errors.OpPrereqError(
            "Invalid disk size '%s' for disk %d" % (size, idx), errors.ECODE_INVAL
        )
    return value


def file_storage_dir(
    cluster: Any, template: str, instance_name: str, subdir: str | None = None
) -> str | None:
    """The directory of a file-based instance's disks (None for others)."""
    if template == constants.DT_FILE:
        base = cluster.file_storage_dir
    elif template == constants.DT_SHARED_FILE:
        base = cluster.shared_file_storage_dir
    else:
        return None
    if not base:
        raise errors.OpPrereqError(
            "Cluster file storage directory for template '%s' is not set" % template,
            errors.ECODE_STATE,
        )
    if subdir:
        if os.path.isabs(subdir) or ".." in subdir.split("/"):
            raise errors.OpPrereqError(
                "File storage directory '%s' must be relative and stay below %s" % (subdir, base),
                errors.ECODE_INVAL,
            )
        base = os.path.join(base, subdir)
    return os.path.normpath(os.path.join(base, instance_name))


def generate_disks(
    cfg: Any,
    job: Any,
    template: str,
    primary: str,
    disk_info: list[dict],
    storage_dir: str | None,
    file_driver: str | None,
    base_index: int = 0,
) -> list[objects.Disk]:
    """Disk objects (with UUIDs reserved for ``job``) for new disks."""
    disks = []
    for offset, info in enumerate(disk_info):
        idx = base_index + offset
        uuid = cfg.generate_unique_id(job)
        if template in (constants.DT_FILE, constants.DT_SHARED_FILE):
            path = os.path.join(storage_dir, "%s.%s.disk%d" % (uuid, template, idx))
            logical_id = [file_driver or constants.FD_LOOP, path]
        elif template == constants.DT_BLOCK:
            logical_id = [constants.BLOCKDEV_DRIVER_MANUAL, info[constants.IDISK_ADOPT]]
        else:
            raise errors.ProgrammerError("Cannot generate disks of template %s" % template)
        disks.append(
            objects.Disk(
                dev_type=template,
                size=info[constants.IDISK_SIZE],
                mode=info.get(constants.IDISK_MODE, constants.DISK_RDWR),
                logical_id=logical_id,
                nodes=[primary],
                iv_name="disk/%d" % idx,
                name=info.get(constants.IDISK_NAME),
                spindles=info.get(constants.IDISK_SPINDLES),
                params={},
                uuid=uuid,
                children=[],
            )
        )
    return disks


def instance_info_text(inst: Any) -> str:
    """The text stored with an instance's block devices."""
    return "originstname+%s" % inst.name


def _storage_dirs(disks: list) -> list[tuple[str, str]]:
    """(node, directory) of file-based disks, one per pair."""
    result: list[tuple[str, str]] = []
    for disk in disks:
        if disk.dev_type in (constants.DT_FILE, constants.DT_SHARED_FILE) and disk.logical_id:
            entry = (disk.nodes[0] if disk.nodes else None, os.path.dirname(disk.logical_id[1]))
            if entry not in result:
                result.append(entry)
    return result


def create_disks(
    lu: Any, inst: objects.Instance, disks: list[objects.Disk], feedback_fn: Callable
) -> None:
    """Creates ``disks`` on their nodes; on any failure removes what it made.

    One ``blockdev_create`` per disk and node (the only shape the RPC has);
    the disk sizes come back as created.
    """
    created: list[tuple[objects.Disk, str]] = []
    try:
        for disk in disks:
            for node in disk.all_nodes:
                on_primary = node == inst.primary_node
                res = lu.rpc.call_blockdev_create(
                    node,
                    (disk, inst),
                    disk.size,
                    inst.name,
                    on_primary,
                    instance_info_text(inst),
                    False,
                )
                res.raise_error(
                    "Can't create block device %s on node %s for instance %s"
                    % (disk.iv_name, lu.cfg.get_node_name(node), inst.name)
                )
                created.append((disk, node))
    except errors.GenericError:
        for disk, node in reversed(created):
            res = lu.rpc.call_blockdev_remove(node, (disk, inst))
            if res.fail_msg:
                lu.log_warning(
                    "Failed to remove newly-created disk %s on node %s: %s",
                    disk.iv_name,
                    lu.cfg.get_node_name(node),
                    res.fail_msg,
                )
        _remove_storage_dirs(lu, disks)
        raise


def _remove_storage_dirs(lu: Any, disks: list) -> bool:
    ok = True
    for node, directory in _storage_dirs(disks):
        if node is None:
            continue
        res = lu.rpc.call_file_storage_dir_remove(node, directory)
        if res.fail_msg:
            lu.log_warning(
                "Could not remove directory '%s' on node %s: %s",
                directory,
                lu.cfg.get_node_name(node),
                res.fail_msg,
            )
            ok = False
    return ok


def remove_disks(
    lu: Any, inst: objects.Instance, disks: list | None = None, remove_dirs: bool = True
) -> bool:
    """Removes the instance's disks from their nodes; False if some failed."""
    if disks is None:
        disks = lu.cfg.get_instance_disks(inst.uuid)
    ok = True
    for disk in disks:
        for node in disk.all_nodes:
            res = lu.rpc.call_blockdev_remove(node, (disk, inst))
            if res.fail_msg and not res.offline:
                lu.log_warning(
                    "Could not remove disk %s on node %s, continuing anyway: %s",
                    disk.iv_name,
                    lu.cfg.get_node_name(node),
                    res.fail_msg,
                )
                ok = False
    if remove_dirs and not _remove_storage_dirs(lu, disks):
        ok = False
    return ok


def assemble_disks(
    lu: Any,
    inst: objects.Instance,
    disks: list | None = None,
    ignore_secondaries: bool = False,
    ignore_size: bool = False,
) -> tuple[bool, list[tuple[str, str, Any]]]:
    """Activates the disks (secondaries first, then the primary).

    Returns (all fine, [(node name, iv_name, device path), ...] of the
    primary); the instance is marked as having active disks first, so a
    failure is cleaned up by deactivating.
    """
    cfg = lu.cfg
    if disks is None:
        disks = cfg.get_instance_disks(inst.uuid)
    if not disks:
        return True, []
    cfg.mark_instance_disks_active(inst.uuid)
    ok = True
    info = []
    for idx, disk in enumerate(disks):
        for node in disk.all_nodes:
            if node == inst.primary_node:
                continue
            res = lu.rpc.call_blockdev_assemble(node, (disk, inst), inst, False, idx)
            if res.fail_msg and not ignore_secondaries:
                lu.log_warning(
                    "Could not prepare block device %s on node %s (is_primary=False, pass=1): %s",
                    disk.iv_name,
                    cfg.get_node_name(node),
                    res.fail_msg,
                )
                ok = False
    for idx, disk in enumerate(disks):
        node = inst.primary_node
        res = lu.rpc.call_blockdev_assemble(node, (disk, inst), inst, True, idx)
        path = None
        if res.fail_msg:
            lu.log_warning(
                "Could not prepare block device %s on node %s (is_primary=True, pass=2): %s",
                disk.iv_name,
                cfg.get_node_name(node),
                res.fail_msg,
            )
            ok = False
        else:
            path = (res.payload or [None])[0]
        info.append((cfg.get_node_name(node), disk.iv_name, path))
    return ok, info


def shutdown_disks(
    lu: Any, inst: objects.Instance, disks: list | None = None, ignore_primary: bool = False
) -> bool:
    """Deactivates the disks on all their nodes; marks them inactive."""
    cfg = lu.cfg
    if disks is None:
        disks = cfg.get_instance_disks(inst.uuid)
    all_disks = disks is None or len(disks) == len(inst.disks)
    ok = True
    for disk in disks:
        for node in disk.all_nodes:
            res = lu.rpc.call_blockdev_shutdown(node, (disk, inst))
            if res.fail_msg and not res.offline:
                lu.log_warning(
                    "Could not shutdown block device %s on node %s: %s",
                    disk.iv_name,
                    cfg.get_node_name(node),
                    res.fail_msg,
                )
                if node != inst.primary_node or not ignore_primary:
                    ok = False
    if all_disks and inst.disks:
        cfg.mark_instance_disks_inactive(inst.uuid)
    return ok


def start_disks(lu: Any, inst: objects.Instance, force: bool | None) -> None:
    """Activates the disks for a start; on failure deactivates and raises."""
    ok, _ = assemble_disks(lu, inst, ignore_secondaries=bool(force))
    if not ok:
        shutdown_disks(lu, inst)
        if force is not None and not force:
            lu.log_warning(
                "",
                hint="If the message above refers to a secondary node, you can retry"
                " the operation using '--force'",
            )
        raise errors.OpExecError("Disk consistency error")


# --- checks against nodes -----------------------------------------------------------------


def storage_unit(cluster: Any, template: str) -> list | None:
    """The node_info storage unit of a template's space (None if none)."""
    if template == constants.DT_FILE:
        return [constants.ST_FILE, cluster.file_storage_dir, []]
    if template == constants.DT_SHARED_FILE:
        return [constants.ST_SHARED_FILE, cluster.shared_file_storage_dir, []]
    return None


def check_node_resources(
    lu: Any,
    node_uuid: str,
    reason: str,
    memory: int | None = None,
    hv_name: str | None = None,
    hvparams: dict | None = None,
    template: str | None = None,
    disk_mib: int = 0,
) -> None:
    """Checks free memory and storage of a node in one ``node_info`` call.

    OpPrereqError ECODE_NORES when the node lacks what is asked,
    ECODE_ENVIRON when it cannot tell.
    """
    if lu.rpc is None:
        return
    cluster = lu.cfg.get_cluster_info()
    node_name = lu.cfg.get_node_name(node_uuid)
    unit = storage_unit(cluster, template) if template and disk_mib else None
    if memory is None and unit is None:
        return
    hv_name = hv_name or cluster.primary_hypervisor
    hv_specs = [[hv_name, hvparams or cluster.hvparams.get(hv_name, {})]]
    res = lu.rpc.call_node_info([node_uuid], [unit] if unit else [], hv_specs)[node_uuid]
    res.raise_error(
        "Can't get data from node %s" % node_name, prereq=True, ecode=errors.ECODE_ENVIRON
    )
    try:
        _, space, hvinfo = res.payload
    except (TypeError, ValueError):
        raise errors.OpPrereqError(
            "Invalid node_info answer from node %s" % node_name, errors.ECODE_ENVIRON
        ) from None
    if memory is not None:
        free = (hvinfo[0] if hvinfo else {}).get("memory_free")
        if not isinstance(free, int):
            raise errors.OpPrereqError(
                "Can't compute free memory on node %s, result was '%s'" % (node_name, free),
                errors.ECODE_ENVIRON,
            )
        if memory > free:
            raise errors.OpPrereqError(
                "Not enough memory on node %s for %s: needed %s MiB, available %s MiB"
                % (node_name, reason, memory, free),
                errors.ECODE_NORES,
            )
    if unit is not None:
        free_disk = (space[0] if space else {}).get("storage_free")
        if not isinstance(free_disk, int):
            raise errors.OpPrereqError(
                "Can't compute free disk space on node %s for %s, result was '%s'"
                % (node_name, unit[1], free_disk),
                errors.ECODE_ENVIRON,
            )
        if disk_mib > free_disk:
            raise errors.OpPrereqError(
                "Not enough disk space on target node %s (%s): required %d MiB, available %d MiB"
                % (node_name, unit[1], disk_mib, free_disk),
                errors.ECODE_NORES,
            )


def check_node_has_os(
    lu: Any,
    node_uuids: list[str],
    os_name: str,
    osparams: dict,
    force_variant: bool,
) -> None:
    """The OS (with its variant and parameters) must be valid on the nodes."""
    if lu.rpc is None:
        return
    checks = [constants.OS_VALIDATE_PARAMETERS] if osparams is not None else []
    results = lu.rpc.call_os_validate(
        node_uuids, True, os_name, checks, osparams or {}, force_variant
    )
    for node, res in results.items():
        if res.offline:
            continue
        if res.fail_msg:
            raise errors.OpPrereqError(
                "OS '%s' not in supported OS list for node %s: %s"
                % (os_name, lu.cfg.get_node_name(node), res.fail_msg),
                errors.ECODE_INVAL,
            )


def check_os_name(cluster: Any, os_name: str | None, what: str = "instance") -> None:
    """Refuses a blacklisted OS (Ganeti allows hidden ones when named)."""
    if not os_name:
        return
    if os_name in (cluster.blacklisted_os or []) or os_name.split("+", 1)[0] in (
        cluster.blacklisted_os or []
    ):
        raise errors.OpPrereqError(
            "Guest OS '%s' is not allowed for installation" % os_name, errors.ECODE_STATE
        )


def fill_hvparams_checked(
    lu: Any,
    node_uuids: list[str],
    hv_name: str,
    os_name: str | None,
    own: dict,
) -> dict:
    """The full hvparams of an instance, checked here and on its nodes."""
    from ganeti import hypervisor
    from ganeti.cmdlib.group import check_params_not_global

    cluster = lu.cfg.get_cluster_info()
    force_param_types(own, constants.HVS_PARAMETER_TYPES, "hypervisor")
    check_params_not_global(own, constants.HVC_GLOBALS, "instance")
    full = cluster.simple_fill_hv(hv_name, os_name, own, skip_globals=False)
    try:
        hv_class = hypervisor.get_hypervisor_class(hv_name)
        hv_class.check_parameter_syntax(
            {k: v for k, v in full.items() if k in getattr(hv_class, "PARAMETERS", full)}
        )
    except errors.HypervisorError as err:
        raise errors.OpPrereqError(
            "Invalid hypervisor parameters: %s" % err, errors.ECODE_INVAL
        ) from None
    own_syntax_bad = sorted(set(own) - set(getattr(hv_class, "PARAMETERS", own)))
    if own_syntax_bad:
        raise errors.OpPrereqError(
            "Hypervisor parameter(s) %s not supported by hypervisor %s"
            % (", ".join(own_syntax_bad), hv_name),
            errors.ECODE_INVAL,
        )
    if lu.rpc is not None and node_uuids:
        results = lu.rpc.call_hypervisor_validate_params(node_uuids, hv_name, full)
        for node, res in results.items():
            if res.offline:
                continue
            if res.fail_msg:
                raise errors.OpPrereqError(
                    "Hypervisor parameter validation failed on node %s: %s"
                    % (lu.cfg.get_node_name(node), res.fail_msg),
                    errors.ECODE_INVAL,
                )
    return full


def fill_beparams_checked(cluster: Any, own: dict) -> dict:
    """Checked backend parameters (``memory`` becomes maxmem/minmem)."""
    own = dict(own or {})
    if constants.BE_MEMORY in own:
        mem = own.pop(constants.BE_MEMORY)
        own.setdefault(constants.BE_MAXMEM, mem)
        own.setdefault(constants.BE_MINMEM, mem)
    for key, value in list(own.items()):
        if value == constants.VALUE_AUTO:
            own.pop(key)
    force_param_types(own, constants.BES_PARAMETER_TYPES, "backend")
    full = cluster.simple_fill_be(own)
    if full.get(constants.BE_MINMEM, 0) > full.get(constants.BE_MAXMEM, 0) and (
        constants.BE_MINMEM in own and constants.BE_MAXMEM in own
    ):
        raise errors.OpPrereqError(
            "Minimum memory (%s) is greater than maximum memory (%s)"
            % (full[constants.BE_MINMEM], full[constants.BE_MAXMEM]),
            errors.ECODE_INVAL,
        )
    return own


# --- instance policy -----------------------------------------------------------------------


def ipolicy_violations(
    ipolicy: dict,
    mem: int | None,
    cpus: int | None,
    disk_count: int,
    nic_count: int,
    disk_sizes: list[int],
    spindle_use: int | None,
    template: str,
) -> list[str]:
    """What an instance spec violates in an instance policy (empty: fine)."""
    problems = []
    allowed = ipolicy.get(constants.IPOLICY_DTS)
    if allowed is not None and template not in allowed:
        problems.append(
            "Disk template %s is not allowed (allowed templates: %s)"
            % (template, ", ".join(allowed))
        )
    checks = [
        (constants.ISPEC_MEM_SIZE, constants.ISPEC_MEM_SIZE, mem),
        (constants.ISPEC_CPU_COUNT, constants.ISPEC_CPU_COUNT, cpus),
        (constants.ISPEC_NIC_COUNT, constants.ISPEC_NIC_COUNT, nic_count),
        (constants.ISPEC_SPINDLE_USE, constants.ISPEC_SPINDLE_USE, spindle_use),
    ]
    checks += [
        (constants.ISPEC_DISK_SIZE, "%s/%d" % (constants.ISPEC_DISK_SIZE, idx), size)
        for idx, size in enumerate(disk_sizes)
    ]
    if template != constants.DT_DISKLESS:
        # a disk count means nothing for diskless instances
        checks.append((constants.ISPEC_DISK_COUNT, constants.ISPEC_DISK_COUNT, disk_count))
    minmax_list = ipolicy.get(constants.ISPECS_MINMAX) or []
    best: list[str] | None = None
    for minmax in minmax_list:
        low = minmax.get(constants.ISPECS_MIN, {})
        high = minmax.get(constants.ISPECS_MAX, {})
        found = []
        for key, what, value in checks:
            if value is None:
                continue
            lo, hi = low.get(key), high.get(key)
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                found.append("%s value %s is not in range [%s, %s]" % (what, value, lo, hi))
        if best is None or len(found) < len(best):
            best = found
    return problems + (best or [])


def check_ipolicy(
    lu: Any,
    node_uuid: str,
    beparams: dict,
    disk_sizes: list[int],
    nic_count: int,
    template: str,
    ignore: bool,
) -> None:
    """Checks the spec against the primary node's group policy."""
    cfg = lu.cfg
    node = cfg.get_node_info(node_uuid)
    group = cfg.get_node_group(node.group) if node is not None else None
    if group is None:
        return
    cluster = cfg.get_cluster_info()
    ipolicy = cluster.fill_ipolicy(group)
    problems = ipolicy_violations(
        ipolicy,
        beparams.get(constants.BE_MAXMEM),
        beparams.get(constants.BE_VCPUS),
        len(disk_sizes),
        nic_count,
        disk_sizes,
        beparams.get(constants.BE_SPINDLE_USE),
        template,
    )
    if problems:
        msg = "Instance allocation to group %s (%s) violates policy: %s" % (
            group.name,
            group.uuid,
            "; ".join(problems),
        )
        if ignore:
            lu.log_warning(msg)
        else:
            raise errors.OpPrereqError(msg, errors.ECODE_INVAL)


# --- names and addresses -----------------------------------------------------------------


def resolve_instance_name(name: str) -> tuple[str, str]:
    """(full name, address) of an instance name through the resolver."""
    from ganeti.utils import net as utils_net

    try:
        info = utils_net.HostInfo.resolve(name)
    except errors.ResolverError as err:
        raise errors.OpPrereqError(
            "The given name (%s) does not resolve: %s" % (name, err.args[-1]),
            errors.ECODE_RESOLVER,
        ) from None
    full = info.name
    if not (full == name or full.startswith(name + ".")):
        raise errors.OpPrereqError(
            "Resolved hostname '%s' does not look the same as given hostname '%s'" % (full, name),
            errors.ECODE_INVAL,
        )
    return full, info.ip


def check_ip_unused(name: str, ip: str) -> None:
    """Fails when something answers on the instance's address."""
    from ganeti.utils import net as utils_net

    if utils_net.tcp_ping(ip, constants.DEFAULT_NODED_PORT, timeout=1.0):
        raise errors.OpPrereqError(
            "IP %s of instance %s already in use" % (ip, name), errors.ECODE_NOTUNIQUE
        )


# --- live data for queries -----------------------------------------------------------------


_LIVE_POOL: Any = None
_LIVE_POOL_LOCK = threading.Lock()


def _live_call(fn: Callable, *args: Any) -> Any:
    """Runs a query RPC in one long-lived thread.

    The RPC client keeps its node connections per thread; queries arrive on
    short-lived luxi threads, so running the call here reuses the TLS
    connections instead of opening new ones for every ``gnt-instance list``.
    """
    global _LIVE_POOL
    with _LIVE_POOL_LOCK:
        if _LIVE_POOL is None:
            _LIVE_POOL = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="live-query"
            )
    return _LIVE_POOL.submit(fn, *args).result()


def live_instance_data(cfg: Any, rpc: Any, instances: list) -> tuple[dict, set, set]:
    """(live data by instance uuid, bad node uuids, uuids running elsewhere).

    One parallel ``all_instances_info`` to the online nodes holding the
    instances (all online vm-capable nodes, so an instance running on the
    wrong node is found too).
    """
    cluster = cfg.get_cluster_info()
    nodes = cfg.get_all_nodes_info()
    hvs = list(cluster.enabled_hypervisors or [])
    all_hvparams = {hv: dict((cluster.hvparams or {}).get(hv, {})) for hv in hvs}
    bad = {uuid for uuid, node in nodes.items() if node.offline}
    ask = [uuid for uuid, node in nodes.items() if not node.offline and node.vm_capable]
    live: dict = {}
    wrong: set = set()
    if not instances or not ask:
        return live, bad, wrong
    results = _live_call(rpc.call_all_instances_info, ask, hvs, all_hvparams)
    running: dict[str, dict[str, dict]] = {}
    for uuid in ask:
        res = results.get(uuid)
        if res is None or res.fail_msg or not isinstance(res.payload, dict):
            bad.add(uuid)
            continue
        running[uuid] = res.payload
    for inst in instances:
        pnode = inst.primary_node
        here = running.get(pnode)
        if here is not None and inst.name in here:
            live[inst.uuid] = here[inst.name]
            continue
        for node, found in running.items():
            if node != pnode and inst.name in found:
                wrong.add(inst.uuid)
                break
    return live, bad, wrong
