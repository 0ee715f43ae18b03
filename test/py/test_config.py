"""Tests of ganeti.config.ConfigWriter."""

import json
import os
import threading

import pytest

from ganeti import config, constants, errors, objects, serializer, ssconf
from testutils_config import make_test_cluster

SAMPLES = "/work/shared/reference/samples"


def _load_sample() -> dict:
    with open(os.path.join(SAMPLES, "config.data.json"), encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture
def sample_file(tmp_path):
    path = tmp_path / "config.data"
    path.write_bytes(serializer.dump_bytes(_load_sample()))
    return str(path)


@pytest.fixture
def cluster_file(tmp_path):
    return make_test_cluster(str(tmp_path), extra_nodes=2, instances=4)


def _open(path: str, **kwargs) -> config.ConfigWriter:
    kwargs.setdefault("accept_foreign", True)
    return config.ConfigWriter(path, **kwargs)


def _on_disk(path: str) -> dict:
    with open(path, "rb") as fh:
        return serializer.loads(fh.read())


def _fresh_dict(cfg: config.ConfigWriter) -> dict:
    """The live configuration serialized without any cache."""
    return serializer.loads(serializer.dump_bytes(cfg._data.to_dict()))


def _leftovers(path: str) -> list[str]:
    directory = os.path.dirname(path)
    return [n for n in os.listdir(directory) if n.startswith(".")]


# --- loading ----------------------------------------------------------------


def test_loads_real_sample(sample_file):
    cfg = _open(sample_file)
    assert cfg.get_cluster_name() == "cluster"
    assert cfg.get_master_node() == "668216b1-fd8a-4c20-8a92-cebb4c0d049f"
    assert cfg.get_master_node_name() == "node1"
    assert cfg.get_master_node_info().primary_ip == "198.51.100.10"
    assert cfg.verify_config() == []
    assert cfg.get_config_serial() == 53
    group = cfg.get_node_group("85a1f6e8-63ed-42f3-99d4-31417cf803f8")
    assert sorted(cfg.get_node_names(group.members)) == ["node1", "node2", "node3"]
    db1 = cfg.get_instance_info_by_name("db1")
    assert [d.size for d in cfg.get_instance_disks(db1.uuid)] == [64]
    assert cfg.get_instance_disk_template(db1.uuid) == "file"
    assert cfg.get_instance_nodes(db1.uuid) == [db1.primary_node]
    web1 = cfg.get_instance_info_by_name("web1")
    assert cfg.get_instance_disk_template(web1.uuid) == "diskless"


def test_save_of_unchanged_sample_keeps_content(sample_file):
    cfg = _open(sample_file)
    cfg.update(cfg.get_cluster_info())
    saved = _on_disk(sample_file)
    expected = _load_sample()
    assert saved["serial_no"] == expected["serial_no"] + 1
    assert saved["cluster"]["serial_no"] == expected["cluster"]["serial_no"] + 1
    for key in ("serial_no", "mtime"):
        del saved[key], expected[key]
        del saved["cluster"][key], expected["cluster"][key]
    assert saved == expected


def test_missing_file(tmp_path):
    with pytest.raises(errors.ConfigurationError):
        _open(str(tmp_path / "nope"))


def test_bad_json(tmp_path):
    path = tmp_path / "config.data"
    path.write_text("{not json")
    with pytest.raises(errors.ConfigurationError):
        _open(str(path))
    path.write_text("[1, 2]")
    with pytest.raises(errors.ConfigurationError):
        _open(str(path))


def test_version_mismatch(tmp_path):
    data = _load_sample()
    data["version"] = 2160000
    path = tmp_path / "config.data"
    path.write_bytes(serializer.dump_bytes(data))
    with pytest.raises(errors.ConfigVersionMismatch) as exc:
        _open(str(path))
    assert exc.value.args == (constants.CONFIG_VERSION, 2160000)


def test_missing_master_node(tmp_path):
    data = _load_sample()
    data["cluster"]["master_node"] = "no-such-uuid"
    path = tmp_path / "config.data"
    path.write_bytes(serializer.dump_bytes(data))
    with pytest.raises(errors.ConfigurationError):
        _open(str(path))


def test_foreign_config_refused(sample_file):
    # the sample's master is "node1", which is not this host
    with pytest.raises(errors.ConfigurationError, match="accept_foreign"):
        config.ConfigWriter(sample_file)


def test_default_path_from_pathutils(tmp_path):
    from ganeti import pathutils

    old = pathutils.get_root()
    make_test_cluster(str(tmp_path))
    try:
        pathutils.set_root(str(tmp_path))
        cfg = config.ConfigWriter(accept_foreign=True)
        assert cfg.get_cluster_name() == "cluster.example.com"
    finally:
        pathutils.set_root(old)


# --- saving ---------------------------------------------------------------


def test_update_bookkeeping_and_atomic_save(cluster_file):
    cfg = _open(cluster_file)
    inst = cfg.get_instance_info_by_name("inst1.example.com")
    serial, obj_serial, mtime = cfg.get_config_serial(), inst.serial_no, inst.mtime
    inst.beparams["maxmem"] = 512
    cfg.update(inst)
    assert cfg.get_config_serial() == serial + 1
    assert inst.serial_no == obj_serial + 1 and inst.mtime > mtime
    disk = _on_disk(cluster_file)
    assert disk["serial_no"] == serial + 1
    assert disk["instances"][inst.uuid]["beparams"] == {"maxmem": 512}
    assert disk["instances"][inst.uuid]["serial_no"] == obj_serial + 1
    assert os.stat(cluster_file).st_mode & 0o777 == 0o640
    assert _leftovers(cluster_file) == []
    assert cfg.get_config_data_bytes() == open(cluster_file, "rb").read()


def test_node_update_bumps_cluster_serial(cluster_file):
    cfg = _open(cluster_file)
    cluster_serial = cfg.get_cluster_info().serial_no
    node = cfg.get_node_info_by_name("node2.example.com")
    node.offline = True
    node.master_candidate = False
    cfg.update(node)
    assert cfg.get_cluster_info().serial_no == cluster_serial + 1
    assert "node2.example.com" in cfg.get_ssconf_values()["offline_nodes"]


def test_serialization_failure_keeps_old_file(cluster_file):
    cfg = _open(cluster_file)
    before = open(cluster_file, "rb").read()
    serial = cfg.get_config_serial()
    inst = cfg.get_instance_info_by_name("inst2.example.com")
    inst.hvparams["bad"] = object()
    with pytest.raises(errors.ConfigurationError):
        cfg.update(inst)
    assert open(cluster_file, "rb").read() == before
    assert cfg.get_config_serial() == serial
    assert _leftovers(cluster_file) == []
    del inst.hvparams["bad"]
    cfg.update(inst)
    assert _on_disk(cluster_file)["serial_no"] == serial + 1


def test_external_modification_detected(cluster_file):
    cfg = _open(cluster_file)
    data = _on_disk(cluster_file)
    data["cluster"]["cluster_name"] = "someone-else"
    with open(cluster_file, "wb") as fh:
        fh.write(serializer.dump_bytes(data) + b" ")
    with pytest.raises(errors.ConfigurationError, match="modified"):
        cfg.update(cfg.get_cluster_info())
    assert _on_disk(cluster_file)["cluster"]["cluster_name"] == "someone-else"


def test_cache_matches_full_serialization(cluster_file):
    cfg = _open(cluster_file)
    ec = "job-1"
    node_uuid = cfg.get_master_node()
    inst = objects.Instance(
        name="new.example.com",
        primary_node=node_uuid,
        os="noop",
        hypervisor="fake",
        nics=[objects.NIC(mac=cfg.generate_mac(None, ec), nicparams={})],
    )
    disk = objects.Disk(
        dev_type="file", logical_id=["loop", "/srv/x/new/d0"], size=10, nodes=[node_uuid], mode="rw"
    )
    cfg.add_instance(inst, ec, disks=[disk])
    cfg.rename_instance(inst.uuid, "renamed.example.com")
    cfg.mark_instance_up(inst.uuid)
    cfg.remove_instance(cfg.get_instance_info_by_name("inst3.example.com").uuid)
    group = objects.NodeGroup(name="g2")
    cfg.add_node_group(group, ec)
    cfg.assign_group_nodes([(cfg.get_node_info_by_name("node3.example.com").uuid, group.uuid)])
    assert _on_disk(cluster_file) == _fresh_dict(cfg)
    # and a fresh ConfigWriter reads back the same thing
    again = _open(cluster_file)
    assert _fresh_dict(again) == _fresh_dict(cfg)


def test_update_with_copy(cluster_file):
    cfg = _open(cluster_file)
    live = cfg.get_instance_info_by_name("inst1.example.com")
    dup = live.copy()
    dup.os = "debian"
    cfg.update(dup)
    assert cfg.get_instance_info(live.uuid) is dup
    stale = live  # read before the update: now outdated
    with pytest.raises(errors.ConfigurationError):
        cfg.update(stale)
    with pytest.raises(errors.ConfigurationError):
        cfg.update(objects.Instance(uuid="unknown", name="x"))
    with pytest.raises(errors.ProgrammerError):
        cfg.update(objects.NIC())


def test_save_hook(cluster_file):
    cfg = _open(cluster_file)
    calls = []
    cfg.set_save_hook(lambda data, ss: calls.append((data, ss)))
    node = cfg.get_node_info_by_name("node2.example.com")
    cfg.update(node)
    assert len(calls) == 1
    data, ss = calls[0]
    assert data == open(cluster_file, "rb").read()
    assert ss == cfg.get_ssconf_values()

    def broken(data, ss):
        raise RuntimeError("network down")

    cfg.set_save_hook(broken)
    messages = []
    cfg.update(node, messages.append)
    assert _on_disk(cluster_file)["nodes"][node.uuid]["serial_no"] == node.serial_no
    assert messages and "network down" in messages[0]


def test_offline_skips_save_hook(cluster_file):
    cfg = _open(cluster_file, offline=True)
    calls = []
    cfg.set_save_hook(lambda data, ss: calls.append(1))
    cfg.update(cfg.get_cluster_info())
    assert calls == []


def test_concurrent_updates(cluster_file):
    cfg = _open(cluster_file)
    start = cfg.get_config_serial()
    uuids = cfg.get_instance_list()
    rounds = 25
    errors_seen = []

    def worker(uuid: str) -> None:
        try:
            for i in range(rounds):
                inst = cfg.get_instance_info(uuid)
                inst.beparams["vcpus"] = i + 1
                cfg.update(inst)
                cfg.mark_instance_down(uuid) if i % 2 else cfg.mark_instance_up(uuid)
        except Exception as err:  # pragma: no cover - reported below
            errors_seen.append(err)

    threads = [threading.Thread(target=worker, args=(u,)) for u in uuids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors_seen == []
    # each update writes once; mark_up/down write only on a change (every call
    # here alternates, except the first mark_instance_up of an "up" instance)
    expected = start + len(uuids) * (rounds + rounds - 1)
    assert cfg.get_config_serial() == expected
    disk = _on_disk(cluster_file)
    assert disk["serial_no"] == expected
    for uuid in uuids:
        assert disk["instances"][uuid]["beparams"]["vcpus"] == rounds
    assert disk == _fresh_dict(cfg)


# --- lookups ----------------------------------------------------------------


def test_name_lookups_and_expansion(tmp_path):
    path = make_test_cluster(str(tmp_path), extra_nodes=1, instances=12)
    cfg = _open(path)
    uuid, name = cfg.expand_node_name("node2")
    assert name == "node2.example.com" and cfg.get_node_info(uuid).name == name
    assert cfg.expand_node_name("NODE2") == (uuid, name)
    assert cfg.expand_node_name("node2.example.com") == (uuid, name)
    assert cfg.expand_node_name("node") == (None, None)
    assert cfg.expand_node_name("node2.ex") == (None, None)
    assert cfg.expand_instance_name("inst1")[1] == "inst1.example.com"
    assert cfg.expand_instance_name("inst10")[1] == "inst10.example.com"
    assert cfg.expand_instance_name("inst") == (None, None)
    assert cfg.get_instance_info_by_name("inst1") is None  # by-name is exact
    assert cfg.get_node_info_by_name("nope") is None
    names = cfg.get_instance_names(cfg.get_instance_list())
    assert sorted(names) == sorted("inst%d.example.com" % i for i in range(1, 13))
    with pytest.raises(errors.OpExecError):
        cfg.get_node_names(["bogus"])


def test_ambiguous_short_names(cluster_file):
    cfg = _open(cluster_file)
    master = cfg.get_master_node()
    for name in ("web.a.example.com", "web.b.example.com", "db.example.com", "DB.other.org"):
        inst = objects.Instance(name=name, primary_node=master, os="noop", hypervisor="fake")
        cfg.add_instance(inst, "ec")
    assert cfg.expand_instance_name("web") == (None, None)
    assert cfg.expand_instance_name("web.a")[1] == "web.a.example.com"
    # a case-insensitive full match wins over prefix matches
    assert cfg.expand_instance_name("db.example.com")[1] == "db.example.com"
    assert cfg.expand_instance_name("db") == (None, None)
    assert cfg.expand_instance_name("DB.other.org")[1] == "DB.other.org"


def test_node_groups(cluster_file):
    cfg = _open(cluster_file)
    default = cfg.lookup_node_group(None)
    assert cfg.lookup_node_group("default") == default == cfg.lookup_node_group(default)
    with pytest.raises(errors.OpPrereqError) as exc:
        cfg.lookup_node_group("nonexistent")
    assert exc.value.args[1] == errors.ECODE_NOENT
    group = objects.NodeGroup(name="rack2", ndparams={"ssh_port": 2222})
    cfg.add_node_group(group, "ec")
    with pytest.raises(errors.OpPrereqError) as exc:
        cfg.add_node_group(objects.NodeGroup(name="rack2"), "ec")
    assert exc.value.args[1] == errors.ECODE_EXISTS
    with pytest.raises(errors.OpPrereqError):
        cfg.lookup_node_group(None)  # two groups now
    node3 = cfg.get_node_info_by_name("node3.example.com")
    cfg.assign_group_nodes([(node3.uuid, group.uuid)])
    assert cfg.get_node_group(group.uuid).members == [node3.uuid]
    assert node3.uuid not in cfg.get_node_group(default).members
    assert cfg.get_node_group_members_by_nodes([node3.uuid]) == frozenset([node3.uuid])
    assert "node3.example.com=2222" in cfg.get_ssconf_values()["ssh_ports"]
    assert "rack2" in cfg.get_ssconf_values()["nodegroups"]
    with pytest.raises(errors.OpPrereqError):
        cfg.remove_node_group(group.uuid)  # not empty
    cfg.assign_group_nodes([(node3.uuid, default)])
    cfg.remove_node_group(group.uuid)
    assert cfg.get_node_group(group.uuid) is None
    assert cfg.verify_config() == []


def test_add_remove_node(cluster_file):
    cfg = _open(cluster_file)
    node = objects.Node(
        name="node9.example.com", primary_ip="198.51.100.19", secondary_ip="198.51.100.19"
    )
    cfg.add_node(node, "ec")
    assert node.uuid and node.group == cfg.lookup_node_group("default")
    assert node.uuid in cfg.get_node_group(node.group).members
    assert "node9.example.com" in cfg.get_ssconf_values()["node_list"].split("\n")
    with pytest.raises(errors.OpPrereqError):
        cfg.add_node(objects.Node(name="node9.example.com"), "ec")
    assert cfg.expand_node_name("node9")[0] == node.uuid
    cfg.remove_node(node.uuid)
    assert cfg.get_node_info(node.uuid) is None
    assert cfg.expand_node_name("node9") == (None, None)
    assert node.uuid not in cfg.get_node_group(node.group).members
    with pytest.raises(errors.ConfigurationError):
        cfg.remove_node(node.uuid)


def test_node_lists_and_candidates(cluster_file):
    cfg = _open(cluster_file)
    assert len(cfg.get_node_list()) == 3
    n3 = cfg.get_node_info_by_name("node3.example.com")
    n3.offline, n3.master_candidate, n3.vm_capable = True, False, False
    cfg.update(n3)
    assert n3.uuid not in cfg.get_online_node_list()
    assert n3.uuid not in cfg.get_vm_capable_node_list()
    assert cfg.get_master_candidate_stats() == (2, 2, 2)
    n3.offline = False
    cfg.update(n3)
    assert cfg.get_master_candidate_stats() == (2, 3, 3)
    promoted = cfg.maintain_candidate_pool()
    assert [n.name for n in promoted] == ["node3.example.com"]
    assert cfg.get_master_candidate_stats() == (3, 3, 3)


# --- instances ----------------------------------------------------------------


def test_add_instance_with_disks_and_remove(cluster_file):
    cfg = _open(cluster_file)
    ec = "job-7"
    master = cfg.get_master_node()
    port = cfg.allocate_port()
    assert port == constants.FIRST_DRBD_PORT
    inst = objects.Instance(
        name="vm.example.com",
        primary_node=master,
        os="noop",
        hypervisor="fake",
        network_port=port,
        nics=[objects.NIC(mac=cfg.generate_mac(None, ec))],
    )
    disks = [
        objects.Disk(
            dev_type="file",
            logical_id=["loop", "/srv/f/vm.example.com/d%d" % i],
            size=100 * (i + 1),
            nodes=[master],
        )
        for i in range(2)
    ]
    cfg.add_instance(inst, ec, disks=disks)
    assert [d.iv_name for d in cfg.get_instance_disks(inst.uuid)] == ["disk/0", "disk/1"]
    assert [d.size for d in cfg.get_instance_disks(inst.uuid)] == [100, 200]
    assert cfg.get_disk_info(disks[0].uuid) is disks[0]
    extra = objects.Disk(
        dev_type="file", logical_id=["loop", "/srv/f/vm.example.com/x"], size=5, nodes=[master]
    )
    cfg.add_instance_disk(inst.uuid, extra, idx=0)
    assert [d.iv_name for d in cfg.get_instance_disks(inst.uuid)] == ["disk/0", "disk/1", "disk/2"]
    assert cfg.get_instance_disks(inst.uuid)[0] is extra
    cfg.remove_instance_disk(inst.uuid, extra.uuid)
    assert cfg.get_disk_info(extra.uuid) is None
    cfg.rename_instance(inst.uuid, "vm2.example.com")
    assert cfg.get_instance_disks(inst.uuid)[0].logical_id == ["loop", "/srv/f/vm2.example.com/d0"]
    assert "vm2.example.com" in cfg.get_ssconf_values()["instance_list"]
    assert cfg.verify_config() == []
    cfg.remove_instance(inst.uuid)
    assert cfg.get_instance_info(inst.uuid) is None
    assert all(cfg.get_disk_info(d.uuid) is None for d in disks)
    assert port in cfg.get_cluster_info().tcpudp_port_pool
    assert cfg.allocate_port() == port
    assert "vm2.example.com" not in cfg.get_ssconf_values()["instance_list"]
    assert cfg.verify_config() == []


def test_add_instance_checks(cluster_file):
    cfg = _open(cluster_file)
    master = cfg.get_master_node()
    taken = cfg.get_instance_info_by_name("inst1.example.com").nics[0].mac
    with pytest.raises(errors.ConfigurationError, match="MAC"):
        cfg.add_instance(
            objects.Instance(name="x", primary_node=master, nics=[objects.NIC(mac=taken)]), "ec"
        )
    with pytest.raises(errors.OpPrereqError):
        cfg.add_instance(objects.Instance(name="inst1.example.com", primary_node=master), "ec")
    with pytest.raises(errors.ConfigurationError):
        cfg.add_instance(objects.Instance(name="y", primary_node="nowhere"), "ec")
    with pytest.raises(errors.ConfigurationError):
        cfg.add_instance(objects.Instance(name="z", primary_node=master, disks=["no-disk"]), "ec")
    with pytest.raises(errors.ProgrammerError):
        cfg.add_instance(objects.Node(name="n"), "ec")


def test_admin_state(cluster_file):
    cfg = _open(cluster_file)
    uuid = cfg.get_instance_info_by_name("inst1.example.com").uuid
    serial = cfg.get_config_serial()
    cfg.mark_instance_up(uuid)  # already up: no write
    assert cfg.get_config_serial() == serial
    inst = cfg.mark_instance_down(uuid)
    assert (inst.admin_state, inst.disks_active) == ("down", True)
    inst = cfg.mark_instance_user_down(uuid)
    assert inst.admin_state_source == "user"
    inst = cfg.mark_instance_offline(uuid)
    assert (inst.admin_state, inst.disks_active) == ("offline", False)
    cfg.mark_instance_disks_active(uuid)
    assert cfg.get_instance_info(uuid).disks_active is True
    assert cfg.get_config_serial() == serial + 4
    with pytest.raises(errors.ProgrammerError):
        cfg.set_instance_admin_state(uuid, "sideways")
    with pytest.raises(errors.ConfigurationError):
        cfg.mark_instance_up("no-such-instance")


def test_reservations(cluster_file):
    cfg = _open(cluster_file)
    ids = {cfg.generate_unique_id("a") for _ in range(50)}
    assert len(ids) == 50
    mac = cfg.generate_mac(None, "a")
    assert mac.startswith("aa:00:00:")
    with pytest.raises(errors.ReservationError):
        cfg.reserve_mac(mac, "b")
    in_use = cfg.get_instance_info_by_name("inst1.example.com").nics[0].mac
    with pytest.raises(errors.ReservationError):
        cfg.reserve_mac(in_use, "b")
    cfg.drop_ec_reservations("a")
    cfg.reserve_mac(mac, "b")
    secret = cfg.generate_drbd_secret("b")
    assert len(secret) == 40
    cfg.reserve_lv("xenvg/lv1", "b")
    with pytest.raises(errors.ReservationError):
        cfg.reserve_lv("xenvg/lv1", "c")


def test_networks_and_ips(cluster_file):
    cfg = _open(cluster_file)
    net = objects.Network(
        name="net1",
        network="192.0.2.0/29",
        gateway="192.0.2.1",
        mac_prefix="bb:00:00",
        ext_reservations="11000001",
    )
    cfg.add_network(net, "ec")
    assert cfg.lookup_network("net1") == net.uuid
    assert cfg.lookup_network(None) is None
    with pytest.raises(errors.OpPrereqError):
        cfg.lookup_network("net2")
    assert cfg.generate_mac(net.uuid, "ec").startswith("bb:00:00:")
    first = cfg.generate_ip(net.uuid, "ec")
    assert first == "192.0.2.2"
    with pytest.raises(errors.ReservationError):
        cfg.reserve_ip(net.uuid, first, "other")
    with pytest.raises(errors.ReservationError):
        cfg.reserve_ip(net.uuid, "192.0.2.1", "other")  # gateway, externally reserved
    with pytest.raises(errors.AddressPoolError):
        cfg.reserve_ip(net.uuid, "10.0.0.1", "other")
    inst = objects.Instance(
        name="ipvm",
        primary_node=cfg.get_master_node(),
        nics=[objects.NIC(mac="bb:00:00:00:00:01", ip=first, network=net.uuid)],
    )
    cfg.add_instance(inst, "ec")
    assert cfg.get_network(net.uuid).reservations == "00100000"
    assert "net1" in cfg.get_ssconf_values()["networks"]
    cfg.remove_instance(inst.uuid)
    assert cfg.get_network(net.uuid).reservations == "00000000"
    cfg.remove_network(net.uuid)
    assert cfg.get_all_networks_info() == {}


def test_drbd_minors(cluster_file):
    cfg = _open(cluster_file)
    n1, n2 = cfg.get_node_list()[:2]
    assert cfg.allocate_drbd_minor([n1, n2], "disk-a") == [0, 0]
    assert cfg.allocate_drbd_minor([n1], "disk-b") == [1]
    assert cfg.compute_drbd_map()[n1] == {0: "disk-a", 1: "disk-b"}
    cfg.release_drbd_minors("disk-a")
    assert cfg.allocate_drbd_minor([n2], "disk-c") == [0]


# --- ssconf -----------------------------------------------------------------


def _sample_ssconf() -> dict[str, str]:
    result = {}
    with open(os.path.join(SAMPLES, "ssconf-files.txt"), encoding="utf-8") as fh:
        for line in fh:
            name, _, content = line.rstrip("\n").partition(": ")
            result[name[len("ssconf_") :]] = content.replace("|", "\n")
    return result


def test_ssconf_values_match_real_ganeti(sample_file, tmp_path):
    cfg = _open(sample_file)
    values = cfg.get_ssconf_values()
    expected = _sample_ssconf()
    assert set(values) == set(expected) == ssconf.valid_keys()
    store = ssconf.SimpleStore(str(tmp_path / "ss"), _lockfile=str(tmp_path / "lock"))
    os.makedirs(str(tmp_path / "ss"))
    store.write_files(values)
    for key, content in expected.items():
        written = open(store.key_to_filename(key), encoding="utf-8").read()
        if content and not content.endswith("\n"):  # the sample shows first bytes only
            assert written.startswith(content), key
        else:
            assert written == content, key


def test_ssconf_cache_follows_changes(cluster_file):
    cfg = _open(cluster_file)
    before = cfg.get_ssconf_values()
    cluster = cfg.get_cluster_info()
    cluster.add_tag("blue")
    cluster.master_netdev = "eth7"
    cfg.update(cluster)
    after = cfg.get_ssconf_values()
    assert after["cluster_tags"] == "blue" and after["master_netdev"] == "eth7"
    assert before["master_netdev"] == "lo"
    after["master_netdev"] = "mutated"  # callers get a copy
    assert cfg.get_ssconf_values()["master_netdev"] == "eth7"


# --- verify ---------------------------------------------------------------------


def _verify_with(tmp_path, mutate) -> list[str]:
    data = _load_sample()
    mutate(data)
    path = tmp_path / "config.data"
    path.write_bytes(serializer.dump_bytes(data))
    return _open(str(path)).verify_config()


NODE1 = "668216b1-fd8a-4c20-8a92-cebb4c0d049f"
NODE3 = "40e1151f-d00e-4414-bf40-7e070f27338b"
DB1 = "14f0b68e-7a77-42e9-a129-46afa01ce142"
WEB1 = "b49c7916-4ce7-4278-b3fd-1ad4328a3ff2"


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (lambda d: d["nodes"][NODE1].update(master_candidate=False), "not a master candidate"),
        (lambda d: d["nodes"][NODE3].update(group="nogroup"), "invalid group"),
        (lambda d: d["instances"][WEB1].update(primary_node="ghost"), "invalid primary node"),
        (
            lambda d: d["instances"][WEB1]["nics"][0].update(
                mac=d["instances"][DB1]["nics"][0]["mac"]
            ),
            "duplicate MAC",
        ),
        (lambda d: d["instances"][WEB1].update(name="db1"), "duplicate instance name"),
        (lambda d: d["instances"][WEB1]["beparams"].update(maxmem="lots"), "maxmem"),
        (lambda d: d["instances"][WEB1]["disks"].append("ghost-disk"), "unknown disk"),
        (lambda d: d["nodes"][NODE3].update(primary_ip="198.51.100.10"), "198.51.100.10"),
        (lambda d: d["nodes"][NODE3].update(offline=True), "state is invalid"),
        (lambda d: d["instances"][WEB1].update(hypervisor="kvm"), "not enabled"),
        (
            lambda d: d["disks"].update(
                orphan={"uuid": "orphan", "dev_type": "file", "mode": "rw", "size": 1}
            ),
            "not attached",
        ),
        (lambda d: d["cluster"]["ipolicy"]["std"].update({"memory-size": 1}), "instance policy"),
    ],
)
def test_verify_catches_planted_errors(tmp_path, mutate, needle):
    problems = _verify_with(tmp_path, mutate)
    assert any(needle in p for p in problems), problems


