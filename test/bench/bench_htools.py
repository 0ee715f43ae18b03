#!/usr/bin/env python3
"""Benchmark: our htools against Ganeti's Haskell htools, same inputs.

Generates clusters of the given sizes, runs hbal (-l N), hail (allocate drbd
and plain, evacuate) and hinfo with both implementations, checks the outputs
are identical and prints wall times and the ratio ours/Haskell.

Usage: bench_htools.py [--sizes 20,100] [--hbal-moves 5] [--timeout 300]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "htools")
HBIN = "/usr/lib/ganeti/3.0/usr/bin"
HHAIL = "/usr/lib/ganeti/3.0/usr/lib/ganeti/iallocators/hail"


def timed(cmd, timeout):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout)
        out = (p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired:
        out = None
    return time.time() - t0, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="20,100")
    ap.add_argument("--hbal-moves", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    have_h = os.access(os.path.join(HBIN, "htools"), os.X_OK)
    tmp = tempfile.mkdtemp(prefix="bench-htools-")
    print("%-6s %-22s %10s %10s %7s %s" % ("nodes", "case", "haskell_s",
                                           "ours_s", "ratio", "same"))
    for size in [int(x) for x in a.sizes.split(",")]:
        data = os.path.join(tmp, "c%d.data" % size)
        subprocess.run([sys.executable, os.path.join(SHARED, "gen_cluster.py"),
                        "--nodes", str(size), "--instances", str(size * 8),
                        "-o", data], check=True, capture_output=True)
        subprocess.run([sys.executable, os.path.join(SHARED, "gen_ialloc.py"),
                        data, "--outdir", tmp], check=True,
                       capture_output=True)
        group = [] if size < 50 else ["-G", "group-02"]
        cases = [
            ("hinfo", "hinfo", ["-t", data]),
            ("hbal -l%d" % a.hbal_moves, "hbal",
             ["-t", data, "-l", str(a.hbal_moves)] + group),
            ("hail alloc-plain", "hail",
             [os.path.join(tmp, "c%d-alloc-plain.json" % size)]),
            ("hail alloc-drbd", "hail",
             [os.path.join(tmp, "c%d-alloc-drbd.json" % size)]),
            ("hail evac-sec", "hail",
             [os.path.join(tmp, "c%d-evac-sec.json" % size)]),
        ]
        for label, tool, args in cases:
            ours_cmd = [os.path.join(ROOT, "scripts", tool)] + args
            t_o, r_o = timed(ours_cmd, a.timeout)
            if have_h:
                hcmd = [HHAIL if tool == "hail" else
                        os.path.join(HBIN, tool)] + args
                t_h, r_h = timed(hcmd, a.timeout)
            else:
                t_h, r_h = float("nan"), None
            same = "n/a" if r_h is None or r_o is None else \
                ("yes" if r_h == r_o else "NO")
            hs = "timeout" if have_h and r_h is None else "%.2f" % t_h
            os_ = "timeout" if r_o is None else "%.2f" % t_o
            ratio = t_o / t_h if r_h is not None and r_o is not None \
                and t_h > 0 else float("nan")
            print("%-6d %-22s %10s %10s %7.2f %s" % (size, label, hs, os_,
                                                     ratio, same))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
