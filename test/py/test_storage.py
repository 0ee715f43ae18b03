"""Tests for ganeti.storage: file/sharedfile/blockdev/diskless drivers, links, reports."""

import os
import shutil
import subprocess

import pytest

from ganeti import constants, errors, pathutils, storage
from ganeti.storage import base, blockdev, container, devlinks, filestorage

MIB = 1024 * 1024


@pytest.fixture
def root(tmp_path):
    old = pathutils.get_root()
    pathutils.set_root(str(tmp_path))
    os.makedirs(pathutils.DEFAULT_FILE_STORAGE_DIR)
    os.makedirs(pathutils.DEFAULT_SHARED_FILE_STORAGE_DIR)
    yield tmp_path
    pathutils.set_root(old)


def _file_disk(path: str, size: int = 4, dev_type: str = constants.DT_FILE) -> dict:
    return {
        "dev_type": dev_type,
        "logical_id": [constants.FD_LOOP, path],
        "size": size,
        "iv_name": "disk/0",
        "mode": "rw",
        "params": {},
        "uuid": "d1",
    }


def _in_fs(*parts: str) -> str:
    return os.path.join(pathutils.DEFAULT_FILE_STORAGE_DIR, *parts)


def test_file_create_is_sparse_and_found(root):
    path = _in_fs("inst1", "d1.file.disk0")
    dev = storage.create_device(_file_disk(path, 64))
    assert dev.attached and dev.dev_path == path
    assert os.path.getsize(path) == 64 * MIB
    assert os.stat(path).st_blocks * 512 < MIB  # sparse
    assert os.path.isdir(os.path.dirname(path))  # the instance directory was made
    found = storage.find_device(_file_disk(path, 64))
    assert found is not None and found.get_actual_size() == 64 * MIB
    assert found.get_actual_dimensions() == (64 * MIB, None)
    status = found.get_sync_status()
    assert status["dev_path"] == path and not status["is_degraded"]
    assert status["ldisk_status"] == constants.LDS_OKAY
    storage.assemble_device(_file_disk(path))
    with pytest.raises(errors.BlockDeviceError, match="File already existing"):
        storage.create_device(_file_disk(path))


def test_file_grow_and_wipe(root):
    path = _in_fs("inst1", "d1.file.disk0")
    dev = storage.create_device(_file_disk(path, 4))
    with open(path, "r+b") as fh:
        fh.write(b"\xff" * (4 * MIB))
    dev.grow(2, dryrun=True, backingstore=True, excl_stor=False)
    assert os.path.getsize(path) == 4 * MIB
    dev.grow(2, dryrun=False, backingstore=False, excl_stor=False)  # nothing to do
    assert os.path.getsize(path) == 4 * MIB
    dev.grow(2, dryrun=False, backingstore=True, excl_stor=False)
    assert os.path.getsize(path) == 6 * MIB
    with pytest.raises(errors.BlockDeviceError, match="negative"):
        dev.grow(-1, dryrun=False, backingstore=True, excl_stor=False)
    free = filestorage.free_space_mib(os.path.dirname(path))
    with pytest.raises(errors.BlockDeviceError, match="Not enough free space"):
        dev.grow(free + 10, dryrun=True, backingstore=True, excl_stor=False)
    dev.wipe(1, 2)
    with open(path, "rb") as fh:
        data = fh.read()
    assert len(data) == 6 * MIB  # never truncated
    assert data[:MIB] == b"\xff" * MIB
    assert data[MIB : 3 * MIB] == bytes(2 * MIB)
    assert data[3 * MIB : 4 * MIB] == b"\xff" * MIB


def test_file_remove_and_rename(root):
    path = _in_fs("inst1", "a")
    dev = storage.create_device(_file_disk(path))
    new = _in_fs("inst1", "b")
    dev.rename([constants.FD_LOOP, new])
    assert not os.path.exists(path) and os.path.exists(new) and dev.dev_path == new
    dev.remove()
    assert not os.path.exists(new)
    dev.remove()  # idempotent
    assert storage.find_device(_file_disk(new)) is None


def test_disk_that_does_not_fit_leaves_nothing(root):
    parent = _in_fs("big-inst")
    path = os.path.join(parent, "d.file.disk0")
    free = filestorage.free_space_mib(pathutils.DEFAULT_FILE_STORAGE_DIR)
    with pytest.raises(errors.BlockDeviceError, match="Not enough free space .* MiB requested"):
        storage.create_device(_file_disk(path, free + 1024))
    assert not os.path.exists(path)
    assert not os.path.exists(parent)  # the directory made for it is gone too