def test_disk_changed_then_instance_updated_is_saved(sample_file):
    cfg = _open(sample_file)
    db1 = cfg.get_instance_info_by_name("db1")
    disk = cfg.get_instance_disks(db1.uuid)[0]
    disk.record_grow(36)
    cfg.update(db1)
    assert _on_disk(sample_file)["disks"][disk.uuid]["size"] == 100
    disk.record_grow(28)
    cfg.update(disk)
    saved = _on_disk(sample_file)["disks"][disk.uuid]
    assert saved["size"] == 128 and saved["serial_no"] == 2


def test_group_and_multi_lookups(sample_file):
    cfg = _open(sample_file)
    group = "85a1f6e8-63ed-42f3-99d4-31417cf803f8"
    assert cfg.get_node_groups_from_nodes([NODE1, NODE3]) == frozenset([group])
    assert cfg.get_instance_node_groups(DB1) == frozenset([group])
    assert cfg.get_multi_instance_info([DB1, "x"]) == [
        (DB1, cfg.get_instance_info(DB1)),
        ("x", None),
    ]
    assert cfg.get_multi_node_info([NODE1])[0][1].name == "node1"
    pri, sec = cfg.get_node_instances(NODE1)
    assert pri == [WEB1] and sec == []


def test_filter_rules(cluster_file):
    cfg = _open(cluster_file)
    rule = objects.FilterRule(
        watermark=10,
        priority=0,
        predicates=[["jobid", [">", "id", 5]]],
        action="REJECT",
        reason_trail=[],
    )
    cfg.add_filter_rule(rule, "ec")
    assert cfg.get_filter_rule(rule.uuid) is rule and rule.serial_no == 1
    assert _on_disk(cluster_file)["filters"][rule.uuid]["action"] == "REJECT"
    replacement = objects.FilterRule(
        uuid=rule.uuid, watermark=10, priority=1, predicates=[], action="ACCEPT", reason_trail=[]
    )
    cfg.add_filter_rule(replacement, "ec")
    assert cfg.get_all_filters_info() == {rule.uuid: replacement}
    assert replacement.serial_no == 2
    cfg.remove_filter_rule(rule.uuid)
    assert _on_disk(cluster_file)["filters"] == {}
    with pytest.raises(errors.OpPrereqError):
        cfg.remove_filter_rule(rule.uuid)
