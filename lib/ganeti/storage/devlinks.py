"""Node-local bookkeeping of devices in use: instance disk links and the bdev cache.

Owns ``/var/run/ganeti/instance-disks/<instance>:<idx>`` (symlinks to the
device an instance's disk *idx* uses, what hypervisors open) and
``/var/run/ganeti/bdev-cache/bdev_<path>`` (who owns a device, as
primary or secondary, under which iv_name).  It must never create or
remove the devices themselves.
"""

import errno
import logging
import os

from ganeti import constants, pathutils
from ganeti.utils import io as uio

_DEV_PREFIX = "/dev/"


def link_path(instance_name: str, idx: int) -> str:
    """The symlink of disk ``idx`` of ``instance_name``."""
    return os.path.join(
        pathutils.DISK_LINKS_DIR, "%s%s%d" % (instance_name, constants.DISK_SEPARATOR, idx)
    )


def make_link(instance_name: str, dev_path: str, idx: int) -> str:
    """Points the link of disk ``idx`` at ``dev_path`` (replacing a stale one)."""
    os.makedirs(pathutils.DISK_LINKS_DIR, 0o755, exist_ok=True)
    name = link_path(instance_name, idx)
    try:
        os.symlink(dev_path, name)
    except OSError as err:
        if err.errno != errno.EEXIST:
            raise
        if not os.path.islink(name) or os.readlink(name) != dev_path:
            os.remove(name)
            os.symlink(dev_path, name)
    return name


def remove_links(instance_name: str, count: int) -> None:
    """Removes the links of disks 0..count-1 (and any of a higher index)."""
    directory = pathutils.DISK_LINKS_DIR
    prefix = instance_name + constants.DISK_SEPARATOR
    names = set()
    try:
        names.update(n for n in os.listdir(directory) if n.startswith(prefix))
    except OSError:
        pass
    names.update(os.path.basename(link_path(instance_name, i)) for i in range(count))
    for name in names:
        full = os.path.join(directory, name)
        if os.path.islink(full):
            try:
                os.remove(full)
            except OSError as err:
                logging.error("Can't remove symlink '%s': %s", full, err)


def _cache_file(dev_path: str) -> str:
    if dev_path.startswith(_DEV_PREFIX):
        dev_path = dev_path[len(_DEV_PREFIX) :]
    return os.path.join(pathutils.BDEV_CACHE_DIR, "bdev_%s" % dev_path.replace("/", "_"))


def update_cache(dev_path: str | None, owner: str, on_primary: bool, iv_name: str | None) -> None:
    """Records ``owner primary|secondary iv_name`` for ``dev_path`` (best effort)."""
    if dev_path is None:
        logging.error("Device cache update without a device path")
        return
    state = "primary" if on_primary else "secondary"
    data = "%s %s %s\n" % (owner, state, iv_name or "not_visible")
    try:
        os.makedirs(pathutils.BDEV_CACHE_DIR, 0o755, exist_ok=True)
        uio.write_file(_cache_file(dev_path), data, mode=0o644, fsync=False)
    except OSError as err:
        logging.error("Can't update bdev cache for %s: %s", dev_path, err)


def read_cache(dev_path: str) -> tuple[str, str, str] | None:
    """(owner, state, iv_name) recorded for ``dev_path``, or None."""
    try:
        fields = uio.read_file(_cache_file(dev_path)).split()
    except OSError:
        return None
    return (fields[0], fields[1], fields[2]) if len(fields) == 3 else None


def remove_cache(dev_path: str | None) -> None:
    """Forgets ``dev_path`` (best effort)."""
    if dev_path is None:
        return
    try:
        uio.remove_file(_cache_file(dev_path))
    except OSError as err:
        logging.error("Can't remove bdev cache for %s: %s", dev_path, err)
