"""The table of node RPC procedures (Ganeti 3.0's set), as data.

Owns, for every procedure: its name, whether it targets one node or many,
its read timeout (a class from constants.RPC_TMO_* or a function of the
arguments), its positional argument names with their encoders, the Ganeti
client class it belongs to, and whether offline nodes are still called.
It must never do I/O: ``rpc.client`` turns rows into calls, noded's
dispatch table implements them.  A new procedure is a new row here plus a
backend function and a noded entry.
"""

from dataclasses import dataclass
from typing import Any, Callable

from ganeti import constants

SINGLE = "single"
MULTI = "multi"

# client classes (as Ganeti groups them)
CL_DEFAULT = "default"
CL_JOBQUEUE = "jobqueue"
CL_BOOTSTRAP = "bootstrap"
CL_DNSONLY = "dnsonly"
CL_CONFIG = "config"

# argument encoders; rpc.encoding implements the generic ones, the master
# passes config-aware ones (instances, disks) to RpcRunner(encoders=...)
ED_OBJECT_DICT = "object_dict"
ED_OBJECT_DICT_LIST = "object_dict_list"
ED_INST_DICT = "inst_dict"
ED_INST_DICT_HVP_BEP_DP = "inst_dict_hvp_bep_dp"
ED_NODE_TO_DISK_DICT_DP = "node_to_disk_dict_dp"
ED_INST_DICT_OSP_DP = "inst_dict_osp_dp"
ED_IMPEXP_IO = "impexp_io"
ED_FILE_DETAILS = "file_details"
ED_FINALIZE_EXPORT_DISKS = "finalize_export_disks"
ED_COMPRESS = "compress"
ED_BLOCKDEV_RENAME = "blockdev_rename"
ED_DISKS_DICT_DP = "disks_dict_dp"
ED_MULTI_DISKS_DICT_DP = "multi_disks_dict_dp"
ED_SINGLE_DISK_DICT_DP = "single_disk_dict_dp"
ED_NIC_DICT = "nic_dict"
ED_DEVICE_DICT = "device_dict"

ALL_ENCODERS = frozenset(
    [
        ED_OBJECT_DICT,
        ED_OBJECT_DICT_LIST,
        ED_INST_DICT,
        ED_INST_DICT_HVP_BEP_DP,
        ED_NODE_TO_DISK_DICT_DP,
        ED_INST_DICT_OSP_DP,
        ED_IMPEXP_IO,
        ED_FILE_DETAILS,
        ED_FINALIZE_EXPORT_DISKS,
        ED_COMPRESS,
        ED_BLOCKDEV_RENAME,
        ED_DISKS_DICT_DP,
        ED_MULTI_DISKS_DICT_DP,
        ED_SINGLE_DISK_DICT_DP,
        ED_NIC_DICT,
        ED_DEVICE_DICT,
    ]
)

TMO_URGENT = constants.RPC_TMO_URGENT
TMO_FAST = constants.RPC_TMO_FAST
TMO_NORMAL = constants.RPC_TMO_NORMAL
TMO_SLOW = constants.RPC_TMO_SLOW
TMO_4HRS = constants.RPC_TMO_4HRS
TMO_1DAY = constants.RPC_TMO_1DAY


@dataclass(frozen=True)
class RpcArg:
    """One positional argument: its name and encoder (None = sent as is)."""

    name: str
    encoder: str | None = None


@dataclass(frozen=True)
class RpcCall:
    """One procedure.

    ``timeout`` is seconds or ``fn(*args) -> seconds``; ``prep``, when set,
    builds each node's argument list as ``prep(node, encoded_args)``;
    ``postproc`` maps a successful payload.
    """

    name: str
    kind: str
    timeout: int | Callable[..., int]
    args: tuple[RpcArg, ...]
    client: str
    accept_offline: bool = False
    prep: Callable[[str, list], list] | None = None
    postproc: Callable[[Any], Any] | None = None

    def read_timeout(self, args: tuple | list) -> int:
        """The read timeout of a call with ``args`` (raw, not encoded)."""
        if callable(self.timeout):
            return int(self.timeout(*args))
        return int(self.timeout)


def _test_delay_timeout(duration: float) -> int:
    return int(duration + 5)


def _args(spec: str) -> tuple[RpcArg, ...]:
    out = []
    for item in spec.split():
        name, _, enc = item.partition(":")
        if enc and enc not in ALL_ENCODERS:
            raise ValueError("unknown encoder %s in %s" % (enc, spec))
        out.append(RpcArg(name, enc or None))
    return tuple(out)


_S, _M = SINGLE, MULTI

