"""The options of gnt-cluster and their conversion to opcode parameters.

Owns every gnt-cluster-specific option (init, modify, verify, failover,
renew-crypto, command/copyfile) and the parsing of their values (uid
pools, instance policy specs, per-hypervisor and per-template parameter
groups, data collector settings).  It must never talk to the master:
``gnt_cluster`` does.
"""

from typing import Any

from ganeti import constants
from ganeti import errors
from ganeti.cli import cli_option


# --- options ---------------------------------------------------------------------------


def _opt(*args: Any, **kwargs: Any) -> Any:
    return cli_option(*args, **kwargs)


ENABLED_HV_OPT = _opt(
    "--enabled-hypervisors",
    dest="enabled_hypervisors",
    type="list",
    default=None,
    help="Comma-separated list of hypervisors (the first is the default)",
)
ENABLED_DISK_TEMPLATES_OPT = _opt(
    "--enabled-disk-templates",
    dest="enabled_disk_templates",
    type="list",
    default=None,
    help="Comma-separated list of disk templates the cluster may use",
)
MASTER_NETDEV_OPT = _opt(
    "--master-netdev",
    dest="master_netdev",
    default=None,
    metavar="NETDEV",
    help="Network device carrying the master IP",
)
MASTER_NETMASK_OPT = _opt(
    "--master-netmask",
    dest="master_netmask",
    type="int",
    default=None,
    metavar="NETMASK",
    help="Netmask (prefix length) of the master IP",
)
MAC_PREFIX_OPT = _opt(
    "-m",
    "--mac-prefix",
    dest="mac_prefix",
    default=None,
    metavar="PREFIX",
    help="MAC address prefix of new instances (three bytes, aa:00:00)",
)
VG_NAME_OPT = _opt(
    "--vg-name",
    dest="vg_name",
    default=None,
    metavar="VG",
    help="LVM volume group for plain and drbd disks",
)
FILE_STORAGE_DIR_OPT = _opt(
    "--file-storage-dir",
    dest="file_storage_dir",
    default=None,
    metavar="DIR",
    help="Directory for file-based instance disks",
)
SHARED_FILE_STORAGE_DIR_OPT = _opt(
    "--shared-file-storage-dir",
    dest="shared_file_storage_dir",
    default=None,
    metavar="DIR",
    help="Directory for shared-file instance disks",
)
GLUSTER_STORAGE_DIR_OPT = _opt(
    "--gluster-storage-dir",
    dest="gluster_storage_dir",
    default=None,
    metavar="DIR",
    help="Mount point of the Gluster volume",
)
CP_SIZE_OPT = _opt(
    "-C",
    "--candidate-pool-size",
    dest="candidate_pool_size",
    type="int",
    default=None,
    help="How many nodes should be master candidates",
)
NOETCHOSTS_OPT = _opt(
    "--no-etc-hosts",
    dest="modify_etc_hosts",
    action="store_false",
    default=True,
    help="Don't modify /etc/hosts",
)
NOSSH_INIT_OPT = _opt(
    "--no-ssh-init",
    dest="ssh_init",
    action="store_false",
    default=True,
    help="Don't initialize SSH keys",
)
MAINTAIN_NODE_HEALTH_OPT = _opt(
    "--maintain-node-health",
    dest="maintain_node_health",
    type="bool",
    default=None,
    metavar="yes|no",
    help="Let the watcher keep nodes healthy",
)
UIDPOOL_OPT = _opt(
    "--uid-pool", dest="uid_pool", default=None, help="User-id pool (e.g. 4000-4100,5000)"
)
ADD_UIDS_OPT = _opt("--add-uids", dest="add_uids", default=None, help="User ids to add")
REMOVE_UIDS_OPT = _opt("--remove-uids", dest="remove_uids", default=None, help="User ids to remove")
DRBD_HELPER_OPT = _opt(
    "--drbd-usermode-helper", dest="drbd_helper", default=None, help="DRBD usermode helper"
)
DEFAULT_IALLOCATOR_OPT = _opt(
    "-I",
    "--default-iallocator",
    dest="default_iallocator",
    default=None,
    metavar="NAME",
    help="Default instance allocator",
)
DEFAULT_IALLOCATOR_PARAMS_OPT = _opt(
    "--default-iallocator-params",
    dest="default_iallocator_params",
    type="keyval",
    default=None,
    help="Parameters of the default instance allocator",
)
PRIMARY_IP_VERSION_OPT = _opt(
    "--primary-ip-version",
    dest="primary_ip_version",
    type="int",
    default=constants.IP4_VERSION,
    metavar="4|6",
    help="IP version of the nodes' primary addresses",
)
PREALLOC_WIPE_DISKS_OPT = _opt(
    "--prealloc-wipe-disks",
    dest="prealloc_wipe_disks",
    type="bool",
    default=None,
    metavar="yes|no",
    help="Wipe disks before allocating them to instances",
)
USE_EXTERNAL_MIP_SCRIPT_OPT = _opt(
    "--use-external-mip-script",
    dest="use_external_mip_script",
    type="bool",
    default=None,
    metavar="yes|no",
    help="Use the external master IP setup script",
)
HV_STATE_OPT = _opt(
    "--hypervisor-state",
    dest="hv_state",
    type="identkeyval",
    action="append",
    default=[],
    help="Static hypervisor state",
)
DISK_STATE_OPT = _opt(
    "--disk-state",
    dest="disk_state",
    type="identkeyval",
    action="append",
    default=[],
    help="Static disk state",
)
INSTALL_IMAGE_OPT = _opt(
    "--install-image", dest="install_image", default=None, help="Image for safe OS installs"
)
ZEROING_IMAGE_OPT = _opt(
    "--zeroing-image", dest="zeroing_image", default=None, help="Image for zeroing disks"
)
COMPRESSION_TOOLS_OPT = _opt(
    "--compression-tools",
    dest="compression_tools",
    type="list",
    default=None,
    help="Compression tools allowed for instance moves",
)
USER_SHUTDOWN_OPT = _opt(
    "--user-shutdown",
    dest="enabled_user_shutdown",
    type="bool",
    default=None,
    metavar="yes|no",
    help="Allow instances to be shut down from inside",
)
SSH_KEY_TYPE_OPT = _opt(
    "--ssh-key-type",
    dest="ssh_key_type",
    default=None,
    choices=sorted(constants.SSHK_ALL),
    help="Type of the cluster's SSH key",
)
SSH_KEY_BITS_OPT = _opt(
    "--ssh-key-bits", dest="ssh_key_bits", type="int", default=None, help="Size of the SSH key"
)
MAX_RUNNING_JOBS_OPT = _opt(
    "--max-running-jobs", dest="max_running_jobs", type="int", default=None, help="Jobs run at once"
)
MAX_TRACKED_JOBS_OPT = _opt(
    "--max-tracked-jobs", dest="max_tracked_jobs", type="int", default=None, help="Jobs tracked"
)
INSTANCE_COMMUNICATION_NETWORK_OPT = _opt(
    "--instance-communication-network",
    dest="instance_communication_network",
    default=None,
    help="Network for instance communication",
)
RESERVED_LVS_OPT = _opt(
    "--reserved-lvs",
    dest="reserved_lvs",
    type="list",
    default=None,
    help="Logical volumes cluster verify ignores (regular expressions)",
)
MODIFY_ETCHOSTS_OPT = _opt(
    "--modify-etc-hosts",
    dest="modify_etc_hosts",
    type="bool",
    default=None,
    metavar="yes|no",
    help="Let Ganeti maintain /etc/hosts",
)
ENABLED_DATA_COLLECTORS_OPT = _opt(
    "--enabled-data-collectors",
    dest="enabled_data_collectors",
    type="keyval",
    default={},
    help="Data collectors to enable or disable (name=true|false,...)",
)
DATA_COLLECTOR_INTERVAL_OPT = _opt(
    "--data-collector-interval",
    dest="data_collector_interval",
    type="keyval",
    default={},
    help="Data collector intervals in seconds (name=seconds,...)",
)
IPOLICY_STD_SPECS_OPT = _opt(
    "--ipolicy-std-specs",
    dest="ipolicy_std_specs",
    type="keyval",
    default=None,
    help="Standard instance specs (memory-size=..,cpu-count=..,...)",
)
IPOLICY_BOUNDS_SPECS_OPT = _opt(
    "--ipolicy-bounds-specs",
    dest="ipolicy_bounds_specs",
    type="multilistidentkeyval",
    default=None,
    help="Instance spec bounds (min:k=v,.../max:k=v,...//...)",
)
IPOLICY_DISK_TEMPLATES_OPT = _opt(
    "--ipolicy-disk-templates",
    dest="ipolicy_disk_templates",
    type="list",
    default=None,
    help="Disk templates allowed by the instance policy",
)
IPOLICY_VCPU_RATIO_OPT = _opt(
    "--ipolicy-vcpu-ratio",
    dest="ipolicy_vcpu_ratio",
    type="maybefloat",
    default=None,
    help="Maximum virtual-to-physical CPU ratio",
)
IPOLICY_SPINDLE_RATIO_OPT = _opt(
    "--ipolicy-spindle-ratio",
    dest="ipolicy_spindle_ratio",
    type="maybefloat",
    default=None,
    help="Maximum instances-to-spindle ratio",
)
SPECS_OPTS = [
    _opt(
        "--specs-%s" % name,
        dest="specs_%s" % name.replace("-", "_"),
        type="keyval",
        default={},
        help="%s bounds and standard (min=..,max=..,std=..)" % name,
    )
    for name in ("cpu-count", "disk-count", "disk-size", "mem-size", "nic-count")
]
IPOLICY_OPTS = [
    IPOLICY_STD_SPECS_OPT,
    IPOLICY_BOUNDS_SPECS_OPT,
    IPOLICY_DISK_TEMPLATES_OPT,
    IPOLICY_VCPU_RATIO_OPT,
    IPOLICY_SPINDLE_RATIO_OPT,
] + SPECS_OPTS

