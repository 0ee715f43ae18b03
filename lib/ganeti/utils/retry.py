"""Retrying a call until it succeeds or a timeout passes."""

import time
from typing import Any, Callable


class RetryAgain(Exception):
    """Raised by a retried function to ask for another try."""


class RetryTimeout(RetryAgain):
    """The retry timeout passed; args hold the last RetryAgain's args."""

    def reraise(self) -> None:
        """Raises the error carried by the last attempt, if any."""
        if self.args and isinstance(self.args[0], BaseException):
            raise self.args[0]
        raise self


def retry(
    fn: Callable,
    delay: float | tuple[float, float, float],
    timeout: float,
    args: tuple = (),
    wait_fn: Callable[[float], Any] = time.sleep,
) -> Any:
    """Calls fn(*args) until it returns without raising RetryAgain.

    ``delay`` is a fixed number of seconds or (start, factor, limit) for an
    exponential backoff.  Raises RetryTimeout after ``timeout`` seconds.
    """
    end = time.monotonic() + timeout
    if isinstance(delay, tuple):
        cur, factor, limit = delay
    else:
        cur, factor, limit = delay, 1.0, delay
    while True:
        try:
            return fn(*args)
        except RetryTimeout:
            raise
        except RetryAgain as err:
            last = err
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise RetryTimeout(*last.args)
        wait_fn(min(cur, remaining))
        cur = min(cur * factor, limit)
