"""Job submission and polling for the gnt-* commands.

Owns how a command hands opcodes to the master and follows them: the
generic opcode options (--debug, --dry-run, --priority, --reason trail),
SubmitJob, WaitForJobChange polling that prints the job's log as it
arrives, rebuilding a failed job's error as its errors.* class, --submit /
--print-jobid, and JobExecutor for many jobs at once.  It must never format
errors for people or parse options (that is ``ganeti.cli``, which
re-exports everything here).
"""

import os
import sys
import time
from typing import Any, Callable, Iterable

from ganeti import constants
from ganeti import errors
from ganeti.cli_table import merge_time, to_stderr, to_stdout

#: the command line generic_main runs (binary and sub-command go into the
#: opcodes' reason trail); set by ganeti.cli.generic_main
command_line: list[str] | None = None


def get_client() -> Any:
    """A luxi client for the master daemon (connects on first use)."""
    from ganeti import luxi

    return luxi.Client()


def _init_reason_trail(op: Any, opts: Any, argv: list[str] | None = None) -> None:
    if argv is None:
        argv = command_line if command_line is not None else sys.argv
    trail = []
    reason = getattr(opts, "reason", None)
    if reason:
        trail.append([constants.OPCODE_REASON_SRC_USER, reason, time.time_ns()])
    binary = os.path.basename(argv[0]) if argv else "gnt"
    command = argv[1] if len(argv) > 1 else ""
    trail.append(["%s:%s" % (constants.OPCODE_REASON_SRC_CLIENT, binary), command, time.time_ns()])
    op.reason = trail


def set_generic_opcode_opts(opcode_list: Iterable[Any], options: Any) -> None:
    """Copies --debug, --dry-run, --priority and --reason into the opcodes."""
    if not options:
        return
    for op in opcode_list:
        op.debug_level = getattr(options, "debug", 0) or 0
        if hasattr(options, "dry_run"):
            op.dry_run = options.dry_run
        if getattr(options, "priority", None) is not None:
            op.priority = options.priority
        _init_reason_trail(op, options)


def send_job(ops: list[Any], cl: Any = None) -> int:
    """Submits one job made of ``ops``; returns its id without waiting."""
    if cl is None:
        cl = get_client()
    return cl.SubmitJob(ops)


def format_log_message(log_type: str, log_msg: Any) -> str:
    """A job log message as printable text."""
    if log_type != constants.ELOG_MESSAGE or not isinstance(log_msg, str):
        log_msg = str(log_msg)
    return _safe_encode(log_msg)


def _safe_encode(text: str) -> str:
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char in "\t\n" or char.isprintable():
            out.append(char)
        elif char == "\r":
            out.append("\\r")
        else:
            out.append(char.encode("unicode_escape").decode("ascii"))
    return "".join(out)


class JobPollReporter:
    """Receives what happens while a job is polled."""

    def report_log_message(
        self, job_id: int, serial: int, timestamp: Any, log_type: str, log_msg: Any
    ) -> None:
        raise NotImplementedError

    def report_not_changed(self, job_id: int, status: str | None) -> None:
        raise NotImplementedError


class StdioJobPollReporter(JobPollReporter):
    """Prints log messages to stdout as ``<ctime> <message>`` (Ganeti's way)
    and, once each, that the job waits in the queue or for locks."""

    def __init__(self) -> None:
        self.notified_queued = False
        self.notified_waitlock = False

    def report_log_message(
        self, job_id: int, serial: int, timestamp: Any, log_type: str, log_msg: Any
    ) -> None:
        to_stdout("%s %s", time.ctime(merge_time(timestamp)), format_log_message(log_type, log_msg))

    def report_not_changed(self, job_id: int, status: str | None) -> None:
        if status == constants.JOB_STATUS_QUEUED and not self.notified_queued:
            to_stderr("Job %s is waiting in queue", job_id)
            self.notified_queued = True
        elif status == constants.JOB_STATUS_WAITING and not self.notified_waitlock:
            to_stderr("Job %s is trying to acquire all necessary locks", job_id)
            self.notified_waitlock = True


class FeedbackFnJobPollReporter(JobPollReporter):
    """Hands each log entry ``(timestamp, type, message)`` to a function."""

    def __init__(self, feedback_fn: Callable[[tuple], None]) -> None:
        self.feedback_fn = feedback_fn

    def report_log_message(
        self, job_id: int, serial: int, timestamp: Any, log_type: str, log_msg: Any
    ) -> None:
        self.feedback_fn((timestamp, log_type, log_msg))

    def report_not_changed(self, job_id: int, status: str | None) -> None:
        pass


