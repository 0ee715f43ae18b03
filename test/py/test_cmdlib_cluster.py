"""Tests of the cluster logical units (verify, modify, destroy, rename, ...)
through the real opcode processor, with scripted node answers."""

import time

import pytest

from ganeti import bootstrap, constants, errors, hooksmaster, opcodes, pathutils
from ganeti.cmdlib import cluster_ops, cluster_verify
from ganeti.utils import net as unet

import cmdlib_testutils
from cmdlib_testutils import Harness, fail, ok

NODES = ["node1.example.com", "node2.example.com", "node3.example.com"]


@pytest.fixture
def h(tmp_path, monkeypatch):
    old = pathutils.get_root()
    harness = Harness(str(tmp_path))
    submitted = []

    def submit_many_jobs(self, jobs):
        submitted.append(jobs)
        return [[True, 100 + idx] for idx in range(len(jobs))]

    monkeypatch.setattr(cmdlib_testutils.Callbacks, "submit_many_jobs", submit_many_jobs)
    harness.submitted = submitted
    cluster = harness.cfg.get_cluster_info()
    cluster.candidate_certs = {n.uuid: "DIGEST-" + n.name for n in _nodes(harness)}
    harness.cfg.update(cluster)
    harness.rpc.answers["node_verify"] = _good_node_verify(harness)
    yield harness
    pathutils.set_root(old)


def _nodes(h):
    return sorted(h.cfg.get_all_nodes_info().values(), key=lambda n: n.name)


def _good_node_verify(h, tweak=None):
    """A node_verify answer from a healthy node (``tweak(node, result)`` edits it)."""

    optional = cluster_ops.ancillary_files(h.cfg.get_cluster_info(), False)[1]

    def answer(node, what, cluster_name, hvparams):
        result = {}
        for key, value in what.items():
            if key == constants.NV_VERSION:
                result[key] = [constants.PROTOCOL_VERSION, constants.RELEASE_VERSION]
            elif key == constants.NV_HYPERVISOR:
                result[key] = {hv: None for hv in value}
            elif key in (constants.NV_HVPARAMS, constants.NV_NODESETUP, constants.NV_INSTANCELIST):
                result[key] = []
            elif key == constants.NV_TIME:
                now = time.time()
                result[key] = [int(now), int((now % 1) * 1000000)]
            elif key in (constants.NV_NODELIST, constants.NV_NODENETTEST):
                result[key] = {}
            elif key == constants.NV_MASTERIP:
                result[key] = True
            elif key == constants.NV_FILELIST:
                # every node holds every required file, all alike
                result[key] = {path: "same" for path in value if path not in optional}
            elif key == constants.NV_CLIENT_CERT:
                result[key] = [None, "DIGEST-" + node]
            elif key == constants.NV_HVINFO:
                result[key] = {"memory_free": 1024, "memory_total": 2048}
            elif key in (constants.NV_BRIDGES, constants.NV_OSLIST):
                result[key] = []
            elif key == constants.NV_ACCEPTED_STORAGE_PATHS:
                if value == node:
                    result[key] = []
        if tweak is not None:
            tweak(node, result)
        return ok(result, node)

    return answer


def _messages(h):
    return [m for m in h.cbs.messages if m.startswith("  - ")]


# --- verify ----------------------------------------------------------------------------------


def test_verify_submits_config_then_group_jobs(h):
    result = h.run("OpClusterVerify", error_codes=True, ignore_errors=["ENODETIME"])
    assert result["jobs"] == [[True, 100], [True, 101]]
    (jobs,) = h.submitted
    assert [type(job[0]).__name__ for job in jobs] == [
        "OpClusterVerifyConfig",
        "OpClusterVerifyGroup",
    ]
    config_op, group_op = jobs[0][0], jobs[1][0]
    assert config_op.error_codes and config_op.ignore_errors == ["ENODETIME"]
    assert group_op.group_name == "default" and group_op.depends == [[-1, []]]
    h.run("OpClusterVerify", group_name="default")
    jobs = h.submitted[-1]
    assert len(jobs) == 1 and jobs[0][0].group_name == "default" and not jobs[0][0].depends


