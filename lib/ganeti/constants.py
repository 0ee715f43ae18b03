"""Wire constants of Ganeti 3.0, spelled exactly as Ganeti spells them.

This module owns every value that crosses a boundary (luxi, RPC, RAPI, files).
It must never import another ganeti module or compute anything at run time
beyond simple derived sets: it is imported by every command and daemon.
"""

RELEASE_VERSION = "3.0.2"
VCS_VERSION = "ganeti-py " + RELEASE_VERSION
PROTOCOL_VERSION = 3000000
CONFIG_MAJOR, CONFIG_MINOR, CONFIG_REVISION = 3, 0, 0
CONFIG_VERSION = 3000000
OS_API_V10 = 10
OS_API_V15 = 15
OS_API_V20 = 20
# Ganeti 3.0 accepts OS definitions of API 10, 15 and 20 (max is still 20)
OS_API_VERSIONS = frozenset([OS_API_V10, OS_API_V15, OS_API_V20])
EXPORT_VERSION = 0
RAPI_VERSION = 2
IALLOCATOR_VERSION = 2
JOB_QUEUE_VERSION = 1
JOB_QUEUE_SIZE_HARD_LIMIT = 5000
JOB_QUEUE_SIZE_SOFT_LIMIT = JOB_QUEUE_SIZE_HARD_LIMIT * 0.8
JOB_QUEUE_ARCHIVE_DIR_SIZE = 10000
JOB_ID_TEMPLATE = r"\d+"
JOBQUEUE_THREADS = 25
CONFD_PROTOCOL_VERSION = 1

# luxi
LUXI_EOM = b"\x03"
LUXI_KEY_METHOD = "method"
LUXI_KEY_ARGS = "args"
LUXI_KEY_SUCCESS = "success"
LUXI_KEY_RESULT = "result"
LUXI_KEY_VERSION = "version"
LUXI_VERSION = PROTOCOL_VERSION
LUXI_DEF_CTMO = 30
LUXI_DEF_RWTO = 180
LUXI_WFJC_TIMEOUT = 89
LUXI_SOCKET_PERMS = 0o660
LUXI_MAX_MESSAGE = 64 * 1024 * 1024

# Job and opcode statuses
JOB_STATUS_QUEUED = "queued"
JOB_STATUS_WAITING = "waiting"
JOB_STATUS_CANCELING = "canceling"
JOB_STATUS_RUNNING = "running"
JOB_STATUS_CANCELED = "canceled"
JOB_STATUS_SUCCESS = "success"
JOB_STATUS_ERROR = "error"
JOBS_PENDING = frozenset([JOB_STATUS_QUEUED, JOB_STATUS_WAITING, JOB_STATUS_CANCELING])
JOBS_FINALIZED = frozenset([JOB_STATUS_CANCELED, JOB_STATUS_SUCCESS, JOB_STATUS_ERROR])
JOB_STATUS_ALL = (
    frozenset([JOB_STATUS_QUEUED, JOB_STATUS_WAITING, JOB_STATUS_CANCELING, JOB_STATUS_RUNNING])
    | JOBS_FINALIZED
)

OP_STATUS_QUEUED = "queued"
OP_STATUS_WAITING = "waiting"
OP_STATUS_CANCELING = "canceling"
OP_STATUS_RUNNING = "running"
OP_STATUS_CANCELED = "canceled"
OP_STATUS_SUCCESS = "success"
OP_STATUS_ERROR = "error"
OPS_FINALIZED = frozenset([OP_STATUS_CANCELED, OP_STATUS_SUCCESS, OP_STATUS_ERROR])

JOB_NOTCHANGED = "nochange"

# Priorities
OP_PRIO_LOWEST = 19
OP_PRIO_HIGHEST = -20
OP_PRIO_LOW = 10
OP_PRIO_NORMAL = 0
OP_PRIO_HIGH = -10
OP_PRIO_DEFAULT = OP_PRIO_NORMAL
OP_PRIO_SUBMIT_VALID = frozenset([OP_PRIO_LOW, OP_PRIO_NORMAL, OP_PRIO_HIGH])
OP_PRIO_NAME_TO_VALUE = {"low": OP_PRIO_LOW, "normal": OP_PRIO_NORMAL, "high": OP_PRIO_HIGH}

# Job log message types
ELOG_MESSAGE = "message"
ELOG_MESSAGE_LIST = "message-list"
ELOG_REMOTE_IMPORT = "remote-import"
ELOG_JQUEUE_TEST = "jqueue-test"
ELOG_DELAY_TEST = "delay-test"

# Reason trail
OPCODE_REASON_SRC_CLIENT = "gnt:client"
OPCODE_REASON_SRC_NODED = "gnt:daemon:noded"
OPCODE_REASON_SRC_OPCODE = "gnt:opcode"
OPCODE_REASON_SRC_RLIB2 = "gnt:library:rlib2"
OPCODE_REASON_SRC_USER = "gnt:user"
OPCODE_REASON_SRC_WATCHER = "gnt:watcher"
OPCODE_REASON_SRC_PICKUP = "gnt:daemon:masterd:pickup"

# Error codes
ECODE_RESOLVER = "resolver_error"
ECODE_NORES = "insufficient_resources"
ECODE_TEMP_NORES = "temp_insufficient_resources"
ECODE_INVAL = "wrong_input"
ECODE_STATE = "wrong_state"
ECODE_NOENT = "unknown_entity"
ECODE_EXISTS = "already_exists"
ECODE_NOTUNIQUE = "resource_not_unique"
ECODE_FAULT = "internal_error"
ECODE_ENVIRON = "environment_error"
ECODE_ALL = frozenset(
    [
        ECODE_RESOLVER,
        ECODE_NORES,
        ECODE_TEMP_NORES,
        ECODE_INVAL,
        ECODE_STATE,
        ECODE_NOENT,
        ECODE_EXISTS,
        ECODE_NOTUNIQUE,
        ECODE_FAULT,
        ECODE_ENVIRON,
    ]
)

# CLI exit codes
EXIT_SUCCESS = 0
EXIT_FAILURE = 1
EXIT_NOTCLUSTER = 5
EXIT_NOTMASTER = 11
EXIT_NODESETUP_ERROR = 12
EXIT_CONFIRMATION = 13
EXIT_UNKNOWN_FIELD = 14

# Lock levels (3.0 order) and names
LOCKS_REPLACE = "replace"
LOCKS_APPEND = "append"
LOCK_ATTEMPTS_TIMEOUT = 1800
LOCK_ATTEMPTS_MAXWAIT = 75.0
LOCK_ATTEMPTS_MINWAIT = 5.0
BGL = "BGL"
NAL = "NAL"

# Instance states
ADMINST_UP = "up"
ADMINST_DOWN = "down"
ADMINST_OFFLINE = "offline"
ADMINST_ALL = frozenset([ADMINST_UP, ADMINST_DOWN, ADMINST_OFFLINE])
ADMIN_SOURCE = "admin"
USER_SOURCE = "user"
INSTST_RUNNING = "running"
INSTST_ADMINDOWN = "ADMIN_down"
INSTST_ADMINOFFLINE = "ADMIN_offline"
INSTST_NODEOFFLINE = "ERROR_nodeoffline"
INSTST_NODEDOWN = "ERROR_nodedown"
INSTST_WRONGNODE = "ERROR_wrongnode"
INSTST_ERRORUP = "ERROR_up"
INSTST_ERRORDOWN = "ERROR_down"
INSTST_USERDOWN = "USER_down"

# Node roles
NR_REGULAR = "R"
NR_MASTER = "M"
NR_MCANDIDATE = "C"
NR_DRAINED = "D"
NR_OFFLINE = "O"

