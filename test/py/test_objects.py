"""Tests of ganeti.objects: round trip, upgrade, tags, inheritance, policies."""

import copy
import json

import pytest

from ganeti import constants, errors, objects

SAMPLE = "/work/shared/reference/samples/config.data.json"


@pytest.fixture(scope="module")
def sample() -> dict:
    with open(SAMPLE, encoding="utf-8") as fh:
        return json.load(fh)


def test_sample_round_trip_exact(sample):
    data = objects.ConfigData.from_dict(copy.deepcopy(sample))
    assert data.to_dict() == sample


def test_sample_round_trip_through_json(sample):
    data = objects.ConfigData.from_dict(copy.deepcopy(sample))
    text = json.dumps(data.to_dict())
    assert json.loads(text) == sample


def test_sample_objects_typed(sample):
    data = objects.ConfigData.from_dict(copy.deepcopy(sample))
    assert isinstance(data.cluster, objects.Cluster)
    inst = data.instances["14f0b68e-7a77-42e9-a129-46afa01ce142"]
    assert isinstance(inst, objects.Instance)
    assert isinstance(inst.nics[0], objects.NIC)
    assert inst.disks == ["ae40b70a-7081-4ec1-97dc-9c74c5ea97e0"]
    assert isinstance(data.disks[inst.disks[0]], objects.Disk)
    assert inst.tags == set()
    assert data.cluster.tcpudp_port_pool == set()
    assert inst.network_port is None


def test_upgrade_is_noop_on_real_3_0_config(sample):
    data = objects.ConfigData.from_dict(copy.deepcopy(sample))
    data.upgrade_config()
    assert data.to_dict() == sample


def test_unknown_keys_ignored_known_kept():
    node = objects.Node.from_dict(
        {"name": "n1", "uuid": "u", "future_field": 1, "tags": ["b", "a"]}
    )
    assert node.to_dict() == {"name": "n1", "uuid": "u", "tags": ["a", "b"]}


def test_from_dict_rejects_non_dict():
    with pytest.raises(errors.ConfigurationError):
        objects.Node.from_dict(["not", "a", "dict"])
    with pytest.raises(errors.ConfigurationError):
        objects.Instance.from_dict({"name": "x", "nics": "bad"})


def test_constructor():
    inst = objects.Instance(name="i1")
    assert inst.tags == set() and inst.nics == [] and inst.disks == []
    assert inst.primary_node is None
    with pytest.raises(TypeError):
        objects.Instance(name="i1", no_such_field=1)
    # None fields are not serialized
    assert "primary_node" not in inst.to_dict()


def test_copy_is_deep():
    inst = objects.Instance(name="i1", beparams={"maxmem": 128}, nics=[objects.NIC(mac="m")])
    dup = inst.copy()
    dup.beparams["maxmem"] = 1
    dup.nics[0].mac = "other"
    assert inst.beparams["maxmem"] == 128
    assert inst.nics[0].mac == "m"
    assert dup.to_dict() != inst.to_dict()


def test_nodegroup_members_stored_empty():
    group = objects.NodeGroup(name="g", uuid="g1", members=["n1", "n2"])
    assert group.to_dict()["members"] == []
    assert group.members == ["n1", "n2"]


def test_disk_children_nested():
    drbd = objects.Disk.from_dict(
        {
            "dev_type": "drbd",
            "logical_id": ["n1", "n2", 11000, 0, 0, "secret"],
            "size": 1024,
            "children": [
                {"dev_type": "plain", "logical_id": ["xenvg", "data"], "size": 1024},
                {"dev_type": "plain", "logical_id": ["xenvg", "meta"], "size": 128},
            ],
        }
    )
    assert isinstance(drbd.children[0], objects.Disk)
    assert drbd.all_nodes == ["n1", "n2"]
    assert drbd.is_based_on_disk_type(constants.DT_PLAIN)
    assert drbd.children[0].static_dev_path() == "/dev/xenvg/data"
    drbd.record_grow(512)
    assert drbd.size == 1536 and drbd.children[0].size == 1536
    assert drbd.children[1].size == 128
    assert drbd.to_dict()["children"][0]["logical_id"] == ["xenvg", "data"]


# --- tags ---------------------------------------------------------------


def test_tags_add_remove_and_serialize_sorted():
    node = objects.Node(name="n")
    node.add_tag("zeta")
    node.add_tag("alpha:1")
    node.add_tag("alpha:1")
    assert node.get_tags() == {"zeta", "alpha:1"}
    assert node.to_dict()["tags"] == ["alpha:1", "zeta"]
    node.remove_tag("zeta")
    assert node.get_tags() == {"alpha:1"}
    with pytest.raises(errors.TagError):
        node.remove_tag("zeta")


