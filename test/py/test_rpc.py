"""Tests for ganeti.rpc: the procedure table, encodings and the RPC client."""

import os
import re
import time

import pytest

from ganeti import constants, errors, http, serializer
from ganeti.http import server
from ganeti.rpc import client as rpc
from ganeti.rpc import defs, encoding
from ganeti.utils import x509

REFERENCE = "/work/shared/reference/node-rpc.md"


def test_table_matches_the_reference():
    if not os.path.exists(REFERENCE):
        pytest.skip("reference not available")
    text = open(REFERENCE, encoding="utf-8").read()
    text = text.split("## Procedures (3.0)")[1].split("## 2.2 procedures")[0]
    rows = re.findall(r"^\| ([a-z0-9_]+) \| (single|multi)[^|]*\| ([^|]+)\| ([^|]*)\|", text, re.M)
    assert len(rows) > 100
    for name, kind, timeout, args in rows:
        cdef = defs.CALLS[name]
        assert cdef.kind == kind, name
        args = args.strip()
        want = [] if args == "-" else [a.strip().split(":")[0] for a in args.split(",")]
        assert [a.name for a in cdef.args] == want, name
        m = re.search(r"\((\d+)\)", timeout)
        if m:
            assert cdef.timeout == int(m.group(1)), name
    assert set(defs.CALLS) == {r[0] for r in rows}


def test_table_details():
    assert defs.CALLS["version"].accept_offline
    assert not defs.CALLS["node_info"].accept_offline
    assert defs.CALLS["test_delay"].read_timeout((10,)) == 15
    assert defs.CALLS["hooks_runner"].read_timeout(("a", "pre", {})) == constants.RPC_TMO_NORMAL
    assert [a.encoder for a in defs.CALLS["jobqueue_update"].args] == [None, defs.ED_COMPRESS]
    for name in defs.CALLS:
        assert callable(getattr(rpc.RpcRunner, "call_" + name))


def test_compression_roundtrip():
    small = encoding.compress("hello")
    assert small == [constants.RPC_ENCODING_NONE, "hello"]
    big = b"x" * 10000
    packed = encoding.compress(big)
    assert packed[0] == constants.RPC_ENCODING_ZLIB_BASE64 and len(packed[1]) < 200
    assert encoding.decompress(packed) == big
    assert encoding.decompress(small) == b"hello"
    binary = bytes(range(256))[:100]
    assert encoding.decompress(encoding.compress(binary)) == binary
    for bad in ([7, "x"], "x", [1, "!!notbase64"], [0, 5]):
        with pytest.raises(ValueError):
            encoding.decompress(bad)


def test_file_details(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"data" * 300)
    os.chmod(f, 0o640)
    name, content, mode, owner, group, atime, mtime = encoding.prepare_file_upload(str(f))
    assert name == str(f) and encoding.decompress(content) == b"data" * 300
    assert mode == 0o640 and owner == "root" and group == "root"
    assert mtime == os.stat(f).st_mtime
    with pytest.raises(errors.OpExecError):
        encoding.prepare_file_upload(str(tmp_path / "missing"))


def test_rpc_result_semantics():
    ok = rpc.RpcResult(data=[True, {"a": 1}], node="n1", call="c")
    assert ok.fail_msg is None and ok.payload == {"a": 1} and not ok.offline
    ok.raise_error("never")
    bad = rpc.RpcResult(data=[False, "disk full"], node="n1", call="c")
    assert bad.fail_msg == "disk full" and bad.payload is None
    with pytest.raises(errors.OpExecError, match="^Oops: disk full$"):
        bad.raise_error("Oops")
    with pytest.raises(errors.OpExecError, match="Call 'c' to node 'n1' has failed: disk full"):
        bad.raise_error()
    with pytest.raises(errors.OpPrereqError) as exc:
        bad.raise_error("x", prereq=True, ecode=errors.ECODE_ENVIRON)
    assert exc.value.args[1] == errors.ECODE_ENVIRON
    off = rpc.RpcResult(offline=True, node="n2", call="c")
    assert off.offline and off.fail_msg == "Node is marked offline" and off.payload is None
    assert rpc.RpcResult(data=[False, ""]).fail_msg == "No error information"
    assert "invalid result type" in rpc.RpcResult(data={"x": 1}).fail_msg
    assert "invalid result length" in rpc.RpcResult(data=[1, 2, 3]).fail_msg
    msgs = []
    assert bad.warn("Warning", msgs.append) and msgs == ["Warning: disk full"]
    assert not ok.warn("Warning", msgs.append)


