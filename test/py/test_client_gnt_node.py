"""gnt-node and gnt-group against a real ganeti-masterd on a test root.

The test cluster's nodes sit on loopback addresses where no node daemon
listens, so RPC fails at once (hooks and distribution only warn); the
commands run in-process, their output captured.
"""

import shutil
import socket
import tempfile
import threading

import pytest

from ganeti import cli, constants, pathutils
from ganeti.client import gnt_group, gnt_node

import testutils_config
from masterd_helper import Master

# the master must carry this host's name (ConfigWriter refuses foreign configs)
N1 = socket.gethostname()
_DOMAIN = "." + N1.split(".", 1)[1] if "." in N1 else ""
N2, N3 = "node2" + _DOMAIN, "node3" + _DOMAIN
NAMES = {
    N1: (N1, "127.0.1.10"),
    "node2": (N2, "127.0.1.11"),
    "node3": (N3, "127.0.1.12"),
    "localhost": ("localhost", "127.0.0.1"),
}


def _resolve(name):
    short = name if name == N1 else name.split(".")[0]
    if short not in NAMES:
        from ganeti import errors

        raise errors.ResolverError(name, 0, "Host name %s not found" % name)
    return NAMES[short]


@pytest.fixture(scope="module")
def master():
    old = pathutils.get_root()
    root = tempfile.mkdtemp(prefix="gcn", dir="/tmp")  # short: socket path limit
    testutils_config.make_test_cluster(root, node_name=N1, node_ip="127.0.1.10", extra_nodes=2)
    pathutils.set_root(root)
    m = Master(root, node_name=N1, make_config=False)
    m.start()
    if m.proc.stderr is not None:
        # masterd -f logs every failed RPC to its stderr: keep a pipe drained
        threading.Thread(target=m.proc.stderr.read, daemon=True).start()
    try:
        yield m
    finally:
        m.stop()
        pathutils.set_root(old)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def run(master, capsys, monkeypatch):
    monkeypatch.setattr(gnt_node, "resolve_node", _resolve)
    pathutils.set_root(master.root)

    def run_cmd(module, *argv):
        override = {
            gnt_node: {"tag_type": constants.TAG_NODE},
            gnt_group: {"tag_type": constants.TAG_NODEGROUP},
        }[module]
        binary = "gnt-node" if module is gnt_node else "gnt-group"
        code = cli.generic_main(
            module.commands, module.aliases, argv=[binary] + list(argv), override=override
        )
        out = capsys.readouterr()
        return code, out.out, out.err

    return run_cmd


def test_list_and_fields(run):
    code, out, err = run(gnt_node, "list")
    lines = out.splitlines()
    assert code == 0, err
    assert lines[0].split() == [
        "Node", "DTotal", "DFree", "MTotal", "MNode", "MFree", "Pinst", "Sinst",
    ]  # fmt: skip
    assert sorted(ln.split()[0] for ln in lines[1:]) == sorted([N1, N2, N3])
    code, out, _ = run(
        gnt_node, "list", "--no-headers", "--separator=|", "-o", "name,pip,role", "node2"
    )
    assert (code, out) == (0, "%s|127.0.1.11|C\n" % N2)
    code, out, _ = run(gnt_node, "list-fields", "mtotal", "dfree")
    assert code == 0 and "MTotal" in out and "DFree" in out
    code, out, err = run(gnt_node, "list", "-o", "name,nosuchfield")
    assert code == constants.EXIT_UNKNOWN_FIELD and "unknown fields nosuchfield" in err


def test_info(run):
    code, out, err = run(gnt_node, "info", "node2")
    assert code == 0, err
    assert out.startswith("- Node name: %s\n" % N2)
    assert "  primary ip: 127.0.1.11\n" in out
    assert "  master candidate: True\n" in out
    assert "    ssh_port: default (22)\n" in out
    code, _, err = run(gnt_node, "info", "node9")
    assert code == 1 and "node9" in err


def test_modify_roles_and_errors(run):
    code, out, err = run(gnt_node, "modify")
    assert code == 1 and "expects" in err
    code, out, err = run(gnt_node, "modify", "node3")
    assert code == 1 and "Please give at least one of the parameters." in err
    code, out, err = run(gnt_node, "modify", "-O", "yes", N1)
    assert code == 1
    assert "master failover" in err and "error type: wrong_input" in err
    code, out, err = run(gnt_node, "modify", "-C", "no", "node3")
    assert code == 0, err
    assert "Modified node node3" in out and " - master_candidate -> False" in out
    code, out, err = run(gnt_node, "modify", "-D", "yes", "-O", "yes", "node3")
    assert code == 1 and "more than one state" in err
    code, out, err = run(gnt_node, "modify", "-D", "yes", "node3")
    assert code == 0 and " - drained -> True" in out
    code, out, _ = run(gnt_node, "list", "--no-headers", "-o", "role", "node3")
    assert out == "D\n"
    code, out, err = run(gnt_node, "modify", "-D", "no", "node3")
    assert code == 0 and " - master_candidate -> True" in out and " - drained -> False" in out
    code, out, err = run(gnt_node, "modify", "--node-parameters", "ssh_port=2222", "node3")
    assert code == 0, err
    code, out, _ = run(gnt_node, "info", "node3")
    assert "    ssh_port: 2222\n" in out
    code, out, err = run(gnt_node, "modify", "--node-parameters", "ssh_port=x", "node3")
    assert code == 1 and "Invalid node parameters" in err


