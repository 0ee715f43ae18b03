"""ssconf: the small per-node files (``ssconf_<key>``) every node reads to
know its cluster without asking the master.

Owns reading and writing those files and the set of valid keys.  It must
stay cheap to import (every CLI command uses it): only constants, errors
and pathutils at import time.  It must never derive the values from
config.data itself (the ConfigWriter does, on the master).
"""

import errno
import fcntl
import os
import socket
import time
from typing import Any

from ganeti import constants, errors, pathutils

SSCONF_LOCK_TIMEOUT = 10.0
_MAX_SIZE = constants.SS_MAX_FILE_SIZE

_VALID_KEYS = frozenset(
    [
        constants.SS_CLUSTER_NAME,
        constants.SS_CLUSTER_TAGS,
        constants.SS_FILE_STORAGE_DIR,
        constants.SS_SHARED_FILE_STORAGE_DIR,
        constants.SS_GLUSTER_STORAGE_DIR,
        constants.SS_MASTER_CANDIDATES,
        constants.SS_MASTER_CANDIDATES_IPS,
        constants.SS_MASTER_CANDIDATES_CERTS,
        constants.SS_MASTER_IP,
        constants.SS_MASTER_NETDEV,
        constants.SS_MASTER_NETMASK,
        constants.SS_MASTER_NODE,
        constants.SS_NODE_LIST,
        constants.SS_NODE_PRIMARY_IPS,
        constants.SS_NODE_SECONDARY_IPS,
        constants.SS_NODE_VM_CAPABLE,
        constants.SS_OFFLINE_NODES,
        constants.SS_ONLINE_NODES,
        constants.SS_PRIMARY_IP_FAMILY,
        constants.SS_INSTANCE_LIST,
        constants.SS_RELEASE_VERSION,
        constants.SS_HYPERVISOR_LIST,
        constants.SS_MAINTAIN_NODE_HEALTH,
        constants.SS_UID_POOL,
        constants.SS_NODEGROUPS,
        constants.SS_NETWORKS,
        constants.SS_ENABLED_USER_SHUTDOWN,
        constants.SS_SSH_PORTS,
    ]
    + [constants.SS_HVPARAMS_PREF + hv for hv in constants.HYPER_TYPES]
)


def valid_keys() -> frozenset[str]:
    """Every ssconf key Ganeti 3.0 knows."""
    return _VALID_KEYS


def verify_keys(keys: Any) -> None:
    """Raises GenericError if any of ``keys`` is not an ssconf key."""
    invalid = sorted(frozenset(keys) - _VALID_KEYS)
    if invalid:
        raise errors.GenericError("Invalid ssconf keys: %s" % ", ".join(invalid))


def read_ssconf_file(filename: str) -> str:
    """The content of one ssconf file, without its final newline."""
    with open(filename, "rb") as fh:
        data = fh.read(_MAX_SIZE + 1)
    if len(data) > _MAX_SIZE:
        raise errors.ConfigurationError(
            "ssconf file %s is larger than %d bytes" % (filename, _MAX_SIZE)
        )
    return data.decode("utf-8").rstrip("\n")


