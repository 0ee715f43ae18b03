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
        use_rpc: bool = True,
    ) -> None:
        import ganeti.cmdlib  # noqa: F401  (load every LU now, not in the first job)

        self.cfg = cfg
        self.glm = locking.GanetiLockManager(
            cfg.get_node_list(),
            list(cfg.get_all_node_groups_info().keys()),
            [inst.name for inst in cfg.get_all_instances_info().values()],
            list(cfg.get_all_networks_info().keys()),
        )
        self.rpc = None
        self.hooks_execution_fn = hooksmaster.no_hooks_execution
        self.replicator = None
        if use_rpc:
            from ganeti.jqueue.replication import QueueReplicator
            from ganeti.rpc import master as rpc_master

            self.rpc = rpc_master.make_runner(cfg)
            self.hooks_execution_fn = rpc_master.make_hooks_execution_fn(self.rpc)
            cfg.set_save_hook(rpc_master.ConfigDistributor(cfg, self.rpc))
            self.replicator = QueueReplicator(self.rpc, lambda: rpc_master.master_candidates(cfg))
        self.jq = jqueue.JobQueue(self._execute, num_workers=num_workers, fsync=fsync, start=start)
        if self.replicator is not None:
            self.jq.set_replicator(self.replicator)

    # locks of objects added to or removed from the configuration
    def add_node_locks(self, node_uuid: str) -> None:
        self.glm.add(locking.LEVEL_NODE, [node_uuid])
        self.glm.add(locking.LEVEL_NODE_RES, [node_uuid])

    def remove_node_locks(self, node_uuid: str) -> None:
        for level in (locking.LEVEL_NODE, locking.LEVEL_NODE_RES):
            if node_uuid in self.glm.names(level):
                self.glm.remove(level, [node_uuid])

    def query_live(self, kind: str, items: Any) -> Any:
        """Live data for queries, fetched from the nodes in one parallel RPC."""
        if self.rpc is None:
            return None
        from ganeti.rpc import master as rpc_master

        if kind == constants.QR_NODE:
            return rpc_master.live_node_data(self.cfg, self.rpc, list(items))
        if kind == constants.QR_INSTANCE:
            from ganeti.cmdlib.instance_utils import live_instance_data

            return live_instance_data(self.cfg, self.rpc, list(items))
        return None

    def set_drain_flag(self, flag: bool) -> bool:
        """Sets the drain flag here and on every master candidate."""
        result = self.jq.set_drain_flag(flag)
        if self.rpc is not None:
            from ganeti.rpc import master as rpc_master

            candidates = rpc_master.master_candidates(self.cfg)
            if candidates:
                self.rpc.call_jobqueue_set_drain_flag(candidates, flag)
        return result

    def _execute(self, op: Any, cbs: Any) -> Any:
        return mcpu.Processor(self, cbs.job_id).execute_op_code(op, cbs)

    def shutdown(self) -> None:
        self.jq.shutdown()
        if self.replicator is not None:
            self.replicator.wait_idle(10)
            self.replicator.stop()


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


def check_master_votes(cfg: Any) -> None:
    """Asks the other nodes who the master is; exits unless most say us.

    Retries MASTER_VOTING_RETRIES times, MASTER_VOTING_INTERVAL apart, as
    nodes may still be booting.  With no other node answering, the master
    starts (a one-node cluster, or a cluster recovering from an outage).
    """
    import time

    from ganeti.rpc import master as rpc_master

    me = cfg.get_master_node_name()
    others = [n.name for n in cfg.get_all_nodes_info().values() if not n.offline and n.name != me]
    if not others:
        return
    runner = rpc_master.make_runner(cfg)
    try:
        for attempt in range(constants.MASTER_VOTING_RETRIES):
            votes = rpc_master.gather_master_votes(runner, others)
            answered = {name: count for name, count in votes.items() if name is not None}
            if not answered:
                logging.warning("No other node answered the master vote; starting anyway")
                return
            mine = answered.get(me, 0)
            if mine * 2 >= sum(answered.values()) and mine == max(answered.values()):
                return
            logging.warning("Master voting disagrees (votes %s), attempt %d", answered, attempt + 1)
            time.sleep(constants.MASTER_VOTING_INTERVAL)
    finally:
        runner.close()
    sys.stderr.write(
        "%s: the other nodes do not agree that %s is the master; use --no-voting --yes-do-it to force\n"
        % (constants.MASTERD, me)
    )
    sys.exit(constants.EXIT_FAILURE)


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
    if not opts.no_voting:
        check_master_votes(cfg)
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
