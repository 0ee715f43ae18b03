"""Where a KVM instance's runtime state lives, and how it is found again.

Owns the layout under the KVM runtime directory (Ganeti's
``/var/run/ganeti/kvm-hypervisor``)::

    pid/<instance>             qemu's pid file (-pidfile)
    ctrl/<instance>.qmp        QMP monitor socket
    ctrl/<instance>.serial     serial console socket
    ctrl/<instance>.qga        guest agent socket (use_guest_agent)
    conf/<instance>.runtime    the runtime file (JSON, below)
    nic/<instance>/<index>     the tap interface of each NIC
    chroot/<instance>/         qemu's chroot (use_chroot)

The runtime file is written when qemu starts and holds what is needed to
control, restart or migrate the instance without the master: the base
command line (no tap fds, no -S/-incoming), NICs, hvparams, disks
(``[disk dict, path, uri]``), memory, vCPUs, uuid, network port, the
start time and the runtime directory the command line refers to.  A running instance is one whose pid file names a live
process started with ``-name <instance>``, so after a node daemon
restart every instance is found again.  It must never start or signal
a process: the hypervisor does.
"""

import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ganeti import errors, pathutils, serializer
from ganeti.utils import io as uio
from ganeti.utils import process as uproc

RUNTIME_VERSION = 1


@dataclass
class KvmRuntime:
    """The saved state of one running instance."""

    name: str
    kvm_cmd: list[str]
    hvparams: dict[str, Any]
    nics: list[dict[str, Any]] = field(default_factory=list)
    disks: list[list[Any]] = field(default_factory=list)
    memory: int = 0
    vcpus: int = 1
    uuid: str = ""
    network_port: int | None = None
    start_time: float = 0.0
    run_dir: str = ""
    version: int = RUNTIME_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "KvmRuntime":
        if not isinstance(data, dict) or not isinstance(data.get("kvm_cmd"), list):
            raise errors.HypervisorError("Invalid KVM runtime data: no command line")
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        try:
            return cls(**known)
        except TypeError as err:
            raise errors.HypervisorError("Invalid KVM runtime data: %s" % err) from None

    def serialize(self) -> str:
        return serializer.dumps(self.to_dict())

    @classmethod
    def deserialize(cls, text: str | bytes) -> "KvmRuntime":
        try:
            data = serializer.loads(text)
        except ValueError as err:
            raise errors.HypervisorError("Invalid KVM runtime data: %s" % err) from None
        return cls.from_dict(data)


def _check_name(name: str) -> str:
    if not name or "/" in name or name.startswith(".") or "\0" in name:
        raise errors.HypervisorError("Invalid instance name '%s'" % name)
    return name


