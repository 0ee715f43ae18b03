"""Tests for ganeti.locking: SharedLock, LockSet, GanetiLockManager, LockMonitor."""

import concurrent.futures
import gc
import queue
import random
import threading
import time
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ganeti import errors, locking
from ganeti.locking import (
    BGL,
    LEVEL_CLUSTER,
    LEVEL_INSTANCE,
    LEVEL_NETWORK,
    LEVEL_NODE,
    LEVEL_NODE_ALLOC,
    LEVEL_NODE_RES,
    LEVEL_NODEGROUP,
    NAL,
    GanetiLockManager,
    LockMonitor,
    LockSet,
    SharedLock,
)

WAIT = 5.0


class Actor:
    """A named thread that runs the calls it is given, one at a time."""

    def __init__(self, name: str) -> None:
        self._queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            fn, args, kwargs, fut = item
            fut.set_running_or_notify_cancel()
            try:
                fut.set_result(fn(*args, **kwargs))
            except BaseException as err:  # noqa: BLE001 - handed to the caller
                fut.set_exception(err)

    def submit(self, fn, *args, **kwargs) -> concurrent.futures.Future:
        fut: concurrent.futures.Future = concurrent.futures.Future()
        self._queue.put((fn, args, kwargs, fut))
        return fut

    def call(self, fn, *args, **kwargs):
        return self.submit(fn, *args, **kwargs).result(timeout=WAIT)

    def stop(self, wait: float = WAIT) -> None:
        self._queue.put(None)
        self.thread.join(wait)


@pytest.fixture
def actors():
    made = []

    def make(name):
        actor = Actor(name)
        made.append(actor)
        return actor

    yield make
    # An actor a test left blocked on a lock is a daemon thread: don't wait long.
    for actor in made:
        actor.stop(0.1)


def waiting(lock: SharedLock) -> int:
    return sum(len(names) for _, names in lock.get_lock_info(["pending"])[3])


def wait_until(predicate, what: str = "condition") -> None:
    end = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(0.002)


def wait_waiting(lock: SharedLock, count: int) -> None:
    wait_until(lambda: waiting(lock) == count, "%d waiters on %s" % (count, lock.name))


# SharedLock ----------------------------------------------------------------------


def test_exclusive_acquire_release_and_ownership():
    lock = SharedLock("l")
    assert not lock.is_owned()
    assert lock.acquire() is True
    assert lock.is_owned() and lock.is_owned(0) and not lock.is_owned(1)
    lock.release()
    assert not lock.is_owned()
    assert lock.acquire(shared=True)
    assert lock.is_owned() and lock.is_owned(1) and not lock.is_owned(0)
    lock.release()


def test_double_acquire_is_lock_error():
    lock = SharedLock("l")
    lock.acquire()
    with pytest.raises(errors.LockError):
        lock.acquire()
    with pytest.raises(errors.LockError):
        lock.acquire(shared=True)
    lock.release()
    lock.acquire(shared=True)
    with pytest.raises(errors.LockError):
        lock.acquire(shared=True)
    lock.release()


def test_release_or_downgrade_unowned_is_programmer_error():
    lock = SharedLock("l")
    with pytest.raises(errors.ProgrammerError):
        lock.release()
    with pytest.raises(errors.ProgrammerError):
        lock.downgrade()


def test_many_shared_owners(actors):
    lock = SharedLock("l")
    names = ["a%d" % i for i in range(4)]
    for name in names:
        assert actors(name).call(lock.acquire, shared=True)
    info = lock.get_lock_info(locking.LOCK_FIELDS)
    assert info == ("l", "shared", names, [])
    assert not lock.acquire(timeout=0)
    assert lock.acquire(shared=True, timeout=0)
    lock.release()


def test_exclusive_excludes_other_threads(actors):
    lock = SharedLock("l")
    other = actors("other")
    lock.acquire()
    assert other.call(lock.acquire, timeout=0) is False
    assert other.call(lock.acquire, shared=True, timeout=0) is False
    assert waiting(lock) == 0
    lock.release()
    assert other.call(lock.acquire, timeout=0) is True
    assert not lock.acquire(shared=True, timeout=0)
    other.call(lock.release)


@pytest.mark.parametrize("timeout", [0.05, 0.2])
def test_timeout_is_honoured(actors, timeout):
    lock = SharedLock("l")
    actors("holder").call(lock.acquire)
    start = time.monotonic()
    assert lock.acquire(timeout=timeout) is False
    elapsed = time.monotonic() - start
    assert timeout <= elapsed < timeout + 0.5
    assert waiting(lock) == 0


def test_blocking_acquire_waits_for_release(actors):
    lock = SharedLock("l")
    lock.acquire()
    fut = actors("w").submit(lock.acquire)
    wait_waiting(lock, 1)
    assert not fut.done()
    lock.release()
    assert fut.result(WAIT) is True
    assert lock.get_lock_info(["owner"])[2] == ["w"]