def test_tags(run):
    assert run(gnt_node, "add-tags", "node2", "rack:a", "ssd")[0] == 0
    code, out, _ = run(gnt_node, "list-tags", "node2")
    assert (code, out) == (0, "rack:a\nssd\n")
    assert run(gnt_node, "remove-tags", "node2", "ssd")[0] == 0
    code, out, err = run(gnt_node, "remove-tags", "node2", "nope")
    assert code == 1 and "not found" in err
    code, out, _ = run(gnt_node, "list", "--no-headers", "-o", "tags", "node2")
    assert out == "rack:a\n"


def test_add_errors(run):
    code, _, err = run(gnt_node, "add", "node2")
    assert code == 1
    assert "already in the cluster (as %s) - please retry with '--readd'" % N2 in err
    code, _, err = run(gnt_node, "add", "nosuchnode")
    assert code == 1 and "can't resolve hostname 'nosuchnode'" in err
    code, _, err = run(gnt_node, "add", "--no-node-setup", "localhost")
    assert code == 1 and "loopback" in err
    code, _, err = run(gnt_node, "add", "--readd", "localhost")
    assert code == 1 and "not in the cluster" in err
    code, _, err = run(gnt_node, "add", "-g", "nosuchgroup", "localhost")
    assert code == 1 and "Node group 'nosuchgroup' not found" in err
    code, out, _ = run(gnt_node, "list", "--no-headers", "-o", "name")
    assert len(out.splitlines()) == 3


def test_groups(run):
    code, out, err = run(
        gnt_group, "add", "--alloc-policy=last_resort", "--ipolicy-vcpu-ratio=3",
        "--ipolicy-bounds-specs", "min:memory-size=128,cpu-count=1,disk-count=1,disk-size=1g,"
        "nic-count=1,spindle-use=1/max:memory-size=4g,cpu-count=8,disk-count=4,disk-size=100g,"
        "nic-count=4,spindle-use=8", "--node-parameters", "spindle_count=2", "rack2",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = run(gnt_group, "list", "--no-headers", "--separator=|")
    lines = sorted(out.splitlines())
    assert lines[0].startswith("default|3|0|preferred|")
    assert lines[1].startswith("rack2|0|0|last_resort|") and "spindle_count=2" in lines[1]
    code, out, err = run(gnt_group, "add", "rack2")
    assert code == 1 and "already exists" in err and "error type: already_exists" in err
    code, out, err = run(gnt_group, "assign-nodes", "rack2", "node3")
    assert code == 0, err
    code, out, _ = run(gnt_node, "list", "--no-headers", "-o", "name,group", "node3")
    assert out.split() == [N3, "rack2"]
    code, out, err = run(gnt_group, "info", "rack2")
    assert code == 0, err
    assert "- Node group: rack2\n" in out and "  Allocation policy: last_resort\n" in out
    assert "    - %s\n" % N3 in out and "  vcpu-ratio: 3.0\n" in out
    code, out, err = run(gnt_group, "remove", "rack2")
    assert code == 1 and "not empty" in err
    code, out, err = run(gnt_group, "rename", "rack2", "default")
    assert code == 1 and "clashes" in err
    assert run(gnt_group, "rename", "rack2", "rack9")[0] == 0
    code, out, err = run(gnt_group, "modify", "--alloc-policy=unallocable", "rack9")
    assert code == 0 and " - alloc_policy -> unallocable" in out
    code, out, err = run(gnt_group, "modify", "rack9")
    assert code == 1 and "at least one" in err
    assert run(gnt_group, "add-tags", "rack9", "blue")[0] == 0
    assert run(gnt_group, "list-tags", "rack9")[1] == "blue\n"
    assert run(gnt_group, "assign-nodes", "default", "node3")[0] == 0
    assert run(gnt_group, "remove", "rack9")[0] == 0
    code, out, _ = run(gnt_group, "list", "--no-headers", "-o", "name")
    assert out == "default\n"


def test_remove(run):
    code, _, err = run(gnt_node, "remove", N1)
    assert code == 1 and "master node, failover to another node is required" in err
    code, out, err = run(gnt_node, "remove", "node3")
    assert code == 0, err
    code, out, _ = run(gnt_node, "list", "--no-headers", "-o", "name")
    assert sorted(out.split()) == sorted([N1, N2])
