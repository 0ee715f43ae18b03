"""Tests for backend_instance and backend_blockdev: procedures called directly and via noded.

Instances and disks are encoded by ``rpc.instance_encoders`` from a real
configuration, exactly as the master sends them; the OS is the dummy one
``tools/install-test-os`` installs.
"""

import glob
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from ganeti import backend_blockdev as bb
from ganeti import backend_instance as bi
from ganeti import config, constants, objects, pathutils, serializer
from ganeti.backend import RPCFail
from ganeti.rpc import client as rpc
from ganeti.rpc import defs
from ganeti.rpc.instance_encoders import make_encoders
from ganeti.utils import x509
from test_noded import NODED, _env, _free_port, _pid_alive, _wait_port
from testutils_config import make_test_cluster_dict

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIB = 1024 * 1024
INST = "inst1.example.com"


def _setup_root(root: str) -> config.ConfigWriter:
    """Config (one instance with two file disks), dummy OS, storage dirs under ``root``."""
    subprocess.run(
        [os.path.join(CHECKOUT, "tools", "install-test-os"), "--root", root],
        check=True,
        capture_output=True,
    )
    os.makedirs(pathutils.DEFAULT_FILE_STORAGE_DIR, exist_ok=True)
    data = make_test_cluster_dict()
    data["cluster"]["file_storage_dir"] = pathutils.DEFAULT_FILE_STORAGE_DIR
    data["cluster"]["osparams"] = {"dummy": {"marker": "from-cluster"}}
    node_uuid = data["cluster"]["master_node"]
    inst_dir = os.path.join(pathutils.DEFAULT_FILE_STORAGE_DIR, INST)
    disks = {}
    for idx, size in enumerate((8, 4)):
        uuid = "0000000d-0000-4000-8000-00000000000%d" % idx
        disks[uuid] = {
            "uuid": uuid,
            "dev_type": constants.DT_FILE,
            "logical_id": ["loop", os.path.join(inst_dir, "%s.file.disk%d" % (uuid, idx))],
            "size": size,
            "iv_name": "disk/%d" % idx,
            "mode": "rw",
            "nodes": [node_uuid],
            "params": {},
            "children": [],
            "serial_no": 1,
        }
    data["disks"] = disks
    data["instances"] = {
        "0000000i-0000-4000-8000-000000000001": {
            "name": INST,
            "uuid": "0000000i-0000-4000-8000-000000000001",
            "primary_node": node_uuid,
            "os": "dummy+fast",
            "hypervisor": constants.HT_FAKE,
            "hvparams": {},
            "beparams": {"maxmem": 128, "minmem": 128, "vcpus": 1},
            "osparams": {},
            "osparams_private": {},
            "admin_state": "down",
            "admin_state_source": "admin",
            "disks_active": False,
            "disks": list(disks),
            "nics": [{"mac": "aa:00:00:11:22:33", "uuid": "nic-0", "nicparams": {}}],
            "serial_no": 1,
            "tags": [],
        }
    }
    path = pathutils.CLUSTER_CONF_FILE
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(serializer.dump_bytes(data))
    return config.ConfigWriter(path, offline=True, accept_foreign=True)


class _Enc:
    """The master's encoders, applied by hand for direct calls."""

    def __init__(self, cfg: config.ConfigWriter) -> None:
        self.cfg = cfg
        self.fns = make_encoders(cfg)
        self.inst = cfg.get_instance_info_by_name(INST)
        self.disks = cfg.get_instance_disks(self.inst.uuid)

    def inst_dict(self, osp: dict | None = None) -> dict:
        return self.fns[defs.ED_INST_DICT_OSP_DP]((self.inst, osp))

    def disk(self, idx: int) -> dict:
        return self.fns[defs.ED_SINGLE_DISK_DICT_DP]((self.disks[idx], self.inst))


@pytest.fixture
def env(tmp_path):
    old = pathutils.get_root()
    pathutils.set_root(str(tmp_path))
    try:
        yield _Enc(_setup_root(str(tmp_path)))
    finally:
        pathutils.set_root(old)


