"""The QMP client against a fake QMP server on a Unix socket."""

import json
import os
import socket
import sys
import threading
import time

import pytest

from ganeti import errors
from ganeti.hypervisor.hv_kvm import qmp

GREETING = {
    "QMP": {
        "version": {"qemu": {"micro": 19, "minor": 2, "major": 7}, "package": "Debian"},
        "capabilities": ["oob"],
    }
}


class FakeQmp:
    """Serves one client at a time; ``handler(cmd, args)`` -> reply dict or list of lines."""

    def __init__(self, path, handler=None, greeting=GREETING, negotiate=True):
        self.path = path
        self.handler = handler or (lambda cmd, args: {"return": {}})
        self.greeting = greeting
        self.negotiate = negotiate
        self.received = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self._talk(conn)

    def _send(self, conn, obj):
        if isinstance(obj, bytes):
            conn.sendall(obj)
        else:
            conn.sendall(json.dumps(obj).encode() + b"\r\n")

    def _talk(self, conn):
        if self.greeting is not None:
            self._send(conn, self.greeting)
        buf = b""
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, _, buf = buf.partition(b"\n")
                msg = json.loads(line)
                self.received.append(msg)
                cmd = msg.get("execute")
                if cmd == "qmp_capabilities" and self.negotiate:
                    reply = {"return": {}}
                else:
                    reply = self.handler(cmd, msg.get("arguments"))
                if reply is None:
                    continue
                if reply == "close":
                    return
                replies = reply if isinstance(reply, list) else [reply]
                for item in replies:
                    if isinstance(item, dict) and ("return" in item or "error" in item):
                        item = dict({"id": msg.get("id")}, **item)
                    self._send(conn, item)

    def close(self):
        self.sock.close()


@pytest.fixture
def sock_path(tmp_path):
    return str(tmp_path / "i1.qmp")


@pytest.fixture
def server_factory(sock_path):
    servers = []

    def make(**kw):
        srv = FakeQmp(sock_path, **kw)
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.close()


def test_negotiates_and_executes(server_factory, sock_path):
    srv = server_factory(
        handler=lambda cmd, args: {"return": {"status": "running", "running": True}}
    )
    with qmp.QmpClient(sock_path, timeout=2) as mon:
        assert mon.version == (7, 2, 19)
        assert mon.execute("query-status") == {"status": "running", "running": True}
    assert [m["execute"] for m in srv.received] == ["qmp_capabilities", "query-status"]
    assert srv.received[1]["id"] != srv.received[0]["id"]


def test_arguments_are_sent(server_factory, sock_path):
    srv = server_factory()
    qmp.run(sock_path, "balloon", {"value": 128 * 1024 * 1024}, timeout=2)
    assert srv.received[-1]["arguments"] == {"value": 134217728}


def test_events_between_commands_are_kept(server_factory, sock_path):
    event = {"event": "POWERDOWN", "data": {}, "timestamp": {"seconds": 1, "microseconds": 2}}
    srv = server_factory(handler=lambda cmd, args: [event, {"return": {}}])
    with qmp.QmpClient(sock_path, timeout=2) as mon:
        mon.execute("system_powerdown")
        assert [e["event"] for e in mon.events] == ["POWERDOWN"]
        assert mon.wait_event("POWERDOWN")["event"] == "POWERDOWN"
        assert mon.events == []
    assert srv.received[-1]["execute"] == "system_powerdown"


def test_wait_event_reads_later_events(server_factory, sock_path):
    def handler(cmd, args):
        if cmd == "stop":
            return [
                {"return": {}},
                {"event": "BLOCK_IO_ERROR", "data": {}},
                {"event": "STOP", "data": {}},
            ]
        return {"return": {}}

    server_factory(handler=handler)
    with qmp.QmpClient(sock_path, timeout=2) as mon:
        mon.execute("stop")
        assert mon.wait_event({"STOP", "SHUTDOWN"}, timeout=2)["event"] == "STOP"
        assert [e["event"] for e in mon.events] == ["BLOCK_IO_ERROR"]


def test_replies_with_other_ids_are_skipped(server_factory, sock_path):
    # the fake server stamps our id on the second reply only
    server_factory(
        handler=lambda cmd, args: [{"return": "stale", "id": "other"}, {"return": "mine"}]
    )
    with qmp.QmpClient(sock_path, timeout=2) as mon:
        assert mon.execute("query-name") == "mine"


def test_error_reply(server_factory, sock_path):
    server_factory(
        handler=lambda cmd, args: {
            "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}
        }
    )
    with pytest.raises(qmp.QmpError) as info:
        qmp.run(sock_path, "nope", timeout=2)
    assert isinstance(info.value, errors.HypervisorError)
    assert info.value.error_class == "CommandNotFound"
    assert "nope" in str(info.value) and "has not been found" in str(info.value)


def test_no_socket(tmp_path):
    with pytest.raises(errors.HypervisorError, match="Can't connect to the QMP socket"):
        qmp.run(str(tmp_path / "missing.qmp"), "query-status", timeout=1)


