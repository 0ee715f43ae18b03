#!/usr/bin/env python3
"""Benchmark: hail on a 1,000-node cluster, ours against Ganeti's Haskell hail.

Generates the cluster (gen_cluster.py, 8 instances per node, two groups)
and its allocator requests (gen_ialloc.py), then runs every request type
with --no-capacity-checks: ours --runs times (best and median wall time,
best CPU time of the process), the reference once (it takes seconds
there).  Prints whether the outputs (stdout, stderr, exit code) are
byte-identical.  Our start-up writes .pyc files on the first run, so the
figures are for warm caches (PYTHONDONTWRITEBYTECODE is dropped).

Usage: bench_hail.py [--nodes 1000] [--runs 5] [--no-haskell]
                     [--requests alloc-drbd,alloc-plain,...]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "htools")
HHAIL = "/usr/lib/ganeti/3.0/usr/lib/ganeti/iallocators/hail"
OURS = os.path.join(ROOT, "scripts", "hail")
REQUESTS = (
    "alloc-drbd",
    "alloc-plain",
    "alloc-big",
    "alloc-drbd-kvm",
    "alloc-tagged",
    "reloc",
    "multi-alloc",
)
TARGET = 0.3


def run(cmd: list, env: dict) -> tuple:
    """(wall seconds, cpu seconds, (exit code, stdout, stderr))."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, (p.returncode, p.stdout, p.stderr)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-haskell", action="store_true")
    ap.add_argument("--requests", default=",".join(REQUESTS))
    a = ap.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("HTOOLS", None)
    have_h = not a.no_haskell and os.access(HHAIL, os.X_OK)
    tmp = tempfile.mkdtemp(prefix="bench-hail-")
    data = os.path.join(tmp, "c%d.data" % a.nodes)
    subprocess.run(
        [
            sys.executable,
            os.path.join(SHARED, "gen_cluster.py"),
            "--nodes",
            str(a.nodes),
            "--instances",
            str(8 * a.nodes),
            "-o",
            data,
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, os.path.join(SHARED, "gen_ialloc.py"), data, "--outdir", tmp],
        check=True,
        capture_output=True,
    )
    print(
        "hail --no-capacity-checks, %d nodes, %d instances; ours: best/median of %d runs"
        % (a.nodes, 8 * a.nodes, a.runs)
    )
    print(
        "%-15s %9s %9s %9s %11s %6s %s"
        % ("request", "ours_s", "median_s", "cpu_s", "haskell_s", "<=%.1f" % TARGET, "same")
    )
    for name in a.requests.split(","):
        req = os.path.join(tmp, "c%d-%s.json" % (a.nodes, name))
        cmd = [OURS, "--no-capacity-checks", req]
        run(cmd, env)  # start-up caches
        walls, cpus, outs = [], [], set()
        for _ in range(a.runs):
            wall, cpu, out = run(cmd, env)
            walls.append(wall)
            cpus.append(cpu)
            outs.add(out)
        ours = outs.pop() if len(outs) == 1 else None
        h_s, same = "-", "-"
        if have_h:
            h_wall, _, ref = run([HHAIL, "--no-capacity-checks", req], env)
            h_s = "%.2f" % h_wall
            if ours is None:
                same = "NO (ours varied between runs)"
            else:
                same = "yes" if ours == ref else "NO"
        best = min(walls)
        print(
            "%-15s %9.3f %9.3f %9.3f %11s %6s %s"
            % (
                name,
                best,
                statistics.median(walls),
                min(cpus),
                h_s,
                "yes" if best <= TARGET else "no",
                same,
            )
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
