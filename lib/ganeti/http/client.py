"""HTTP(S) client helpers: many requests in parallel over kept-alive connections.

Owns the pycurl side of HTTP: a per-thread pool of curl handles (one
CurlMulti per thread holds the connection cache, so a thread's later calls
to the same host reuse the TCP+TLS connection), TLS client settings, and
``process_requests`` which runs a batch of requests at once and fills in
each one's outcome.  It must never interpret bodies: callers (the RPC
client, the RAPI client) decide what a response means.
"""

import io as _io
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable

import pycurl

from ganeti import constants

#: connections a thread's multi handle keeps open (one per node is enough)
DEFAULT_MAX_CONNECTS = 1024
#: a kept-alive connection older than this is not reused (the server's idle
#: timeout is longer, so the client always gives up first)
MAX_CONNECTION_AGE = 60


@dataclass
class HttpClientRequest:
    """One request and, after ``process_requests``, its outcome.

    ``curl_config_fn`` is applied once to every new curl handle (TLS files,
    ...); handles are reused only among requests with the same
    ``config_key``.  ``read_timeout`` bounds the whole transfer.
    """

    host: str
    port: int
    method: str
    path: str
    headers: list[str] = field(default_factory=list)
    post_data: bytes | str = b""
    read_timeout: float | None = None
    connect_timeout: float = constants.RPC_CONNECT_TIMEOUT
    curl_config_fn: Callable[[Any], None] | None = None
    config_key: Hashable = None
    scheme: str = "https"
    nicename: str | None = None
    # outcome
    success: bool | None = None
    error: str | None = None
    resp_status_code: int | None = None
    resp_body: bytes | None = None

    @property
    def url(self) -> str:
        """The full URL of the request."""
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d%s" % (self.scheme, host, self.port, self.path)

    def __str__(self) -> str:
        return "%s %s" % (self.method, self.nicename or self.url)


def make_ssl_config(
    cert_file: str | None,
    key_file: str | None = None,
    ca_file: str | None = None,
    verify_hostname: bool = False,
    ciphers: str = constants.OPENSSL_CIPHERS,
) -> Callable[[Any], None]:
    """A ``curl_config_fn`` for TLS 1.2+ with a client certificate.

    The peer is verified against ``ca_file`` (host names are not checked
    unless asked: Ganeti nodes share one cluster certificate).
    """

    def configure(curl) -> None:
        curl.setopt(pycurl.SSLVERSION, pycurl.SSLVERSION_TLSv1_2)
        curl.setopt(pycurl.SSL_CIPHER_LIST, ciphers)
        if cert_file:
            curl.setopt(pycurl.SSLCERTTYPE, "PEM")
            curl.setopt(pycurl.SSLCERT, cert_file)
            curl.setopt(pycurl.SSLKEYTYPE, "PEM")
            curl.setopt(pycurl.SSLKEY, key_file or cert_file)
        if ca_file:
            curl.setopt(pycurl.CAINFO, ca_file)
            curl.setopt(pycurl.SSL_VERIFYPEER, 1)
        else:
            curl.setopt(pycurl.SSL_VERIFYPEER, 0)
        curl.setopt(pycurl.SSL_VERIFYHOST, 2 if verify_hostname else 0)

    return configure


class CurlPool:
    """Per-thread curl handles; each thread owns one multi (and its connections)."""

    def __init__(self, max_connects: int = DEFAULT_MAX_CONNECTS) -> None:
        self.max_connects = max_connects
        self._local = threading.local()

    def _state(self) -> tuple[Any, dict]:
        state = getattr(self._local, "state", None)
        if state is None:
            multi = pycurl.CurlMulti()
            multi.setopt(pycurl.M_MAXCONNECTS, self.max_connects)
            state = (multi, {})
            self._local.state = state
        return state

    def multi(self) -> Any:
        """This thread's multi handle."""
        return self._state()[0]

    def get(self, req: HttpClientRequest) -> Any:
        """A free handle for ``req``'s host, port and configuration."""
        free = self._state()[1].setdefault(_pool_key(req), [])
        if free:
            return free.pop()
        curl = pycurl.Curl()
        curl.setopt(pycurl.NOSIGNAL, 1)
        curl.setopt(pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_1_1)
        curl.setopt(pycurl.TCP_NODELAY, 1)
        curl.setopt(pycurl.MAXAGE_CONN, MAX_CONNECTION_AGE)
        curl.setopt(pycurl.USERAGENT, "Ganeti %s" % constants.RELEASE_VERSION)
        if req.curl_config_fn is not None:
            req.curl_config_fn(curl)
        return curl

    def put(self, req: HttpClientRequest, curl: Any) -> None:
        """Gives a handle back for later requests of this thread."""
        self._state()[1].setdefault(_pool_key(req), []).append(curl)

    def close(self) -> None:
        """Closes this thread's handles and connections."""
        state = getattr(self._local, "state", None)
        if state is None:
            return
        multi, handles = state
        for free in handles.values():
            for curl in free:
                curl.close()
        multi.close()
        self._local.state = None


