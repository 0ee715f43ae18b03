"""The block device interface every storage driver implements.

Owns the contract between the node daemon and one kind of disk (file,
sharedfile, blockdev, diskless; LVM and DRBD later): how a device is
created, found, assembled, opened, grown, wiped, shut down and removed, and
what it reports (path, size, sync status).  It must never look at more than
one device at a time nor know about instances: ``backend_instance`` ties
devices to instances (symlinks, owner cache).

Sizes given to drivers are MiB, as in the configuration; sizes drivers
report (``get_actual_size``) are bytes, as Ganeti's.
"""

import logging
import os
from typing import Any

from ganeti import constants, errors
from ganeti.utils import process as uproc

MIB = 1024 * 1024


def throw_error(msg: str, *args: Any) -> None:
    """Raises BlockDeviceError with ``msg % args`` (and logs it)."""
    if args:
        msg = msg % args
    logging.error(msg)
    raise errors.BlockDeviceError(msg)


def parse_unique_id(unique_id: Any, what: str) -> tuple[str, str]:
    """``[driver, path]`` of a file or blockdev disk; BlockDeviceError otherwise."""
    if (
        not isinstance(unique_id, (list, tuple))
        or len(unique_id) != 2
        or not all(isinstance(v, str) for v in unique_id)
    ):
        throw_error("Invalid configuration data for %s device: %r", what, unique_id)
    return unique_id[0], unique_id[1]


def sync_status(
    dev_path: str | None,
    major: int | None = None,
    minor: int | None = None,
    sync_percent: float | None = None,
    estimated_time: int | None = None,
    is_degraded: bool = False,
    ldisk_status: int = constants.LDS_OKAY,
) -> dict[str, Any]:
    """A BlockDevStatus as the wire carries it (Ganeti's field names)."""
    return {
        "dev_path": dev_path,
        "major": major,
        "minor": minor,
        "sync_percent": sync_percent,
        "estimated_time": estimated_time,
        "is_degraded": is_degraded,
        "ldisk_status": ldisk_status,
    }


