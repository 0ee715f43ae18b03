"""Pieces shared by the per-resource field tables, and parameter views.

Owns the small getter builders every table uses (attributes, tags,
timestamps, ``ndp/`` fields), the VTYPE -> field kind mapping, the field
titles of parameter fields, and the filled ("merged") parameter views a
query shows (cluster -> group -> node/instance).  It must never fetch data.

The filled views delegate to the config objects when they offer the fill
methods (``fill_hvparams``, ``fill_beparams``, ``simple_fill_os``,
``simple_fill_nic``, ``fill_ndparams``, ``simple_fill_nd``, ``simple_fill_ipolicy``,
``simple_fill_dp`` of :class:`ganeti.objects.Cluster`),
so the inheritance rules live in one place, :mod:`ganeti.objects`; the plain
dict merges below are only the fallback for objects without them.
"""

from typing import Any, Callable, Iterable

from ganeti import constants
from ganeti.query import (
    FS_UNAVAIL,
    QFT_BOOL,
    QFT_NUMBER,
    QFT_NUMBER_FLOAT,
    QFT_OTHER,
    QFT_TIMESTAMP,
    QFT_UNIT,
    FieldDefinition,
    FieldEntry,
    Getter,
)

#: Kind of a parameter field by parameter type (strings may be empty, so
#: they are "other", as in Ganeti).
VTYPE_TO_QFT = {
    constants.VTYPE_STRING: QFT_OTHER,
    constants.VTYPE_MAYBE_STRING: QFT_OTHER,
    constants.VTYPE_BOOL: QFT_BOOL,
    constants.VTYPE_SIZE: QFT_UNIT,
    constants.VTYPE_INT: QFT_NUMBER,
    constants.VTYPE_FLOAT: QFT_NUMBER_FLOAT,
}

#: Hypervisor parameters that are cluster-wide, never per instance.
HV_GLOBALS = constants.HVC_GLOBALS

#: Titles of parameter fields; the others are titled by their field name.
HV_TITLES = {
    "acpi": "ACPI",
    "boot_order": "Boot_order",
    "cdrom_image_path": "CDROM_image_path",
    "cpu_type": "cpu_type",
    "disk_type": "Disk_type",
    "initrd_path": "Initrd_path",
    "kernel_path": "Kernel_path",
    "nic_type": "NIC_type",
    "pae": "PAE",
    "pci_pass": "pci_pass",
    "vnc_bind_address": "VNC_bind_address",
}
BE_TITLES = {
    "auto_balance": "Auto_balance",
    "maxmem": "ConfigMaxMem",
    "minmem": "ConfigMinMem",
    "vcpus": "ConfigVCPUs",
}
ND_TITLES = {
    "exclusive_storage": "ExclusiveStorage",
    "oob_program": "OutOfBandProgram",
    "ovs": "OpenvSwitch",
    "ovs_link": "OpenvSwitchLink",
    "ovs_name": "OpenvSwitchName",
    "spindle_count": "SpindleCount",
}

SERIAL_DOC = "%s serial number, incremented on every change"


def field(
    name: str,
    title: str,
    kind: str,
    doc: str,
    datakind: str | None,
    getter: Getter,
    flags: int = 0,
) -> FieldEntry:
    """One table row."""
    return FieldEntry(FieldDefinition(name, title, kind, doc), datakind, getter, flags)


