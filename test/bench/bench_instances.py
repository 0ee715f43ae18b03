"""Benchmark: instance creation and listing on a 3-node virtual cluster.

Figures (targets of the instance issue in brackets):
  one diskless fake instance add, submit to done          [<= 100 ms]
  N instances created in parallel jobs on 3 nodes (N=1000) [<= 20 s]
  gnt-instance list with N instances                       [<= 0.12 s]
  gnt-instance list with 10,000 instances in the config    [<= 1.5 s]
  masterd RSS with 10,000 instances                        [<= 150 MB]

Needs root (tools/vcluster); prints figures, asserts nothing.
Environment: BENCH_INSTANCES (default 1000), BENCH_BIG (default 10000).

    .venv/bin/python test/bench/bench_instances.py
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))

from test_instances import build_cluster  # noqa: E402
from vcluster_fixture import CHECKOUT, VCluster, unavailable_reason  # noqa: E402

PRELUDE = """
import statistics, subprocess, time
sys.path.insert(0, %(lib)r)
sys.path.insert(0, %(testpy)r)
from ganeti import luxi, opcodes, pathutils
from masterd_helper import wait_job
cl = luxi.Client(pathutils.MASTER_SOCKET)
NODES = %(nodes)r

def create_op(name, node, start=True):
    return opcodes.OpInstanceCreate(
        instance_name=name, disk_template="diskless", os_type="dummy+fast", pnode=node,
        nics=[{}], disks=[], name_check=False, ip_check=False, mode="create",
        beparams={"maxmem": 16}, start=start)
"""

SINGLE = """
times = []
for i in range(10):
    t0 = time.monotonic()
    job = cl.SubmitJob([create_op("single%%d.example.com" %% i, NODES[i %% 3])])
    status, _ = wait_job(cl, job)
    times.append(time.monotonic() - t0)
    assert status == "success", status
print(json.dumps({"median": statistics.median(times), "min": min(times)}))
"""

PARALLEL = """
count = %(count)d
jobs = [[create_op("par%%05d.example.com" %% i, NODES[i %% 3])] for i in range(count)]
t0 = time.monotonic()
ids = [job for ok, job in cl.SubmitManyJobs(jobs) if ok]
failed = count - len(ids)
for job in ids:
    status, _ = wait_job(cl, job, timeout=3600)
    failed += status != "success"
print(json.dumps({"seconds": time.monotonic() - t0, "failed": failed}))
"""

LIST = """
def cli_wall(argv, runs=5):
    walls = []
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        walls.append(time.monotonic() - t0)
    return statistics.median(walls)

def query(fields, runs=5):
    walls = []
    for _ in range(runs):
        t0 = time.monotonic()
        rows = cl.Query("instance", fields, None)["data"]
        walls.append(time.monotonic() - t0)
    return statistics.median(walls), len(rows)

q_live, rows = query(["name", "hypervisor", "os", "pnode", "status", "oper_ram"])
q_static, _ = query(["name", "pnode", "os"])
print(json.dumps({
    "rows": rows,
    "cli_list": cli_wall(["gnt-instance", "list"]),
    "cli_list_static": cli_wall(["gnt-instance", "list", "-o", "name,pnode,os"]),
    "cli_startup": cli_wall(["gnt-instance", "list-fields", "name"]),
    "query_live": q_live,
    "query_static": q_static,
}))
"""

INJECT = """
import uuid as uuid_mod
from ganeti import serializer
from ganeti.utils import io as uio
path = pathutils.CLUSTER_CONF_FILE
data = serializer.loads(open(path, "rb").read())
insts = data["instances"]
template = dict(next(iter(insts.values())))
nodes = list(data["nodes"])
have = len(insts)
for i in range(%(total)d - have):
    uuid = str(uuid_mod.uuid4())
    inst = json.loads(json.dumps(template))
    inst.update(name="big%%05d.example.com" %% i, uuid=uuid, admin_state="down",
                disks_active=False, primary_node=nodes[i %% len(nodes)])
    inst["nics"] = [{"mac": "aa:01:%%02x:%%02x:%%02x:%%02x" %% (
        (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255),
        "nicparams": {}, "uuid": str(uuid_mod.uuid4())}]
    insts[uuid] = inst
data["serial_no"] += 1
uio.write_file(path, serializer.dump_bytes(data), mode=0o640)
print(json.dumps({"instances": len(insts)}))
"""

RSS = """
pid = int(open(pathutils.daemon_pid_file("ganeti-masterd")).read())
for line in open("/proc/%%d/status" %% pid):
    if line.startswith("VmRSS:"):
        print(json.dumps({"rss_mb": int(line.split()[1]) / 1024.0}))
"""


def run(vc: VCluster, code: str, **values) -> dict:
    values.update(
        lib=os.path.join(CHECKOUT, "lib"),
        testpy=os.path.join(CHECKOUT, "test", "py"),
        nodes=vc.names,
    )
    return vc.python(1, (PRELUDE % values) + (code % values))


def restart_master(vc: VCluster) -> None:
    vc.exec(1, "sh", "-c", "kill $(cat /run/ganeti/ganeti-masterd.pid)")
    vc.exec(1, "sh", "-c", "while [ -e /run/ganeti/ganeti-masterd.pid ]; do sleep 0.1; done")


def main() -> int:
    reason = unavailable_reason()
    if reason:
        print("bench_instances: skipped: %s" % reason)
        return 0
    count = int(os.environ.get("BENCH_INSTANCES", "1000"))
    big = int(os.environ.get("BENCH_BIG", "10000"))
    vc = VCluster(nodes=3, sshd=True)
    vc.up()
    try:
        build_cluster(vc)
        single = run(vc, SINGLE)
        print("one diskless add, submit to done: median %.1f ms, best %.1f ms  [<= 100 ms]"
              % (single["median"] * 1000, single["min"] * 1000))  # fmt: skip
        par = run(vc, PARALLEL, count=count)
        print("%d instances in parallel jobs on 3 nodes: %.1f s (%.1f ms each), %d failed"
              "  [1000 <= 20 s]" % (count, par["seconds"], par["seconds"] * 1000 / count,
                                    par["failed"]))  # fmt: skip
        listing = run(vc, LIST)
        print("gnt-instance list, %d instances: %.3f s (static fields %.3f s; CLI start-up"
              " alone %.3f s; luxi query %.3f s live, %.3f s static)  [1000 <= 0.12 s]"
              % (listing["rows"], listing["cli_list"], listing["cli_list_static"],
                 listing["cli_startup"], listing["query_live"], listing["query_static"]))  # fmt: skip
        restart_master(vc)
        injected = run(vc, INJECT, total=big)
        vc.exec(1, "ganeti-masterd")
        listing = run(vc, LIST)
        rss = run(vc, RSS)
        print("gnt-instance list, %d instances in the config: %.3f s (luxi query %.3f s)"
              "  [<= 1.5 s]" % (injected["instances"], listing["cli_list"],
                                listing["query_live"]))  # fmt: skip
        print("masterd RSS with %d instances: %.0f MB  [<= 150 MB]"
              % (injected["instances"], rss["rss_mb"]))  # fmt: skip
        print(json.dumps({"single": single, "parallel": par, "list": listing, "rss": rss}))
    finally:
        vc.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
