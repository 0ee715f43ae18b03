"""Tests for the fake hypervisor: state files that outlive the node daemon."""

import json
import os

import pytest

from ganeti import constants, errors, objects, pathutils
from ganeti.hypervisor import base, hv_fake


@pytest.fixture
def root(tmp_path):
    old = pathutils.get_root()
    pathutils.set_root(str(tmp_path))
    yield tmp_path
    pathutils.set_root(old)


def _inst(name: str = "inst1.example.com", maxmem: int = 256, vcpus: int = 2) -> objects.Instance:
    return objects.Instance(
        name=name,
        uuid="uuid-" + name,
        hypervisor=constants.HT_FAKE,
        beparams={
            constants.BE_MAXMEM: maxmem,
            constants.BE_MINMEM: maxmem,
            constants.BE_VCPUS: vcpus,
        },
        hvparams={"migration_mode": "live"},
    )


def test_start_list_info_and_restart(root):
    hv = hv_fake.FakeHypervisor()
    assert hv.list_instances() == [] and hv.get_all_instances_info() == []
    hv.start_instance(_inst(), [], False)
    hv.start_instance(_inst("inst2.example.com", 128, 1), [], True)
    assert hv.list_instances() == ["inst1.example.com", "inst2.example.com"]
    name, _, mem, vcpus, state, uptime = hv.get_instance_info("inst1.example.com")
    assert (name, mem, vcpus, state) == ("inst1.example.com", 256, 2, hv_fake.STATE_RUNNING)
    assert 0 <= uptime < 60
    state_file = os.path.join(pathutils.FAKE_HV_DIR, "inst2.example.com")
    data = json.load(open(state_file))
    assert data["memory"] == 128 and data["paused"] is True and data["state"] == "running"
    # a new object (a restarted node daemon) sees the same instances
    again = hv_fake.FakeHypervisor()
    assert [r[0] for r in again.get_all_instances_info()] == hv.list_instances()
    assert again.get_instance_info("inst2.example.com")[2] == 128
    assert again.get_instance_info("nope") is None
    with pytest.raises(errors.HypervisorError, match="already running"):
        again.start_instance(_inst(), [], False)


def test_node_memory_accounts_for_instances(root, monkeypatch):
    monkeypatch.setattr(
        base,
        "get_linux_node_info",
        lambda: {"memory_total": 4096, "memory_free": 3000, "memory_dom0": 1096, "cpu_total": 2},
    )
    hv = hv_fake.FakeHypervisor()
    assert hv.get_node_info()["memory_free"] == 3000
    hv.start_instance(_inst(maxmem=1000), [], False)
    hv.start_instance(_inst("b", maxmem=500), [], False)
    info = hv.get_node_info()
    assert info["memory_free"] == 1500 and info["memory_total"] == 4096
    hv.start_instance(_inst("c", maxmem=5000), [], False)
    assert hv.get_node_info()["memory_free"] == 0


def test_real_node_info_shape(root):
    info = hv_fake.FakeHypervisor().get_node_info()
    for key in (
        "memory_total",
        "memory_free",
        "memory_dom0",
        "cpu_total",
        "cpu_nodes",
        "cpu_sockets",
    ):
        assert isinstance(info[key], int)
    assert info["memory_total"] >= info["memory_free"] >= 0 and info["cpu_total"] >= 1


def test_stop_reboot_balloon(root):
    hv = hv_fake.FakeHypervisor()
    inst = _inst()
    with pytest.raises(errors.HypervisorError, match="not running"):
        hv.stop_instance(inst)
    hv.stop_instance(inst, force=True)  # forced: fine even if absent
    with pytest.raises(errors.HypervisorError, match="not running"):
        hv.reboot_instance(inst)
    hv.start_instance(inst, [], False)
    hv.reboot_instance(inst)
    assert hv.read_state(inst.name)["reboots"] == 1
    hv.balloon_instance_memory(inst, 128)
    assert hv.get_instance_info(inst.name)[2] == 128
    hv.stop_instance(inst)
    assert hv.list_instances() == []
    hv.cleanup_instance(inst.name)


