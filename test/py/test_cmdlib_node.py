"""Tests of the node logical units (add, remove, modify) through mcpu."""

import pytest

from ganeti import constants, errors, locking, pathutils
from ganeti.cmdlib import node as node_lu

from cmdlib_testutils import Harness, fail, ok

ADDRS = {
    "node1.example.com": "198.51.100.10",
    "node4.example.com": "198.51.100.13",
    "node5.example.com": "198.51.100.14",
    "node2.example.com": "198.51.100.11",
    "node3.example.com": "198.51.100.12",
    "loop.example.com": "127.0.0.1",
}


def _resolve(name, family=None):
    full = name if "." in name else name + ".example.com"
    if full not in ADDRS:
        raise errors.OpPrereqError(
            "The given name (%s) does not resolve: Name or service not known" % name,
            errors.ECODE_RESOLVER,
        )
    return full, ADDRS[full]


@pytest.fixture
def h(tmp_path, monkeypatch):
    monkeypatch.setattr(node_lu, "resolve_node_name", _resolve)
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


# --- add --------------------------------------------------------------------------------


def test_add_node_joins_candidate_pool(h):
    h.write_file(pathutils.RAPI_CERT_FILE)
    h.write_file(pathutils.SSH_KNOWN_HOSTS_FILE)
    assert h.run("OpNodeAdd", node_name="node4") is None
    node = h.node("node4.example.com")
    assert node.primary_ip == node.secondary_ip == "198.51.100.13"
    assert node.master_candidate and node.master_capable and node.vm_capable
    assert not node.offline and not node.drained
    assert node.group == h.cfg.lookup_node_group(None)
    assert h.cfg.get_cluster_info().candidate_certs[node.uuid] == "DIGEST-OF-node4.example.com"
    assert node.uuid in h.glm.names(locking.LEVEL_NODE)
    assert node.uuid in h.glm.names(locking.LEVEL_NODE_RES)
    assert h.rpc.called("version") == [("version", "node4.example.com")]
    assert h.jq.replications == 1
    uploads = {c[2] for c in h.rpc.called("upload_file")}
    assert uploads == {pathutils.RAPI_CERT_FILE, pathutils.SSH_KNOWN_HOSTS_FILE}
    targets = {c[1] for c in h.rpc.called("upload_file")}
    assert targets == {"node1.example.com", "node2.example.com", "node3.example.com"}
    pre, post = [x for x in h.hooks if x[0] == "node-add"]
    assert pre[1] == "pre" and "node4.example.com" not in pre[2] and len(pre[2]) == 3
    assert post[1] == "post" and "node4.example.com" in post[2]
    env = pre[3]
    assert env["GANETI_NODE_NAME"] == env["GANETI_OP_TARGET"] == "node4.example.com"
    assert env["GANETI_NODE_PIP"] == env["GANETI_NODE_SIP"] == "198.51.100.13"
    assert env["GANETI_MASTER_CAPABLE"] == env["GANETI_VM_CAPABLE"] == "True"
    assert env["GANETI_OBJECT_TYPE"] == "NODE"


def test_add_node_options(h):
    h.run("OpGroupAdd", group_name="rack2")
    h.run(
        "OpNodeAdd", node_name="node4.example.com", group="rack2", master_capable=False,
        vm_capable=False, ndparams={"ssh_port": "2222", "oob_program": "/bin/oob"},
    )  # fmt: skip
    node = h.node("node4.example.com")
    assert node.group == h.cfg.lookup_node_group("rack2")
    assert not node.master_candidate and not node.master_capable and not node.vm_capable
    assert node.ndparams == {"ssh_port": 2222, "oob_program": "/bin/oob"}
    assert node.uuid not in (h.cfg.get_cluster_info().candidate_certs or {})
    assert h.jq.replications == 0


def test_add_node_to_full_pool_is_not_candidate(h):
    cluster = h.cfg.get_cluster_info()
    cluster.candidate_pool_size = 3
    h.cfg.update(cluster)
    h.run("OpNodeAdd", node_name="node4")
    assert not h.node("node4.example.com").master_candidate
    assert h.rpc.called("node_crypto_tokens") == []