# (name, kind, timeout, "arg[:encoder] ...", client[, accept_offline])
_TABLE: list[tuple] = [
    # RpcClientDefault
    (
        "import_start",
        _S,
        TMO_NORMAL,
        "opts:object_dict instance:inst_dict component dest:impexp_io",
        CL_DEFAULT,
    ),
    (
        "export_start",
        _S,
        TMO_NORMAL,
        "opts:object_dict host port instance:inst_dict component source:impexp_io",
        CL_DEFAULT,
    ),
    ("impexp_status", _S, TMO_FAST, "names", CL_DEFAULT),
    ("impexp_abort", _S, TMO_NORMAL, "name", CL_DEFAULT),
    ("impexp_cleanup", _S, TMO_NORMAL, "name", CL_DEFAULT),
    ("export_info", _S, TMO_FAST, "path", CL_DEFAULT),
    (
        "finalize_export",
        _S,
        TMO_NORMAL,
        "instance:inst_dict snap_disks:finalize_export_disks",
        CL_DEFAULT,
    ),
    ("export_list", _M, TMO_FAST, "", CL_DEFAULT),
    ("export_remove", _S, TMO_FAST, "export", CL_DEFAULT),
    ("x509_cert_create", _S, TMO_NORMAL, "validity", CL_DEFAULT),
    ("x509_cert_remove", _S, TMO_NORMAL, "name", CL_DEFAULT),
    ("os_diagnose", _M, TMO_FAST, "", CL_DEFAULT),
    ("os_validate", _M, TMO_FAST, "required name checks params force_variant", CL_DEFAULT),
    ("os_export", _S, TMO_FAST, "instance:inst_dict override_env", CL_DEFAULT),
    ("node_has_ip_address", _S, TMO_FAST, "address", CL_DEFAULT),
    ("node_info", _M, TMO_URGENT, "storage_units hv_specs", CL_DEFAULT),
    ("node_verify", _M, TMO_NORMAL, "checkdict cluster_name all_hvparams", CL_DEFAULT),
    ("node_volumes", _M, TMO_FAST, "", CL_DEFAULT),
    ("node_demote_from_mc", _S, TMO_FAST, "", CL_DEFAULT),
    ("node_powercycle", _S, TMO_NORMAL, "hypervisor hvparams", CL_DEFAULT, True),
    ("node_configure_ovs", _S, TMO_NORMAL, "ovs_name ovs_link", CL_DEFAULT),
    ("node_crypto_tokens", _S, TMO_SLOW, "token_request", CL_DEFAULT),
    ("node_ensure_daemon", _M, TMO_URGENT, "daemon run", CL_DEFAULT),
    (
        "node_ssh_key_add",
        _M,
        TMO_FAST,
        "node_uuid node_name potential_master_candidates to_authorized_keys to_public_keys get_public_keys",
        CL_DEFAULT,
    ),
    (
        "node_ssh_key_remove",
        _M,
        TMO_FAST,
        "node_uuid node_name master_candidate_uuids potential_master_candidates from_authorized_keys"
        " from_public_keys clear_authorized_keys clear_public_keys readd",
        CL_DEFAULT,
    ),
    (
        "node_ssh_keys_renew",
        _M,
        TMO_4HRS,
        "node_uuids node_names master_candidate_uuids potential_master_candidates old_key_type"
        " new_key_type new_key_bits",
        CL_DEFAULT,
    ),
    ("file_storage_dir_create", _S, TMO_FAST, "file_storage_dir", CL_DEFAULT),
    ("file_storage_dir_remove", _S, TMO_FAST, "file_storage_dir", CL_DEFAULT),
    (
        "file_storage_dir_rename",
        _S,
        TMO_FAST,
        "old_file_storage_dir new_file_storage_dir",
        CL_DEFAULT,
    ),
    ("lv_list", _M, TMO_URGENT, "vg_name", CL_DEFAULT),
    ("vg_list", _M, TMO_URGENT, "", CL_DEFAULT),
    ("bridges_exist", _S, TMO_URGENT, "bridges_list", CL_DEFAULT),
    ("etc_hosts_modify", _S, TMO_NORMAL, "mode name ip", CL_DEFAULT),
    ("drbd_helper", _M, TMO_URGENT, "", CL_DEFAULT),
    ("restricted_command", _M, TMO_SLOW, "cmd", CL_DEFAULT),
    ("run_oob", _S, TMO_NORMAL, "oob_program command remote_node timeout", CL_DEFAULT),
    ("hooks_runner", _M, TMO_NORMAL, "hpath phase env", CL_DEFAULT),
    ("iallocator_runner", _S, TMO_NORMAL, "name idata default_iallocator_params", CL_DEFAULT),
    ("test_delay", _M, _test_delay_timeout, "duration", CL_DEFAULT),
    ("hypervisor_validate_params", _M, TMO_NORMAL, "hvname hvfull", CL_DEFAULT),
    ("get_watcher_pause", _S, TMO_URGENT, "", CL_DEFAULT),
    ("set_watcher_pause", _M, TMO_URGENT, "until", CL_DEFAULT),
    ("get_file_info", _S, TMO_FAST, "file_path", CL_DEFAULT),
    ("instance_info", _S, TMO_URGENT, "instance hname hvparams", CL_DEFAULT),
    ("all_instances_info", _M, TMO_URGENT, "hypervisor_list all_hvparams", CL_DEFAULT),
    ("instance_list", _M, TMO_URGENT, "hypervisor_list hvparams", CL_DEFAULT),
    (
        "instance_reboot",
        _S,
        TMO_NORMAL,
        "inst:inst_dict reboot_type shutdown_timeout reason",
        CL_DEFAULT,
    ),
    ("instance_shutdown", _S, TMO_NORMAL, "instance:inst_dict timeout reason", CL_DEFAULT),
    ("instance_balloon_memory", _S, TMO_NORMAL, "instance:inst_dict memory", CL_DEFAULT),
    ("instance_run_rename", _S, TMO_SLOW, "instance:inst_dict old_name debug", CL_DEFAULT),
    ("instance_migratable", _S, TMO_NORMAL, "instance:inst_dict", CL_DEFAULT),
    ("migration_info", _S, TMO_NORMAL, "instance:inst_dict", CL_DEFAULT),
    ("accept_instance", _S, TMO_NORMAL, "instance:inst_dict info target", CL_DEFAULT),
    (
        "instance_finalize_migration_dst",
        _S,
        TMO_NORMAL,
        "instance:inst_dict info success",
        CL_DEFAULT,
    ),
    ("instance_migrate", _S, TMO_SLOW, "cluster_name instance:inst_dict target live", CL_DEFAULT),
    (
        "instance_finalize_migration_src",
        _S,
        TMO_SLOW,
        "instance:inst_dict success live",
        CL_DEFAULT,
    ),
    ("instance_get_migration_status", _S, TMO_SLOW, "instance:inst_dict", CL_DEFAULT),
    (
        "instance_start",
        _S,
        TMO_NORMAL,
        "instance_hvp_bep:inst_dict_hvp_bep_dp startup_paused reason",
        CL_DEFAULT,
    ),
    ("instance_os_add", _S, TMO_1DAY, "instance_osp:inst_dict_osp_dp reinstall debug", CL_DEFAULT),
    (
        "hotplug_device",
        _S,
        TMO_NORMAL,
        "instance:inst_dict action dev_type device:device_dict extra seq",
        CL_DEFAULT,
    ),
    ("hotplug_supported", _S, TMO_NORMAL, "instance:inst_dict", CL_DEFAULT),
    ("instance_metadata_modify", _S, TMO_URGENT, "instance", CL_DEFAULT),
    ("bdev_sizes", _M, TMO_URGENT, "devices", CL_DEFAULT),
    (
        "blockdev_create",
        _S,
        TMO_NORMAL,
        "bdev:single_disk_dict_dp size owner on_primary info exclusive_storage",
        CL_DEFAULT,
    ),
    (
        "blockdev_convert",
        _S,
        TMO_SLOW,
        "bdev_src:single_disk_dict_dp bdev_dest:single_disk_dict_dp",
        CL_DEFAULT,
    ),
    ("blockdev_image", _S, TMO_SLOW, "bdev:single_disk_dict_dp image size", CL_DEFAULT),
    ("blockdev_wipe", _S, TMO_SLOW, "bdev:single_disk_dict_dp offset size", CL_DEFAULT),
    ("blockdev_remove", _S, TMO_NORMAL, "bdev:single_disk_dict_dp", CL_DEFAULT),
    ("blockdev_pause_resume_sync", _S, TMO_NORMAL, "disks:disks_dict_dp pause", CL_DEFAULT),
    (
        "blockdev_assemble",
        _S,
        TMO_NORMAL,
        "disk:single_disk_dict_dp instance:inst_dict on_primary idx",
        CL_DEFAULT,
    ),
    ("blockdev_shutdown", _S, TMO_NORMAL, "disk:single_disk_dict_dp", CL_DEFAULT),
    (
        "blockdev_addchildren",
        _S,
        TMO_NORMAL,
        "bdev:single_disk_dict_dp ndevs:disks_dict_dp",
        CL_DEFAULT,
    ),
    (
        "blockdev_removechildren",
        _S,
        TMO_NORMAL,
        "bdev:single_disk_dict_dp ndevs:disks_dict_dp",
        CL_DEFAULT,
    ),
    ("blockdev_close", _S, TMO_NORMAL, "instance_name disks:disks_dict_dp", CL_DEFAULT),
    ("blockdev_open", _S, TMO_NORMAL, "instance_name disks:disks_dict_dp exclusive", CL_DEFAULT),
    ("blockdev_getdimensions", _S, TMO_NORMAL, "disks:multi_disks_dict_dp", CL_DEFAULT),
    ("drbd_disconnect_net", _M, TMO_NORMAL, "disks:disks_dict_dp", CL_DEFAULT),
    ("drbd_attach_net", _M, TMO_NORMAL, "disks:disks_dict_dp multimaster", CL_DEFAULT),
    ("drbd_wait_sync", _M, TMO_SLOW, "disks:disks_dict_dp", CL_DEFAULT),
    ("drbd_needs_activation", _S, TMO_NORMAL, "disks:multi_disks_dict_dp", CL_DEFAULT),
    (
        "blockdev_grow",
        _S,
        TMO_NORMAL,
        "cf_bdev:single_disk_dict_dp amount dryrun backingstore es_flag",
        CL_DEFAULT,
    ),
    (
        "blockdev_snapshot",
        _S,
        TMO_NORMAL,
        "cf_bdev:single_disk_dict_dp snap_name snap_size",
        CL_DEFAULT,
    ),
    ("blockdev_rename", _S, TMO_NORMAL, "devlist:blockdev_rename", CL_DEFAULT),
    ("blockdev_find", _S, TMO_NORMAL, "disk:single_disk_dict_dp", CL_DEFAULT),
    ("blockdev_getmirrorstatus", _S, TMO_NORMAL, "disks:disks_dict_dp", CL_DEFAULT),
    (
        "blockdev_getmirrorstatus_multi",
        _M,
        TMO_NORMAL,
        "node_disks:node_to_disk_dict_dp",
        CL_DEFAULT,
    ),
    ("blockdev_setinfo", _S, TMO_NORMAL, "disk:single_disk_dict_dp info", CL_DEFAULT),
    ("storage_list", _M, TMO_NORMAL, "su_name su_args name fields", CL_DEFAULT),
    ("storage_modify", _S, TMO_NORMAL, "su_name su_args name changes", CL_DEFAULT),
    ("storage_execute", _S, TMO_NORMAL, "su_name su_args name op", CL_DEFAULT),
    ("extstorage_diagnose", _M, TMO_FAST, "", CL_DEFAULT),
    # RpcClientJobQueue
    ("jobqueue_update", _M, TMO_URGENT, "file_name content:compress", CL_JOBQUEUE),
    ("jobqueue_purge", _S, TMO_NORMAL, "", CL_JOBQUEUE),
    ("jobqueue_rename", _M, TMO_URGENT, "rename", CL_JOBQUEUE),
    ("jobqueue_set_drain_flag", _M, TMO_URGENT, "flag", CL_JOBQUEUE),
    # RpcClientBootstrap
    ("node_start_master_daemons", _S, TMO_FAST, "no_voting", CL_BOOTSTRAP),
    (
        "node_activate_master_ip",
        _S,
        TMO_FAST,
        "master_params:object_dict use_external_mip_script",
        CL_BOOTSTRAP,
    ),
    ("node_stop_master", _S, TMO_FAST, "", CL_BOOTSTRAP),
    (
        "node_deactivate_master_ip",
        _S,
        TMO_FAST,
        "master_params:object_dict use_external_mip_script",
        CL_BOOTSTRAP,
    ),
    (
        "node_change_master_netmask",
        _S,
        TMO_FAST,
        "old_netmask netmask master_ip master_netdev",
        CL_BOOTSTRAP,
    ),
    ("node_leave_cluster", _S, TMO_NORMAL, "modify_ssh_setup", CL_BOOTSTRAP),
    ("master_node_name", _M, TMO_URGENT, "", CL_BOOTSTRAP),
    # RpcClientDnsOnly
    ("version", _M, TMO_URGENT, "", CL_DNSONLY, True),
    ("node_verify_light", _M, TMO_NORMAL, "checkdict cluster_name hvparams", CL_DNSONLY),
    # RpcClientConfig
    ("upload_file", _M, TMO_NORMAL, "file_name:file_details", CL_CONFIG),
    (
        "upload_file_single",
        _M,
        TMO_NORMAL,
        "file_name content:compress mode uid gid atime mtime",
        CL_CONFIG,
    ),
    ("write_ssconf_files", _M, TMO_NORMAL, "values", CL_CONFIG),
]


def _build() -> dict[str, RpcCall]:
    calls = {}
    for row in _TABLE:
        name, kind, timeout, spec, client = row[:5]
        accept_offline = row[5] if len(row) > 5 else False
        if name in calls:
            raise ValueError("duplicate RPC procedure %s" % name)
        calls[name] = RpcCall(name, kind, timeout, _args(spec), client, accept_offline)
    return calls


#: every procedure, by name
CALLS: dict[str, RpcCall] = _build()


def get(name: str) -> RpcCall:
    """The definition of procedure ``name``; KeyError if unknown."""
    return CALLS[name]
