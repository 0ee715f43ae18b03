"""Tests of ganeti.ssconf."""

import fcntl
import os
import subprocess
import sys

import pytest

from ganeti import constants, errors, pathutils, ssconf
from testutils_config import make_test_cluster


@pytest.fixture
def store(tmp_path):
    directory = tmp_path / "data"
    directory.mkdir()
    return ssconf.SimpleStore(str(directory), _lockfile=str(tmp_path / "ssconf.lock"))


@pytest.fixture
def moved_root(tmp_path):
    old = pathutils.get_root()
    pathutils.set_root(str(tmp_path))
    os.makedirs(pathutils.DATA_DIR)
    os.makedirs(pathutils.LOCK_DIR)
    yield tmp_path
    pathutils.set_root(old)


def test_write_and_read(store):
    store.write_files(
        {
            constants.SS_CLUSTER_NAME: "cluster.example.com",
            constants.SS_NODE_LIST: ["node1", "node2"],
            constants.SS_MASTER_NODE: "node1",
            constants.SS_MASTER_NETMASK: "24",
            constants.SS_CLUSTER_TAGS: "",
            constants.SS_NODE_VM_CAPABLE: "node1=True\nnode2=False",
            constants.SS_SSH_PORTS: "node1=22\nnode2=2222",
            constants.SS_UID_POOL: "1000-1009\n2000",
            constants.SS_HVPARAMS_PREF + "kvm": "acpi=True\nkernel_args=ro quiet",
            constants.SS_MASTER_CANDIDATES_CERTS: "uuid1=AA:BB\nuuid2=CC",
        }
    )
    name_file = store.key_to_filename(constants.SS_CLUSTER_NAME)
    assert open(name_file).read() == "cluster.example.com\n"
    assert os.stat(name_file).st_mode & 0o777 == 0o444
    assert open(store.key_to_filename(constants.SS_CLUSTER_TAGS)).read() == ""
    assert store.get_cluster_name() == "cluster.example.com"
    assert store.get_node_list() == ["node1", "node2"]
    assert store.get_master_node() == "node1"
    assert store.get_master_netmask() == 24
    assert store.get_cluster_tags() == []
    assert store.get_node_vm_capable() == {"node1": True, "node2": False}
    assert store.get_ssh_ports() == {"node1": 22, "node2": 2222}
    assert store.get_uid_pool() == [(1000, 1009), (2000, 2000)]
    assert store.get_hvparams_for_hypervisor("kvm") == {"acpi": "True", "kernel_args": "ro quiet"}
    assert store.get_master_candidates_certs() == {"uuid1": "AA:BB", "uuid2": "CC"}
    assert store.get_value(constants.SS_NODE_LIST) == "node1\nnode2"
    assert store.read_all()[constants.SS_CLUSTER_NAME] == "cluster.example.com"
    assert [n for n in os.listdir(os.path.dirname(name_file)) if n.startswith(".")] == []


def test_defaults_for_optional_keys(store):
    assert store.get_offline_nodes() == []
    assert store.get_primary_ip_family() == 2
    assert store.get_maintain_node_health() is False
    assert store.get_enabled_user_shutdown() is False
    assert store.get_instance_list() == []
    with pytest.raises(errors.ConfigurationError):
        store.get_cluster_name()  # required


def test_rejects_unknown_keys_and_big_values(store):
    with pytest.raises(errors.ConfigurationError):
        store.write_files({"no_such_key": "x"})
    big = "x" * (constants.SS_MAX_FILE_SIZE + 1)
    with pytest.raises(errors.ConfigurationError):
        store.write_files({constants.SS_CLUSTER_NAME: "ok", constants.SS_NODE_LIST: big})
    # nothing at all was written
    assert os.listdir(os.path.dirname(store.key_to_filename(constants.SS_CLUSTER_NAME))) == []
    with pytest.raises(errors.ConfigurationError):
        store.write_files({constants.SS_MASTER_IP: 5})
    with pytest.raises(errors.ProgrammerError):
        store.get_value("bogus")