def _pool_key(req: HttpClientRequest) -> tuple:
    return (req.scheme, req.host, req.port, req.config_key)


_DEFAULT_POOL = CurlPool()


def _prepare(curl, req: HttpClientRequest, buf) -> None:
    curl.setopt(pycurl.URL, req.url)
    headers = list(req.headers)
    if req.method in ("GET", "HEAD"):
        curl.setopt(pycurl.HTTPGET, 1)
        curl.setopt(pycurl.NOBODY, 1 if req.method == "HEAD" else 0)
        curl.setopt(pycurl.CUSTOMREQUEST, None)
    else:
        data = req.post_data.encode("utf-8") if isinstance(req.post_data, str) else req.post_data
        curl.setopt(pycurl.NOBODY, 0)
        curl.setopt(pycurl.POSTFIELDS, data)
        curl.setopt(pycurl.CUSTOMREQUEST, None if req.method == "POST" else req.method)
        # no "Expect: 100-continue" round trip for large bodies
        headers.append("Expect:")
    curl.setopt(pycurl.HTTPHEADER, headers)
    curl.setopt(pycurl.CONNECTTIMEOUT_MS, int(req.connect_timeout * 1000))
    curl.setopt(pycurl.TIMEOUT_MS, int(req.read_timeout * 1000) if req.read_timeout else 0)
    curl.setopt(pycurl.WRITEFUNCTION, buf.write)


def process_requests(requests: list[HttpClientRequest], pool: CurlPool | None = None) -> None:
    """Runs all ``requests`` in parallel and fills in their outcome fields.

    ``success`` is True when an HTTP answer came back (whatever its status);
    otherwise ``error`` says what went wrong (connect, TLS, timeout ...).
    """
    if not requests:
        return
    pool = pool or _DEFAULT_POOL
    multi = pool.multi()
    active: dict[int, tuple[Any, HttpClientRequest, Any]] = {}
    try:
        for req in requests:
            curl = pool.get(req)
            buf = _io.BytesIO()
            _prepare(curl, req, buf)
            multi.add_handle(curl)
            active[id(curl)] = (curl, req, buf)
        while active:
            while True:
                ret, _ = multi.perform()
                if ret != pycurl.E_CALL_MULTI_PERFORM:
                    break
            _collect(pool, multi, active)
            if not active:
                break
            wait = multi.timeout()
            wait = 1.0 if wait < 0 else min(wait / 1000.0, 1.0)
            if wait > 0 and multi.select(wait) < 0:
                time.sleep(min(wait, 0.001))
    finally:
        for curl, req, _ in list(active.values()):
            # only reached when interrupted: the handle's state is unknown
            try:
                multi.remove_handle(curl)
            except pycurl.error:
                pass
            curl.close()
            if req.success is None:
                req.success = False
                req.error = "Request interrupted"


def _collect(pool: CurlPool, multi, active: dict) -> None:
    while True:
        queued, ok_list, err_list = multi.info_read()
        for curl in ok_list:
            _finish(pool, multi, active, curl, None, None)
        for curl, errno, errmsg in err_list:
            _finish(pool, multi, active, curl, errno, errmsg)
        if not queued:
            break


def _finish(pool: CurlPool, multi, active: dict, curl, errno, errmsg) -> None:
    _, req, buf = active.pop(id(curl))
    multi.remove_handle(curl)
    if errno is None:
        req.success = True
        req.resp_status_code = curl.getinfo(pycurl.RESPONSE_CODE)
        req.resp_body = buf.getvalue()
    else:
        req.success = False
        req.error = "%s (curl error %s)" % (errmsg or "unknown error", errno)
    curl.setopt(pycurl.WRITEFUNCTION, _discard)
    pool.put(req, curl)


def _discard(_data: bytes) -> None:
    """Where a pooled handle writes until its next request (drops the buffer)."""


def simple_request(req: HttpClientRequest, pool: CurlPool | None = None) -> HttpClientRequest:
    """Runs one request (in the calling thread) and returns it, filled in."""
    process_requests([req], pool)
    return req