def generic_poll_job(
    job_id: int,
    cl: Any,
    reporter: JobPollReporter,
    cancel_fn: Callable[[], bool] | None = None,
    update_freq: float = constants.DEFAULT_WFJC_TIMEOUT,
) -> list:
    """Follows a job with WaitForJobChange until it ends; returns its results.

    Raises JobLost if the job disappears, JobCanceled if it was canceled,
    and the opcode's own error (rebuilt as its errors.* class) or
    OpExecError if it failed.
    """
    if update_freq <= 0:
        raise errors.ParameterError("Update frequency must be a positive number")
    prev_job_info = None
    prev_serial = None
    status = None
    while True:
        should_cancel = False
        if cancel_fn is not None:
            step = min(update_freq, 5)
            waited = 0.0
            while True:
                result = cl.WaitForJobChangeOnce(
                    job_id, ["status"], prev_job_info, prev_serial, timeout=step
                )
                should_cancel = cancel_fn()
                waited += step
                if should_cancel or result != constants.JOB_NOTCHANGED or waited >= update_freq:
                    break
        else:
            result = cl.WaitForJobChangeOnce(
                job_id, ["status"], prev_job_info, prev_serial, timeout=update_freq
            )
        if not result:
            raise errors.JobLost("Job with id %s lost" % job_id)
        if should_cancel:
            cl.CancelJob(job_id)
            raise errors.JobCanceled("Job was canceled")
        if result == constants.JOB_NOTCHANGED:
            reporter.report_not_changed(job_id, status)
            continue
        job_info, log_entries = result
        status = job_info[0]
        if log_entries:
            for serial, timestamp, log_type, message in log_entries:
                reporter.report_log_message(job_id, serial, timestamp, log_type, message)
                prev_serial = serial if prev_serial is None else max(prev_serial, serial)
        elif status in (
            constants.JOB_STATUS_SUCCESS,
            constants.JOB_STATUS_ERROR,
            constants.JOB_STATUS_CANCELING,
            constants.JOB_STATUS_CANCELED,
        ):
            break
        prev_job_info = job_info
    jobs = cl.QueryJobs([job_id], ["status", "opstatus", "opresult"])
    if not jobs or jobs[0] is None:
        raise errors.JobLost("Job with id %s lost" % job_id)
    status, opstatus, opresult = jobs[0]
    return _job_result(status, opstatus, opresult)


def _job_result(status: str, opstatus: list, opresult: list) -> list:
    if status == constants.JOB_STATUS_SUCCESS:
        return opresult
    if status in (constants.JOB_STATUS_CANCELING, constants.JOB_STATUS_CANCELED):
        raise errors.JobCanceled("Job was canceled")
    has_ok = False
    for idx, (op_status, msg) in enumerate(zip(opstatus, opresult)):
        if op_status == constants.OP_STATUS_SUCCESS:
            has_ok = True
        elif op_status == constants.OP_STATUS_ERROR:
            errors.maybe_raise(msg)
            if has_ok:
                raise errors.OpExecError("partial failure (opcode %d): %s" % (idx, msg))
            raise errors.OpExecError(str(msg))
    raise errors.OpExecError(opresult)


def poll_job(
    job_id: int,
    cl: Any = None,
    feedback_fn: Callable | None = None,
    reporter: JobPollReporter | None = None,
    cancel_fn: Callable[[], bool] | None = None,
    update_freq: float = constants.DEFAULT_WFJC_TIMEOUT,
) -> list:
    """Waits for a job, printing its log (or feeding ``feedback_fn``)."""
    if cl is None:
        cl = get_client()
    if reporter is None:
        reporter = FeedbackFnJobPollReporter(feedback_fn) if feedback_fn else StdioJobPollReporter()
    elif feedback_fn:
        raise errors.ProgrammerError("Can't specify reporter and feedback function")
    return generic_poll_job(job_id, cl, reporter, cancel_fn=cancel_fn, update_freq=update_freq)


def submit_op_code(
    op: Any,
    cl: Any = None,
    feedback_fn: Callable | None = None,
    opts: Any = None,
    reporter: JobPollReporter | None = None,
) -> Any:
    """Submits ``op`` as a one-opcode job, follows it, returns its result."""
    return submit_op_codes([op], cl=cl, feedback_fn=feedback_fn, opts=opts, reporter=reporter)[0]


def submit_op_codes(
    ops: list[Any],
    cl: Any = None,
    feedback_fn: Callable | None = None,
    opts: Any = None,
    reporter: JobPollReporter | None = None,
) -> list:
    """Submits ``ops`` as one job, follows it, returns the list of results."""
    if cl is None:
        cl = get_client()
    set_generic_opcode_opts(ops, opts)
    job_id = send_job(ops, cl=cl)
    if getattr(opts, "print_jobid", False):
        to_stdout("%d", job_id)
    return poll_job(job_id, cl=cl, feedback_fn=feedback_fn, reporter=reporter)


