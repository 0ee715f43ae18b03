"""Test helper: runs opcodes through the real processor on a test config.

A ``Harness`` holds a ConfigWriter on a temporary root (see
``testutils_config``), a real lock manager, a scripted fake RPC runner and
a recording hooks function, and runs opcodes with ``mcpu.Processor``, so
logical units go through their whole lifecycle (names, locks, prereqs,
hooks, exec).  Fake nodes answer what ``FakeRpc.answers`` says.
"""

import os
from typing import Any

from ganeti import config, constants, locking, mcpu, opcodes, pathutils
from ganeti.rpc.client import RpcResult

import testutils_config


def ok(payload: Any = None, node: str = "", call: str = "") -> RpcResult:
    return RpcResult(data=[True, payload], node=node, call=call)


def fail(msg: str, node: str = "", call: str = "") -> RpcResult:
    return RpcResult(data=msg, failed=True, node=node, call=call)


class FakeRpc:
    """Records calls; answers per procedure and node (default: success).

    ``answers[(procedure, node)]`` (or ``answers[procedure]``) is an
    RpcResult or a function ``(node, *args) -> RpcResult``.
    """

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg
        self.calls: list[tuple] = []
        self.answers: dict = {}

    def _name(self, node: str) -> str:
        info = self.cfg.get_node_info(node)
        return info.name if info is not None else node

    def _answer(self, procedure: str, node: str, args: tuple) -> RpcResult:
        name = self._name(node)
        self.calls.append((procedure, name) + args)
        answer = self.answers.get((procedure, name), self.answers.get(procedure))
        if callable(answer):
            answer = answer(name, *args)
        if answer is None:
            answer = ok(self._default(procedure, name), name, procedure)
        answer.node = answer.node or name
        answer.call = procedure
        return answer

    @staticmethod
    def _default(procedure: str, name: str) -> Any:
        if procedure == "version":
            return constants.PROTOCOL_VERSION
        if procedure == "node_has_ip_address":
            return True
        if procedure == "node_crypto_tokens":
            return [[constants.CRYPTO_TYPE_SSL_DIGEST, "DIGEST-OF-" + name]]
        return None

    def __getattr__(self, attr: str) -> Any:
        if not attr.startswith("call_"):
            raise AttributeError(attr)
        procedure = attr[5:]

        def call(nodes: Any, *args: Any, read_timeout: Any = None) -> Any:
            if isinstance(nodes, str):
                return self._answer(procedure, nodes, args)
            return {n: self._answer(procedure, n, args) for n in nodes}

        return call

    def called(self, procedure: str) -> list[tuple]:
        return [c for c in self.calls if c[0] == procedure]


class FakeQueue:
    def __init__(self) -> None:
        self.replications = 0

    def replicate_all(self) -> None:
        self.replications += 1


class Callbacks:
    """The job callbacks the processor uses, recording feedback."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def feedback(self, *args: Any) -> None:
        self.messages.append(str(args[-1]))

    def notify_start(self) -> None:
        pass

    def check_canceled(self) -> None:
        pass

    def submit_many_jobs(self, jobs: list) -> list:
        return []


class Harness:
    """A master without daemons: config, locks, fake RPC, recorded hooks."""

    def __init__(self, root: str, extra_nodes: int = 2, instances: int = 0) -> None:
        pathutils.set_root(root)
        path = testutils_config.make_test_cluster(
            root, extra_nodes=extra_nodes, instances=instances
        )
        self.cfg = config.ConfigWriter(path, accept_foreign=True)
        self.glm = locking.GanetiLockManager(
            self.cfg.get_node_list(),
            self.cfg.get_node_group_list(),
            [i.name for i in self.cfg.get_all_instances_info().values()],
            self.cfg.get_network_list(),
        )
        self.rpc = FakeRpc(self.cfg)
        self.jq = FakeQueue()
        self.hooks: list[tuple] = []
        self.cbs = Callbacks()
        self._job = 0

    def hooks_execution_fn(self, nodes: list, hpath: str, phase: str, env: dict) -> dict:
        self.hooks.append((hpath, phase, sorted(nodes), dict(env)))
        return {}

    def run(self, op_name: str, **params: Any) -> Any:
        op = getattr(opcodes, op_name)(**params)
        op.validate(True)
        self._job += 1
        self.cbs = Callbacks()
        return mcpu.Processor(self, self._job).execute_op_code(op, self.cbs)

    def config_bytes(self) -> bytes:
        with open(pathutils.CLUSTER_CONF_FILE, "rb") as fh:
            return fh.read()

    def node(self, name: str) -> Any:
        return self.cfg.get_node_info_by_name(name)

    def write_file(self, path: str, data: str = "x") -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(data)
