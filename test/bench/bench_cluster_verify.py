"""Benchmark: ``gnt-cluster verify`` on a 3-node virtual cluster.

Builds the cluster the way an administrator does (gnt-cluster init on node
1, gnt-node add for the others), then times whole ``gnt-cluster verify``
commands run on the master (client start-up, both jobs, every node's
self-check including its SSH and TCP probes), plus ``gnt-cluster init``
and a master failover there and back.  Target: verify <= 2 s.  Needs
root (network namespaces); prints figures, no pass/fail.

    .venv/bin/python test/bench/bench_cluster_verify.py [--runs N] [--nodes N]
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))

from vcluster_fixture import VCluster, unavailable_reason  # noqa: E402

INIT = [
    "gnt-cluster",
    "init",
    "--no-ssh-init",
    "--no-etc-hosts",
    "--enabled-hypervisors=fake",
    "--enabled-disk-templates=file,diskless",
    "--master-netdev=eth0",
    "cluster.example.com",
]


def _timed(vc: VCluster, k: int, *cmd: str) -> tuple[float, int, str]:
    start = time.monotonic()
    res = vc.exec(k, *cmd, check=False)
    return time.monotonic() - start, res.returncode, (res.stdout + res.stderr).decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=3)
    opts = parser.parse_args()
    reason = unavailable_reason()
    if reason:
        print("skipped: %s" % reason)
        return 0
    vc = VCluster(nodes=opts.nodes, sshd=True)
    vc.up()
    try:
        for k in range(1, opts.nodes + 1):
            vc.exec(
                k,
                "sh",
                "-c",
                "echo /srv/ganeti/file-storage > /etc/ganeti/file-storage-paths &&"
                " ip link add xen-br0 type bridge && ip link set xen-br0 up",
            )
        took, rc, out = _timed(vc, 1, *INIT)
        if rc:
            print("init failed:\n%s" % out)
            return 1
        print("gnt-cluster init: %.2f s" % took)
        for k in range(2, opts.nodes + 1):
            took, rc, out = _timed(vc, 1, "gnt-node", "add", "node%d.example.com" % k)
            if rc:
                print("gnt-node add failed:\n%s" % out)
                return 1
            print("gnt-node add node%d: %.2f s" % (k, took))
            if "--new-node-certificates" in out:
                vc.exec(1, "gnt-cluster", "renew-crypto", "--new-node-certificates", "-f")
        times = []
        for _ in range(opts.runs):
            took, rc, out = _timed(vc, 1, "gnt-cluster", "verify")
            if rc:
                print("verify reported problems:\n%s" % out)
            times.append(took)
        times.sort()
        print(
            "gnt-cluster verify, %d nodes, %d runs: median %.2f s, min %.2f s, max %.2f s"
            " (target <= 2 s)"
            % (opts.nodes, opts.runs, statistics.median(times), times[0], times[-1])
        )
        if opts.nodes > 1:
            took, rc, out = _timed(vc, 2, "gnt-cluster", "master-failover")
            print(
                "master-failover to node2: %.2f s%s" % (took, "" if rc == 0 else " FAILED\n" + out)
            )
            took, rc, out = _timed(vc, 1, "gnt-cluster", "master-failover")
            print(
                "master-failover back to node1: %.2f s%s"
                % (took, "" if rc == 0 else " FAILED\n" + out)
            )
    finally:
        vc.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
