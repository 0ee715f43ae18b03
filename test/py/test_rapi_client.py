"""The RAPI client: the request each method sends, and how answers come back.

A fake curl handle records each request (verb, path with query, JSON body)
and plays the answer; the table lists one or more calls per public method
with the request Ganeti's RAPI expects for it.
"""

import pycurl
import pytest

from ganeti import serializer
from ganeti.rapi import client

BASE = "https://rapi.example.com:5080"


class FakeCurl:
    """Records requests; answers with ``answer`` (JSON) and ``code``."""

    def __init__(self) -> None:
        self.opts: dict = {}
        self.sent: list = []
        self.answer = None
        self.code = 200
        self.error: pycurl.error | None = None
        self.closed = False
        self.base = BASE

    def setopt(self, opt, value):
        self.opts[opt] = value

    def perform(self):
        if self.error is not None:
            raise self.error
        body = self.opts.get(pycurl.POSTFIELDS) or b""
        url = self.opts[pycurl.URL]
        assert url.startswith(self.base)
        self.sent.append(
            (
                self.opts[pycurl.CUSTOMREQUEST],
                url[len(self.base) :],
                serializer.loads(body) if body else None,
            )
        )
        self.opts[pycurl.WRITEFUNCTION](serializer.dump_bytes(self.answer))

    def getinfo(self, what):
        assert what == pycurl.RESPONSE_CODE
        return self.code

    def close(self):
        self.closed = True


def _client(**kwargs):
    fake = FakeCurl()
    return fake, client.GanetiRapiClient("rapi.example.com", curl_factory=lambda: fake, **kwargs)


