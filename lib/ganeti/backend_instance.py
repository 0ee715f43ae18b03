"""Node-side work behind the instance, block device, OS and storage RPCs.

Owns what a node does when the master asks it to create, find, assemble,
grow, wipe or remove an instance's disks, to start, stop, reboot, migrate
or list instances through their hypervisor, to run OS scripts on an
instance's disks, and to report storage.  Arguments are what the master's
encoders send (``rpc.instance_encoders``): instances as dicts with filled
hvparams/beparams/osparams, ``disks_info`` (disk dicts) and
``secondary_nodes``; disks as ``objects.Disk`` dicts.  Every procedure
returns a JSON-able value or raises ``backend.RPCFail`` with a message
for the master.  It must never read config.data nor talk to other nodes.

``PROCEDURES`` maps each RPC name to its function; ganeti-noded merges it
into its dispatch table.
"""

import logging
import os
import stat
import time
from typing import Any, Callable

from ganeti import constants, errors, hypervisor, objects, osapi, pathutils, serializer, storage
from ganeti.backend import RPCFail
from ganeti.storage import base as bdev_base
from ganeti.storage import container, devlinks, filestorage
from ganeti.utils import io as uio
from ganeti.utils import process as uproc

#: hypervisor instance states (Ganeti's HvInstanceState)
HV_STATE_RUNNING = 0
HV_STATE_SHUTDOWN = 1


def _fail(msg: str, *args: Any) -> None:
    if args:
        msg = msg % args
    logging.error(msg)
    raise RPCFail(msg)


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


def _open_real(disk: objects.Disk) -> bdev_base.BlockDev:
    dev = _find(disk)
    if dev is None:
        _fail("Block device '%s' is not set up", _disk_desc(disk))
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


def _disk_accesses(ninst: NodeInstance) -> list[osapi.DiskAccess]:
    result = []
    for disk in ninst.disks:
        dev = _open_real(disk)
        result.append(osapi.DiskAccess(disk, dev.dev_path, _device_uri(ninst.inst, disk, dev)))
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


@_procedure
def blockdev_remove(bdev: dict) -> None:
    """Removes a disk and its children (absent ones are fine)."""
    disk = _disk(bdev)
    msgs = []
    try:
        dev = _find(disk)
    except errors.BlockDeviceError as err:
        logging.info("Can't attach to device %s in remove: %s", _disk_desc(disk), err)
        dev = None
    if dev is not None:
        path = dev.dev_path
        try:
            dev.remove()
            devlinks.remove_cache(path)
        except errors.BlockDeviceError as err:
            msgs.append(str(err))
    for child in disk.children or []:
        try:
            blockdev_remove(child.to_dict())
        except RPCFail as err:
            msgs.append(str(err))
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
    msgs = []
    dev = _find(dsk)
    if dev is not None:
        path = dev.dev_path
        try:
            dev.shutdown()
            devlinks.remove_cache(path)
        except errors.BlockDeviceError as err:
            msgs.append(str(err))
    for child in dsk.children or []:
        try:
            blockdev_shutdown(child.to_dict())
        except RPCFail as err:
            msgs.append(str(err))
    if msgs:
        _fail("; ".join(msgs))


@_procedure
def blockdev_grow(
    cf_bdev: dict, amount: int, dryrun: bool, backingstore: bool, es_flag: bool
) -> None:
    """Grows a disk by ``amount`` MiB (``dryrun``: only checks it can)."""
    disk = _disk(cf_bdev)
    dev = _find(disk)
    if dev is None:
        _fail("Cannot find block device %s", _disk_desc(disk))
    try:
        dev.grow(amount, bool(dryrun), bool(backingstore), bool(es_flag))
    except errors.BlockDeviceError as err:
        _fail("Failed to grow block device: %s", err)


@_procedure
def blockdev_wipe(bdev: dict, offset: int, size: int) -> None:
    """Zeroes ``size`` MiB from ``offset`` MiB of a disk."""
    disk = _disk(bdev)
    dev = _find(disk)
    if dev is None:
        _fail("Cannot wipe device %s: device not found", _disk_desc(disk))
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
        disk = _disk(data)
        dev = _find(disk)
        if dev is None:
            _fail("Can't find device %s", _disk_desc(disk))
        stats.append(dev.combined_sync_status())
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
    dsk = _disk(disk)
    dev = _find(dsk)
    if dev is None:
        _fail("Cannot find block device %s", _disk_desc(dsk))
    dev.set_info(info)


def _find_all(disks: list) -> list[bdev_base.BlockDev]:
    devs = []
    for data in disks or []:
        disk = _disk(data)
        dev = _find(disk)
        if dev is None:
            _fail("Can't find device %s", _disk_desc(disk))
        devs.append(dev)
    return devs


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