# --- against a live TLS server answering like noded ---------------------------------


@pytest.fixture(scope="module")
def tls_env(tmp_path_factory):
    d = tmp_path_factory.mktemp("rpccerts")
    srv_pem, cli_pem = str(d / "server.pem"), str(d / "client.pem")
    x509.generate_cluster_cert_file(srv_pem)
    x509.generate_client_cert_file(cli_pem, srv_pem, "master")
    seen = []

    def handler(req):
        if req.method != "POST":
            raise http.HttpBadRequest("only POST")
        proc = req.path.lstrip("/")
        args = serializer.loads(req.body)
        seen.append((proc, args))
        if proc == "test_delay":
            time.sleep(args[0])
            return server.HttpResponse(body=b"[true, null]")
        if proc == "version":
            return server.HttpResponse(
                body=serializer.dump_bytes([True, constants.PROTOCOL_VERSION])
            )
        if proc == "master_node_name":
            return server.HttpResponse(body=b"[false, \"no master\"]")
        if proc == "vg_list":
            return server.HttpResponse(body=b"not json")
        if proc in defs.CALLS:
            return server.HttpResponse(body=serializer.dump_bytes([True, [proc, args]]))
        raise http.HttpNotFound()

    params = server.SslParams(srv_pem, ca_file=srv_pem)
    srv = server.HttpServer(handler, "127.0.0.1", 0, ssl_params=params)
    srv.start()
    yield {"server": srv, "srv_pem": srv_pem, "cli_pem": cli_pem, "seen": seen}
    srv.stop(grace=1)


def _runner(env, offline=(), **kw):
    port = env["server"].port
    mapping = {
        "node1": ("127.0.0.1", port),
        "node2": ("127.0.0.1", port),
        "node3": ("127.0.0.1", port),
    }
    mapping["nowhere"] = None
    resolver = rpc.StaticResolver(mapping, offline=offline)
    return rpc.RpcRunner(resolver, cert_file=env["cli_pem"], ca_file=env["srv_pem"], **kw)


def test_multi_call_all_nodes(tls_env):
    runner = _runner(tls_env)
    res = runner.call_version(["node1", "node2", "node3"])
    assert list(res) == ["node1", "node2", "node3"]
    for name, r in res.items():
        assert r.fail_msg is None and r.payload == constants.PROTOCOL_VERSION
        assert r.node == name and r.call == "version"


def test_single_call_and_arguments(tls_env):
    runner = _runner(tls_env)
    r = runner.call_node_leave_cluster("node1", True)
    assert isinstance(r, rpc.RpcResult)
    assert r.payload == ["node_leave_cluster", [True]]
    r = runner.call_hooks_runner(["node2"], "cluster-init", "post", {"GANETI_X": "1"})["node2"]
    assert r.payload == ["hooks_runner", ["cluster-init", "post", {"GANETI_X": "1"}]]
    with pytest.raises(errors.ProgrammerError):
        runner.call_node_leave_cluster(["node1"], True)
    with pytest.raises(errors.ProgrammerError):
        runner.call_version("node1")
    with pytest.raises(errors.ProgrammerError, match="takes 3 arguments"):
        runner.call_hooks_runner(["node1"], "x")
    with pytest.raises(errors.ProgrammerError, match="no encoder inst_dict"):
        runner.call_instance_shutdown("node1", object(), 10, None)


def test_encoders(tls_env):
    class Obj:
        def to_dict(self):
            return {"ip": "1.2.3.4"}

    runner = _runner(tls_env, encoders={defs.ED_INST_DICT: lambda inst: {"name": inst}})
    r = runner.call_node_activate_master_ip("node1", Obj(), False)
    assert r.payload == ["node_activate_master_ip", [{"ip": "1.2.3.4"}, False]]
    r = runner.call_instance_shutdown("node1", "inst1", 10, None)
    assert r.payload == ["instance_shutdown", [{"name": "inst1"}, 10, None]]
    r = runner.call_jobqueue_update(["node1"], "/q/job-1", "x" * 2000)["node1"]
    assert encoding.decompress(r.payload[1][1]) == b"x" * 2000


