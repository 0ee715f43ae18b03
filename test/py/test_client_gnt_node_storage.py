"""Tests of gnt-node volumes, list-storage, modify-storage and repair-storage:
options to opcodes and the tables printed, with the job results scripted."""

import pytest

from ganeti import cli, cli_jobs, constants
from ganeti.client import gnt_node


@pytest.fixture
def jobs(monkeypatch, capsys):
    """Records submitted opcodes; ``jobs.result`` is what each returns."""

    class Jobs:
        ops: list = []
        result = None

    rec = Jobs()
    rec.ops = []

    def submit(op, cl=None, feedback_fn=None, opts=None):
        rec.ops.append(op)
        return rec.result

    monkeypatch.setattr(cli, "submit_op_code", submit)
    monkeypatch.setattr(cli_jobs, "submit_op_code", submit)

    def run(*argv):
        for _, _, options, _, _ in gnt_node.commands.values():
            for option in options:
                if isinstance(option.default, (list, dict)):
                    option.default = type(option.default)()
        code = cli.generic_main(
            gnt_node.commands, gnt_node.aliases, argv=["gnt-node"] + list(argv),
            override={"tag_type": constants.TAG_NODE},
        )  # fmt: skip
        out = capsys.readouterr()
        return code, out.out, out.err

    rec.run = run
    return rec


def test_volumes_table(jobs):
    jobs.result = [
        ["node1.example.com", "/dev/sda3", "xenvg", "inst1-disk0", "10240", "inst1.example.com"],
        ["node2.example.com", "/dev/sdb1", "xenvg", "spare", "512", "-"],
    ]
    code, out, err = jobs.run("volumes")
    assert code == 0, err
    (op,) = jobs.ops
    assert op.OP_ID == "OP_NODE_QUERYVOLS" and op.nodes == []
    assert op.output_fields == ["node", "phys", "vg", "name", "size", "instance"]
    lines = out.splitlines()
    assert lines[0].split() == ["Node", "PhysDev", "VG", "Name", "Size", "Instance"]
    assert lines[1].split() == [
        "node1.example.com", "/dev/sda3", "xenvg", "inst1-disk0", "10.0G", "inst1.example.com",
    ]  # fmt: skip
    jobs.result = [["node2.example.com", "512"]]
    code, out, _ = jobs.run("volumes", "--no-headers", "--separator=|", "-o", "node,size", "node2")
    assert (code, out) == (0, "node2.example.com|512\n")
    assert jobs.ops[-1].nodes == ["node2"]


def test_list_storage_table(jobs):
    jobs.result = [
        ["node1.example.com", "file", "/srv/ganeti/file-storage", 20480, 4096, 16384, True]
    ]
    code, out, err = jobs.run("list-storage")
    assert code == 0, err
    (op,) = jobs.ops
    assert op.OP_ID == "OP_NODE_QUERY_STORAGE" and op.storage_type is None
    assert op.output_fields == ["node", "type", "name", "size", "used", "free", "allocatable"]
    lines = out.splitlines()
    assert lines[0].split() == ["Node", "Type", "Name", "Size", "Used", "Free", "Allocatable"]
    assert lines[1].split() == [
        "node1.example.com", "file", "/srv/ganeti/file-storage", "20.0G", "4.0G", "16.0G", "Y",
    ]  # fmt: skip
    jobs.result = [["/srv/ganeti/shared", 100, False]]
    code, out, _ = jobs.run(
        "list-storage",
        "-t",
        "sharedfile",
        "--no-headers",
        "--units=m",
        "-o",
        "name,free,allocatable",
    )
    assert code == 0 and out.split() == ["/srv/ganeti/shared", "100", "N"]
    assert jobs.ops[-1].storage_type == "sharedfile"
    code, _, err = jobs.run("list-storage", "-t", "nosuch")
    assert code != 0 and "invalid choice" in err


def test_modify_and_repair_storage(jobs):
    code, out, err = jobs.run("modify-storage", "node2", "lvm-pv", "/dev/sdb1")
    assert code == 0 and "No changes to perform, exiting." in err and jobs.ops == []
    code, _, err = jobs.run("modify-storage", "--allocatable=no", "node2", "lvm-pv", "/dev/sdb1")
    assert code == 0, err
    op = jobs.ops[-1]
    assert op.OP_ID == "OP_NODE_MODIFY_STORAGE"
    assert (op.node_name, op.storage_type, op.name, op.changes) == (
        "node2", "lvm-pv", "/dev/sdb1", {"allocatable": False},
    )  # fmt: skip
    code, _, err = jobs.run("repair-storage", "--ignore-consistency", "node2", "lvm-vg", "xenvg")
    assert code == 0, err
    op = jobs.ops[-1]
    assert op.OP_ID == "OP_REPAIR_NODE_STORAGE" and op.ignore_consistency is True
    assert (op.storage_type, op.name) == ("lvm-vg", "xenvg")
    code, _, err = jobs.run("repair-storage", "node2", "nosuch", "x")
    assert code == 1 and "Unknown storage type: nosuch" in err
    code, _, err = jobs.run("repair-storage", "node2")
    assert code == 1 and "Traceback" not in err