def submit_op_code_to_drained_queue(op: Any) -> Any:
    """Like submit_op_code, but accepted even when the queue is drained."""
    cl = get_client()
    job_id = cl.SubmitJobToDrainedQueue([op])
    return poll_job(job_id, cl=cl)[0]


def submit_or_send(op: Any, opts: Any, cl: Any = None, feedback_fn: Callable | None = None) -> Any:
    """``--submit``: send the job and raise JobSubmittedException (printed
    as ``JobID: N``); otherwise submit, follow and return the result."""
    if opts is not None and getattr(opts, "submit_only", False):
        job = [op]
        set_generic_opcode_opts(job, opts)
        job_id = send_job(job, cl=cl)
        if getattr(opts, "print_jobid", False):
            to_stdout("%d", job_id)
        raise errors.JobSubmittedException(job_id)
    return submit_op_code(op, cl=cl, feedback_fn=feedback_fn, opts=opts)


class JobExecutor:
    """Submits several jobs at once and collects their results in order."""

    def __init__(
        self,
        cl: Any = None,
        verbose: bool = True,
        opts: Any = None,
        feedback_fn: Callable | None = None,
    ) -> None:
        self.cl = cl if cl is not None else get_client()
        self.verbose = verbose
        self.opts = opts
        self.feedback_fn = feedback_fn
        self.queue: list[tuple[int, str | None, list]] = []
        self.jobs: list[tuple[int, bool, Any, str | None]] = []
        self._counter = 0

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def queue_job(self, name: str | None, *ops: Any) -> None:
        """Adds a job (not submitted yet)."""
        set_generic_opcode_opts(ops, self.opts)
        self.queue.append((self._next(), name, list(ops)))

    def add_job_id(self, name: str | None, status: bool, job_id: Any) -> None:
        """Adds an already submitted job."""
        self.jobs.append((self._next(), status, job_id, name))

    def submit_pending(self, each: bool = False) -> None:
        """Submits the queued jobs (one SubmitManyJobs, or one by one)."""
        if each:
            results = [[True, self.cl.SubmitJob(ops)] for _, _, ops in self.queue]
        else:
            results = self.cl.SubmitManyJobs([ops for _, _, ops in self.queue])
        for (status, data), (idx, name, _) in zip(results, self.queue):
            self.jobs.append((idx, status, data, name))
        self.queue = []

    @staticmethod
    def _for(name: str | None) -> str:
        return " for %s" % name if name else ""

    def get_results(self) -> list[tuple[bool, Any]]:
        """Waits for every job; returns [(success, result or error text)]."""
        if not self.jobs:
            self.submit_pending()
        results = []
        if self.verbose:
            ok_jobs = [str(job[2]) for job in self.jobs if job[1]]
            if ok_jobs:
                to_stdout("Submitted jobs %s", ", ".join(ok_jobs))
        pending = []
        for idx, status, job_id, name in self.jobs:
            if status:
                pending.append((idx, job_id, name))
            else:
                to_stderr("Failed to submit job%s: %s", self._for(name), job_id)
                results.append((idx, False, job_id))
        for idx, job_id, name in pending:
            to_stdout("Waiting for job %s%s ...", job_id, self._for(name))
            try:
                job_result = poll_job(job_id, cl=self.cl, feedback_fn=self.feedback_fn)
                success = True
            except errors.JobLost as err:
                job_result = _format_error(err)
                to_stderr(
                    "Job %s%s has been archived, cannot check its result", job_id, self._for(name)
                )
                success = False
            except errors.GenericError as err:
                job_result = _format_error(err)
                success = False
                to_stderr("Job %s%s has failed: %s", job_id, self._for(name), job_result)
            results.append((idx, success, job_result))
        results.sort(key=lambda r: r[0])
        self.jobs = []
        return [(success, res) for _, success, res in results]

    def wait_or_show(self, wait: bool) -> list:
        """With ``wait`` get_results(); else print ``id: name`` per job."""
        if wait:
            return self.get_results()
        if not self.jobs:
            self.submit_pending()
        for _, status, result, name in self.jobs:
            if status:
                to_stdout("%s: %s", result, name)
            else:
                to_stderr("Failure for %s: %s", name, result)
        return [(status, result) for _, status, result, _ in self.jobs]


def _format_error(err: BaseException) -> str:
    from ganeti import cli

    return cli.format_error(err)[1]
