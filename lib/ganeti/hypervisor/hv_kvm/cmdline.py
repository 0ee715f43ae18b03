"""The qemu command line of a KVM instance, built from its hvparams.

Owns the translation of hvparams, memory, vCPUs, disks and NICs into
qemu 7 arguments: machine (i440fx ``pc`` or ``q35``), accelerator, CPU,
kernel boot, disks as ``-blockdev`` nodes plus a device per disk_type,
tap NICs passed as file descriptors, serial console, QMP and guest agent
on Unix sockets, VNC, and the reboot/shutdown behaviour.  It is pure: it
never touches a file, a process or the network, so every combination can
be checked in a unit test.  Errors are ``HypervisorError`` naming the
parameter at fault.
"""

import ipaddress
import shlex
from dataclasses import dataclass, field
from typing import Any

from ganeti import constants, errors, serializer

#: boot_order -> qemu's drive letter
_BOOT_LETTERS = {
    constants.HT_BO_FLOPPY: "a",
    constants.HT_BO_DISK: "c",
    constants.HT_BO_CDROM: "d",
    constants.HT_BO_NETWORK: "n",
}

#: nic_type -> qemu device model
NIC_MODELS = {
    constants.HT_NIC_PARAVIRTUAL: "virtio-net-pci",
    constants.HT_NIC_E1000: "e1000",
    constants.HT_NIC_RTL8139: "rtl8139",
    constants.HT_NIC_NE2K_PCI: "ne2k_pci",
    constants.HT_NIC_NE2K_ISA: "ne2k_isa",
    constants.HT_NIC_I82551: "i82551",
    constants.HT_NIC_I85557B: "i82557b",
    constants.HT_NIC_I8259ER: "i82559er",
    constants.HT_NIC_PCNET: "pcnet",
}

#: disk_type -> qemu device model, for the types attached as -blockdev + -device
DISK_MODELS = {
    constants.HT_DISK_PARAVIRTUAL: "virtio-blk-pci",
    constants.HT_DISK_IDE: "ide-hd",
    constants.HT_DISK_SCSI: "scsi-hd",
    constants.HT_DISK_SCSI_HD: "scsi-hd",
    constants.HT_DISK_SCSI_BLOCK: "scsi-block",
    constants.HT_DISK_SCSI_GENERIC: "scsi-generic",
}

#: disk_type -> qemu's legacy ``-drive if=`` (no device of their own in qemu 7)
LEGACY_DISK_IFS = {
    constants.HT_DISK_SD: "sd",
    constants.HT_DISK_MTD: "mtd",
    constants.HT_DISK_PFLASH: "pflash",
    constants.HT_DISK_IOEMU: "ide",
}

#: scsi_controller_type -> qemu device model
SCSI_CONTROLLERS = {
    "lsi": "lsi53c895a",
    "megasas": "megasas",
    "mptsas1068": "mptsas1068",
    "virtio-scsi-pci": "virtio-scsi-pci",
}

#: machine_type -> qemu machine (machine_version, when set, wins)
MACHINES = {
    "": "pc",
    constants.HT_KVM_MACHINE_PC: "pc",
    constants.HT_KVM_MACHINE_I440FX: "pc",
    constants.HT_KVM_MACHINE_Q35: "q35",
}

#: the parameters this implementation refuses rather than silently ignores
UNSUPPORTED = {
    constants.HV_KVM_SPICE_BIND: "SPICE is not supported",
    constants.HV_SOUNDHW: "sound hardware is not supported",
    constants.HV_USB_DEVICES: "USB host device passthrough is not supported",
}

#: disk kinds: a regular file, a block device, a userspace URI (rbd:, gluster://)
KIND_FILE = "file"
KIND_BLOCK = "host_device"
KIND_URI = "uri"


@dataclass
class DiskSpec:
    """One instance disk as qemu opens it."""

    path: str
    kind: str = KIND_FILE
    read_only: bool = False


@dataclass
class NicSpec:
    """One instance NIC: its MAC and the tap file descriptors qemu inherits."""

    mac: str
    fds: list[int] = field(default_factory=list)


@dataclass
class Sockets:
    """The Unix sockets and files of a running instance."""

    qmp: str
    serial: str
    pidfile: str
    qga: str = ""
    chroot: str = ""


