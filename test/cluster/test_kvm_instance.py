"""KVM instances (qemu, TCG) through the whole stack on a 3-node virtual cluster.

``gnt-cluster init --enabled-hypervisors=fake,kvm`` with the test guest of
test/py/test_hv_kvm_boot.py (kernel + initramfs: busybox shell on the
serial console, acpid for the power button) as the cluster's kvm kernel.
Every step is a real gnt-* command on the master; the guest is reached the
way an operator reaches it, by running what ``gnt-instance console
--show-cmd`` prints (ssh to the primary, socat on the serial socket) under
a pseudo-terminal:

- a ``file`` instance boots, its console shows the guest prompt and the
  disk, ``gnt-instance shutdown`` powers it off through ACPI (the guest's
  acpid reacts, well before the timeout), it starts again;
- a ``sharedfile`` instance is live-migrated to another node and back:
  the guest keeps its memory (a file written in its tmpfs before is read
  after), the new primary shows in ``gnt-instance list``, the source node
  no longer runs it; ``gnt-node migrate`` moves every primary instance;
- a fake ``sharedfile`` instance is failed over;
- refused requests (file instance, unknown node, its own node, stopped
  instance) leave config.data as it was; everything is removed at the end.

Skipped, saying why, without root/namespaces, qemu, socat or the guest.
"""

import fcntl
import json
import os
import re
import subprocess
import time

import pytest

from vcluster_fixture import CHECKOUT, PYTHON, TOOL, VCluster, unavailable_reason

pytestmark = pytest.mark.cluster

OS = "dummy+fast"
IPOLICY = (
    "min:disk-size=1,disk-count=0,memory-size=16,cpu-count=1,nic-count=0,spindle-use=0/"
    "max:disk-size=1048576,disk-count=16,memory-size=1048576,cpu-count=8,nic-count=8,"
    "spindle-use=12"
)
SHARED_DIR = "/srv/ganeti/shared-file-storage"

#: runs the console command (argv[1]) under a pty in a node: waits for the
#: guest prompt (pressing Enter), types argv[2], waits for argv[3]
CONSOLE = r"""
import json, os, pty, select, shlex, signal, sys, time
cmd, command, expect = shlex.split(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
deadline = time.monotonic() + float(sys.argv[4])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
buf, last, mark, ok = b"", 0.0, None, False
while time.monotonic() < deadline and not ok:
    if mark is None:
        if b"guest# " in buf:
            mark = len(buf)
            os.write(fd, command.encode() + b"\r")
        elif time.monotonic() - last > 1.0:
            os.write(fd, b"\r")
            last = time.monotonic()
    elif expect in buf[mark:].replace(command.encode(), b""):
        ok = True
        break
    if select.select([fd], [], [], 0.2)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            break
        buf += data
os.write(fd, b"\x1d")
time.sleep(0.1)
try:
    os.kill(pid, signal.SIGKILL)
except ProcessLookupError:
    pass
os.waitpid(pid, 0)
print(json.dumps({"ok": ok, "out": buf[-1500:].decode(errors="replace")}))
"""

#: reads a serial socket until qemu closes it (or argv[2] seconds pass)
SERIAL_READER = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
print("CONNECTED", flush=True)
s.settimeout(float(sys.argv[2]))
buf = b""
try:
    while True:
        data = s.recv(65536)
        if not data:
            break
        buf += data
except socket.timeout:
    pass
