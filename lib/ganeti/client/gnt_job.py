"""gnt-job: examine and manipulate the job queue.

Owns the job sub-commands (list, list-fields, info, watch, wait, cancel,
change-priority, archive, autoarchive).  It only talks luxi; it must never
read job files directly (the master owns the queue).
"""

from typing import Any

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti.cli import cli_option

#: default fields of ``gnt-job list``
LIST_DEF_FIELDS = ["id", "status", "summary"]

_USER_JOB_STATUS = {
    constants.JOB_STATUS_QUEUED: "queued",
    constants.JOB_STATUS_WAITING: "waiting",
    constants.JOB_STATUS_CANCELING: "canceling",
    constants.JOB_STATUS_RUNNING: "running",
    constants.JOB_STATUS_CANCELED: "canceled",
    constants.JOB_STATUS_SUCCESS: "success",
    constants.JOB_STATUS_ERROR: "error",
}


def _format_status(value: str) -> str:
    try:
        return _USER_JOB_STATUS[value]
    except KeyError:
        raise errors.ProgrammerError("Unknown job status code '%s'" % value) from None


def _format_summary(value: Any) -> str:
    return ",".join(value) if isinstance(value, (list, tuple)) else str(value)


def _format_timestamps(value: Any) -> str:
    if not isinstance(value, (list, tuple)):
        return str(value)
    return str([cli.format_timestamp(v) for v in value])


JOB_LIST_FORMAT = {
    "status": (_format_status, False),
    "summary": (_format_summary, False),
    "opstart": (_format_timestamps, False),
    "opexec": (_format_timestamps, False),
    "opend": (_format_timestamps, False),
}


def parse_job_ids(args: list[str]) -> list[int]:
    """Job ids from the command line; OpPrereqError if one is not a number."""
    try:
        return [int(a) for a in args]
    except (TypeError, ValueError) as err:
        raise errors.OpPrereqError("Invalid job ID passed: %s" % err, errors.ECODE_INVAL) from None


def _status_filter(statuses: Any) -> list | None:
    if not statuses:
        return None
    return ["|"] + [["=", "status", s] for s in sorted(statuses)]


def list_jobs(opts: Any, args: list[str]) -> int:
    """``list``: table of jobs (default fields id, status, summary)."""
    fields = cli.parse_fields(opts.output, LIST_DEF_FIELDS)
    if opts.archived and "archived" not in fields:
        fields.append("archived")
    return cli.generic_list(
        constants.QR_JOB,
        fields,
        args,
        None,
        opts.separator,
        not opts.no_headers,
        format_override=JOB_LIST_FORMAT,
        verbose=opts.verbose,
        force_filter=opts.force_filter,
        namefield="id",
        qfilter=_status_filter(opts.status_filter),
        isnumeric=True,
    )


def list_job_fields(opts: Any, args: list[str]) -> int:
    """``list-fields``: the job query fields."""
    return cli.generic_list_fields(constants.QR_JOB, args, opts.separator, not opts.no_headers)


def archive_jobs(opts: Any, args: list[str]) -> int:
    """``archive``: moves finished jobs to the archive."""
    cl = cli.get_client()
    rcode = constants.EXIT_SUCCESS
    for job_id in parse_job_ids(args):
        if not cl.ArchiveJob(job_id):
            cli.to_stderr("Failed to archive job with ID '%s'", job_id)
            rcode = constants.EXIT_FAILURE
    return rcode


def auto_archive_jobs(opts: Any, args: list[str]) -> int:
    """``autoarchive AGE|all``: archives finished jobs older than AGE."""
    age = -1 if args[0] == "all" else cli.parse_timespec(args[0])
    archived, left = cli.get_client().AutoArchiveJobs(age)
    cli.to_stdout("Archived %s jobs, %s unchecked left", archived, left)
    return constants.EXIT_SUCCESS


def _multi_job_action(opts: Any, args: list[str], question: str, action: Any) -> int:
    """Runs ``action(cl, job_id) -> (ok, message)`` on the named jobs, or on
    every job in the selected state (after confirmation unless --force)."""
    cl = cli.get_client()
    if bool(args) == (opts.status_filter is not None):
        raise errors.OpPrereqError(
            "Either a status filter or job ID(s) must be specified and never both",
            errors.ECODE_INVAL,
        )
    if opts.status_filter is not None:
        response = cl.Query(
            constants.QR_JOB, ["id", "status", "summary"], _status_filter(opts.status_filter)
        )
        jobs = [row[0][1] for row in response["data"]]
        if not jobs:
            raise errors.OpPrereqError(
                "No jobs with the requested status have been found", errors.ECODE_STATE
            )
        if not opts.force:
            _, lines = cli.format_query_result(
                response, header=True, format_override=JOB_LIST_FORMAT
            )
            for line in lines:
                cli.to_stdout(line)
            if not cli.ask_user(question):
                return constants.EXIT_CONFIRMATION
    else:
        jobs = parse_job_ids(args)
    result = constants.EXIT_SUCCESS
    for job_id in jobs:
        success, msg = action(cl, job_id)
        if not success:
            result = constants.EXIT_FAILURE
        cli.to_stdout("%s", msg)
    return result


