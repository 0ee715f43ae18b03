"""A tiny in-memory luxi server for the CLI tests.

Listens on a real Unix socket and speaks the luxi framing (one JSON
document per message, ended by 0x03), so the gnt-* commands run unchanged
against it without a master daemon.  Jobs live in memory; each job follows
a scripted timeline (one step per WaitForJobChange call) so the tests can
watch log messages arrive and final states be reached.
"""

import os
import socket
import threading
import time
from typing import Any

from ganeti import constants
from ganeti import errors
from ganeti import luxi
from ganeti import pathutils

JOB_FIELDS = {
    "id": ("ID", constants.QFT_NUMBER),
    "status": ("Status", constants.QFT_TEXT),
    "priority": ("Priority", constants.QFT_NUMBER),
    "archived": ("Archived", constants.QFT_BOOL),
    "ops": ("OpCodes", constants.QFT_OTHER),
    "opresult": ("OpCode_result", constants.QFT_OTHER),
    "opstatus": ("OpCode_status", constants.QFT_OTHER),
    "oplog": ("OpCode_log", constants.QFT_OTHER),
    "opstart": ("OpCode_start", constants.QFT_OTHER),
    "opexec": ("OpCode_exec", constants.QFT_OTHER),
    "opend": ("OpCode_end", constants.QFT_OTHER),
    "oppriority": ("OpCode_prio", constants.QFT_OTHER),
    "summary": ("Summary", constants.QFT_OTHER),
    "received_ts": ("Received", constants.QFT_OTHER),
    "start_ts": ("Start", constants.QFT_OTHER),
    "end_ts": ("End", constants.QFT_OTHER),
}

LOCK_FIELDS = {
    "name": ("Name", constants.QFT_TEXT),
    "mode": ("Mode", constants.QFT_OTHER),
    "owner": ("Owner", constants.QFT_OTHER),
    "pending": ("Pending", constants.QFT_OTHER),
}

NODE_FIELDS = {
    "name": ("Node", constants.QFT_TEXT),
    "mtotal": ("MTotal", constants.QFT_UNIT),
    "pinst_cnt": ("Pinst", constants.QFT_NUMBER),
    "offline": ("Offline", constants.QFT_BOOL),
    "ctime": ("CTime", constants.QFT_TIMESTAMP),
    "sip": ("SecondaryIP", constants.QFT_TEXT),
}

T0 = 1795575579  # a fixed epoch for job timestamps


class FakeJob:
    """A job and its scripted future: ``steps`` of (status, [messages])."""

    def __init__(
        self, job_id: int, ops: list[dict], steps: list, result: Any = None, error: Any = None
    ) -> None:
        self.id = job_id
        self.ops = ops
        self.steps = list(steps)
        self.status = constants.JOB_STATUS_QUEUED
        self.log: list = []
        self.result = result
        self.error = error
        self.archived = False
        self.priority = 0
        self.received_ts = [T0, 100000]
        self.start_ts = None
        self.end_ts = None

    def advance(self) -> None:
        if not self.steps:
            return
        status, messages = self.steps.pop(0)
        for msg in messages:
            serial = len(self.log) + 1
            self.log.append([serial, [T0 + serial, 500], constants.ELOG_MESSAGE, msg])
        self.status = status
        if status == constants.JOB_STATUS_RUNNING and self.start_ts is None:
            self.start_ts = [T0 + 1, 0]
        if status in constants.JOBS_FINALIZED:
            self.end_ts = [T0 + 3, 250000]

    def op_statuses(self) -> list[str]:
        if self.status == constants.JOB_STATUS_ERROR:
            return [constants.OP_STATUS_ERROR] * len(self.ops)
        if self.status in (constants.JOB_STATUS_SUCCESS, constants.JOB_STATUS_CANCELED):
            return [self.status] * len(self.ops)
        return [constants.OP_STATUS_QUEUED] * len(self.ops)

    def field(self, name: str) -> Any:
        nops = len(self.ops)
        if name == "id":
            return self.id
        if name == "status":
            return self.status
        if name == "priority":
            return self.priority
        if name == "archived":
            return self.archived
        if name == "ops":
            return self.ops
        if name == "opresult":
            if self.status == constants.JOB_STATUS_ERROR:
                return [self.error] * nops
            return [self.result] * nops
        if name == "opstatus":
            return self.op_statuses()
        if name == "oplog":
            return [self.log] + [[] for _ in range(nops - 1)]
        if name in ("opstart", "opexec"):
            return [self.start_ts] * nops
        if name == "opend":
            return [self.end_ts] * nops
        if name == "oppriority":
            return [self.priority] * nops
        if name == "summary":
            return ["%s(%s)" % (op["OP_ID"][3:], op.get("duration", "")) for op in self.ops]
        if name == "received_ts":
            return self.received_ts
        if name == "start_ts":
            return self.start_ts
        if name == "end_ts":
            return self.end_ts
        raise KeyError(name)


