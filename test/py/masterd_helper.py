"""Runs a real ganeti-masterd on a one-node test root (tests and benchmarks)."""

import os
import signal
import socket
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MASTERD = os.path.join(TOP, "daemons", "ganeti-masterd")


class Master:
    """A master daemon in its own root directory."""

    def __init__(
        self,
        root: str,
        node_name: str | None = None,
        make_config: bool = True,
        workers: int | None = None,
    ) -> None:
        self.root = root
        self.node_name = node_name or socket.getfqdn()
        self.workers = workers
        self.proc: subprocess.Popen | None = None
        if make_config:
            import testutils_config

            testutils_config.make_test_cluster(root, node_name=self.node_name)

    @property
    def env(self) -> dict:
        env = dict(os.environ)
        env["GANETI_ROOT"] = self.root
        env["GANETI_HOSTNAME"] = self.node_name
        env["PYTHONPATH"] = os.path.join(TOP, "lib")
        return env

    @property
    def socket_path(self) -> str:
        return os.path.join(self.root, "var/run/ganeti/socket/ganeti-master")

    def start(self, timeout: float = 20.0) -> None:
        args = [sys.executable, MASTERD, "-f"]
        if self.workers:
            args += ["--workers", str(self.workers)]
        # stderr goes to a file: a pipe nobody reads blocks the daemon once full
        self.stderr_path = os.path.join(self.root, "masterd.stderr")
        with open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(args, env=self.env, stdout=subprocess.DEVNULL, stderr=err)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                with open(self.stderr_path, "rb") as err:
                    raise RuntimeError(
                        "masterd exited: %s" % err.read().decode(errors="replace")[-4000:]
                    )
            if os.path.exists(self.socket_path):
                try:
                    sock = socket.socket(socket.AF_UNIX)
                    sock.connect(self.socket_path)
                    sock.close()
                    return
                except OSError:
                    pass
            time.sleep(0.02)
        raise RuntimeError("masterd did not start")

    def client(self):
        from ganeti import luxi

        return luxi.Client(self.socket_path)

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def rss_kb(self) -> int:
        assert self.proc is not None
        with open("/proc/%d/status" % self.proc.pid) as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def wait_job(cl, job_id: int, timeout: float = 60.0) -> tuple[str, list]:
    """Waits for a job to finish; returns (status, log entries seen)."""
    end = time.monotonic() + timeout
    prev = None
    serial = -1
    logs = []
    while time.monotonic() < end:
        res = cl.WaitForJobChangeOnce(job_id, ["status"], prev, serial, 10)
        if res == "nochange":
            continue
        if res is None:
            raise KeyError(job_id)
        info, entries = res
        prev = info
        if entries:
            serial = entries[-1][0]
            logs.extend(entries)
        if info[0] in ("success", "error", "canceled"):
            return info[0], logs
    raise TimeoutError("job %s did not finish" % job_id)