# Query
QR_CLUSTER = "cluster"
QR_INSTANCE = "instance"
QR_NODE = "node"
QR_LOCK = "lock"
QR_GROUP = "group"
QR_OS = "os"
QR_JOB = "job"
QR_EXPORT = "export"
QR_NETWORK = "network"
QR_EXTSTORAGE = "extstorage"
QR_FILTER = "filter"
QR_VIA_OP = frozenset(
    [QR_CLUSTER, QR_INSTANCE, QR_NODE, QR_GROUP, QR_OS, QR_EXPORT, QR_NETWORK, QR_EXTSTORAGE]
)
QR_VIA_LUXI = frozenset(
    [
        QR_CLUSTER,
        QR_INSTANCE,
        QR_NODE,
        QR_LOCK,
        QR_GROUP,
        QR_OS,
        QR_JOB,
        QR_EXPORT,
        QR_NETWORK,
        QR_FILTER,
    ]
)
QR_VIA_RAPI = QR_VIA_LUXI
QFT_UNKNOWN = "unknown"
QFT_TEXT = "text"
QFT_BOOL = "bool"
QFT_NUMBER = "number"
QFT_NUMBER_FLOAT = "float"
QFT_UNIT = "unit"
QFT_TIMESTAMP = "timestamp"
QFT_OTHER = "other"
QFT_ALL = frozenset(
    [
        QFT_UNKNOWN,
        QFT_TEXT,
        QFT_BOOL,
        QFT_NUMBER,
        QFT_NUMBER_FLOAT,
        QFT_UNIT,
        QFT_TIMESTAMP,
        QFT_OTHER,
    ]
)
RS_NORMAL = 0
RS_UNKNOWN = 1
RS_NODATA = 2
RS_UNAVAIL = 3
RS_OFFLINE = 4
RS_ALL = frozenset([RS_NORMAL, RS_UNKNOWN, RS_NODATA, RS_UNAVAIL, RS_OFFLINE])
RSS_DESCRIPTION = {
    RS_UNKNOWN: "(unknown)",
    RS_NODATA: "(nodata)",
    RS_UNAVAIL: "(unavail)",
    RS_OFFLINE: "(offline)",
}

# Tags
TAG_CLUSTER = "cluster"
TAG_NODEGROUP = "nodegroup"
TAG_NODE = "node"
TAG_INSTANCE = "instance"
TAG_NETWORK = "network"
VALID_TAG_TYPES = frozenset([TAG_CLUSTER, TAG_NODEGROUP, TAG_NODE, TAG_INSTANCE, TAG_NETWORK])
MAX_TAG_LEN = 128
MAX_TAGS_PER_OBJ = 4096

# Hooks
HOOKS_PHASE_PRE = "pre"
HOOKS_PHASE_POST = "post"
HOOKS_NAME_CFGUPDATE = "config-update"
HOOKS_NAME_WATCHER = "watcher"
HOOKS_PATH = "/sbin:/bin:/usr/sbin:/usr/bin"
HOOKS_VERSION = 2
HKR_SKIP = 0
HKR_FAIL = 1
HKR_SUCCESS = 2
HTYPE_CLUSTER = "CLUSTER"
HTYPE_NODE = "NODE"
HTYPE_GROUP = "GROUP"
HTYPE_INSTANCE = "INSTANCE"
HTYPE_NETWORK = "NETWORK"

# Ports and defaults
DEFAULT_NODED_PORT = 1811
DEFAULT_CONFD_PORT = 1814
DEFAULT_MOND_PORT = 1815
DEFAULT_METAD_PORT = 80
DEFAULT_RAPI_PORT = 5080
DEFAULT_BRIDGE = "xen-br0"
DEFAULT_OVS = "switch1"
DEFAULT_VG = "xenvg"
DEFAULT_MAC_PREFIX = "aa:00:00"
DEFAULT_SHUTDOWN_TIMEOUT = 120
DEFAULT_WFJC_TIMEOUT = 60
DEFAULT_DRBD_HELPER = "/bin/true"
DEFAULT_ENABLED_HYPERVISOR = "xen-pvm"
DEFAULT_IALLOCATOR_SHORTCUT = "."
DEFAULT_MAX_RUNNING_JOBS = 20
DEFAULT_MAX_TRACKED_JOBS = 25
FIRST_DRBD_PORT = 11000
LAST_DRBD_PORT = 14999
MASTER_POOL_SIZE_DEFAULT = 10
IP4_ADDRESS_LOCALHOST = "127.0.0.1"
IP4_ADDRESS_ANY = "0.0.0.0"
IP4_VERSION = 4
IP6_VERSION = 6
MASTER_VOTING_RETRIES = 6
MASTER_VOTING_INTERVAL = 10

# Daemons
MASTERD = "ganeti-masterd"
NODED = "ganeti-noded"
RAPI = "ganeti-rapi"
CONFD = "ganeti-confd"
MOND = "ganeti-mond"
KVMD = "ganeti-kvmd"
DAEMONS = frozenset([MASTERD, NODED, RAPI])
DAEMONS_LOGFILES_BASE = {
    MASTERD: "master-daemon.log",
    NODED: "node-daemon.log",
    RAPI: "rapi-daemon.log",
    CONFD: "conf-daemon.log",
}

# ssconf keys
SS_CLUSTER_NAME = "cluster_name"
SS_CLUSTER_TAGS = "cluster_tags"
SS_FILE_STORAGE_DIR = "file_storage_dir"
SS_SHARED_FILE_STORAGE_DIR = "shared_file_storage_dir"
SS_GLUSTER_STORAGE_DIR = "gluster_storage_dir"
SS_MASTER_CANDIDATES = "master_candidates"
SS_MASTER_CANDIDATES_IPS = "master_candidates_ips"
SS_MASTER_CANDIDATES_CERTS = "master_candidates_certs"
SS_MASTER_IP = "master_ip"
SS_MASTER_NETDEV = "master_netdev"
SS_MASTER_NETMASK = "master_netmask"
SS_MASTER_NODE = "master_node"
SS_NODE_LIST = "node_list"
SS_NODE_PRIMARY_IPS = "node_primary_ips"
SS_NODE_SECONDARY_IPS = "node_secondary_ips"
SS_NODE_VM_CAPABLE = "node_vm_capable"
SS_OFFLINE_NODES = "offline_nodes"
SS_ONLINE_NODES = "online_nodes"
SS_PRIMARY_IP_FAMILY = "primary_ip_family"
SS_INSTANCE_LIST = "instance_list"
SS_RELEASE_VERSION = "release_version"
SS_HYPERVISOR_LIST = "hypervisor_list"
SS_MAINTAIN_NODE_HEALTH = "maintain_node_health"
SS_UID_POOL = "uid_pool"
SS_NODEGROUPS = "nodegroups"
SS_NETWORKS = "networks"
SS_HVPARAMS_PREF = "hvparams_"
SS_ENABLED_USER_SHUTDOWN = "enabled_user_shutdown"
SS_SSH_PORTS = "ssh_ports"
SS_FILE_PERMS = 0o444
SS_MAX_FILE_SIZE = 128 * 1024

# Hypervisors
HT_XEN_PVM = "xen-pvm"
HT_FAKE = "fake"
HT_XEN_HVM = "xen-hvm"
HT_KVM = "kvm"
HT_CHROOT = "chroot"
HT_LXC = "lxc"
HYPER_TYPES = frozenset([HT_XEN_PVM, HT_FAKE, HT_XEN_HVM, HT_KVM, HT_CHROOT, HT_LXC])
HTS_REQ_PORT = frozenset([HT_XEN_HVM, HT_KVM])

SS_HVPARAMS_XEN_PVM = SS_HVPARAMS_PREF + HT_XEN_PVM
SS_HVPARAMS_XEN_FAKE = SS_HVPARAMS_PREF + HT_FAKE
SS_HVPARAMS_XEN_HVM = SS_HVPARAMS_PREF + HT_XEN_HVM
SS_HVPARAMS_XEN_KVM = SS_HVPARAMS_PREF + HT_KVM
SS_HVPARAMS_XEN_CHROOT = SS_HVPARAMS_PREF + HT_CHROOT
SS_HVPARAMS_XEN_LXC = SS_HVPARAMS_PREF + HT_LXC