def test_add_bad_input_leaves_config_unchanged(h):
    _prereq(h, "OpNodeAdd", errors.ECODE_EXISTS, "already in the configuration.*--readd",
            node_name="node2")  # fmt: skip
    _prereq(h, "OpNodeAdd", errors.ECODE_RESOLVER, "does not resolve", node_name="nosuch")
    _prereq(h, "OpNodeAdd", errors.ECODE_NOENT, "not in the configuration",
            node_name="node4", readd=True)  # fmt: skip
    _prereq(h, "OpNodeAdd", errors.ECODE_NOENT, "not found", node_name="node4", group="nosuch")
    _prereq(h, "OpNodeAdd", errors.ECODE_ENVIRON, "loopback", node_name="loop")
    _prereq(h, "OpNodeAdd", errors.ECODE_NOTUNIQUE, "conflict with existing node node2",
            node_name="node4", primary_ip="198.51.100.11")  # fmt: skip
    _prereq(h, "OpNodeAdd", errors.ECODE_INVAL, "master has no secondary ip",
            node_name="node4", secondary_ip="10.0.0.4")  # fmt: skip
    _prereq(h, "OpNodeAdd", errors.ECODE_INVAL, "Unknown node parameter",
            node_name="node4", ndparams={"bogus": 1})  # fmt: skip
    _prereq(h, "OpNodeAdd", errors.ECODE_INVAL, "global",
            node_name="node4", ndparams={"exclusive_storage": True})  # fmt: skip
    _prereq(h, "OpNodeAdd", errors.ECODE_INVAL, "Cannot pass a node group",
            node_name="node2", readd=True, group="default")  # fmt: skip


def test_add_unreachable_or_wrong_version_node(h):
    h.rpc.answers["version"] = fail("Error while contacting node: Connection refused")
    _prereq(h, "OpNodeAdd", errors.ECODE_ENVIRON, "Cannot reach the node daemon.*refused",
            node_name="node4")  # fmt: skip
    h.rpc.answers["version"] = ok(2160000)
    _prereq(h, "OpNodeAdd", errors.ECODE_ENVIRON, "Version mismatch.*2160000", node_name="node4")
    assert h.node("node4.example.com") is None
    assert len(h.glm.names(locking.LEVEL_NODE)) == 3


def test_readd_clears_offline_and_keeps_identity(h):
    node = h.node("node3.example.com")
    uuid = node.uuid
    node.offline = True
    node.master_candidate = False
    h.cfg.update(node)
    h.run("OpNodeAdd", node_name="node3", readd=True)
    node = h.node("node3.example.com")
    assert node.uuid == uuid and not node.offline and node.master_candidate
    assert len(h.cfg.get_node_list()) == 3
    assert "Readded node node3.example.com" in h.cbs.messages
    _prereq(h, "OpNodeAdd", errors.ECODE_STATE, "master", node_name="node1", readd=True)


def test_readd_without_crypto_tokens_warns(h):
    h.rpc.answers["node_crypto_tokens"] = fail("Unknown procedure 'node_crypto_tokens'")
    h.run("OpNodeAdd", node_name="node4")
    assert h.node("node4.example.com").master_candidate
    assert any("client certificate digest" in m for m in h.cbs.messages)


# --- remove -----------------------------------------------------------------------------


def test_remove_master_is_refused(h):
    _prereq(h, "OpNodeRemove", errors.ECODE_INVAL, "master node, failover", node_name="node1")
    _prereq(h, "OpNodeRemove", errors.ECODE_NOENT, "not known", node_name="node9")


def test_remove_node_with_instances_is_refused(tmp_path, monkeypatch):
    old = pathutils.get_root()
    h = Harness(str(tmp_path), extra_nodes=1, instances=2)
    try:
        _prereq(h, "OpNodeRemove", errors.ECODE_INVAL, "Instance inst2.* still", node_name="node2")
    finally:
        pathutils.set_root(old)


