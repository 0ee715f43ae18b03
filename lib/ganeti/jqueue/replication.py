"""Replication of the job queue to master candidates.

Owns keeping every master candidate's ``queue/`` a copy of the master's,
so a candidate can become master and carry on with every job.  It runs in
its own thread behind the journal: each committed batch (job id -> latest
snapshot, or None for an archived job) is coalesced with what is still
pending and pushed with the ``jobqueue_update`` / ``jobqueue_rename`` RPCs.
It must never block the queue: a slow or dead candidate only delays its
own copy (and is brought up to date by ``push_all`` when it rejoins).
"""

import logging
import os
import threading
from typing import Any, Callable

from ganeti import pathutils


class QueueReplicator:
    """Pushes committed job snapshots to the master candidates."""

    def __init__(self, runner: Any, candidates_fn: Callable[[], list[str]]) -> None:
        self._runner = runner
        self._candidates_fn = candidates_fn
        self._cv = threading.Condition()
        self._pending: dict[int, bytes | None] = {}
        self._serial = 0
        self._stop = False
        self._busy = False
        self._thread = threading.Thread(target=self._loop, name="jq-replicator", daemon=True)
        self._thread.start()

    def on_commit(self, batch: dict[int, bytes | None], serial: int) -> None:
        """Called by the journal after each durable batch."""
        with self._cv:
            self._pending.update(batch)
            self._serial = max(self._serial, serial)
            self._cv.notify_all()

    def push_all(self, jobs: dict[int, bytes], serial: int) -> None:
        """Queues a full copy (e.g. for a new master candidate)."""
        self.on_commit(dict(jobs), serial)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Waits until nothing is pending (tests, shutdown)."""
        with self._cv:
            return self._cv.wait_for(lambda: not self._pending and not self._busy, timeout)

    def stop(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify_all()
        self._thread.join(10)

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._pending and not self._stop:
                    self._cv.wait()
                if self._stop:
                    return
                batch = self._pending
                self._pending = {}
                serial = self._serial
                self._busy = True
            try:
                self._push(batch, serial)
            except Exception:  # pylint: disable=broad-except
                logging.exception("Job queue replication failed")
            with self._cv:
                self._busy = False
                self._cv.notify_all()

    def _push(self, batch: dict[int, bytes | None], serial: int) -> None:
        nodes = self._candidates_fn()
        if not nodes:
            return
        failed: set[str] = set()
        for job_id in sorted(batch):
            data = batch[job_id]
            live = os.path.join(pathutils.QUEUE_DIR, "job-%d" % job_id)
            if data is None:
                archived = pathutils.job_file(job_id, archived=True)
                results = self._runner.call_jobqueue_rename(nodes, [[live, archived]])
            else:
                results = self._runner.call_jobqueue_update(nodes, live, data)
            for node, res in results.items():
                if res.fail_msg and not res.offline:
                    failed.add(res.node or node)
        results = self._runner.call_jobqueue_update(
            nodes, pathutils.JOB_QUEUE_SERIAL_FILE, "%d\n" % serial
        )
        if failed:
            logging.warning("Job queue replication to %s failed", ", ".join(sorted(failed)))
