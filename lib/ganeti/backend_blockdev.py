"""Node-side work behind the block device and storage RPCs.

Owns what a node does when the master asks it to create, find, assemble,
open, grow, wipe, rename or remove an instance's disks, to report their
sizes and sync status, to manage file storage directories, and to list
storage units and volumes.  It also decodes what the master sends
(``NodeInstance``: an instance with its disks; ``objects.Disk`` dicts) and
turns Ganeti errors into ``RPCFail`` (``_procedure``): ``backend_instance``
shares these.  Every procedure returns a JSON-able value or raises
``backend.RPCFail`` with a message for the master.  It must never read
config.data nor talk to other nodes.

``PROCEDURES`` maps each of these RPC names to its function;
``backend_instance.PROCEDURES`` includes them.
"""

import logging
import os
import stat
from typing import Any, Callable

from ganeti import constants, errors, hypervisor, objects, storage
from ganeti.backend import RPCFail, _fail
from ganeti.storage import base as bdev_base
from ganeti.storage import container, devlinks, filestorage
from ganeti.utils import process as uproc


def _procedure(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turns Ganeti errors raised below into RPCFail with their message."""

    def wrapper(*args: Any) -> Any:
        try:
            return fn(*args)
        except RPCFail:
            raise
        except errors.GenericError as err:
            msg = str(err.args[0]) if len(err.args) == 1 else str(err)
            logging.error("%s failed: %s", fn.__name__, msg)
            raise RPCFail(msg) from None

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
    return wrapper


# --- decoding what the master sends --------------------------------------------------------


class NodeInstance:
    """An instance as the master sent it: the object, its disks, secondary nodes."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict) or not data.get("name"):
            _fail("Invalid instance description: expected a dict with a name")
        try:
            self.inst = objects.Instance.from_dict(data)
        except errors.ConfigurationError as err:
            _fail("Invalid instance description: %s", err)
        raw_disks = data.get("disks_info")
        if raw_disks is None:
            raw_disks = [d for d in data.get("disks") or [] if isinstance(d, dict)]
        self.disks = [_disk(d) for d in raw_disks]
        self.secondary_nodes = list(data.get("secondary_nodes") or [])

    @property
    def name(self) -> str:
        return self.inst.name

    def hv(self):
        """This instance's hypervisor object."""
        return _get_hv(self.inst.hypervisor)


def _disk(data: Any) -> objects.Disk:
    try:
        return storage.as_disk(data)
    except errors.BlockDeviceError as err:
        _fail(str(err))
        raise


def _get_hv(name: str):
    try:
        return hypervisor.get_hypervisor(name)
    except errors.HypervisorError as err:
        _fail(str(err))
        raise


def _disk_desc(disk: objects.Disk) -> str:
    return "%s disk %s (%s)" % (disk.dev_type, disk.iv_name or disk.uuid, disk.logical_id)


# --- finding and assembling devices --------------------------------------------------------


def _find(disk: objects.Disk) -> bdev_base.BlockDev | None:
    children = [_find(c) for c in disk.children or []]
    return storage.find_device(disk, children)


def _assemble_on_secondary(disk: objects.Disk) -> bool:
    return disk.dev_type == constants.DT_DRBD8


def _open_on_secondary(disk: objects.Disk) -> bool:
    return disk.dev_type == constants.DT_PLAIN


def _assemble(disk: objects.Disk, owner: str, as_primary: bool) -> bdev_base.BlockDev | bool:
    children = [_assemble(c, owner, as_primary) for c in disk.children or []]
    if as_primary or _assemble_on_secondary(disk):
        dev = storage.assemble_device(disk, [c if c is not True else None for c in children])
        if as_primary or _open_on_secondary(disk):
            dev.open()
        devlinks.update_cache(dev.dev_path, owner, as_primary, disk.iv_name)
        return dev
    return True


def _device_uri(
    instance: objects.Instance, disk: objects.Disk, dev: bdev_base.BlockDev
) -> str | None:
    if (disk.params or {}).get(constants.LDP_ACCESS) == constants.DISK_USERSPACE:
        return dev.get_userspace_access_uri(instance.hypervisor)
    return None


def _existing(disk: objects.Disk, msg: str = "Cannot find block device %s") -> bdev_base.BlockDev:
    """The device of ``disk`` on this node; RPCFail ``msg`` (naming the disk) if absent."""
    dev = _find(disk)
    if dev is None:
        _fail(msg, _disk_desc(disk))
    return dev


def _open_real(disk: objects.Disk) -> bdev_base.BlockDev:
    dev = _existing(disk, "Block device '%s' is not set up")
    dev.open()
    return dev


def _gather_and_link(ninst: NodeInstance) -> list[tuple[objects.Disk, str, str | None]]:
    result = []
    for idx, disk in enumerate(ninst.disks):
        dev = _find(disk)
        if dev is None:
            raise errors.BlockDeviceError("Block device '%s' is not set up" % _disk_desc(disk))
        dev.open()
        link = devlinks.make_link(ninst.name, dev.dev_path, idx)
        result.append((disk, link, _device_uri(ninst.inst, disk, dev)))
    return result


# --- block devices -------------------------------------------------------------------------


@_procedure
def blockdev_create(
    bdev: dict, size: int, owner: str, on_primary: bool, info: str, excl_stor: bool
) -> Any:
    """Creates a disk (and its children); returns its unique id (logical_id).

    On any failure nothing the call created is left behind.
    """
    disk = _disk(bdev)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        _fail("Invalid disk size %r: expected a non-negative number of MiB", size)
    disk.size = size
    children = []
    for child in disk.children or []:
        cdev = _assemble(child, owner, on_primary)
        children.append(cdev if cdev is not True else None)
    try:
        dev = storage.create_device(disk, children, bool(excl_stor))
    except errors.GenericError as err:
        _fail("Can't create block device: %s", err.args[0] if err.args else err)
        raise
    try:
        if on_primary or _assemble_on_secondary(disk):
            dev.assemble()
            if on_primary or _open_on_secondary(disk):
                dev.open(force=True)
            devlinks.update_cache(dev.dev_path, owner, on_primary, disk.iv_name)
        dev.set_info(info)
    except errors.GenericError as err:
        try:
            dev.remove()
            devlinks.remove_cache(dev.dev_path)
        except errors.GenericError as rerr:
            logging.error("Can't remove the half-made device %s: %s", dev, rerr)
        _fail("Can't set up the new block device %s: %s", dev.dev_path, err)
    return dev.unique_id


def _on_tree(
    disk: objects.Disk,
    dev: bdev_base.BlockDev | None,
    act: Callable[[bdev_base.BlockDev], None],
    again: Callable[[dict], None],
) -> list[str]:
    """``act`` on the device (then forgets its owner), ``again`` on each child; the errors."""
    msgs = []
    if dev is not None:
        path = dev.dev_path
        try:
            act(dev)
            devlinks.remove_cache(path)
        except errors.BlockDeviceError as err:
            msgs.append(str(err))
    for child in disk.children or []:
        try:
            again(child.to_dict())
        except RPCFail as err:
            msgs.append(str(err))
    return msgs


@_procedure
def blockdev_remove(bdev: dict) -> None:
    """Removes a disk and its children (absent ones are fine)."""
    disk = _disk(bdev)
    try:
        dev = _find(disk)
    except errors.BlockDeviceError as err:
        logging.info("Can't attach to device %s in remove: %s", _disk_desc(disk), err)
        dev = None
    msgs = _on_tree(disk, dev, lambda d: d.remove(), blockdev_remove)
    if msgs:
        _fail("Can't remove device: %s", "; ".join(msgs))


@_procedure
def blockdev_assemble(disk: dict, instance: dict, on_primary: bool, idx: int) -> list:
    """Activates a disk; ``[dev_path, link or None, uri or None]`` (link/uri on the primary)."""
    dsk = _disk(disk)
    ninst = NodeInstance(instance)
    try:
        result = _assemble(dsk, ninst.name, on_primary)
    except errors.BlockDeviceError as err:
        _fail("Error while assembling disk: %s", err)
        raise
    if result is True:
        return [True, True, None]
    link = uri = None
    if on_primary:
        try:
            link = devlinks.make_link(ninst.name, result.dev_path, int(idx))
        except OSError as err:
            _fail("Error while symlinking disk: %s", err)
        uri = _device_uri(ninst.inst, dsk, result)
    return [result.dev_path, link, uri]


@_procedure
def blockdev_shutdown(disk: dict) -> None:
    """Deactivates a disk and its children (absent ones are fine)."""
    dsk = _disk(disk)
    msgs = _on_tree(dsk, _find(dsk), lambda d: d.shutdown(), blockdev_shutdown)
    if msgs:
        _fail("; ".join(msgs))


@_procedure
def blockdev_grow(
    cf_bdev: dict, amount: int, dryrun: bool, backingstore: bool, es_flag: bool
) -> None:
    """Grows a disk by ``amount`` MiB (``dryrun``: only checks it can)."""
    dev = _existing(_disk(cf_bdev))
    try:
        dev.grow(amount, bool(dryrun), bool(backingstore), bool(es_flag))
    except errors.BlockDeviceError as err:
        _fail("Failed to grow block device: %s", err)


@_procedure
def blockdev_wipe(bdev: dict, offset: int, size: int) -> None:
    """Zeroes ``size`` MiB from ``offset`` MiB of a disk."""
    dev = _existing(_disk(bdev), "Cannot wipe device %s: device not found")
    if not isinstance(offset, int) or offset < 0:
        _fail("Negative offset")
    if not isinstance(size, int) or size < 0:
        _fail("Negative size")
    dev_size = dev.get_actual_size() // bdev_base.MIB
    if offset > dev_size:
        _fail("Offset is bigger than device size")
    if offset + size > dev_size:
        _fail("The provided offset and size to wipe is bigger than device size")
    dev.wipe(offset, size)


@_procedure
def blockdev_find(disk: dict) -> dict | None:
    """The disk's BlockDevStatus dict, or None if it is not on this node."""
    dev = _find(_disk(disk))
    if dev is None:
        return None
    return dev.get_sync_status()


@_procedure
def blockdev_getdimensions(disks: list) -> list:
    """``[size in bytes, spindles]`` per disk (None for a disk not found)."""
    result = []
    for data in disks or []:
        try:
            dev = _find(_disk(data))
        except errors.BlockDeviceError:
            dev = None
        result.append(None if dev is None else list(dev.get_actual_dimensions()))
    return result


@_procedure
def blockdev_getmirrorstatus(disks: list) -> list:
    """The combined sync status of each disk (all must exist)."""
    stats = []
    for data in disks or []:
        stats.append(_existing(_disk(data), "Can't find device %s").combined_sync_status())
    return stats


@_procedure
def blockdev_getmirrorstatus_multi(disks: list) -> list:
    """``[success, status dict or error message]`` per disk."""
    result = []
    for data in disks or []:
        try:
            disk = _disk(data)
            dev = _find(disk)
            if dev is None:
                result.append([False, "Can't find device %s" % _disk_desc(disk)])
            else:
                result.append([True, dev.combined_sync_status()])
        except (errors.GenericError, RPCFail) as err:
            result.append([False, str(err)])
    return result


@_procedure
def blockdev_pause_resume_sync(disks: list, pause: bool) -> list:
    """``[success, message or None]`` per disk."""
    result = []
    for data in disks or []:
        disk = _disk(data)
        dev = _find(disk)
        if dev is None:
            result.append([False, "Can't find device %s" % _disk_desc(disk)])
            continue
        result.append([bool(dev.pause_resume_sync(bool(pause))), None])
    return result


@_procedure
def blockdev_setinfo(disk: dict, info: str) -> None:
    """Stores ``info`` (metadata) on a disk."""
    _existing(_disk(disk)).set_info(info)


def _find_all(disks: list) -> list[bdev_base.BlockDev]:
    return [_existing(_disk(data), "Can't find device %s") for data in disks or []]


@_procedure
def blockdev_open(instance_name: str, disks: list, exclusive: bool) -> None:
    """Opens an instance's disks (primary mode) and links them."""
    for idx, dev in enumerate(_find_all(disks)):
        dev.open(exclusive=bool(exclusive))
        devlinks.make_link(instance_name, dev.dev_path, idx)


@_procedure
def blockdev_close(instance_name: str, disks: list) -> None:
    """Closes an instance's disks (secondary mode) and drops their links."""
    devs = _find_all(disks)
    msgs = []
    for dev in devs:
        try:
            dev.close()
        except errors.BlockDeviceError as err:
            msgs.append(str(err))
    if msgs:
        _fail("Can't close devices: %s", ", ".join(msgs))
    if instance_name:
        devlinks.remove_links(instance_name, len(devs))


@_procedure
def blockdev_rename(devlist: list) -> None:
    """Gives each ``[disk, new unique id]`` its new id."""
    msgs = []
    for entry in devlist or []:
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            _fail("Invalid rename entry %r: expected [disk, new id]", entry)
        disk = _disk(entry[0])
        dev = _find(disk)
        if dev is None:
            msgs.append("Can't find device %s in rename" % _disk_desc(disk))
            continue
        old_path = dev.dev_path
        try:
            dev.rename(entry[1])
        except errors.GenericError as err:
            msgs.append("Can't rename device '%s' to '%s': %s" % (old_path, entry[1], err))
            continue
        if old_path != dev.dev_path:
            owner = devlinks.read_cache(old_path)
            devlinks.remove_cache(old_path)
            if owner:
                devlinks.update_cache(dev.dev_path, owner[0], owner[1] == "primary", owner[2])
    if msgs:
        _fail("; ".join(msgs))


@_procedure
def bdev_sizes(devices: list) -> dict[str, int]:
    """{path: size in MiB} of the given paths that are block devices under /dev."""
    sizes = {}
    for path in devices or []:
        if not isinstance(path, str):
            continue
        real = os.path.realpath(path)
        if not (os.path.normpath(path).startswith("/dev/") and real.startswith("/dev/")):
            continue
        try:
            if not stat.S_ISBLK(os.stat(real).st_mode):
                continue
            fd = os.open(real, os.O_RDONLY)
            try:
                sizes[path] = os.lseek(fd, 0, os.SEEK_END) // bdev_base.MIB
            finally:
                os.close(fd)
        except OSError as err:
            logging.warning("Can't get the size of %s: %s", path, err)
    return sizes


# --- file storage directories, storage units -----------------------------------------------


@_procedure
def file_storage_dir_create(file_storage_dir: str) -> None:
    """Creates an instance's file storage directory."""
    filestorage.create_storage_dir(file_storage_dir)


@_procedure
def file_storage_dir_remove(file_storage_dir: str) -> None:
    """Removes an (empty) instance file storage directory."""
    filestorage.remove_storage_dir(file_storage_dir)


@_procedure
def file_storage_dir_rename(old_file_storage_dir: str, new_file_storage_dir: str) -> None:
    """Renames an instance file storage directory."""
    filestorage.rename_storage_dir(old_file_storage_dir, new_file_storage_dir)


@_procedure
def storage_list(su_name: str, su_args: list, name: str | None, fields: list[str]) -> list:
    """Rows of ``fields`` for storage type ``su_name`` (file/sharedfile here)."""
    return container.list_storage(su_name, su_args, name, fields)


@_procedure
def storage_modify(su_name: str, su_args: list, name: str, changes: dict) -> None:
    _fail("Storage type '%s' has no modifiable fields on this node", su_name)


@_procedure
def storage_execute(su_name: str, su_args: list, name: str, op: str) -> None:
    _fail("Operation '%s' is not supported for storage type '%s'", op, su_name)


@_procedure
def node_volumes() -> list[dict[str, Any]]:
    """This node's logical volumes (none where LVM is not installed)."""
    if not any(os.access(os.path.join(d, "lvs"), os.X_OK) for d in ("/sbin", "/usr/sbin")):
        return []
    result = uproc.run_cmd(
        [
            "lvs",
            "--noheadings",
            "--units=m",
            "--nosuffix",
            "--separator=|",
            "--options=lv_name,lv_size,devices,vg_name",
        ]
    )
    if result.failed:
        _fail("Failed to list logical volumes, lvs output: %s", result.output.strip())
    volumes = []
    for line in result.stdout.splitlines():
        fields = [f.strip() for f in line.split("|")]
        if len(fields) != 4:
            continue
        name, size, devices, vg = fields
        for dev in devices.split(",") or [""]:
            volumes.append({"name": name, "size": size, "dev": dev.split("(")[0], "vg": vg})
    return volumes


#: RPC procedure name -> implementation (part of backend_instance.PROCEDURES)
PROCEDURES: dict[str, Callable[..., Any]] = {
    "blockdev_create": blockdev_create,
    "blockdev_remove": blockdev_remove,
    "blockdev_assemble": blockdev_assemble,
    "blockdev_shutdown": blockdev_shutdown,
    "blockdev_grow": blockdev_grow,
    "blockdev_wipe": blockdev_wipe,
    "blockdev_find": blockdev_find,
    "blockdev_getdimensions": blockdev_getdimensions,
    "blockdev_getmirrorstatus": blockdev_getmirrorstatus,
    "blockdev_getmirrorstatus_multi": blockdev_getmirrorstatus_multi,
    "blockdev_pause_resume_sync": blockdev_pause_resume_sync,
    "blockdev_setinfo": blockdev_setinfo,
    "blockdev_open": blockdev_open,
    "blockdev_close": blockdev_close,
    "blockdev_rename": blockdev_rename,
    "bdev_sizes": bdev_sizes,
    "file_storage_dir_create": file_storage_dir_create,
    "file_storage_dir_remove": file_storage_dir_remove,
    "file_storage_dir_rename": file_storage_dir_rename,
    "storage_list": storage_list,
    "storage_modify": storage_modify,
    "storage_execute": storage_execute,
    "node_volumes": node_volumes,
}
