"""Instance storage and the fake hypervisor on a 2-node virtual cluster, over RPC.

A sharedfile disk made on node 1 is seen by node 2; a fake instance runs
on node 1, migrates to node 2 and survives node 2's daemon restart; then
everything is removed.  Calls go from node 1 with disks and instances
encoded as the master would (plain dicts here: there is no config).
"""

import os
import subprocess

import pytest

from vcluster_fixture import VCluster, unavailable_reason

pytestmark = pytest.mark.cluster

_SKIP = unavailable_reason()


@pytest.fixture(scope="module")
def vc():
    if _SKIP:
        pytest.skip(_SKIP)
    cluster = VCluster(nodes=2)
    cluster.up()
    try:
        cluster.install_certs()
        for k in (1, 2):
            cluster.start_noded(k)
        yield cluster
    finally:
        cluster.down()
        leftovers = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert not [ln for ln in leftovers.splitlines() if ln.startswith(cluster.prefix + "-")]


PRELUDE = """
from ganeti.rpc import client, defs
same = lambda v: v
enc = {e: same for e in (defs.ED_INST_DICT, defs.ED_INST_DICT_HVP_BEP_DP,
                         defs.ED_SINGLE_DISK_DICT_DP, defs.ED_MULTI_DISKS_DICT_DP)}
runner = client.RpcRunner(client.dns_resolver, encoders=enc)
n1, n2 = %(nodes)r
pid = %(pid)d
d = "/srv/ganeti/shared-file-storage/vc-inst-%%d" %% pid
disk = {"uuid": "vc-d0", "dev_type": "sharedfile", "logical_id": ["loop", d + "/disk0"],
        "size": 8, "iv_name": "disk/0", "mode": "rw", "params": {}}
inst = {"name": "vc-inst.example.com", "uuid": "vc-i", "hypervisor": "fake", "os": "",
        "hvparams": {"migration_mode": "live"}, "beparams": {"maxmem": 64, "vcpus": 1},
        "osparams": {}, "osparams_private": {}, "nics": [], "disks": ["vc-d0"],
        "disks_info": [disk], "secondary_nodes": []}
def ok(res):
    res.raise_error()
    return res.payload
def listed(node):
    return ok(runner.call_instance_list([node], ["fake"], {"fake": {}})[node])
"""

SETUP = """
ok(runner.call_file_storage_dir_create(n1, d))
out = {"created": ok(runner.call_blockdev_create(n1, disk, 8, inst["name"], True, "", False))}
out["seen_on_n2"] = ok(runner.call_blockdev_find(n2, disk)) is not None
out["dims_n2"] = ok(runner.call_blockdev_getdimensions(n2, [disk]))
out["assembled"] = ok(runner.call_blockdev_assemble(n1, disk, inst, True, 0))
ok(runner.call_instance_start(n1, inst, False, None))
out["n1"], out["n2"] = listed(n1), listed(n2)
ok(runner.call_blockdev_assemble(n2, disk, inst, True, 0))
info = ok(runner.call_migration_info(n1, inst))
ok(runner.call_accept_instance(n2, inst, info, "198.51.100.2"))
ok(runner.call_instance_migrate(n1, "cluster", inst, "198.51.100.2", True))
ok(runner.call_instance_finalize_migration_dst(n2, inst, info, True))
ok(runner.call_instance_finalize_migration_src(n1, inst, True, True))
ok(runner.call_instance_shutdown(n1, inst, 5, None))
out["after_n1"], out["after_n2"] = listed(n1), listed(n2)
print(json.dumps(out))
"""

TEARDOWN = """
out = {"n2": ok(runner.call_all_instances_info([n2], ["fake"], {"fake": {}})[n2])}
ok(runner.call_instance_shutdown(n2, inst, 5, None))
out["n2_after"] = listed(n2)
ok(runner.call_blockdev_shutdown(n2, disk))
ok(runner.call_blockdev_remove(n1, disk))
out["found_n2"] = ok(runner.call_blockdev_find(n2, disk))
ok(runner.call_file_storage_dir_remove(n2, d))
import os
out["dir_left"] = os.path.exists(d)
print(json.dumps(out))
"""


def test_sharedfile_disk_and_fake_instance_across_nodes(vc):
    args = {"nodes": vc.names, "pid": os.getpid()}
    out = vc.python(1, PRELUDE % args + SETUP)
    path = "/srv/ganeti/shared-file-storage/vc-inst-%d/disk0" % os.getpid()
    assert out["created"] == ["loop", path]
    assert out["seen_on_n2"] is True and out["dims_n2"] == [[8 * 1024 * 1024, None]]
    assert out["assembled"] == [path, "/var/run/ganeti/instance-disks/vc-inst.example.com:0", None]
    assert out["n1"] == ["vc-inst.example.com"] and out["n2"] == []
    assert out["after_n1"] == [] and out["after_n2"] == ["vc-inst.example.com"]
    # node 2's daemon restarts: its fake instance is still running and reported
    vc.exec(2, "kill", str(vc.noded_pid(2)))
    for _ in range(100):
        if vc.exec(2, "test", "-e", "/run/ganeti/ganeti-noded.pid", check=False).returncode:
            break
        subprocess.run(["sleep", "0.1"], check=True)
    vc.start_noded(2)
    out = vc.python(1, PRELUDE % args + TEARDOWN)
    assert out["n2"]["vc-inst.example.com"]["memory"] == 64
    assert out["n2_after"] == []
    assert out["found_n2"] is None and out["dir_left"] is False