def fill_hvparams(hvparams: dict[str, Any] | None) -> dict[str, Any]:
    """``hvparams`` over the KVM defaults (machine_type defaults to "")."""
    filled = dict(constants.HVC_DEFAULTS[constants.HT_KVM])
    filled.setdefault(constants.HV_KVM_MACHINE_TYPE, "")
    filled.update(hvparams or {})
    return filled


def _fail(param: str, msg: str) -> None:
    raise errors.HypervisorError("Invalid value for %s: %s" % (param, msg))


def _escape(value: str) -> str:
    """A value inside a qemu ``key=value,...`` option (commas are doubled)."""
    return value.replace(",", ",,")


def _json(value: Any) -> str:
    return serializer.dumps(value)


def machine_name(hvp: dict[str, Any]) -> str:
    """The qemu machine for machine_type/machine_version."""
    version = hvp.get(constants.HV_KVM_MACHINE_VERSION) or ""
    if version:
        return version
    mtype = hvp.get(constants.HV_KVM_MACHINE_TYPE) or ""
    if mtype not in MACHINES:
        _fail(constants.HV_KVM_MACHINE_TYPE, "'%s' is not one of pc, i440fx, q35" % mtype)
    return MACHINES[mtype]


def is_q35(hvp: dict[str, Any]) -> bool:
    return machine_name(hvp).startswith("pc-q35") or machine_name(hvp) == "q35"


def kernel_append(hvp: dict[str, Any]) -> str:
    """The kernel command line: root, kernel_args, then the serial console."""
    parts = []
    if hvp.get(constants.HV_ROOT_PATH):
        parts.append("root=%s" % hvp[constants.HV_ROOT_PATH])
    if hvp.get(constants.HV_KERNEL_ARGS):
        parts.append(str(hvp[constants.HV_KERNEL_ARGS]))
    if hvp.get(constants.HV_SERIAL_CONSOLE):
        parts.append("console=ttyS0,%s" % hvp.get(constants.HV_SERIAL_SPEED, 38400))
    return " ".join(parts)


def vnc_display(hvp: dict[str, Any], network_port: int | None) -> str | None:
    """The ``-vnc`` argument, or None without vnc_bind_address."""
    bind = hvp.get(constants.HV_VNC_BIND_ADDRESS) or ""
    if not bind:
        return None
    if bind.startswith("/"):
        display = "unix:%s" % _escape(bind)
    else:
        try:
            addr = ipaddress.ip_address(bind)
        except ValueError:
            _fail(constants.HV_VNC_BIND_ADDRESS, "'%s' is neither an IP address nor a path" % bind)
        if network_port is None or network_port < constants.VNC_BASE_PORT:
            raise errors.HypervisorError(
                "Instance has no usable network port (%s) for VNC: it must be >= %d"
                % (network_port, constants.VNC_BASE_PORT)
            )
        host = "[%s]" % bind if addr.version == 6 else bind
        display = "%s:%d" % (host, network_port - constants.VNC_BASE_PORT)
    if hvp.get(constants.HV_VNC_PASSWORD_FILE):
        display += ",password=on"
    if hvp.get(constants.HV_VNC_TLS):
        display += ",tls-creds=vnctls0"
    return display


def _vnc_tls_object(hvp: dict[str, Any]) -> list[str]:
    if not hvp.get(constants.HV_VNC_TLS) or not hvp.get(constants.HV_VNC_BIND_ADDRESS):
        return []
    opts = "tls-creds-x509,id=vnctls0,endpoint=server"
    if hvp.get(constants.HV_VNC_X509):
        opts += ",dir=%s" % _escape(hvp[constants.HV_VNC_X509])
    opts += ",verify-peer=%s" % ("on" if hvp.get(constants.HV_VNC_X509_VERIFY) else "off")
    return ["-object", opts]


def _smp(hvp: dict[str, Any], vcpus: int) -> str:
    smp = str(vcpus)
    for key, name in (
        (constants.HV_CPU_CORES, "cores"),
        (constants.HV_CPU_THREADS, "threads"),
        (constants.HV_CPU_SOCKETS, "sockets"),
    ):
        if hvp.get(key):
            smp += ",%s=%d" % (name, int(hvp[key]))
    return smp


