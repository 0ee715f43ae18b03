"""Node-side work behind each RPC procedure (called by ganeti-noded).

Owns what a node does when the master asks: report its version and
resources, verify itself, accept whitelisted files, ssconf and job-queue
replicas, run hooks, start/stop master daemons and the master IP, and leave
the cluster.  Every function takes plain decoded arguments and returns a
JSON-able value, or raises ``RPCFail`` with a message for the master.  It
must never read config.data (the master sends what is needed) nor talk to
other nodes except to test reachability (node verify).
"""

import errno
import fcntl
import grp
import hashlib
import logging
import os
import pwd
import re
import shutil
import socket
import subprocess
import threading
import time
from typing import Any

from ganeti import constants, errors, hypervisor, pathutils
from ganeti.rpc import encoding
from ganeti.utils import io as uio
from ganeti.utils import net as unet
from ganeti.utils import process as uproc

_BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id"
_HOOKS_NAME_RE = re.compile(constants.HOOKS_SCRIPT_RE)
JOB_FILE_MODE = 0o640


class RPCFail(Exception):
    """A procedure failed; the message goes back to the master."""


def _fail(msg: str, *args: Any, log: bool = True) -> None:
    if args:
        msg = msg % args
    if log:
        logging.error(msg)
    raise RPCFail(msg)