ERROR_CODES_OPT = _opt(
    "--error-codes",
    dest="error_codes",
    action="store_true",
    default=False,
    help="Print machine-parseable error codes",
)
SIMULATE_ERRORS_OPT = _opt(
    "--debug-simulate-errors",
    dest="simulate_errors",
    action="store_true",
    default=False,
    help="Report every check as failed (for testing)",
)
NONPLUS1_OPT = _opt(
    "--no-nplus1-mem",
    dest="skip_nplusone_mem",
    action="store_true",
    default=False,
    help="Skip the N+1 memory redundancy check",
)
IGNORE_ERRORS_OPT = _opt(
    "-I",
    "--ignore-errors",
    dest="ignore_errors",
    action="append",
    default=[],
    choices=sorted(constants.CV_ALL_ECODES_STRINGS),
    help="Report this error code as a warning",
)
VERIFY_CLUTTER_OPT = _opt(
    "--verify-ssh-clutter",
    dest="verify_clutter",
    action="store_true",
    default=False,
    help="Check for stray entries in authorized_keys",
)
NOVOTING_OPT = _opt(
    "--no-voting",
    dest="no_voting",
    action="store_true",
    default=False,
    help="Skip asking the other nodes who the master is (dangerous)",
)
IGNORE_OFFLINE_NODES_OPT = _opt(
    "--ignore-offline-nodes",
    dest="ignore_offline_nodes",
    action="store_true",
    default=False,
    help="Accepted for compatibility: offline nodes never vote",
)
SHOW_MACHINE_NAMES_OPT = _opt(
    "-M",
    dest="show_machine_names",
    action="store_true",
    default=False,
    help="Prefix each output line with the node name",
)
FAILURE_ONLY_OPT = _opt(
    "--failure-only",
    dest="failure_only",
    action="store_true",
    default=False,
    help="Only show the output of failed commands",
)
USE_REPL_NET_OPT = _opt(
    "--use-replication-network",
    dest="use_replication_network",
    action="store_true",
    default=False,
    help="Copy over the secondary (replication) network",
)
NEW_CLUSTER_CERT_OPT = _opt(
    "--new-cluster-certificate",
    dest="new_cluster_cert",
    action="store_true",
    default=False,
    help="Generate a new cluster certificate",
)
NEW_RAPI_CERT_OPT = _opt(
    "--new-rapi-certificate",
    dest="new_rapi_cert",
    action="store_true",
    default=False,
    help="Generate a new self-signed RAPI certificate",
)
RAPI_CERT_OPT = _opt(
    "--rapi-certificate",
    dest="rapi_cert",
    default=None,
    help="File with the new RAPI certificate and key",
)
NEW_SPICE_CERT_OPT = _opt(
    "--new-spice-certificate",
    dest="new_spice_cert",
    action="store_true",
    default=False,
    help="Generate a new SPICE certificate",
)
SPICE_CERT_OPT = _opt(
    "--spice-certificate", dest="spice_cert", default=None, help="File with the SPICE certificate"
)
SPICE_CACERT_OPT = _opt(
    "--spice-ca-certificate",
    dest="spice_cacert",
    default=None,
    help="File with the CA of the SPICE certificate",
)
NEW_CONFD_HMAC_KEY_OPT = _opt(
    "--new-confd-hmac-key",
    dest="new_confd_hmac_key",
    action="store_true",
    default=False,
    help="Create a new HMAC key for confd",
)
NEW_CDS_OPT = _opt(
    "--new-cluster-domain-secret",
    dest="new_cluster_domain_secret",
    action="store_true",
    default=False,
    help="Create a new cluster domain secret",
)
CDS_OPT = _opt(
    "--cluster-domain-secret",
    dest="cluster_domain_secret",
    default=None,
    help="File with the new cluster domain secret",
)
NEW_NODE_CERT_OPT = _opt(
    "--new-node-certificates",
    dest="new_node_cert",
    action="store_true",
    default=False,
    help="Generate new client certificates for all nodes",
)
NEW_SSH_KEY_OPT = _opt(
    "--new-ssh-keys",
    dest="new_ssh_keys",
    action="store_true",
    default=False,
    help="Generate new SSH keys for all nodes",
)
NOSSH_KEYCHECK_OPT = _opt(
    "--no-ssh-key-check",
    dest="ssh_key_check",
    action="store_false",
    default=True,
    help="Don't check the nodes' SSH host keys",
)

