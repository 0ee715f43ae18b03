"""The job queue: persistence, workers, priorities, dependencies, waits.

Owns the jobs of the master: it accepts submissions, makes them durable
(through the journal, see ``journal.py``), runs them in a pool of worker
threads ordered by priority, tracks dependencies between jobs, answers
WaitForJobChange without polling, cancels, re-prioritises and archives.

Guarantees, all of which survive ``kill -9`` of the master:
  * a job id returned to a client is durable;
  * an opcode's "running" status is durable before the opcode executes, so
    after a crash it ends as error and never runs twice;
  * a final job status is durable before anyone can see it.

It must never execute opcodes itself: ``execute_fn(op, callbacks)`` (the
opcode processor, ``mcpu``) does, in the worker thread.
"""

import fcntl
import heapq
import itertools
import logging
import os
import threading
import time
from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import serializer
from ganeti.jqueue import journal as jjournal
from ganeti.jqueue.job import QueuedJob, QueuedOpCode, timestamp, FIELDS
from ganeti.utils import io as uio

serializer.use_fast_backend()  # master/daemon-only module: orjson pays off here

UNCLEAN_SHUTDOWN_MSG = "Unclean master daemon shutdown"


class OpExecCallbacks:
    """What the opcode processor may ask of the queue while it runs an op."""

    def __init__(self, queue: "JobQueue", job: QueuedJob, op: QueuedOpCode) -> None:
        self._queue = queue
        self._job = job
        self._op = op

    @property
    def job_id(self) -> int:
        return self._job.id

    def notify_start(self) -> None:
        """Locks are held; marks the opcode running, durably, before it runs."""
        self._queue._mark_running(self._job, self._op)

    def feedback(self, *args: Any) -> None:
        """Adds a log entry: feedback(message) or feedback(type, message)."""
        if len(args) == 1:
            msg_type, msg = constants.ELOG_MESSAGE, args[0]
        else:
            msg_type, msg = args[0], args[1]
        self._queue._add_log(self._job, self._op, msg_type, msg)

    def check_canceled(self) -> None:
        """Raises JobCanceled if cancellation was requested (lock waits)."""
        if self._job.cancel_requested:
            raise errors.JobCanceled("Job %s was canceled" % self._job.id)

    def current_priority(self) -> int:
        return self._op.priority

    def submit_many_jobs(self, jobs: list[list[Any]]) -> list:
        return self._queue.submit_many_jobs(jobs)


