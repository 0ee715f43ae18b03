"""Configuration objects of a cluster and the one place parameters inherit.

Owns the shape of every object stored in config.data (Ganeti 3.0 layout:
UUID-keyed dicts, instance disks as a list of disk UUIDs), their conversion
to and from plain dicts, their upgrade to a complete set of defaults, and
parameter inheritance: cluster -> node group -> node for node parameters,
ipolicy and disk parameters; cluster (and per-OS overrides) -> instance for
hypervisor, backend, OS and NIC parameters.

It must never do I/O, take locks, or follow references between objects:
objects name each other by UUID and the ConfigWriter resolves them.
"""

import copy
import operator
import re
import time
from typing import Any, Callable, Iterable

from ganeti import constants, errors

PP_DEFAULT = constants.PP_DEFAULT
HVC_GLOBALS = constants.HVC_GLOBALS
NDC_GLOBALS = constants.NDC_GLOBALS
DATA_COLLECTOR_NAMES = constants.DATA_COLLECTOR_NAMES
DATA_COLLECTOR_DEFAULT_INTERVAL = constants.DATA_COLLECTOR_PARAMETER_INTERVAL  # microseconds
DEFAULT_COMPRESSION_TOOLS = constants.IEC_DEFAULT_TOOLS
DISK_TEMPLATE_PREFERENCE = constants.DISK_TEMPLATE_PREFERENCE
ISPECS_MINMAX_KEYS = frozenset([constants.ISPECS_MIN, constants.ISPECS_MAX])
AF_INET = 2
AF_INET6 = 10

_TIMESTAMPS = ("ctime", "mtime")


def _fields(names: str) -> tuple[str, ...]:
    return tuple(names.split())


_UUID = ("uuid",)
_VALID_TAG_RE = re.compile(r"^[\w.+*/:@-]+$")


# --- parameter filling: the one implementation everything calls -------------


def fill_dict(
    defaults: dict[str, Any], custom: dict[str, Any] | None, skip_keys: Iterable[str] | None = None
) -> dict[str, Any]:
    """``defaults`` overridden by ``custom``, without ``skip_keys``.

    Returns a new dict; neither argument is modified.
    """
    result = dict(defaults)
    if custom:
        result.update(custom)
    if skip_keys:
        for key in skip_keys:
            result.pop(key, None)
    return result


def fill_ipolicy(default_ipolicy: dict[str, Any], custom_ipolicy: dict[str, Any] | None) -> dict:
    """A full instance policy: ``custom_ipolicy`` over ``default_ipolicy``.

    Keys are taken whole from the custom policy, except ``std`` which is
    filled parameter by parameter.
    """
    result = copy.deepcopy(custom_ipolicy or {})
    for key, value in default_ipolicy.items():
        if key not in result:
            result[key] = copy.deepcopy(value)
        elif key == constants.ISPECS_STD:
            result[key] = fill_dict(value, result[key])
    return result


def fill_disk_params(
    default_dparams: dict[str, dict],
    custom_dparams: dict[str, dict] | None,
    skip_keys: Iterable[str] | None = None,
) -> dict[str, dict]:
    """Disk parameters of every disk template, ``custom`` over ``default``."""
    custom_dparams = custom_dparams or {}
    return {
        dt: fill_dict(default_dparams.get(dt, {}), custom_dparams.get(dt, {}), skip_keys)
        for dt in constants.DISK_TEMPLATES
    }


def upgrade_grouped_params(
    target: dict[str, dict] | None, defaults: dict[str, Any]
) -> dict[str, dict]:
    """Fills the ``default`` group of grouped parameters with ``defaults``."""
    if not target:
        return {PP_DEFAULT: dict(defaults)}
    for group in target:
        target[group] = fill_dict(defaults, target[group])
    if PP_DEFAULT not in target:
        target[PP_DEFAULT] = dict(defaults)
    return target


def upgrade_be_params(target: dict[str, Any] | None) -> None:
    """Replaces the pre-2.6 ``memory`` backend parameter by maxmem/minmem."""
    if target and constants.BE_MEMORY in target:
        memory = target.pop(constants.BE_MEMORY)
        target.setdefault(constants.BE_MAXMEM, memory)
        target.setdefault(constants.BE_MINMEM, memory)


def upgrade_nd_params(ndparams: dict[str, Any] | None) -> dict[str, Any]:
    """Cluster node parameters completed with the defaults."""
    return fill_dict(constants.NDC_DEFAULTS, ndparams)


def upgrade_disk_params(diskparams: dict[str, dict] | None) -> dict[str, dict]:
    """Group-level disk parameters: empty stays empty, else completed."""
    if not diskparams:
        return {}
    return fill_disk_params(constants.DISK_DT_DEFAULTS, diskparams)


def make_empty_ipolicy() -> dict[str, Any]:
    """The instance policy of a node group that overrides nothing."""
    return {}


_VTYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    constants.VTYPE_STRING: lambda v: isinstance(v, str),
    constants.VTYPE_MAYBE_STRING: lambda v: v is None or isinstance(v, str),
    constants.VTYPE_BOOL: lambda v: isinstance(v, bool),
    constants.VTYPE_SIZE: lambda v: isinstance(v, int) and not isinstance(v, bool),
    constants.VTYPE_INT: lambda v: isinstance(v, int) and not isinstance(v, bool),
    constants.VTYPE_FLOAT: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def check_param_types(
    params: dict[str, Any] | None, key_types: dict[str, str], where: str
) -> list[str]:
    """Problems of a stored parameter dict: unknown keys and wrong types.

    Stored values are already converted (sizes in MiB as ints), so this
    checks types only; it never converts. ``where`` prefixes each message.
    """
    problems = []
    if params is None:
        return problems
    if not isinstance(params, dict):
        return ["%s: parameters are not a dict" % where]
    for key, value in params.items():
        vtype = key_types.get(key)
        if vtype is None:
            problems.append("%s: unknown parameter '%s'" % (where, key))
        elif not _VTYPE_CHECKS[vtype](value):
            problems.append(
                "%s: parameter '%s' has invalid value %r (expected %s)" % (where, key, value, vtype)
            )
    return problems


class InstancePolicy:
    """Syntax checks of instance policies (stored as plain dicts)."""

    @staticmethod
    def check_parameter(key: str, value: Any) -> None:
        """Checks a ratio parameter (vcpu-ratio, spindle-ratio)."""
        if key in constants.IPOLICY_PARAMETERS:
            if isinstance(value, bool):
                raise errors.ConfigurationError(
                    "Invalid value for ipolicy key '%s': %r is not a number" % (key, value)
                )
            try:
                float(value)
            except (TypeError, ValueError) as err:
                raise errors.ConfigurationError(
                    "Invalid value for ipolicy key '%s': %r (%s)" % (key, value, err)
                ) from None

    @staticmethod
    def check_disk_templates(disk_templates: list[str]) -> None:
        """The policy must allow at least one known disk template."""
        if not disk_templates:
            raise errors.ConfigurationError(
                "Instance policy must contain at least one disk template"
            )
        wrong = sorted(set(disk_templates) - constants.DISK_TEMPLATES)
        if wrong:
            raise errors.ConfigurationError(
                "Invalid disk template(s) in instance policy: %s" % ", ".join(wrong)
            )

    @staticmethod
    def check_ispec_syntax(ipolicy: dict[str, Any], check_std: bool) -> None:
        """Checks the minmax and std specifications of a policy."""
        if constants.ISPECS_MINMAX not in ipolicy:
            return
        if check_std and constants.ISPECS_STD not in ipolicy:
            raise errors.ConfigurationError("Missing key in ipolicy: %s" % constants.ISPECS_STD)
        minmax_list = ipolicy[constants.ISPECS_MINMAX]
        if not isinstance(minmax_list, list) or not minmax_list:
            raise errors.ConfigurationError("Empty minmax specifications in ipolicy")
        stdspec = ipolicy.get(constants.ISPECS_STD, {})
        std_is_good = False
        for minmax in minmax_list:
            if not isinstance(minmax, dict):
                raise errors.ConfigurationError("Invalid minmax specification %r" % (minmax,))
            missing = ISPECS_MINMAX_KEYS - set(minmax)
            if missing:
                raise errors.ConfigurationError(
                    "Missing instance specification: %s" % ", ".join(sorted(missing))
                )
            for key, spec in minmax.items():
                if key not in ISPECS_MINMAX_KEYS:
                    raise errors.ConfigurationError("Invalid minmax key '%s'" % key)
                missing = set(constants.ISPECS_PARAMETER_TYPES) - set(spec)
                if missing:
                    raise errors.ConfigurationError(
                        "Missing instance specs parameters for %s: %s"
                        % (key, ", ".join(sorted(missing)))
                    )
                problems = check_param_types(
                    spec, constants.ISPECS_PARAMETER_TYPES, "ipolicy %s" % key
                )
                if problems:
                    raise errors.ConfigurationError("; ".join(problems))
            spec_std_ok = True
            for name in constants.ISPECS_PARAMETER_TYPES:
                low = minmax[constants.ISPECS_MIN][name]
                high = minmax[constants.ISPECS_MAX][name]
                if low > high:
                    raise errors.ConfigurationError(
                        "Invalid specification of min/max values for %s: %s/%s" % (name, low, high)
                    )
                if check_std:
                    std = stdspec.get(name, low)
                    spec_std_ok = spec_std_ok and low <= std <= high
            std_is_good = std_is_good or spec_std_ok
        if not std_is_good:
            raise errors.ConfigurationError(
                "Invalid std specifications: not within any min/max range"
            )

    @classmethod
    def check_parameter_syntax(cls, ipolicy: dict[str, Any], check_std: bool) -> None:
        """Raises ConfigurationError unless ``ipolicy`` is well formed."""
        if not isinstance(ipolicy, dict):
            raise errors.ConfigurationError("Instance policy is not a dict")
        wrong = sorted(set(ipolicy) - constants.IPOLICY_ALL_KEYS)
        if wrong:
            raise errors.ConfigurationError("Invalid keys in ipolicy: %s" % ", ".join(wrong))
        for key in constants.IPOLICY_PARAMETERS:
            if key in ipolicy:
                cls.check_parameter(key, ipolicy[key])
        cls.check_ispec_syntax(ipolicy, check_std)
        if constants.IPOLICY_DTS in ipolicy:
            cls.check_disk_templates(ipolicy[constants.IPOLICY_DTS])

    @staticmethod
    def upgrade_disk_templates(ipolicy: dict[str, Any], enabled_disk_templates: list[str]) -> None:
        """Drops from the policy the disk templates the cluster does not enable."""
        if constants.IPOLICY_DTS in ipolicy:
            enabled = set(enabled_disk_templates)
            ipolicy[constants.IPOLICY_DTS] = [
                dt for dt in ipolicy[constants.IPOLICY_DTS] if dt in enabled
            ]


