"""Text output of the gnt-* commands: tables, query results, info dumps.

Owns how a list looks (column alignment, separators, units, markers for
fields without data, unknown-field warnings and exit code) and the indented
``info`` layout.  It must never submit jobs or parse options; the only master
call it makes is the Query/QueryFields of ``generic_list`` and
``generic_list_fields``.  ``ganeti.cli`` re-exports everything here.
"""

import sys
import time
from typing import Any, Callable, Iterable

from ganeti import constants
from ganeti import errors

#: overall status of a formatted query result
QR_NORMAL = 0
QR_UNKNOWN = 1
QR_INCOMPLETE = 2

#: marker shown for a field that has no normal value: (verbose, terse)
RESULT_STATUS_TEXT = {
    constants.RS_UNKNOWN: ("(unknown)", "??"),
    constants.RS_NODATA: ("(nodata)", "?"),
    constants.RS_UNAVAIL: ("(unavail)", "-"),
    constants.RS_OFFLINE: ("(offline)", "*"),
}

#: characters that make a command argument a query filter, not a name
FILTER_DETECTION_CHARS = frozenset(" \t\r\n\f\v" + "!\"'()/<=>\\~")
#: characters that make a name argument a shell-style glob
GLOB_DETECTION_CHARS = frozenset("*?")


def _write(stream: Any, txt: str, args: tuple) -> None:
    if args:
        txt = txt % args
    stream.write(txt)
    stream.write("\n")
    stream.flush()


def to_stdout(txt: str, *args: Any) -> None:
    """Prints one line (``txt % args`` when args are given) to stdout."""
    _write(sys.stdout, txt, args)


def to_stderr(txt: str, *args: Any) -> None:
    """Prints one line (``txt % args`` when args are given) to stderr."""
    _write(sys.stderr, txt, args)


# --- values ------------------------------------------------------------------


def format_time(val: Any, usecs: int | None = None) -> str:
    """``YYYY-MM-DD HH:MM:SS[.uuuuuu]`` in local time; ``N/A`` if not a time."""
    if val is None or isinstance(val, bool) or not isinstance(val, (int, float)):
        return "N/A"
    result = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(val))
    if usecs is not None:
        result += ".%06d" % usecs
    return result


def format_timestamp(ts: Any) -> str:
    """A ``[seconds, microseconds]`` pair as text; ``?`` if malformed."""
    if not isinstance(ts, (list, tuple)) or len(ts) != 2:
        return "?"
    return format_time(ts[0], usecs=ts[1])


def merge_time(ts: Any) -> float:
    """``[seconds, microseconds]`` -> float seconds."""
    return ts[0] + ts[1] / 1000000.0


def format_bool(value: Any) -> str:
    """``Y`` or ``N``, as Ganeti shows booleans in lists."""
    return "Y" if value else "N"


def format_unit(value: Any, units: str) -> str:
    from ganeti.utils import text

    return text.format_unit(value, units)


def format_result_error(status: int, verbose: bool) -> str:
    """The marker of a non-normal result status."""
    try:
        verbose_text, terse_text = RESULT_STATUS_TEXT[status]
    except KeyError:
        raise errors.ProgrammerError("Unknown result status %s" % status) from None
    return verbose_text if verbose else terse_text


# --- plain tables ------------------------------------------------------------


class TableColumn:
    """One column of ``format_table``: title, value formatter, alignment."""

    def __init__(self, title: str, fn: Callable[[Any], str], align_right: bool) -> None:
        self.title = title
        self.format = fn
        self.align_right = align_right


def format_table(
    rows: Iterable[list], columns: list[TableColumn], header: bool, separator: str | None
) -> list[str]:
    """Formats ``rows`` as lines.

    Without a separator, columns are padded to their widest value (numbers
    right-aligned, text left, no trailing blanks); with one, the values are
    joined by it and not padded.
    """
    data: list[list[str]] = []
    if header:
        data.append([col.title for col in columns])
    for row in rows:
        if len(row) != len(columns):
            raise errors.ProgrammerError(
                "Row has %d values for %d columns" % (len(row), len(columns))
            )
        data.append([str(col.format(value)) for value, col in zip(row, columns)])
    if separator is not None:
        return [separator.join(line) for line in data]
    widths = [0] * len(columns)
    for line in data:
        for idx, value in enumerate(line):
            if len(value) > widths[idx]:
                widths[idx] = len(value)
    if columns and not columns[-1].align_right:
        widths[-1] = 0
    result = []
    for line in data:
        cells = [
            value.rjust(width) if col.align_right else value.ljust(width)
            for value, col, width in zip(line, columns, widths)
        ]
        result.append(" ".join(cells))
    return result