def cancel_jobs(opts: Any, args: list[str]) -> int:
    """``cancel``: cancels queued/waiting jobs (running ones with --kill)."""
    if opts.kill:
        if not opts.yes_do_it:
            raise errors.OpPrereqError(
                "The --kill option must be confirmed with --yes-do-it", errors.ECODE_INVAL
            )
        name = "KILL"
    else:
        name = "Cancel"
    return _multi_job_action(
        opts,
        args,
        "%s job(s) listed above?" % name,
        lambda cl, job_id: cl.CancelJob(job_id, opts.kill),
    )


def change_priority(opts: Any, args: list[str]) -> int:
    """``change-priority --priority P``: re-prioritises pending jobs."""
    if opts.priority is None:
        cli.to_stderr("--priority option must be given.")
        return constants.EXIT_FAILURE
    return _multi_job_action(
        opts,
        args,
        "Change priority of job(s) listed above?",
        lambda cl, job_id: cl.ChangeJobPriority(job_id, opts.priority),
    )


def _delta(from_ts: Any, to_ts: Any) -> float:
    return to_ts[0] - from_ts[0] + (to_ts[1] - from_ts[1]) / 1000000.0


def _job_timestamp(name: str, ts: Any, prior: Any = None) -> tuple:
    if ts is None:
        return (name, "unknown (None)", "job_timestamp")
    text = cli.format_timestamp(ts)
    if prior is not None:
        text += " (delta %.6fs)" % _delta(prior, ts)
    return (name, text, "job_timestamp")


def _op_timestamp(name: str, ts: Any) -> tuple:
    if isinstance(ts, (list, tuple)):
        return (name, cli.format_timestamp(ts), "opcode_timestamp")
    return (name, "N/A", "opcode_timestamp")


INFO_FIELDS = [
    "id",
    "status",
    "ops",
    "opresult",
    "opstatus",
    "oplog",
    "opstart",
    "opexec",
    "opend",
    "received_ts",
    "start_ts",
    "end_ts",
]


def job_info_data(row: list) -> list | str:
    """One Query row of INFO_FIELDS as the ``info`` structure (or a note)."""
    values = [cell[1] for cell in row]
    job_id = values[0]
    if row[1][0] != constants.RS_NORMAL:
        return "Job ID %s not found" % job_id
    (_, status, ops, opresult, opstatus, oplog, opstart, opexec, opend, recv_ts, start_ts,
     end_ts) = values  # fmt: skip
    info: list = [("Job ID", job_id), ("Status", _format_status(status))]
    info.append(_job_timestamp("Received", recv_ts))
    info.append(_job_timestamp("Processing start", start_ts, prior=recv_ts))
    info.append(_job_timestamp("Processing end", end_ts, prior=start_ts))
    if end_ts is not None and recv_ts is not None:
        info.append(("Total processing time", "%.6f seconds" % _delta(recv_ts, end_ts)))
    else:
        info.append(("Total processing time", "N/A"))
    opcodes_info = []
    for op, result, op_status, log, s_ts, x_ts, e_ts in zip(
        ops, opresult, opstatus, oplog, opstart, opexec, opend
    ):
        op_info: list = [("Opcode", op.get("OP_ID", "?")), ("Status", op_status)]
        op_info.append(_op_timestamp("Processing start", s_ts))
        op_info.append(_op_timestamp("Execution start", x_ts))
        op_info.append(_op_timestamp("Processing end", e_ts))
        op_info.append(("Input fields", op))
        op_info.append(("Result", result))
        log_info = []
        for serial, log_ts, log_type, log_msg in log:
            log_info.append(
                [
                    ("Time", cli.format_timestamp(log_ts)),
                    ("Content", (serial, log_type, cli.format_log_message(log_type, log_msg))),
                ]
            )
        op_info.append(("Execution log", log_info))
        opcodes_info.append(op_info)
    info.append(("Opcodes", opcodes_info))
    return info


def show_jobs(opts: Any, args: list[str]) -> int:
    """``info``: details of jobs: timestamps, opcodes, results and logs."""
    job_ids = parse_job_ids(args)
    qfilter = ["|"] + [["=", "id", j] for j in job_ids]
    response = cli.get_client().Query(constants.QR_JOB, INFO_FIELDS, qfilter)
    container = []
    seen = set()
    for row in response["data"]:
        seen.add(row[0][1])
        container.append(job_info_data(row))
    for job_id in job_ids:
        if job_id not in seen:
            container.append("Job ID %s not found" % job_id)
    cli.print_generic_info(container)
    return constants.EXIT_SUCCESS


def _follow(job_id: int, quiet: bool) -> int:
    try:
        if quiet:
            cli.poll_job(job_id, feedback_fn=lambda _: None)
        else:
            cli.poll_job(job_id)
    except errors.GenericError as err:
        retcode, text = cli.format_error(err)
        cli.to_stderr("Job %s failed: %s", job_id, text)
        return retcode
    return constants.EXIT_SUCCESS


