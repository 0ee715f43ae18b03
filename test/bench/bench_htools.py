#!/usr/bin/env python3
"""Benchmark: our htools against Ganeti's Haskell htools, same inputs.

Generates clusters of the given sizes (8 instances per node; two node
groups from 50 nodes on), runs hinfo, hbal, hail, hspace and hcheck with
both implementations in the same run, checks the outputs are identical and
prints wall times and the ratio ours/Haskell (below 1: ours is faster).
A run that exceeds --timeout is shown as "timeout" (the reference needs
minutes per hbal move from 500 nodes on, and its capacity checks grow with
the cube of the node count).

Usage: bench_htools.py [--sizes 20,100,500,1000] [--timeout 300]
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
NC = "--no-capacity-checks"


def timed(cmd, timeout):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout)
        out = (p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired:
        out = None
    return time.time() - t0, out


def cases(size: int, data: str, tmp: str) -> list:
    def req(name):
        return os.path.join(tmp, "c%d-%s.json" % (size, name))
    group = [] if size < 50 else ["-G", "group-02"]
    out = [("hinfo", "hinfo", ["-t", data])]
    if size <= 20:
        out += [("hbal (full)", "hbal", ["-t", data]),
                ("hbal --no-disk-moves", "hbal",
                 ["-t", data, "--no-disk-moves"]),
                ("hspace", "hspace", ["-t", data]),
                ("hspace -m (no cap)", "hspace",
                 ["-t", data, NC, "--machine-readable"]),
                ("hcheck", "hcheck", ["-t", data]),
                ("hail alloc-drbd", "hail", [req("alloc-drbd")])]
    elif size <= 100:
        out += [("hbal -l 10", "hbal", ["-t", data, "-l", "10"] + group),
                ("hspace -l 30 (no cap)", "hspace",
                 ["-t", data, NC, "-l", "30", "--machine-readable"]),
                ("hcheck --no-sim", "hcheck", ["-t", data, "--no-simulation"]),
                ("hail alloc-plain", "hail", [req("alloc-plain")])]
    else:
        out += [("hbal -l 1", "hbal", ["-t", data, "-l", "1"] + group),
                ("hspace -l 2 (no cap)", "hspace",
                 ["-t", data, NC, "-l", "2", "--machine-readable"])]
    out += [("hail alloc-drbd (no cap)", "hail", [NC, req("alloc-drbd")]),
            ("hail alloc-plain (no cap)", "hail", [NC, req("alloc-plain")]),
            ("hail reloc", "hail", [NC, req("reloc")]),
            ("hail evac-sec", "hail", [NC, req("evac-sec")])]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="20,100,500,1000")
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    have_h = os.access(os.path.join(HBIN, "htools"), os.X_OK)
    tmp = tempfile.mkdtemp(prefix="bench-htools-")
    print("%-6s %-26s %10s %10s %7s %s" % ("nodes", "case", "haskell_s",
                                           "ours_s", "ratio", "same"))
    for size in [int(x) for x in a.sizes.split(",")]:
        data = os.path.join(tmp, "c%d.data" % size)
        subprocess.run([sys.executable, os.path.join(SHARED, "gen_cluster.py"),
                        "--nodes", str(size), "--instances", str(size * 8),
                        "-o", data], check=True, capture_output=True)
        subprocess.run([sys.executable, os.path.join(SHARED, "gen_ialloc.py"),
                        data, "--outdir", tmp], check=True,
                       capture_output=True)
        for label, tool, args in cases(size, data, tmp):
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
            if r_o is not None and have_h and r_h is None:
                ratio = "<%.3f" % (t_o / a.timeout)
            elif r_h is not None and r_o is not None and t_h > 0:
                ratio = "%.2f" % (t_o / t_h)
            else:
                ratio = "nan"
            print("%-6d %-26s %10s %10s %7s %s" % (size, label, hs, os_,
                                                   ratio, same))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
