"""ganeti-noded: the node daemon answering the master's RPC calls.

Owns the daemon's process (options, TLS setup from the cluster
certificate, pid and log files, memory locking, signals) and the dispatch
of ``POST /<procedure>`` to ``backend``: the JSON body is the positional
argument list, the answer ``[true, payload]`` or ``[false, message]``.
Non-POST requests get 400, unknown procedures 404.  It must never do a
procedure's work itself (backend does) nor read config.data.

Clients must present a certificate signed by the cluster certificate
(TLS 1.2+); when this node's ssconf lists ``master_candidates_certs``, the
certificate's digest must also be one of them (or the cluster's own).
"""

import hashlib
import logging
import os
import signal
import socket
import ssl
import sys
import threading
from typing import Any, Callable

from ganeti import backend, constants, daemon, errors, http, pathutils, serializer
from ganeti.http import server as http_server
from ganeti.rpc import defs

DEFAULT_MAX_BODY = 256 * 1024 * 1024


def _verify_node(what, cluster_name, all_hvparams):
    return backend.verify_node(what, cluster_name, all_hvparams)


#: procedure name -> backend function taking the decoded positional arguments
PROCEDURES: dict[str, Callable[..., Any]] = {
    "version": backend.get_version,
    "node_info": backend.get_node_info,
    "node_verify": _verify_node,
    "node_verify_light": _verify_node,
    "upload_file": lambda details: backend.upload_file(*details),
    "upload_file_single": backend.upload_file,
    "write_ssconf_files": backend.write_ssconf_files,
    "jobqueue_update": backend.jobqueue_update,
    "jobqueue_rename": backend.jobqueue_rename,
    "jobqueue_purge": backend.jobqueue_purge,
    "jobqueue_set_drain_flag": backend.jobqueue_set_drain_flag,
    "hooks_runner": backend.run_hooks,
    "master_node_name": backend.get_master_node_name,
    "node_leave_cluster": backend.leave_cluster,
    "node_start_master_daemons": backend.start_master_daemons,
    "node_stop_master": backend.stop_master_daemons,
    "node_activate_master_ip": backend.activate_master_ip,
    "node_deactivate_master_ip": backend.deactivate_master_ip,
    "node_change_master_netmask": backend.change_master_netmask,
    "test_delay": backend.test_delay,
    "node_has_ip_address": backend.node_has_ip_address,
    "bridges_exist": backend.bridges_exist,
    "get_watcher_pause": backend.get_watcher_pause,
    "set_watcher_pause": backend.set_watcher_pause,
    "vg_list": backend.list_volume_groups,
}


def _quit_soon() -> None:
    # SIGTERM makes the main loop stop the server; the answer being sent
    # now is part of a busy connection and is let finish
    os.kill(os.getpid(), signal.SIGTERM)


class NodeRequestHandler:
    """Maps one HTTP request to one backend call."""

    def __init__(self, quit_fn: Callable[[], None] = _quit_soon) -> None:
        self.quit_fn = quit_fn

    def __call__(self, req: http_server.HttpRequest) -> http_server.HttpResponse:
        if req.method != http.HTTP_POST:
            raise http.HttpBadRequest("Only the POST method is supported")
        name = req.path.split("?", 1)[0].lstrip("/")
        fn = PROCEDURES.get(name)
        if fn is None or name not in defs.CALLS:
            raise http.HttpNotFound("Unknown procedure '%s'" % name)
        result = self._execute(name, fn, req.body)
        try:
            body = serializer.dump_bytes(result)
        except TypeError as err:
            logging.error("Can't encode the result of %s: %s", name, err)
            body = serializer.dump_bytes([False, "Error while encoding the result: %s" % err])
        return http_server.HttpResponse(body=body)

    def _execute(self, name: str, fn: Callable[..., Any], body: bytes) -> Any:
        logging.debug("RPC %s", name)
        try:
            params = serializer.loads(body) if body else []
            if not isinstance(params, list):
                raise ValueError("the request body must be a JSON list of arguments")
            wanted = len(defs.CALLS[name].args)
            if len(params) != wanted:
                raise ValueError(
                    "procedure %s takes %d arguments, got %d" % (name, wanted, len(params))
                )
            return [True, fn(*params)]
        except backend.RPCFail as err:
            return [False, str(err)]
        except errors.QuitGanetiException as err:
            logging.info("Shutting down the node daemon, arguments: %s", err.args)
            self.quit_fn()
            return list(err.args)
        except Exception as err:  # pylint: disable=broad-except
            logging.exception("Error in RPC call %s", name)
            return [False, "Error while executing backend function: %s" % err]