def watch_job(opts: Any, args: list[str]) -> int:
    """``watch``: prints the job's log messages as they arrive."""
    (job_id,) = parse_job_ids(args)
    msg = "Output from job %s follows" % job_id
    cli.to_stdout(msg)
    cli.to_stdout("-" * len(msg))
    return _follow(job_id, quiet=False)


def wait_job(opts: Any, args: list[str]) -> int:
    """``wait``: waits for the job to end, silently."""
    (job_id,) = parse_job_ids(args)
    return _follow(job_id, quiet=True)


_KILL_OPT = cli_option(
    "--kill", default=False, action="store_true", dest="kill",
    help="Kill running jobs with SIGKILL",
)  # fmt: skip
_PENDING_OPT = cli_option(
    "--pending", default=None, action="store_const", dest="status_filter",
    const=constants.JOBS_PENDING, help="Select jobs pending execution or being cancelled",
)  # fmt: skip
_RUNNING_OPT = cli_option(
    "--running", default=None, action="store_const", dest="status_filter",
    const=frozenset([constants.JOB_STATUS_RUNNING]), help="Show jobs currently running only",
)  # fmt: skip
_ERROR_OPT = cli_option(
    "--error", default=None, action="store_const", dest="status_filter",
    const=frozenset([constants.JOB_STATUS_ERROR]), help="Show failed jobs only",
)  # fmt: skip
_FINISHED_OPT = cli_option(
    "--finished", default=None, action="store_const", dest="status_filter",
    const=constants.JOBS_FINALIZED, help="Show finished jobs only",
)  # fmt: skip
_ARCHIVED_OPT = cli_option(
    "--archived", default=False, action="store_true", dest="archived",
    help="Include archived jobs in the list (slow)",
)  # fmt: skip
_QUEUED_OPT = cli_option(
    "--queued", default=None, action="store_const", dest="status_filter",
    const=frozenset([constants.JOB_STATUS_QUEUED]), help="Select queued jobs only",
)  # fmt: skip
_WAITING_OPT = cli_option(
    "--waiting", default=None, action="store_const", dest="status_filter",
    const=frozenset([constants.JOB_STATUS_WAITING]), help="Select waiting jobs only",
)  # fmt: skip

commands = {
    "list": (
        list_jobs,
        [cli.ArgJobId()],
        [
            cli.NOHDR_OPT,
            cli.SEP_OPT,
            cli.FIELDS_OPT,
            cli.VERBOSE_OPT,
            cli.FORCE_FILTER_OPT,
            _PENDING_OPT,
            _RUNNING_OPT,
            _ERROR_OPT,
            _FINISHED_OPT,
            _ARCHIVED_OPT,
        ],  # fmt: skip
        "[<job-id>...]",
        "Lists the jobs and their status. The available fields can be shown using the"
        ' "list-fields" command (see the man page for details). The default field list is'
        " (in order): %s." % ", ".join(LIST_DEF_FIELDS),
    ),
    "list-fields": (
        list_job_fields,
        [cli.ArgUnknown()],
        [cli.NOHDR_OPT, cli.SEP_OPT],
        "[<fields>...]",
        "Lists all available fields for jobs",
    ),
    "archive": (
        archive_jobs,
        [cli.ArgJobId(min=1)],
        [],
        "<job-id> [<job-id>...]",
        "Archive specified jobs",
    ),
    "autoarchive": (
        auto_archive_jobs,
        [cli.ArgSuggest(min=1, max=1, choices=["1d", "1w", "4w", "all"])],
        [],
        "<age>",
        "Auto archive jobs older than the given age",
    ),
    "cancel": (
        cancel_jobs,
        [cli.ArgJobId()],
        [cli.FORCE_OPT, _KILL_OPT, _PENDING_OPT, _QUEUED_OPT, _WAITING_OPT, cli.YES_DOIT_OPT],
        "{[--force] [--kill --yes-do-it] {--pending | --queued | --waiting} |"
        " <job-id> [<job-id>...]}",
        "Cancel jobs",
    ),
    "info": (
        show_jobs,
        [cli.ArgJobId(min=1)],
        [],
        "<job-id> [<job-id>...]",
        "Show detailed information about the specified jobs",
    ),
    "wait": (
        wait_job,
        [cli.ArgJobId(min=1, max=1)],
        [],
        "<job-id>",
        "Wait for a job to finish",
    ),
    "watch": (
        watch_job,
        [cli.ArgJobId(min=1, max=1)],
        [],
        "<job-id>",
        "Follows a job and prints its output as it arrives",
    ),
    "change-priority": (
        change_priority,
        [cli.ArgJobId()],
        [cli.PRIORITY_OPT, cli.FORCE_OPT, _PENDING_OPT, _QUEUED_OPT, _WAITING_OPT],
        "--priority <priority> {[--force] {--pending | --queued | --waiting} |"
        " <job-id> [<job-id>...]}",
        "Change the priority of jobs",
    ),
}

aliases = {"show": "info"}


def main() -> int:
    return cli.generic_main(commands, aliases=aliases)
