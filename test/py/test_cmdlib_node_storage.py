"""Tests of the storage unit change and repair opcodes (OP_NODE_MODIFY_STORAGE,
OP_REPAIR_NODE_STORAGE) through the opcode processor with a fake RPC."""

import pytest

from ganeti import constants, errors, pathutils

from cmdlib_testutils import Harness, fail


@pytest.fixture
def h(tmp_path):
    old = pathutils.get_root()
    yield Harness(str(tmp_path))
    pathutils.set_root(old)


def _enable(h, templates):
    cluster = h.cfg.get_cluster_info()
    cluster.enabled_disk_templates = list(templates)
    h.cfg.update(cluster)


def _refused(h, op, match, code=errors.ECODE_INVAL, **params):
    with pytest.raises(errors.OpPrereqError, match=match) as err:
        h.run(op, **params)
    assert err.value.args[1] == code
    assert not [c for c in h.rpc.calls if c[0].startswith("storage_")]


def test_modify_refuses_types_and_fields_without_support(h):
    _refused(h, "OpNodeModifyStorage", "Storage units of type 'file' can not be modified",
             node_name="node2", storage_type="file", name="/srv", changes={"allocatable": False})  # fmt: skip
    _refused(h, "OpNodeModifyStorage", "can not be modified for storage units of type 'lvm-pv'",
             node_name="node2", storage_type="lvm-pv", name="/dev/sda", changes={"size": 1})  # fmt: skip
    # a type no enabled disk template uses
    _refused(h, "OpNodeModifyStorage", "Storage type 'lvm-pv' is not enabled",
             code=errors.ECODE_STATE, node_name="node2", storage_type="lvm-pv",
             name="/dev/sda", changes={"allocatable": False})  # fmt: skip
    with pytest.raises(errors.OpPrereqError, match="Node 'node9' not known"):
        h.run("OpNodeModifyStorage", node_name="node9", storage_type="lvm-pv", name="x",
              changes={"allocatable": False})  # fmt: skip


def test_repair_refuses_types_without_support(h):
    for stype in ("file", "sharedfile", "lvm-pv"):
        _refused(h, "OpRepairNodeStorage", "Storage units of type '%s' can not be repaired" % stype,
                 node_name="node2", storage_type=stype, name="x")  # fmt: skip
    _refused(h, "OpRepairNodeStorage", "Storage type 'lvm-vg' is not enabled",
             code=errors.ECODE_STATE, node_name="node2", storage_type="lvm-vg", name="xenvg")  # fmt: skip


def test_modify_and_repair_reach_the_node_and_report_its_refusal(h):
    _enable(h, ["plain", "diskless"])
    h.run("OpNodeModifyStorage", node_name="node2", storage_type="lvm-pv", name="/dev/sda",
          changes={"allocatable": False})  # fmt: skip
    (call,) = h.rpc.called("storage_modify")
    assert call[1:] == ("node2.example.com", "lvm-pv", [], "/dev/sda", {"allocatable": False})
    h.run("OpRepairNodeStorage", node_name="node2", storage_type="lvm-vg", name="xenvg")
    (call,) = h.rpc.called("storage_execute")
    assert call[1:] == ("node2.example.com", "lvm-vg", [], "xenvg", constants.SO_FIX_CONSISTENCY)
    h.rpc.answers["storage_execute"] = fail("Operation 'fix-consistency' is not supported")
    with pytest.raises(errors.OpExecError, match="Failed to repair storage unit 'xenvg' on node2"):
        h.run("OpRepairNodeStorage", node_name="node2", storage_type="lvm-vg", name="xenvg")
