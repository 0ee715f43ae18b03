"""Shared pieces of the instance logical units.

Owns what several instance LUs need that is not disks, hooks or checks:
name expansion and the instance lock, parsing and checking NIC
specifications (MACs, IPs, bridges), resolving an instance's name, and
the live data of instances for queries.  The hooks environment lives in
``instance_hooks``, disk layout and disk RPCs in ``instance_disks``, the
checks against nodes and the instance policy in ``instance_checks``; they
are re-exported here, so the LUs keep reaching all of them as ``iu.X``.

It must never write config.data except through ConfigWriter, nor reach a
node except through ``lu.rpc``.
"""

import concurrent.futures
import ipaddress
import threading
from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti.cmdlib.group import force_param_types

# re-exported: the instance LUs use these as ``iu.<name>``
from ganeti.cmdlib.instance_checks import (  # noqa: F401
    check_ipolicy,
    check_node_has_os,
    check_node_resources,
    check_os_name,
    fill_beparams_checked,
    fill_hvparams_checked,
    ipolicy_violations,
    storage_unit,
)
from ganeti.cmdlib.instance_disks import (  # noqa: F401
    _storage_dirs,
    assemble_disks,
    check_disk_template,
    compute_disks,
    create_disks,
    file_storage_dir,
    generate_disks,
    instance_info_text,
    parse_disk_size,
    remove_disks,
    shutdown_disks,
    start_disks,
)
from ganeti.cmdlib.instance_hooks import (  # noqa: F401
    build_instance_hook_env,
    disk_hook_env,
    instance_hook_env,
    instance_hook_nodes,
    nic_hook_env,
)

IP_POOL = "pool"


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
