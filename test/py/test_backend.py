"""Tests for ganeti.backend and ganeti.backend_verify (node-side procedures)."""

import hashlib
import os
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from ganeti import backend, backend_verify, constants, errors, pathutils
from ganeti.rpc import encoding
from ganeti.utils import x509

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def root(tmp_path):
    pathutils.set_root(str(tmp_path))
    for d in (pathutils.DATA_DIR, pathutils.CONF_DIR, pathutils.RUN_DIR, pathutils.LOG_DIR):
        os.makedirs(d, exist_ok=True)
    yield tmp_path
    pathutils.set_root("")


def _details(path_in_root: str, data: bytes, mode: int = 0o640) -> list:
    return [path_in_root, encoding.compress(data), mode, "root", "root", 1000000.0, 2000000.0]


def test_version_and_boot_id():
    assert backend.get_version() == constants.PROTOCOL_VERSION
    boot_id = backend.get_boot_id()
    assert len(boot_id) == 36 and boot_id == open("/proc/sys/kernel/random/boot_id").read().strip()


def test_node_info(root):
    storage = str(root / "file-storage")
    os.makedirs(storage)
    bootid, su, hv = backend.get_node_info(
        [[constants.ST_FILE, storage, []], [constants.ST_SHARED_FILE, storage, []]],
        [[constants.HT_FAKE, {}]],
    )
    st = os.statvfs(storage)
    assert bootid == backend.get_boot_id()
    assert su[0]["type"] == "file" and su[0]["name"] == storage
    assert su[0]["storage_size"] == st.f_blocks * st.f_frsize // 2**20
    assert abs(su[0]["storage_free"] - st.f_bavail * st.f_frsize // 2**20) < 64
    assert su[1]["type"] == "sharedfile"
    total_kib = int(open("/proc/meminfo").readline().split()[1])
    assert hv[0]["memory_total"] == total_kib // 1024
    assert hv[0]["cpu_total"] == os.cpu_count()
    assert set(hv[0]) >= {"memory_free", "memory_dom0", "cpu_nodes", "cpu_sockets", "cpu_dom0"}


def test_node_info_failures(root):
    with pytest.raises(backend.RPCFail, match="can't|Can't"):
        backend.get_node_info([[constants.ST_FILE, str(root / "missing"), []]], [])
    with pytest.raises(backend.RPCFail, match="not supported"):
        backend.get_node_info([[constants.ST_DISKLESS, "x", []]], [])
    with pytest.raises(backend.RPCFail, match="Invalid storage unit"):
        backend.get_node_info([["file"]], [])
    with pytest.raises(backend.RPCFail):
        backend.get_node_info([[constants.ST_LVM_VG, "no-such-vg-here", [False]]], [])
    with pytest.raises(backend.RPCFail, match="Unknown hypervisor"):
        backend.get_node_info([], [["no-such-hv", {}]])


def test_fake_instances_use_memory(root):
    base = backend.get_node_info([], [[constants.HT_FAKE, {}]])[2][0]
    os.makedirs(pathutils.FAKE_HV_DIR)
    with open(os.path.join(pathutils.FAKE_HV_DIR, "inst1"), "w") as fh:
        fh.write("inst1\n512\n1\n")
    info = backend.get_node_info([], [[constants.HT_FAKE, {}]])[2][0]
    assert abs((base["memory_free"] - info["memory_free"]) - 512) < 64


def test_upload_file_whitelist(root):
    data = b"{}" * 1000
    backend.upload_file(*_details(pathutils.CLUSTER_CONF_FILE, data))
    st = os.stat(pathutils.CLUSTER_CONF_FILE)
    assert open(pathutils.CLUSTER_CONF_FILE, "rb").read() == data
    assert (
        stat.S_IMODE(st.st_mode) == 0o640 and st.st_mtime == 2000000.0 and st.st_atime == 1000000.0
    )
    backend.upload_file(*_details(pathutils.RAPI_USERS_FILE, b"user pw\n", 0o600))
    assert open(pathutils.RAPI_USERS_FILE).read() == "user pw\n"
    for bad in (
        pathutils.ssconf_file("master_node"),
        "/etc/passwd",
        pathutils.FILE_STORAGE_PATHS_FILE,
    ):
        with pytest.raises(backend.RPCFail, match="not in allowed upload targets"):
            backend.upload_file(*_details(bad, b"x"))
    with pytest.raises(backend.RPCFail, match="not absolute"):
        backend.upload_file(*_details("relative/path", b"x"))
    with pytest.raises(backend.RPCFail, match="Invalid content"):
        backend.upload_file(pathutils.CLUSTER_CONF_FILE, [9, "x"], 0o600, "root", "root", 0, 0)
    with pytest.raises(backend.RPCFail, match="Unknown user"):
        backend.upload_file(
            *(_details(pathutils.CLUSTER_CONF_FILE, b"x")[:3] + ["no-such-user", "root", 0, 0])
        )
    assert pathutils.CLUSTER_CONF_FILE in backend.allowed_upload_files()


def test_write_ssconf_files(root):
    backend.write_ssconf_files(
        {"master_node": "node1.example.com", "node_list": "node1\nnode2", "hvparams_fake": ""}
    )
    path = pathutils.ssconf_file("master_node")
    assert open(path).read() == "node1.example.com\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == constants.SS_FILE_PERMS
    assert open(pathutils.ssconf_file("node_list")).read() == "node1\nnode2\n"
    assert open(pathutils.ssconf_file("hvparams_fake")).read() == ""
    assert backend.get_master_node_name() == "node1.example.com"
    with pytest.raises(backend.RPCFail, match="Invalid ssconf key"):
        backend.write_ssconf_files({"../../etc/passwd": "x"})
    with pytest.raises(backend.RPCFail, match="too large"):
        backend.write_ssconf_files({"node_list": "x" * (constants.SS_MAX_FILE_SIZE + 1)})
    assert "cluster_name" in backend.valid_ssconf_keys()
    assert "hvparams_kvm" in backend.valid_ssconf_keys()


def test_master_node_name_missing(root):
    with pytest.raises(backend.RPCFail, match="no master information"):
        backend.get_master_node_name()


def test_job_queue_replica(root):
    job1 = pathutils.job_file(1)
    backend.jobqueue_update(job1, encoding.compress(b'{"id": 1}' * 100))
    assert open(job1, "rb").read() == b'{"id": 1}' * 100
    assert stat.S_IMODE(os.stat(job1).st_mode) == 0o640
    backend.jobqueue_update(pathutils.JOB_QUEUE_SERIAL_FILE, encoding.compress("1\n"))
    archived = pathutils.job_file(1, archived=True)
    backend.jobqueue_rename([[job1, archived]])
    assert not os.path.exists(job1) and os.path.exists(archived)
    for bad in (
        "/etc/passwd",
        "relative/job-1",
        pathutils.QUEUE_DIR,
        pathutils.QUEUE_DIR + "/../config.data",
        pathutils.DATA_DIR + "/queue-evil/job-1",
    ):
        with pytest.raises(backend.RPCFail):
            backend.jobqueue_update(bad, encoding.compress("x"))
    with pytest.raises(backend.RPCFail):
        backend.jobqueue_rename([[archived, "/tmp/stolen"]])
    backend.jobqueue_set_drain_flag(True)
    assert os.path.exists(pathutils.JOB_QUEUE_DRAIN_FILE)
    backend.jobqueue_set_drain_flag(False)
    assert not os.path.exists(pathutils.JOB_QUEUE_DRAIN_FILE)
    open(pathutils.JOB_QUEUE_LOCK_FILE, "w").close()
    backend.jobqueue_purge()
    assert os.listdir(pathutils.QUEUE_DIR) == ["lock"]


def _script(path, body: str, mode: int = 0o755) -> None:
    with open(path, "w") as fh:
        fh.write("#!/bin/sh\n" + textwrap.dedent(body))
    os.chmod(path, mode)


def test_hooks_runner(root):
    hooks = os.path.join(pathutils.HOOKS_BASE_DIR, "instance-start-pre.d")
    os.makedirs(hooks)
    _script(
        os.path.join(hooks, "10-ok"),
        'echo "hello $GANETI_INSTANCE_NAME"; echo "home=${HOME:-unset}"\n',
    )
    _script(os.path.join(hooks, "20-fail"), "echo broken >&2; exit 3\n")
    _script(os.path.join(hooks, "30-noexec"), "exit 0\n", mode=0o644)
    _script(os.path.join(hooks, "40-dot.sh"), "exit 0\n")
    os.makedirs(os.path.join(hooks, "50-dir"))
    env = {"GANETI_INSTANCE_NAME": "inst1", "PATH": constants.HOOKS_PATH}
    res = backend.run_hooks("instance-start", "pre", env)
    assert res == [
        ("instance-start-pre.d/10-ok", constants.HKR_SUCCESS, "hello inst1\nhome=unset"),
        ("instance-start-pre.d/20-fail", constants.HKR_FAIL, "broken"),
        ("instance-start-pre.d/30-noexec", constants.HKR_SKIP, ""),
        ("instance-start-pre.d/40-dot.sh", constants.HKR_SKIP, ""),
        ("instance-start-pre.d/50-dir", constants.HKR_SKIP, ""),
    ]
    assert backend.run_hooks("instance-start", "post", env) == []
    with pytest.raises(backend.RPCFail, match="Unknown hooks phase"):
        backend.run_hooks("instance-start", "middle", env)
    with pytest.raises(backend.RPCFail, match="Invalid hooks path"):
        backend.run_hooks("../../etc", "pre", env)


def test_hooks_time_budget(root):
    hooks = os.path.join(pathutils.HOOKS_BASE_DIR, "cluster-verify-post.d")
    os.makedirs(hooks)
    _script(os.path.join(hooks, "a-slow"), "sleep 5\n")
    _script(os.path.join(hooks, "b-next"), "exit 0\n")
    start = time.monotonic()
    res = backend.run_hooks("cluster-verify", "post", {}, timeout=0.5)
    assert time.monotonic() - start < 3
    assert res[0][1] == constants.HKR_FAIL and "timed out" in res[0][2]
    assert res[1][1] == constants.HKR_FAIL and "budget" in res[1][2]


_FAKE_DAEMON = """#!/bin/bash
name=$(basename "$0")
pidfile="$GANETI_ROOT/var/run/ganeti/$name.pid"
echo "$@" > "$GANETI_ROOT/args-$name"
setsid bash -c 'echo $$ > "$0"; exec -a "$1" sleep 300' "$pidfile" "$name" </dev/null >/dev/null 2>&1 &
for i in $(seq 100); do [ -s "$pidfile" ] && exit 0; sleep 0.05; done
exit 1
"""


def test_master_daemons_through_daemon_util(root, monkeypatch):
    fake_dir = root / "fake-daemons"
    fake_dir.mkdir()
    for name in ("ganeti-masterd", "ganeti-rapi"):
        (fake_dir / name).write_text(_FAKE_DAEMON)
        os.chmod(fake_dir / name, 0o755)
    monkeypatch.setenv("GANETI_ROOT", str(root))
    monkeypatch.setenv("GANETI_DAEMONS_DIR", str(fake_dir))
    monkeypatch.setenv("GANETI_STOP_TIMEOUT", "5")
    try:
        backend.start_master_daemons(True)
        pids = {}
        for name in ("ganeti-masterd", "ganeti-rapi"):
            pids[name] = int(open(pathutils.daemon_pid_file(name)).read())
            assert os.path.exists("/proc/%d" % pids[name])
        assert open(root / "args-ganeti-masterd").read().split() == ["--no-voting", "--yes-do-it"]
        backend.start_master_daemons(False)  # already running: nothing to do
        assert (
            int(open(pathutils.daemon_pid_file("ganeti-masterd")).read()) == pids["ganeti-masterd"]
        )
        backend.stop_master_daemons()
        for name, pid in pids.items():
            assert not os.path.exists(pathutils.daemon_pid_file(name))
            for _ in range(50):
                if not os.path.exists("/proc/%d" % pid):
                    break
                time.sleep(0.05)
            else:
                pytest.fail("%s still running" % name)
        os.unlink(fake_dir / "ganeti-masterd")
        with pytest.raises(backend.RPCFail, match="Can't start Ganeti master.*not installed"):
            backend.start_master_daemons(False)
    finally:
        env = dict(os.environ, GANETI_ROOT=str(root), GANETI_DAEMONS_DIR=str(fake_dir))
        subprocess.run([backend._daemon_util(), "stop-all"], env=env, check=False)


_MIP_SCRIPT = """
import sys
sys.path.insert(0, %(lib)r)
from ganeti import backend
params = {"ip": "198.18.7.1", "netmask": 32, "netdev": "lo", "ip_family": 2, "uuid": "u"}
backend.activate_master_ip(params, False)
backend.activate_master_ip(params, False)
print("up", backend._address_present("198.18.7.1", "lo", 2, 32))
backend.change_master_netmask(32, 24, "198.18.7.1", "lo")
print("mask", backend._address_present("198.18.7.1", "lo", 2, 24), backend._address_present("198.18.7.1", "lo", 2, 32))
params["netmask"] = 24
backend.deactivate_master_ip(params, False)
backend.deactivate_master_ip(params, False)
print("down", backend._address_present("198.18.7.1", "lo", 2))
try:
    backend.change_master_netmask(24, 32, "198.18.7.1", "lo")
except backend.RPCFail as err:
    print("fail", err)
try:
    backend.activate_master_ip({"ip": "nope", "netmask": 32, "netdev": "lo"}, False)
except backend.RPCFail as err:
    print("bad", err)
"""


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare"
)
def test_master_ip_in_private_network_namespace():
    code = _MIP_SCRIPT % {"lib": os.path.join(CHECKOUT, "lib")}
    out = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "up True"
    assert lines[1] == "mask True False"
    assert lines[2] == "down False"
    assert lines[3].startswith("fail The master IP address is not up")
    assert lines[4].startswith("bad Invalid master IP address")