# --- instances -----------------------------------------------------------------------------


def _store_reason(instance_name: str, reason: Any) -> None:
    if reason is None:
        return
    try:
        os.makedirs(pathutils.INSTANCE_REASON_DIR, 0o755, exist_ok=True)
        uio.write_file(
            os.path.join(pathutils.INSTANCE_REASON_DIR, instance_name),
            serializer.dumps(reason),
            mode=0o644,
            fsync=False,
        )
    except OSError as err:
        logging.warning("Can't store the reason trail of %s: %s", instance_name, err)


def _hv_info(hv, name: str, hvparams: dict | None) -> tuple | None:
    try:
        return hv.get_instance_info(name, hvparams=hvparams)
    except errors.HypervisorError as err:
        _fail("Error checking node %s: %s", name, err)
        raise


def _info_dict(row: tuple) -> dict[str, Any]:
    return {"memory": row[2], "vcpus": row[3], "state": row[4], "time": row[5]}


@_procedure
def instance_info(instance: str, hname: str, hvparams: dict) -> dict:
    """``{memory, vcpus, state, time}`` of a running instance, {} if not running."""
    row = _hv_info(_get_hv(hname), instance, hvparams)
    return {} if row is None else _info_dict(row)


@_procedure
def all_instances_info(hypervisor_list: list[str], all_hvparams: dict) -> dict:
    """{name: {memory, vcpus, state, time}} over the given hypervisors."""
    output: dict[str, dict] = {}
    for hname in hypervisor_list or []:
        hv = _get_hv(hname)
        try:
            rows = hv.get_all_instances_info((all_hvparams or {}).get(hname))
        except errors.HypervisorError as err:
            _fail("Error enumerating instances (hypervisor %s): %s", hname, err)
            raise
        for row in rows or []:
            value = _info_dict(row)
            if row[0] in output:
                for key in ("memory", "vcpus"):
                    if value[key] != output[row[0]][key]:
                        _fail("Instance %s is running twice with different parameters", row[0])
            output[row[0]] = value
    return output


@_procedure
def instance_list(hypervisor_list: list[str], hvparams: dict) -> list[str]:
    """Names of the instances running here under the given hypervisors."""
    names: list[str] = []
    for hname in hypervisor_list or []:
        try:
            names.extend(_get_hv(hname).list_instances(hvparams=(hvparams or {}).get(hname)))
        except errors.HypervisorError as err:
            _fail("Error enumerating instances (hypervisor %s): %s", hname, err)
    return names


def _is_user_down(row: tuple | None) -> bool:
    return row is not None and row[4] == HV_STATE_SHUTDOWN


def _start(ninst: NodeInstance, startup_paused: bool, reason: Any, store: bool = True) -> None:
    hv = ninst.hv()
    row = _hv_info(hv, ninst.name, ninst.inst.hvparams)
    if row is not None and not _is_user_down(row):
        logging.info("Instance '%s' already running, not starting", ninst.name)
        return
    try:
        block_devices = _gather_and_link(ninst)
    except (errors.BlockDeviceError, OSError) as err:
        devlinks.remove_links(ninst.name, len(ninst.disks))
        _fail("Block device error: %s", err)
    try:
        hv.start_instance(ninst.inst, block_devices, bool(startup_paused))
    except errors.HypervisorError as err:
        devlinks.remove_links(ninst.name, len(ninst.disks))
        _fail("Hypervisor error: %s", err)
    if store:
        _store_reason(ninst.name, reason)


@_procedure
def instance_start(instance_hvp_bep: dict, startup_paused: bool, reason: Any) -> None:
    """Starts an instance whose disks are assembled (no-op if it runs)."""
    _start(NodeInstance(instance_hvp_bep), startup_paused, reason)


def _shutdown(ninst: NodeInstance, timeout: Any, reason: Any, store: bool = True) -> None:
    hv = ninst.hv()
    name = ninst.name
    hvparams = ninst.inst.hvparams

    def running() -> bool:
        return name in hv.list_instances(hvparams=hvparams)

    if not running():
        logging.info("Instance '%s' not running, doing nothing", name)
        devlinks.remove_links(name, len(ninst.disks))
        return
    try:
        timeout = max(0.0, float(timeout))
    except (TypeError, ValueError):
        timeout = float(constants.DEFAULT_SHUTDOWN_TIMEOUT)
    deadline = time.monotonic() + timeout
    tried = False
    while running():
        try:
            hv.stop_instance(ninst.inst, retry=tried, timeout=max(1, int(timeout)))
            if store:
                _store_reason(name, reason)
        except errors.HypervisorError as err:
            if not running():
                break
            _fail("Failed to stop instance '%s': %s", name, err)
        tried = True
        if not running() or time.monotonic() >= deadline:
            break
        time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
    if running():
        logging.error("Shutdown of '%s' unsuccessful, forcing", name)
        try:
            hv.stop_instance(ninst.inst, force=True)
        except errors.HypervisorError as err:
            if running():
                _fail("Failed to force stop instance %s: %s", name, err)
        if running():
            _fail("Could not shutdown instance %s even by destroy", name)
    try:
        hv.cleanup_instance(name)
    except errors.HypervisorError as err:
        logging.warning("Failed to execute post-shutdown cleanup step: %s", err)
    devlinks.remove_links(name, len(ninst.disks))


