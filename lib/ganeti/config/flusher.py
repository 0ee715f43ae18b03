"""Group commit of config.data: one durable write for many saves.

Owns writing the newest serialized configuration to disk (atomic rename +
fsync) and handing it to the save hook, in one thread.  Saves made while a
write is in flight are coalesced: the next write covers them all.  A saver
waits (outside the configuration lock) until a write that includes its
change is durable, so no job finishes before its change is on disk, yet a
thousand concurrent saves cost a few dozen fsyncs.  It must never serialize
or change the configuration itself: the ConfigWriter does, under its lock.
"""

import logging
import threading
from typing import Callable


class ConfigFlusher:
    """Runs ``write_fn(payload, ssconf)`` for the newest submitted state."""

    def __init__(self, write_fn: Callable[[bytes, dict | None], None]) -> None:
        self._write_fn = write_fn
        self._cv = threading.Condition()
        self._latest: tuple[bytes, dict | None] | None = None
        self._submitted = 0
        self._done = 0
        self._errors: list[tuple[int, int, BaseException]] = []
        self._thread: threading.Thread | None = None

    def submit(self, payload: bytes, ssconf: dict | None) -> int:
        """Queues the newest state; returns the ticket to wait for."""
        with self._cv:
            self._submitted += 1
            self._latest = (payload, ssconf)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="config-flusher", daemon=True
                )
                self._thread.start()
            self._cv.notify_all()
            return self._submitted

    def wait(self, ticket: int) -> None:
        """Returns once ``ticket`` is written; raises the write's error."""
        with self._cv:
            self._cv.wait_for(lambda: self._done >= ticket)
            for first, last, err in self._errors:
                if first <= ticket <= last:
                    raise err

    def _loop(self) -> None:
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._submitted > self._done)
                first = self._done + 1
                upto = self._submitted
                payload, ssconf = self._latest
            error = None
            try:
                self._write_fn(payload, ssconf)
            except Exception as err:  # pylint: disable=broad-except
                logging.error("Writing the configuration failed: %s", err)
                error = err
            with self._cv:
                self._done = upto
                if error is not None:
                    self._errors.append((first, upto, error))
                    del self._errors[:-32]
                self._cv.notify_all()