def test_priority_order_then_fifo(actors):
    lock = SharedLock("l")
    lock.acquire()
    order = []
    futs = []
    plan = [("p5", 5), ("p0a", 0), ("m5", -5), ("p0b", 0), ("m20", -20)]
    for i, (name, prio) in enumerate(plan):

        def job(name=name, prio=prio):
            lock.acquire(priority=prio)
            order.append(name)
            lock.release()

        futs.append(actors(name).submit(job))
        wait_waiting(lock, i + 1)
    pending = lock.get_lock_info(["pending"])[3]
    assert [names for _, names in pending] == [["m20"], ["m5"], ["p0a"], ["p0b"], ["p5"]]
    lock.release()
    for fut in futs:
        fut.result(WAIT)
    assert order == ["m20", "m5", "p0a", "p0b", "p5"]


def test_priority_none_means_default(actors):
    lock = SharedLock("l")
    lock.acquire()
    fut = actors("w").submit(lock.acquire, priority=None)
    wait_waiting(lock, 1)
    lock.release()
    assert fut.result(WAIT) is True


def test_shared_waiters_of_one_priority_are_woken_together(actors):
    lock = SharedLock("l")
    lock.acquire()
    hold = threading.Event()
    inside = []

    def job():
        lock.acquire(shared=True)
        inside.append(threading.current_thread().name)
        hold.wait(WAIT)
        lock.release()

    futs = [actors("s%d" % i).submit(job) for i in range(3)]
    wait_waiting(lock, 3)
    assert lock.get_lock_info(["pending"])[3] == [["shared", ["s0", "s1", "s2"]]]
    lock.release()
    wait_until(lambda: len(inside) == 3, "all shared waiters inside")
    assert lock.get_lock_info(["mode", "owner"])[1:3] == ("shared", ["s0", "s1", "s2"])
    hold.set()
    for fut in futs:
        fut.result(WAIT)


def test_queued_exclusive_blocks_later_shared(actors):
    lock = SharedLock("l")
    lock.acquire(shared=True)
    excl = actors("excl").submit(lock.acquire)
    wait_waiting(lock, 1)
    # No writer starvation: a new reader of the same priority must queue.
    other = actors("reader")
    assert other.call(lock.acquire, shared=True, timeout=0.05) is False
    late = other.submit(lock.acquire, shared=True)
    wait_waiting(lock, 2)
    assert lock.get_lock_info(["pending"])[3] == [["exclusive", ["excl"]], ["shared", ["reader"]]]
    lock.release()
    assert excl.result(WAIT) is True
    assert not late.done()
    assert lock.get_lock_info(["owner"])[2] == ["excl"]


def test_higher_priority_shared_passes_queued_exclusive(actors):
    lock = SharedLock("l")
    lock.acquire(shared=True)
    actors("excl").submit(lock.acquire, priority=0)
    wait_waiting(lock, 1)
    assert actors("urgent").call(lock.acquire, shared=True, priority=-10, timeout=0) is True
    assert lock.get_lock_info(["owner"])[2] == ["MainThread", "urgent"]


def test_expired_exclusive_head_lets_shared_waiters_in(actors):
    lock = SharedLock("l")
    lock.acquire(shared=True)
    excl = actors("excl").submit(lock.acquire, timeout=0.2)
    wait_waiting(lock, 1)
    reader = actors("reader").submit(lock.acquire, shared=True)
    wait_waiting(lock, 2)
    assert excl.result(WAIT) is False
    assert reader.result(WAIT) is True
    assert lock.get_lock_info(["owner", "pending"])[2:] == (["MainThread", "reader"], [])


def test_downgrade_lets_shared_waiters_in(actors):
    lock = SharedLock("l")
    lock.acquire()
    excl = actors("excl").submit(lock.acquire)
    wait_waiting(lock, 1)
    reader = actors("reader").submit(lock.acquire, shared=True)
    wait_waiting(lock, 2)
    assert lock.downgrade() is True
    assert lock.is_owned(1) and not lock.is_owned(0)
    # The shared waiter jumped ahead of the exclusive one of the same priority.
    assert reader.result(WAIT) is True
    assert not excl.done()
    assert lock.get_lock_info(["mode", "owner"])[1:3] == ("shared", ["MainThread", "reader"])
    assert lock.downgrade() is True  # already shared: no-op


def test_delete_wakes_waiters_with_lock_error(actors):
    lock = SharedLock("victim")
    lock.acquire()
    futs = [
        actors("e").submit(lock.acquire),
        actors("s").submit(lock.acquire, shared=True),
        actors("t").submit(lock.acquire, timeout=30),
    ]
    wait_waiting(lock, 3)
    assert lock.delete() is True
    for fut in futs:
        with pytest.raises(errors.LockError, match="Deleted lock victim"):
            fut.result(WAIT)
    assert not lock.is_owned()
    with pytest.raises(errors.LockError, match="Deleted lock victim"):
        lock.acquire()
    with pytest.raises(errors.LockError):
        lock.delete()
    assert lock.get_lock_info(["mode", "owner", "pending"])[1:] == ("deleted", None, [])


