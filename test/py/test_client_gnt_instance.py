"""gnt-instance and gnt-os: command line -> opcodes, selection, output.

The commands run in-process against a scripted luxi client (no master):
it answers queries from a small table and records submitted jobs, whose
results are what each test says.
"""

import pytest

from ganeti import cli, constants, errors, opcodes
from ganeti.client import gnt_instance, gnt_instance_info, gnt_instance_modify, gnt_os

INSTANCES = [
    # name, pnode, snodes, tags
    ("web1.example.com", "node1.example.com", [], ["www"]),
    ("web2.example.com", "node2.example.com", [], ["www"]),
    ("db1.example.com", "node2.example.com", [], ["db"]),
]
NODES = {
    "node1.example.com": (["web1.example.com"], [], ["rack1"]),
    "node2.example.com": (["web2.example.com", "db1.example.com"], [], ["rack2"]),
}


class FakeClient:
    def __init__(self) -> None:
        self.jobs: list[list] = []
        self.results: dict = {}
        self.os_rows: list = []

    # queries
    def Query(self, what, fields, qfilter):  # noqa: N802 (luxi method name)
        if what == constants.QR_INSTANCE:
            rows = [{"name": n, "pnode": p, "snodes": s, "tags": t} for n, p, s, t in INSTANCES]
        elif what == constants.QR_NODE:
            rows = [
                {"name": n, "pinst_list": p, "sinst_list": s, "tags": t}
                for n, (p, s, t) in NODES.items()
            ]
        else:
            rows = self.os_rows
        rows = [r for r in rows if _matches(qfilter, r)]
        return {
            "fields": [{"name": f, "title": f, "kind": "other", "doc": ""} for f in fields],
            "data": [[[0, r.get(f)] for f in fields] for r in rows],
        }

    # jobs
    def SubmitJob(self, ops):  # noqa: N802
        self.jobs.append([op.to_dict() if hasattr(op, "to_dict") else op for op in ops])
        return len(self.jobs)

    def SubmitManyJobs(self, jobs):  # noqa: N802
        return [[True, self.SubmitJob(ops)] for ops in jobs]


def _matches(qfilter, row):
    if qfilter is None:
        return True
    op = qfilter[0]
    if op == "|":
        return any(_matches(f, row) for f in qfilter[1:])
    if op == "&":
        return all(_matches(f, row) for f in qfilter[1:])
    if op == "!":
        return not _matches(qfilter[1], row)
    if op == "?":
        return bool(row.get(qfilter[1]))
    if op == "=":
        return row.get(qfilter[1]) == qfilter[2]
    raise AssertionError(op)


@pytest.fixture
def fake(monkeypatch):
    client = FakeClient()
    monkeypatch.setattr(cli, "get_client", lambda: client)
    monkeypatch.setattr(gnt_instance.cli, "get_client", lambda: client)

    def poll(job_id, cl=None, feedback_fn=None, reporter=None):
        return [client.results.get(job_id)]

    monkeypatch.setattr(cli, "poll_job", poll)
    import ganeti.cli_jobs as cli_jobs

    monkeypatch.setattr(cli_jobs, "poll_job", poll)
    monkeypatch.setattr(cli_jobs, "get_client", lambda: client)
    return client


def run(module, capsys, *argv):
    # optparse hands out its list defaults as they are: appending options would
    # accumulate over the in-process runs of one test session
    for entry in module.commands.values():
        for option in entry[2]:
            if isinstance(option.default, list):
                option.default = []
    override = {"tag_type": constants.TAG_INSTANCE} if module is gnt_instance else {}
    code = cli.generic_main(module.commands, module.aliases, argv=["gnt"] + list(argv),
                            override=override)  # fmt: skip
    out = capsys.readouterr()
    return code, out.out, out.err