# Disk templates and storage
DT_DISKLESS = "diskless"
DT_PLAIN = "plain"
DT_DRBD8 = "drbd"
DT_FILE = "file"
DT_SHARED_FILE = "sharedfile"
DT_BLOCK = "blockdev"
DT_RBD = "rbd"
DT_EXT = "ext"
DT_GLUSTER = "gluster"
DISK_TEMPLATES = frozenset(
    [DT_DISKLESS, DT_PLAIN, DT_DRBD8, DT_FILE, DT_SHARED_FILE, DT_BLOCK, DT_RBD, DT_EXT, DT_GLUSTER]
)
DTS_INT_MIRROR = frozenset([DT_DRBD8])
DTS_EXT_MIRROR = frozenset([DT_DISKLESS, DT_SHARED_FILE, DT_BLOCK, DT_RBD, DT_EXT, DT_GLUSTER])
DTS_MIRRORED = DTS_INT_MIRROR | DTS_EXT_MIRROR
DTS_FILEBASED = frozenset([DT_FILE, DT_SHARED_FILE, DT_GLUSTER])
DTS_LVM = frozenset([DT_PLAIN, DT_DRBD8])
DEFAULT_ENABLED_DISK_TEMPLATES = [DT_DRBD8, DT_PLAIN]
ST_FILE = "file"
ST_SHARED_FILE = "sharedfile"
ST_GLUSTER = "gluster"
ST_LVM_PV = "lvm-pv"
ST_LVM_VG = "lvm-vg"
ST_DISKLESS = "diskless"
ST_BLOCK = "blockdev"
ST_RADOS = "rados"
ST_EXT = "ext"
STORAGE_TYPES = frozenset(
    [
        ST_FILE,
        ST_SHARED_FILE,
        ST_GLUSTER,
        ST_LVM_PV,
        ST_LVM_VG,
        ST_DISKLESS,
        ST_BLOCK,
        ST_RADOS,
        ST_EXT,
    ]
)
MAP_DISK_TEMPLATE_STORAGE_TYPE = {
    DT_BLOCK: ST_BLOCK,
    DT_DISKLESS: ST_DISKLESS,
    DT_DRBD8: ST_LVM_VG,
    DT_EXT: ST_EXT,
    DT_FILE: ST_FILE,
    DT_PLAIN: ST_LVM_VG,
    DT_RBD: ST_RADOS,
    DT_SHARED_FILE: ST_SHARED_FILE,
    DT_GLUSTER: ST_GLUSTER,
}
DISK_RDONLY = "ro"
DISK_RDWR = "rw"
DISK_ACCESS_SET = frozenset([DISK_RDONLY, DISK_RDWR])
DRBD_META_SIZE = 128

# Disk device types (logical)
DT_DEV_TYPES = DISK_TEMPLATES

# NIC
NIC_MODE_BRIDGED = "bridged"
NIC_MODE_ROUTED = "routed"
NIC_MODE_OVS = "openvswitch"
NIC_VALID_MODES = frozenset([NIC_MODE_BRIDGED, NIC_MODE_ROUTED, NIC_MODE_OVS])
NIC_MODE = "mode"
NIC_LINK = "link"
NIC_VLAN = "vlan"
VALUE_AUTO = "auto"
VALUE_GENERATE = "generate"
VALUE_NONE = "none"
VALUE_DEFAULT = "default"

# Parameter value types
VTYPE_STRING = "string"
VTYPE_MAYBE_STRING = "maybe-string"
VTYPE_BOOL = "bool"
VTYPE_SIZE = "size"
VTYPE_INT = "int"
VTYPE_FLOAT = "float"
ENFORCEABLE_TYPES = frozenset(
    [VTYPE_STRING, VTYPE_MAYBE_STRING, VTYPE_BOOL, VTYPE_SIZE, VTYPE_INT, VTYPE_FLOAT]
)

# Backend parameters
BE_MEMORY = "memory"
BE_MAXMEM = "maxmem"
BE_MINMEM = "minmem"
BE_VCPUS = "vcpus"
BE_AUTO_BALANCE = "auto_balance"
BE_ALWAYS_FAILOVER = "always_failover"
BE_SPINDLE_USE = "spindle_use"
BES_PARAMETER_TYPES = {
    BE_MAXMEM: VTYPE_SIZE,
    BE_MINMEM: VTYPE_SIZE,
    BE_VCPUS: VTYPE_INT,
    BE_AUTO_BALANCE: VTYPE_BOOL,
    BE_ALWAYS_FAILOVER: VTYPE_BOOL,
    BE_SPINDLE_USE: VTYPE_INT,
}
BES_PARAMETER_COMPAT = dict(BES_PARAMETER_TYPES, memory=VTYPE_SIZE)
BEC_DEFAULTS = {
    BE_MINMEM: 128,
    BE_MAXMEM: 128,
    BE_VCPUS: 1,
    BE_AUTO_BALANCE: True,
    BE_ALWAYS_FAILOVER: False,
    BE_SPINDLE_USE: 1,
}

# Node parameters
ND_OOB_PROGRAM = "oob_program"
ND_SPINDLE_COUNT = "spindle_count"
ND_EXCLUSIVE_STORAGE = "exclusive_storage"
ND_OVS = "ovs"
ND_OVS_NAME = "ovs_name"
ND_OVS_LINK = "ovs_link"
ND_SSH_PORT = "ssh_port"
ND_CPU_SPEED = "cpu_speed"
NDS_PARAMETER_TYPES = {
    ND_OOB_PROGRAM: VTYPE_STRING,
    ND_SPINDLE_COUNT: VTYPE_INT,
    ND_EXCLUSIVE_STORAGE: VTYPE_BOOL,
    ND_OVS: VTYPE_BOOL,
    ND_OVS_NAME: VTYPE_MAYBE_STRING,
    ND_OVS_LINK: VTYPE_MAYBE_STRING,
    ND_SSH_PORT: VTYPE_INT,
    ND_CPU_SPEED: VTYPE_FLOAT,
}
NDC_DEFAULTS = {
    ND_OOB_PROGRAM: "",
    ND_SPINDLE_COUNT: 1,
    ND_EXCLUSIVE_STORAGE: False,
    ND_OVS: False,
    ND_OVS_NAME: DEFAULT_OVS,
    ND_OVS_LINK: "",
    ND_SSH_PORT: 22,
    ND_CPU_SPEED: 1.0,
}

# NIC parameters
NICS_PARAMETER_TYPES = {
    NIC_MODE: VTYPE_STRING,
    NIC_LINK: VTYPE_STRING,
    NIC_VLAN: VTYPE_MAYBE_STRING,
}
NICC_DEFAULTS = {
    NIC_MODE: NIC_MODE_BRIDGED,
    NIC_LINK: DEFAULT_BRIDGE,
    NIC_VLAN: "",
}

# Instance policy
ISPEC_MEM_SIZE = "memory-size"
ISPEC_CPU_COUNT = "cpu-count"
ISPEC_DISK_COUNT = "disk-count"
ISPEC_DISK_SIZE = "disk-size"
ISPEC_NIC_COUNT = "nic-count"
ISPEC_SPINDLE_USE = "spindle-use"
ISPECS_PARAMETER_TYPES = {
    ISPEC_MEM_SIZE: VTYPE_INT,
    ISPEC_CPU_COUNT: VTYPE_INT,
    ISPEC_DISK_COUNT: VTYPE_INT,
    ISPEC_DISK_SIZE: VTYPE_INT,
    ISPEC_NIC_COUNT: VTYPE_INT,
    ISPEC_SPINDLE_USE: VTYPE_INT,
}
ISPECS_MINMAX = "minmax"
ISPECS_MIN = "min"
ISPECS_MAX = "max"
ISPECS_STD = "std"
IPOLICY_DTS = "disk-templates"
IPOLICY_VCPU_RATIO = "vcpu-ratio"
IPOLICY_SPINDLE_RATIO = "spindle-ratio"
IPOLICY_ALL_KEYS = frozenset(
    [ISPECS_MINMAX, ISPECS_STD, IPOLICY_DTS, IPOLICY_VCPU_RATIO, IPOLICY_SPINDLE_RATIO]
)
IPOLICY_PARAMETERS = frozenset([IPOLICY_VCPU_RATIO, IPOLICY_SPINDLE_RATIO])
ISPECS_MINMAX_DEFAULTS = {
    ISPECS_MIN: {
        ISPEC_MEM_SIZE: 128,
        ISPEC_CPU_COUNT: 1,
        ISPEC_DISK_COUNT: 1,
        ISPEC_DISK_SIZE: 1024,
        ISPEC_NIC_COUNT: 1,
        ISPEC_SPINDLE_USE: 1,
    },
    ISPECS_MAX: {
        ISPEC_MEM_SIZE: 32768,
        ISPEC_CPU_COUNT: 8,
        ISPEC_DISK_COUNT: 16,
        ISPEC_DISK_SIZE: 1024 * 1024,
        ISPEC_NIC_COUNT: 8,
        ISPEC_SPINDLE_USE: 12,
    },
}
IPOLICY_DEFAULTS = {
    ISPECS_MINMAX: [ISPECS_MINMAX_DEFAULTS],
    ISPECS_STD: {
        ISPEC_MEM_SIZE: 128,
        ISPEC_CPU_COUNT: 1,
        ISPEC_DISK_COUNT: 1,
        ISPEC_DISK_SIZE: 1024,
        ISPEC_NIC_COUNT: 1,
        ISPEC_SPINDLE_USE: 1,
    },
    IPOLICY_DTS: sorted(DISK_TEMPLATES),
    IPOLICY_VCPU_RATIO: 4.0,
    IPOLICY_SPINDLE_RATIO: 32.0,
}