def test_dry_run_writes_nothing(store):
    store.write_files({constants.SS_CLUSTER_NAME: "c"}, dry_run=True)
    with pytest.raises(errors.ConfigurationError):
        store.get_cluster_name()


def test_oversized_file_refused(store):
    path = store.key_to_filename(constants.SS_NODE_LIST)
    with open(path, "w") as fh:
        fh.write("n\n" * constants.SS_MAX_FILE_SIZE)
    with pytest.raises(errors.ConfigurationError):
        store.get_node_list()


def test_invalid_numbers(store):
    store.write_files({constants.SS_MASTER_NETMASK: "wide", constants.SS_SSH_PORTS: "n1=x"})
    with pytest.raises(errors.ConfigurationError):
        store.get_master_netmask()
    with pytest.raises(errors.ConfigurationError):
        store.get_ssh_ports()


def test_lock_timeout(store, tmp_path, monkeypatch):
    monkeypatch.setattr(ssconf, "SSCONF_LOCK_TIMEOUT", 0.2)
    fd = os.open(str(tmp_path / "ssconf.lock"), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(errors.LockError):
            store.write_files({constants.SS_CLUSTER_NAME: "c"})
    finally:
        os.close(fd)
    store.write_files({constants.SS_CLUSTER_NAME: "c"})
    assert store.get_cluster_name() == "c"


def test_verify_keys():
    ssconf.verify_keys([constants.SS_CLUSTER_NAME, "hvparams_kvm"])
    with pytest.raises(errors.GenericError):
        ssconf.verify_keys([constants.SS_CLUSTER_NAME, "hvparams_vmware"])
    assert len(ssconf.valid_keys()) == 34


def test_default_location_follows_pathutils(moved_root):
    store = ssconf.SimpleStore()
    store.write_files({constants.SS_MASTER_NODE: "node1.example.com"})
    assert os.path.exists(os.path.join(str(moved_root), "var/lib/ganeti/ssconf_master_node"))
    assert ssconf.get_master_and_my_name()[0] == "node1.example.com"


def test_check_master(moved_root, monkeypatch):
    store = ssconf.SimpleStore()
    with pytest.raises(SystemExit) as exc:
        ssconf.check_master(False, store)  # no ssconf yet
    assert exc.value.code == constants.EXIT_NODESETUP_ERROR
    store.write_files({constants.SS_MASTER_NODE: "node1.example.com"})
    monkeypatch.setattr(ssconf, "get_my_hostname", lambda: "node2.example.com")
    with pytest.raises(SystemExit) as exc:
        ssconf.check_master(True, store)
    assert exc.value.code == constants.EXIT_NOTMASTER
    monkeypatch.setattr(ssconf, "get_my_hostname", lambda: "node1.example.com")
    ssconf.check_master(True, store)


def test_verify_cluster_name(store):
    store.write_files({constants.SS_CLUSTER_NAME: "c1"})
    ssconf.verify_cluster_name("c1", store)
    with pytest.raises(errors.GenericError):
        ssconf.verify_cluster_name("c2", store)


def test_test_cluster_helper_writes_ssconf(tmp_path):
    make_test_cluster(str(tmp_path), extra_nodes=1, write_ssconf=True)
    store = ssconf.SimpleStore(
        str(tmp_path / "var/lib/ganeti"), _lockfile=str(tmp_path / "var/lock/ganeti-ssconf.lock")
    )
    assert store.get_master_node() == "node1.example.com"
    assert store.get_online_nodes() == ["node1.example.com", "node2.example.com"]
    assert store.get_node_primary_ips() == [
        "node1.example.com 198.51.100.10",
        "node2.example.com 198.51.100.11",
    ]
    assert store.get_master_ip() == "198.51.100.100"
    assert store.get_hypervisor_list() == ["fake"]


def test_import_is_light():
    code = (
        "import sys, ganeti.ssconf; print(sorted(m for m in sys.modules if m.startswith('ganeti')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, PYTHONPATH="lib"),
        cwd=os.path.join(os.path.dirname(__file__), "..", ".."),
    ).stdout
    assert out.strip() == str(
        ["ganeti", "ganeti.constants", "ganeti.errors", "ganeti.pathutils", "ganeti.ssconf"]
    )