def test_verify_unknown_group(h):
    with pytest.raises(errors.OpPrereqError) as err:
        h.run("OpClusterVerify", group_name="nosuch")
    assert err.value.args[1] == errors.ECODE_NOENT


def test_verify_config_clean_and_certificate_errors(h):
    assert h.run("OpClusterVerifyConfig") is False  # no certificates yet
    assert any("ECLUSTERCERT" not in m and "server.pem" in m for m in _messages(h))
    bootstrap.generate_cluster_crypto("node1.example.com")
    assert h.run("OpClusterVerifyConfig") is True
    assert _messages(h) == []
    steps = [m for m in h.cbs.messages if m.startswith("* ")]
    assert steps == [
        "* Verifying cluster config",
        "* Verifying cluster certificate files",
        "* Verifying hypervisor parameters",
        "* Verifying all nodes belong to an existing group",
    ]


def test_verify_config_error_code_format_and_ignore(h):
    assert h.run("OpClusterVerifyConfig", error_codes=True) is False
    msgs = _messages(h)
    assert msgs and all(m.startswith("  - ERROR:ECLUSTERCERT:cluster:None:") for m in msgs)
    assert h.run("OpClusterVerifyConfig", ignore_errors=["ECLUSTERCERT"]) is True
    assert all(m.startswith("  - WARNING: cluster: While verifying") for m in _messages(h))


def test_verify_config_reports_bad_hypervisor_parameters(h):
    bootstrap.generate_cluster_crypto("node1.example.com")
    cluster = h.cfg.get_cluster_info()
    cluster.hvparams[constants.HT_FAKE]["nosuch"] = 1
    h.cfg.update(cluster)
    assert h.run("OpClusterVerifyConfig") is False
    assert any(
        m.startswith("  - ERROR: cluster: hypervisor fake parameters syntax check (source cluster)")
        for m in _messages(h)
    ), _messages(h)


def test_verify_config_simulated_errors(h):
    bootstrap.generate_cluster_crypto("node1.example.com")
    assert h.run("OpClusterVerifyConfig", debug_simulate_errors=True) is False
    assert len(_messages(h)) == 3  # hypervisor parameters and the two dangling checks


def test_verify_group_clean(h):
    bootstrap.generate_cluster_crypto("node1.example.com")
    assert h.run("OpClusterVerifyGroup", group_name="default") is True
    assert _messages(h) == []
    steps = [m for m in h.cbs.messages if m.startswith("* ")]
    assert steps[0] == "* Verifying group 'default'"
    assert "* Gathering data (3 nodes)" in steps
    assert steps[-1] == "* Hooks Results"
    (call,) = h.rpc.called("node_verify")[:1]
    what = call[2]
    # every node checks SSH to one other node; all pairs are TCP-checked
    assert what[constants.NV_NODELIST][1] == {
        NODES[0]: [NODES[1]],
        NODES[1]: [NODES[2]],
        NODES[2]: [NODES[0]],
    }
    assert len(what[constants.NV_NODENETTEST]) == 3
    assert pathutils.CLUSTER_CONF_FILE in what[constants.NV_FILELIST]
    hooks = [x for x in h.hooks if x[0] == "cluster-verify"]
    assert [x[1] for x in hooks] == ["post"]
    assert hooks[0][2] == NODES
    assert hooks[0][3]["GANETI_POST_NODE_TAGS_node2.example.com"] == ""


def _verify_with(h, tweak, **params):
    h.rpc.answers["node_verify"] = _good_node_verify(h, tweak)
    result = h.run("OpClusterVerifyGroup", group_name="default", **params)
    return result, _messages(h)


def test_verify_group_dead_node(h):
    answer = _good_node_verify(h)
    h.rpc.answers["node_verify"] = lambda node, *args: (
        fail("Error while contacting node %s: connection refused" % node, node)
        if node == NODES[2]
        else answer(node, *args)
    )
    assert h.run("OpClusterVerifyGroup", group_name="default", error_codes=True) is False
    msgs = _messages(h)
    assert (
        "  - ERROR:ENODEFILECHECK:node:node3.example.com:Node did not return file checksum data"
        in msgs
    )
    assert any(
        m.startswith("  - ERROR:ENODERPC:node:node3.example.com:while contacting node: Error while")
        for m in msgs
    )
    assert len(msgs) == 2