def test_add_builds_the_create_opcode(fake, capsys):
    code, out, err = run(
        gnt_instance, capsys, "add", "-t", "file", "-n", "node2:node3", "-o", "debian+min",
        "--disk", "0:size=1G", "--disk", "1:size=512M,mode=ro", "--net", "0:mac=aa:00:00:00:00:01",
        "-B", "maxmem=256M,vcpus=2", "-H", "fake:migration_mode=live", "-O", "a=b",
        "--no-start", "--no-name-check", "--no-ip-check", "--tags", "x,y", "inst1",
    )  # fmt: skip
    assert code == 0, err
    (op,) = fake.jobs[0]
    assert op["OP_ID"] == "OP_INSTANCE_CREATE" and op["instance_name"] == "inst1"
    assert op["disks"] == [{"size": 1024}, {"size": 512, "mode": "ro"}]
    assert op["nics"] == [{"mac": "aa:00:00:00:00:01"}]
    assert (op["pnode"], op["snode"]) == ("node2", "node3")
    assert op["beparams"] == {"maxmem": 256, "vcpus": 2}
    assert (op["hypervisor"], op["hvparams"]) == ("fake", {"migration_mode": "live"})
    assert op["osparams"] == {"a": "b"} and op["tags"] == ["x", "y"]
    assert op["start"] is False and op["mode"] == "create" and not op["name_check"]


def test_add_defaults_and_refusals(fake, capsys):
    assert run(gnt_instance, capsys, "add", "-t", "diskless", "-o", "d", "-n", "n1",
               "--no-name-check", "--no-ip-check", "-H", "maxmem=1", "i1")[0] != 0  # fmt: skip
    code, _, _ = run(gnt_instance, capsys, "add", "-t", "diskless", "-o", "d", "-n", "n1",
                     "--no-name-check", "--no-ip-check", "i1")  # fmt: skip
    assert code == 0
    op = fake.jobs[-1][0]
    assert op["nics"] == [{}] and op["disks"] == [] and op["hypervisor"] is None
    for argv, message in [
        (["-t", "diskless", "-s", "1G"], "Diskless instance but disk information passed"),
        (["-t", "file"], "No disk information specified"),
        (["-t", "file", "-s", "1G", "--disk", "0:size=1G"], "either the '--disk' or '-s'"),
        (["-t", "diskless", "--no-nics", "--net", "0:mac=x"], "--no-nics and --net"),
        (["-t", "diskless", "--no-name-check"], "IP address check without a name check"),
        (["-t", "diskless", "-B", "nosuch=1", "--no-name-check", "--no-ip-check"],
         "Unknown parameter 'nosuch'"),
    ]:  # fmt: skip
        code, out, err = run(gnt_instance, capsys, "add", "-o", "d", "-n", "n1", *argv, "i2")
        assert code != 0 and message in err, (argv, err)


def test_many_instance_selection(fake, capsys):
    code, out, err = run(gnt_instance, capsys, "shutdown", "--timeout=7", "web1")
    assert code == 0, err
    assert fake.jobs[-1][0]["instance_name"] == "web1.example.com"
    assert fake.jobs[-1][0]["timeout"] == 7
    fake.jobs.clear()
    code, out, err = run(gnt_instance, capsys, "startup", "--force-multiple", "--node",
                         "node2.example.com")  # fmt: skip
    assert code == 0, err
    assert sorted(j[0]["instance_name"] for j in fake.jobs) == [
        "db1.example.com", "web2.example.com"
    ]  # fmt: skip
    fake.jobs.clear()
    run(gnt_instance, capsys, "reboot", "-t", "full", "--force-multiple", "--tags", "www")
    assert [j[0]["reboot_type"] for j in fake.jobs] == ["full", "full"]
    assert sorted(j[0]["instance_name"] for j in fake.jobs) == [
        "web1.example.com", "web2.example.com"
    ]  # fmt: skip
    fake.jobs.clear()
    run(gnt_instance, capsys, "stop", "--force-multiple", "--all")
    assert len(fake.jobs) == 3
    code, out, err = run(gnt_instance, capsys, "startup", "ghost")
    assert code != 0 and "Instance 'ghost' not known" in err
    # more than one instance without --force-multiple: no terminal, no
    fake.jobs.clear()
    code, _, _ = run(gnt_instance, capsys, "shutdown", "--all")
    assert code == constants.EXIT_CONFIRMATION and fake.jobs == []


