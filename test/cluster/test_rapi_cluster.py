"""The remote API on a 3-node virtual cluster, driven only through RAPI.

``gnt-cluster init`` (which starts ganeti-rapi with the master daemons and
creates rapi.pem) and ``gnt-node add`` build the cluster; then everything is
done with ``ganeti.rapi.client`` over HTTPS from inside node 1: users and
access (401/403), tags and jobs, queries with filters, and the life of an
instance (create, start, modify, reboot, rename, tags, remove).  Steps whose
logical units are not built yet answer 501 and are skipped with that text.
Last, a master failover moves ganeti-rapi to the new master.
"""

import json

import pytest

from test_instances import _missing_commands, build_cluster
from vcluster_fixture import VCluster, unavailable_reason

pytestmark = pytest.mark.cluster

USERS = "writer wpass write\nreader {cleartext}rpass read\n"
PRELUDE = """
import time
from ganeti.rapi import client
def cl(user=None, password=None, host="127.0.0.1"):
    return client.GanetiRapiClient(host, 5080, user, password)
w, r, anon = cl("writer", "wpass"), cl("reader", "rpass"), cl()
def code_of(fn, *args, **kw):
    try:
        fn(*args, **kw)
        return 200
    except client.GanetiApiError as err:
        return err.code
def run(job):
    ok = w.WaitForJobCompletion(job, period=0.2, retries=600)
    return ok, w.GetJobStatus(job)
"""


def rapi(vc: VCluster, code: str, k: int = 1):
    """Runs ``code`` (which sets ``out``) in node ``k``; returns ``out``."""
    return vc.python(k, PRELUDE + code + "\nprint(json.dumps(out))\n")


@pytest.fixture(scope="module")
def vc():
    reason = unavailable_reason() or _missing_commands()
    if reason:
        pytest.skip(reason)
    cluster = VCluster(nodes=3, sshd=True)
    cluster.up()
    try:
        build_cluster(cluster)
        cluster.exec(1, "mkdir", "-p", "/var/lib/ganeti/rapi")
        cluster.write_file(1, "/var/lib/ganeti/rapi/users", USERS.encode(), mode=0o640)
        up = rapi(
            cluster,
            "out = None\nfor _ in range(100):\n"
            "    try:\n        out = anon.GetVersion(); break\n"
            "    except client.GanetiApiError:\n        time.sleep(0.1)\n",
        )
        if up != 2:
            pytest.skip("ganeti-rapi is not running on the master after gnt-cluster init")
        yield cluster
    finally:
        cluster.down()


def _skip_if_501(job_or_code, what: str) -> None:
    if isinstance(job_or_code, dict) and job_or_code.get("code") == 501:
        pytest.skip("%s: %s" % (what, job_or_code["msg"]))


def test_info_and_access_rules(vc):
    out = rapi(
        vc,
        "out = {'name': anon.GetInfo()['name'], 'features': anon.GetFeatures(),\n"
        "       'reader_write': code_of(r.AddClusterTags, ['x']),\n"
        "       'unknown_write': code_of(cl('ghost', 'pw').AddClusterTags, ['x']),\n"
        "       'anon_write': code_of(anon.AddClusterTags, ['x']),\n"
        "       'anon_query': code_of(anon.Query, 'node', ['name']),\n"
        "       'reader_query': code_of(r.Query, 'node', ['name']),\n"
        "       'nodes': anon.GetNodes()}\n",
    )
    assert out["name"] == "cluster." + vc.domain
    assert "instance-create-reqv1" in out["features"]
    assert out["reader_write"] == 403
    assert out["unknown_write"] == 401 and out["anon_write"] == 401
    assert out["anon_query"] == 401 and out["reader_query"] == 200
    assert sorted(out["nodes"]) == sorted(vc.names)


def test_tags_and_jobs(vc):
    out = rapi(
        vc,
        "job = w.AddClusterTags(['rapi-a', 'rapi-b'], reason='test')\n"
        "ok, status = run(job)\n"
        "change = w.WaitForJobChange(job, ['status'], None, None)\n"
        "tags = anon.GetClusterTags()\n"
        "ok2, _ = run(w.DeleteClusterTags(['rapi-b']))\n"
        "out = {'job': job, 'ok': ok, 'status': status['status'], 'tags': tags,\n"
        "       'change': change, 'after': anon.GetClusterTags(), 'ok2': ok2,\n"
        "       'jobs': w.GetJobs()}\n",
    )
    assert isinstance(out["job"], int) and out["ok"] and out["status"] == "success"
    assert {"rapi-a", "rapi-b"} <= set(out["tags"])
    assert out["change"]["job_info"] == ["success"]
    assert out["ok2"] and "rapi-b" not in out["after"] and "rapi-a" in out["after"]
    assert out["job"] in out["jobs"]


