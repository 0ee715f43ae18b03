"""Cluster bootstrap and master role changes, run on one node without a master.

Owns what happens before a master daemon exists or while none may run:
creating a cluster on this node (checks, cluster crypto made by
``bootstrap_crypto``, the first
config.data and ssconf, starting the node and master daemons, the master
IP), the last steps of destroying it (after OP_CLUSTER_DESTROY), master
failover with master voting, and the voting helpers the master daemon uses
at start-up.  It must never run logical units, and it talks to nodes only
through RPC (``rpc.client.RpcRunner``).

config.data is written here exactly once, when it does not exist yet; every
later change goes through ``config.ConfigWriter``.
"""

import dataclasses
import logging
import os
import socket
import threading
import time
from typing import Any, Callable

from ganeti.bootstrap_crypto import (  # noqa: F401  (part of this module's API)
    generate_cluster_crypto,
    generate_secret,
    remove_crypto_files,
)
from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import serializer
from ganeti import ssconf
from ganeti.utils import io as uio
from ganeti.utils import net as unet
from ganeti.utils import process as uproc
from ganeti.utils.retry import RetryAgain, RetryTimeout, retry
from ganeti.utils import text as utext

FeedbackFn = Callable[[str], None]

#: how long init waits for the node daemon and the master daemon to answer
DAEMON_START_TIMEOUT = 30.0
#: how long failover waits for the master IP to go away / come up
MASTER_IP_TIMEOUT = 30.0
#: TCP ping timeout when probing whether an address is in use (on a LAN an
#: address that exists answers, or refuses, well within this)
_PROBE_TIMEOUT = 1.0


def _log(feedback_fn: FeedbackFn | None, msg: str, *args: Any) -> None:
    if args:
        msg = msg % args
    logging.info(msg)
    if feedback_fn is not None:
        feedback_fn(msg)


# --- names and addresses ----------------------------------------------------------


def my_hostname() -> str:
    """This node's own name (``GANETI_HOSTNAME`` overrides it, as in masterd)."""
    return os.environ.get("GANETI_HOSTNAME") or socket.gethostname()


def resolve_my_hostname(family: int = socket.AF_INET) -> unet.HostInfo:
    """This node's full name and address; OpPrereqError if unusable."""
    try:
        info = unet.HostInfo.resolve(my_hostname(), family)
    except errors.ResolverError as err:
        raise errors.OpPrereqError(
            "Cannot resolve this host's name '%s': %s; fix DNS or /etc/hosts"
            % (my_hostname(), err.args[-1]),
            errors.ECODE_RESOLVER,
        ) from None
    if info.ip.startswith("127.") or info.ip == "::1":
        raise errors.OpPrereqError(
            "This host's IP (%s) resolves to a loopback address; the cluster needs"
            " this host's name to resolve to an address on the network" % info.ip,
            errors.ECODE_ENVIRON,
        )
    if not unet.owns_ip(info.ip):
        raise errors.OpPrereqError(
            "Inconsistency: this host's name resolves to %s, but this IP address"
            " does not belong to this host" % info.ip,
            errors.ECODE_ENVIRON,
        )
    return info


def address_in_use(ip: str, timeout: float = _PROBE_TIMEOUT) -> bool:
    """True if something on the network answers (or refuses) at ``ip``."""
    return unet.tcp_ping(ip, constants.DEFAULT_NODED_PORT, timeout=timeout)


def netdev_exists(netdev: str) -> bool:
    """True if network device ``netdev`` exists on this node."""
    if os.path.exists(os.path.join("/sys/class/net", netdev)):
        return True
    return not uproc.run_cmd(["ip", "link", "show", "dev", netdev]).failed


# --- helpers -----------------------------------------------------------------------


