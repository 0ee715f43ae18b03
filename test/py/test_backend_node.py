"""node_demote_from_mc and etc_hosts_modify on the node."""

import os

import pytest

from ganeti import backend_node
from ganeti import errors
from ganeti import pathutils


@pytest.fixture
def root(tmp_path):
    old = pathutils.get_root()
    pathutils.set_root(str(tmp_path))
    os.makedirs(pathutils.DATA_DIR)
    os.makedirs(os.path.dirname(pathutils.ETC_HOSTS))
    yield tmp_path
    pathutils.set_root(old)


def _write(path, text):
    with open(path, "w") as fh:
        fh.write(text)


def test_demote_keeps_backup(root):
    _write(pathutils.ssconf_file("master_node"), "some-other-master.example.com\n")
    _write(pathutils.CLUSTER_CONF_FILE, "{}")
    backend_node.demote_from_mc()
    assert not os.path.exists(pathutils.CLUSTER_CONF_FILE)
    assert any(n.startswith("config.data.backup-") for n in os.listdir(pathutils.DATA_DIR))
    backend_node.demote_from_mc()  # idempotent


def test_master_refuses_demotion(root):
    _write(pathutils.ssconf_file("master_node"), os.uname().nodename + "\n")
    _write(pathutils.CLUSTER_CONF_FILE, "{}")
    with pytest.raises(errors.OpExecError):
        backend_node.demote_from_mc()
    assert os.path.exists(pathutils.CLUSTER_CONF_FILE)


def test_etc_hosts(root):
    _write(pathutils.ETC_HOSTS, "127.0.0.1 localhost\n198.51.100.9 old.example.com old\n")
    backend_node.etc_hosts_modify("add", "node4.example.com", "198.51.100.4")
    backend_node.etc_hosts_modify("add", "node4.example.com", "198.51.100.44")
    text = open(pathutils.ETC_HOSTS).read()
    assert "198.51.100.44 node4.example.com node4\n" in text and "198.51.100.4 " not in text
    backend_node.etc_hosts_modify("remove", "old.example.com", None)
    assert "old.example.com" not in open(pathutils.ETC_HOSTS).read()
    assert "localhost" in open(pathutils.ETC_HOSTS).read()
    for args in (
        ("bogus", "x", None),
        ("add", "x.example.com", "not-an-ip"),
        ("add", "", "1.2.3.4"),
    ):
        with pytest.raises(errors.OpExecError):
            backend_node.etc_hosts_modify(*args)