def generate_table(
    headers: dict | None,
    fields: list[str],
    separator: str | None,
    data: Iterable[list | None],
    numfields: Iterable[str] = (),
    unitfields: Iterable[str] = (),
    units: str | None = None,
) -> list[str]:
    """Old-style table: field names, a header dict, rows of raw values.

    ``numfields`` are right-aligned, ``unitfields`` hold MiB sizes shown in
    ``units`` (default: human-readable, or MiB with a separator).  A row of
    None prints as dashes.
    """
    if units is None:
        units = "m" if separator else "h"
    numfields = frozenset(numfields)
    unitfields = frozenset(unitfields)

    def _fmt(field: str) -> Callable[[Any], str]:
        if field in unitfields:

            def fmt(val: Any) -> str:
                try:
                    return format_unit(int(val), units)
                except (TypeError, ValueError):
                    return str(val)

            return fmt
        return str

    columns = [
        TableColumn(
            (headers or {}).get(field, field),
            _fmt(field),
            field in numfields,
        )
        for field in fields
    ]
    rows = [row if row is not None else ["-"] * len(fields) for row in data]
    return format_table(rows, columns, bool(headers), separator)


# --- query results -------------------------------------------------------------


def _fields_of(response: Any) -> list[dict]:
    fields = response["fields"] if isinstance(response, dict) else response.fields
    return [f if isinstance(f, dict) else f.to_dict() for f in fields]


def _data_of(response: Any) -> list:
    return response["data"] if isinstance(response, dict) else response.data


_KIND_FORMAT: dict[str, tuple[Callable[[Any], str], bool]] = {
    constants.QFT_TEXT: (str, False),
    constants.QFT_BOOL: (format_bool, False),
    constants.QFT_NUMBER: (str, True),
    constants.QFT_NUMBER_FLOAT: (str, True),
    constants.QFT_TIMESTAMP: (format_time, False),
    constants.QFT_OTHER: (str, False),
    constants.QFT_UNKNOWN: (str, False),
}


def _column_formatter(fdef: dict, override: dict, unit: str) -> tuple[Callable, bool]:
    fmt = override.get(fdef["name"])
    if fmt is not None:
        return fmt
    kind = fdef.get("kind", constants.QFT_OTHER)
    if kind == constants.QFT_UNIT:
        return (lambda value: format_unit(value, unit), True)
    try:
        return _KIND_FORMAT[kind]
    except KeyError:
        raise errors.ProgrammerError("Can't format column type '%s'" % kind) from None


def unknown_fields(fdefs: list[dict]) -> list[dict]:
    """The field definitions of kind ``unknown``."""
    return [f for f in fdefs if f.get("kind") == constants.QFT_UNKNOWN]


def warn_unknown_fields(fdefs: list[dict]) -> bool:
    """Warns on stderr about unknown fields; True if there were any."""
    unknown = unknown_fields(fdefs)
    if unknown:
        to_stderr("Warning: Queried for unknown fields %s", ", ".join(f["name"] for f in unknown))
        return True
    return False


def format_query_result(
    result: Any,
    unit: str | None = None,
    format_override: dict | None = None,
    separator: str | None = None,
    header: bool = False,
    verbose: bool = False,
) -> tuple[int, list[str]]:
    """Formats a Query response; returns (QR_* status, lines).

    ``format_override`` maps a field name to ``(formatter, align_right)``.
    """
    if unit is None:
        unit = "m" if separator else "h"
    override = format_override or {}
    fdefs = _fields_of(result)
    data = _data_of(result)
    seen = dict.fromkeys(constants.RS_ALL, 0)
    columns = []
    for fdef in fdefs:
        fn, align_right = _column_formatter(fdef, override, unit)
        columns.append(
            TableColumn(
                fdef.get("title") or fdef["name"],
                _status_aware(fn, seen, verbose),
                bool(align_right),
            )
        )
    lines = format_table(data, columns, header, separator)
    if seen[constants.RS_UNKNOWN] or (not data and unknown_fields(fdefs)):
        status = QR_UNKNOWN
    elif any(count for key, count in seen.items() if key != constants.RS_NORMAL):
        status = QR_INCOMPLETE
    else:
        status = QR_NORMAL
    return status, lines


def _status_aware(fn: Callable, seen: dict, verbose: bool) -> Callable[[Any], str]:
    def fmt(cell: Any) -> str:
        status, value = cell
        if status in seen:
            seen[status] += 1
        if status == constants.RS_NORMAL:
            return fn(value)
        return format_result_error(status, verbose)

    return fmt


def looks_like_filter(text: str) -> bool:
    """True if a command argument must be a query filter, not a name."""
    return bool(FILTER_DETECTION_CHARS.intersection(text))


def make_name_filter(
    names: list[str] | None,
    force_filter: bool,
    namefield: str | None = None,
    isnumeric: bool = False,
) -> Any:
    """The query filter for list arguments (names, globs or one filter).

    Plain names (and numbers with ``isnumeric``) are turned into an "or" of
    equalities here, without loading the filter parser; filters and globs
    go to ``qlang``.
    """
    namefield = namefield or "name"
    if not names:
        if force_filter:
            raise errors.OpPrereqError(
                "Exactly one argument must be given as a filter", errors.ECODE_INVAL
            )
        return None
    if force_filter or (len(names) == 1 and looks_like_filter(names[0])):
        from ganeti import qlang

        return qlang.make_filter(names, True, namefield=namefield)
    parts: list[Any] = []
    for name in names:
        if isnumeric:
            try:
                parts.append(["=", namefield, int(name)])
            except ValueError:
                raise errors.OpPrereqError(
                    "Invalid %s value '%s': not a number" % (namefield, name), errors.ECODE_INVAL
                ) from None
        elif GLOB_DETECTION_CHARS.intersection(name):
            from ganeti import qlang

            part = qlang.make_filter([name], False, namefield=namefield)
            parts.append(part[1] if part and part[0] == "|" and len(part) == 2 else part)
        else:
            parts.append(["=", namefield, name])
    return ["|"] + parts