def test_reinstall_one_or_many(fake, capsys, monkeypatch):
    code, out, err = run(gnt_instance, capsys, "reinstall", "-f", "-o", "debian+min", "web1")
    assert code == 0, err
    ((op,),) = fake.jobs
    assert op["OP_ID"] == "OP_INSTANCE_REINSTALL"
    assert (op["instance_name"], op["os_type"]) == ("web1.example.com", "debian+min")
    assert op["osparams"] is None and op["force_variant"] is False
    fake.jobs.clear()
    code, out, err = run(gnt_instance, capsys, "reinstall", "-f", "-O", "a=b", "--tags", "www")
    assert code == 0, err
    assert sorted(j[0]["instance_name"] for j in fake.jobs) == [
        "web1.example.com", "web2.example.com"
    ]  # fmt: skip
    assert all(j[0]["osparams"] == {"a": "b"} for j in fake.jobs)
    fake.jobs.clear()
    code, out, err = run(gnt_instance, capsys, "reinstall", "-f", "--tags", "nothing")
    assert code != 0 and "Selection filter does not match any instances" in err
    # without --force: one instance is asked about (answered yes here), many are confirmed (no)
    monkeypatch.setattr(cli, "ask_user", lambda text, *a, **kw: "remove all data" in text)
    code, _, _ = run(gnt_instance, capsys, "reinstall", "web1")
    assert code == 0 and len(fake.jobs) == 1
    fake.jobs.clear()
    code, _, _ = run(gnt_instance, capsys, "reinstall", "--all")
    assert code == constants.EXIT_CONFIRMATION and fake.jobs == []


def test_modify_mods_conversion(fake, capsys):
    fake.results[1] = [("be/maxmem", 512), ("disk/1", "add:size=1024,mode=rw")]
    code, out, err = run(
        gnt_instance, capsys, "modify", "-B", "maxmem=512", "--disk", "add:size=1G",
        "--disk", "0:mode=ro", "--net", "1:remove", "--net", "add:mac=generate", "web1",
    )  # fmt: skip
    assert code == 0, err
    op = fake.jobs[0][0]
    assert op["disks"] == [["add", -1, {"size": 1024}], ["modify", 0, {"mode": "ro"}]]
    assert op["nics"] == [["remove", 1, {}], ["add", -1, {"mac": "generate"}]]
    assert op["beparams"] == {"maxmem": 512}
    assert " - be/maxmem -> 512" in out and " - disk/1 -> add:size=1024,mode=rw" in out
    assert gnt_instance_modify._convert_mods([("eth0", {"ip": "none"})]) == [
        ["modify", "eth0", {"ip": "none"}]
    ]  # fmt: skip
    with pytest.raises(errors.OpPrereqError, match="Not accepting parameters on removal"):
        gnt_instance_modify._convert_mods([("0", {"remove": True, "mode": "ro"})])
    code, _, err = run(gnt_instance, capsys, "modify", "web1")
    assert code != 0 and "at least one of the parameters" in err


def test_other_commands_build_their_opcodes(fake, capsys):
    fake.results[1] = "new.example.com"
    code, out, _ = run(gnt_instance, capsys, "rename", "--no-name-check", "--no-ip-check",
                       "web1", "new.example.com")  # fmt: skip
    assert code == 0 and "renamed to 'new.example.com'" in out
    run(gnt_instance, capsys, "grow-disk", "--absolute", "web1", "0", "2G")
    assert fake.jobs[-1][0]["amount"] == 2048 and fake.jobs[-1][0]["absolute"] is True
    fake.results[3] = [["node1.example.com", "disk/0", "/dev/x"]]
    code, out, _ = run(gnt_instance, capsys, "activate-disks", "web1")
    assert out.strip() == "node1.example.com:disk/0:/dev/x"
    run(gnt_instance, capsys, "remove", "-f", "--shutdown-timeout=3", "web1")
    assert fake.jobs[-1][0]["OP_ID"] == "OP_INSTANCE_REMOVE"
    assert fake.jobs[-1][0]["shutdown_timeout"] == 3
    run(gnt_instance, capsys, "recreate-disks", "--disk", "0:size=1G", "-n", "n1", "web1")
    op = fake.jobs[-1][0]
    assert op["disks"] == [[0, {"size": 1024}]] and op["nodes"] == ["n1"]


