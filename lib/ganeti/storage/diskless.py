"""The diskless "storage": instances of template diskless have no disks.

Owns the refusal to make a disk of type diskless, with a message that
says why.  It must never create anything.
"""

from typing import Any

from ganeti import constants
from ganeti.storage import base


class DisklessDevice(base.BlockDev):
    """A disk that cannot exist: diskless instances have an empty disk list."""

    DEV_TYPE = constants.DT_DISKLESS

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
        base.throw_error("Diskless instances have no disks: can't create a disk of type diskless")
        raise AssertionError

    def attach(self) -> bool:
        self.attached = False
        return False

    def remove(self) -> None:
        """Nothing exists, so nothing to remove."""