# Node group allocation policies
ALLOC_POLICY_PREFERRED = "preferred"
ALLOC_POLICY_LAST_RESORT = "last_resort"
ALLOC_POLICY_UNALLOCABLE = "unallocable"
VALID_ALLOC_POLICIES = [ALLOC_POLICY_PREFERRED, ALLOC_POLICY_LAST_RESORT, ALLOC_POLICY_UNALLOCABLE]
INITIAL_NODE_GROUP_NAME = "default"

# Disk parameters per template
DRBD_RESYNC_RATE = "resync-rate"
DRBD_DATA_STRIPES = "data-stripes"
DRBD_META_STRIPES = "meta-stripes"
DRBD_DISK_BARRIERS = "disk-barriers"
DRBD_META_BARRIERS = "meta-barriers"
DRBD_DEFAULT_METAVG = "metavg"
DRBD_DISK_CUSTOM = "disk-custom"
DRBD_NET_CUSTOM = "net-custom"
DRBD_PROTOCOL = "protocol"
DRBD_DYNAMIC_RESYNC = "dynamic-resync"
DRBD_PLAN_AHEAD = "c-plan-ahead"
DRBD_FILL_TARGET = "c-fill-target"
DRBD_DELAY_TARGET = "c-delay-target"
DRBD_MAX_RATE = "c-max-rate"
DRBD_MIN_RATE = "c-min-rate"
LV_STRIPES = "stripes"
RBD_POOL = "pool"
RBD_ACCESS = "access"
GLUSTER_HOST = "host"
GLUSTER_VOLUME = "volume"
GLUSTER_PORT = "port"
DISK_DT_DEFAULTS = {
    DT_PLAIN: {LV_STRIPES: 1},
    DT_DRBD8: {
        DRBD_RESYNC_RATE: 61440,
        DRBD_DATA_STRIPES: 1,
        DRBD_META_STRIPES: 1,
        DRBD_DISK_BARRIERS: "n",
        DRBD_META_BARRIERS: False,
        DRBD_DEFAULT_METAVG: DEFAULT_VG,
        DRBD_DISK_CUSTOM: "",
        DRBD_NET_CUSTOM: "",
        DRBD_PROTOCOL: "C",
        DRBD_DYNAMIC_RESYNC: False,
        DRBD_PLAN_AHEAD: 20,
        DRBD_FILL_TARGET: 0,
        DRBD_DELAY_TARGET: 1,
        DRBD_MAX_RATE: 61440,
        DRBD_MIN_RATE: 4096,
    },
    DT_DISKLESS: {},
    DT_FILE: {},
    DT_SHARED_FILE: {},
    DT_BLOCK: {},
    DT_RBD: {RBD_POOL: "rbd", RBD_ACCESS: "kernelspace"},
    DT_EXT: {RBD_ACCESS: "kernelspace"},
    DT_GLUSTER: {
        RBD_ACCESS: "kernelspace",
        GLUSTER_HOST: "127.0.0.1",
        GLUSTER_VOLUME: "gv0",
        GLUSTER_PORT: 24007,
    },
}
DISK_DT_TYPES = {
    LV_STRIPES: VTYPE_INT,
    DRBD_RESYNC_RATE: VTYPE_INT,
    DRBD_DATA_STRIPES: VTYPE_INT,
    DRBD_META_STRIPES: VTYPE_INT,
    DRBD_DISK_BARRIERS: VTYPE_STRING,
    DRBD_META_BARRIERS: VTYPE_BOOL,
    DRBD_DEFAULT_METAVG: VTYPE_STRING,
    DRBD_DISK_CUSTOM: VTYPE_STRING,
    DRBD_NET_CUSTOM: VTYPE_STRING,
    DRBD_PROTOCOL: VTYPE_STRING,
    DRBD_DYNAMIC_RESYNC: VTYPE_BOOL,
    DRBD_PLAN_AHEAD: VTYPE_INT,
    DRBD_FILL_TARGET: VTYPE_INT,
    DRBD_DELAY_TARGET: VTYPE_INT,
    DRBD_MAX_RATE: VTYPE_INT,
    DRBD_MIN_RATE: VTYPE_INT,
    RBD_POOL: VTYPE_STRING,
    RBD_ACCESS: VTYPE_STRING,
    GLUSTER_HOST: VTYPE_STRING,
    GLUSTER_VOLUME: VTYPE_STRING,
    GLUSTER_PORT: VTYPE_INT,
}

# Instance disk (IDISK_*) and NIC (INIC_*) parameters
IDISK_SIZE = "size"
IDISK_SPINDLES = "spindles"
IDISK_MODE = "mode"
IDISK_ADOPT = "adopt"
IDISK_VG = "vg"
IDISK_METAVG = "metavg"
IDISK_PROVIDER = "provider"
IDISK_NAME = "name"
IDISK_ACCESS = "access"
IDISK_TYPE = "dev_type"
IDISK_PARAMS_TYPES = {
    IDISK_SIZE: VTYPE_SIZE,
    IDISK_SPINDLES: VTYPE_INT,
    IDISK_MODE: VTYPE_STRING,
    IDISK_ADOPT: VTYPE_STRING,
    IDISK_VG: VTYPE_STRING,
    IDISK_METAVG: VTYPE_STRING,
    IDISK_PROVIDER: VTYPE_STRING,
    IDISK_ACCESS: VTYPE_STRING,
    IDISK_NAME: VTYPE_MAYBE_STRING,
    IDISK_TYPE: VTYPE_STRING,
}
INIC_MAC = "mac"
INIC_IP = "ip"
INIC_MODE = "mode"
INIC_LINK = "link"
INIC_NETWORK = "network"
INIC_NAME = "name"
INIC_VLAN = "vlan"
INIC_BRIDGE = "bridge"
INIC_PARAMS_TYPES = {
    INIC_BRIDGE: VTYPE_MAYBE_STRING,
    INIC_IP: VTYPE_MAYBE_STRING,
    INIC_LINK: VTYPE_STRING,
    INIC_MAC: VTYPE_STRING,
    INIC_MODE: VTYPE_STRING,
    INIC_NAME: VTYPE_MAYBE_STRING,
    INIC_NETWORK: VTYPE_MAYBE_STRING,
    INIC_VLAN: VTYPE_MAYBE_STRING,
}
MAX_NICS = 8
MAX_DISKS = 16

