"""Tests of the node group logical units through mcpu."""

import pytest

from ganeti import constants, errors, locking, pathutils

from cmdlib_testutils import Harness


@pytest.fixture
def h(tmp_path):
    old = pathutils.get_root()
    harness = Harness(str(tmp_path))
    yield harness
    pathutils.set_root(old)


def _prereq(h, op, code, match, **params):
    before = h.config_bytes()
    with pytest.raises(errors.OpPrereqError, match=match) as err:
        h.run(op, **params)
    assert err.value.args[1] == code
    assert h.config_bytes() == before, "a refused operation changed the configuration"


def _group(h, name):
    return h.cfg.get_node_group_info_by_name(name)


def test_add_group_with_parameters(h):
    h.run(
        "OpGroupAdd", group_name="rack2", alloc_policy="last_resort",
        ndparams={"ssh_port": "2022"}, diskparams={"plain": {"stripes": "2"}},
        ipolicy={"vcpu-ratio": "2.5", "disk-templates": ["file"]},
    )  # fmt: skip
    group = _group(h, "rack2")
    assert group.alloc_policy == "last_resort"
    assert group.ndparams == {"ssh_port": 2022}
    assert group.diskparams == {"plain": {"stripes": 2}}
    assert group.ipolicy == {"vcpu-ratio": 2.5, "disk-templates": ["file"]}
    assert group.uuid in h.glm.names(locking.LEVEL_NODEGROUP)
    pre, post = [x for x in h.hooks if x[0] == "group-add"]
    assert pre[2] == ["node1.example.com"] and pre[3]["GANETI_GROUP_NAME"] == "rack2"
    assert pre[3]["GANETI_OBJECT_TYPE"] == "GROUP"
    h.run("OpGroupAdd", group_name="rack3")
    assert _group(h, "rack3").alloc_policy == constants.ALLOC_POLICY_PREFERRED


def test_add_group_bad_input(h):
    _prereq(h, "OpGroupAdd", errors.ECODE_EXISTS, "already exists", group_name="default")
    _prereq(h, "OpGroupAdd", errors.ECODE_INVAL, "Unknown node parameter",
            group_name="g", ndparams={"nope": 1})  # fmt: skip
    _prereq(h, "OpGroupAdd", errors.ECODE_INVAL, "global",
            group_name="g", ndparams={"exclusive_storage": True})  # fmt: skip
    _prereq(h, "OpGroupAdd", errors.ECODE_INVAL, "std",
            group_name="g", ipolicy={"std": {"memory-size": 128}})  # fmt: skip
    _prereq(h, "OpGroupAdd", errors.ECODE_INVAL, "not a number",
            group_name="g", ipolicy={"vcpu-ratio": "lots"})  # fmt: skip
    _prereq(h, "OpGroupAdd", errors.ECODE_INVAL, "Unknown disk .plain. parameter",
            group_name="g", diskparams={"plain": {"resync-rate": 1}})  # fmt: skip
    assert _group(h, "g") is None


def test_rename_group(h):
    h.run("OpGroupAdd", group_name="rack2")
    uuid = _group(h, "rack2").uuid
    assert h.run("OpGroupRename", group_name="rack2", new_name="rack9") == "rack9"
    assert _group(h, "rack9").uuid == uuid and _group(h, "rack2") is None
    _prereq(h, "OpGroupRename", errors.ECODE_EXISTS, "clashes",
            group_name="rack9", new_name="default")  # fmt: skip
    _prereq(h, "OpGroupRename", errors.ECODE_NOENT, "not found",
            group_name="nosuch", new_name="x")  # fmt: skip
    env = [x for x in h.hooks if x[0] == "group-rename"][0][3]
    assert env["GANETI_OLD_NAME"] == "rack2" and env["GANETI_NEW_NAME"] == "rack9"


def test_remove_group_rules(h):
    _prereq(h, "OpGroupRemove", errors.ECODE_STATE, "not empty.*node1", group_name="default")
    h.run("OpGroupAdd", group_name="empty")
    uuid = _group(h, "empty").uuid
    h.run("OpGroupRemove", group_name="empty")
    assert _group(h, "empty") is None
    assert uuid not in h.glm.names(locking.LEVEL_NODEGROUP)
    _prereq(h, "OpGroupRemove", errors.ECODE_NOENT, "not found", group_name="empty")


