"""In-memory jobs and opcodes of the queue, and their file format.

Owns the job data model: statuses computed from opcode statuses exactly as
Ganeti does, the ``queue/job-N`` layout, and the job query fields.  It must
never do I/O or take the queue lock itself: the queue calls it under its lock.
"""

import time
from typing import Any

from ganeti import constants

FIELDS = frozenset(
    [
        "id",
        "status",
        "priority",
        "archived",
        "ops",
        "opresult",
        "opstatus",
        "oplog",
        "opstart",
        "opexec",
        "opend",
        "oppriority",
        "summary",
        "received_ts",
        "start_ts",
        "end_ts",
    ]
)


def timestamp() -> list[int]:
    """Now as Ganeti's [seconds, microseconds]."""
    now = time.time()
    sec = int(now)
    return [sec, int((now - sec) * 1000000)]


def _summary_of(op_input: dict) -> str:
    op_id = op_input.get("OP_ID", "OP_UNKNOWN")
    name = op_id[3:] if op_id.startswith("OP_") else op_id
    from ganeti import opcodes  # cheap: opcodes is light by design

    cls = opcodes.OP_MAPPING.get(op_id)
    field = getattr(cls, "OP_DSC_FIELD", None) if cls else None
    if field and op_input.get(field) is not None:
        value = op_input[field]
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        return "%s(%s)" % (name, value)
    return name


class QueuedOpCode:
    """One opcode of a job, with its status, result, log and timestamps."""

    __slots__ = (
        "input",
        "op",
        "status",
        "result",
        "log",
        "start_timestamp",
        "exec_timestamp",
        "end_timestamp",
        "priority",
        "summary",
    )

    def __init__(self, op_input: dict, op: Any = None) -> None:
        self.input = op_input
        self.op = op
        self.status = constants.OP_STATUS_QUEUED
        self.result = None
        self.log: list[list] = []
        self.start_timestamp = None
        self.exec_timestamp = None
        self.end_timestamp = None
        self.priority = op_input.get("priority", constants.OP_PRIO_DEFAULT)
        self.summary = _summary_of(op_input)

    def serialize(self) -> dict:
        return {
            "input": self.input,
            "status": self.status,
            "result": self.result,
            "log": self.log,
            "start_timestamp": self.start_timestamp,
            "exec_timestamp": self.exec_timestamp,
            "end_timestamp": self.end_timestamp,
            "priority": self.priority,
        }

    @classmethod
    def restore(cls, data: dict) -> "QueuedOpCode":
        obj = cls(data["input"])
        obj.status = data["status"]
        obj.result = data.get("result")
        obj.log = data.get("log") or []
        obj.start_timestamp = data.get("start_timestamp")
        obj.exec_timestamp = data.get("exec_timestamp")
        obj.end_timestamp = data.get("end_timestamp")
        obj.priority = data.get("priority", constants.OP_PRIO_DEFAULT)
        return obj


class QueuedJob:
    """A job: an id and opcodes; status derives from the opcodes."""

    __slots__ = (
        "id",
        "ops",
        "received_timestamp",
        "start_timestamp",
        "end_timestamp",
        "archived",
        "log_serial",
        "ticket",
        "cond",
        "cancel_requested",
        "writable",
        "rerun",
    )

    def __init__(self, job_id: int, ops: list[QueuedOpCode]) -> None:
        self.id = job_id
        self.ops = ops
        self.received_timestamp = timestamp()
        self.start_timestamp = None
        self.end_timestamp = None
        self.archived = False
        self.log_serial = 0
        self.ticket = 0
        self.cond = None
        self.cancel_requested = False
        self.writable = True
        self.rerun = False

    # status, as Ganeti computes it from the opcode statuses
    def calc_status(self) -> str:
        status = constants.JOB_STATUS_QUEUED
        all_success = True
        for op in self.ops:
            if op.status == constants.OP_STATUS_SUCCESS:
                continue
            all_success = False
            if op.status == constants.OP_STATUS_QUEUED:
                pass
            elif op.status == constants.OP_STATUS_WAITING:
                status = constants.JOB_STATUS_WAITING
            elif op.status == constants.OP_STATUS_RUNNING:
                status = constants.JOB_STATUS_RUNNING
            elif op.status == constants.OP_STATUS_CANCELING:
                status = constants.JOB_STATUS_CANCELING
                break
            elif op.status == constants.OP_STATUS_ERROR:
                status = constants.JOB_STATUS_ERROR
                break
            elif op.status == constants.OP_STATUS_CANCELED:
                status = constants.JOB_STATUS_CANCELED
                break
        if all_success:
            status = constants.JOB_STATUS_SUCCESS
        return status

    def calc_priority(self) -> int:
        prios = [op.priority for op in self.ops if op.status not in constants.OPS_FINALIZED]
        if not prios:
            return constants.OP_PRIO_DEFAULT
        return min(prios)

    def is_finalized(self) -> bool:
        return self.calc_status() in constants.JOBS_FINALIZED

    def get_log_entries(self, newer_than: int | None) -> list[list]:
        serial = -1 if newer_than is None else newer_than
        entries = []
        for op in self.ops:
            entries.extend(e for e in op.log if e[0] > serial)
        return entries

    def get_info(self, field: str) -> Any:
        """The value of job query field ``field``."""
        if field == "id":
            return self.id
        if field == "status":
            return self.calc_status()
        if field == "priority":
            return self.calc_priority()
        if field == "archived":
            return self.archived
        if field == "ops":
            return [op.input for op in self.ops]
        if field == "opresult":
            return [op.result for op in self.ops]
        if field == "opstatus":
            return [op.status for op in self.ops]
        if field == "oplog":
            return [op.log for op in self.ops]
        if field == "opstart":
            return [op.start_timestamp for op in self.ops]
        if field == "opexec":
            return [op.exec_timestamp for op in self.ops]
        if field == "opend":
            return [op.end_timestamp for op in self.ops]
        if field == "oppriority":
            return [op.priority for op in self.ops]
        if field == "summary":
            return [op.summary for op in self.ops]
        if field == "received_ts":
            return self.received_timestamp
        if field == "start_ts":
            return self.start_timestamp
        if field == "end_ts":
            return self.end_timestamp
        raise KeyError(field)

    def get_infos(self, fields: list[str]) -> list:
        return [self.get_info(f) for f in fields]

    def serialize(self) -> dict:
        return {
            "id": self.id,
            "ops": [op.serialize() for op in self.ops],
            "received_timestamp": self.received_timestamp,
            "start_timestamp": self.start_timestamp,
            "end_timestamp": self.end_timestamp,
        }

    @classmethod
    def restore(cls, data: dict, archived: bool = False) -> "QueuedJob":
        job = cls(int(data["id"]), [QueuedOpCode.restore(o) for o in data["ops"]])
        job.received_timestamp = data.get("received_timestamp")
        job.start_timestamp = data.get("start_timestamp")
        job.end_timestamp = data.get("end_timestamp")
        job.archived = archived
        job.log_serial = max([e[0] for op in job.ops for e in op.log] or [0])
        return job

    def finalize_rest(self, status: str, result: Any) -> None:
        """Marks every opcode not yet final with ``status``/``result``."""
        now = timestamp()
        for op in self.ops:
            if op.status not in constants.OPS_FINALIZED:
                op.status = status
                op.result = result
                op.end_timestamp = now
        self.end_timestamp = now
