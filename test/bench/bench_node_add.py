#!/usr/bin/env python3
"""gnt-node add on a virtual cluster (real sshd per node, real daemons).

Brings up a virtual cluster, runs ``gnt-cluster init`` on node 1, then
times ``gnt-node add`` of every other node (wall clock of the whole
command, and its SSH part as the command reports it); then ``rounds``
times: ``gnt-node remove`` of the last node and ``gnt-node add`` again
(the administrator's re-authorization of the key is not timed).  Also
prints one bare SSH command for comparison (the floor of the SSH part).
Target: gnt-node add <= 5 s.  Usage: bench_node_add.py [--nodes N] [--rounds R]
"""

import argparse
import os
import re
import statistics
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(TOP, "test", "cluster"), os.path.join(TOP, "lib")]

from vcluster_fixture import VCluster, unavailable_reason  # noqa: E402

INIT = [
    "gnt-cluster", "init", "--no-etc-hosts", "--enabled-hypervisors=fake",
    "--enabled-disk-templates=file,diskless", "--master-netdev=eth0", "cluster.example.com",
]  # fmt: skip


def timed(vc: VCluster, k: int, *cmd: str) -> tuple[float, str]:
    start = time.monotonic()
    res = vc.exec(k, *cmd, check=False)
    took = time.monotonic() - start
    out = res.stdout.decode() + res.stderr.decode()
    if res.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), out))
    return took, out


def ssh_part(out: str) -> float | None:
    match = re.search(r"set up in ([0-9.]+) s", out)
    return float(match.group(1)) if match else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason:
        print("skipped: %s" % reason)
        return 0
    vc = VCluster(nodes=args.nodes, prefix="bn%d" % (os.getpid() % 10000), sshd=True)
    vc.up()
    try:
        for k in range(1, args.nodes + 1):
            vc.exec(k, "sh", "-c", "echo /srv/ganeti/file-storage > /etc/ganeti/file-storage-paths")
        took, _ = timed(vc, 1, *INIT)
        print("gnt-cluster init: %.2f s" % took)
        bare, _ = timed(vc, 1, "ssh", "-o", "BatchMode=yes", "node2.%s" % vc.domain, "true")
        print("one bare ssh command (OpenSSH client): %.2f s" % bare)
        adds = []
        for k in range(2, args.nodes + 1):
            took, out = timed(vc, 1, "gnt-node", "add", vc.names[k - 1])
            adds.append(took)
            print(
                "gnt-node add %s: %.2f s (SSH part %.2f s)" % (vc.names[k - 1], took, ssh_part(out))
            )
        last = vc.names[-1]
        key = vc.exec(1, "cat", "/root/.ssh/id_ed25519.pub").stdout
        for _ in range(args.rounds):
            removed, _ = timed(vc, 1, "gnt-node", "remove", last)
            vc.exec(args.nodes, "sh", "-c", "cat >> /root/.ssh/authorized_keys", input_data=key)
            took, out = timed(vc, 1, "gnt-node", "add", last)
            adds.append(took)
            print(
                "gnt-node remove %.2f s, add again %.2f s (SSH part %.2f s)"
                % (removed, took, ssh_part(out))
            )
        took, _ = timed(vc, 1, "gnt-node", "list")
        print("gnt-node list (live figures of %d nodes): %.2f s" % (args.nodes, took))
        print(
            "gnt-node add: median %.2f s, max %.2f s over %d adds (target <= 5 s)"
            % (statistics.median(adds), max(adds), len(adds))
        )
    finally:
        vc.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
