"""Drives tools/vcluster for tests and benchmarks: nodes, certificates, noded.

Owns bringing a virtual cluster up and down around a test, copying the
cluster certificate and a client certificate into every node, starting
ganeti-noded inside nodes, and running Python snippets inside a node (the
host has no route to the nodes).  It must never reach into a node's files
except through ``tools/vcluster exec``.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(CHECKOUT, "tools", "vcluster")
PYTHON = os.path.join(CHECKOUT, ".venv", "bin", "python")


def unavailable_reason() -> str | None:
    """Why a virtual cluster cannot run here, or None."""
    if os.geteuid() != 0:
        return "virtual cluster tests need root"
    for tool in ("ip", "nsenter", "unshare"):
        if not shutil.which(tool):
            return "virtual cluster tests need '%s'" % tool
    if subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
        return "'ip netns' is not available"
    return None


class VCluster:
    """A virtual cluster with its own namespace prefix.

    The default prefix is unique per process, so concurrent test runs on one
    machine never touch each other's nodes.
    """

    def __init__(self, nodes: int = 3, prefix: str | None = None, sshd: bool = False) -> None:
        if prefix is None:
            prefix = "t%d" % (os.getpid() % 100000)
        self.nodes = nodes
        self.prefix = prefix
        self.env = dict(os.environ, VC_PREFIX=prefix, VC_SSHD="1" if sshd else "0")
        self.domain = self.env.get("VC_DOMAIN", "example.com")
        self.names = ["node%d.%s" % (k, self.domain) for k in range(1, nodes + 1)]

    def _tool(self, *args: str, input_data: bytes | None = None, check: bool = True):
        res = subprocess.run(
            [TOOL, *args], env=self.env, input=input_data, capture_output=True, timeout=300
        )
        if check and res.returncode != 0:
            raise RuntimeError(
                "tools/vcluster %s failed (%d): %s"
                % (" ".join(args), res.returncode, res.stderr.decode())
            )
        return res

    def up(self) -> None:
        try:
            self._tool("up", str(self.nodes))
        except RuntimeError:
            self._tool("down", check=False)
            raise

    def down(self) -> None:
        self._tool("down")

    def exec(self, k: int, *cmd: str, input_data: bytes | None = None, check: bool = True):
        return self._tool("exec", str(k), *cmd, input_data=input_data, check=check)

    def write_file(self, k: int, path: str, data: bytes, mode: int = 0o440) -> None:
        self.exec(k, "sh", "-c", 'cat > "$0" && chmod %o "$0"' % mode, path, input_data=data)

    def install_certs(self) -> dict[str, bytes]:
        """One cluster certificate on every node; node 1 gets a client certificate."""
        sys.path.insert(0, os.path.join(CHECKOUT, "lib"))
        from ganeti.utils import x509  # pylint: disable=import-outside-toplevel

        tmp = tempfile.mkdtemp()
        try:
            server, client = os.path.join(tmp, "server.pem"), os.path.join(tmp, "client.pem")
            x509.generate_cluster_cert_file(server)
            x509.generate_client_cert_file(client, server, self.names[0])
            files = {"server": open(server, "rb").read(), "client": open(client, "rb").read()}
        finally:
            shutil.rmtree(tmp)
        for k in range(1, self.nodes + 1):
            self.write_file(k, "/var/lib/ganeti/server.pem", files["server"])
            self.write_file(k, "/var/lib/ganeti/client.pem", files["client"])
        return files

    def start_noded(self, k: int, *args: str) -> None:
        self.exec(k, "ganeti-noded", *args)

    def noded_pid(self, k: int) -> int:
        return int(self.exec(k, "cat", "/run/ganeti/ganeti-noded.pid").stdout)

    def noded_rss_kib(self, k: int) -> int:
        status = self.exec(k, "cat", "/proc/%d/status" % self.noded_pid(k)).stdout.decode()
        return int([ln for ln in status.splitlines() if ln.startswith("VmRSS:")][0].split()[1])

    def python(self, k: int, code: str, timeout_check: bool = True):
        """Runs ``code`` in node ``k`` (checkout lib on the path); returns its JSON output."""
        prelude = "import sys, json\nsys.path.insert(0, %r)\n" % os.path.join(CHECKOUT, "lib")
        res = self.exec(k, PYTHON, "-c", prelude + code, check=False)
        if res.returncode != 0:
            raise RuntimeError("python in node %d failed: %s" % (k, res.stderr.decode()))
        return json.loads(res.stdout.decode().strip().splitlines()[-1])


def main() -> None:  # pragma: no cover - manual use
    print(unavailable_reason() or "ok")


if __name__ == "__main__":
    sys.exit(main())