def test_last_group_cannot_go(tmp_path):
    old = pathutils.get_root()
    h = Harness(str(tmp_path), extra_nodes=0)
    try:
        h.run("OpGroupAdd", group_name="g2")
        node1 = h.node("node1.example.com")
        h.run("OpGroupAssignNodes", group_name="g2", nodes=["node1"])
        h.run("OpGroupRemove", group_name="default")
        assert h.cfg.get_node_group_list() == [_group(h, "g2").uuid]
        assert h.node("node1.example.com").group == node1.group == _group(h, "g2").uuid
        _prereq(h, "OpGroupRemove", errors.ECODE_STATE, "not empty", group_name="g2")
    finally:
        pathutils.set_root(old)


def test_set_params(h):
    _prereq(h, "OpGroupSetParams", errors.ECODE_INVAL, "at least one", group_name="default")
    result = h.run(
        "OpGroupSetParams", group_name="default", alloc_policy="unallocable",
        ndparams={"spindle_count": "3", "ssh_port": "2200"},
    )  # fmt: skip
    assert ("alloc_policy", "unallocable") in result
    group = _group(h, "default")
    assert group.alloc_policy == "unallocable"
    assert group.ndparams == {"spindle_count": 3, "ssh_port": 2200}
    h.run("OpGroupSetParams", group_name="default", ndparams={"ssh_port": "default"})
    assert _group(h, "default").ndparams == {"spindle_count": 3}
    h.run("OpGroupSetParams", group_name="default", ipolicy={"spindle-ratio": 4})
    h.run("OpGroupSetParams", group_name="default", ipolicy={"vcpu-ratio": 3})
    assert _group(h, "default").ipolicy == {"spindle-ratio": 4.0, "vcpu-ratio": 3.0}
    h.run("OpGroupSetParams", group_name="default", ipolicy={"vcpu-ratio": "default"})
    assert _group(h, "default").ipolicy == {"spindle-ratio": 4.0}
    bad_minmax = [{"min": {"memory-size": 512}, "max": {"memory-size": 128}}]
    _prereq(h, "OpGroupSetParams", errors.ECODE_INVAL, "Invalid instance policy",
            group_name="default", ipolicy={"minmax": bad_minmax})  # fmt: skip
    env = [x for x in h.hooks if x[0] == "group-modify"][0][3]
    assert env["GANETI_NEW_ALLOC_POLICY"] == "unallocable"


def test_assign_nodes(h):
    h.run("OpGroupAdd", group_name="rack2")
    rack2 = _group(h, "rack2").uuid
    h.run("OpGroupAssignNodes", group_name="rack2", nodes=["node2", "node3.example.com"])
    assert h.node("node2.example.com").group == rack2
    assert h.node("node3.example.com").group == rack2
    assert sorted(_group(h, "rack2").members) == sorted(
        [h.node("node2.example.com").uuid, h.node("node3.example.com").uuid]
    )
    assert _group(h, "default").members == [h.node("node1.example.com").uuid]
    ssconf = h.cfg.get_ssconf_values()[constants.SS_NODEGROUPS]
    assert "rack2" in ssconf
    _prereq(h, "OpGroupAssignNodes", errors.ECODE_NOENT, "Node 'nosuch' not known",
            group_name="rack2", nodes=["nosuch"])  # fmt: skip
    _prereq(h, "OpGroupAssignNodes", errors.ECODE_NOENT, "not found",
            group_name="nosuch", nodes=["node2"])  # fmt: skip


def test_assign_refuses_splitting_mirrored_instance(tmp_path):
    old = pathutils.get_root()
    h = Harness(str(tmp_path), extra_nodes=1, instances=1)
    try:
        inst = list(h.cfg.get_all_instances_info().values())[0]
        node2 = h.node("node2.example.com").uuid
        real = h.cfg.get_instance_nodes, h.cfg.get_instance_disk_template
        h.cfg.get_instance_disk_template = lambda uuid: constants.DT_DRBD8
        h.cfg.get_instance_nodes = lambda uuid: [inst.primary_node, node2]
        h.run("OpGroupAdd", group_name="rack2")
        _prereq(h, "OpGroupAssignNodes", errors.ECODE_INVAL, "split.*inst1",
                group_name="rack2", nodes=["node2"])  # fmt: skip
        h.run("OpGroupAssignNodes", group_name="rack2", nodes=["node2"], force=True)
        assert h.node("node2.example.com").group == _group(h, "rack2").uuid
        assert any("splits instances" in m for m in h.cbs.messages)
        h.cfg.get_instance_nodes, h.cfg.get_instance_disk_template = real
    finally:
        pathutils.set_root(old)