def test_encoders_fill_parameters(env):
    idict = env.inst_dict({"marker": "override"})
    assert idict["name"] == INST and idict["disks"] == [d.uuid for d in env.disks]
    assert [d["uuid"] for d in idict["disks_info"]] == idict["disks"]
    assert idict["hvparams"]["migration_mode"] == "live"  # cluster default for fake
    assert idict["beparams"]["maxmem"] == 128 and "auto_balance" in idict["beparams"]
    assert idict["osparams"] == {"marker": "override"}
    assert idict["secondary_nodes"] == []
    assert idict["nics"][0]["nicparams"]["mode"] == "bridged"
    assert env.fns[defs.ED_INST_DICT](env.inst)["osparams"] == {"marker": "from-cluster"}
    hvp = env.fns[defs.ED_INST_DICT_HVP_BEP_DP]((env.inst, {"x": 1}, {"maxmem": 64}))
    assert hvp["hvparams"]["x"] == 1 and hvp["beparams"]["maxmem"] == 64
    disk = env.disk(0)
    assert disk["logical_id"][0] == "loop" and disk["size"] == 8
    dp = env.cfg.get_cluster_info().simple_fill_dp(None)[constants.DT_FILE]
    assert disk["params"] == dp
    multi = env.fns[defs.ED_MULTI_DISKS_DICT_DP]([(d, env.inst) for d in env.disks])
    assert [d["uuid"] for d in multi] == [d.uuid for d in env.disks]
    pernode = env.fns[defs.ED_NODE_TO_DISK_DICT_DP]({"n1": [(env.disks[0], env.inst)], "n2": []})
    assert isinstance(pernode, rpc.PerNode) and pernode.values["n2"] == []
    ren = env.fns[defs.ED_BLOCKDEV_RENAME]([(env.disks[0], ("loop", "/x"))])
    assert ren[0][1] == ["loop", "/x"] and ren[0][0]["uuid"] == env.disks[0].uuid
    # the node side accepts what the encoders make
    node_inst = bi.NodeInstance(idict)
    assert node_inst.name == INST and len(node_inst.disks) == 2
    assert isinstance(node_inst.inst.nics[0], objects.NIC)


def _create_all(env) -> list[str]:
    inst_dir = os.path.dirname(env.disks[0].logical_id[1])
    bb.file_storage_dir_create(inst_dir)
    paths = []
    for idx, disk in enumerate(env.disks):
        uid = bb.blockdev_create(
            env.disk(idx), disk.size, INST, True, "originstname+" + INST, False
        )
        assert uid == disk.logical_id
        paths.append(disk.logical_id[1])
    return paths