def generic_list(
    resource: str,
    fields: list[str],
    names: list[str] | None,
    unit: str | None,
    separator: str | None,
    header: bool,
    cl: Any = None,
    format_override: dict | None = None,
    verbose: bool = False,
    force_filter: bool = False,
    namefield: str | None = None,
    qfilter: Any = None,
    isnumeric: bool = False,
) -> int:
    """Lists ``resource`` via luxi Query and prints the table.

    Returns EXIT_SUCCESS, or EXIT_UNKNOWN_FIELD when a requested field is
    unknown (after printing what is known and a warning).
    """
    namefilter = make_name_filter(names, force_filter, namefield, isnumeric)
    if qfilter is None:
        qfilter = namefilter
    elif namefilter is not None:
        qfilter = ["&", namefilter, qfilter]
    if cl is None:
        from ganeti import cli

        cl = cli.get_client()
    response = cl.Query(resource, fields, qfilter)
    found_unknown = warn_unknown_fields(_fields_of(response))
    status, lines = format_query_result(
        response,
        unit=unit,
        separator=separator,
        header=header,
        format_override=format_override,
        verbose=verbose,
    )
    out = sys.stdout
    for line in lines:
        out.write(line)
        out.write("\n")
    out.flush()
    if status == QR_UNKNOWN or found_unknown:
        return constants.EXIT_UNKNOWN_FIELD
    return constants.EXIT_SUCCESS


def generic_list_fields(
    resource: str, fields: list[str] | None, separator: str | None, header: bool, cl: Any = None
) -> int:
    """Prints the field definitions of ``resource`` (all, or ``fields``)."""
    if cl is None:
        from ganeti import cli

        cl = cli.get_client()
    response = cl.QueryFields(resource, fields or None)
    fdefs = _fields_of(response)
    found_unknown = warn_unknown_fields(fdefs)
    columns = [TableColumn(title, str, False) for title in ("Name", "Type", "Title", "Description")]
    rows = [[f["name"], f.get("kind", ""), f.get("title", ""), f.get("doc", "")] for f in fdefs]
    for line in format_table(rows, columns, header, separator):
        to_stdout(line)
    return constants.EXIT_UNKNOWN_FIELD if found_unknown else constants.EXIT_SUCCESS


# --- hierarchical info -----------------------------------------------------------


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (list, dict, tuple))


def _serialize_info(out: list[str], data: Any, level: int, afterkey: bool = False) -> None:
    indent = "  "
    if isinstance(data, dict):
        if not data:
            out.append("\n")
            return
        if afterkey:
            out.append("\n")
        for num, key in enumerate(sorted(data)):
            if afterkey or num:
                out.append(indent * level)
            out.append("%s: " % key)
            _serialize_info(out, data[key], level + 1, afterkey=True)
    elif isinstance(data, list) and data and isinstance(data[0], tuple):
        # an ordered mapping: (key, value) or (key, value, alignment group)
        widths: dict[Any, int] = {}
        for entry in data:
            if len(entry) > 2:
                widths[entry[2]] = max(widths.get(entry[2], 0), len(entry[0]))
        if afterkey:
            out.append("\n")
        for num, entry in enumerate(data):
            key, value = entry[0], entry[1]
            if afterkey or num:
                out.append(indent * level)
            out.append("%s: " % key)
            if len(entry) > 2:
                out.append(" " * (widths[entry[2]] - len(key)))
            _serialize_info(out, value, level + 1, afterkey=True)
    elif isinstance(data, tuple) and all(_is_scalar(v) for v in data):
        out.append("[%s]\n" % ", ".join(str(v) for v in data))
    elif isinstance(data, (list, tuple)):
        if not data:
            out.append("\n")
            return
        if afterkey:
            out.append("\n")
        for num, item in enumerate(data):
            if afterkey or num:
                out.append(indent * level)
            out.append("- ")
            _serialize_info(out, item, level + 1)
    else:
        out.append("%s\n" % (data,))


def format_generic_info(data: Any) -> str:
    """Formats nested dicts, ordered (key, value) lists and lists as an
    indented, YAML-compatible text (the ``info`` commands' layout)."""
    out: list[str] = []
    _serialize_info(out, data, 0)
    return "".join(out).rstrip("\n")


def print_generic_info(data: Any) -> None:
    """Prints ``format_generic_info(data)``."""
    to_stdout(format_generic_info(data))
