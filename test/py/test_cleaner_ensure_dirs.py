"""daemons/ganeti-cleaner and tools/ensure-dirs on a temporary root."""

import glob
import os
import stat
import subprocess
import time

import pytest

from ganeti.utils import x509

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLEANER = os.path.join(TOP, "daemons", "ganeti-cleaner")
ENSURE_DIRS = os.path.join(TOP, "tools", "ensure-dirs")
OLD = time.time() - 30 * 86400


def _run(tool, root, *args):
    env = dict(os.environ, GANETI_ROOT=str(root))
    return subprocess.run([tool, *args], env=env, capture_output=True, text=True, timeout=60)


def _write(path, data="x", mtime=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w" if isinstance(data, str) else "wb") as fh:
        fh.write(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def _cert(root, name, days):
    key, cert = x509.generate_self_signed_cert(validity_days=days, bits=1024)
    base = os.path.join(root, "var/run/ganeti/crypto", name)
    _write(os.path.join(base, "key"), key)
    _write(os.path.join(base, "cert"), cert)
    return base


def test_cleaner_master_removes_old_archived_jobs(tmp_path):
    data = tmp_path / "var/lib/ganeti"
    _write(str(data / "ssconf_master_node"), "node1\n")
    old = str(data / "queue/archive/0/job-1")
    new = str(data / "queue/archive/0/job-2")
    lonely = str(data / "queue/archive/1/job-10001")
    _write(old, mtime=OLD)
    _write(new)
    _write(lonely, mtime=OLD)
    res = _run(CLEANER, tmp_path, "master")
    assert res.returncode == 0, res.stderr
    assert not os.path.exists(old) and os.path.exists(new)
    assert not os.path.exists(os.path.dirname(lonely))
    logs = glob.glob(str(tmp_path / "var/log/ganeti/master-cleaner/cleaner-*.log"))
    assert len(logs) == 1 and "job-1" in open(logs[0]).read()


def test_cleaner_node_removes_expired_certs_and_old_watcher_files(tmp_path):
    data = tmp_path / "var/lib/ganeti"
    _write(str(data / "ssconf_master_node"), "node1\n")
    expired = _cert(str(tmp_path), "x509-expired", 0)
    valid = _cert(str(tmp_path), "x509-valid", 1)
    old_state = str(data / "watcher.0b1e-aaaa-bbbb-cccc.data")
    new_state = str(data / "watcher.0b1e-aaaa-bbbb-dddd.data")
    _write(old_state, mtime=OLD)
    _write(new_state)
    res = _run(CLEANER, tmp_path, "node")
    assert res.returncode == 0, res.stderr
    assert not os.path.exists(expired) and os.path.exists(os.path.join(valid, "cert"))
    assert not os.path.exists(old_state) and os.path.exists(new_state)
    assert glob.glob(str(tmp_path / "var/log/ganeti/cleaner/cleaner-*.log"))


def test_cleaner_outside_a_cluster_keeps_jobs_and_rejects_bad_usage(tmp_path):
    job = str(tmp_path / "var/lib/ganeti/queue/archive/0/job-1")
    _write(job, mtime=OLD)
    assert _run(CLEANER, tmp_path, "master").returncode == 0
    assert os.path.exists(job)
    res = _run(CLEANER, tmp_path, "everything")
    assert res.returncode == 1 and "Usage" in res.stderr
    assert _run(CLEANER, tmp_path).returncode == 1


def test_cleaner_keeps_fifty_logs(tmp_path):
    logs = tmp_path / "var/log/ganeti/cleaner"
    names = [str(logs / ("cleaner-2000-01-01T00_%02d.1.log" % i)) for i in range(55)]
    for name in names:
        _write(name)
    assert _run(CLEANER, tmp_path, "node").returncode == 0
    left = sorted(glob.glob(str(logs / "cleaner-*.log")))
    assert len(left) == 50 and names[0] not in left


@pytest.mark.parametrize("full", [False, True])
def test_ensure_dirs_creates_and_fixes(tmp_path, full):
    data = tmp_path / "var/lib/ganeti"
    _write(str(data / "config.data"), "{}")
    os.chmod(data / "config.data", 0o666)
    res = _run(ENSURE_DIRS, tmp_path, "-v", *(["--full-run"] if full else []))
    assert res.returncode == 0, res.stderr
    mode = lambda p: stat.S_IMODE(os.stat(tmp_path / p).st_mode)  # noqa: E731
    assert mode("var/lib/ganeti/queue/archive") == 0o750
    assert mode("var/run/ganeti/crypto") == 0o700
    assert mode("var/run/ganeti/socket") == 0o770
    assert mode("var/log/ganeti") == 0o770
    assert mode("var/lib/ganeti/config.data") == (0o640 if full else 0o666)
    again = _run(ENSURE_DIRS, tmp_path, "-v", "--full-run")
    assert again.stdout.strip().endswith("%d change(s)" % (0 if full else 1))
    os.chmod(tmp_path / "var/run/ganeti/crypto", 0o755)
    dry = _run(ENSURE_DIRS, tmp_path, "--dry-run")
    assert "var/run/ganeti/crypto -> 0700" in dry.stdout
    assert mode("var/run/ganeti/crypto") == 0o755


def test_ensure_dirs_refuses_a_file_in_the_way(tmp_path):
    _write(str(tmp_path / "var/run/ganeti"), "not a directory")
    res = _run(ENSURE_DIRS, tmp_path)
    assert res.returncode != 0 and "is not a directory" in res.stderr
