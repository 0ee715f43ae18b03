"""Tests of the job queue: persistence, scheduling, waits, recovery."""

import os
import threading
import time

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import jqueue
from ganeti import opcodes
from ganeti import pathutils
from ganeti import serializer
from ganeti.jqueue import journal as jjournal


@pytest.fixture
def root(tmp_path):
    old = pathutils.get_root()
    pathutils.set_root(str(tmp_path))
    yield tmp_path
    pathutils.set_root(old)


class Executor:
    """Runs OP_TEST_DELAY like the master would, with test controls."""

    def __init__(self):
        self.ran = []
        self.gates = {}
        self.lock_gates = {}
        self.lock = threading.Lock()

    def __call__(self, op, cbs):
        gate = self.lock_gates.get(cbs.job_id)
        if gate is not None:
            # pretend to wait for locks, checking for cancellation
            while not gate.wait(0.01):
                cbs.check_canceled()
        cbs.notify_start()
        with self.lock:
            self.ran.append(cbs.job_id)
        cbs.feedback("running job %d" % cbs.job_id)
        gate = self.gates.get(cbs.job_id)
        if gate is not None:
            gate.wait(10)
        if op.duration < 0:
            raise errors.OpExecError("negative delay asked")
        if op.duration:
            time.sleep(op.duration)
        return "done %d" % cbs.job_id


def delay(duration=0.0, **kwargs):
    return opcodes.OpTestDelay(duration=duration, **kwargs).to_dict()


def wait_final(queue, job_id, timeout=10):
    end = time.monotonic() + timeout
    prev = None
    serial = None
    while time.monotonic() < end:
        result = queue.wait_for_job_changes(job_id, ["status"], prev, serial, 1.0)
        if result == constants.JOB_NOTCHANGED:
            continue
        (info, logs) = result
        prev = info
        if logs:
            serial = logs[-1][0]
        if info[0] in constants.JOBS_FINALIZED:
            return info[0]
    raise AssertionError("job %s did not finish" % job_id)


def make_queue(executor, workers=4):
    return jqueue.JobQueue(executor, num_workers=workers)


def test_submit_runs_and_persists(root):
    ex = Executor()
    q = make_queue(ex)
    job_id = q.submit_job([delay()])
    assert job_id == 1
    assert wait_final(q, job_id) == constants.JOB_STATUS_SUCCESS
    (row,) = q.query_jobs([job_id], ["id", "status", "opresult", "summary", "oplog"])
    assert row[0] == 1 and row[1] == "success"
    assert row[2] == ["done 1"]
    assert row[3] == ["TEST_DELAY(0.0)"] or row[3][0].startswith("TEST_DELAY")
    assert row[4][0][0][2:] == ["message", "running job 1"]
    q.shutdown()
    # the checkpoint at shutdown wrote Ganeti's job file and serial
    data = serializer.loads(open(os.path.join(pathutils.QUEUE_DIR, "job-1"), "rb").read())
    assert data["id"] == 1
    assert data["ops"][0]["status"] == "success"
    assert data["ops"][0]["input"]["OP_ID"] == "OP_TEST_DELAY"
    reason = data["ops"][0]["input"]["reason"]
    assert reason[-1][0] == "gnt:opcode:test_delay" and reason[-1][1] == "job=1;index=0"
    assert open(pathutils.JOB_QUEUE_SERIAL_FILE).read().strip() == "1"
    assert open(pathutils.JOB_QUEUE_VERSION_FILE).read().strip() == "1"
    assert not jjournal.list_journals(pathutils.QUEUE_DIR)


def test_failing_opcode_fails_rest(root):
    q = make_queue(Executor())
    job_id = q.submit_job([delay(-1), delay()])
    assert wait_final(q, job_id) == constants.JOB_STATUS_ERROR
    (row,) = q.query_jobs([job_id], ["opstatus", "opresult"])
    assert row[0] == ["error", "error"]
    assert row[1][0] == ["OpExecError", ["negative delay asked"]]
    assert row[1][1] == ["OpExecError", ["Preceding opcode failed"]]
    q.shutdown()


