"""Nodes and groups on a 3-node virtual cluster, through gnt-node and gnt-group.

``gnt-cluster init`` on node 1 (the cluster manages root's SSH), then nodes 2
and 3 join over real SSH; ``gnt-node list`` shows live figures of all
three; every candidate holds config.data and the job queue; roles change
with Ganeti's rules; bad input (duplicate, master removal, unreachable
node, refused SSH key, changed host key) is refused with a clear error and
config.data unchanged; a removed node can be added again; groups are
created, filled, renamed and removed.  The tests run in file order on one
module-wide cluster; each step relies on the previous ones.
"""

import os
import time

import pytest

from vcluster_fixture import VCluster, unavailable_reason

pytestmark = pytest.mark.cluster

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HAVE_INIT = os.path.exists(os.path.join(CHECKOUT, "lib", "ganeti", "bootstrap.py"))
INIT = [
    "gnt-cluster", "init", "--no-etc-hosts", "--enabled-hypervisors=fake",
    "--enabled-disk-templates=file,diskless", "--master-netdev=eth0",
]  # fmt: skip

_SKIP = unavailable_reason()


class Cluster(VCluster):
    initialised = False

    def run(self, k: int, *cmd: str) -> tuple[int, str, str]:
        res = self.exec(k, *cmd, check=False)
        return res.returncode, res.stdout.decode(), res.stderr.decode()

    def ok(self, k: int, *cmd: str) -> str:
        rc, out, err = self.run(k, *cmd)
        assert rc == 0, "%s on node %d failed (%d):\n%s\n%s" % (" ".join(cmd), k, rc, out, err)
        return out

    def fails(self, k: int, *cmd: str) -> str:
        """Runs a command that must fail without touching config.data; its stderr."""
        before = self.config_sum(1)
        rc, out, err = self.run(k, *cmd)
        assert rc != 0, "%s unexpectedly succeeded:\n%s" % (" ".join(cmd), out)
        assert self.config_sum(1) == before, "%s changed config.data" % " ".join(cmd)
        assert "Traceback" not in err
        return err

    def config_sum(self, k: int) -> str:
        return self.ok(k, "md5sum", "/var/lib/ganeti/config.data").split()[0]

    def table(self, *args: str) -> dict[str, list[str]]:
        out = self.ok(1, "gnt-node", "list", "--no-headers", "--separator=|", *args)
        return {ln.split("|")[0]: ln.split("|")[1:] for ln in out.splitlines()}


@pytest.fixture(scope="module")
def vc():
    if _SKIP:
        pytest.skip(_SKIP)
    cluster = Cluster(nodes=3, prefix="tn%d" % (os.getpid() % 10000), sshd=True)
    cluster.up()
    try:
        for k in (1, 2, 3):
            cluster.ok(
                k, "sh", "-c",
                "echo /srv/ganeti/file-storage > /etc/ganeti/file-storage-paths",
            )  # fmt: skip
        # a name that resolves, on an address where no machine answers
        cluster.ok(1, "sh", "-c", "echo '198.51.100.9 node9.example.com node9' >> /etc/hosts")
        yield cluster
    finally:
        cluster.down()


def _master_jobs(vc: Cluster) -> set[str]:
    return set(vc.ok(1, "gnt-job", "list", "--no-headers", "-o", "id").split())


def _replica_jobs(vc: Cluster, k: int, wanted: set[str]) -> set[str]:
    """Job ids in node k's queue copy, once it has ``wanted`` (it replicates
    in the background) or after five seconds."""
    for _ in range(50):
        names = vc.ok(k, "ls", "/var/lib/ganeti/queue").split()
        jobs = {n[4:] for n in names if n.startswith("job-")}
        if wanted <= jobs:
            break
        time.sleep(0.1)
    return jobs


def _need_init(vc: Cluster) -> None:
    if not vc.initialised:
        pytest.skip("gnt-cluster init did not run (the cluster developer's part)")


def test_init(vc):
    if not HAVE_INIT:
        pytest.skip("gnt-cluster init is not written yet (lib/ganeti/bootstrap.py missing)")
    rc, out, err = vc.run(1, *INIT, "cluster.example.com")
    if rc != 0 and ("not available" in err or "No module" in err):
        pytest.skip("gnt-cluster init is not ready: %s" % err.strip())
    assert rc == 0, out + err
    vc.initialised = True
    assert vc.ok(1, "gnt-cluster", "getmaster").strip() == "node1.example.com"


