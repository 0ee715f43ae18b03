"""A small threaded HTTP/1.1 server with keep-alive and optional TLS.

Owns listening sockets, TLS handshakes (with client-certificate checks),
request parsing, size limits, timeouts and the connection budget
(``max_clients``).  It must never know what a request means: a handler
callable maps each parsed ``HttpRequest`` to an ``HttpResponse`` (or raises
an ``http.HttpException``).  Used by ganeti-noded and, later, ganeti-rapi.

One thread serves one connection for its whole life, so keep-alive calls
cost no thread start; when all ``max_clients`` slots are taken, the
longest-idle keep-alive connection is closed to make room (clients such as
libcurl reconnect transparently), and only if none is idle does accepting
wait.
"""

import logging
import os
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from ganeti import constants, http, serializer

MAX_REQUEST_LINE = 8192
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 100
DEFAULT_MAX_BODY = 64 * 1024 * 1024


@dataclass
class SslParams:
    """TLS settings of a server.

    ``ca_file`` set means a client certificate is required and must chain
    to it; ``verify_peer_fn`` may then refuse a verified peer by its DER
    certificate (a refused peer gets 403 to every request).
    """

    cert_file: str
    key_file: str | None = None
    ca_file: str | None = None
    verify_peer_fn: Callable[[bytes], bool] | None = None
    ciphers: str = constants.OPENSSL_CIPHERS

    def make_context(self) -> ssl.SSLContext:
        """A server context: TLS 1.2 or newer, our ciphers, peer checks."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.cert_file, self.key_file or self.cert_file)
        ctx.set_ciphers(self.ciphers)
        if self.ca_file:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(cafile=self.ca_file)
        return ctx


@dataclass
class HttpRequest:
    """One parsed request; header names are lower-case."""

    method: str
    path: str
    version: str
    headers: dict[str, str]
    body: bytes
    peer: tuple = ()
    peer_cert_der: bytes | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        """The value of header ``name`` (any case), or ``default``."""
        return self.headers.get(name.lower(), default)

    @property
    def content_type(self) -> str:
        """The media type of the body, without parameters."""
        return (self.headers.get("content-type") or "").split(";")[0].strip().lower()


@dataclass
class HttpResponse:
    """What a handler answers."""

    code: int = http.HTTP_OK
    body: bytes = b""
    content_type: str = http.HTTP_APP_JSON
    headers: dict[str, str] = field(default_factory=dict)


def format_error_json(err: http.HttpException) -> tuple[str, bytes]:
    """Default error body: ``{"code", "message", "explain"}`` as JSON."""
    message = err.message or http.RESPONSES.get(err.code, "Error")
    body = {"code": err.code, "message": message, "explain": err.explain or ""}
    return http.HTTP_APP_JSON, serializer.dump_bytes(body)


class _BadMessage(Exception):
    """The peer sent something we must answer with an error and close."""

    def __init__(self, exc: http.HttpException) -> None:
        super().__init__(exc)
        self.exc = exc


class _Connection:
    __slots__ = ("sock", "peer", "idle_since", "number")

    def __init__(self, sock: socket.socket, peer: tuple, number: int) -> None:
        self.sock = sock
        self.peer = peer
        self.idle_since: float | None = None
        self.number = number


class HttpServer:
    """Serves ``handler(HttpRequest) -> HttpResponse`` on one address.

    ``port`` 0 picks a free port (read it back from ``port`` after
    ``start``).  Timeouts are per socket operation: ``read_timeout`` while
    a request is being received, ``idle_timeout`` between keep-alive
    requests, ``write_timeout`` while answering.
    """

    def __init__(
        self,
        handler: Callable[[HttpRequest], HttpResponse],
        address: str = constants.IP4_ADDRESS_ANY,
        port: int = 0,
        ssl_params: SslParams | None = None,
        max_clients: int = 20,
        max_body: int = DEFAULT_MAX_BODY,
        read_timeout: float = 60.0,
        idle_timeout: float = 120.0,
        write_timeout: float = 60.0,
        error_formatter: Callable[[http.HttpException], tuple[str, bytes]] = format_error_json,
        server_name: str = "Ganeti %s" % constants.RELEASE_VERSION,
        logger: logging.Logger | None = None,
    ) -> None:
        if max_clients < 1:
            raise ValueError("max_clients must be at least 1")
        self.handler = handler
        self.address = address
        self._port = port
        self.ssl_params = ssl_params
        self.max_clients = max_clients
        self.max_body = max_body
        self.read_timeout = read_timeout
        self.idle_timeout = idle_timeout
        self.write_timeout = write_timeout
        self.error_formatter = error_formatter
        self.server_name = server_name
        self.log = logger or logging.getLogger("ganeti.http.server")
        self._ssl_ctx: ssl.SSLContext | None = None
        self._listener: socket.socket | None = None
        self._wake_r, self._wake_w = os.pipe()
        self._cond = threading.Condition()
        self._conns: dict[int, _Connection] = {}
        self._counter = 0
        self._stopping = False
        self._accept_thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually listened on."""
        if self._listener is not None:
            return self._listener.getsockname()[1]
        return self._port

    @property
    def connection_count(self) -> int:
        """Connections currently open."""
        with self._cond:
            return len(self._conns)

    def bind(self) -> None:
        """Creates the TLS context and the listening socket."""
        if self._listener is not None:
            return
        if self.ssl_params is not None:
            self._ssl_ctx = self.ssl_params.make_context()
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.address, self._port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        self._listener = sock

    def start(self) -> None:
        """Binds and serves in a background thread."""
        self.bind()
        self._accept_thread = threading.Thread(
            target=self.serve_forever, name="http-accept", daemon=True
        )
        self._accept_thread.start()

    def serve_forever(self) -> None:
        """Binds (if needed) and accepts connections until ``stop``."""
        self.bind()
        listener = self._listener
        poller = select.poll()
        poller.register(listener.fileno(), select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        while not self._stopping:
            try:
                events = poller.poll()
            except InterruptedError:
                continue
            if self._stopping:
                break
            if not any(fd == listener.fileno() for fd, _ in events):
                continue
            try:
                sock, peer = listener.accept()
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as err:
                if self._stopping:
                    break
                self.log.error("accept failed: %s", err)
                time.sleep(0.1)
                continue
            if not self._reserve_slot():
                sock.close()
                break
            self._start_connection(sock, peer)

    def _reserve_slot(self) -> bool:
        """Waits for a free connection slot, evicting idle ones; False if stopping."""
        with self._cond:
            while len(self._conns) >= self.max_clients and not self._stopping:
                idle = [c for c in self._conns.values() if c.idle_since is not None]
                if idle:
                    oldest = min(idle, key=lambda c: c.idle_since)
                    oldest.idle_since = None
                    _shutdown(oldest.sock)
                self._cond.wait(0.5)
            return not self._stopping

    def _start_connection(self, sock: socket.socket, peer: tuple) -> None:
        with self._cond:
            self._counter += 1
            conn = _Connection(sock, peer, self._counter)
            self._conns[conn.number] = conn
        thread = threading.Thread(
            target=self._serve_connection,
            args=(conn,),
            name="http-conn-%d" % conn.number,
            daemon=True,
        )
        try:
            thread.start()
        except RuntimeError as err:
            self.log.error("Can't start a connection thread: %s", err)
            self._forget(conn)
            sock.close()

    def _forget(self, conn: _Connection) -> None:
        with self._cond:
            self._conns.pop(conn.number, None)
            self._cond.notify_all()

    def request_stop(self) -> None:
        """Makes ``serve_forever`` return soon (safe in a signal handler)."""
        self._stopping = True
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def stop(self, grace: float = 5.0) -> None:
        """Stops accepting, lets busy requests finish for ``grace`` seconds,
        then closes every connection."""
        self.request_stop()
        if (
            self._accept_thread is not None
            and self._accept_thread is not threading.current_thread()
        ):
            self._accept_thread.join(5)
        deadline = time.monotonic() + grace
        with self._cond:
            while True:
                for conn in self._conns.values():
                    if conn.idle_since is not None:
                        _shutdown(conn.sock)
                busy = [c for c in self._conns.values() if c.idle_since is None]
                if not busy or time.monotonic() >= deadline:
                    break
                self._cond.wait(0.05)
            for conn in self._conns.values():
                _shutdown(conn.sock)
        if self._listener is not None:
            self._listener.close()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._wake_r = self._wake_w = -1

    # one connection ------------------------------------------------------

    def _serve_connection(self, conn: _Connection) -> None:
        sock = conn.sock
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(self.read_timeout)
            forbidden = False
            peer_der = None
            if self._ssl_ctx is not None:
                try:
                    sock = self._ssl_ctx.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError) as err:
                    self.log.info("TLS handshake with %s failed: %s", _fmt_peer(conn.peer), err)
                    return
                conn.sock = sock
                peer_der = sock.getpeercert(binary_form=True)
                verify = self.ssl_params.verify_peer_fn
                if verify is not None and peer_der is not None and not verify(peer_der):
                    self.log.warning(
                        "Refusing client %s: certificate not accepted", _fmt_peer(conn.peer)
                    )
                    forbidden = True
            rfile = sock.makefile("rb", buffering=65536)
            try:
                self._request_loop(conn, sock, rfile, peer_der, forbidden)
            finally:
                rfile.close()
        except Exception:  # pylint: disable=broad-except
            self.log.exception("Error while serving %s", _fmt_peer(conn.peer))
        finally:
            try:
                sock.close()
            except OSError:
                pass
            self._forget(conn)

    def _request_loop(self, conn, sock, rfile, peer_der, forbidden) -> None:
        first = True
        while not self._stopping:
            with self._cond:
                conn.idle_since = time.monotonic()
            try:
                sock.settimeout(self.read_timeout if first else self.idle_timeout)
                line = rfile.readline(MAX_REQUEST_LINE + 1)
            except (OSError, ValueError):
                return
            with self._cond:
                if conn.idle_since is None:  # evicted while the request arrived
                    return
                conn.idle_since = None
            if not line:
                return
            first = False
            sock.settimeout(self.read_timeout)
            try:
                request, keep_alive = self._read_request(line, rfile, sock, conn.peer, peer_der)
            except _BadMessage as bad:
                self._send(sock, http.HTTP_1_1, self._error_response(bad.exc), False, False)
                return
            except (OSError, ValueError) as err:
                self.log.debug("Reading request from %s failed: %s", _fmt_peer(conn.peer), err)
                return
            if forbidden:
                response = self._error_response(
                    http.HttpForbidden("Client certificate not accepted by this node")
                )
                keep_alive = False
            else:
                response = self._dispatch(request)
            if self._stopping:
                keep_alive = False
            try:
                self._send(
                    sock, request.version, response, keep_alive, request.method == http.HTTP_HEAD
                )
            except OSError as err:
                self.log.debug("Writing response to %s failed: %s", _fmt_peer(conn.peer), err)
                return
            if not keep_alive:
                return

    def _dispatch(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.handler(request)
        except http.HttpException as err:
            return self._error_response(err)
        except Exception:  # pylint: disable=broad-except
            self.log.exception("Unhandled error in handler for %s %s", request.method, request.path)
            return self._error_response(http.HttpInternalServerError())
        if not isinstance(response, HttpResponse):
            self.log.error("Handler returned %r instead of an HttpResponse", type(response))
            return self._error_response(http.HttpInternalServerError())
        return response

    def _error_response(self, err: http.HttpException) -> HttpResponse:
        ctype, body = self.error_formatter(err)
        return HttpResponse(
            code=err.code, body=body, content_type=ctype, headers=dict(err.headers or {})
        )

    def _read_request(self, line, rfile, sock, peer, peer_der) -> tuple[HttpRequest, bool]:
        if len(line) > MAX_REQUEST_LINE:
            raise _BadMessage(http.HttpException("Request line too long"))
        try:
            text = line.decode("iso-8859-1").rstrip("\r\n")
        except UnicodeDecodeError:
            raise _BadMessage(http.HttpBadRequest("Invalid request line")) from None
        parts = text.split()
        if len(parts) != 3:
            raise _BadMessage(http.HttpBadRequest("Invalid request line %r" % text[:100]))
        method, path, version = parts
        if version not in (http.HTTP_1_0, http.HTTP_1_1):
            if not version.startswith("HTTP/"):
                raise _BadMessage(http.HttpBadRequest("Invalid request line %r" % text[:100]))
            raise _BadMessage(http.HttpVersionNotSupported("Unsupported HTTP version %s" % version))
        headers = _read_headers(rfile)
        conn_hdr = headers.get("connection", "").lower()
        if version == http.HTTP_1_1:
            keep_alive = "close" not in conn_hdr
        else:
            keep_alive = "keep-alive" in conn_hdr
        body = self._read_body(headers, version, rfile, sock)
        return HttpRequest(method, path, version, headers, body, peer, peer_der), keep_alive

    def _read_body(self, headers, version, rfile, sock) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._maybe_continue(headers, version, sock)
            return _read_chunked(rfile, self.max_body)
        length_text = headers.get("content-length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError
        except ValueError:
            raise _BadMessage(http.HttpBadRequest("Invalid Content-Length")) from None
        if length > self.max_body:
            raise _BadMessage(
                http.HttpRequestEntityTooLarge(
                    "Request body of %d bytes exceeds the limit of %d bytes"
                    % (length, self.max_body)
                )
            )
        self._maybe_continue(headers, version, sock)
        body = rfile.read(length) if length else b""
        if len(body) != length:
            raise ValueError("connection closed in the middle of the body")
        return body

    @staticmethod
    def _maybe_continue(headers, version, sock) -> None:
        if version == http.HTTP_1_1 and headers.get("expect", "").lower() == "100-continue":
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _send(
        self, sock, version: str, response: HttpResponse, keep_alive: bool, head: bool
    ) -> None:
        sock.settimeout(self.write_timeout)
        reason = http.RESPONSES.get(response.code, "Unknown")
        lines = [
            "%s %d %s" % (http.HTTP_1_1, response.code, reason),
            "Server: %s" % self.server_name,
            "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
            "Content-Type: %s" % response.content_type,
            "Content-Length: %d" % len(response.body),
        ]
        if not keep_alive:
            lines.append("Connection: close")
        elif version == http.HTTP_1_0:
            lines.append("Connection: keep-alive")
        for name, value in response.headers.items():
            lines.append("%s: %s" % (name, value))
        head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1")
        sock.sendall(head_bytes if head else head_bytes + response.body)


def _read_headers(rfile) -> dict[str, str]:
    headers: dict[str, str] = {}
    total = 0
    while True:
        line = rfile.readline(MAX_HEADER_BYTES + 1)
        if not line:
            raise ValueError("connection closed in the headers")
        total += len(line)
        if total > MAX_HEADER_BYTES or len(headers) > MAX_HEADERS:
            raise _BadMessage(http.HttpBadRequest("Request headers too large"))
        if line in (b"\r\n", b"\n"):
            return headers
        if line[:1] in (b" ", b"\t"):
            raise _BadMessage(http.HttpBadRequest("Folded header lines are not supported"))
        name, sep, value = line.decode("iso-8859-1").partition(":")
        if not sep or not name or name != name.strip():
            raise _BadMessage(http.HttpBadRequest("Malformed header line"))
        name = name.lower()
        value = value.strip()
        headers[name] = "%s, %s" % (headers[name], value) if name in headers else value


def _read_chunked(rfile, limit: int) -> bytes:
    parts = []
    size = 0
    while True:
        line = rfile.readline(1026)
        if not line:
            raise ValueError("connection closed in a chunked body")
        try:
            chunk = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            raise _BadMessage(http.HttpBadRequest("Invalid chunk size")) from None
        if chunk == 0:
            while rfile.readline(MAX_HEADER_BYTES) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        size += chunk
        if size > limit:
            raise _BadMessage(
                http.HttpRequestEntityTooLarge("Request body exceeds %d bytes" % limit)
            )
        data = rfile.read(chunk)
        if len(data) != chunk:
            raise ValueError("connection closed in a chunk")
        parts.append(data)
        rfile.readline(3)


def _shutdown(sock: socket.socket) -> None:
    # the plain-socket method: safe from another thread, even on TLS sockets
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


def _fmt_peer(peer: tuple) -> str:
    if not peer:
        return "<unknown>"
    return "%s:%s" % (peer[0], peer[1])
