"""Tests of ganeti.bootstrap: init checks and results, crypto, voting, failover, destroy.

Everything runs in a temporary root; name resolution, address ownership
and the network probes are replaced by fakes, and RPC goes to a recording
fake runner, so no daemon and no network is needed.
"""

import os
import socket

import pytest

from ganeti import bootstrap, config, constants, errors, pathutils, ssconf
from ganeti.rpc.client import RpcResult
from ganeti.utils import net as unet
from ganeti.utils import x509

import testutils_config

NODE = "node1.example.com"
NODE_IP = "198.51.100.1"
CLUSTER = "cluster.example.com"
CLUSTER_IP = "198.51.100.100"


@pytest.fixture
def root(tmp_path, monkeypatch):
    old = pathutils.get_root()
    pathutils.set_root(str(tmp_path))
    for path in (
        pathutils.DATA_DIR,
        pathutils.LOCK_DIR,
        pathutils.CONF_DIR,
        pathutils.SSH_CONFIG_DIR,
    ):
        os.makedirs(path, exist_ok=True)
    monkeypatch.setenv("GANETI_HOSTNAME", NODE)
    yield tmp_path
    pathutils.set_root(old)


@pytest.fixture
def network(monkeypatch):
    """A fake network: names resolve from a table, only NODE_IP is ours,
    addresses listed in ``in_use`` answer, netdev eth0 exists."""
    state = {
        "names": {NODE: NODE_IP, CLUSTER: CLUSTER_IP},
        "mine": {NODE_IP},
        "in_use": set(),
        "netdevs": {"eth0", "lo"},
    }

    def resolve(name, family=socket.AF_INET):
        if name not in state["names"]:
            raise errors.ResolverError(name, 0, "Host name %s not found" % name)
        return unet.HostInfo(name, [name.split(".")[0]], state["names"][name])

    monkeypatch.setattr(unet.HostInfo, "resolve", staticmethod(resolve))
    monkeypatch.setattr(unet, "owns_ip", lambda ip: ip in state["mine"])
    monkeypatch.setattr(bootstrap, "address_in_use", lambda ip, timeout=1.0: ip in state["in_use"])
    monkeypatch.setattr(bootstrap, "netdev_exists", lambda dev: dev in state["netdevs"])
    return state


def _params(**kwargs):
    values = dict(
        cluster_name=CLUSTER,
        master_netdev="eth0",
        enabled_hypervisors=[constants.HT_FAKE],
        enabled_disk_templates=[constants.DT_DISKLESS],
        modify_etc_hosts=False,
        modify_ssh_setup=False,
        start_daemons=False,
    )
    values.update(kwargs)
    return bootstrap.InitParams(**values)


# --- crypto -----------------------------------------------------------------------------


def test_generate_cluster_crypto_creates_everything_once(root):
    digest = bootstrap.generate_cluster_crypto(NODE)
    for path in (
        pathutils.NODED_CERT_FILE,
        pathutils.NODED_CLIENT_CERT_FILE,
        pathutils.RAPI_CERT_FILE,
        pathutils.SPICE_CERT_FILE,
        pathutils.SPICE_CACERT_FILE,
        pathutils.CONFD_HMAC_KEY,
        pathutils.CLUSTER_DOMAIN_SECRET_FILE,
    ):
        assert os.path.exists(path), path
    assert os.stat(pathutils.CONFD_HMAC_KEY).st_mode & 0o777 == 0o400
    assert digest == x509.get_certificate_digest(pathutils.NODED_CLIENT_CERT_FILE)
    ok, msg = x509.verify_cert_signed_by_file(
        pathutils.NODED_CLIENT_CERT_FILE, pathutils.NODED_CERT_FILE
    )
    assert ok, msg
    before = {
        p: open(p, "rb").read() for p in (pathutils.NODED_CERT_FILE, pathutils.RAPI_CERT_FILE)
    }
    assert bootstrap.generate_cluster_crypto(NODE) == digest
    for path, data in before.items():
        assert open(path, "rb").read() == data