def test_add_nodes_over_ssh(vc):
    _need_init(vc)
    for k in (2, 3):
        start = time.monotonic()
        out = vc.ok(1, "gnt-node", "add", "node%d.example.com" % k)
        took = time.monotonic() - start
        print("gnt-node add node%d took %.2f s" % (k, took))
        assert "Setting up node node%d.example.com over SSH" % k in out
        assert took < 20
    roles = vc.table("-o", "name,role")
    assert roles == {
        "node1.example.com": ["M"],
        "node2.example.com": ["C"],
        "node3.example.com": ["C"],
    }
    # every node: the same ssconf; every candidate: the same config.data
    master_sum = vc.config_sum(1)
    for k in (1, 2, 3):
        assert vc.config_sum(k) == master_sum
        nodes = vc.ok(k, "cat", "/var/lib/ganeti/ssconf_node_list").split()
        assert nodes == ["node1.example.com", "node2.example.com", "node3.example.com"]
        # pid file and log at Ganeti's paths; directories made by ensure-dirs
        assert vc.ok(k, "cat", "/var/run/ganeti/ganeti-noded.pid").strip().isdigit()
        assert "ganeti-noded" in vc.ok(k, "cat", "/var/log/ganeti/node-daemon.log")
        if k != 1:  # (node 1 is gnt-cluster init's)
            assert vc.ok(k, "stat", "-c", "%a", "/var/run/ganeti/crypto").strip() == "700"
    # the joined nodes got the cluster key and the cluster known_hosts
    key = vc.ok(1, "cat", "/root/.ssh/id_ed25519.pub").split()[1]
    for k in (2, 3):
        assert key in vc.ok(k, "cat", "/root/.ssh/authorized_keys")
        assert key in vc.ok(k, "cat", "/root/.ssh/id_ed25519.pub")
        known = vc.ok(k, "cat", "/var/lib/ganeti/known_hosts")
        assert all("node%d.example.com" % j in known for j in (1, 2, 3))


def test_list_shows_live_figures(vc):
    _need_init(vc)
    rows = vc.table("--units=m", "-o", "name,mtotal,mfree,dtotal,dfree,ctotal")
    assert sorted(rows) == ["node1.example.com", "node2.example.com", "node3.example.com"]
    for name, values in rows.items():
        assert all(v.isdigit() and int(v) > 0 for v in values), (name, values)
    out = vc.ok(1, "gnt-node", "list")
    assert out.splitlines()[0].split()[:4] == ["Node", "DTotal", "DFree", "MTotal"]


def test_candidates_get_queue_and_config(vc):
    _need_init(vc)
    vc.ok(1, "gnt-node", "add-tags", "node2", "rack:a")
    master_jobs = _master_jobs(vc)
    assert len(master_jobs) >= 4  # post-init, two node adds, the tags
    for k in (2, 3):
        jobs = _replica_jobs(vc, k, master_jobs)
        assert jobs == master_jobs
        assert vc.config_sum(k) == vc.config_sum(1)


def test_bad_input_is_refused(vc):
    _need_init(vc)
    err = vc.fails(1, "gnt-node", "add", "node2.example.com")
    assert "already in the cluster" in err and "--readd" in err
    err = vc.fails(1, "gnt-node", "remove", "node1.example.com")
    assert "master node, failover to another node is required" in err
    err = vc.fails(1, "gnt-node", "add", "node9.example.com")
    assert "Cannot connect to node node9.example.com" in err
    assert "error type: environment_error" in err
    err = vc.fails(1, "gnt-node", "add", "nosuchnode.example.com")
    assert "can't resolve hostname" in err
    err = vc.fails(1, "gnt-node", "modify", "-O", "yes", "node1.example.com")
    assert "master failover" in err
    err = vc.fails(1, "gnt-group", "add", "default")
    assert "already exists" in err


def test_modify_roles(vc):
    _need_init(vc)
    out = vc.ok(1, "gnt-node", "modify", "-C", "no", "node3")
    assert " - master_candidate -> False" in out
    assert vc.table("-o", "name,role")["node3.example.com"] == ["R"]
    out = vc.ok(1, "gnt-node", "modify", "-O", "yes", "node3")
    assert " - offline -> True" in out
    assert vc.table("-o", "name,role,mtotal")["node3.example.com"] == ["O", "*"]
    out = vc.ok(1, "gnt-node", "modify", "-O", "no", "node3")
    assert " - master_candidate -> True" in out and " - offline -> False" in out
    out = vc.ok(1, "gnt-node", "modify", "-D", "yes", "node3")
    assert vc.table("-o", "name,role")["node3.example.com"] == ["D"]
    vc.ok(1, "gnt-node", "modify", "-D", "no", "node3")
    vc.ok(1, "gnt-node", "modify", "--master-capable=no", "node3")
    assert vc.table("-o", "name,role,master_capable")["node3.example.com"] == ["R", "N"]
    err = vc.fails(1, "gnt-node", "modify", "-C", "yes", "node3")
    assert "not master capable" in err
    vc.ok(1, "gnt-node", "modify", "--master-capable=yes", "node3")
    assert vc.table("-o", "name,role")["node3.example.com"] == ["C"]
    # back as a candidate: the whole queue is there again
    master_jobs = _master_jobs(vc)
    assert master_jobs <= _replica_jobs(vc, 3, master_jobs)


