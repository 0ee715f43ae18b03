"""query2: field definitions, the query engine, filter evaluation, responses.

Owns how a query request ``(resource, fields, filter)`` becomes a response
``{"fields": [fielddef, ...], "data": [[[status, value], ...], ...]}``:
field tables (one row per field: definition, data kind, getter, flags),
compiling a :mod:`ganeti.qlang` filter into a predicate, working out which
data and which names a caller must fetch, and the CLI's formatting of one
result value.  It must never fetch anything itself (no config reads, no RPC,
no locks): the caller fills a context (``NodeQueryData``,
``InstanceQueryData``, ...) with exactly the data :meth:`Query.requested_data`
asks for, and the getters only read it.

The per-resource tables and context dataclasses live in
:mod:`ganeti.query_fields` (one module per resource) and are reachable from
here under their usual names (``query.NODE_FIELDS``, ``query.NodeQueryData``,
``query.ALL_FIELDS``), loaded on first use so importing this module is cheap.
"""

import importlib
import operator
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, NamedTuple, Sequence, TypedDict

from ganeti import constants, errors, qlang
from ganeti.utils import text as utils_text

QFT_UNKNOWN = constants.QFT_UNKNOWN
QFT_TEXT = constants.QFT_TEXT
QFT_BOOL = constants.QFT_BOOL
QFT_NUMBER = constants.QFT_NUMBER
QFT_NUMBER_FLOAT = constants.QFT_NUMBER_FLOAT
QFT_UNIT = constants.QFT_UNIT
QFT_TIMESTAMP = constants.QFT_TIMESTAMP
QFT_OTHER = constants.QFT_OTHER

RS_NORMAL = constants.RS_NORMAL
RS_UNKNOWN = constants.RS_UNKNOWN
RS_NODATA = constants.RS_NODATA
RS_UNAVAIL = constants.RS_UNAVAIL
RS_OFFLINE = constants.RS_OFFLINE

#: Short CLI spelling of the abnormal statuses (verbose: RSS_DESCRIPTION).
RSS_SHORT = {RS_UNKNOWN: "??", RS_NODATA: "?", RS_UNAVAIL: "-", RS_OFFLINE: "*"}

# Field flags: how a filter compares values of the field.
QFF_HOSTNAME = 0x01  # "==" also matches the leading name components
QFF_IP_ADDRESS = 0x02
QFF_JOB_ID = 0x04  # values given as strings are job ids
QFF_SPLIT_TIMESTAMP = 0x08  # value is [seconds, microseconds]
QFF_ALL = QFF_HOSTNAME | QFF_IP_ADDRESS | QFF_JOB_ID | QFF_SPLIT_TIMESTAMP

# Data kinds: what a caller must collect before running a query.  A field
# whose kind is None needs nothing beyond the items themselves.
NQ_CONFIG = "node:config"
NQ_INST = "node:instances"
NQ_LIVE = "node:live"
NQ_GROUP = "node:group"
NQ_OOB = "node:oob"
IQ_CONFIG = "instance:config"
IQ_LIVE = "instance:live"
IQ_DISKUSAGE = "instance:diskusage"
IQ_CONSOLE = "instance:console"
IQ_NODES = "instance:nodes"
IQ_NETWORKS = "instance:networks"
LQ_MODE = "lock:mode"
LQ_OWNER = "lock:owner"
LQ_PENDING = "lock:pending"
GQ_CONFIG = "group:config"
GQ_NODE = "group:nodes"
GQ_INST = "group:instances"
GQ_DISKPARAMS = "group:diskparams"
CQ_CONFIG = "cluster:config"
CQ_QUEUE_DRAINED = "cluster:queue-drained"
CQ_WATCHER_PAUSE = "cluster:watcher-pause"
JQ_ARCHIVED = "job:archived"
NETQ_CONFIG = "network:config"
NETQ_GROUP = "network:groups"
NETQ_STATS = "network:stats"
NETQ_INST = "network:instances"

#: Filters nested deeper than this are refused.
MAX_FILTER_DEPTH = 32