# Hypervisor parameters: type table and per-hypervisor defaults
HVS_PARAMETER_TYPES = {
    "acpi": VTYPE_BOOL,
    "blockdev_prefix": VTYPE_STRING,
    "boot_order": VTYPE_STRING,
    "bootloader_args": VTYPE_STRING,
    "bootloader_path": VTYPE_STRING,
    "cdrom2_image_path": VTYPE_STRING,
    "cdrom_disk_type": VTYPE_STRING,
    "cdrom_image_path": VTYPE_STRING,
    "cpu_cap": VTYPE_INT,
    "cpu_cores": VTYPE_INT,
    "cpu_mask": VTYPE_STRING,
    "cpu_sockets": VTYPE_INT,
    "cpu_threads": VTYPE_INT,
    "cpu_type": VTYPE_STRING,
    "cpu_weight": VTYPE_INT,
    "cpuid": VTYPE_STRING,
    "device_model": VTYPE_STRING,
    "devices": VTYPE_STRING,
    "disk_aio": VTYPE_STRING,
    "disk_cache": VTYPE_STRING,
    "disk_discard": VTYPE_STRING,
    "disk_type": VTYPE_STRING,
    "drop_capabilities": VTYPE_STRING,
    "extra_cgroups": VTYPE_STRING,
    "extra_config": VTYPE_STRING,
    "floppy_image_path": VTYPE_STRING,
    "init_script": VTYPE_STRING,
    "initrd_path": VTYPE_STRING,
    "kernel_args": VTYPE_STRING,
    "kernel_path": VTYPE_STRING,
    "keymap": VTYPE_STRING,
    "kvm_extra": VTYPE_STRING,
    "kvm_flag": VTYPE_STRING,
    "kvm_path": VTYPE_STRING,
    "kvm_pci_reservations": VTYPE_INT,
    "machine_version": VTYPE_STRING,
    "mem_path": VTYPE_STRING,
    "migration_bandwidth": VTYPE_INT,
    "migration_caps": VTYPE_STRING,
    "migration_downtime": VTYPE_INT,
    "migration_mode": VTYPE_STRING,
    "migration_port": VTYPE_INT,
    "nic_type": VTYPE_STRING,
    "num_ttys": VTYPE_INT,
    "pae": VTYPE_BOOL,
    "pci_pass": VTYPE_STRING,
    "reboot_behavior": VTYPE_STRING,
    "root_path": VTYPE_MAYBE_STRING,
    "scsi_controller_type": VTYPE_STRING,
    "security_domain": VTYPE_STRING,
    "security_model": VTYPE_STRING,
    "serial_console": VTYPE_BOOL,
    "serial_speed": VTYPE_INT,
    "soundhw": VTYPE_STRING,
    "spice_bind": VTYPE_STRING,
    "spice_image_compression": VTYPE_STRING,
    "spice_ip_version": VTYPE_INT,
    "spice_jpeg_wan_compression": VTYPE_STRING,
    "spice_password_file": VTYPE_STRING,
    "spice_playback_compression": VTYPE_BOOL,
    "spice_streaming_video": VTYPE_STRING,
    "spice_tls_ciphers": VTYPE_STRING,
    "spice_use_tls": VTYPE_BOOL,
    "spice_use_vdagent": VTYPE_BOOL,
    "spice_zlib_glz_wan_compression": VTYPE_STRING,
    "startup_timeout": VTYPE_INT,
    "usb_devices": VTYPE_STRING,
    "usb_mouse": VTYPE_STRING,
    "use_bootloader": VTYPE_BOOL,
    "use_chroot": VTYPE_BOOL,
    "use_guest_agent": VTYPE_BOOL,
    "use_localtime": VTYPE_BOOL,
    "user_shutdown": VTYPE_BOOL,
    "vga": VTYPE_STRING,
    "vhost_net": VTYPE_BOOL,
    "vif_script": VTYPE_STRING,
    "vif_type": VTYPE_STRING,
    "viridian": VTYPE_BOOL,
    "virtio_net_queues": VTYPE_INT,
    "vnc_bind_address": VTYPE_STRING,
    "vnc_password_file": VTYPE_STRING,
    "vnc_tls": VTYPE_BOOL,
    "vnc_x509_path": VTYPE_STRING,
    "vnc_x509_verify": VTYPE_BOOL,
    "vnet_hdr": VTYPE_BOOL,
    "xen_cmd": VTYPE_STRING,
    # KVM since 3.1: machine type (i440fx "pc" or "q35")
    "machine_type": VTYPE_STRING,
}

HVC_DEFAULTS = {
    HT_CHROOT: {"init_script": "/ganeti-chroot"},
    HT_FAKE: {"migration_mode": "live"},
    HT_KVM: {
        "acpi": True,
        "boot_order": "disk",
        "cdrom2_image_path": "",
        "cdrom_disk_type": "",
        "cdrom_image_path": "",
        "cpu_cores": 0,
        "cpu_mask": "all",
        "cpu_sockets": 0,
        "cpu_threads": 0,
        "cpu_type": "",
        "disk_aio": "threads",
        "disk_cache": "default",
        "disk_discard": "default",
        "disk_type": "paravirtual",
        "floppy_image_path": "",
        "initrd_path": "",
        "kernel_args": "ro",
        "kernel_path": "/boot/vmlinuz-3-kvmU",
        "keymap": "",
        "kvm_extra": "",
        "kvm_flag": "",
        "kvm_path": "/usr/bin/kvm",
        "kvm_pci_reservations": 12,
        "machine_version": "",
        "mem_path": "",
        "migration_bandwidth": 32,
        "migration_caps": "",
        "migration_downtime": 30,
        "migration_mode": "live",
        "migration_port": 8102,
        "nic_type": "paravirtual",
        "reboot_behavior": "reboot",
        "root_path": "/dev/vda1",
        "scsi_controller_type": "lsi",
        "security_domain": "",
        "security_model": "none",
        "serial_console": True,
        "serial_speed": 38400,
        "soundhw": "",
        "spice_bind": "",
        "spice_image_compression": "",
        "spice_ip_version": 0,
        "spice_jpeg_wan_compression": "",
        "spice_password_file": "",
        "spice_playback_compression": True,
        "spice_streaming_video": "",
        "spice_tls_ciphers": "HIGH:-DES:-3DES:-EXPORT:-DH",
        "spice_use_tls": False,
        "spice_use_vdagent": True,
        "spice_zlib_glz_wan_compression": "",
        "usb_devices": "",
        "usb_mouse": "",
        "use_chroot": False,
        "use_guest_agent": False,
        "use_localtime": False,
        "user_shutdown": False,
        "vga": "",
        "vhost_net": False,
        "virtio_net_queues": 1,
        "vnc_bind_address": "",
        "vnc_password_file": "",
        "vnc_tls": False,
        "vnc_x509_path": "",
        "vnc_x509_verify": False,
        "vnet_hdr": True,
    },
    HT_LXC: {
        "cpu_mask": "",
        "devices": "c 1:3 rw,c 1:5 rw,c 1:7 rw,c 1:8 rw,c 1:9 rw,"
        "c 1:10 rw,c 5:0 rw,c 5:1 rw,c 5:2 rw,c 136:* rw",
        "drop_capabilities": "mac_override,sys_boot,sys_module,sys_time,sys_admin",
        "extra_cgroups": "",
        "extra_config": "",
        "num_ttys": 6,
        "startup_timeout": 30,
    },
    HT_XEN_HVM: {
        "acpi": True,
        "blockdev_prefix": "hd",
        "boot_order": "cd",
        "cdrom_image_path": "",
        "cpu_cap": 0,
        "cpu_mask": "all",
        "cpu_weight": 256,
        "cpuid": "",
        "device_model": "/usr/lib/xen/bin/qemu-dm",
        "disk_type": "paravirtual",
        "kernel_path": "/usr/lib/xen/boot/hvmloader",
        "migration_mode": "non-live",
        "migration_port": 8002,
        "nic_type": "rtl8139",
        "pae": True,
        "pci_pass": "",
        "reboot_behavior": "reboot",
        "soundhw": "",
        "use_localtime": False,
        "vif_script": "",
        "vif_type": "ioemu",
        "viridian": False,
        "vnc_bind_address": "0.0.0.0",
        "vnc_password_file": "/etc/ganeti/vnc-cluster-password",
        "xen_cmd": "xm",
    },
    HT_XEN_PVM: {
        "blockdev_prefix": "sd",
        "bootloader_args": "",
        "bootloader_path": "",
        "cpu_cap": 0,
        "cpu_mask": "all",
        "cpu_weight": 256,
        "cpuid": "",
        "initrd_path": "",
        "kernel_args": "ro",
        "kernel_path": "/boot/vmlinuz-3-xenU",
        "migration_mode": "live",
        "migration_port": 8002,
        "reboot_behavior": "reboot",
        "root_path": "/dev/xvda1",
        "soundhw": "",
        "use_bootloader": False,
        "vif_script": "",
        "xen_cmd": "xm",
    },
}