@_procedure
def instance_shutdown(instance: dict, timeout: int, reason: Any) -> None:
    """Stops an instance (soft, then forced after ``timeout`` seconds)."""
    _shutdown(NodeInstance(instance), timeout, reason)


@_procedure
def instance_reboot(inst: dict, reboot_type: str, shutdown_timeout: int, reason: Any) -> None:
    """Soft reboot through the hypervisor, or hard = shutdown + start."""
    ninst = NodeInstance(inst)
    hv = ninst.hv()
    if _hv_info(hv, ninst.name, ninst.inst.hvparams) is None:
        _fail("Cannot reboot instance '%s' that is not running", ninst.name)
    if reboot_type == constants.REBOOT_SOFT:
        try:
            hv.reboot_instance(ninst.inst)
        except errors.HypervisorError as err:
            _fail("Failed to soft reboot instance '%s': %s", ninst.name, err)
        _store_reason(ninst.name, reason)
    elif reboot_type == constants.REBOOT_HARD:
        _shutdown(ninst, shutdown_timeout, reason, store=False)
        _start(ninst, False, reason, store=False)
        _store_reason(ninst.name, reason)
    else:
        _fail("Invalid reboot_type received: '%s'", reboot_type)


@_procedure
def instance_balloon_memory(instance: dict, memory: int) -> None:
    """Sets a running instance's memory."""
    ninst = NodeInstance(instance)
    hv = ninst.hv()
    if ninst.name not in hv.list_instances(hvparams=ninst.inst.hvparams):
        _fail("Cannot balloon memory of instance %s: not running", ninst.name)
    try:
        hv.balloon_instance_memory(ninst.inst, int(memory))
    except (errors.HypervisorError, AttributeError) as err:
        _fail("Failed to balloon memory of instance %s: %s", ninst.name, err)


@_procedure
def hypervisor_validate_params(hvname: str, hvfull: dict) -> None:
    """Checks full hvparams against this node (HypervisorError message on failure)."""
    _get_hv(hvname).validate_parameters(hvfull or {})


def _hv_call(ninst: NodeInstance, method: str, *args: Any) -> Any:
    fn = getattr(ninst.hv(), method, None)
    if fn is None:
        _fail("Hypervisor %s does not support %s", ninst.inst.hypervisor, method)
    try:
        return fn(*args)
    except errors.HypervisorError as err:
        _fail("Failed in %s for instance %s: %s", method, ninst.name, err)
        raise


@_procedure
def instance_migratable(instance: dict) -> None:
    """Fails unless the instance runs here (missing disk links are only logged)."""
    ninst = NodeInstance(instance)
    if ninst.name not in ninst.hv().list_instances(hvparams=ninst.inst.hvparams):
        _fail("Instance %s is not running", ninst.name)
    for idx in range(len(ninst.disks)):
        link = devlinks.link_path(ninst.name, idx)
        if not os.path.islink(link):
            logging.warning("Instance %s is missing symlink %s for disk %d", ninst.name, link, idx)


@_procedure
def migration_info(instance: dict) -> Any:
    ninst = NodeInstance(instance)
    return _hv_call(ninst, "migration_info", ninst.inst)


def _ext_mirrored(ninst: NodeInstance) -> bool:
    return any(d.dev_type in constants.DTS_EXT_MIRROR for d in ninst.disks)


@_procedure
def accept_instance(instance: dict, info: Any, target: str) -> None:
    """Prepares to receive a migration; shared disks get their links here first."""
    ninst = NodeInstance(instance)
    if _ext_mirrored(ninst):
        # nothing assembled these disks on this node: the hypervisor needs the links
        _gather_and_link(ninst)
    _hv_call(ninst, "accept_instance", ninst.inst, info, target)


@_procedure
def instance_finalize_migration_dst(instance: dict, info: Any, success: bool) -> None:
    ninst = NodeInstance(instance)
    _hv_call(ninst, "finalize_migration_dst", ninst.inst, info, bool(success))
    if not success and _ext_mirrored(ninst):
        devlinks.remove_links(ninst.name, len(ninst.disks))