sys.stdout.write(buf.decode(errors="replace"))
"""

#: instances the kvm hypervisor of a node runs (its own runtime directory)
KVM_RUNNING = """
from ganeti.hypervisor import hv_kvm
print(json.dumps(sorted(hv_kvm.KVMHypervisor().list_instances())))
"""


# --- fixtures -----------------------------------------------------------------------------------


def _guest_files() -> tuple[str, str]:
    """(kernel, initrd) of test_hv_kvm_boot's guest, built once and cached; skips if impossible."""
    if os.geteuid() != 0:
        pytest.skip("KVM cluster test needs root")
    import test_hv_kvm_boot as kb

    for tool in (kb.QEMU, "/usr/bin/socat"):
        if not os.access(tool, os.X_OK):
            pytest.skip("%s is not installed (apt-get install qemu-system-x86 socat)" % tool)
    if not os.path.exists(kb.BUILD_SCRIPT):
        pytest.skip("the guest build script %s is missing" % kb.BUILD_SCRIPT)
    out = os.path.join(kb.CACHE_ROOT, kb._guest_key())
    kernel, initrd = os.path.join(out, "vmlinuz"), os.path.join(out, "initrd-test.gz")
    os.makedirs(kb.CACHE_ROOT, exist_ok=True)
    with open(os.path.join(kb.CACHE_ROOT, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(initrd):
            try:
                kb._build_guest(out)
            except (RuntimeError, OSError, subprocess.SubprocessError) as err:
                pytest.skip("can't build the test guest with %s: %s" % (kb.BUILD_SCRIPT, err))
    return kernel, initrd


def gnt(vc: VCluster, *argv: str, check: bool = False) -> tuple[int, str, str]:
    res = vc.exec(1, *argv, check=False)
    out, err = res.stdout.decode(), res.stderr.decode()
    if check and res.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (" ".join(argv), res.returncode, out, err))
    return res.returncode, out, err


@pytest.fixture(scope="module")
def vc():
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    kernel, initrd = _guest_files()  # /var/tmp is the host's inside every node
    cluster = VCluster(nodes=3, prefix="kv%d" % (os.getpid() % 100000), sshd=True)
    cluster.up()
    try:
        subprocess.run([os.path.join(CHECKOUT, "tools", "install-test-os")], check=True)
        for k in range(1, cluster.nodes + 1):
            cluster.exec(
                k, "sh", "-c",
                "printf '/srv/ganeti/file-storage\\n%s\\n' > /etc/ganeti/file-storage-paths"
                " && ip link add br0 type bridge && ip link set br0 up" % SHARED_DIR,
            )  # fmt: skip
        hv = (
            "kvm:kernel_path=%s,initrd_path=%s,kvm_flag=disabled,serial_console=true,"
            "serial_speed=115200,root_path=,kernel_args=quiet,migration_bandwidth=1000,"
            "migration_downtime=100" % (kernel, initrd)
        )
        gnt(
            cluster, "gnt-cluster", "init", "--enabled-hypervisors=fake,kvm", "-H", hv,
            "--enabled-disk-templates=diskless,file,sharedfile", "--master-netdev=eth0",
            "--ipolicy-bounds-specs", IPOLICY, "-N", "link=br0", "cluster." + cluster.domain,
            check=True,
        )  # fmt: skip
        for name in cluster.names[1:]:
            gnt(cluster, "gnt-node", "add", name, check=True)
        yield cluster
    finally:
        cluster.down()


# --- helpers ----------------------------------------------------------------------------------


def _add(vc, name, template, node, hv="kvm"):
    gnt(vc, "gnt-instance", "add", "-t", template, "-s", "32M", "-o", OS, "-H", hv,
        "-B", "maxmem=128,minmem=128", "-n", node, "--no-name-check", "--no-ip-check", name,
        check=True)  # fmt: skip


def _listing(vc) -> dict[str, list[str]]:
    _, out, _ = gnt(vc, "gnt-instance", "list", "--no-headers", "--separator=|",
                    "-o", "name,pnode,status,hypervisor,disk_template", check=True)  # fmt: skip
    return {line.split("|")[0]: line.split("|")[1:] for line in out.splitlines() if line}


def _config(vc) -> bytes:
    return vc.exec(1, "cat", "/var/lib/ganeti/config.data").stdout


def _node_index(vc, name: str) -> int:
    return vc.names.index(name) + 1


def _console(vc, name, command="", expect="guest# ", timeout=60.0) -> str:
    """Runs ``gnt-instance console --show-cmd``'s command on the master; the guest's reply."""
    _, cmd, _ = gnt(vc, "gnt-instance", "console", "--show-cmd", name, check=True)
    assert "socat" in cmd and ".serial" in cmd, cmd
    res = vc.exec(1, PYTHON, "-c", CONSOLE, cmd.strip(), command, expect, str(timeout))
    answer = json.loads(res.stdout.decode().strip().splitlines()[-1])
    assert answer["ok"], "no %r on the console of %s: %r" % (expect, name, answer["out"])
    return answer["out"]


def _serial_socket(vc, name) -> str:
    _, cmd, _ = gnt(vc, "gnt-instance", "console", "--show-cmd", name, check=True)
    return re.search(r"UNIX-CONNECT:([^' ]+)", cmd).group(1)


def _kvm_running(vc, k: int) -> list[str]:
    return vc.python(k, KVM_RUNNING)


def _refused(vc, argv, message):
    before = _config(vc)
    code, out, err = gnt(vc, *argv)
    assert code != 0 and message in out + err, (argv, out, err)
    assert "Traceback" not in out + err
    assert _config(vc) == before, "refused %s changed config.data" % " ".join(argv)


# --- tests ------------------------------------------------------------------------------------


def test_file_instance_boots_console_acpi_shutdown(vc):
    name, node = "k1." + vc.domain, vc.names[1]
    _add(vc, name, "file", node)
    assert _listing(vc)[name] == [node, "running", "kvm", "file"]
    out = _console(vc, name, "cat /sys/block/vda/size", "65536")  # 32 MiB in sectors
    assert "guest# " in out

    # the power button: the guest's acpid powers it off; qemu exits, the socket closes
    k = _node_index(vc, node)
    reader = subprocess.Popen(
        [TOOL, "exec", str(k), PYTHON, "-c", SERIAL_READER, _serial_socket(vc, name), "60"],
        env=vc.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert reader.stdout.readline().strip() == b"CONNECTED"
        start = time.monotonic()
        gnt(vc, "gnt-instance", "shutdown", "--timeout=60", name, check=True)
        took = time.monotonic() - start
        seen = reader.communicate(timeout=30)[0].decode(errors="replace")
    finally:
        if reader.poll() is None:
            reader.kill()
    assert "GUEST-POWER-BUTTON" in seen and "Power down" in seen, seen[-800:]
    assert took < 30, "the shutdown waited for its timeout (%.1f s): not a clean ACPI stop" % took
    assert _listing(vc)[name][1] == "ADMIN_down"
    assert name not in _kvm_running(vc, k)

    _refused(vc, ["gnt-instance", "migrate", "-f", "-n", vc.names[2], name],
             "Instance's disk layout 'file' does not allow migrations")  # fmt: skip
    gnt(vc, "gnt-instance", "startup", name, check=True)
    assert _listing(vc)[name][1] == "running"
    _console(vc, name, "echo again-$((40+2))", "again-42")
    _refused(vc, ["gnt-instance", "migrate", "-f", "-n", vc.names[2], name],
             "Instance's disk layout 'file' does not allow migrations")  # fmt: skip
    _refused(vc, ["gnt-instance", "failover", "-f", "-n", vc.names[2], name],
             "Instance's disk layout 'file' does not allow failovers")  # fmt: skip
    gnt(vc, "gnt-instance", "remove", "-f", "--shutdown-timeout=20", name, check=True)
    assert name not in _listing(vc)


def test_sharedfile_live_migration_keeps_the_guest_running(vc):
    name, source, target = "s1." + vc.domain, vc.names[1], vc.names[2]
    _add(vc, name, "sharedfile", source)
    # the guest writes to its tmpfs: only its memory carries this across nodes
    _console(vc, name, "echo state-$((6*7)) > /tmp/marker; echo written", "written")

    _refused(vc, ["gnt-instance", "migrate", "-f", "-n", "nosuch." + vc.domain, name],
             "not known")  # fmt: skip
    _refused(vc, ["gnt-instance", "migrate", "-f", "-n", source, name],
             "to its primary")  # fmt: skip

    code, out, err = gnt(vc, "gnt-instance", "migrate", "-f", "-n", target, name, check=True)
    for line in (
        "Migrating instance %s" % name,
        "* checking disk consistency between source and target",
        "* preparing %s to accept the instance" % target,
        "* migrating instance to %s" % target,
        "* done",
    ):
        assert line in out, out
    assert _listing(vc)[name] == [target, "running", "kvm", "sharedfile"]
    assert name in _kvm_running(vc, _node_index(vc, target))
    assert name not in _kvm_running(vc, _node_index(vc, source))
    _, cmd, _ = gnt(vc, "gnt-instance", "console", "--show-cmd", name, check=True)
    assert target in cmd
    _console(vc, name, "cat /tmp/marker", "state-42")

    # back, non-live, through gnt-node migrate (one job per primary instance)
    code, out, err = gnt(vc, "gnt-node", "migrate", "-f", "--non-live", "-n", vc.names[0], target,
                         check=True)  # fmt: skip
    assert "All instances migrated successfully." in out
    assert _listing(vc)[name][:2] == [vc.names[0], "running"]
    _console(vc, name, "cat /tmp/marker", "state-42")

    gnt(vc, "gnt-instance", "shutdown", "--timeout=30", name, check=True)
    _refused(vc, ["gnt-instance", "migrate", "-f", "-n", target, name],
             "Can't migrate, please use failover")  # fmt: skip
    gnt(vc, "gnt-instance", "remove", "-f", name, check=True)


def test_failover_of_fake_sharedfile_instance(vc):
    name, source, target = "f1." + vc.domain, vc.names[0], vc.names[2]
    _add(vc, name, "sharedfile", source, hv="fake")
    code, out, err = gnt(vc, "gnt-instance", "failover", "-f", "-n", target, name, check=True)
    assert "* starting the instance on the target node %s" % target in out
    assert _listing(vc)[name] == [target, "running", "fake", "sharedfile"]
    gnt(vc, "gnt-instance", "remove", "-f", name, check=True)


def test_everything_removed(vc):
    assert _listing(vc) == {}
    for k in range(1, vc.nodes + 1):
        assert _kvm_running(vc, k) == []
    leftovers = vc.exec(1, "find", SHARED_DIR, "/srv/ganeti/file-storage", "-mindepth", "1")
    assert leftovers.stdout.decode().split() == []
