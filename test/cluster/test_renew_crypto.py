"""gnt-cluster renew-crypto on a 3-node virtual cluster.

``gnt-cluster init`` on node 1 (the cluster manages root's SSH), nodes 2
and 3 join over SSH; then a new cluster certificate reaches every node,
every node daemon restarts with it, every node signs a new client
certificate and verify is clean; new SSH keys of another type replace the
old ones on every node and SSH still works; the RAPI users file and
certificate reach the master candidates by redistribution, so ganeti-rapi
authenticates users after a master failover.  The tests run in file
order on one module-wide cluster; each step relies on the previous ones.
"""

import os
import re

import pytest

from vcluster_fixture import VCluster, unavailable_reason

pytestmark = pytest.mark.cluster

INIT = [
    "gnt-cluster", "init", "--no-etc-hosts", "--enabled-hypervisors=fake",
    "--enabled-disk-templates=file,diskless", "--master-netdev=eth0",
]  # fmt: skip
DATA = "/var/lib/ganeti"
USERS = "admin s3cret write\n"

_SKIP = unavailable_reason()


class Cluster(VCluster):
    ready = False

    def run(self, k: int, *cmd: str) -> tuple[int, str, str]:
        res = self.exec(k, *cmd, check=False)
        return res.returncode, res.stdout.decode(), res.stderr.decode()

    def ok(self, k: int, *cmd: str) -> str:
        rc, out, err = self.run(k, *cmd)
        assert rc == 0, "%s on node %d failed (%d):\n%s\n%s" % (" ".join(cmd), k, rc, out, err)
        return out

    def md5(self, k: int, path: str) -> str:
        return self.ok(k, "md5sum", path).split()[0]

    def noded_pid(self, k: int) -> int:
        return int(self.ok(k, "cat", "/var/run/ganeti/ganeti-noded.pid"))

    def verify_clean(self, k: int = 1) -> None:
        rc, out, err = self.run(k, "gnt-cluster", "verify")
        problems = [ln for ln in (out + err).splitlines() if re.search(r"(ERROR|WARNING)", ln)]
        assert (rc, problems) == (0, []), "gnt-cluster verify:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def vc():
    if _SKIP:
        pytest.skip(_SKIP)
    cluster = Cluster(nodes=3, prefix="trc%d" % (os.getpid() % 10000), sshd=True)
    cluster.up()
    try:
        for k in (1, 2, 3):
            cluster.ok(
                k, "sh", "-c",
                "echo /srv/ganeti/file-storage > /etc/ganeti/file-storage-paths &&"
                " ip link add xen-br0 type bridge && ip link set xen-br0 up",
            )  # fmt: skip
        yield cluster
    finally:
        cluster.down()


def _need_cluster(vc: Cluster) -> None:
    if not vc.ready:
        pytest.skip("the cluster was not built")


def test_build_cluster(vc):
    vc.ok(1, *INIT, "cluster.example.com")
    for k in (2, 3):
        vc.ok(1, "gnt-node", "add", "node%d.example.com" % k)
    vc.ready = True
    vc.verify_clean()