_FIELD_NAME_RE = re.compile(r"^[a-z0-9/._]+$")
_TITLE_RE = re.compile(r"^\S+$")
_NUMERIC_KINDS = frozenset([QFT_NUMBER, QFT_NUMBER_FLOAT, QFT_UNIT, QFT_TIMESTAMP])


class _Status:
    """A getter's way of saying "no normal value" (see the FS_* values)."""

    __slots__ = ("code",)

    def __init__(self, code: int) -> None:
        self.code = code

    def __repr__(self) -> str:
        return "<query status %s>" % constants.RSS_DESCRIPTION[self.code]


FS_UNKNOWN = _Status(RS_UNKNOWN)
FS_NODATA = _Status(RS_NODATA)
FS_UNAVAIL = _Status(RS_UNAVAIL)
FS_OFFLINE = _Status(RS_OFFLINE)


@dataclass(frozen=True)
class FieldDefinition:
    """One field as clients see it (``{name, title, kind, doc}`` on the wire)."""

    name: str
    title: str
    kind: str
    doc: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "kind": self.kind, "doc": self.doc}

    @classmethod
    def from_dict(cls, data: dict) -> "FieldDefinition":
        return cls(data["name"], data["title"], data["kind"], data["doc"])


#: A getter receives (context, item) and returns the value or an FS_* status.
Getter = Callable[[Any, Any], Any]


class FieldEntry(NamedTuple):
    """One row of a field table."""

    fdef: FieldDefinition
    datakind: str | None
    getter: Getter
    flags: int = 0


FieldTable = dict[str, FieldEntry]


def make_table(
    entries: Iterable[FieldEntry], aliases: Sequence[tuple[str, str]] = ()
) -> FieldTable:
    """Turns a list of entries (plus ``(alias, target)`` pairs) into a table.

    Checks what every table must satisfy (names, titles, kinds, flags,
    uniqueness) so a bad row fails at first use, not in a client.
    """
    table: FieldTable = {}
    for entry in entries:
        fdef = entry.fdef
        if not _FIELD_NAME_RE.match(fdef.name):
            raise errors.ProgrammerError("Invalid field name %r" % fdef.name)
        if not _TITLE_RE.match(fdef.title):
            raise errors.ProgrammerError("Invalid title %r for field %s" % (fdef.title, fdef.name))
        if fdef.kind not in constants.QFT_ALL or fdef.kind == QFT_UNKNOWN:
            raise errors.ProgrammerError("Invalid kind %r for field %s" % (fdef.kind, fdef.name))
        if not fdef.doc or fdef.doc != fdef.doc.strip() or "\n" in fdef.doc:
            raise errors.ProgrammerError("Invalid doc for field %s" % fdef.name)
        if entry.flags & ~QFF_ALL:
            raise errors.ProgrammerError("Unknown flags for field %s" % fdef.name)
        if fdef.name in table:
            raise errors.ProgrammerError("Duplicate field %s" % fdef.name)
        table[fdef.name] = entry
    for alias, target in aliases:
        if alias in table or target not in table:
            raise errors.ProgrammerError("Bad alias %s -> %s" % (alias, target))
        entry = table[target]
        fdef = FieldDefinition(alias, entry.fdef.title, entry.fdef.kind, entry.fdef.doc)
        table[alias] = entry._replace(fdef=fdef)
    return table


def _get_unknown(_ctx: Any, _item: Any) -> Any:
    return FS_UNKNOWN


def unknown_entry(name: str) -> FieldEntry:
    """The entry standing in for a field the table does not have."""
    return FieldEntry(
        FieldDefinition(name, name, QFT_UNKNOWN, "Unknown field '%s'" % name), None, _get_unknown
    )


# ---------------------------------------------------------------- filters


def _inval(msg: str) -> errors.OpPrereqError:
    return errors.OpPrereqError(msg, errors.ECODE_INVAL)