def test_groups(vc):
    _need_init(vc)
    vc.ok(1, "gnt-group", "add", "--alloc-policy=last_resort", "rack2")
    vc.ok(1, "gnt-group", "assign-nodes", "rack2", "node3")
    assert vc.table("-o", "name,group")["node3.example.com"] == ["rack2"]
    assert "rack2" in vc.ok(3, "cat", "/var/lib/ganeti/ssconf_nodegroups")
    err = vc.fails(1, "gnt-group", "remove", "rack2")
    assert "not empty" in err
    vc.ok(1, "gnt-group", "rename", "rack2", "rack9")
    out = vc.ok(1, "gnt-group", "modify", "--ipolicy-vcpu-ratio=2", "rack9")
    assert "ipolicy" in out
    info = vc.ok(1, "gnt-group", "info", "rack9")
    assert "Node group: rack9" in info and "node3.example.com" in info
    vc.ok(1, "gnt-group", "assign-nodes", "default", "node3")
    vc.ok(1, "gnt-group", "remove", "rack9")
    out = vc.ok(1, "gnt-group", "list", "--no-headers", "-o", "name,node_cnt")
    assert out.split() == ["default", "3"]


def test_repair_ssh_keys(vc):
    _need_init(vc)
    vc.ok(2, "rm", "-f", "/root/.ssh/id_ed25519", "/root/.ssh/id_ed25519.pub")
    out = vc.ok(1, "gnt-node", "repair-ssh-keys", "node2")
    assert "repaired" in out
    assert vc.ok(2, "cat", "/root/.ssh/id_ed25519.pub") == vc.ok(
        1, "cat", "/root/.ssh/id_ed25519.pub"
    )
    # node 2 can now reach node 3 with the cluster key, as a master would
    assert vc.ok(2, "ssh", "-o", "BatchMode=yes", "node3.example.com", "hostname").strip() == (
        "node3.example.com"
    )


def test_remove_then_add_again(vc):
    _need_init(vc)
    vc.ok(1, "gnt-node", "remove", "node3.example.com")
    assert sorted(vc.table("-o", "name")) == ["node1.example.com", "node2.example.com"]
    assert vc.run(3, "test", "-e", "/var/lib/ganeti/server.pem")[0] == 1
    assert vc.run(3, "test", "-e", "/run/ganeti/ganeti-noded.pid")[0] == 1
    # the node left and withdrew the cluster key: SSH now refuses it
    err = vc.fails(1, "gnt-node", "add", "node3.example.com")
    assert "refused the cluster's SSH key" in err and "authorized_keys" in err
    # the administrator authorizes the key again
    key = vc.ok(1, "cat", "/root/.ssh/id_ed25519.pub")
    vc.exec(3, "sh", "-c", "cat >> /root/.ssh/authorized_keys", input_data=key.encode())
    vc.ok(1, "gnt-node", "add", "node3.example.com")
    assert vc.table("-o", "name,role")["node3.example.com"] == ["C"]
    assert vc.config_sum(3) == vc.config_sum(1)


def test_readd_after_reinstall(vc):
    _need_init(vc)
    uuid = vc.table("-o", "name,uuid")["node3.example.com"]
    vc.ok(
        3, "sh", "-c",
        "rm -f /etc/ssh/ssh_host_ed25519_key*; ssh-keygen -q -t ed25519 -N '' -f"
        " /etc/ssh/ssh_host_ed25519_key; kill $(cat /run/sshd.pid); sleep 0.3;"
        " /usr/sbin/sshd -f /etc/ssh/sshd_config -E /var/log/ganeti/sshd.log",
    )  # fmt: skip
    err = vc.fails(1, "gnt-node", "add", "--readd", "node3.example.com")
    assert "does not match" in err
    for path in ("/var/lib/ganeti/known_hosts", "/root/.ssh/known_hosts"):
        for name in ("node3.example.com", "198.51.100.3"):
            vc.run(1, "ssh-keygen", "-q", "-R", name, "-f", path)
    err = vc.fails(1, "gnt-node", "add", "--readd", "node3.example.com")
    assert "is not known" in err and "--no-ssh-key-check" in err
    vc.ok(1, "gnt-node", "add", "--readd", "--no-ssh-key-check", "node3.example.com")
    assert vc.table("-o", "name,uuid")["node3.example.com"] == uuid
    new_key = vc.ok(3, "cat", "/etc/ssh/ssh_host_ed25519_key.pub").split()[1]
    assert new_key in vc.ok(2, "cat", "/var/lib/ganeti/known_hosts")
