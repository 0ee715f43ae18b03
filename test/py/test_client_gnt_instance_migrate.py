"""gnt-instance migrate/failover and gnt-node migrate/failover: command line -> jobs.

The commands run in-process through gnt-instance's and gnt-node's command
tables against a scripted luxi client that answers queries from a small
table, records the submitted jobs and returns what each test says.
"""

import pytest

from ganeti import cli, constants
from ganeti.client import gnt_instance, gnt_node

NODES = {
    "node1.example.com": ["web1.example.com"],
    "node2.example.com": ["web2.example.com", "db1.example.com"],
    "node3.example.com": [],
}


class FakeClient:
    def __init__(self) -> None:
        self.jobs: list[list[dict]] = []
        self.results: dict = {}
        self.failing: set = set()

    def Query(self, what, fields, qfilter):  # noqa: N802 (luxi method name)
        if what == constants.QR_NODE:
            rows = [{"name": n, "pinst_list": p} for n, p in NODES.items()]
        else:
            rows = [{"name": i, "pnode": n} for n, insts in NODES.items() for i in insts]
        if qfilter and qfilter[0] == "|":
            names = {f[2] for f in qfilter[1:]}
            rows = [r for r in rows if r["name"] in names]
        return {
            "fields": [{"name": f, "title": f, "kind": "other", "doc": ""} for f in fields],
            "data": [[[0, r.get(f)] for f in fields] for r in rows],
        }

    def SubmitJob(self, ops):  # noqa: N802
        self.jobs.append([op.to_dict() for op in ops])
        return len(self.jobs)

    def SubmitManyJobs(self, jobs):  # noqa: N802
        return [[True, self.SubmitJob(ops)] for ops in jobs]


@pytest.fixture
def fake(monkeypatch):
    client = FakeClient()
    import ganeti.cli_jobs as cli_jobs

    def poll(job_id, cl=None, feedback_fn=None, reporter=None):
        if job_id in client.failing:
            from ganeti import errors

            raise errors.OpExecError("Could not migrate instance: boom")
        return [client.results.get(job_id)]

    for module in (cli, cli_jobs):
        monkeypatch.setattr(module, "get_client", lambda: client)
        monkeypatch.setattr(module, "poll_job", poll)
    return client


def run(module, capsys, *argv):
    code = cli.generic_main(module.commands, module.aliases, argv=["gnt"] + list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_commands_are_in_both_tables():
    assert {"migrate", "failover"} <= set(gnt_instance.commands)
    assert {"migrate", "failover"} <= set(gnt_node.commands)
    assert {"add", "list", "console"} <= set(gnt_instance.commands)  # the others stay


def test_instance_migrate_builds_the_opcode(fake, capsys):
    code, _, err = run(gnt_instance, capsys, "migrate", "-f", "-n", "node3", "web2")
    assert code == 0, err
    (op,) = fake.jobs[-1]
    assert op["OP_ID"] == "OP_INSTANCE_MIGRATE" and op["instance_name"] == "web2"
    assert op["target_node"] == "node3" and op["mode"] is None and op["iallocator"] is None
    assert op["cleanup"] is False and op["allow_failover"] is False
    assert op["allow_runtime_changes"] is True and op["ignore_hvversions"] is False
    run(gnt_instance, capsys, "migrate", "-f", "--non-live", "--allow-failover",
        "--no-runtime-changes", "--ignore-ipolicy", "--ignore-hvversions", "-I", "hail", "web2")  # fmt: skip
    (op,) = fake.jobs[-1]
    assert op["mode"] == "non-live" and op["allow_failover"] and op["iallocator"] == "hail"
    assert op["allow_runtime_changes"] is False and op["ignore_ipolicy"] and op["ignore_hvversions"]
    run(gnt_instance, capsys, "migrate", "-f", "--migration-mode=live", "--cleanup", "web2")
    (op,) = fake.jobs[-1]
    assert op["mode"] == "live" and op["cleanup"] is True


def test_instance_migrate_refusals_submit_nothing(fake, capsys):
    for argv, message in [
        (["--non-live", "--migration-mode=live"], "Only one of the --non-live and --migration"),
        (["-n", "node3", "-I", "hail"], "not both"),
        (["--migration-mode=fast"], "invalid choice"),
    ]:
        code, out, err = run(gnt_instance, capsys, "migrate", "-f", *argv, "web2")
        assert code != 0 and message in out + err, (argv, out, err)
    code, out, err = run(gnt_instance, capsys, "migrate", "web2")  # no terminal: "no"
    assert code == constants.EXIT_CONFIRMATION
    code, out, err = run(gnt_instance, capsys, "migrate", "nosuch")
    assert code != 0 and "nosuch" in err
    assert fake.jobs == []


def test_instance_failover_builds_the_opcode(fake, capsys):
    code, _, err = run(gnt_instance, capsys, "failover", "-f", "--ignore-consistency",
                       "--shutdown-timeout=7", "-n", "node1", "web2")  # fmt: skip
    assert code == 0, err
    (op,) = fake.jobs[-1]
    assert op["OP_ID"] == "OP_INSTANCE_FAILOVER" and op["instance_name"] == "web2"
    assert op["ignore_consistency"] is True and op["shutdown_timeout"] == 7
    assert op["target_node"] == "node1" and op["cleanup"] is False


def test_node_migrate_waits_for_the_jobs(fake, capsys):
    fake.results[1] = {"jobs": [[True, 2], [True, 3]]}
    code, out, err = run(gnt_node, capsys, "migrate", "-f", "--non-live", "-n", "node3", "node2")
    assert code == 0, err
    (op,) = fake.jobs[0]
    assert op["OP_ID"] == "OP_NODE_MIGRATE" and op["node_name"] == "node2.example.com"
    assert op["mode"] == "non-live" and op["target_node"] == "node3"
    assert "All instances migrated successfully." in out
    fake.jobs.clear()
    fake.results[1] = {"jobs": [[True, 2], [True, 3]]}
    fake.failing.add(3)
    code, out, err = run(gnt_node, capsys, "migrate", "-f", "node2")
    assert code == constants.EXIT_FAILURE
    assert "There were 1 errors during the node migration." in out and "boom" in err


def test_node_migrate_without_primaries_and_unknown_node(fake, capsys):
    code, out, _ = run(gnt_node, capsys, "migrate", "-f", "node3")
    assert code == 0 and "No primary instances on node node3.example.com, exiting." in out
    code, out, err = run(gnt_node, capsys, "migrate", "-f", "nosuch")
    assert code != 0 and "Node 'nosuch' not known" in err
    assert fake.jobs == []


def test_node_failover_one_job_per_instance(fake, capsys):
    code, out, err = run(gnt_node, capsys, "failover", "-f", "--ignore-consistency", "node2")
    assert code == 0, err
    ops = [job[0] for job in fake.jobs]
    assert [op["OP_ID"] for op in ops] == ["OP_INSTANCE_FAILOVER"] * 2
    assert [op["instance_name"] for op in ops] == ["db1.example.com", "web2.example.com"]
    assert all(op["ignore_consistency"] for op in ops)
    assert "All instances failed over successfully." in out