def _merge_split_time(value: Any) -> float | None:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        try:
            return float(value[0]) + float(value[1]) / 1000000.0
        except (TypeError, ValueError):
            return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _to_number(name: str, value: Any) -> int | float:
    if isinstance(value, bool):
        raise _inval("Field '%s' is numeric, cannot compare with %r" % (name, value))
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                pass
    raise _inval("Field '%s' is numeric, cannot compare with %r" % (name, value))


def _hostname_equal(lhs: Any, rhs: Any) -> bool:
    if isinstance(lhs, str) and isinstance(rhs, str):
        lhs, rhs = lhs.lower(), rhs.lower()
        return lhs == rhs or lhs.startswith(rhs + ".")
    return lhs == rhs


def _regex_match(lhs: Any, rx: re.Pattern) -> bool:
    if isinstance(lhs, str):
        return rx.search(lhs) is not None
    if isinstance(lhs, (list, tuple)):
        return any(isinstance(e, str) and rx.search(e) is not None for e in lhs)
    return False


def _contains(lhs: Any, rhs: Any) -> bool:
    if isinstance(lhs, str):
        return isinstance(rhs, str) and rhs in lhs
    if isinstance(lhs, (list, tuple, set, frozenset, dict)):
        try:
            return rhs in lhs
        except TypeError:
            return False
    return False