def test_instance_life_cycle(env):
    paths = _create_all(env)
    assert [os.path.getsize(p) for p in paths] == [8 * MIB, 4 * MIB]
    cache = glob.glob(os.path.join(pathutils.BDEV_CACHE_DIR, "bdev_*"))
    assert len(cache) == 2 and open(cache[0]).read().startswith(INST + " primary disk/")
    idict = env.inst_dict({"marker": "hello"})
    for idx in range(2):
        dev_path, link, uri = bb.blockdev_assemble(env.disk(idx), idict, True, idx)
        assert dev_path == paths[idx] and uri is None
        assert link == os.path.join(pathutils.DISK_LINKS_DIR, "%s:%d" % (INST, idx))
        assert os.readlink(link) == dev_path
    # secondary assembly of a file disk: nothing to do on that node
    assert bb.blockdev_assemble(env.disk(0), idict, False, 0) == [True, True, None]
    bi.instance_os_add(idict, False, 0)
    with open(paths[0], "rb") as fh:
        head = fh.read(200).split(b"\n")[0].decode()
    assert head == "ganeti-dummy-os name=%s variant=fast marker=hello reinstall=0" % INST
    logs = glob.glob(os.path.join(pathutils.LOG_OS_DIR, "add-dummy+fast-%s-*.log" % INST))
    assert len(logs) == 1 and "marker written" in open(logs[0]).read()
    bi.instance_os_add(idict, True, 1)
    with open(paths[0], "rb") as fh:
        assert b"reinstall=1" in fh.read(200)
    # start and look at it
    start_dict = env.fns[defs.ED_INST_DICT_HVP_BEP_DP]((env.inst, None, None))
    assert bi.instance_info(INST, "fake", {}) == {}
    bi.instance_start(start_dict, False, [["gnt:client", "test", 1]])
    info = bi.instance_info(INST, "fake", {})
    assert info["memory"] == 128 and info["vcpus"] == 1 and info["state"] == 0
    assert bi.all_instances_info(["fake"], {"fake": {}})[INST]["memory"] == 128
    assert bi.instance_list(["fake", "chroot"], {"fake": {}}) == [INST]
    reason = os.path.join(pathutils.INSTANCE_REASON_DIR, INST)
    assert serializer.loads(open(reason).read()) == [["gnt:client", "test", 1]]
    bi.instance_start(start_dict, False, None)  # running: nothing to do
    bi.instance_reboot(idict, constants.REBOOT_SOFT, 10, None)
    bi.instance_reboot(idict, constants.REBOOT_HARD, 10, None)
    assert bi.instance_info(INST, "fake", {})["memory"] == 128
    with pytest.raises(RPCFail, match="Invalid reboot_type"):
        bi.instance_reboot(idict, "sideways", 10, None)
    bi.instance_balloon_memory(idict, 96)
    assert bi.instance_info(INST, "fake", {})["memory"] == 96
    bi.instance_migratable(idict)
    # disks while running
    bb.blockdev_grow(env.disk(1), 2, True, True, False)
    assert os.path.getsize(paths[1]) == 4 * MIB
    bb.blockdev_grow(env.disk(1), 2, False, True, False)
    assert bb.blockdev_getdimensions([env.disk(0), env.disk(1)]) == [
        [8 * MIB, None],
        [6 * MIB, None],
    ]
    status = bb.blockdev_find(env.disk(0))
    assert status["dev_path"] == paths[0] and status["is_degraded"] is False
    assert len(bb.blockdev_getmirrorstatus([env.disk(0), env.disk(1)])) == 2
    multi = bb.blockdev_getmirrorstatus_multi([env.disk(0)])
    assert multi[0][0] is True and multi[0][1]["ldisk_status"] == constants.LDS_OKAY
    assert bb.blockdev_pause_resume_sync([env.disk(0)], True) == [[True, None]]
    bb.blockdev_setinfo(env.disk(0), "x")
    rows = bb.storage_list("file", [[pathutils.DEFAULT_FILE_STORAGE_DIR]], None, ["name", "used"])
    assert rows == [[pathutils.DEFAULT_FILE_STORAGE_DIR, 14]]
    assert bb.bdev_sizes(paths + ["/dev/null", "/nonexistent"]) == {}
    package = bi.os_export(idict, {"EXTRA": "1"})
    assert package.endswith(".tgz") and os.path.exists(package)
    os.unlink(package)
    # rename runs the OS rename script with the old name
    renamed = dict(idict, name="inst9.example.com")
    bi.instance_run_rename(renamed, INST, 0)
    logs = glob.glob(os.path.join(pathutils.LOG_OS_DIR, "rename-dummy+fast-%s-inst9*" % INST))
    assert len(logs) == 1 and "renamed %s to inst9.example.com" % INST in open(logs[0]).read()
    # stop, tear down
    bi.instance_shutdown(idict, 10, None)
    assert bi.instance_list(["fake"], {"fake": {}}) == []
    assert os.listdir(pathutils.DISK_LINKS_DIR) == []
    bi.instance_shutdown(idict, 10, None)  # not running: nothing to do
    with pytest.raises(RPCFail, match="that is not running"):
        bi.instance_reboot(idict, constants.REBOOT_SOFT, 10, None)
    for idx in range(2):
        bb.blockdev_shutdown(env.disk(idx))
        bb.blockdev_remove(env.disk(idx))
        bb.blockdev_remove(env.disk(idx))  # already gone: fine
    assert not any(os.path.exists(p) for p in paths)
    assert glob.glob(os.path.join(pathutils.BDEV_CACHE_DIR, "bdev_*")) == []
    bb.file_storage_dir_remove(os.path.dirname(paths[0]))
    assert not os.path.exists(os.path.dirname(paths[0]))