def test_delete_acquires_first_and_honours_timeout(actors):
    lock = SharedLock("l")
    holder = actors("holder")
    holder.call(lock.acquire, shared=True)
    assert lock.delete(timeout=0.05) is False
    assert waiting(lock) == 0
    deleter = actors("deleter").submit(lock.delete)
    wait_waiting(lock, 1)
    holder.call(lock.release)
    assert deleter.result(WAIT) is True
    assert lock.deleted


def test_delete_while_shared_is_programmer_error():
    lock = SharedLock("l")
    lock.acquire(shared=True)
    with pytest.raises(errors.ProgrammerError):
        lock.delete()
    lock.release()
    assert lock.delete() is True


def test_test_notify_called_once_queued(actors):
    lock = SharedLock("l")
    lock.acquire()
    seen = []

    def notify():
        seen.append(waiting(lock))

    fut = actors("w").submit(lock.acquire, test_notify=notify)
    wait_until(lambda: seen, "notify")
    assert seen == [1]
    lock.release()
    assert fut.result(WAIT)
    calls = []
    lock2 = SharedLock("l2")
    assert lock2.acquire(test_notify=lambda: calls.append(1))
    assert calls == [1]


# LockSet -------------------------------------------------------------------------


def test_lockset_acquire_sorted_and_owned():
    ls = LockSet(["c", "a", "b"], "set")
    assert ls.names() == {"a", "b", "c"} and ls._names() == {"a", "b", "c"}
    order = []
    assert ls.acquire(["c", "a"], test_notify=order.append) == {"a", "c"}
    assert order == ["a", "c"]
    assert ls.is_owned() and ls.list_owned() == {"a", "c"}
    assert ls.check_owned(["a", "c"]) and ls.check_owned("a", shared=0)
    assert not ls.check_owned("a", shared=1) and not ls.check_owned(["a", "b"])
    assert not ls.owning_all()
    with pytest.raises(errors.LockError, match="twice"):
        ls.acquire("b")
    ls.release()
    assert not ls.is_owned() and ls.list_owned() == set()
    assert ls.acquire("b", shared=True) == {"b"}
    assert ls.check_owned("b", shared=1)
    ls.release()


def test_lockset_unknown_name_is_lock_error_and_releases():
    ls = LockSet(["a", "b"], "set")
    with pytest.raises(errors.LockError, match="Non-existing lock zz in set set"):
        ls.acquire(["a", "zz"])
    assert not ls.is_owned()
    assert ls.acquire(["a", "b"], timeout=0) == {"a", "b"}
    ls.release()


def test_lockset_timeout_releases_what_was_taken(actors):
    ls = LockSet(["a", "b", "c"], "set")
    other = actors("other")
    other.call(ls.acquire, "b")
    start = time.monotonic()
    assert ls.acquire(["a", "b", "c"], timeout=0.1) is None
    assert 0.1 <= time.monotonic() - start < 0.6
    assert not ls.is_owned()
    assert actors("third").call(ls.acquire, ["a", "c"], timeout=0) == {"a", "c"}


def test_lockset_opportunistic(actors):
    ls = LockSet(["a", "b", "c"], "set")
    actors("other").call(ls.acquire, "b")
    start = time.monotonic()
    assert ls.acquire(["a", "b", "c", "gone"], opportunistic=True) == {"a", "c"}
    assert time.monotonic() - start < 0.5
    ls.release()
    assert ls.acquire(["b"], opportunistic=True, timeout=0.05) == set()
    assert not ls.is_owned()
    assert ls.acquire(None, opportunistic=True) == {"a", "c"}
    assert ls.owning_all()
    ls.release()


def test_lockset_acquire_deleted_while_waiting_is_lock_error(actors):
    ls = LockSet(["a", "b"], "set")
    owner = actors("owner")
    owner.call(ls.acquire, "b")
    fut = actors("waiter").submit(ls.acquire, ["a", "b"])
    wait_waiting(ls._locks["b"], 1)
    assert owner.call(ls.remove, "b") == ["b"]
    with pytest.raises(errors.LockError, match="Non-existing lock b in set set"):
        fut.result(WAIT)
    assert ls.acquire("a", timeout=0) == {"a"}  # the waiter let "a" go


def test_lockset_all_set(actors):
    ls = LockSet(["a", "b"], "set")
    assert ls.acquire(None, shared=True) == {"a", "b"}
    assert ls.owning_all() and ls.list_owned() == {"a", "b"}
    # Others may still share members, but nobody can add while we own the set.
    other = actors("other")
    assert other.call(ls.acquire, "a", shared=True, timeout=0) == {"a"}
    adder = actors("adder").submit(ls.add, "c")
    wait_waiting(ls._set_lock, 1)
    assert not adder.done()
    ls.release()
    assert adder.result(WAIT) is True
    assert ls.names() == {"a", "b", "c"}
    other.call(ls.release)


def test_lockset_all_set_skips_members_removed_meanwhile(actors):
    ls = LockSet(["a", "b", "c"], "set")
    owner = actors("owner")
    owner.call(ls.acquire, "b")
    fut = actors("all").submit(ls.acquire, None)
    wait_waiting(ls._locks["b"], 1)
    owner.call(ls.remove, "b")
    assert fut.result(WAIT) == {"a", "c"}


