"""Benchmark: uncontended acquire/release pairs per second in ganeti.locking.

Run: .venv/bin/python test/bench/bench_locking.py [seconds-per-case]
Prints figures only (no pass/fail); the target is >= 100,000 pairs/s for a
bare SharedLock.
"""

import sys
import threading
import time

sys.path.insert(0, "lib")

from ganeti import locking  # noqa: E402


def measure(label: str, pair, seconds: float, rounds: int = 5) -> float:
    """Runs ``pair`` for about ``seconds``; prints the best round's pairs/s.

    The best of several short rounds hides noise from other processes.
    """
    batch = 5_000
    for _ in range(batch):  # warm up
        pair()
    best = 0.0
    for _ in range(rounds):
        done = 0
        start = time.perf_counter()
        while True:
            for _ in range(batch):
                pair()
            done += batch
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / rounds:
                break
        best = max(best, done / elapsed)
    print("%-52s %12s pairs/s  (%.2f us/pair)" % (label, format(int(best), ","), 1e6 / best))
    return best


def contended(seconds: float) -> None:
    """Two threads alternating on one exclusive lock: hand-over cost."""
    lock = locking.SharedLock("contended")
    stop = time.perf_counter() + seconds
    counts = [0, 0]

    def worker(idx: int) -> None:
        n = 0
        while time.perf_counter() < stop:
            for _ in range(1000):
                lock.acquire()
                lock.release()
            n += 1000
        counts[idx] = n

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rate = sum(counts) / (time.perf_counter() - start)
    print(
        "%-52s %12s pairs/s"
        % ("SharedLock exclusive, 2 threads contending", format(int(rate), ","))
    )


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    monitor = locking.LockMonitor()

    lock = locking.SharedLock("bench", monitor=monitor)
    acquire, release = lock.acquire, lock.release
    measure("(a) SharedLock exclusive", lambda: (acquire(), release()), seconds)
    measure("(b) SharedLock shared", lambda: (acquire(True), release()), seconds)

    lockset = locking.LockSet(["inst%d" % i for i in range(100)], "instance", monitor)
    ls_acq, ls_rel = lockset.acquire, lockset.release
    measure("    LockSet one member", lambda: (ls_acq("inst42"), ls_rel()), seconds)

    mgr = locking.GanetiLockManager(
        ["node%d" % i for i in range(40)],
        ["default"],
        ["inst%d.example.com" % i for i in range(1000)],
        ["net1"],
    )
    mgr.acquire(locking.LEVEL_CLUSTER, locking.BGL, shared=True)
    m_acq, m_rel = mgr.acquire, mgr.release
    level = locking.LEVEL_INSTANCE
    measure(
        "(c) GanetiLockManager LEVEL_INSTANCE, BGL shared",
        lambda: (m_acq(level, "inst500.example.com"), m_rel(level)),
        seconds,
    )
    measure(
        "    GanetiLockManager LEVEL_INSTANCE, 5 names",
        lambda: (m_acq(level, ["inst%d.example.com" % i for i in range(5)]), m_rel(level)),
        seconds,
    )
    mgr.release(locking.LEVEL_CLUSTER)
    contended(seconds)
    start = time.perf_counter()
    rows = mgr.query_locks(["name", "mode", "owner", "pending"])
    print("query_locks over %d locks: %.1f ms" % (len(rows), (time.perf_counter() - start) * 1e3))


if __name__ == "__main__":
    main()
