"""Tests for ganeti-noded: a real daemon (subprocess) called through the RPC client."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from ganeti import constants, pathutils, serializer
from ganeti.http import client as http_client
from ganeti.rpc import client as rpc
from ganeti.utils import x509

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODED = os.path.join(CHECKOUT, "daemons", "ganeti-noded")


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _wait_port(port: int, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("noded did not listen on %d" % port)


def _pid_alive(pid: int) -> bool:
    try:
        with open("/proc/%d/status" % pid) as fh:
            return "Z" not in [ln for ln in fh if ln.startswith("State:")][0]
    except OSError:
        return False


def _env(root) -> dict:
    env = dict(os.environ)
    env["GANETI_ROOT"] = str(root)
    env["PATH"] = os.path.dirname(sys.executable) + ":" + env.get("PATH", "")
    return env


@pytest.fixture(scope="module")
def noded(tmp_path_factory):
    root = tmp_path_factory.mktemp("nodedroot")
    pathutils.set_root(str(root))
    try:
        os.makedirs(pathutils.DATA_DIR)
        x509.generate_cluster_cert_file(pathutils.NODED_CERT_FILE)
        x509.generate_client_cert_file(
            pathutils.NODED_CLIENT_CERT_FILE, pathutils.NODED_CERT_FILE, "master"
        )
        port = _free_port()
        # daemon mode: the command returns once the daemon is up
        proc = subprocess.run(
            [sys.executable, NODED, "-p", str(port), "-b", "127.0.0.1", "--no-mlock"],
            env=_env(root),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 0, proc.stderr
        _wait_port(port)
        pid = int(open(pathutils.daemon_pid_file(constants.NODED)).read())
        resolver = rpc.StaticResolver(
            {
                "node1": ("127.0.0.1", port),
                "node2": ("127.0.0.1", port),
                "down": ("127.0.0.1", port),
            },
            offline=["down"],
        )
        yield {"root": root, "port": port, "pid": pid, "runner": rpc.RpcRunner(resolver)}
        if _pid_alive(pid):
            os.kill(pid, signal.SIGTERM)
    finally:
        pathutils.set_root("")


def _raw(noded, method: str, path: str, body: bytes = b"", cert: str | None = None):
    req = http_client.HttpClientRequest(
        "127.0.0.1",
        noded["port"],
        method,
        path,
        post_data=body,
        read_timeout=10,
        curl_config_fn=http_client.make_ssl_config(
            cert or pathutils.NODED_CLIENT_CERT_FILE, ca_file=pathutils.NODED_CERT_FILE
        ),
        config_key=("raw", cert),
    )
    return http_client.simple_request(req)


def test_daemon_files(noded):
    assert _pid_alive(noded["pid"])
    log = open(pathutils.daemon_log_file(constants.NODED)).read()
    assert "listening on 127.0.0.1:%d" % noded["port"] in log
    assert pathutils.daemon_log_file(constants.NODED).endswith("/var/log/ganeti/node-daemon.log")


def test_version_and_node_info_in_parallel(noded):
    res = noded["runner"].call_version(["node1", "node2"])
    assert [r.payload for r in res.values()] == [constants.PROTOCOL_VERSION] * 2
    storage = os.path.join(str(noded["root"]), "srv")
    os.makedirs(storage, exist_ok=True)
    res = noded["runner"].call_node_info(["node1"], [["file", storage, []]], [["fake", {}]])[
        "node1"
    ]
    assert res.fail_msg is None
    bootid, su, hv = res.payload
    assert bootid == open("/proc/sys/kernel/random/boot_id").read().strip()
    assert su[0]["name"] == storage and su[0]["storage_size"] > 0
    assert hv[0]["memory_total"] > 0 and hv[0]["cpu_total"] >= 1


def test_offline_node(noded):
    res = noded["runner"].call_node_info(["node1", "down"], [], [])
    assert res["node1"].fail_msg is None
    assert res["down"].offline and res["down"].fail_msg == "Node is marked offline"
    assert noded["runner"].call_version(["down"])["down"].payload == constants.PROTOCOL_VERSION


def test_files_ssconf_queue_hooks(noded, tmp_path):
    runner = noded["runner"]
    src = tmp_path / "config.data"
    src.write_text('{"version": 3000000}' * 50)
    # upload_file sends a local file under its own name; upload_file_single
    # names the target explicitly: write the node's config.data with it
    meta = [0o640, "root", "root", 1000.0, 2000.0]
    r = runner.call_upload_file_single(
        ["node1"], pathutils.CLUSTER_CONF_FILE, src.read_bytes(), *meta
    )
    assert r["node1"].fail_msg is None, r["node1"].fail_msg
    assert open(pathutils.CLUSTER_CONF_FILE).read() == src.read_text()
    assert os.stat(pathutils.CLUSTER_CONF_FILE).st_mtime == 2000.0
    r = runner.call_upload_file(["node1"], pathutils.CLUSTER_CONF_FILE)["node1"]
    assert r.fail_msg is None
    r = runner.call_upload_file_single(["node1"], "/etc/shadow", b"x", *meta)["node1"]
    assert "not in allowed upload targets" in r.fail_msg

    r = runner.call_write_ssconf_files(["node1"], {"master_node": "node1", "cluster_name": "c1"})[
        "node1"
    ]
    assert r.fail_msg is None
    assert runner.call_master_node_name(["node1"])["node1"].payload == "node1"

    job = pathutils.job_file(7)
    r = runner.call_jobqueue_update(["node1"], job, "x" * 3000)["node1"]
    assert r.fail_msg is None and open(job).read() == "x" * 3000
    r = runner.call_jobqueue_rename(["node1"], [[job, pathutils.job_file(7, archived=True)]])[
        "node1"
    ]
    assert r.fail_msg is None and os.path.exists(pathutils.job_file(7, archived=True))
    r = runner.call_jobqueue_update(["node1"], "/etc/passwd", "x")["node1"]
    assert "does not belong to the queue" in r.fail_msg or "queue" in r.fail_msg
    assert runner.call_jobqueue_purge("node1").fail_msg is None
    assert not os.path.exists(pathutils.job_file(7, archived=True))

    hooks = os.path.join(pathutils.HOOKS_BASE_DIR, "cluster-init-post.d")
    os.makedirs(hooks)
    with open(os.path.join(hooks, "01-env"), "w") as fh:
        fh.write('#!/bin/sh\necho "$GANETI_CLUSTER"\n')
    os.chmod(os.path.join(hooks, "01-env"), 0o755)
    r = runner.call_hooks_runner(["node1"], "cluster-init", "post", {"GANETI_CLUSTER": "c1"})[
        "node1"
    ]
    assert r.payload == [["cluster-init-post.d/01-env", constants.HKR_SUCCESS, "c1"]]


def test_http_level_errors(noded):
    r = _raw(noded, "POST", "/no_such_procedure", b"[]")
    assert r.success and r.resp_status_code == 404
    r = _raw(noded, "GET", "/version")
    assert r.success and r.resp_status_code == 400
    r = _raw(noded, "POST", "/version", b"[1, 2]")
    assert r.resp_status_code == 200
    ok, msg = serializer.loads(r.resp_body)
    assert not ok and "takes 0 arguments, got 2" in msg
    r = _raw(noded, "POST", "/version", b"{not json")
    ok, msg = serializer.loads(r.resp_body)
    assert not ok and msg.startswith("Error while executing backend function")


def test_client_certificate_not_signed_by_cluster_is_refused(noded, tmp_path):
    stranger = str(tmp_path / "stranger.pem")
    x509.generate_cluster_cert_file(stranger)
    r = _raw(noded, "POST", "/version", b"[]", cert=stranger)
    assert not r.success and r.resp_status_code is None
    runner = rpc.RpcRunner(noded["runner"].resolver, cert_file=stranger)
    res = runner.call_version(["node1"])["node1"]
    assert res.fail_msg and res.payload is None


def test_candidate_certificate_digests(noded, tmp_path):
    other = str(tmp_path / "other-client.pem")
    x509.generate_client_cert_file(other, pathutils.NODED_CERT_FILE, "node9")
    ssconf = pathutils.ssconf_file(constants.SS_MASTER_CANDIDATES_CERTS)
    mine = x509.get_certificate_digest(pathutils.NODED_CLIENT_CERT_FILE)
    with open(ssconf, "w") as fh:
        fh.write("uuid-1=%s\n" % mine)
    try:
        # signed by the cluster but not a master candidate's: refused
        r = _raw(noded, "POST", "/version", b"[]", cert=other)
        assert r.success and r.resp_status_code == 403
        fresh = rpc.RpcRunner(noded["runner"].resolver)  # new connections
        assert fresh.call_version(["node1"])["node1"].payload == constants.PROTOCOL_VERSION
    finally:
        os.unlink(ssconf)


def test_timeout(noded):
    start = time.monotonic()
    res = noded["runner"].call("test_delay", ["node1"], (3,), read_timeout=0.5)["node1"]
    assert "timed out" in res.fail_msg.lower()
    assert time.monotonic() - start < 2
    res = noded["runner"].call_test_delay(["node1", "node2"], 0.2)
    assert all(r.fail_msg is None for r in res.values())


def test_start_failure_is_reported(tmp_path):
    proc = subprocess.run(
        [sys.executable, NODED, "-f", "-p", str(_free_port()), "-b", "127.0.0.1"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == constants.EXIT_FAILURE
    assert "can't read TLS file" in proc.stderr


def test_zz_leave_cluster_stops_the_daemon(noded):
    r = noded["runner"].call_node_leave_cluster("node1", False)
    assert r.fail_msg is None and r.payload == "Shutdown scheduled"
    for _ in range(100):
        if not _pid_alive(noded["pid"]):
            break
        time.sleep(0.05)
    assert not _pid_alive(noded["pid"])
    assert not os.path.exists(pathutils.NODED_CERT_FILE)
    assert not os.path.exists(pathutils.daemon_pid_file(constants.NODED))
    assert "ganeti-noded stopped" in open(pathutils.daemon_log_file(constants.NODED)).read()