class _FileLock:
    """flock on the ssconf lock file, with a timeout."""

    def __init__(self, path: str, shared: bool) -> None:
        self._path = path
        self._shared = shared
        self._fd = -1

    def __enter__(self) -> "_FileLock":
        flags = os.O_RDWR | os.O_CREAT if not self._shared else os.O_RDONLY | os.O_CREAT
        try:
            self._fd = os.open(self._path, flags, 0o664)
        except OSError as err:
            if self._shared:  # readers may lack the right to create it
                return self
            raise errors.LockError(
                "Cannot open ssconf lock file %s: %s" % (self._path, err.strerror)
            ) from None
        op = (fcntl.LOCK_SH if self._shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
        deadline = time.monotonic() + SSCONF_LOCK_TIMEOUT
        delay = 0.001
        while True:
            try:
                fcntl.flock(self._fd, op)
                return self
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
            if time.monotonic() >= deadline:
                os.close(self._fd)
                self._fd = -1
                raise errors.LockError("Timeout while waiting for the ssconf lock %s" % self._path)
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def __exit__(self, *exc: Any) -> None:
        if self._fd != -1:
            os.close(self._fd)  # closing releases the flock
            self._fd = -1


class SimpleStore:
    """Reads (and, on behalf of noded, writes) the ssconf files.

    ``cfg_location`` is the directory holding them (default: DATA_DIR at
    call time, so a moved pathutils root is honoured).
    """

    _SS_FILEPREFIX = "ssconf_"

    def __init__(self, cfg_location: str | None = None, _lockfile: str | None = None) -> None:
        self._cfg_dir = cfg_location
        self._lockfile = _lockfile

    def _dir(self) -> str:
        return self._cfg_dir if self._cfg_dir is not None else pathutils.DATA_DIR

    def _lock_path(self) -> str:
        return self._lockfile if self._lockfile is not None else pathutils.SSCONF_LOCK_FILE

    def key_to_filename(self, key: str) -> str:
        """The file of ssconf ``key``; ProgrammerError for unknown keys."""
        if key not in _VALID_KEYS:
            raise errors.ProgrammerError("Invalid key requested from ssconf: '%s'" % key)
        return os.path.join(self._dir(), self._SS_FILEPREFIX + key)

    def _read_file(self, key: str, default: str | None = None) -> str:
        filename = self.key_to_filename(key)
        try:
            return read_ssconf_file(filename)
        except OSError as err:
            if err.errno == errno.ENOENT and default is not None:
                return default
            raise errors.ConfigurationError(
                "Can't read ssconf file %s: %s" % (filename, err.strerror)
            ) from None

    def _read_lines(self, key: str, default: str | None = None) -> list[str]:
        return [line for line in self._read_file(key, default).splitlines() if line]

    def _read_pairs(self, key: str, sep: str) -> dict[str, str]:
        result = {}
        for line in self._read_lines(key, ""):
            name, _, value = line.partition(sep)
            result[name] = value
        return result

    def get_value(self, key: str) -> str:
        """The raw content of ssconf ``key`` (without the final newline)."""
        return self._read_file(key)

    def read_all(self) -> dict[str, str]:
        """Every existing ssconf file, read under the shared lock."""
        result = {}
        with _FileLock(self._lock_path(), shared=True):
            for key in _VALID_KEYS:
                try:
                    result[key] = read_ssconf_file(self.key_to_filename(key))
                except FileNotFoundError:
                    continue
                except OSError as err:
                    raise errors.ConfigurationError(
                        "Can't read ssconf file for %s: %s" % (key, err.strerror)
                    ) from None
        return result

    def write_files(self, values: dict[str, Any], dry_run: bool = False) -> None:
        """Atomically writes the given ssconf values (mode 0444) under the
        exclusive ssconf lock.  Unknown keys and values over 128 KiB are
        ConfigurationErrors, checked before anything is written."""
        from ganeti.utils import io as utils_io  # pylint: disable=import-outside-toplevel

        prepared = []
        for key, value in values.items():
            if key not in _VALID_KEYS:
                raise errors.ConfigurationError("Invalid ssconf key '%s'" % key)
            if isinstance(value, (list, tuple)):
                value = "\n".join(value)
            if not isinstance(value, str):
                raise errors.ConfigurationError(
                    "Invalid value for ssconf key '%s': %r is not a string" % (key, value)
                )
            if value and not value.endswith("\n"):
                value += "\n"
            data = value.encode("utf-8")
            if len(data) > _MAX_SIZE:
                raise errors.ConfigurationError(
                    "Value of ssconf key '%s' has %d bytes, at most %d are allowed"
                    % (key, len(data), _MAX_SIZE)
                )
            prepared.append((key, data))
        if dry_run:
            return
        with _FileLock(self._lock_path(), shared=False):
            for key, data in prepared:
                utils_io.write_file(self.key_to_filename(key), data, mode=constants.SS_FILE_PERMS)

    # -- typed getters --

    def get_cluster_name(self) -> str:
        return self._read_file(constants.SS_CLUSTER_NAME)

    def get_cluster_tags(self) -> list[str]:
        return self._read_lines(constants.SS_CLUSTER_TAGS, "")

    def get_file_storage_dir(self) -> str:
        return self._read_file(constants.SS_FILE_STORAGE_DIR)

    def get_shared_file_storage_dir(self) -> str:
        return self._read_file(constants.SS_SHARED_FILE_STORAGE_DIR)

    def get_gluster_storage_dir(self) -> str:
        return self._read_file(constants.SS_GLUSTER_STORAGE_DIR)

    def get_master_candidates(self) -> list[str]:
        return self._read_lines(constants.SS_MASTER_CANDIDATES)

    def get_master_candidates_ips(self) -> list[str]:
        return self._read_lines(constants.SS_MASTER_CANDIDATES_IPS)

    def get_master_candidates_certs(self) -> dict[str, str]:
        """node UUID -> certificate digest of every master candidate."""
        return self._read_pairs(constants.SS_MASTER_CANDIDATES_CERTS, "=")

    def get_master_ip(self) -> str:
        return self._read_file(constants.SS_MASTER_IP)

    def get_master_netdev(self) -> str:
        return self._read_file(constants.SS_MASTER_NETDEV)

    def get_master_netmask(self) -> int | None:
        value = self._read_file(constants.SS_MASTER_NETMASK, "")
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            raise errors.ConfigurationError(
                "Invalid master netmask in ssconf: %r" % value
            ) from None

    def get_master_node(self) -> str:
        return self._read_file(constants.SS_MASTER_NODE)

    def get_node_list(self) -> list[str]:
        return self._read_lines(constants.SS_NODE_LIST)

    def get_node_primary_ips(self) -> list[str]:
        """``"<name> <ip>"`` lines."""
        return self._read_lines(constants.SS_NODE_PRIMARY_IPS)

    def get_node_secondary_ips(self) -> list[str]:
        """``"<name> <ip>"`` lines."""
        return self._read_lines(constants.SS_NODE_SECONDARY_IPS)

    def get_node_vm_capable(self) -> dict[str, bool]:
        return {
            k: v == "True" for k, v in self._read_pairs(constants.SS_NODE_VM_CAPABLE, "=").items()
        }

    def get_offline_nodes(self) -> list[str]:
        return self._read_lines(constants.SS_OFFLINE_NODES, "")

    def get_online_nodes(self) -> list[str]:
        return self._read_lines(constants.SS_ONLINE_NODES)

    def get_primary_ip_family(self) -> int:
        value = self._read_file(constants.SS_PRIMARY_IP_FAMILY, str(socket.AF_INET))
        try:
            return int(value)
        except ValueError:
            raise errors.ConfigurationError(
                "Invalid primary IP family in ssconf: %r" % value
            ) from None

    def get_instance_list(self) -> list[str]:
        return self._read_lines(constants.SS_INSTANCE_LIST, "")

    def get_release_version(self) -> str:
        return self._read_file(constants.SS_RELEASE_VERSION)

    def get_hypervisor_list(self) -> list[str]:
        return self._read_lines(constants.SS_HYPERVISOR_LIST)

    def get_hvparams_for_hypervisor(self, hvname: str) -> dict[str, str]:
        """The cluster hvparams of ``hvname`` (values as strings)."""
        return self._read_pairs(constants.SS_HVPARAMS_PREF + hvname, "=")

    def get_hvparams(self) -> dict[str, dict[str, str]]:
        return {hv: self.get_hvparams_for_hypervisor(hv) for hv in sorted(constants.HYPER_TYPES)}

    def get_maintain_node_health(self) -> bool:
        return self._read_file(constants.SS_MAINTAIN_NODE_HEALTH, "False") == "True"

    def get_uid_pool(self) -> list[tuple[int, int]]:
        """The uid pool as (low, high) ranges."""
        result = []
        for line in self._read_lines(constants.SS_UID_POOL, ""):
            low, _, high = line.partition("-")
            try:
                result.append((int(low), int(high or low)))
            except ValueError:
                raise errors.ConfigurationError("Invalid uid range in ssconf: %r" % line) from None
        return result

    def get_nodegroup_list(self) -> list[str]:
        """``"<uuid> <name>"`` lines."""
        return self._read_lines(constants.SS_NODEGROUPS, "")

    def get_network_list(self) -> list[str]:
        """``"<uuid> <name>"`` lines."""
        return self._read_lines(constants.SS_NETWORKS, "")

    def get_enabled_user_shutdown(self) -> bool:
        return self._read_file(constants.SS_ENABLED_USER_SHUTDOWN, "False") == "True"

    def get_ssh_ports(self) -> dict[str, int]:
        """node name -> SSH port."""
        result = {}
        for name, port in self._read_pairs(constants.SS_SSH_PORTS, "=").items():
            try:
                result[name] = int(port)
            except ValueError:
                raise errors.ConfigurationError(
                    "Invalid SSH port for node %s in ssconf: %r" % (name, port)
                ) from None
        return result


def get_my_hostname() -> str:
    """This host's name as the cluster knows it (the system's host name)."""
    return socket.gethostname()


def get_master_and_my_name(ss: SimpleStore | None = None) -> tuple[str, str]:
    """(master node name from ssconf, this host's name)."""
    if ss is None:
        ss = SimpleStore()
    return ss.get_master_node(), get_my_hostname()


def check_master(debug: bool, ss: SimpleStore | None = None) -> None:
    """Exits unless this node is the master (as Ganeti's daemons do).

    Exit codes: EXIT_NODESETUP_ERROR when ssconf is missing or broken,
    EXIT_NOTMASTER when another node is the master.
    """
    import sys  # pylint: disable=import-outside-toplevel

    try:
        master_name, myself = get_master_and_my_name(ss)
    except errors.ConfigurationError as err:
        print("Cluster configuration incomplete: '%s'" % err)
        sys.exit(constants.EXIT_NODESETUP_ERROR)
    if master_name != myself and master_name.split(".")[0] != myself:
        if debug:
            sys.stderr.write("Not master, exiting.\n")
        sys.exit(constants.EXIT_NOTMASTER)


def verify_cluster_name(name: str, ss: SimpleStore | None = None) -> None:
    """Raises GenericError unless ``name`` is this node's cluster name."""
    if ss is None:
        ss = SimpleStore()
    try:
        cluster_name = ss.get_cluster_name()
    except errors.ConfigurationError as err:
        raise errors.GenericError("Cannot read the cluster name: %s" % err) from None
    if name != cluster_name:
        raise errors.GenericError("Current cluster name is '%s', not '%s'" % (cluster_name, name))