@pytest.mark.parametrize(
    "tweak, expected",
    [
        (
            lambda n, r: r.update({constants.NV_VERSION: [1, "2.0"]}) if n == NODES[1] else None,
            "ERROR: node node2.example.com: incompatible protocol versions: master 3000000, node 1",
        ),
        (
            lambda n, r: (
                r.update({constants.NV_VERSION: [constants.PROTOCOL_VERSION, "3.0.1"]})
                if n == NODES[1]
                else None
            ),
            "WARNING: node node2.example.com: software version mismatch: master 3.0.2, node 3.0.1",
        ),
        (
            lambda n, r: (
                r.update({constants.NV_TIME: [int(time.time()) - 1000, 0]})
                if n == NODES[2]
                else None
            ),
            "ERROR: node node3.example.com: Node time diverges by at least",
        ),
        (
            lambda n, r: (
                r.update({constants.NV_NODELIST: {NODES[0]: "SSH problem: refused"}})
                if n == NODES[2]
                else None
            ),
            "ERROR: node node3.example.com: ssh communication with node 'node1.example.com':"
            " SSH problem: refused",
        ),
        (
            lambda n, r: (
                r.update({constants.NV_NODENETTEST: {NODES[1]: "failure using the primary"}})
                if n == NODES[0]
                else None
            ),
            "ERROR: node node1.example.com: tcp communication with node 'node2.example.com'",
        ),
        (
            lambda n, r: r.update({constants.NV_MASTERIP: False}) if n == NODES[0] else None,
            "ERROR: node node1.example.com: the master node cannot reach the master IP",
        ),
        (
            lambda n, r: (
                r.update({constants.NV_HYPERVISOR: {"fake": "broken"}}) if n == NODES[1] else None
            ),
            "ERROR: node node2.example.com: hypervisor fake verify failure: 'broken'",
        ),
        (
            lambda n, r: (
                r.update({constants.NV_NODESETUP: ["no sysfs"]}) if n == NODES[1] else None
            ),
            "ERROR: node node2.example.com: node setup error: no sysfs",
        ),
        (
            lambda n, r: (
                r.update({constants.NV_CLIENT_CERT: [None, "OTHER"]}) if n == NODES[1] else None
            ),
            "ERROR: cluster: Client certificate digest of master candidate 'node2.example.com'"
            " does not match",
        ),
        (
            lambda n, r: (
                r.update({constants.NV_CLIENT_CERT: ["ERROR", "expired"]})
                if n == NODES[1]
                else None
            ),
            "ERROR: cluster: Client certificate of node 'node2.example.com' failed validation:"
            " expired (code 'ERROR')",
        ),
        (
            lambda n, r: (
                r.update({constants.NV_INSTANCELIST: ["ghost"]}) if n == NODES[1] else None
            ),
            "ERROR: node node2.example.com: instance ghost on node node2.example.com should not exist",
        ),
    ],
)
def test_verify_group_node_problems(h, tweak, expected):
    result, msgs = _verify_with(h, tweak)
    assert any(m.startswith("  - " + expected) for m in msgs), msgs
    assert result is expected.startswith("WARNING")


def _os_row(name, path=None, status=True, diagnose="", variants=("default",), api=(20,)):
    path = path or "/srv/ganeti/os/" + name
    return [name, path, status, diagnose, list(variants), [["p1", "a param"]], list(api), True]