# method, args, kwargs, answer, (verb, path?query, body), result
# fmt: off
REQUESTS = [
    ("GetVersion", (), {}, 2,
     ("GET", "/version", None), 2),
    ("GetFeatures", (), {}, ["instance-create-reqv1"],
     ("GET", "/2/features", None), ["instance-create-reqv1"]),
    ("GetOperatingSystems", (), {"reason": "why"}, ["debootstrap+default"],
     ("GET", "/2/os?reason=why", None), ["debootstrap+default"]),
    ("GetInfo", (), {}, {"name": "cluster"},
     ("GET", "/2/info", None), {"name": "cluster"}),
    ("RedistributeConfig", (), {"reason": "why"}, 1,
     ("PUT", "/2/redistribute-config?reason=why", None), 1),
    ("ModifyCluster", (), {"reason": "why", "candidate_pool_size": 3}, 2,
     ("PUT", "/2/modify?reason=why", {"candidate_pool_size": 3}), 2),
    ("GetClusterTags", (), {}, ["a"],
     ("GET", "/2/tags", None), ["a"]),
    ("AddClusterTags", (["a", "b"],), {"dry_run": True, "reason": "why"}, 3,
     ("PUT", "/2/tags?tag=a&tag=b&dry-run=1&reason=why", None), 3),
    ("DeleteClusterTags", (["a"],), {}, 4,
     ("DELETE", "/2/tags?tag=a", None), 4),
    ("GetInstances", (), {}, [{"id": "i1", "uri": "/2/instances/i1"}],
     ("GET", "/2/instances", None), ["i1"]),
    ("GetInstances", (), {"bulk": True, "reason": "why"}, [{"name": "i1"}],
     ("GET", "/2/instances?bulk=1&reason=why", None), [{"name": "i1"}]),
    ("GetInstance", ("inst 1",), {"reason": "why"}, {"name": "inst 1"},
     ("GET", "/2/instances/inst%201?reason=why", None), {"name": "inst 1"}),
    ("GetInstanceInfo", ("i1",), {"static": True}, 5,
     ("GET", "/2/instances/i1/info?static=1", None), 5),
    ("GetInstanceInfo", ("i1",), {}, 5,
     ("GET", "/2/instances/i1/info", None), 5),
    ("InstancesMultiAlloc", ([{"name": "i1"}],), {"dry_run": True, "iallocator": "hail"}, 6,
     ("POST", "/2/instances-multi-alloc?dry-run=1",
      {"instances": [{"name": "i1"}], "iallocator": "hail"}),
     6),
    ("CreateInstance", ("create", "i1", "plain", [{"size": 1}], [{}]),
     {"dry_run": True, "reason": "why", "os": "debian", "pnode": None}, 7,
     ("POST", "/2/instances?dry-run=1&reason=why",
      {"mode": "create", "name": "i1", "disk_template": "plain", "disks": [{"size": 1}], "nics": [{}], "os": "debian", "__version__": 1}),
     7),
    ("DeleteInstance", ("i1",), {"dry_run": True, "shutdown_timeout": 5}, 8,
     ("DELETE", "/2/instances/i1?dry-run=1", {"shutdown_timeout": 5}), 8),
    ("ModifyInstance", ("i1",), {"beparams": {"maxmem": 256}}, 9,
     ("PUT", "/2/instances/i1/modify", {"beparams": {"maxmem": 256}}), 9),
    ("ActivateInstanceDisks", ("i1",), {"ignore_size": True, "reason": "why"}, 10,
     ("PUT", "/2/instances/i1/activate-disks?ignore_size=1&reason=why", None), 10),
    ("DeactivateInstanceDisks", ("i1",), {"force": True}, 11,
     ("PUT", "/2/instances/i1/deactivate-disks?force=1", None), 11),
    ("RecreateInstanceDisks", ("i1",), {"disks": [0], "nodes": ["n1"], "iallocator": "hail"}, 12,
     ("POST", "/2/instances/i1/recreate-disks",
      {"disks": [0], "nodes": ["n1"], "iallocator": "hail"}),
     12),
    ("RecreateInstanceDisks", ("i1",), {}, 12,
     ("POST", "/2/instances/i1/recreate-disks", {}), 12),
    ("GrowInstanceDisk", ("i1", 0, 1024), {"wait_for_sync": False, "reason": "why"}, 13,
     ("POST", "/2/instances/i1/disk/0/grow?reason=why",
      {"amount": 1024, "wait_for_sync": False}),
     13),
    ("GetInstanceTags", ("i1",), {}, ["t"],
     ("GET", "/2/instances/i1/tags", None), ["t"]),
    ("AddInstanceTags", ("i1", ["t"]), {"dry_run": True}, 14,
     ("PUT", "/2/instances/i1/tags?tag=t&dry-run=1", None), 14),
    ("DeleteInstanceTags", ("i1", ["t", "u"]), {"reason": "why"}, 15,
     ("DELETE", "/2/instances/i1/tags?tag=t&tag=u&reason=why", None), 15),
    ("RebootInstance", ("i1",),
     {"reboot_type": "hard", "ignore_secondaries": False, "dry_run": True, "reason": "why", "shutdown_timeout": 30}, 16,
     ("POST", "/2/instances/i1/reboot?dry-run=1&type=hard&ignore_secondaries=0&reason=why",
      {"shutdown_timeout": 30}),
     16),
    ("RebootInstance", ("i1",), {}, 16,
     ("POST", "/2/instances/i1/reboot", {}), 16),
    ("ShutdownInstance", ("i1",), {"dry_run": True, "no_remember": True, "timeout": 60}, 17,
     ("PUT", "/2/instances/i1/shutdown?dry-run=1&no_remember=1", {"timeout": 60}), 17),
    ("StartupInstance", ("i1",), {"no_remember": True, "reason": "why"}, 18,
     ("PUT", "/2/instances/i1/startup?no_remember=1&reason=why", None), 18),
    ("ReinstallInstance", ("i1",), {"os": "debian", "no_startup": True, "osparams": {"a": "b"}}, 19,
     ("POST", "/2/instances/i1/reinstall",
      {"start": False, "os": "debian", "osparams": {"a": "b"}}),
     19),
    ("ReinstallInstance", ("i1",), {}, 19,
     ("POST", "/2/instances/i1/reinstall", {"start": True}), 19),
    ("ReplaceInstanceDisks", ("i1",),
     {"disks": [0, 1], "mode": "replace_new_secondary", "remote_node": "n2", "early_release": True}, 20,
     ("POST", "/2/instances/i1/replace-disks",
      {"mode": "replace_new_secondary", "disks": [0, 1], "remote_node": "n2", "early_release": True}),
     20),
    ("ReplaceInstanceDisks", ("i1",), {}, 20,
     ("POST", "/2/instances/i1/replace-disks", {"mode": "replace_auto"}), 20),
    ("PrepareExport", ("i1", "remote"), {"reason": "why"}, 21,
     ("PUT", "/2/instances/i1/prepare-export?mode=remote&reason=why", None), 21),
    ("ExportInstance", ("i1", "local", "n2"),
     {"shutdown": True, "remove_instance": False, "compress": "gzip", "reason": "why"}, 22,
     ("PUT", "/2/instances/i1/export?reason=why",
      {"destination": "n2", "mode": "local", "shutdown": True, "remove_instance": False, "compress": "gzip"}),
     22),
    ("MigrateInstance", ("i1",), {"mode": "live", "cleanup": False, "target_node": "n2"}, 23,
     ("PUT", "/2/instances/i1/migrate",
      {"mode": "live", "cleanup": False, "target_node": "n2"}),
     23),
    ("FailoverInstance", ("i1",), {"iallocator": "hail", "ignore_consistency": True}, 24,
     ("PUT", "/2/instances/i1/failover", {"iallocator": "hail", "ignore_consistency": True}), 24),
    ("RenameInstance", ("i1", "i2"), {"ip_check": False, "name_check": True}, 25,
     ("PUT", "/2/instances/i1/rename",
      {"new_name": "i2", "ip_check": False, "name_check": True}),
     25),
    ("GetInstanceConsole", ("i1",), {}, {"kind": "ssh"},
     ("GET", "/2/instances/i1/console", None), {"kind": "ssh"}),
    ("GetJobs", (), {}, [{"id": "3", "uri": "/2/jobs/3"}],
     ("GET", "/2/jobs", None), [3]),
    ("GetJobs", (), {"bulk": True}, [{"id": 3}],
     ("GET", "/2/jobs?bulk=1", None), [{"id": 3}]),
    ("GetJobStatus", (3,), {}, {"status": "running"},
     ("GET", "/2/jobs/3", None), {"status": "running"}),
    ("WaitForJobCompletion", (3,), {"period": 0}, {"status": "success"},
     ("GET", "/2/jobs/3", None), True),
    ("WaitForJobCompletion", (3,), {"period": 0, "retries": 0}, {"status": "running"},
     ("GET", "/2/jobs/3", None), False),
    ("WaitForJobCompletion", (3,), {"period": 0}, {"status": "error"},
     ("GET", "/2/jobs/3", None), False),
    ("WaitForJobChange", (3, ["status"], None, 2), {}, {"job_info": ["running"]},
     ("GET", "/2/jobs/3/wait",
      {"fields": ["status"], "previous_job_info": None, "previous_log_serial": 2}),
     {"job_info": ["running"]}),
    ("CancelJob", (3,), {"dry_run": True}, [True, "canceled"],
     ("DELETE", "/2/jobs/3?dry-run=1", None), [True, "canceled"]),
    ("GetNodes", (), {}, [{"id": "n1"}],
     ("GET", "/2/nodes", None), ["n1"]),
    ("GetNodes", (), {"bulk": True}, [{"name": "n1"}],
     ("GET", "/2/nodes?bulk=1", None), [{"name": "n1"}]),
    ("GetNode", ("n1",), {}, {"name": "n1"},
     ("GET", "/2/nodes/n1", None), {"name": "n1"}),
    ("EvacuateNode", ("n1",),
     {"iallocator": "hail", "dry_run": True, "early_release": True, "mode": "all", "reason": "why"}, 26,
     ("POST", "/2/nodes/n1/evacuate?dry-run=1&reason=why",
      {"iallocator": "hail", "early_release": True, "mode": "all"}),
     26),
    ("EvacuateNode", ("n1",), {"remote_node": "n2"}, 26,
     ("POST", "/2/nodes/n1/evacuate", {"remote_node": "n2"}), 26),
    ("MigrateNode", ("n1",), {"mode": "live", "dry_run": True, "target_node": "n2"}, 27,
     ("POST", "/2/nodes/n1/migrate?dry-run=1", {"mode": "live", "target_node": "n2"}), 27),
    ("MigrateNode", ("n1",), {"iallocator": "hail"}, 27,
     ("POST", "/2/nodes/n1/migrate", {"iallocator": "hail"}), 27),
    ("GetNodeRole", ("n1",), {}, "regular",
     ("GET", "/2/nodes/n1/role", None), "regular"),
    ("SetNodeRole", ("n1", "drained"), {"force": True, "auto_promote": False, "reason": "why"}, 28,
     ("PUT", "/2/nodes/n1/role?force=1&auto-promote=0&reason=why", "drained"), 28),
    ("PowercycleNode", ("n1",), {"force": True}, 29,
     ("POST", "/2/nodes/n1/powercycle?force=1", None), 29),
    ("ModifyNode", ("n1",), {"drained": True, "reason": "why"}, 30,
     ("POST", "/2/nodes/n1/modify?reason=why", {"drained": True}), 30),
    ("GetNodeStorageUnits", ("n1", "file", "name,size"), {"reason": "why"}, 31,
     ("GET", "/2/nodes/n1/storage?storage_type=file&output_fields=name%2Csize&reason=why",
      None),
     31),
    ("ModifyNodeStorageUnits", ("n1", "lvm-pv", "/dev/sda"), {"allocatable": False}, 32,
     ("PUT", "/2/nodes/n1/storage/modify?storage_type=lvm-pv&name=%2Fdev%2Fsda&allocatable=0",
      None),
     32),
    ("RepairNodeStorageUnits", ("n1", "lvm-vg", "xenvg"), {}, 33,
     ("PUT", "/2/nodes/n1/storage/repair?storage_type=lvm-vg&name=xenvg", None), 33),
    ("GetNodeTags", ("n1",), {"reason": "why"}, ["t"],
     ("GET", "/2/nodes/n1/tags?reason=why", None), ["t"]),
    ("AddNodeTags", ("n1", ["t"]), {}, 34,
     ("PUT", "/2/nodes/n1/tags?tag=t", None), 34),
    ("DeleteNodeTags", ("n1", ["t"]), {"dry_run": True}, 35,
     ("DELETE", "/2/nodes/n1/tags?tag=t&dry-run=1", None), 35),
    ("GetNetworks", (), {}, [{"name": "net1"}],
     ("GET", "/2/networks", None), ["net1"]),
    ("GetNetworks", (), {"bulk": True}, [{"name": "net1", "network": "10.0.0.0/24"}],
     ("GET", "/2/networks?bulk=1", None), [{"name": "net1", "network": "10.0.0.0/24"}]),
    ("GetNetwork", ("net1",), {}, {"name": "net1"},
     ("GET", "/2/networks/net1", None), {"name": "net1"}),
    ("CreateNetwork", ("net1", "10.0.0.0/24"),
     {"gateway": "10.0.0.1", "tags": ["x"], "dry_run": True}, 36,
     ("POST", "/2/networks?dry-run=1",
      {"network_name": "net1", "network": "10.0.0.0/24", "gateway": "10.0.0.1", "network6": None, "gateway6": None, "mac_prefix": None, "add_reserved_ips": None, "tags": ["x"]}),
     36),
    ("CreateNetwork", ("net1", "10.0.0.0/24"), {}, 36,
     ("POST", "/2/networks",
      {"network_name": "net1", "network": "10.0.0.0/24", "gateway": None, "network6": None, "gateway6": None, "mac_prefix": None, "add_reserved_ips": None, "tags": []}),
     36),
    ("ConnectNetwork", ("net1", "g1", "bridged", "br0"), {"vlan": "10", "reason": "why"}, 37,
     ("PUT", "/2/networks/net1/connect?reason=why",
      {"group_name": "g1", "network_mode": "bridged", "network_link": "br0", "network_vlan": "10"}),
     37),
    ("DisconnectNetwork", ("net1", "g1"), {"dry_run": True}, 38,
     ("PUT", "/2/networks/net1/disconnect?dry-run=1", {"group_name": "g1"}), 38),
    ("ModifyNetwork", ("net1",), {"gateway": "10.0.0.2"}, 39,
     ("PUT", "/2/networks/net1/modify", {"gateway": "10.0.0.2"}), 39),
    ("DeleteNetwork", ("net1",), {"dry_run": True}, 40,
     ("DELETE", "/2/networks/net1?dry-run=1", None), 40),
    ("GetNetworkTags", ("net1",), {}, ["t"],
     ("GET", "/2/networks/net1/tags", None), ["t"]),
    ("AddNetworkTags", ("net1", ["t"]), {"reason": "why"}, 41,
     ("PUT", "/2/networks/net1/tags?tag=t&reason=why", None), 41),
    ("DeleteNetworkTags", ("net1", ["t"]), {}, 42,
     ("DELETE", "/2/networks/net1/tags?tag=t", None), 42),
    ("GetGroups", (), {}, [{"name": "g1"}],
     ("GET", "/2/groups", None), ["g1"]),
    ("GetGroups", (), {"bulk": True}, [{"name": "g1", "uuid": "u"}],
     ("GET", "/2/groups?bulk=1", None), [{"name": "g1", "uuid": "u"}]),
    ("GetGroup", ("g1",), {"reason": "why"}, {"name": "g1"},
     ("GET", "/2/groups/g1?reason=why", None), {"name": "g1"}),
    ("CreateGroup", ("g1",), {"alloc_policy": "preferred", "dry_run": True}, 43,
     ("POST", "/2/groups?dry-run=1", {"name": "g1", "alloc_policy": "preferred"}), 43),
    ("ModifyGroup", ("g1",), {"alloc_policy": "unallocable"}, 44,
     ("PUT", "/2/groups/g1/modify", {"alloc_policy": "unallocable"}), 44),
    ("DeleteGroup", ("g1",), {"dry_run": True, "reason": "why"}, 45,
     ("DELETE", "/2/groups/g1?dry-run=1&reason=why", None), 45),
    ("RenameGroup", ("g1", "g2"), {}, 46,
     ("PUT", "/2/groups/g1/rename", {"new_name": "g2"}), 46),
    ("AssignGroupNodes", ("g1", ["n1", "n2"]),
     {"force": True, "dry_run": True, "reason": "why"}, 47,
     ("PUT", "/2/groups/g1/assign-nodes?force=1&dry-run=1&reason=why",
      {"nodes": ["n1", "n2"]}),
     47),
    ("GetGroupTags", ("g1",), {}, ["t"],
     ("GET", "/2/groups/g1/tags", None), ["t"]),
    ("AddGroupTags", ("g1", ["t"]), {"dry_run": True}, 48,
     ("PUT", "/2/groups/g1/tags?tag=t&dry-run=1", None), 48),
    ("DeleteGroupTags", ("g1", ["t"]), {}, 49,
     ("DELETE", "/2/groups/g1/tags?tag=t", None), 49),
    ("Query", ("instance", ["name", "status"]),
     {"qfilter": ["=", "name", "i1"], "reason": "why"}, {"data": []},
     ("PUT", "/2/query/instance?reason=why",
      {"fields": ["name", "status"], "qfilter": ["=", "name", "i1"], "filter": ["=", "name", "i1"]}),
     {"data": []}),
    ("Query", ("node", ["name"]), {}, {"data": []},
     ("PUT", "/2/query/node", {"fields": ["name"]}), {"data": []}),
    ("QueryFields", ("instance",), {"fields": ["name", "os"]}, {"fields": []},
     ("GET", "/2/query/instance/fields?fields=name%2Cos", None), {"fields": []}),
    ("QueryFields", ("lock",), {}, {"fields": []},
     ("GET", "/2/query/lock/fields", None), {"fields": []}),
    ("GetFilters", (), {}, [{"uuid": "f1"}],
     ("GET", "/2/filters", None), ["f1"]),
    ("GetFilters", (), {"bulk": True}, [{"uuid": "f1", "priority": 0}],
     ("GET", "/2/filters?bulk=1", None), [{"uuid": "f1", "priority": 0}]),
    ("GetFilter", ("f 1",), {}, {"uuid": "f 1"},
     ("GET", "/2/filters/f%201", None), {"uuid": "f 1"}),
    ("AddFilter", (0, [["jobid", [">", "id", "watermark"]]], "REJECT"), {}, "f2",
     ("POST", "/2/filters",
      {"priority": 0, "predicates": [["jobid", [">", "id", "watermark"]]], "action": "REJECT", "reason": []}),
     "f2"),
    ("ReplaceFilter", ("f2", 1, [], "ACCEPT"), {"reason_trail": [["src", "r", 1]]}, "f2",
     ("PUT", "/2/filters/f2",
      {"priority": 1, "predicates": [], "action": "ACCEPT", "reason": [["src", "r", 1]]}),
     "f2"),
    ("DeleteFilter", ("f2",), {}, None,
     ("DELETE", "/2/filters/f2", None), None),
]
# fmt: on