class QueryRow:
    """One item while it is reported, plus values computed once for it.

    Attributes not starting with ``q_`` read through to the item, so plain
    attribute getters work on rows and on bare items alike.
    """

    __slots__ = ("q_ctx", "q_obj", "q_cache")

    def __init__(self, ctx: Any, obj: Any) -> None:
        self.q_ctx = ctx
        self.q_obj = obj
        self.q_cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("q_"):
            raise AttributeError(name)
        return getattr(self.q_obj, name)

    def q_once(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, evaluated at most once per row."""
        cache = self.q_cache
        if key not in cache:
            cache[key] = compute()
        return cache[key]


_MISSING = object()


def attr(name: str, none_unavail: bool = False) -> Getter:
    """Getter of an item attribute (FS_UNAVAIL if missing, or None when asked)."""

    def getter(_ctx: Any, item: Any) -> Any:
        if isinstance(item, QueryRow):
            item = item.q_obj
        value = getattr(item, name, _MISSING)
        if value is _MISSING or (value is None and none_unavail):
            return FS_UNAVAIL
        return value

    return getter


def tags_of(item: Any) -> list:
    tags = getattr(item, "tags", None) or []
    if isinstance(tags, (set, frozenset)):
        return sorted(tags)
    return list(tags)


def get_tags(_ctx: Any, item: Any) -> list:
    return tags_of(item)


def plain(value: Any) -> Any:
    """Config objects as plain data (objects offering ``to_dict`` converted)."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, dict):
        return {k: plain(v) for (k, v) in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def timestamp_fields(datakind: str | None, what: str) -> list[FieldEntry]:
    return [
        field(
            "ctime",
            "CTime",
            QFT_TIMESTAMP,
            "%s creation time" % what,
            datakind,
            attr("ctime", True),
        ),
        field(
            "mtime",
            "MTime",
            QFT_TIMESTAMP,
            "%s last modification time" % what,
            datakind,
            attr("mtime", True),
        ),
    ]


def nd_param_fields(datakind: str, ndparams_of: Getter) -> list[FieldEntry]:
    """The ``ndp/<param>`` fields, reading the filled ndparams of a row."""

    def param_getter(name: str) -> Getter:
        def getter(ctx: Any, item: Any) -> Any:
            params = ndparams_of(ctx, item)
            if params is None:
                return FS_UNAVAIL
            return params.get(name)

        return getter

    return [
        field(
            "ndp/%s" % name,
            ND_TITLES.get(name, "ndp/%s" % name),
            VTYPE_TO_QFT[vtype],
            'The "%s" node parameter' % name,
            datakind,
            param_getter(name),
        )
        for (name, vtype) in sorted(constants.NDS_PARAMETER_TYPES.items())
    ]


# ------------------------------------------------------ parameter views


def merge(*dicts: dict | None) -> dict:
    """Later dicts override earlier ones; None counts as empty."""
    result: dict = {}
    for one in dicts:
        if one:
            result.update(one)
    return result


def _delegate(obj: Any, method: str) -> Any:
    fn = getattr(obj, method, None)
    return fn if callable(fn) else None


def _os_variants(os_name: str) -> Iterable[str]:
    base = os_name.split("+", 1)[0]
    return [base] if base == os_name else [base, os_name]


def filled_hvparams(cluster: Any, inst: Any) -> dict:
    """Instance hypervisor parameters over cluster and per-OS defaults (no globals)."""
    fill = _delegate(cluster, "fill_hvparams")
    if fill is not None:
        return dict(fill(inst, skip_globals=True))
    hv = inst.hypervisor
    layers = [(getattr(cluster, "hvparams", None) or {}).get(hv)]
    os_hvp = getattr(cluster, "os_hvp", None) or {}
    for name in _os_variants(inst.os or ""):
        layers.append((os_hvp.get(name) or {}).get(hv))
    layers.append(getattr(inst, "hvparams", None))
    result = merge(*layers)
    for key in HV_GLOBALS:
        result.pop(key, None)
    return result


def filled_beparams(cluster: Any, inst: Any) -> dict:
    """Instance backend parameters over the cluster's, plus legacy ``memory``.

    Ganeti 3.0 reports ``memory`` (= ``maxmem``) in the merged beparams.
    """
    fill = _delegate(cluster, "fill_beparams")
    if fill is not None:
        result = dict(fill(inst))
    else:
        defaults = (getattr(cluster, "beparams", None) or {}).get(constants.VALUE_DEFAULT)
        result = merge(defaults, getattr(inst, "beparams", None))
    if constants.BE_MAXMEM in result:
        result.setdefault(constants.BE_MEMORY, result[constants.BE_MAXMEM])
    return result


def filled_osparams(cluster: Any, inst: Any) -> dict:
    fill = _delegate(cluster, "simple_fill_os")
    if fill is not None:
        return dict(fill(inst.os, getattr(inst, "osparams", None) or {}))
    cluster_os = getattr(cluster, "osparams", None) or {}
    layers = [cluster_os.get(name) for name in _os_variants(inst.os or "")]
    layers.append(getattr(inst, "osparams", None))
    return merge(*layers)


def filled_nicparams(cluster: Any, nic: Any) -> dict:
    nicparams = getattr(nic, "nicparams", None) or {}
    fill = _delegate(cluster, "simple_fill_nic")
    if fill is not None:
        return dict(fill(nicparams))
    defaults = (getattr(cluster, "nicparams", None) or {}).get(constants.VALUE_DEFAULT)
    return merge(constants.NICC_DEFAULTS, defaults, nicparams)


def filled_node_ndparams(cluster: Any, group: Any, node: Any) -> dict:
    fill = _delegate(cluster, "fill_ndparams")
    if fill is not None:
        return dict(fill(node, group))
    return merge(
        constants.NDC_DEFAULTS,
        getattr(cluster, "ndparams", None),
        getattr(group, "ndparams", None),
        getattr(node, "ndparams", None),
    )


def filled_group_ndparams(cluster: Any, group: Any) -> dict:
    fill = _delegate(cluster, "simple_fill_nd")
    if fill is not None:
        return dict(fill(getattr(group, "ndparams", None) or {}))
    return merge(
        constants.NDC_DEFAULTS, getattr(cluster, "ndparams", None), getattr(group, "ndparams", None)
    )


def filled_ipolicy(cluster: Any, group: Any) -> dict:
    custom = getattr(group, "ipolicy", None) or {}
    fill = _delegate(cluster, "simple_fill_ipolicy")
    if fill is not None:
        return dict(fill(custom))
    base = getattr(cluster, "ipolicy", None) or constants.IPOLICY_DEFAULTS
    result = merge(base, custom)
    if constants.ISPECS_STD in custom:
        result[constants.ISPECS_STD] = merge(
            base.get(constants.ISPECS_STD), custom[constants.ISPECS_STD]
        )
    return result


def filled_diskparams(cluster: Any, group: Any) -> dict:
    custom = getattr(group, "diskparams", None) or {}
    fill = _delegate(cluster, "simple_fill_dp")
    if fill is not None:
        return dict(fill(custom))
    base = getattr(cluster, "diskparams", None) or {}
    return {
        template: merge(
            constants.DISK_DT_DEFAULTS.get(template), base.get(template), custom.get(template)
        )
        for template in sorted(set(base) | set(custom) | set(constants.DISK_DT_DEFAULTS))
    }
