"""Small pieces shared by the ConfigWriter's parts: its lock decorator,
the name index and per-job reservations.

Owns no configuration state of its own; must never do I/O.
"""

import functools
import threading
from typing import Any, Callable

from ganeti import errors

MAX_GENERATE_TRIES = 64

# the UUID-keyed collections of config.data, in file order
KINDS = ("nodes", "nodegroups", "instances", "networks", "disks", "filters")


_tls = threading.local()


def defer_until_unlocked(fn: Callable[[], Any]) -> None:
    """Runs ``fn()`` once this thread leaves its outermost locked method,
    or, inside a ``deferred_waits()`` scope, when that scope ends.

    Used for waits that must not hold the configuration lock (e.g. until
    a save is durable and reached the master candidates).
    """
    scope = getattr(_tls, "scope", None)
    if scope is not None:
        scope.append(fn)
        return
    pending = getattr(_tls, "pending", None)
    if pending is None:
        fn()
    else:
        pending.append(fn)


class deferred_waits:  # noqa: N801  (used as a context manager)
    """Collects this thread's save waits until ``run()``.

    The opcode processor wraps an operation in one, and runs the waits after
    the operation released its locks but before its result is reported:
    the job still ends only once its changes are durable, yet other jobs
    need not wait for the disk while this one holds locks they want.
    """

    def __enter__(self) -> "deferred_waits":
        self._outer = getattr(_tls, "scope", None)
        self.waits: list[Callable[[], Any]] = []
        _tls.scope = self.waits
        return self

    def __exit__(self, *exc: Any) -> None:
        _tls.scope = self._outer

    def run(self) -> None:
        """Runs the collected waits (the last save covers all earlier)."""
        waits, self.waits[:] = list(self.waits), []
        for fn in waits:
            fn()


def locked(fn: Callable) -> Callable:
    """Runs the method under the ConfigWriter's (re-entrant) lock."""

    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        outermost = getattr(_tls, "pending", None) is None
        if outermost:
            _tls.pending = []
        try:
            with self._lock:
                return fn(self, *args, **kwargs)
        finally:
            if outermost:
                pending, _tls.pending = _tls.pending, None
                for deferred in pending:
                    deferred()

    return wrapper


class NameIndex:
    """name -> UUID, plus Ganeti's short-name expansion (``node1`` matches
    ``node1.example.com``: the key followed by a dot, case-insensitively)."""

    def __init__(self) -> None:
        self._exact: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._prefixes: dict[str, set[str]] | None = None  # built on first expand

    @staticmethod
    def _keys(name: str) -> list[str]:
        parts = name.lower().split(".")
        return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]

    def add(self, uuid: str, name: str) -> None:
        if uuid in self._names:
            self.remove(uuid)
        self._names[uuid] = name
        self._exact[name] = uuid
        if self._prefixes is not None:
            for key in self._keys(name):
                self._prefixes.setdefault(key, set()).add(uuid)

    def remove(self, uuid: str) -> None:
        name = self._names.pop(uuid, None)
        if name is None:
            return
        if self._exact.get(name) == uuid:
            del self._exact[name]
        if self._prefixes is not None:
            for key in self._keys(name):
                members = self._prefixes.get(key)
                if members is not None:
                    members.discard(uuid)
                    if not members:
                        del self._prefixes[key]

    def name_of(self, uuid: str) -> str | None:
        return self._names.get(uuid)

    def lookup(self, name: str) -> str | None:
        return self._exact.get(name)

    def expand(self, key: str) -> str | None:
        """Exact name, else the one name equal to ``key`` ignoring case, else
        the one name starting with ``key`` + "." (ignoring case)."""
        if key in self._exact:
            return self._exact[key]
        if self._prefixes is None:
            self._prefixes = {}
            for uuid, name in self._names.items():
                for pkey in self._keys(name):
                    self._prefixes.setdefault(pkey, set()).add(uuid)
        lower = key.lower()
        candidates = self._prefixes.get(lower, ())
        exact = [u for u in candidates if self._names[u].lower() == lower]
        if len(exact) == 1:
            return exact[0]
        if len(candidates) == 1:
            return next(iter(candidates))
        return None


class Reservations:
    """Values reserved per execution context (job) until it ends."""

    def __init__(self) -> None:
        self._by_ec: dict[Any, set] = {}

    def reserved(self) -> set:
        result: set = set()
        for values in self._by_ec.values():
            result.update(values)
        return result

    def reserve(self, ec_id: Any, value: Any) -> None:
        if value in self.reserved():
            raise errors.ReservationError("Duplicate reservation for resource '%s'" % (value,))
        self._by_ec.setdefault(ec_id, set()).add(value)

    def drop(self, ec_id: Any) -> None:
        self._by_ec.pop(ec_id, None)

    def generate(self, existing: set, gen_fn: Callable[[], Any], ec_id: Any) -> Any:
        taken = existing | self.reserved()
        for _ in range(MAX_GENERATE_TRIES):
            value = gen_fn()
            if value not in taken:
                self._by_ec.setdefault(ec_id, set()).add(value)
                return value
        raise errors.ConfigurationError("Unable to generate a new unique resource value")
