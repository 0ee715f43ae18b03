"""Benchmark: no-op RPC (``version``) to all nodes of a 3-node virtual cluster.

Prints the latency of one parallel call to the three node daemons (median,
p90, p99 over many calls on kept-alive connections, plus the first call that
pays the TLS handshakes) and each noded's resident memory (with its default
memory locking).  Targets: median <= 5 ms, RSS <= 30 MB (Ganeti's noded:
36 MB).  Needs root (network namespaces); prints figures, no pass/fail.

    .venv/bin/python test/bench/bench_rpc.py [--calls N] [--nodes N]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))

from vcluster_fixture import VCluster, unavailable_reason  # noqa: E402

CLIENT = """
import time, statistics
from ganeti.rpc import client
runner = client.RpcRunner(client.dns_resolver)
nodes = %(nodes)r
t = time.perf_counter()
first = runner.call_version(nodes)
cold = time.perf_counter() - t
assert all(r.fail_msg is None for r in first.values()), first
for _ in range(50):
    runner.call_version(nodes)
times = []
for _ in range(%(calls)d):
    t = time.perf_counter()
    res = runner.call_version(nodes)
    times.append(time.perf_counter() - t)
    if any(r.fail_msg for r in res.values()):
        raise SystemExit("call failed: %%r" %% res)
times.sort()
one = []
for _ in range(%(calls)d):
    t = time.perf_counter()
    runner.call_version(nodes[:1])
    one.append(time.perf_counter() - t)
one.sort()
# exercise the heavier procedures too, so the RSS figure is not a best case
from ganeti import constants as c
runner.call_node_info(nodes, [["file", "/srv/ganeti/file-storage", []]], [["fake", {}]])
checks = {c.NV_CLIENT_CERT: None, c.NV_VERSION: None, c.NV_TIME: None, c.NV_HYPERVISOR: ["fake"],
          c.NV_FILELIST: ["/etc/hosts"], c.NV_NODESETUP: None}
for r in runner.call_node_verify(nodes, checks, "cluster", {}).values():
    assert r.fail_msg is None, r.fail_msg
q = lambda xs, f: xs[min(len(xs) - 1, int(len(xs) * f))] * 1000
print(json.dumps({"cold_ms": cold * 1000, "median_ms": statistics.median(times) * 1000,
                  "p90_ms": q(times, 0.9), "p99_ms": q(times, 0.99), "min_ms": times[0] * 1000,
                  "one_node_median_ms": statistics.median(one) * 1000}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=3)
    opts = parser.parse_args()
    reason = unavailable_reason()
    if reason:
        print("bench_rpc: skipped: %s" % reason)
        return 0
    vc = VCluster(nodes=opts.nodes, prefix="b%d" % (os.getpid() % 100000))
    vc.up()
    try:
        vc.install_certs()
        for k in range(1, opts.nodes + 1):
            vc.start_noded(k)
        rss_idle = [vc.noded_rss_kib(k) / 1024.0 for k in range(1, opts.nodes + 1)]
        res = vc.python(1, CLIENT % {"nodes": vc.names, "calls": opts.calls})
        rss = [vc.noded_rss_kib(k) / 1024.0 for k in range(1, opts.nodes + 1)]
    finally:
        vc.down()
    print(
        "bench_rpc: no-op RPC (version) to %d nodes in parallel, %d calls"
        % (opts.nodes, opts.calls)
    )
    print("  first call (TLS handshakes): %.2f ms" % res["cold_ms"])
    print(
        "  kept-alive: median %.2f ms  p90 %.2f ms  p99 %.2f ms  min %.2f ms   (target median <= 5 ms)"
        % (res["median_ms"], res["p90_ms"], res["p99_ms"], res["min_ms"])
    )
    print("  one node:   median %.2f ms" % res["one_node_median_ms"])
    print(
        "  noded RSS: idle %s MB, after the run (incl. node_info, node_verify) %s MB   (target <= 30 MB; Ganeti's noded: 36 MB)"
        % (" / ".join("%.1f" % r for r in rss_idle), " / ".join("%.1f" % r for r in rss))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