@_procedure
def instance_migrate(cluster_name: str, instance: dict, target: str, live: bool) -> None:
    ninst = NodeInstance(instance)
    _hv_call(ninst, "migrate_instance", cluster_name, ninst.inst, target, bool(live))


@_procedure
def instance_finalize_migration_src(instance: dict, success: bool, live: bool) -> None:
    ninst = NodeInstance(instance)
    _hv_call(ninst, "finalize_migration_source", ninst.inst, bool(success), bool(live))
    if success and _ext_mirrored(ninst):
        devlinks.remove_links(ninst.name, len(ninst.disks))


@_procedure
def instance_get_migration_status(instance: dict) -> Any:
    ninst = NodeInstance(instance)
    return _hv_call(ninst, "get_migration_status", ninst.inst)


# --- OS ------------------------------------------------------------------------------------


@_procedure
def os_diagnose() -> list:
    """Rows ``[name, path, status, diagnose, variants, parameters, api_versions, trusted]``."""
    return osapi.diagnose()


@_procedure
def os_validate(required: bool, name: str, checks: list, params: dict, force_variant: bool) -> bool:
    """True if valid (False if absent and not required); fails with the reason otherwise."""
    return osapi.validate(
        bool(required), name, list(checks or []), params or {}, bool(force_variant)
    )


def _os_env(ninst: NodeInstance, debug: Any) -> tuple[osapi.OSDefinition, dict[str, str]]:
    if not ninst.inst.os:
        _fail("Instance %s has no OS", ninst.name)
    os_def = osapi.os_from_disk(ninst.inst.os)
    env = osapi.instance_env(
        ninst.inst, os_def, _disk_accesses(ninst), ninst.secondary_nodes, int(debug or 0)
    )
    return os_def, env


@_procedure
def instance_os_add(instance_osp: dict, reinstall: bool, debug: int) -> None:
    """Runs the OS create script on the instance's (assembled) disks."""
    ninst = NodeInstance(instance_osp)
    os_def, env = _os_env(ninst, debug)
    osapi.run_create(os_def, env, ninst.name, ninst.inst.os, bool(reinstall))


@_procedure
def instance_run_rename(instance: dict, old_name: str, debug: int) -> None:
    """Runs the OS rename script (``instance`` carries the new name)."""
    ninst = NodeInstance(instance)
    os_def, env = _os_env(ninst, debug)
    osapi.run_rename(os_def, env, old_name, ninst.name, ninst.inst.os)


@_procedure
def os_export(instance: dict, override_env: dict) -> str:
    """Packs the instance's OS and script environment; returns the .tgz path here."""
    ninst = NodeInstance(instance)
    os_def, env = _os_env(ninst, 0)
    env.update({str(k): str(v) for k, v in (override_env or {}).items()})
    return osapi.export_os_package(os_def, env)


def run_disk_import(instance: dict, idx: int, source: str, debug: int = 0) -> str:
    """Runs the OS import script for disk ``idx`` from ``source``; the log path.

    For the import/export machinery (not an RPC of its own).
    """
    ninst = NodeInstance(instance)
    os_def, env = _os_env(ninst, debug)
    access = _disk_accesses(ninst)[idx]
    return osapi.run_import(os_def, env, ninst.name, ninst.inst.os, idx, access, source)


def run_disk_export(instance: dict, idx: int, dest: str, debug: int = 0) -> str:
    """Runs the OS export script for disk ``idx`` into ``dest``; the log path."""
    ninst = NodeInstance(instance)
    os_def, env = _os_env(ninst, debug)
    access = _disk_accesses(ninst)[idx]
    return osapi.run_export(os_def, env, ninst.name, ninst.inst.os, idx, access, dest)


#: RPC procedure name -> implementation (merged into ganeti-noded's table)
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
    "instance_info": instance_info,
    "all_instances_info": all_instances_info,
    "instance_list": instance_list,
    "instance_start": instance_start,
    "instance_shutdown": instance_shutdown,
    "instance_reboot": instance_reboot,
    "instance_balloon_memory": instance_balloon_memory,
    "hypervisor_validate_params": hypervisor_validate_params,
    "instance_migratable": instance_migratable,
    "migration_info": migration_info,
    "accept_instance": accept_instance,
    "instance_finalize_migration_dst": instance_finalize_migration_dst,
    "instance_migrate": instance_migrate,
    "instance_finalize_migration_src": instance_finalize_migration_src,
    "instance_get_migration_status": instance_get_migration_status,
    "os_diagnose": os_diagnose,
    "os_validate": os_validate,
    "instance_os_add": instance_os_add,
    "instance_run_rename": instance_run_rename,
    "os_export": os_export,
}
