"""ganeti-rapi: the remote API daemon (HTTPS, port 5080, master node only).

Owns the daemon process (options, master check, TLS with rapi.pem, the
HTTP server, logging to rapi-daemon.log, clean stop on SIGTERM) and the
request pipeline: route (404), method (501/405), authentication (401/403),
body type and JSON (415/400), capability (501), handler, and the error body
``{"code", "message", "explain"}``.  Resources and their logic live in
``ganeti.rapi``; this module must never contain resource-specific code.
"""

import argparse
import logging
import os
import signal
import socket
import sys
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ganeti import constants, daemon, errors, http, pathutils, rapi, serializer
from ganeti.http import server as http_server
from ganeti.rapi import auth, baserlib, resources


def format_error(err: http.HttpException) -> tuple[str, bytes]:
    """Ganeti's error body: the short reason (or the error's own message)
    and the long explanation of the status code."""
    try:
        status = HTTPStatus(err.code)
        short, explain = status.phrase, status.description
    except ValueError:
        short = explain = "Unknown"
    body = {"code": err.code, "message": err.message or short, "explain": explain}
    return http.HTTP_APP_JSON, serializer.dump_bytes(body)


class RapiHandler:
    """Maps one HTTP request to its resource's handler (see module doc)."""

    def __init__(self, users: auth.UsersFile | None = None, require_auth: bool = False) -> None:
        self.users = users or auth.UsersFile()
        self.require_auth = require_auth

    def __call__(self, req: http_server.HttpRequest) -> http_server.HttpResponse:
        start = time.monotonic()
        code = 500
        try:
            response = self._handle(req)
            code = response.code
            return response
        except http.HttpException as err:
            code = err.code
            raise
        except Exception as err:  # pylint: disable=broad-except
            exc = baserlib.translate_error(err)
            code = exc.code
            if code >= 500:
                logging.exception("Error while handling %s %s", req.method, req.path)
            raise exc from None
        finally:
            logging.info(
                "%s %s %s -> %d (%.1f ms)",
                req.peer[0] if req.peer else "-",
                req.method,
                req.path,
                code,
                (time.monotonic() - start) * 1000,
            )

    def _handle(self, req: http_server.HttpRequest) -> http_server.HttpResponse:
        split = urlsplit(req.path)
        path = split.path or "/"
        found = resources.match(path)
        if found is None:
            raise http.HttpNotFound()
        res, params = found
        method_name = req.method.upper()
        method = res.methods.get(method_name)
        if method is None:
            if method_name in resources.RAPI_METHODS:
                raise http.HttpNotImplemented(
                    "Method %s is unsupported for path %s" % (method_name, path)
                )
            raise http.HttpMethodNotAllowed(
                "Method %s is not allowed for path %s" % (method_name, path),
                headers={http.HTTP_ALLOW: ", ".join(sorted(res.methods))},
            )
        user = auth.authorize(
            self.users, req.header(http.HTTP_AUTHORIZATION), method.access, self.require_auth
        )
        body = None
        has_body = bool(req.body.strip())
        if has_body:
            if req.content_type != http.HTTP_APP_JSON:
                raise http.HttpUnsupportedMediaType()
            try:
                body = serializer.loads(req.body)
            except ValueError:
                raise http.HttpBadRequest("Unable to parse JSON data") from None
        baserlib.require_lus(method.needed_opcodes())
        query = parse_qs(split.query, keep_blank_values=True) if split.query else {}
        ctx = baserlib.Context(
            method=method_name,
            path=path,
            params=params,
            query=query,
            body=body,
            has_body=has_body,
            user=user,
            resource_name=res.name,
        )
        result = method.handler(ctx)
        return http_server.HttpResponse(body=serializer.dump_bytes(result))


def make_server(
    handler: RapiHandler,
    address: str = constants.IP4_ADDRESS_ANY,
    port: int = constants.DEFAULT_RAPI_PORT,
    ssl_params: http_server.SslParams | None = None,
    max_clients: int = 20,
) -> http_server.HttpServer:
    """The HTTP(S) server of the daemon (not yet bound)."""
    return http_server.HttpServer(
        handler,
        address=address,
        port=port,
        ssl_params=ssl_params,
        max_clients=max_clients,
        max_body=rapi.MAX_BODY_BYTES,
        error_formatter=format_error,
        logger=logging.getLogger("ganeti.rapi.http"),
    )


def my_hostname() -> str:
    """This node's name as the cluster knows it."""
    return os.environ.get("GANETI_HOSTNAME") or socket.getfqdn()