@pytest.mark.parametrize(
    "method,args,kwargs,answer,request_sent,result",
    REQUESTS,
    ids=["%s-%d" % (r[0], i) for i, r in enumerate(REQUESTS)],
)
def test_request_of_each_method(method, args, kwargs, answer, request_sent, result):
    fake, cl = _client()
    fake.answer = answer
    assert getattr(cl, method)(*args, **kwargs) == result
    assert fake.sent == [request_sent]


def test_every_public_method_is_in_the_table():
    public = {n for n in dir(client.GanetiRapiClient) if n[:1].isupper()}
    public -= {"USER_AGENT", "InstanceAllocation"}
    assert public == {r[0] for r in REQUESTS}


def test_connection_setup_and_auth():
    fake, cl = _client(username="admin", password="secret")
    fake.answer = 2
    assert cl.GetVersion() == 2
    assert fake.opts[pycurl.USERAGENT] == "Ganeti RAPI Client"
    assert fake.opts[pycurl.USERPWD] == "admin:secret"
    assert fake.opts[pycurl.HTTPAUTH] == pycurl.HTTPAUTH_BASIC
    assert fake.opts[pycurl.HTTPHEADER] == [
        "Accept: application/json",
        "Content-type: application/json",
    ]
    assert fake.opts[pycurl.HTTPGET] is True
    cl.close()
    assert fake.closed
    _, nopass = _client(username="admin")
    with pytest.raises(client.Error, match="Password not specified"):
        nopass.GetVersion()