def test_path_checks(root):
    with pytest.raises(errors.FileStoragePathError, match="not acceptable for file storage"):
        storage.create_device(_file_disk(str(root / "elsewhere" / "disk")))
    with pytest.raises(errors.FileStoragePathError, match="not normalized"):
        storage.find_device(_file_disk(_in_fs("x", "..", "..", "y")))
    with pytest.raises(errors.FileStoragePathError, match="absolute"):
        filestorage.check_file_storage_path("relative/disk")
    with pytest.raises(errors.FileStoragePathError, match="forbidden"):
        filestorage.check_file_storage_path(os.path.join(pathutils.get_root(), "etc"))
    assert not os.path.exists(root / "elsewhere")
    # an entry of file-storage-paths allows another directory
    other = str(root / "data" / "disks")
    os.makedirs(os.path.dirname(pathutils.FILE_STORAGE_PATHS_FILE), exist_ok=True)
    with open(pathutils.FILE_STORAGE_PATHS_FILE, "w") as fh:
        fh.write("# comment\nrelative/ignored\n%s\n" % other)
    filestorage.check_file_storage_path(other + "/inst/disk0")
    assert other in filestorage.allowed_paths()
    assert "relative/ignored" not in filestorage.allowed_paths()
    # with ssconf, the cluster's directory replaces the default one
    os.makedirs(pathutils.DATA_DIR, exist_ok=True)
    cluster_dir = str(root / "cluster-files")
    with open(pathutils.ssconf_file(constants.SS_FILE_STORAGE_DIR), "w") as fh:
        fh.write(cluster_dir + "\n")
    filestorage.check_file_storage_path(cluster_dir + "/i/d")
    with pytest.raises(errors.FileStoragePathError):
        filestorage.check_file_storage_path(_in_fs("i", "d"))


def test_sharedfile(root):
    path = os.path.join(pathutils.DEFAULT_SHARED_FILE_STORAGE_DIR, "inst", "d.sharedfile.disk0")
    dev = storage.create_device(_file_disk(path, 2, constants.DT_SHARED_FILE))
    assert type(dev).__name__ == "SharedFileStorage" and dev.DEV_TYPE == "sharedfile"
    assert os.path.getsize(path) == 2 * MIB
    storage.find_device(_file_disk(path, 2, constants.DT_SHARED_FILE)).remove()
    assert not os.path.exists(path)


def test_registry_and_bad_disks(root):
    assert set(storage.supported_dev_types()) >= {"file", "sharedfile", "blockdev", "diskless"}
    with pytest.raises(errors.BlockDeviceError, match="not supported on this node"):
        storage.find_device({"dev_type": "drbd", "logical_id": [], "size": 1})
    with pytest.raises(errors.BlockDeviceError, match="Diskless instances have no disks"):
        storage.create_device({"dev_type": "diskless", "logical_id": [], "size": 1})
    with pytest.raises(errors.BlockDeviceError, match="Invalid configuration data"):
        storage.find_device({"dev_type": "file", "logical_id": "nope", "size": 1})
    with pytest.raises(errors.BlockDeviceError, match="Unknown file driver"):
        storage.find_device({"dev_type": "file", "logical_id": ["zip", _in_fs("a")], "size": 1})
    with pytest.raises(errors.BlockDeviceError, match="Invalid disk size"):
        storage.create_device(_file_disk(_in_fs("i", "d"), -1))
    with pytest.raises(errors.BlockDeviceError, match="Invalid disk description"):
        storage.as_disk("disk0")
    with pytest.raises(errors.BlockDeviceError, match="lies outside /dev"):
        storage.find_device({"dev_type": "blockdev", "logical_id": ["manual", "/tmp/x"], "size": 1})
    with pytest.raises(errors.BlockDeviceError, match="invalid type"):
        storage.find_device(
            {"dev_type": "blockdev", "logical_id": ["auto", "/dev/null"], "size": 1}
        )
    # /dev/null exists but is no block device
    dev = blockdev.PersistentBlockDevice(["manual", "/dev/null"], None, 1, {})
    assert not dev.attached
    with pytest.raises(errors.BlockDeviceError, match="not an existing block device"):
        blockdev.PersistentBlockDevice.create(["manual", "/dev/null"], None, 1, {})


def test_storage_dirs(root):
    path = _in_fs("inst1")
    filestorage.create_storage_dir(path)
    filestorage.create_storage_dir(path)  # exists: fine
    assert oct(os.stat(path).st_mode & 0o777) == "0o750"
    new = _in_fs("inst2")
    filestorage.rename_storage_dir(path, new)
    assert os.path.isdir(new) and not os.path.exists(path)
    filestorage.rename_storage_dir(path, new)  # already renamed: fine
    os.makedirs(path)
    with pytest.raises(errors.StorageError, match="both locations exist"):
        filestorage.rename_storage_dir(path, new)
    open(os.path.join(new, "disk0"), "w").close()
    with pytest.raises(errors.StorageError, match="Cannot remove file storage directory"):
        filestorage.remove_storage_dir(new)
    os.unlink(os.path.join(new, "disk0"))
    filestorage.remove_storage_dir(new)
    filestorage.remove_storage_dir(new)  # gone: fine
    assert not os.path.exists(new)
    with pytest.raises(errors.FileStoragePathError):
        filestorage.create_storage_dir(str(root / "not-allowed"))


