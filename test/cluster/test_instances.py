"""Instances on a 3-node virtual cluster: the whole life of fake instances.

``gnt-cluster init`` and ``gnt-node add`` build the cluster; 30 instances
(diskless and file-backed, OS "dummy" from tools/install-test-os) are
created across the nodes, started, stopped, rebooted, modified, renamed
and removed with the real gnt-* commands; a node daemon restart keeps them
running and reported; bad input is refused leaving config.data and the
file storage untouched; Debian's hail places instances when installed.
"""

import os
import subprocess

import pytest

from vcluster_fixture import CHECKOUT, VCluster, unavailable_reason

pytestmark = pytest.mark.cluster

HAIL = "/usr/lib/ganeti/3.0/usr/lib/ganeti/iallocators/hail"
OS = "dummy+fast"
# small disks and memory are fine on this test cluster (as on the sample one)
IPOLICY = (
    "min:disk-size=1,disk-count=0,memory-size=16,cpu-count=1,nic-count=0,spindle-use=0/"
    "max:disk-size=1048576,disk-count=16,memory-size=1048576,cpu-count=8,nic-count=8,"
    "spindle-use=12"
)


def _missing_commands() -> str | None:
    for module in ("gnt_cluster", "gnt_node", "gnt_instance", "gnt_os"):
        if not os.path.exists(os.path.join(CHECKOUT, "lib", "ganeti", "client", module + ".py")):
            return "%s is not written yet (lib/ganeti/client/%s.py missing)" % (
                module.replace("_", "-"),
                module,
            )
    return None


def build_cluster(vc: VCluster) -> None:
    """init on node 1, nodes 2.. added, br0 bridges, file storage paths, dummy OS."""
    subprocess.run([os.path.join(CHECKOUT, "tools", "install-test-os")], check=True)
    for k in range(1, vc.nodes + 1):
        vc.exec(
            k,
            "sh",
            "-c",
            "printf '/srv/ganeti/file-storage\\n/srv/ganeti/shared-file-storage\\n'"
            " > /etc/ganeti/file-storage-paths && ip link add br0 type bridge",
        )
    gnt(
        vc,
        "gnt-cluster", "init", "--enabled-hypervisors=fake",
        "--enabled-disk-templates=diskless,file,sharedfile,blockdev", "--master-netdev=eth0",
        "--ipolicy-bounds-specs", IPOLICY, "-N", "link=br0", "cluster." + vc.domain,
        check=True,
    )  # fmt: skip
    for name in vc.names[1:]:
        gnt(vc, "gnt-node", "add", name, check=True)


def gnt(vc: VCluster, *argv: str, check: bool = False) -> tuple[int, str, str]:
    res = vc.exec(1, *argv, check=False)
    out, err = res.stdout.decode(), res.stderr.decode()
    if check and res.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (" ".join(argv), res.returncode, out, err))
    return res.returncode, out, err


@pytest.fixture(scope="module")
def vc():
    reason = unavailable_reason() or _missing_commands()
    if reason:
        pytest.skip(reason)
    cluster = VCluster(nodes=3, sshd=True)
    cluster.up()
    try:
        build_cluster(cluster)
        yield cluster
    finally:
        cluster.down()


def _add(vc, name, node, template="diskless", *extra, check=True):
    args = ["gnt-instance", "add", "-t", template, "-o", OS, "-n", node, "--no-name-check",
            "--no-ip-check", "-B", "maxmem=64"]  # fmt: skip
    if template == "file":
        args += ["-s", "16M"]
    return gnt(vc, *(args + list(extra) + [name]), check=check)


def _listing(vc, *args) -> dict[str, list[str]]:
    _, out, _ = gnt(vc, "gnt-instance", "list", "--no-headers", "--separator=|", *args, check=True)
    return {line.split("|")[0]: line.split("|")[1:] for line in out.splitlines() if line}


def _config(vc) -> bytes:
    return vc.exec(1, "cat", "/var/lib/ganeti/config.data").stdout