def check_master() -> None:
    """Exits with EXIT_NOTMASTER unless ssconf names this node the master."""
    from ganeti import ssconf

    try:
        master = ssconf.SimpleStore().get_master_node()
    except (errors.ConfigurationError, OSError) as err:
        sys.stderr.write("%s: cluster configuration incomplete: %s\n" % (constants.RAPI, err))
        sys.exit(constants.EXIT_NOTCLUSTER)
    me = my_hostname()
    if master != me:
        sys.stderr.write(
            "%s: not master (master is %s, this node is %s)\n" % (constants.RAPI, master, me)
        )
        sys.exit(constants.EXIT_NOTMASTER)


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = daemon.base_parser(constants.RAPI, "Ganeti remote API daemon")
    parser.add_argument(
        "-p",
        "--port",
        type=int,
        default=constants.DEFAULT_RAPI_PORT,
        help="Network port (default: %(default)s)",
    )
    parser.add_argument(
        "-b",
        "--bind",
        dest="bind_address",
        default=constants.IP4_ADDRESS_ANY,
        help="Bind address (default: all IPv4 addresses)",
    )
    parser.add_argument("--no-ssl", dest="ssl", action="store_false", help="Do not secure HTTP")
    parser.add_argument("-K", "--ssl-key", dest="ssl_key", default=None, help="SSL key path")
    parser.add_argument("-C", "--ssl-cert", dest="ssl_cert", default=None, help="SSL certificate")
    parser.add_argument(
        "--require-authentication",
        action="store_true",
        help="Require authentication for every request, reads included",
    )
    parser.add_argument(
        "--max-clients",
        type=int,
        default=20,
        help="Connections served at once (default: %(default)s)",
    )
    parser.add_argument(
        "--no-master-check",
        action="store_true",
        help=argparse.SUPPRESS,  # tests run the daemon beside a test master
    )
    opts = parser.parse_args(argv)
    if not 0 < opts.port < 65536:
        parser.error("invalid port %d" % opts.port)
    if opts.max_clients < 1:
        parser.error("--max-clients must be at least 1")
    return opts


def _ssl_params(opts: argparse.Namespace) -> http_server.SslParams | None:
    if not opts.ssl:
        return None
    cert = opts.ssl_cert or pathutils.RAPI_CERT_FILE
    key = opts.ssl_key or cert
    for path in {cert, key}:
        if not os.path.isfile(path):
            sys.stderr.write("%s: SSL file %s is missing\n" % (constants.RAPI, path))
            sys.exit(constants.EXIT_FAILURE)
    return http_server.SslParams(cert_file=cert, key_file=key)


def main(argv: list[str] | None = None) -> None:
    opts = parse_options(argv)
    if not opts.no_master_check:
        check_master()
    ssl_params = _ssl_params(opts)
    logfile = daemon.setup_logging(constants.RAPI, opts.debug, opts.foreground, opts.syslog)
    users = auth.UsersFile()
    handler = RapiHandler(users, opts.require_authentication)
    server = make_server(handler, opts.bind_address, opts.port, ssl_params, opts.max_clients)
    try:
        server.bind()
    except (OSError, ValueError) as err:
        sys.stderr.write(
            "%s: cannot listen on %s port %d: %s\n"
            % (constants.RAPI, opts.bind_address, opts.port, err)
        )
        sys.exit(constants.EXIT_FAILURE)
    start_fd = None if opts.foreground else daemon.daemonize(logfile)
    try:
        pid_fd = daemon.write_pid_file(constants.RAPI)
    except errors.PidFileLockError as err:
        logging.error("%s", err)
        daemon.report_started(start_fd, False, str(err))
        sys.exit(constants.EXIT_FAILURE)
    try:
        run(server, opts, start_fd, users)
    finally:
        daemon.remove_pid_file(constants.RAPI)
        os.close(pid_fd)


def run(server: http_server.HttpServer, opts: Any, start_fd: int | None, users: Any) -> None:
    """Serves until SIGTERM/SIGINT."""
    daemon.on_signals(lambda _s: server.request_stop())
    signal.signal(
        signal.SIGHUP,
        lambda _s, _f: daemon.setup_logging(
            constants.RAPI, opts.debug, opts.foreground, opts.syslog
        ),
    )
    if not os.path.exists(pathutils.RAPI_USERS_FILE):
        logging.warning(
            "No RAPI users file (%s): only anonymous reads are possible", pathutils.RAPI_USERS_FILE
        )
    logging.info(
        "%s started on %s port %d (%s, %d user(s), authentication %s)",
        constants.RAPI,
        opts.bind_address,
        server.port,
        "HTTPS" if opts.ssl else "plain HTTP",
        users.count(),
        "required" if opts.require_authentication else "for writes",
    )
    daemon.report_started(start_fd)
    server.serve_forever()
    logging.info("Shutting down")
    server.stop(grace=5.0)
    logging.info("%s stopped", constants.RAPI)