def _cache_options(hvp: dict[str, Any]) -> tuple[dict[str, bool] | None, bool]:
    """(blockdev "cache" dict or None, device write-cache off)."""
    cache = hvp.get(constants.HV_DISK_CACHE) or constants.HT_CACHE_DEFAULT
    if cache == constants.HT_CACHE_NONE:
        return {"direct": True, "no-flush": False}, False
    if cache == constants.HT_CACHE_WTHROUGH:
        return {"direct": False, "no-flush": False}, True
    if cache == constants.HT_CACHE_WBACK:
        return {"direct": False, "no-flush": False}, False
    return None, False


def blockdev_node(node_name: str, disk: DiskSpec, hvp: dict[str, Any]) -> dict[str, Any]:
    """The ``-blockdev`` description (raw over file/host_device) of one disk."""
    cache, _ = _cache_options(hvp)
    proto: dict[str, Any] = {"driver": disk.kind, "filename": disk.path}
    aio = hvp.get(constants.HV_DISK_AIO) or constants.HT_KVM_AIO_THREADS
    proto["aio"] = aio
    node: dict[str, Any] = {
        "driver": "raw",
        "node-name": node_name,
        "read-only": bool(disk.read_only),
        "file": proto,
    }
    if cache is not None:
        node["cache"] = cache
        proto["cache"] = dict(cache)
    discard = hvp.get(constants.HV_DISK_DISCARD) or constants.HT_DISCARD_DEFAULT
    if discard != constants.HT_DISCARD_DEFAULT:
        node["discard"] = discard
    return node


def _legacy_drive(disk: DiskSpec, drive_if: str, ident: str, hvp: dict[str, Any]) -> str:
    opts = "file=%s,format=raw,if=%s" % (_escape(disk.path), drive_if)
    if ident:
        opts += ",id=%s" % ident
    cache = hvp.get(constants.HV_DISK_CACHE) or constants.HT_CACHE_DEFAULT
    if cache != constants.HT_CACHE_DEFAULT:
        opts += ",cache=%s" % cache
    if disk.read_only:
        opts += ",readonly=on"
    return opts


def disk_args(disks: list[DiskSpec], hvp: dict[str, Any]) -> list[str]:
    """``-blockdev``/``-device`` (or legacy ``-drive``) arguments of the disks."""
    disk_type = hvp.get(constants.HV_DISK_TYPE) or constants.HT_DISK_PARAVIRTUAL
    _, write_cache_off = _cache_options(hvp)
    args: list[str] = []
    if disk_type in (constants.HT_DISK_SCSI,) or disk_type in constants.HT_SCSI_DEVICE_TYPES:
        if disks:
            args += ["-device", "%s,id=scsi" % scsi_controller(hvp)]
    for idx, disk in enumerate(disks):
        node = "disk%d" % idx
        if disk_type in LEGACY_DISK_IFS:
            args += ["-drive", _legacy_drive(disk, LEGACY_DISK_IFS[disk_type], "", hvp)]
            continue
        model = DISK_MODELS.get(disk_type)
        if model is None:
            _fail(constants.HV_DISK_TYPE, "unknown disk type '%s'" % disk_type)
        if disk.kind == KIND_URI:
            args += ["-drive", _legacy_drive(disk, "none", node, hvp)]
        else:
            args += ["-blockdev", _json(blockdev_node(node, disk, hvp))]
        device = "%s,drive=%s,id=%s-dev" % (model, node, node)
        if model.startswith("scsi-"):
            device += ",bus=scsi.0,scsi-id=%d" % idx
        if write_cache_off:
            device += ",write-cache=off"
        args += ["-device", device]
    return args


def scsi_controller(hvp: dict[str, Any]) -> str:
    ctype = hvp.get(constants.HV_KVM_SCSI_CONTROLLER_TYPE) or "lsi"
    if ctype not in SCSI_CONTROLLERS:
        _fail(
            constants.HV_KVM_SCSI_CONTROLLER_TYPE,
            "'%s' is not one of %s" % (ctype, ", ".join(sorted(SCSI_CONTROLLERS))),
        )
    return SCSI_CONTROLLERS[ctype]


