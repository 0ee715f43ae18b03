"""Opcode machinery: the ``OpCode`` base class and the parameter vocabulary.

Owns how an opcode is declared (``OP_PARAMS`` rows of ``(name, default, check,
doc)``), built, validated, serialised (``to_dict``/``load_op_code``) and
summarised, the parameters every opcode has (dry_run, debug_level, priority,
depends, comment, reason) and the rows many opcodes share.  The opcodes
themselves are declared in ``ganeti.opcodes``.

Must never know about logical units, locks, the job queue or the
configuration: it is imported by every client command, so it stays small and
cheap to import (no ``copy``, ``re`` or ``typing`` at import time).

Instances keep only the parameters that were given (``op.__dict__``); reading
an unset parameter returns None (``priority`` returns 0, the default
priority) and ``validate(True)`` fills every unset one with its default.
"""

from __future__ import annotations

from ganeti import constants, errors, ht

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

#: OP_ID -> opcode class; filled by ``ganeti.opcodes`` when it is imported
OP_MAPPING: dict[str, type] = {}

#: OP_ID prefixes shortened by ``tiny_summary`` (after removing "OP_")
SUMMARY_PREFIX = {"CLUSTER_": "C_", "GROUP_": "G_", "NODE_": "N_", "INSTANCE_": "I_"}

DEPEND_ATTR = "depends"
COMMENT_ATTR = "comment"


# --- names -------------------------------------------------------------------


def op_id_from_class_name(name: str) -> str:
    """``OpFooBar`` -> ``OP_FOO_BAR`` (a word starts at each lower->Upper step)."""
    if not name.startswith("Op") or len(name) < 3:
        raise errors.ProgrammerError("Opcode class name %r must start with 'Op'" % name)
    words = []
    prev = ""
    for char in name[2:]:
        if char.isupper() and (prev.islower() or prev.isdigit()):
            words.append("_")
        words.append(char.upper())
        prev = char
    return "OP_" + "".join(words)


def class_name_from_op_id(op_id: str) -> str:
    """``OP_FOO_BAR`` -> ``OpFooBar``."""
    if not op_id.startswith("OP_"):
        raise errors.ProgrammerError("OP_ID %r must start with 'OP_'" % op_id)
    return "Op" + "".join(word.capitalize() for word in op_id[3:].split("_"))


def lu_name_for(op: Any) -> str:
    """Name of the logical unit executing an opcode: ``OpFooBar`` -> ``LUFooBar``.

    Accepts an opcode class, an opcode instance or an OP_ID string.
    """
    if isinstance(op, str):
        name = class_name_from_op_id(op)
    else:
        cls = op if isinstance(op, type) else type(op)
        name = cls.__name__
    if not name.startswith("Op"):
        raise errors.ProgrammerError("Not an opcode class name: %r" % name)
    return "LU" + name[2:]


# --- submission-time helpers -------------------------------------------------


def check_submit_priority(value: Any) -> None:
    """Raises OpPrereqError unless ``value`` may be given at job submission
    (high -10, normal 0, low 10)."""
    if not ht.TOpPriority(value):
        raise errors.OpPrereqError(
            "Invalid priority %r, must be one of %s"
            % (value, ", ".join(str(v) for v in sorted(constants.OP_PRIO_SUBMIT_VALID))),
            errors.ECODE_INVAL,
        )


def check_depends(value: Any, relative: bool = False) -> None:
    """Raises OpPrereqError unless ``value`` is a valid ``depends`` list.

    Relative (negative) job ids are accepted only if ``relative`` is true,
    i.e. for jobs submitted together through SubmitManyJobs.
    """
    check = ht.TJobDependencies if relative else ht.TNoRelativeJobDependencies
    if not check(value):
        raise errors.OpPrereqError(
            "Invalid job dependencies %r: expected %s" % (value, ht.describe(check)),
            errors.ECODE_INVAL,
        )


def resolve_relative_depends(depends: list | None, previous_job_ids: list[int]) -> list | None:
    """Replaces relative job ids (-1 = the job submitted just before) by the
    real ids of the jobs submitted earlier in the same batch."""
    if not depends:
        return depends
    resolved = []
    for job_id, statuses in depends:
        if ht.TRelativeJobId(job_id):
            if -job_id > len(previous_job_ids):
                raise errors.OpPrereqError(
                    "Relative job id %s refers to a job before the first one of the"
                    " submission" % job_id,
                    errors.ECODE_INVAL,
                )
            job_id = previous_job_ids[job_id]
        resolved.append([job_id, statuses])
    return resolved


