"""The luxi server: accepts connections on the master's Unix sockets.

Owns connection handling only: framing, size limits, one thread per client,
error encoding.  Every request goes to ``handler(method, args)``; whatever
it raises is sent back as ``[class, args]``.  A malformed or oversized
message gets a clear error reply and the connection is closed; other
clients are never affected.
"""

import logging
import os
import socket
import threading
from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import luxi

MAX_MESSAGE = 32 * 1024 * 1024


class LuxiServer:
    """Serves luxi on one or more Unix socket paths."""

    def __init__(
        self, paths: list[str], handler: Callable[[str, Any], Any], max_message: int = MAX_MESSAGE
    ) -> None:
        self._handler = handler
        self._max = max_message
        self._socks: list[socket.socket] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        for path in paths:
            os.makedirs(os.path.dirname(path), 0o750, exist_ok=True)
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(path)
            os.chmod(path, constants.LUXI_SOCKET_PERMS)
            sock.listen(128)
            sock.settimeout(0.5)
            self._socks.append(sock)
        self.paths = list(paths)

    def start(self) -> None:
        for sock in self._socks:
            thr = threading.Thread(
                target=self._accept_loop, args=(sock,), name="luxi-accept", daemon=True
            )
            thr.start()
            self._threads.append(thr)

    def _accept_loop(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = sock.accept()
            except socket.timeout:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue
            conn.settimeout(None)
            with self._conns_lock:
                self._conns.add(conn)
            threading.Thread(
                target=self._serve, args=(conn,), name="luxi-client", daemon=True
            ).start()

    def _reply(self, conn: socket.socket, success: bool, result: Any, version: int | None) -> None:
        conn.sendall(luxi.format_response(success, result, version))

    def _serve(self, conn: socket.socket) -> None:
        buf = bytearray()
        try:
            while not self._stop.is_set():
                idx = buf.find(constants.LUXI_EOM)
                if idx < 0:
                    if len(buf) > self._max:
                        err = errors.LuxiError("Message too large (more than %d bytes)" % self._max)
                        self._reply(
                            conn, False, errors.encode_exception(err), constants.LUXI_VERSION
                        )
                        return
                    data = conn.recv(262144)
                    if not data:
                        return
                    buf += data
                    continue
                msg = bytes(buf[:idx])
                del buf[: idx + 1]
                self._handle(conn, msg)
        except OSError:
            pass
        finally:
            with self._conns_lock:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def _handle(self, conn: socket.socket, msg: bytes) -> None:
        version = constants.LUXI_VERSION
        try:
            method, args, req_version = luxi.parse_request(msg)
            if req_version is not None and req_version != constants.LUXI_VERSION:
                raise errors.LuxiError(
                    "LUXI version mismatch, server %s, request %s"
                    % (constants.LUXI_VERSION, req_version)
                )
            result = self._handler(method, args)
            success = True
        except errors.GenericError as err:
            success, result = False, errors.encode_exception(err)
        except Exception as err:  # pylint: disable=broad-except
            logging.exception("Unexpected error while handling a luxi request")
            success, result = (
                False,
                errors.encode_exception(errors.GenericError("%s: %s" % (type(err).__name__, err))),
            )
        try:
            self._reply(conn, success, result, version)
        except (TypeError, ValueError) as err:
            logging.error("Cannot serialize luxi result: %s", err)
            self._reply(
                conn,
                False,
                errors.encode_exception(errors.GenericError("Cannot serialize result: %s" % err)),
                version,
            )

    def stop(self) -> None:
        """Stops accepting and closes every connection."""
        self._stop.set()
        for sock in self._socks:
            try:
                sock.close()
            except OSError:
                pass
        for path in self.paths:
            try:
                os.unlink(path)
            except OSError:
                pass
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
