"""The node RPC client: calls ganeti-noded on many nodes at once.

Owns turning a procedure row of ``rpc.defs`` plus arguments into HTTPS
``POST /<procedure>`` requests (one per node, all in parallel through
pycurl, over kept-alive connections), and their answers into ``RpcResult``
objects.  It must never touch nodes any other way, nor read the cluster
configuration: node names become addresses through the resolver it is
given, config objects become dicts through the encoders it is given.

Use::

    runner = RpcRunner(resolver)                 # cluster certs from pathutils
    results = runner.call_version(["node1", "node2"])   # {name: RpcResult}
    results["node1"].raise_error("Can't get version")   # OpExecError if failed
    res = runner.call_node_leave_cluster("node3", False) # single: one RpcResult
"""

import logging
import os
import socket
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ganeti import constants, errors, pathutils, serializer
from ganeti.http import client as http_client
from ganeti.rpc import defs, encoding

#: resolver(ids) -> [(name, ip or None, port or None, offline), ...], one entry per
#: id, same order; ids are whatever the caller passes (names, or UUIDs when the
#: master's config-based resolver is used); results are keyed by those ids and
#: ``RpcResult.node`` is the resolved name
Resolver = Callable[[list[str]], list[tuple[str, str | None, int | None, bool]]]

OFFLINE_MSG = "Node is marked offline"


class RpcResult:
    """What one node answered to one call.

    ``data`` is the decoded body (``[success, payload]``) or None;
    ``payload`` the answer when the call succeeded; ``fail_msg`` None on
    success, else why it failed (the node's error, a transport error, or
    "Node is marked offline"); ``offline`` True when the node was skipped.
    """

    __slots__ = ("data", "payload", "fail_msg", "offline", "node", "call")

    def __init__(
        self,
        data: Any = None,
        failed: bool = False,
        offline: bool = False,
        call: str | None = None,
        node: str | None = None,
    ) -> None:
        self.offline = offline
        self.call = call
        self.node = node
        self.data = None
        self.payload = None
        if offline:
            self.fail_msg = OFFLINE_MSG
        elif failed:
            self.fail_msg = _ensure_err(data)
        elif not isinstance(data, (list, tuple)):
            self.fail_msg = "RPC layer error: invalid result type (%s)" % type(data).__name__
        elif len(data) != 2:
            self.fail_msg = "RPC layer error: invalid result length (%d), expected 2" % len(data)
        else:
            self.data = data
            if not data[0]:
                self.fail_msg = _ensure_err(data[1])
            else:
                self.fail_msg = None
                self.payload = data[1]

    def raise_error(
        self, msg: str | None = None, prereq: bool = False, ecode: str | None = None
    ) -> None:
        """Raises OpExecError (or OpPrereqError) if the call failed."""
        if not self.fail_msg:
            return
        if not msg:
            text = "Call '%s' to node '%s' has failed: %s" % (self.call, self.node, self.fail_msg)
        else:
            text = "%s: %s" % (msg, self.fail_msg)
        cls = errors.OpPrereqError if prereq else errors.OpExecError
        args = (text, ecode) if ecode is not None else (text,)
        raise cls(*args)

    def warn(self, msg: str, feedback_fn: Callable[[str], Any]) -> bool:
        """Reports a failure through ``feedback_fn``; returns True if it failed."""
        if not self.fail_msg:
            return False
        feedback_fn("%s: %s" % (msg, self.fail_msg))
        return True

    def __repr__(self) -> str:
        state = "ok" if self.fail_msg is None else "failed: %s" % self.fail_msg
        return "<RpcResult %s@%s %s>" % (self.call, self.node, state)


def _ensure_err(value: Any) -> str:
    if value:
        return value if isinstance(value, str) else str(value)
    return "No error information"


@dataclass
class PerNode:
    """An encoded argument whose value differs per node ({node: value})."""

    values: dict[str, Any]


# --- resolvers ---------------------------------------------------------------


class StaticResolver:
    """Resolves from a fixed map ``{name: ip | (ip, port)}``; ``offline`` names."""

    def __init__(self, mapping: dict[str, Any], offline: Iterable[str] = ()) -> None:
        self.mapping = dict(mapping)
        self.offline = set(offline)

    def __call__(self, names: list[str]) -> list[tuple[str, str | None, int | None, bool]]:
        out = []
        for name in names:
            value = self.mapping.get(name)
            ip, port = (
                (value if isinstance(value, tuple) else (value, None)) if value else (None, None)
            )
            out.append((name, ip, port, name in self.offline))
        return out


def dns_resolver(names: list[str]) -> list[tuple[str, str | None, int | None, bool]]:
    """Resolves names through the system resolver (nodes not yet in a cluster)."""
    out = []
    for name in names:
        try:
            ip = socket.getaddrinfo(name, None, socket.AF_UNSPEC, socket.SOCK_STREAM)[0][4][0]
        except (socket.gaierror, UnicodeError):
            ip = None
        out.append((name, ip, None, False))
    return out