def test_remove_candidate_promotes_and_leaves(h):
    cluster = h.cfg.get_cluster_info()
    cluster.candidate_pool_size = 2
    h.cfg.update(cluster)
    node3 = h.node("node3.example.com")
    node3.master_candidate = False
    h.cfg.update(node3)
    node2 = h.node("node2.example.com")
    cluster.candidate_certs = {node2.uuid: "D2"}
    h.cfg.update(cluster)
    h.run("OpNodeRemove", node_name="node2")
    assert h.node("node2.example.com") is None
    assert h.node("node3.example.com").master_candidate
    certs = h.cfg.get_cluster_info().candidate_certs
    assert node2.uuid not in certs and certs[node3.uuid] == "DIGEST-OF-node3.example.com"
    assert h.rpc.called("node_leave_cluster") == [
        ("node_leave_cluster", "node2.example.com", bool(cluster.modify_ssh_setup))
    ]
    assert node2.uuid not in h.glm.names(locking.LEVEL_NODE)
    assert any("Promoted nodes to master candidate role: node3" in m for m in h.cbs.messages)
    pre = [x for x in h.hooks if x[0] == "node-remove" and x[1] == "pre"][0]
    assert pre[2] == ["node1.example.com", "node3.example.com"]


def test_remove_survives_leave_failure(h):
    h.rpc.answers["node_leave_cluster"] = fail("Connection refused")
    h.run("OpNodeRemove", node_name="node3")
    assert h.node("node3.example.com") is None
    assert any("while leaving the cluster" in m for m in h.cbs.messages)


# --- modify -----------------------------------------------------------------------------


def _small_pool(h, size=3):
    cluster = h.cfg.get_cluster_info()
    cluster.candidate_pool_size = size
    h.cfg.update(cluster)
    h.run("OpNodeAdd", node_name="node4")  # a fourth node, not a candidate
    assert not h.node("node4.example.com").master_candidate


def test_modify_argument_errors(h):
    _prereq(h, "OpNodeSetParams", errors.ECODE_INVAL, "at least one modification",
            node_name="node2")  # fmt: skip
    _prereq(h, "OpNodeSetParams", errors.ECODE_INVAL, "more than one state",
            node_name="node2", offline=True, drained=True)  # fmt: skip
    for flag in ("offline", "drained"):
        _prereq(h, "OpNodeSetParams", errors.ECODE_INVAL, "master failover",
                node_name="node1", **{flag: True})  # fmt: skip
    _prereq(h, "OpNodeSetParams", errors.ECODE_INVAL, "master failover",
            node_name="node1", master_candidate=False)  # fmt: skip
    _prereq(h, "OpNodeSetParams", errors.ECODE_INVAL, "global",
            node_name="node2", ndparams={"exclusive_storage": True})  # fmt: skip


def test_demotion_needs_auto_promote(h):
    _small_pool(h)
    _prereq(h, "OpNodeSetParams", errors.ECODE_STATE, "Not enough master candidates",
            node_name="node2", master_candidate=False)  # fmt: skip
    result = h.run("OpNodeSetParams", node_name="node2", master_candidate=False, auto_promote=True)
    assert result == [("master_candidate", "False")]
    assert not h.node("node2.example.com").master_candidate
    assert h.node("node4.example.com").master_candidate
    certs = h.cfg.get_cluster_info().candidate_certs
    assert h.node("node2.example.com").uuid not in certs
    assert certs[h.node("node4.example.com").uuid] == "DIGEST-OF-node4.example.com"
    assert [c[1] for c in h.rpc.called("node_demote_from_mc")] == ["node2.example.com"]


def test_offline_and_back_online(h):
    result = h.run("OpNodeSetParams", node_name="node3", offline=True)
    assert result == [
        ("master_candidate", "auto-demotion due to offline"),
        ("offline", "True"),
    ]
    node = h.node("node3.example.com")
    assert node.offline and not node.master_candidate
    assert h.rpc.called("node_demote_from_mc") == []  # an offline node is not asked
    _prereq(h, "OpNodeSetParams", errors.ECODE_STATE, "offline, cannot make it a master",
            node_name="node3", master_candidate=True)  # fmt: skip
    h.rpc.answers[("version", "node3.example.com")] = fail("Connection refused")
    _prereq(h, "OpNodeSetParams", errors.ECODE_ENVIRON, "fails to answer",
            node_name="node3", offline=False)  # fmt: skip
    del h.rpc.answers[("version", "node3.example.com")]
    result = h.run("OpNodeSetParams", node_name="node3", offline=False)
    assert result == [("master_candidate", "True"), ("offline", "False")]
    assert "Auto-promoting node to master candidate" in " ".join(h.cbs.messages)
    assert h.node("node3.example.com").master_candidate


