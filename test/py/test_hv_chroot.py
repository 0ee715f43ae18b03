"""Tests for the chroot hypervisor: a real busybox chroot when possible, commands always."""

import os
import shutil
import subprocess
import time

import pytest

from ganeti import constants, errors, objects, pathutils
from ganeti.hypervisor import hv_chroot
from ganeti.utils import process as uproc

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def root(tmp_path):
    old = pathutils.get_root()
    pathutils.set_root(str(tmp_path))
    yield tmp_path
    pathutils.set_root(old)


def _inst(name: str = "c1.example.com", init: str = "/ganeti-chroot") -> objects.Instance:
    return objects.Instance(
        name=name, uuid="u-" + name, hypervisor=constants.HT_CHROOT, hvparams={"init_script": init}
    )


def _can_mount() -> bool:
    if os.geteuid() != 0:
        return False
    busybox = shutil.which("busybox")
    if not busybox or not shutil.which("mke2fs") or not shutil.which("mount"):
        return False
    out = subprocess.run(["file", busybox], capture_output=True, text=True).stdout
    return "statically linked" in out or not shutil.which("file")


def _dummy_image(tmp_path) -> str:
    """A 32 MiB ext2 image made by the dummy OS's create script (busybox + /ganeti-chroot)."""
    top = tmp_path / "os"
    subprocess.run(
        [os.path.join(CHECKOUT, "tools", "install-test-os"), "--dir", str(top)],
        check=True,
        capture_output=True,
    )
    image = tmp_path / "disk0"
    with open(image, "wb") as fh:
        fh.truncate(32 * 1024 * 1024)
    env = {
        "DISK_COUNT": "1",
        "DISK_0_PATH": str(image),
        "DISK_0_SIZE": "32",
        "INSTANCE_NAME": "c1.example.com",
        "OS_NAME": "dummy",
        "OS_VARIANT": "default",
        "PATH": constants.HOOKS_PATH,
    }
    res = uproc.run_cmd([str(top / "dummy" / "create")], env=env, reset_env=True)
    assert not res.failed, res.output
    assert "ext2 filesystem with busybox written" in res.output
    return str(image)


def test_real_chroot_life_cycle(root, tmp_path):
    if not _can_mount():
        pytest.skip("a real chroot needs root, mount, mke2fs and a static busybox")
    image = _dummy_image(tmp_path)
    hv = hv_chroot.ChrootManager()
    inst = _inst()
    assert hv.verify() is None
    assert hv.list_instances() == []
    hv.start_instance(inst, [(None, image, None)], False)
    rootdir = hv.instance_dir(inst.name)
    try:
        assert rootdir == os.path.join(pathutils.RUN_DIR, "chroot-hypervisor", inst.name)
        assert os.path.ismount(rootdir)
        assert hv.list_instances() == [inst.name]
        assert hv.get_instance_info(inst.name) == (inst.name, 0, 0, 0, 0, 0)
        assert hv.get_all_instances_info() == [(inst.name, 0, 0, 0, 0, 0)]
        assert open(os.path.join(rootdir, "tmp", "state")).read() == "started\n"
        assert "c1.example.com" in open(os.path.join(rootdir, "ganeti-dummy")).read()
        pids = hv_chroot.processes_in(rootdir)
        assert len(pids) == 1  # the guest's sleep
        # a new manager object (noded restarted) still sees it running
        assert hv_chroot.ChrootManager().list_instances() == [inst.name]
        with pytest.raises(errors.HypervisorError, match="reboot"):
            hv.reboot_instance(inst)
        hv.stop_instance(inst, timeout=10)
        assert not os.path.ismount(rootdir)
        assert hv.list_instances() == []
        assert hv.get_instance_info(inst.name) is None
        for _ in range(40):
            if not any(os.path.exists("/proc/%d" % p) for p in pids):
                break
            time.sleep(0.05)
        hv.stop_instance(inst)  # not running: nothing to do
        hv.cleanup_instance(inst.name)
        assert not os.path.exists(rootdir)
        # a failing init script leaves nothing mounted
        with pytest.raises(errors.HypervisorError, match="chroot start script"):
            hv.start_instance(_inst(init="/no-such-init"), [(None, image, None)], False)
        assert not os.path.ismount(rootdir)
        assert hv.list_instances() == []
        # forced stop without the init script
        hv.start_instance(inst, [(None, image, None)], False)
        hv.stop_instance(inst, force=True)
        assert hv.list_instances() == []
    finally:
        if os.path.ismount(rootdir):
            hv._kill(rootdir, 9)  # noqa: SLF001
            subprocess.run(["umount", "-l", rootdir], check=False)


def test_commands(root, monkeypatch):
    calls = []
    mounted = set()

    def fake_run(cmd, **kwargs):
        calls.append(list(cmd))
        if cmd[0] == "mount":
            mounted.add(cmd[2])
        if cmd[0] == "umount":
            mounted.discard(cmd[1])
        return uproc.RunResult(0, None, "", "", " ".join(cmd))

    monkeypatch.setattr(uproc, "run_cmd", fake_run)
    monkeypatch.setattr(os.path, "ismount", lambda p: p in mounted)
    monkeypatch.setattr(hv_chroot, "processes_in", lambda r: [])
    hv = hv_chroot.ChrootManager()
    inst = _inst(init="/sbin/myinit")
    with pytest.raises(errors.HypervisorError, match="needs at least one disk"):
        hv.start_instance(inst, [], False)
    hv.start_instance(inst, [(None, "/var/run/ganeti/instance-disks/c1:0", None)], False)
    rootdir = hv.instance_dir(inst.name)
    assert calls == [
        ["mount", "/var/run/ganeti/instance-disks/c1:0", rootdir],
        ["chroot", rootdir, "/sbin/myinit", "start"],
    ]
    assert hv.list_instances() == [inst.name]
    calls.clear()
    hv.stop_instance(inst, timeout=30)
    assert calls == [
        ["timeout", "30", "chroot", rootdir, "/sbin/myinit", "stop"],
        ["umount", rootdir],
    ]
    assert hv.list_instances() == []


def test_parameters_and_console(root):
    hv_chroot.ChrootManager.check_parameter_syntax({"init_script": "/ganeti-chroot"})
    with pytest.raises(errors.HypervisorError, match="absolute normalized path"):
        hv_chroot.ChrootManager.check_parameter_syntax({"init_script": "relative"})
    with pytest.raises(errors.HypervisorError, match="missing"):
        hv_chroot.ChrootManager.check_parameter_syntax({})
    node = objects.Node(name="node1.example.com", ndparams={})
    group = objects.NodeGroup(name="default", ndparams={"ssh_port": 2222})
    cons = hv_chroot.ChrootManager.get_instance_console(_inst(), node, group, {}, {})
    assert cons == {
        "instance": "c1.example.com",
        "kind": "ssh",
        "host": "node1.example.com",
        "port": 2222,
        "user": "root",
        "command": ["chroot", os.path.join(pathutils.CHROOT_HV_DIR, "c1.example.com")],
    }
    with pytest.raises(errors.HypervisorError, match="Invalid instance name"):
        hv_chroot.ChrootManager.instance_dir("../x")
    with pytest.raises(errors.HypervisorError, match="Migration not supported"):
        hv_chroot.ChrootManager().migrate_instance("c", _inst(), "n2", True)
