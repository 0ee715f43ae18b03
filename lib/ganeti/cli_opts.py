"""Command-line options shared by the gnt-* commands, and their value parsers.

Owns the option table (``FORCE_OPT``, ``SUBMIT_OPT``, ``-H``/``-B``/``--disk``
...), the optparse option class with Ganeti's extra value types (``keyval``,
``identkeyval``, ``unit``, ``bool``, ``list``, ...) and the argument
descriptors (``ArgJobId``, ``ArgInstance``, ...).  Option destinations keep
Ganeti's names (``opts.submit_only``, ``opts.hvparams``) so commands read like
Ganeti's.  It must never talk to the master or import opcodes: every gnt-*
command imports it at start-up, so it stays cheap.
"""

from optparse import Option, OptionValueError
from typing import Any

from ganeti import constants
from ganeti import errors

NO_PREFIX = "no_"
UN_PREFIX = "-"

PRIORITY_NAMES = [
    ("low", constants.OP_PRIO_LOW),
    ("normal", constants.OP_PRIO_NORMAL),
    ("high", constants.OP_PRIO_HIGH),
]
PRIONAME_TO_VALUE = dict(PRIORITY_NAMES)


# --- value parsers --------------------------------------------------------


def split_escaped(text: str, sep: str = ",") -> list[str]:
    """Splits ``text`` on ``sep``; a backslash escapes the next character."""
    parts: list[str] = []
    cur: list[str] = []
    idx = 0
    while idx < len(text):
        char = text[idx]
        if char == "\\" and idx + 1 < len(text):
            nxt = text[idx + 1]
            # "\," keeps the separator; any other escape is kept verbatim
            cur.append(nxt if nxt == sep else char + nxt)
            idx += 2
            continue
        if char == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(char)
        idx += 1
    parts.append("".join(cur))
    return parts


def split_key_val(opt: str, data: str, parse_prefixes: bool = True) -> dict[str, Any]:
    """Parses ``key=val,key=val`` into a dict.

    With ``parse_prefixes`` a bare ``key`` means True, ``no_key`` False and
    ``-key`` None (reset to default); otherwise a bare key is an error.
    """
    result: dict[str, Any] = {}
    if not data:
        return result
    for elem in split_escaped(data, ","):
        if "=" in elem:
            key, val = elem.split("=", 1)
        elif parse_prefixes:
            if elem.startswith(NO_PREFIX):
                key, val = elem[len(NO_PREFIX) :], False
            elif elem.startswith(UN_PREFIX):
                key, val = elem[len(UN_PREFIX) :], None
            else:
                key, val = elem, True
        else:
            raise errors.ParameterError("Missing value for key '%s' in option %s" % (elem, opt))
        if key in result:
            raise errors.ParameterError("Duplicate key '%s' in option %s" % (key, opt))
        result[key] = val
    return result


def split_ident_key_val(opt: str, value: str, parse_prefixes: bool = True) -> tuple[str, Any]:
    """Parses ``ident:key=val,...`` into ``(ident, dict)``.

    ``no_ident`` gives ``(ident, False)`` (remove the group) and ``-ident``
    ``(ident, None)`` (reset it); neither may carry options.  ``-1`` stays a
    (negative) index, not a reset.
    """
    if ":" in value:
        ident, rest = value.split(":", 1)
    else:
        ident, rest = value, ""
    if parse_prefixes and ident.startswith(NO_PREFIX):
        if rest:
            raise errors.ParameterError(
                "Cannot pass options when removing parameter groups: %s" % value
            )
        return ident[len(NO_PREFIX) :], False
    if (
        parse_prefixes
        and ident.startswith(UN_PREFIX)
        and (len(ident) <= len(UN_PREFIX) or not ident[len(UN_PREFIX)].isdigit())
    ):
        if rest:
            raise errors.ParameterError(
                "Cannot pass options when removing parameter groups: %s" % value
            )
        return ident[len(UN_PREFIX) :], None
    return ident, split_key_val(opt, rest, parse_prefixes)


def split_multilist_ident_key_val(opt: str, value: str) -> list[dict[str, dict]]:
    """Parses ``ident:k=v,k=v/ident:k=v//ident:...`` (ipolicy bounds)."""
    result = []
    for line in value.split("//"):
        groups: dict[str, dict] = {}
        for elem in line.split("/"):
            if not elem:
                raise errors.ParameterError("Empty section in option '%s'" % opt)
            ident, vals = split_ident_key_val(opt, elem, False)
            if ident in groups:
                raise errors.ParameterError(
                    "Duplicated parameter '%s' in parsing %s: %s" % (ident, opt, elem)
                )
            groups[ident] = vals
        result.append(groups)
    return result