def _in_background(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """Starts ``fn(*args)`` in a thread; the returned function waits for
    and returns its result (or raises its exception)."""
    box: list[Any] = []

    def run() -> None:
        try:
            box.append((True, fn(*args)))
        except BaseException as err:  # pylint: disable=broad-except
            box.append((False, err))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def wait() -> Any:
        thread.join()
        ok, value = box[0]
        if not ok:
            raise value
        return value

    return wait


# --- RPC plumbing without a master daemon ------------------------------------------


def config_resolver(cfg: Any) -> Callable[[list[str]], list[tuple]]:
    """A resolver over the configuration's nodes (see ``rpc.master``)."""
    from ganeti.rpc import master as rpc_master

    return rpc_master.config_resolver(cfg)


def make_runner(resolver: Any = None, cert_file: str | None = None) -> Any:
    """An RpcRunner for bootstrap work (ssconf resolver by default)."""
    from ganeti.rpc import client as rpc_client

    return rpc_client.RpcRunner(resolver or rpc_client.ssconf_resolver, cert_file=cert_file)


def master_params(cfg: Any) -> dict[str, Any]:
    """The master network parameters of the configuration (RPC shape)."""
    cluster = cfg.get_cluster_info()
    return {
        "uuid": cluster.master_node,
        "ip": cluster.master_ip,
        "netmask": cluster.master_netmask,
        "netdev": cluster.master_netdev,
        "ip_family": cluster.primary_ip_family,
    }


# --- init -------------------------------------------------------------------------


@dataclasses.dataclass
class InitParams:
    """What ``gnt-cluster init`` was asked for (None: Ganeti's default)."""

    cluster_name: str
    master_netdev: str = constants.DEFAULT_BRIDGE
    master_netmask: int | None = None
    secondary_ip: str | None = None
    mac_prefix: str = constants.DEFAULT_MAC_PREFIX
    vg_name: str | None = None
    file_storage_dir: str | None = None
    shared_file_storage_dir: str | None = None
    gluster_storage_dir: str | None = None
    candidate_pool_size: int = constants.MASTER_POOL_SIZE_DEFAULT
    enabled_hypervisors: list[str] | None = None
    hvparams: dict[str, dict] | None = None
    beparams: dict[str, Any] | None = None
    nicparams: dict[str, Any] | None = None
    ndparams: dict[str, Any] | None = None
    diskparams: dict[str, dict] | None = None
    ipolicy: dict[str, Any] | None = None
    enabled_disk_templates: list[str] | None = None
    modify_etc_hosts: bool = True
    modify_ssh_setup: bool = True
    maintain_node_health: bool = False
    drbd_helper: str | None = None
    uid_pool: list | None = None
    default_iallocator: str = ""
    default_iallocator_params: dict | None = None
    primary_ip_version: int = constants.IP4_VERSION
    prealloc_wipe_disks: bool = False
    use_external_mip_script: bool = False
    hv_state: dict | None = None
    disk_state: dict | None = None
    install_image: str = ""
    zeroing_image: str = ""
    compression_tools: list[str] | None = None
    enabled_user_shutdown: bool = False
    ssh_key_type: str = constants.SSH_KEY_TYPE_DEFAULT
    ssh_key_bits: int | None = None
    start_daemons: bool = True


def _inval(msg: str, *args: Any) -> errors.OpPrereqError:
    return errors.OpPrereqError(msg % args if args else msg, errors.ECODE_INVAL)


def check_not_initialized() -> None:
    """OpPrereqError if this node already holds a cluster configuration."""
    if os.path.exists(pathutils.CLUSTER_CONF_FILE):
        raise errors.OpPrereqError("Cluster is already initialised", errors.ECODE_STATE)
    try:
        name = ssconf.SimpleStore().get_cluster_name()
    except errors.ConfigurationError:
        return
    raise errors.OpPrereqError(
        "This node is already part of cluster '%s'; remove it from that cluster first" % name,
        errors.ECODE_STATE,
    )


def _check_hypervisors(params: InitParams) -> list[str]:
    from ganeti import hypervisor

    hvs = list(params.enabled_hypervisors or [constants.DEFAULT_ENABLED_HYPERVISOR])
    if not hvs:
        raise _inval("At least one hypervisor must be enabled")
    unknown = [hv for hv in hvs if hv not in constants.HYPER_TYPES]
    if unknown:
        raise _inval(
            "Unknown hypervisor(s) %s; valid ones are %s",
            ", ".join(unknown),
            ", ".join(sorted(constants.HYPER_TYPES)),
        )
    missing = [hv for hv in hvs if hv not in hypervisor.available()]
    if missing:
        raise errors.OpPrereqError(
            "Hypervisor(s) %s not available in this build; available: %s"
            " (use --enabled-hypervisors)"
            % (", ".join(missing), ", ".join(hypervisor.available())),
            errors.ECODE_ENVIRON,
        )
    for hv_name, hv_params in (params.hvparams or {}).items():
        if hv_name not in constants.HYPER_TYPES:
            raise _inval("Hypervisor parameters given for unknown hypervisor '%s'", hv_name)
        if hv_name not in hvs:
            continue
        filled = objects.fill_dict(constants.HVC_DEFAULTS.get(hv_name, {}), hv_params)
        try:
            hypervisor.get_hypervisor_class(hv_name).check_parameter_syntax(filled)
        except errors.HypervisorError as err:
            raise _inval("Invalid hypervisor parameters for %s: %s", hv_name, err) from None
    return hvs


def _check_disk_templates(params: InitParams) -> list[str]:
    templates = list(
        params.enabled_disk_templates
        if params.enabled_disk_templates is not None
        else constants.DEFAULT_ENABLED_DISK_TEMPLATES
    )
    if not templates:
        raise _inval("At least one disk template must be enabled")
    unknown = [t for t in templates if t not in constants.DISK_TEMPLATES]
    if unknown:
        raise _inval(
            "Unknown disk template(s) %s; valid ones are %s",
            ", ".join(unknown),
            ", ".join(sorted(constants.DISK_TEMPLATES)),
        )
    if len(set(templates)) != len(templates):
        raise _inval("Disk templates listed more than once: %s", ",".join(templates))
    return templates


def _check_storage_dir(
    path: str | None, default: str, template: str, templates: list[str], what: str
) -> str:
    """The storage directory to record; created and checked when in use."""
    path = path or default
    if template not in templates:
        return path
    if not os.path.isabs(path):
        raise _inval("The %s storage directory '%s' must be an absolute path", what, path)
    from ganeti import backend_verify

    allowed = backend_verify._allowed_storage_paths()  # noqa: SLF001
    norm = os.path.normpath(path)
    if not any(norm == a.rstrip("/") or norm.startswith(a.rstrip("/") + "/") for a in allowed):
        raise errors.OpPrereqError(
            "The %s storage directory '%s' is not allowed: list it (or a directory above"
            " it) in %s on every node" % (what, path, pathutils.FILE_STORAGE_PATHS_FILE),
            errors.ECODE_ENVIRON,
        )
    try:
        os.makedirs(path, 0o750, exist_ok=True)
    except OSError as err:
        raise errors.OpPrereqError(
            "Cannot create %s storage directory '%s': %s" % (what, path, err.strerror),
            errors.ECODE_ENVIRON,
        ) from None
    return path


def _check_params(params: InitParams) -> None:
    from ganeti import cli_opts

    if params.mac_prefix and not _valid_mac_prefix(params.mac_prefix):
        raise _inval("Invalid mac prefix given '%s'", params.mac_prefix)
    if params.candidate_pool_size < 1:
        raise _inval("Candidate pool size must be at least 1")
    for name, value, types in (
        ("backend", params.beparams, constants.BES_PARAMETER_TYPES),
        ("nic", params.nicparams, constants.NICS_PARAMETER_TYPES),
        ("node", params.ndparams, constants.NDS_PARAMETER_TYPES),
    ):
        if value:
            try:
                cli_opts.convert_param_types(value, types)
            except errors.TypeEnforcementError as err:
                raise _inval("Invalid %s parameters: %s", name, err) from None
    if params.nicparams:
        mode = params.nicparams.get(constants.NIC_MODE)
        if mode is not None and mode not in constants.NIC_VALID_MODES:
            raise _inval("Invalid NIC mode '%s'", mode)
    for template, dparams in (params.diskparams or {}).items():
        if template not in constants.DISK_TEMPLATES:
            raise _inval("Disk parameters given for unknown disk template '%s'", template)
        types = constants.DISK_DT_TYPES
        try:
            cli_opts.convert_param_types(dparams, types)
        except errors.TypeEnforcementError as err:
            raise _inval("Invalid disk parameters for %s: %s", template, err) from None
    if params.primary_ip_version not in (constants.IP4_VERSION, constants.IP6_VERSION):
        raise _inval("Invalid primary IP version %s", params.primary_ip_version)
    if params.ssh_key_type not in constants.SSHK_ALL:
        raise _inval("Invalid SSH key type '%s'", params.ssh_key_type)


def _valid_mac_prefix(prefix: str) -> bool:
    parts = prefix.lower().split(":")
    return len(parts) == 3 and all(
        len(p) == 2 and all(c in "0123456789abcdef" for c in p) for p in parts
    )


def _host_key_lines(names: str) -> tuple[str, str, list[str]]:
    """(rsa key, dsa key, known_hosts lines under ``names``) of this node's
    SSH host keys."""
    rsa = dsa = ""
    lines = []
    for key_type in ("rsa", "dsa", "ecdsa", "ed25519"):
        path = os.path.join(pathutils.SSH_CONFIG_DIR, "ssh_host_%s_key.pub" % key_type)
        try:
            fields = uio.read_file(path).split()
        except OSError:
            continue
        if len(fields) < 2:
            continue
        lines.append("%s %s %s" % (names, fields[0], fields[1]))
        if key_type == "rsa":
            rsa = fields[1]
        elif key_type == "dsa":
            dsa = fields[1]
    return rsa, dsa, lines


def write_known_hosts(lines: list[str]) -> None:
    """Writes the cluster's SSH known_hosts file."""
    os.makedirs(os.path.dirname(pathutils.SSH_KNOWN_HOSTS_FILE), exist_ok=True)
    uio.write_file(
        pathutils.SSH_KNOWN_HOSTS_FILE,
        "".join(line + "\n" for line in lines),
        mode=0o644,
    )


def add_to_etc_hosts(ip: str, name: str, aliases: list[str]) -> bool:
    """Adds ``ip name aliases`` to /etc/hosts unless already there; True if written."""
    path = pathutils.ETC_HOSTS
    try:
        lines = uio.read_file(path).splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if fields and fields[0] == ip and name in fields[1:]:
            return False
    lines.append(" ".join([ip, name] + [a for a in aliases if a != name]))
    data = "".join(line + "\n" for line in lines)
    try:
        uio.write_file(path, data, mode=0o644)
    except OSError:
        # /etc/hosts may be a bind mount, which a rename cannot replace
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(data)
    return True


def _setup_root_ssh(node_uuid: str, key_type: str, key_bits: int | None) -> None:
    """Makes root's SSH key the cluster key (see ``ssh.init_ssh_setup``)."""
    from ganeti import ssh

    ssh.init_ssh_setup(node_uuid, key_type, key_bits)


def build_initial_config(
    params: InitParams,
    cluster_name: str,
    master_ip: str,
    node_name: str,
    node_ip: str,
    hvs: list[str],
    templates: list[str],
    client_digest: str,
    rsa_key: str = "",
    dsa_key: str = "",
) -> objects.ConfigData:
    """The configuration of a new one-node cluster (not yet written)."""
    now = time.time()
    cluster_uuid, node_uuid, group_uuid = (utext.new_uuid() for _ in range(3))
    family = (
        socket.AF_INET6 if params.primary_ip_version == constants.IP6_VERSION else socket.AF_INET
    )
    netmask = params.master_netmask
    if netmask is None:
        netmask = 128 if family == socket.AF_INET6 else 32
    hvparams = {}
    for hv_name, defaults in constants.HVC_DEFAULTS.items():
        hvparams[hv_name] = objects.fill_dict(defaults, (params.hvparams or {}).get(hv_name))
    ipolicy = objects.fill_ipolicy(constants.IPOLICY_DEFAULTS, params.ipolicy or {})
    cluster = objects.Cluster(
        serial_no=1,
        rsahostkeypub=rsa_key,
        dsahostkeypub=dsa_key,
        highest_used_port=constants.FIRST_DRBD_PORT - 1,
        mac_prefix=params.mac_prefix,
        volume_group_name=params.vg_name,
        tcpudp_port_pool=set(),
        master_ip=master_ip,
        master_netdev=params.master_netdev,
        master_netmask=netmask,
        cluster_name=cluster_name,
        file_storage_dir=params.file_storage_dir,
        shared_file_storage_dir=params.shared_file_storage_dir,
        gluster_storage_dir=params.gluster_storage_dir,
        enabled_hypervisors=hvs,
        beparams={constants.PP_DEFAULT: objects.fill_dict(constants.BEC_DEFAULTS, params.beparams)},
        nicparams={
            constants.PP_DEFAULT: objects.fill_dict(constants.NICC_DEFAULTS, params.nicparams)
        },
        ndparams=objects.fill_dict(constants.NDC_DEFAULTS, params.ndparams),
        hvparams=hvparams,
        diskparams=objects.fill_disk_params(constants.DISK_DT_DEFAULTS, params.diskparams or {}),
        candidate_pool_size=params.candidate_pool_size,
        modify_etc_hosts=params.modify_etc_hosts,
        modify_ssh_setup=params.modify_ssh_setup,
        uid_pool=list(params.uid_pool or []),
        maintain_node_health=params.maintain_node_health,
        drbd_usermode_helper=params.drbd_helper,
        default_iallocator=params.default_iallocator or "",
        default_iallocator_params=dict(params.default_iallocator_params or {}),
        primary_ip_family=family,
        prealloc_wipe_disks=params.prealloc_wipe_disks,
        use_external_mip_script=params.use_external_mip_script,
        ipolicy=ipolicy,
        hv_state_static=dict(params.hv_state or {}),
        disk_state_static=dict(params.disk_state or {}),
        enabled_disk_templates=templates,
        candidate_certs={node_uuid: client_digest},
        max_running_jobs=constants.DEFAULT_MAX_RUNNING_JOBS,
        max_tracked_jobs=constants.DEFAULT_MAX_TRACKED_JOBS,
        install_image=params.install_image,
        instance_communication_network="",
        zeroing_image=params.zeroing_image,
        compression_tools=list(params.compression_tools or constants.IEC_DEFAULT_TOOLS),
        enabled_user_shutdown=params.enabled_user_shutdown,
        ssh_key_type=params.ssh_key_type,
        ssh_key_bits=params.ssh_key_bits or _default_key_bits(params.ssh_key_type),
        ctime=now,
        mtime=now,
        uuid=cluster_uuid,
        tags=set(),
    )
    cluster.master_node = node_uuid
    node = objects.Node(
        name=node_name,
        primary_ip=node_ip,
        secondary_ip=params.secondary_ip or node_ip,
        serial_no=1,
        master_candidate=True,
        offline=False,
        drained=False,
        group=group_uuid,
        master_capable=True,
        vm_capable=True,
        ndparams={},
        powered=True,
        ctime=now,
        mtime=now,
        uuid=node_uuid,
        tags=set(),
    )
    group = objects.NodeGroup(
        name=constants.INITIAL_NODE_GROUP_NAME,
        uuid=group_uuid,
        members=[],
        ndparams={},
        diskparams={},
        ipolicy={},
        alloc_policy=constants.ALLOC_POLICY_PREFERRED,
        networks={},
        serial_no=1,
        ctime=now,
        mtime=now,
        tags=set(),
    )
    data = objects.ConfigData(
        version=constants.CONFIG_VERSION,
        cluster=cluster,
        nodes={node_uuid: node},
        nodegroups={group_uuid: group},
        instances={},
        networks={},
        disks={},
        filters={},
        serial_no=1,
        ctime=now,
        mtime=now,
    )
    data.upgrade_config()
    return data


def _default_key_bits(key_type: str) -> int:
    return {constants.SSHK_RSA: 2048, constants.SSHK_DSA: 1024, constants.SSHK_ECDSA: 384}.get(
        key_type, 256
    )


def write_initial_config(data: objects.ConfigData) -> None:
    """Writes the first config.data (refuses to overwrite an existing one)."""
    from ganeti import config

    path = pathutils.CLUSTER_CONF_FILE
    if os.path.exists(path):
        raise errors.OpPrereqError("Cluster is already initialised", errors.ECODE_STATE)
    os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
    uio.write_file(path, serializer.dump_bytes(data.to_dict()), mode=config.CONFIG_FILE_MODE)


def _daemon_util() -> str:
    from ganeti import backend

    return backend._daemon_util()  # noqa: SLF001


def restart_node_daemon() -> None:
    """(Re)starts this node's ganeti-noded so it serves the current certificates."""
    util = _daemon_util()
    uproc.run_cmd([util, "stop", constants.NODED], timeout=60)
    result = uproc.run_cmd([util, "start", constants.NODED], timeout=60)
    if result.failed:
        raise errors.OpExecError(
            "Could not start the node daemon: %s" % (result.output.strip() or result.fail_reason)
        )


def wait_for_node_daemon(runner: Any, node: str, timeout: float = DAEMON_START_TIMEOUT) -> None:
    """Waits until ``node``'s node daemon answers a version call."""
    last: list[str] = ["no answer"]

    def check() -> None:
        res = runner.call_version([node])[node]
        if res.fail_msg:
            last[0] = res.fail_msg
            raise RetryAgain()

    try:
        retry(check, (0.05, 1.5, 0.5), timeout)
    except RetryTimeout:
        raise errors.OpExecError(
            "Node daemon on %s didn't answer queries within %s seconds: %s"
            % (node, timeout, last[0])
        ) from None


def wait_for_master_daemon(timeout: float = DAEMON_START_TIMEOUT) -> None:
    """Waits until the local master daemon answers luxi calls."""
    from ganeti import luxi

    def check() -> None:
        try:
            luxi.Client().QueryClusterInfo()
        except (errors.GenericError, OSError):
            raise RetryAgain() from None

    try:
        retry(check, (0.05, 1.5, 0.5), timeout)
    except RetryTimeout:
        raise errors.OpExecError(
            "Master daemon didn't answer queries within %s seconds" % timeout
        ) from None


def init_cluster(params: InitParams, feedback_fn: FeedbackFn | None = None) -> str:
    """Creates a one-node cluster with this node as master; returns the
    cluster's (resolved) name.

    Everything that can be checked is checked before anything is written;
    with ``params.start_daemons`` the node daemon, the master daemon and
    the master IP are brought up at the end.
    """
    check_not_initialized()
    _check_params(params)
    hvs = _check_hypervisors(params)
    templates = _check_disk_templates(params)
    family = (
        socket.AF_INET6 if params.primary_ip_version == constants.IP6_VERSION else socket.AF_INET
    )
    host = resolve_my_hostname(family)
    try:
        cluster_host = unet.HostInfo.resolve(params.cluster_name, family)
    except errors.ResolverError:
        raise errors.OpPrereqError(
            "Cannot resolve cluster name '%s'; it must resolve to the master IP address"
            % params.cluster_name,
            errors.ECODE_RESOLVER,
        ) from None
    if cluster_host.ip == host.ip:
        raise errors.OpPrereqError(
            "The cluster name '%s' resolves to this node's own address %s; the master IP"
            " must be a separate address" % (params.cluster_name, host.ip),
            errors.ECODE_INVAL,
        )
    if params.secondary_ip:
        if not unet.is_valid_ip(params.secondary_ip):
            raise _inval("Invalid secondary IP address '%s'", params.secondary_ip)
        if not unet.owns_ip(params.secondary_ip):
            raise errors.OpPrereqError(
                "You gave %s as secondary IP, but it does not belong to this host"
                % params.secondary_ip,
                errors.ECODE_ENVIRON,
            )
    max_mask = 128 if family == socket.AF_INET6 else 32
    if params.master_netmask is not None and not 0 < params.master_netmask <= max_mask:
        raise _inval(
            "Invalid master netmask %s (must be between 1 and %d)", params.master_netmask, max_mask
        )
    if not params.use_external_mip_script and not netdev_exists(params.master_netdev):
        raise errors.OpPrereqError(
            "Master network device '%s' does not exist on this node (use --master-netdev)"
            % params.master_netdev,
            errors.ECODE_INVAL,
        )
    params.file_storage_dir = _check_storage_dir(
        params.file_storage_dir,
        pathutils.DEFAULT_FILE_STORAGE_DIR,
        constants.DT_FILE,
        templates,
        "file",
    )
    params.shared_file_storage_dir = _check_storage_dir(
        params.shared_file_storage_dir,
        pathutils.DEFAULT_SHARED_FILE_STORAGE_DIR,
        constants.DT_SHARED_FILE,
        templates,
        "shared file",
    )
    params.gluster_storage_dir = params.gluster_storage_dir or pathutils.DEFAULT_GLUSTER_STORAGE_DIR
    if set(templates) & constants.DTS_LVM:
        _check_volume_group(params)

    # the slow checks and the key generation run side by side
    in_use: list[bool] = []
    probe = threading.Thread(
        target=lambda: in_use.append(address_in_use(cluster_host.ip)), daemon=True
    )
    probe.start()
    client_digest = generate_cluster_crypto(host.name, feedback_fn=feedback_fn)
    probe.join()
    if in_use and in_use[0]:
        remove_crypto_files()
        raise errors.OpPrereqError(
            "Cluster IP %s is already in use (something answers there); choose another"
            " cluster name" % cluster_host.ip,
            errors.ECODE_NOTUNIQUE,
        )

    rsa_key, dsa_key, known_hosts = _host_key_lines("%s,%s" % (host.name, host.ip))
    data = build_initial_config(
        params,
        cluster_host.name,
        cluster_host.ip,
        host.name,
        host.ip,
        hvs,
        templates,
        client_digest,
        rsa_key,
        dsa_key,
    )
    master_uuid = data.cluster.master_node
    if params.modify_ssh_setup:
        _setup_root_ssh(master_uuid, params.ssh_key_type, data.cluster.ssh_key_bits)
    if params.modify_etc_hosts:
        add_to_etc_hosts(host.ip, host.name, host.aliases)
    write_known_hosts(known_hosts)
    write_initial_config(data)
    _log(feedback_fn, "Configuration written to %s", pathutils.CLUSTER_CONF_FILE)

    from ganeti import config

    cfg = config.ConfigWriter(offline=True, accept_foreign=True)
    ssconf.SimpleStore().write_files(cfg.get_ssconf_values())
    if not params.start_daemons:
        return cluster_host.name

    restart_node_daemon()
    runner = make_runner(config_resolver(cfg))
    wait_for_node_daemon(runner, host.name)
    # the master IP (with its duplicate address detection) comes up while
    # the master daemon starts
    ip_result = _in_background(
        runner.call_node_activate_master_ip,
        host.name,
        master_params(cfg),
        params.use_external_mip_script,
    )
    result = runner.call_node_start_master_daemons(host.name, True)
    if result.fail_msg:
        raise errors.OpExecError("Could not start the master daemon: %s" % result.fail_msg)
    result = ip_result()
    if result.fail_msg:
        _log(feedback_fn, "Warning: could not activate the master IP: %s", result.fail_msg)
    wait_for_master_daemon()
    return cluster_host.name


def _check_volume_group(params: InitParams) -> None:
    from ganeti import backend

    vg_name = params.vg_name or constants.DEFAULT_VG
    try:
        vgs = backend.list_volume_groups()
    except backend.RPCFail as err:
        raise errors.OpPrereqError(
            "Cannot list volume groups (needed by the enabled LVM disk templates): %s" % err,
            errors.ECODE_ENVIRON,
        ) from None
    if vg_name not in vgs:
        raise errors.OpPrereqError(
            "Volume group '%s' missing; create it, give another one with --vg-name, or"
            " enable other disk templates with --enabled-disk-templates" % vg_name,
            errors.ECODE_ENVIRON,
        )
    params.vg_name = vg_name


# --- destroy ----------------------------------------------------------------------


def finalize_cluster_destroy(master_uuid: str, feedback_fn: FeedbackFn | None = None) -> list[str]:
    """The steps after OP_CLUSTER_DESTROY: master IP down, master daemons
    stopped, and this node leaves the cluster (its node daemon exits).

    Returns warnings; the caller reports them.
    """
    from ganeti import config

    cfg = config.ConfigWriter(offline=True, accept_foreign=True)
    modify_ssh_setup = cfg.get_cluster_info().modify_ssh_setup
    ems = cfg.get_cluster_info().use_external_mip_script
    node = cfg.get_node_info(master_uuid)
    if node is None:
        raise errors.OpPrereqError("Unknown master node %s" % master_uuid, errors.ECODE_NOENT)
    runner = make_runner(config_resolver(cfg))
    warnings = []
    result = runner.call_node_deactivate_master_ip(node.name, master_params(cfg), ems)
    if result.fail_msg:
        warnings.append("Could not disable the master role: %s" % result.fail_msg)
    result = runner.call_node_stop_master(node.name)
    if result.fail_msg:
        warnings.append("Could not stop the master daemons: %s" % result.fail_msg)
    result = runner.call_node_leave_cluster(node.name, modify_ssh_setup)
    if result.fail_msg:
        warnings.append(
            "Could not shutdown the node daemon and cleanup the node: %s" % result.fail_msg
        )
    for msg in warnings:
        logging.warning("%s", msg)
        if feedback_fn:
            feedback_fn("Warning: %s" % msg)
    return warnings


# --- master voting ------------------------------------------------------------------


def gather_master_votes(
    node_names: list[str], runner: Any = None, myself: str | None = None
) -> list[tuple[str | None, int]]:
    """Asks every other node who the master is.

    Returns ``[(master name or None, votes), ...]``, most votes first;
    ``None`` collects the nodes that did not answer.  An empty list means
    there is nobody else to ask (a one-node cluster).
    """
    from ganeti.rpc import master as rpc_master

    myself = myself or my_hostname()
    others = [name for name in node_names if name != myself]
    if not others:
        return []
    votes = rpc_master.gather_master_votes(runner or make_runner(), others)
    return sorted(votes.items(), key=lambda item: (-item[1], item[0] is None, item[0] or ""))


# --- master failover ------------------------------------------------------------------


def _wait_master_ip(ip: str, expected: bool, timeout: float) -> bool:
    def check() -> None:
        if address_in_use(ip, timeout=0.5) != expected:
            raise RetryAgain()

    try:
        retry(check, (0.1, 1.5, 2.0), timeout)
    except RetryTimeout:
        return False
    return True


def master_failover(
    no_voting: bool = False,
    feedback_fn: FeedbackFn | None = None,
    ip_timeout: float = MASTER_IP_TIMEOUT,
) -> tuple[int, list[str]]:
    """Makes this node the master; returns (exit code, warnings).

    Run on the node that is to become master.  Unless ``no_voting``, the
    other nodes must agree on who the current master is.  The new master
    is recorded in config.data (pushed to the master candidates, ssconf to
    every node), the old master's IP and daemons are stopped, then this
    node's master daemons start and the master IP comes up here.
    """
    from ganeti import config

    store = ssconf.SimpleStore()
    try:
        old_master = store.get_master_node()
        node_names = store.get_node_list()
        candidates = store.get_master_candidates()
    except errors.ConfigurationError as err:
        raise errors.OpPrereqError(
            "This node is not part of a cluster (%s)" % err, errors.ECODE_ENVIRON
        ) from None
    new_master = my_hostname()
    if new_master not in node_names:
        short = [n for n in node_names if n.split(".")[0] == new_master.split(".")[0]]
        if len(short) == 1:
            new_master = short[0]
    if old_master == new_master:
        raise errors.OpPrereqError(
            "This command must be run on the node where you want the new master to be;"
            " %s is already the master" % old_master,
            errors.ECODE_INVAL,
        )
    if new_master not in candidates:
        others = [name for name in candidates if name != old_master]
        raise errors.OpPrereqError(
            "This node is not among the nodes marked as master candidates; only these"
            " nodes are: %s" % (", ".join(others) or "(none)"),
            errors.ECODE_STATE,
        )
    if not no_voting:
        _log(feedback_fn, "Asking the other nodes who the master is")
        votes = gather_master_votes(node_names, myself=new_master)
        if votes:
            voted = votes[0][0]
            if voted is None:
                raise errors.OpPrereqError(
                    "Cluster is inconsistent, most nodes did not respond", errors.ECODE_ENVIRON
                )
            if voted != old_master:
                raise errors.OpPrereqError(
                    "I have a wrong configuration, I believe the master is %s but the other"
                    " nodes voted %s; please resync the configuration of this node"
                    % (old_master, voted),
                    errors.ECODE_STATE,
                )

    warnings: list[str] = []
    try:
        cfg = config.ConfigWriter(accept_foreign=True)
    except errors.ConfigurationError as err:
        raise errors.OpPrereqError(
            "Cannot read the configuration on this node: %s" % err, errors.ECODE_ENVIRON
        ) from None
    old_node = cfg.get_node_info_by_name(old_master)
    new_node = cfg.get_node_info_by_name(new_master)
    if old_node is None:
        raise errors.OpPrereqError(
            "Could not find old master node '%s' in cluster configuration" % old_master,
            errors.ECODE_NOENT,
        )
    if new_node is None:
        raise errors.OpPrereqError(
            "Could not find this node '%s' in cluster configuration" % new_master,
            errors.ECODE_NOENT,
        )
    from ganeti.rpc import master as rpc_master

    runner = make_runner(config_resolver(cfg))
    cfg.set_save_hook(rpc_master.ConfigDistributor(cfg, runner))
    old_params = master_params(cfg)
    ems = cfg.get_cluster_info().use_external_mip_script
    _log(feedback_fn, "Setting master to %s, old master: %s", new_master, old_master)
    cluster = cfg.get_cluster_info()
    cluster.master_node = new_node.uuid
    try:
        cfg.update(cluster, feedback_fn=logging.error)
    except errors.ConfigurationError as err:
        raise errors.OpExecError("Error while trying to set the new master: %s" % err) from None
    cfg.set_save_hook(None)

    _log(feedback_fn, "Stopping the master daemon on node %s", old_master)
    result = runner.call_node_deactivate_master_ip(old_node.name, old_params, ems)
    if result.fail_msg:
        warnings.append("Could not disable the master IP: %s" % result.fail_msg)
    result = runner.call_node_stop_master(old_node.name)
    if result.fail_msg:
        warnings.append(
            "Could not disable the master role on the old master %s, please disable"
            " manually: %s" % (old_master, result.fail_msg)
        )
    master_ip = cluster.master_ip
    if not _wait_master_ip(master_ip, False, ip_timeout):
        warnings.append(
            "The master IP is still reachable after %s seconds, continuing but activating"
            " the master IP on the current node will probably fail" % ip_timeout
        )

    rcode = constants.EXIT_SUCCESS
    _log(feedback_fn, "Starting the master daemons on the new master")
    ip_result = _in_background(
        runner.call_node_activate_master_ip, new_node.name, master_params(cfg), ems
    )
    result = runner.call_node_start_master_daemons(new_node.name, no_voting)
    if result.fail_msg:
        logging.error(
            "Could not start the master role on the new master %s: %s", new_master, result.fail_msg
        )
        warnings.append(
            "Could not start the master role on the new master %s, please check: %s"
            % (new_master, result.fail_msg)
        )
        rcode = constants.EXIT_FAILURE
    result = ip_result()
    if result.fail_msg:
        warnings.append(
            "Could not activate the master IP on %s: %s" % (new_master, result.fail_msg)
        )
    if not _wait_master_ip(master_ip, True, ip_timeout):
        warnings.append(
            "The master IP did not come up within %s seconds; the cluster should still be"
            " working and reachable via %s, but not via the master IP address"
            % (ip_timeout, new_master)
        )
    logging.info("Master failed over from %s to %s", old_master, new_master)
    for msg in warnings:
        logging.warning("%s", msg)
    return rcode, warnings
