"""Tests of migration, failover and node migration through mcpu with a fake RPC.

The fake nodes keep which instances run where and play the node side of
a migration (info, accept, migrate, status, finalize), so the tests check
the order of the node procedures, what the configuration says afterwards
(primary node, disk nodes), the hooks and log lines, and that every
refused or failed operation leaves config.data as it was.
"""

import pytest

from ganeti import constants, errors, locking, opcodes, pathutils
from ganeti.cmdlib import instance_migration

from cmdlib_testutils import Callbacks, Harness, fail, ok

N1, N2, N3 = "node1.example.com", "node2.example.com", "node3.example.com"


class Nodes:
    """Running instances per node and the node side of a migration."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.running: dict[str, dict[str, int]] = {N1: {}, N2: {}, N3: {}}
        self.free_mem = {N1: 4096, N2: 4096, N3: 4096}
        self.incoming: dict[str, str] = {}
        self.statuses: list[dict] = []
        a = h.rpc.answers
        a["node_info"] = self.node_info
        a["instance_start"] = self.start
        a["instance_shutdown"] = self.shutdown
        a["instance_info"] = self.info
        a["instance_list"] = lambda n, hvs, hvp: ok(sorted(self.running[n]))
        a["instance_migratable"] = self.migratable
        a["migration_info"] = lambda n, inst: ok("RUNTIME-OF-" + inst.name)
        a["accept_instance"] = self.accept
        a["instance_migrate"] = self.migrate
        a["instance_get_migration_status"] = self.status
        a["instance_finalize_migration_src"] = self.finalize_src
        a["instance_finalize_migration_dst"] = self.finalize_dst
        a["blockdev_find"] = lambda n, disk_inst: ok({"is_degraded": False})
        a["blockdev_assemble"] = lambda n, disk, *args: ok([disk[0].logical_id[1], None, None])
        a["os_validate"] = lambda *args: ok(True)

    def node_info(self, node, units, hv_specs):
        space = [{"type": u[0], "name": u[1], "storage_free": 10240} for u in units]
        return ok(["bootid", space, [{"memory_free": self.free_mem[node]}]])

    def start(self, node, inst_hvp_bep, paused, reason):
        self.running[node][inst_hvp_bep[0].name] = 128
        return ok(None)

    def shutdown(self, node, inst, timeout, reason):
        self.running[node].pop(inst.name, None)
        return ok(None)

    def info(self, node, name, hv, hvparams):
        if name in self.running[node]:
            return ok({"memory": self.running[node][name], "vcpus": 1, "state": 0})
        return ok({})

    def migratable(self, node, inst):
        if inst.name not in self.running[node]:
            return fail("Instance %s is not running" % inst.name)
        return ok(None)

    def accept(self, node, inst, info, target_ip):
        assert info == "RUNTIME-OF-" + inst.name
        self.incoming[node] = inst.name
        return ok(None)

    def migrate(self, node, cluster_name, inst, target_ip, live):
        assert inst.name in self.running[node] and cluster_name == "cluster.example.com"
        return ok(None)

    def status(self, node, inst):
        if self.statuses:
            return ok(self.statuses.pop(0))
        return ok({"status": constants.HV_MIGRATION_COMPLETED})

    def finalize_src(self, node, inst, success, live):
        if success:
            self.running[node].pop(inst.name, None)
        return ok(None)

    def finalize_dst(self, node, inst, info, success):
        if self.incoming.pop(node, None) and success:
            self.running[node][inst.name] = 128
        return ok(None)

    def where(self, name: str) -> list[str]:
        return [n for n, names in self.running.items() if name in names]


@pytest.fixture
def h(tmp_path, monkeypatch):
    old = pathutils.get_root()
    harness = Harness(str(tmp_path))
    harness.nodes = Nodes(harness)
    cluster = harness.cfg.get_cluster_info()
    cluster.ipolicy["minmax"][0]["min"].update({"disk-size": 1, "disk-count": 0})
    cluster.enabled_disk_templates = ["diskless", "file", "sharedfile"]
    cluster.ipolicy["disk-templates"] = ["diskless", "file", "sharedfile"]
    harness.cfg.update(cluster)
    monkeypatch.setattr(instance_migration, "POLL_INTERVAL", 0.0)
    harness.jobs = []
    monkeypatch.setattr(Callbacks, "submit_many_jobs", lambda self, jobs: _record(harness, jobs))
    yield harness
    pathutils.set_root(old)


def _record(h, jobs):
    h.jobs.extend(jobs)
    return [[True, 100 + i] for i in range(len(jobs))]


def create(h, name, template="sharedfile", node=N2, **params):
    disks = [] if template == "diskless" else [{"size": 64}]
    base = dict(
        instance_name=name, disk_template=template, os_type="debootstrap", pnode=node,
        nics=[{}], disks=disks, name_check=False, ip_check=False, beparams={"maxmem": 128},
        mode="create",
    )  # fmt: skip
    base.update(params)
    h.run("OpInstanceCreate", **base)
    return h.cfg.get_instance_info_by_name(name)


def _primary(h, name):
    inst = h.cfg.get_instance_info_by_name(name)
    return h.cfg.get_node_name(inst.primary_node)


def _refused(h, op, code, match, **params):
    before = h.config_bytes()
    with pytest.raises(errors.OpPrereqError, match=match) as err:
        h.run(op, **params)
    assert err.value.args[1] == code
    assert h.config_bytes() == before, "a refused %s changed the configuration" % op
    assert not h.glm.list_owned(locking.LEVEL_NODE)


def _calls_since(h, mark):
    return [c[:2] for c in h.rpc.calls[mark:] if not c[0].startswith("hooks")]


# --- live migration ------------------------------------------------------------------------------


def test_live_migration_of_sharedfile_instance(h):
    inst = create(h, "web.example.com")
    mark = len(h.rpc.calls)
    h.run("OpInstanceMigrate", instance_name="web", target_node="node3")
    assert _primary(h, "web.example.com") == N3
    (disk,) = h.cfg.get_instance_disks(inst.uuid)
    assert disk.nodes == [h.node(N3).uuid]
    assert h.cfg.get_instance_nodes(inst.uuid) == [h.node(N3).uuid]
    assert h.nodes.where("web.example.com") == [N3]
    assert _calls_since(h, mark) == [
        ("node_info", N3),
        ("bridges_exist", N3),
        ("instance_migratable", N2),
        ("instance_info", N2),
        ("blockdev_find", N3),
        ("migration_info", N2),
        ("accept_instance", N3),
        ("instance_migrate", N2),
        ("instance_get_migration_status", N2),
        ("instance_finalize_migration_src", N2),
        ("instance_finalize_migration_dst", N3),
    ]
    accept = h.rpc.called("accept_instance")[0]
    assert accept[4] == h.node(N3).secondary_ip
    migrate = h.rpc.called("instance_migrate")[0]
    assert migrate[4:] == (h.node(N3).secondary_ip, True)
    msgs = h.cbs.messages
    for line in (
        "Migrating instance web.example.com",
        "* checking disk consistency between source and target",
        "* preparing node3.example.com to accept the instance",
        "* migrating instance to node3.example.com",
        "* done",
    ):
        assert line in msgs
    pre, post = [x for x in h.hooks if x[0] == "instance-migrate"]
    assert pre[2] == post[2] == [N1, N2, N3]
    env = pre[3]
    assert env["GANETI_MIGRATE_LIVE"] == "True" and env["GANETI_MIGRATE_CLEANUP"] == "False"
    assert env["GANETI_OLD_PRIMARY"] == N2 and env["GANETI_NEW_PRIMARY"] == N3
    assert env["GANETI_OLD_SECONDARY"] == env["GANETI_NEW_SECONDARY"] == ""
    assert env["GANETI_ALLOW_RUNTIME_CHANGES"] == "True"
    assert env["GANETI_INSTANCE_PRIMARY"] == N2
    assert post[3]["GANETI_POST_INSTANCE_PRIMARY"] == N3


def test_non_live_modes(h):
    create(h, "a.example.com", template="diskless")
    h.run("OpInstanceMigrate", instance_name="a", target_node="node3", mode="non-live")
    assert h.rpc.called("instance_migrate")[-1][-1] is False
    h.run("OpInstanceMigrate", instance_name="a", target_node="node1", live=False)
    assert h.rpc.called("instance_migrate")[-1][-1] is False
    h.run("OpInstanceMigrate", instance_name="a", target_node="node2")  # hvparam default: live
    assert h.rpc.called("instance_migrate")[-1][-1] is True
    assert _primary(h, "a.example.com") == N2


def test_progress_is_polled_until_complete(h, monkeypatch):
    monkeypatch.setattr(instance_migration, "FEEDBACK_INTERVAL", 0.0)
    create(h, "web.example.com")
    h.nodes.statuses = [
        {"status": "active", "transferred_ram": 50, "total_ram": 200},
        {"status": "active", "transferred_ram": 150, "total_ram": 200},
    ]
    h.run("OpInstanceMigrate", instance_name="web", target_node="node3")
    assert len(h.rpc.called("instance_get_migration_status")) == 3
    assert "* memory transfer progress: 75.00 %" in h.cbs.messages


def test_iallocator_chooses_target(h, monkeypatch):
    from ganeti import iallocator

    seen = {}

    def run(self, name, validate=True):
        seen["name"], seen["request"] = name, self._request_dict()
        self.success, self.info, self.result = True, "ok", [N1]
        return self.result

    monkeypatch.setattr(iallocator.IAllocator, "run", run)
    create(h, "web.example.com")
    h.run("OpInstanceMigrate", instance_name="web")
    assert seen["name"] == "hail"  # the cluster's default
    assert seen["request"]["type"] == "relocate"
    assert seen["request"]["relocate_from"] == [N2]
    assert _primary(h, "web.example.com") == N1


# --- refusals ----------------------------------------------------------------------------------


def test_bad_input_leaves_config_unchanged(h):
    create(h, "db.example.com", template="file")
    create(h, "web.example.com")
    create(h, "down.example.com", start=False)
    _refused(h, "OpInstanceMigrate", errors.ECODE_STATE,
             "Instance's disk layout 'file' does not allow migrations",
             instance_name="db", target_node="node3")  # fmt: skip
    _refused(h, "OpInstanceFailover", errors.ECODE_STATE,
             "Instance's disk layout 'file' does not allow failovers",
             instance_name="db", target_node="node3")  # fmt: skip
    _refused(h, "OpInstanceMigrate", errors.ECODE_NOENT, "Node 'nosuch' not known",
             instance_name="web", target_node="nosuch")  # fmt: skip
    _refused(h, "OpInstanceMigrate", errors.ECODE_STATE,
             "Cannot migrate instance web.example.com to its primary",
             instance_name="web", target_node="node2")  # fmt: skip
    _refused(h, "OpInstanceFailover", errors.ECODE_STATE,
             "Cannot failover instance web.example.com to its primary",
             instance_name="web", target_node="node2")  # fmt: skip
    _refused(h, "OpInstanceMigrate", errors.ECODE_STATE,
             "Can't migrate, please use failover: Instance down.example.com is not running",
             instance_name="down", target_node="node3")  # fmt: skip
    _refused(h, "OpInstanceMigrate", errors.ECODE_INVAL, "Only one of the 'live' and 'mode'",
             instance_name="web", target_node="node3", live=True, mode="live")  # fmt: skip
    _refused(h, "OpInstanceMigrate", errors.ECODE_INVAL, "Do not specify both",
             instance_name="web", target_node="node3", iallocator="hail")  # fmt: skip
    _refused(h, "OpInstanceMigrate", errors.ECODE_NOENT, "Instance 'nosuch' not known",
             instance_name="nosuch", target_node="node3")  # fmt: skip
    h.nodes.free_mem[N3] = 64
    _refused(h, "OpInstanceMigrate", errors.ECODE_NORES, "Not enough memory on node",
             instance_name="web", target_node="node3")  # fmt: skip
    h.nodes.free_mem[N3] = 4096
    node3 = h.node(N3)
    node3.drained = True
    h.cfg.update(node3)
    _refused(h, "OpInstanceMigrate", errors.ECODE_STATE, "the node is drained",
             instance_name="web", target_node="node3")  # fmt: skip
    assert not h.rpc.called("instance_migrate")
    assert h.nodes.where("web.example.com") == [N2]


def test_no_target_and_no_default_iallocator(h):
    create(h, "web.example.com")
    cluster = h.cfg.get_cluster_info()
    cluster.default_iallocator = ""
    h.cfg.update(cluster)
    _refused(h, "OpInstanceMigrate", errors.ECODE_INVAL, "No target node given",
             instance_name="web")  # fmt: skip


# --- failures during execution -------------------------------------------------------------------


def _failed_migration(h, match):
    before = h.config_bytes()
    with pytest.raises(errors.OpExecError, match=match):
        h.run("OpInstanceMigrate", instance_name="web", target_node="node3")
    assert h.config_bytes() == before
    assert _primary(h, "web.example.com") == N2


def test_failed_memory_transfer_aborts_on_both_nodes(h):
    create(h, "web.example.com")
    h.nodes.statuses = [{"status": "failed", "info": "connection reset"}]
    _failed_migration(h, "Could not migrate instance web.example.com: connection reset")
    dst = h.rpc.called("instance_finalize_migration_dst")[-1]
    assert dst[1] == N3 and dst[3:] == ("RUNTIME-OF-web.example.com", False)
    assert h.rpc.called("instance_finalize_migration_src")[-1][-2:] == (False, True)
    assert "Migration failed, aborting" in h.cbs.messages
    assert h.nodes.where("web.example.com") == [N2]


def test_refused_accept_aborts(h):
    create(h, "web.example.com")
    h.rpc.answers["accept_instance"] = fail("port in use")
    _failed_migration(h, "Could not pre-migrate instance web.example.com: port in use")
    assert not h.rpc.called("instance_migrate")
    assert h.rpc.called("instance_finalize_migration_src")[-1][-2] is False


def test_disk_missing_on_target(h):
    create(h, "web.example.com")
    h.rpc.answers[("blockdev_find", N3)] = ok(None)
    _failed_migration(h, "Disk 0 is degraded or not available on target node")
    assert not h.rpc.called("migration_info")


def test_memory_ballooning(h):
    create(h, "web.example.com", beparams={"maxmem": 512, "minmem": 128})
    h.nodes.running[N2]["web.example.com"] = 512
    h.nodes.free_mem[N3] = 300
    h.rpc.answers["instance_balloon_memory"] = lambda n, inst, mem: ok(None)
    _failed_migration_args = dict(instance_name="web", target_node="node3")
    with pytest.raises(errors.OpExecError, match="Memory ballooning not allowed"):
        h.run("OpInstanceMigrate", allow_runtime_changes=False, **_failed_migration_args)
    assert not h.rpc.called("instance_balloon_memory")
    h.run("OpInstanceMigrate", **_failed_migration_args)
    assert h.rpc.called("instance_balloon_memory")[-1][1:] == (
        N2,
        h.rpc.called("instance_balloon_memory")[-1][2],
        300,
    )
    assert "* setting instance memory to 300" in h.cbs.messages
    assert _primary(h, "web.example.com") == N3


# --- failover ------------------------------------------------------------------------------------


def test_failover_running_instance(h):
    inst = create(h, "web.example.com")
    mark = len(h.rpc.calls)
    h.run("OpInstanceFailover", instance_name="web", target_node="node3", shutdown_timeout=7)
    assert _primary(h, "web.example.com") == N3
    assert h.cfg.get_instance_disks(inst.uuid)[0].nodes == [h.node(N3).uuid]
    assert h.nodes.where("web.example.com") == [N3]
    calls = _calls_since(h, mark)
    order = [c for c in calls if c[0] in (
        "instance_shutdown", "blockdev_shutdown", "blockdev_assemble", "instance_start")]  # fmt: skip
    assert order == [
        ("instance_shutdown", N2),
        ("blockdev_shutdown", N2),
        ("blockdev_assemble", N3),
        ("instance_start", N3),
    ]
    assert h.rpc.called("instance_shutdown")[-1][3] == 7
    assert not h.rpc.called("instance_migrate")
    for line in (
        "Failover instance web.example.com",
        "* checking disk consistency between source and target",
        "* shutting down instance on source node",
        "* deactivating the instance's disks on source node",
        "* activating the instance's disks on target node node3.example.com",
        "* starting the instance on the target node node3.example.com",
    ):
        assert line in h.cbs.messages
    pre, post = [x for x in h.hooks if x[0] == "instance-failover"]
    assert pre[2] == [N1, N3] and post[2] == [N1, N2, N3]
    env = pre[3]
    assert env["GANETI_OLD_PRIMARY"] == N2 and env["GANETI_NEW_PRIMARY"] == N3
    assert env["GANETI_SHUTDOWN_TIMEOUT"] == "7"
    assert env["GANETI_IGNORE_CONSISTENCY"] == "False"
    assert env["GANETI_FAILOVER_CLEANUP"] == "False"


def test_failover_stopped_instance_only_moves_it(h):
    create(h, "down.example.com", start=False)
    h.run("OpInstanceFailover", instance_name="down", target_node="node1")
    assert _primary(h, "down.example.com") == N1
    assert "* not checking disk consistency as instance is not running" in h.cbs.messages
    assert not [c for c in h.rpc.calls if c[0] == "instance_start" and c[1] == N1]


def test_failover_shutdown_failure(h):
    create(h, "web.example.com")
    h.rpc.answers["instance_shutdown"] = fail("stuck")
    before = h.config_bytes()
    with pytest.raises(errors.OpExecError, match="Could not shutdown instance.*stuck"):
        h.run("OpInstanceFailover", instance_name="web", target_node="node3")
    assert h.config_bytes() == before
    h.run("OpInstanceFailover", instance_name="web", target_node="node3", ignore_consistency=True)
    assert _primary(h, "web.example.com") == N3
    assert any("proceeding anyway" in m for m in h.cbs.messages)


def test_failover_cleanup_still_needs_a_target(h, monkeypatch):
    from ganeti import iallocator

    def run(self, name, validate=True):
        self.success, self.info, self.result = True, "ok", [N3]
        return self.result

    monkeypatch.setattr(iallocator.IAllocator, "run", run)
    create(h, "web.example.com")
    h.run("OpInstanceFailover", instance_name="web", cleanup=True)
    assert _primary(h, "web.example.com") == N3
    env = [x for x in h.hooks if x[0] == "instance-failover"][0][3]
    assert env["GANETI_FAILOVER_CLEANUP"] == "True"


def test_allow_failover_falls_back_for_a_stopped_instance(h):
    create(h, "down.example.com", start=False)
    h.run("OpInstanceMigrate", instance_name="down", target_node="node3", allow_failover=True)
    assert _primary(h, "down.example.com") == N3
    assert "Failover instance down.example.com" in h.cbs.messages
    assert not h.rpc.called("instance_migrate")


def test_always_failover_backend_parameter(h):
    create(h, "web.example.com", beparams={"maxmem": 128, "always_failover": True})
    h.run("OpInstanceMigrate", instance_name="web", target_node="node3")
    assert _primary(h, "web.example.com") == N3
    assert not h.rpc.called("instance_migrate") and h.rpc.called("instance_shutdown")
    assert h.nodes.where("web.example.com") == [N3]


# --- cleanup -----------------------------------------------------------------------------------


def test_cleanup_finds_where_the_instance_runs(h):
    create(h, "web.example.com")
    h.run("OpInstanceMigrate", instance_name="web", target_node="node3", cleanup=True)
    assert "* instance confirmed to be running on its primary node (node2.example.com)" in (
        h.cbs.messages
    )
    assert _primary(h, "web.example.com") == N2
    # a migration whose master died after the memory transfer: it runs on node 1
    h.nodes.running[N2].pop("web.example.com")
    h.nodes.running[N1]["web.example.com"] = 128
    h.run("OpInstanceMigrate", instance_name="web", cleanup=True)
    assert _primary(h, "web.example.com") == N1
    assert "* instance running on secondary node (node1.example.com), updating config" in (
        h.cbs.messages
    )
    h.nodes.running[N3]["web.example.com"] = 128
    before = h.config_bytes()
    with pytest.raises(errors.OpExecError, match="running on more than one node"):
        h.run("OpInstanceMigrate", instance_name="web", cleanup=True)
    for node in (N1, N3):
        h.nodes.running[node].pop("web.example.com")
    with pytest.raises(errors.OpExecError, match="does not seem to be running at all"):
        h.run("OpInstanceMigrate", instance_name="web", cleanup=True)
    assert h.config_bytes() == before


# --- node migrate -------------------------------------------------------------------------------


def test_node_migrate_submits_one_job_per_primary_instance(h):
    for name in ("b.example.com", "a.example.com", "c.example.com"):
        create(h, name, node=N3 if name == "c.example.com" else N2)
    result = h.run("OpNodeMigrate", node_name="node2", mode="non-live", target_node="node1")
    assert result == {"jobs": [[True, 100], [True, 101]]}
    ops = [job[0] for job in h.jobs]
    assert all(isinstance(op, opcodes.OpInstanceMigrate) for op in ops)
    assert [op.instance_name for op in ops] == ["a.example.com", "b.example.com"]
    assert all(op.mode == "non-live" and op.target_node == N1 for op in ops)
    pre, post = [x for x in h.hooks if x[0] == "node-migrate"]
    assert pre[2] == post[2] == [N1]
    assert pre[3]["GANETI_NODE_NAME"] == N2
    assert pre[3]["GANETI_ALLOW_RUNTIME_CHANGES"] == "True"
    assert pre[3]["GANETI_OBJECT_TYPE"] == "NODE"
    for job in h.jobs:  # the submitted jobs do what they say
        h.run("OpInstanceMigrate", **{k: v for k, v in job[0].to_dict().items() if k != "OP_ID"})
    assert _primary(h, "a.example.com") == _primary(h, "b.example.com") == N1


def test_node_migrate_bad_input(h):
    _refused(h, "OpNodeMigrate", errors.ECODE_NOENT, "Node 'nosuch' not known",
             node_name="nosuch")  # fmt: skip
    _refused(h, "OpNodeMigrate", errors.ECODE_INVAL, "to the same node",
             node_name="node2", target_node="node2")  # fmt: skip
    _refused(h, "OpNodeMigrate", errors.ECODE_INVAL, "Only one of",
             node_name="node2", live=True, mode="live")  # fmt: skip
    assert h.run("OpNodeMigrate", node_name="node2") == {"jobs": []}