def test_lockset_all_set_timeout_drops_set_lock(actors):
    ls = LockSet(["a"], "set")
    actors("other").call(ls.acquire, "a")
    assert ls.acquire(None, timeout=0.05) is None
    assert not ls.is_owned() and not ls._set_lock.is_owned()
    assert ls.add("b") is True


def test_lockset_release_subset_drops_set_lock():
    ls = LockSet(["a", "b"], "set")
    ls.acquire(None)
    ls.release("a")
    assert not ls.owning_all() and ls.list_owned() == {"b"}
    with pytest.raises(errors.ProgrammerError, match="unheld"):
        ls.release(["a"])
    ls.release()
    with pytest.raises(errors.ProgrammerError, match="not owner"):
        ls.release()


def test_lockset_downgrade():
    ls = LockSet(["a", "b"], "set")
    ls.acquire(None)
    ls.downgrade("a")
    assert ls.check_owned("a", shared=1) and ls.check_owned("b", shared=0)
    assert ls._set_lock.is_owned(0)
    ls.downgrade()
    assert ls.check_owned(["a", "b"], shared=1)
    assert ls._set_lock.is_owned(1)
    with pytest.raises(errors.ProgrammerError):
        ls.downgrade("zz")
    ls.release()
    with pytest.raises(errors.ProgrammerError):
        ls.downgrade()


def test_lockset_add():
    ls = LockSet(["a"], "set")
    assert ls.add(["b", "c"]) is True
    assert ls.names() == {"a", "b", "c"}
    with pytest.raises(errors.LockError, match="duplicate"):
        ls.add("a")
    ls.add("d", acquired=True, shared=True)
    assert ls.list_owned() == {"d"} and ls.check_owned("d", shared=1)
    with pytest.raises(errors.ProgrammerError, match="partially owned"):
        ls.add("e")
    ls.release()
    ls.acquire(None)
    ls.add("e", acquired=True)
    assert ls.list_owned() == {"a", "b", "c", "d", "e"}
    ls.add("f")
    assert "f" not in ls.list_owned()
    ls.release()
    ls.acquire(None, shared=True)
    with pytest.raises(errors.ProgrammerError):
        ls.add("g")
    ls.release()


def test_lockset_remove(actors):
    ls = LockSet(["a", "b", "c", "d"], "set")
    ls.acquire(["a", "b"])
    assert ls.remove(["a"]) == ["a"]
    assert ls.list_owned() == {"b"} and ls.names() == {"b", "c", "d"}
    with pytest.raises(errors.ProgrammerError, match="not owning all"):
        ls.remove(["c"])
    assert ls.remove("b") == ["b"]
    assert not ls.is_owned()
    ls.acquire("c", shared=True)
    with pytest.raises(errors.ProgrammerError, match="shared"):
        ls.remove("c")
    ls.release()
    # Owning nothing: remove waits for the holder, then deletes.
    holder = actors("holder")
    holder.call(ls.acquire, "c")
    fut = actors("remover").submit(ls.remove, ["c", "nonexistent"])
    wait_waiting(ls._locks["c"], 1)
    holder.call(ls.release)
    assert fut.result(WAIT) == ["c"]
    assert ls.names() == {"d"}
    # Owning the whole set exclusively allows removing anything.
    ls.add("e")
    ls.acquire(None)
    ls.add("f")
    assert sorted(ls.remove(["d", "f"])) == ["d", "f"]
    assert ls.list_owned() == {"e"} and ls.owning_all()
    ls.release()


# GanetiLockManager ---------------------------------------------------------------


def make_manager(monitor=None):
    return GanetiLockManager(
        ["node1", "node2", "node3"],
        ["group1"],
        ["inst1.example.com", "inst2.example.com"],
        ["net1"],
        monitor=monitor,
    )


def test_level_constants():
    assert locking.LEVELS == [0, 1, 2, 3, 4, 5, 6]
    assert (LEVEL_CLUSTER, LEVEL_INSTANCE, LEVEL_NODE_ALLOC, LEVEL_NODEGROUP) == (0, 1, 2, 3)
    assert (LEVEL_NODE, LEVEL_NODE_RES, LEVEL_NETWORK) == (4, 5, 6)
    assert locking.LEVEL_NAMES == {
        0: "cluster",
        1: "instance",
        2: "node-alloc",
        3: "nodegroup",
        4: "node",
        5: "node-res",
        6: "network",
    }
    assert locking.LEVELS_MOD == {1, 3, 4, 5, 6}
    assert BGL == "BGL" and NAL == "NAL" and locking.ALL_SET is None


def test_manager_members():
    mgr = make_manager()
    assert mgr.names(LEVEL_CLUSTER) == {BGL}
    assert mgr.names(LEVEL_NODE_ALLOC) == {NAL}
    assert mgr.names(LEVEL_NODE) == mgr.names(LEVEL_NODE_RES) == {"node1", "node2", "node3"}
    assert mgr.names(LEVEL_NODEGROUP) == {"group1"}
    assert mgr.names(LEVEL_NETWORK) == {"net1"}


