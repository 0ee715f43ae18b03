"""Storage drivers behind one block-device interface, by dev_type.

Owns the registry from a disk's ``dev_type`` (a disk template: file,
sharedfile, blockdev, diskless; plain and drbd when their drivers join) to
the ``BlockDev`` class that handles it, and the three ways the node daemon
gets at a device: create it, find it (None if absent), assemble it.  It
must never know about instances: ``backend_instance`` does.

Disks come as the master sends them (dicts as ``objects.Disk.to_dict``) or
as ``objects.Disk``.
"""

import importlib
from typing import Any

from ganeti import constants, errors, objects
from ganeti.storage import base

_MODULES = {
    constants.DT_DISKLESS: ("ganeti.storage.diskless", "DisklessDevice"),
    constants.DT_FILE: ("ganeti.storage.filestorage", "FileStorage"),
    constants.DT_SHARED_FILE: ("ganeti.storage.filestorage", "SharedFileStorage"),
    constants.DT_BLOCK: ("ganeti.storage.blockdev", "PersistentBlockDevice"),
}


def supported_dev_types() -> list[str]:
    """The dev_types this node can handle."""
    return sorted(_MODULES)


def register(dev_type: str, module: str, class_name: str) -> None:
    """Adds a driver (how LVM and DRBD join): ``module.class_name`` handles ``dev_type``."""
    _MODULES[dev_type] = (module, class_name)


def device_class(dev_type: str) -> type[base.BlockDev]:
    """The class handling ``dev_type``; BlockDeviceError if none does here."""
    try:
        module, name = _MODULES[dev_type]
    except (KeyError, TypeError):
        raise errors.BlockDeviceError(
            "Disk type '%s' is not supported on this node (supported: %s)"
            % (dev_type, ", ".join(supported_dev_types()))
        ) from None
    return getattr(importlib.import_module(module), name)


def as_disk(disk: Any) -> objects.Disk:
    """An ``objects.Disk`` from a disk dict (or the disk itself)."""
    if isinstance(disk, objects.Disk):
        return disk
    if not isinstance(disk, dict):
        raise errors.BlockDeviceError("Invalid disk description: %r" % (disk,))
    try:
        return objects.Disk.from_dict(disk)
    except errors.ConfigurationError as err:
        raise errors.BlockDeviceError("Invalid disk description: %s" % err) from None


def _construct(disk: objects.Disk, children: list | None) -> base.BlockDev:
    cls = device_class(disk.dev_type)
    return cls(disk.logical_id, children, disk.size or 0, disk.params, disk.dynamic_params)


def find_device(disk: Any, children: list | None = None) -> base.BlockDev | None:
    """The device of ``disk`` if it exists on this node, else None."""
    disk = as_disk(disk)
    device = _construct(disk, children)
    if not device.attached:
        return None
    return device


def assemble_device(disk: Any, children: list | None = None) -> base.BlockDev:
    """The device of ``disk``, assembled (BlockDeviceError if it can't be)."""
    disk = as_disk(disk)
    device = _construct(disk, children)
    device.assemble()
    return device


def create_device(
    disk: Any, children: list | None = None, excl_stor: bool = False
) -> base.BlockDev:
    """Creates the device of ``disk`` with its configured size."""
    disk = as_disk(disk)
    cls = device_class(disk.dev_type)
    size = disk.size
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise errors.BlockDeviceError("Invalid disk size %r" % (size,))
    return cls.create(disk.logical_id, children, size, disk.params, excl_stor, disk.dynamic_params)
