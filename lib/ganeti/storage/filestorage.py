"""File-backed disks (templates file and sharedfile) and their directories.

Owns sparse disk files (created, grown, removed, renamed), the check that
a path may hold instance disks at all, and the per-instance storage
directories (file_storage_dir_create/remove/rename).  A file disk's
logical_id is ``[driver, path]``; the driver (loop, blktap, blktap2) is
only a hint for hypervisors: the device path is the file itself.  It must
never touch a path that fails ``check_file_storage_path``.

Allowed paths: below an entry of ``/etc/ganeti/file-storage-paths`` or
below the cluster's file / shared file storage directory (ssconf; the
default directories when this node has no ssconf), never a system
directory such as /etc or /usr.  A sharedfile directory is one directory
every node sees (NFS, or one bind mount in the virtual cluster).
"""

import errno
import logging
import os
from typing import Any

from ganeti import constants, errors, pathutils
from ganeti.storage import base, container

MIB = base.MIB

#: directories that must never hold instance disks (nor be an allowed root)
FORBIDDEN_PATHS = frozenset(
    ["/", "/boot", "/dev", "/etc", "/proc", "/sys", "/lib", "/lib32", "/lib64", "/sbin", "/bin"]
    + ["/usr", "/usr/local"]
    + [
        "%s/%s" % (p, s)
        for p in ("/usr", "/usr/local")
        for s in ("bin", "lib", "lib32", "lib64", "sbin")
    ]
)


def _read_lines(path: str) -> list[str] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return [ln.strip() for ln in fh]
    except OSError:
        return None


def _is_below(root: str, path: str) -> bool:
    root = root.rstrip("/") or "/"
    return path == root or path.startswith(root if root == "/" else root + "/")


def _forbidden(path: str) -> bool:
    root = pathutils.get_root()
    if root and _is_below(root, path):
        # a test tree: the system directories are those under its root
        path = "/" + os.path.relpath(path, root) if path != root else "/"
    return path in FORBIDDEN_PATHS


def _cluster_dir(key: str, default: str) -> str | None:
    lines = _read_lines(pathutils.ssconf_file(key))
    if lines is None:
        return default
    value = next((ln for ln in lines if ln), "")
    return os.path.normpath(value) if value else None


def allowed_paths() -> list[str]:
    """The roots below which instance disks may live on this node."""
    result = []
    for line in _read_lines(pathutils.FILE_STORAGE_PATHS_FILE) or []:
        if not line or line.startswith("#"):
            continue
        if not os.path.isabs(line) or os.path.normpath(line) != line or _forbidden(line):
            logging.warning(
                "Ignoring invalid entry '%s' of %s", line, pathutils.FILE_STORAGE_PATHS_FILE
            )
            continue
        result.append(line)
    for key, default in (
        (constants.SS_FILE_STORAGE_DIR, pathutils.DEFAULT_FILE_STORAGE_DIR),
        (constants.SS_SHARED_FILE_STORAGE_DIR, pathutils.DEFAULT_SHARED_FILE_STORAGE_DIR),
    ):
        path = _cluster_dir(key, default)
        if path and os.path.isabs(path) and not _forbidden(path) and path not in result:
            result.append(path)
    return result


def check_file_storage_path(path: Any) -> None:
    """Raises FileStoragePathError unless instance disks may live at ``path``."""
    if not isinstance(path, str) or not os.path.isabs(path):
        raise errors.FileStoragePathError("File storage path %r is not an absolute path" % (path,))
    if os.path.normpath(path) != path:
        raise errors.FileStoragePathError(
            "File storage path '%s' is not normalized (use '%s')" % (path, os.path.normpath(path))
        )
    if _forbidden(path):
        raise errors.FileStoragePathError("Path '%s' uses a forbidden prefix" % path)
    allowed = allowed_paths()
    if not any(_is_below(root, path) for root in allowed):
        raise errors.FileStoragePathError(
            "Path '%s' is not acceptable for file storage: it is not below the cluster's"
            " file storage directories nor an entry of %s (allowed: %s)"
            % (path, pathutils.FILE_STORAGE_PATHS_FILE, ", ".join(allowed) or "none")
        )


def free_space_mib(directory: str) -> int:
    """MiB available to new data in ``directory``'s filesystem."""
    return container.filesystem_stats_mib(directory)[1]


def _check_fits(directory: str, size: int, what: str) -> None:
    try:
        free = free_space_mib(directory)
    except OSError as err:
        base.throw_error("Can't get the free space of %s: %s", directory, err)
        raise
    if size > free:
        base.throw_error(
            "Not enough free space for %s in %s: %d MiB requested, %d MiB available",
            what,
            directory,
            size,
            free,
        )