def test_invalid_submissions(root):
    q = make_queue(Executor())
    with pytest.raises(errors.OpPrereqError) as exc:
        q.submit_job([{"OP_ID": "OP_NO_SUCH_THING"}])
    assert exc.value.args[1] == errors.ECODE_INVAL
    with pytest.raises(errors.OpPrereqError):
        q.submit_job([{"OP_ID": "OP_TEST_DELAY", "duration": "soon"}])
    with pytest.raises(errors.OpPrereqError):
        q.submit_job([])
    with pytest.raises(errors.OpPrereqError):
        q.submit_job([delay(priority=5)])
    results = q.submit_many_jobs([[delay()], [{"OP_ID": "nope"}]])
    assert results[0][0] is True and results[1][0] is False
    assert isinstance(results[1][1], str)
    assert wait_final(q, results[0][1]) == "success"
    q.shutdown()


def test_wait_for_change_wakes_without_polling(root):
    ex = Executor()
    gate = threading.Event()
    ex.gates[1] = gate
    q = make_queue(ex)
    q.submit_job([delay()])
    # wait until it runs
    info = None
    while True:
        res = q.wait_for_job_changes(1, ["status"], info, None, 5)
        info = res[0]
        if info == ["running"]:
            break
    start = time.monotonic()
    threading.Timer(0.2, gate.set).start()
    res = q.wait_for_job_changes(1, ["status"], ["running"], 10**9, 20)
    took = time.monotonic() - start
    assert res[0] == ["success"]
    assert 0.15 < took < 2.0
    # unchanged job with timeout answers "nochange"
    res = q.wait_for_job_changes(1, ["status"], ["success"], 10**9, 0.1)
    assert res == [["success"], []]  # finalized jobs return at once
    assert q.wait_for_job_changes(99, ["status"], None, None, 0.1) is None
    q.shutdown()


def test_priorities(root):
    ex = Executor()
    blocker = threading.Event()
    ex.gates[1] = blocker
    q = make_queue(ex, workers=1)
    q.submit_job([delay()])
    while ex.ran != [1]:
        time.sleep(0.01)
    low = q.submit_job([delay(priority=constants.OP_PRIO_LOW)])
    normal = q.submit_job([delay()])
    high = q.submit_job([delay(priority=constants.OP_PRIO_HIGH)])
    blocker.set()
    for j in (low, normal, high):
        wait_final(q, j)
    assert ex.ran == [1, high, normal, low]
    q.shutdown()


def test_change_priority(root):
    ex = Executor()
    blocker = threading.Event()
    ex.gates[1] = blocker
    q = make_queue(ex, workers=1)
    q.submit_job([delay()])
    while ex.ran != [1]:
        time.sleep(0.01)
    a = q.submit_job([delay()])
    b = q.submit_job([delay()])
    ok, _ = q.change_job_priority(b, constants.OP_PRIO_HIGH)
    assert ok
    assert q.query_jobs([b], ["priority"]) == [[constants.OP_PRIO_HIGH]]
    blocker.set()
    wait_final(q, a)
    assert ex.ran == [1, b, a]
    assert q.change_job_priority(a, 0)[0] is False
    with pytest.raises(errors.OpPrereqError):
        q.change_job_priority(a, 7)
    q.shutdown()


def test_dependencies(root):
    ex = Executor()
    gate = threading.Event()
    ex.gates[1] = gate
    q = make_queue(ex, workers=2)
    first = q.submit_job([delay()])
    second = q.submit_job([delay(depends=[[first, ["success"]]])])
    time.sleep(0.2)
    assert q.query_jobs([second], ["status"]) == [["waiting"]]
    assert second not in ex.ran
    gate.set()
    assert wait_final(q, second) == "success"
    # failed dependency -> error without running
    bad = q.submit_job([delay(-1)])
    wait_final(q, bad)
    dep = q.submit_job([delay(depends=[[bad, ["success"]]])])
    assert wait_final(q, dep) == "error"
    assert dep not in ex.ran
    # relative ids inside SubmitManyJobs
    res = q.submit_many_jobs([[delay()], [delay(depends=[[-1, ["success"]]])]])
    ids = [r[1] for r in res]
    assert q.query_jobs([ids[1]], ["ops"])[0][0][0]["depends"] == [[ids[0], ["success"]]]
    assert wait_final(q, ids[1]) == "success"
    q.shutdown()