def parse_size(value: Any, what: str = "size") -> int:
    """A size in MiB from ``10G``, ``512``, ``1.5t``...; OpPrereqError if bad."""
    from ganeti.utils import text

    try:
        return text.parse_unit(value)
    except errors.UnitParseError as err:
        raise errors.OpPrereqError(
            "Invalid %s '%s': %s" % (what, value, err), errors.ECODE_INVAL
        ) from None


def parse_bool(value: str) -> bool:
    """``yes``/``true`` -> True, ``no``/``false`` -> False."""
    low = value.lower()
    if low in ("false", "no"):
        return False
    if low in ("true", "yes"):
        return True
    raise errors.ParameterError("Invalid boolean value '%s'" % value)


def convert_param_types(params: dict, key_types: dict, allowed_values: Any = None) -> dict:
    """Converts the string values of ``params`` in place to their VTYPE_*.

    ``None`` (reset) and ``"default"`` are kept, as are values listed in
    ``allowed_values``; unknown keys raise ParameterError-style errors as in
    Ganeti.  Returns ``params``.
    """
    allowed = frozenset(allowed_values or ())
    for key in list(params):
        if key not in key_types:
            raise errors.TypeEnforcementError("Unknown parameter '%s'" % key)
        value = params[key]
        if value is None or value == constants.VALUE_DEFAULT or value in allowed:
            continue
        vtype = key_types[key]
        params[key] = _convert_one(key, value, vtype)
    return params


def _convert_one(key: str, value: Any, vtype: str) -> Any:
    bad = errors.TypeEnforcementError("'%s' (value %s) is not a valid %s" % (key, value, vtype))
    if vtype == constants.VTYPE_MAYBE_STRING:
        if value is False or value == constants.VALUE_NONE:
            return None
        return str(value)
    if vtype == constants.VTYPE_STRING:
        if value is False or value is True:
            raise bad
        return str(value)
    if vtype == constants.VTYPE_BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            low = value.lower()
            if low in ("false", "no", "0", constants.VALUE_NONE):
                return False
            if low in ("true", "yes", "1"):
                return True
        raise bad
    if vtype == constants.VTYPE_SIZE:
        from ganeti.utils import text

        try:
            return text.parse_unit(value)
        except errors.UnitParseError:
            raise bad from None
    if vtype == constants.VTYPE_INT:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad from None
    if vtype == constants.VTYPE_FLOAT:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad from None
    return value


def parse_disk_option(optvalue: list[tuple[str, Any]], parse_sizes: bool = True) -> list[dict]:
    """``--disk N:size=..,mode=..`` values -> ordered list of disk dicts.

    Indices must be integers; sizes (``size``) are converted to MiB.
    """
    return _indexed_dicts("disk", optvalue, ("size",) if parse_sizes else ())


def parse_nic_option(optvalue: list[tuple[str, Any]]) -> list[dict]:
    """``--net N:mac=..,link=..`` values -> ordered list of NIC dicts."""
    return _indexed_dicts("nic", optvalue, ())


def _indexed_dicts(kind: str, optvalue: list, size_keys: tuple) -> list[dict]:
    try:
        count = max(int(idx) + 1 for idx, _ in optvalue)
    except (TypeError, ValueError) as err:
        raise errors.OpPrereqError(
            "Invalid %s index passed: %s" % (kind.upper() if kind == "nic" else kind, err),
            errors.ECODE_INVAL,
        ) from None
    result: list[dict] = [{} for _ in range(count)]
    for idx, params in optvalue:
        idx = int(idx)
        if not isinstance(params, dict):
            raise errors.OpPrereqError(
                "Invalid %s/%d value: expected dict, got '%s'" % (kind, idx, params),
                errors.ECODE_INVAL,
            )
        params = dict(params)
        for key in size_keys:
            if key in params and params[key] is not None:
                params[key] = parse_size(params[key], "disk size")
        result[idx] = params
    return result