# --- the object model ---------------------------------------------------------


def _sorted_list(value: Iterable) -> list:
    return sorted(value)


def _dump_objects(value: Iterable["ConfigObject"]) -> list[dict]:
    return [item.to_dict() for item in value]


def _dump_object_dict(value: dict[str, "ConfigObject"]) -> dict[str, dict]:
    return {key: item.to_dict() for key, item in value.items()}


def _configure_class(cls: type) -> None:
    """Precomputes the fast field getter and the nested conversions of a class."""
    if not cls._FIELDS:
        return
    cls._getter = staticmethod(operator.attrgetter(*cls._FIELDS))
    dump, load = [], []
    for name, (kind, klass) in cls._NESTED.items():
        if kind == "set":
            dump.append((name, _sorted_list))
            load.append((name, set))
        elif kind == "list":
            dump.append((name, _dump_objects))
            load.append((name, klass._load_list))
        elif kind == "dict":
            dump.append((name, _dump_object_dict))
            load.append((name, klass._load_dict))
        elif kind == "obj":
            dump.append((name, operator.methodcaller("to_dict")))
            load.append((name, klass.from_dict))
    cls._dump_conv = tuple(dump)
    cls._load_conv = tuple(load)


class ConfigObject:
    """Base of every configuration object: slots, to_dict/from_dict, copy.

    Fields are listed in ``_FIELDS``; unset fields hold None and are left out
    of ``to_dict()``, so loading and dumping a 3.0 config.data gives back the
    same keys.  Keys a class does not know are ignored when loading.
    ``to_dict()`` is shallow: parameter dicts are shared with the object
    (serialize or ``copy()`` before handing them to someone who mutates).
    """

    __slots__ = ()
    _FIELDS: tuple[str, ...] = ()
    # field -> ("set" | "list" | "dict" | "obj", class or None)
    _NESTED: dict[str, tuple[str, Any]] = {}
    # field -> factory for the constructor's default (None otherwise)
    _CTOR_DEFAULTS: dict[str, Callable[[], Any]] = {}
    _getter: Callable[[Any], tuple] = staticmethod(lambda obj: ())
    _dump_conv: tuple = ()
    _load_conv: tuple = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _configure_class(cls)

    def __init__(self, **kwargs: Any) -> None:
        for name in self._FIELDS:
            if name in kwargs:
                value = kwargs.pop(name)
            else:
                factory = self._CTOR_DEFAULTS.get(name)
                value = factory() if factory is not None else None
            setattr(self, name, value)
        if kwargs:
            raise TypeError(
                "%s has no field(s) %s" % (type(self).__name__, ", ".join(sorted(kwargs)))
            )

    def __repr__(self) -> str:
        ident = []
        for name in ("name", "uuid"):
            if name in self._FIELDS:
                ident.append("%s=%r" % (name, getattr(self, name)))
        return "<%s %s>" % (type(self).__name__, " ".join(ident))

    def to_dict(self) -> dict[str, Any]:
        """This object as a dict of JSON-ready values (None fields omitted)."""
        result = {k: v for k, v in zip(self._FIELDS, self._getter(self)) if v is not None}
        for name, conv in self._dump_conv:
            if name in result:
                result[name] = conv(result[name])
        return result

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ConfigObject":
        """Builds an object from ``to_dict()`` output; unknown keys are ignored."""
        if not isinstance(data, dict):
            raise errors.ConfigurationError(
                "Invalid %s data: expected a dict, got %s" % (cls.__name__, type(data).__name__)
            )
        obj = cls.__new__(cls)
        get = data.get
        for name in cls._FIELDS:
            setattr(obj, name, get(name))
        for name, conv in cls._load_conv:
            value = getattr(obj, name)
            if value is not None:
                setattr(obj, name, conv(value))
        return obj

    @classmethod
    def _load_list(cls, values: list) -> list:
        if not isinstance(values, list):
            raise errors.ConfigurationError(
                "Invalid list of %s: got %s" % (cls.__name__, type(values).__name__)
            )
        return [v if isinstance(v, cls) else cls.from_dict(v) for v in values]

    @classmethod
    def _load_dict(cls, values: dict) -> dict:
        if not isinstance(values, dict):
            raise errors.ConfigurationError(
                "Invalid dict of %s: got %s" % (cls.__name__, type(values).__name__)
            )
        return {k: v if isinstance(v, cls) else cls.from_dict(v) for k, v in values.items()}

    def copy(self) -> "ConfigObject":
        """A deep, independent copy."""
        return self.from_dict(copy.deepcopy(self.to_dict()))

    def upgrade_config(self) -> None:
        """Fills fields missing from older configurations (no-op by default)."""