# --- helpers -----------------------------------------------------------------------------


def parse_uid_pool(value: str | None) -> list[tuple[int, int]] | None:
    """``4000-4100,5000`` -> [(4000, 4100), (5000, 5000)]."""
    if value is None:
        return None
    ranges = []
    for part in value.replace(" ", "").split(","):
        if not part:
            continue
        low, sep, high = part.partition("-")
        try:
            lo = int(low)
            hi = int(high) if sep else lo
        except ValueError:
            raise errors.OpPrereqError(
                "Invalid user-id range '%s'" % part, errors.ECODE_INVAL
            ) from None
        if lo > hi:
            raise errors.OpPrereqError(
                "Invalid user-id range '%s' (start after end)" % part, errors.ECODE_INVAL
            )
        ranges.append((lo, hi))
    return ranges


def format_uid_pool(pool: Any) -> str:
    out = []
    for low, high in pool or []:
        out.append(str(low) if low == high else "%s-%s" % (low, high))
    return ", ".join(out)


def hvparams_list(values: list) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, params in values or []:
        if not isinstance(params, dict):
            raise errors.OpPrereqError(
                "Hypervisor parameters for %s must be given as key=value" % name,
                errors.ECODE_INVAL,
            )
        out[name] = params
    return out


def ipolicy_from_opts(opts: Any) -> dict[str, Any] | None:
    """The instance policy the options ask for (None if nothing given)."""
    policy: dict[str, Any] = {}
    std = dict(getattr(opts, "ipolicy_std_specs", None) or {})
    mins: dict[str, Any] = {}
    maxs: dict[str, Any] = {}
    for name in ("cpu-count", "disk-count", "disk-size", "mem-size", "nic-count"):
        spec = getattr(opts, "specs_%s" % name.replace("-", "_"), None) or {}
        key = "memory-size" if name == "mem-size" else name
        for which, target in (("min", mins), ("max", maxs), ("std", std)):
            if which in spec:
                target[key] = spec[which]
    converters = {k: constants.VTYPE_INT for k in constants.ISPECS_PARAMETER_TYPES}
    from ganeti import cli_opts

    try:
        if std:
            policy[constants.ISPECS_STD] = cli_opts.convert_param_types(std, converters)
        bounds = getattr(opts, "ipolicy_bounds_specs", None)
        if bounds:
            policy[constants.ISPECS_MINMAX] = [
                {
                    which: cli_opts.convert_param_types(dict(vals), converters)
                    for which, vals in pair.items()
                }
                for pair in bounds
            ]
        elif mins or maxs:
            base = dict(constants.ISPECS_MINMAX_DEFAULTS)
            policy[constants.ISPECS_MINMAX] = [
                {
                    constants.ISPECS_MIN: dict(
                        base[constants.ISPECS_MIN],
                        **cli_opts.convert_param_types(mins, converters),
                    ),
                    constants.ISPECS_MAX: dict(
                        base[constants.ISPECS_MAX],
                        **cli_opts.convert_param_types(maxs, converters),
                    ),
                }
            ]
    except errors.TypeEnforcementError as err:
        raise errors.OpPrereqError(
            "Invalid instance policy: %s" % err, errors.ECODE_INVAL
        ) from None
    if getattr(opts, "ipolicy_disk_templates", None) is not None:
        policy[constants.IPOLICY_DTS] = list(opts.ipolicy_disk_templates)
    for key, attr in (
        (constants.IPOLICY_VCPU_RATIO, "ipolicy_vcpu_ratio"),
        (constants.IPOLICY_SPINDLE_RATIO, "ipolicy_spindle_ratio"),
    ):
        value = getattr(opts, attr, None)
        if value is not None:
            policy[key] = value
    return policy or None


def diskparams_list(values: list) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for template, params in values or []:
        if not isinstance(params, dict):
            raise errors.OpPrereqError(
                "Disk parameters for %s must be given as key=value" % template, errors.ECODE_INVAL
            )
        out[template] = params
    return out


def state_dict(values: list) -> dict[str, dict]:
    return {name: params for name, params in values or [] if isinstance(params, dict)}


def data_collector_intervals(values: dict) -> dict[str, int]:
    out = {}
    for name, value in (values or {}).items():
        try:
            out[name] = int(float(value) * 1000000)
        except (TypeError, ValueError):
            raise errors.OpPrereqError(
                "Invalid interval '%s' for data collector %s" % (value, name), errors.ECODE_INVAL
            ) from None
    return out


def enabled_collectors(values: dict) -> dict[str, bool]:
    from ganeti import cli_opts

    out = {}
    for name, value in (values or {}).items():
        out[name] = value if isinstance(value, bool) else cli_opts.parse_bool(str(value))
    return out
