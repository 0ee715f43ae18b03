"""Tests for ganeti.http: the threaded HTTP/1.1 server and the pycurl client."""

import socket
import threading
import time

import pytest

from ganeti import http, serializer
from ganeti.http import client, server
from ganeti.utils import x509


def _echo(req: server.HttpRequest) -> server.HttpResponse:
    if req.path == "/missing":
        raise http.HttpNotFound("no such thing")
    if req.path == "/boom":
        raise RuntimeError("handler bug")
    if req.path.startswith("/sleep/"):
        time.sleep(float(req.path.split("/")[2]))
    body = {"method": req.method, "path": req.path, "len": len(req.body), "body": req.body.decode()}
    return server.HttpResponse(body=serializer.dump_bytes(body))


@pytest.fixture
def plain():
    srv = server.HttpServer(_echo, "127.0.0.1", 0, max_body=1000, read_timeout=2, idle_timeout=2)
    srv.start()
    yield srv
    srv.stop(grace=1)


def _raw(port: int, data: bytes, timeout: float = 5) -> bytes:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        sock.close()


def test_keep_alive_two_requests_one_connection(plain):
    req = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
    last = b"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    out = _raw(plain.port, req + last)
    assert out.count(b"HTTP/1.1 200 OK") == 2
    assert b'"path":"/a","len":3,"body":"abc"' in out
    assert b'"method":"GET","path":"/b"' in out
    assert b"Connection: close" in out