def make_reason(source: str, text: str, timestamp_ns: int | None = None) -> list:
    """One reason trail entry ``[source, text, timestamp_ns]``."""
    if timestamp_ns is None:
        import time

        timestamp_ns = time.time_ns()
    return [source, text, timestamp_ns]


# --- parameters common to every opcode ---------------------------------------

BASE_PARAMS = [
    ("dry_run", None, ht.TMaybeBool, "Run the checks only, change nothing"),
    ("debug_level", None, ht.TMaybe(ht.TNonNegativeInt), "Debug level"),
    ("priority", constants.OP_PRIO_DEFAULT, ht.TOpPriority, "Priority of the opcode in the queue"),
    (DEPEND_ATTR, None, ht.TJobDependencies, "Jobs to wait for: [[job_id, [status, ...]], ...]"),
    (COMMENT_ATTR, None, ht.TMaybeString, "Free-form comment"),
    (constants.OPCODE_REASON, [], ht.TMaybe(ht.TListOf(ht.TAny)), "Reason trail"),
]

_IMMUTABLE = (type(None), bool, int, float, str, frozenset)


def _copy_list(value: list) -> list:
    return [_copy_value(v) for v in value]


def _copy_dict(value: dict) -> dict:
    return {k: _copy_value(v) for k, v in value.items()}


def _copy_value(value: Any) -> Any:
    if isinstance(value, list):
        return _copy_list(value)
    if isinstance(value, dict):
        return _copy_dict(value)
    if isinstance(value, _IMMUTABLE):
        return value
    import copy

    return copy.deepcopy(value)


def _unwrap_private(value: Any) -> Any:
    if isinstance(value, ht.Private):
        return value.get()
    if isinstance(value, dict):
        return {k: _unwrap_private(v) for k, v in value.items()}
    return value


def _missing(op_id: str, name: str) -> errors.OpPrereqError:
    return errors.OpPrereqError("Parameter '%s.%s' is missing" % (op_id, name), errors.ECODE_INVAL)


def _invalid(op_id: str, name: str) -> errors.OpPrereqError:
    return errors.OpPrereqError(
        "Parameter '%s.%s' fails validation" % (op_id, name), errors.ECODE_INVAL
    )


def _unknown(op_id: str, names: Any) -> errors.OpPrereqError:
    return errors.OpPrereqError(
        "Unknown parameter%s %s"
        % (
            "s" if len(names) > 1 else "",
            ", ".join("'%s.%s'" % (op_id, n) for n in sorted(names, key=str)),
        ),
        errors.ECODE_INVAL,
    )