def test_new_cluster_certificate(vc):
    _need_cluster(vc)
    server = {k: vc.md5(k, DATA + "/server.pem") for k in (1, 2, 3)}
    client = {k: vc.md5(k, DATA + "/client.pem") for k in (1, 2, 3)}
    pids = {k: vc.noded_pid(k) for k in (1, 2, 3)}
    out = vc.ok(1, "gnt-cluster", "renew-crypto", "-f", "--new-cluster-certificate")
    assert "All requested certificates and keys have been replaced." in out
    new_server = {k: vc.md5(k, DATA + "/server.pem") for k in (1, 2, 3)}
    # one new certificate, the same on every node
    assert len(set(new_server.values())) == 1 and new_server[1] != server[1]
    for k in (1, 2, 3):
        assert vc.md5(k, DATA + "/client.pem") != client[k], "node %d kept its client cert" % k
        assert vc.noded_pid(k) != pids[k], "node %d's noded was not restarted" % k
    # every client certificate is signed by the new cluster certificate
    for k in (1, 2, 3):
        vc.ok(
            k, "openssl", "verify", "-CAfile", DATA + "/server.pem", DATA + "/client.pem"
        )  # fmt: skip
    vc.verify_clean()
    # the master daemons work (jobs reach the nodes) and the watcher is not left paused
    vc.ok(1, "gnt-cluster", "add-tags", "renewed")
    assert vc.ok(1, "gnt-cluster", "watcher", "info").strip() == "The watcher is not paused."
    # every master candidate got the new candidate certificate map
    for k in (2, 3):
        assert vc.md5(k, DATA + "/config.data") == vc.md5(1, DATA + "/config.data")


def test_new_ssh_keys_of_another_type(vc):
    _need_cluster(vc)
    info = vc.ok(1, "gnt-cluster", "info")
    old_type = re.search(r"ssh_key_type: (\w+)", info)
    old_type = old_type.group(1) if old_type else "rsa"
    new_type = "ecdsa" if old_type != "ecdsa" else "ed25519"
    old_pub = vc.ok(1, "cat", "/root/.ssh/id_%s.pub" % old_type)
    bits = ["--ssh-key-bits", "256"] if new_type == "ecdsa" else []
    vc.ok(
        1, "gnt-cluster", "renew-crypto", "-f", "--new-ssh-keys", "--ssh-key-type", new_type, *bits
    )
    new_pub = vc.ok(1, "cat", "/root/.ssh/id_%s.pub" % new_type).split()[1]
    for k in (1, 2, 3):
        assert vc.run(k, "test", "-e", "/root/.ssh/id_%s" % old_type)[0] != 0
        assert vc.ok(k, "cat", "/root/.ssh/id_%s.pub" % new_type).split()[1] == new_pub
        keys = vc.ok(k, "cat", "/root/.ssh/authorized_keys")
        assert new_pub in keys and old_pub.split()[1] not in keys
    info = vc.ok(1, "gnt-cluster", "info")
    assert "ssh_key_type: %s" % new_type in info
    assert "ssh_key_bits: 256" in info
    # SSH with the new key still works from the master
    out = vc.ok(1, "gnt-cluster", "command", "-M", "hostname")
    assert sorted(ln.split(": ", 1)[1] for ln in out.splitlines() if ": node" in ln) == [
        "node1.example.com", "node2.example.com", "node3.example.com",
    ]  # fmt: skip
    vc.verify_clean()


def test_rapi_users_reach_candidates_and_work_after_failover(vc):
    _need_cluster(vc)
    vc.ok(1, "mkdir", "-p", DATA + "/rapi")
    vc.write_file(1, DATA + "/rapi/users", USERS.encode(), mode=0o640)
    vc.ok(1, "gnt-cluster", "redist-conf")
    for k in (2, 3):
        assert vc.ok(k, "cat", DATA + "/rapi/users") == USERS
        assert vc.md5(k, DATA + "/rapi.pem") == vc.md5(1, DATA + "/rapi.pem")
    vc.verify_clean()
    vc.ok(2, "gnt-cluster", "master-failover")
    try:
        url = "https://localhost:5080/2/tags?tag=rapi-after-failover"
        out = ""
        for _ in range(50):
            rc, out, _ = vc.run(2, "curl", "-sk", "-u", "admin:s3cret", "-X", "PUT", url)
            if rc == 0 and out.strip().isdigit():
                break
            vc.ok(2, "sleep", "0.2")
        assert out.strip().isdigit(), out
        rc, out, _ = vc.run(2, "curl", "-sk", "-u", "admin:wrong", "-X", "PUT", url)
        assert '"code": 401' in out or "401" in out
    finally:
        vc.ok(1, "gnt-cluster", "master-failover")
