"""ganeti-masterd end to end: a real daemon on a one-node test root."""

import os
import signal
import socket
import time

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import luxi

import masterd_helper


@pytest.fixture
def master(tmp_path):
    m = masterd_helper.Master(str(tmp_path))
    m.start()
    yield m
    if m.proc.poll() is None:
        m.stop()


def raw_call(path, payload: bytes) -> bytes:
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(path)
    sock.settimeout(10)
    sock.sendall(payload)
    data = b""
    while not data.endswith(b"\x03"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    return data


def test_delay_job_and_queries(master):
    cl = master.client()
    job_id = cl.SubmitJob([{"OP_ID": "OP_TEST_DELAY", "duration": 0}])
    assert isinstance(job_id, int)
    status, _ = masterd_helper.wait_job(cl, job_id)
    assert status == "success"
    rows = cl.QueryJobs([job_id], ["id", "status", "summary"])
    assert rows == [[job_id, "success", ["TEST_DELAY(0.0)"]]] or rows[0][1] == "success"
    info = cl.QueryClusterInfo()
    assert info["software_version"] == constants.RELEASE_VERSION
    assert info["master"] == master.node_name
    assert cl.QueryConfigValues(["cluster_name", "drain_flag"])[1] is False
    res = cl.Query("job", ["id", "status"], ["==", "id", job_id])
    assert res["data"] == [[[0, job_id], [0, "success"]]]
    fields = cl.QueryFields("lock", None)["fields"]
    assert {f["name"] for f in fields} == {"name", "mode", "owner", "pending"}
    assert cl.QueryTags("cluster", "") == []


def test_log_messages_stream(master):
    cl = master.client()
    job_id = cl.SubmitJob([{"OP_ID": "OP_TEST_DELAY", "duration": 0.05, "repeat": 3}])
    status, logs = masterd_helper.wait_job(cl, job_id)
    assert status == "success"
    msgs = [entry[3] for entry in logs]
    assert any("Test delay iteration 2/2" in m for m in msgs)


def test_bad_input_keeps_serving(master):
    path = master.socket_path
    # malformed JSON
    reply = raw_call(path, b"{not json\x03")
    assert b'"success":false' in reply
    # not a request dict
    assert b'"success":false' in raw_call(path, b"[1,2,3]\x03")
    # unknown method
    reply = raw_call(path, luxi.format_request("NoSuchMethod", []))
    assert b"Invalid operation" in reply
    # oversized message: refused with an error, connection closed
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(path)
    sock.settimeout(20)
    chunk = b"x" * (1 << 20)
    reply = b""
    try:
        for _ in range(40):
            sock.sendall(chunk)
    except OSError:
        pass
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            reply += data
    except OSError:
        pass
    sock.close()
    assert b"Message too large" in reply
    cl = master.client()
    with pytest.raises(errors.OpPrereqError) as exc:
        cl.SubmitJob([{"OP_ID": "OP_DOES_NOT_EXIST"}])
    assert exc.value.args[1] == errors.ECODE_INVAL
    with pytest.raises(errors.OpPrereqError):
        cl.SubmitJob([{"OP_ID": "OP_TEST_DELAY", "duration": "x"}])
    with pytest.raises(errors.OpPrereqError):
        cl.SubmitJob([{"OP_ID": "OP_TEST_DELAY"}])
    with pytest.raises(errors.OpPrereqError):
        cl.call_method("WaitForJobChange", [1, "status"])
    # still serving everyone
    job_id = cl.SubmitJob([{"OP_ID": "OP_TEST_DELAY", "duration": 0}])
    assert masterd_helper.wait_job(cl, job_id)[0] == "success"


def test_drain_and_watcher_pause(master):
    cl = master.client()
    assert cl.SetDrainFlag(True) is True
    with pytest.raises(errors.JobQueueDrainError):
        cl.SubmitJob([{"OP_ID": "OP_TEST_DELAY", "duration": 0}])
    assert cl.QueryConfigValues(["drain_flag"]) == [True]
    cl.SetDrainFlag(False)
    until = time.time() + 3600
    assert cl.SetWatcherPause(until) == until
    assert cl.QueryConfigValues(["watcher_pause"])[0] == pytest.approx(until, abs=1)
    assert cl.SetWatcherPause(None) is None
    with pytest.raises(errors.OpPrereqError):
        cl.SetWatcherPause(time.time() - 100)


def test_cancel_archive_priority(master):
    cl = master.client()
    jobs = [cl.SubmitJob([{"OP_ID": "OP_TEST_DELAY", "duration": 0}]) for _ in range(3)]
    for j in jobs:
        masterd_helper.wait_job(cl, j)
    assert cl.CancelJob(jobs[0])[0] is False
    assert cl.ArchiveJob(jobs[0]) is True
    assert cl.AutoArchiveJobs(-1, 10) == [2, 0]
    assert cl.ChangeJobPriority(jobs[0], 0)[0] is False


def test_sigterm_exits_cleanly(master):
    pidfile = os.path.join(master.root, "var/run/ganeti/ganeti-masterd.pid")
    assert int(open(pidfile).read()) == master.proc.pid
    assert os.path.exists(os.path.join(master.root, "var/log/ganeti/master-daemon.log"))
    cl = master.client()
    job_id = cl.SubmitJob([{"OP_ID": "OP_TEST_DELAY", "duration": 0.5}])
    time.sleep(0.1)
    master.proc.send_signal(signal.SIGTERM)
    assert master.proc.wait(30) == 0
    assert not os.path.exists(master.socket_path)
    assert not os.path.exists(pidfile)
    # the running job finished before exit
    master.start()
    status, _ = masterd_helper.wait_job(master.client(), job_id)
    assert status == "success"


def test_kill9_with_100_jobs(tmp_path):
    m = masterd_helper.Master(str(tmp_path))
    m.start()
    cl = m.client()
    res = cl.SubmitManyJobs(
        [[{"OP_ID": "OP_TEST_DELAY", "duration": 0.1, "repeat": 3}] for _ in range(100)]
    )
    ids = [r[1] for r in res]
    assert all(r[0] for r in res)
    time.sleep(0.5)
    before = {row[0]: row[1] for row in cl.QueryJobs(ids, ["id", "status"])}
    assert "running" in before.values()
    m.kill9()
    cl.close()
    m.start()
    cl = m.client()
    final = {}
    for j in ids:
        final[j], _ = masterd_helper.wait_job(cl, j, timeout=120)
    rows = cl.QueryJobs(ids, ["id", "status", "oplog", "opresult"])
    assert len(rows) == 100 and all(r is not None for r in rows)
    for job_id, status, oplog, opresult in rows:
        assert status in ("success", "error")
        iterations = [e[3] for e in oplog[0] if "iteration" in str(e[3])]
        # never ran twice: each iteration message at most once
        assert len(iterations) == len(set(iterations)), (job_id, iterations)
        if before[job_id] == "success":
            assert status == "success"
        if status == "error":
            assert opresult[0][1] == ["Unclean master daemon shutdown"]
            assert before[job_id] in ("running", "waiting", "queued")
    m.stop()