def _removable_args(hvp: dict[str, Any]) -> list[str]:
    """CD-ROMs (and the floppy) from their image paths."""
    args: list[str] = []
    cd_type = hvp.get(constants.HV_KVM_CDROM_DISK_TYPE) or constants.HT_DISK_IDE
    disk_type = hvp.get(constants.HV_DISK_TYPE) or constants.HT_DISK_PARAVIRTUAL
    scsi_present = (
        disk_type == constants.HT_DISK_SCSI or disk_type in constants.HT_SCSI_DEVICE_TYPES
    )
    for idx, key in enumerate((constants.HV_CDROM_IMAGE_PATH, constants.HV_CDROM2_IMAGE_PATH)):
        path = hvp.get(key) or ""
        if not path:
            continue
        node = "cdrom%d" % idx
        args += [
            "-blockdev",
            _json(
                {
                    "driver": "raw",
                    "node-name": node,
                    "read-only": True,
                    "file": {"driver": "file", "filename": path},
                }
            ),
        ]
        if cd_type == constants.HT_DISK_PARAVIRTUAL:
            args += ["-device", "virtio-blk-pci,drive=%s,id=%s-dev" % (node, node)]
        elif cd_type == constants.HT_DISK_SCSI or cd_type in constants.HT_SCSI_DEVICE_TYPES:
            if not scsi_present:
                args += ["-device", "%s,id=scsi" % scsi_controller(hvp)]
                scsi_present = True
            args += ["-device", "scsi-cd,drive=%s,id=%s-dev,bus=scsi.0" % (node, node)]
        else:
            args += ["-device", "ide-cd,drive=%s,id=%s-dev" % (node, node)]
    floppy = hvp.get(constants.HV_KVM_FLOPPY_IMAGE_PATH) or ""
    if floppy:
        if is_q35(hvp):
            _fail(constants.HV_KVM_FLOPPY_IMAGE_PATH, "q35 machines have no floppy controller")
        args += [
            "-blockdev",
            _json(
                {
                    "driver": "raw",
                    "node-name": "floppy0",
                    "file": {"driver": "file", "filename": floppy},
                }
            ),
            "-device",
            "floppy,drive=floppy0,id=floppy0-dev",
        ]
    return args


def _boot_args(hvp: dict[str, Any]) -> list[str]:
    order = hvp.get(constants.HV_BOOT_ORDER) or constants.HT_BO_DISK
    if order not in _BOOT_LETTERS:
        _fail(
            constants.HV_BOOT_ORDER,
            "'%s' is not one of %s" % (order, ", ".join(sorted(_BOOT_LETTERS))),
        )
    if order == constants.HT_BO_CDROM and not hvp.get(constants.HV_CDROM_IMAGE_PATH):
        _fail(constants.HV_BOOT_ORDER, "booting from cdrom needs cdrom_image_path")
    if order == constants.HT_BO_FLOPPY and not hvp.get(constants.HV_KVM_FLOPPY_IMAGE_PATH):
        _fail(constants.HV_BOOT_ORDER, "booting from floppy needs floppy_image_path")
    return ["-boot", "order=%s" % _BOOT_LETTERS[order]]


def _display_args(hvp: dict[str, Any], network_port: int | None) -> list[str]:
    args = _vnc_tls_object(hvp)
    vnc = vnc_display(hvp, network_port)
    vga = hvp.get(constants.HV_VGA) or ""
    if vnc is not None:
        args += ["-vga", vga or "std", "-vnc", vnc]
    else:
        if vga:
            args += ["-vga", vga]
        args += ["-display", "none"]
    if hvp.get(constants.HV_KEYMAP):
        args += ["-k", hvp[constants.HV_KEYMAP]]
    mouse = hvp.get(constants.HV_USB_MOUSE) or ""
    if mouse:
        if mouse not in constants.HT_KVM_VALID_MOUSE_TYPES:
            _fail(constants.HV_USB_MOUSE, "'%s' is not mouse or tablet" % mouse)
        args += ["-usb", "-device", "usb-%s" % mouse]
    return args


def _security_args(hvp: dict[str, Any], sockets: Sockets) -> list[str]:
    args: list[str] = []
    model = hvp.get(constants.HV_SECURITY_MODEL) or constants.HT_SM_NONE
    if model == constants.HT_SM_USER:
        if not hvp.get(constants.HV_SECURITY_DOMAIN):
            _fail(constants.HV_SECURITY_DOMAIN, "security model 'user' needs a user name")
        args += ["-runas", hvp[constants.HV_SECURITY_DOMAIN]]
    elif model == constants.HT_SM_POOL:
        _fail(constants.HV_SECURITY_MODEL, "the uid pool security model is not supported")
    elif model != constants.HT_SM_NONE:
        _fail(constants.HV_SECURITY_MODEL, "unknown security model '%s'" % model)
    if hvp.get(constants.HV_KVM_USE_CHROOT):
        if not sockets.chroot:
            _fail(constants.HV_KVM_USE_CHROOT, "no chroot directory given")
        args += ["-chroot", sockets.chroot]
    return args