def test_bad_input_gets_clear_errors_and_leaves_nothing(env):
    inst_dir = os.path.dirname(env.disks[0].logical_id[1])
    huge = dict(env.disk(0), size=10**9)
    with pytest.raises(RPCFail, match="Can't create block device: Not enough free space"):
        bb.blockdev_create(huge, 10**9, INST, True, "", False)
    assert not os.path.exists(inst_dir)  # no disk file, no directory
    outside = dict(env.disk(0), logical_id=["loop", "/etc/ganeti-disk"])
    with pytest.raises(RPCFail, match="forbidden prefix|not acceptable for file storage"):
        bb.blockdev_create(outside, 1, INST, True, "", False)
    with pytest.raises(RPCFail, match="Invalid disk size"):
        bb.blockdev_create(env.disk(0), -5, INST, True, "", False)
    with pytest.raises(RPCFail, match="Invalid instance description"):
        bi.instance_start("inst1", False, None)
    with pytest.raises(RPCFail, match="Unknown hypervisor"):
        bi.instance_info(INST, "vmware", {})
    # the disks were never created: start fails, nothing runs, no links stay
    start_dict = env.fns[defs.ED_INST_DICT_HVP_BEP_DP]((env.inst, None, None))
    with pytest.raises(
        RPCFail, match="Block device error: Block device 'file disk disk/0 .* is not set up"
    ):
        bi.instance_start(start_dict, False, None)
    assert bi.instance_list(["fake"], {}) == []
    assert (
        not os.path.exists(pathutils.DISK_LINKS_DIR) or os.listdir(pathutils.DISK_LINKS_DIR) == []
    )
    with pytest.raises(RPCFail, match="Cannot find block device"):
        bb.blockdev_grow(env.disk(0), 1, False, True, False)
    for call, message in [
        (lambda: bb.blockdev_wipe(env.disk(0), 0, 1), r"^Cannot wipe device file disk disk/0 .*: device not found$"),
        (lambda: bb.blockdev_setinfo(env.disk(0), "x"), r"^Cannot find block device file disk disk/0 "),
        (lambda: bb.blockdev_getmirrorstatus([env.disk(0)]), r"^Can't find device file disk disk/0 "),
        (lambda: bb.blockdev_open(INST, [env.disk(0)], True), r"^Can't find device file disk disk/0 "),
        (lambda: bb.blockdev_close(INST, [env.disk(0)]), r"^Can't find device file disk disk/0 "),
    ]:  # fmt: skip
        with pytest.raises(RPCFail, match=message):
            call()
    bb.blockdev_shutdown(env.disk(0))  # absent: nothing to do
    bb.blockdev_remove(env.disk(0))
    with pytest.raises(RPCFail, match="not set up"):
        bi.instance_os_add(env.inst_dict(), False, 0)
    # unknown OS
    _create_all(env)
    unknown = dict(env.inst_dict(), os="nosuchos+x")
    with pytest.raises(RPCFail, match="Directory for OS nosuchos not found in search path"):
        bi.instance_os_add(unknown, False, 0)
    with pytest.raises(RPCFail, match="Directory for OS nosuchos not found"):
        bi.os_validate(True, "nosuchos", [], {}, False)
    assert bi.os_validate(False, "nosuchos", [], {}, False) is False
    assert bi.os_validate(True, "dummy+fast", ["parameters"], {"marker": "m"}, False) is True
    with pytest.raises(RPCFail, match="does not support variant 'slow'"):
        bi.os_validate(True, "dummy+slow", [], {}, False)
    with pytest.raises(RPCFail, match="fail_create must be 'yes' or 'no'"):
        bi.os_validate(True, "dummy+fast", ["parameters"], {"fail_create": "maybe"}, False)
    # a failing create script reports its log
    with pytest.raises(RPCFail, match="(?s)OS create script failed .*failing on purpose"):
        bi.instance_os_add(env.inst_dict({"fail_create": "yes"}), False, 0)
    with pytest.raises(RPCFail, match="bigger than device size"):
        bb.blockdev_wipe(env.disk(1), 2, 3)
    bb.blockdev_wipe(env.disk(1), 1, 3)
    diag = {row[0]: row for row in bi.os_diagnose()}
    assert diag["dummy"][2] is True and diag["dummy"][4] == ["default", "fast"]
    with pytest.raises(RPCFail, match="has no modifiable fields"):
        bb.storage_modify("file", [], "x", {})
    assert bb.node_volumes() == [] or isinstance(bb.node_volumes(), list)
    bi.hypervisor_validate_params("fake", {"migration_mode": "live"})
    with pytest.raises(RPCFail, match="migration_mode"):
        bi.hypervisor_validate_params("fake", {"migration_mode": "nope"})


