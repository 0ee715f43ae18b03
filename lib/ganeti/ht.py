"""Composable type checks ("ht") for opcode parameters and results.

This module owns the vocabulary used to declare what a value must look like:
every check is a plain callable ``check(value) -> bool`` with a ``description``
attribute worded as Ganeti words it ("None or NonEmptyString", "List of
(OneOf a, b)", ...), so error messages and documentation read the same.

It must never raise on a bad *value* (a check answers False), never do I/O and
never import anything heavier than ``ganeti.constants``: it is loaded by every
command through ``ganeti.opcodes``.

Conventions:

* ``TInt`` rejects booleans; ``TFloat`` accepts ints (opcode validation then
  coerces them to float, see ``is_float_check``).
* ``TNonNegative``/``TPositive`` are both factories (``TNonNegative(TFloat)``)
  and, given a plain value, integer checks (``TNonNegative(3) is True``).
* Combinators (``TOr``, ``TAnd``, ``TMaybe``, ``TListOf`` ...) build new checks
  and compose their children's descriptions, adding parentheses where needed.
"""

from __future__ import annotations

from ganeti import constants

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only; "typing" costs import time on every command
    import re
    from typing import Any, Callable, Iterable

    Check = Callable[[Any], bool]


def _desc(check: Callable, description: str, is_float: bool = False) -> Check:
    check.description = description
    if is_float:
        check.is_float = True
    return check


def describe(check: Callable) -> str:
    """Returns the human description of a check (its ``description``)."""
    text = getattr(check, "description", None)
    if text is None:
        text = getattr(check, "__name__", repr(check))
    return text


def is_float_check(check: Callable) -> bool:
    """Whether ints that pass ``check`` are to be coerced to float."""
    return getattr(check, "is_float", False)


def _parens(check: Callable) -> str:
    text = describe(check)
    if " " in text:
        return "(%s)" % text
    return text


# --- Basic checks -----------------------------------------------------------


def TAny(value: Any) -> bool:
    return True


def TNone(value: Any) -> bool:
    return value is None


def TBool(value: Any) -> bool:
    return isinstance(value, bool)