def _read_ssconf(key: str) -> str | None:
    try:
        with open(pathutils.ssconf_file(key), encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return None


def _my_name() -> str:
    return socket.gethostname()


# --- version, node info ------------------------------------------------------------


def get_version() -> int:
    """The RPC protocol version this node speaks."""
    return constants.PROTOCOL_VERSION


def get_boot_id() -> str:
    """This boot's unique id (changes when the node reboots)."""
    try:
        with open(_BOOT_ID_PATH, encoding="ascii") as fh:
            return fh.read(128).strip()
    except OSError as err:
        _fail("Can't read the boot id: %s", err)
        raise  # not reached


def _mib(blocks: int, size: int) -> int:
    return blocks * size // (1024 * 1024)


def _file_space_info(storage_type: str, path: str) -> dict[str, Any]:
    try:
        st = os.statvfs(path)
    except OSError as err:
        _fail(
            "Can't get space information of %s storage directory '%s': %s", storage_type, path, err
        )
    return {
        "type": storage_type,
        "name": path,
        "storage_size": _mib(st.f_blocks, st.f_frsize),
        "storage_free": _mib(st.f_bavail, st.f_frsize),
    }


def _lvm_report(cmd: list[str], what: str) -> list[list[str]]:
    if not shutil.which(cmd[0]):
        _fail("Can't report %s: the LVM tool '%s' is not installed", what, cmd[0])
    result = uproc.run_cmd(cmd)
    if result.failed:
        _fail("Can't report %s: %s", what, (result.output.strip() or result.fail_reason))
    rows = []
    for line in result.stdout.splitlines():
        line = line.strip()
        if line:
            rows.append([f.strip() for f in line.split("|")])
    return rows


def _vg_space_info(vg_name: str, params: list) -> dict[str, Any]:
    rows = _lvm_report(
        [
            "vgs",
            "--noheadings",
            "--nosuffix",
            "--units=m",
            "--unbuffered",
            "--separator=|",
            "-o",
            "vg_name,vg_free,vg_size",
            vg_name,
        ],
        "volume group %s" % vg_name,
    )
    for name, free, size in (r for r in rows if len(r) == 3):
        if name == vg_name:
            return {
                "type": constants.ST_LVM_VG,
                "name": vg_name,
                "storage_free": int(round(float(free))),
                "storage_size": int(round(float(size))),
            }
    _fail("Volume group '%s' not found", vg_name)
    raise AssertionError


def _pv_space_info(vg_name: str, params: list) -> dict[str, Any]:
    exclusive = bool(params and params[0])
    if not exclusive:
        # without exclusive storage, physical volumes are not reported one by one
        return {"type": constants.ST_LVM_PV, "name": vg_name, "storage_free": 0, "storage_size": 0}
    rows = _lvm_report(
        [
            "pvs",
            "--noheadings",
            "--nosuffix",
            "--units=m",
            "--unbuffered",
            "--separator=|",
            "-o",
            "pv_name,vg_name,pv_free,pv_size",
        ],
        "physical volumes of %s" % vg_name,
    )
    sizes = [(float(r[2]), float(r[3])) for r in rows if len(r) == 4 and r[1] == vg_name]
    if not sizes:
        _fail("No physical volumes found in volume group '%s'", vg_name)
    free, size = min(sizes)
    return {
        "type": constants.ST_LVM_PV,
        "name": vg_name,
        "storage_free": int(free),
        "storage_size": int(size),
    }


def _storage_space_info(unit: Any) -> dict[str, Any]:
    if not isinstance(unit, (list, tuple)) or len(unit) != 3:
        _fail("Invalid storage unit %r: expected [type, key, params]", unit)
    storage_type, key, params = unit
    if storage_type in (constants.ST_FILE, constants.ST_SHARED_FILE):
        return _file_space_info(storage_type, key)
    if storage_type == constants.ST_LVM_VG:
        return _vg_space_info(key, params or [])
    if storage_type == constants.ST_LVM_PV:
        return _pv_space_info(key, params or [])
    _fail("Storage reporting for storage type '%s' is not supported", storage_type)
    raise AssertionError


def _hv_info(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, (list, tuple)) or len(spec) != 2:
        _fail("Invalid hypervisor spec %r: expected [name, hvparams]", spec)
    name, hvparams = spec
    try:
        return hypervisor.get_hypervisor(name).get_node_info(hvparams=hvparams)
    except errors.HypervisorError as err:
        _fail("Hypervisor %s: %s", name, err)
        raise


def get_node_info(storage_units: list, hv_specs: list) -> tuple[str, list, list]:
    """(boot id, space info per storage unit, node info per hypervisor).

    ``storage_units`` is a list of ``[type, key, params]`` (e.g. ``["file",
    "/srv/ganeti/file-storage", []]``, ``["lvm-vg", "xenvg", [False]]``);
    ``hv_specs`` a list of ``[hv_name, hvparams]``.
    """
    return (
        get_boot_id(),
        [_storage_space_info(u) for u in storage_units or []],
        [_hv_info(s) for s in hv_specs or []],
    )


# --- files: whitelisted uploads, ssconf ----------------------------------------------


def allowed_upload_files() -> frozenset[str]:
    """The only files ``upload_file`` may write (at the current root)."""
    files = {
        pathutils.CLUSTER_CONF_FILE,
        pathutils.ETC_HOSTS,
        pathutils.SSH_KNOWN_HOSTS_FILE,
        pathutils.VNC_PASSWORD_FILE,
        pathutils.RAPI_CERT_FILE,
        pathutils.SPICE_CERT_FILE,
        pathutils.SPICE_CACERT_FILE,
        pathutils.RAPI_USERS_FILE,
        pathutils.CONFD_HMAC_KEY,
        pathutils.CLUSTER_DOMAIN_SECRET_FILE,
    }
    for name in hypervisor.available():
        files.update(hypervisor.get_hypervisor_class(name).get_ancillary_files()[0])
    files.discard(pathutils.FILE_STORAGE_PATHS_FILE)
    return frozenset(files)


def _lookup_uid(owner: Any) -> int:
    if isinstance(owner, int):
        return owner
    try:
        return pwd.getpwnam(owner).pw_uid
    except (KeyError, TypeError):
        _fail("Unknown user '%s'", owner)
        raise


def _lookup_gid(group: Any) -> int:
    if isinstance(group, int):
        return group
    try:
        return grp.getgrnam(group).gr_gid
    except (KeyError, TypeError):
        _fail("Unknown group '%s'", group)
        raise


def upload_file(
    file_name: str, data: Any, mode: int, owner: Any, group: Any, atime: float, mtime: float
) -> None:
    """Writes a whitelisted file atomically with the given metadata.

    ``data`` is ``[encoding, content]``; ``owner``/``group`` are names (or ids).
    """
    if not isinstance(file_name, str) or not os.path.isabs(file_name):
        _fail("Filename passed to UploadFile is not absolute: '%s'", file_name)
    if file_name not in allowed_upload_files():
        _fail("Filename passed to UploadFile not in allowed upload targets: '%s'", file_name)
    try:
        raw = encoding.decompress(data)
    except ValueError as err:
        _fail("Invalid content for %s: %s", file_name, err)
    uid, gid = _lookup_uid(owner), _lookup_gid(group)
    os.makedirs(os.path.dirname(file_name), 0o755, exist_ok=True)
    uio.write_file(file_name, raw, mode=int(mode) & 0o7777, uid=uid, gid=gid)
    os.utime(file_name, (atime, mtime))


def valid_ssconf_keys() -> frozenset[str]:
    """Every key ``write_ssconf_files`` accepts."""
    keys = {
        value
        for name, value in vars(constants).items()
        if name.startswith("SS_")
        and isinstance(value, str)
        and name not in ("SS_HVPARAMS_PREF",)
        and not name.startswith("SS_HVPARAMS_")
    }
    keys.update(constants.SS_HVPARAMS_PREF + hv for hv in constants.HYPER_TYPES)
    return frozenset(keys)


def write_ssconf_files(values: dict[str, Any]) -> None:
    """Replaces the given ssconf files (mode 0444), under the ssconf lock."""
    if not isinstance(values, dict):
        _fail("ssconf values must be a dictionary")
    valid = valid_ssconf_keys()
    prepared = {}
    for key, value in values.items():
        if key not in valid:
            _fail("Invalid ssconf key '%s'", key)
        if isinstance(value, (list, tuple)):
            value = "\n".join(str(v) for v in value)
        value = "" if value is None else str(value)
        if value and not value.endswith("\n"):
            value += "\n"
        if len(value) > constants.SS_MAX_FILE_SIZE:
            _fail(
                "Value for ssconf key '%s' is too large (%d bytes, maximum %d)",
                key,
                len(value),
                constants.SS_MAX_FILE_SIZE,
            )
        prepared[key] = value
    os.makedirs(pathutils.DATA_DIR, 0o755, exist_ok=True)
    os.makedirs(os.path.dirname(pathutils.SSCONF_LOCK_FILE), 0o755, exist_ok=True)
    lock_fd = os.open(pathutils.SSCONF_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        changed = False
        for key, value in prepared.items():
            path = pathutils.ssconf_file(key)
            try:
                with open(path, encoding="utf-8") as fh:
                    if fh.read() == value:
                        continue
            except (OSError, UnicodeDecodeError):
                pass
            # ssconf is derived data the master rewrites on every change:
            # atomic renames, one flush for the lot
            uio.write_file(path, value, mode=constants.SS_FILE_PERMS, fsync=False)
            changed = True
        if changed:
            uio.syncfs(pathutils.DATA_DIR)
    finally:
        os.close(lock_fd)


def get_master_node_name() -> str:
    """The master's name according to this node's ssconf."""
    value = _read_ssconf(constants.SS_MASTER_NODE)
    if value is None or not value.strip():
        _fail(
            "This node has no master information (ssconf '%s' is missing)", constants.SS_MASTER_NODE
        )
    return value.strip()


# --- job queue replicas ---------------------------------------------------------------


def _check_queue_file(file_name: Any) -> str:
    if not isinstance(file_name, str) or not os.path.isabs(file_name):
        _fail("Job queue file name must be an absolute path: %r", file_name)
    if os.path.normpath(file_name) != file_name:
        _fail("Job queue file name '%s' is not normalized", file_name)
    queue_dir = os.path.normpath(pathutils.QUEUE_DIR)
    if os.path.commonpath([queue_dir, file_name]) != queue_dir or file_name == queue_dir:
        _fail(
            "Passed job queue file '%s' does not belong to the queue directory '%s'",
            file_name,
            queue_dir,
        )
    return file_name


def jobqueue_update(file_name: str, content: Any) -> None:
    """Writes a replica of a job-queue file."""
    _check_queue_file(file_name)
    try:
        raw = encoding.decompress(content)
    except ValueError as err:
        _fail("Invalid content for %s: %s", file_name, err)
    os.makedirs(os.path.dirname(file_name), 0o750, exist_ok=True)
    uio.write_file(file_name, raw, mode=JOB_FILE_MODE)


def jobqueue_rename(old_new: list) -> None:
    """Renames queue files (``[[old, new], ...]``), e.g. into the archive."""
    if not isinstance(old_new, (list, tuple)):
        _fail("Job queue rename needs a list of [old, new] pairs")
    pairs = []
    for pair in old_new:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            _fail("Invalid job queue rename entry %r", pair)
        pairs.append((_check_queue_file(pair[0]), _check_queue_file(pair[1])))
    for old, new in pairs:
        os.makedirs(os.path.dirname(new), 0o750, exist_ok=True)
        try:
            os.rename(old, new)
        except OSError as err:
            _fail("Can't rename job queue file %s to %s: %s", old, new, err)


def jobqueue_purge() -> None:
    """Removes every job file, archived ones included (keeps the lock file)."""
    queue = pathutils.QUEUE_DIR
    if not os.path.isdir(queue):
        return
    keep = {os.path.normpath(pathutils.JOB_QUEUE_LOCK_FILE)}
    for name in os.listdir(queue):
        path = os.path.join(queue, name)
        if path in keep:
            continue
        if os.path.isfile(path) and not os.path.islink(path):
            os.unlink(path)
    archive = pathutils.JOB_QUEUE_ARCHIVE_DIR
    if os.path.isdir(archive):
        shutil.rmtree(archive)


def jobqueue_set_drain_flag(flag: bool) -> None:
    """Creates (True) or removes (False) the queue's drain flag file."""
    if flag:
        os.makedirs(pathutils.QUEUE_DIR, 0o750, exist_ok=True)
        uio.write_file(pathutils.JOB_QUEUE_DRAIN_FILE, "", mode=JOB_FILE_MODE)
    else:
        uio.remove_file(pathutils.JOB_QUEUE_DRAIN_FILE)


# --- hooks ------------------------------------------------------------------------------


def run_hooks(hpath: str, phase: str, env: dict[str, str], timeout: float | None = None) -> list:
    """Runs ``HOOKS_BASE_DIR/<hpath>-<phase>.d/*`` in name order.

    Returns ``[(relative script path, HKR_*, output), ...]``: scripts whose
    names do not match ``^[a-zA-Z0-9_-]+$`` or that are not executable are
    skipped; the environment is exactly ``env`` (plus LC_ALL=C).
    """
    if phase not in (constants.HOOKS_PHASE_PRE, constants.HOOKS_PHASE_POST):
        _fail("Unknown hooks phase '%s'", phase)
    if not isinstance(hpath, str) or not hpath or "/" in hpath or hpath.startswith("."):
        _fail("Invalid hooks path '%s'", hpath)
    subdir = "%s-%s.d" % (hpath, phase)
    dir_name = os.path.join(pathutils.HOOKS_BASE_DIR, subdir)
    if not os.path.isdir(dir_name):
        return []
    env = {str(k): str(v) for k, v in (env or {}).items()}
    deadline = time.monotonic() + (timeout or constants.RPC_TMO_NORMAL - 30)
    results = []
    for name in sorted(os.listdir(dir_name)):
        path = os.path.join(dir_name, name)
        rel = os.path.join(subdir, name)
        if (
            not _HOOKS_NAME_RE.match(name)
            or not os.path.isfile(path)
            or not os.access(path, os.X_OK)
        ):
            results.append((rel, constants.HKR_SKIP, ""))
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            results.append((rel, constants.HKR_FAIL, "Not run: the hooks time budget is exhausted"))
            continue
        res = uproc.run_cmd([path], env=env, reset_env=True, cwd="/", timeout=left)
        output = res.output.strip()
        if res.failed and res.signal and res.fail_reason.startswith("timed out"):
            output = ("%s\n%s" % (output, res.fail_reason)).strip()
        status = constants.HKR_FAIL if res.failed else constants.HKR_SUCCESS
        results.append((rel, status, output))
    return results


# --- master role: daemons, master IP ---------------------------------------------------


def _daemon_util() -> str:
    if os.path.exists(pathutils.DAEMON_UTIL):
        return pathutils.DAEMON_UTIL
    checkout = os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "daemons", "daemon-util"
    )
    return os.path.normpath(checkout)


def start_master_daemons(no_voting: bool) -> None:
    """Starts the master daemons through daemon-util (``--no-voting`` passes on)."""
    extra = "--no-voting --yes-do-it" if no_voting else ""
    result = uproc.run_cmd([_daemon_util(), "start-master"], env={"EXTRA_MASTERD_ARGS": extra})
    if result.failed:
        _fail("Can't start Ganeti master: %s", result.output.strip() or result.fail_reason)


def stop_master_daemons() -> None:
    """Stops the master daemons through daemon-util."""
    result = uproc.run_cmd([_daemon_util(), "stop-master"])
    if result.failed:
        _fail("Can't stop Ganeti master: %s", result.output.strip() or result.fail_reason)


def _master_params(params: Any) -> tuple[str, int, str, int]:
    if not isinstance(params, dict):
        _fail("Invalid master parameters: expected a dictionary")
    try:
        ip = params["ip"]
        netmask = int(params["netmask"])
        netdev = params["netdev"]
        family = int(params.get("ip_family") or socket.AF_INET)
    except (KeyError, TypeError, ValueError) as err:
        _fail("Invalid master parameters (%s): %r", err, params)
        raise
    if not unet.is_valid_ip(ip):
        _fail("Invalid master IP address '%s'", ip)
    return ip, netmask, netdev, family


def _ip_cmd(family: int) -> list[str]:
    return ["ip", "-6"] if family == socket.AF_INET6 else ["ip", "-4"]


def _address_present(ip: str, netdev: str, family: int, netmask: int | None = None) -> bool:
    result = uproc.run_cmd(_ip_cmd(family) + ["-o", "addr", "show", "dev", netdev])
    if result.failed:
        _fail("Can't list the addresses of %s: %s", netdev, result.output.strip())
    for line in result.stdout.splitlines():
        fields = line.split()
        if "inet" in fields or "inet6" in fields:
            idx = fields.index("inet" if "inet" in fields else "inet6")
            addr, _, prefix = fields[idx + 1].partition("/")
            if addr == ip and (netmask is None or prefix == str(netmask)):
                return True
    return False


def _label(netdev: str) -> list[str]:
    label = "%s:0" % netdev
    return ["label", label] if len(label) <= 15 else []


def _default_master_ip_setup(action: str, ip: str, netmask: int, netdev: str, family: int) -> None:
    present = _address_present(ip, netdev, family)
    if action == "stop":
        if not present:
            return
        result = uproc.run_cmd(
            _ip_cmd(family) + ["addr", "del", "%s/%d" % (ip, netmask), "dev", netdev]
        )
        if result.failed:
            _fail("Failed to stop the master IP: %s", result.output.strip())
        return
    if present:
        return
    if family != socket.AF_INET6 and shutil.which("arping"):
        # duplicate address detection: someone else answering means it is in use
        dad = uproc.run_cmd(["arping", "-q", "-D", "-c", "1", "-w", "1", "-I", netdev, ip])
        if dad.exit_code == 1:
            _fail("Master IP address %s is already in use on the network of %s", ip, netdev)
    cmd = _ip_cmd(family) + ["addr", "add", "%s/%d" % (ip, netmask), "dev", netdev]
    if family != socket.AF_INET6:
        cmd += _label(netdev)
    result = uproc.run_cmd(cmd)
    if result.failed:
        _fail("Failed to start the master IP: %s", result.output.strip())
    if family != socket.AF_INET6 and shutil.which("arping"):
        # gratuitous ARP so neighbours update their caches at once; it takes
        # two seconds and nothing waits on it, so it runs in the background
        proc = subprocess.Popen(
            ["arping", "-q", "-U", "-c", "3", "-I", netdev, "-s", ip, ip],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        threading.Thread(target=proc.wait, name="arping-reaper", daemon=True).start()


def _master_ip_setup(action: str, params: Any, use_external_mip_script: bool) -> None:
    ip, netmask, netdev, family = _master_params(params)
    if not use_external_mip_script:
        _default_master_ip_setup(action, ip, netmask, netdev, family)
        return
    script = pathutils.EXTERNAL_MASTER_SETUP_SCRIPT
    env = {
        "MASTER_NETDEV": netdev,
        "MASTER_IP": ip,
        "MASTER_NETMASK": str(netmask),
        "CLUSTER_IP_VERSION": str(
            constants.IP6_VERSION if family == socket.AF_INET6 else constants.IP4_VERSION
        ),
    }
    result = uproc.run_cmd([script, action], env=env, reset_env=True)
    if result.failed:
        _fail(
            "Failed to %s the master IP. Script return value: %s, output: '%s'",
            action,
            result.exit_code,
            result.output.strip(),
        )


def activate_master_ip(master_params: dict, use_external_mip_script: bool) -> None:
    """Brings the master IP up on the master netdev (idempotent)."""
    _master_ip_setup("start", master_params, use_external_mip_script)


def deactivate_master_ip(master_params: dict, use_external_mip_script: bool) -> None:
    """Takes the master IP down (idempotent)."""
    _master_ip_setup("stop", master_params, use_external_mip_script)


def change_master_netmask(
    old_netmask: int, netmask: int, master_ip: str, master_netdev: str
) -> None:
    """Re-adds the master IP with ``netmask``, then drops the ``old_netmask`` one."""
    if old_netmask == netmask:
        return
    family = socket.AF_INET6 if unet.is_valid_ip6(master_ip) else socket.AF_INET
    if not _address_present(master_ip, master_netdev, family):
        _fail("The master IP address is not up, not attempting to change its netmask")
    add = _ip_cmd(family) + ["addr", "add", "%s/%s" % (master_ip, netmask), "dev", master_netdev]
    if family != socket.AF_INET6:
        add += _label(master_netdev)
    result = uproc.run_cmd(add)
    if result.failed:
        _fail("Could not set the new netmask on the master IP address: %s", result.output.strip())
    result = uproc.run_cmd(
        _ip_cmd(family) + ["addr", "del", "%s/%s" % (master_ip, old_netmask), "dev", master_netdev]
    )
    if result.failed:
        _fail(
            "Could not bring down the master IP address with the old netmask: %s",
            result.output.strip(),
        )


# --- leaving the cluster ---------------------------------------------------------------


def _clean_directory(path: str, exclude: tuple[str, ...] = ()) -> None:
    if not os.path.isdir(path):
        return
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if full in exclude:
            continue
        if os.path.isfile(full) and not os.path.islink(full):
            uio.remove_file(full)


def _remove_own_ssh_keys() -> None:
    ssh_dir = pathutils.SSH_ROOT_DIR
    auth_keys = os.path.join(ssh_dir, "authorized_keys")
    for key_type in ("rsa", "dsa", "ecdsa", "ed25519"):
        priv = os.path.join(ssh_dir, "id_%s" % key_type)
        pub = priv + ".pub"
        if not os.path.exists(pub):
            continue
        try:
            key = uio.read_file(pub).split()
            if os.path.exists(auth_keys) and len(key) >= 2:
                lines = uio.read_file(auth_keys).splitlines()
                kept = [ln for ln in lines if ln.split()[1:2] != [key[1]]]
                if len(kept) != len(lines):
                    uio.write_file(auth_keys, "".join(ln + "\n" for ln in kept), mode=0o600)
            uio.remove_file(priv)
            uio.remove_file(pub)
        except OSError as err:
            logging.error("Error while removing the %s ssh key: %s", key_type, err)


def leave_cluster(modify_ssh_setup: bool) -> None:
    """Forgets the cluster: data files, queue, crypto material, (ssh keys).

    Ends by raising QuitGanetiException so the node daemon answers and exits.
    """
    _clean_directory(pathutils.DATA_DIR)
    _clean_directory(pathutils.CRYPTO_KEYS_DIR)
    try:
        jobqueue_purge()
    except OSError as err:
        logging.error("Can't purge the job queue: %s", err)
    if modify_ssh_setup:
        _remove_own_ssh_keys()
    for path in (
        pathutils.NODED_CERT_FILE,
        pathutils.NODED_CLIENT_CERT_FILE,
        pathutils.RAPI_CERT_FILE,
        pathutils.SPICE_CERT_FILE,
        pathutils.SPICE_CACERT_FILE,
        pathutils.CONFD_HMAC_KEY,
        pathutils.CLUSTER_DOMAIN_SECRET_FILE,
    ):
        try:
            uio.remove_file(path)
        except OSError as err:
            logging.error("Can't remove %s: %s", path, err)
    logging.info("Node left the cluster; the node daemon shuts down")
    raise errors.QuitGanetiException(True, "Shutdown scheduled")


# --- small procedures --------------------------------------------------------------------


def test_delay(duration: float) -> None:
    """Sleeps ``duration`` seconds (for tests and timeouts)."""
    try:
        duration = float(duration)
    except (TypeError, ValueError):
        _fail("Invalid sleep duration %r", duration)
    if duration < 0:
        _fail("Invalid sleep duration %s", duration)
    time.sleep(duration)


def node_has_ip_address(address: str) -> bool:
    """True if ``address`` is configured on this node."""
    return unet.owns_ip(address)


def bridges_exist(bridges_list: list[str]) -> None:
    """Fails naming the bridges that do not exist here."""
    missing = [b for b in bridges_list if not os.path.isdir("/sys/class/net/%s/bridge" % b)]
    if missing:
        _fail("Missing bridges %s", ", ".join(missing))


def get_watcher_pause() -> int | None:
    """The time until which the watcher is paused, or None."""
    try:
        value = int(uio.read_file(pathutils.WATCHER_PAUSEFILE).strip())
    except (OSError, ValueError):
        return None
    return value if value > time.time() else None


def set_watcher_pause(until: float | None) -> None:
    """Pauses the watcher until ``until`` (None resumes it)."""
    if until is None:
        uio.remove_file(pathutils.WATCHER_PAUSEFILE)
        return
    try:
        value = int(until)
    except (TypeError, ValueError):
        _fail("Invalid watcher pause time %r", until)
    uio.write_file(pathutils.WATCHER_PAUSEFILE, "%d\n" % value, mode=0o644)


def list_volume_groups() -> dict[str, int]:
    """{vg name: size in MiB} of this node's LVM volume groups."""
    rows = _lvm_report(
        [
            "vgs",
            "--noheadings",
            "--nosuffix",
            "--units=m",
            "--unbuffered",
            "--separator=|",
            "-o",
            "vg_name,vg_size",
        ],
        "volume groups",
    )
    return {r[0]: int(round(float(r[1]))) for r in rows if len(r) == 2}


def fingerprint_files(paths: list[str]) -> dict[str, str]:
    """{path: sha1 hex} of the given files that exist and are regular."""
    out = {}
    for path in paths:
        try:
            with open(path, "rb") as fh:
                if not os.path.isfile(path):
                    continue
                out[path] = hashlib.sha1(fh.read()).hexdigest()
        except OSError as err:
            if err.errno not in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                logging.warning("Can't fingerprint %s: %s", path, err)
    return out


def verify_node(what: dict, cluster_name: str, all_hvparams: dict, *extra: Any) -> dict:
    """Runs the checks named in ``what`` (NV_* keys); see backend_verify."""
    from ganeti import backend_verify  # pylint: disable=import-outside-toplevel

    return backend_verify.verify_node(what, cluster_name, all_hvparams)