def _pem_digest(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as fh:
            text = fh.read()
        start = text.index("-----BEGIN CERTIFICATE-----")
        end = text.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")
        der = ssl.PEM_cert_to_DER_cert(text[start:end])
    except (OSError, ValueError):
        return None
    return ":".join("%02X" % b for b in hashlib.sha1(der).digest())


def make_peer_verifier(server_cert: str) -> Callable[[bytes], bool]:
    """Accepts a (chain-verified) client certificate by its digest.

    Without ssconf ``master_candidates_certs`` (a node not yet in a
    cluster, or bootstrap) the chain check is all; with it, the digest must
    be listed or be the cluster certificate's own.
    """
    own = _pem_digest(server_cert)

    def verify(der: bytes) -> bool:
        text = backend._read_ssconf(constants.SS_MASTER_CANDIDATES_CERTS)  # noqa: SLF001
        allowed = {ln.partition("=")[2].strip() for ln in (text or "").splitlines() if "=" in ln}
        if not allowed:
            return True
        digest = ":".join("%02X" % b for b in hashlib.sha1(der).digest())
        return digest in allowed or digest == own

    return verify


def make_server(
    address: str,
    port: int,
    cert_file: str | None = None,
    key_file: str | None = None,
    max_clients: int = 20,
    handler: NodeRequestHandler | None = None,
) -> http_server.HttpServer:
    """The HTTPS server of the node daemon (not yet bound)."""
    cert_file = cert_file or pathutils.NODED_CERT_FILE
    params = http_server.SslParams(
        cert_file=cert_file,
        key_file=key_file or cert_file,
        ca_file=pathutils.NODED_CERT_FILE,
        verify_peer_fn=make_peer_verifier(pathutils.NODED_CERT_FILE),
    )
    return http_server.HttpServer(
        handler or NodeRequestHandler(),
        address,
        port,
        ssl_params=params,
        max_clients=max_clients,
        max_body=DEFAULT_MAX_BODY,
        read_timeout=constants.RPC_TMO_URGENT,
        idle_timeout=120.0,
        write_timeout=constants.RPC_TMO_URGENT,
        logger=logging.getLogger("ganeti.noded.http"),
    )


def mlock_all() -> str | None:
    """Locks the daemon's memory (pages as they are used); None or why not."""
    import ctypes  # pylint: disable=import-outside-toplevel

    mcl_current, mcl_future, mcl_onfault = 1, 2, 4
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as err:
        return "libc not loadable: %s" % err
    if libc.mlockall(mcl_current | mcl_future | mcl_onfault) != 0:
        return os.strerror(ctypes.get_errno())
    return None


def _default_bind_address() -> str:
    text = backend._read_ssconf(constants.SS_PRIMARY_IP_FAMILY)  # noqa: SLF001
    if text and text.strip() == str(int(socket.AF_INET6)):
        return "::"
    return constants.IP4_ADDRESS_ANY


def _interface_address(interface: str) -> str:
    from ganeti.utils import process  # pylint: disable=import-outside-toplevel

    result = process.run_cmd(["ip", "-o", "addr", "show", "dev", interface])
    for line in result.stdout.splitlines():
        fields = line.split()
        for kind in ("inet", "inet6"):
            if kind in fields:
                return fields[fields.index(kind) + 1].split("/")[0]
    raise errors.GenericError("Interface %s has no address" % interface)


def parse_options(argv: list[str] | None = None):
    """The command line of ganeti-noded."""
    parser = daemon.base_parser(
        constants.NODED, "Ganeti node daemon: answers the master's RPC calls"
    )
    parser.add_argument(
        "-p", "--port", type=int, default=constants.DEFAULT_NODED_PORT, help="Port to listen on"
    )
    parser.add_argument(
        "-b", "--bind", dest="bind_address", default=None, help="Address to bind to"
    )
    parser.add_argument(
        "-i", "--interface", default=None, help="Bind to the address of this interface"
    )
    parser.add_argument(
        "--max-clients", type=int, default=20, help="Connections served at once (default 20)"
    )
    parser.add_argument("--no-mlock", action="store_true", help="Do not lock the daemon's memory")
    parser.add_argument(
        "-K", "--ssl-key", default=None, help="TLS key file (default: the cluster certificate)"
    )
    parser.add_argument("-C", "--ssl-cert", default=None, help="TLS certificate file")
    opts = parser.parse_args(argv)
    if opts.bind_address and opts.interface:
        parser.error("Can't use -b and -i together")
    if opts.max_clients < 1:
        parser.error("--max-clients must be at least 1")
    return opts


def main(argv: list[str] | None = None) -> None:
    """Runs ganeti-noded until SIGTERM."""
    opts = parse_options(argv)
    cert = opts.ssl_cert or pathutils.NODED_CERT_FILE
    key = opts.ssl_key or cert
    for path in {cert, key, pathutils.NODED_CERT_FILE}:
        if not os.access(path, os.R_OK):
            sys.stderr.write(
                "%s: can't read TLS file %s; is this node part of a cluster?\n"
                % (constants.NODED, path)
            )
            sys.exit(constants.EXIT_FAILURE)
    logfile = daemon.setup_logging(
        constants.NODED, opts.debug, stderr=opts.foreground, syslog=opts.syslog
    )
    status_fd = None if opts.foreground else daemon.daemonize(logfile)
    try:
        address = opts.bind_address
        if opts.interface:
            address = _interface_address(opts.interface)
        srv = make_server(
            address or _default_bind_address(), opts.port, cert, key, opts.max_clients
        )
        daemon.write_pid_file(constants.NODED)
        srv.bind()
    except Exception as err:  # pylint: disable=broad-except
        logging.error("ganeti-noded failed to start: %s", err)
        daemon.report_started(status_fd, False, str(err))
        if opts.foreground:
            sys.stderr.write("%s: %s\n" % (constants.NODED, err))
        sys.exit(constants.EXIT_FAILURE)
    if not opts.no_mlock:
        problem = mlock_all()
        if problem:
            logging.warning("Can't lock the daemon's memory: %s", problem)
    stop = threading.Event()

    def on_stop(signum: int) -> None:
        logging.info("Received signal %d, shutting down", signum)
        stop.set()
        srv.request_stop()

    daemon.on_signals(on_stop)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # logs are watched files, nothing to reopen
    logging.info(
        "ganeti-noded %s listening on %s:%d", constants.RELEASE_VERSION, srv.address, srv.port
    )
    daemon.report_started(status_fd, True)
    try:
        srv.serve_forever()
    finally:
        srv.stop(grace=10)
        daemon.remove_pid_file(constants.NODED)
        logging.info("ganeti-noded stopped")
from ganeti import backend_instance  # noqa: E402

PROCEDURES.update(backend_instance.PROCEDURES)
from ganeti import backend_crypto  # noqa: E402

PROCEDURES.update(backend_crypto.PROCEDURES)


def _iallocator_runner(name: str, idata: str, params: Any = None) -> str:
    """iallocator_runner: runs allocator ``name`` here (on the master); its stdout."""
    from ganeti import iallocator

    try:
        return iallocator.run_script(name, idata, params or {})
    except errors.GenericError as err:
        raise backend.RPCFail(str(err.args[0]) if err.args else str(err)) from None


PROCEDURES["iallocator_runner"] = _iallocator_runner
from ganeti import backend_node  # noqa: E402

PROCEDURES.update(backend_node.PROCEDURES)
