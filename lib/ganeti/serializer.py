"""The one JSON serializer of the project.

Every module talks JSON through here, so the backend (orjson when present,
else the standard library) changes in one place.  Output is compact by
default; ``dump_pretty`` is for files people read (config.data, job files
use the compact form for speed).
"""

import json
from typing import Any

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is in requirements.txt
    _orjson = None


def _default(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    to_dict = getattr(obj, "to_dict", None)
    if to_dict is not None:
        return to_dict()
    raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)


if _orjson is not None:
    _OPTS = _orjson.OPT_NON_STR_KEYS

    def dump_bytes(data: Any) -> bytes:
        """Serializes ``data`` to compact UTF-8 JSON bytes."""
        return _orjson.dumps(data, default=_default, option=_OPTS)

    def load(data: str | bytes) -> Any:
        """Parses JSON text or bytes."""
        return _orjson.loads(data)
else:  # pragma: no cover

    def dump_bytes(data: Any) -> bytes:
        return json.dumps(data, default=_default, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8"
        )

    def load(data: str | bytes) -> Any:
        return json.loads(data)


def dumps(data: Any) -> str:
    """Serializes ``data`` to a compact JSON string."""
    return dump_bytes(data).decode("utf-8")


def dump_pretty(data: Any) -> str:
    """Serializes ``data`` indented, keys sorted, for people to read."""
    return json.dumps(data, default=_default, indent=2, sort_keys=True) + "\n"


def loads(data: str | bytes) -> Any:
    """Parses JSON; raises ValueError on malformed input."""
    try:
        return load(data)
    except (ValueError, TypeError) as err:
        raise ValueError("Invalid JSON: %s" % err) from None


# Ganeti's names
Dump = dumps
Load = loads
DumpJson = dumps
LoadJson = loads
