"""Tests of OP_GROUP_VERIFY_DISKS and the verify-disks fan-out, through the
opcode processor with scripted node answers."""

import pytest

from ganeti import constants, errors, pathutils
from ganeti.cmdlib import group_verify

import cmdlib_testutils
import test_cmdlib_instance as tci
from cmdlib_testutils import Harness, fail, ok

GOOD = {
    "dev_path": "/x",
    "major": None,
    "minor": None,
    "sync_percent": None,
    "estimated_time": None,
    "is_degraded": False,
    "ldisk_status": constants.LDS_OKAY,
}


@pytest.fixture
def h(tmp_path, monkeypatch):
    old = pathutils.get_root()
    harness = Harness(str(tmp_path))
    harness.nodes = tci.Nodes(harness)
    submitted = []

    def submit_many_jobs(self, jobs):
        submitted.append(jobs)
        return [[True, 100 + idx] for idx in range(len(jobs))]

    monkeypatch.setattr(cmdlib_testutils.Callbacks, "submit_many_jobs", submit_many_jobs)
    harness.submitted = submitted
    cluster = harness.cfg.get_cluster_info()
    cluster.ipolicy["minmax"][0]["min"].update({"disk-size": 1, "disk-count": 0})
    harness.cfg.update(cluster)
    yield harness
    pathutils.set_root(old)


def _statuses(per_disk):
    """A blockdev_getmirrorstatus_multi answer: ``per_disk(node, disk)`` gives
    each disk's [success, status or message]."""

    def answer(node, node_disks):
        # the fake RPC passes the whole {node: [(disk, inst)]} argument
        mine = node_disks[[u for u in node_disks if h_name(u) == node][0]]
        return ok([per_disk(node, disk) for disk, _ in mine])

    return answer


_NAMES: dict = {}


def h_name(uuid):
    return _NAMES.get(uuid, uuid)


def _verify(h):
    _NAMES.clear()
    _NAMES.update({u: n.name for u, n in h.cfg.get_all_nodes_info().items()})
    return h.run("OpGroupVerifyDisks", group_name="default")


def test_nothing_to_verify_asks_no_node(h):
    tci.create(h)  # diskless
    tci.create(h, "down.example.com", disk_template="file", disks=[{"size": 8}], start=False)
    assert _verify(h) == ({}, [], {})
    assert not h.rpc.called("blockdev_getmirrorstatus_multi")


def test_healthy_missing_faulty_and_broken_node(h):
    tci.create(h, "ok.example.com", disk_template="file", disks=[{"size": 8}])
    tci.create(h, "gone.example.com", disk_template="file", disks=[{"size": 8}, {"size": 8}])
    tci.create(h, "bad.example.com", disk_template="file", disks=[{"size": 8}])
    tci.create(h, "far.example.com", disk_template="file", disks=[{"size": 8}], pnode="node3")
    gone = h.cfg.get_instance_disks(h.cfg.get_instance_info_by_name("gone.example.com").uuid)

    def per_disk(node, disk):
        path = disk.logical_id[1]
        if path == gone[1].logical_id[1]:
            return [False, "Can't find device <file %s>" % path]
        if "/bad.example.com/" in path:
            return [True, dict(GOOD, ldisk_status=constants.LDS_FAULTY)]
        return [True, GOOD]

    h.rpc.answers["blockdev_getmirrorstatus_multi"] = _statuses(per_disk)
    h.rpc.answers[("blockdev_getmirrorstatus_multi", "node3.example.com")] = fail(
        "Connection refused"
    )
    node_errors, offline, missing = _verify(h)
    assert node_errors == {"node3.example.com": "Connection refused"}
    assert offline == ["bad.example.com"]
    assert missing == {"gone.example.com": [["node2.example.com", gone[1].logical_id[1]]]}
    # one (parallel) call to both nodes, each with its own disks
    calls = h.rpc.called("blockdev_getmirrorstatus_multi")
    assert sorted(c[1] for c in calls) == ["node2.example.com", "node3.example.com"]
    assert sorted(len(v) for v in calls[0][2].values()) == [1, 4]
    assert any("node3.example.com" in m for m in h.cbs.messages)


def test_not_assembled_needs_activation_and_degraded_without_sync(h, monkeypatch):
    tci.create(h, "a.example.com", disk_template="file", disks=[{"size": 8}])
    # a device assembled on demand (DRBD) that is not found is not active
    with monkeypatch.context() as m:
        m.setattr(group_verify, "_ASSEMBLED_ON_DEMAND", frozenset([constants.DT_FILE]))
        h.rpc.answers["blockdev_getmirrorstatus_multi"] = _statuses(
            lambda node, d: [False, "Can't find device"]
        )
        assert _verify(h) == ({}, ["a.example.com"], {})
    # resyncing is fine, degraded without a resync is not
    h.rpc.answers["blockdev_getmirrorstatus_multi"] = _statuses(
        lambda node, d: [True, dict(GOOD, is_degraded=True, sync_percent=40.0)]
    )
    assert _verify(h) == ({}, [], {})
    h.rpc.answers["blockdev_getmirrorstatus_multi"] = _statuses(
        lambda node, d: [True, dict(GOOD, is_degraded=True)]
    )
    assert _verify(h) == ({}, ["a.example.com"], {})


def test_unknown_group(h):
    with pytest.raises(errors.OpPrereqError):
        h.run("OpGroupVerifyDisks", group_name="nosuch")


def test_cluster_verify_disks_submits_one_job_per_group(h):
    h.run("OpGroupAdd", group_name="other")
    result = h.run("OpClusterVerifyDisks")
    assert result == {"jobs": [[True, 100], [True, 101]]}
    (jobs,) = h.submitted
    assert [[op.OP_ID for op in job] for job in jobs] == [["OP_GROUP_VERIFY_DISKS"]] * 2
    assert [job[0].group_name for job in jobs] == ["default", "other"]
    h.submitted.clear()
    h.run("OpClusterVerifyDisks", group_name="other")
    assert [job[0].group_name for job in h.submitted[0]] == ["other"]