def test_ipv6_host_and_scheme():
    fake = FakeCurl()
    fake.base = "http://[::1]:1234"
    fake.answer = 2
    cl = client.GanetiRapiClient("::1", port=1234, curl_factory=lambda: fake, scheme="http")
    assert cl.GetVersion() == 2
    assert fake.sent == [("GET", "/version", None)]


def test_error_answers():
    fake, cl = _client()
    fake.code = 404
    fake.answer = {"code": 404, "message": "Not Found", "explain": "Nothing matches the given URI"}
    with pytest.raises(client.GanetiApiError) as err:
        cl.GetInstance("nope")
    assert str(err.value) == "404 Not Found: Nothing matches the given URI"
    assert err.value.code == 404
    assert cl.GetFeatures() == []  # a server without /2/features
    fake.code = 500
    fake.answer = "plain text"
    with pytest.raises(client.GanetiApiError, match="plain text") as err:
        cl.GetFeatures()
    assert err.value.code == 500


def test_transport_errors():
    fake, cl = _client()
    fake.error = pycurl.error(pycurl.E_COULDNT_CONNECT, "Failed to connect")
    with pytest.raises(client.GanetiApiError) as err:
        cl.GetVersion()
    assert not isinstance(err.value, client.CertificateError) and err.value.code is None
    assert fake.closed
    fake.error = pycurl.error(pycurl.E_SSL_CACERT, "certificate problem")
    with pytest.raises(client.CertificateError, match="SSL certificate error"):
        cl.GetVersion()