def wipe_path(path: str, offset: int, size: int) -> None:
    """Writes ``size`` MiB of zeros at ``offset`` MiB into ``path``, never truncating it."""
    if offset < 0:
        throw_error("Negative offset")
    if size < 0:
        throw_error("Negative size")
    zeros = bytes(constants.WIPE_BLOCK_SIZE)
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as err:
        throw_error("Cannot open %s for wiping: %s", path, err)
    try:
        os.lseek(fd, offset * MIB, os.SEEK_SET)
        for _ in range(size * MIB // len(zeros)):
            view = memoryview(zeros)
            while view:
                view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError as err:
        throw_error("Cannot wipe %s: %s", path, err)
    finally:
        os.close(fd)


class BlockDev:
    """One device on this node, known by its ``unique_id`` (a disk's logical_id).

    Attributes: ``dev_path`` (what hypervisors and OS scripts open, None
    while unknown), ``major``/``minor`` (block devices only), ``attached``
    (the device exists here), ``size`` (MiB, from the configuration).
    Constructing an object never creates anything: it only looks (attach).
    """

    #: the disk template / dev_type this class implements
    DEV_TYPE = ""

    def __init__(
        self,
        unique_id: Any,
        children: list["BlockDev | None"] | None,
        size: int,
        params: dict | None,
        dyn_params: dict | None = None,
    ) -> None:
        self.unique_id = unique_id
        self.children = list(children or [])
        self.size = size
        self.params = params or {}
        self.dyn_params = dyn_params or {}
        self.dev_path: str | None = None
        self.major: int | None = None
        self.minor: int | None = None
        self.attached = False

    def __repr__(self) -> str:
        return "<%s %r path=%s attached=%s>" % (
            type(self).__name__,
            self.unique_id,
            self.dev_path,
            self.attached,
        )

    # -- life cycle ----------------------------------------------------------------

    @classmethod
    def create(
        cls,
        unique_id: Any,
        children: list["BlockDev | None"] | None,
        size: int,
        params: dict | None,
        excl_stor: bool = False,
        dyn_params: dict | None = None,
    ) -> "BlockDev":
        """Creates the device (``size`` MiB) and returns it attached.

        Either the device exists afterwards or nothing was left behind.
        """
        raise NotImplementedError

    def attach(self) -> bool:
        """Looks for the device on this node; sets and returns ``attached``."""
        raise NotImplementedError

    def assemble(self) -> None:
        """Makes the device usable (activate, connect); idempotent."""

    def shutdown(self) -> None:
        """Undoes ``assemble``; the data stays.  Idempotent."""

    def remove(self) -> None:
        """Destroys the device and its data.  Idempotent."""
        raise NotImplementedError

    def rename(self, new_id: Any) -> None:
        """Gives the device a new unique id."""
        throw_error("Rename is not supported for %s devices", self.DEV_TYPE)

    def open(self, force: bool = False, exclusive: bool = True) -> None:
        """Makes the device ready for I/O by the instance (e.g. DRBD primary)."""

    def close(self) -> None:
        """Undoes ``open``."""

    def grow(self, amount: int, dryrun: bool, backingstore: bool, excl_stor: bool) -> None:
        """Grows the device by ``amount`` MiB (``dryrun``: only check it can)."""
        throw_error("Grow is not supported for %s devices", self.DEV_TYPE)

    def set_info(self, text: str) -> None:
        """Stores metadata (e.g. the owning instance) on the device, if it can."""

    def set_sync_params(self, params: dict) -> list[str]:
        """Applies resync parameters; returns error messages (none here)."""
        return []

    def pause_resume_sync(self, pause: bool) -> bool:
        """Pauses or resumes a resync; True if done (devices without sync: True)."""
        return True

    def wipe(self, offset: int, size: int) -> None:
        """Zeroes ``size`` MiB from ``offset`` MiB."""
        if self.dev_path is None:
            throw_error("Cannot wipe %s: device not set up", self.unique_id)
        wipe_path(self.dev_path, offset, size)

    # -- reports --------------------------------------------------------------------

    def get_actual_size(self) -> int:
        """The device's real size in bytes (``blockdev --getsize64``)."""
        if not self.attached or self.dev_path is None:
            throw_error("Cannot get the size of %s: device not found", self.unique_id)
        result = uproc.run_cmd(["blockdev", "--getsize64", self.dev_path])
        if result.failed:
            throw_error("blockdev failed (%s): %s", result.fail_reason, result.output.strip())
        try:
            return int(result.stdout.strip())
        except ValueError:
            throw_error("Invalid output from blockdev: '%s'", result.stdout.strip())
            raise

    def get_actual_spindles(self) -> int | None:
        """Spindles the device uses (exclusive storage only); None otherwise."""
        return None

    def get_actual_dimensions(self) -> tuple[int, int | None]:
        """(size in bytes, spindles or None)."""
        return self.get_actual_size(), self.get_actual_spindles()

    def get_sync_status(self) -> dict[str, Any]:
        """This device's BlockDevStatus (devices without mirroring are never degraded)."""
        return sync_status(self.dev_path, self.major, self.minor)

    def combined_sync_status(self) -> dict[str, Any]:
        """The status of this device merged with its children's (worst wins)."""
        status = self.get_sync_status()
        for child in self.children:
            if child is None:
                continue
            cstat = child.combined_sync_status()
            status["is_degraded"] = status["is_degraded"] or cstat["is_degraded"]
            status["ldisk_status"] = max(status["ldisk_status"], cstat["ldisk_status"])
            if cstat["sync_percent"] is not None:
                if status["sync_percent"] is None:
                    status["sync_percent"] = cstat["sync_percent"]
                else:
                    status["sync_percent"] = min(status["sync_percent"], cstat["sync_percent"])
            if cstat["estimated_time"] is not None:
                status["estimated_time"] = max(
                    status["estimated_time"] or 0, cstat["estimated_time"]
                )
        return status

    def get_userspace_access_uri(self, hypervisor: str) -> str:
        """A URI a hypervisor opens without the kernel (rbd, gluster)."""
        throw_error("Userspace access is not supported for %s devices", self.DEV_TYPE)
        raise AssertionError
