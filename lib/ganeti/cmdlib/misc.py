"""Test and debugging logical units (OP_TEST_DELAY)."""

import threading
import time
from typing import Any

from ganeti import errors
from ganeti import locking
from ganeti.cmdlib.base import NoHooksLU


class LUTestDelay(NoHooksLU):
    """OP_TEST_DELAY: sleeps on the master and/or the nodes.

    With no_locks (the default) it takes no lock but the shared BGL, so a
    thousand delay jobs run side by side.
    """

    REQ_BGL = False

    def check_arguments(self) -> None:
        if self.op.duration < 0:
            raise errors.OpPrereqError("Duration must be non-negative", errors.ECODE_INVAL)
        if self.op.repeat < 0:
            raise errors.OpPrereqError("Repetition count must be non-negative", errors.ECODE_INVAL)

    def expand_names(self) -> None:
        self.needed_locks = {}
        self.node_uuids: list[str] = []
        names = list(getattr(self.op, "on_nodes", None) or [])
        for name in names:
            uuid, full = self.cfg.expand_node_name(name)
            if uuid is None:
                raise errors.OpPrereqError("Node '%s' not known" % name, errors.ECODE_NOENT)
            self.node_uuids.append(uuid)
        if self.node_uuids and not self.op.no_locks:
            self.needed_locks[locking.LEVEL_NODE] = self.node_uuids

    def _delay(self, feedback_fn: Any) -> None:
        if self.op.on_master:
            if self.op.duration:
                _sleep(self.op.duration)
        if self.node_uuids:
            if self.rpc is None:
                raise errors.OpExecError("Node RPC is not available on this master")
            result = self.rpc.call_test_delay(self.node_uuids, self.op.duration)
            for node_uuid, res in result.items():
                res.raise_error("Failure during rpc call to node %s" % node_uuid)

    def exec(self, feedback_fn: Any) -> None:
        if self.op.repeat == 0:
            self._delay(feedback_fn)
        else:
            top = self.op.repeat - 1
            for i in range(self.op.repeat):
                self.log_info("Test delay iteration %d/%d", i, top)
                self._delay(feedback_fn)


def _sleep(duration: float) -> None:
    # an Event wait is interruptible by nothing but time here, and precise
    threading.Event().wait(duration) if duration > 0.05 else time.sleep(duration)
