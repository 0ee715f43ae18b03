"""The life of a cluster on a 3-node virtual cluster, through gnt-cluster.

init on node 1, nodes 2 and 3 join (gnt-node add), verify is clean, info
and modify, bad input is refused without changing config.data, master
failover to node 2 and back keeps jobs and settings, a node daemon killed
with SIGKILL is reported by verify and restarting it heals the cluster,
queue and watcher flags, and destroy.  The tests run in file order on one
module-wide cluster; each step relies on the previous ones.
"""

import os
import re
import subprocess
import time

import pytest

from vcluster_fixture import VCluster, unavailable_reason

pytestmark = pytest.mark.cluster

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HAVE_GNT_NODE = os.path.exists(os.path.join(CHECKOUT, "lib", "ganeti", "client", "gnt_node.py"))
NO_GNT_NODE = "gnt-node (the node developer's part) is not written yet: nodes 2 and 3 cannot join"

INIT = [
    "gnt-cluster",
    "init",
    "--no-ssh-init",
    "--no-etc-hosts",
    "--enabled-hypervisors=fake",
    "--enabled-disk-templates=file,diskless",
    "--master-netdev=eth0",
]
MASTER_IP = "198.51.100.100"

_SKIP = unavailable_reason()


class Cluster(VCluster):
    """The virtual cluster plus gnt-* helpers."""

    joined = False

    def run(self, k: int, *cmd: str) -> tuple[int, str, str]:
        res = self.exec(k, *cmd, check=False)
        return res.returncode, res.stdout.decode(), res.stderr.decode()

    def ok(self, k: int, *cmd: str) -> str:
        rc, out, err = self.run(k, *cmd)
        assert rc == 0, "%s on node %d failed (%d):\n%s\n%s" % (" ".join(cmd), k, rc, out, err)
        return out

    def config_sum(self, k: int) -> str:
        return self.ok(k, "md5sum", "/var/lib/ganeti/config.data").split()[0]

    def has_master_ip(self, k: int) -> bool:
        out = self.ok(k, "ip", "-4", "-o", "addr", "show", "dev", "eth0")
        return (" %s/" % MASTER_IP) in out

    def verify(self, k: int, *extra: str) -> tuple[int, list[str]]:
        rc, out, err = self.run(k, "gnt-cluster", "verify", *extra)
        problems = [ln for ln in (out + err).splitlines() if re.search(r"(ERROR|WARNING)", ln)]
        return rc, problems


@pytest.fixture(scope="module")
def vc():
    if _SKIP:
        pytest.skip(_SKIP)
    cluster = Cluster(nodes=3, sshd=True)
    cluster.up()
    try:
        for k in (1, 2, 3):
            # what an administrator prepares on every node: the allowed file
            # storage directory and the bridge of the default NIC link
            cluster.ok(
                k,
                "sh",
                "-c",
                "echo /srv/ganeti/file-storage > /etc/ganeti/file-storage-paths &&"
                " ip link add xen-br0 type bridge && ip link set xen-br0 up",
            )
        yield cluster
    finally:
        cluster.down()
        leftovers = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert not [ln for ln in leftovers.splitlines() if ln.startswith(cluster.prefix + "-")]


def _need_nodes(vc: Cluster) -> None:
    if not vc.joined:
        pytest.skip(NO_GNT_NODE if not HAVE_GNT_NODE else "nodes 2 and 3 did not join")


def test_init(vc):
    start = time.monotonic()
    vc.ok(1, *INIT, "cluster.example.com")
    took = time.monotonic() - start
    print("gnt-cluster init took %.2f s" % took)
    assert vc.ok(1, "gnt-cluster", "getmaster").strip() == "node1.example.com"
    assert vc.has_master_ip(1)
    assert vc.run(1, "gnt-cluster", "master-ping")[0] == 0
    version = vc.ok(1, "gnt-cluster", "version")
    assert "Software version: 3.0.2" in version and "Internode protocol: 3000000" in version
    rc, problems = vc.verify(1)
    assert (rc, problems) == (0, [])
    # a second init, here or on a node of no cluster with the same name, is refused
    rc, _, err = vc.run(1, *INIT, "cluster.example.com")
    assert rc == 1 and "Cluster is already initialised" in err
    rc, _, err = vc.run(2, *INIT, "cluster.example.com")
    assert rc == 1 and "already in use" in err


