"""ganeti-masterd: the master daemon (luxi server, job queue, locks, config).

Owns the master's process: it loads the configuration, builds the lock
manager and the job queue, serves luxi on the master sockets, and shuts down
cleanly on SIGTERM (no new jobs, running jobs finish, queue made durable).
The luxi methods themselves live in ``server/luxi_ops.py``.
"""

import logging
import os
import signal
import socket
import sys
import threading
from typing import Any

from ganeti import constants
from ganeti import daemon
from ganeti import errors
from ganeti import hooksmaster
from ganeti import jqueue
from ganeti import locking
from ganeti import mcpu
from ganeti import pathutils


class GanetiContext:
    """What every job needs: configuration, locks, queue, RPC, hooks."""

    def __init__(
        self,
        cfg: Any,
        fsync: bool = True,
        num_workers: int = constants.JOBQUEUE_THREADS,
        start: bool = True,
    ) -> None:
        self.cfg = cfg
        self.glm = locking.GanetiLockManager(
            cfg.get_node_list(),
            list(cfg.get_all_node_groups_info().keys()),
            [inst.name for inst in cfg.get_all_instances_info().values()],
            list(cfg.get_all_networks_info().keys()),
        )
        self.rpc = None
        self.hooks_execution_fn = hooksmaster.no_hooks_execution
        self.jq = jqueue.JobQueue(self._execute, num_workers=num_workers, fsync=fsync, start=start)

    def _execute(self, op: Any, cbs: Any) -> Any:
        return mcpu.Processor(self, cbs.job_id).execute_op_code(op, cbs)

    def shutdown(self) -> None:
        self.jq.shutdown()


def my_hostname() -> str:
    """This node's name as the cluster knows it."""
    return os.environ.get("GANETI_HOSTNAME") or socket.getfqdn()


def check_master(cfg: Any) -> None:
    """Exits with EXIT_NOTMASTER unless this node is the configured master."""
    master = cfg.get_master_node_name()
    me = my_hostname()
    if master != me:
        sys.stderr.write(
            "%s: not master (master is %s, this node is %s)\n" % (constants.MASTERD, master, me)
        )
        sys.exit(constants.EXIT_NOTMASTER)


def main(argv: list[str] | None = None) -> None:
    parser = daemon.base_parser(constants.MASTERD, "Ganeti master daemon")
    parser.add_argument(
        "--no-voting",
        action="store_true",
        help="Do not check with the other nodes who the master is",
    )
    parser.add_argument(
        "--yes-do-it", action="store_true", help="Really skip the voting (with --no-voting)"
    )
    parser.add_argument(
        "--workers", type=int, default=constants.JOBQUEUE_THREADS, help="Job worker threads"
    )
    opts = parser.parse_args(argv)
    if opts.no_voting and not opts.yes_do_it:
        sys.stderr.write("The --no-voting option is dangerous: use it with --yes-do-it\n")
        sys.exit(constants.EXIT_FAILURE)
    logfile = daemon.setup_logging(constants.MASTERD, opts.debug, opts.foreground, opts.syslog)
    from ganeti import config

    try:
        cfg = config.ConfigWriter()
    except errors.ConfigurationError as err:
        sys.stderr.write("Cannot load the configuration: %s\n" % err)
        sys.exit(constants.EXIT_NOTCLUSTER)
    check_master(cfg)
    start_fd = None if opts.foreground else daemon.daemonize(logfile)
    try:
        pid_fd = daemon.write_pid_file(constants.MASTERD)
    except errors.PidFileLockError as err:
        logging.error("%s", err)
        daemon.report_started(start_fd, False, str(err))
        sys.exit(constants.EXIT_FAILURE)
    try:
        run(cfg, opts, start_fd)
    finally:
        daemon.remove_pid_file(constants.MASTERD)
        os.close(pid_fd)


def run(cfg: Any, opts: Any, start_fd: int | None) -> None:
    """Runs the master until SIGTERM/SIGINT."""
    from ganeti.server import luxi_ops
    from ganeti.server.luxi_server import LuxiServer

    stop = threading.Event()
    daemon.on_signals(lambda _s: stop.set())
    signal.signal(
        signal.SIGHUP,
        lambda _s, _f: daemon.setup_logging(
            constants.MASTERD, opts.debug, opts.foreground, opts.syslog
        ),
    )
    try:
        context = GanetiContext(cfg, num_workers=opts.workers)
    except errors.GenericError as err:
        logging.error("Cannot start the job queue: %s", err)
        daemon.report_started(start_fd, False, str(err))
        sys.exit(constants.EXIT_FAILURE)
    ops = luxi_ops.ClientOps(context)
    server = LuxiServer([pathutils.MASTER_SOCKET, pathutils.QUERY_SOCKET], ops.dispatch)
    server.start()
    logging.info("%s started, %d jobs in the queue", constants.MASTERD, context.jq.job_count())
    daemon.report_started(start_fd)
    while not stop.wait(1.0):
        pass
    logging.info("Shutting down: no new jobs, waiting for running ones")
    context.jq.stop_accepting()
    server.stop()
    context.shutdown()
    logging.info("%s stopped", constants.MASTERD)