@pytest.mark.parametrize("tag", ["", "a" * 129, "has space", "semi;colon", 5, None])
def test_invalid_tags(tag):
    with pytest.raises(errors.TagError):
        objects.Cluster().add_tag(tag)


def test_tag_limit():
    inst = objects.Instance(tags=set("t%d" % i for i in range(constants.MAX_TAGS_PER_OBJ)))
    with pytest.raises(errors.TagError):
        inst.add_tag("one-too-many")
    inst.add_tag("t0")  # already present: not an addition


def test_tags_none_becomes_set():
    net = objects.Network.from_dict({"name": "n"})
    assert net.tags is None
    assert net.get_tags() == set()
    net.add_tag("x")
    assert net.to_dict()["tags"] == ["x"]


# --- inheritance ----------------------------------------------------------


def _cluster() -> objects.Cluster:
    cluster = objects.Cluster.from_dict(
        {
            "cluster_name": "c",
            "enabled_hypervisors": ["kvm", "fake"],
            "os_hvp": {"debian": {"kvm": {"kernel_args": "quiet", "acpi": False}}},
            "osparams": {
                "debian": {"dhcp": "yes", "mirror": "a"},
                "debian+testing": {"mirror": "b"},
            },
            "osparams_private_cluster": {"debian": {"password": "p"}},
        }
    )
    cluster.upgrade_config()
    return cluster


def test_fill_dict_semantics():
    defaults = {"a": 1, "b": 2, "c": 3}
    custom = {"b": 20, "d": 4}
    result = objects.fill_dict(defaults, custom, skip_keys=["c"])
    assert result == {"a": 1, "b": 20, "d": 4}
    assert defaults == {"a": 1, "b": 2, "c": 3} and custom == {"b": 20, "d": 4}
    assert objects.fill_dict(defaults, None) == defaults


def test_fill_hvparams_cluster_os_instance():
    cluster = _cluster()
    inst = objects.Instance(hypervisor="kvm", os="debian", hvparams={"acpi": True, "vga": "std"})
    filled = cluster.fill_hvparams(inst)
    assert filled["kernel_args"] == "quiet"  # OS override
    assert filled["acpi"] is True  # instance beats OS
    assert filled["vga"] == "std"
    assert filled["kvm_path"] == constants.HVC_DEFAULTS["kvm"]["kvm_path"]  # cluster
    assert "migration_port" in filled
    assert "migration_port" not in cluster.fill_hvparams(inst, skip_globals=True)
    # an OS without overrides sees the plain cluster value
    other = objects.Instance(hypervisor="kvm", os="centos", hvparams={})
    assert cluster.fill_hvparams(other)["kernel_args"] == "ro"


def test_fill_beparams_and_nicparams():
    cluster = _cluster()
    cluster.beparams["default"]["vcpus"] = 2
    inst = objects.Instance(beparams={"maxmem": 512})
    be = cluster.fill_beparams(inst)
    assert be["maxmem"] == 512 and be["vcpus"] == 2 and be["minmem"] == 128
    nic = objects.NIC(nicparams={"link": "br1"})
    assert cluster.fill_nicparams(nic) == {"mode": "bridged", "link": "br1", "vlan": ""}
    assert cluster.fill_nicparams({}) == constants.NICC_DEFAULTS


def test_fill_osparams_variants_and_private():
    cluster = _cluster()
    inst = objects.Instance(os="debian+testing", osparams={"dhcp": "no"}, osparams_private={})
    assert cluster.fill_osparams(inst) == {"dhcp": "no", "mirror": "b", "password": "p"}
    with pytest.raises(errors.OpPrereqError):
        cluster.simple_fill_os("debian", {"password": "public!"}, {})


def test_fill_ndparams_cluster_group_node():
    cluster = _cluster()
    group = objects.NodeGroup(ndparams={"spindle_count": 4, "ssh_port": 2222})
    node = objects.Node(ndparams={"ssh_port": 22022})
    nd = cluster.fill_ndparams(node, group)
    assert nd["spindle_count"] == 4
    assert nd["ssh_port"] == 22022
    assert nd["oob_program"] == ""
    assert set(nd) == set(constants.NDC_DEFAULTS)


def test_fill_ipolicy_group_over_cluster():
    cluster = _cluster()
    group = objects.NodeGroup(
        ipolicy={"std": {"memory-size": 256}, "vcpu-ratio": 8.0, "disk-templates": ["plain"]}
    )
    policy = cluster.fill_ipolicy(group)
    assert policy["std"]["memory-size"] == 256
    assert policy["std"]["cpu-count"] == 1  # std is filled key by key
    assert policy["vcpu-ratio"] == 8.0
    assert policy["disk-templates"] == ["plain"]
    assert policy["minmax"] == constants.IPOLICY_DEFAULTS["minmax"]
    objects.InstancePolicy.check_parameter_syntax(policy, True)
    # the cluster's own policy is not modified
    assert cluster.ipolicy["std"]["memory-size"] == 128
    policy["minmax"][0]["min"]["cpu-count"] = 99
    assert cluster.ipolicy["minmax"][0]["min"]["cpu-count"] == 1


