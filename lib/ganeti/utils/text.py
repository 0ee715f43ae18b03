"""Text helpers: natural sort, units, uuids, key=value parsing."""

import re
import uuid as _uuid
from typing import Any, Callable, Iterable

from ganeti import errors

_SORTER_RE = re.compile(r"(\d+|\D+)")


def _sort_key(value: str) -> list:
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in _SORTER_RE.findall(value)]


def nice_sort(values: Iterable[Any], key: Callable | None = None) -> list:
    """Sorts strings so that embedded numbers compare numerically."""
    if key is None:
        return sorted(values, key=_sort_key)
    return sorted(values, key=lambda v: _sort_key(key(v)))


def nice_sort_key(value: str) -> list:
    """The key nice_sort uses."""
    return _sort_key(value)


def new_uuid() -> str:
    """A new random UUID string."""
    return str(_uuid.uuid4())


def format_unit(value: float, units: str, roman: bool = False) -> str:
    """Formats a size in MiB with unit ``units`` (h/H = human, m, g, t)."""
    if units not in ("m", "g", "t", "h", "M", "G", "T", "H"):
        raise errors.ProgrammerError("Invalid unit specified '%s'" % units)
    suffix = ""
    if units in ("m", "M") or (units in ("h", "H") and value < 1024):
        if units in ("h", "H"):
            suffix = "M"
        return "%d%s" % (round(value, 0), suffix)
    if units in ("g", "G") or (units in ("h", "H") and value < 1024 * 1024):
        if units in ("h", "H"):
            suffix = "G"
        return "%0.1f%s" % (round(float(value) / 1024, 1), suffix)
    if units in ("h", "H"):
        suffix = "T"
    return "%0.1f%s" % (round(float(value) / 1024 / 1024, 1), suffix)


_UNIT_RE = re.compile(r"^([.\d]+)\s*([a-zA-Z]+)?$")


def parse_unit(value: str | int | float) -> int:
    """Parses a size such as "10G" into MiB (rounded up to 4 MiB multiples
    only for fractional results, as Ganeti does)."""
    if isinstance(value, bool):
        raise errors.UnitParseError("Invalid format")
    if isinstance(value, (int, float)):
        if value < 0:
            raise errors.UnitParseError("Negative size")
        return int(value)
    match = _UNIT_RE.match(str(value).strip())
    if not match:
        raise errors.UnitParseError("Invalid format")
    number, unit = match.groups()
    try:
        size = float(number)
    except ValueError:
        raise errors.UnitParseError("Invalid format") from None
    if not unit:
        unit = "M"
    unit = unit.lower()
    if unit in ("m", "mb", "mib"):
        pass
    elif unit in ("g", "gb", "gib"):
        size *= 1024
    elif unit in ("t", "tb", "tib"):
        size *= 1024 * 1024
    else:
        raise errors.UnitParseError("Unknown unit: %s" % unit)
    if int(size) < size:
        size += 1
    size = int(size)
    if size % 4:
        size += 4 - size % 4
    return size


def try_convert(fn: Callable, value: Any) -> Any:
    """fn(value), or value unchanged if fn raises ValueError/TypeError."""
    try:
        return fn(value)
    except (ValueError, TypeError):
        return value


def split_kv(text: str, sep: str = ",") -> dict[str, str]:
    """Parses "a=1,b=2" into a dict; "no_x" means x=False, "-x" resets."""
    result: dict[str, Any] = {}
    if not text:
        return result
    for elem in _split_escaped(text, sep):
        if "=" in elem:
            key, val = elem.split("=", 1)
        elif elem.startswith("no_"):
            key, val = elem[3:], False
        elif elem.startswith("-"):
            key, val = elem[1:], None
        else:
            key, val = elem, True
        if key in result:
            raise errors.ParameterError("Duplicate key '%s' in option" % key)
        result[key] = val
    return result


def _split_escaped(text: str, sep: str) -> list[str]:
    """Splits on ``sep`` unless it is escaped with a backslash."""
    parts: list[str] = []
    cur = []
    it = iter(text)
    for ch in it:
        if ch == "\\":
            nxt = next(it, "")
            cur.append(nxt)
        elif ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def shell_quote(value: str) -> str:
    """Quotes ``value`` for a POSIX shell when needed."""
    import shlex

    return shlex.quote(value)


def shell_quote_args(args: Iterable[str]) -> str:
    """Quotes and joins command arguments."""
    return " ".join(shell_quote(a) for a in args)


def safe_encode(text: str) -> str:
    """Escapes non-printable characters for logs."""
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text


_VALID_NAME_RE = re.compile(r"^[a-zA-Z0-9_.+*/:@-]+$")


def is_valid_tag(tag: str) -> bool:
    """True when ``tag`` is a valid Ganeti tag."""
    return bool(tag) and len(tag) <= 128 and bool(_VALID_NAME_RE.match(tag))


def common_prefix_len(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