# Misc
MAX_RETRIES_COUNT = 3
NODE_MAX_CLOCK_SKEW = 150
SSH_KEY_TYPE_DEFAULT = "ed25519"
SSHK_RSA = "rsa"
SSHK_DSA = "dsa"
SSHK_ECDSA = "ecdsa"
SSHK_ED25519 = "ed25519"
SSHK_ALL = frozenset([SSHK_RSA, SSHK_DSA, SSHK_ECDSA, SSHK_ED25519])
RANDOM_UUID_FILE = "/proc/sys/kernel/random/uuid"
CPU_PINNING_ALL = "all"
IEM_IMPORT = "import"
IEM_EXPORT = "export"
INSTANCE_CREATE = "create"
INSTANCE_IMPORT = "import"
INSTANCE_REMOTE_IMPORT = "remote-import"
INSTANCE_CREATE_MODES = frozenset([INSTANCE_CREATE, INSTANCE_IMPORT, INSTANCE_REMOTE_IMPORT])
REBOOT_SOFT = "soft"
REBOOT_HARD = "hard"
REBOOT_FULL = "full"
REBOOT_TYPES = frozenset([REBOOT_SOFT, REBOOT_HARD, REBOOT_FULL])
VERIFY_NPLUSONE_MEM = "nplusone_mem"
VERIFY_OPTIONAL_CHECKS = frozenset([VERIFY_NPLUSONE_MEM])
DDM_ADD = "add"
DDM_MODIFY = "modify"
DDM_REMOVE = "remove"
DDM_ATTACH = "attach"
DDM_DETACH = "detach"
IALLOCATOR_MODE_ALLOC = "allocate"
IALLOCATOR_MODE_MULTI_ALLOC = "multi-allocate"
IALLOCATOR_MODE_RELOC = "relocate"
IALLOCATOR_MODE_CHG_GROUP = "change-group"
IALLOCATOR_MODE_NODE_EVAC = "node-evacuate"
IALLOCATOR_DIR_IN = "in"
IALLOCATOR_DIR_OUT = "out"
NODE_EVAC_PRI = "primary-only"
NODE_EVAC_SEC = "secondary-only"
NODE_EVAC_ALL = "all"
NODE_EVAC_MODES = frozenset([NODE_EVAC_PRI, NODE_EVAC_SEC, NODE_EVAC_ALL])

# Opcode parameter domains (added for ht/opcodes)
OPCODE_REASON = "reason"
OPCODE_REASON_SOURCES = frozenset(
    [
        OPCODE_REASON_SRC_CLIENT,
        OPCODE_REASON_SRC_NODED,
        OPCODE_REASON_SRC_OPCODE,
        OPCODE_REASON_SRC_RLIB2,
        OPCODE_REASON_SRC_USER,
        OPCODE_REASON_SRC_WATCHER,
        OPCODE_REASON_SRC_PICKUP,
    ]
)
JOB_IDS_KEY = "jobs"
ALLOCATABLE_KEY = "allocatable"
FAILED_KEY = "failed"
DDMS_VALUES = frozenset([DDM_ADD, DDM_ATTACH, DDM_DETACH, DDM_REMOVE])
DDMS_VALUES_WITH_MODIFY = DDMS_VALUES | frozenset([DDM_MODIFY])
INIC_PARAMS = frozenset(INIC_PARAMS_TYPES)
IDISK_PARAMS = frozenset(IDISK_PARAMS_TYPES)
NIC_MODE_POOL = "pool"
EXPORT_MODE_LOCAL = "local"
EXPORT_MODE_REMOTE = "remote"
EXPORT_MODES = frozenset([EXPORT_MODE_LOCAL, EXPORT_MODE_REMOTE])
IEC_NONE = "none"
HT_MIGRATION_LIVE = "live"
HT_MIGRATION_NONLIVE = "non-live"
HT_MIGRATION_MODES = frozenset([HT_MIGRATION_LIVE, HT_MIGRATION_NONLIVE])
ADMIN_STATE_SOURCES = frozenset([ADMIN_SOURCE, USER_SOURCE])
FD_LOOP = "loop"
FD_BLKTAP = "blktap"
FD_BLKTAP2 = "blktap2"
FILE_DRIVER = frozenset([FD_LOOP, FD_BLKTAP, FD_BLKTAP2])
REPLACE_DISK_PRI = "replace_on_primary"
REPLACE_DISK_SEC = "replace_on_secondary"
REPLACE_DISK_CHG = "replace_new_secondary"
REPLACE_DISK_AUTO = "replace_auto"
REPLACE_MODES = frozenset([REPLACE_DISK_PRI, REPLACE_DISK_SEC, REPLACE_DISK_CHG, REPLACE_DISK_AUTO])
IALLOCATOR_MODE_ALLOCATE_SECONDARY = "allocate-secondary"
VALID_IALLOCATOR_MODES = frozenset(
    [
        IALLOCATOR_MODE_ALLOC,
        IALLOCATOR_MODE_ALLOCATE_SECONDARY,
        IALLOCATOR_MODE_MULTI_ALLOC,
        IALLOCATOR_MODE_RELOC,
        IALLOCATOR_MODE_CHG_GROUP,
        IALLOCATOR_MODE_NODE_EVAC,
    ]
)
VALID_IALLOCATOR_DIRECTIONS = frozenset([IALLOCATOR_DIR_IN, IALLOCATOR_DIR_OUT])
OOB_HEALTH = "health"
OOB_POWER_CYCLE = "power-cycle"
OOB_POWER_OFF = "power-off"
OOB_POWER_ON = "power-on"
OOB_POWER_STATUS = "power-status"
OOB_COMMANDS = frozenset(
    [OOB_HEALTH, OOB_POWER_CYCLE, OOB_POWER_OFF, OOB_POWER_ON, OOB_POWER_STATUS]
)
OOB_TIMEOUT = 60
OOB_POWER_DELAY = 2.0
# Cluster-verify error codes (the string part of Ganeti's CV_E* triples)
CV_ALL_ECODES_STRINGS = frozenset(
    [
        "ECLUSTERCERT",
        "ECLUSTERCFG",
        "ECLUSTERCLIENTCERT",
        "ECLUSTERDANGLINGINST",
        "ECLUSTERDANGLINGNODES",
        "ECLUSTERFILECHECK",
        "EEXTAGS",
        "EGROUPDIFFERENTPVSIZE",
        "EINSTANCEBADNODE",
        "EINSTANCEDOWN",
        "EINSTANCEFAULTYDISK",
        "EINSTANCELAYOUT",
        "EINSTANCEMISSINGCFGPARAMETER",
        "EINSTANCEMISSINGDISK",
        "EINSTANCEPOLICY",
        "EINSTANCESPLITGROUPS",
        "EINSTANCEUNSUITABLENODE",
        "EINSTANCEWRONGNODE",
        "ENODEDRBD",
        "ENODEDRBDHELPER",
        "ENODEDRBDVERSION",
        "ENODEFILECHECK",
        "ENODEFILESTORAGEPATHS",
        "ENODEFILESTORAGEPATHUNUSABLE",
        "ENODEGLUSTERSTORAGEPATHUNUSABLE",
        "ENODEHOOKS",
        "ENODEHV",
        "ENODELVM",
        "ENODEN1",
        "ENODENET",
        "ENODEOOBPATH",
        "ENODEORPHANINSTANCE",
        "ENODEORPHANLV",
        "ENODEOS",
        "ENODERPC",
        "ENODESETUP",
        "ENODESHAREDFILESTORAGEPATHUNUSABLE",
        "ENODESSH",
        "ENODETIME",
        "ENODEUSERSCRIPTS",
        "ENODEVERSION",
    ]
)