def test_storage_list(root):
    path = _in_fs("inst1", "disk0")
    storage.create_device(_file_disk(path, 3))
    rows = container.list_storage(
        constants.ST_FILE,
        [[pathutils.DEFAULT_FILE_STORAGE_DIR]],
        None,
        ["name", "size", "used", "free", "allocatable"],
    )
    assert len(rows) == 1
    name, size, used, free, alloc = rows[0]
    assert name == pathutils.DEFAULT_FILE_STORAGE_DIR
    assert size >= free > 0 and used == 3 and alloc is True
    st = os.statvfs(name)
    assert size == st.f_blocks * st.f_frsize // MIB
    assert container.list_storage("sharedfile", [["/a", "/b"]], "/a", ["name"]) == [["/a"]]
    with pytest.raises(errors.StorageError, match="Unknown field"):
        container.list_storage("file", [[name]], None, ["bogus"])
    with pytest.raises(errors.StorageError, match="Unknown storage type"):
        container.list_storage("tape", [], None, ["name"])
    with pytest.raises(errors.StorageError, match="can't be listed"):
        container.list_storage("lvm-vg", [], None, ["name"])
    with pytest.raises(errors.StorageError, match="Can't get information"):
        container.list_storage("file", [[str(root / "missing")]], None, ["size"])


def test_instance_disk_links_and_cache(root):
    target = _in_fs("inst1", "disk0")
    link = devlinks.make_link("inst1.example.com", target, 0)
    assert link == os.path.join(pathutils.RUN_DIR, "instance-disks", "inst1.example.com:0")
    assert os.readlink(link) == target
    assert devlinks.make_link("inst1.example.com", target, 0) == link  # same: kept
    devlinks.make_link("inst1.example.com", "/dev/other", 0)  # stale: replaced
    assert os.readlink(link) == "/dev/other"
    devlinks.make_link("inst1.example.com", target, 1)
    devlinks.make_link("inst10.example.com", target, 0)
    devlinks.remove_links("inst1.example.com", 1)
    assert os.listdir(pathutils.DISK_LINKS_DIR) == ["inst10.example.com:0"]
    devlinks.update_cache("/dev/loop3", "inst1", True, "disk/0")
    cache = os.path.join(pathutils.BDEV_CACHE_DIR, "bdev_loop3")
    assert open(cache).read() == "inst1 primary disk/0\n"
    assert devlinks.read_cache("/dev/loop3") == ("inst1", "primary", "disk/0")
    devlinks.update_cache(target, "inst1", False, None)
    assert devlinks.read_cache(target) == ("inst1", "secondary", "not_visible")
    devlinks.remove_cache("/dev/loop3")
    assert not os.path.exists(cache) and devlinks.read_cache("/dev/loop3") is None


def _can_use_loop() -> bool:
    if os.geteuid() != 0 or not shutil.which("losetup"):
        return False
    return subprocess.run(["losetup", "-f"], capture_output=True).returncode == 0


@pytest.fixture
def loop_device(tmp_path):
    if not _can_use_loop():
        pytest.skip("blockdev needs root and working loop devices (losetup -f)")
    backing = tmp_path / "backing.img"
    with open(backing, "wb") as fh:
        fh.truncate(8 * MIB)
    dev = subprocess.run(
        ["losetup", "-f", "--show", str(backing)], capture_output=True, text=True, check=True
    ).stdout.strip()
    yield dev, backing
    subprocess.run(["losetup", "-d", dev], check=False)


def test_blockdev_adopts_a_loop_device(root, loop_device):
    dev_path, backing = loop_device
    disk = {"dev_type": "blockdev", "logical_id": ["manual", dev_path], "size": 8}
    dev = storage.create_device(disk)
    assert dev.attached and dev.major == 7 and dev.dev_path == dev_path
    assert dev.get_actual_size() == 8 * MIB
    assert dev.get_sync_status()["major"] == 7
    with pytest.raises(errors.BlockDeviceError, match="holds only 8 MiB"):
        storage.create_device(dict(disk, size=9))
    with pytest.raises(errors.BlockDeviceError, match="not supported"):
        dev.grow(1, False, True, False)
    with open(dev_path, "wb") as fh:
        fh.write(b"\x01" * (2 * MIB))
    dev.wipe(0, 1)
    with open(backing, "rb") as fh:
        data = fh.read(2 * MIB)
    assert data[:MIB] == bytes(MIB) and data[MIB:] == b"\x01" * MIB
    dev.remove()  # adoption ends; the device and its data stay
    assert os.path.exists(dev_path)
    assert storage.find_device(disk) is not None


def test_wipe_bounds(root):
    path = _in_fs("i", "d")
    storage.create_device(_file_disk(path, 1))
    with pytest.raises(errors.BlockDeviceError, match="Negative offset"):
        base.wipe_path(path, -1, 1)
    with pytest.raises(errors.BlockDeviceError, match="Negative size"):
        base.wipe_path(path, 0, -1)
    with pytest.raises(errors.BlockDeviceError, match="Cannot open"):
        base.wipe_path(path + ".missing", 0, 1)