def test_http10_closes_by_default(plain):
    out = _raw(plain.port, b"GET /x HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in out


def test_error_answers(plain):
    out = _raw(plain.port, b"GET /missing HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 404 Not Found")
    body = serializer.loads(out.split(b"\r\n\r\n", 1)[1])
    assert body == {"code": 404, "message": "no such thing", "explain": ""}
    out = _raw(plain.port, b"GET /boom HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 500 ")
    assert _raw(plain.port, b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert _raw(plain.port, b"GET / HTTP/2.0\r\n\r\n").startswith(b"HTTP/1.1 505 ")
    out = _raw(plain.port, b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 ")


def test_body_limit(plain):
    out = _raw(plain.port, b"POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000)
    assert out.startswith(b"HTTP/1.1 413 ")
    chunked = (
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"3e8\r\n"
        + b"y" * 1000
        + b"\r\n"
    )
    out = _raw(plain.port, chunked + b"1\r\nz\r\n0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 413 ")


def test_chunked_and_expect_continue(plain):
    out = _raw(
        plain.port,
        b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"2\r\nab\r\n3;ext=1\r\ncde\r\n0\r\n\r\n",
    )
    assert b'"len":5,"body":"abcde"' in out
    sock = socket.create_connection(("127.0.0.1", plain.port), timeout=5)
    sock.sendall(
        b"POST /e HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    )
    assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
    sock.sendall(b"hi")
    rest = sock.makefile("rb").read()
    sock.close()
    assert b'"body":"hi"' in rest


def test_read_timeout_closes_connection(plain):
    sock = socket.create_connection(("127.0.0.1", plain.port), timeout=10)
    sock.sendall(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
    start = time.monotonic()
    assert sock.recv(100) == b""  # server gave up on the body
    assert time.monotonic() - start < 5
    sock.close()


def test_max_clients_evicts_idle_connections():
    srv = server.HttpServer(_echo, "127.0.0.1", 0, max_clients=2, idle_timeout=30)
    srv.start()
    try:
        idle = []
        for _ in range(2):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.sendall(b"GET /x HTTP/1.1\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
            idle.append(s)
        # a third client gets served: the oldest idle connection is closed for it
        out = _raw(srv.port, b"GET /third HTTP/1.1\r\nConnection: close\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 200")
        assert idle[0].recv(10) == b""
        for s in idle:
            s.close()
    finally:
        srv.stop(grace=1)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("httpcerts")
    paths = {name: str(d / (name + ".pem")) for name in ("server", "client", "stranger")}
    x509.generate_cluster_cert_file(paths["server"])
    x509.generate_client_cert_file(paths["client"], paths["server"], "node1")
    x509.generate_cluster_cert_file(paths["stranger"])
    return paths


@pytest.fixture
def tls(certs):
    params = server.SslParams(certs["server"], ca_file=certs["server"])
    srv = server.HttpServer(_echo, "127.0.0.1", 0, ssl_params=params)
    srv.start()
    yield srv
    srv.stop(grace=1)


def _req(srv, certfile, cafile, path="/p", data=b"[]", timeout=10.0):
    return client.HttpClientRequest(
        "127.0.0.1",
        srv.port,
        "POST",
        path,
        post_data=data,
        read_timeout=timeout,
        curl_config_fn=client.make_ssl_config(certfile, ca_file=cafile),
        config_key=(certfile, cafile),
    )


def test_tls_parallel_requests_reuse_connections(tls, certs):
    for _ in range(5):
        reqs = [
            _req(tls, certs["client"], certs["server"], "/n%d" % i, b"x" * 5000) for i in range(3)
        ]
        client.process_requests(reqs)
        for i, r in enumerate(reqs):
            assert r.success, r.error
            assert r.resp_status_code == 200
            assert serializer.loads(r.resp_body)["path"] == "/n%d" % i
            assert serializer.loads(r.resp_body)["len"] == 5000
    # five rounds of three parallel calls: still three connections
    assert tls.connection_count == 3


def test_tls_client_cert_not_signed_by_cluster_is_refused(tls, certs):
    r = client.simple_request(_req(tls, certs["stranger"], certs["server"]))
    assert not r.success
    assert r.resp_status_code is None
    # TLS 1.3 reports the refusal either as an "unknown ca" alert or as a reset
    assert r.error


def test_tls_without_client_cert_is_refused(tls, certs):
    r = client.simple_request(_req(tls, None, certs["server"]))
    assert not r.success


def test_tls_client_refuses_unknown_server(tls, certs):
    r = client.simple_request(_req(tls, certs["client"], certs["stranger"]))
    assert not r.success and "certificate" in r.error.lower()


def test_verify_peer_fn_gives_403(certs):
    seen = []

    def verify(der):
        seen.append(x509.der_cert_digest(der))
        return False

    params = server.SslParams(certs["server"], ca_file=certs["server"], verify_peer_fn=verify)
    srv = server.HttpServer(_echo, "127.0.0.1", 0, ssl_params=params)
    srv.start()
    try:
        r = client.simple_request(_req(srv, certs["client"], certs["server"]))
        assert r.success and r.resp_status_code == 403
        assert seen == [x509.get_certificate_digest(certs["client"])]
    finally:
        srv.stop(grace=1)


def test_client_timeout_and_connection_errors(tls, certs):
    start = time.monotonic()
    r = client.simple_request(_req(tls, certs["client"], certs["server"], "/sleep/2", timeout=0.3))
    assert not r.success and "timed out" in r.error.lower()
    assert time.monotonic() - start < 1.5
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    r = client.HttpClientRequest("127.0.0.1", port, "GET", "/", scheme="http", read_timeout=2)
    client.simple_request(r)
    assert not r.success and "connect" in r.error.lower()


def test_stop_lets_busy_request_finish(certs):
    srv = server.HttpServer(_echo, "127.0.0.1", 0)
    srv.start()
    results = []
    r = client.HttpClientRequest(
        "127.0.0.1", srv.port, "GET", "/sleep/0.5", scheme="http", read_timeout=5
    )
    t = threading.Thread(target=lambda: results.append(client.simple_request(r)))
    t.start()
    time.sleep(0.2)
    srv.stop(grace=3)
    t.join(5)
    assert r.success and r.resp_status_code == 200
    assert srv.connection_count == 0