def _read_ssconf(key: str) -> list[str]:
    try:
        with open(pathutils.ssconf_file(key), encoding="utf-8") as fh:
            return [line.strip() for line in fh if line.strip()]
    except OSError:
        return []


def ssconf_resolver(names: list[str]) -> list[tuple[str, str | None, int | None, bool]]:
    """Resolves through ssconf (node_primary_ips, offline_nodes), else DNS.

    For code that runs before or outside the master's configuration
    (bootstrap, master voting, the watcher).
    """
    ips = {}
    for line in _read_ssconf(constants.SS_NODE_PRIMARY_IPS):
        parts = line.split()
        if len(parts) == 2:
            ips[parts[0]] = parts[1]
    offline = set(_read_ssconf(constants.SS_OFFLINE_NODES))
    unknown = [n for n in names if n not in ips]
    dns = {n: ip for n, ip, _, _ in dns_resolver(unknown)} if unknown else {}
    return [(n, ips.get(n) or dns.get(n), None, n in offline) for n in names]


# --- the runner ---------------------------------------------------------------


class RpcRunner:
    """Calls node daemons; one runner is safe to share between threads.

    ``resolver`` maps node names to addresses (see ``Resolver``).  TLS files
    default, at call time, to the cluster's: client certificate
    ``pathutils.NODED_CLIENT_CERT_FILE`` (falling back to the cluster
    certificate ``NODED_CERT_FILE`` while no client certificate exists, as
    during cluster init), key in the same file, and ``NODED_CERT_FILE`` as
    the CA the nodes' server certificate must chain to.  ``port`` is used
    when the resolver gives none (default 1811).  ``encoders`` adds or
    overrides argument encoders (``rpc.defs.ED_*`` -> function).
    """

    def __init__(
        self,
        resolver: Resolver,
        cert_file: str | None = None,
        key_file: str | None = None,
        ca_file: str | None = None,
        port: int | None = None,
        encoders: dict[str, Callable[[Any], Any]] | None = None,
        pool: http_client.CurlPool | None = None,
        connect_timeout: float = constants.RPC_CONNECT_TIMEOUT,
    ) -> None:
        self.resolver = resolver
        self._cert_file = cert_file
        self._key_file = key_file
        self._ca_file = ca_file
        self.port = port or constants.DEFAULT_NODED_PORT
        self.encoders = dict(encoding.GENERIC_ENCODERS)
        if encoders:
            self.encoders.update(encoders)
        self.pool = pool or http_client.CurlPool()
        self.connect_timeout = connect_timeout
        self._ssl_configs: dict[tuple, Callable] = {}

    def _tls_files(self) -> tuple[str, str, str]:
        cert = self._cert_file
        if cert is None:
            cert = pathutils.NODED_CLIENT_CERT_FILE
            if not os.path.exists(cert):
                cert = pathutils.NODED_CERT_FILE
        return cert, self._key_file or cert, self._ca_file or pathutils.NODED_CERT_FILE

    def _ssl_config(self) -> tuple[tuple, Callable]:
        files = self._tls_files()
        fn = self._ssl_configs.get(files)
        if fn is None:
            fn = http_client.make_ssl_config(files[0], files[1], files[2])
            self._ssl_configs[files] = fn
        return files, fn

    def _encode(self, cdef: defs.RpcCall, args: tuple) -> list:
        if len(args) != len(cdef.args):
            raise errors.ProgrammerError(
                "RPC %s takes %d arguments (%s), got %d"
                % (cdef.name, len(cdef.args), ", ".join(a.name for a in cdef.args), len(args))
            )
        out = []
        for arg, value in zip(cdef.args, args):
            if arg.encoder is None:
                out.append(value)
                continue
            fn = self.encoders.get(arg.encoder)
            if fn is None:
                raise errors.ProgrammerError(
                    "RPC %s: no encoder %s for argument %s (pass it to RpcRunner(encoders=...))"
                    % (cdef.name, arg.encoder, arg.name)
                )
            out.append(fn(value))
        return out

    def call(
        self,
        procedure: str,
        node_list: str | list[str],
        args: tuple | list = (),
        read_timeout: float | None = None,
    ) -> dict[str, RpcResult] | RpcResult:
        """Calls ``procedure`` with ``args`` on the node(s).

        A multi procedure takes a list of names and returns {name:
        RpcResult}; a single one takes one name and returns its RpcResult.
        """
        try:
            cdef = defs.CALLS[procedure]
        except KeyError:
            raise errors.ProgrammerError("Unknown RPC procedure %s" % procedure) from None
        if cdef.kind == defs.SINGLE:
            if not isinstance(node_list, str):
                raise errors.ProgrammerError("RPC %s takes a single node name" % procedure)
            nodes = [node_list]
        else:
            if isinstance(node_list, str):
                raise errors.ProgrammerError("RPC %s takes a list of node names" % procedure)
            nodes = list(node_list)
        args = tuple(args)
        timeout = read_timeout if read_timeout is not None else cdef.read_timeout(args)
        encoded = self._encode(cdef, args)
        results = self._run(cdef, nodes, encoded, timeout)
        if cdef.kind == defs.SINGLE:
            return results[nodes[0]]
        return results

    def _run(
        self, cdef: defs.RpcCall, nodes: list[str], encoded: list, timeout: float
    ) -> dict[str, RpcResult]:
        results: dict[str, RpcResult] = {}
        if not nodes:
            return results
        per_node = cdef.prep is not None or any(isinstance(a, PerNode) for a in encoded)
        shared_body = None if per_node else serializer.dump_bytes(encoded)
        files, ssl_fn = self._ssl_config()
        requests = []
        resolved = self.resolver(nodes)
        if len(resolved) != len(nodes):
            raise errors.ProgrammerError(
                "Resolver returned %d entries for %d nodes" % (len(resolved), len(nodes))
            )
        for key, (name, ip, port, offline) in zip(nodes, resolved):
            if offline and not cdef.accept_offline:
                results[key] = RpcResult(offline=True, node=name, call=cdef.name)
                continue
            if not ip:
                results[key] = RpcResult(
                    data="Can't resolve the address of node %s" % name,
                    failed=True,
                    node=name,
                    call=cdef.name,
                )
                continue
            body = shared_body
            if body is None:
                node_args = [a.values.get(key) if isinstance(a, PerNode) else a for a in encoded]
                if cdef.prep is not None:
                    node_args = cdef.prep(key, node_args)
                body = serializer.dump_bytes(node_args)
            req = http_client.HttpClientRequest(
                ip,
                port or self.port,
                "POST",
                "/" + cdef.name,
                headers=["Content-Type: application/json"],
                post_data=body,
                read_timeout=timeout,
                connect_timeout=self.connect_timeout,
                curl_config_fn=ssl_fn,
                config_key=files,
                nicename=name,
            )
            requests.append((key, req))
        http_client.process_requests([req for _, req in requests], self.pool)
        for key, req in requests:
            results[key] = self._result(cdef, req)
        return {key: results[key] for key in nodes}

    @staticmethod
    def _result(cdef: defs.RpcCall, req: http_client.HttpClientRequest) -> RpcResult:
        name = req.nicename
        if not req.success:
            msg = "Error while contacting node %s (%s:%d): %s" % (
                name,
                req.host,
                req.port,
                req.error,
            )
            logging.error("RPC %s to %s failed: %s", cdef.name, name, msg)
            return RpcResult(data=msg, failed=True, node=name, call=cdef.name)
        if req.resp_status_code != 200:
            text = (req.resp_body or b"").decode("utf-8", "replace").strip()
            msg = "Node %s answered HTTP %d: %s" % (name, req.resp_status_code, text[:1000])
            logging.error("RPC %s to %s failed: %s", cdef.name, name, msg)
            return RpcResult(data=msg, failed=True, node=name, call=cdef.name)
        try:
            data = serializer.loads(req.resp_body)
        except ValueError as err:
            return RpcResult(
                data="RPC layer error: invalid answer: %s" % err,
                failed=True,
                node=name,
                call=cdef.name,
            )
        result = RpcResult(data=data, node=name, call=cdef.name)
        if result.fail_msg is None and cdef.postproc is not None:
            result.payload = cdef.postproc(result.payload)
        return result

    def close(self) -> None:
        """Closes the calling thread's connections."""
        self.pool.close()


def _make_method(cdef: defs.RpcCall) -> Callable:
    arg_names = ", ".join(a.name for a in cdef.args) or "no arguments"
    target = "node" if cdef.kind == defs.SINGLE else "node_list"

    def method(self, node_list, *args, read_timeout=None):
        return self.call(cdef.name, node_list, args, read_timeout=read_timeout)

    method.__name__ = "call_" + cdef.name
    method.__qualname__ = "RpcRunner.call_" + cdef.name
    method.__doc__ = "RPC %s (%s): call_%s(%s, %s) -> %s" % (
        cdef.name,
        cdef.kind,
        cdef.name,
        target,
        arg_names,
        "RpcResult" if cdef.kind == defs.SINGLE else "{node: RpcResult}",
    )
    return method


for _cdef in defs.CALLS.values():
    setattr(RpcRunner, "call_" + _cdef.name, _make_method(_cdef))
del _cdef
