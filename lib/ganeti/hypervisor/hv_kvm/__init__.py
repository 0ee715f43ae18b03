"""The KVM hypervisor: instances are qemu processes controlled through QMP.

Owns the life of a KVM instance on this node: starting qemu from the
instance's hvparams (``cmdline``) with tap NICs (``netdev``), finding it
again from its runtime files after a node daemon restart (``runtime``),
clean shutdown by the ACPI power button and hard stop, reboot, memory
ballooning, CPU pinning, the console description (``console``) and live
migration over TCP (``migration``).  All control goes through the QMP
socket (``qmp``).  It must never decide cluster policy (timeouts and
retries of a shutdown belong to the caller) nor touch a qemu process it
did not start (a pid counts only if that process was started with
``-name <instance>``).

The interface is the node daemon's (see ``hv_fake``): ``list_instances``,
``get_instance_info`` -> ``(name, pid, memory MiB, vcpus, state, uptime)``,
``get_all_instances_info``, ``start_instance(instance, block_devices,
startup_paused)``, ``stop_instance(instance, force, retry, name,
timeout)``, ``reboot_instance``, ``cleanup_instance``,
``balloon_instance_memory``, ``get_instance_console`` (class method),
``migration_info``, ``accept_instance``, ``migrate_instance``,
``finalize_migration_dst``, ``finalize_migration_source``,
``get_migration_status``.  ``KVMHypervisor(run_dir)`` puts the runtime
tree elsewhere (tests run two "nodes" on one host that way).
"""

import ipaddress
import logging
import os
import pwd
import signal
import stat
import threading
import time
from typing import Any, Callable

from ganeti import constants, errors, pathutils
from ganeti.hypervisor import base
from ganeti.hypervisor.hv_kvm import cmdline, console, migration, netdev, qmp
from ganeti.hypervisor.hv_kvm import runtime as rt
from ganeti.utils import io as uio
from ganeti.utils import process as uproc

#: instance states as hypervisors report them (Ganeti's HvInstanceState)
STATE_RUNNING = 0
STATE_SHUTDOWN = 1

#: seconds qemu may take to start (it daemonizes once ready)
START_TIMEOUT = 60
#: seconds a hard stop waits after SIGTERM before SIGKILL
KILL_TIMEOUT = 5.0
#: longest Unix socket path (sun_path is 108 bytes with its NUL)
MAX_SOCKET_PATH = 107
#: seconds a QMP exchange may take during info queries (these must stay fast)
INFO_QMP_TIMEOUT = 5.0

_SERIAL_SPEEDS = frozenset(
    [75, 110, 300, 600, 1200, 1800, 2400, 4800, 9600, 14400, 19200, 28800, 38400, 57600,
     115200, 230400, 345600, 460800]
)  # fmt: skip


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_opt_abs_path(value: Any) -> bool:
    return isinstance(value, str) and (value == "" or os.path.isabs(value))


def _one_of(values: frozenset | set, allow_empty: bool = False) -> Callable[[Any], bool]:
    return lambda value: value in values or (allow_empty and value == "")


