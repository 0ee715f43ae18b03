"""Adopted block devices (template blockdev): disks that exist before Ganeti.

Owns the use of an existing block device under /dev (a partition, a SAN
LUN, a loop device) as an instance disk: its logical_id is ``["manual",
path]``.  Creating only checks the device is there and big enough;
removing leaves it alone.  It must never write to a device except when
asked to wipe it, nor accept a path outside /dev.
"""

import logging
import os
import stat
from typing import Any

from ganeti import constants
from ganeti.storage import base


class PersistentBlockDevice(base.BlockDev):
    """An existing block device; ``unique_id`` = ``["manual", "/dev/..."]``."""

    DEV_TYPE = constants.DT_BLOCK

    def __init__(
        self,
        unique_id: Any,
        children: list | None,
        size: int,
        params: dict | None,
        dyn_params: dict | None = None,
    ) -> None:
        if children:
            base.throw_error("Invalid setup for persistent block device: it has no children")
        super().__init__(unique_id, children, size, params, dyn_params)
        driver, path = base.parse_unique_id(unique_id, self.DEV_TYPE)
        if driver not in constants.BLOCKDEV_DRIVERS:
            base.throw_error("Got persistent block device of invalid type: %s", driver)
        real = os.path.realpath(path)
        if not os.path.isabs(path) or not real.startswith("/dev/"):
            base.throw_error("Full path '%s' lies outside /dev", real)
        self.dev_path = path
        self.attach()

    @classmethod
    def create(
        cls,
        unique_id: Any,
        children: list | None,
        size: int,
        params: dict | None,
        excl_stor: bool = False,
        dyn_params: dict | None = None,
    ) -> base.BlockDev:
        """Adopts the device: it must exist and hold at least ``size`` MiB."""
        if excl_stor:
            base.throw_error("Persistent block devices can't be used with exclusive storage")
        dev = cls(unique_id, children, size, params, dyn_params)
        if not dev.attached:
            base.throw_error("Can't adopt %s: it is not an existing block device", dev.dev_path)
        actual = dev.get_actual_size() // base.MIB
        if size > actual:
            base.throw_error(
                "Can't adopt %s as a %d MiB disk: the device holds only %d MiB",
                dev.dev_path,
                size,
                actual,
            )
        return dev

    def attach(self) -> bool:
        self.attached = False
        try:
            st = os.stat(self.dev_path)
        except OSError as err:
            logging.info("Error stat()'ing %s: %s", self.dev_path, err)
            return False
        if not stat.S_ISBLK(st.st_mode):
            logging.error("%s is not a block device", self.dev_path)
            return False
        self.major = os.major(st.st_rdev)
        self.minor = os.minor(st.st_rdev)
        self.attached = True
        return True

    def assemble(self) -> None:
        if not self.attach():
            base.throw_error("Block device '%s' is not available on this node", self.dev_path)

    def remove(self) -> None:
        """The device is not Ganeti's: releasing it leaves its data alone."""
        self.attached = False

    def get_actual_size(self) -> int:
        if not self.attached:
            base.throw_error("Cannot get the size of %s: device not found", self.dev_path)
        try:
            fd = os.open(self.dev_path, os.O_RDONLY)
        except OSError as err:
            base.throw_error("Can't open %s: %s", self.dev_path, err)
            raise
        try:
            return os.lseek(fd, 0, os.SEEK_END)
        finally:
            os.close(fd)
