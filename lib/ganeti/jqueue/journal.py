"""The job queue's journal: durable job state with group commit.

Owns ``queue/journal.<generation>`` files and the checkpoints that turn them
into ``queue/job-N`` files.  Every change of a job is a full snapshot of the
job appended as one JSON line; a committer thread writes whatever snapshots
are pending and makes them durable with one ``fdatasync`` (group commit), so
many jobs share one disk flush.  A checkpoint writes the latest snapshot of
each job to its job file, flushes the file system once (``syncfs``) and only
then deletes the journal generation it covered.

Recovery (``replay``) loads the job files and applies every journal
generation in order; a torn last line (a write that never committed) is
ignored.  Records of one job are full snapshots applied in order, so replay
ends at the last committed state of every job.

It must never decide job semantics (statuses, priorities): the queue does.
"""

import logging
import os
import re
import threading
from typing import Callable, Iterator

from ganeti import pathutils
from ganeti import serializer
from ganeti.utils import io as uio

_JOURNAL_RE = re.compile(r"^journal\.(\d+)$")
_JOB_FILE_RE = re.compile(r"^job-(\d+)$")

# A generation is checkpointed once it holds this many bytes.
CHECKPOINT_BYTES = 2 * 1024 * 1024


def syncfs(path: str) -> None:
    """Flushes the file system holding ``path`` (see utils.io.syncfs)."""
    uio.syncfs(path)


def job_file_path(job_id: int) -> str:
    return os.path.join(pathutils.QUEUE_DIR, "job-%d" % job_id)


def list_journals(queue_dir: str) -> list[tuple[int, str]]:
    """Journal generations present in ``queue_dir``, oldest first."""
    found = []
    for name in os.listdir(queue_dir):
        match = _JOURNAL_RE.match(name)
        if match:
            found.append((int(match.group(1)), os.path.join(queue_dir, name)))
    return sorted(found)


def list_job_files(queue_dir: str) -> Iterator[tuple[int, str]]:
    for name in os.listdir(queue_dir):
        match = _JOB_FILE_RE.match(name)
        if match:
            yield int(match.group(1)), os.path.join(queue_dir, name)


def replay(queue_dir: str) -> tuple[dict[int, dict], int]:
    """Loads job files, then every journal generation.

    Returns ({job id: job dict}, highest generation seen).  Jobs whose last
    record is a tombstone (archived) are absent from the result.
    """
    jobs: dict[int, dict] = {}
    for job_id, path in list_job_files(queue_dir):
        try:
            jobs[job_id] = serializer.loads(uio.read_file(path, binary=True))
        except (OSError, ValueError) as err:
            logging.error("Ignoring unreadable job file %s: %s", path, err)
    last_gen = 0
    for gen, path in list_journals(queue_dir):
        last_gen = gen
        with open(path, "rb") as fh:
            data = fh.read()
        for line in data.split(b"\n"):
            if not line:
                continue
            try:
                record = serializer.load(line)
                job_id = record["id"]
            except (ValueError, KeyError, TypeError):
                # only the last line can be torn; it never committed
                logging.warning("Ignoring torn journal record in %s", path)
                continue
            if "job" in record:
                jobs[job_id] = record["job"]
            else:
                jobs.pop(job_id, None)
    return jobs, last_gen