def _is_vnc_bind(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if value == "" or value.startswith("/"):
        return True
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_cpu_mask(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        cmdline.parse_cpu_mask(value, len(value.split(":")))
    except errors.HypervisorError:
        return False
    return True


_DISK_TYPES = constants.HT_KVM_VALID_DISK_TYPES | {constants.HT_DISK_IOEMU}
_P = tuple[bool, Callable[[Any], bool] | None, str]
_BOOL: _P = (False, _is_bool, "must be a boolean")
_INT: _P = (False, _is_int, "must be a non-negative integer")
_STR: _P = (False, _is_str, "must be a string")
_PATH: _P = (False, _is_opt_abs_path, "must be an absolute path or empty")


def _choice(values: frozenset | set, allow_empty: bool = False) -> _P:
    text = "must be one of %s" % ", ".join(str(v) for v in sorted(values))
    if allow_empty:
        text += " (or empty)"
    return (False, _one_of(values, allow_empty), text)


class KVMHypervisor(base.BaseHypervisor):
    """qemu/KVM (TCG when kvm_flag=disabled)."""

    PARAMETERS = {
        constants.HV_ACPI: _BOOL,
        constants.HV_BOOT_ORDER: _choice(constants.HT_KVM_VALID_BO_TYPES),
        constants.HV_CDROM2_IMAGE_PATH: _PATH,
        constants.HV_KVM_CDROM_DISK_TYPE: _choice(_DISK_TYPES, allow_empty=True),
        constants.HV_CDROM_IMAGE_PATH: _PATH,
        constants.HV_CPU_CORES: _INT,
        constants.HV_CPU_MASK: (False, _is_cpu_mask, "must be 'all' or CPU ranges like 0-2,4 or 0:1"),
        constants.HV_CPU_SOCKETS: _INT,
        constants.HV_CPU_THREADS: _INT,
        constants.HV_CPU_TYPE: _STR,
        constants.HV_DISK_AIO: _choice(constants.HT_KVM_VALID_AIO_TYPES),
        constants.HV_DISK_CACHE: _choice(constants.HT_VALID_CACHE_TYPES),
        constants.HV_DISK_DISCARD: _choice(constants.HT_VALID_DISCARD_TYPES),
        constants.HV_DISK_TYPE: _choice(_DISK_TYPES),
        constants.HV_KVM_FLOPPY_IMAGE_PATH: _PATH,
        constants.HV_INITRD_PATH: _PATH,
        constants.HV_KERNEL_ARGS: _STR,
        constants.HV_KERNEL_PATH: _PATH,
        constants.HV_KEYMAP: _STR,
        constants.HV_KVM_EXTRA: _STR,
        constants.HV_KVM_FLAG: _choice(constants.HT_KVM_FLAG_VALUES, allow_empty=True),
        constants.HV_KVM_PATH: (False, lambda v: isinstance(v, str) and os.path.isabs(v), "must be an absolute path"),
        constants.HV_KVM_PCI_RESERVATIONS: _INT,
        constants.HV_KVM_MACHINE_TYPE: _choice(constants.HT_KVM_VALID_MACHINE_TYPES - {""}, allow_empty=True),
        constants.HV_KVM_MACHINE_VERSION: _STR,
        constants.HV_MEM_PATH: _PATH,
        constants.HV_MIGRATION_BANDWIDTH: _INT,
        constants.HV_KVM_MIGRATION_CAPS: _STR,
        constants.HV_MIGRATION_DOWNTIME: _INT,
        constants.HV_MIGRATION_MODE: _choice(constants.HT_MIGRATION_MODES),
        constants.HV_MIGRATION_PORT: (False, lambda v: _is_int(v) and 0 < v < 65536, "must be a TCP port"),
        constants.HV_NIC_TYPE: _choice(constants.HT_KVM_VALID_NIC_TYPES),
        constants.HV_REBOOT_BEHAVIOR: _choice(constants.REBOOT_BEHAVIORS),
        constants.HV_ROOT_PATH: (False, lambda v: v is None or isinstance(v, str), "must be a string"),
        constants.HV_KVM_SCSI_CONTROLLER_TYPE: _choice(frozenset(cmdline.SCSI_CONTROLLERS)),
        constants.HV_SECURITY_DOMAIN: _STR,
        constants.HV_SECURITY_MODEL: _choice(constants.HT_KVM_VALID_SM_TYPES),
        constants.HV_SERIAL_CONSOLE: _BOOL,
        constants.HV_SERIAL_SPEED: _choice(_SERIAL_SPEEDS),
        constants.HV_SOUNDHW: _STR,
        constants.HV_KVM_SPICE_BIND: _STR,
        "spice_image_compression": _STR,
        "spice_ip_version": _INT,
        "spice_jpeg_wan_compression": _STR,
        "spice_password_file": _STR,
        "spice_playback_compression": _BOOL,
        "spice_streaming_video": _STR,
        "spice_tls_ciphers": _STR,
        "spice_use_tls": _BOOL,
        "spice_use_vdagent": _BOOL,
        "spice_zlib_glz_wan_compression": _STR,
        constants.HV_USB_DEVICES: _STR,
        constants.HV_USB_MOUSE: _choice(constants.HT_KVM_VALID_MOUSE_TYPES, allow_empty=True),
        constants.HV_KVM_USE_CHROOT: _BOOL,
        constants.HV_KVM_USE_GUEST_AGENT: _BOOL,
        constants.HV_USE_LOCALTIME: _BOOL,
        constants.HV_KVM_USER_SHUTDOWN: _BOOL,
        constants.HV_VGA: _STR,
        constants.HV_VHOST_NET: _BOOL,
        constants.HV_VIRTIO_NET_QUEUES: (False, lambda v: _is_int(v) and 1 <= v <= 8, "must be 1 to 8"),
        constants.HV_VNC_BIND_ADDRESS: (False, _is_vnc_bind, "must be an IP address, a path or empty"),
        constants.HV_VNC_PASSWORD_FILE: _PATH,
        constants.HV_VNC_TLS: _BOOL,
        constants.HV_VNC_X509: _PATH,
        constants.HV_VNC_X509_VERIFY: _BOOL,
        constants.HV_VNET_HDR: _BOOL,
    }  # fmt: skip
    CAN_MIGRATE = True

    def __init__(self, run_dir: str | None = None) -> None:
        self.dirs = rt.RuntimeDirs(run_dir)
        self._lock = threading.Lock()
        self._instance_locks: dict[str, threading.RLock] = {}

    def instance_lock(self, name: str) -> threading.RLock:
        """The lock serialising life-cycle and QMP use of one instance here."""
        with self._lock:
            return self._instance_locks.setdefault(name, threading.RLock())

    # -- parameters ------------------------------------------------------------------------

    @classmethod
    def check_parameter_syntax(cls, hvparams: dict) -> None:
        super().check_parameter_syntax(hvparams)
        hvp = cmdline.fill_hvparams(hvparams)
        cmdline.check_unsupported(hvp)
        if hvp.get(constants.HV_INITRD_PATH) and not hvp.get(constants.HV_KERNEL_PATH):
            raise errors.HypervisorError("An initrd (initrd_path) needs a kernel (kernel_path)")
        if hvp.get(constants.HV_SECURITY_MODEL) == constants.HT_SM_USER and not hvp.get(
            constants.HV_SECURITY_DOMAIN
        ):
            raise errors.HypervisorError("Security model 'user' needs a security_domain (a user)")
        if (
            hvp.get(constants.HV_DISK_AIO) == constants.HT_KVM_AIO_NATIVE
            and hvp.get(constants.HV_DISK_CACHE) != constants.HT_CACHE_NONE
        ):
            raise errors.HypervisorError("disk_aio 'native' needs disk_cache 'none'")
        if hvp.get(constants.HV_BOOT_ORDER) == constants.HT_BO_CDROM and not hvp.get(
            constants.HV_CDROM_IMAGE_PATH
        ):
            raise errors.HypervisorError("boot_order 'cdrom' needs a cdrom_image_path")
        if hvp.get(constants.HV_VNC_TLS) and not hvp.get(constants.HV_VNC_BIND_ADDRESS):
            raise errors.HypervisorError("vnc_tls needs a vnc_bind_address")
        if cmdline.is_q35(hvp) and hvp.get(constants.HV_NIC_TYPE) == constants.HT_NIC_NE2K_ISA:
            raise errors.HypervisorError("nic_type ne2k_isa needs machine_type pc (q35 has no ISA)")

    def validate_parameters(self, hvparams: dict) -> None:
        """Syntax, then what must exist on this node (binary, kernel, images, user)."""
        self.check_parameter_syntax(hvparams)
        hvp = cmdline.fill_hvparams(hvparams)
        kvm_path = hvp.get(constants.HV_KVM_PATH) or ""
        if not os.access(kvm_path, os.X_OK):
            raise errors.HypervisorError(
                "The KVM binary ('%s') does not exist or is not executable" % kvm_path
            )
        for key in (
            constants.HV_KERNEL_PATH,
            constants.HV_INITRD_PATH,
            constants.HV_CDROM_IMAGE_PATH,
            constants.HV_CDROM2_IMAGE_PATH,
            constants.HV_KVM_FLOPPY_IMAGE_PATH,
            constants.HV_VNC_PASSWORD_FILE,
        ):
            path = hvp.get(key) or ""
            if path and not os.path.isfile(path):
                raise errors.HypervisorError("%s '%s' is not an existing file" % (key, path))
        if hvp.get(constants.HV_SECURITY_MODEL) == constants.HT_SM_USER:
            try:
                pwd.getpwnam(hvp[constants.HV_SECURITY_DOMAIN])
            except KeyError:
                raise errors.HypervisorError(
                    "Unknown security domain user %s" % hvp[constants.HV_SECURITY_DOMAIN]
                ) from None

    def verify(self, hvparams: dict | None = None) -> str | None:
        hvp = cmdline.fill_hvparams(hvparams)
        msgs = []
        kvm_path = hvp.get(constants.HV_KVM_PATH) or ""
        if not os.access(kvm_path, os.X_OK):
            msgs.append("The KVM binary ('%s') does not exist or is not executable" % kvm_path)
        if hvp.get(constants.HV_SERIAL_CONSOLE) and not os.access(constants.SOCAT_PATH, os.X_OK):
            msgs.append("socat ('%s') is missing: no serial consoles" % constants.SOCAT_PATH)
        return "; ".join(msgs) or None

    # -- listing and info --------------------------------------------------------------------

    def list_instances(self, hvparams: dict | None = None) -> list[str]:
        return self.dirs.list_instances()

    def _load_runtime(self, name: str) -> rt.KvmRuntime | None:
        try:
            return self.dirs.load(name)
        except errors.HypervisorError as err:
            logging.warning("%s", err)
            return None

    def query(
        self,
        name: str,
        command: str,
        arguments: dict | None = None,
        timeout: float = qmp.DEFAULT_TIMEOUT,
    ) -> Any:
        """One QMP command to instance ``name`` (serialised with its other QMP use)."""
        with self.instance_lock(name):
            return qmp.run(self.dirs.qmp_socket(name), command, arguments, timeout)

    def get_instance_status(self, name: str) -> str | None:
        """qemu's run state ("running", "paused", "shutdown", ...) or None if not running."""
        if not self.dirs.alive_pid(name):
            return None
        return str(self.query(name, "query-status", timeout=INFO_QMP_TIMEOUT).get("status"))

    def get_instance_info(self, instance_name: str, hvparams: dict | None = None) -> tuple | None:
        """``(name, pid, memory MiB, vcpus, state, seconds up)`` or None if not running.

        State and memory come from QMP (query-status, query-balloon); when
        QMP does not answer the runtime file's values are reported.
        """
        pid = self.dirs.alive_pid(instance_name)
        if not pid:
            return None
        runtime = self._load_runtime(instance_name)
        memory = runtime.memory if runtime else 0
        vcpus = runtime.vcpus if runtime else 1
        state = STATE_RUNNING
        try:
            with self.instance_lock(instance_name):
                with qmp.QmpClient(self.dirs.qmp_socket(instance_name), INFO_QMP_TIMEOUT) as mon:
                    status = mon.execute("query-status")
                    if status.get("status") == "shutdown":
                        state = STATE_SHUTDOWN
                    try:
                        memory = int(mon.execute("query-balloon")["actual"]) // (1024 * 1024)
                    except qmp.QmpError:
                        pass
        except errors.HypervisorError as err:
            logging.warning(
                "Instance %s: QMP did not answer, reporting saved values: %s", instance_name, err
            )
        return (instance_name, pid, memory, vcpus, state, round(rt.process_uptime(pid), 1))

    def get_all_instances_info(self, hvparams: dict | None = None) -> list[tuple]:
        result = []
        for name in self.list_instances():
            info = self.get_instance_info(name)
            if info is not None:
                result.append(info)
        return result

    # -- start -----------------------------------------------------------------------------

    @staticmethod
    def _disk_spec(disk: Any, path: str, uri: str | None) -> cmdline.DiskSpec:
        read_only = getattr(disk, "mode", None) == constants.DISK_RDONLY
        if uri:
            return cmdline.DiskSpec(uri, cmdline.KIND_URI, read_only)
        try:
            is_block = stat.S_ISBLK(os.stat(path).st_mode)
        except OSError as err:
            raise errors.HypervisorError("Disk %s is not available: %s" % (path, err)) from None
        return cmdline.DiskSpec(
            path, cmdline.KIND_BLOCK if is_block else cmdline.KIND_FILE, read_only
        )

    def _sockets(self, name: str) -> cmdline.Sockets:
        sockets = cmdline.Sockets(
            qmp=self.dirs.qmp_socket(name),
            serial=self.dirs.serial_socket(name),
            pidfile=self.dirs.pid_file(name),
            qga=self.dirs.qga_socket(name),
            chroot=self.dirs.chroot_dir(name),
        )
        longest = max(sockets.qmp, sockets.serial, sockets.qga, key=len)
        if len(longest.encode()) > MAX_SOCKET_PATH:
            raise errors.HypervisorError(
                "Instance name %s is too long: its socket %s exceeds the %d bytes"
                " a Unix socket path may have" % (name, longest, MAX_SOCKET_PATH)
            )
        return sockets

    def generate_runtime(self, instance: Any, block_devices: list) -> rt.KvmRuntime:
        """The runtime (command line and all) that starting ``instance`` would use."""
        hvp = cmdline.fill_hvparams(instance.hvparams)
        be = instance.beparams or {}
        memory = int(be.get(constants.BE_MAXMEM) or be.get(constants.BE_MEMORY) or 0)
        vcpus = int(be.get(constants.BE_VCPUS) or 1)
        disks, saved = [], []
        for entry in block_devices or []:
            disk = entry[0]
            path = entry[1] if len(entry) > 1 else None
            uri = entry[2] if len(entry) > 2 else None
            if not path and not uri:
                raise errors.HypervisorError("A disk of instance %s has no path" % instance.name)
            disks.append(self._disk_spec(disk, path, uri))
            saved.append([disk.to_dict() if hasattr(disk, "to_dict") else disk, path, uri])
        base_cmd = cmdline.build_base(
            instance.name,
            instance.uuid,
            hvp,
            memory,
            vcpus,
            disks,
            self._sockets(instance.name),
            instance.network_port,
        )
        return rt.KvmRuntime(
            name=instance.name,
            kvm_cmd=base_cmd,
            hvparams=hvp,
            nics=[
                nic.to_dict() if hasattr(nic, "to_dict") else dict(nic)
                for nic in instance.nics or []
            ],
            disks=saved,
            memory=memory,
            vcpus=vcpus,
            uuid=instance.uuid or "",
            network_port=instance.network_port,
            run_dir=self.dirs.root,
        )

    def _open_nics(
        self, runtime: rt.KvmRuntime
    ) -> tuple[list[str], list[cmdline.NicSpec], list[int]]:
        hvp = runtime.hvparams
        virtio = hvp.get(constants.HV_NIC_TYPE) == constants.HT_NIC_PARAVIRTUAL
        queues = int(hvp.get(constants.HV_VIRTIO_NET_QUEUES) or 1) if virtio else 1
        taps: list[str] = []
        specs: list[cmdline.NicSpec] = []
        all_fds: list[int] = []
        try:
            for idx, nic in enumerate(runtime.nics):
                conf = netdev.nic_config(nic)
                tap, fds = netdev.open_tap(
                    vnet_hdr=virtio and bool(hvp.get(constants.HV_VNET_HDR)), queues=queues
                )
                all_fds += fds
                taps.append(tap)
                specs.append(cmdline.NicSpec(conf.mac, fds))
                netdev.ifup(runtime.name, tap, conf, idx)
        except errors.HypervisorError:
            netdev.close_fds(all_fds)
            self._nics_down(runtime, taps)
            raise
        return taps, specs, all_fds

    @staticmethod
    def _nics_down(runtime: rt.KvmRuntime, taps: list[str]) -> None:
        for nic, tap in zip(runtime.nics, taps):
            netdev.ifdown(tap, netdev.nic_config(nic))

    def _log(self, name: str, text: str) -> None:
        try:
            os.makedirs(pathutils.LOG_KVM_DIR, 0o750, exist_ok=True)
            uio.append_file(
                self.dirs.log_file(name), "%s %s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), text)
            )
        except OSError as err:
            logging.debug("Can't write the KVM log of %s: %s", name, err)

    def execute_runtime(
        self,
        runtime: rt.KvmRuntime,
        startup_paused: bool = False,
        incoming: tuple[str, int] | None = None,
    ) -> None:
        """Starts qemu from ``runtime`` (paused first, set up, then continued)."""
        name = runtime.name
        hvp = runtime.hvparams
        self.dirs.ensure()
        self.dirs.remove(name, keep_runtime=True)
        if hvp.get(constants.HV_KVM_USE_CHROOT):
            os.makedirs(self.dirs.chroot_dir(name), 0o750, exist_ok=True)
        taps, nic_specs, fds = self._open_nics(runtime)
        cmd = cmdline.finish(runtime.kvm_cmd, nic_specs, hvp, paused=True, incoming=incoming)
        self._log(name, "starting: %s" % " ".join(cmd))
        try:
            result = uproc.run_cmd_passing_fds(cmd, fds, timeout=START_TIMEOUT)
        finally:
            netdev.close_fds(fds)
        if result.failed:
            self._log(name, "start failed: %s: %s" % (result.fail_reason, result.output.strip()))
            self._nics_down(runtime, taps)
            self.dirs.remove(name, keep_runtime=True)
            raise errors.HypervisorError(
                "Failed to start instance %s: %s: %s"
                % (name, result.fail_reason, result.output.strip())
            )
        runtime.start_time = time.time()
        try:
            self.dirs.save_nics(name, taps)
            self.dirs.save(runtime)
            self._post_start(runtime, run=not startup_paused and incoming is None)
        except errors.HypervisorError as err:
            self._log(name, "setup after start failed: %s" % err)
            self._kill(name)
            self._nics_down(runtime, taps)
            self.dirs.remove(name)
            raise errors.HypervisorError("Failed to start instance %s: %s" % (name, err)) from None

    def _post_start(self, runtime: rt.KvmRuntime, run: bool) -> None:
        hvp = runtime.hvparams
        name = runtime.name
        with self.instance_lock(name):
            with qmp.QmpClient(self.dirs.qmp_socket(name)) as mon:
                pw_file = hvp.get(constants.HV_VNC_PASSWORD_FILE)
                if pw_file and hvp.get(constants.HV_VNC_BIND_ADDRESS):
                    try:
                        password = uio.read_one_line(pw_file)
                    except OSError as err:
                        raise errors.HypervisorError(
                            "Can't read the VNC password file %s: %s" % (pw_file, err)
                        ) from None
                    mon.execute("set_password", {"protocol": "vnc", "password": password})
                masks = cmdline.parse_cpu_mask(hvp.get(constants.HV_CPU_MASK) or "", runtime.vcpus)
                if masks:
                    self._pin_cpus(name, mon, masks)
                if run:
                    mon.execute("cont")

    def _pin_cpus(self, name: str, mon: qmp.QmpClient, masks: list[set[int]]) -> None:
        all_cpus = set(range(os.cpu_count() or 1))
        try:
            if len(masks) == 1:
                pid = self.dirs.read_pid(name)
                tids = [int(t) for t in os.listdir("/proc/%d/task" % pid)]
                for tid in tids:
                    os.sched_setaffinity(tid, masks[0] or all_cpus)
                return
            cpus = mon.execute("query-cpus-fast")
            for cpu in cpus:
                mask = masks[int(cpu["cpu-index"])]
                os.sched_setaffinity(int(cpu["thread-id"]), mask or all_cpus)
        except (OSError, ValueError, KeyError, IndexError) as err:
            raise errors.HypervisorError("Can't apply cpu_mask: %s" % err) from None

    def start_instance(self, instance: Any, block_devices: list, startup_paused: bool) -> None:
        """Starts qemu for ``instance``; block_devices are ``(disk, path, uri)``."""
        with self.instance_lock(instance.name):
            if self.dirs.alive_pid(instance.name):
                raise errors.HypervisorError(
                    "Failed to start instance %s: already running" % instance.name
                )
            runtime = self.generate_runtime(instance, block_devices)
            self.execute_runtime(runtime, startup_paused=bool(startup_paused))

    # -- stop, reboot, cleanup -------------------------------------------------------------

    def _kill(self, name: str) -> None:
        pid = self.dirs.alive_pid(name)
        if pid:
            uproc.kill_process(pid, signal.SIGTERM, timeout=KILL_TIMEOUT)
            if rt.wait_for(lambda: not rt.is_qemu_of(pid, name), KILL_TIMEOUT) is False:
                raise errors.HypervisorError(
                    "qemu of instance %s (pid %d) does not die" % (name, pid)
                )

    def stop_instance(
        self,
        instance: Any,
        force: bool = False,
        retry: bool = False,
        name: str | None = None,
        timeout: int | None = None,
    ) -> None:
        """Asks the guest to power off (ACPI), or kills qemu when ``force``.

        A soft stop returns at once: the caller polls ``list_instances`` and
        forces after its timeout.  Without ACPI a soft stop is a kill, as
        in Ganeti.  A guest already off (user_shutdown) is killed.
        """
        name = name or instance.name
        with self.instance_lock(name):
            if not self.dirs.alive_pid(name):
                return
            runtime = self._load_runtime(name)
            hvp = cmdline.fill_hvparams(
                runtime.hvparams if runtime else getattr(instance, "hvparams", None)
            )
            if force or not hvp.get(constants.HV_ACPI):
                self._kill(name)
                return
            mon_timeout = float(timeout) if timeout else qmp.DEFAULT_TIMEOUT
            with qmp.QmpClient(
                self.dirs.qmp_socket(name), min(mon_timeout, qmp.DEFAULT_TIMEOUT)
            ) as mon:
                if mon.execute("query-status").get("status") == "shutdown":
                    mon.execute("quit")
                else:
                    mon.execute("system_powerdown")

    def reboot_instance(self, instance: Any) -> None:
        """Resets the guest (system_reset); with reboot_behavior=exit, restarts qemu."""
        name = instance.name
        with self.instance_lock(name):
            if not self.dirs.alive_pid(name):
                raise errors.HypervisorError("Failed to reboot instance %s: not running" % name)
            runtime = self.dirs.load(name)
            if runtime.hvparams.get(constants.HV_REBOOT_BEHAVIOR) != constants.INSTANCE_REBOOT_EXIT:
                self.query(name, "system_reset")
                return
            self._kill(name)
            self._nics_down(runtime, self.dirs.load_nics(name))
            self.execute_runtime(runtime)

    def cleanup_instance(self, instance_name: str) -> None:
        """Removes what a stopped instance left (files; routed/OVS NIC settings)."""
        with self.instance_lock(instance_name):
            if self.dirs.alive_pid(instance_name):
                return
            runtime = (
                self._load_runtime(instance_name)
                if os.path.exists(self.dirs.runtime_file(instance_name))
                else None
            )
            if runtime is not None:
                self._nics_down(runtime, self.dirs.load_nics(instance_name))
            self.dirs.remove(instance_name)

    def cleanup_after_kill(self, instance_name: str) -> None:
        """Kills the instance's qemu if it runs, then cleans up after it."""
        with self.instance_lock(instance_name):
            self._kill(instance_name)
            self.cleanup_instance(instance_name)

    def balloon_instance_memory(self, instance: Any, mem: int) -> None:
        name = instance.name
        with self.instance_lock(name):
            if not self.dirs.alive_pid(name):
                raise errors.HypervisorError("Can't balloon instance %s: not running" % name)
            self.query(name, "balloon", {"value": int(mem) * 1024 * 1024})
            runtime = self._load_runtime(name)
            if runtime is not None:
                runtime.memory = int(mem)
                self.dirs.save(runtime)

    @classmethod
    def get_instance_console(
        cls, instance: Any, primary_node: Any, node_group: Any, hvparams: dict, beparams: dict
    ) -> dict[str, Any]:
        return console.get_instance_console(instance, primary_node, node_group, hvparams, beparams)

    # -- migration ---------------------------------------------------------------------------

    def migration_info(self, instance: Any) -> str:
        return migration.migration_info(self, instance)

    def accept_instance(self, instance: Any, info: str, target: str) -> None:
        migration.accept_instance(self, instance, info, target)

    def migrate_instance(self, cluster_name: str, instance: Any, target: str, live: bool) -> None:
        migration.migrate_instance(self, instance, target, live)

    def finalize_migration_dst(self, instance: Any, info: str, success: bool) -> None:
        migration.finalize_dst(self, instance, info, success)

    def finalize_migration_source(self, instance: Any, success: bool, live: bool) -> None:
        migration.finalize_source(self, instance, success, live)

    def get_migration_status(self, instance: Any) -> dict[str, Any]:
        return migration.get_status(self, instance)