class OpCode:
    """Base of every opcode.

    Class attributes (declared by each opcode, completed at class creation):

    * ``OP_ID``: wire name, derived from the class name (``OpFooBar`` ->
      ``OP_FOO_BAR``)
    * ``OP_PARAMS``: every parameter as ``(name, default, check, doc)``, the
      opcode's own first, then the base parameters (the class body declares
      only its own; they stay available as ``OP_OWN_PARAMS``)
    * ``OP_DSC_FIELD``: parameter shown in the summary, or None
    * ``OP_RESULT``: check of the LU's result, or None
    * ``WITH_LU``: whether a logical unit executes the opcode

    A parameter is *required* when its default is None and its check rejects
    None.  Defaults are deep-copied when filled in.
    """

    OP_ID: str | None = None
    OP_DSC_FIELD: str | None = None
    OP_RESULT: Callable | None = None
    WITH_LU = True
    OP_PARAMS: list = BASE_PARAMS
    OP_OWN_PARAMS: list = BASE_PARAMS

    #: read when unset; job queue code may look at it before validation
    priority = constants.OP_PRIO_DEFAULT

    # computed per class by _prepare_class
    _SPECS: tuple = ()
    _PARAM_NAMES: frozenset = frozenset()
    _WIRE_KEYS: frozenset = frozenset(["OP_ID"])
    _PRIVATE: tuple = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _prepare_class(cls)

    def __init__(self, **kwargs: Any) -> None:
        if not self._PARAM_NAMES.issuperset(kwargs):
            raise _unknown(self.OP_ID, set(kwargs) - self._PARAM_NAMES)
        self.__dict__.update(kwargs)

    def __getattr__(self, name: str) -> Any:
        # only reached for attributes not set on the instance
        if name in type(self)._PARAM_NAMES:
            return None
        raise AttributeError("%r object has no attribute %r" % (type(self).__name__, name))

    def __repr__(self) -> str:
        args = ", ".join("%s=%r" % item for item in sorted(self.__dict__.items()))
        return "%s(%s)" % (type(self).__name__, args)

    # --- serialisation -------------------------------------------------------

    def to_dict(self) -> dict:
        """All set parameters plus ``"OP_ID"``; suitable for JSON."""
        data = dict(self.__dict__)
        for name in self._PRIVATE:
            if name in data:
                data[name] = _unwrap_private(data[name])
        data["OP_ID"] = self.OP_ID
        return data

    def _load_state(self, state: dict) -> None:
        self.__dict__ = state

    @classmethod
    def load_op_code(cls, data: Any) -> OpCode:
        """Builds an opcode from its dict form (as produced by ``to_dict``).

        Raises OpPrereqError (ECODE_INVAL) for a non-dict, a missing or unknown
        OP_ID, or parameters the opcode does not have.  Values are not
        checked here: call ``validate``.
        """
        if not isinstance(data, dict):
            raise errors.OpPrereqError(
                "Invalid data to load an opcode from: expected a dict, got %s"
                % type(data).__name__,
                errors.ECODE_INVAL,
            )
        op_id = data.get("OP_ID")
        if op_id is None:
            raise errors.OpPrereqError(
                "Invalid data to load an opcode from: missing OP_ID", errors.ECODE_INVAL
            )
        try:
            op_class = OP_MAPPING[op_id]
        except (KeyError, TypeError):
            raise errors.OpPrereqError("Unknown opcode %r" % (op_id,), errors.ECODE_INVAL) from None
        if cls is not OpCode and not issubclass(op_class, cls):
            raise errors.OpPrereqError(
                "Opcode %s is not a %s" % (op_id, cls.__name__), errors.ECODE_INVAL
            )
        if not op_class._WIRE_KEYS.issuperset(data):
            raise _unknown(op_id, set(data) - op_class._WIRE_KEYS)
        state = data.copy()
        del state["OP_ID"]
        op = op_class.__new__(op_class)
        op._load_state(state)
        return op

    LoadOpCode = load_op_code

    # --- validation ----------------------------------------------------------

    def validate(self, set_defaults: bool) -> None:
        """Checks every parameter; with ``set_defaults`` fills unset ones with
        (deep copies of) their defaults.

        Raises OpPrereqError (ECODE_INVAL): "Parameter 'OP_X.p' is missing"
        for an unset required parameter, "... fails validation" for a value
        failing its check.  Ints given for float parameters become floats.
        """
        state = self.__dict__
        op_id = self.OP_ID
        if not self._PARAM_NAMES.issuperset(state):
            raise _unknown(op_id, set(state) - self._PARAM_NAMES)
        for name, default, check, copier, required, coerce in self._SPECS:
            if name in state:
                value = state[name]
                if not check(value):
                    if value is None and required:
                        raise _missing(op_id, name)
                    raise _invalid(op_id, name)
                if coerce and value.__class__ is int:
                    state[name] = float(value)
            elif required:
                raise _missing(op_id, name)
            elif set_defaults:
                state[name] = default if copier is None else copier(default)

    Validate = validate

    # --- description ---------------------------------------------------------

    def summary(self) -> str:
        """``OP_ID`` without ``OP_``, plus the OP_DSC_FIELD value in
        parentheses (lists joined by ","), e.g. ``INSTANCE_CREATE(inst1)``."""
        text = self.OP_ID[3:]
        field = self.OP_DSC_FIELD
        if field:
            value = self.__dict__.get(field)
            if isinstance(value, (list, tuple)):
                value = ",".join(str(item) for item in value)
            text = "%s(%s)" % (text, value)
        return text

    def tiny_summary(self) -> str:
        """Short OP_ID: ``INSTANCE_CREATE`` -> ``I_CREATE``, ``CLUSTER_QUERY``
        -> ``C_QUERY`` (no field value)."""
        text = self.OP_ID[3:]
        for prefix, short in SUMMARY_PREFIX.items():
            if text.startswith(prefix):
                return short + text[len(prefix) :]
        return text

    Summary = summary
    TinySummary = tiny_summary

    @classmethod
    def get_all_params(cls) -> list:
        """Every parameter row, own first then the base ones (``OP_PARAMS``)."""
        return list(cls.OP_PARAMS)

    GetAllParams = get_all_params

    def add_reason(self, source: str, text: str, timestamp_ns: int | None = None) -> None:
        """Appends an entry to the reason trail."""
        trail = self.__dict__.get(constants.OPCODE_REASON)
        if trail is None:
            trail = self.__dict__[constants.OPCODE_REASON] = []
        trail.append(make_reason(source, text, timestamp_ns))


