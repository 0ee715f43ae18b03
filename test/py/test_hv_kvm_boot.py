"""The KVM hypervisor with a real qemu (TCG): boot, console, stop, reboot, migrate.

The guest is ../shared/platform/build_guest.sh's (Debian cloud kernel +
busybox initramfs), built once and cached under /var/tmp/ganeti-test-guest
keyed by the script's checksum, plus a small initramfs overlay of ours: an
/init that starts busybox ``acpid`` (so the ACPI power button powers the
guest off) and a shell on the serial console with the prompt ``guest# ``.
Skipped, saying why, when qemu, socat or the guest are not available.
Every qemu started here is killed in teardown.
"""

import fcntl
import hashlib
import lzma
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
import uuid as uuidlib

import pytest

from ganeti import constants, errors, objects, pathutils
from ganeti.hypervisor import hv_kvm
from ganeti.hypervisor.hv_kvm import runtime as rt

BUILD_SCRIPT = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "platform", "build_guest.sh"
)
CACHE_ROOT = "/var/tmp/ganeti-test-guest"
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
PROMPT = b"guest# "

#: our /init: the platform guest's, plus ACPI power button handling and a shell
OVERLAY_INIT = r"""#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk failover net_failover virtio_net button evdev; do
  [ -f /lib/mods/$m.ko ] && insmod /lib/mods/$m.ko 2>/dev/null
done
echo "GUEST-BOOT-OK kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)"
for d in /sys/block/vd*; do [ -e "$d" ] && echo "GUEST-DISK $(basename $d) sectors=$(cat $d/size)"; done
mkdir -p /etc/acpi /var/log /var/run
printf '#!/bin/sh\necho GUEST-POWER-BUTTON > /dev/console\npoweroff -f\n' > /etc/acpi/PWRF
chmod +x /etc/acpi/PWRF
echo 'PWRF PWRF' > /etc/acpid.conf
i=0; while [ ! -e /dev/input/event1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
acpid -c /etc/acpi -a /etc/acpid.conf || echo GUEST-ACPID-FAIL
export PS1='guest# '
while true; do sh -i; done
"""
OVERLAY_LINKS = [
    "acpid",
    "mkdir",
    "printf",
    "chmod",
    "poweroff",
    "sh",
    "cat",
    "echo",
    "sleep",
    "ps",
]
EXTRA_MODULES = ["button", "evdev"]


def _guest_key() -> str:
    digest = hashlib.sha256()
    with open(BUILD_SCRIPT, "rb") as fh:
        digest.update(fh.read())
    digest.update(OVERLAY_INIT.encode())
    return digest.hexdigest()[:16]


def _kernel_version(vmlinuz: str) -> str:
    with open(vmlinuz, "rb") as fh:
        fh.seek(0x20E)
        (offset,) = struct.unpack("<H", fh.read(2))
        fh.seek(offset + 0x200)
        return fh.read(128).split(b"\0", 1)[0].split()[0].decode()


def _run(cmd, cwd=None, env=None, timeout=300):
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False)
    if res.returncode != 0:
        raise RuntimeError(
            "%s failed: %s" % (" ".join(cmd), (res.stdout + res.stderr).decode()[-2000:])
        )
    return res