class Journal:
    """Group-committing writer of job snapshots.

    ``mark_dirty(job_id, data)`` queues a snapshot (``None`` = tombstone) and
    returns a ticket; ``wait(ticket)`` returns once that snapshot is durable.
    Several snapshots of one job pending in the same batch collapse into one.
    """

    def __init__(
        self,
        queue_dir: str,
        generation: int,
        fsync: bool = True,
        on_checkpoint: Callable[[], None] | None = None,
    ) -> None:
        self._dir = queue_dir
        self._fsync = fsync
        self._gen = generation
        self._cv = threading.Condition(threading.Lock())
        self._pending: dict[int, bytes | None] = {}
        self._issued = 0
        self._committed = 0
        self._error: BaseException | None = None
        self._stop = False
        self._rotate_requested = False
        self._latest: dict[int, bytes | None] = {}
        self._size = 0
        self._fd = self._open(generation)
        self._ckpt_lock = threading.Lock()
        self._ckpt_queue: list[tuple[str, dict[int, bytes | None]]] = []
        self._ckpt_cv = threading.Condition(threading.Lock())
        self._on_checkpoint = on_checkpoint
        self._serial_fn: Callable[[], int] | None = None
        self.on_commit: Callable[[dict[int, bytes | None], int], None] | None = None
        self.stats = {"commits": 0, "records": 0, "checkpoints": 0}
        self._thread = threading.Thread(target=self._commit_loop, name="jq-journal", daemon=True)
        self._thread.start()
        self._ckpt_thread = threading.Thread(
            target=self._checkpoint_loop, name="jq-checkpoint", daemon=True
        )
        self._ckpt_thread.start()

    def set_serial_fn(self, fn: Callable[[], int]) -> None:
        """``fn()`` gives the last job id, written to ``serial`` at checkpoints."""
        self._serial_fn = fn

    def _path(self, gen: int) -> str:
        return os.path.join(self._dir, "journal.%d" % gen)

    def _open(self, gen: int) -> int:
        fd = os.open(self._path(gen), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        if self._fsync:
            uio.fsync_dir(self._dir)
        return fd

    def mark_dirty(self, job_id: int, data: bytes | None) -> int:
        with self._cv:
            if self._stop:
                raise RuntimeError("journal is closed")
            self._pending[job_id] = data
            self._issued += 1
            ticket = self._issued
            self._cv.notify_all()
            return ticket

    def wait(self, ticket: int) -> None:
        """Blocks until the batch holding ``ticket`` is durable."""
        if ticket <= self._committed:
            return
        with self._cv:
            while self._committed < ticket:
                if self._error is not None:
                    raise self._error
                self._cv.wait()

    def _commit_loop(self) -> None:
        while True:
            with self._cv:
                while not self._pending and not self._stop and not self._rotate_requested:
                    self._cv.wait()
                if not self._pending:
                    if self._rotate_requested:
                        self._rotate()
                        self._rotate_requested = False
                        self._cv.notify_all()
                        continue
                    return
                batch = self._pending
                self._pending = {}
                upto = self._issued
            lines = []
            for job_id, data in batch.items():
                if data is None:
                    lines.append(b'{"id":%d,"gone":true}\n' % job_id)
                else:
                    lines.append(b'{"id":%d,"job":%s}\n' % (job_id, data))
            blob = b"".join(lines)
            try:
                view = memoryview(blob)
                while view:
                    view = view[os.write(self._fd, view) :]
                if self._fsync:
                    os.fdatasync(self._fd)
            except OSError as err:  # pragma: no cover - disk failure
                logging.critical("Job queue journal write failed: %s", err)
                with self._cv:
                    self._error = err
                    self._cv.notify_all()
                return
            self._size += len(blob)
            self._latest.update(batch)
            if self.on_commit is not None:
                try:
                    self.on_commit(batch, self._serial_fn() if self._serial_fn else 0)
                except Exception:  # pylint: disable=broad-except
                    logging.exception("Journal commit listener failed")
            self.stats["commits"] += 1
            self.stats["records"] += len(batch)
            with self._cv:
                self._committed = upto
                self._cv.notify_all()
            if self._size >= CHECKPOINT_BYTES:
                self._rotate()

    def _rotate(self) -> None:
        """Starts a new generation and hands the old one to the checkpointer."""
        old_path = self._path(self._gen)
        old_latest = self._latest
        os.close(self._fd)
        self._gen += 1
        self._fd = self._open(self._gen)
        self._latest = {}
        self._size = 0
        with self._ckpt_cv:
            self._ckpt_queue.append((old_path, old_latest))
            self._ckpt_cv.notify_all()

    def _checkpoint_loop(self) -> None:
        while True:
            with self._ckpt_cv:
                while not self._ckpt_queue:
                    if self._stop:
                        return
                    self._ckpt_cv.wait(1.0)
                old_path, latest = self._ckpt_queue[0]
            try:
                self._checkpoint(old_path, latest)
            except OSError as err:  # pragma: no cover - disk failure
                logging.critical("Job queue checkpoint failed: %s", err)
            with self._ckpt_cv:
                self._ckpt_queue.pop(0)
                self._ckpt_cv.notify_all()

    def _checkpoint(self, old_path: str, latest: dict[int, bytes | None]) -> None:
        with self._ckpt_lock:
            for job_id, data in latest.items():
                if data is None:
                    uio.remove_file(job_file_path(job_id))
                else:
                    uio.write_file(
                        job_file_path(job_id), data, mode=0o640, fsync=False, dir_fsync=False
                    )
            if self._serial_fn is not None:
                uio.write_file(
                    pathutils.JOB_QUEUE_SERIAL_FILE,
                    "%d\n" % self._serial_fn(),
                    fsync=False,
                    dir_fsync=False,
                )
            if self._fsync:
                syncfs(self._dir)
            uio.remove_file(old_path)
            if self._fsync:
                uio.fsync_dir(self._dir)
            self.stats["checkpoints"] += 1
        if self._on_checkpoint is not None:
            self._on_checkpoint()

    def checkpoint_now(self) -> None:
        """Commits everything pending and checkpoints it (used at shutdown)."""
        with self._cv:
            self._rotate_requested = True
            self._cv.notify_all()
            while self._rotate_requested:
                if self._error is not None:
                    raise self._error
                self._cv.wait()
        with self._ckpt_cv:
            while self._ckpt_queue:
                self._ckpt_cv.wait()

    def close(self) -> None:
        """Commits what is pending, checkpoints and stops the threads."""
        self.checkpoint_now()
        with self._cv:
            self._stop = True
            self._cv.notify_all()
        with self._ckpt_cv:
            self._ckpt_cv.notify_all()
        self._thread.join()
        self._ckpt_thread.join()
        os.close(self._fd)
        uio.remove_file(self._path(self._gen))