def _match(qfilter: Any, get: Any) -> bool:
    if qfilter is None:
        return True
    op = qfilter[0]
    if op == "|":
        return any(_match(f, get) for f in qfilter[1:])
    if op == "&":
        return all(_match(f, get) for f in qfilter[1:])
    if op == "!":
        return not _match(qfilter[1], get)
    if op in ("=", "=="):
        return get(qfilter[1]) == qfilter[2]
    if op == "!=":
        return get(qfilter[1]) != qfilter[2]
    raise errors.QueryFilterParseError("Unsupported operator %s" % op)


class FakeMaster:
    """The server: start(), requests (method, args) log, stop()."""

    def __init__(self) -> None:
        self.jobs: dict[int, FakeJob] = {}
        self.requests: list[tuple[str, Any]] = []
        self.next_id = 1
        self.locks: list[list] = []
        self.nodes: list[dict] = []
        self.default_steps: list = [
            (constants.JOB_STATUS_RUNNING, ["step one"]),
            (constants.JOB_STATUS_SUCCESS, ["step two"]),
        ]
        self.fail_methods: dict[str, BaseException] = {}
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.lock = threading.Lock()

    # --- lifecycle
    def start(self) -> "FakeMaster":
        path = pathutils.MASTER_SOCKET
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.exists(path):
            os.unlink(path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(path)
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._sock is not None:
            self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while luxi.EOM in buf:
                    msg, buf = buf.split(luxi.EOM, 1)
                    conn.sendall(self._answer(msg))

    def _answer(self, msg: bytes) -> bytes:
        method, args, version = luxi.parse_request(msg)
        with self.lock:
            self.requests.append((method, args))
        try:
            if method in self.fail_methods:
                raise self.fail_methods[method]
            handler = getattr(self, "h_" + method)
            with self.lock:
                result = handler(*args)
            return luxi.format_response(True, result, version)
        except errors.GenericError as err:
            return luxi.format_response(False, errors.encode_exception(err), version)

    # --- helpers for tests
    def add_job(self, ops: list[dict], steps: list | None = None, **kwargs: Any) -> FakeJob:
        job = FakeJob(self.next_id, ops, self.default_steps if steps is None else steps, **kwargs)
        self.jobs[job.id] = job
        self.next_id += 1
        return job

    def methods(self) -> list[str]:
        return [m for m, _ in self.requests]

    # --- luxi methods
    def h_SubmitJob(self, ops: list) -> int:
        return self.add_job(ops).id

    def h_SubmitManyJobs(self, jobs: list) -> list:
        return [[True, self.add_job(ops).id] for ops in jobs]

    def h_WaitForJobChange(
        self, job_id: int, fields: list, prev_info: Any, prev_serial: Any, timeout: float
    ) -> Any:
        job = self.jobs.get(job_id)
        if job is None:
            return None
        job.advance()
        info = [job.field(f) for f in fields]
        new_log = [e for e in job.log if prev_serial is None or e[0] > prev_serial]
        if info == prev_info and not new_log and job.status not in constants.JOBS_FINALIZED:
            return constants.JOB_NOTCHANGED
        return [info, new_log]

    def h_QueryJobs(self, job_ids: list | None, fields: list) -> list:
        ids = job_ids or sorted(self.jobs)
        return [[self.jobs[j].field(f) for f in fields] if j in self.jobs else None for j in ids]

    def h_CancelJob(self, job_id: int, kill: bool) -> list:
        job = self.jobs.get(job_id)
        if job is None:
            return [False, "Job %s not found" % job_id]
        if (
            job.status not in (constants.JOB_STATUS_QUEUED, constants.JOB_STATUS_WAITING)
            and not kill
        ):
            return [False, "Job %s is no longer waiting in the queue" % job_id]
        job.status = constants.JOB_STATUS_CANCELED
        job.steps = []
        return [True, "Job %s canceled" % job_id]

    def h_ChangeJobPriority(self, job_id: int, priority: int) -> list:
        job = self.jobs[job_id]
        job.priority = priority
        return [
            True,
            "Priorities of pending opcodes for job %s have been changed to %s" % (job_id, priority),
        ]

    def h_ArchiveJob(self, job_id: int) -> bool:
        job = self.jobs.get(job_id)
        if job is None or job.status not in constants.JOBS_FINALIZED:
            return False
        job.archived = True
        return True

    def h_AutoArchiveJobs(self, age: int, timeout: float) -> list:
        count = 0
        for job in self.jobs.values():
            if job.status in constants.JOBS_FINALIZED and not job.archived:
                job.archived = True
                count += 1
        return [count, 0]

    def _query(self, what: str, fields: list, rows: list, qfilter: Any) -> dict:
        table = {"job": JOB_FIELDS, "lock": LOCK_FIELDS, "node": NODE_FIELDS}[what]
        fdefs = []
        for name in fields:
            if name in table:
                title, kind = table[name]
                fdefs.append({"name": name, "title": title, "kind": kind, "doc": name})
            else:
                fdefs.append(
                    {
                        "name": name,
                        "title": name,
                        "kind": constants.QFT_UNKNOWN,
                        "doc": "Unknown field '%s'" % name,
                    }
                )
        data = []
        for get in rows:
            if not _match(qfilter, get):
                continue
            row = []
            for name in fields:
                if name not in table:
                    row.append([constants.RS_UNKNOWN, None])
                else:
                    value = get(name)
                    if isinstance(value, tuple):  # (status, None) marks missing data
                        row.append([value[0], None])
                    else:
                        row.append([constants.RS_NORMAL, value])
            data.append(row)
        return {"fields": fdefs, "data": data}

    def h_Query(self, what: str, fields: list, qfilter: Any) -> dict:
        if what == "job":
            include_archived = "archived" in fields
            rows = [
                j.field for _, j in sorted(self.jobs.items()) if include_archived or not j.archived
            ]
        elif what == "lock":
            rows = [
                dict(zip(["name", "mode", "owner", "pending"], lock)).get for lock in self.locks
            ]
        elif what == "node":
            rows = [n.get for n in self.nodes]
        else:
            raise errors.OpPrereqError("Resource '%s' unknown" % what, errors.ECODE_INVAL)
        return self._query(what, fields, rows, qfilter)

    def h_QueryFields(self, what: str, fields: list | None) -> dict:
        table = {"job": JOB_FIELDS, "lock": LOCK_FIELDS, "node": NODE_FIELDS}[what]
        return {"fields": self._query(what, fields or sorted(table), [], None)["fields"]}

    def h_QueryTags(self, kind: str, name: str) -> list:
        return ["b-tag", "a-tag"]


def wait_until(pred: Any, timeout: float = 5.0) -> bool:
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False