class TaggableObject(ConfigObject):
    """An object carrying tags: a set in memory, a sorted list on disk."""

    __slots__ = ()
    _CTOR_DEFAULTS = {"tags": set}

    @staticmethod
    def validate_tag(tag: Any) -> None:
        """Raises TagError unless ``tag`` is a valid tag."""
        if not isinstance(tag, str):
            raise errors.TagError("Invalid tag type (not a string): %r" % (tag,))
        if not tag:
            raise errors.TagError("Tags cannot be empty")
        if len(tag) > constants.MAX_TAG_LEN:
            raise errors.TagError(
                "Tag too long (%d characters, at most %d allowed)"
                % (len(tag), constants.MAX_TAG_LEN)
            )
        if not _VALID_TAG_RE.match(tag):
            raise errors.TagError(
                "Tag '%s' contains invalid characters (allowed: letters, digits and _.+*/:@-)" % tag
            )

    def get_tags(self) -> set[str]:
        """The object's tag set (the live set, not a copy)."""
        tags = self.tags
        if tags is None:
            tags = self.tags = set()
        return tags

    def add_tag(self, tag: str) -> None:
        """Adds a validated tag; at most MAX_TAGS_PER_OBJ tags per object."""
        self.validate_tag(tag)
        tags = self.get_tags()
        if tag not in tags and len(tags) >= constants.MAX_TAGS_PER_OBJ:
            raise errors.TagError(
                "Too many tags (at most %d per object)" % constants.MAX_TAGS_PER_OBJ
            )
        tags.add(tag)

    def remove_tag(self, tag: str) -> None:
        """Removes a tag; TagError if it is not set."""
        self.validate_tag(tag)
        try:
            self.get_tags().remove(tag)
        except KeyError:
            raise errors.TagError("Tag '%s' not found" % tag) from None

    def upgrade_config(self) -> None:
        if self.tags is None:
            self.tags = set()


class NIC(ConfigObject):
    """A network interface of an instance."""

    __slots__ = _FIELDS = _fields("name mac ip network nicparams netinfo pci hvinfo") + _UUID
    _CTOR_DEFAULTS = {"nicparams": dict}

    def upgrade_config(self) -> None:
        if self.nicparams is None:
            self.nicparams = {}


class Disk(ConfigObject):
    """A virtual disk; DRBD disks hold their two LVs as children."""

    __slots__ = _FIELDS = _fields(
        "forthcoming name dev_type logical_id children nodes iv_name size mode params "
        "spindles pci hvinfo serial_no dynamic_params uuid ctime mtime"
    )
    _NESTED = {}  # children set below, once the class exists
    _CTOR_DEFAULTS = {"children": list, "params": dict}

    @property
    def all_nodes(self) -> list[str]:
        """UUIDs of every node this disk (or a child) lives on, in order."""
        seen: list[str] = []
        candidates = list(self.nodes or [])
        if self.dev_type == constants.DT_DRBD8 and self.logical_id:
            candidates.extend(self.logical_id[:2])
        for child in self.children or []:
            candidates.extend(child.all_nodes)
        for node in candidates:
            if node not in seen:
                seen.append(node)
        return seen

    def is_based_on_disk_type(self, dev_type: str) -> bool:
        """True if this disk or any child has device type ``dev_type``."""
        if self.dev_type == dev_type:
            return True
        return any(child.is_based_on_disk_type(dev_type) for child in self.children or [])

    def static_dev_path(self) -> str | None:
        """The device path known without asking the node, if any."""
        if self.dev_type == constants.DT_PLAIN and self.logical_id:
            return "/dev/%s/%s" % (self.logical_id[0], self.logical_id[1])
        if self.dev_type == constants.DT_BLOCK and self.logical_id:
            return self.logical_id[1]
        return None

    def record_grow(self, amount: int) -> None:
        """Records ``amount`` MiB of growth (DRBD: the data child grows too)."""
        if self.dev_type in (
            constants.DT_PLAIN,
            constants.DT_FILE,
            constants.DT_SHARED_FILE,
            constants.DT_BLOCK,
            constants.DT_RBD,
            constants.DT_EXT,
            constants.DT_GLUSTER,
            constants.DT_DISKLESS,
        ):
            self.size += amount
        elif self.dev_type == constants.DT_DRBD8:
            if self.children:
                self.children[0].record_grow(amount)
            self.size += amount
        else:
            raise errors.ProgrammerError(
                "Disk.record_grow called for unsupported type %s" % (self.dev_type,)
            )

    def upgrade_config(self) -> None:
        if self.mode is None:
            self.mode = constants.DISK_RDWR
        if self.params is None:
            self.params = {}
        for child in self.children or []:
            child.upgrade_config()


