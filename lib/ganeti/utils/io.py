"""File I/O with durability: the only way the project writes files.

Atomic writes go to a temporary file in the same directory, are fsynced,
renamed over the target, and the directory is fsynced, so a crash leaves
either the old or the new content, never a torn file.
"""

import errno
import os
import tempfile
from typing import Callable


def fsync_dir(path: str) -> None:
    """fsyncs directory ``path`` so a rename in it is durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(
    path: str,
    data: str | bytes = "",
    mode: int | None = None,
    uid: int = -1,
    gid: int = -1,
    fsync: bool = True,
    dir_fsync: bool | None = None,
    backup: bool = False,
) -> None:
    """Atomically replaces ``path`` with ``data``.

    ``fsync`` makes the new content durable before the rename and (unless
    ``dir_fsync`` is False) the rename durable after it.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    dirname, base = os.path.split(path)
    fd, tmp = tempfile.mkstemp(prefix="." + base + ".", dir=dirname or ".")
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        if uid != -1 or gid != -1:
            os.fchown(fd, uid, gid)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if fsync:
            os.fsync(fd)
        os.close(fd)
        fd = -1
        if backup and os.path.exists(path):
            _backup(path)
        os.rename(tmp, path)
        tmp = None
        if dir_fsync if dir_fsync is not None else fsync:
            fsync_dir(dirname or ".")
    finally:
        if fd != -1:
            os.close(fd)
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _backup(path: str) -> None:
    import time

    bak = "%s.backup-%d" % (path, int(time.time()))
    try:
        os.link(path, bak)
    except OSError:
        pass


def read_file(path: str, size: int = -1, binary: bool = False) -> str | bytes:
    """Reads a whole file (or ``size`` bytes)."""
    with open(path, "rb") as fh:
        data = fh.read(size)
    return data if binary else data.decode("utf-8")


def read_one_line(path: str, strict: bool = False) -> str:
    """Reads the first line of a file, without its newline."""
    lines = read_file(path).splitlines()
    if not lines:
        if strict:
            raise ValueError("File %s is empty" % path)
        return ""
    if strict and len(lines) > 1:
        raise ValueError("Too many lines in %s" % path)
    return lines[0].rstrip()


def remove_file(path: str) -> bool:
    """Removes a file; returns False if it did not exist."""
    try:
        os.unlink(path)
        return True
    except OSError as err:
        if err.errno != errno.ENOENT:
            raise
        return False


def make_dirs(dirs: list[tuple[str, int]]) -> None:
    """Creates each (path, mode) directory if missing and sets its mode."""
    for path, mode in dirs:
        try:
            os.makedirs(path, mode)
        except FileExistsError:
            pass
        os.chmod(path, mode)


def read_lock_file(path: str) -> tuple[int, str]:
    """Opens ``path`` for locking; returns (fd, path)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    return fd, path


def write_pid_file(path: str) -> int:
    """Writes our pid to ``path`` under an exclusive lock held for our life.

    Returns the fd that holds the lock; raises PidFileLockError if another
    live process holds it.
    """
    import fcntl
    from ganeti import errors

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        os.close(fd)
        raise errors.PidFileLockError(
            "Can't acquire lock on pid file %s: %s" % (path, err)
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, b"%d\n" % os.getpid())
    os.fsync(fd)
    return fd


def read_pid_file(path: str) -> int:
    """Reads a pid file; 0 if missing or invalid."""
    try:
        return int(read_file(path).strip() or 0)
    except (OSError, ValueError):
        return 0


def append_file(path: str, data: str, sync: Callable | None = None) -> None:
    """Appends ``data`` to a log-like file."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(data)


_LIBC = None


def syncfs(path: str) -> None:
    """Flushes the whole file system holding ``path`` (syncfs, else sync).

    One call makes every earlier write there durable: cheaper than an fsync
    per file when many small files were written.
    """
    global _LIBC  # pylint: disable=global-statement
    if _LIBC is None:
        import ctypes

        try:
            _LIBC = ctypes.CDLL("libc.so.6", use_errno=True)
        except OSError:
            _LIBC = False
    if _LIBC:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if _LIBC.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    os.sync()