def test_per_node_arguments(tls_env):
    runner = _runner(tls_env, encoders={defs.ED_NODE_TO_DISK_DICT_DP: lambda m: rpc.PerNode(m)})
    res = runner.call_blockdev_getmirrorstatus_multi(
        ["node1", "node2"], {"node1": ["a"], "node2": ["b"]}
    )
    assert res["node1"].payload[1] == [["a"]]
    assert res["node2"].payload[1] == [["b"]]


def test_offline_unresolvable_and_failures(tls_env):
    runner = _runner(tls_env, offline=["node2"])
    res = runner.call_node_info(["node1", "node2", "nowhere"], [], [])
    assert res["node1"].fail_msg is None
    assert res["node2"].offline and res["node2"].fail_msg == "Node is marked offline"
    assert "resolve" in res["nowhere"].fail_msg
    # version accepts offline nodes
    assert runner.call_version(["node2"])["node2"].payload == constants.PROTOCOL_VERSION
    assert runner.call_master_node_name(["node1"])["node1"].fail_msg == "no master"
    assert "RPC layer error" in runner.call_vg_list(["node1"])["node1"].fail_msg
    r = runner.call("version", ["node1"], read_timeout=5)["node1"]
    assert r.payload == constants.PROTOCOL_VERSION


def test_http_error_and_refused_connection(tls_env):
    runner = _runner(tls_env)
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead_port = s.getsockname()[1]
    s.close()
    runner.resolver = rpc.StaticResolver({"dead": ("127.0.0.1", dead_port)})
    r = runner.call_version(["dead"])["dead"]
    assert r.fail_msg.startswith("Error while contacting node dead") and "onnect" in r.fail_msg
    with pytest.raises(errors.ProgrammerError):
        runner.call("no_such_procedure", ["dead"])


def test_timeout(tls_env):
    runner = _runner(tls_env)
    start = time.monotonic()
    res = runner.call("test_delay", ["node1", "node2"], (1.5,), read_timeout=0.3)
    assert time.monotonic() - start < 1.2
    for r in res.values():
        assert "timed out" in r.fail_msg.lower()
    res = runner.call_test_delay(["node1", "node2", "node3"], 0.3)
    assert all(r.fail_msg is None for r in res.values())


def test_wrong_client_certificate_refused(tls_env, tmp_path):
    stranger = str(tmp_path / "stranger.pem")
    x509.generate_cluster_cert_file(stranger)
    runner = _runner(tls_env)
    runner._cert_file = stranger
    before = len(tls_env["seen"])
    r = runner.call_version(["node1"])["node1"]
    assert r.fail_msg and r.payload is None
    assert r.fail_msg.startswith("Error while contacting node node1")
    assert len(tls_env["seen"]) == before  # the handler never saw the call


def test_connections_are_kept_alive(tls_env):
    runner = _runner(tls_env)
    runner.call_version(["node1", "node2", "node3"])
    before = tls_env["server"]._counter
    for _ in range(20):
        res = runner.call_version(["node1", "node2", "node3"])
        assert all(r.fail_msg is None for r in res.values())
    assert tls_env["server"]._counter == before


def test_results_keyed_by_caller_ids(tls_env):
    port = tls_env["server"].port
    table = {"uuid-1": "node1", "uuid-2": "node2"}

    def by_uuid(ids):
        return [(table[i], "127.0.0.1", port, False) for i in ids]

    runner = rpc.RpcRunner(by_uuid, cert_file=tls_env["cli_pem"], ca_file=tls_env["srv_pem"])
    res = runner.call_version(["uuid-2", "uuid-1"])
    assert list(res) == ["uuid-2", "uuid-1"]
    assert res["uuid-1"].node == "node1" and res["uuid-2"].node == "node2"
    assert all(r.payload == constants.PROTOCOL_VERSION for r in res.values())
