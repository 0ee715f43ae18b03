"""Job, lock, export and job-filter query fields.

Owns the field tables of the resources whose items the master daemon keeps
itself (jobs, locks, job filter rules) or gathers per node (exports), and
their contexts.  It must never fetch data or touch the job queue.
"""

from dataclasses import dataclass
from typing import Any, Iterator

from ganeti import constants
from ganeti.query import (
    FS_NODATA,
    FS_UNAVAIL,
    JQ_ARCHIVED,
    LQ_MODE,
    LQ_OWNER,
    LQ_PENDING,
    QFF_HOSTNAME,
    QFF_JOB_ID,
    QFF_SPLIT_TIMESTAMP,
    QFT_BOOL,
    QFT_NUMBER,
    QFT_OTHER,
    QFT_TEXT,
    make_table,
)
from ganeti.query_fields.common import attr, field
from ganeti.utils import text as utils_text

# ------------------------------------------------------------------ jobs


@dataclass
class JobQueryData:
    """What a job query reads.

    ``jobs``: job objects, or ``(job_id, job)`` pairs where ``job`` is None
    for an id that was asked for but does not exist (all its fields but
    ``id`` then read ``RS_UNAVAIL``).  A job object answers
    ``get_info(field_name)`` for every job field except ``archived``, which
    is its attribute (``JQ_ARCHIVED``).
    """

    jobs: list

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        for entry in self.jobs:
            if isinstance(entry, tuple):
                yield entry
            else:
                yield (entry.get_info("id"), entry)


def _job_info(name: str):
    def getter(_ctx: JobQueryData, item: tuple) -> Any:
        job = item[1]
        if job is None:
            return FS_UNAVAIL
        value = job.get_info(name)
        return FS_UNAVAIL if value is None else value

    return getter


def _job_archived(_ctx: JobQueryData, item: tuple) -> Any:
    job = item[1]
    return FS_UNAVAIL if job is None else bool(getattr(job, "archived", False))


_JOB_OP_FIELDS = [
    ("ops", "OpCodes", "Opcodes of the job"),
    ("opresult", "OpCode_result", "Result of each opcode"),
    ("opstatus", "OpCode_status", "Status of each opcode"),
    ("oplog", "OpCode_log", "Log messages of each opcode"),
    ("opstart", "OpCode_start", "Start of each opcode (before its locks are held)"),
    ("opexec", "OpCode_exec", "Execution start of each opcode (locks held)"),
    ("opend", "OpCode_end", "End of each opcode"),
    ("oppriority", "OpCode_prio", "Priority of each opcode"),
    ("summary", "Summary", "Short summary of each opcode"),
]

_JOB_TIMESTAMPS = [
    ("received_ts", "Received", "When the job was received ([seconds, microseconds])"),
    ("start_ts", "Start", "When the job started ([seconds, microseconds])"),
    ("end_ts", "End", "When the job ended ([seconds, microseconds])"),
]


def _build_job() -> dict:
    entries = [
        field("id", "ID", QFT_NUMBER, "Job ID", None, lambda ctx, item: item[0], QFF_JOB_ID),
        field("status", "Status", QFT_TEXT, "Job status", None, _job_info("status")),
        field(
            "priority",
            "Priority",
            QFT_NUMBER,
            "Current job priority (%s to %s)"
            % (constants.OP_PRIO_LOWEST, constants.OP_PRIO_HIGHEST),
            None,
            _job_info("priority"),
        ),
        field(
            "archived",
            "Archived",
            QFT_BOOL,
            "Whether the job is archived",
            JQ_ARCHIVED,
            _job_archived,
        ),
    ]
    entries.extend(
        field(name, title, QFT_OTHER, doc, None, _job_info(name))
        for (name, title, doc) in _JOB_OP_FIELDS
    )
    entries.extend(
        field(name, title, QFT_OTHER, doc, None, _job_info(name), QFF_SPLIT_TIMESTAMP)
        for (name, title, doc) in _JOB_TIMESTAMPS
    )
    return make_table(entries)


JOB_FIELDS = _build_job()

# ----------------------------------------------------------------- locks


@dataclass
class LockQueryData:
    """What a lock query reads: ``(name, mode, owners, pending)`` per lock.

    ``mode`` is "exclusive", "shared" or None; ``owners`` a list of owner
    names or None; ``pending`` a list of ``(mode, [owner names])`` or None.
    """

    locks: list

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.locks)


def _lock_owners(_ctx: LockQueryData, item: tuple) -> Any:
    owners = item[2]
    return utils_text.nice_sort(owners) if owners else owners


def _lock_pending(_ctx: LockQueryData, item: tuple) -> Any:
    pending = item[3]
    if not pending:
        return pending
    return [[mode, utils_text.nice_sort(names)] for (mode, names) in pending]


LOCK_FIELDS = make_table(
    [
        field("name", "Name", QFT_TEXT, "Lock name", None, lambda ctx, item: item[0]),
        field(
            "mode",
            "Mode",
            QFT_OTHER,
            "Mode the lock is held in (exclusive or shared)",
            LQ_MODE,
            lambda ctx, item: item[1],
        ),
        field("owner", "Owner", QFT_OTHER, "Current owners of the lock", LQ_OWNER, _lock_owners),
        field(
            "pending",
            "Pending",
            QFT_OTHER,
            "Owners waiting for the lock",
            LQ_PENDING,
            _lock_pending,
        ),
    ]
)

# --------------------------------------------------------------- exports


@dataclass
class ExportQueryData:
    """What an export query reads: ``(node name, export name)`` pairs.

    The export name is None for a node that could not be asked
    (``RS_NODATA``).
    """

    exports: list

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.exports)


EXPORT_FIELDS = make_table(
    [
        field("node", "Node", QFT_TEXT, "Node name", None, lambda ctx, item: item[0], QFF_HOSTNAME),
        field(
            "export",
            "Export",
            QFT_TEXT,
            "Export name",
            None,
            lambda ctx, item: FS_NODATA if item[1] is None else item[1],
        ),
    ]
)

# ----------------------------------------------------------- job filters


@dataclass
class FilterQueryData:
    """What a job-filter query reads: filter rule objects.

    Attributes read: ``uuid, watermark, priority, predicates, action,
    reason_trail``.
    """

    filters: list

    def __iter__(self) -> Iterator[Any]:
        return iter(self.filters)


FILTER_FIELDS = make_table(
    [
        field(
            "watermark",
            "Watermark",
            QFT_NUMBER,
            "Highest job id when the rule was set",
            None,
            attr("watermark", True),
        ),
        field(
            "priority", "Priority", QFT_NUMBER, "Priority of the rule", None, attr("priority", True)
        ),
        field(
            "predicates",
            "Predicates",
            QFT_OTHER,
            "Conditions on jobs",
            None,
            attr("predicates", True),
        ),
        field(
            "action",
            "Action",
            QFT_OTHER,
            "What happens to matching jobs",
            None,
            attr("action", True),
        ),
        field(
            "reason_trail",
            "ReasonTrail",
            QFT_OTHER,
            "Why the rule was set",
            None,
            attr("reason_trail", True),
        ),
        field("uuid", "UUID", QFT_TEXT, "Filter rule UUID", None, attr("uuid", True)),
    ]
)
