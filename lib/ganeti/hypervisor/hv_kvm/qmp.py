"""A small client of qemu's QMP monitor over a Unix socket.

Owns one QMP conversation: the greeting, capabilities negotiation,
commands matched to their replies by id, and the asynchronous events
that arrive in between (kept in order for ``wait_event``).  Every failure
(no socket, timeout, a closed connection, a QMP error reply) is a
``HypervisorError`` saying which command failed and why.  It must never
know what the commands mean: the hypervisor decides that.
"""

import itertools
import socket
import time
from typing import Any

from ganeti import errors, serializer

#: seconds a connection, the greeting or a reply may take by default
DEFAULT_TIMEOUT = 10.0


class QmpError(errors.HypervisorError):
    """A QMP command answered with an error (``error_class`` says which)."""

    def __init__(self, command: str, error_class: str, desc: str) -> None:
        super().__init__("QMP command '%s' failed: %s (%s)" % (command, desc, error_class))
        self.command = command
        self.error_class = error_class
        self.desc = desc


class QmpClient:
    """A connected, negotiated QMP session; use as a context manager."""

    def __init__(self, path: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = path
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self.greeting: dict[str, Any] = {}
        self._sock: socket.socket | None = None
        self._buf = b""
        self._ids = itertools.count(1)

    # -- connection -----------------------------------------------------------------------

    def connect(self) -> "QmpClient":
        """Connects, reads the greeting and leaves capabilities negotiation mode."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except OSError as err:
            sock.close()
            raise errors.HypervisorError(
                "Can't connect to the QMP socket %s: %s" % (self.path, err.strerror or err)
            ) from None
        self._sock = sock
        try:
            greeting = self._read_message(time.monotonic() + self.timeout, "greeting")
            if "QMP" not in greeting:
                raise errors.HypervisorError(
                    "QMP socket %s did not greet as QMP: %r" % (self.path, greeting)
                )
            self.greeting = greeting["QMP"]
            self.execute("qmp_capabilities")
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def __enter__(self) -> "QmpClient":
        return self.connect() if self._sock is None else self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def version(self) -> tuple[int, int, int]:
        """qemu's (major, minor, micro) from the greeting."""
        qemu = (self.greeting.get("version") or {}).get("qemu") or {}
        return (int(qemu.get("major", 0)), int(qemu.get("minor", 0)), int(qemu.get("micro", 0)))

    # -- wire -----------------------------------------------------------------------------

    def _send(self, message: dict[str, Any], what: str) -> None:
        if self._sock is None:
            raise errors.HypervisorError("QMP %s: not connected to %s" % (what, self.path))
        try:
            self._sock.sendall(serializer.dump_bytes(message) + b"\n")
        except OSError as err:
            raise errors.HypervisorError(
                "QMP %s: can't write to %s: %s" % (what, self.path, err)
            ) from None

    def _read_message(self, deadline: float, what: str) -> dict[str, Any]:
        if self._sock is None:
            raise errors.HypervisorError("QMP %s: not connected to %s" % (what, self.path))
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise errors.HypervisorError(
                    "QMP %s: no answer from %s within %.1f s" % (what, self.path, self.timeout)
                )
            self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as err:
                raise errors.HypervisorError(
                    "QMP %s: can't read from %s: %s" % (what, self.path, err)
                ) from None
            if not chunk:
                raise errors.HypervisorError(
                    "QMP %s: connection to %s closed by qemu" % (what, self.path)
                )
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        try:
            message = serializer.loads(line)
        except ValueError as err:
            raise errors.HypervisorError(
                "QMP %s: invalid message from %s: %s" % (what, self.path, err)
            ) from None
        if not isinstance(message, dict):
            raise errors.HypervisorError(
                "QMP %s: unexpected message from %s: %r" % (what, self.path, message)
            )
        return message

    # -- commands and events --------------------------------------------------------------

    def execute(
        self, command: str, arguments: dict[str, Any] | None = None, timeout: float | None = None
    ) -> Any:
        """Runs ``command`` and returns its "return" value; QmpError on an error reply."""
        msg_id = "gnt-%d" % next(self._ids)
        message: dict[str, Any] = {"execute": command, "id": msg_id}
        if arguments:
            message["arguments"] = arguments
        self._send(message, command)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            reply = self._read_message(deadline, command)
            if "event" in reply:
                self.events.append(reply)
                continue
            if reply.get("id") != msg_id:
                continue
            if "error" in reply:
                error = reply["error"] or {}
                raise QmpError(command, str(error.get("class")), str(error.get("desc")))
            return reply.get("return")

    def wait_event(self, names: str | set[str], timeout: float | None = None) -> dict[str, Any]:
        """The first (already received or next) event among ``names``; removed from ``events``."""
        wanted = {names} if isinstance(names, str) else set(names)
        for idx, event in enumerate(self.events):
            if event.get("event") in wanted:
                return self.events.pop(idx)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        what = "wait for %s" % "/".join(sorted(wanted))
        while True:
            message = self._read_message(deadline, what)
            if message.get("event") in wanted:
                return message
            if "event" in message:
                self.events.append(message)


def run(
    path: str, command: str, arguments: dict | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Any:
    """One command over a fresh connection (what most callers need)."""
    with QmpClient(path, timeout) as client:
        return client.execute(command, arguments)