# Node RPC (added for rpc/noded)
RPC_TMO_URGENT = 60
RPC_TMO_FAST = 300
RPC_TMO_NORMAL = 900
RPC_TMO_SLOW = 3600
RPC_TMO_4HRS = 14400
RPC_TMO_1DAY = 86400
RPC_CONNECT_TIMEOUT = 5
RPC_ENCODING_NONE = 0
RPC_ENCODING_ZLIB_BASE64 = 1
RPC_ENCODINGS = frozenset([RPC_ENCODING_NONE, RPC_ENCODING_ZLIB_BASE64])
OPENSSL_CIPHERS = "HIGH:-DES:-3DES:-EXPORT:-DH"
X509_CERT_CN = "ganeti.example.com"
X509_CERT_DEFAULT_VALIDITY = 365 * 5
X509_CERT_SIGNATURE_HEADER = "X-Ganeti-Signature"
RSA_KEY_BITS = 2048
SSL_CERT_EXPIRATION_WARN = 30
SSL_CERT_EXPIRATION_ERROR = 7
CRYPTO_BOOTSTRAP = "bootstrap"
RUNPARTS_SKIP = 0
RUNPARTS_RUN = 1
RUNPARTS_ERR = 2
HOOKS_SCRIPT_RE = r"^[a-zA-Z0-9_-]+$"
NV_BRIDGES = "bridges"
NV_CLIENT_CERT = "client-cert"
NV_DRBDHELPER = "drbd-helper"
NV_DRBDVERSION = "drbd-version"
NV_DRBDLIST = "drbd-list"
NV_EXCLUSIVEPVS = "exclusive-pvs"
NV_FILELIST = "filelist"
NV_ACCEPTED_STORAGE_PATHS = "allowed-file-storage-paths"
NV_FILE_STORAGE_PATH = "file-storage-path"
NV_SHARED_FILE_STORAGE_PATH = "shared-file-storage-path"
NV_GLUSTER_STORAGE_PATH = "gluster-storage-path"
NV_HVINFO = "hvinfo"
NV_HVPARAMS = "hvparms"
NV_HYPERVISOR = "hypervisor"
NV_INSTANCELIST = "instancelist"
NV_LVLIST = "lvlist"
NV_MASTERIP = "master-ip"
NV_NODELIST = "nodelist"
NV_NODENETTEST = "node-net-test"
NV_NODESETUP = "nodesetup"
NV_OOB_PATHS = "oob-paths"
NV_OSLIST = "oslist"
NV_PVLIST = "pvlist"
NV_TIME = "time"
NV_USERSCRIPTS = "user-scripts"
NV_VERSION = "version"
NV_VGLIST = "vglist"
NV_VMNODES = "vmnodes"

# Config objects (objects.py): grouped-parameter key, cluster-only hv/nd params,
# monitoring data collectors, default compression tools, template preference
PP_DEFAULT = "default"
HVC_GLOBALS = frozenset(["migration_port", "migration_bandwidth", "migration_mode", "xen_cmd"])
NDC_GLOBALS = frozenset([ND_EXCLUSIVE_STORAGE])
DATA_COLLECTOR_NAMES = frozenset(
    ["cpu-avg-load", "diskstats", "drbd", "inst-status-xen", "lv", "xen-cpu-avg-load"]
)
DATA_COLLECTOR_PARAMETER_INTERVAL = 5000000
IEC_DEFAULT_TOOLS = ["gzip", "gzip-fast", "gzip-slow"]
DISK_TEMPLATE_PREFERENCE = [
    DT_DRBD8,
    DT_PLAIN,
    DT_FILE,
    DT_SHARED_FILE,
    DT_BLOCK,
    DT_RBD,
    DT_EXT,
    DT_GLUSTER,
    DT_DISKLESS,
]

# OS API, block devices, storage fields, consoles (added for storage/osapi/hypervisors)
OS_API_FILE = "ganeti_api_version"
OS_VARIANTS_FILE = "variants.list"
OS_PARAMETERS_FILE = "parameters.list"
OS_SCRIPT_CREATE = "create"
OS_SCRIPT_CREATE_UNTRUSTED = "create_untrusted"
OS_SCRIPT_IMPORT = "import"
OS_SCRIPT_EXPORT = "export"
OS_SCRIPT_RENAME = "rename"
OS_SCRIPT_VERIFY = "verify"
OS_SCRIPTS = frozenset(
    [
        OS_SCRIPT_CREATE,
        OS_SCRIPT_CREATE_UNTRUSTED,
        OS_SCRIPT_IMPORT,
        OS_SCRIPT_EXPORT,
        OS_SCRIPT_RENAME,
        OS_SCRIPT_VERIFY,
    ]
)
OS_VALIDATE_PARAMETERS = "parameters"
OS_VALIDATE_CALLS = frozenset([OS_VALIDATE_PARAMETERS])
BLOCKDEV_DRIVER_MANUAL = "manual"
BLOCKDEV_DRIVERS = frozenset([BLOCKDEV_DRIVER_MANUAL])
DTS_BLOCK = frozenset([DT_PLAIN, DT_DRBD8, DT_BLOCK, DT_RBD, DT_EXT])
LDS_OKAY = 1
LDS_UNKNOWN = 2
LDS_FAULTY = 3
LDS_NAMES = {LDS_OKAY: "ok", LDS_UNKNOWN: "unknown", LDS_FAULTY: "faulty"}
DISK_SEPARATOR = ":"
LDP_ACCESS = "access"
DISK_KERNELSPACE = "kernelspace"
DISK_USERSPACE = "userspace"
DD_CMD = "dd"
WIPE_BLOCK_SIZE = 1024**2
SF_NAME = "name"
SF_SIZE = "size"
SF_FREE = "free"
SF_USED = "used"
SF_ALLOCATABLE = "allocatable"
SF_NODE = "node"
SF_TYPE = "type"
VALID_STORAGE_FIELDS = frozenset([SF_NAME, SF_TYPE, SF_SIZE, SF_USED, SF_FREE, SF_ALLOCATABLE])
HV_INIT_SCRIPT = "init_script"
HV_DISK_TYPE = "disk_type"
HV_NIC_TYPE = "nic_type"
HV_MIGRATION_MODE = "migration_mode"
CONS_SSH = "ssh"
CONS_VNC = "vnc"
CONS_SPICE = "spice"
CONS_MESSAGE = "message"
CONS_ALL = frozenset([CONS_SSH, CONS_VNC, CONS_SPICE, CONS_MESSAGE])
SSH_CONSOLE_USER = "root"

# Crypto tokens a node reports or creates (RPC node_crypto_tokens)
CRYPTO_TYPE_SSL_DIGEST = "ssl"
CRYPTO_TYPE_SSH = "ssh"
CRYPTO_TYPES = frozenset([CRYPTO_TYPE_SSL_DIGEST, CRYPTO_TYPE_SSH])
CRYPTO_ACTION_GET = "get"
CRYPTO_ACTION_CREATE = "create"
CRYPTO_ACTION_DELETE = "delete"
CRYPTO_ACTIONS = frozenset([CRYPTO_ACTION_GET, CRYPTO_ACTION_CREATE, CRYPTO_ACTION_DELETE])
CRYPTO_OPTION_CERT_FILE = "cert_file"
CRYPTO_OPTION_SERIAL_NO = "serial_no"
SSH_LOGIN_USER = "root"