def parse_timespec(value: Any) -> int:
    """Seconds from ``30``, ``30s``, ``5m``, ``2h``, ``1d``, ``1w``."""
    value = str(value)
    if not value:
        raise errors.OpPrereqError("Empty time specification passed", errors.ECODE_INVAL)
    multipliers = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    mult = multipliers.get(value[-1])
    number = value
    if mult is not None:
        number = value[:-1]
        if not number:
            raise errors.OpPrereqError(
                "Invalid time specification (only suffix passed)", errors.ECODE_INVAL
            )
    try:
        return int(number) * (mult or 1)
    except ValueError:
        raise errors.OpPrereqError(
            "Invalid time specification '%s'" % number, errors.ECODE_INVAL
        ) from None


# --- optparse glue ---------------------------------------------------------


def _check_unit(option: Option, opt: str, value: str) -> int:
    from ganeti.utils import text

    try:
        return text.parse_unit(value)
    except errors.UnitParseError as err:
        raise OptionValueError("option %s: %s" % (opt, err)) from None


def _check_priority(option: Option, opt: str, value: str) -> int:
    try:
        return PRIONAME_TO_VALUE[value.lower()]
    except KeyError:
        raise OptionValueError(
            "option %s: invalid priority '%s' (choose from %s)"
            % (opt, value, ", ".join(name for name, _ in PRIORITY_NAMES))
        ) from None


def _check_maybefloat(option: Option, opt: str, value: str) -> Any:
    if value.lower() == constants.VALUE_DEFAULT:
        return constants.VALUE_DEFAULT
    try:
        return float(value)
    except ValueError:
        raise OptionValueError("option %s: invalid number '%s'" % (opt, value)) from None


def _check_json(option: Option, opt: str, value: str) -> Any:
    from ganeti import serializer

    try:
        return serializer.loads(value)
    except ValueError as err:
        raise OptionValueError("option %s: %s" % (opt, err)) from None


def _check_list(option: Option, opt: str, value: str) -> list[str]:
    return split_escaped(value, ",") if value else []


class CliOption(Option):
    """optparse Option with Ganeti's value types."""

    ATTRS = Option.ATTRS + ["completion_suggest"]
    TYPES = Option.TYPES + (
        "multilistidentkeyval",
        "identkeyval",
        "keyval",
        "keyprivateval",
        "unit",
        "bool",
        "list",
        "maybefloat",
        "json",
        "priority",
    )
    TYPE_CHECKER = dict(Option.TYPE_CHECKER)
    TYPE_CHECKER["multilistidentkeyval"] = lambda o, opt, v: split_multilist_ident_key_val(opt, v)
    TYPE_CHECKER["identkeyval"] = lambda o, opt, v: split_ident_key_val(opt, v, True)
    TYPE_CHECKER["keyval"] = lambda o, opt, v: split_key_val(opt, v, True)
    TYPE_CHECKER["keyprivateval"] = lambda o, opt, v: split_key_val(opt, v, True)
    TYPE_CHECKER["unit"] = _check_unit
    TYPE_CHECKER["bool"] = lambda o, opt, v: parse_bool(v)
    TYPE_CHECKER["list"] = _check_list
    TYPE_CHECKER["maybefloat"] = _check_maybefloat
    TYPE_CHECKER["json"] = _check_json
    TYPE_CHECKER["priority"] = _check_priority


cli_option = CliOption


# --- positional argument descriptors ---------------------------------------


class Arg:
    """A positional argument: how many values (``min``..``max``, None = any)."""

    def __init__(self, min: int = 0, max: int | None = None) -> None:  # noqa: A002
        self.min = min
        self.max = max

    def __repr__(self) -> str:
        return "<%s min=%s max=%s>" % (type(self).__name__, self.min, self.max)


class ArgSuggest(Arg):
    """An argument with suggested values (shell completion only)."""

    def __init__(self, min: int = 0, max: int | None = None, choices: list | None = None) -> None:  # noqa: A002
        super().__init__(min, max)
        self.choices = choices or []


class ArgChoice(ArgSuggest):
    """An argument whose value must be one of ``choices``."""


class ArgUnknown(Arg):
    pass


class ArgInstance(Arg):
    pass


class ArgNode(Arg):
    pass


class ArgNetwork(Arg):
    pass


class ArgGroup(Arg):
    pass


class ArgJobId(Arg):
    pass


class ArgFile(Arg):
    pass


class ArgCommand(Arg):
    pass


class ArgHost(Arg):
    pass


class ArgOs(Arg):
    pass