def test_verify_group_os_definitions(h):
    def tweak(node, result):
        rows = [_os_row("debootstrap"), _os_row("dummy", variants=("default", "fast"))]
        if node == NODES[1]:
            rows = [
                _os_row("debootstrap", api=(15,)),
                _os_row("dummy", status=False, diagnose="create script missing"),
                _os_row("extra"),
            ]
        if node == NODES[2]:
            rows = [_os_row("debootstrap"), _os_row("debootstrap", "/usr/share/ganeti/os/x")]
        result[constants.NV_OSLIST] = rows

    result, msgs = _verify_with(h, tweak, error_codes=True)
    assert result is False
    os_msgs = sorted(m for m in msgs if ":ENODEOS:" in m)
    prefix = "  - ERROR:ENODEOS:node:"
    assert os_msgs == sorted(
        [
            prefix + "node2.example.com:Invalid OS dummy (located at /srv/ganeti/os/dummy):"
            " create script missing",
            prefix + "node2.example.com:OS API version for debootstrap differs from reference"
            " node node1.example.com: [15] vs. [20]",
            prefix + "node2.example.com:Extra OS extra not present on reference node"
            " (node1.example.com)",
            prefix + "node3.example.com:OS 'debootstrap' has multiple entries (first one shadows"
            " the rest): /srv/ganeti/os/debootstrap, /usr/share/ganeti/os/x",
            prefix + "node3.example.com:OSes present on reference node node1.example.com but"
            " missing on this node: dummy",
        ]
    ), os_msgs
    # the same definitions everywhere are clean; a node without valid data is reported
    result, msgs = _verify_with(
        h, lambda node, r: r.update({constants.NV_OSLIST: [_os_row("dummy")]})
    )
    assert result is True and not [m for m in msgs if "OS" in m]
    result, msgs = _verify_with(
        h, lambda node, r: r.pop(constants.NV_OSLIST) if node == NODES[2] else None
    )
    assert result is False
    assert "  - ERROR: node node3.example.com: node hasn't returned valid OS data" in msgs


def test_verify_group_file_checksums(h):
    bootstrap.generate_cluster_crypto("node1.example.com")

    def tweak(node, result):
        files = result[constants.NV_FILELIST]
        if node == NODES[1]:
            files[pathutils.RAPI_CERT_FILE] = "different"
        if node == NODES[2]:
            del files[pathutils.CONFD_HMAC_KEY]

    result, msgs = _verify_with(h, tweak)
    assert result is False
    assert (
        "  - ERROR: cluster: File %s found with 2 different checksums (variant 1 on"
        " node2.example.com; variant 2 on node1.example.com, node3.example.com)"
        % pathutils.RAPI_CERT_FILE
        in msgs
    )
    assert (
        "  - ERROR: cluster: File %s is missing from node(s) node3.example.com"
        % pathutils.CONFD_HMAC_KEY
        in msgs
    )


def test_verify_group_config_only_on_candidates(h):
    node3 = h.node("node3.example.com")
    node3.master_candidate = False
    h.cfg.update(node3)
    cluster = h.cfg.get_cluster_info()
    cluster.candidate_certs.pop(node3.uuid)
    h.cfg.update(cluster)
    result, msgs = _verify_with(h, None)
    assert (
        "  - ERROR: cluster: File %s should not exist on node(s) node3.example.com"
        % pathutils.CLUSTER_CONF_FILE
        in msgs
    )


def test_verify_group_offline_node_is_skipped(h):
    node3 = h.node("node3.example.com")
    node3.offline = True
    node3.master_candidate = False
    h.cfg.update(node3)
    cluster = h.cfg.get_cluster_info()
    cluster.candidate_certs.pop(node3.uuid)
    h.cfg.update(cluster)
    assert h.run("OpClusterVerifyGroup", group_name="default", verbose=True) is True
    assert "* Skipping offline node node3.example.com" in h.cbs.messages
    assert "  - NOTICE: 1 offline node(s) found." in h.cbs.messages
    assert {c[1] for c in h.rpc.called("node_verify")} == set(NODES[:2])


def test_verify_group_hook_failures(h):
    def hooks(nodes, hpath, phase, env):
        return {
            name: hooksmaster.HookNodeResult(
                payload=[("10-check", constants.HKR_FAIL, "line1\nline2")]
                if name == NODES[1]
                else []
            )
            for name in nodes
        }

    h.hooks_execution_fn = hooks
    assert h.run("OpClusterVerifyGroup", group_name="default") is False
    assert "  - ERROR: node node2.example.com: Script 10-check failed, output:" in h.cbs.messages
    assert "      line1\n      line2" in h.cbs.messages