# a Disk's children are Disks: wire the nesting once the class exists
Disk._NESTED = {"children": ("list", Disk)}
_configure_class(Disk)


class Instance(TaggableObject):
    """An instance; ``disks`` lists disk UUIDs (Ganeti 3.0)."""

    __slots__ = _FIELDS = _fields(
        "forthcoming name primary_node os hypervisor hvparams beparams osparams "
        "osparams_private admin_state admin_state_source nics disks disks_active "
        "network_port serial_no ctime mtime uuid tags"
    )
    _NESTED = {"nics": ("list", NIC), "tags": ("set", None)}
    _CTOR_DEFAULTS = {
        "tags": set,
        "nics": list,
        "disks": list,
        "hvparams": dict,
        "beparams": dict,
        "osparams": dict,
        "osparams_private": dict,
    }

    def upgrade_config(self) -> None:
        super().upgrade_config()
        if self.admin_state is None:
            self.admin_state = constants.ADMINST_DOWN
        if self.admin_state_source is None:
            self.admin_state_source = constants.ADMIN_SOURCE
        if self.nics is None:
            self.nics = []
        for nic in self.nics:
            nic.upgrade_config()
        if self.disks is None:
            self.disks = []
        if self.hvparams is None:
            self.hvparams = {}
        else:
            for key in HVC_GLOBALS:
                self.hvparams.pop(key, None)
        if self.beparams is None:
            self.beparams = {}
        upgrade_be_params(self.beparams)
        if self.osparams is None:
            self.osparams = {}
        if self.osparams_private is None:
            self.osparams_private = {}
        if self.disks_active is None:
            self.disks_active = self.admin_state == constants.ADMINST_UP


class Node(TaggableObject):
    """A physical node."""

    __slots__ = _FIELDS = _fields(
        "name primary_ip secondary_ip serial_no master_candidate offline drained group "
        "master_capable vm_capable ndparams powered hv_state hv_state_static disk_state "
        "disk_state_static ctime mtime uuid tags"
    )
    _NESTED = {"tags": ("set", None)}
    _CTOR_DEFAULTS = {"tags": set, "ndparams": dict}

    def upgrade_config(self) -> None:
        super().upgrade_config()
        for name in ("master_candidate", "offline", "drained"):
            if getattr(self, name) is None:
                setattr(self, name, False)
        if self.master_capable is None:
            self.master_capable = True
        if self.vm_capable is None:
            self.vm_capable = True
        if self.ndparams is None:
            self.ndparams = {}
        for key in NDC_GLOBALS:
            self.ndparams.pop(key, None)
        if self.powered is None:
            self.powered = True
        if self.secondary_ip is None:
            self.secondary_ip = self.primary_ip


class NodeGroup(TaggableObject):
    """A node group.  ``members`` is computed by the ConfigWriter and is
    stored empty, as Ganeti 3.0 does."""

    __slots__ = _FIELDS = _fields(
        "name members ndparams diskparams ipolicy serial_no hv_state_static "
        "disk_state_static alloc_policy networks ctime mtime uuid tags"
    )
    _NESTED = {"tags": ("set", None)}
    _CTOR_DEFAULTS = {
        "tags": set,
        "members": list,
        "ndparams": dict,
        "diskparams": dict,
        "ipolicy": dict,
        "networks": dict,
    }

    def to_dict(self) -> dict[str, Any]:
        result = super().to_dict()
        result["members"] = []
        return result

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "NodeGroup":
        obj = super().from_dict(data)
        obj.members = list(obj.members or [])
        return obj

    def simple_fill_nd(self, ndparams: dict[str, Any] | None) -> dict[str, Any]:
        """``ndparams`` over this group's node parameters."""
        return fill_dict(self.ndparams or {}, ndparams)

    def fill_nd(self, node: Node) -> dict[str, Any]:
        """The node's parameters over this group's (cluster level not included)."""
        return self.simple_fill_nd(node.ndparams)

    def upgrade_config(self) -> None:
        super().upgrade_config()
        if self.members is None:
            self.members = []
        if self.ndparams is None:
            self.ndparams = {}
        if self.serial_no is None:
            self.serial_no = 1
        if self.alloc_policy is None:
            self.alloc_policy = constants.ALLOC_POLICY_PREFERRED
        if self.mtime is None:
            self.mtime = time.time()
        if self.diskparams is None:
            self.diskparams = {}
        if self.ipolicy is None:
            self.ipolicy = make_empty_ipolicy()
        if self.networks is None:
            self.networks = {}
        for net_uuid, netparams in self.networks.items():
            self.networks[net_uuid] = fill_dict(constants.NICC_DEFAULTS, netparams)