def test_generate_cluster_crypto_renews_only_what_is_asked(root):
    bootstrap.generate_cluster_crypto(NODE)
    server = open(pathutils.NODED_CERT_FILE, "rb").read()
    rapi = open(pathutils.RAPI_CERT_FILE, "rb").read()
    hmac = open(pathutils.CONFD_HMAC_KEY).read()
    bootstrap.generate_cluster_crypto(NODE, new_rapi_cert=True, new_confd_hmac_key=True)
    assert open(pathutils.NODED_CERT_FILE, "rb").read() == server
    assert open(pathutils.RAPI_CERT_FILE, "rb").read() != rapi
    assert open(pathutils.CONFD_HMAC_KEY).read() != hmac
    bootstrap.generate_cluster_crypto(NODE, cds="0123abcd")
    assert open(pathutils.CLUSTER_DOMAIN_SECRET_FILE).read() == "0123abcd\n"


def test_generate_cluster_crypto_rejects_bad_rapi_pem(root):
    with pytest.raises(errors.OpPrereqError) as err:
        bootstrap.generate_cluster_crypto(NODE, rapi_cert_pem="not a certificate")
    assert err.value.args[1] == errors.ECODE_INVAL


# --- init ----------------------------------------------------------------------------------


def test_init_writes_a_loadable_config_and_ssconf(root, network):
    name = bootstrap.init_cluster(_params(candidate_pool_size=3, mac_prefix="aa:bb:cc"))
    assert name == CLUSTER
    cfg = config.ConfigWriter(offline=True, accept_foreign=True)
    assert cfg.verify_config() == []
    cluster = cfg.get_cluster_info()
    assert cluster.cluster_name == CLUSTER
    assert cluster.master_ip == CLUSTER_IP
    assert cluster.master_netdev == "eth0"
    assert cluster.master_netmask == 32
    assert cluster.enabled_hypervisors == [constants.HT_FAKE]
    assert cluster.enabled_disk_templates == [constants.DT_DISKLESS]
    assert cluster.candidate_pool_size == 3
    assert cluster.mac_prefix == "aa:bb:cc"
    master = cfg.get_master_node_info()
    assert master.name == NODE and master.primary_ip == NODE_IP and master.master_candidate
    digest = x509.get_certificate_digest(pathutils.NODED_CLIENT_CERT_FILE)
    assert cluster.candidate_certs == {master.uuid: digest}
    store = ssconf.SimpleStore()
    assert store.get_master_node() == NODE
    assert store.get_master_ip() == CLUSTER_IP
    assert store.get_master_candidates_certs() == {master.uuid: digest}
    groups = cfg.get_all_node_groups_info()
    assert [g.name for g in groups.values()] == [constants.INITIAL_NODE_GROUP_NAME]


def test_init_params_reach_the_config(root, network):
    bootstrap.init_cluster(
        _params(
            beparams={"maxmem": "256", "vcpus": "2"},
            nicparams={"mode": "routed", "link": "100"},
            hvparams={constants.HT_FAKE: {"migration_mode": "non-live"}},
            ndparams={"spindle_count": "3"},
            uid_pool=[(4000, 4010)],
        )
    )
    cluster = config.ConfigWriter(offline=True, accept_foreign=True).get_cluster_info()
    assert cluster.beparams["default"]["maxmem"] == 256
    assert cluster.beparams["default"]["vcpus"] == 2
    assert cluster.nicparams["default"]["mode"] == "routed"
    assert cluster.hvparams[constants.HT_FAKE]["migration_mode"] == "non-live"
    assert cluster.ndparams["spindle_count"] == 3
    assert [list(r) for r in cluster.uid_pool] == [[4000, 4010]]


def test_init_twice_is_refused(root, network):
    bootstrap.init_cluster(_params())
    data = open(pathutils.CLUSTER_CONF_FILE, "rb").read()
    with pytest.raises(errors.OpPrereqError) as err:
        bootstrap.init_cluster(_params())
    assert err.value.args[1] == errors.ECODE_STATE
    assert open(pathutils.CLUSTER_CONF_FILE, "rb").read() == data


