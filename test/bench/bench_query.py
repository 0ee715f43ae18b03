"""Benchmark: query2 over a large synthetic cluster (prints figures only).

Run: .venv/bin/python test/bench/bench_query.py
"""

import time
from types import SimpleNamespace as NS

from ganeti import constants, qlang, query

N_INSTANCES = 10000
N_NODES = 500


def _cluster():
    return NS(
        master_node="n0", ndparams=dict(constants.NDC_DEFAULTS),
        hvparams={h: dict(p) for (h, p) in constants.HVC_DEFAULTS.items()}, os_hvp={},
        beparams={"default": dict(constants.BEC_DEFAULTS)}, osparams={},
        nicparams={"default": dict(constants.NICC_DEFAULTS)}, enabled_user_shutdown=False,
    )  # fmt: skip


def _data():
    nodes = {
        "n%d" % i: NS(name="node%d.example.com" % i, uuid="n%d" % i, group="g", offline=False,
                      vm_capable=True, master_candidate=i < 10, drained=False, ndparams={})
        for i in range(N_NODES)
    }  # fmt: skip
    disks, instances = {}, []
    for i in range(N_INSTANCES):
        pnode, snode = "n%d" % (i % N_NODES), "n%d" % ((i + 1) % N_NODES)
        disks["d%d" % i] = NS(uuid="d%d" % i, size=10240, nodes=[pnode, snode], dev_type="drbd")
        instances.append(
            NS(name="inst%d.example.com" % i, uuid="i%d" % i, primary_node=pnode, os="debian",
               hypervisor="kvm", hvparams={}, beparams={"maxmem": 1024}, osparams={},
               admin_state="up", nics=[NS(mac="aa:00:00:00:%02x:%02x" % (i // 256 % 256, i % 256),
               ip=None, network=None, nicparams={}, uuid="nic%d" % i)], disks=["d%d" % i],
               disk_template="drbd", tags=[], serial_no=1, ctime=1.0, mtime=1.0)
        )  # fmt: skip
    live = {inst.uuid: {"state": 0, "memory": 1024, "vcpus": 1} for inst in instances}
    return query.InstanceQueryData(
        instances=instances, cluster=_cluster(), nodes=nodes, groups={"g": NS(name="default")},
        disks=disks, live_data=live,
    )  # fmt: skip


def _time(label, fn, repeat=3):
    best = min(_once(fn) for _ in range(repeat))
    print("%-58s %8.1f ms" % (label, best * 1000))


def _once(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    ctx = _data()
    default = ["name", "os", "pnode", "status", "oper_ram"]
    wide = default + ["snodes", "disk.sizes", "nic.macs", "be/maxmem", "hv/kernel_path",
                      "nic.mode/0", "disk_usage", "tags", "admin_state"]  # fmt: skip
    print("instances: %d, nodes: %d" % (N_INSTANCES, N_NODES))
    _time(
        "gnt-instance list (5 default fields)",
        lambda: query.Query(query.INSTANCE_FIELDS, default).query(ctx),
    )
    _time(
        "14 fields incl. params and indexed",
        lambda: query.Query(query.INSTANCE_FIELDS, wide).query(ctx),
    )
    flt = qlang.parse_filter('pnode =* "node1*" and status == "running" and not "x" in tags')
    _time(
        "5 fields, 3-condition filter",
        lambda: query.Query(query.INSTANCE_FIELDS, default, flt).query(ctx),
    )
    names = qlang.make_simple_filter("name", ["inst%d" % i for i in range(50)])
    _time(
        "name filter with 50 names",
        lambda: query.Query(query.INSTANCE_FIELDS, ["name"], names).query(ctx),
    )
    _time(
        "parse_filter (warm), 1000 times",
        lambda: [qlang.parse_filter('a == "x" and (b or c > 1)') for _ in range(1000)],
        1,
    )


if __name__ == "__main__":
    main()