def test_storage_dir_procedures(env):
    new = os.path.join(pathutils.DEFAULT_FILE_STORAGE_DIR, "renamed")
    old = os.path.join(pathutils.DEFAULT_FILE_STORAGE_DIR, INST)
    bb.file_storage_dir_create(old)
    bb.file_storage_dir_rename(old, new)
    assert os.path.isdir(new)
    with pytest.raises(RPCFail, match="not acceptable for file storage"):
        bb.file_storage_dir_create("/tmp/somewhere-else")
    bb.blockdev_rename([])
    with pytest.raises(RPCFail, match="Can't find device"):
        bb.blockdev_rename([[env.disk(0), ["loop", os.path.join(new, "x")]]])


# --- through a real node daemon -------------------------------------------------------------


def _start_noded(root: str, port: int) -> int:
    proc = subprocess.run(
        [sys.executable, NODED, "-p", str(port), "-b", "127.0.0.1", "--no-mlock"],
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    _wait_port(port)
    return int(open(pathutils.daemon_pid_file(constants.NODED)).read())


def _stop_noded(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    for _ in range(200):
        if not _pid_alive(pid):
            return
        time.sleep(0.05)
    raise AssertionError("noded %d did not stop" % pid)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("biroot")
    old = pathutils.get_root()
    pathutils.set_root(str(root))
    pid = None
    try:
        cfg = _setup_root(str(root))
        x509.generate_cluster_cert_file(pathutils.NODED_CERT_FILE)
        x509.generate_client_cert_file(
            pathutils.NODED_CLIENT_CERT_FILE, pathutils.NODED_CERT_FILE, "master"
        )
        port = _free_port()
        pid = _start_noded(str(root), port)
        node = cfg.get_master_node()
        runner = rpc.RpcRunner(
            rpc.StaticResolver({node: ("127.0.0.1", port)}), encoders=make_encoders(cfg)
        )
        state = {"root": str(root), "port": port, "pid": pid, "cfg": cfg, "node": node}
        state["runner"] = runner
        yield state
        pid = state["pid"]
    finally:
        if pid and _pid_alive(pid):
            os.kill(pid, signal.SIGTERM)
        pathutils.set_root(old)


def test_over_rpc_and_noded_restart(cluster):
    runner, node, cfg = cluster["runner"], cluster["node"], cluster["cfg"]
    inst = cfg.get_instance_info_by_name(INST)
    disks = cfg.get_instance_disks(inst.uuid)
    inst_dir = os.path.dirname(disks[0].logical_id[1])
    # bad input first: a disk that does not fit, an unknown OS
    res = runner.call_blockdev_create(node, (disks[0], inst), 10**9, INST, True, "", False)
    assert res.fail_msg and "Not enough free space" in res.fail_msg
    assert not os.path.exists(inst_dir)
    res = runner.call_os_validate([node], True, "nosuchos", [], {}, False)[node]
    assert "Directory for OS nosuchos not found in search path" in res.fail_msg
    # create, install, start
    runner.call_file_storage_dir_create(node, inst_dir).raise_error()
    for disk in disks:
        res = runner.call_blockdev_create(node, (disk, inst), disk.size, INST, True, "", False)
        res.raise_error()
        assert res.payload == disk.logical_id
    for idx, disk in enumerate(disks):
        res = runner.call_blockdev_assemble(node, (disk, inst), inst, True, idx)
        res.raise_error()
        assert res.payload[0] == disk.logical_id[1]
    runner.call_instance_os_add(node, (inst, {"marker": "rpc"}), False, 0).raise_error()
    with open(disks[0].logical_id[1], "rb") as fh:
        assert b"variant=fast marker=rpc" in fh.read(200)
    diag = runner.call_os_diagnose([node])[node]
    assert any(row[0] == "dummy" and row[2] for row in diag.payload)
    runner.call_instance_start(node, (inst, None, None), False, ["reason"]).raise_error()
    dims = runner.call_blockdev_getdimensions(node, [(d, inst) for d in disks])
    assert dims.payload == [[8 * MIB, None], [4 * MIB, None]]
    rows = runner.call_storage_list(
        [node], "file", [[pathutils.DEFAULT_FILE_STORAGE_DIR]], None, ["name", "used"]
    )[node]
    assert rows.payload == [[pathutils.DEFAULT_FILE_STORAGE_DIR, 12]]
    # the node daemon restarts: the fake instance is still running and reported
    _stop_noded(cluster["pid"])
    cluster["pid"] = _start_noded(cluster["root"], cluster["port"])
    info = runner.call_all_instances_info([node], ["fake"], {"fake": {}})[node]
    assert info.fail_msg is None and info.payload[INST]["memory"] == 128
    assert runner.call_instance_list([node], ["fake"], {"fake": {}})[node].payload == [INST]
    one = runner.call_instance_info(node, INST, "fake", {})
    assert one.payload["state"] == 0
    # stop and remove everything
    runner.call_instance_shutdown(node, inst, 30, None).raise_error()
    assert runner.call_instance_info(node, INST, "fake", {}).payload == {}
    for disk in disks:
        runner.call_blockdev_shutdown(node, (disk, inst)).raise_error()
        runner.call_blockdev_remove(node, (disk, inst)).raise_error()
    runner.call_file_storage_dir_remove(node, inst_dir).raise_error()
    assert not os.path.exists(inst_dir)
    res = runner.call_blockdev_find(node, (disks[0], inst))
    assert res.fail_msg is None and res.payload is None


def test_adopted_loop_device_end_to_end(env, tmp_path):
    if os.geteuid() != 0 or not shutil.which("losetup"):
        pytest.skip("blockdev needs root and losetup")
    if subprocess.run(["losetup", "-f"], capture_output=True).returncode != 0:
        pytest.skip("no free loop device (losetup -f failed)")
    backing = tmp_path / "lun.img"
    with open(backing, "wb") as fh:
        fh.truncate(16 * MIB)
    dev = subprocess.run(
        ["losetup", "-f", "--show", str(backing)], capture_output=True, text=True, check=True
    ).stdout.strip()
    try:
        assert bb.bdev_sizes([dev, "/dev/null", str(backing)]) == {dev: 16}
        disk = {
            "uuid": "blk0",
            "dev_type": constants.DT_BLOCK,
            "logical_id": ["manual", dev],
            "size": 16,
            "iv_name": "disk/0",
            "mode": "rw",
            "params": {},
        }
        with pytest.raises(RPCFail, match="holds only 16 MiB"):
            bb.blockdev_create(disk, 17, INST, True, "", False)
        assert bb.blockdev_create(disk, 16, INST, True, "", False) == ["manual", dev]
        idict = dict(env.inst_dict(), disks_info=[disk], disks=["blk0"])
        dev_path, link, _ = bb.blockdev_assemble(disk, idict, True, 0)
        assert dev_path == dev and os.readlink(link) == dev
        bi.instance_os_add(idict, False, 0)  # variant fast: the marker on the raw device
        with open(backing, "rb") as fh:
            assert fh.read(15) == b"ganeti-dummy-os"
        bi.instance_start(env.fns[defs.ED_INST_DICT_HVP_BEP_DP]((idict, None, None)), False, None)
        assert bi.instance_list(["fake"], {}) == [INST]
        bi.instance_shutdown(idict, 5, None)
        bb.blockdev_shutdown(disk)
        bb.blockdev_remove(disk)
        assert os.path.exists(dev) and backing.stat().st_size == 16 * MIB
        with open(backing, "rb") as fh:
            assert fh.read(15) == b"ganeti-dummy-os"  # adoption ended, data kept
    finally:
        subprocess.run(["losetup", "-d", dev], check=False)