def test_user_shutdown(root):
    hv = hv_fake.FakeHypervisor()
    inst = _inst()
    hv.start_instance(inst, [], False)
    assert hv_fake.main(["user-shutdown", inst.name]) == 0
    row = hv.get_instance_info(inst.name)
    assert row[4] == hv_fake.STATE_SHUTDOWN
    assert hv.list_instances() == [inst.name]  # still known, like a stopped qemu
    with pytest.raises(errors.HypervisorError, match="not running"):
        hv.reboot_instance(inst)
    hv.start_instance(inst, [], False)  # starting it again is allowed
    assert hv.get_instance_info(inst.name)[4] == hv_fake.STATE_RUNNING
    assert hv_fake.main(["user-shutdown", "nope"]) == 1
    assert hv_fake.main(["bogus"]) == 2


def test_disks_must_exist(root, tmp_path):
    hv = hv_fake.FakeHypervisor()
    disk = tmp_path / "disk0"
    disk.write_bytes(b"")
    hv.start_instance(_inst(), [(None, str(disk), None)], False)
    assert hv.read_state("inst1.example.com")["disks"] == [str(disk)]
    with pytest.raises(errors.HypervisorError, match="is not available"):
        hv.start_instance(_inst("b"), [(None, str(tmp_path / "missing"), None)], False)
    assert "b" not in hv.list_instances()


def test_old_three_line_format(root):
    os.makedirs(pathutils.FAKE_HV_DIR)
    with open(os.path.join(pathutils.FAKE_HV_DIR, "old"), "w") as fh:
        fh.write("old\n512\n3\n")
    row = hv_fake.FakeHypervisor().get_instance_info("old")
    assert row[:5] == ("old", 0, 512, 3, hv_fake.STATE_RUNNING)


def test_migration_between_two_nodes(tmp_path):
    old = pathutils.get_root()
    src_root, dst_root = str(tmp_path / "n1"), str(tmp_path / "n2")
    inst = _inst()
    hv = hv_fake.FakeHypervisor()
    try:
        pathutils.set_root(src_root)
        hv.start_instance(inst, [], False)
        info = hv.migration_info(inst)
        pathutils.set_root(dst_root)
        hv.accept_instance(inst, info, "198.51.100.2")
        pathutils.set_root(src_root)
        hv.migrate_instance("cluster", inst, "198.51.100.2", True)
        assert hv.get_migration_status(inst) == {"status": "completed"}
        pathutils.set_root(dst_root)
        hv.finalize_migration_dst(inst, info, True)
        with pytest.raises(errors.HypervisorError, match="already running"):
            hv.accept_instance(inst, info, "x")
        pathutils.set_root(src_root)
        hv.finalize_migration_source(inst, True, True)
        assert hv.list_instances() == []
        pathutils.set_root(dst_root)
        assert hv.list_instances() == [inst.name]
    finally:
        pathutils.set_root(old)


def test_parameters_and_console(root):
    hv_fake.FakeHypervisor.check_parameter_syntax({"migration_mode": "non-live"})
    with pytest.raises(errors.HypervisorError, match="migration_mode"):
        hv_fake.FakeHypervisor.check_parameter_syntax({"migration_mode": "teleport"})
    with pytest.raises(errors.HypervisorError, match="not supported"):
        hv_fake.FakeHypervisor.check_parameter_syntax({"kernel_path": "/x"})
    cons = hv_fake.FakeHypervisor.get_instance_console(_inst(), None, None, {}, {})
    assert cons == {
        "instance": "inst1.example.com",
        "kind": "message",
        "message": "Console not available for fake hypervisor",
    }
    assert hv_fake.FakeHypervisor().verify() is None