def _ordered(fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(lhs: Any, rhs: Any) -> bool:
        try:
            return bool(fn(lhs, rhs))
        except TypeError:
            return False

    return compare


_ORDERING = {
    qlang.OP_LT: operator.lt,
    qlang.OP_LE: operator.le,
    qlang.OP_GT: operator.gt,
    qlang.OP_GE: operator.ge,
}


class _FilterCompiler:
    """Turns a filter into a predicate ``fn(ctx, item) -> bool``.

    Conditions on a field without a normal value (an FS_* status) are false,
    whatever the operator; ``!`` negates the result of its operand.
    """

    def __init__(self, fields: FieldTable) -> None:
        self._fields = fields
        self.datakinds: set[str] = set()

    def compile(self, qfilter: Any, level: int = 0) -> Callable[[Any, Any], bool]:
        if not isinstance(qfilter, (list, tuple)) or not qfilter:
            raise _inval("Invalid filter on level %s: %r" % (level, qfilter))
        if level >= MAX_FILTER_DEPTH:
            raise _inval("Filter nested too deep (at most %s levels)" % MAX_FILTER_DEPTH)
        op, operands = qfilter[0], list(qfilter[1:])
        if not isinstance(op, str) or op not in qlang.ALL_OPS:
            raise _inval("Unknown operator %r in filter" % (op,))
        if op in qlang.LOGIC_OPS:
            if op == qlang.OP_OR:
                fast = self._equality_set(operands)
                if fast is not None:
                    return fast
            subs = [self.compile(sub, level + 1) for sub in operands]
            if op == qlang.OP_AND:
                return lambda ctx, item: all(fn(ctx, item) for fn in subs)
            return lambda ctx, item: any(fn(ctx, item) for fn in subs)
        if op in qlang.UNARY_OPS:
            if len(operands) != 1:
                raise _inval("Operator '%s' expects exactly one operand" % op)
            if op == qlang.OP_NOT:
                inner = self.compile(operands[0], level + 1)
                return lambda ctx, item: not inner(ctx, item)
            getter = self._lookup(operands[0]).getter
            return lambda ctx, item: _truth(getter(ctx, item))
        if len(operands) != 2:
            raise _inval("Operator '%s' expects exactly two operands" % op)
        return self._binary(op, operands[0], operands[1])

    def _lookup(self, name: Any) -> FieldEntry:
        if not isinstance(name, str):
            raise _inval("Field name in filter must be a string, not %r" % (name,))
        entry = self._fields.get(name)
        if entry is None:
            raise _inval("Unknown field '%s' in filter" % name)
        if entry.datakind is not None:
            self.datakinds.add(entry.datakind)
        return entry

    def _binary(self, op: str, name: Any, value: Any) -> Callable[[Any, Any], bool]:
        entry = self._lookup(name)
        kind, flags = entry.fdef.kind, entry.flags
        if op == qlang.OP_REGEXP:
            if not isinstance(value, str):
                raise _inval("Regular expression for field '%s' must be a string" % name)
            if kind in _NUMERIC_KINDS or kind == QFT_BOOL:
                raise _inval(
                    "Field '%s' (kind %s) cannot be matched with a regular expression"
                    % (name, kind)
                )
            try:
                rx = re.compile(value)
            except re.error as err:
                raise _inval("Invalid regular expression '%s': %s" % (value, err)) from None
            return _make_pred(entry.getter, _regex_match, rx)
        if op == qlang.OP_CONTAINS:
            if kind in _NUMERIC_KINDS or kind == QFT_BOOL:
                raise _inval("Field '%s' (kind %s) is not a list" % (name, kind))
            if kind == QFT_TEXT and not isinstance(value, str):
                raise _inval("Field '%s' is text, cannot look for %r in it" % (name, value))
            return _make_pred(entry.getter, _contains, value)

        getter, value = self._comparable(name, entry, value)
        if op in (qlang.OP_EQUAL, qlang.OP_EQUAL_LEGACY, qlang.OP_NOT_EQUAL):
            equal = _hostname_equal if flags & QFF_HOSTNAME else operator.eq
            if op == qlang.OP_NOT_EQUAL:
                return _make_pred(getter, lambda lhs, rhs: not equal(lhs, rhs), value)
            return _make_pred(getter, equal, value)
        return _make_pred(getter, _ordered(_ORDERING[op]), value)

    @staticmethod
    def _comparable(name: str, entry: FieldEntry, value: Any) -> tuple[Getter, Any]:
        """The getter and value to compare, checked against the field's kind."""
        kind, flags, getter = entry.fdef.kind, entry.flags, entry.getter
        if flags & QFF_SPLIT_TIMESTAMP:
            merged = _merge_split_time(value)
            if merged is None:
                raise _inval("Field '%s' is a timestamp, cannot compare with %r" % (name, value))
            return _split_time_getter(getter), merged
        if kind in _NUMERIC_KINDS or flags & QFF_JOB_ID:
            return getter, _to_number(name, value)
        if kind == QFT_BOOL:
            if isinstance(value, int) and value in (0, 1):
                return getter, bool(value)
            raise _inval("Field '%s' is boolean, cannot compare with %r" % (name, value))
        if kind == QFT_TEXT and not isinstance(value, str):
            raise _inval("Field '%s' is text, cannot compare with %r" % (name, value))
        return getter, value

    def _equality_set(self, operands: list) -> Callable[[Any, Any], bool] | None:
        """One set lookup for ``|`` of many ``==`` on one field (name filters)."""
        equal_ops = (qlang.OP_EQUAL, qlang.OP_EQUAL_LEGACY)
        if len(operands) < 3 or not all(
            isinstance(o, (list, tuple)) and len(o) == 3 and o[0] in equal_ops for o in operands
        ):
            return None
        name = operands[0][1]
        if not isinstance(name, str) or any(o[1] != name for o in operands):
            return None
        entry = self._fields.get(name)
        if entry is None or entry.flags & QFF_SPLIT_TIMESTAMP:
            return None
        values = [self._comparable(name, entry, o[2])[1] for o in operands]
        self._lookup(name)
        hostname = bool(entry.flags & QFF_HOSTNAME)
        if hostname:
            values = [v.lower() if isinstance(v, str) else v for v in values]
        try:
            wanted = frozenset(values)
        except TypeError:
            return None
        getter = entry.getter

        def predicate(ctx: Any, item: Any) -> bool:
            lhs = getter(ctx, item)
            if isinstance(lhs, _Status):
                return False
            if hostname and isinstance(lhs, str):
                lhs = lhs.lower()
                if lhs in wanted:
                    return True
                dot = lhs.find(".")
                while dot != -1:
                    if lhs[:dot] in wanted:
                        return True
                    dot = lhs.find(".", dot + 1)
                return False
            try:
                return lhs in wanted
            except TypeError:
                return any(lhs == v for v in values)

        return predicate


def _split_time_getter(inner: Getter) -> Getter:
    def getter(ctx: Any, item: Any) -> Any:
        value = inner(ctx, item)
        if isinstance(value, _Status):
            return value
        merged = _merge_split_time(value)
        return FS_UNAVAIL if merged is None else merged

    return getter


def _truth(value: Any) -> bool:
    return not isinstance(value, _Status) and bool(value)


def _make_pred(getter: Getter, compare: Callable[[Any, Any], bool], rhs: Any) -> Callable:
    def predicate(ctx: Any, item: Any) -> bool:
        lhs = getter(ctx, item)
        if isinstance(lhs, _Status):
            return False
        return compare(lhs, rhs)

    return predicate


def compile_filter(
    fields: FieldTable, qfilter: Any
) -> tuple[Callable[[Any, Any], bool], frozenset]:
    """Compiles a filter against a field table.

    Returns ``(predicate, datakinds)``: ``predicate(ctx, item)`` tells whether
    an item matches, ``datakinds`` is what the filter's fields need.
    Invalid filters raise :class:`errors.OpPrereqError` (``ECODE_INVAL``).
    """
    compiler = _FilterCompiler(fields)
    predicate = compiler.compile(qfilter)
    return predicate, frozenset(compiler.datakinds)


def filter_requested_names(qfilter: Any, namefield: str | None) -> list | None:
    """The names a filter can possibly match, or None if it may match any.

    Equality on ``namefield`` gives one name, ``|`` of such conditions their
    union, and ``&`` the names of its first operand that restricts them;
    anything else may match any item.  The names are as written in the
    filter: for hostname fields a short name also matches its long form, so
    callers expand them as they do names given on the command line.
    """
    if namefield is None or not isinstance(qfilter, (list, tuple)) or not qfilter:
        return None
    op, operands = qfilter[0], qfilter[1:]
    if op in (qlang.OP_EQUAL, qlang.OP_EQUAL_LEGACY) and len(operands) == 2:
        if operands[0] == namefield and isinstance(operands[1], (str, int)):
            return [operands[1]]
        return None
    if op == qlang.OP_OR:
        names: list = []
        for sub in operands:
            sub_names = filter_requested_names(sub, namefield)
            if sub_names is None:
                return None
            names.extend(n for n in sub_names if n not in names)
        return names
    if op == qlang.OP_AND:
        for sub in operands:
            sub_names = filter_requested_names(sub, namefield)
            if sub_names is not None:
                return sub_names
    return None


# ------------------------------------------------------------------- query


def _sort_key(value: Any) -> tuple:
    if isinstance(value, bool) or isinstance(value, _Status) or value is None:
        return (2, 0, [])
    if isinstance(value, (int, float)):
        return (0, value, [])
    return (1, 0, utils_text.nice_sort_key(str(value)))


class Query:
    """One query: selected fields of a field table, optionally filtered.

    ``fieldlist`` is a field table (e.g. ``query.NODE_FIELDS``), ``selected``
    the requested field names (unknown ones are allowed: kind ``unknown``,
    status ``RS_UNKNOWN``), ``qfilter`` a qlang filter or None and
    ``namefield`` the field holding each item's name (used to sort results
    and to find :meth:`requested_names`; ignored if the table lacks it).
    """

    def __init__(
        self,
        fieldlist: FieldTable,
        selected: Sequence[str],
        qfilter: Any = None,
        namefield: str | None = "name",
    ) -> None:
        if isinstance(selected, str) or not isinstance(selected, (list, tuple)):
            raise _inval("Field list must be a list of names, not %r" % (selected,))
        for name in selected:
            if not isinstance(name, str):
                raise _inval("Field names must be strings, not %r" % (name,))
        self._entries = [fieldlist.get(name) or unknown_entry(name) for name in selected]
        if namefield is not None and namefield not in fieldlist:
            namefield = None
        self._namefield = namefield
        self._name_getter = fieldlist[namefield].getter if namefield else None
        self._filter_fn: Callable[[Any, Any], bool] | None = None
        self._filter_datakinds: frozenset = frozenset()
        self._requested_names = None
        if qfilter is not None:
            self._filter_fn, self._filter_datakinds = compile_filter(fieldlist, qfilter)
            names = filter_requested_names(qfilter, namefield)
            if names is not None and fieldlist[namefield].fdef.kind in _NUMERIC_KINDS:
                names = list(dict.fromkeys(_to_number(namefield, n) for n in names))
            self._requested_names = names

    def requested_data(self) -> frozenset:
        """Data kinds (``NQ_LIVE``, ``IQ_CONFIG``, ...) the fields and filter need."""
        kinds = {e.datakind for e in self._entries if e.datakind is not None}
        return frozenset(kinds) | self._filter_datakinds

    def requested_names(self) -> list | None:
        """Names the filter restricts the query to, or None for all items."""
        return self._requested_names

    def get_fields(self) -> list[dict[str, str]]:
        """Definitions of the selected fields, unknown ones included, in order."""
        return [e.fdef.to_dict() for e in self._entries]

    def has_unknown_fields(self) -> bool:
        return any(e.fdef.kind == QFT_UNKNOWN for e in self._entries)

    def query(self, ctx: Iterable, sort_by_name: bool = True) -> list[list[list]]:
        """Rows (one per matching item) of ``[status, value]`` per field."""
        getters = [e.getter for e in self._entries]
        filter_fn = self._filter_fn
        name_getter = self._name_getter if sort_by_name else None
        rows = []
        for index, item in enumerate(ctx):
            if filter_fn is not None and not filter_fn(ctx, item):
                continue
            row = []
            for getter in getters:
                value = getter(ctx, item)
                if isinstance(value, _Status):
                    row.append([value.code, None])
                else:
                    row.append([RS_NORMAL, value])
            if name_getter is not None:
                rows.append((_sort_key(name_getter(ctx, item)), index, row))
            else:
                rows.append(row)
        if name_getter is None:
            return rows
        rows.sort(key=operator.itemgetter(0, 1))
        return [row for (_, _, row) in rows]

    def old_style_query(self, ctx: Iterable, sort_by_name: bool = True) -> list[list]:
        """Rows of plain values (None where not normal), as pre-2.4 calls return.

        Unknown fields are an error here (``OpPrereqError``, ``ECODE_INVAL``).
        """
        unknown = [e.fdef.name for e in self._entries if e.fdef.kind == QFT_UNKNOWN]
        if unknown:
            raise _inval("Unknown output fields selected: %s" % ", ".join(unknown))
        return [[value for (_, value) in row] for row in self.query(ctx, sort_by_name=sort_by_name)]


class QueryResponse(TypedDict):
    """The luxi/RAPI answer to a query."""

    fields: list[dict[str, str]]
    data: list[list[list]]


class QueryFieldsResponse(TypedDict):
    fields: list[dict[str, str]]


def build_response(query: Query, ctx: Iterable, sort_by_name: bool = True) -> QueryResponse:
    """Runs ``query`` over ``ctx`` and wraps the result for the wire."""
    return {"fields": query.get_fields(), "data": query.query(ctx, sort_by_name=sort_by_name)}


def query_fields(fieldlist: FieldTable, selected: Sequence[str] | None) -> QueryFieldsResponse:
    """Field definitions: all of them (sorted by name) or the selected ones."""
    if selected is None:
        entries = utils_text.nice_sort(fieldlist.values(), key=lambda e: e.fdef.name)
        return {"fields": [e.fdef.to_dict() for e in entries]}
    return {"fields": Query(fieldlist, selected).get_fields()}


def format_result_value(
    status: int, value: Any, kind: str = QFT_OTHER, verbose: bool = False, unit: str = "h"
) -> str:
    """How the CLI shows one ``[status, value]`` of a column of ``kind``."""
    if status != RS_NORMAL:
        if verbose:
            return constants.RSS_DESCRIPTION.get(status, "(%s)" % status)
        return RSS_SHORT.get(status, "?%s" % status)
    return _format_plain(value, kind, unit)


def _format_plain(value: Any, kind: str, unit: str) -> str:
    if value is None:
        return "-"
    if kind == QFT_BOOL or isinstance(value, bool):
        return "Y" if value else "N"
    if kind == QFT_UNIT and isinstance(value, (int, float)):
        return utils_text.format_unit(value, unit)
    if kind == QFT_TIMESTAMP and isinstance(value, (int, float)):
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))
    if isinstance(value, (list, tuple)):
        return ",".join(_format_plain(v, QFT_OTHER, unit) for v in value)
    if isinstance(value, dict):
        return ",".join(
            "%s=%s" % (k, _format_plain(v, QFT_OTHER, unit)) for (k, v) in sorted(value.items())
        )
    return str(value)