def test_query_with_filters(vc):
    out = rapi(
        vc,
        "out = {'master': r.Query('node', ['name', 'role'], ['=', 'role', 'M'])['data'],\n"
        "       'others': r.Query('node', ['name'], ['!=', 'role', 'M'])['data'],\n"
        "       'fields': [f['name'] for f in anon.QueryFields('instance', ['name', 'status'])['fields']]}\n",
    )
    assert out["master"] == [[[0, vc.names[0]], [0, "M"]]]
    assert sorted(row[0][1] for row in out["others"]) == sorted(vc.names[1:])
    assert out["fields"] == ["name", "status"]


def test_instance_life_through_rapi(vc):
    name = "rapi1." + vc.domain
    new_name = "rapi2." + vc.domain
    create = rapi(
        vc,
        "try:\n"
        "    job = w.CreateInstance('create', %r, 'diskless', [], [{}], os_type='dummy+fast',\n"
        "                           pnode=%r, beparams={'memory': '128M', 'vcpus': '1'},\n"
        "                           name_check=False, ip_check=False)\n"
        "    ok, status = run(job)\n"
        "    out = {'ok': ok, 'status': status}\n"
        "except client.GanetiApiError as err:\n"
        "    out = {'code': err.code, 'msg': str(err)}\n" % (name, vc.names[1]),
    )
    _skip_if_501(create, "instance creation")
    assert create.get("ok"), json.dumps(create)[:2000]
    out = rapi(
        vc,
        "inst = anon.GetInstance(%r)\n"
        "out = {'status': inst['status'], 'pnode': inst['pnode'], 'memory': inst['beparams']['memory'],\n"
        "       'bulk': [i['name'] for i in anon.GetInstances(bulk=True)]}\n" % name,
    )
    assert out["status"] == "running" and out["pnode"] == vc.names[1]
    assert out["memory"] == 128 and name in out["bulk"]
    steps = [
        ("modify", "w.ModifyInstance(%r, beparams={'memory': 256})" % name),
        ("reboot", "w.RebootInstance(%r, reboot_type='hard')" % name),
        ("shutdown", "w.ShutdownInstance(%r, timeout=10)" % name),
        ("startup", "w.StartupInstance(%r)" % name),
        ("tags", "w.AddInstanceTags(%r, ['web'])" % name),
        ("shutdown2", "w.ShutdownInstance(%r)" % name),
        ("rename", "w.RenameInstance(%r, %r, ip_check=False, name_check=False)" % (name, new_name)),
        ("remove", "w.DeleteInstance(%r)" % new_name),
    ]
    for step, call in steps:
        res = rapi(
            vc,
            "try:\n    ok, status = run(%s)\n    out = {'ok': ok, 'status': status}\n"
            "except client.GanetiApiError as err:\n    out = {'code': err.code, 'msg': str(err)}\n"
            % call,
        )
        _skip_if_501(res, "instance %s" % step)
        assert res.get("ok"), "%s: %s" % (step, json.dumps(res)[:2000])
        if step == "modify":
            assert rapi(vc, "out = anon.GetInstance(%r)['beparams']['maxmem']" % name) == 256
        if step == "shutdown":
            assert rapi(vc, "out = anon.GetInstance(%r)['status']" % name) == "ADMIN_down"
        if step == "tags":
            assert rapi(vc, "out = anon.GetInstanceTags(%r)" % name) == ["web"]
    out = rapi(vc, "out = [code_of(anon.GetInstance, %r), anon.GetInstances()]" % new_name)
    assert out[0] == 404 and new_name not in out[1]


def test_rapi_follows_the_master_on_failover(vc):
    res = vc.exec(2, "gnt-cluster", "master-failover", check=False)
    if res.returncode != 0:
        pytest.skip("master-failover failed: %s" % res.stderr.decode()[-500:])
    running_2 = vc.exec(2, "sh", "-c", "daemon-util check ganeti-rapi", check=False).returncode
    running_1 = vc.exec(1, "sh", "-c", "daemon-util check ganeti-rapi", check=False).returncode
    assert running_2 == 0 and running_1 != 0
    assert rapi(vc, "out = anon.GetInfo()['master']", k=2) == vc.names[1]