def test_manager_requires_bgl_first():
    mgr = make_manager()
    for level in locking.LEVELS[1:]:
        with pytest.raises(errors.ProgrammerError, match="Big Ganeti Lock"):
            mgr.acquire(level, None)
    assert mgr.acquire(LEVEL_CLUSTER, [BGL], shared=True) == {BGL}
    assert mgr.acquire(LEVEL_INSTANCE, ["inst1.example.com"]) == {"inst1.example.com"}
    mgr.release(LEVEL_INSTANCE)
    mgr.release(LEVEL_CLUSTER)
    assert mgr.acquire(LEVEL_CLUSTER, None) == {BGL}
    assert mgr.owning_all(LEVEL_CLUSTER)
    mgr.release(LEVEL_CLUSTER)


def test_manager_ascending_order_only():
    mgr = make_manager()
    mgr.acquire(LEVEL_CLUSTER, BGL, shared=True)
    mgr.acquire(LEVEL_NODE, ["node1"])
    for level in (LEVEL_INSTANCE, LEVEL_NODE_ALLOC, LEVEL_NODEGROUP):
        with pytest.raises(errors.ProgrammerError, match="greater one"):
            mgr.acquire(level, None)
    with pytest.raises(errors.LockError, match="twice"):
        mgr.acquire(LEVEL_NODE, ["node2"])
    assert mgr.acquire(LEVEL_NODE_RES, ["node1"], shared=True) == {"node1"}
    assert mgr.acquire(LEVEL_NETWORK, None, shared=True) == {"net1"}
    assert mgr.check_owned(LEVEL_NODE_RES, "node1", shared=1)
    assert mgr.list_owned(LEVEL_NODE) == {"node1"}
    assert not mgr.is_owned(LEVEL_INSTANCE)
    mgr.release(LEVEL_NETWORK)
    mgr.release(LEVEL_NODE_RES)
    mgr.release(LEVEL_NODE)
    mgr.acquire(LEVEL_INSTANCE, "inst2.example.com")
    mgr.release(LEVEL_INSTANCE)
    mgr.release(LEVEL_CLUSTER)


def test_manager_bgl_released_last():
    mgr = make_manager()
    mgr.acquire(LEVEL_CLUSTER, BGL)
    mgr.acquire(LEVEL_NODE_ALLOC, NAL)
    with pytest.raises(errors.ProgrammerError, match="Big Ganeti Lock"):
        mgr.release(LEVEL_CLUSTER)
    with pytest.raises(errors.ProgrammerError, match="Big Ganeti Lock"):
        mgr.release(LEVEL_CLUSTER, [BGL])
    assert mgr.is_owned(LEVEL_CLUSTER)
    mgr.release(LEVEL_NODE_ALLOC)
    mgr.release(LEVEL_CLUSTER)
    assert not mgr.is_owned(LEVEL_CLUSTER)


def test_manager_add_remove_rules():
    mgr = make_manager()
    with pytest.raises(errors.ProgrammerError, match="Big Ganeti Lock"):
        mgr.add(LEVEL_INSTANCE, "inst3")
    mgr.acquire(LEVEL_CLUSTER, BGL, shared=True)
    for level in (LEVEL_CLUSTER, LEVEL_NODE_ALLOC):
        with pytest.raises(errors.ProgrammerError, match="immutable"):
            mgr.add(level, "x")
        with pytest.raises(errors.ProgrammerError, match="immutable"):
            mgr.remove(level, "x")
    assert mgr.add(LEVEL_INSTANCE, "inst3", acquired=True) is True
    assert mgr.list_owned(LEVEL_INSTANCE) == {"inst3"}
    mgr.acquire(LEVEL_NODE, "node1")
    with pytest.raises(errors.ProgrammerError, match="greater one"):
        mgr.remove(LEVEL_INSTANCE, "inst3")
    with pytest.raises(errors.ProgrammerError, match="greater one"):
        mgr.add(LEVEL_NODEGROUP, "group2")
    mgr.release(LEVEL_NODE)
    assert mgr.remove(LEVEL_INSTANCE, "inst3") == ["inst3"]
    assert "inst3" not in mgr.names(LEVEL_INSTANCE)
    mgr.add(LEVEL_NODE, "node4")
    mgr.add(LEVEL_NODE_RES, "node4")
    assert "node4" in mgr.names(LEVEL_NODE) and "node4" in mgr.names(LEVEL_NODE_RES)
    mgr.release(LEVEL_CLUSTER)


def test_manager_invalid_level():
    mgr = make_manager()
    for level in (-1, 7, "node", None, 1.0):
        with pytest.raises(errors.ProgrammerError, match="Invalid"):
            mgr.is_owned(level)