def _prepare_class(cls: type) -> None:
    """Derives OP_ID, the full parameter list and the validation specs."""
    own_declared = cls.__dict__.get("OP_PARAMS")
    parent = cls.__mro__[1]
    inherited = getattr(parent, "OP_PARAMS", BASE_PARAMS)
    own = list(own_declared) if own_declared is not None else []
    names = []
    for row in own:
        if not (isinstance(row, tuple) and len(row) == 4 and isinstance(row[0], str)):
            raise errors.ProgrammerError("%s: bad OP_PARAMS row %r" % (cls.__name__, row))
        if not callable(row[2]):
            raise errors.ProgrammerError("%s.%s: check is not callable" % (cls.__name__, row[0]))
        if row[0] in names:
            raise errors.ProgrammerError("%s: duplicate parameter %s" % (cls.__name__, row[0]))
        names.append(row[0])
    own_names = frozenset(names)
    full = own + [row for row in inherited if row[0] not in own_names]

    if "OP_ID" not in cls.__dict__:
        cls.OP_ID = op_id_from_class_name(cls.__name__)
    cls.OP_OWN_PARAMS = own
    cls.OP_PARAMS = full

    specs = []
    private = []
    for name, default, check, _ in full:
        required = default is None and not check(None)
        coerce = ht.is_float_check(check)
        if coerce and default.__class__ is int:
            default = float(default)
        if not required and not check(default):
            raise errors.ProgrammerError(
                "%s.%s: default %r fails its own check" % (cls.__name__, name, default)
            )
        if isinstance(default, list):
            copier = _copy_list
        elif isinstance(default, dict):
            copier = _copy_dict
        elif isinstance(default, _IMMUTABLE):
            copier = None
        else:
            copier = _copy_value
        specs.append((name, default, check, copier, required, coerce))
        if "Private" in ht.describe(check):
            private.append(name)
    cls._SPECS = tuple(specs)
    cls._PARAM_NAMES = frozenset(row[0] for row in full)
    cls._WIRE_KEYS = cls._PARAM_NAMES | {"OP_ID"}
    cls._PRIVATE = tuple(private)

    field = cls.__dict__.get("OP_DSC_FIELD")
    if field is not None and field not in cls._PARAM_NAMES:
        raise errors.ProgrammerError(
            "%s: OP_DSC_FIELD %r is not a parameter" % (cls.__name__, field)
        )


_prepare_class(OpCode)
OpCode.OP_ID = None


# --- checks and rows shared by many opcodes ----------------------------------

TListOfNonEmptyString = ht.TListOf(ht.TNonEmptyString)
TMaybeNonEmptyString = ht.TMaybe(ht.TNonEmptyString)
TMaybeListOfNonEmptyString = ht.TMaybe(TListOfNonEmptyString)
TAnyDict = ht.TObject(ht.TAny)
TMaybeAnyDict = ht.TMaybe(TAnyDict)
TMaybeDictOfDicts = ht.TMaybe(ht.TDictOf(ht.TString, TAnyDict))
TMaybePrivateDict = ht.TMaybe(ht.TObject(ht.TPrivate(ht.TAny)))
TMaybeUidRanges = ht.TMaybe(ht.TListOf(ht.TTupleOf(ht.TInt, ht.TInt)))
#: hidden/blacklisted OS changes: [[add|remove, os name], ...]
TMaybeOsMods = ht.TMaybe(ht.TListOf(ht.TTupleOf(ht.TDdmSimple, ht.TNonEmptyString)))