def test_argument_checks():
    _, cl = _client()
    with pytest.raises(client.GanetiApiError, match="Only one of iallocator or remote_node"):
        cl.EvacuateNode("n1", iallocator="hail", remote_node="n2")
    body = client.GanetiRapiClient.InstanceAllocation(
        "create", "i1", "plain", [{"size": 1}], [], os="debian", pnode=None
    )
    assert body == {
        "mode": "create", "name": "i1", "disk_template": "plain", "disks": [{"size": 1}],
        "nics": [], "os": "debian",
    }  # fmt: skip


def test_generic_curl_config():
    fake = FakeCurl()
    client.GenericCurlConfig(cafile="/ca.pem", verify_hostname=True, proxy="", timeout=9.5)(fake)
    assert fake.opts[pycurl.SSL_VERIFYPEER] is True
    assert fake.opts[pycurl.CAINFO] == "/ca.pem"
    assert fake.opts[pycurl.SSL_VERIFYHOST] == 2
    assert fake.opts[pycurl.PROXY] == ""
    assert fake.opts[pycurl.TIMEOUT] == 9
    assert pycurl.CONNECTTIMEOUT not in fake.opts
    fake = FakeCurl()
    client.GenericCurlConfig()(fake)
    assert fake.opts[pycurl.SSL_VERIFYPEER] is False and fake.opts[pycurl.SSL_VERIFYHOST] == 0
    assert fake.opts[pycurl.NOSIGNAL] is True and fake.opts[pycurl.VERBOSE] is False
