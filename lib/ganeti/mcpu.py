"""The opcode processor: runs one opcode through its logical unit.

Owns the order of an operation's life: find the LU of the opcode, check its
arguments, expand names, take its locks level by level in ascending order
(with timeouts, rising priority and cancellation checks between attempts),
mark the opcode running, check prerequisites, run pre hooks, execute, run
post hooks, release every lock.  It must never persist anything itself: job
state goes through the queue's callbacks, config through ConfigWriter.
"""

import logging
import time
from typing import Any

from ganeti import constants
from ganeti import errors
from ganeti import hooksmaster
from ganeti import locking

# Lock attempts: the first waits briefly, later ones longer; between two
# attempts the processor checks for cancellation and raises its priority.
_ATTEMPT_TIMEOUTS = (1.0, 2.0, 5.0)


def get_lu_class(op: Any) -> type:
    """The logical unit class of opcode ``op`` (LUFooBar for OpFooBar)."""
    from ganeti import cmdlib

    name = "LU" + type(op).__name__[2:]
    cls = getattr(cmdlib, name, None)
    if cls is None:
        raise errors.OpCodeUnknown("Unknown opcode %s (no logical unit %s)" % (op.OP_ID, name))
    return cls


class Processor:
    """Executes opcodes of one job (``ec_id`` is the job id)."""

    def __init__(self, context: Any, ec_id: int, enable_locks: bool = True) -> None:
        self.context = context
        self._ec_id = ec_id
        self._cbs: Any = None
        self._enable_locks = enable_locks
        self._priority = constants.OP_PRIO_DEFAULT

    # feedback -----------------------------------------------------------------
    def _feedback(self, *args: Any) -> None:
        if self._cbs is not None:
            self._cbs.feedback(*args)

    def log_info(self, message: str, *args: Any) -> None:
        if args:
            message = message % args
        logging.info(message)
        self._feedback(" - INFO: %s" % message)

    def log_warning(self, message: str, *args: Any, hint: str | None = None) -> None:
        if args:
            message = message % args
        logging.warning(message)
        self._feedback(" - WARNING: %s" % message)
        if hint:
            self._feedback("      Hint: %s" % hint)

    def log_step(self, current: int, total: int, message: str) -> None:
        self._feedback("STEP %d/%d %s" % (current, total, message))

    def feedback_fn(self, *args: Any) -> None:
        """The feedback function handed to LU.exec."""
        self._feedback(*args)

    # locks ----------------------------------------------------------------------
    def _acquire(self, level: int, names: Any, shared: bool, opportunistic: bool) -> Any:
        glm = self.context.glm
        priority = self._priority
        attempt = 0
        while True:
            if self._cbs is not None:
                self._cbs.check_canceled()
            timeout = _ATTEMPT_TIMEOUTS[min(attempt, len(_ATTEMPT_TIMEOUTS) - 1)]
            acquired = glm.acquire(
                level,
                names,
                shared=shared,
                timeout=timeout,
                priority=priority,
                opportunistic=opportunistic,
            )
            if acquired is not None:
                return acquired
            attempt += 1
            priority = max(constants.OP_PRIO_HIGHEST, priority - 1)

    def _lock_and_exec(self, lu: Any, level: int) -> Any:
        if level not in locking.LEVELS:
            return self._exec_lu(lu)
        glm = self.context.glm
        lu.declare_locks(level)
        needed = lu.needed_locks or {}
        if level in needed:
            names = needed[level]
            share = bool(lu.share_locks.get(level, 0))
            if self._enable_locks and (names is locking.ALL_SET or names):
                self._acquire(level, names, share, lu.opportunistic_locks.get(level, False))
        if level in lu.add_locks:
            if level not in locking.LEVELS_MOD:
                raise errors.ProgrammerError("Cannot add locks at level %s" % level)
            if self._enable_locks:
                glm.add(
                    level,
                    lu.add_locks[level],
                    acquired=True,
                    shared=bool(lu.share_locks.get(level, 0)),
                )
        try:
            return self._lock_and_exec(lu, level + 1)
        finally:
            if self._enable_locks:
                if level in lu.remove_locks:
                    glm.remove(level, lu.remove_locks[level])
                if glm.is_owned(level):
                    glm.release(level)

    def _exec_lu(self, lu: Any) -> Any:
        if self._cbs is not None:
            self._cbs.notify_start()
        lu.check_prereq()
        hooks_fn = (
            getattr(self.context, "hooks_execution_fn", None) or hooksmaster.no_hooks_execution
        )
        hm = hooksmaster.HooksMaster.build_from_lu(hooks_fn, lu)
        pre_results = hm.run_phase(constants.HOOKS_PHASE_PRE)
        lu.hooks_callback(constants.HOOKS_PHASE_PRE, pre_results, self.feedback_fn, None)
        if getattr(lu.op, "dry_run", False):
            self.log_info("dry-run mode requested, not actually executing the operation")
            return lu.dry_run_result
        cfg = self.context.cfg
        serial_before = _config_serial(cfg)
        result = lu.exec(self.feedback_fn)
        if lu.HPATH is not None:
            post_nodes = lu.prepare_post_hooks_nodes(hm.post_nodes)
            post_results = hm.run_phase(constants.HOOKS_PHASE_POST, post_nodes)
            result = lu.hooks_callback(
                constants.HOOKS_PHASE_POST, post_results, self.feedback_fn, result
            )
        if _config_serial(cfg) != serial_before:
            try:
                hm.run_config_update()
            except errors.GenericError as err:
                self.log_warning("config-update hooks failed: %s" % err)
        return result

    # entry point --------------------------------------------------------------------
    def execute_op_code(self, op: Any, cbs: Any = None, timeout: float | None = None) -> Any:
        """Runs ``op``; returns its result or raises its error."""
        from ganeti.cmdlib.base import ResultWithJobs

        self._cbs = cbs
        self._priority = (
            getattr(op, "priority", constants.OP_PRIO_DEFAULT) or constants.OP_PRIO_DEFAULT
        )
        lu_class = get_lu_class(op)
        start = time.monotonic()
        lu = lu_class(self, op, self.context, getattr(self.context, "rpc", None))
        lu.expand_names()
        if lu.needed_locks is None:
            raise errors.ProgrammerError("%s did not declare its locks" % lu_class.__name__)
        needed = dict(lu.needed_locks)
        if locking.LEVEL_CLUSTER not in needed:
            needed[locking.LEVEL_CLUSTER] = [locking.BGL]
            lu.needed_locks = needed
            lu.share_locks[locking.LEVEL_CLUSTER] = 0 if lu.REQ_BGL else 1
        from ganeti.config.common import deferred_waits

        try:
            with deferred_waits() as saves:
                result = self._lock_and_exec(lu, locking.LEVEL_CLUSTER)
            # locks are released; the result counts once the changes are durable
            saves.run()
        finally:
            logging.debug("%s took %.3f s", op.OP_ID, time.monotonic() - start)
        if isinstance(result, ResultWithJobs):
            submitted = cbs.submit_many_jobs(result.jobs) if cbs is not None else []
            out = dict(result.other)
            out["jobs"] = submitted
            return out
        return result


def _config_serial(cfg: Any) -> Any:
    try:
        return cfg.get_config_serial()
    except Exception:  # pylint: disable=broad-except
        return None