class RuntimeDirs:
    """The runtime tree of one node; ``root`` None means pathutils.KVM_HV_DIR."""

    SUBDIRS = ("pid", "uid", "ctrl", "conf", "nic", "chroot")

    def __init__(self, root: str | None = None) -> None:
        self._root = root

    @property
    def root(self) -> str:
        return self._root or pathutils.KVM_HV_DIR

    def ensure(self) -> None:
        try:
            uio.make_dirs(
                [(self.root, 0o775)] + [(os.path.join(self.root, d), 0o775) for d in self.SUBDIRS]
            )
        except OSError as err:
            raise errors.HypervisorError(
                "Can't create the KVM runtime directories under %s: %s" % (self.root, err)
            ) from None

    def pid_file(self, name: str) -> str:
        return os.path.join(self.root, "pid", _check_name(name))

    def qmp_socket(self, name: str) -> str:
        return os.path.join(self.root, "ctrl", _check_name(name) + ".qmp")

    def serial_socket(self, name: str) -> str:
        return os.path.join(self.root, "ctrl", _check_name(name) + ".serial")

    def qga_socket(self, name: str) -> str:
        return os.path.join(self.root, "ctrl", _check_name(name) + ".qga")

    def runtime_file(self, name: str) -> str:
        return os.path.join(self.root, "conf", _check_name(name) + ".runtime")

    def nic_dir(self, name: str) -> str:
        return os.path.join(self.root, "nic", _check_name(name))

    def chroot_dir(self, name: str) -> str:
        return os.path.join(self.root, "chroot", _check_name(name))

    @staticmethod
    def log_file(name: str) -> str:
        return os.path.join(pathutils.LOG_KVM_DIR, _check_name(name) + ".log")

    # -- processes -------------------------------------------------------------------------

    def read_pid(self, name: str) -> int:
        return uio.read_pid_file(self.pid_file(name))

    def alive_pid(self, name: str) -> int:
        """The pid of the instance's qemu if it runs, else 0."""
        pid = self.read_pid(name)
        return pid if pid and is_qemu_of(pid, name) else 0

    def list_instances(self) -> list[str]:
        try:
            names = os.listdir(os.path.join(self.root, "pid"))
        except FileNotFoundError:
            return []
        except OSError as err:
            raise errors.HypervisorError("Can't list KVM instances: %s" % err) from None
        return sorted(n for n in names if not n.startswith(".") and self.alive_pid(n))

    # -- runtime file ----------------------------------------------------------------------

    def save(self, runtime: KvmRuntime) -> None:
        self.ensure()
        try:
            uio.write_file(
                self.runtime_file(runtime.name),
                serializer.dump_pretty(runtime.to_dict()),
                mode=0o600,
            )
        except OSError as err:
            raise errors.HypervisorError(
                "Can't save the KVM runtime of %s: %s" % (runtime.name, err)
            ) from None

    def load(self, name: str) -> KvmRuntime:
        path = self.runtime_file(name)
        try:
            text = uio.read_file(path)
        except FileNotFoundError:
            raise errors.HypervisorError(
                "No runtime information for instance %s (%s missing)" % (name, path)
            ) from None
        except OSError as err:
            raise errors.HypervisorError("Can't read %s: %s" % (path, err)) from None
        return KvmRuntime.deserialize(text)

    def save_nics(self, name: str, taps: list[str]) -> None:
        ndir = self.nic_dir(name)
        try:
            os.makedirs(ndir, 0o755, exist_ok=True)
            for entry in os.listdir(ndir):
                os.unlink(os.path.join(ndir, entry))
            for idx, tap in enumerate(taps):
                uio.write_file(os.path.join(ndir, str(idx)), tap + "\n", fsync=False)
        except OSError as err:
            raise errors.HypervisorError("Can't record the taps of %s: %s" % (name, err)) from None

    def load_nics(self, name: str) -> list[str]:
        ndir = self.nic_dir(name)
        try:
            entries = sorted((int(e), e) for e in os.listdir(ndir) if e.isdigit())
        except OSError:
            return []
        return [uio.read_one_line(os.path.join(ndir, e)) for _, e in entries]

    def remove(self, name: str, keep_runtime: bool = False) -> None:
        """Removes what a stopped instance left (pid file, sockets, taps list...)."""
        paths = [
            self.pid_file(name),
            self.qmp_socket(name),
            self.serial_socket(name),
            self.qga_socket(name),
        ]
        if not keep_runtime:
            paths.append(self.runtime_file(name))
        for path in paths:
            try:
                uio.remove_file(path)
            except OSError:
                pass
        ndir = self.nic_dir(name)
        try:
            for entry in os.listdir(ndir):
                os.unlink(os.path.join(ndir, entry))
            os.rmdir(ndir)
        except OSError:
            pass
        try:
            os.rmdir(self.chroot_dir(name))
        except OSError:
            pass


def process_cmdline(pid: int) -> list[str]:
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as fh:
            raw = fh.read()
    except OSError:
        return []
    return [arg.decode("utf-8", "replace") for arg in raw.split(b"\0") if arg]


def is_qemu_of(pid: int, name: str) -> bool:
    """True if ``pid`` is alive and was started with ``-name <name>``."""
    if not uproc.is_process_alive(pid):
        return False
    args = process_cmdline(pid)
    for idx, arg in enumerate(args[:-1]):
        if arg == "-name" and args[idx + 1].split(",", 1)[0] == name:
            return True
    return False


def process_uptime(pid: int) -> float:
    """Seconds since ``pid`` started (0.0 if unknown)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii") as fh:
            stat = fh.read()
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    try:
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
    except (IndexError, ValueError):
        return 0.0
    return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))


def wait_for(predicate: Any, timeout: float, interval: float = 0.05) -> bool:
    """Polls ``predicate`` until true or ``timeout`` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