def test_console_command_and_info_layout():
    cmd = gnt_instance.console_command(
        {"kind": "ssh", "host": "node1", "user": "root", "command": ["chroot", "/x y"]}
    )
    assert cmd[:6] == ["ssh", "-oEscapeChar=~", "-oControlPath=none", "-oBatchMode=yes", "-q", "-t"]
    assert cmd[-3:] == ["root", "node1", "chroot '/x y'"]
    assert gnt_instance.console_command({"kind": "message", "message": "m"}) is None
    info = {
        "name": "i1", "uuid": "u", "serial_no": 2, "ctime": 0, "mtime": 0, "config_state": "up",
        "run_state": "up", "pnode": "n1", "pnode_group_name": "default",
        "pnode_group_uuid": "g", "snodes": [], "os": "d", "os_instance": {}, "os_actual": {},
        "network_port": None, "hypervisor": "fake", "hv_instance": {}, "hv_actual": {},
        "be_instance": {"maxmem": 64}, "be_actual": {"maxmem": 64, "vcpus": 1},
        "disk_template": "diskless", "disks": [],
        "nics": [[None, "nu", None, "aa:00:00:00:00:01", "bridged", "br0", "", None, None]],
    }  # fmt: skip
    text = cli.format_generic_info(gnt_instance_info.instance_info_data(info, False))
    assert "State: configured to be up, actual state is up" in text
    assert "maxmem: 64" in text and "vcpus: default (1)" in text
    assert "MAC: aa:00:00:00:00:01" in text


def test_gnt_os(fake, capsys):
    fake.os_rows = [
        {"name": "debian", "valid": True, "hidden": False, "blacklisted": False,
         "variants": ["min", "full"],
         "node_status": {"n1": [["/srv/os/debian", True, "", ["min", "full"], [["p", "d"]], [20]]],
                         "n2": []}},
        {"name": "old", "valid": True, "hidden": True, "blacklisted": False, "variants": [],
         "node_status": {}},
    ]  # fmt: skip
    code, out, _ = run(gnt_os, capsys, "list")
    assert code == 0 and out.split() == ["Name", "debian+min", "debian+full"]
    code, out, _ = run(gnt_os, capsys, "diagnose")
    assert code == 1
    assert "OS: debian [global status: partial valid]" in out
    assert "Node: n1, status: valid (path: /srv/os/debian) [API versions: 20]" in out
    assert "Node: n2, status: OS not found" in out
    code, _, _ = run(gnt_os, capsys, "modify", "--hidden=yes", "--blacklisted=no", "-O", "p=1",
                     "-H", "fake:migration_port=1", "debian")  # fmt: skip
    op = fake.jobs[-1][0]
    assert op["OP_ID"] == "OP_CLUSTER_SET_PARAMS"
    assert op["hidden_os"] == [["add", "debian"]] and op["blacklisted_os"] == [["remove", "debian"]]
    assert op["osparams"] == {"debian": {"p": "1"}}
    assert op["os_hvp"] == {"debian": {"fake": {"migration_port": 1}}}
    code, _, err = run(gnt_os, capsys, "modify", "debian")
    assert code != 0 and "At least one of OS parameters" in err


def test_batch_create_file(fake, capsys, tmp_path):
    spec = tmp_path / "i.json"
    spec.write_text('[{"instance_name": "b1", "disk_template": "diskless", "os_type": "d",'
                    ' "nics": [], "disks": []}]')  # fmt: skip
    fake.results[1] = {"jobs": [[True, 2]], "allocatable": ["b1"], "failed": []}
    code, out, err = run(gnt_instance, capsys, "batch-create", str(spec))
    assert code == 0, err
    assert fake.jobs[0][0]["OP_ID"] == "OP_INSTANCE_MULTI_ALLOC"
    assert "All instances created successfully." in out
    bad = tmp_path / "bad.json"
    bad.write_text('[{"instance_name": "b1", "nosuch": 1}]')
    code, out, err = run(gnt_instance, capsys, "batch-create", str(bad))
    assert code != 0 and "Unknown fields in definition 0: nosuch" in err
    assert isinstance(opcodes.OpInstanceMultiAlloc, type)