class Network(TaggableObject):
    """An IP network; ``reservations`` is a '0'/'1' string, one per address."""

    __slots__ = _FIELDS = _fields(
        "name serial_no mac_prefix network network6 gateway gateway6 reservations "
        "ext_reservations ctime mtime uuid tags"
    )
    _NESTED = {"tags": ("set", None)}

    def upgrade_config(self) -> None:
        super().upgrade_config()
        if self.serial_no is None:
            self.serial_no = 1


class FilterRule(ConfigObject):
    """A job filter rule (Ganeti 2.13+)."""

    __slots__ = _FIELDS = _fields(
        "watermark priority predicates action reason_trail serial_no ctime mtime uuid"
    )


Filter = FilterRule


class Cluster(TaggableObject):
    """Cluster-wide settings and the defaults every parameter inherits from."""

    __slots__ = _FIELDS = _fields(
        "serial_no rsahostkeypub dsahostkeypub highest_used_port tcpudp_port_pool "
        "mac_prefix volume_group_name reserved_lvs drbd_usermode_helper default_bridge "
        "default_hypervisor master_node master_ip master_netdev master_netmask "
        "use_external_mip_script cluster_name file_storage_dir shared_file_storage_dir "
        "gluster_storage_dir enabled_hypervisors hvparams ipolicy os_hvp beparams "
        "osparams osparams_private_cluster nicparams ndparams diskparams "
        "candidate_pool_size modify_etc_hosts modify_ssh_setup maintain_node_health "
        "uid_pool default_iallocator default_iallocator_params hidden_os blacklisted_os "
        "primary_ip_family prealloc_wipe_disks hv_state_static disk_state_static "
        "enabled_disk_templates candidate_certs max_running_jobs max_tracked_jobs "
        "install_image instance_communication_network zeroing_image compression_tools "
        "enabled_user_shutdown data_collectors ssh_key_type ssh_key_bits ctime mtime "
        "uuid tags"
    )
    _NESTED = {"tags": ("set", None), "tcpudp_port_pool": ("set", None)}

    # -- defaults and inheritance --

    @property
    def primary_hypervisor(self) -> str:
        """The first enabled hypervisor (the default for new instances)."""
        if not self.enabled_hypervisors:
            raise errors.ConfigurationError("The cluster has no enabled hypervisor")
        return self.enabled_hypervisors[0]

    def get_default_hypervisor(self) -> str:
        return self.primary_hypervisor

    def get_hv_defaults(
        self, hypervisor: str, os_name: str | None = None, skip_keys: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """Cluster hvparams of ``hypervisor``, then the OS's overrides (os_hvp)."""
        result = fill_dict((self.hvparams or {}).get(hypervisor, {}), None, skip_keys)
        if os_name is not None and self.os_hvp:
            result = fill_dict(result, self.os_hvp.get(os_name, {}).get(hypervisor, {}), skip_keys)
        return result

    def simple_fill_hv(
        self,
        hv_name: str,
        os_name: str | None,
        hvparams: dict[str, Any] | None,
        skip_globals: bool = False,
    ) -> dict[str, Any]:
        """Full hypervisor parameters: cluster -> OS overrides -> ``hvparams``.

        ``skip_globals`` leaves out cluster-only keys (HVC_GLOBALS).
        """
        skip = HVC_GLOBALS if skip_globals else None
        return fill_dict(self.get_hv_defaults(hv_name, os_name, skip), hvparams, skip)

    def fill_hvparams(self, instance: Instance, skip_globals: bool = False) -> dict[str, Any]:
        """The instance's full hypervisor parameters."""
        return self.simple_fill_hv(
            instance.hypervisor, instance.os, instance.hvparams, skip_globals
        )

    def simple_fill_be(self, beparams: dict[str, Any] | None) -> dict[str, Any]:
        """Full backend parameters: cluster default group -> ``beparams``."""
        return fill_dict((self.beparams or {}).get(PP_DEFAULT, {}), beparams)

    def fill_beparams(self, instance: Instance) -> dict[str, Any]:
        """The instance's full backend parameters."""
        return self.simple_fill_be(instance.beparams)

    def simple_fill_os(
        self,
        os_name: str,
        os_params_public: dict[str, Any] | None,
        os_params_private: dict[str, Any] | None = None,
        os_params_secret: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Full OS parameters: cluster (base OS, then variant) -> instance.

        Public, private and secret parameters are merged; a key given in
        more than one of them is an OpPrereqError.
        """
        base = os_name.split("+", 1)[0]
        osparams = self.osparams or {}
        private_cluster = self.osparams_private_cluster or {}
        public = fill_dict(
            fill_dict(osparams.get(base, {}), osparams.get(os_name, {})), os_params_public
        )
        private = fill_dict(
            fill_dict(private_cluster.get(base, {}), private_cluster.get(os_name, {})),
            os_params_private,
        )
        secret = os_params_secret or {}
        repeated = sorted(
            (set(public) & set(private))
            | (set(public) & set(secret))
            | (set(private) & set(secret))
        )
        if repeated:
            raise errors.OpPrereqError(
                "OS parameters given more than once (public, private, secret): %s"
                % ", ".join(repeated),
                errors.ECODE_INVAL,
            )
        result = dict(public)
        result.update(private)
        result.update(secret)
        return result

    def fill_osparams(self, instance: Instance) -> dict[str, Any]:
        """The instance's full OS parameters (public and private)."""
        return self.simple_fill_os(instance.os, instance.osparams, instance.osparams_private)

    def simple_fill_nic(self, nicparams: dict[str, Any] | None) -> dict[str, Any]:
        """Full NIC parameters: cluster default group -> ``nicparams``."""
        return fill_dict((self.nicparams or {}).get(PP_DEFAULT, {}), nicparams)

    def fill_nicparams(self, nic: "NIC | dict[str, Any] | None") -> dict[str, Any]:
        """Full parameters of a NIC (or of a nicparams dict)."""
        if isinstance(nic, NIC):
            nic = nic.nicparams
        return self.simple_fill_nic(nic)

    def simple_fill_nd(self, ndparams: dict[str, Any] | None) -> dict[str, Any]:
        """Full node parameters: cluster -> ``ndparams``."""
        return fill_dict(self.ndparams or {}, ndparams)

    def fill_ndparams(self, node: Node, group: NodeGroup) -> dict[str, Any]:
        """Full node parameters of ``node``: cluster -> group -> node."""
        return self.simple_fill_nd(group.fill_nd(node))

    def simple_fill_ipolicy(self, ipolicy: dict[str, Any] | None) -> dict[str, Any]:
        """Full instance policy: cluster -> ``ipolicy``."""
        return fill_ipolicy(self.ipolicy or {}, ipolicy)

    def fill_ipolicy(self, group: NodeGroup) -> dict[str, Any]:
        """The node group's full instance policy."""
        return self.simple_fill_ipolicy(group.ipolicy)

    def simple_fill_dp(self, diskparams: dict[str, dict] | None) -> dict[str, dict]:
        """Full disk parameters of every template: cluster -> ``diskparams``."""
        return fill_disk_params(self.diskparams or {}, diskparams)

    def fill_diskparams(self, group: NodeGroup) -> dict[str, dict]:
        """The node group's full disk parameters."""
        return self.simple_fill_dp(group.diskparams)

    def is_disk_template_enabled(self, disk_template: str) -> bool:
        return disk_template in (self.enabled_disk_templates or [])

    def is_file_storage_enabled(self) -> bool:
        return constants.DT_FILE in (self.enabled_disk_templates or [])

    def is_shared_file_storage_enabled(self) -> bool:
        return constants.DT_SHARED_FILE in (self.enabled_disk_templates or [])

    # -- upgrade --

    def upgrade_config(self) -> None:
        """Completes a cluster with the defaults of every missing setting."""
        super().upgrade_config()
        if self.enabled_hypervisors is None:
            self.enabled_hypervisors = [constants.DEFAULT_ENABLED_HYPERVISOR]
        if self.default_hypervisor is not None:
            hv = self.default_hypervisor
            self.enabled_hypervisors = [hv] + [h for h in self.enabled_hypervisors if h != hv]
            self.default_hypervisor = None
        self.hvparams = self.hvparams or {}
        for hv_name, defaults in constants.HVC_DEFAULTS.items():
            self.hvparams[hv_name] = fill_dict(defaults, self.hvparams.get(hv_name))
        if self.os_hvp is None:
            self.os_hvp = {}
        if self.osparams is None:
            self.osparams = {}
        if self.osparams_private_cluster is None:
            self.osparams_private_cluster = {}
        self.ndparams = upgrade_nd_params(self.ndparams)
        if self.beparams:
            for group in self.beparams.values():
                upgrade_be_params(group)
        self.beparams = upgrade_grouped_params(self.beparams, constants.BEC_DEFAULTS)
        migrate_bridge = self.nicparams is None and self.default_bridge is not None
        self.nicparams = upgrade_grouped_params(self.nicparams, constants.NICC_DEFAULTS)
        if migrate_bridge:
            self.nicparams[PP_DEFAULT][constants.NIC_LINK] = self.default_bridge
        self.default_bridge = None
        if self.diskparams is None:
            self.diskparams = copy.deepcopy(constants.DISK_DT_DEFAULTS)
        else:
            self.diskparams = fill_disk_params(constants.DISK_DT_DEFAULTS, self.diskparams)
        if self.ipolicy is None:
            self.ipolicy = fill_ipolicy(constants.IPOLICY_DEFAULTS, {})
        else:
            wrong = sorted(set(self.ipolicy) - constants.IPOLICY_ALL_KEYS)
            if wrong:
                raise errors.ConfigurationError(
                    "Cluster instance policy contains unknown keys: %s" % ", ".join(wrong)
                )
            self.ipolicy = fill_ipolicy(constants.IPOLICY_DEFAULTS, self.ipolicy)
        simple = {
            "modify_etc_hosts": True,
            "modify_ssh_setup": True,
            "maintain_node_health": False,
            "use_external_mip_script": False,
            "prealloc_wipe_disks": False,
            "enabled_user_shutdown": False,
            "candidate_pool_size": constants.MASTER_POOL_SIZE_DEFAULT,
            "mac_prefix": constants.DEFAULT_MAC_PREFIX,
            "highest_used_port": constants.FIRST_DRBD_PORT - 1,
            "primary_ip_family": AF_INET,
            "max_running_jobs": constants.DEFAULT_MAX_RUNNING_JOBS,
            "max_tracked_jobs": constants.DEFAULT_MAX_TRACKED_JOBS,
            "default_iallocator": "",
            "install_image": "",
            "zeroing_image": "",
            "instance_communication_network": "",
            "shared_file_storage_dir": "",
            "gluster_storage_dir": "",
            "file_storage_dir": "",
            "rsahostkeypub": "",
            "dsahostkeypub": "",
            "ssh_key_type": "rsa",
            "ssh_key_bits": 2048,
        }
        for name, value in simple.items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        for name in ("uid_pool", "reserved_lvs", "hidden_os", "blacklisted_os"):
            if getattr(self, name) is None:
                setattr(self, name, [])
        for name in (
            "default_iallocator_params",
            "hv_state_static",
            "disk_state_static",
            "candidate_certs",
        ):
            if getattr(self, name) is None:
                setattr(self, name, {})
        if self.tcpudp_port_pool is None:
            self.tcpudp_port_pool = set()
        if self.master_netmask is None:
            self.master_netmask = 128 if self.primary_ip_family == AF_INET6 else 32
        if self.compression_tools is None:
            self.compression_tools = list(DEFAULT_COMPRESSION_TOOLS)
        if self.data_collectors is None:
            self.data_collectors = {}
        for name in sorted(DATA_COLLECTOR_NAMES):
            self.data_collectors[name] = fill_dict(
                {"active": True, "interval": DATA_COLLECTOR_DEFAULT_INTERVAL},
                self.data_collectors.get(name),
            )


class ConfigData(ConfigObject):
    """The whole of config.data: cluster plus UUID-keyed object dicts."""

    __slots__ = _FIELDS = _fields(
        "version cluster nodes nodegroups instances networks disks filters serial_no ctime mtime"
    )
    _NESTED = {
        "cluster": ("obj", Cluster),
        "nodes": ("dict", Node),
        "nodegroups": ("dict", NodeGroup),
        "instances": ("dict", Instance),
        "networks": ("dict", Network),
        "disks": ("dict", Disk),
        "filters": ("dict", FilterRule),
    }
    _CTOR_DEFAULTS = {
        "nodes": dict,
        "nodegroups": dict,
        "instances": dict,
        "networks": dict,
        "disks": dict,
        "filters": dict,
    }

    def upgrade_config(self) -> None:
        """Completes every object with defaults (idempotent on a 3.0 config)."""
        if self.cluster is None:
            raise errors.ConfigurationError("Configuration has no cluster section")
        self.cluster.upgrade_config()
        for name in ("nodes", "nodegroups", "instances", "networks", "disks", "filters"):
            if getattr(self, name) is None:
                setattr(self, name, {})
        for coll in (self.nodes, self.nodegroups, self.instances, self.networks, self.disks):
            for obj in coll.values():
                obj.upgrade_config()
        if self.serial_no is None:
            self.serial_no = 1
        if self.version is None:
            self.version = constants.CONFIG_VERSION
        self._upgrade_enabled_disk_templates()

    def _upgrade_enabled_disk_templates(self) -> None:
        cluster = self.cluster
        if cluster.enabled_disk_templates is None:
            used = set()
            for disk in self.disks.values():
                used.add(disk.dev_type)
            if any(not inst.disks for inst in self.instances.values()):
                used.add(constants.DT_DISKLESS)
            if cluster.volume_group_name:
                used.update([constants.DT_DRBD8, constants.DT_PLAIN])
            if not used:
                used.update(constants.DEFAULT_ENABLED_DISK_TEMPLATES)
            cluster.enabled_disk_templates = [
                dt for dt in DISK_TEMPLATE_PREFERENCE if dt in used
            ] + sorted(used - set(DISK_TEMPLATE_PREFERENCE))
        InstancePolicy.upgrade_disk_templates(cluster.ipolicy, cluster.enabled_disk_templates)

    def has_any_disk_of_type(self, dev_type: str) -> bool:
        """True if any disk of the cluster is (or contains) ``dev_type``."""
        return any(d.is_based_on_disk_type(dev_type) for d in self.disks.values())