def check_unsupported(hvp: dict[str, Any]) -> None:
    """HypervisorError for a parameter this implementation cannot honour."""
    for key, why in UNSUPPORTED.items():
        if hvp.get(key):
            raise errors.HypervisorError("Parameter %s=%r: %s" % (key, hvp[key], why))


def build_base(
    name: str,
    uuid: str | None,
    hvparams: dict[str, Any],
    memory: int,
    vcpus: int,
    disks: list[DiskSpec],
    sockets: Sockets,
    network_port: int | None = None,
) -> list[str]:
    """The qemu command line of an instance, without NICs and start flags.

    What is saved in the runtime file: ``-S``, ``-incoming`` and the tap
    file descriptors depend on the start and are added by ``finish``.
    """
    hvp = fill_hvparams(hvparams)
    check_unsupported(hvp)
    if memory <= 0:
        raise errors.HypervisorError("Instance %s has no memory (%r MiB)" % (name, memory))
    if vcpus <= 0:
        raise errors.HypervisorError("Instance %s has no vCPUs (%r)" % (name, vcpus))
    machine = machine_name(hvp)
    if not hvp.get(constants.HV_ACPI):
        machine += ",acpi=off"
    cmd = [hvp.get(constants.HV_KVM_PATH) or "/usr/bin/kvm", "-name", name]
    if uuid:
        cmd += ["-uuid", uuid]
    cmd += ["-nodefaults", "-no-user-config", "-machine", machine]
    flag = hvp.get(constants.HV_KVM_FLAG) or ""
    if flag == constants.HT_KVM_ENABLED:
        cmd += ["-accel", "kvm"]
    elif flag == constants.HT_KVM_DISABLED:
        cmd += ["-accel", "tcg"]
    elif flag:
        _fail(constants.HV_KVM_FLAG, "'%s' is not enabled or disabled" % flag)
    if hvp.get(constants.HV_CPU_TYPE):
        cmd += ["-cpu", hvp[constants.HV_CPU_TYPE]]
    cmd += ["-m", str(int(memory)), "-smp", _smp(hvp, int(vcpus))]
    if hvp.get(constants.HV_MEM_PATH):
        cmd += ["-mem-path", hvp[constants.HV_MEM_PATH]]
    cmd += ["-pidfile", sockets.pidfile, "-daemonize"]
    cmd += [
        "-chardev",
        "socket,id=qmp0,path=%s,server=on,wait=off" % _escape(sockets.qmp),
        "-mon",
        "chardev=qmp0,mode=control",
    ]
    if hvp.get(constants.HV_SERIAL_CONSOLE):
        cmd += [
            "-chardev",
            "socket,id=serial0,path=%s,server=on,wait=off" % _escape(sockets.serial),
            "-serial",
            "chardev:serial0",
        ]
    if hvp.get(constants.HV_KVM_USE_GUEST_AGENT):
        cmd += [
            "-chardev",
            "socket,id=qga0,path=%s,server=on,wait=off" % _escape(sockets.qga),
            "-device",
            "virtio-serial-pci,id=vserial0",
            "-device",
            "virtserialport,bus=vserial0.0,chardev=qga0,name=org.qemu.guest_agent.0",
        ]
    cmd += _display_args(hvp, network_port)
    if hvp.get(constants.HV_USE_LOCALTIME):
        cmd += ["-rtc", "base=localtime"]
    if hvp.get(constants.HV_KERNEL_PATH):
        cmd += ["-kernel", hvp[constants.HV_KERNEL_PATH]]
        if hvp.get(constants.HV_INITRD_PATH):
            cmd += ["-initrd", hvp[constants.HV_INITRD_PATH]]
        cmd += ["-append", kernel_append(hvp)]
    cmd += _boot_args(hvp)
    cmd += disk_args(disks, hvp)
    cmd += _removable_args(hvp)
    cmd += ["-device", "virtio-balloon-pci,id=balloon0"]
    behavior = hvp.get(constants.HV_REBOOT_BEHAVIOR) or constants.INSTANCE_REBOOT_ALLOWED
    if behavior == constants.INSTANCE_REBOOT_EXIT:
        cmd.append("-no-reboot")
    elif behavior != constants.INSTANCE_REBOOT_ALLOWED:
        _fail(constants.HV_REBOOT_BEHAVIOR, "'%s' is not reboot or exit" % behavior)
    if hvp.get(constants.HV_KVM_USER_SHUTDOWN):
        cmd.append("-no-shutdown")
    cmd += _security_args(hvp, sockets)
    if hvp.get(constants.HV_KVM_EXTRA):
        try:
            cmd += shlex.split(hvp[constants.HV_KVM_EXTRA])
        except ValueError as err:
            _fail(constants.HV_KVM_EXTRA, str(err))
    return cmd