def test_nodes_join(vc):
    if not HAVE_GNT_NODE:
        pytest.skip(NO_GNT_NODE)
    output = vc.ok(1, "gnt-node", "add", "node2.example.com")
    output += vc.ok(1, "gnt-node", "add", "node3.example.com")
    if "renew-crypto --new-node-certificates" in output:
        # what gnt-node add asks the administrator to do when the joining
        # node could not report a client certificate
        vc.ok(1, "gnt-cluster", "renew-crypto", "--new-node-certificates", "-f")
    vc.joined = True
    for k in (1, 2, 3):
        assert vc.ok(k, "gnt-cluster", "getmaster").strip() == "node1.example.com"


def test_verify_clean(vc):
    _need_nodes(vc)
    rc, problems = vc.verify(1)
    assert (rc, problems) == (0, [])
    rc, problems = vc.verify(1, "--error-codes", "--verbose")
    assert (rc, problems) == (0, [])


def test_info_and_modify(vc):
    info = vc.ok(1, "gnt-cluster", "info")
    assert "Cluster name: cluster.example.com" in info
    assert "Master node: node1.example.com" in info
    assert "master netdev: eth0" in info
    vc.ok(
        1, "gnt-cluster", "modify", "-C", "5", "--maintain-node-health", "yes", "-B", "maxmem=256"
    )
    vc.ok(1, "gnt-cluster", "add-tags", "env:test", "owner:qa")
    info = vc.ok(1, "gnt-cluster", "info")
    assert "candidate pool size: 5" in info
    assert "maintenance of node health: True" in info
    assert "maxmem: 256" in info
    assert vc.ok(1, "gnt-cluster", "list-tags").split() == ["env:test", "owner:qa"]
    assert vc.ok(1, "gnt-cluster", "search-tags", "^env").strip() == "/cluster env:test"
    if vc.joined:
        # every master candidate got the new configuration
        assert vc.config_sum(2) == vc.config_sum(1) == vc.config_sum(3)


def test_bad_input_changes_nothing(vc):
    before = vc.config_sum(1)
    rc, _, err = vc.run(1, "gnt-cluster", "modify", "-B", "nosuch=1")
    assert rc == 1 and "Invalid backend parameters" in err
    rc, _, err = vc.run(1, "gnt-cluster", "modify", "--enabled-hypervisors=xen-hvm")
    assert rc == 1 and "not available" in err
    rc, _, err = vc.run(1, "gnt-cluster", "rename", "-f", "nosuch.example.com")
    assert rc == 1 and "Cannot resolve" in err
    rc, _, err = vc.run(1, "gnt-cluster", "master-failover")
    assert rc == 1 and "already the master" in err
    if vc.joined:
        rc, _, err = vc.run(1, "gnt-cluster", "destroy", "--yes-do-it")
        assert rc == 1 and "There are still 2 node(s)" in err
    if HAVE_GNT_NODE:
        rc, _, err = vc.run(1, "gnt-node", "add", "node9.example.com")
        assert rc != 0 and err.strip() and "Traceback" not in err
        rc, _, err = vc.run(1, "gnt-node", "remove", "node1.example.com")
        assert rc != 0 and "master" in err and "Traceback" not in err
    assert vc.config_sum(1) == before


def _job_ids(vc: Cluster, k: int) -> list[int]:
    out = vc.ok(k, "gnt-job", "list", "--no-headers", "-o", "id")
    return sorted(int(x) for x in out.split())


def test_master_failover_and_back(vc):
    _need_nodes(vc)
    jobs_before = _job_ids(vc, 1)
    vc.ok(2, "gnt-cluster", "master-failover")
    for k in (1, 2, 3):
        assert vc.ok(k, "gnt-cluster", "getmaster").strip() == "node2.example.com"
    assert vc.has_master_ip(2) and not vc.has_master_ip(1)
    assert vc.run(2, "gnt-cluster", "master-ping")[0] == 0
    assert vc.run(1, "gnt-cluster", "master-ping")[0] != 0
    assert _job_ids(vc, 2)[: len(jobs_before)] == jobs_before
    info = vc.ok(2, "gnt-cluster", "info")
    assert "candidate pool size: 5" in info and "env:test" in info
    rc, problems = vc.verify(2)
    assert (rc, problems) == (0, [])
    vc.ok(2, "gnt-cluster", "add-tags", "was-on:node2")
    jobs_on_2 = _job_ids(vc, 2)

    vc.ok(1, "gnt-cluster", "master-failover")
    for k in (1, 2, 3):
        assert vc.ok(k, "gnt-cluster", "getmaster").strip() == "node1.example.com"
    assert vc.has_master_ip(1) and not vc.has_master_ip(2)
    assert _job_ids(vc, 1)[: len(jobs_on_2)] == jobs_on_2
    assert "was-on:node2" in vc.ok(1, "gnt-cluster", "list-tags").split()
    rc, problems = vc.verify(1)
    assert (rc, problems) == (0, [])


