"""Runs a real ganeti-rapi next to a real ganeti-masterd on a one-node test root.

Used by the RAPI integration tests, the fuzzing test and the benchmark.  The
root gets a config with ssconf files (the daemon's master check reads
them), a self-signed rapi.pem and a users file with a writer, a reader, an
{HA1} writer and a user without options.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time

import masterd_helper
import testutils_config

TOP = masterd_helper.TOP
RAPI = os.path.join(TOP, "daemons", "ganeti-rapi")

USERS = {
    "writer": ("wpass", "write"),
    "reader": ("rpass", "read"),
    "nobody": ("npass", ""),
}
HA1_USER = ("hauser", "hapass")


def users_file_text() -> str:
    from ganeti.rapi import auth

    lines = ["# test users"]
    lines.append("writer wpass write")
    lines.append("reader {cleartext}rpass read")
    lines.append("nobody npass")
    lines.append("%s {HA1}%s write" % (HA1_USER[0], auth.ha1_hash(*HA1_USER)))
    return "\n".join(lines) + "\n"


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class RapiSetup:
    """A test root with masterd and ganeti-rapi running."""

    def __init__(
        self,
        root: str | None = None,
        instances: int = 0,
        ssl: bool = True,
        extra_args: tuple = (),
        workers: int | None = None,
    ) -> None:
        self.root = root or tempfile.mkdtemp(prefix="rapi-test-")
        self.node_name = socket.getfqdn()
        testutils_config.make_test_cluster(
            self.root, node_name=self.node_name, instances=instances, write_ssconf=True
        )
        self.master = masterd_helper.Master(
            self.root, node_name=self.node_name, make_config=False, workers=workers
        )
        self.ssl = ssl
        self.extra_args = tuple(extra_args)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        data = os.path.join(self.root, "var", "lib", "ganeti")
        self.cert_file = os.path.join(data, "rapi.pem")
        self.users_file = os.path.join(data, "rapi", "users")
        self.log_file = os.path.join(self.root, "var", "log", "ganeti", "rapi-daemon.log")
        if ssl:
            sys.path.insert(0, os.path.join(TOP, "lib"))
            from ganeti.utils import x509

            x509.generate_cluster_cert_file(self.cert_file)
        os.makedirs(os.path.dirname(self.users_file), exist_ok=True)
        with open(self.users_file, "w") as fh:
            fh.write(users_file_text())

    @property
    def env(self) -> dict:
        return self.master.env

    @property
    def scheme(self) -> str:
        return "https" if self.ssl else "http"

    def start(self) -> None:
        self.master.start()  # its stderr goes to a file (masterd_helper)
        self.start_rapi()

    def start_rapi(self, timeout: float = 15.0) -> None:
        args = [sys.executable, RAPI, "-f", "-b", "127.0.0.1", "-p", str(self.port)]
        if not self.ssl:
            args.append("--no-ssl")
        args += list(self.extra_args)
        # -f also logs every request to stderr: a file, never an unread pipe
        stderr_path = os.path.join(self.root, "rapi-stderr.log")
        with open(stderr_path, "ab") as stderr:
            self.proc = subprocess.Popen(
                args, env=self.env, stdout=subprocess.DEVNULL, stderr=stderr
            )
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                with open(stderr_path) as fh:
                    raise RuntimeError("ganeti-rapi exited: %s" % fh.read()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("ganeti-rapi did not start")

    def stop_rapi(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.terminate()
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def stop(self) -> None:
        self.stop_rapi()
        self.master.stop()

    def client(self, user: str | None = None, password: str | None = None):
        from ganeti.rapi import client

        if user is not None and password is None:
            password = USERS[user][0]
        return client.GanetiRapiClient("127.0.0.1", self.port, user, password, scheme=self.scheme)

    def url(self, path: str) -> str:
        return "%s://127.0.0.1:%d%s" % (self.scheme, self.port, path)