def test_external_master_ip_script(root):
    script = pathutils.EXTERNAL_MASTER_SETUP_SCRIPT
    os.makedirs(os.path.dirname(script))
    log = root / "mip.log"
    _script(
        script,
        'echo "$1 $MASTER_IP $MASTER_NETMASK $MASTER_NETDEV $CLUSTER_IP_VERSION" >> %s\n' % log,
    )
    params = {"ip": "198.18.0.9", "netmask": 24, "netdev": "eth7", "ip_family": 2}
    backend.activate_master_ip(params, True)
    backend.deactivate_master_ip(params, True)
    assert log.read_text().splitlines() == [
        "start 198.18.0.9 24 eth7 4",
        "stop 198.18.0.9 24 eth7 4",
    ]
    _script(script, "echo nope; exit 2\n")
    with pytest.raises(
        backend.RPCFail, match="Failed to start the master IP. Script return value: 2"
    ):
        backend.activate_master_ip(params, True)


def test_leave_cluster(root):
    for path in (
        pathutils.CLUSTER_CONF_FILE,
        pathutils.NODED_CERT_FILE,
        pathutils.ssconf_file("master_node"),
    ):
        open(path, "w").close()
    os.makedirs(pathutils.QUEUE_DIR)
    open(pathutils.job_file(5), "w").close()
    ssh = pathutils.SSH_ROOT_DIR
    os.makedirs(ssh)
    open(os.path.join(ssh, "id_ed25519"), "w").write("PRIVATE\n")
    open(os.path.join(ssh, "id_ed25519.pub"), "w").write("ssh-ed25519 AAAAmine root@n1\n")
    open(os.path.join(ssh, "authorized_keys"), "w").write(
        "ssh-ed25519 AAAAother admin\nssh-ed25519 AAAAmine root@n1\n"
    )
    with pytest.raises(errors.QuitGanetiException) as exc:
        backend.leave_cluster(True)
    assert exc.value.args == (True, "Shutdown scheduled")
    assert os.listdir(pathutils.DATA_DIR) == ["queue"]
    assert os.listdir(pathutils.QUEUE_DIR) == []
    assert not os.path.exists(os.path.join(ssh, "id_ed25519"))
    assert open(os.path.join(ssh, "authorized_keys")).read() == "ssh-ed25519 AAAAother admin\n"