def test_manager_downgrade_and_timeout(actors):
    mgr = make_manager()
    mgr.acquire(LEVEL_CLUSTER, BGL)
    other = actors("other")
    assert other.call(mgr.acquire, LEVEL_CLUSTER, BGL, shared=True, timeout=0.02) is None
    mgr.downgrade(LEVEL_CLUSTER)
    assert mgr.check_owned(LEVEL_CLUSTER, BGL, shared=1)
    assert other.call(mgr.acquire, LEVEL_CLUSTER, BGL, shared=True, timeout=0) == {BGL}
    other.call(mgr.release, LEVEL_CLUSTER)
    mgr.release(LEVEL_CLUSTER)


# LockMonitor ---------------------------------------------------------------------


def test_monitor_query(actors):
    mgr = make_manager()
    job12 = actors("Job12/I_STARTUP")
    job13 = actors("Job13/I_SHUTDOWN")
    job12.call(mgr.acquire, LEVEL_CLUSTER, BGL, shared=True)
    job12.call(mgr.acquire, LEVEL_INSTANCE, "inst1.example.com")
    job13.call(mgr.acquire, LEVEL_CLUSTER, BGL, shared=True)
    pending = job13.submit(mgr.acquire, LEVEL_INSTANCE, ["inst1.example.com"], shared=True)
    wait_waiting(mgr._keyring[LEVEL_INSTANCE]._locks["inst1.example.com"], 1)
    rows = mgr.query_locks(["name", "mode", "owner", "pending"])
    by_name = {row[0]: row for row in rows}
    assert [row[0] for row in rows] == [
        "cluster/BGL",
        "cluster/[lockset]",
        "instance/[lockset]",
        "instance/inst1.example.com",
        "instance/inst2.example.com",
        "network/[lockset]",
        "network/net1",
        "node-alloc/NAL",
        "node-alloc/[lockset]",
        "node-res/[lockset]",
        "node-res/node1",
        "node-res/node2",
        "node-res/node3",
        "node/[lockset]",
        "node/node1",
        "node/node2",
        "node/node3",
        "nodegroup/[lockset]",
        "nodegroup/group1",
    ]
    assert by_name["cluster/BGL"] == [
        "cluster/BGL",
        "shared",
        ["Job12/I_STARTUP", "Job13/I_SHUTDOWN"],
        [],
    ]
    assert by_name["instance/inst1.example.com"] == [
        "instance/inst1.example.com",
        "exclusive",
        ["Job12/I_STARTUP"],
        [["shared", ["Job13/I_SHUTDOWN"]]],
    ]
    assert by_name["node/node1"] == ["node/node1", None, None, []]
    assert mgr.monitor.query_locks(["owner", "name"])[0] == [
        ["Job12/I_STARTUP", "Job13/I_SHUTDOWN"],
        "cluster/BGL",
    ]
    job12.call(mgr.release, LEVEL_INSTANCE)
    assert pending.result(WAIT) == {"inst1.example.com"}
    raw = mgr.monitor.get_lock_info()
    assert ("instance/inst1.example.com", "shared", ["Job13/I_SHUTDOWN"], []) in raw
    assert [r[0] for r in raw] == [row[0] for row in rows]


def test_monitor_nice_sort_and_removed_locks():
    monitor = LockMonitor()
    mgr = GanetiLockManager(["node10", "node9", "node1"], [], ["i"], [], monitor=monitor)
    names = [r[0] for r in monitor.query_locks(["name"]) if r[0].startswith("node/")]
    assert names == ["node/[lockset]", "node/node1", "node/node9", "node/node10"]
    mgr.acquire(LEVEL_CLUSTER, BGL)
    mgr.remove(LEVEL_INSTANCE, "i")
    mgr.release(LEVEL_CLUSTER)
    assert "instance/i" not in [r[0] for r in monitor.query_locks(["name"])]


def test_monitor_holds_locks_weakly():
    monitor = LockMonitor()
    lock = SharedLock("temp", monitor=monitor)
    assert monitor.query_locks(["name"]) == [["temp"]]
    del lock
    gc.collect()
    assert monitor.query_locks(["name"]) == []


def test_monitor_unknown_field():
    with pytest.raises(errors.OpPrereqError) as err:
        LockMonitor().query_locks(["name", "bogus"])
    assert err.value.args[1] == errors.ECODE_INVAL


# Stress: many threads over all levels --------------------------------------------


