"""The luxi backend (-L) against a fake master serving a generated cluster.

The same cluster is given as a text file (-t) and through luxi queries;
hinfo and hbal must print the same with both backends.
"""

import os
import subprocess
import sys

import pytest

from ganeti import constants, pathutils
from ganeti.htools import loader

from conftest import OURS, gen_cluster

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from cli_fake_master import FakeMaster  # noqa: E402

OK = constants.RS_NORMAL


def _spec(s):
    return {
        "memory-size": s.memory_size,
        "cpu-count": s.cpu_count,
        "disk-size": s.disk_size,
        "disk-count": s.disk_count,
        "nic-count": s.nic_count,
        "spindle-use": s.spindle_use,
    }


def _ipolicy(p):
    return {
        "minmax": [{"min": _spec(a), "max": _spec(b)} for a, b in p.minmax],
        "std": _spec(p.std),
        "disk-templates": list(p.disk_templates),
        "vcpu-ratio": p.vcpu_ratio,
        "spindle-ratio": p.spindle_ratio,
    }


def _rows(path):
    cd = loader.parse_text(open(path).read())
    groups = [
        [
            [OK, g.uuid],
            [OK, g.name],
            [OK, g.alloc_policy],
            [OK, _ipolicy(g.ipolicy)],
            [OK, g.tags],
            [OK, g.networks],
        ]
        for g in cd.groups
    ]
    nodes = []
    for n in cd.nodes:
        nodes.append(
            [
                [OK, v]
                for v in (
                    n.name,
                    n.t_mem,
                    n.n_mem,
                    n.f_mem,
                    n.t_dsk,
                    n.f_dsk,
                    n.t_cpu,
                    n.n_cpu,
                    n.offline,
                    False,
                    True,
                    n.t_spindles,
                    cd.groups[n.group].uuid,
                    n.tags,
                    n.excl_storage,
                    n.t_spindles,
                    n.f_spindles,
                    n.cpu_speed,
                )
            ]
        )
    insts = []
    for i in cd.instances:
        row = [
            [OK, v]
            for v in (
                i.name,
                i.dsk,
                i.mem,
                i.vcpus,
                i.run_st,
                cd.nodes[i.pnode].name,
                [cd.nodes[i.snode].name] if i.snode >= 0 else [],
                i.tags,
                None,
                i.auto_balance,
                i.disk_template,
                i.spindle_use,
                [i.dsk],
                [None],
                i.forthcoming,
            )
        ]
        row[8] = [constants.RS_UNAVAIL, None]
        insts.append(row)
    master = [n.name for n in cd.nodes if n.is_master]
    cinfo = {
        "tags": cd.cluster_tags,
        "ipolicy": _ipolicy(cd.ipolicy),
        "master": master[0] if master else None,
    }
    return groups, nodes, insts, cinfo


class ClusterMaster(FakeMaster):
    def __init__(self, rows):
        super().__init__()
        self.rows = dict(zip(("group", "node", "instance"), rows[:3]))
        self.cinfo = rows[3]

    def h_Query(self, what, fields, qfilter):
        return {"fields": [{"name": f} for f in fields], "data": self.rows[what]}

    def h_QueryClusterInfo(self):
        return self.cinfo


served_master: list = []


@pytest.fixture
def served(tmp_path):
    data = gen_cluster(str(tmp_path / "c.data"), 20, 120)
    old = pathutils.get_root() if hasattr(pathutils, "get_root") else None
    pathutils.set_root(str(tmp_path / "root"))
    master = ClusterMaster(_rows(data)).start()
    served_master[:] = [master]
    try:
        yield data, pathutils.MASTER_SOCKET
    finally:
        master.stop()
        pathutils.set_root(old or "/")


def _run(tool, args):
    p = subprocess.run(
        [os.path.join(OURS, tool)] + args, capture_output=True, text=True, timeout=120
    )
    return p.returncode, p.stdout, p.stderr


@pytest.mark.parametrize(
    "tool,args",
    [
        ("hinfo", ["-v", "-v"]),
        ("hbal", ["-l", "3", "-C"]),
        ("hspace", ["-l", "5", "--machine-readable"]),
    ],
)
def test_luxi_matches_text(served, tool, args):
    data, sock = served
    assert _run(tool, ["-L" + sock] + args) == _run(tool, ["-t", data] + args)


def test_luxi_unreachable(tmp_path):
    rc, out, err = _run("hinfo", ["-L" + str(tmp_path / "nosock")])
    assert rc == 1
    assert err.startswith(
        "Error: failed to load data, aborting: Error while loading data from luxi:"
    )
    assert "Traceback" not in err


def test_hbal_exec_submits_jobsets(served):
    data, sock = served
    master = served_master[0]
    rc, out, err = _run("hbal", ["-L" + sock, "-l", "3", "-X", "-C"])
    assert rc == 0, err
    subs = [a for m, a in master.requests if m == "SubmitManyJobs"]
    assert subs, master.methods()
    assert "Executing jobset for instances" in out
    assert "Got job IDs" in out
    # the same moves as the command list
    submitted = [op for js in subs for job in js[0] for op in job]
    reps = [op["remote_node"] for op in submitted if op["OP_ID"] == "OP_INSTANCE_REPLACE_DISKS"]
    for node in reps:
        assert "replace-disks -n %s " % node in out
    assert all(
        op["OP_ID"] in ("OP_INSTANCE_MIGRATE", "OP_INSTANCE_REPLACE_DISKS") for op in submitted
    )


def test_hbal_exec_needs_luxi(tmp_path):
    data = gen_cluster(str(tmp_path / "c.data"), 8, 4)
    rc, out, err = _run("hbal", ["-t", data, "-X"])
    assert "Traceback" not in err
