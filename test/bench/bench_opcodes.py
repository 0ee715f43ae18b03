"""Benchmark: opcode import time and load_op_code + validate throughput.

Prints figures only (no pass/fail).  Run:
    .venv/bin/python test/bench/bench_opcodes.py
"""

import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "lib"))

from ganeti import opcodes, serializer  # noqa: E402

_IMPORT_SNIPPET = """
import sys, time
sys.path.insert(0, %r)
t0 = time.perf_counter()
import %s
print((time.perf_counter() - t0) * 1000.0)
"""


def _import_ms(module: str, env: dict) -> float:
    code = _IMPORT_SNIPPET % (os.path.join(ROOT, "lib"), module)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def bench_import() -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
        cold = _import_ms("ganeti.opcodes", env)
        runs = 7
        warm = min(_import_ms("ganeti.opcodes", env) for _ in range(runs))
        base = min(_import_ms("ganeti.errors", env) for _ in range(runs))
    print("import ganeti.opcodes, cold (compiling .pyc):   %6.1f ms" % cold)
    print("import ganeti.opcodes, warm (best of %d):        %6.1f ms" % (runs, warm))
    print("  of which ganeti.errors + constants (+typing): %6.1f ms" % base)
    print("  ht + opcodes_base + opcodes (75 classes):     %6.1f ms" % (warm - base))


def _per_op_us(fn, count: int) -> float:
    best = None
    for _ in range(5):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None or elapsed < best else best
    return best / count * 1e6


def bench_load_validate() -> None:
    load = opcodes.OpCode.load_op_code
    delay = {"OP_ID": "OP_TEST_DELAY", "duration": 1, "on_nodes": ["node1"], "priority": 0}
    batch = [dict(delay, duration=i % 7) for i in range(1000)]

    def run_batch():
        for data in batch:
            load(data).validate(True)

    us = _per_op_us(run_batch, len(batch))
    print("OP_TEST_DELAY load_op_code+validate:            %6.2f us/op" % us)
    print("  1,000-job batch:                              %6.2f ms" % (us * len(batch) / 1000))

    create = opcodes.OpInstanceCreate(
        instance_name="inst1.example.com",
        mode="create",
        disk_template="plain",
        disks=[{"size": 10240}, {"size": 2048, "mode": "rw"}],
        nics=[{"link": "br0", "ip": None}],
        os_type="debian",
        pnode="node1",
        beparams={"maxmem": 1024},
        tags=["web"],
    ).to_dict()
    creates = [dict(create) for _ in range(1000)]

    def run_creates():
        for data in creates:
            load(data).validate(True)

    print(
        "OP_INSTANCE_CREATE load_op_code+validate:       %6.2f us/op"
        % _per_op_us(run_creates, 1000)
    )

    ops = [load(data) for data in batch]
    for op in ops:
        op.validate(True)

    def run_dump():
        for op in ops:
            serializer.dumps(op.to_dict())

    print(
        "OP_TEST_DELAY to_dict+serializer.dumps:         %6.2f us/op"
        % _per_op_us(run_dump, len(ops))
    )

    def run_summary():
        for op in ops:
            op.summary()

    print(
        "summary():                                      %6.2f us/op"
        % _per_op_us(run_summary, len(ops))
    )


if __name__ == "__main__":
    bench_import()
    bench_load_validate()