def _build_guest(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, OUT=out)
    if not (
        os.path.exists(os.path.join(out, "vmlinuz"))
        and os.path.exists(os.path.join(out, "initrd.gz"))
    ):
        _run(["bash", os.path.abspath(BUILD_SCRIPT)], cwd=out, env=env)
    kver = _kernel_version(os.path.join(out, "vmlinuz"))
    work = os.path.join(out, "overlay-work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "kdeb"))
    _run(["apt-get", "download", "linux-image-%s" % kver], cwd=os.path.join(work, "kdeb"))
    debs = [f for f in os.listdir(os.path.join(work, "kdeb")) if f.endswith(".deb")]
    _run(["dpkg-deb", "-x", os.path.join(work, "kdeb", debs[0]), os.path.join(work, "x")])
    root = os.path.join(work, "root")
    os.makedirs(os.path.join(root, "lib", "mods"))
    os.makedirs(os.path.join(root, "bin"))
    moddir = os.path.join(work, "x", "lib", "modules", kver)
    for mod in EXTRA_MODULES:
        found = None
        for dirpath, _, files in os.walk(moddir):
            for name in files:
                if name.split(".ko")[0] == mod and ".ko" in name:
                    found = os.path.join(dirpath, name)
        if found is None:
            raise RuntimeError("kernel module %s not found in linux-image-%s" % (mod, kver))
        with open(found, "rb") as fh:
            data = fh.read()
        if found.endswith(".xz"):
            data = lzma.decompress(data)
        with open(os.path.join(root, "lib", "mods", mod + ".ko"), "wb") as fh:
            fh.write(data)
    for link in OVERLAY_LINKS:
        os.symlink("busybox", os.path.join(root, "bin", link))
    with open(os.path.join(root, "init"), "w", encoding="ascii") as fh:
        fh.write(OVERLAY_INIT)
    os.chmod(os.path.join(root, "init"), 0o755)
    listing = subprocess.run(["find", "."], cwd=root, capture_output=True, check=True).stdout
    cpio = subprocess.run(
        ["busybox", "cpio", "-o", "-H", "newc"],
        cwd=root,
        input=listing,
        capture_output=True,
        check=True,
    ).stdout
    import gzip

    with open(os.path.join(out, "initrd.gz"), "rb") as fh:
        base = fh.read()
    tmp = os.path.join(out, "initrd-test.gz.tmp")
    with open(tmp, "wb") as fh:
        fh.write(base + gzip.compress(cpio, 1))
    os.rename(tmp, os.path.join(out, "initrd-test.gz"))
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def guest():
    """(kernel, initrd) of the test guest, built once and cached."""
    if os.geteuid() != 0:
        pytest.skip("needs root (tap devices, qemu)")
    for tool in (QEMU, "/usr/bin/socat"):
        if not os.access(tool, os.X_OK):
            pytest.skip("%s is not installed (apt-get install qemu-system-x86 socat)" % tool)
    if not os.path.exists(BUILD_SCRIPT):
        pytest.skip("the guest build script %s is missing" % BUILD_SCRIPT)
    out = os.path.join(CACHE_ROOT, _guest_key())
    kernel, initrd = os.path.join(out, "vmlinuz"), os.path.join(out, "initrd-test.gz")
    os.makedirs(CACHE_ROOT, exist_ok=True)
    with open(os.path.join(CACHE_ROOT, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(initrd):
            try:
                _build_guest(out)
            except (RuntimeError, OSError, subprocess.SubprocessError) as err:
                pytest.skip("can't build the test guest with %s: %s" % (BUILD_SCRIPT, err))
    return kernel, initrd


# --- helpers ---------------------------------------------------------------------------------


def _qemu_pids_under(root: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            args = rt.process_cmdline(int(entry))
            if args and "qemu" in os.path.basename(args[0]) and any(root in a for a in args):
                pids.append(int(entry))
    return pids


@pytest.fixture
def root(guest):
    """A short temporary root for pathutils (Unix socket paths must stay short).

    Teardown kills every qemu whose command line mentions it.
    """
    import tempfile

    path = tempfile.mkdtemp(prefix="gk", dir="/tmp")
    old = pathutils.get_root()
    pathutils.set_root(path)
    try:
        yield path
    finally:
        pathutils.set_root(old)
        for pid in _qemu_pids_under(path):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while _qemu_pids_under(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def bridge():
    """A scratch bridge (no address) the test NICs attach to; None if it can't be made."""
    name = "gkbr%d" % (os.getpid() % 100000)
    res = subprocess.run(["ip", "link", "add", name, "type", "bridge"], capture_output=True)
    if res.returncode != 0:
        yield None
        return
    subprocess.run(["ip", "link", "set", name, "up"], capture_output=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "link", "del", name], capture_output=True)


class Serial:
    """The guest's serial console, read and written through its Unix socket."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.settimeout(0.2)
        self.buf = b""
        self._seq = 0

    def _recv(self) -> bool:
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        if not data:
            return False
        self.buf += data
        return True

    def wait_for(self, marker: bytes, timeout: float = 30.0, poke: bool = False) -> bytes:
        """Reads until ``marker`` shows up (pressing Enter every second if ``poke``)."""
        start = len(self.buf)
        deadline = time.monotonic() + timeout
        last_poke = 0.0
        while marker not in self.buf[start:]:
            if time.monotonic() > deadline:
                raise AssertionError(
                    "no %r on the console within %ss; got: %r" % (marker, timeout, self.buf[-800:])
                )
            if poke and time.monotonic() - last_poke > 1.0:
                self.sock.sendall(b"\n")
                last_poke = time.monotonic()
            if not self._recv():
                raise AssertionError("console closed; got: %r" % self.buf[-800:])
        return self.buf[start:]

    def prompt(self, timeout: float = 30.0) -> None:
        self.wait_for(PROMPT, timeout, poke=True)

    def run(self, command: str, timeout: float = 15.0) -> str:
        """Runs a shell command in the guest; its output (the echo of the input excluded)."""
        self._seq += 1
        end = "END-%d" % self._seq
        self.sock.sendall(('%s; echo "EN""D-%d"\n' % (command, self._seq)).encode())
        out = self.wait_for(end.encode() + b"\r\n", timeout).decode(errors="replace")
        lines = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out.replace("\r", "")).split("\n")
        echoed = max(i for i, line in enumerate(lines) if 'EN""D-%d' % self._seq in line)
        body = lines[echoed + 1 :]
        return "\n".join(body[: body.index(end)]).strip()

    def close(self) -> None:
        self.sock.close()


def _hvparams(guest, **extra):
    kernel, initrd = guest
    hvp = {
        "kvm_flag": "disabled",
        "kvm_path": QEMU,
        "kernel_path": kernel,
        "initrd_path": initrd,
        "root_path": "",
        "kernel_args": "quiet",
        "serial_speed": 115200,
    }
    hvp.update(extra)
    return hvp


def _instance(name, guest, nics=(), port=None, **hvextra):
    return objects.Instance.from_dict(
        {
            "name": name,
            "uuid": str(uuidlib.uuid4()),
            "hypervisor": constants.HT_KVM,
            "hvparams": _hvparams(guest, **hvextra),
            "beparams": {"maxmem": 128, "minmem": 128, "vcpus": 1},
            "nics": list(nics),
            "network_port": port,
        }
    )


def _file_disk(path, size_mib=32):
    with open(path, "wb") as fh:
        fh.truncate(size_mib * 1024 * 1024)
    disk = objects.Disk.from_dict(
        {
            "dev_type": constants.DT_FILE,
            "size": size_mib,
            "mode": "rw",
            "uuid": str(uuidlib.uuid4()),
        }
    )
    return (disk, path, None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _free_vnc_port() -> int:
    for port in range(5900 + os.getpid() % 500, 6900):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free VNC port")


def _wait_gone(hv, name, timeout):
    deadline = time.monotonic() + timeout
    while name in hv.list_instances():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _guest_uptime(serial: Serial) -> float:
    return float(serial.run("cut -d' ' -f1 /proc/uptime"))


# --- tests -----------------------------------------------------------------------------------


def test_boot_console_restart_reboot_and_acpi_shutdown(guest, root, bridge):
    name = "i1.example.com"
    nics = []
    if bridge:
        nics = [
            {
                "mac": "aa:00:00:4b:0a:01",
                "uuid": "nic-1",
                "nicparams": {"mode": "bridged", "link": bridge},
            }
        ]
    vnc_port = _free_vnc_port()
    inst = _instance(name, guest, nics=nics, vnc_bind_address="127.0.0.1", port=vnc_port)
    hv = hv_kvm.KVMHypervisor()
    disk = _file_disk(os.path.join(root, "disk0"), 32)
    started = time.monotonic()
    hv.start_instance(inst, [disk], False)
    assert hv.list_instances() == [name]

    serial = Serial(hv.dirs.serial_socket(name))
    serial.prompt()
    boot_seconds = time.monotonic() - started
    assert b"GUEST-BOOT-OK" in serial.buf
    # the file disk is the guest's virtio disk (32 MiB = 65536 sectors)
    assert serial.run("cat /sys/block/vda/size") == "65536"
    if bridge:
        assert serial.run("cat /sys/class/net/eth0/address") == "aa:00:00:4b:0a:01"
        tap = hv.dirs.load_nics(name)[0]
        assert os.path.basename(os.readlink("/sys/class/net/%s/master" % tap)) == bridge
    # info: pid, memory from the balloon, state from query-status
    iname, pid, memory, vcpus, state, uptime = hv.get_instance_info(name)
    assert (iname, memory, vcpus, state) == (name, 128, 1, hv_kvm.STATE_RUNNING)
    assert rt.is_qemu_of(pid, name) and uptime >= 0
    assert hv.get_instance_status(name) == "running"
    # VNC answers on loopback with the RFB greeting
    with socket.create_connection(("127.0.0.1", vnc_port), timeout=5) as vnc:
        assert vnc.recv(12).startswith(b"RFB 003.")
    # the console command (socat on the serial socket) reaches the shell
    serial.close()
    cons = hv_kvm.KVMHypervisor.get_instance_console(
        inst, objects.Node.from_dict({"name": "node1", "uuid": "n1"}), None, inst.hvparams, {}
    )
    assert _console_roundtrip(cons["command"]) == "42"

    # "noded restart": a new hypervisor object finds the VM through its runtime files
    hv2 = hv_kvm.KVMHypervisor()
    assert hv2.list_instances() == [name]
    assert hv2.get_instance_info(name)[1] == pid
    runtime = hv2.dirs.load(name)
    assert runtime.kvm_cmd[0] == QEMU and runtime.memory == 128
    assert runtime.disks[0][1] == disk[1]
    serial = Serial(hv.dirs.serial_socket(name))
    serial.prompt()
    before = _guest_uptime(serial)
    # soft reboot (system_reset): same qemu, the guest boots again
    hv2.reboot_instance(inst)
    serial.wait_for(b"GUEST-BOOT-OK", 30)
    serial.prompt()
    assert hv2.get_instance_info(name)[1] == pid
    assert _guest_uptime(serial) < before + 30
    # clean shutdown: the ACPI power button, the guest powers off, qemu exits
    hv2.stop_instance(inst, timeout=10)
    serial.wait_for(b"GUEST-POWER-BUTTON", 15)
    assert _wait_gone(hv2, name, 15), "the guest ignored the ACPI power button"
    serial.close()
    hv2.cleanup_instance(name)
    assert not os.path.exists(hv2.dirs.runtime_file(name))
    assert not os.path.exists(hv2.dirs.serial_socket(name))
    if bridge:
        assert not os.path.exists("/sys/class/net/%s" % tap)
    assert boot_seconds < 30


def _console_roundtrip(command) -> str:
    """Runs the console command under a pty, asks the shell for 6*7; the answer."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    try:
        out = b""
        os.write(master, b"\necho $((6*7))X\n")
        deadline = time.monotonic() + 15
        import select

        while b"42X" not in out and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    break
        return "42" if b"42X" in out else out.decode(errors="replace")
    finally:
        proc.terminate()
        proc.wait(5)
        os.close(master)


def test_hard_stop_when_acpi_is_ignored(guest, root):
    """A paused guest can't see the power button: the node's shutdown forces it."""
    from ganeti import backend_instance as bi

    name = "i2.example.com"
    inst = _instance(name, guest)
    hv = hv_kvm.KVMHypervisor()
    hv.start_instance(inst, [_file_disk(os.path.join(root, "disk0"), 8)], True)
    assert hv.get_instance_status(name) in ("prelaunch", "paused")
    hv.stop_instance(inst)  # soft: the power button, unheard
    time.sleep(0.5)
    assert hv.list_instances() == [name]
    inst_dict = dict(inst.to_dict(), disks_info=[])
    started = time.monotonic()
    bi.instance_shutdown(inst_dict, 2, None)  # the node procedure: 2 s, then forced
    assert 1.5 < time.monotonic() - started < 15
    assert hv.list_instances() == []
    assert not os.path.exists(hv.dirs.pid_file(name))


def test_node_procedures_with_a_file_disk(guest, root):
    """instance_start/info/shutdown through backend_instance with a file-storage disk."""
    from ganeti import backend_blockdev as bb
    from ganeti import backend_instance as bi

    name = "i3.example.com"
    inst = _instance(name, guest)
    inst_dir = os.path.join(pathutils.DEFAULT_FILE_STORAGE_DIR, name)
    disk = {
        "uuid": str(uuidlib.uuid4()),
        "dev_type": constants.DT_FILE,
        "logical_id": ["loop", os.path.join(inst_dir, "disk0")],
        "size": 16,
        "iv_name": "disk/0",
        "mode": "rw",
        "params": {},
        "children": [],
    }
    inst_dict = dict(inst.to_dict(), disks_info=[disk])
    bb.file_storage_dir_create(inst_dir)
    bb.blockdev_create(disk, 16, name, True, "", False)
    bb.blockdev_assemble(disk, inst_dict, True, 0)
    bi.instance_start(inst_dict, False, None)
    assert bi.instance_list(["kvm"], {}) == [name]
    serial = Serial(os.path.join(pathutils.KVM_HV_DIR, "ctrl", name + ".serial"))
    serial.prompt()
    assert serial.run("cat /sys/block/vda/size") == "32768"
    info = bi.instance_info(name, "kvm", inst.hvparams)
    assert info["memory"] == 128 and info["vcpus"] == 1 and info["state"] == 0
    assert bi.all_instances_info(["kvm"], {"kvm": inst.hvparams})[name]["memory"] == 128
    started = time.monotonic()
    bi.instance_shutdown(inst_dict, 20, None)  # ACPI: well before the 20 s timeout
    assert time.monotonic() - started < 15
    assert b"GUEST-POWER-BUTTON" in serial.wait_for(b"Power down", 5)
    serial.close()
    assert bi.instance_list(["kvm"], {}) == []
    assert os.listdir(pathutils.DISK_LINKS_DIR) == []
    assert not os.path.exists(os.path.join(pathutils.KVM_HV_DIR, "conf", name + ".runtime"))
    bb.blockdev_remove(disk)


def test_live_migration_between_two_nodes(guest, root):
    """Two runtime roots are two nodes; the disk is on shared storage."""
    name = "i4.example.com"
    port = _free_port()
    inst = _instance(name, guest, migration_port=port, migration_bandwidth=1000)
    node_a = hv_kvm.KVMHypervisor(os.path.join(root, "node-a"))
    node_b = hv_kvm.KVMHypervisor(os.path.join(root, "node-b"))
    shared = os.path.join(root, "shared")
    os.makedirs(shared)
    node_a.start_instance(inst, [_file_disk(os.path.join(shared, "disk0"), 16)], False)
    serial = Serial(node_a.dirs.serial_socket(name))
    serial.prompt()
    serial.run("echo migrated-state > /tmp/marker")
    before = _guest_uptime(serial)
    serial.close()

    info = node_a.migration_info(inst)
    node_b.accept_instance(inst, info, "127.0.0.1")
    assert node_b.get_instance_status(name) == "inmigrate"
    node_a.migrate_instance("cluster.example.com", inst, "127.0.0.1", True)
    deadline = time.monotonic() + 30
    while True:
        status = node_a.get_migration_status(inst)
        if status["status"] != constants.HV_MIGRATION_ACTIVE or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status["status"] == constants.HV_MIGRATION_COMPLETED, status
    assert status["total_ram"] > 0 and status["transferred_ram"] > 0
    node_b.finalize_migration_dst(inst, info, True)
    node_a.finalize_migration_source(inst, True, True)

    assert node_a.list_instances() == [] and node_b.list_instances() == [name]
    assert not os.path.exists(node_a.dirs.runtime_file(name))
    assert node_b.dirs.load(name).run_dir == node_b.dirs.root
    assert node_b.get_instance_status(name) == "running"
    # the same guest keeps running on node B: its state and uptime carried over
    serial = Serial(node_b.dirs.serial_socket(name))
    serial.prompt(15)
    assert serial.run("cat /tmp/marker") == "migrated-state"
    assert _guest_uptime(serial) >= before
    serial.close()
    node_b.stop_instance(inst, force=True)
    node_b.cleanup_instance(name)
    assert node_b.list_instances() == []


def test_failed_migration_keeps_the_source(guest, root):
    name = "i5.example.com"
    inst = _instance(name, guest, migration_port=_free_port())
    node_a = hv_kvm.KVMHypervisor(os.path.join(root, "node-a"))
    node_b = hv_kvm.KVMHypervisor(os.path.join(root, "node-b"))
    node_a.start_instance(inst, [_file_disk(os.path.join(root, "disk0"), 8)], False)
    # nobody listens on the target port: the migration fails
    node_a.migrate_instance("cluster.example.com", inst, "127.0.0.1", False)
    deadline = time.monotonic() + 15
    while node_a.get_migration_status(inst)["status"] == constants.HV_MIGRATION_ACTIVE:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert node_a.get_migration_status(inst)["status"] == constants.HV_MIGRATION_FAILED
    node_b.finalize_migration_dst(inst, "", False)
    node_a.finalize_migration_source(inst, False, False)
    assert node_a.list_instances() == [name]
    assert node_a.get_instance_status(name) == "running"  # resumed after the non-live stop
    with pytest.raises(errors.HypervisorError, match="already running"):
        node_a.start_instance(inst, [], False)
    node_a.cleanup_after_kill(name)
    assert node_a.list_instances() == []


def test_q35_boot_balloon_and_user_shutdown(guest, root):
    """q35 boots; with user_shutdown a guest that powers off stays listed as shut down."""
    name = "i6.example.com"
    inst = _instance(name, guest, machine_type="q35", user_shutdown=True)
    hv = hv_kvm.KVMHypervisor()
    hv.start_instance(inst, [_file_disk(os.path.join(root, "disk0"), 8)], False)
    serial = Serial(hv.dirs.serial_socket(name))
    serial.prompt()
    assert serial.run("cat /sys/block/vda/size") == "16384"
    assert "q35" in hv.dirs.load(name).kvm_cmd
    hv.balloon_instance_memory(inst, 96)
    assert hv.dirs.load(name).memory == 96
    serial.sock.sendall(b"poweroff -f\n")
    serial.wait_for(b"Power down", 15)
    serial.close()
    deadline = time.monotonic() + 10
    while hv.get_instance_status(name) != "shutdown":
        assert time.monotonic() < deadline, hv.get_instance_status(name)
        time.sleep(0.1)
    assert hv.list_instances() == [name]
    assert hv.get_instance_info(name)[4] == hv_kvm.STATE_SHUTDOWN
    hv.stop_instance(inst)  # soft stop of a guest already off: qemu quits
    assert _wait_gone(hv, name, 10)
    hv.cleanup_instance(name)


def test_reboot_with_reboot_behavior_exit_restarts_qemu(guest, root):
    name = "i9.example.com"
    inst = _instance(name, guest, reboot_behavior="exit")
    hv = hv_kvm.KVMHypervisor()
    hv.start_instance(inst, [_file_disk(os.path.join(root, "disk0"), 8)], True)
    old_pid = hv.dirs.alive_pid(name)
    assert "-no-reboot" in rt.process_cmdline(old_pid)
    hv.reboot_instance(inst)
    new_pid = hv.dirs.alive_pid(name)
    assert new_pid and new_pid != old_pid
    assert hv.get_instance_status(name) == "running"
    hv.cleanup_after_kill(name)


def test_vnc_password_and_cpu_pinning(guest, root, tmp_path):
    name = "i10.example.com"
    pw_file = tmp_path / "vnc-password"
    pw_file.write_text("secret\n")
    port = _free_vnc_port()
    inst = _instance(
        name, guest, port=port, vnc_bind_address="127.0.0.1", vnc_password_file=str(pw_file),
        cpu_mask="0",
    )  # fmt: skip
    hv = hv_kvm.KVMHypervisor()
    hv.start_instance(inst, [_file_disk(os.path.join(root, "disk0"), 8)], True)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as vnc:
            assert vnc.recv(12) == b"RFB 003.008\n"
            vnc.sendall(b"RFB 003.008\n")
            count = vnc.recv(1)[0]
            types = vnc.recv(count)
        assert types == b"\x02"  # VNC authentication only: the password is set
        pid = hv.dirs.alive_pid(name)
        for tid in os.listdir("/proc/%d/task" % pid):
            assert os.sched_getaffinity(int(tid)) == {0}
    finally:
        hv.cleanup_after_kill(name)


@pytest.mark.parametrize(
    "hvextra",
    [
        {"disk_type": "ide", "nic_type": "e1000"},
        {"disk_type": "scsi", "scsi_controller_type": "virtio-scsi-pci", "machine_type": "q35"},
        {"disk_type": "ide", "machine_type": "q35", "nic_type": "rtl8139", "use_guest_agent": True},
        {
            "disk_cache": "none",
            "disk_aio": "native",
            "reboot_behavior": "exit",
            "user_shutdown": True,
        },
    ],
)
def test_qemu_accepts_the_command_line(guest, root, bridge, hvextra):
    """qemu starts (paused) with these device combinations."""
    name = "i7.example.com"
    nics = []
    if bridge:
        nics = [{"mac": "aa:00:00:4b:0a:07", "nicparams": {"mode": "bridged", "link": bridge}}]
    inst = _instance(name, guest, nics=nics, **hvextra)
    hv = hv_kvm.KVMHypervisor()
    hv.start_instance(inst, [_file_disk(os.path.join(root, "disk0"), 8)], True)
    try:
        assert hv.get_instance_status(name) == "prelaunch"
    finally:
        hv.cleanup_after_kill(name)
    assert hv.list_instances() == []


def test_start_errors_are_clear(guest, root):
    hv = hv_kvm.KVMHypervisor()
    inst = _instance("i8.example.com", guest, kvm_extra="-no-such-option")
    with pytest.raises(
        errors.HypervisorError, match="Failed to start instance i8.example.com.*no-such-option"
    ):
        hv.start_instance(inst, [_file_disk(os.path.join(root, "disk0"), 8)], False)
    assert hv.list_instances() == []
    nic = {"mac": "aa:00:00:4b:0a:08", "nicparams": {"mode": "bridged", "link": "no-such-br0"}}
    inst = _instance("i8.example.com", guest, nics=[nic])
    with pytest.raises(errors.HypervisorError, match="Bridge 'no-such-br0'"):
        hv.start_instance(inst, [_file_disk(os.path.join(root, "disk0"), 8)], False)
    with pytest.raises(errors.HypervisorError, match="too long"):
        hv.start_instance(_instance("x" * 100 + ".example.com", guest), [], False)