class ArgExtStorage(Arg):
    pass


class ArgFilter(Arg):
    pass


ARGS_NONE: list[Arg] = []
ARGS_MANY_INSTANCES = [ArgInstance()]
ARGS_MANY_NETWORKS = [ArgNetwork()]
ARGS_MANY_NODES = [ArgNode()]
ARGS_MANY_GROUPS = [ArgGroup()]
ARGS_ONE_INSTANCE = [ArgInstance(min=1, max=1)]
ARGS_ONE_NETWORK = [ArgNetwork(min=1, max=1)]
ARGS_ONE_NODE = [ArgNode(min=1, max=1)]
ARGS_ONE_GROUP = [ArgGroup(min=1, max=1)]
ARGS_ONE_OS = [ArgOs(min=1, max=1)]


# --- the shared options ------------------------------------------------------

DEBUG_OPT = cli_option("-d", "--debug", default=0, action="count", help="Increase debugging level")
NOHDR_OPT = cli_option(
    "--no-headers",
    default=False,
    action="store_true",
    dest="no_headers",
    help="Don't display column headers",
)
SEP_OPT = cli_option(
    "--separator",
    default=None,
    action="store",
    dest="separator",
    help="Separator between output fields (defaults to one space)",
)
USEUNITS_OPT = cli_option(
    "--units",
    default=None,
    dest="units",
    choices=("h", "m", "g", "t"),
    help="Specify units for output (one of h/m/g/t)",
)
FIELDS_OPT = cli_option(
    "-o",
    "--output",
    dest="output",
    action="store",
    type="string",
    metavar="FIELDS",
    help="Comma separated list of output fields (prefix with '+' to extend the defaults)",
)
FORCE_FILTER_OPT = cli_option(
    "-F",
    "--filter",
    dest="force_filter",
    action="store_true",
    default=False,
    help="Treat the argument as a query filter even if it does not look like one",
)
VERBOSE_OPT = cli_option(
    "-v",
    "--verbose",
    default=False,
    action="store_true",
    help="Increase the verbosity of the operation",
)
FORCE_OPT = cli_option(
    "-f",
    "--force",
    dest="force",
    action="store_true",
    default=False,
    help="Force the operation",
)
CONFIRM_OPT = cli_option(
    "--yes",
    dest="confirm",
    action="store_true",
    default=False,
    help="Do not require confirmation",
)
YES_DOIT_OPT = cli_option(
    "--yes-do-it",
    "--ya-rly",
    dest="yes_do_it",
    action="store_true",
    default=False,
    help="Really do the dangerous operation",
)
SUBMIT_OPT = cli_option(
    "--submit",
    dest="submit_only",
    default=False,
    action="store_true",
    help="Submit the job and return the job ID, but don't wait for the job to finish",
)
PRINT_JOBID_OPT = cli_option(
    "--print-jobid",
    dest="print_jobid",
    default=False,
    action="store_true",
    help="Additionally print the job ID as first line on stdout (for scripting)",
)
SUBMIT_OPTS = [SUBMIT_OPT, PRINT_JOBID_OPT]
DRY_RUN_OPT = cli_option(
    "--dry-run",
    default=False,
    action="store_true",
    help="Only run the checks of the operation, do not execute it",
)
PRIORITY_OPT = cli_option(
    "--priority",
    default=None,
    dest="priority",
    type="priority",
    metavar="|".join(name for name, _ in PRIORITY_NAMES),
    help="Priority for opcode processing",
)
REASON_OPT = cli_option(
    "--reason", default=None, dest="reason", help="The reason for executing the command"
)
INTERVAL_OPT = cli_option(
    "--interval",
    dest="interval",
    type="int",
    default=None,
    help="Interval in seconds between repetitions of the listing",
)
TIMEOUT_OPT = cli_option(
    "--timeout",
    dest="timeout",
    type="int",
    default=constants.DEFAULT_SHUTDOWN_TIMEOUT,
    help="Maximum time to wait",
)
SHUTDOWN_TIMEOUT_OPT = cli_option(
    "--shutdown-timeout",
    dest="shutdown_timeout",
    type="int",
    default=constants.DEFAULT_SHUTDOWN_TIMEOUT,
    help="Maximum time to wait for graceful shutdown",
)
TAG_ADD_OPT = cli_option(
    "--tags", dest="tags", default=None, help="Comma-separated list of instance tags"
)
TAG_SRC_OPT = cli_option("--from", dest="tags_source", default=None, help="File with tag names")
BACKEND_OPT = cli_option(
    "-B",
    "--backend-parameters",
    dest="beparams",
    type="keyval",
    default={},
    help="Backend parameters",
)
HVOPTS_OPT = cli_option(
    "-H",
    "--hypervisor-parameters",
    type="keyval",
    default={},
    help="Hypervisor parameters",
)
HYPERVISOR_OPT = cli_option(
    "-H",
    "--hypervisor-parameters",
    dest="hypervisor",
    type="identkeyval",
    default=None,
    help="Hypervisor and hypervisor options, in the format hypervisor:option=value,option=value,...",
)
HVLIST_OPT = cli_option(
    "-H",
    "--hypervisor-parameters",
    dest="hvparams",
    type="identkeyval",
    action="append",
    default=[],
    help="Hypervisor and hypervisor options, in the format"
    " hypervisor:option=value,option=value,...",
)
OSPARAMS_OPT = cli_option(
    "-O",
    "--os-parameters",
    dest="osparams",
    type="keyval",
    default={},
    help="OS parameters",
)
OSPARAMS_PRIVATE_OPT = cli_option(
    "--os-parameters-private",
    dest="osparams_private",
    type="keyprivateval",
    default={},
    help="Private OS parameters (won't be logged)",
)
OSPARAMS_SECRET_OPT = cli_option(
    "--os-parameters-secret",
    dest="osparams_secret",
    type="keyprivateval",
    default={},
    help="Secret OS parameters (won't be logged or saved)",
)
NIC_PARAMS_OPT = cli_option(
    "-N",
    "--nic-parameters",
    dest="nicparams",
    type="keyval",
    default={},
    help="NIC parameters",
)
NODE_PARAMS_OPT = cli_option(
    "--node-parameters",
    dest="ndparams",
    type="keyval",
    default={},
    help="Node parameters",
)
DISK_PARAMS_OPT = cli_option(
    "-D",
    "--disk-parameters",
    dest="diskparams",
    type="identkeyval",
    action="append",
    default=[],
    help="Disk template parameters, in the format template:option=value,...",
)
DISK_OPT = cli_option(
    "--disk",
    dest="disks",
    type="identkeyval",
    action="append",
    default=[],
    help="Disk parameters, in the format N:size=SIZE,mode=ro|rw,... (or N:remove)",
)
NET_OPT = cli_option(
    "--net",
    dest="nics",
    type="identkeyval",
    action="append",
    default=[],
    help="NIC parameters, in the format N:mac=MAC,ip=IP,link=LINK,... (or N:remove)",
)
OS_OPT = cli_option("-o", "--os-type", dest="os", metavar="<os>", help="What OS to run")
OS_SIZE_OPT = cli_option(
    "-s",
    "--os-size",
    dest="sd_size",
    type="unit",
    metavar="<size>",
    help="Disk size for a single-disk instance",
)
DISK_TEMPLATE_OPT = cli_option(
    "-t",
    "--disk-template",
    dest="disk_template",
    default=None,
    metavar="TEMPL",
    choices=sorted(constants.DISK_TEMPLATES),
    help="Disk template (one of %s)" % ", ".join(sorted(constants.DISK_TEMPLATES)),
)
NODE_PLACEMENT_OPT = cli_option(
    "-n",
    "--node",
    dest="node",
    metavar="<node[:secondary-node]>",
    help="Target node and optional secondary node",
)
NODE_LIST_OPT = cli_option(
    "-n",
    "--node",
    dest="nodes",
    default=[],
    action="append",
    metavar="<node>",
    help="Node to act on (can be given several times)",
)
NODEGROUP_OPT = cli_option(
    "-g",
    "--node-group",
    dest="nodegroup",
    metavar="<nodegroup>",
    help="Node group (name or uuid)",
)
IALLOCATOR_OPT = cli_option(
    "-I",
    "--iallocator",
    metavar="<NAME>",
    default=None,
    type="string",
    help="Select nodes for the instance automatically using the <NAME> iallocator plugin",
)
EARLY_RELEASE_OPT = cli_option(
    "--early-release",
    dest="early_release",
    default=False,
    action="store_true",
    help="Release the locks on the secondary node(s) early",
)
NWSYNC_OPT = cli_option(
    "--no-wait-for-sync",
    dest="wait_for_sync",
    default=True,
    action="store_false",
    help="Don't wait for sync (DANGEROUS!)",
)
WFSYNC_OPT = cli_option(
    "--wait-for-sync",
    dest="wait_for_sync",
    default=False,
    action="store_true",
    help="Wait for disks to sync",
)
IGNORE_OFFLINE_OPT = cli_option(
    "--ignore-offline",
    dest="ignore_offline",
    action="store_true",
    default=False,
    help="Ignore offline nodes and do as much as possible",
)
IGNORE_CONSIST_OPT = cli_option(
    "--ignore-consistency",
    dest="ignore_consistency",
    action="store_true",
    default=False,
    help="Ignore the consistency of the disks on the secondary",
)
IGNORE_IPOLICY_OPT = cli_option(
    "--ignore-ipolicy",
    dest="ignore_ipolicy",
    action="store_true",
    default=False,
    help="Ignore instance policy violations",
)
NOSTART_OPT = cli_option(
    "--no-start",
    dest="start",
    default=True,
    action="store_false",
    help="Don't start the instance after creation",
)
NO_INSTALL_OPT = cli_option(
    "--no-install",
    dest="no_install",
    default=False,
    action="store_true",
    help="Do not install the OS (will enable no-start)",
)
NONAMECHECK_OPT = cli_option(
    "--no-name-check",
    dest="name_check",
    default=True,
    action="store_false",
    help="Don't check that the instance's name is resolvable",
)
NOIPCHECK_OPT = cli_option(
    "--no-ip-check",
    dest="ip_check",
    default=True,
    action="store_false",
    help="Don't check that the instance's IP is alive",
)
NOCONFLICTSCHECK_OPT = cli_option(
    "--no-conflicts-check",
    dest="conflicts_check",
    default=True,
    action="store_false",
    help="Don't check for conflicting IPs",
)
NONICS_OPT = cli_option(
    "--no-nics",
    default=False,
    action="store_true",
    help="Do not create any network cards for the instance",
)
FORCE_VARIANT_OPT = cli_option(
    "--force-variant",
    dest="force_variant",
    action="store_true",
    default=False,
    help="Force an unknown variant",
)
ONLINE_INST_OPT = cli_option(
    "--online",
    dest="online_inst",
    action="store_true",
    default=False,
    help="Enable offline instance",
)
OFFLINE_INST_OPT = cli_option(
    "--offline",
    dest="offline_inst",
    action="store_true",
    default=False,
    help="Disable down instance",
)
NO_REMEMBER_OPT = cli_option(
    "--no-remember",
    dest="no_remember",
    action="store_true",
    default=False,
    help="Perform but do not record the change in the configuration",
)
SYNC_OPT = cli_option(
    "--sync",
    dest="do_locking",
    default=False,
    action="store_true",
    help="Grab locks while doing the queries in order to ensure more consistent results",
)
ROMAN_OPT = cli_option(
    "--roman",
    dest="roman_integers",
    default=False,
    action="store_true",
    help="Use roman numbers for positive integers",
)
SEQUENTIAL_OPT = cli_option(
    "--sequential",
    dest="sequential",
    default=False,
    action="store_true",
    help="Execute all resulting jobs sequentially",
)
MC_OPT = cli_option(
    "-C",
    "--master-candidate",
    dest="master_candidate",
    type="bool",
    default=None,
    metavar="yes|no",
    help="Set the master_candidate flag on the node",
)
OFFLINE_OPT = cli_option(
    "-O",
    "--offline",
    dest="offline",
    type="bool",
    default=None,
    metavar="yes|no",
    help="Set the offline flag on the node",
)
DRAINED_OPT = cli_option(
    "-D",
    "--drained",
    dest="drained",
    type="bool",
    default=None,
    metavar="yes|no",
    help="Set the drained flag on the node",
)
AUTO_PROMOTE_OPT = cli_option(
    "--auto-promote",
    dest="auto_promote",
    default=False,
    action="store_true",
    help="Automatically promote nodes to master candidates if needed",
)
SECONDARY_IP_OPT = cli_option(
    "-s",
    "--secondary-ip",
    dest="secondary_ip",
    default=None,
    metavar="ADDRESS",
    help="Secondary IP address of the node",
)

#: options every command accepts (added by generic_main)
COMMON_OPTS = [DEBUG_OPT, REASON_OPT]