def nic_args(nics: list[NicSpec], hvparams: dict[str, Any]) -> list[str]:
    """``-netdev tap,fd=...`` plus a device per NIC (nic_type, MAC)."""
    hvp = fill_hvparams(hvparams)
    nic_type = hvp.get(constants.HV_NIC_TYPE) or constants.HT_NIC_PARAVIRTUAL
    if nic_type not in NIC_MODELS:
        _fail(constants.HV_NIC_TYPE, "unknown NIC type '%s'" % nic_type)
    model = NIC_MODELS[nic_type]
    virtio = nic_type == constants.HT_NIC_PARAVIRTUAL
    if nic_type == constants.HT_NIC_NE2K_ISA and is_q35(hvp):
        _fail(constants.HV_NIC_TYPE, "ne2k_isa needs an ISA bus (machine_type pc)")
    args: list[str] = []
    for idx, nic in enumerate(nics):
        if not nic.fds:
            raise errors.HypervisorError("NIC %d has no tap file descriptor" % idx)
        netdev = "tap,id=nic%d" % idx
        if len(nic.fds) == 1:
            netdev += ",fd=%d" % nic.fds[0]
        else:
            netdev += ",fds=%s" % ":".join(str(fd) for fd in nic.fds)
        if virtio and hvp.get(constants.HV_VHOST_NET):
            netdev += ",vhost=on"
        device = "%s,netdev=nic%d,id=nic%d-dev,mac=%s" % (model, idx, idx, nic.mac)
        if virtio and len(nic.fds) > 1:
            device += ",mq=on,vectors=%d" % (2 * len(nic.fds) + 2)
        args += ["-netdev", netdev, "-device", device]
    return args


def finish(
    base: list[str],
    nics: list[NicSpec],
    hvparams: dict[str, Any],
    paused: bool = True,
    incoming: tuple[str, int] | None = None,
) -> list[str]:
    """The command to execute: base + NICs + ``-S`` + ``-incoming``."""
    cmd = list(base) + nic_args(nics, hvparams)
    if paused:
        cmd.append("-S")
    if incoming is not None:
        host, port = incoming
        if ":" in host:
            host = "[%s]" % host
        cmd += ["-incoming", "tcp:%s:%d" % (host, int(port))]
    return cmd


def parse_cpu_mask(mask: str, vcpus: int) -> list[set[int]] | None:
    """cpu_mask as CPU sets: one for the whole process, or one per vCPU.

    "all" (or "") is None; "0-2,5" pins the process; "0:1:2-3" pins each
    vCPU (as many entries as vCPUs).
    """
    mask = (mask or "").strip()
    if mask in ("", "all"):
        return None
    parts = mask.split(":")
    if len(parts) > 1 and len(parts) != vcpus:
        _fail(constants.HV_CPU_MASK, "%d masks given for %d vCPUs" % (len(parts), vcpus))
    result = []
    for part in parts:
        cpus: set[int] = set()
        if part.strip() == "all":
            result.append(set())
            continue
        for item in part.split(","):
            item = item.strip()
            try:
                if "-" in item:
                    low, high = (int(x) for x in item.split("-", 1))
                    if low > high:
                        raise ValueError
                    cpus.update(range(low, high + 1))
                else:
                    cpus.add(int(item))
            except ValueError:
                _fail(constants.HV_CPU_MASK, "invalid CPU range '%s' in '%s'" % (item, mask))
        result.append(cpus)
    return result