def test_small_procedures(root):
    start = time.monotonic()
    backend.test_delay(0.1)
    assert time.monotonic() - start >= 0.1
    with pytest.raises(backend.RPCFail):
        backend.test_delay(-1)
    assert backend.node_has_ip_address("127.0.0.1")
    assert not backend.node_has_ip_address("198.18.254.254")
    with pytest.raises(backend.RPCFail, match="Missing bridges no-such-br0"):
        backend.bridges_exist(["no-such-br0"])
    assert backend.get_watcher_pause() is None
    backend.set_watcher_pause(time.time() + 100)
    assert backend.get_watcher_pause() > time.time()
    backend.set_watcher_pause(None)
    assert backend.get_watcher_pause() is None


def test_verify_node(root, monkeypatch):
    conf = pathutils.CLUSTER_CONF_FILE
    open(conf, "w").write("config")
    x509.generate_cluster_cert_file(pathutils.NODED_CERT_FILE)
    x509.generate_client_cert_file(
        pathutils.NODED_CLIENT_CERT_FILE, pathutils.NODED_CERT_FILE, "me"
    )
    me = socket.gethostname()
    what = {
        constants.NV_VERSION: None,
        constants.NV_TIME: None,
        constants.NV_FILELIST: [conf, str(root / "missing")],
        constants.NV_HYPERVISOR: [constants.HT_FAKE],
        constants.NV_HVPARAMS: [
            ("cluster", constants.HT_FAKE, {"migration_mode": "live"}),
            ("os x", constants.HT_FAKE, {"migration_mode": "teleport"}),
        ],
        constants.NV_HVINFO: constants.HT_FAKE,
        constants.NV_INSTANCELIST: [constants.HT_FAKE],
        constants.NV_MASTERIP: (me, "127.0.0.1"),
        constants.NV_NODENETTEST: [
            (me, "127.0.0.1", "127.0.0.1"),
            ("other", "127.0.0.1", "127.0.0.1"),
        ],
        constants.NV_CLIENT_CERT: None,
        constants.NV_NODESETUP: None,
        constants.NV_USERSCRIPTS: ["/bin/sh", str(root / "nope")],
        constants.NV_BRIDGES: ["no-such-br0"],
        constants.NV_NODELIST: (["no-such-host.invalid"], {}),
        constants.NV_ACCEPTED_STORAGE_PATHS: me,
        constants.NV_FILE_STORAGE_PATH: str(root / "fs"),
        "some-future-check": None,
    }
    os.makedirs(root / "fs")
    open(pathutils.FILE_STORAGE_PATHS_FILE, "w").write("%s\n/usr\nrelative\n" % (root / "fs"))
    t0 = time.time()
    res = backend.verify_node(what, "cluster.example.com", {constants.HT_FAKE: {}})
    assert res[constants.NV_VERSION] == (constants.PROTOCOL_VERSION, constants.RELEASE_VERSION)
    assert abs(res[constants.NV_TIME][0] - t0) < 30
    assert res[constants.NV_FILELIST] == {conf: hashlib.sha1(b"config").hexdigest()}
    assert res[constants.NV_HYPERVISOR] == {constants.HT_FAKE: None}
    assert len(res[constants.NV_HVPARAMS]) == 1 and res[constants.NV_HVPARAMS][0][0] == "os x"
    assert res[constants.NV_HVINFO]["memory_total"] > 0
    assert res[constants.NV_INSTANCELIST] == []
    assert res[constants.NV_MASTERIP] is True
    assert res[constants.NV_NODENETTEST] == {}
    assert res[constants.NV_CLIENT_CERT] == (
        None,
        x509.get_certificate_digest(pathutils.NODED_CLIENT_CERT_FILE),
    )
    assert res[constants.NV_NODESETUP] == []
    assert res[constants.NV_USERSCRIPTS] == [str(root / "nope")]
    assert res[constants.NV_BRIDGES] == ["no-such-br0"]
    assert list(res[constants.NV_NODELIST]) == ["no-such-host.invalid"]
    assert res[constants.NV_ACCEPTED_STORAGE_PATHS] == ["/usr", "relative"]
    assert constants.NV_FILE_STORAGE_PATH not in res  # usable: no complaint
    assert "some-future-check" not in res
    # a node that is not vm_capable skips hypervisor checks
    res = backend.verify_node(
        {constants.NV_HYPERVISOR: [constants.HT_FAKE], constants.NV_VMNODES: [me]}, "c", {}
    )
    assert constants.NV_HYPERVISOR not in res
    res = backend.verify_node(
        {constants.NV_NODENETTEST: [("other", "127.0.0.1", "127.0.0.1")]}, "c", {}
    )
    assert "Can't find my own" in res[constants.NV_NODENETTEST][me]
    bad = str(root / "elsewhere")
    res = backend.verify_node({constants.NV_FILE_STORAGE_PATH: bad}, "c", {})
    assert "not acceptable" in res[constants.NV_FILE_STORAGE_PATH]


def test_client_cert_check_problems(root):
    assert backend_verify.check_client_certificate()[0] == backend_verify.ETYPE_ERROR
    x509.generate_cluster_cert_file(pathutils.NODED_CERT_FILE)
    x509.generate_cluster_cert_file(pathutils.NODED_CLIENT_CERT_FILE)  # not signed by the cluster
    status, msg = backend_verify.check_client_certificate()
    assert status == backend_verify.ETYPE_ERROR and "not signed" in msg


def test_verify_node_os_list(root, monkeypatch):
    from ganeti import osapi

    rows = [["dummy", "/srv/ganeti/os/dummy", True, "", ["default"], [], [20], True]]
    monkeypatch.setattr(osapi, "diagnose", lambda: rows)
    res = backend.verify_node({constants.NV_OSLIST: None}, "c", {})
    assert res[constants.NV_OSLIST] == rows
    # not asked of a node that is not vm_capable
    me = socket.gethostname()
    res = backend.verify_node({constants.NV_OSLIST: None, constants.NV_VMNODES: [me]}, "c", {})
    assert constants.NV_OSLIST not in res