def TInt(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def TFloat(value: Any) -> bool:
    return isinstance(value, (float, int)) and not isinstance(value, bool)


def TNumber(value: Any) -> bool:
    return isinstance(value, (float, int)) and not isinstance(value, bool)


def TString(value: Any) -> bool:
    return isinstance(value, str)


def TNonEmptyString(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def TList(value: Any) -> bool:
    return isinstance(value, list)


def TTuple(value: Any) -> bool:
    return isinstance(value, tuple)


def TDict(value: Any) -> bool:
    return isinstance(value, dict)


def TTrue(value: Any) -> bool:
    return bool(value)


def TCallable(value: Any) -> bool:
    return callable(value)


_desc(TAny, "Anything")
_desc(TNone, "None")
_desc(TBool, "Boolean")
_desc(TInt, "Integer")
_desc(TFloat, "Float", is_float=True)
_desc(TNumber, "Integer or Float")
_desc(TString, "String")
_desc(TNonEmptyString, "NonEmptyString")
_desc(TList, "List")
_desc(TTuple, "Tuple")
_desc(TDict, "Dictionary")
_desc(TTrue, "ValueTrue")
_desc(TCallable, "Callable")

TDouble = TFloat


# --- Combinators ------------------------------------------------------------


def TOr(*checks: Check) -> Check:
    """Passes if any of ``checks`` passes."""
    if len(checks) == 2:
        first, second = checks

        def fn(value):
            return first(value) or second(value)
    else:

        def fn(value):
            for check in checks:
                if check(value):
                    return True
            return False

    return _desc(
        fn,
        " or ".join(_parens(c) for c in checks),
        is_float=any(is_float_check(c) for c in checks),
    )


def TAnd(*checks: Check) -> Check:
    """Passes if all of ``checks`` pass (evaluated in order)."""
    if len(checks) == 2:
        first, second = checks

        def fn(value):
            return first(value) and second(value)
    else:

        def fn(value):
            for check in checks:
                if not check(value):
                    return False
            return True

    return _desc(
        fn,
        " and ".join(_parens(c) for c in checks),
        is_float=any(is_float_check(c) for c in checks),
    )


def TNot(check: Check) -> Check:
    """Passes if ``check`` fails."""
    return _desc(lambda value: not check(value), "Not %s" % _parens(check))


def TMaybe(check: Check) -> Check:
    """None or a value passing ``check``."""

    def fn(value):
        return value is None or check(value)

    return _desc(fn, "None or %s" % _parens(check), is_float=is_float_check(check))


TMaybeString = TMaybe(TString)
TMaybeBool = TMaybe(TBool)
TMaybeDict = TMaybe(TDict)
TMaybeList = TMaybe(TList)


def TComment(check: Check, text: str) -> Check:
    """The same check, its description followed by ``[text]``."""

    def fn(value):
        return check(value)

    return _desc(fn, "%s [%s]" % (describe(check), text), is_float=is_float_check(check))


def TWithDesc(check: Check, text: str) -> Check:
    """The same check under a new description."""

    def fn(value):
        return check(value)

    return _desc(fn, text, is_float=is_float_check(check))


def TElemOf(values: Iterable[Any]) -> Check:
    """One of ``values`` (booleans only match if ``values`` holds booleans)."""
    if isinstance(values, (set, frozenset)):
        ordered = sorted(values, key=lambda v: (not isinstance(v, str), str(v)))
    else:
        ordered = list(values)
    allowed = frozenset(ordered)
    allow_bool = any(isinstance(v, bool) for v in ordered)

    def fn(value):
        if isinstance(value, bool) and not allow_bool:
            return False
        try:
            return value in allowed
        except TypeError:
            return False

    fn.values = allowed
    return _desc(fn, "OneOf %s" % ", ".join(str(v) for v in ordered))


def TListOf(check: Check) -> Check:
    """A list whose every item passes ``check``."""
    if check is TAny:
        fn = lambda value: isinstance(value, list)
    else:

        def fn(value):
            return isinstance(value, list) and all(map(check, value))

    return _desc(fn, "List of %s" % _parens(check))


TMaybeListOf = lambda check: TMaybe(TListOf(check))


def TSetOf(check: Check) -> Check:
    """A list (or set/tuple) of items passing ``check``; duplicates allowed."""

    def fn(value):
        return isinstance(value, (list, tuple, set, frozenset)) and all(map(check, value))

    return _desc(fn, "Set of %s" % _parens(check))


def TDictOf(key_check: Check, value_check: Check) -> Check:
    """A dict whose keys pass ``key_check`` and values pass ``value_check``."""
    any_key = key_check is TAny
    any_value = value_check is TAny

    def fn(value):
        if not isinstance(value, dict):
            return False
        if not any_key and not all(map(key_check, value.keys())):
            return False
        return any_value or all(map(value_check, value.values()))

    return _desc(
        fn,
        "Dictionary with keys of %s and values of %s" % (_parens(key_check), _parens(value_check)),
    )


def TObject(check: Check) -> Check:
    """A JSON object (string-keyed dict in practice) with values passing ``check``."""
    return TDictOf(TAny, check)


def TIsLength(length: int) -> Check:
    """A sized value of exactly ``length`` items."""

    def fn(value):
        try:
            return len(value) == length
        except TypeError:
            return False

    return _desc(fn, "Length %s" % length)


def TItems(checks: list[Check]) -> Check:
    """Item *i* of a sequence passes ``checks[i]`` (extra items unchecked)."""
    if not checks:
        raise ValueError("TItems needs at least one check")
    checks = list(checks)
    text = ", ".join(
        "%s %s is %s" % ("item" if idx else "Item", idx, _parens(check))
        for idx, check in enumerate(checks)
    )

    def fn(value):
        if not isinstance(value, (list, tuple)):
            return False
        for check, item in zip(checks, value):
            if not check(item):
                return False
        return True

    return _desc(fn, text)


def TTupleOf(*checks: Check) -> Check:
    """A list or tuple of exactly ``len(checks)`` items, item *i* passing ``checks[i]``."""
    count = len(checks)

    def fn(value):
        if not isinstance(value, (list, tuple)) or len(value) != count:
            return False
        for check, item in zip(checks, value):
            if not check(item):
                return False
        return True

    return _desc(fn, "Tuple of %s" % "(%s)" % ", ".join(describe(c) for c in checks))


def TStrictDict(require_all: bool, exclusive: bool, items: dict[str, Check]) -> Check:
    """A dict with the given keys checked; all of them required if ``require_all``,
    no other key allowed if ``exclusive``."""
    keys = frozenset(items)
    parts = ", ".join('"%s" (value %s)' % (k, _parens(c)) for k, c in sorted(items.items()))
    text = "Dictionary containing %s%skey%s %s" % (
        "none but the " if exclusive else "",
        "required " if require_all else "",
        "s" if len(items) != 1 else "",
        parts,
    )

    def fn(value):
        if not isinstance(value, dict):
            return False
        present = value.keys()
        if exclusive and not keys.issuperset(present):
            return False
        if require_all and not keys.issubset(present):
            return False
        for key, check in items.items():
            if key in value and not check(value[key]):
                return False
        return True

    return _desc(fn, text)


def TRegex(pattern: str | re.Pattern) -> Check:
    """A string fully matching ``pattern``."""
    import re  # lazy: only a few checks need it

    rx = re.compile(pattern) if isinstance(pattern, str) else pattern

    def fn(value):
        return isinstance(value, str) and rx.fullmatch(value) is not None

    return _desc(fn, "String matching expression %s" % rx.pattern)


def TMaxValue(limit: Any) -> Check:
    """Less than ``limit``."""

    def fn(value):
        try:
            return value < limit
        except TypeError:
            return False

    return _desc(fn, "Less than %s" % limit)


def _non_negative_of(check: Check) -> Check:
    def fn(value):
        return check(value) and value >= 0

    return _desc(fn, "EqualOrGreaterThanZero", is_float=is_float_check(check))


def _positive_of(check: Check) -> Check:
    def fn(value):
        return check(value) and value > 0

    return _desc(fn, "GreaterThanZero", is_float=is_float_check(check))


TNonNegativeInt = _non_negative_of(TInt)
TPositiveInt = _positive_of(TInt)
TNonNegativeFloat = _non_negative_of(TFloat)
TPositiveFloat = _positive_of(TFloat)
TMaybePositiveInt = TMaybe(TPositiveInt)


def TNonNegative(arg: Any) -> Any:
    """``TNonNegative(TInt|TFloat|TNumber)`` builds a ">= 0" check; applied to a
    plain value it is the integer check ``TNonNegativeInt``."""
    if callable(arg):
        return _non_negative_of(arg)
    return TNonNegativeInt(arg)


def TPositive(arg: Any) -> Any:
    """``TPositive(TInt|TFloat|TNumber)`` builds a "> 0" check; applied to a
    plain value it is the integer check ``TPositiveInt``."""
    if callable(arg):
        return _positive_of(arg)
    return TPositiveInt(arg)


_desc(TNonNegative, "EqualOrGreaterThanZero")
_desc(TPositive, "GreaterThanZero")


def TNegativeInt(value: Any) -> bool:
    return TInt(value) and value < 0


_desc(TNegativeInt, "LessThanZero")


def TJobId(value: Any) -> bool:
    """A job id: a non-negative integer or a string of decimal digits."""
    if isinstance(value, str):
        return value.isascii() and value.isdigit()
    return TInt(value) and value >= 0


def TRelativeJobId(value: Any) -> bool:
    """A relative job id (negative integer, only valid inside SubmitManyJobs)."""
    return TInt(value) and value < 0


_desc(TJobId, "JobId")
_desc(TRelativeJobId, "RelativeJobId")


# --- Private values ---------------------------------------------------------


class Private:
    """Wraps a secret value so that printing or logging it shows nothing.

    ``TPrivate`` checks accept a wrapped value or the plain value itself
    (values arriving over the wire are plain).
    """

    __slots__ = ("_value", "_descr")

    def __init__(self, value: Any, descr: str = "redacted") -> None:
        self._value = value
        self._descr = descr

    def get(self) -> Any:
        return self._value

    def __repr__(self) -> str:
        return "<%s>" % self._descr

    __str__ = __repr__

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Private):
            return self._value == other._value
        return self._value == other

    def __hash__(self) -> int:
        return hash(self._value)


def TPrivate(check: Check) -> Check:
    """A value (optionally wrapped in ``Private``) passing ``check``."""

    def fn(value):
        if isinstance(value, Private):
            value = value.get()
        return check(value)

    return _desc(fn, "Private %s" % _parens(check))


TSecret = TPrivate


# --- Network addresses ------------------------------------------------------


def _ip_check(kind: str) -> Check:
    def fn(value):
        if not isinstance(value, str):
            return False
        import ipaddress  # lazy: keeps "import ganeti.opcodes" cheap

        try:
            if kind == "IPv4 address":
                ipaddress.IPv4Address(value)
            elif kind == "IPv6 address":
                ipaddress.IPv6Address(value)
            elif kind == "IPv4 network":
                if "/" not in value:
                    return False
                ipaddress.IPv4Network(value, strict=False)
            else:
                if "/" not in value:
                    return False
                ipaddress.IPv6Network(value, strict=False)
        except ValueError:
            return False
        return True

    return _desc(fn, kind)


TIPv4Address = TAnd(TString, _ip_check("IPv4 address"))
TIPv6Address = TAnd(TString, _ip_check("IPv6 address"))
TIPv4Network = TAnd(TString, _ip_check("IPv4 network"))
TIPv6Network = TAnd(TString, _ip_check("IPv6 network"))
TIPAddress = TOr(TIPv4Address, TIPv6Address)


# --- Ganeti domain checks ---------------------------------------------------

THypervisor = TElemOf(constants.HYPER_TYPES)
TDiskTemplate = TElemOf(constants.DISK_TEMPLATES)
TStorageType = TElemOf(constants.STORAGE_TYPES)
TTagKind = TElemOf(constants.VALID_TAG_TYPES)
TAllocPolicy = TElemOf(frozenset(constants.VALID_ALLOC_POLICIES))
TCVErrorCode = TElemOf(constants.CV_ALL_ECODES_STRINGS)
TVerifyOptionalChecks = TElemOf(constants.VERIFY_OPTIONAL_CHECKS)
TQueryResultCode = TElemOf(constants.RS_ALL)
TQueryTypeOp = TElemOf(constants.QR_VIA_OP | constants.QR_VIA_LUXI)
TExportMode = TElemOf(constants.EXPORT_MODES)
TExportTarget = TOr(TNonEmptyString, TList)
TDiskIndex = TAnd(TNonNegativeInt, TMaxValue(constants.MAX_DISKS))
TReplaceDisksMode = TElemOf(constants.REPLACE_MODES)
TEvacMode = TElemOf(constants.NODE_EVAC_MODES)
TIAllocatorTestDir = TElemOf(constants.VALID_IALLOCATOR_DIRECTIONS)
TIAllocatorMode = TElemOf(constants.VALID_IALLOCATOR_MODES)
TAdminStateSource = TElemOf(constants.ADMIN_STATE_SOURCES)
TMigrationMode = TElemOf(constants.HT_MIGRATION_MODES)
TNICMode = TElemOf(constants.NIC_VALID_MODES | {constants.NIC_MODE_POOL})
TInstCreateMode = TElemOf(constants.INSTANCE_CREATE_MODES)
TRebootType = TElemOf(constants.REBOOT_TYPES)
TFileDriver = TElemOf(constants.FILE_DRIVER)
TOobCommand = TElemOf(constants.OOB_COMMANDS)
TDdmSimple = TElemOf(constants.DDMS_VALUES)
TSshKeyType = TElemOf(constants.SSHK_ALL)
TJobStatusFinal = TElemOf(constants.JOBS_FINALIZED)
TOpPriority = TElemOf(constants.OP_PRIO_SUBMIT_VALID)

#: per-NIC parameters of an instance (keys INIC_*)
TINicParams = TComment(TDictOf(TElemOf(constants.INIC_PARAMS), TMaybe(TString)), "NIC parameters")
#: per-disk parameters of an instance (keys IDISK_*, plus provider-specific ones)
TIDiskParams = TComment(TDictOf(TNonEmptyString, TOr(TNonEmptyString, TInt)), "Disk parameters")
TDiskParams = TIDiskParams
TDiskChanges = TAnd(
    TIsLength(2),
    TItems([TComment(TNonNegativeInt, "Disk index"), TComment(TDiskParams, "Parameters")]),
)
TRecreateDisksInfo = TOr(TListOf(TNonNegativeInt), TListOf(TDiskChanges))


def TSetParamsMods(item_check: Check) -> Check:
    """Modification list of disks/NICs: ``[[op, index, params], ...]`` where op is
    add/attach/detach/modify/remove and index an int (may be negative) or a
    name; also the deprecated ``[[op_or_index, params], ...]`` form."""
    new_item = TAnd(
        TIsLength(3),
        TItems(
            [
                TElemOf(constants.DDMS_VALUES_WITH_MODIFY),
                TComment(
                    TOr(TInt, TString), "Device index, can be negative, e.g. -1 for last disk"
                ),
                item_check,
            ]
        ),
    )
    old_item = TAnd(
        TIsLength(2),
        TItems([TOr(TElemOf(constants.DDMS_VALUES), TNonNegativeInt), item_check]),
    )
    return TOr(
        TComment(TListOf(new_item), "Recommended"), TComment(TListOf(old_item), "Deprecated")
    )


#: one entry of a list of submitted jobs: [success, job id or error message]
TJobIdListItem = TAnd(
    TIsLength(2),
    TItems(
        [
            TComment(TBool, "success"),
            TComment(TOr(TString, TJobId), "Job ID if successful, error message otherwise"),
        ]
    ),
)
TJobIdList = TListOf(TJobIdListItem)
TJobIdListOnly = TStrictDict(
    True, True, {constants.JOB_IDS_KEY: TComment(TJobIdList, "List of submitted jobs")}
)
TInstanceMultiAllocResponse = TStrictDict(
    True,
    True,
    {
        constants.JOB_IDS_KEY: TComment(TJobIdList, "List of submitted jobs"),
        constants.ALLOCATABLE_KEY: TListOf(TNonEmptyString),
        constants.FAILED_KEY: TListOf(TNonEmptyString),
    },
)
TQueryFieldDef = TStrictDict(
    True,
    True,
    {
        "name": TNonEmptyString,
        "title": TNonEmptyString,
        "kind": TElemOf(constants.QFT_ALL),
        "doc": TNonEmptyString,
    },
)
TQueryRow = TListOf(TAnd(TIsLength(2), TItems([TElemOf(constants.RS_ALL), TAny])))
TQueryResult = TListOf(TQueryRow)
TQueryResponse = TStrictDict(True, True, {"fields": TListOf(TQueryFieldDef), "data": TQueryResult})
TQueryFieldsResponse = TStrictDict(True, True, {"fields": TListOf(TQueryFieldDef)})
#: result of *SetParams opcodes: list of (changed parameter, new value)
TSetParamsResult = TListOf(TTupleOf(TNonEmptyString, TAny))


def build_job_dep_check(relative: bool) -> Check:
    """Check for an opcode's ``depends``: None or ``[[job_id, [status, ...]], ...]``
    with statuses from the finalized set; negative (relative) job ids only
    if ``relative``."""
    job_id = TOr(TJobId, TRelativeJobId) if relative else TJobId
    dep = TAnd(
        TOr(TListOf(TAny), TTuple),
        TIsLength(2),
        TItems([job_id, TListOf(TJobStatusFinal)]),
    )
    return TMaybe(TListOf(dep))


TJobDependencies = build_job_dep_check(True)
TNoRelativeJobDependencies = build_job_dep_check(False)

#: one reason trail entry: [source, text, timestamp in nanoseconds]
TReasonEntry = TTupleOf(TNonEmptyString, TString, TInt)
TReasonTrail = TListOf(TReasonEntry)
