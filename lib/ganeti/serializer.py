"""The one JSON serializer of the project.

Every module talks JSON through here, so the backend changes in one place.
The standard library backend is the default: importing orjson costs a
short-lived command more than it saves.  Daemons, and the modules only the
master uses (config, job queue), switch to orjson with
``use_fast_backend()``.  Output is compact; ``dump_pretty`` is for files
people read.
"""

import json
from typing import Any


def _default(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    to_dict = getattr(obj, "to_dict", None)
    if to_dict is not None:
        return to_dict()
    raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)


def _std_dump_bytes(data: Any) -> bytes:
    return json.dumps(data, default=_default, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


#: Serializes ``data`` to compact UTF-8 JSON bytes.
dump_bytes = _std_dump_bytes
#: Parses JSON text or bytes (raises ValueError on malformed input).
load = json.loads
FAST = False


def use_fast_backend() -> bool:
    """Switches to orjson when it is installed; returns whether it did."""
    global dump_bytes, load, FAST  # pylint: disable=global-statement
    if FAST:
        return True
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is in requirements.txt
        return False
    opts = orjson.OPT_NON_STR_KEYS

    def fast_dump_bytes(data: Any) -> bytes:
        out = orjson.dumps(data, default=_default, option=opts)
        if len(out) < 65536:
            # orjson's result keeps its working buffer (8 KiB at least); an
            # exact-size copy matters wherever results are kept (job
            # snapshots, config objects), and costs next to nothing
            return memoryview(out).tobytes()
        return out

    dump_bytes = fast_dump_bytes
    load = orjson.loads
    FAST = True
    return True


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


def load_exact(data: str | bytes) -> Any:
    """Parses JSON with the standard parser whatever the backend: integers
    of any size stay exact, NaN and lone surrogates are accepted (the
    htools read what Ganeti's Haskell tools read)."""
    return json.loads(data)
