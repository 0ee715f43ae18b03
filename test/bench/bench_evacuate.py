#!/usr/bin/env python3
"""Benchmark: hail's relocate, node-evacuate and change-group, ours
against Ganeti 3.0.2's Haskell hail on the same requests.

Generates clusters of the given sizes (8 instances per node; two node
groups from 50 nodes on) and their allocator requests, runs every request
type with both implementations, checks the answers are identical and
prints the CPU time (user + sys, best of --repeat runs) and the wall time
of each, with the ratio ours/Haskell of the CPU times (below 1: ours is
faster).  CPU time is shown because it is what a loaded machine measures
reliably.  The reference needs O(n^3) per instance for node-evacuate
"all" and change-group (about 15 minutes at 1,000 nodes): runs exceeding
--timeout show as "timeout".

Usage: bench_evacuate.py [--sizes 20,100,500,1000] [--timeout 300]
                         [--repeat 3] [--capacity]
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "htools")
OURS = os.path.join(ROOT, "scripts", "hail")
HASKELL = "/usr/lib/ganeti/3.0/usr/lib/ganeti/iallocators/hail"
TYPES = ("reloc", "evac-sec", "evac-pri", "evac-all", "chgrp-any", "chgrp-g2")


def timed(cmd: list, timeout: float):
    """(cpu seconds, wall seconds, output) of one run; output None on timeout."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        out = (p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired:
        out = None
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return cpu, wall, out


def best(cmd: list, repeat: int, timeout: float):
    runs = []
    for _ in range(repeat):
        cpu, wall, out = timed(cmd, timeout)
        if out is None:
            return None, None, None
        runs.append((cpu, wall, out))
        if wall > 10:
            break
    return min(r[0] for r in runs), min(r[1] for r in runs), runs[0][2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="20,100,500,1000")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--capacity",
        action="store_true",
        help="keep the capacity checks (default: --no-capacity-checks)",
    )
    a = ap.parse_args()
    have_h = os.access(HASKELL, os.X_OK)
    tmp = tempfile.mkdtemp(prefix="bench-evac-")
    flags = [] if a.capacity else ["--no-capacity-checks"]
    print(
        "%-6s %-10s %9s %9s %9s %9s %7s %s"
        % ("nodes", "request", "ours_cpu", "ours_wall", "hs_cpu", "hs_wall", "ratio", "same")
    )
    for size in [int(x) for x in a.sizes.split(",")]:
        data = os.path.join(tmp, "c%d.data" % size)
        subprocess.run(
            [
                sys.executable,
                os.path.join(SHARED, "gen_cluster.py"),
                "--nodes",
                str(size),
                "--instances",
                str(size * 8),
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
        for kind in TYPES:
            req = os.path.join(tmp, "c%d-%s.json" % (size, kind))
            if not os.path.exists(req):
                continue
            o_cpu, o_wall, o_out = best([OURS] + flags + [req], a.repeat, a.timeout)
            if have_h:
                h_cpu, h_wall, h_out = best([HASKELL] + flags + [req], a.repeat, a.timeout)
            else:
                h_cpu = h_wall = h_out = None
            same = "-" if h_out is None or o_out is None else ("yes" if o_out == h_out else "NO")
            ratio = "%.2f" % (o_cpu / h_cpu) if h_cpu and o_cpu is not None else "-"
            print(
                "%-6d %-10s %9s %9s %9s %9s %7s %s"
                % (
                    size,
                    kind,
                    _fmt(o_cpu),
                    _fmt(o_wall),
                    _fmt(h_cpu, have_h),
                    _fmt(h_wall, have_h),
                    ratio,
                    same,
                ),
                flush=True,
            )


def _fmt(x, ran: bool = True) -> str:
    if not ran:
        return "n/a"
    return "timeout" if x is None else "%.3f" % x


if __name__ == "__main__":
    main()