def test_stress_no_deadlock_and_exclusivity():
    nodes = ["node%d" % i for i in range(6)]
    instances = ["inst%d" % i for i in range(8)]
    mgr = GanetiLockManager(nodes, ["g1", "g2", "g3"], instances, ["net1", "net2"])
    guard = threading.Lock()
    holders = defaultdict(lambda: [0, 0])  # (level, name) -> [exclusive, shared]
    violations = []
    stats = defaultdict(int)
    duration = 4.0
    stop_at = time.monotonic() + duration

    def enter(held):
        with guard:
            for key, shared in held:
                count = holders[key]
                if count[0] or (not shared and count[1]):
                    violations.append((key, shared, list(count)))
                count[1 if shared else 0] += 1

    def leave(held):
        with guard:
            for key, shared in held:
                count = holders[key]
                if count[0] > (0 if shared else 1) or (not shared and count[1]):
                    violations.append(("leave", key, shared, list(count)))
                count[1 if shared else 0] -= 1

    def downgrade_all(held):
        with guard:
            for i, (key, shared) in enumerate(held):
                if not shared:
                    holders[key][0] -= 1
                    holders[key][1] += 1
                    held[i] = (key, True)

    def worker(seed):
        rng = random.Random(seed)
        added = []
        serial = 0
        while time.monotonic() < stop_at:
            bgl_shared = rng.random() < 0.93
            if (
                mgr.acquire(LEVEL_CLUSTER, BGL, shared=bgl_shared, timeout=rng.choice([None, 0.05]))
                is None
            ):
                stats["bgl-timeout"] += 1
                continue
            held = [((LEVEL_CLUSTER, BGL), bgl_shared)]
            try:
                if rng.random() < 0.05:
                    serial += 1
                    name = "tmp-%d-%d" % (seed, serial)
                    mgr.add(LEVEL_INSTANCE, name)
                    added.append(name)
                    if len(added) > 1 and rng.random() < 0.7:
                        mgr.remove(LEVEL_INSTANCE, added.pop(0))
                        stats["removed"] += 1
                for level in locking.LEVELS[1:]:
                    if rng.random() < 0.5:
                        continue
                    whole = rng.random() < 0.1
                    if whole:
                        names = None
                    else:
                        members = sorted(mgr.names(level))
                        names = rng.sample(members, rng.randint(1, min(3, len(members))))
                    shared = rng.random() < 0.5
                    opportunistic = rng.random() < 0.1
                    timeout = rng.choice([None, 0.01, 0.1])
                    try:
                        got = mgr.acquire(
                            level,
                            names,
                            timeout=timeout,
                            shared=shared,
                            opportunistic=opportunistic,
                        )
                    except errors.LockError:
                        stats["removed-meanwhile"] += 1
                        break
                    if got is None:
                        stats["timeout"] += 1
                        break
                    if not opportunistic and names is not None and got != set(names):
                        violations.append(("partial", level, names, got))
                    if mgr.list_owned(level) != got:
                        violations.append(("owned", level, got))
                    held.extend(((level, n), shared) for n in got)
                    if whole:
                        held.append(((level, "[lockset]"), shared))
                enter(held)
                stats["entered"] += 1
                time.sleep(rng.uniform(0, 0.002))
                if rng.random() < 0.2:
                    downgrade_all(held)
                    for level in locking.LEVELS:
                        if mgr.is_owned(level):
                            mgr.downgrade(level)
                    time.sleep(rng.uniform(0, 0.001))
                leave(held)
            finally:
                for level in reversed(locking.LEVELS):
                    if mgr.is_owned(level):
                        mgr.release(level)
        with guard:
            stats["finished"] += 1

    def guarded_worker(seed):
        try:
            worker(seed)
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            violations.append(("exception", seed, repr(err)))

    threads = [
        threading.Thread(target=guarded_worker, args=(i,), name="Job%d" % i, daemon=True)
        for i in range(50)
    ]
    for thread in threads:
        thread.start()
    give_up = stop_at + 15
    for thread in threads:
        thread.join(max(0.0, give_up - time.monotonic()))
    alive = [t.name for t in threads if t.is_alive()]
    assert not alive, "deadlock: %s still running; locks: %s" % (
        alive,
        [row for row in mgr.query_locks(["name", "owner", "pending"]) if row[1] or row[2]],
    )
    assert not violations, violations[:5]
    assert stats["finished"] == 50
    assert stats["entered"] > 200, dict(stats)
    assert all(count == [0, 0] for count in holders.values())
    assert all(row[1] is None for row in mgr.query_locks(["name", "mode"]))


# Property: a LockSet against a model ---------------------------------------------


def _compatible(owners: dict, shared: bool) -> bool:
    return not owners or (shared and all(owners.values()))