# KVM hypervisor (hypervisor/hv_kvm): hvparam names, their valid values,
# migration statuses, console and VNC facts
HV_ACPI = "acpi"
HV_BOOT_ORDER = "boot_order"
HV_CDROM_IMAGE_PATH = "cdrom_image_path"
HV_CDROM2_IMAGE_PATH = "cdrom2_image_path"
HV_KVM_CDROM_DISK_TYPE = "cdrom_disk_type"
HV_CPU_CORES = "cpu_cores"
HV_CPU_MASK = "cpu_mask"
HV_CPU_SOCKETS = "cpu_sockets"
HV_CPU_THREADS = "cpu_threads"
HV_CPU_TYPE = "cpu_type"
HV_DISK_AIO = "disk_aio"
HV_DISK_CACHE = "disk_cache"
HV_DISK_DISCARD = "disk_discard"
HV_KVM_FLOPPY_IMAGE_PATH = "floppy_image_path"
HV_INITRD_PATH = "initrd_path"
HV_KERNEL_ARGS = "kernel_args"
HV_KERNEL_PATH = "kernel_path"
HV_KEYMAP = "keymap"
HV_KVM_EXTRA = "kvm_extra"
HV_KVM_FLAG = "kvm_flag"
HV_KVM_PATH = "kvm_path"
HV_KVM_PCI_RESERVATIONS = "kvm_pci_reservations"
HV_KVM_MACHINE_TYPE = "machine_type"
HV_KVM_MACHINE_VERSION = "machine_version"
HV_MEM_PATH = "mem_path"
HV_MIGRATION_BANDWIDTH = "migration_bandwidth"
HV_KVM_MIGRATION_CAPS = "migration_caps"
HV_MIGRATION_DOWNTIME = "migration_downtime"
HV_MIGRATION_PORT = "migration_port"
HV_REBOOT_BEHAVIOR = "reboot_behavior"
HV_ROOT_PATH = "root_path"
HV_KVM_SCSI_CONTROLLER_TYPE = "scsi_controller_type"
HV_SECURITY_DOMAIN = "security_domain"
HV_SECURITY_MODEL = "security_model"
HV_SERIAL_CONSOLE = "serial_console"
HV_SERIAL_SPEED = "serial_speed"
HV_SOUNDHW = "soundhw"
HV_KVM_SPICE_BIND = "spice_bind"
HV_USB_DEVICES = "usb_devices"
HV_USB_MOUSE = "usb_mouse"
HV_KVM_USE_CHROOT = "use_chroot"
HV_KVM_USE_GUEST_AGENT = "use_guest_agent"
HV_USE_LOCALTIME = "use_localtime"
HV_KVM_USER_SHUTDOWN = "user_shutdown"
HV_VGA = "vga"
HV_VHOST_NET = "vhost_net"
HV_VIRTIO_NET_QUEUES = "virtio_net_queues"
HV_VNC_BIND_ADDRESS = "vnc_bind_address"
HV_VNC_PASSWORD_FILE = "vnc_password_file"
HV_VNC_TLS = "vnc_tls"
HV_VNC_X509 = "vnc_x509_path"
HV_VNC_X509_VERIFY = "vnc_x509_verify"
HV_VNET_HDR = "vnet_hdr"
HT_DISK_IOEMU = "ioemu"
HT_DISK_IDE = "ide"
HT_DISK_SCSI = "scsi"
HT_DISK_SD = "sd"
HT_DISK_MTD = "mtd"
HT_DISK_PFLASH = "pflash"
HT_DISK_PARAVIRTUAL = "paravirtual"
HT_DISK_SCSI_BLOCK = "scsi-block"
HT_DISK_SCSI_GENERIC = "scsi-generic"
HT_DISK_SCSI_HD = "scsi-hd"
HT_SCSI_DEVICE_TYPES = frozenset([HT_DISK_SCSI_BLOCK, HT_DISK_SCSI_GENERIC, HT_DISK_SCSI_HD])
HT_KVM_VALID_DISK_TYPES = frozenset(
    [HT_DISK_PARAVIRTUAL, HT_DISK_IDE, HT_DISK_SCSI, HT_DISK_SD, HT_DISK_MTD, HT_DISK_PFLASH]
) | HT_SCSI_DEVICE_TYPES
HT_NIC_RTL8139 = "rtl8139"
HT_NIC_NE2K_PCI = "ne2k_pci"
HT_NIC_NE2K_ISA = "ne2k_isa"
HT_NIC_I82551 = "i82551"
HT_NIC_I85557B = "i82557b"
HT_NIC_I8259ER = "i82559er"
HT_NIC_PCNET = "pcnet"
HT_NIC_E1000 = "e1000"
HT_NIC_PARAVIRTUAL = "paravirtual"
HT_KVM_VALID_NIC_TYPES = frozenset(
    [
        HT_NIC_RTL8139,
        HT_NIC_NE2K_PCI,
        HT_NIC_NE2K_ISA,
        HT_NIC_I82551,
        HT_NIC_I85557B,
        HT_NIC_I8259ER,
        HT_NIC_PCNET,
        HT_NIC_E1000,
        HT_NIC_PARAVIRTUAL,
    ]
)
HT_CACHE_DEFAULT = "default"
HT_CACHE_NONE = "none"
HT_CACHE_WTHROUGH = "writethrough"
HT_CACHE_WBACK = "writeback"
HT_VALID_CACHE_TYPES = frozenset([HT_CACHE_DEFAULT, HT_CACHE_NONE, HT_CACHE_WTHROUGH, HT_CACHE_WBACK])
HT_KVM_AIO_THREADS = "threads"
HT_KVM_AIO_NATIVE = "native"
HT_KVM_AIO_IO_URING = "io_uring"
HT_KVM_VALID_AIO_TYPES = frozenset([HT_KVM_AIO_THREADS, HT_KVM_AIO_NATIVE, HT_KVM_AIO_IO_URING])
HT_DISCARD_DEFAULT = "default"
HT_DISCARD_IGNORE = "ignore"
HT_DISCARD_UNMAP = "unmap"
HT_VALID_DISCARD_TYPES = frozenset([HT_DISCARD_DEFAULT, HT_DISCARD_IGNORE, HT_DISCARD_UNMAP])
HT_BO_FLOPPY = "floppy"
HT_BO_CDROM = "cdrom"
HT_BO_DISK = "disk"
HT_BO_NETWORK = "network"
HT_KVM_VALID_BO_TYPES = frozenset([HT_BO_FLOPPY, HT_BO_CDROM, HT_BO_DISK, HT_BO_NETWORK])
HT_KVM_ENABLED = "enabled"
HT_KVM_DISABLED = "disabled"
HT_KVM_FLAG_VALUES = frozenset([HT_KVM_ENABLED, HT_KVM_DISABLED])
HT_SM_NONE = "none"
HT_SM_USER = "user"
HT_SM_POOL = "pool"
HT_KVM_VALID_SM_TYPES = frozenset([HT_SM_NONE, HT_SM_USER, HT_SM_POOL])
HT_MOUSE_MOUSE = "mouse"
HT_MOUSE_TABLET = "tablet"
HT_KVM_VALID_MOUSE_TYPES = frozenset([HT_MOUSE_MOUSE, HT_MOUSE_TABLET])
# machine_type (ours, as Ganeti 3.1): "pc"/"i440fx" or "q35"; "" is qemu's default (pc)
HT_KVM_MACHINE_PC = "pc"
HT_KVM_MACHINE_I440FX = "i440fx"
HT_KVM_MACHINE_Q35 = "q35"
HT_KVM_VALID_MACHINE_TYPES = frozenset(["", HT_KVM_MACHINE_PC, HT_KVM_MACHINE_I440FX, HT_KVM_MACHINE_Q35])
INSTANCE_REBOOT_ALLOWED = "reboot"
INSTANCE_REBOOT_EXIT = "exit"
REBOOT_BEHAVIORS = frozenset([INSTANCE_REBOOT_ALLOWED, INSTANCE_REBOOT_EXIT])
HV_MIGRATION_COMPLETED = "completed"
HV_MIGRATION_ACTIVE = "active"
HV_MIGRATION_FAILED = "failed"
HV_MIGRATION_CANCELLED = "cancelled"
HV_MIGRATION_VALID_STATUSES = frozenset(
    [HV_MIGRATION_COMPLETED, HV_MIGRATION_ACTIVE, HV_MIGRATION_FAILED, HV_MIGRATION_CANCELLED]
)
HV_MIGRATION_FAILED_STATUSES = frozenset([HV_MIGRATION_FAILED, HV_MIGRATION_CANCELLED])
HV_KVM_MIGRATION_VALID_STATUSES = frozenset([HV_MIGRATION_COMPLETED, HV_MIGRATION_ACTIVE, HV_MIGRATION_FAILED, HV_MIGRATION_CANCELLED])
VNC_BASE_PORT = 5900
SOCAT_PATH = "/usr/bin/socat"
SOCAT_ESCAPE_CODE = "0x1d"

# storage unit operations (gnt-node modify-storage / repair-storage)
SO_FIX_CONSISTENCY = "fix-consistency"
MODIFIABLE_STORAGE_FIELDS = {ST_LVM_PV: frozenset([SF_ALLOCATABLE])}
VALID_STORAGE_OPERATIONS = {ST_LVM_VG: frozenset([SO_FIX_CONSISTENCY])}
