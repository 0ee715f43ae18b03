"""The iallocator protocol, run against Debian's real hail when present."""

import os

import pytest

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import iallocator
from ganeti import pathutils
from ganeti import serializer

import testutils_config

HAIL = "/usr/lib/ganeti/3.0/usr/lib/ganeti/iallocators/hail"


@pytest.fixture
def cfg(tmp_path):
    old = pathutils.get_root()
    node = "node1.example.com"
    testutils_config.make_test_cluster(str(tmp_path), node_name=node, extra_nodes=2, instances=3)
    pathutils.set_root(str(tmp_path))
    try:
        yield config.ConfigWriter(accept_foreign=True)
    finally:
        pathutils.set_root(old)


def _live(cfg, free=8192, dfree=100000):
    return {
        uuid: {
            "mtotal": 16384,
            "mnode": 1024,
            "mfree": free,
            "dtotal": 200000,
            "dfree": dfree,
            "ctotal": 4,
            "cnos": 1,
        }
        for uuid in cfg.get_node_list()
    }


def _alloc_request(name="new1.example.com", template=constants.DT_FILE, memory=512):
    return dict(
        name=name,
        memory=memory,
        disks=[{"size": 1024, "mode": "rw"}],
        disk_template=template,
        os="dummy",
        vcpus=1,
        nics=[{"mac": "aa:00:00:11:22:33", "ip": None, "mode": "bridged", "link": "br0"}],
        hypervisor=constants.HT_FAKE,
        tags=[],
    )


def test_input_shape(cfg):
    ia = iallocator.IAllocator(
        cfg, None, iallocator.MODE_ALLOC, live_nodes=_live(cfg), **_alloc_request()
    )
    data = ia.build_input()
    assert data["version"] == constants.IALLOCATOR_VERSION
    assert set(data) >= {
        "cluster_name",
        "cluster_tags",
        "enabled_hypervisors",
        "ipolicy",
        "nodegroups",
        "nodes",
        "instances",
        "request",
    }
    req = data["request"]
    assert (
        req["type"] == "allocate" and req["required_nodes"] == 1 and req["disk_space_total"] == 1024
    )
    node = next(iter(data["nodes"].values()))
    for key in (
        "total_memory",
        "free_memory",
        "total_disk",
        "free_disk",
        "total_cpus",
        "i_pri_memory",
        "i_pri_up_memory",
        "group",
        "ndparams",
    ):
        assert key in node
    inst = next(iter(data["instances"].values()))
    for key in (
        "admin_state",
        "vcpus",
        "memory",
        "nodes",
        "disks",
        "nics",
        "disk_template",
        "disk_space_total",
        "spindle_use",
    ):
        assert key in inst
    drbd = iallocator.IAllocator(
        cfg, None, iallocator.MODE_ALLOC, live_nodes=_live(cfg), **_alloc_request(template="drbd")
    )
    assert drbd.build_input()["request"]["disk_space_total"] == 1024 + 128


@pytest.mark.skipif(
    not os.access(HAIL, os.X_OK), reason="Debian's hail (ganeti-htools-3.0) is not installed"
)
def test_real_hail_allocates(cfg):
    ia = iallocator.IAllocator(
        cfg, None, iallocator.MODE_ALLOC, live_nodes=_live(cfg), **_alloc_request()
    )
    result = ia.run("hail")
    assert ia.success, ia.info
    names = {n.name for n in cfg.get_all_nodes_info().values()}
    assert len(result) == 1 and result[0] in names
    # no room anywhere: hail says no, with a reason
    ia = iallocator.IAllocator(
        cfg,
        None,
        iallocator.MODE_ALLOC,
        live_nodes=_live(cfg, free=100),
        **_alloc_request(memory=4096),
    )
    ia.run("hail")
    assert not ia.success and ia.info


@pytest.mark.skipif(
    not os.access(HAIL, os.X_OK), reason="Debian's hail (ganeti-htools-3.0) is not installed"
)
def test_real_hail_multi_allocate(cfg):
    reqs = [_alloc_request(name="m%d.example.com" % i) for i in range(3)]
    ia = iallocator.IAllocator(
        cfg, None, iallocator.MODE_MULTI_ALLOC, live_nodes=_live(cfg), instances=reqs
    )
    ok, failed = ia.run("hail")
    assert ia.success and not failed and len(ok) == 3


def test_missing_script_and_bad_output(cfg, tmp_path):
    ia = iallocator.IAllocator(
        cfg, None, iallocator.MODE_ALLOC, live_nodes=_live(cfg), **_alloc_request()
    )
    with pytest.raises(errors.OpExecError):
        ia.run("no-such-allocator")
    script_dir = pathutils.IALLOCATOR_SEARCH_PATH[0]
    os.makedirs(script_dir, exist_ok=True)
    bad = os.path.join(script_dir, "badalloc")
    with open(bad, "w") as fh:
        fh.write("#!/bin/sh\necho '{\"success\": true, \"info\": \"x\"}'\n")
    os.chmod(bad, 0o755)
    with pytest.raises(errors.OpExecError, match="missing key"):
        ia.run("badalloc")
    with open(bad, "w") as fh:
        fh.write(
            "#!/bin/sh\necho '%s'\n"
            % serializer.dumps({"success": True, "info": "", "result": ["a", "b"]})
        )
    with pytest.raises(errors.OpExecError, match="invalid result"):
        ia.run("badalloc")
    with pytest.raises(errors.OpPrereqError):
        iallocator.IAllocator(cfg, None, "bogus-mode")