def test_verify_group_bridges(h):
    result, msgs = _verify_with(
        h, lambda n, r: r.update({constants.NV_BRIDGES: ["xen-br0"]}) if n == NODES[0] else None
    )
    assert "  - ERROR: node node1.example.com: missing bridges: xen-br0" in msgs


def test_error_format_helpers():
    assert cluster_verify.CV_ITEM_TYPES["ENODEVERSION"] == "node"
    assert cluster_verify.CV_ITEM_TYPES["ECLUSTERCFG"] == "cluster"
    assert cluster_verify.CV_ITEM_TYPES["EINSTANCEDOWN"] == "instance"
    assert cluster_verify.CV_ITEM_TYPES["EGROUPDIFFERENTPVSIZE"] == "group"
    assert set(cluster_verify.CV_ITEM_TYPES) == constants.CV_ALL_ECODES_STRINGS


# --- set params ---------------------------------------------------------------------------------


def _refused(h, match, code=errors.ECODE_INVAL, **params):
    before = h.config_bytes()
    with pytest.raises(errors.OpPrereqError, match=match) as err:
        h.run("OpClusterSetParams", **params)
    assert err.value.args[1] == code
    assert h.config_bytes() == before, "a refused modify changed the configuration"


def test_modify_parameters(h):
    h.run(
        "OpClusterSetParams",
        candidate_pool_size=5,
        beparams={"maxmem": "512"},
        nicparams={"link": "br7"},
        hvparams={"fake": {"migration_mode": "non-live"}},
        ndparams={"spindle_count": 2},
        mac_prefix="aa:bb:cc",
        maintain_node_health=True,
        reserved_lvs=["xenvg/keep.*"],
        uid_pool=[[100, 200]],
        add_uids=[[300, 300]],
        hidden_os=[["add", "debian"]],
        enabled_data_collectors={"lv": False},
        data_collector_interval={"diskstats": 7000000},
        max_running_jobs=7,
    )
    cluster = h.cfg.get_cluster_info()
    assert cluster.candidate_pool_size == 5
    assert cluster.beparams["default"]["maxmem"] == 512
    assert cluster.beparams["default"]["minmem"] == 128
    assert cluster.nicparams["default"]["link"] == "br7"
    assert cluster.hvparams["fake"]["migration_mode"] == "non-live"
    assert cluster.ndparams["spindle_count"] == 2
    assert cluster.mac_prefix == "aa:bb:cc"
    assert cluster.maintain_node_health is True
    assert cluster.reserved_lvs == ["xenvg/keep.*"]
    assert [list(r) for r in cluster.uid_pool] == [[100, 200], [300, 300]]
    assert cluster.hidden_os == ["debian"]
    assert cluster.data_collectors["lv"]["active"] is False
    assert cluster.data_collectors["diskstats"]["interval"] == 7000000
    assert cluster.max_running_jobs == 7
    hooks = [x for x in h.hooks if x[0] == "cluster-modify"]
    assert [x[1] for x in hooks] == ["pre", "post"]
    assert hooks[0][2] == ["node1.example.com"]


def test_modify_reset_to_default(h):
    h.run("OpClusterSetParams", beparams={"maxmem": 512})
    h.run("OpClusterSetParams", beparams={"maxmem": "default"})
    assert h.cfg.get_cluster_info().beparams["default"]["maxmem"] == 128