def test_init_on_a_node_of_another_cluster_is_refused(root, network):
    ssconf.SimpleStore().write_files({constants.SS_CLUSTER_NAME: "other.example.com"})
    with pytest.raises(errors.OpPrereqError, match="other.example.com"):
        bootstrap.init_cluster(_params())


@pytest.mark.parametrize(
    "change, code, text",
    [
        (lambda n: n["names"].pop(CLUSTER), errors.ECODE_RESOLVER, "Cannot resolve cluster name"),
        (lambda n: n["in_use"].add(CLUSTER_IP), errors.ECODE_NOTUNIQUE, "already in use"),
        (lambda n: n["netdevs"].discard("eth0"), errors.ECODE_INVAL, "does not exist"),
        (lambda n: n["mine"].clear(), errors.ECODE_ENVIRON, "does not belong to this host"),
        (lambda n: n["names"].update({NODE: "127.0.1.1"}), errors.ECODE_ENVIRON, "loopback"),
        (lambda n: n["names"].update({CLUSTER: NODE_IP}), errors.ECODE_INVAL, "own address"),
    ],
)
def test_init_environment_errors_leave_nothing_behind(root, network, change, code, text):
    change(network)
    with pytest.raises(errors.OpPrereqError) as err:
        bootstrap.init_cluster(_params())
    assert err.value.args[1] == code
    assert text in err.value.args[0]
    assert not os.path.exists(pathutils.CLUSTER_CONF_FILE)
    assert not os.path.exists(pathutils.NODED_CERT_FILE)


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"enabled_hypervisors": ["nosuch"]}, "Unknown hypervisor"),
        ({"enabled_hypervisors": [constants.HT_XEN_PVM]}, "not available in this build"),
        ({"enabled_disk_templates": ["nosuch"]}, "Unknown disk template"),
        ({"mac_prefix": "zz:00:00"}, "Invalid mac prefix"),
        ({"beparams": {"nosuch": "1"}}, "Invalid backend parameters"),
        ({"hvparams": {constants.HT_FAKE: {"nosuch": "1"}}}, "Invalid hypervisor parameters"),
        ({"master_netmask": 33}, "Invalid master netmask"),
        ({"candidate_pool_size": 0}, "Candidate pool size"),
        ({"secondary_ip": "198.51.100.77"}, "does not belong to this host"),
    ],
)
def test_init_bad_parameters(root, network, kwargs, text):
    with pytest.raises(errors.OpPrereqError, match=text):
        bootstrap.init_cluster(_params(**kwargs))
    assert not os.path.exists(pathutils.CLUSTER_CONF_FILE)


def test_init_file_storage_must_be_allowed(root, network):
    storage = os.path.join(str(root), "srv", "files")
    params = _params(enabled_disk_templates=[constants.DT_FILE], file_storage_dir=storage)
    with pytest.raises(errors.OpPrereqError, match="file-storage-paths"):
        bootstrap.init_cluster(params)
    with open(pathutils.FILE_STORAGE_PATHS_FILE, "w") as fh:
        fh.write("# allowed\n%s\n" % os.path.dirname(storage))
    bootstrap.init_cluster(params)
    assert os.path.isdir(storage)
    assert config.ConfigWriter(offline=True, accept_foreign=True).get_file_storage_dir() == storage


def test_init_lvm_templates_need_the_volume_group(root, network, monkeypatch):
    from ganeti import backend

    monkeypatch.setattr(backend, "list_volume_groups", lambda: {"othervg": 1024})
    with pytest.raises(errors.OpPrereqError, match="Volume group 'xenvg' missing"):
        bootstrap.init_cluster(_params(enabled_disk_templates=[constants.DT_PLAIN]))
    bootstrap.init_cluster(_params(enabled_disk_templates=[constants.DT_PLAIN], vg_name="othervg"))
    assert (
        config.ConfigWriter(offline=True, accept_foreign=True).get_cluster_info().volume_group_name
        == "othervg"
    )


