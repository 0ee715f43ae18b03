"""The master daemon's lock manager: shared locks, lock sets, levels, monitor.

Owns every lock that jobs take in the master process (a job runs as a thread;
the owner of a lock is the current thread): `SharedLock` (shared/exclusive,
priorities, timeouts, deletion), `LockSet` (a named family of locks plus a
set-level lock guarding membership), `GanetiLockManager` (the levels and the
rules that keep them deadlock free) and `LockMonitor` (what ``gnt-debug locks``
and ``Query("lock")`` show).

It must never touch the configuration, the job queue or the network, and it
must never make a thread wait while holding this module's internal mutexes.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any, Callable, Iterable

from ganeti import constants, errors
from ganeti.utils import text as _text

__all__ = [
    "ALL_SET",
    "BGL",
    "NAL",
    "LEVEL_CLUSTER",
    "LEVEL_INSTANCE",
    "LEVEL_NODE_ALLOC",
    "LEVEL_NODEGROUP",
    "LEVEL_NODE",
    "LEVEL_NODE_RES",
    "LEVEL_NETWORK",
    "LEVELS",
    "LEVELS_MOD",
    "LEVEL_NAMES",
    "LOCK_FIELDS",
    "SharedLock",
    "LockSet",
    "GanetiLockManager",
    "LockMonitor",
]

_get_ident = threading.get_ident
_current_thread = threading.current_thread
_monotonic = time.monotonic

#: Passed as ``names`` to acquire a whole set (including its set-level lock)
ALL_SET = None

#: The cluster level's only lock, the Big Ganeti Lock
BGL = constants.BGL
#: The node-allocation level's only lock
NAL = constants.NAL

LEVEL_CLUSTER = 0
LEVEL_INSTANCE = 1
LEVEL_NODE_ALLOC = 2
LEVEL_NODEGROUP = 3
LEVEL_NODE = 4
LEVEL_NODE_RES = 5
LEVEL_NETWORK = 6

#: Every level, in the only order in which locks may be acquired
LEVELS = [
    LEVEL_CLUSTER,
    LEVEL_INSTANCE,
    LEVEL_NODE_ALLOC,
    LEVEL_NODEGROUP,
    LEVEL_NODE,
    LEVEL_NODE_RES,
    LEVEL_NETWORK,
]

#: Levels whose members can be added and removed
LEVELS_MOD = frozenset([LEVEL_NODE_RES, LEVEL_NODE, LEVEL_NODEGROUP, LEVEL_INSTANCE, LEVEL_NETWORK])

LEVEL_NAMES = {
    LEVEL_CLUSTER: "cluster",
    LEVEL_INSTANCE: "instance",
    LEVEL_NODE_ALLOC: "node-alloc",
    LEVEL_NODEGROUP: "nodegroup",
    LEVEL_NODE: "node",
    LEVEL_NODE_RES: "node-res",
    LEVEL_NETWORK: "network",
}

#: Query fields of the "lock" resource, in the order of `get_lock_info` rows
LOCK_FIELDS = ("name", "mode", "owner", "pending")

_MODE_EXCLUSIVE = "exclusive"
_MODE_SHARED = "shared"
_MODE_DELETED = "deleted"

#: Suffix of the set-level lock's name
_SET_LOCK_SUFFIX = "[lockset]"


def _thread_name() -> str:
    return _current_thread().name


def _as_names(names: Any) -> list:
    """A single name or an iterable of names, as a list."""
    if isinstance(names, str):
        return [names]
    return list(names)


def _check_fields(fields: Iterable[str]) -> list[str]:
    fields = list(fields)
    unknown = [f for f in fields if f not in LOCK_FIELDS]
    if unknown:
        raise errors.OpPrereqError(
            "Unknown lock field(s): %s (known: %s)" % (", ".join(unknown), ", ".join(LOCK_FIELDS)),
            errors.ECODE_INVAL,
        )
    return fields


class _Pending:
    """One entry of a lock's wait queue.

    An exclusive entry has exactly one waiter; a shared entry gathers every
    shared acquirer of its priority that arrived while it was queued, and all
    of them are granted (and woken) together.
    """

    __slots__ = ("shared", "priority", "waiters", "cond", "granted")

    def __init__(self, shared: bool, priority: int, cond: threading.Condition) -> None:
        self.shared = shared
        self.priority = priority
        self.waiters: dict[int, str] = {}
        self.cond = cond
        self.granted = False


class SharedLock:
    """A lock held by one exclusive owner or by many shared owners.

    Waiters are served by priority (lower number first, as Ganeti's -20..19),
    then in arrival order; shared waiters of one priority are woken together,
    and a queued exclusive waiter keeps later shared acquirers out, so writers
    never starve.  The lock is handed over to the next waiter(s) by whoever
    frees it, so a woken waiter never has to compete again.
    """

    __slots__ = (
        "name",
        "_mutex",
        "_exc",
        "_exc_name",
        "_shr",
        "_queue",
        "_shared_pending",
        "_deleted",
        "__weakref__",
    )

    def __init__(self, name: str, monitor: LockMonitor | None = None) -> None:
        self.name = name
        self._mutex = threading.Lock()
        self._exc: int | None = None
        self._exc_name: str | None = None
        self._shr: dict[int, str] = {}
        self._queue: list[_Pending] = []
        self._shared_pending: dict[int, _Pending] = {}
        self._deleted = False
        if monitor is not None:
            monitor.register_lock(self)

    def __repr__(self) -> str:
        return "<%s %r>" % (self.__class__.__name__, self.name)

    # Ownership -----------------------------------------------------------------

    def is_owned(self, shared: int = -1) -> bool:
        """Whether the current thread owns the lock.

        ``shared``: -1 in any mode, 0 exclusively, 1 shared.
        """
        ident = _get_ident()
        if shared < 0:
            return ident == self._exc or ident in self._shr
        if shared:
            return ident in self._shr
        return ident == self._exc

    @property
    def deleted(self) -> bool:
        return self._deleted

    # Acquiring -----------------------------------------------------------------

    def acquire(
        self,
        shared: bool = False,
        timeout: float | None = None,
        priority: int = 0,
        test_notify: Callable[[], Any] | None = None,
    ) -> bool:
        """Acquires the lock; True on success, False when ``timeout`` expired.

        ``timeout`` None waits for ever, 0 only tries.  ``test_notify`` (for
        tests) is called once the request is granted or queued, with no
        internal mutex held.  Raises LockError if the lock is (or gets)
        deleted, or if the thread already owns it.
        """
        ident = _get_ident()
        mutex = self._mutex
        mutex.acquire()
        try:
            if self._deleted:
                raise errors.LockError("Deleted lock %s" % self.name)
            if ident == self._exc or ident in self._shr:
                raise errors.LockError("Double acquire() of non-recursive lock %s" % self.name)
            if self._queue or self._exc is not None or (self._shr and not shared):
                return self._acquire_slow(ident, bool(shared), timeout, priority, test_notify)
            if shared:
                self._shr[ident] = _current_thread().name
            else:
                self._exc = ident
                self._exc_name = _current_thread().name
        finally:
            mutex.release()
        if test_notify is not None:
            test_notify()
        return True

    def _acquire_slow(
        self,
        ident: int,
        shared: bool,
        timeout: float | None,
        priority: int,
        test_notify: Callable[[], Any] | None,
    ) -> bool:
        """Queues the caller and waits; the mutex is held on entry and exit."""
        deadline = None if timeout is None else _monotonic() + max(timeout, 0.0)
        if priority is None:  # Ganeti's callers may pass None for "default"
            priority = constants.OP_PRIO_DEFAULT
        name = _current_thread().name
        entry = self._shared_pending.get(priority) if shared else None
        if entry is None:
            entry = _Pending(shared, priority, threading.Condition(self._mutex))
            queue = self._queue
            pos = len(queue)
            while pos and queue[pos - 1].priority > priority:
                pos -= 1
            queue.insert(pos, entry)
            if shared:
                self._shared_pending[priority] = entry
        entry.waiters[ident] = name
        if entry is self._queue[0]:
            self._grant()

        try:
            if test_notify is not None:
                self._mutex.release()
                try:
                    test_notify()
                finally:
                    self._mutex.acquire()
            while True:
                if entry.granted:
                    return True
                if self._deleted:
                    raise errors.LockError("Deleted lock %s" % self.name)
                if deadline is None:
                    entry.cond.wait()
                    continue
                remaining = deadline - _monotonic()
                if remaining <= 0:
                    return False
                entry.cond.wait(remaining)
        finally:
            if not entry.granted and not self._deleted:
                self._withdraw(entry, ident)

    def _withdraw(self, entry: _Pending, ident: int) -> None:
        """Takes a waiter that gave up out of the queue."""
        del entry.waiters[ident]
        if entry.waiters:
            return
        queue = self._queue
        was_head = queue[0] is entry
        queue.remove(entry)
        if entry.shared and self._shared_pending.get(entry.priority) is entry:
            del self._shared_pending[entry.priority]
        if was_head and queue:
            self._grant()

    def _grant(self) -> None:
        """Hands the lock to the head(s) of the queue while they fit."""
        queue = self._queue
        while queue:
            head = queue[0]
            if head.shared:
                if self._exc is not None:
                    return
                self._shr.update(head.waiters)
                if self._shared_pending.get(head.priority) is head:
                    del self._shared_pending[head.priority]
            else:
                if self._exc is not None or self._shr:
                    return
                ((self._exc, self._exc_name),) = head.waiters.items()
            del queue[0]
            head.granted = True
            head.cond.notify_all()
            if not head.shared:
                return

    # Releasing -----------------------------------------------------------------

    def release(self) -> None:
        """Releases the lock the current thread owns (in either mode)."""
        ident = _get_ident()
        with self._mutex:
            if ident == self._exc:
                self._exc = None
                self._exc_name = None
            elif self._shr.pop(ident, None) is None:
                raise errors.ProgrammerError("Lock %s released but not owned" % self.name)
            if self._queue:
                self._grant()

    def downgrade(self) -> bool:
        """Changes an exclusive ownership into a shared one.

        Shared waiters of the most urgent waiting priority then jump ahead of
        exclusive waiters of that priority (as in Ganeti): they can run along.
        """
        ident = _get_ident()
        with self._mutex:
            if ident == self._exc:
                self._shr[ident] = self._exc_name
                self._exc = None
                self._exc_name = None
                queue = self._queue
                if queue:
                    entry = self._shared_pending.get(queue[0].priority)
                    if entry is not None and entry is not queue[0]:
                        queue.remove(entry)
                        queue.insert(0, entry)
                    self._grant()
            elif ident not in self._shr:
                raise errors.ProgrammerError("Lock %s downgraded but not owned" % self.name)
        return True

    def delete(self, timeout: float | None = None, priority: int = 0) -> bool:
        """Acquires the lock exclusively (unless already so owned) and deletes it.

        Pending and later acquirers get LockError("Deleted lock <name>"); the
        deleter no longer owns the lock.  False if ``timeout`` expired first.
        """
        ident = _get_ident()
        with self._mutex:
            if self._deleted:
                raise errors.LockError("Deleted lock %s" % self.name)
            if ident in self._shr:
                raise errors.ProgrammerError(
                    "Lock %s is owned in shared mode, cannot delete it" % self.name
                )
            if ident != self._exc:
                if not self._acquire_slow(ident, False, timeout, priority, None):
                    return False
            self._deleted = True
            self._exc = None
            self._exc_name = None
            for entry in self._queue:
                entry.cond.notify_all()
            self._queue.clear()
            self._shared_pending.clear()
        return True

    # Monitoring ----------------------------------------------------------------

    def get_lock_info(self, fields: Iterable[str] = LOCK_FIELDS) -> tuple:
        """``(name, mode, owners, pending)``; fields not asked for are None.

        mode is "exclusive", "shared", "deleted" or None (free); owners a
        nice-sorted list of thread names or None; pending a list of
        ``[mode, [thread names]]`` in the order they will be served.
        """
        fields = set(fields)
        with self._mutex:
            mode = owners = pending = None
            if "mode" in fields:
                if self._deleted:
                    mode = _MODE_DELETED
                elif self._exc is not None:
                    mode = _MODE_EXCLUSIVE
                elif self._shr:
                    mode = _MODE_SHARED
            if "owner" in fields:
                if self._exc is not None:
                    owners = [self._exc_name]
                elif self._shr:
                    owners = _text.nice_sort(self._shr.values())
            if "pending" in fields:
                pending = [
                    [
                        _MODE_SHARED if entry.shared else _MODE_EXCLUSIVE,
                        _text.nice_sort(entry.waiters.values()),
                    ]
                    for entry in self._queue
                ]
        return (self.name if "name" in fields else None, mode, owners, pending)


class LockSet:
    """A named family of SharedLocks plus a set-level lock.

    Members are always acquired in sorted order.  Acquiring the whole set
    (``ALL_SET``) first takes the set-level lock, which keeps members from
    being added until it is released.
    """

    def __init__(self, members: Iterable[str], name: str, monitor: LockMonitor | None = None):
        self.name = name
        self._monitor = monitor
        self._set_lock = SharedLock(self._lock_name(_SET_LOCK_SUFFIX), monitor=monitor)
        self._mutex = threading.Lock()
        self._locks: dict[str, SharedLock] = {
            member: SharedLock(self._lock_name(member), monitor=monitor)
            for member in _as_names(members)
        }
        # thread ident -> {member name: lock}; a key exists while the thread
        # owns anything in the set, the set-level lock included.
        self._owned: dict[int, dict[str, SharedLock]] = {}

    def __repr__(self) -> str:
        return "<%s %r>" % (self.__class__.__name__, self.name)

    def _lock_name(self, member: str) -> str:
        return "%s/%s" % (self.name, member)

    # Introspection ---------------------------------------------------------------

    def names(self) -> set[str]:
        """The current members."""
        with self._mutex:
            return set(self._locks)

    _names = names

    def is_owned(self) -> bool:
        """Whether the current thread owns any lock of the set."""
        return _get_ident() in self._owned

    def list_owned(self) -> set[str]:
        """Names of the members the current thread owns."""
        return set(self._owned.get(_get_ident(), ()))

    def owning_all(self) -> bool:
        """Whether the current thread owns the whole set (its set-level lock)."""
        return self._set_lock.is_owned()

    def check_owned(self, names: str | Iterable[str], shared: int = -1) -> bool:
        """Whether the current thread owns all ``names`` (in mode ``shared``)."""
        owned = self._owned.get(_get_ident())
        names = _as_names(names)
        if not owned or not names:
            return False
        for name in names:
            lock = owned.get(name)
            if lock is None or not lock.is_owned(shared):
                return False
        return True

    # Acquiring -----------------------------------------------------------------

    def acquire(
        self,
        names: str | Iterable[str] | None,
        timeout: float | None = None,
        shared: bool = False,
        priority: int = 0,
        opportunistic: bool = False,
        test_notify: Callable[[str], Any] | None = None,
    ) -> set[str] | None:
        """Acquires ``names`` (or the whole set for ALL_SET) in sorted order.

        Returns the names acquired, or None when ``timeout`` expired (all taken
        locks are then released).  A missing or meanwhile removed member is a
        LockError, except for ALL_SET and opportunistic acquires, which skip
        it.  Opportunistic acquires never wait beyond ``timeout`` (None means
        not at all) for a member and return the members they could get.
        """
        ident = _get_ident()
        if ident in self._owned:
            raise errors.LockError(
                "Cannot acquire locks in the same set twice (lockset %s)" % self.name
            )
        if isinstance(names, str) and test_notify is None:
            # The common case of one member, without the general loop's bookkeeping
            lock = self._locks.get(names)
            if lock is None:
                if opportunistic:
                    return set()
                raise errors.LockError(
                    "Non-existing lock %s in set %s (it may have been removed)" % (names, self.name)
                )
            if opportunistic and timeout is None:
                timeout = 0.0
            try:
                ok = lock.acquire(shared, timeout, priority)
            except errors.LockError:
                if opportunistic:
                    return set()
                raise errors.LockError(
                    "Non-existing lock %s in set %s (it may have been removed)" % (names, self.name)
                ) from None
            if not ok:
                return set() if opportunistic else None
            self._owned[ident] = {names: lock}
            return {names}

        deadline = None if timeout is None else _monotonic() + max(timeout, 0.0)
        if names is not None:
            if isinstance(names, str):
                ordered = [names]
            else:
                ordered = sorted(set(names))
            return self._acquire_members(
                ident, ordered, False, shared, priority, opportunistic, deadline, test_notify
            )

        if not self._set_lock.acquire(shared=shared, timeout=timeout, priority=priority):
            return None
        self._owned[ident] = {}
        try:
            with self._mutex:
                ordered = sorted(self._locks)
            result = self._acquire_members(
                ident, ordered, True, shared, priority, opportunistic, deadline, test_notify
            )
        except BaseException:
            self._drop_set_lock(ident)
            raise
        if result is None:
            self._drop_set_lock(ident)
        return result

    def _drop_set_lock(self, ident: int) -> None:
        self._set_lock.release()
        if not self._owned.get(ident):
            self._owned.pop(ident, None)

    def _acquire_members(
        self,
        ident: int,
        ordered: list[str],
        whole: bool,
        shared: bool,
        priority: int,
        opportunistic: bool,
        deadline: float | None,
        test_notify: Callable[[str], Any] | None,
    ) -> set[str] | None:
        taken: dict[str, SharedLock] = {}
        locks = self._locks
        tolerant = whole or opportunistic
        try:
            for lname in ordered:
                lock = locks.get(lname)
                if lock is None:
                    if tolerant:
                        continue
                    raise errors.LockError(
                        "Non-existing lock %s in set %s (it may have been removed)"
                        % (lname, self.name)
                    )
                if deadline is None:
                    wait = 0.0 if opportunistic else None
                else:
                    wait = max(deadline - _monotonic(), 0.0)
                notify = None
                if test_notify is not None:
                    notify = lambda lname=lname: test_notify(lname)
                try:
                    ok = lock.acquire(shared, wait, priority, notify)
                except errors.LockError:
                    if tolerant:
                        continue
                    raise errors.LockError(
                        "Non-existing lock %s in set %s (it may have been removed)"
                        % (lname, self.name)
                    ) from None
                if not ok:
                    if opportunistic:
                        continue
                    for lock in taken.values():
                        lock.release()
                    taken.clear()
                    return None
                taken[lname] = lock
        except BaseException:
            for lock in taken.values():
                lock.release()
            raise
        if taken or whole:
            self._owned.setdefault(ident, {}).update(taken)
        return set(taken)

    # Releasing -----------------------------------------------------------------

    def release(self, names: str | Iterable[str] | None = None) -> None:
        """Releases ``names`` (all owned if None); always drops the set-level lock."""
        ident = _get_ident()
        owned = self._owned.get(ident)
        if owned is None:
            raise errors.ProgrammerError("release() on lock set %s while not owner" % self.name)
        set_lock = self._set_lock
        if names is None:
            if ident == set_lock._exc or ident in set_lock._shr:
                set_lock.release()
            del self._owned[ident]
            for lock in owned.values():
                lock.release()
            return
        names = _as_names(names)
        unheld = [n for n in names if n not in owned]
        if unheld:
            raise errors.ProgrammerError(
                "release() on unheld resources %s (set %s)"
                % (", ".join(map(str, unheld)), self.name)
            )
        if ident == set_lock._exc or ident in set_lock._shr:
            set_lock.release()
        for name in names:
            owned.pop(name).release()
        if not owned:
            del self._owned[ident]

    def downgrade(self, names: str | Iterable[str] | None = None) -> bool:
        """Downgrades owned members to shared (the set-level lock too once none is exclusive)."""
        owned = self._owned.get(_get_ident())
        if owned is None:
            raise errors.ProgrammerError("downgrade() on lock set %s while not owner" % self.name)
        if names is None:
            names = list(owned)
        else:
            names = _as_names(names)
            unheld = [n for n in names if n not in owned]
            if unheld:
                raise errors.ProgrammerError(
                    "downgrade() on unheld resources %s (set %s)"
                    % (", ".join(map(str, unheld)), self.name)
                )
        for name in names:
            owned[name].downgrade()
        if self._set_lock.is_owned(0) and not any(lock.is_owned(0) for lock in owned.values()):
            self._set_lock.downgrade()
        return True

    # Membership ------------------------------------------------------------------

    def add(self, names: str | Iterable[str], acquired: bool = False, shared: bool = False) -> bool:
        """Adds new members, optionally acquired by the caller.

        Allowed when the caller owns the set-level lock exclusively or owns
        nothing in the set (then it takes the set-level lock exclusively for
        the duration, waiting for whole-set owners to finish).  An existing
        name is a LockError.
        """
        ident = _get_ident()
        set_exclusive = self._set_lock.is_owned(0)
        if ident in self._owned and not set_exclusive:
            raise errors.ProgrammerError(
                "Cannot add locks if the set %s is only partially owned, or shared" % self.name
            )
        names = _as_names(names)
        if not set_exclusive:
            self._set_lock.acquire()
        try:
            with self._mutex:
                duplicate = [n for n in names if n in self._locks]
                if duplicate or len(set(names)) != len(names):
                    raise errors.LockError(
                        "duplicate add(%s) on lockset %s"
                        % (", ".join(map(str, duplicate or names)), self.name)
                    )
                new = {}
                for name in names:
                    lock = SharedLock(self._lock_name(name), monitor=self._monitor)
                    if acquired:
                        lock.acquire(shared=shared)
                    new[name] = lock
                self._locks.update(new)
            if acquired and new:
                self._owned.setdefault(ident, {}).update(new)
        finally:
            if not set_exclusive:
                self._set_lock.release()
        return True

    def remove(self, names: str | Iterable[str]) -> list[str]:
        """Deletes members; returns those this call removed.

        The caller must own all of ``names`` exclusively or own the set-level
        lock exclusively; if it owns nothing in the set, each member is
        acquired exclusively (waiting) and deleted.  Names already gone are
        skipped.
        """
        ident = _get_ident()
        names = _as_names(names)
        owned = self._owned.get(ident)
        if owned is not None:
            for name in names:
                lock = owned.get(name)
                if lock is None:
                    if not self._set_lock.is_owned(0):
                        raise errors.ProgrammerError(
                            "remove() on acquired lockset %s while not owning all elements"
                            % self.name
                        )
                elif not lock.is_owned(0):
                    raise errors.ProgrammerError(
                        "Cannot remove lock %s of set %s owned in shared mode" % (name, self.name)
                    )
        removed = []
        for name in names:
            lock = self._locks.get(name)
            if lock is None:
                continue
            try:
                lock.delete()
            except errors.LockError:
                continue
            with self._mutex:
                if self._locks.get(name) is lock:
                    del self._locks[name]
            if owned is not None:
                owned.pop(name, None)
            removed.append(name)
        if owned is not None and not owned and not self._set_lock.is_owned():
            self._owned.pop(ident, None)
        return removed


def _bgl_named(level: int, names: Any) -> bool:
    """Whether an operation on ``level``/``names`` concerns the BGL."""
    if level != LEVEL_CLUSTER:
        return False
    if names is None:
        return True
    if isinstance(names, str):
        return names == BGL
    return BGL in names


class GanetiLockManager:
    """The master's locks, one LockSet per level, with Ganeti's ordering rules.

    - the BGL must be owned before any other level is acquired;
    - levels are acquired in ascending order only;
    - the BGL is released last;
    - only `LEVELS_MOD` levels gain or lose members.
    Breaking a rule raises ProgrammerError; lock conflicts raise LockError.
    """

    def __init__(
        self,
        nodes: Iterable[str],
        nodegroups: Iterable[str],
        instances: Iterable[str],
        networks: Iterable[str],
        monitor: LockMonitor | None = None,
    ) -> None:
        self.monitor = monitor if monitor is not None else LockMonitor()
        nodes = _as_names(nodes)
        members = {
            LEVEL_CLUSTER: [BGL],
            LEVEL_INSTANCE: _as_names(instances),
            LEVEL_NODE_ALLOC: [NAL],
            LEVEL_NODEGROUP: _as_names(nodegroups),
            LEVEL_NODE: nodes,
            LEVEL_NODE_RES: nodes,
            LEVEL_NETWORK: _as_names(networks),
        }
        self._keyring = [LockSet(members[lvl], LEVEL_NAMES[lvl], self.monitor) for lvl in LEVELS]
        # per level, the _owned dicts of the levels above it (for the order checks)
        self._upper = [[ls._owned for ls in self._keyring[lvl + 1 :]] for lvl in LEVELS]

    def _lockset(self, level: int, modifiable: bool = False) -> LockSet:
        if type(level) is not int or not 0 <= level < len(LEVELS):
            raise errors.ProgrammerError("Invalid locking level %r" % (level,))
        if modifiable and level not in LEVELS_MOD:
            raise errors.ProgrammerError(
                "Invalid or immutable level %s (%s)" % (level, LEVEL_NAMES[level])
            )
        return self._keyring[level]

    def _upper_owned(self, level: int, ident: int) -> bool:
        for owned in self._upper[level]:
            if ident in owned:
                return True
        return False

    def _bgl_owned(self, ident: int) -> bool:
        return ident in self._keyring[LEVEL_CLUSTER]._owned

    def _describe_owned(self) -> str:
        return ", ".join(
            "%s=%s" % (LEVEL_NAMES[lvl], sorted(self._keyring[lvl].list_owned()))
            for lvl in LEVELS
            if self._keyring[lvl].is_owned()
        )

    def acquire(
        self,
        level: int,
        names: str | Iterable[str] | None,
        timeout: float | None = None,
        shared: bool = False,
        priority: int = 0,
        opportunistic: bool = False,
    ) -> set[str] | None:
        """Acquires locks at ``level``; see `LockSet.acquire`."""
        lockset = self._lockset(level)
        ident = _get_ident()
        if names is not None and not isinstance(names, str):
            names = list(names)
        if not (_bgl_named(level, names) or self._bgl_owned(ident)):
            raise errors.ProgrammerError(
                "You must own the Big Ganeti Lock before acquiring any other"
            )
        if self._upper_owned(level, ident):
            raise errors.ProgrammerError(
                "Cannot acquire locks at level %s while owning some at a greater one (%s)"
                % (LEVEL_NAMES[level], self._describe_owned())
            )
        return lockset.acquire(
            names, timeout=timeout, shared=shared, priority=priority, opportunistic=opportunistic
        )

    def release(self, level: int, names: str | Iterable[str] | None = None) -> None:
        """Releases locks at ``level`` (all owned there if ``names`` is None)."""
        lockset = self._lockset(level)
        if names is not None and not isinstance(names, str):
            names = list(names)
        if level == LEVEL_CLUSTER and self._upper_owned(LEVEL_CLUSTER, _get_ident()):
            if _bgl_named(level, names):
                raise errors.ProgrammerError(
                    "Cannot release the Big Ganeti Lock while holding something"
                    " at upper levels (%s)" % self._describe_owned()
                )
        lockset.release(names)

    def downgrade(self, level: int, names: str | Iterable[str] | None = None) -> bool:
        """Downgrades owned locks at ``level`` to shared."""
        return self._lockset(level).downgrade(names)

    def add(
        self, level: int, names: str | Iterable[str], acquired: bool = False, shared: bool = False
    ) -> bool:
        """Adds members at a modifiable level (BGL owned, nothing owned above)."""
        lockset = self._lockset(level, modifiable=True)
        self._check_modify(level, "add")
        return lockset.add(names, acquired=acquired, shared=shared)

    def remove(self, level: int, names: str | Iterable[str]) -> list[str]:
        """Removes members at a modifiable level (BGL owned, nothing owned above)."""
        lockset = self._lockset(level, modifiable=True)
        self._check_modify(level, "remove")
        return lockset.remove(names)

    def _check_modify(self, level: int, what: str) -> None:
        ident = _get_ident()
        if not self._bgl_owned(ident):
            raise errors.ProgrammerError(
                "You must own the Big Ganeti Lock before performing other operations"
            )
        if self._upper_owned(level, ident):
            raise errors.ProgrammerError(
                "Cannot %s locks at level %s while owning some at a greater one (%s)"
                % (what, LEVEL_NAMES[level], self._describe_owned())
            )

    def is_owned(self, level: int) -> bool:
        return self._lockset(level).is_owned()

    def list_owned(self, level: int) -> set[str]:
        return self._lockset(level).list_owned()

    def owning_all(self, level: int) -> bool:
        return self._lockset(level).owning_all()

    def check_owned(self, level: int, names: str | Iterable[str], shared: int = -1) -> bool:
        return self._lockset(level).check_owned(names, shared=shared)

    def names(self, level: int) -> set[str]:
        """The current members of ``level``."""
        return self._lockset(level).names()

    def query_locks(self, fields: Iterable[str]) -> list[list]:
        """Shortcut for ``self.monitor.query_locks(fields)``."""
        return self.monitor.query_locks(fields)


class LockMonitor:
    """Knows every live lock (weakly) and reports their state."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._locks: weakref.WeakSet[SharedLock] = weakref.WeakSet()

    def register_lock(self, lock: SharedLock) -> None:
        with self._mutex:
            self._locks.add(lock)

    def get_lock_info(self, fields: Iterable[str] = LOCK_FIELDS) -> list[tuple]:
        """Raw ``(name, mode, owners, pending)`` rows of live locks, nice-sorted by name.

        Deleted locks are left out.  Fields not asked for are None (the name
        is always filled in).
        """
        fields = _check_fields(fields)
        wanted = set(fields)
        wanted.update(("name", "mode"))
        with self._mutex:
            locks = list(self._locks)
        rows = [lock.get_lock_info(wanted) for lock in locks]
        rows = [row for row in rows if row[1] != _MODE_DELETED]
        if "mode" not in fields:
            rows = [(row[0], None, row[2], row[3]) for row in rows]
        return _text.nice_sort(rows, key=lambda row: row[0])

    def query_locks(self, fields: Iterable[str]) -> list[list]:
        """Rows of values for ``fields`` (name, mode, owner, pending), by name.

        owner is None for a free lock, pending [] when nobody waits.
        """
        fields = _check_fields(fields)
        index = [LOCK_FIELDS.index(f) for f in fields]
        return [[row[i] for i in index] for row in self.get_lock_info(fields)]