@pytest.mark.parametrize(
    "params, match, code",
    [
        ({"beparams": {"nosuch": 1}}, "Invalid backend parameters", errors.ECODE_INVAL),
        ({"beparams": {"maxmem": "lots"}}, "Invalid backend parameters", errors.ECODE_INVAL),
        (
            {"hvparams": {"fake": {"nosuch": 1}}},
            "Invalid hypervisor parameters",
            errors.ECODE_INVAL,
        ),
        ({"enabled_hypervisors": ["xen-pvm"]}, "not available", errors.ECODE_ENVIRON),
        ({"enabled_disk_templates": ["plain"]}, "need a volume group", errors.ECODE_INVAL),
        ({"nicparams": {"mode": "nosuch"}}, "Invalid NIC mode", errors.ECODE_INVAL),
        ({"mac_prefix": "xx:yy"}, "Invalid MAC prefix", errors.ECODE_INVAL),
        ({"master_netmask": 40}, "Invalid master netmask", errors.ECODE_INVAL),
        ({"uid_pool": [[10, 5]]}, "Invalid uid range", errors.ECODE_INVAL),
        ({"default_iallocator": "nosuch-allocator"}, "not found on master", errors.ECODE_INVAL),
        ({"ipolicy": {"nosuch": 1}}, "Invalid instance policy key", errors.ECODE_INVAL),
        (
            {"enabled_data_collectors": {"nosuch": True}},
            "Unknown data collector",
            errors.ECODE_INVAL,
        ),
    ],
)
def test_modify_bad_input_changes_nothing(h, params, match, code):
    _refused(h, match, code, **params)


def test_modify_vg_checked_on_nodes(h):
    h.rpc.answers["vg_list"] = lambda node: ok({"xenvg": 10240} if node != NODES[2] else {}, node)
    _refused(
        h,
        "Error on node 'node3.example.com': volume group 'xenvg' missing",
        errors.ECODE_ENVIRON,
        vg_name="xenvg",
    )
    h.rpc.answers["vg_list"] = lambda node: ok({"xenvg": 10240}, node)
    h.run("OpClusterSetParams", vg_name="xenvg", enabled_disk_templates=["plain", "diskless"])
    cluster = h.cfg.get_cluster_info()
    assert cluster.volume_group_name == "xenvg"
    assert cluster.enabled_disk_templates == ["plain", "diskless"]


def test_modify_master_netmask_and_netdev(h):
    h.run("OpClusterSetParams", master_netmask=24)
    (call,) = h.rpc.called("node_change_master_netmask")
    assert call[1:] == ("node1.example.com", 32, 24, "198.51.100.100", "lo")
    h.run("OpClusterSetParams", master_netdev="eth1")
    assert [c[0] for c in h.rpc.calls[-2:]] == [
        "node_deactivate_master_ip",
        "node_activate_master_ip",
    ]
    assert h.rpc.calls[-2][2]["netdev"] == "lo" and h.rpc.calls[-1][2]["netdev"] == "eth1"
    assert h.cfg.get_master_netdev() == "eth1"


def test_modify_candidate_pool_promotes(h):
    node3 = h.node("node3.example.com")
    node3.master_candidate = False
    h.cfg.update(node3)
    h.run("OpClusterSetParams", candidate_pool_size=2)
    assert not h.node("node3.example.com").master_candidate
    h.run("OpClusterSetParams", candidate_pool_size=3)
    assert h.node("node3.example.com").master_candidate
    assert "Promoted node node3.example.com to master candidate" in h.cbs.messages


# --- destroy, post-init, rename, master IP, redist, renew ------------------------------------------


def test_destroy_needs_an_empty_cluster(h):
    before = h.config_bytes()
    with pytest.raises(errors.OpPrereqError, match="There are still 2 node"):
        h.run("OpClusterDestroy")
    assert h.config_bytes() == before


def test_destroy_one_node_cluster(tmp_path):
    old = pathutils.get_root()
    try:
        h = Harness(str(tmp_path), extra_nodes=0)
        master = h.cfg.get_master_node()
        assert h.run("OpClusterDestroy") == master
        assert [c[0] for c in h.rpc.calls] == ["node_deactivate_master_ip"]
        assert [(x[0], x[1], x[2]) for x in h.hooks] == [
            ("cluster-destroy", "post", ["node1.example.com"])
        ]
    finally:
        pathutils.set_root(old)


def test_post_init_hooks(h):
    assert h.run("OpClusterPostInit") is True
    (hook,) = [x for x in h.hooks if x[0] == "cluster-init"]
    assert hook[1] == "post" and hook[2] == ["node1.example.com"]
    assert hook[3]["GANETI_POST_OP_TARGET"] == "cluster.example.com"


