"""What every daemon shares: options, logging, pid file, daemonizing.

Owns the process-level life of a daemon (``-f``/``-d`` options, the pid file
at Ganeti's path, the log file, detaching, signal wiring).  It must never
contain a daemon's own logic.
"""

import argparse
import logging
import logging.handlers
import os
import signal
import sys
from typing import Callable

from ganeti import pathutils
from ganeti import serializer
from ganeti.utils import io as uio

serializer.use_fast_backend()  # master/daemon-only module: orjson pays off here


def base_parser(daemon: str, description: str) -> argparse.ArgumentParser:
    """An option parser with the options every Ganeti daemon accepts."""
    parser = argparse.ArgumentParser(prog=daemon, description=description)
    parser.add_argument(
        "-f", "--foreground", action="store_true", help="Don't detach from the current terminal"
    )
    parser.add_argument("-d", "--debug", action="store_true", help="Enable debug messages")
    parser.add_argument(
        "--syslog", choices=["yes", "no", "only"], default="no", help="Send log messages to syslog"
    )
    return parser


def setup_logging(daemon: str, debug: bool, stderr: bool, syslog: str = "no") -> str:
    """Logs to the daemon's file under LOG_DIR (and stderr when asked)."""
    logfile = pathutils.daemon_log_file(daemon)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    fmt = logging.Formatter("%(asctime)s: " + daemon + " pid=%(process)d %(levelname)s %(message)s")
    if syslog != "only":
        os.makedirs(os.path.dirname(logfile), 0o750, exist_ok=True)
        handler = logging.handlers.WatchedFileHandler(logfile)
        handler.setFormatter(fmt)
        root.addHandler(handler)
    if stderr:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(fmt)
        root.addHandler(handler)
    if syslog in ("yes", "only") and os.path.exists("/dev/log"):
        handler = logging.handlers.SysLogHandler("/dev/log")
        handler.setFormatter(logging.Formatter(daemon + "[%(process)d]: %(levelname)s %(message)s"))
        root.addHandler(handler)
    return logfile


def daemonize(logfile: str) -> int:
    """Detaches from the terminal; returns a fd the child writes its
    start-up status to (the parent waits on it and exits with it)."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid > 0:
        os.close(wfd)
        status = os.read(rfd, 256)
        os._exit(0 if status == b"ok" else 1)
    os.close(rfd)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    out = os.open(logfile, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    os.dup2(out, 1)
    os.dup2(out, 2)
    return wfd


def report_started(fd: int | None, ok: bool = True, message: str = "") -> None:
    """Tells the waiting parent whether start-up worked."""
    if fd is None:
        return
    try:
        os.write(fd, b"ok" if ok else message.encode()[:200] or b"failed")
        os.close(fd)
    except OSError:
        pass


def write_pid_file(daemon: str) -> int:
    """Locks and writes the daemon's pid file; raises PidFileLockError."""
    path = pathutils.daemon_pid_file(daemon)
    os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
    return uio.write_pid_file(path)


def remove_pid_file(daemon: str) -> None:
    uio.remove_file(pathutils.daemon_pid_file(daemon))


def on_signals(
    handler: Callable[[int], None], signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)
) -> None:
    """Calls ``handler(signum)`` on each of ``signals``."""
    for signum in signals:
        signal.signal(signum, lambda s, _f: handler(s))