def test_init_known_hosts_and_etc_hosts(root, network):
    with open(os.path.join(pathutils.SSH_CONFIG_DIR, "ssh_host_ed25519_key.pub"), "w") as fh:
        fh.write("ssh-ed25519 AAAAC3Nz root@node1\n")
    with open(pathutils.ETC_HOSTS, "w") as fh:
        fh.write("127.0.0.1 localhost\n")
    bootstrap.init_cluster(_params(modify_etc_hosts=True))
    assert open(pathutils.SSH_KNOWN_HOSTS_FILE).read() == "%s,%s ssh-ed25519 AAAAC3Nz\n" % (
        NODE,
        NODE_IP,
    )
    hosts = open(pathutils.ETC_HOSTS).read().splitlines()
    assert hosts[-1].split()[:2] == [NODE_IP, NODE]
    assert not bootstrap.add_to_etc_hosts(NODE_IP, NODE, [])


# --- voting ---------------------------------------------------------------------------------


class FakeRunner:
    """Records RPC calls; ``answers[procedure]`` is a payload, an RpcResult
    or a function (node, *args) -> RpcResult."""

    def __init__(self, answers=None):
        self.calls = []
        self.answers = answers or {}

    def _one(self, procedure, node, args):
        self.calls.append((procedure, node) + tuple(args))
        answer = self.answers.get(procedure)
        if callable(answer):
            answer = answer(node, *args)
        if isinstance(answer, RpcResult):
            return answer
        return RpcResult(data=[True, answer], node=node, call=procedure)

    def __getattr__(self, attr):
        if not attr.startswith("call_"):
            raise AttributeError(attr)
        procedure = attr[5:]

        def call(nodes, *args, read_timeout=None):
            if isinstance(nodes, str):
                return self._one(procedure, nodes, args)
            return {n: self._one(procedure, n, args) for n in nodes}

        return call

    def procedures(self):
        return [c[0] for c in self.calls]


def _down(node, *args):
    return RpcResult(data="connection refused", failed=True, node=node)


def test_gather_master_votes_orders_by_votes_and_skips_myself():
    names = {"n2": "n1", "n3": "n1", "n4": "n4", "n5": None}

    def answer(node):
        if names[node] is None:
            return _down(node)
        return RpcResult(data=[True, names[node]], node=node)

    runner = FakeRunner({"master_node_name": answer})
    votes = bootstrap.gather_master_votes(["n1", "n2", "n3", "n4", "n5"], runner, myself="n1")
    assert votes == [("n1", 2), ("n4", 1), (None, 1)]
    assert sorted(c[1] for c in runner.calls) == ["n2", "n3", "n4", "n5"]
    assert bootstrap.gather_master_votes(["n1"], runner, myself="n1") == []


# --- master failover -----------------------------------------------------------------------------


@pytest.fixture
def two_node_cluster(root, monkeypatch):
    """A two-node cluster as node2 sees it (config replica + ssconf), node1 master."""
    testutils_config.make_test_cluster(
        str(root), node_name=NODE, node_ip=NODE_IP, extra_nodes=1, write_ssconf=True
    )
    monkeypatch.setenv("GANETI_HOSTNAME", "node2.example.com")
    runner = FakeRunner({"master_node_name": "node1.example.com"})
    monkeypatch.setattr(bootstrap, "make_runner", lambda resolver=None, cert_file=None: runner)
    ip_state = {"up": True}

    def in_use(ip, timeout=1.0):
        return ip_state["up"]

    monkeypatch.setattr(bootstrap, "address_in_use", in_use)

    def deactivate(node, params, ems):
        ip_state["up"] = False
        return RpcResult(data=[True, None], node=node)

    def activate(node, params, ems):
        ip_state["up"] = True
        return RpcResult(data=[True, None], node=node)

    runner.answers["node_deactivate_master_ip"] = deactivate
    runner.answers["node_activate_master_ip"] = activate
    return runner