def test_drain_and_ineffective_unset(h):
    assert h.run("OpNodeSetParams", node_name="node2", drained=False) == []
    assert h.node("node2.example.com").master_candidate
    result = h.run("OpNodeSetParams", node_name="node2", drained=True)
    assert ("drained", "True") in result
    node = h.node("node2.example.com")
    assert node.drained and not node.master_candidate


def test_capabilities_and_ndparams(h):
    _prereq(h, "OpNodeSetParams", errors.ECODE_INVAL, "not master capable at once",
            node_name="node2", master_candidate=True, master_capable=False)  # fmt: skip
    result = h.run("OpNodeSetParams", node_name="node2", master_capable=False)
    assert ("master_capable", "False") in result
    node = h.node("node2.example.com")
    assert not node.master_capable and not node.master_candidate
    _prereq(h, "OpNodeSetParams", errors.ECODE_STATE, "not master capable",
            node_name="node2", master_candidate=True)  # fmt: skip
    h.run("OpNodeSetParams", node_name="node2", ndparams={"ssh_port": "2200", "spindle_count": 4})
    assert h.node("node2.example.com").ndparams == {"ssh_port": 2200, "spindle_count": 4}
    h.run("OpNodeSetParams", node_name="node2", ndparams={"ssh_port": "default"})
    assert h.node("node2.example.com").ndparams == {"spindle_count": 4}
    _prereq(h, "OpNodeSetParams", errors.ECODE_INVAL, "Invalid node parameters",
            node_name="node2", ndparams={"ssh_port": "many"})  # fmt: skip
    _prereq(h, "OpNodeSetParams", errors.ECODE_STATE, "out-of-band",
            node_name="node2", powered=False)  # fmt: skip
    pre = [x for x in h.hooks if x[0] == "node-modify"][0]
    assert pre[2] == ["node1.example.com", "node2.example.com"]
    assert pre[3]["GANETI_MASTER_CAPABLE"] == "False"


def test_vm_capable_with_instances_refused(tmp_path):
    old = pathutils.get_root()
    h = Harness(str(tmp_path), extra_nodes=1, instances=2)
    try:
        _prereq(h, "OpNodeSetParams", errors.ECODE_STATE, "hosts instances",
                node_name="node2", vm_capable=False)  # fmt: skip
        assert h.run("OpNodeSetParams", node_name="node2", vm_capable=True) == [
            ("vm_capable", "True")
        ]
    finally:
        pathutils.set_root(old)


def test_modify_locks_all_nodes_only_for_auto_promote(h):
    from ganeti import opcodes

    for params, expected in (
        ({"drained": True}, ["uuid"]),
        ({"drained": True, "auto_promote": True}, locking.ALL_SET),
        ({"master_candidate": True, "auto_promote": True}, ["uuid"]),
    ):
        op = opcodes.OpNodeSetParams(node_name="node2", **params)
        op.validate(True)
        unit = node_lu.LUNodeSetParams(None, op, h, None)
        unit.expand_names()
        got = unit.needed_locks[locking.LEVEL_NODE]
        uuid = h.node("node2.example.com").uuid
        assert got == ([uuid] if expected == ["uuid"] else expected)


def test_constants_roles_are_ganetis():
    assert constants.NR_MCANDIDATE == "C" and constants.NR_OFFLINE == "O"


def test_candidate_digest_from_node_verify(h):
    h.rpc.answers["node_crypto_tokens"] = fail("Unknown procedure 'node_crypto_tokens'")
    h.rpc.answers["node_verify"] = lambda name, *args: ok(
        {constants.NV_CLIENT_CERT: [None, "AB:CD"]}
    )
    h.run("OpNodeAdd", node_name="node4")
    node = h.node("node4.example.com")
    assert h.cfg.get_cluster_info().candidate_certs[node.uuid] == "AB:CD"
    assert h.rpc.called("node_verify")[0][2] == {constants.NV_CLIENT_CERT: None}
