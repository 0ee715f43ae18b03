"""Tests of the instance and OS logical units through mcpu with a fake RPC.

The fake nodes keep a little state (running instances, created disks) so
that create/start/stop/remove and their failure paths can be checked for
what they leave behind: the configuration, the lock set and the disks.
"""

import pytest

from ganeti import constants, errors, locking, pathutils
from ganeti.cmdlib import instance_utils as iu

from cmdlib_testutils import Harness, fail, ok

MIB_FREE = 4096


class Nodes:
    """State of the fake nodes behind FakeRpc answers."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.running: dict[str, dict] = {}  # node -> {instance name: memory}
        self.disks: dict[str, set] = {}  # node -> {paths}
        self.free_mem = {n: MIB_FREE for n in self._names()}
        self.free_disk = {n: 10240 for n in self._names()}
        self.oses = {"debootstrap": ["default", "minimal"]}
        a = h.rpc.answers
        a["node_info"] = self.node_info
        a["instance_start"] = self.start
        a["instance_shutdown"] = self.shutdown
        a["instance_info"] = self.info
        a["all_instances_info"] = self.all_info
        a["instance_reboot"] = lambda n, *args: ok(None)
        a["os_validate"] = self.os_validate
        a["os_diagnose"] = self.os_diagnose
        a["blockdev_create"] = self.bdev_create
        a["blockdev_remove"] = self.bdev_remove
        a["blockdev_assemble"] = lambda n, disk, *args: ok([disk[0].logical_id[1], None, None])

    def _names(self) -> list[str]:
        return [n.name for n in self.h.cfg.get_all_nodes_info().values()]

    def node_info(self, node, units, hv_specs):
        space = [
            {
                "type": u[0],
                "name": u[1],
                "storage_free": self.free_disk[node],
                "storage_size": 20480,
            }
            for u in units
        ]
        return ok(["bootid", space, [{"memory_free": self.free_mem[node], "memory_total": 8192}]])

    def start(self, node, inst_hvp_bep, paused, reason):
        inst = inst_hvp_bep[0]
        self.running.setdefault(node, {})[inst.name] = 128
        return ok(None)

    def shutdown(self, node, inst, timeout, reason):
        self.running.get(node, {}).pop(inst.name, None)
        return ok(None)

    def info(self, node, name, hv, hvparams):
        if name in self.running.get(node, {}):
            return ok({"memory": 128, "vcpus": 1, "state": 0, "time": 1.0})
        return ok({})

    def all_info(self, node, hvs, hvparams):
        return ok(
            {name: {"memory": mem, "vcpus": 1, "state": 0, "time": 1.0}
             for name, mem in self.running.get(node, {}).items()}
        )  # fmt: skip

    def os_validate(self, node, required, name, checks, params, force_variant):
        base, _, variant = name.partition("+")
        if base not in self.oses:
            return fail("OS '%s' not found" % base)
        if variant and variant not in self.oses[base] and not force_variant:
            return fail("OS variant '%s' not supported" % variant)
        return ok(True)

    def os_diagnose(self, node):
        return ok(
            [[name, "/srv/ganeti/os/" + name, True, "", variants, [["p1", "a param"]], [20], True]
             for name, variants in self.oses.items()]
        )  # fmt: skip

    def bdev_create(self, node, disk_inst, size, owner, on_primary, info, excl):
        disk = disk_inst[0]
        if size > self.free_disk[node]:
            return fail("Not enough free space")
        self.disks.setdefault(node, set()).add(disk.logical_id[1])
        return ok(disk.logical_id)

    def bdev_remove(self, node, disk_inst):
        self.disks.get(node, set()).discard(disk_inst[0].logical_id[1])
        return ok(None)

    def all_disks(self) -> set:
        return set().union(*self.disks.values()) if self.disks else set()


@pytest.fixture
def h(tmp_path):
    old = pathutils.get_root()
    harness = Harness(str(tmp_path))
    harness.nodes = Nodes(harness)
    cluster = harness.cfg.get_cluster_info()
    # as the sample cluster: small disks allowed
    cluster.ipolicy["minmax"][0]["min"].update({"disk-size": 1, "disk-count": 0})
    harness.cfg.update(cluster)
    yield harness
    pathutils.set_root(old)


def _enable(h, templates):
    cluster = h.cfg.get_cluster_info()
    cluster.enabled_disk_templates = list(templates)
    h.cfg.update(cluster)


def create(h, name="inst1.example.com", **params):
    base = dict(
        instance_name=name, disk_template="diskless", os_type="debootstrap", pnode="node2",
        nics=[{}], disks=[], name_check=False, ip_check=False, beparams={"maxmem": 128},
        mode="create",
    )  # fmt: skip
    base.update(params)
    return h.run("OpInstanceCreate", **base)


def _refused(h, exc, code, match, **params):
    before = h.config_bytes()
    locks = h.glm.names(locking.LEVEL_INSTANCE)
    with pytest.raises(exc, match=match) as err:
        create(h, **params)
    if code is not None:
        assert err.value.args[1] == code
    assert h.config_bytes() == before, "a refused create changed the configuration"
    assert h.glm.names(locking.LEVEL_INSTANCE) == locks, "a refused create left a lock"
    assert h.nodes.all_disks() == set(), "a refused create left disks"


# --- create ----------------------------------------------------------------------------------


def test_create_diskless_starts_with_one_rpc_and_hooks(h):
    result = create(h)
    assert result == ["node2.example.com"]
    inst = h.cfg.get_instance_info_by_name("inst1.example.com")
    assert inst.admin_state == constants.ADMINST_UP and inst.disks == []
    assert inst.primary_node == h.node("node2.example.com").uuid
    assert inst.nics[0].mac.startswith("aa:00:00:") and inst.nics[0].uuid
    assert inst.beparams == {"maxmem": 128}
    assert "inst1.example.com" in h.glm.names(locking.LEVEL_INSTANCE)
    calls = [c[0] for c in h.rpc.calls]
    assert calls.count("instance_start") == 1
    assert not [c for c in calls if c.startswith("blockdev_")]
    assert h.nodes.running["node2.example.com"] == {"inst1.example.com": 128}
    pre, post = [x for x in h.hooks if x[0] == "instance-add"]
    assert pre[1] == "pre" and post[1] == "post"
    assert pre[2] == ["node1.example.com", "node2.example.com"]
    env = pre[3]
    assert env["GANETI_INSTANCE_NAME"] == env["GANETI_OP_TARGET"] == "inst1.example.com"
    assert env["GANETI_INSTANCE_PRIMARY"] == "node2.example.com"
    assert env["GANETI_INSTANCE_DISK_TEMPLATE"] == "diskless"
    assert env["GANETI_INSTANCE_NIC_COUNT"] == "1" and env["GANETI_INSTANCE_DISK_COUNT"] == "0"
    assert env["GANETI_INSTANCE_NIC0_MODE"] == "bridged"
    assert env["GANETI_INSTANCE_MAXMEM"] == env["GANETI_INSTANCE_MEMORY"] == "128"
    assert env["GANETI_INSTANCE_BE_vcpus"] == "1"
    assert env["GANETI_ADD_MODE"] == "create"
    assert env["GANETI_OBJECT_TYPE"] == "INSTANCE"
    assert "GANETI_POST_INSTANCE_NAME" in post[3]


def test_create_file_instance_installs_os_and_logs_like_ganeti(h):
    create(h, "db1.example.com", disk_template="file", disks=[{"size": 64}], file_driver="loop")
    inst = h.cfg.get_instance_info_by_name("db1.example.com")
    (disk,) = h.cfg.get_instance_disks(inst.uuid)
    assert disk.dev_type == "file" and disk.size == 64 and disk.iv_name == "disk/0"
    assert disk.logical_id[0] == "loop"
    assert disk.logical_id[1].startswith("/srv/ganeti/file-storage/db1.example.com/")
    assert disk.logical_id[1].endswith(".file.disk0")
    assert inst.admin_state == constants.ADMINST_UP and inst.disks_active
    assert h.nodes.disks["node2.example.com"] == {disk.logical_id[1]}
    assert [c[0] for c in h.rpc.calls].count("instance_os_add") == 1
    msgs = h.cbs.messages
    for line in (
        "* disk 0, size 64M",
        "* creating instance disks...",
        "adding instance db1.example.com to cluster config",
        "* running the instance OS create scripts...",
        "* starting instance...",
    ):
        assert line in msgs
    env = [x for x in h.hooks if x[0] == "instance-add"][0][3]
    assert env["GANETI_INSTANCE_DISK0_SIZE"] == "64"
    assert env["GANETI_INSTANCE_DISK0_MODE"] == "rw"


def test_create_no_install_does_not_start(h):
    create(h, disk_template="file", disks=[{"size": 16}], no_install=True)
    inst = h.cfg.get_instance_info_by_name("inst1.example.com")
    assert inst.admin_state == constants.ADMINST_DOWN
    names = [c[0] for c in h.rpc.calls]
    assert "instance_os_add" not in names and "instance_start" not in names


def test_create_no_start_leaves_disks_inactive(h):
    create(h, disk_template="file", disks=[{"size": 16}], start=False)
    inst = h.cfg.get_instance_info_by_name("inst1.example.com")
    assert inst.admin_state == constants.ADMINST_DOWN
    assert not inst.disks_active
    names = [c[0] for c in h.rpc.calls]
    # the OS was installed, then the disks were shut down, and nothing started
    assert "instance_os_add" in names and "instance_start" not in names
    assert names.index("blockdev_shutdown") > names.index("instance_os_add")
    (disk,) = h.cfg.get_instance_disks(inst.uuid)
    assert h.nodes.disks["node2.example.com"] == {disk.logical_id[1]}
    # the same without the install, and the started instance keeps them active
    create(h, "inst2.example.com", disk_template="file", disks=[{"size": 16}], no_install=True)
    assert not h.cfg.get_instance_info_by_name("inst2.example.com").disks_active
    create(h, "inst3.example.com", disk_template="file", disks=[{"size": 16}])
    assert h.cfg.get_instance_info_by_name("inst3.example.com").disks_active


def test_create_refuses_bad_input_and_leaves_nothing(h):
    create(h, "taken.example.com")
    _refused(h, errors.OpPrereqError, errors.ECODE_EXISTS, "already in the cluster",
             name="taken.example.com")  # fmt: skip
    _refused(h, errors.OpPrereqError, errors.ECODE_INVAL, "not in supported OS list",
             os_type="nosuchos")  # fmt: skip
    _refused(h, errors.OpPrereqError, errors.ECODE_NORES, "Not enough memory on node",
             beparams={"maxmem": 8192})  # fmt: skip
    _refused(h, errors.OpPrereqError, errors.ECODE_INVAL, "Invalid hypervisor parameters",
             hvparams={"bogus": "1"})  # fmt: skip
    _refused(h, errors.OpPrereqError, errors.ECODE_INVAL, "not supported by hypervisor fake",
             hvparams={"kernel_path": "/boot/x"})  # fmt: skip
    h.rpc.answers["hypervisor_validate_params"] = lambda node, *args: fail("no such bridge")
    _refused(h, errors.OpPrereqError, errors.ECODE_INVAL,
             "Hypervisor parameter validation failed on node node2.example.com: no such bridge",
             name="inst9.example.com")  # fmt: skip
    del h.rpc.answers["hypervisor_validate_params"]
    _refused(h, errors.OpPrereqError, errors.ECODE_INVAL, "Invalid backend parameters: Unknown parameter .nosuch.",
             beparams={"nosuch": 1})  # fmt: skip
    _refused(h, errors.OpPrereqError, errors.ECODE_NOENT, "Node 'nosuch' not known",
             pnode="nosuch")  # fmt: skip
    _refused(h, errors.OpPrereqError, errors.ECODE_STATE, "not enabled in cluster",
             disk_template="sharedfile", disks=[{"size": 10}])  # fmt: skip
    _refused(h, errors.OpPrereqError, errors.ECODE_INVAL, "Invalid disk size",
             disk_template="file", disks=[{"size": "lots"}])  # fmt: skip
    _refused(h, errors.OpPrereqError, errors.ECODE_INVAL, "Invalid MAC",
             nics=[{"mac": "zz"}])  # fmt: skip
    _refused(h, errors.OpPrereqError, errors.ECODE_INVAL, "Routed nic mode requires",
             nics=[{"mode": "routed"}])  # fmt: skip
    _refused(h, errors.OpPrereqError, errors.ECODE_INVAL, "IP address check without a name",
             ip_check=True)  # fmt: skip


def test_create_disk_that_does_not_fit(h):
    _refused(h, errors.OpPrereqError, errors.ECODE_NORES, "Not enough disk space",
             disk_template="file", disks=[{"size": 20000}])  # fmt: skip


def test_create_failing_second_disk_removes_the_first(h):
    h.nodes.free_disk["node2.example.com"] = 100
    # the prereq check sees 100 MiB free: make the node fail only the second disk
    created = []

    def bdev_create(node, disk_inst, size, *args):
        if created:
            return fail("disk full")
        created.append(disk_inst[0])
        return h.nodes.bdev_create(node, disk_inst, size, *args)

    h.rpc.answers["blockdev_create"] = bdev_create
    _refused(h, errors.OpExecError, None, "Can't create block device disk/1.*disk full",
             disk_template="file", disks=[{"size": 10}, {"size": 10}])  # fmt: skip
    removed = h.rpc.called("file_storage_dir_remove")
    assert removed and removed[0][2].endswith("/inst1.example.com")


def test_create_plain_refused_clearly(h):
    _enable(h, ["diskless", "file", "plain"])
    _refused(h, errors.OpPrereqError, errors.ECODE_ENVIRON, "LVM storage, which is not available",
             disk_template="plain", disks=[{"size": 10}])  # fmt: skip


def test_create_ipolicy_violation(h):
    _refused(h, errors.OpPrereqError, errors.ECODE_INVAL, "violates policy",
             beparams={"maxmem": 2})  # fmt: skip
    create(h, beparams={"maxmem": 2}, ignore_ipolicy=True)


def test_create_start_failure_keeps_instance_as_ganeti(h):
    h.rpc.answers["instance_start"] = fail("hypervisor exploded")
    with pytest.raises(errors.OpExecError, match="Could not start instance.*exploded"):
        create(h)
    assert h.cfg.get_instance_info_by_name("inst1.example.com") is not None


def test_create_with_iallocator(h, monkeypatch):
    from ganeti import iallocator

    seen = {}

    def run(self, name, validate=True):
        seen["name"] = name
        seen["request"] = self._request_dict()
        self.success, self.info, self.result = True, "ok", ["node3.example.com"]
        return self.result

    monkeypatch.setattr(iallocator.IAllocator, "run", run)
    assert create(h, pnode=None) == ["node3.example.com"]
    assert seen["name"] == "hail"  # the cluster's default
    assert seen["request"]["memory"] == 128 and seen["request"]["disk_template"] == "diskless"
    assert h.glm.list_owned(locking.LEVEL_NODE) == set()

    def refuse(self, name, validate=True):
        self.success, self.info, self.result = False, "no space left", []

    monkeypatch.setattr(iallocator.IAllocator, "run", refuse)
    with pytest.raises(errors.OpPrereqError, match="Can't compute nodes using iallocator 'x'"):
        create(h, "inst2.example.com", pnode=None, iallocator="x")


# --- start, stop, reboot, remove, rename ---------------------------------------------------------


def test_lifecycle(h):
    create(h)
    h.run("OpInstanceShutdown", instance_name="inst1", timeout=5)
    inst = h.cfg.get_instance_info_by_name("inst1.example.com")
    assert inst.admin_state == constants.ADMINST_DOWN
    assert h.nodes.running["node2.example.com"] == {}
    h.run("OpInstanceStartup", instance_name="inst1")
    assert h.cfg.get_instance_info_by_name("inst1.example.com").admin_state == "up"
    assert "inst1.example.com" in h.nodes.running["node2.example.com"]
    h.run("OpInstanceReboot", instance_name="inst1", reboot_type="soft")
    assert h.rpc.called("instance_reboot")[-1][3] == "soft"
    mark = len(h.rpc.calls)
    h.run("OpInstanceReboot", instance_name="inst1", reboot_type="full")
    lifecycle = [c[0] for c in h.rpc.calls[mark:] if c[0].startswith("instance_")]
    assert lifecycle == ["instance_info", "instance_shutdown", "instance_start"]
    with pytest.raises(errors.OpPrereqError, match="marked to be up, cannot rename"):
        h.run("OpInstanceRename", instance_name="inst1", new_name="web1.example.com",
              name_check=False, ip_check=False)  # fmt: skip
    h.run("OpInstanceShutdown", instance_name="inst1")
    assert h.run("OpInstanceRename", instance_name="inst1", new_name="web1.example.com",
                 name_check=False, ip_check=False) == "web1.example.com"  # fmt: skip
    names = h.glm.names(locking.LEVEL_INSTANCE)
    assert "web1.example.com" in names and "inst1.example.com" not in names
    h.run("OpInstanceRemove", instance_name="web1", shutdown_timeout=5)
    assert h.cfg.get_instance_info_by_name("web1.example.com") is None
    assert "web1.example.com" not in h.glm.names(locking.LEVEL_INSTANCE)


def test_remove_file_instance_removes_disks_and_dir(h):
    create(h, disk_template="file", disks=[{"size": 10}, {"size": 20}])
    assert len(h.nodes.all_disks()) == 2
    h.run("OpInstanceRemove", instance_name="inst1")
    assert h.nodes.all_disks() == set()
    assert h.rpc.called("file_storage_dir_remove")[-1][2].endswith("inst1.example.com")
    assert h.cfg.get_all_disks_info() == {}


def test_start_checks_memory_and_offline(h):
    create(h, start=False)
    h.nodes.free_mem["node2.example.com"] = 10
    with pytest.raises(errors.OpPrereqError, match="Not enough memory") as err:
        h.run("OpInstanceStartup", instance_name="inst1")
    assert err.value.args[1] == errors.ECODE_NORES
    h.run("OpInstanceSetParams", instance_name="inst1", offline=True)
    assert h.cfg.get_instance_info_by_name("inst1.example.com").admin_state == "offline"
    with pytest.raises(errors.OpPrereqError, match="offline, cannot start"):
        h.run("OpInstanceStartup", instance_name="inst1")
    h.run("OpInstanceSetParams", instance_name="inst1", offline=False)
    assert h.cfg.get_instance_info_by_name("inst1.example.com").admin_state == "down"


def test_unknown_instance(h):
    with pytest.raises(errors.OpPrereqError, match="Instance 'ghost' not known") as err:
        h.run("OpInstanceStartup", instance_name="ghost")
    assert err.value.args[1] == errors.ECODE_NOENT


# --- modify ----------------------------------------------------------------------------------


def test_modify_params_nics_and_disks(h):
    create(h, disk_template="file", disks=[{"size": 10}])
    result = h.run(
        "OpInstanceSetParams", instance_name="inst1",
        beparams={"maxmem": 256, "vcpus": 2}, hvparams={"migration_mode": "live"}
        if False else {}, osparams={"p1": "x"},
        nics=[["add", -1, {"mac": "aa:00:00:11:22:33"}], ["modify", 0, {"name": "eth0"}]],
    )  # fmt: skip
    changes = dict(result)
    assert changes["be/maxmem"] == 256 and changes["be/vcpus"] == 2
    assert changes["os/p1"] == "x" and changes["nic.name/0"] == "eth0"
    assert changes["nic.1"].startswith("add:mac=aa:00:00:11:22:33")
    inst = h.cfg.get_instance_info_by_name("inst1.example.com")
    assert inst.beparams == {"maxmem": 256, "vcpus": 2} and inst.osparams == {"p1": "x"}
    assert [n.name for n in inst.nics] == ["eth0", None] and all(n.uuid for n in inst.nics)
    env = [x for x in h.hooks if x[0] == "instance-modify"][0][3]
    assert env["GANETI_INSTANCE_NIC_COUNT"] == "2" and env["GANETI_INSTANCE_BE_maxmem"] == "256"
    h.run("OpInstanceShutdown", instance_name="inst1")
    result = h.run("OpInstanceSetParams", instance_name="inst1",
                   disks=[["add", -1, {"size": "32"}]])  # fmt: skip
    assert result == [("disk/1", "add:size=32,mode=rw")]
    disks = h.cfg.get_instance_disks(inst.uuid)
    assert [d.size for d in disks] == [10, 32] and disks[1].iv_name == "disk/1"
    assert len(h.nodes.all_disks()) == 2
    h.run("OpInstanceSetParams", instance_name="inst1", disks=[["remove", 0, {}]])
    disks = h.cfg.get_instance_disks(inst.uuid)
    assert [d.size for d in disks] == [32] and disks[0].iv_name == "disk/0"
    assert h.nodes.all_disks() == {disks[0].logical_id[1]}
    h.run("OpInstanceSetParams", instance_name="inst1", nics=[["remove", -1, {}]],
          os_name="debootstrap+minimal")  # fmt: skip
    inst = h.cfg.get_instance_info_by_name("inst1.example.com")
    assert len(inst.nics) == 1 and inst.os == "debootstrap+minimal"


def test_modify_refusals_change_nothing(h):
    create(h)
    before = h.config_bytes()
    cases = [
        (dict(), errors.ECODE_INVAL, "No changes"),
        (dict(beparams={"minmem": 512, "maxmem": 256}), errors.ECODE_INVAL, "minimum memory"),
        (dict(hvparams={"bogus": "x"}), errors.ECODE_INVAL, "Invalid hypervisor"),
        (dict(disks=[["add", -1, {"size": 10}]]), errors.ECODE_INVAL, "diskless"),
        (dict(nics=[["modify", 5, {"ip": "192.0.2.1"}]]), errors.ECODE_INVAL, "Invalid NIC index"),
        (dict(os_name="nosuchos"), errors.ECODE_INVAL, "not in supported OS list"),
        (dict(offline=True), errors.ECODE_STATE, "can't change to offline"),
        (dict(disk_template="plain"), errors.ECODE_INVAL, "not supported yet"),
    ]
    for params, code, match in cases:
        with pytest.raises(errors.OpPrereqError, match=match) as err:
            h.run("OpInstanceSetParams", instance_name="inst1", **params)
        assert err.value.args[1] == code
        assert h.config_bytes() == before


# --- disks -----------------------------------------------------------------------------------


def test_grow_activate_deactivate_recreate(h):
    create(h, disk_template="file", disks=[{"size": 10}], start=False)
    h.run("OpInstanceGrowDisk", instance_name="inst1", disk=0, amount=5)
    inst = h.cfg.get_instance_info_by_name("inst1.example.com")
    assert h.cfg.get_instance_disks(inst.uuid)[0].size == 15
    grows = h.rpc.called("blockdev_grow")
    assert [g[4] for g in grows] == [True, False, False]  # dry run, then the real grow
    with pytest.raises(errors.OpPrereqError, match="smaller than current"):
        h.run("OpInstanceGrowDisk", instance_name="inst1", disk=0, amount=5, absolute=True)
    with pytest.raises(errors.OpPrereqError, match="Not enough disk space"):
        h.run("OpInstanceGrowDisk", instance_name="inst1", disk=0, amount=50000)
    info = h.run("OpInstanceActivateDisks", instance_name="inst1")
    assert info[0][0] == "node2.example.com" and info[0][1] == "disk/0"
    assert h.cfg.get_instance_info_by_name("inst1.example.com").disks_active
    h.run("OpInstanceDeactivateDisks", instance_name="inst1")
    assert not h.cfg.get_instance_info_by_name("inst1.example.com").disks_active
    h.nodes.disks.clear()
    h.run("OpInstanceRecreateDisks", instance_name="inst1")
    assert len(h.nodes.all_disks()) == 1


def test_reinstall_and_console(h):
    create(h, disk_template="file", disks=[{"size": 10}])
    with pytest.raises(errors.OpPrereqError, match="cannot reinstall"):
        h.run("OpInstanceReinstall", instance_name="inst1")
    h.run("OpInstanceShutdown", instance_name="inst1")
    h.run("OpInstanceReinstall", instance_name="inst1", os_type="debootstrap+minimal")
    assert h.rpc.called("instance_os_add")[-1][3] is True  # reinstall flag
    assert h.cfg.get_instance_info_by_name("inst1.example.com").os == "debootstrap+minimal"
    with pytest.raises(errors.OpExecError, match="is not running"):
        h.run("OpInstanceConsole", instance_name="inst1")
    h.run("OpInstanceStartup", instance_name="inst1")
    console = h.run("OpInstanceConsole", instance_name="inst1")
    assert console["kind"] == constants.CONS_MESSAGE and console["instance"] == "inst1.example.com"


def test_query_data(h):
    create(h, disk_template="file", disks=[{"size": 10}])
    h.rpc.answers["blockdev_find"] = ok({"dev_path": "/x", "is_degraded": False})
    data = h.run("OpInstanceQueryData", instances=["inst1"], static=False)
    info = data["inst1.example.com"]
    assert info["run_state"] == "up" and info["config_state"] == "up"
    assert info["pnode"] == "node2.example.com" and info["disk_template"] == "file"
    assert info["disks"][0]["pstatus"] == {"dev_path": "/x", "is_degraded": False}
    assert info["be_actual"]["maxmem"] == 128 and info["nics"][0][4] == "bridged"
    static = h.run("OpInstanceQueryData", instances=[], static=True)["inst1.example.com"]
    assert static["run_state"] is None and static["disks"][0]["pstatus"] is None


# --- live data, OS ---------------------------------------------------------------------------


def test_live_instance_data_finds_wrong_node_and_bad_nodes(h):
    create(h)
    create(h, "inst2.example.com", pnode="node3")
    h.nodes.running["node1.example.com"] = {"inst2.example.com": 64}
    h.nodes.running["node3.example.com"] = {}
    insts = list(h.cfg.get_all_instances_info().values())
    live, bad, wrong = iu.live_instance_data(h.cfg, h.rpc, insts)
    by_name = {i.name: i.uuid for i in insts}
    assert live[by_name["inst1.example.com"]]["memory"] == 128
    assert wrong == {by_name["inst2.example.com"]}
    assert bad == set()
    h.rpc.answers[("all_instances_info", "node2.example.com")] = fail("down")
    live, bad, wrong = iu.live_instance_data(h.cfg, h.rpc, insts)
    assert bad == {h.node("node2.example.com").uuid} and by_name["inst1.example.com"] not in live


def test_os_diagnose(h):
    h.nodes.oses["lenny"] = ["x"]
    cluster = h.cfg.get_cluster_info()
    cluster.hidden_os = ["lenny"]
    h.cfg.update(cluster)

    def partial(node):
        rows = h.nodes.os_diagnose(node).payload
        if node == "node3.example.com":
            rows = [r for r in rows if r[0] != "lenny"]
        return ok(rows)

    h.rpc.answers["os_diagnose"] = partial
    rows = h.run("OpOsDiagnose", output_fields=["name", "valid", "hidden", "variants"], names=[])
    assert rows == [["debootstrap", True, False, ["default", "minimal"]],
                    ["lenny", False, True, []]]  # fmt: skip
    with pytest.raises(errors.OpPrereqError, match="Unknown output fields"):
        h.run("OpOsDiagnose", output_fields=["nosuch"], names=[])


# --- node storage ------------------------------------------------------------------------------


def test_node_storage_and_volumes(h):
    h.rpc.answers["storage_list"] = lambda node, su, args, name, fields: ok(
        [["/srv/ganeti/file-storage", 1000, 400][: len(fields)]]
    )
    rows = h.run("OpNodeQueryStorage", output_fields=["node", "type", "name", "size", "free"],
                 nodes=["node2"])  # fmt: skip
    assert rows == [["node2.example.com", "file", "/srv/ganeti/file-storage", 1000, 400]]
    call = h.rpc.called("storage_list")[-1]
    assert call[2:] == ("file", [["/srv/ganeti/file-storage"]], None, ["name", "size", "free"])
    with pytest.raises(errors.OpPrereqError, match="cannot be listed"):
        h.run("OpNodeQueryStorage", output_fields=["name"], storage_type="lvm-vg")
    with pytest.raises(errors.OpPrereqError, match="Unknown output fields"):
        h.run("OpNodeQueryStorage", output_fields=["bogus"])
    h.rpc.answers["node_volumes"] = ok(
        [{"name": "lv1", "size": "10.00", "dev": "/dev/sda", "vg": "xenvg"}]
    )
    rows = h.run(
        "OpNodeQueryvols", output_fields=["node", "name", "size", "instance"], nodes=["node1"]
    )
    assert rows == [["node1.example.com", "lv1", "10", "-"]]