def test_master_failover_moves_the_master(two_node_cluster):
    runner = two_node_cluster
    rcode, warnings = bootstrap.master_failover(ip_timeout=2)
    assert rcode == constants.EXIT_SUCCESS, warnings
    assert warnings == []
    cfg = config.ConfigWriter(offline=True, accept_foreign=True)
    assert cfg.get_master_node_name() == "node2.example.com"
    procs = runner.procedures()
    assert procs.index("node_deactivate_master_ip") < procs.index("node_stop_master")
    assert procs.index("node_stop_master") < procs.index("node_start_master_daemons")
    stop = [c for c in runner.calls if c[0] == "node_stop_master"]
    assert stop[0][1] == "node1.example.com"
    start = [c for c in runner.calls if c[0] == "node_start_master_daemons"]
    assert start[0][1:] == ("node2.example.com", False)
    # the new config went to the old master (a candidate), ssconf to both nodes
    uploads = [c for c in runner.calls if c[0] == "upload_file"]
    assert [c[1] for c in uploads] == [cfg.get_node_info_by_name("node1.example.com").uuid]
    assert "write_ssconf_files" in procs


def test_master_failover_voting_disagreement_changes_nothing(two_node_cluster):
    runner = two_node_cluster
    runner.answers["master_node_name"] = "node3.example.com"
    before = open(pathutils.CLUSTER_CONF_FILE, "rb").read()
    with pytest.raises(errors.OpPrereqError, match="other\\s+nodes voted node3") as err:
        bootstrap.master_failover()
    assert err.value.args[1] == errors.ECODE_STATE
    assert open(pathutils.CLUSTER_CONF_FILE, "rb").read() == before
    assert "node_stop_master" not in runner.procedures()


def test_master_failover_no_answer_needs_no_voting(two_node_cluster):
    runner = two_node_cluster
    runner.answers["master_node_name"] = _down
    with pytest.raises(errors.OpPrereqError, match="most nodes did not respond"):
        bootstrap.master_failover()
    rcode, _ = bootstrap.master_failover(no_voting=True, ip_timeout=2)
    assert rcode == constants.EXIT_SUCCESS
    start = [c for c in runner.calls if c[0] == "node_start_master_daemons"]
    assert start[0][2] is True


def test_master_failover_dead_old_master_gives_warnings(two_node_cluster):
    runner = two_node_cluster
    runner.answers["node_stop_master"] = _down
    rcode, warnings = bootstrap.master_failover(ip_timeout=2)
    assert rcode == constants.EXIT_SUCCESS
    assert any("Could not disable the master role on the old master" in w for w in warnings)


def test_master_failover_on_the_master_is_refused(two_node_cluster, monkeypatch):
    monkeypatch.setenv("GANETI_HOSTNAME", NODE)
    with pytest.raises(errors.OpPrereqError, match="already the master"):
        bootstrap.master_failover()


def test_master_failover_needs_a_candidate(two_node_cluster):
    cfg = config.ConfigWriter(offline=True, accept_foreign=True)
    node2 = cfg.get_node_info_by_name("node2.example.com")
    node2.master_candidate = False
    cfg.update(node2)
    ssconf.SimpleStore().write_files(cfg.get_ssconf_values())
    with pytest.raises(errors.OpPrereqError, match="not among the nodes marked as master"):
        bootstrap.master_failover()


def test_master_failover_outside_a_cluster(root):
    with pytest.raises(errors.OpPrereqError, match="not part of a cluster"):
        bootstrap.master_failover()


# --- destroy --------------------------------------------------------------------------------------


def test_finalize_cluster_destroy_stops_and_leaves(root, monkeypatch):
    testutils_config.make_test_cluster(str(root), node_name=NODE, node_ip=NODE_IP)
    runner = FakeRunner()
    monkeypatch.setattr(bootstrap, "make_runner", lambda resolver=None, cert_file=None: runner)
    cfg = config.ConfigWriter(offline=True, accept_foreign=True)
    warnings = bootstrap.finalize_cluster_destroy(cfg.get_master_node())
    assert warnings == []
    assert runner.procedures() == [
        "node_deactivate_master_ip",
        "node_stop_master",
        "node_leave_cluster",
    ]
    params = runner.calls[0][2]
    assert params["ip"] == "198.51.100.100" and params["netdev"] == "lo"
    runner.answers["node_leave_cluster"] = _down
    warnings = bootstrap.finalize_cluster_destroy(cfg.get_master_node())
    assert len(warnings) == 1 and "cleanup the node" in warnings[0]