def test_renew_crypto(vc):
    _need_nodes(vc)
    rapi = vc.ok(2, "md5sum", "/var/lib/ganeti/rapi.pem")
    client = vc.ok(1, "md5sum", "/var/lib/ganeti/client.pem")
    vc.ok(
        1,
        "gnt-cluster",
        "renew-crypto",
        "-f",
        "--new-rapi-certificate",
        "--new-confd-hmac-key",
        "--new-cluster-domain-secret",
        "--new-node-certificates",
    )
    assert vc.ok(2, "md5sum", "/var/lib/ganeti/rapi.pem") != rapi
    assert vc.ok(1, "md5sum", "/var/lib/ganeti/client.pem") != client
    # every node has the new files and the master's new certificate is accepted
    rc, problems = vc.verify(1)
    assert (rc, problems) == (0, [])


def test_killed_node_daemon_is_reported_and_heals(vc):
    _need_nodes(vc)
    pid = int(vc.ok(3, "cat", "/var/run/ganeti/ganeti-noded.pid"))
    vc.ok(3, "kill", "-9", str(pid))
    rc, problems = vc.verify(1, "--error-codes")
    assert rc == 1
    assert any(
        "- ERROR:ENODERPC:node:node3.example.com:while contacting node" in p for p in problems
    )
    assert all("node3.example.com" in p for p in problems if "ERROR" in p), problems
    vc.ok(3, "daemon-util", "start", "ganeti-noded")
    rc, problems = vc.verify(1)
    assert (rc, problems) == (0, [])


def test_queue_and_watcher(vc):
    vc.ok(1, "gnt-cluster", "queue", "drain")
    assert vc.ok(1, "gnt-cluster", "queue", "info").strip() == "The drain flag is set"
    rc, _, err = vc.run(1, "gnt-cluster", "add-tags", "refused")
    assert rc == 1 and "drain" in err
    vc.ok(1, "gnt-cluster", "queue", "undrain")
    assert vc.ok(1, "gnt-cluster", "queue", "info").strip() == "The drain flag is unset"
    assert vc.ok(1, "gnt-cluster", "watcher", "pause", "1h").startswith(
        "The watcher is paused until"
    )
    assert vc.ok(1, "gnt-cluster", "watcher", "info").startswith("The watcher is paused until")
    vc.ok(1, "gnt-cluster", "watcher", "continue")
    assert vc.ok(1, "gnt-cluster", "watcher", "info").strip() == "The watcher is not paused."


def test_command_and_copyfile(vc):
    _need_nodes(vc)
    out = vc.ok(1, "gnt-cluster", "command", "-M", "hostname")
    assert sorted(ln.split(": ", 1)[1] for ln in out.splitlines() if ": node" in ln) == [
        "node1.example.com",
        "node2.example.com",
        "node3.example.com",
    ]
    vc.ok(1, "sh", "-c", "echo shared > /etc/ganeti/copied.txt")
    vc.ok(1, "gnt-cluster", "copyfile", "/etc/ganeti/copied.txt")
    for k in (2, 3):
        assert vc.ok(k, "cat", "/etc/ganeti/copied.txt").strip() == "shared"


def test_destroy(vc):
    if vc.joined:
        vc.ok(1, "gnt-node", "remove", "node3.example.com")
        vc.ok(1, "gnt-node", "remove", "node2.example.com")
    rc, _, err = vc.run(1, "gnt-cluster", "destroy")
    assert rc == 1 and "--yes-do-it" in err
    vc.ok(1, "gnt-cluster", "destroy", "--yes-do-it")
    assert vc.run(1, "test", "-e", "/var/lib/ganeti/config.data")[0] != 0
    assert not vc.has_master_ip(1)
    rc, _, err = vc.run(1, "gnt-cluster", "getmaster")
    assert rc == 1 and "not part of a cluster" in err