def _files(vc) -> dict[int, list[str]]:
    result = {}
    for k in range(1, vc.nodes + 1):
        out = vc.exec(k, "find", "/srv/ganeti/file-storage", "-mindepth", "1").stdout.decode()
        result[k] = sorted(out.split())
    return result


def test_os_commands(vc):
    code, out, _ = gnt(vc, "gnt-os", "list", check=True)
    assert out.split() == ["Name", "dummy+default", "dummy+fast"]
    code, out, _ = gnt(vc, "gnt-os", "diagnose")
    assert code == 0 and "OS: dummy [global status: valid]" in out
    assert out.count("status: valid (path: /srv/ganeti/os/dummy)") == 3
    gnt(vc, "gnt-os", "modify", "--hidden=yes", "dummy", check=True)
    assert gnt(vc, "gnt-os", "list", check=True)[1].split() == ["Name"]
    code, out, _ = gnt(vc, "gnt-os", "info", "dummy", check=True)
    assert "  - hidden: True" in out and "    - fast" in out
    gnt(vc, "gnt-os", "modify", "--hidden=no", "-O", "marker=cluster", "dummy", check=True)
    assert "    - marker: cluster" in gnt(vc, "gnt-os", "info", "dummy", check=True)[1]


def test_thirty_instances_lifecycle(vc):
    names = ["i%02d.%s" % (i, vc.domain) for i in range(30)]
    for idx, name in enumerate(names):
        _add(vc, name, vc.names[idx % 3], "file" if idx % 3 == 0 else "diskless")
    rows = _listing(vc, "-o", "name,pnode,status,oper_ram,disk_template")
    assert sorted(rows) == names
    for idx, name in enumerate(names):
        pnode, status, ram, template = rows[name]
        assert (pnode, status, ram) == (vc.names[idx % 3], "running", "64")
        assert template == ("file" if idx % 3 == 0 else "diskless")
    files = _files(vc)  # the 10 file instances are on node 1: a directory and a disk each
    assert len(files[1]) == 20 and files[2] == files[3] == []

    stopped = names[:10]
    gnt(vc, "gnt-instance", "shutdown", "--timeout=10", "--force-multiple", *stopped, check=True)
    code, out, _ = gnt(
        vc, "gnt-instance", "list", "-o", "name,pnode,status,oper_ram", "--filter",
        'status == "running"', check=True,
    )  # fmt: skip
    lines = out.splitlines()
    assert lines[0].split() == ["Instance", "Primary_node", "Status", "Memory"]
    assert [ln.split()[0] for ln in lines[1:]] == names[10:]
    assert all(ln.split()[2:] == ["running", "64M"] for ln in lines[1:])
    rows = _listing(vc, "-o", "name,status,oper_ram")
    assert all(rows[n] == ["ADMIN_down", "-"] for n in stopped)

    gnt(vc, "gnt-instance", "startup", "--force-multiple", *stopped[:5], check=True)
    for kind in ("soft", "hard", "full"):
        gnt(vc, "gnt-instance", "reboot", "-t", kind, names[12], check=True)
    gnt(vc, "gnt-instance", "modify", "-B", "maxmem=128", names[13], check=True)
    gnt(vc, "gnt-instance", "reboot", names[13], check=True)
    rows = _listing(vc, "-o", "name,status,oper_ram,be/maxmem")
    assert rows[names[13]] == ["running", "128", "128"]
    assert rows[names[12]][0] == "running"
    assert all(rows[n][0] == "running" for n in stopped[:5])

    renamed = {}
    for old in stopped[5:]:
        new = "r-" + old
        gnt(vc, "gnt-instance", "rename", "--no-name-check", "--no-ip-check", old, new, check=True)
        renamed[old] = new
    rows = _listing(vc, "-o", "name,status")
    assert all(new in rows and old not in rows for old, new in renamed.items())
    file_renamed = [new for old, new in renamed.items() if names.index(old) % 3 == 0]
    for name in file_renamed:  # the disk directory follows the name
        node = 1 + names.index(name[2:]) % 3
        assert any(f.endswith("/" + name) for f in _files(vc)[node])

    code, out, _ = gnt(vc, "gnt-instance", "info", names[0], check=True)
    assert "Disk template: file" in out and "actual state is up" in out

    for name in sorted(_listing(vc, "-o", "name")):
        gnt(vc, "gnt-instance", "remove", "-f", "--shutdown-timeout=10", name, check=True)
    assert _listing(vc, "-o", "name") == {}
    assert _files(vc) == {1: [], 2: [], 3: []}


