"""Storage units as the master lists them (storage_list): space per directory.

Owns the answer to "what storage does this node have": for file and
sharedfile storage, one row per directory with the requested fields
(name, size, used, free in MiB, allocatable).  Fields ``node`` and
``type`` are the master's to add.  It must never create or change
storage.  LVM units join with the LVM driver.
"""

import os
from typing import Any

from ganeti import constants, errors
from ganeti.storage import base


def directory_size_mib(path: str) -> int:
    """MiB of the files below ``path`` (apparent sizes, symlinks not followed)."""
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return -(-total // base.MIB)


def filesystem_stats_mib(path: str) -> tuple[int, int]:
    """(size, free) in MiB of the filesystem holding ``path``."""
    st = os.statvfs(path)
    return st.f_blocks * st.f_frsize // base.MIB, st.f_bavail * st.f_frsize // base.MIB


class FileStorageUnit:
    """The file storage directories ``paths`` (ST_FILE, ST_SHARED_FILE)."""

    def __init__(self, paths: list[str]) -> None:
        if not isinstance(paths, (list, tuple)) or not all(isinstance(p, str) for p in paths):
            raise errors.StorageError("File storage needs a list of directories, got %r" % (paths,))
        self.paths = list(paths)

    def list_rows(self, name: str | None, fields: list[str]) -> list[list[Any]]:
        """One row per directory (only ``name`` if given) with ``fields``' values."""
        unknown = [f for f in fields if f not in constants.VALID_STORAGE_FIELDS]
        if unknown or constants.SF_NODE in fields or constants.SF_TYPE in fields:
            bad = unknown + [f for f in fields if f in (constants.SF_NODE, constants.SF_TYPE)]
            raise errors.StorageError("Unknown field: %r" % bad[0])
        paths = self.paths if name is None else [name]
        return [self._row(path, fields) for path in paths]

    @staticmethod
    def _row(path: str, fields: list[str]) -> list[Any]:
        try:
            fs = (
                filesystem_stats_mib(path)
                if constants.SF_SIZE in fields or constants.SF_FREE in fields
                else (None, None)
            )
            used = directory_size_mib(path) if constants.SF_USED in fields else None
        except OSError as err:
            raise errors.StorageError(
                "Can't get information about storage directory '%s': %s" % (path, err)
            ) from None
        values = {
            constants.SF_NAME: path,
            constants.SF_SIZE: fs[0],
            constants.SF_FREE: fs[1],
            constants.SF_USED: used,
            constants.SF_ALLOCATABLE: True,
        }
        return [values[f] for f in fields]


def get_storage(su_name: str, *su_args: Any) -> FileStorageUnit:
    """The storage unit object for type ``su_name`` with the master's arguments."""
    if su_name in (constants.ST_FILE, constants.ST_SHARED_FILE):
        if len(su_args) != 1:
            raise errors.StorageError(
                "Storage type %s takes one argument (the directory list), got %d"
                % (su_name, len(su_args))
            )
        return FileStorageUnit(su_args[0])
    if su_name in constants.STORAGE_TYPES:
        raise errors.StorageError("Storage type '%s' can't be listed on this node" % su_name)
    raise errors.StorageError("Unknown storage type: %r" % (su_name,))


def list_storage(su_name: str, su_args: list, name: str | None, fields: list[str]) -> list[list]:
    """storage_list: rows of ``fields`` for storage type ``su_name``."""
    if not isinstance(fields, (list, tuple)):
        raise errors.StorageError("Fields must be a list, got %r" % (fields,))
    return get_storage(su_name, *(su_args or [])).list_rows(name, list(fields))