_NES = ht.TNonEmptyString
_BOOL = ht.TBool
_SHUTDOWN_TIMEOUT = constants.DEFAULT_SHUTDOWN_TIMEOUT

# fmt: off
P_COMPRESS = ("compress", constants.IEC_NONE, ht.TString, "Compression tool for the transfer")
P_CONFLICTS_CHECK = ("conflicts_check", True, _BOOL, "Check for IP conflicts with existing networks")
P_DEBUG_SIMULATE_ERRORS = ("debug_simulate_errors", False, _BOOL, "Simulate errors (for testing)")
P_DISKPARAMS = ("diskparams", None, ht.TMaybe(ht.TDictOf(ht.TDiskTemplate, TAnyDict)), "Per disk template parameters")
P_DISK_STATE = ("disk_state", None, TMaybeAnyDict, "Disk state (static resources) of the object")
P_EARLY_RELEASE = ("early_release", False, _BOOL, "Release locks as early as possible")
P_ERROR_CODES = ("error_codes", False, _BOOL, "Report errors in machine-parseable form")
P_FORCE = ("force", False, _BOOL, "Force the operation")
P_FORCE_VARIANT = ("force_variant", False, _BOOL, "Accept an OS variant that is not listed")
P_GROUP_NAME = ("group_name", None, _NES, "Node group name")
P_HV_STATE = ("hv_state", None, TMaybeAnyDict, "Hypervisor state (static resources) of the object")
P_IALLOCATOR = ("iallocator", None, TMaybeNonEmptyString, "Allocator script choosing the node(s)")
P_IGNORE_CONSISTENCY = ("ignore_consistency", False, _BOOL, "Ignore disk consistency on the source")
P_IGNORE_ERRORS = ("ignore_errors", [], ht.TSetOf(ht.TCVErrorCode), "Verify error codes to report as warnings")
P_IGNORE_IPOLICY = ("ignore_ipolicy", False, _BOOL, "Ignore instance policy violations")
P_INSTANCE_NAME = ("instance_name", None, ht.TString, "Instance name")
P_INSTANCE_UUID = ("instance_uuid", None, TMaybeNonEmptyString, "Instance UUID")
P_IPOLICY = ("ipolicy", None, TMaybeAnyDict, "Instance policy")
P_KIND = ("kind", None, ht.TTagKind, "Kind of object the tags belong to")
P_NDPARAMS = ("ndparams", None, TMaybeAnyDict, "Node parameters")
P_NETWORK_NAME = ("network_name", None, _NES, "Network name")
P_NODE_NAME = ("node_name", None, _NES, "Node name")
P_NODE_UUID = ("node_uuid", None, TMaybeNonEmptyString, "Node UUID")
P_NODE_UUIDS = ("node_uuids", None, TMaybeListOfNonEmptyString, "Node UUIDs")
P_OSPARAMS_PRIVATE = ("osparams_private", None, TMaybePrivateDict, "Private OS parameters (kept out of logs)")
P_OSPARAMS_SECRET = ("osparams_secret", None, TMaybePrivateDict, "Secret OS parameters (never stored)")
P_OUTPUT_FIELDS = ("output_fields", None, TListOfNonEmptyString, "Fields to return")
P_REMOTE_NODE_UUID = ("remote_node_uuid", None, TMaybeNonEmptyString, "New secondary node UUID")
P_SHUTDOWN_TIMEOUT = ("shutdown_timeout", _SHUTDOWN_TIMEOUT, ht.TNonNegativeInt, "Seconds to wait for a clean shutdown")
P_TARGET_GROUPS = ("target_groups", None, TMaybeListOfNonEmptyString, "Groups to consider as destinations")
P_TARGET_NODE = ("target_node", None, TMaybeNonEmptyString, "Target node")
P_TARGET_NODE_UUID = ("target_node_uuid", None, TMaybeNonEmptyString, "Target node UUID")
P_USE_LOCKING = ("use_locking", False, _BOOL, "Take locks for consistent data")
P_VERBOSE = ("verbose", False, _BOOL, "Verbose output")
P_WAIT_FOR_SYNC = ("wait_for_sync", True, _BOOL, "Wait for the disks to synchronize")
# fmt: on