def test_cancel(root):
    ex = Executor()
    blocker = threading.Event()
    ex.gates[1] = blocker
    q = make_queue(ex, workers=1)
    q.submit_job([delay()])
    while ex.ran != [1]:
        time.sleep(0.01)
    queued = q.submit_job([delay()])
    assert q.cancel_job(queued)[0] is True
    assert q.query_jobs([queued], ["status"]) == [["canceled"]]
    assert q.cancel_job(1)[0] is False  # running
    blocker.set()
    wait_final(q, 1)
    # a job waiting for locks is canceled at its next lock attempt
    lockgate = threading.Event()
    ex.lock_gates[queued + 1] = lockgate
    job = q.submit_job([delay()])
    assert job == queued + 1
    while q.query_jobs([job], ["status"]) != [["waiting"]]:
        time.sleep(0.01)
    res = q.cancel_job(job)
    assert res[0] is True
    assert wait_final(q, job) == "canceled"
    assert job not in ex.ran
    assert q.cancel_job(12345)[0] is False
    q.shutdown()


def test_archive_and_autoarchive(root):
    q = make_queue(Executor())
    ids = [q.submit_job([delay()]) for _ in range(5)]
    for j in ids:
        wait_final(q, j)
    assert q.archive_job(ids[0]) is True
    assert q.archive_job(ids[0]) is False
    assert os.path.exists(pathutils.job_file(ids[0], archived=True))
    # archived jobs are still answered
    assert q.query_jobs([ids[0]], ["id", "status"]) == [[ids[0], "success"]]
    assert q.get_jobs([ids[0]])[0].archived is True
    count, left = q.auto_archive_jobs(-1, 10)
    assert (count, left) == (4, 0)
    assert q.job_count() == 0
    q.shutdown()
    assert not [n for n in os.listdir(pathutils.QUEUE_DIR) if n.startswith("job-")]


def test_drain_flag(root):
    q = make_queue(Executor())
    q.set_drain_flag(True)
    assert os.path.exists(pathutils.JOB_QUEUE_DRAIN_FILE)
    with pytest.raises(errors.JobQueueDrainError):
        q.submit_job([delay()])
    job = q.submit_job_to_drained_queue([delay()])
    assert wait_final(q, job) == "success"
    q.set_drain_flag(False)
    assert not os.path.exists(pathutils.JOB_QUEUE_DRAIN_FILE)
    q.submit_job([delay()])
    q.shutdown()


def test_queue_size_limit(root, monkeypatch):
    monkeypatch.setattr(constants, "JOB_QUEUE_SIZE_HARD_LIMIT", 3)
    ex = Executor()
    gate = threading.Event()
    for i in range(1, 4):
        ex.gates[i] = gate
    q = make_queue(ex, workers=1)
    for _ in range(3):
        q.submit_job([delay()])
    with pytest.raises(errors.JobQueueFull):
        q.submit_job([delay()])
    gate.set()
    q.shutdown()


def test_recovery_after_crash(root):
    ex = Executor()
    gate = threading.Event()
    ex.gates[1] = gate
    q = make_queue(ex, workers=1)
    running = q.submit_job([delay()])
    while ex.ran != [running]:
        time.sleep(0.01)
    queued = [q.submit_job([delay()]) for _ in range(3)]
    # "crash": the process dies; only what was committed is on disk
    os.close(q._lock_fd)
    ex2 = Executor()
    q2 = make_queue(ex2)
    assert q2.query_jobs([running], ["status", "opresult"]) == [
        ["error", [["OpExecError", [jqueue.UNCLEAN_SHUTDOWN_MSG]]]]
    ]
    for j in queued:
        assert wait_final(q2, j) == "success"
    assert sorted(ex2.ran) == queued
    assert running not in ex2.ran
    # new ids continue after the old ones
    assert q2.submit_job([delay()]) == queued[-1] + 1
    gate.set()
    q2.shutdown()


def test_journal_replay_ignores_torn_line(root):
    os.makedirs(pathutils.QUEUE_DIR)
    path = os.path.join(pathutils.QUEUE_DIR, "journal.3")
    job = {
        "id": 7,
        "ops": [],
        "received_timestamp": None,
        "start_timestamp": None,
        "end_timestamp": None,
    }
    with open(path, "wb") as fh:
        fh.write(b'{"id":7,"job":' + serializer.dump_bytes(job) + b"}\n")
        fh.write(b'{"id":8,"job":{"id":8,"op')
    jobs, gen = jjournal.replay(pathutils.QUEUE_DIR)
    assert gen == 3
    assert list(jobs) == [7]


def test_many_jobs_group_commit(root):
    q = make_queue(Executor(), workers=8)
    res = q.submit_many_jobs([[delay()] for _ in range(300)])
    ids = [r[1] for r in res]
    for j in ids:
        assert wait_final(q, j) == "success"
    stats = q._journal.stats
    # far fewer disk flushes than state changes
    assert stats["commits"] < stats["records"]
    q.shutdown()