def test_rename(h, monkeypatch):
    names = {"newname.example.com": "198.51.100.101", "cluster.example.com": "198.51.100.100"}

    def resolve(name, family=None):
        if name not in names:
            raise errors.ResolverError(name, 0, "not found")
        return unet.HostInfo(name, [], names[name])

    monkeypatch.setattr(unet.HostInfo, "resolve", staticmethod(resolve))
    monkeypatch.setattr(unet, "tcp_ping", lambda *a, **k: False)
    h.write_file(pathutils.SSH_KNOWN_HOSTS_FILE, "cluster.example.com ssh-ed25519 AAAA\n")
    with pytest.raises(errors.OpPrereqError, match="Neither the name nor the IP"):
        h.run("OpClusterRename", name="cluster.example.com")
    with pytest.raises(errors.OpPrereqError) as err:
        h.run("OpClusterRename", name="nosuch.example.com")
    assert err.value.args[1] == errors.ECODE_RESOLVER
    assert h.run("OpClusterRename", name="newname.example.com") == "newname.example.com"
    assert h.cfg.get_cluster_name() == "newname.example.com"
    assert h.cfg.get_master_ip() == "198.51.100.101"
    procs = [c[0] for c in h.rpc.calls]
    assert procs.index("node_deactivate_master_ip") < procs.index("node_activate_master_ip")
    assert open(pathutils.SSH_KNOWN_HOSTS_FILE).read() == "newname.example.com ssh-ed25519 AAAA\n"
    monkeypatch.setattr(unet, "tcp_ping", lambda *a, **k: True)
    names["other.example.com"] = "198.51.100.102"
    with pytest.raises(errors.OpPrereqError, match="is reachable") as err:
        h.run("OpClusterRename", name="other.example.com")
    assert err.value.args[1] == errors.ECODE_NOTUNIQUE


def test_master_ip_switches(h):
    h.run("OpClusterActivateMasterIp")
    h.run("OpClusterDeactivateMasterIp")
    assert [c[0] for c in h.rpc.calls] == ["node_activate_master_ip", "node_deactivate_master_ip"]
    assert h.rpc.calls[0][1] == "node1.example.com"
    h.rpc.answers["node_activate_master_ip"] = fail("address in use")
    with pytest.raises(
        errors.OpExecError, match="Could not activate the master IP: address in use"
    ):
        h.run("OpClusterActivateMasterIp")


def test_redist_conf(h):
    h.write_file(pathutils.RAPI_CERT_FILE)
    h.write_file(pathutils.CONFD_HMAC_KEY)
    serial = h.cfg.get_config_serial()
    h.run("OpClusterRedistConf")
    assert h.cfg.get_config_serial() == serial + 1
    uploads = {(c[1], c[2]) for c in h.rpc.called("upload_file")}
    assert uploads == {
        (node, path)
        for node in NODES[1:]
        for path in (pathutils.RAPI_CERT_FILE, pathutils.CONFD_HMAC_KEY)
    }


def test_redist_conf_gives_candidates_the_rapi_users_and_certificate(h):
    """ganeti-rapi on a new master needs both files (master-failover moves it)."""
    from ganeti import backend

    h.write_file(pathutils.RAPI_CERT_FILE)
    h.write_file(pathutils.RAPI_USERS_FILE, "admin s3cret write\n")
    h.run("OpClusterRedistConf")
    candidates = sorted(n.name for n in _nodes(h) if n.master_candidate)
    assert candidates[1:] == NODES[1:]
    for path in (pathutils.RAPI_USERS_FILE, pathutils.RAPI_CERT_FILE):
        assert sorted(c[1] for c in h.rpc.called("upload_file") if c[2] == path) == NODES[1:]
        # and the node daemons accept them
        assert path in backend.allowed_upload_files()
    # verify compares them across nodes; the users file may be absent everywhere
    files_all, files_opt, _, _ = cluster_ops.ancillary_files(h.cfg.get_cluster_info(), False)
    assert {pathutils.RAPI_USERS_FILE, pathutils.RAPI_CERT_FILE} <= files_all
    assert pathutils.RAPI_USERS_FILE in files_opt