class FileStorage(base.BlockDev):
    """A disk that is a (sparse) file; ``unique_id`` = ``[driver, path]``."""

    DEV_TYPE = constants.DT_FILE

    def __init__(
        self,
        unique_id: Any,
        children: list | None,
        size: int,
        params: dict | None,
        dyn_params: dict | None = None,
    ) -> None:
        if children:
            base.throw_error("Invalid setup for file device: file disks have no children")
        super().__init__(unique_id, children, size, params, dyn_params)
        self.driver, path = base.parse_unique_id(unique_id, self.DEV_TYPE)
        if self.driver not in constants.FILE_DRIVER:
            base.throw_error(
                "Unknown file driver '%s' (known: %s)",
                self.driver,
                ", ".join(sorted(constants.FILE_DRIVER)),
            )
        check_file_storage_path(path)
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
        if excl_stor:
            base.throw_error("File storage can't be used with exclusive storage")
        _, path = base.parse_unique_id(unique_id, cls.DEV_TYPE)
        check_file_storage_path(path)
        parent = os.path.dirname(path)
        made_parent = False
        if not os.path.isdir(parent):
            if os.path.lexists(parent):
                base.throw_error("Can't create %s: %s is not a directory", path, parent)
            try:
                os.makedirs(parent, 0o750)
            except OSError as err:
                base.throw_error("Can't create the directory %s: %s", parent, err)
            made_parent = True
        try:
            _check_fits(parent, size, "a %d MiB disk" % size)
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o640)
            except OSError as err:
                if err.errno == errno.EEXIST:
                    base.throw_error("File already existing: %s", path)
                base.throw_error("Error in file creation: %s", err)
                raise
            try:
                os.ftruncate(fd, size * MIB)
                os.fsync(fd)
            except OSError as err:
                os.close(fd)
                os.unlink(path)
                base.throw_error("Error in file creation of %s: %s", path, err)
            else:
                os.close(fd)
        except errors.BlockDeviceError:
            if made_parent:
                try:
                    os.rmdir(parent)
                except OSError:
                    pass
            raise
        dev = cls(unique_id, children, size, params, dyn_params)
        if not dev.attached:
            base.throw_error("File %s disappeared right after its creation", path)
        return dev

    def attach(self) -> bool:
        self.attached = self.dev_path is not None and os.path.isfile(self.dev_path)
        return self.attached

    def assemble(self) -> None:
        if not os.path.exists(self.dev_path):
            base.throw_error("File device '%s' does not exist", self.dev_path)

    def remove(self) -> None:
        try:
            os.unlink(self.dev_path)
        except OSError as err:
            if err.errno != errno.ENOENT:
                base.throw_error("Can't remove file '%s': %s", self.dev_path, err)
        self.attached = False

    def rename(self, new_id: Any) -> None:
        driver, new_path = base.parse_unique_id(new_id, self.DEV_TYPE)
        if new_path == self.dev_path:
            return
        check_file_storage_path(new_path)
        if os.path.lexists(new_path):
            base.throw_error("Can't rename %s to %s: the target exists", self.dev_path, new_path)
        try:
            os.rename(self.dev_path, new_path)
        except OSError as err:
            base.throw_error("Can't rename %s to %s: %s", self.dev_path, new_path, err)
        self.unique_id = [driver, new_path]
        self.driver = driver
        self.dev_path = new_path

    def grow(self, amount: int, dryrun: bool, backingstore: bool, excl_stor: bool) -> None:
        if not backingstore:
            return
        if not self.attach():
            base.throw_error("Cannot grow '%s': file does not exist", self.dev_path)
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            base.throw_error("Can't grow by a negative or invalid amount (%r)", amount)
        _check_fits(os.path.dirname(self.dev_path), amount, "growing by %d MiB" % amount)
        if dryrun:
            return
        new_size = self.get_actual_size() + amount * MIB
        try:
            with open(self.dev_path, "r+b") as fh:
                fh.truncate(new_size)
                os.fsync(fh.fileno())
        except OSError as err:
            base.throw_error("%s: Error in file growth: %s", self.dev_path, err)
        self.size = new_size // MIB

    def get_actual_size(self) -> int:
        try:
            return os.stat(self.dev_path).st_size
        except OSError as err:
            base.throw_error("Can't stat %s: %s", self.dev_path, err)
            raise


class SharedFileStorage(FileStorage):
    """A file disk in a directory every node of the cluster sees."""

    DEV_TYPE = constants.DT_SHARED_FILE


# --- per-instance storage directories -------------------------------------------------


def create_storage_dir(path: str) -> None:
    """Creates a file storage directory (mode 0750); fine if it exists."""
    check_file_storage_path(path)
    if os.path.lexists(path):
        if not os.path.isdir(path):
            raise errors.StorageError("Specified storage dir '%s' is not a directory" % path)
        return
    try:
        os.makedirs(path, 0o750)
    except OSError as err:
        raise errors.StorageError(
            "Cannot create file storage directory '%s': %s" % (path, err)
        ) from None


def remove_storage_dir(path: str) -> None:
    """Removes an empty file storage directory; fine if it does not exist."""
    check_file_storage_path(path)
    if not os.path.lexists(path):
        return
    if not os.path.isdir(path):
        raise errors.StorageError("Specified Storage directory '%s' is not a directory" % path)
    try:
        os.rmdir(path)
    except OSError as err:
        raise errors.StorageError(
            "Cannot remove file storage directory '%s': %s" % (path, err)
        ) from None


def rename_storage_dir(old: str, new: str) -> None:
    """Renames a file storage directory (nothing to do if only ``new`` exists)."""
    check_file_storage_path(old)
    check_file_storage_path(new)
    if os.path.lexists(new):
        if os.path.lexists(old):
            raise errors.StorageError(
                "Cannot rename '%s' to '%s': both locations exist" % (old, new)
            )
        return
    if not os.path.isdir(old):
        if os.path.lexists(old):
            raise errors.StorageError("Specified storage dir '%s' is not a directory" % old)
        raise errors.StorageError("Cannot rename '%s' to '%s': neither exists" % (old, new))
    try:
        os.rename(old, new)
    except OSError as err:
        raise errors.StorageError("Cannot rename '%s' to '%s': %s" % (old, new, err)) from None
