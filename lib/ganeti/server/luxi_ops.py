"""The luxi methods of the master: argument checks and dispatch.

Owns the Ganeti 3.0 argument shapes of every luxi method and maps each to
the job queue, the query layer or the configuration.  Bad arguments raise
OpPrereqError(ECODE_INVAL) or LuxiError, which the server sends back; it
must never let a malformed request reach the queue.
"""

import os
import time
from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import luxi
from ganeti import pathutils
from ganeti.utils import io as uio


def _inval(msg: str) -> errors.OpPrereqError:
    return errors.OpPrereqError(msg, errors.ECODE_INVAL)


def _args(args: Any, count: int, method: str) -> list:
    if not isinstance(args, (list, tuple)) or len(args) != count:
        raise _inval("Method %s takes %d arguments, got %r" % (method, count, args))
    return list(args)


def _job_id(value: Any) -> int:
    if isinstance(value, bool):
        raise _inval("Invalid job id %r" % (value,))
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise _inval("Invalid job id %r" % (value,))


def _fields(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
        raise _inval("Fields must be a list of strings")
    return value


def read_watcher_pause() -> float | None:
    """The watcher pause end time, or None when not paused (or expired)."""
    try:
        value = float(uio.read_one_line(pathutils.WATCHER_PAUSEFILE))
    except (OSError, ValueError):
        return None
    if value < time.time():
        return None
    return value


class ClientOps:
    """Handlers of every luxi method, bound to the master's context."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self._table: dict[str, Callable[[Any], Any]] = {
            luxi.REQ_SUBMIT_JOB: self.submit_job,
            luxi.REQ_SUBMIT_JOB_TO_DRAINED_QUEUE: self.submit_job_to_drained_queue,
            luxi.REQ_SUBMIT_MANY_JOBS: self.submit_many_jobs,
            luxi.REQ_WAIT_FOR_JOB_CHANGE: self.wait_for_job_change,
            luxi.REQ_CANCEL_JOB: self.cancel_job,
            luxi.REQ_ARCHIVE_JOB: self.archive_job,
            luxi.REQ_CHANGE_JOB_PRIORITY: self.change_job_priority,
            luxi.REQ_AUTO_ARCHIVE_JOBS: self.auto_archive_jobs,
            luxi.REQ_QUERY_JOBS: self.query_jobs,
            luxi.REQ_QUERY: self.query,
            luxi.REQ_QUERY_FIELDS: self.query_fields,
            luxi.REQ_QUERY_INSTANCES: lambda a: self.old_query(
                constants.QR_INSTANCE, a, luxi.REQ_QUERY_INSTANCES
            ),
            luxi.REQ_QUERY_NODES: lambda a: self.old_query(
                constants.QR_NODE, a, luxi.REQ_QUERY_NODES
            ),
            luxi.REQ_QUERY_GROUPS: lambda a: self.old_query(
                constants.QR_GROUP, a, luxi.REQ_QUERY_GROUPS
            ),
            luxi.REQ_QUERY_NETWORKS: lambda a: self.old_query(
                constants.QR_NETWORK, a, luxi.REQ_QUERY_NETWORKS
            ),
            luxi.REQ_QUERY_EXPORTS: self.query_exports,
            luxi.REQ_QUERY_CLUSTER_INFO: self.query_cluster_info,
            luxi.REQ_QUERY_CONFIG_VALUES: self.query_config_values,
            luxi.REQ_QUERY_TAGS: self.query_tags,
            luxi.REQ_SET_DRAIN_FLAG: self.set_drain_flag,
            luxi.REQ_SET_WATCHER_PAUSE: self.set_watcher_pause,
        }

    def dispatch(self, method: str, args: Any) -> Any:
        handler = self._table.get(method)
        if handler is None:
            raise errors.LuxiError("Invalid operation '%s'" % method)
        return handler(args)

    # jobs ---------------------------------------------------------------------------
    @staticmethod
    def _ops(value: Any) -> list:
        if not isinstance(value, list) or not value:
            raise _inval("A job needs a non-empty list of opcodes")
        return value

    def submit_job(self, args: Any) -> int:
        (ops,) = _args(args, 1, luxi.REQ_SUBMIT_JOB)
        return self.context.jq.submit_job(self._ops(ops))

    def submit_job_to_drained_queue(self, args: Any) -> int:
        (ops,) = _args(args, 1, luxi.REQ_SUBMIT_JOB_TO_DRAINED_QUEUE)
        return self.context.jq.submit_job_to_drained_queue(self._ops(ops))

    def submit_many_jobs(self, args: Any) -> list:
        (jobs,) = _args(args, 1, luxi.REQ_SUBMIT_MANY_JOBS)
        if not isinstance(jobs, list):
            raise _inval("SubmitManyJobs needs a list of jobs")
        return self.context.jq.submit_many_jobs([self._ops(ops) for ops in jobs])

    def wait_for_job_change(self, args: Any) -> Any:
        job_id, fields, prev_info, prev_serial, timeout = _args(
            args, 5, luxi.REQ_WAIT_FOR_JOB_CHANGE
        )
        if prev_serial is not None and not isinstance(prev_serial, int):
            raise _inval("Invalid log serial %r" % (prev_serial,))
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise _inval("Invalid timeout %r" % (timeout,))
        return self.context.jq.wait_for_job_changes(
            _job_id(job_id), _fields(fields), prev_info, prev_serial, timeout
        )

    def cancel_job(self, args: Any) -> list:
        if isinstance(args, list) and len(args) == 1:
            args = [args[0], False]
        job_id, kill = _args(args, 2, luxi.REQ_CANCEL_JOB)
        return self.context.jq.cancel_job(_job_id(job_id), bool(kill))

    def archive_job(self, args: Any) -> bool:
        (job_id,) = _args(args, 1, luxi.REQ_ARCHIVE_JOB)
        return self.context.jq.archive_job(_job_id(job_id))

    def change_job_priority(self, args: Any) -> list:
        job_id, priority = _args(args, 2, luxi.REQ_CHANGE_JOB_PRIORITY)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise _inval("Invalid priority %r" % (priority,))
        return self.context.jq.change_job_priority(_job_id(job_id), priority)

    def auto_archive_jobs(self, args: Any) -> list:
        age, timeout = _args(args, 2, luxi.REQ_AUTO_ARCHIVE_JOBS)
        for value in (age, timeout):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _inval("AutoArchiveJobs needs numeric age and timeout")
        return self.context.jq.auto_archive_jobs(age, timeout)

    def query_jobs(self, args: Any) -> list:
        job_ids, fields = _args(args, 2, luxi.REQ_QUERY_JOBS)
        if job_ids is not None and not isinstance(job_ids, list):
            raise _inval("Job ids must be a list or null")
        ids = [_job_id(j) for j in job_ids] if job_ids else None
        return self.context.jq.query_jobs(ids, _fields(fields))

    # queries --------------------------------------------------------------------------
    def query(self, args: Any) -> dict:
        what, fields, qfilter = _args(args, 3, luxi.REQ_QUERY)
        from ganeti.cmdlib import query_lu

        return query_lu.run_query(self.context, what, _fields(fields), qfilter)

    def query_fields(self, args: Any) -> dict:
        what, fields = _args(args, 2, luxi.REQ_QUERY_FIELDS)
        if fields is not None:
            _fields(fields)
        from ganeti.cmdlib import query_lu

        return query_lu.run_query_fields(what, fields)

    def old_query(self, what: str, args: Any, method: str) -> list:
        names, fields, use_locking = _args(args, 3, method)
        if use_locking:
            raise _inval("Sync queries are not allowed")
        if names is not None and not isinstance(names, list):
            raise _inval("Names must be a list")
        from ganeti.cmdlib import query_lu

        return query_lu.run_old_query(self.context, what, names or [], _fields(fields))

    def query_exports(self, args: Any) -> dict:
        nodes, use_locking = _args(args, 2, luxi.REQ_QUERY_EXPORTS)
        if use_locking:
            raise _inval("Sync queries are not allowed")
        from ganeti.cmdlib import query_lu

        return query_lu.run_query_exports(self.context, nodes or [])

    def query_cluster_info(self, args: Any) -> dict:
        if args not in ([], (), None):
            raise _inval("QueryClusterInfo takes no arguments")
        from ganeti.cmdlib import cluster

        return cluster.cluster_info(self.context.cfg)

    def query_config_values(self, args: Any) -> list:
        (fields,) = _args(args, 1, luxi.REQ_QUERY_CONFIG_VALUES)
        from ganeti.cmdlib import cluster

        return cluster.config_values(
            self.context.cfg, _fields(fields), self.context.jq.is_drained(), read_watcher_pause()
        )

    def query_tags(self, args: Any) -> list:
        kind, name = _args(args, 2, luxi.REQ_QUERY_TAGS)
        from ganeti.cmdlib import tags

        return tags.get_tags(self.context.cfg, kind, name)

    # flags -----------------------------------------------------------------------------
    def set_drain_flag(self, args: Any) -> bool:
        (flag,) = _args(args, 1, luxi.REQ_SET_DRAIN_FLAG)
        if not isinstance(flag, bool):
            raise _inval("Drain flag must be a boolean")
        setter = getattr(self.context, "set_drain_flag", None) or self.context.jq.set_drain_flag
        return setter(flag)

    def set_watcher_pause(self, args: Any) -> Any:
        (until,) = _args(args, 1, luxi.REQ_SET_WATCHER_PAUSE)
        if until is None:
            uio.remove_file(pathutils.WATCHER_PAUSEFILE)
            self._tell_nodes_watcher_pause(None)
            return None
        if isinstance(until, bool) or not isinstance(until, (int, float)):
            raise _inval("Invalid watcher pause time %r" % (until,))
        if until < time.time():
            raise _inval("Can not set watcher pause to a time in the past")
        os.makedirs(os.path.dirname(pathutils.WATCHER_PAUSEFILE), exist_ok=True)
        uio.write_file(pathutils.WATCHER_PAUSEFILE, "%d\n" % until)
        self._tell_nodes_watcher_pause(until)
        return until

    def _tell_nodes_watcher_pause(self, until: float | None) -> None:
        """Every node's watcher reads its own pause file: set it everywhere."""
        rpc = getattr(self.context, "rpc", None)
        if rpc is None:
            return
        cfg = self.context.cfg
        master = cfg.get_master_node()
        nodes = [
            uuid
            for uuid, node in cfg.get_all_nodes_info().items()
            if not node.offline and uuid != master
        ]
        if nodes:
            rpc.call_set_watcher_pause(nodes, until)