class JobQueue:
    """The master's job queue."""

    def __init__(
        self,
        execute_fn: Callable[[Any, OpExecCallbacks], Any],
        num_workers: int = constants.JOBQUEUE_THREADS,
        fsync: bool = True,
        start: bool = True,
    ) -> None:
        self._execute_fn = execute_fn
        self._fsync = fsync
        self._lock = threading.Lock()
        self._jobs: dict[int, QueuedJob] = {}
        self._runnable: list[tuple[int, int, int]] = []
        self._run_seq = itertools.count()
        self._work_cv = threading.Condition(self._lock)
        self._dep_waiters: dict[int, set[int]] = {}
        self._accepting = True
        self._stopping = False
        self._running = 0
        self._workers: list[threading.Thread] = []
        self._num_workers = num_workers
        self._drained = False
        self.on_change: Callable[[QueuedJob], None] | None = None
        self._init_dirs()
        self._lock_fd = self._lock_queue()
        self._load()
        if start:
            self.start()

    # -- start-up and recovery ----------------------------------------------
    def _init_dirs(self) -> None:
        uio.make_dirs([(pathutils.QUEUE_DIR, 0o750), (pathutils.JOB_QUEUE_ARCHIVE_DIR, 0o750)])
        if not os.path.exists(pathutils.JOB_QUEUE_VERSION_FILE):
            uio.write_file(
                pathutils.JOB_QUEUE_VERSION_FILE,
                "%d\n" % constants.JOB_QUEUE_VERSION,
                fsync=self._fsync,
            )
        else:
            version = uio.read_one_line(pathutils.JOB_QUEUE_VERSION_FILE)
            if version != str(constants.JOB_QUEUE_VERSION):
                raise errors.JobQueueError(
                    "Found job queue version %s, expected %s"
                    % (version, constants.JOB_QUEUE_VERSION)
                )
        self._drained = os.path.exists(pathutils.JOB_QUEUE_DRAIN_FILE)

    def _lock_queue(self) -> int:
        fd = os.open(pathutils.JOB_QUEUE_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise errors.JobQueueError("Job queue is locked by another process") from None
        return fd

    def _load(self) -> None:
        """Loads every job and settles the ones a crash interrupted."""
        raw, last_gen = jjournal.replay(pathutils.QUEUE_DIR)
        try:
            serial = int(uio.read_one_line(pathutils.JOB_QUEUE_SERIAL_FILE) or 0)
        except (OSError, ValueError):
            serial = 0
        self._last_serial = max([serial] + list(raw))
        self._journal = jjournal.Journal(pathutils.QUEUE_DIR, last_gen + 1, fsync=self._fsync)
        self._journal.set_serial_fn(lambda: self._last_serial)
        resumed = []
        for job_id in sorted(raw):
            try:
                job = QueuedJob.restore(raw[job_id])
            except (KeyError, TypeError, ValueError) as err:
                logging.error("Job %s is corrupted, ignoring it: %s", job_id, err)
                continue
            self._jobs[job_id] = job
            status = job.calc_status()
            if status == constants.JOB_STATUS_RUNNING:
                job.finalize_rest(
                    constants.OP_STATUS_ERROR,
                    errors.encode_exception(errors.OpExecError(UNCLEAN_SHUTDOWN_MSG)),
                )
            elif status == constants.JOB_STATUS_CANCELING:
                job.finalize_rest(constants.OP_STATUS_CANCELED, "Job canceled by request")
            elif status in (constants.JOB_STATUS_QUEUED, constants.JOB_STATUS_WAITING):
                for op in job.ops:
                    if op.status == constants.OP_STATUS_WAITING:
                        op.status = constants.OP_STATUS_QUEUED
                resumed.append(job)
            else:
                continue
        # make the recovered state durable as job files, then drop journals
        for job in self._jobs.values():
            self._journal.mark_dirty(job.id, self._serialize(job))
        self._journal.checkpoint_now()
        for _, path in jjournal.list_journals(pathutils.QUEUE_DIR):
            if path != self._journal._path(self._journal._gen):
                uio.remove_file(path)
        with self._lock:
            for job in resumed:
                self._enqueue_unlocked(job)
        if resumed:
            logging.info("Resuming %d queued jobs", len(resumed))

    def start(self) -> None:
        """Starts the worker threads."""
        for idx in range(self._num_workers):
            thr = threading.Thread(target=self._worker_loop, name="JqWorker%d" % idx, daemon=True)
            thr.start()
            self._workers.append(thr)

    # -- persistence helpers ------------------------------------------------
    @staticmethod
    def _serialize(job: QueuedJob) -> bytes:
        return serializer.dump_bytes(job.serialize())

    def _persist_unlocked(self, job: QueuedJob) -> int:
        """Queues a snapshot of ``job``; returns the ticket to wait for."""
        job.ticket = self._journal.mark_dirty(job.id, self._serialize(job))
        return job.ticket

    def _notify_unlocked(self, job: QueuedJob) -> None:
        if job.cond is not None:
            job.cond.notify_all()
        if self.on_change is not None:
            self.on_change(job)

    # -- submission -----------------------------------------------------------
    def _check_accepting(self, ignore_drain: bool) -> None:
        if not self._accepting:
            raise errors.JobQueueError("Job queue is shutting down, refusing job")
        if self._drained and not ignore_drain:
            raise errors.JobQueueDrainError("Job queue is drained, refusing job")

    def _build_job(self, job_id: int, ops: Any) -> QueuedJob:
        from ganeti import opcodes

        if not isinstance(ops, list) or not ops:
            raise errors.OpPrereqError(
                "A job needs a non-empty list of opcodes", errors.ECODE_INVAL
            )
        qops = []
        now_ns = time.time_ns()
        for idx, data in enumerate(ops):
            op = opcodes.OpCode.load_op_code(data) if isinstance(data, dict) else data
            if not hasattr(op, "OP_ID"):
                raise errors.OpPrereqError("Invalid opcode %r" % (data,), errors.ECODE_INVAL)
            op.validate(True)
            opcodes.check_submit_priority(getattr(op, "priority", constants.OP_PRIO_DEFAULT))
            reason = list(getattr(op, "reason", None) or [])
            reason.append(
                ["gnt:opcode:%s" % op.OP_ID[3:].lower(), "job=%d;index=%d" % (job_id, idx), now_ns]
            )
            op.reason = reason
            qops.append(QueuedOpCode(op.to_dict(), op))
        return QueuedJob(job_id, qops)

    def _resolve_deps(self, job: QueuedJob, ids_of_batch: list[int], pos: int) -> None:
        for qop in job.ops:
            deps = qop.input.get("depends")
            if not deps:
                continue
            resolved = []
            for dep_id, statuses in deps:
                if dep_id < 0:
                    idx = pos + dep_id
                    if idx < 0 or pos < 0:
                        raise errors.OpPrereqError(
                            "Relative job ID %s out of range" % dep_id, errors.ECODE_INVAL
                        )
                    dep_id = ids_of_batch[idx]
                resolved.append([dep_id, statuses])
            qop.input["depends"] = resolved
            if qop.op is not None:
                qop.op.depends = resolved

    def submit_job(self, ops: list[Any], ignore_drain: bool = False) -> int:
        """Submits one job; returns its id once the job is durable."""
        return self._submit([ops], ignore_drain, single=True)[0]

    def submit_job_to_drained_queue(self, ops: list[Any]) -> int:
        return self.submit_job(ops, ignore_drain=True)

    def submit_many_jobs(self, jobs: list[list[Any]]) -> list[list]:
        """Submits several jobs; returns [[True, id] | [False, message]]."""
        return self._submit(jobs, False, single=False)

    def _submit(self, jobs: list[list[Any]], ignore_drain: bool, single: bool) -> list:
        if not isinstance(jobs, list):
            raise errors.OpPrereqError("Jobs must be a list", errors.ECODE_INVAL)
        with self._lock:
            self._check_accepting(ignore_drain)
            if len(self._jobs) + len(jobs) > constants.JOB_QUEUE_SIZE_HARD_LIMIT:
                raise errors.JobQueueFull()
            first = self._last_serial + 1
            ids = list(range(first, first + len(jobs)))
            built: list[QueuedJob | None] = []
            results: list[list] = []
            for pos, ops in enumerate(jobs):
                try:
                    job = self._build_job(ids[pos], ops)
                    self._resolve_deps(job, ids, pos)
                except errors.GenericError as err:
                    if single:
                        raise
                    built.append(None)
                    results.append([False, errors.format_error(err)])
                    continue
                built.append(job)
                results.append([True, job.id])
            self._last_serial = ids[-1] if ids else self._last_serial
            ticket = 0
            for job in built:
                if job is not None:
                    self._jobs[job.id] = job
                    ticket = self._persist_unlocked(job)
        if ticket:
            self._journal.wait(ticket)
        with self._lock:
            for job in built:
                if job is not None and job.calc_status() == constants.JOB_STATUS_QUEUED:
                    self._enqueue_unlocked(job)
        if single:
            return [results[0][1]]
        return results

    # -- scheduling -------------------------------------------------------------
    def _enqueue_unlocked(self, job: QueuedJob) -> None:
        heapq.heappush(self._runnable, (job.calc_priority(), next(self._run_seq), job.id))
        self._work_cv.notify()

    def _worker_loop(self) -> None:
        while True:
            with self._lock:
                while not self._runnable and not self._stopping:
                    self._work_cv.wait()
                if self._stopping:
                    return
                _, _, job_id = heapq.heappop(self._runnable)
                job = self._jobs.get(job_id)
                if job is None or job.calc_status() not in (
                    constants.JOB_STATUS_QUEUED,
                    constants.JOB_STATUS_WAITING,
                ):
                    continue
                if not job.writable:
                    job.rerun = True  # its worker re-queues it when done
                    continue
                job.writable = False  # owned by this worker now
                self._running += 1
                threading.current_thread().name = "Job%d" % job.id
            try:
                self._run_job(job)
            except Exception:  # pragma: no cover - a bug in the queue itself
                logging.exception("Unhandled error while running job %s", job.id)
            finally:
                threading.current_thread().name = "JqWorker"
                with self._lock:
                    self._running -= 1
                    job.writable = True
                    if job.rerun:
                        job.rerun = False
                        if job.calc_status() in (
                            constants.JOB_STATUS_QUEUED,
                            constants.JOB_STATUS_WAITING,
                        ):
                            self._enqueue_unlocked(job)
                    self._work_cv.notify_all()

    def _check_deps_unlocked(self, job: QueuedJob, qop: QueuedOpCode) -> str | None:
        """None if dependencies allow running; "wait" to park; else error text."""
        for dep_id, statuses in qop.input.get("depends") or []:
            dep = self._jobs.get(dep_id)
            if dep is None:
                if self._archived_status(dep_id) is None:
                    return "Job %s depends on unknown job %s" % (job.id, dep_id)
                status = self._archived_status(dep_id)
            else:
                status = dep.calc_status()
            if status not in constants.JOBS_FINALIZED:
                self._dep_waiters.setdefault(dep_id, set()).add(job.id)
                return "wait"
            if statuses and status not in statuses:
                return "Dependency job %s has status '%s', not one of '%s'" % (
                    dep_id,
                    status,
                    ", ".join(statuses),
                )
        return None

    @staticmethod
    def _archived_status(job_id: int) -> str | None:
        path = pathutils.job_file(job_id, archived=True)
        try:
            data = serializer.loads(uio.read_file(path, binary=True))
        except (OSError, ValueError):
            return None
        return QueuedJob.restore(data).calc_status()

    def _run_job(self, job: QueuedJob) -> None:
        for qop in job.ops:
            if qop.status in constants.OPS_FINALIZED:
                continue
            with self._lock:
                if job.cancel_requested:
                    self._finalize_unlocked(
                        job, constants.OP_STATUS_CANCELED, "Job canceled by request"
                    )
                    ticket = job.ticket
                    done = True
                else:
                    done = False
                    verdict = self._check_deps_unlocked(job, qop)
                    if verdict == "wait":
                        if qop.status != constants.OP_STATUS_WAITING:
                            qop.status = constants.OP_STATUS_WAITING
                            self._persist_unlocked(job)
                            self._notify_unlocked(job)
                        return
                    if verdict is not None:
                        err = errors.encode_exception(errors.OpExecError(verdict))
                        self._finalize_unlocked(job, constants.OP_STATUS_ERROR, err)
                        ticket = job.ticket
                        done = True
                    else:
                        qop.status = constants.OP_STATUS_WAITING
                        qop.start_timestamp = timestamp()
                        if job.start_timestamp is None:
                            job.start_timestamp = qop.start_timestamp
                        self._persist_unlocked(job)
                        self._notify_unlocked(job)
            if done:
                self._publish_final(job, ticket)
                return
            cbs = OpExecCallbacks(self, job, qop)
            status = constants.OP_STATUS_SUCCESS
            try:
                op = qop.op
                if op is None:
                    from ganeti import opcodes

                    op = opcodes.OpCode.load_op_code(qop.input)
                    qop.op = op
                result = self._execute_fn(op, cbs)
            except errors.JobCanceled as err:
                status = constants.OP_STATUS_CANCELED
                result = str(err) or "Job canceled by request"
            except Exception as err:  # pylint: disable=broad-except
                if not isinstance(err, errors.GenericError):
                    logging.exception("Opcode %s of job %s failed", qop.summary, job.id)
                status = constants.OP_STATUS_ERROR
                result = errors.encode_exception(err)
            with self._lock:
                qop.status = status
                qop.result = result
                qop.end_timestamp = timestamp()
                if status == constants.OP_STATUS_SUCCESS:
                    if qop is job.ops[-1]:
                        job.end_timestamp = qop.end_timestamp
                        ticket = self._persist_unlocked(job)
                        final = True
                    else:
                        self._persist_unlocked(job)
                        self._notify_unlocked(job)
                        final = False
                else:
                    if status == constants.OP_STATUS_ERROR:
                        rest = errors.encode_exception(
                            errors.OpExecError("Preceding opcode failed")
                        )
                    else:
                        rest = "Job canceled by request"
                    self._finalize_unlocked(job, status, rest)
                    ticket = job.ticket
                    final = True
            if final:
                self._publish_final(job, ticket)
                return
        # every opcode was already final (e.g. recovered): nothing to run
        with self._lock:
            ticket = job.ticket
        self._publish_final(job, ticket)

    def _finalize_unlocked(self, job: QueuedJob, status: str, result: Any) -> None:
        job.finalize_rest(status, result)
        self._persist_unlocked(job)

    def _publish_final(self, job: QueuedJob, ticket: int) -> None:
        """Waits for the final state to be durable, then wakes everyone."""
        self._journal.wait(ticket)
        with self._lock:
            self._notify_unlocked(job)
            for waiter_id in sorted(self._dep_waiters.pop(job.id, ())):
                waiter = self._jobs.get(waiter_id)
                if waiter is not None and waiter.calc_status() in (
                    constants.JOB_STATUS_QUEUED,
                    constants.JOB_STATUS_WAITING,
                ):
                    self._enqueue_unlocked(waiter)

    def _mark_running(self, job: QueuedJob, qop: QueuedOpCode) -> None:
        with self._lock:
            if job.cancel_requested:
                raise errors.JobCanceled("Job %s was canceled" % job.id)
            qop.status = constants.OP_STATUS_RUNNING
            qop.exec_timestamp = timestamp()
            ticket = self._persist_unlocked(job)
        self._journal.wait(ticket)
        with self._lock:
            self._notify_unlocked(job)

    def _add_log(self, job: QueuedJob, qop: QueuedOpCode, msg_type: str, msg: Any) -> None:
        with self._lock:
            job.log_serial += 1
            qop.log.append([job.log_serial, timestamp(), msg_type, msg])
            self._persist_unlocked(job)
            self._notify_unlocked(job)

    # -- waiting and queries ------------------------------------------------------
    def _answer_after_commit(self, job: QueuedJob | None, value: Any, ticket: int) -> Any:
        if ticket:
            self._journal.wait(ticket)
        return value

    def wait_for_job_changes(
        self,
        job_id: int,
        fields: list[str],
        prev_job_info: Any,
        prev_log_serial: int | None,
        timeout: float,
    ) -> Any:
        """Blocks until the job's ``fields`` or log change; Ganeti semantics."""
        self._check_fields(fields)
        timeout = min(max(float(timeout), 0.0), constants.LUXI_WFJC_TIMEOUT)
        end = time.monotonic() + timeout
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                archived = self._load_archived(job_id)
                if archived is None:
                    return None
                return [archived.get_infos(fields), []]
            if job.cond is None:
                job.cond = threading.Condition(self._lock)
            while True:
                info = job.get_infos(fields)
                logs = job.get_log_entries(prev_log_serial)
                if info != prev_job_info or logs or job.is_finalized():
                    answer = [info, logs]
                    ticket = job.ticket
                    break
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return constants.JOB_NOTCHANGED
                job.cond.wait(remaining)
        return self._answer_after_commit(job, answer, ticket)

    @staticmethod
    def _check_fields(fields: Any) -> None:
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise errors.OpPrereqError("Fields must be a list of strings", errors.ECODE_INVAL)
        unknown = [f for f in fields if f not in FIELDS]
        if unknown:
            raise errors.OpPrereqError(
                "Unknown job fields: %s" % ", ".join(unknown), errors.ECODE_INVAL
            )

    def _load_archived(self, job_id: int) -> QueuedJob | None:
        path = pathutils.job_file(job_id, archived=True)
        try:
            return QueuedJob.restore(
                serializer.loads(uio.read_file(path, binary=True)), archived=True
            )
        except (OSError, ValueError, KeyError):
            return None

    def query_jobs(self, job_ids: list[int] | None, fields: list[str]) -> list:
        """Old-style QueryJobs: values per job, None for unknown ids."""
        self._check_fields(fields)
        rows = []
        ticket = 0
        with self._lock:
            if not job_ids:
                ids = sorted(self._jobs)
            else:
                ids = [int(j) for j in job_ids]
            for job_id in ids:
                job = self._jobs.get(job_id)
                if job is None:
                    archived = self._load_archived(job_id)
                    rows.append(archived.get_infos(fields) if archived else None)
                    continue
                rows.append(job.get_infos(fields))
                ticket = max(ticket, job.ticket)
        return self._answer_after_commit(None, rows, ticket)

    def get_jobs(
        self, job_ids: list[int] | None = None, include_archived: bool = False
    ) -> list[QueuedJob]:
        """Jobs for the query framework (items answering ``get_info``)."""
        with self._lock:
            if job_ids:
                jobs = []
                for job_id in job_ids:
                    job = self._jobs.get(job_id)
                    if job is None:
                        job = self._load_archived(job_id)
                    if job is not None:
                        jobs.append(job)
            else:
                jobs = [self._jobs[j] for j in sorted(self._jobs)]
                if include_archived:
                    jobs += self._all_archived()
            ticket = max([j.ticket for j in jobs] or [0])
        self._journal.wait(ticket)
        return jobs

    def _all_archived(self) -> list[QueuedJob]:
        result = []
        base = pathutils.JOB_QUEUE_ARCHIVE_DIR
        for sub in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            subdir = os.path.join(base, sub)
            for name in os.listdir(subdir):
                if name.startswith("job-"):
                    job = self._load_archived(int(name[4:]))
                    if job is not None:
                        result.append(job)
        result.sort(key=lambda j: j.id)
        return result

    # -- cancel, priority -----------------------------------------------------------
    def cancel_job(self, job_id: int, kill: bool = False) -> list:
        """Cancels a job that has not started running an opcode."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return [False, "Job %s not found" % job_id]
            status = job.calc_status()
            if status in constants.JOBS_FINALIZED:
                return [False, "Job %s is no longer waiting in the queue" % job_id]
            if status == constants.JOB_STATUS_RUNNING:
                return [False, "Job %s is already running" % job_id]
            job.cancel_requested = True
            if status == constants.JOB_STATUS_QUEUED or (
                status == constants.JOB_STATUS_WAITING and job.writable
            ):
                # not in a worker: cancel right here
                self._finalize_unlocked(
                    job, constants.OP_STATUS_CANCELED, "Job canceled by request"
                )
                ticket = job.ticket
                final = True
            else:
                for op in job.ops:
                    if op.status == constants.OP_STATUS_WAITING:
                        op.status = constants.OP_STATUS_CANCELING
                ticket = self._persist_unlocked(job)
                self._notify_unlocked(job)
                final = False
        if final:
            self._publish_final(job, ticket)
            return [True, "Job %s canceled" % job_id]
        self._journal.wait(ticket)
        return [True, "Job %s will be canceled" % job_id]

    def change_job_priority(self, job_id: int, priority: int) -> list:
        from ganeti import opcodes

        opcodes.check_submit_priority(priority)
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return [False, "Job %s not found" % job_id]
            if job.is_finalized():
                return [False, "Job %s is finished" % job_id]
            changed = False
            for op in job.ops:
                if op.status in (constants.OP_STATUS_QUEUED, constants.OP_STATUS_WAITING):
                    op.priority = priority
                    changed = True
            if not changed:
                return [False, "Job %s had no pending opcodes" % job_id]
            ticket = self._persist_unlocked(job)
            if job.calc_status() == constants.JOB_STATUS_QUEUED and job.writable:
                self._enqueue_unlocked(job)
            self._notify_unlocked(job)
        self._journal.wait(ticket)
        return [
            True,
            "Priorities of pending opcodes for job %s have been changed to %s" % (job_id, priority),
        ]

    # -- archive ---------------------------------------------------------------------
    def _archive_unlocked(self, jobs: list[QueuedJob]) -> int:
        if not jobs:
            return 0
        for job in jobs:
            dest = pathutils.job_file(job.id, archived=True)
            os.makedirs(os.path.dirname(dest), 0o750, exist_ok=True)
            uio.write_file(dest, self._serialize(job), mode=0o640, fsync=False, dir_fsync=False)
        if self._fsync:
            jjournal.syncfs(pathutils.JOB_QUEUE_ARCHIVE_DIR)
        ticket = 0
        for job in jobs:
            del self._jobs[job.id]
            job.archived = True
            ticket = self._journal.mark_dirty(job.id, None)
            self._dep_waiters.pop(job.id, None)
        return ticket

    def archive_job(self, job_id: int) -> bool:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not job.is_finalized():
                return False
            ticket = self._archive_unlocked([job])
        self._journal.wait(ticket)
        return True

    def auto_archive_jobs(self, age: float, timeout: float) -> list[int]:
        """Archives finalized jobs older than ``age`` seconds (-1: all)."""
        end = time.monotonic() + max(float(timeout), 0.0)
        now = time.time()
        archived = 0
        with self._lock:
            ids = sorted(self._jobs)
        pending = list(ids)
        while pending:
            batch, pending = pending[:500], pending[500:]
            with self._lock:
                chosen = []
                for job_id in batch:
                    job = self._jobs.get(job_id)
                    if job is None or not job.is_finalized():
                        continue
                    end_ts = job.end_timestamp or job.received_timestamp or [0, 0]
                    if age == -1 or now - end_ts[0] >= age:
                        chosen.append(job)
                ticket = self._archive_unlocked(chosen)
            if ticket:
                self._journal.wait(ticket)
            archived += len(chosen)
            if time.monotonic() > end and pending:
                break
        return [archived, len(pending)]

    # -- replication to master candidates ---------------------------------------
    def set_replicator(self, replicator: Any) -> None:
        """Sends every committed change to ``replicator.on_commit``."""
        self._journal.on_commit = replicator.on_commit
        self._replicator = replicator

    def replicate_all(self) -> None:
        """Pushes every live job and the serial (e.g. to a new candidate)."""
        replicator = getattr(self, "_replicator", None)
        if replicator is None:
            return
        with self._lock:
            snapshot = {job.id: self._serialize(job) for job in self._jobs.values()}
            serial = self._last_serial
        replicator.push_all(snapshot, serial)

    # -- flags and lifecycle -------------------------------------------------------------
    def set_drain_flag(self, drain: bool) -> bool:
        if drain:
            uio.write_file(pathutils.JOB_QUEUE_DRAIN_FILE, "", fsync=self._fsync)
        else:
            uio.remove_file(pathutils.JOB_QUEUE_DRAIN_FILE)
            if self._fsync:
                uio.fsync_dir(pathutils.QUEUE_DIR)
        with self._lock:
            self._drained = drain
        return True

    def is_drained(self) -> bool:
        return self._drained

    def job_count(self) -> int:
        with self._lock:
            return len(self._jobs)

    def running_count(self) -> int:
        with self._lock:
            return self._running

    def stop_accepting(self) -> None:
        """Refuses new jobs from now on."""
        with self._lock:
            self._accepting = False

    def shutdown(self, wait_running: float = 30.0) -> None:
        """Stops taking jobs, lets running ones finish, makes all durable."""
        self.stop_accepting()
        end = time.monotonic() + wait_running
        with self._lock:
            self._stopping = True
            self._work_cv.notify_all()
            while self._running and time.monotonic() < end:
                self._work_cv.wait(0.1)
        for thr in self._workers:
            thr.join(0.1)
        self._journal.close()
        os.close(self._lock_fd)