# --------------------------------------------------- resources (lazy load)

#: Public names of the per-resource modules, reachable as ``query.<name>``.
_LAZY_NAMES = {
    "ganeti.query_fields.node": [
        "NODE_FIELDS",
        "NodeQueryData",
        "instances_by_node",
    ],
    "ganeti.query_fields.instance": [
        "INSTANCE_FIELDS",
        "InstanceQueryData",
        "HV_STATE_RUNNING",
        "HV_STATE_SHUTDOWN",
        "instance_status",
        "instance_secondary_nodes",
        "instance_disk_template",
    ],
    "ganeti.query_fields.group": ["GROUP_FIELDS", "GroupQueryData"],
    "ganeti.query_fields.cluster": ["CLUSTER_FIELDS", "ClusterQueryData"],
    "ganeti.query_fields.job": [
        "JOB_FIELDS",
        "JobQueryData",
        "LOCK_FIELDS",
        "LockQueryData",
        "EXPORT_FIELDS",
        "ExportQueryData",
        "FILTER_FIELDS",
        "FilterQueryData",
    ],
    "ganeti.query_fields.network": ["NETWORK_FIELDS", "NetworkQueryData"],
    "ganeti.query_fields.os": [
        "OS_FIELDS",
        "OsQueryData",
        "OsInfo",
        "EXTSTORAGE_FIELDS",
        "ExtStorageQueryData",
        "ExtStorageInfo",
    ],
}
_LAZY = {name: module for (module, names) in _LAZY_NAMES.items() for name in names}