def test_timeout_without_greeting(server_factory, sock_path):
    server_factory(greeting=None)
    start = time.monotonic()
    with pytest.raises(errors.HypervisorError, match="greeting: no answer"):
        qmp.run(sock_path, "query-status", timeout=0.3)
    assert time.monotonic() - start < 2


def test_timeout_without_reply(server_factory, sock_path):
    server_factory(handler=lambda cmd, args: None)
    with pytest.raises(errors.HypervisorError, match="query-status: no answer"):
        qmp.run(sock_path, "query-status", timeout=0.3)


def test_not_qmp(server_factory, sock_path):
    server_factory(greeting={"hello": "world"})
    with pytest.raises(errors.HypervisorError, match="did not greet as QMP"):
        qmp.run(sock_path, "query-status", timeout=1)


def test_closed_connection(server_factory, sock_path):
    server_factory(handler=lambda cmd, args: "close")
    with pytest.raises(errors.HypervisorError, match="closed by qemu"):
        qmp.run(sock_path, "quit", timeout=1)


def test_garbage(server_factory, sock_path):
    server_factory(handler=lambda cmd, args: b"this is not json\n")
    with pytest.raises(errors.HypervisorError, match="invalid message"):
        qmp.run(sock_path, "query-status", timeout=1)


def test_negotiation_failure(server_factory, sock_path):
    server_factory(
        negotiate=False,
        handler=lambda cmd, args: {"error": {"class": "GenericError", "desc": "no"}},
    )
    with pytest.raises(qmp.QmpError, match="qmp_capabilities"):
        qmp.QmpClient(sock_path, timeout=1).connect()


def test_closed_client_cannot_execute(server_factory, sock_path):
    server_factory()
    mon = qmp.QmpClient(sock_path, timeout=1).connect()
    mon.close()
    with pytest.raises(errors.HypervisorError, match="not connected"):
        mon.execute("query-status")


def test_hypervisor_info_falls_back_when_qmp_is_silent(tmp_path):
    """A live qemu-like process whose QMP does not answer: info from the runtime file."""
    import subprocess

    from ganeti.hypervisor import hv_kvm
    from ganeti.hypervisor.hv_kvm import runtime as rt

    hv = hv_kvm.KVMHypervisor(str(tmp_path))
    hv.dirs.ensure()
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "-name", "i1"])
    try:
        # any process started with "-name i1" counts as the instance's qemu
        with open(hv.dirs.pid_file("i1"), "w") as fh:
            fh.write("%d\n" % proc.pid)
        hv.dirs.save(rt.KvmRuntime(name="i1", kvm_cmd=["kvm"], hvparams={}, memory=300, vcpus=3))
        FakeQmp(hv.dirs.qmp_socket("i1"), handler=lambda cmd, args: None)
        old = hv_kvm.INFO_QMP_TIMEOUT
        hv_kvm.INFO_QMP_TIMEOUT = 0.2
        try:
            assert hv.list_instances() == ["i1"]
            name, pid, memory, vcpus, state, _ = hv.get_instance_info("i1")
        finally:
            hv_kvm.INFO_QMP_TIMEOUT = old
        assert (name, pid, memory, vcpus, state) == ("i1", proc.pid, 300, 3, hv_kvm.STATE_RUNNING)
    finally:
        proc.kill()
        proc.wait()
    assert hv.list_instances() == []
    assert hv.get_instance_info("i1") is None
    hv.cleanup_instance("i1")
    assert not os.path.exists(hv.dirs.runtime_file("i1"))


def test_hypervisor_info_from_qmp(tmp_path):
    import subprocess

    from ganeti.hypervisor import hv_kvm
    from ganeti.hypervisor.hv_kvm import runtime as rt

    hv = hv_kvm.KVMHypervisor(str(tmp_path))
    hv.dirs.ensure()
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "-name", "i1"])

    def handler(cmd, args):
        if cmd == "query-status":
            return {"return": {"status": "shutdown", "running": False}}
        if cmd == "query-balloon":
            return {"return": {"actual": 200 * 1024 * 1024}}
        return {"return": {}}

    try:
        with open(hv.dirs.pid_file("i1"), "w") as fh:
            fh.write("%d\n" % proc.pid)
        hv.dirs.save(rt.KvmRuntime(name="i1", kvm_cmd=["kvm"], hvparams={}, memory=300, vcpus=3))
        srv = FakeQmp(hv.dirs.qmp_socket("i1"), handler=handler)
        info = hv.get_instance_info("i1")
        assert info[2:5] == (200, 3, hv_kvm.STATE_SHUTDOWN)
        assert hv.get_instance_status("i1") == "shutdown"
        # a soft stop of a guest that is already off quits qemu
        hv.stop_instance(None, name="i1")
        assert srv.received[-1]["execute"] == "quit"
    finally:
        proc.kill()
        proc.wait()