def test_renew_node_certificates(h):
    bootstrap.generate_cluster_crypto("node1.example.com")
    from ganeti.utils import x509

    old = x509.get_certificate_digest(pathutils.NODED_CLIENT_CERT_FILE)
    h.run("OpClusterRenewCrypto", node_certificates=True)
    new = x509.get_certificate_digest(pathutils.NODED_CLIENT_CERT_FILE)
    assert new != old
    certs = h.cfg.get_cluster_info().candidate_certs
    nodes = {n.name: n.uuid for n in _nodes(h)}
    assert certs == {
        nodes[NODES[0]]: new,
        nodes[NODES[1]]: "DIGEST-OF-node2.example.com",
        nodes[NODES[2]]: "DIGEST-OF-node3.example.com",
    }
    assert {c[1] for c in h.rpc.called("node_crypto_tokens")} == set(NODES[1:])


def test_renew_node_certificates_without_node_support(h):
    bootstrap.generate_cluster_crypto("node1.example.com")
    h.rpc.answers["node_crypto_tokens"] = fail("Node answered HTTP 404: Unknown procedure")
    h.run("OpClusterRenewCrypto", node_certificates=True)
    certs = h.cfg.get_cluster_info().candidate_certs
    assert certs[h.node(NODES[1]).uuid] == "DIGEST-" + NODES[1]
    assert any("cannot create a new client certificate" in m for m in h.cbs.messages)


def test_renew_ssh_keys_records_type_and_size(h):
    cluster = h.cfg.get_cluster_info()
    cluster.ssh_key_type, cluster.ssh_key_bits = "rsa", 2048
    h.cfg.update(cluster)
    h.run("OpClusterRenewCrypto", renew_ssh_keys=True, ssh_key_type="ed25519")
    cluster = h.cfg.get_cluster_info()
    assert (cluster.ssh_key_type, cluster.ssh_key_bits) == ("ed25519", 256)
    h.run("OpClusterRenewCrypto", renew_ssh_keys=True, ssh_key_type="ecdsa", ssh_key_bits=521)
    cluster = h.cfg.get_cluster_info()
    assert (cluster.ssh_key_type, cluster.ssh_key_bits) == ("ecdsa", 521)
    # same type, no size: the size stays; no node is asked anything
    h.run("OpClusterRenewCrypto", renew_ssh_keys=True)
    cluster = h.cfg.get_cluster_info()
    assert (cluster.ssh_key_type, cluster.ssh_key_bits) == ("ecdsa", 521)
    assert not h.rpc.called("node_crypto_tokens")
    with pytest.raises(errors.OpPrereqError, match="need renew_ssh_keys") as err:
        h.run("OpClusterRenewCrypto", ssh_key_type="rsa")
    assert err.value.args[1] == errors.ECODE_INVAL


def test_renew_node_certificates_after_new_cluster_certificate(h):
    """The master has no client certificate then (it presents the cluster
    certificate until the nodes know its new one)."""
    import os

    bootstrap.generate_cluster_crypto("node1.example.com")
    os.unlink(pathutils.NODED_CLIENT_CERT_FILE)
    h.run("OpClusterRenewCrypto", node_certificates=True)
    from ganeti.utils import x509

    new = x509.get_certificate_digest(pathutils.NODED_CLIENT_CERT_FILE)
    certs = h.cfg.get_cluster_info().candidate_certs
    assert certs[h.node(NODES[0]).uuid] == new
    assert not [k for k in certs if k.endswith("-OLDMASTER")]


def test_ancillary_files(h):
    cluster = h.cfg.get_cluster_info()
    files_all, files_opt, files_mc, files_vm = cluster_ops.ancillary_files(
        cluster, False, ["cluster_name"]
    )
    assert pathutils.NODED_CERT_FILE in files_all
    assert pathutils.ssconf_file("cluster_name") in files_all
    assert files_mc == {pathutils.CLUSTER_CONF_FILE}
    assert pathutils.RAPI_USERS_FILE in files_opt
    redist_all, _, redist_mc, _ = cluster_ops.ancillary_files(cluster, True)
    assert pathutils.NODED_CERT_FILE not in redist_all and not redist_mc
    assert opcodes.OpClusterVerifyGroup.OP_ID == "OP_CLUSTER_VERIFY_GROUP"