def test_fill_diskparams():
    cluster = _cluster()
    group = objects.NodeGroup(diskparams={"drbd": {"resync-rate": 1000}})
    dp = cluster.fill_diskparams(group)
    assert set(dp) == constants.DISK_TEMPLATES
    assert dp["drbd"]["resync-rate"] == 1000
    assert dp["drbd"]["protocol"] == "C"
    assert dp["plain"] == {"stripes": 1}


# --- upgrade --------------------------------------------------------------


def test_minimal_config_becomes_complete():
    data = objects.ConfigData.from_dict(
        {
            "version": constants.CONFIG_VERSION,
            "cluster": {"cluster_name": "c", "master_node": "n1", "default_bridge": "br7"},
            "nodes": {"n1": {"name": "node1", "uuid": "n1", "primary_ip": "192.0.2.1"}},
            "nodegroups": {"g1": {"name": "default", "uuid": "g1"}},
            "instances": {
                "i1": {"name": "i1", "uuid": "i1", "admin_state": "up", "beparams": {"memory": 512}}
            },
        }
    )
    data.upgrade_config()
    cluster = data.cluster
    assert cluster.hvparams["kvm"] == constants.HVC_DEFAULTS["kvm"]
    assert cluster.beparams == {"default": constants.BEC_DEFAULTS}
    assert cluster.nicparams["default"]["link"] == "br7"
    assert cluster.default_bridge is None
    assert cluster.ndparams == constants.NDC_DEFAULTS
    objects.InstancePolicy.check_parameter_syntax(cluster.ipolicy, True)
    assert set(cluster.data_collectors) == constants.DATA_COLLECTOR_NAMES
    assert cluster.enabled_disk_templates == ["diskless"]
    assert cluster.ipolicy["disk-templates"] == ["diskless"]
    assert cluster.tcpudp_port_pool == set() and cluster.highest_used_port == 10999
    node = data.nodes["n1"]
    assert node.master_capable and node.vm_capable and node.powered
    assert node.secondary_ip == "192.0.2.1"
    inst = data.instances["i1"]
    assert inst.beparams == {"maxmem": 512, "minmem": 512}
    assert inst.disks_active is True and inst.admin_state_source == "admin"
    assert data.networks == {} and data.disks == {} and data.serial_no == 1
    # upgrading twice changes nothing
    once = data.to_dict()
    data.upgrade_config()
    assert data.to_dict() == once


def test_upgrade_rejects_unknown_ipolicy_keys():
    cluster = objects.Cluster(ipolicy={"bogus": 1})
    with pytest.raises(errors.ConfigurationError):
        cluster.upgrade_config()


def test_instance_upgrade_drops_global_hvparams():
    inst = objects.Instance(hvparams={"migration_port": 1, "acpi": True})
    inst.upgrade_config()
    assert inst.hvparams == {"acpi": True}


# --- instance policy ------------------------------------------------------


def _policy() -> dict:
    return copy.deepcopy(constants.IPOLICY_DEFAULTS)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.update(bogus=1),
        lambda p: p.update({"vcpu-ratio": "x"}),
        lambda p: p.update({"vcpu-ratio": True}),
        lambda p: p.update({"disk-templates": []}),
        lambda p: p.update({"disk-templates": ["floppy"]}),
        lambda p: p.update(minmax=[]),
        lambda p: p["minmax"][0].pop("max"),
        lambda p: p["minmax"][0]["min"].pop("cpu-count"),
        lambda p: p["minmax"][0]["min"].update({"cpu-count": 100}),
        lambda p: p["std"].update({"memory-size": 1}),
        lambda p: p["minmax"][0]["min"].update({"cpu-count": "one"}),
    ],
)
def test_ipolicy_syntax_errors(mutate):
    policy = _policy()
    objects.InstancePolicy.check_parameter_syntax(policy, True)
    mutate(policy)
    with pytest.raises(errors.ConfigurationError):
        objects.InstancePolicy.check_parameter_syntax(policy, True)


def test_ipolicy_std_not_checked_without_check_std():
    policy = _policy()
    policy["std"]["memory-size"] = 1
    objects.InstancePolicy.check_parameter_syntax(policy, False)


def test_check_param_types():
    problems = objects.check_param_types(
        {"maxmem": "big", "vcpus": 2, "nosuch": 1, "auto_balance": 1},
        constants.BES_PARAMETER_TYPES,
        "be",
    )
    assert len(problems) == 3
    assert any("maxmem" in p for p in problems)
    assert any("nosuch" in p for p in problems)
    assert any("auto_balance" in p for p in problems)