def test_noded_restart_keeps_instances_running(vc):
    names = ["keep%d.%s" % (i, vc.domain) for i in range(3)]
    for idx, name in enumerate(names):
        _add(vc, name, vc.names[1], "file" if idx == 0 else "diskless")
    pid = vc.noded_pid(2)
    vc.exec(2, "kill", str(pid))
    vc.exec(2, "sh", "-c", "while kill -0 %d 2>/dev/null; do sleep 0.1; done" % pid)
    vc.start_noded(2)
    rows = _listing(vc, "-o", "name,status,oper_ram")
    assert vc.noded_pid(2) != pid
    assert all(rows[n] == ["running", "64"] for n in names)
    for name in names:
        gnt(vc, "gnt-instance", "remove", "-f", name, check=True)


def test_bad_input_leaves_nothing(vc):
    _add(vc, "taken." + vc.domain, vc.names[0])
    before, files = _config(vc), _files(vc)
    _, out, _ = gnt(vc, "gnt-node", "list", "--no-headers", "--units=m", "-o", "mfree,dfree",
                    vc.names[1], check=True)  # fmt: skip
    mfree, dfree = [int(v) for v in out.split()]
    cases = [
        (["-o", "nosuchos"], "OS 'nosuchos' not in supported OS list"),
        (["-B", "maxmem=%d" % (mfree + 1024)], "Not enough memory on node"),
        (["-t", "file", "--disk", "0:size=%dM" % (dfree + 10240)], "Not enough disk space"),
        (["-H", "fake:migration_mode=live"], "global and cannot be set at instance level"),
        (["-H", "fake:bogus=1"], "Unknown parameter 'bogus'"),
        (["-t", "plain", "-s", "1G"], "not enabled in cluster"),
    ]
    for extra, message in cases:
        args = ["gnt-instance", "add", "-n", vc.names[1], "--no-name-check", "--no-ip-check"]
        if "-t" not in extra:
            args += ["-t", "diskless"]
        if "-o" not in extra:
            args += ["-o", OS]
        code, out, err = gnt(vc, *(args + extra + ["bad." + vc.domain]))
        assert code != 0 and message in out + err, (extra, out, err)
        assert "Traceback" not in out + err
    code, out, err = _add(vc, "taken." + vc.domain, vc.names[1], check=False)
    assert code != 0 and "already in the cluster" in out + err
    assert _config(vc) == before, "a refused add changed config.data"
    assert _files(vc) == files, "a refused add left disk files"
    gnt(vc, "gnt-instance", "remove", "-f", "taken." + vc.domain, check=True)


@pytest.mark.skipif(not os.access(HAIL, os.X_OK), reason="Debian's hail is not installed")
def test_iallocator_hail_and_cluster_default(vc):
    code, out, err = gnt(vc, "gnt-instance", "add", "-t", "diskless", "-o", OS, "-I", "hail",
                         "--no-name-check", "--no-ip-check", "ia1." + vc.domain, check=True)  # fmt: skip
    assert "via iallocator hail" in out
    gnt(vc, "gnt-cluster", "modify", "-I", "hail", check=True)
    gnt(vc, "gnt-instance", "add", "-t", "file", "-s", "16M", "-o", OS, "--no-name-check",
        "--no-ip-check", "ia2." + vc.domain, check=True)  # fmt: skip
    rows = _listing(vc, "-o", "name,pnode,status")
    assert rows["ia1." + vc.domain][1] == rows["ia2." + vc.domain][1] == "running"
    assert rows["ia2." + vc.domain][0] in vc.names
    for name in ("ia1", "ia2"):
        gnt(vc, "gnt-instance", "remove", "-f", name + "." + vc.domain, check=True)
