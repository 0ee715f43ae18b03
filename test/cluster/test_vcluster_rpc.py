"""Node RPC on a 3-node virtual cluster: noded in every node, calls from node 1."""

import os
import subprocess

import pytest

from vcluster_fixture import VCluster, unavailable_reason

pytestmark = pytest.mark.cluster

_SKIP = unavailable_reason()


@pytest.fixture(scope="module")
def vc():
    if _SKIP:
        pytest.skip(_SKIP)
    cluster = VCluster(nodes=3)
    cluster.up()
    try:
        cluster.install_certs()
        for k in (1, 2, 3):
            cluster.start_noded(k)
        yield cluster
    finally:
        cluster.down()
        leftovers = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert not [ln for ln in leftovers.splitlines() if ln.startswith(cluster.prefix + "-")]
        assert not os.path.exists("/var/tmp/%s-vc" % cluster.prefix)


CALLS = """
from ganeti.rpc import client
runner = client.RpcRunner(client.dns_resolver)
nodes = %(nodes)r
out = {}
out["version"] = {n: [r.fail_msg, r.payload] for n, r in runner.call_version(nodes).items()}
info = runner.call_node_info(nodes, [["file", "/srv/ganeti/file-storage", []]], [["fake", {}]])
out["node_info"] = {n: [r.fail_msg, r.payload] for n, r in info.items()}
for name in nodes:
    runner.call_write_ssconf_files([name], {"master_node": "told-" + name}).get(name).raise_error()
out["master"] = {n: r.payload for n, r in runner.call_master_node_name(nodes).items()}
print(json.dumps(out))
"""


def test_version_and_node_info_on_all_nodes(vc):
    out = vc.python(1, CALLS % {"nodes": vc.names})
    assert out["version"] == {n: [None, 3000000] for n in vc.names}
    bootids = set()
    for name in vc.names:
        fail_msg, payload = out["node_info"][name]
        assert fail_msg is None
        bootid, storage, hv = payload
        bootids.add(bootid)
        assert storage[0]["type"] == "file" and storage[0]["storage_size"] > 0
        assert hv[0]["memory_total"] > 0 and hv[0]["cpu_total"] >= 1
    assert len(bootids) == 1  # one kernel under all virtual nodes
    # each node answered from its own ssconf: the calls reached three daemons
    assert out["master"] == {n: "told-" + n for n in vc.names}


FOREIGN = """
import tempfile, os
from ganeti.utils import x509
from ganeti.rpc import client
d = tempfile.mkdtemp()
stranger = os.path.join(d, "stranger.pem")
x509.generate_cluster_cert_file(stranger)
runner = client.RpcRunner(client.dns_resolver, cert_file=stranger)
res = runner.call_version([%(node)r])[%(node)r]
print(json.dumps([res.fail_msg, res.payload]))
"""


def test_foreign_client_certificate_refused(vc):
    fail_msg, payload = vc.python(1, FOREIGN % {"node": vc.names[1]})
    assert payload is None and fail_msg.startswith("Error while contacting node")


def test_status_shows_noded(vc):
    lines = vc._tool("status").stdout.decode().splitlines()
    assert len(lines) == 3
    assert all("noded=up" in ln for ln in lines)
    assert lines[0].startswith("node1.example.com 198.51.100.1/24")


def test_up_refuses_when_up_and_exec_reports_missing_nodes(vc):
    res = vc._tool("up", "3", check=False)
    assert res.returncode == 1 and b"already up" in res.stderr
    res = vc.exec(7, "true", check=False)
    assert res.returncode == 1 and b"node 7 does not exist" in res.stderr
    assert vc.exec(2, "hostname").stdout.decode().strip() == vc.names[1]
    vc.exec(2, "touch", "/srv/ganeti/shared-file-storage/from-2")
    assert vc.exec(3, "ls", "/srv/ganeti/shared-file-storage").stdout.decode().split() == ["from-2"]
    vc.exec(2, "touch", "/var/lib/ganeti/private-2")
    assert b"private-2" not in vc.exec(3, "ls", "/var/lib/ganeti").stdout
    path = vc.exec(1, "sh", "-c", "which gnt-cluster ganeti-noded daemon-util").stdout.decode()
    assert path.split() == [
        os.path.join(vc_checkout(), "scripts", "gnt-cluster"),
        os.path.join(vc_checkout(), "daemons", "ganeti-noded"),
        os.path.join(vc_checkout(), "daemons", "daemon-util"),
    ]


def vc_checkout():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
