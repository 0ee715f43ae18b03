#!/usr/bin/env python3
"""Job queue benchmarks against a real ganeti-masterd (fsync on).

Prints: (a) one OP_TEST_DELAY(0) job, submit to final status through luxi
(median and p90 over many runs); (b) 1,000 such jobs submitted at once
(SubmitManyJobs), submit to all final, in jobs/s, and the same with 1,000
concurrent SubmitJob calls from 10 client threads; (f) masterd RSS idle and
after 10,000 jobs.  Usage: bench_jobs.py [--quick]
"""

import os
import statistics
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(TOP, "lib"), os.path.join(TOP, "test", "py")]

import masterd_helper  # noqa: E402

DELAY0 = {"OP_ID": "OP_TEST_DELAY", "duration": 0}


def wait_all(cl, ids):
    for job_id in ids:
        status, _ = masterd_helper.wait_job(cl, job_id, timeout=600)
        assert status == "success", (job_id, status)


def single_latency(cl, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        job_id = cl.SubmitJob([DELAY0])
        masterd_helper.wait_job(cl, job_id)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9)]


def many_at_once(cl, count):
    t0 = time.perf_counter()
    res = cl.SubmitManyJobs([[DELAY0] for _ in range(count)])
    ids = [r[1] for r in res]
    wait_all(cl, ids)
    return count / (time.perf_counter() - t0)


def concurrent_submits(master, count, threads):
    ids = []
    lock = threading.Lock()

    def worker(n):
        cl = master.client()
        mine = [cl.SubmitJob([DELAY0]) for _ in range(n)]
        with lock:
            ids.extend(mine)

    t0 = time.perf_counter()
    ths = [threading.Thread(target=worker, args=(count // threads,)) for _ in range(threads)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    wait_all(master.client(), ids)
    return len(ids) / (time.perf_counter() - t0)


def main():
    quick = "--quick" in sys.argv
    with tempfile.TemporaryDirectory(dir="/var/tmp") as root:
        m = masterd_helper.Master(root)
        m.start()
        cl = m.client()
        time.sleep(0.5)
        print("(f) masterd RSS idle: %.1f MB" % (m.rss_kb() / 1024))
        med, p90 = single_latency(cl, 50 if quick else 200)
        print("(a) single OP_TEST_DELAY(0) submit->final: median %.2f ms, p90 %.2f ms" % (med, p90))
        rate = many_at_once(cl, 1000)
        print("(b) 1,000 jobs via SubmitManyJobs: %.0f jobs/s" % rate)
        rate = concurrent_submits(m, 1000, 10)
        print("(b') 1,000 jobs via SubmitJob from 10 clients: %.0f jobs/s" % rate)
        if not quick:
            cl.AutoArchiveJobs(-1, 60)
            total = 0
            while total < 10000:
                res = cl.SubmitManyJobs([[DELAY0] for _ in range(1000)])
                wait_all(cl, [r[1] for r in res])
                total += 1000
                cl.AutoArchiveJobs(-1, 60)
            print("(f) masterd RSS after 10,000 more jobs: %.1f MB" % (m.rss_kb() / 1024))
        m.stop()


if __name__ == "__main__":
    main()