class LockSetMachine(RuleBasedStateMachine):
    """Two threads drive one LockSet with non-blocking calls; a model predicts."""

    ACTORS = 2

    def __init__(self):
        super().__init__()
        self.actors = [Actor("actor%d" % i) for i in range(self.ACTORS)]
        self.members = {"a", "b", "c", "d"}
        self.ls = LockSet(self.members, "set")
        self.holders = {}  # member -> {actor: shared}
        self.set_holders = {}  # actor -> shared
        self.counter = 0

    def teardown(self):
        for actor in self.actors:
            actor.stop()

    def _owned(self, actor):
        return {n for n, owners in self.holders.items() if actor in owners}

    def _owns_any(self, actor):
        return bool(self._owned(actor)) or actor in self.set_holders

    def _call(self, actor, fn, *args, **kwargs):
        fut = self.actors[actor].submit(fn, *args, **kwargs)
        try:
            return fut.result(WAIT)
        except concurrent.futures.TimeoutError:
            raise AssertionError("call blocked: %s%r" % (fn.__name__, args)) from None

    def _expect_error(self, cls, actor, fn, *args, **kwargs):
        with pytest.raises(cls):
            self._call(actor, fn, *args, **kwargs)

    @rule(
        actor=st.integers(0, ACTORS - 1),
        names=st.none()
        | st.sampled_from("abcdefgh")
        | st.lists(st.sampled_from("abcdefgh"), max_size=4),
        shared=st.booleans(),
        opportunistic=st.booleans(),
    )
    def acquire(self, actor, names, shared, opportunistic):
        kwargs = dict(timeout=0, shared=shared, opportunistic=opportunistic)
        if self._owns_any(actor):
            self._expect_error(errors.LockError, actor, self.ls.acquire, names, **kwargs)
            return
        taken = set()
        outcome = None
        whole = names is None
        if whole and not _compatible(self.set_holders, shared):
            outcome = "timeout"
        else:
            if whole:
                order = sorted(self.members)
            elif isinstance(names, str):
                order = [names]
            else:
                order = sorted(set(names))
            for name in order:
                if name not in self.members:
                    if whole or opportunistic:
                        continue
                    outcome = "error"
                    break
                if _compatible(self.holders.setdefault(name, {}), shared):
                    taken.add(name)
                elif not opportunistic:
                    outcome = "timeout"
                    break
        if outcome == "error":
            self._expect_error(errors.LockError, actor, self.ls.acquire, names, **kwargs)
            return
        result = self._call(actor, self.ls.acquire, names, **kwargs)
        if outcome == "timeout":
            assert result is None
            return
        assert result == taken
        for name in taken:
            self.holders[name][actor] = shared
        if whole:
            self.set_holders[actor] = shared

    @rule(actor=st.integers(0, ACTORS - 1), data=st.data())
    def release(self, actor, data):
        owned = self._owned(actor)
        if not self._owns_any(actor):
            self._expect_error(errors.ProgrammerError, actor, self.ls.release)
            return
        names = data.draw(
            st.none() | st.lists(st.sampled_from(sorted(owned | {"zz"})), unique=True)
        )
        if names is not None and not set(names) <= owned:
            self._expect_error(errors.ProgrammerError, actor, self.ls.release, names)
            return
        self._call(actor, self.ls.release, names)
        for name in owned if names is None else names:
            del self.holders[name][actor]
        self.set_holders.pop(actor, None)

    @rule(actor=st.integers(0, ACTORS - 1))
    def downgrade(self, actor):
        if not self._owns_any(actor):
            self._expect_error(errors.ProgrammerError, actor, self.ls.downgrade)
            return
        self._call(actor, self.ls.downgrade)
        for name in self._owned(actor):
            self.holders[name][actor] = True
        if actor in self.set_holders:
            self.set_holders[actor] = True

    @rule(actor=st.integers(0, ACTORS - 1), acquired=st.booleans(), shared=st.booleans())
    def add(self, actor, acquired, shared):
        set_exclusive = self.set_holders.get(actor) is False
        if self._owns_any(actor) and not set_exclusive:
            self._expect_error(errors.ProgrammerError, actor, self.ls.add, "x")
            return
        if any(a != actor for a in self.set_holders):
            return  # would wait for the other actor's whole-set ownership
        self.counter += 1
        name = "n%d" % self.counter
        assert self._call(actor, self.ls.add, name, acquired=acquired, shared=shared) is True
        self.members.add(name)
        self.holders[name] = {actor: shared} if acquired else {}
        if acquired and not set_exclusive:
            self._expect_error(errors.ProgrammerError, actor, self.ls.add, name)
        else:
            self._expect_error(errors.LockError, actor, self.ls.add, name)

    @rule(actor=st.integers(0, ACTORS - 1), data=st.data())
    def remove(self, actor, data):
        names = data.draw(st.lists(st.sampled_from(sorted(self.members | {"zz"})), unique=True))
        owned = self._owned(actor)
        set_exclusive = self.set_holders.get(actor) is False
        if self._owns_any(actor):
            bad = any(self.holders[n][actor] if n in owned else not set_exclusive for n in names)
            if bad:
                self._expect_error(errors.ProgrammerError, actor, self.ls.remove, names)
                return
        for name in names:
            others = {a for a in self.holders.get(name, {}) if a != actor}
            if others:
                return  # would wait for the other actor
        removed = self._call(actor, self.ls.remove, names)
        assert removed == [n for n in names if n in self.members]
        for name in removed:
            self.members.discard(name)
            self.holders.pop(name, None)

    @invariant()
    def matches_model(self):
        assert self.ls.names() == self.members
        for actor in range(self.ACTORS):
            owned = self._owned(actor)
            assert self._call(actor, self.ls.list_owned) == owned
            assert self._call(actor, self.ls.is_owned) == self._owns_any(actor)
            assert self._call(actor, self.ls.owning_all) == (actor in self.set_holders)
        for name in self.members:
            owners = self.holders.get(name, {})
            info = self.ls._locks[name].get_lock_info(locking.LOCK_FIELDS)
            if not owners:
                assert info[1:] == (None, None, [])
            else:
                mode = "shared" if all(owners.values()) else "exclusive"
                assert info[1] == mode
                assert info[2] == sorted("actor%d" % a for a in owners)


LockSetMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLockSetModel = LockSetMachine.TestCase
