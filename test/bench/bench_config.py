"""Benchmark of ConfigWriter at scale: load, save, ssconf, verify, lookups.

Builds a cluster of 10,000 instances (one NIC and one file disk each) on 40
nodes in a temporary directory and prints medians.  Target: one save
(update of one object: serialize + atomic write + fsync) <= 100 ms.

Run: .venv/bin/python test/bench/bench_config.py [instances]
"""

import os
import statistics
import sys
import tempfile
import time

sys.path[:0] = [
    os.path.join(os.path.dirname(__file__), "..", "..", "lib"),
    os.path.join(os.path.dirname(__file__), "..", "py"),
]

from ganeti import config, serializer  # noqa: E402
from ganeti.config import ssconf_values  # noqa: E402
from testutils_config import make_test_cluster_dict  # noqa: E402


def _build(path: str, n_instances: int, n_nodes: int) -> None:
    data = make_test_cluster_dict(extra_nodes=n_nodes - 1, instances=n_instances)
    for idx, (uuid, inst) in enumerate(data["instances"].items()):
        disk_uuid = "d%07d-0000-4000-8000-000000000000" % idx
        node = inst["primary_node"]
        data["disks"][disk_uuid] = {
            "uuid": disk_uuid,
            "dev_type": "file",
            "logical_id": [
                "loop",
                "/srv/ganeti/file-storage/%s/%s.file.disk0" % (inst["name"], uuid),
            ],
            "nodes": [node],
            "iv_name": "disk/0",
            "size": 10240,
            "mode": "rw",
            "params": {},
            "children": [],
            "serial_no": 1,
            "ctime": inst["ctime"],
            "mtime": inst["mtime"],
        }
        inst["disks"] = [disk_uuid]
        inst["beparams"] = {"maxmem": 1024, "minmem": 512}
        inst["tags"] = ["env:prod", "team:%d" % (idx % 17)]
    data["cluster"]["enabled_disk_templates"] = ["file", "diskless"]
    with open(path, "wb") as fh:
        fh.write(serializer.dump_bytes(data))


def _median_ms(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    n_instances = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "config.data")
        _build(path, n_instances, 40)
        size = os.path.getsize(path)
        print(
            "config.data: %d instances, %d disks, 40 nodes, %.1f MB"
            % (n_instances, n_instances, size / 1e6)
        )

        holder = {}

        def load():
            holder["cfg"] = config.ConfigWriter(path, accept_foreign=True)

        med, worst = _median_ms(load, 3)
        print(
            "load (read+parse+objects+upgrade+caches): median %7.1f ms  max %7.1f ms" % (med, worst)
        )
        cfg = holder["cfg"]
        uuids = cfg.get_instance_list()
        counter = iter(range(10**9))

        def save_instance():
            inst = cfg.get_instance_info(uuids[next(counter) % len(uuids)])
            inst.beparams["vcpus"] = 2
            cfg.update(inst)

        med, worst = _median_ms(save_instance, 30)
        print(
            "save after update(instance):               median %7.1f ms  max %7.1f ms"
            % (med, worst)
        )

        def serialize_only():
            cfg._mark("instances", uuids[next(counter) % len(uuids)])
            cfg._serialize()

        med, worst = _median_ms(serialize_only, 30)
        print(
            "  of which serialization (one dirty object): median %7.1f ms  max %7.1f ms"
            % (med, worst)
        )

        def save_node():
            cfg.update(cfg.get_node_info(cfg.get_master_node()))

        med, worst = _median_ms(save_node, 10)
        print(
            "save after update(node) (+ssconf refresh):  median %7.1f ms  max %7.1f ms"
            % (med, worst)
        )

        cfg.set_save_hook(lambda data, ss: None)
        med, worst = _median_ms(save_instance, 30)
        print(
            "save with a save hook set:                 median %7.1f ms  max %7.1f ms"
            % (med, worst)
        )
        cfg.set_save_hook(None)

        def admin_state():
            uuid = uuids[next(counter) % len(uuids)]
            cfg.mark_instance_down(uuid)

        med, worst = _median_ms(admin_state, 30)
        print(
            "mark_instance_down (one save):             median %7.1f ms  max %7.1f ms"
            % (med, worst)
        )

        def ssconf_uncached():
            ssconf_values.compute_ssconf_values(cfg._data)

        med, worst = _median_ms(ssconf_uncached, 5)
        print(
            "get_ssconf_values, computed:               median %7.1f ms  max %7.1f ms"
            % (med, worst)
        )
        med, worst = _median_ms(cfg.get_ssconf_values, 20)
        print(
            "get_ssconf_values, cached (same serial):   median %7.1f ms  max %7.1f ms"
            % (med, worst)
        )
        med, worst = _median_ms(cfg.verify_config, 3)
        print(
            "verify_config:                             median %7.1f ms  max %7.1f ms"
            % (med, worst)
        )
        med, worst = _median_ms(lambda: cfg.expand_instance_name("inst5000"), 100)
        print(
            "expand_instance_name:                      median %7.3f ms  max %7.3f ms"
            % (med, worst)
        )

        def full_serialize():
            serializer.dump_bytes(cfg._data.to_dict())

        med, worst = _median_ms(full_serialize, 3)
        print(
            "(for comparison) uncached to_dict+dump:    median %7.1f ms  max %7.1f ms"
            % (med, worst)
        )


if __name__ == "__main__":
    main()