_RESOURCE_TABLES = {
    constants.QR_CLUSTER: "CLUSTER_FIELDS",
    constants.QR_INSTANCE: "INSTANCE_FIELDS",
    constants.QR_NODE: "NODE_FIELDS",
    constants.QR_LOCK: "LOCK_FIELDS",
    constants.QR_GROUP: "GROUP_FIELDS",
    constants.QR_OS: "OS_FIELDS",
    constants.QR_EXTSTORAGE: "EXTSTORAGE_FIELDS",
    constants.QR_JOB: "JOB_FIELDS",
    constants.QR_EXPORT: "EXPORT_FIELDS",
    constants.QR_NETWORK: "NETWORK_FIELDS",
    constants.QR_FILTER: "FILTER_FIELDS",
}

#: The field each resource's items are named by.
NAME_FIELDS = {
    constants.QR_CLUSTER: "name",
    constants.QR_INSTANCE: "name",
    constants.QR_NODE: "name",
    constants.QR_LOCK: "name",
    constants.QR_GROUP: "name",
    constants.QR_OS: "name",
    constants.QR_EXTSTORAGE: "name",
    constants.QR_JOB: "id",
    constants.QR_EXPORT: "node",
    constants.QR_NETWORK: "name",
    constants.QR_FILTER: "uuid",
}


def get_fields_table(resource: str) -> FieldTable:
    """The field table of a query resource (``constants.QR_*``)."""
    name = _RESOURCE_TABLES.get(resource) if isinstance(resource, str) else None
    if name is None:
        raise _inval("Unknown query resource '%s'" % (resource,))
    return __getattr__(name)


def __getattr__(name: str) -> Any:
    if name == "ALL_FIELDS":
        return {res: get_fields_table(res) for res in _RESOURCE_TABLES}
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY) + ["ALL_FIELDS"])
