"""Benchmark of ganeti-rapi (HTTPS) in front of ganeti-masterd, one-node root.

Prints: GET /2/instances?bulk=1 with 1,000 instances (median, p90), GET
/2/info (median), and 50 concurrent keep-alive clients doing GET
/2/instances/NAME for 10 s (requests/s, p50, p99).  Everything runs on the
loopback; no pass/fail.  Usage: .venv/bin/python test/bench/bench_rapi.py
[--instances N] [--clients N] [--seconds S]
"""

import argparse
import os
import ssl
import statistics
import sys
import threading
import time
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "..", "lib"), os.path.join(HERE, "..", "py")]

import rapi_daemon_helper as rdh  # noqa: E402


def _conn(port: int) -> http.client.HTTPSConnection:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)


def _get(conn, path: str) -> bytes:
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        raise RuntimeError("%s -> %d %s" % (path, resp.status, body[:200]))
    return body


def _timed(conn, path: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        _get(conn, path)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _pct(values: list[float], pct: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * pct / 100))]


def concurrent(port: int, names: list[str], clients: int, seconds: float) -> dict:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop = time.monotonic() + seconds
    barrier = threading.Barrier(clients)

    def worker(idx: int) -> None:
        conn = _conn(port)
        barrier.wait()
        i = idx
        while time.monotonic() < stop:
            path = "/2/instances/%s" % names[i % len(names)]
            i += clients
            start = time.perf_counter()
            try:
                _get(conn, path)
            except (OSError, RuntimeError, http.client.HTTPException):
                errors[idx] += 1
                conn.close()
                conn = _conn(port)
                continue
            latencies[idx].append((time.perf_counter() - start) * 1000)
        conn.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    begin = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - begin
    flat = [v for per in latencies for v in per]
    return {
        "requests": len(flat),
        "errors": sum(errors),
        "rps": len(flat) / elapsed,
        "p50": _pct(flat, 50) if flat else 0.0,
        "p99": _pct(flat, 99) if flat else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    opts = parser.parse_args()
    setup = rdh.RapiSetup(instances=opts.instances, extra_args=("--max-clients", "64"))
    setup.start()
    try:
        conn = _conn(setup.port)
        _get(conn, "/2/info")
        body = _get(conn, "/2/instances?bulk=1")
        import json

        names = [i["name"] for i in json.loads(body)]
        print("instances: %d, bulk answer %d KiB" % (len(names), len(body) // 1024))
        bulk = _timed(conn, "/2/instances?bulk=1", 30)
        print(
            "GET /2/instances?bulk=1 (%d instances): median %.1f ms, p90 %.1f ms, min %.1f ms"
            "  [target <= 80 ms; Ganeti 3.0: 234 ms]"
            % (len(names), statistics.median(bulk), _pct(bulk, 90), min(bulk))
        )
        info = _timed(conn, "/2/info", 200)
        print(
            "GET /2/info: median %.2f ms, p99 %.2f ms  [target median <= 5 ms]"
            % (statistics.median(info), _pct(info, 99))
        )
        one = _timed(conn, "/2/instances/%s" % names[0], 200)
        print("GET /2/instances/NAME (one client): median %.2f ms" % statistics.median(one))
        conn.close()
        res = concurrent(setup.port, names, opts.clients, opts.seconds)
        print(
            "%d clients x %.0f s GET /2/instances/NAME (keep-alive HTTPS): %d requests,"
            " %.0f req/s, p50 %.1f ms, p99 %.1f ms, %d errors"
            % (opts.clients, opts.seconds, res["requests"], res["rps"], res["p50"], res["p99"],
               res["errors"])
        )  # fmt: skip
    finally:
        setup.stop()


if __name__ == "__main__":
    main()
