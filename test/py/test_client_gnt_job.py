"""gnt-job and gnt-debug against a fake luxi master (a real Unix socket)."""

import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from cli_fake_master import T0, FakeMaster
from ganeti import cli
from ganeti import constants
from ganeti import pathutils
from ganeti.client import gnt_debug
from ganeti.client import gnt_job

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DELAY_OP = {"OP_ID": "OP_TEST_DELAY", "duration": 2.0}


@pytest.fixture
def master():
    old = pathutils.get_root()
    tmp = tempfile.mkdtemp(prefix="gjob", dir="/tmp")
    pathutils.set_root(tmp)
    fake = FakeMaster().start()
    yield fake
    fake.stop()
    pathutils.set_root(old)
    shutil.rmtree(tmp, ignore_errors=True)


def gnt_job_run(*argv):
    return cli.generic_main(
        gnt_job.commands, aliases=gnt_job.aliases, argv=["gnt-job"] + list(argv)
    )


def gnt_debug_run(*argv):
    return cli.generic_main(
        gnt_debug.commands, aliases=gnt_debug.aliases, argv=["gnt-debug"] + list(argv)
    )


def _finished_job(master, status=constants.JOB_STATUS_SUCCESS, **kwargs):
    job = master.add_job([dict(DELAY_OP)], steps=[(status, ["slept"])], **kwargs)
    job.advance()
    return job


class TestList:
    def test_default_fields(self, master, capsys):
        _finished_job(master)
        master.add_job([dict(DELAY_OP), dict(DELAY_OP)], steps=[])
        assert gnt_job_run("list") == 0
        assert capsys.readouterr().out.splitlines() == [
            "ID Status  Summary",
            " 1 success TEST_DELAY(2.0)",
            " 2 queued  TEST_DELAY(2.0),TEST_DELAY(2.0)",
        ]
        assert master.requests[-1] == ("Query", ["job", ["id", "status", "summary"], None])

    def test_fields_separator_no_headers(self, master, capsys):
        _finished_job(master)
        assert gnt_job_run("list", "--no-headers", "--separator=|", "-o", "+priority") == 0
        assert capsys.readouterr().out == "1|success|TEST_DELAY(2.0)|0\n"

    def test_ids_and_status_filter(self, master, capsys):
        _finished_job(master)
        _finished_job(master, status=constants.JOB_STATUS_ERROR)
        assert gnt_job_run("list", "--no-headers", "-o", "id", "2") == 0
        assert capsys.readouterr().out == "2\n"
        assert master.requests[-1][1][2] == ["|", ["=", "id", 2]]
        assert gnt_job_run("list", "--no-headers", "-o", "id", "--error") == 0
        assert capsys.readouterr().out == "2\n"
        assert master.requests[-1][1][2] == ["|", ["=", "status", "error"]]
        assert gnt_job_run("list", "--no-headers", "-o", "id", "--finished", "1") == 0
        assert master.requests[-1][1][2][0] == "&"

    def test_bad_job_id(self, master, capsys):
        assert gnt_job_run("list", "abc") == 1
        assert "Invalid id value 'abc'" in capsys.readouterr().err

    def test_archived(self, master, capsys):
        _finished_job(master).archived = True
        assert gnt_job_run("list", "--archived", "--no-headers") == 0
        assert capsys.readouterr().out.split() == ["1", "success", "TEST_DELAY(2.0)", "Y"]
        assert gnt_job_run("list", "--no-headers") == 0
        assert capsys.readouterr().out == ""

    def test_unknown_field_exit_code(self, master, capsys):
        _finished_job(master)
        assert gnt_job_run("list", "-o", "id,nosuchfield") == constants.EXIT_UNKNOWN_FIELD
        captured = capsys.readouterr()
        assert "Warning: Queried for unknown fields nosuchfield" in captured.err
        assert captured.out.splitlines()[1].split() == ["1", "??"]

    def test_list_fields(self, master, capsys):
        assert gnt_job_run("list-fields", "id", "status") == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].split() == ["Name", "Type", "Title", "Description"]
        assert lines[1].split()[:3] == ["id", "number", "ID"]


class TestInfo:
    def test_info_layout(self, master, capsys):
        _finished_job(master, result=None)
        assert gnt_job_run("info", "1", "7") == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0] == "- Job ID: 1"
        assert out[1] == "  Status: success"
        assert out[2].startswith("  Received:         ")
        assert out[3].startswith("  Processing start: unknown")
        assert out[5] == "  Total processing time: 3.150000 seconds"
        assert "  Opcodes: " in out
        assert "    - Opcode: OP_TEST_DELAY" in out
        assert "        OP_ID: OP_TEST_DELAY" in out
        assert "        duration: 2.0" in out
        assert "      Result: None" in out
        assert (
            "        - Time: %s" % time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(T0 + 1))
            + ".000500"
            in out
        )
        assert "          Content: [1, message, slept]" in out
        assert out[-1] == "- Job ID 7 not found"

    def test_show_alias(self, master, capsys):
        _finished_job(master)
        assert gnt_job_run("show", "1") == 0
        assert capsys.readouterr().out.startswith("- Job ID: 1\n")


class TestWatchWait:
    def test_watch(self, master, capsys):
        master.add_job([dict(DELAY_OP)])
        assert gnt_job_run("watch", "1") == 0
        out = capsys.readouterr().out.splitlines()
        assert out[:2] == ["Output from job 1 follows", "-------------------------"]
        assert out[2].endswith(" step one") and out[3].endswith(" step two")
        assert out[2].startswith(time.ctime(T0 + 1.0005))

    def test_watch_failed_job(self, master, capsys):
        master.add_job(
            [dict(DELAY_OP)],
            steps=[(constants.JOB_STATUS_ERROR, [])],
            error=["OpExecError", ["Delay failed"]],
        )
        assert gnt_job_run("watch", "1") == 1
        assert capsys.readouterr().err == (
            "Job 1 failed: Failure: command execution error:\nDelay failed\n"
        )

    def test_wait_is_silent(self, master, capsys):
        master.add_job([dict(DELAY_OP)])
        assert gnt_job_run("wait", "1") == 0
        assert capsys.readouterr().out == ""

    def test_wait_unknown_job(self, master, capsys):
        assert gnt_job_run("wait", "5") == 1
        assert "Error checking job status: Job with id 5 lost" in capsys.readouterr().err


class TestCancelArchive:
    def test_cancel_ids(self, master, capsys):
        master.add_job([dict(DELAY_OP)], steps=[])
        assert gnt_job_run("cancel", "1") == 0
        assert capsys.readouterr().out == "Job 1 canceled\n"
        assert master.requests[-1] == ("CancelJob", [1, False])
        assert gnt_job_run("cancel", "1") == 1  # already canceled

    def test_cancel_by_status_forced(self, master, capsys):
        master.add_job([dict(DELAY_OP)], steps=[])
        master.add_job([dict(DELAY_OP)], steps=[])
        _finished_job(master)
        assert gnt_job_run("cancel", "--pending", "--force") == 0
        assert capsys.readouterr().out == "Job 1 canceled\nJob 2 canceled\n"

    def test_cancel_by_status_unconfirmed(self, master, capsys, monkeypatch):
        master.add_job([dict(DELAY_OP)], steps=[])
        monkeypatch.setattr(cli, "_open_tty", lambda: (_ for _ in ()).throw(OSError()))
        assert gnt_job_run("cancel", "--queued") == constants.EXIT_CONFIRMATION
        out = capsys.readouterr().out
        assert out.splitlines()[0].split() == ["ID", "Status", "Summary"]
        assert "CancelJob" not in master.methods()

    def test_cancel_needs_ids_xor_filter(self, master, capsys):
        assert gnt_job_run("cancel") == 1
        assert "Either a status filter or job ID(s)" in capsys.readouterr().err
        assert gnt_job_run("cancel", "--pending", "1") == 1

    def test_kill_needs_confirmation(self, master, capsys):
        assert gnt_job_run("cancel", "--kill", "1") == 1
        assert "--kill option must be confirmed with --yes-do-it" in capsys.readouterr().err
        master.add_job([dict(DELAY_OP)], steps=[])
        assert gnt_job_run("cancel", "--kill", "--yes-do-it", "1") == 0
        assert master.requests[-1] == ("CancelJob", [1, True])

    def test_no_jobs_in_state(self, master, capsys):
        assert gnt_job_run("cancel", "--waiting", "--force") == 1
        assert "No jobs with the requested status have been found" in capsys.readouterr().err

    def test_change_priority(self, master, capsys):
        master.add_job([dict(DELAY_OP)], steps=[])
        assert gnt_job_run("change-priority", "1") == 1
        assert "--priority option must be given." in capsys.readouterr().err
        assert gnt_job_run("change-priority", "--priority", "high", "1") == 0
        assert master.requests[-1] == ("ChangeJobPriority", [1, -10])

    def test_archive(self, master, capsys):
        _finished_job(master)
        master.add_job([dict(DELAY_OP)], steps=[])
        assert gnt_job_run("archive", "1") == 0
        assert gnt_job_run("archive", "2") == 1
        assert "Failed to archive job with ID '2'" in capsys.readouterr().err

    def test_autoarchive(self, master, capsys):
        _finished_job(master)
        assert gnt_job_run("autoarchive", "1d") == 0
        assert capsys.readouterr().out == "Archived 1 jobs, 0 unchecked left\n"
        assert master.requests[-1] == ("AutoArchiveJobs", [86400, 60])
        assert gnt_job_run("autoarchive", "all") == 0
        assert master.requests[-1][1][0] == -1
        assert gnt_job_run("autoarchive", "soon") == 1
        assert "Invalid time specification" in capsys.readouterr().err


class TestDebug:
    def test_delay(self, master, capsys):
        assert gnt_debug_run("delay", "--no-master", "-n", "node1", "-r", "2", "1.5") == 0
        op = master.requests[0][1][0][0]
        assert op["OP_ID"] == "OP_TEST_DELAY"
        assert op["duration"] == 1.5
        assert op["on_master"] is False
        assert op["on_nodes"] == ["node1"]
        assert op["repeat"] == 2
        assert op["reason"][-1][:2] == ["gnt:client:gnt-debug", "delay"]
        out = capsys.readouterr().out.splitlines()
        assert [line.split(" ", 5)[-1] for line in out] == ["step one", "step two"]

    def test_delay_submit(self, master, capsys):
        assert gnt_debug_run("delay", "--submit", "--print-jobid", "3") == 0
        captured = capsys.readouterr()
        assert captured.out == "1\n"
        assert captured.err == "JobID: 1\n"
        assert master.methods() == ["SubmitJob"]

    def test_delay_bad_duration(self, master, capsys):
        assert gnt_debug_run("delay", "soon") == 1
        assert "Invalid duration 'soon'" in capsys.readouterr().err

    def test_submit_job(self, master, capsys, tmp_path):
        fname = tmp_path / "ops.json"
        fname.write_text(json.dumps([{"OP_ID": "OP_TEST_DELAY", "duration": 0.5}]))
        assert gnt_debug_run(
            "submit-job", "--verbose", "--op-repeat", "2", "--job-repeat", "2",
            "--timing-stats", str(fname),
        ) == 0  # fmt: skip
        out = capsys.readouterr().out
        assert "Submitted jobs 1, 2" in out
        assert "C:op        4" in out and "C:job       2" in out
        sub = [args for method, args in master.requests if method == "SubmitManyJobs"][0]
        assert [len(ops) for ops in sub[0]] == [2, 2]

    def test_submit_job_each_and_errors(self, master, capsys, tmp_path):
        fname = tmp_path / "ops.json"
        fname.write_text(json.dumps([{"OP_ID": "OP_TEST_DELAY", "duration": 0}]))
        assert gnt_debug_run("submit-job", "--each", str(fname)) == 0
        assert "SubmitJob" in master.methods()
        (tmp_path / "bad.json").write_text("{not json")
        assert gnt_debug_run("submit-job", str(tmp_path / "bad.json")) == 1
        assert "is not valid JSON" in capsys.readouterr().err
        (tmp_path / "op.json").write_text(json.dumps([{"OP_ID": "OP_NO_SUCH"}]))
        assert gnt_debug_run("submit-job", str(tmp_path / "op.json")) == 1
        err = capsys.readouterr().err
        assert "Unknown opcode 'OP_NO_SUCH'" in err and "Traceback" not in err

    def test_iallocator(self, master, capsys):
        master.h_SubmitJob = lambda ops: master.add_job(ops, result='{"request": 1}').id
        assert gnt_debug_run(
            "allocator", "--dir", "in", "-m", "allocate", "--disks", "1G,512",
            "--nics", "aa:00:00:00:00:01//br0,", "-t", "plain", "--tags", "a,b", "inst1",
        ) == 0  # fmt: skip
        assert capsys.readouterr().out.splitlines()[-1] == '{"request": 1}'
        op = master.requests[0][1][0][0]
        assert op["OP_ID"] == "OP_TEST_ALLOCATOR"
        assert op["mode"] == "allocate" and op["direction"] == "in"
        assert op["name"] == "inst1" and op["instances"] == ["inst1"]
        assert op["disks"] == [{"size": 1024, "mode": "rw"}, {"size": 512, "mode": "rw"}]
        assert op["nics"] == [
            {"mac": "aa:00:00:00:00:01", "ip": None, "bridge": "br0"},
            {"mac": None, "ip": None, "bridge": None},
        ]
        assert op["tags"] == ["a", "b"] and op["memory"] == 128 and op["count"] == 2

    def test_iallocator_bad_disks(self, master, capsys):
        assert gnt_debug_run("iallocator", "--disks", "huge", "inst1") == 1
        assert "Invalid disk size 'huge'" in capsys.readouterr().err
        assert master.requests == []

    def test_locks(self, master, capsys):
        master.locks = [
            ["cluster/BGL", "shared", ["job/1", "job/2"], [["exclusive", ["job/3"]]]],
            ["instance/web1", None, None, None],
        ]
        assert gnt_debug_run("locks") == 0
        assert capsys.readouterr().out.splitlines() == [
            "Name          Mode   Owner       Pending",
            "cluster/BGL   shared job/1,job/2 exclusive:job/3",
            "instance/web1 -      -           -",
        ]
        assert master.requests[-1][1][0] == "lock"


class TestShims:
    def _run(self, master, *argv):
        env = dict(os.environ, GANETI_ROOT=pathutils.get_root())
        return subprocess.run(
            [os.path.join(TOP, "scripts", argv[0])] + list(argv[1:]),
            capture_output=True, text=True, env=env, timeout=30,
        )  # fmt: skip

    def test_gnt_job_list_process(self, master):
        _finished_job(master)
        res = self._run(master, "gnt-job", "list", "--no-headers")
        assert res.returncode == 0, res.stderr
        assert res.stdout.split() == ["1", "success", "TEST_DELAY(2.0)"]

    def test_usage_and_unknown_command(self, master):
        res = self._run(master, "gnt-job")
        assert res.returncode == 1 and "Usage: gnt-job" in res.stdout
        res = self._run(master, "gnt-job", "frobnicate")
        assert res.returncode == 1 and "unknown command 'frobnicate'" in res.stderr

    def test_no_master(self, master):
        master.stop()
        os.unlink(pathutils.MASTER_SOCKET)
        res = self._run(master, "gnt-job", "list")
        assert res.returncode == 1
        assert "Traceback" not in res.stderr
        assert "Cluster not initialized" in res.stderr

    def test_missing_module(self, master, tmp_path):
        # a copy of a shim for a module nobody wrote, run through its sh part
        with open(os.path.join(TOP, "scripts", "gnt-job")) as fd:
            src = fd.read()
        fake = tmp_path / "gnt-nothing"
        fake.write_text(src.replace("gnt_job", "gnt_nothing"))
        fake.chmod(0o755)
        res = subprocess.run(
            [str(fake), "list"],
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHONPATH=os.path.join(TOP, "lib")),
            timeout=30,
        )
        assert res.returncode == 1
        assert res.stderr == (
            "gnt-nothing: this command is not available: Python module"
            " 'ganeti.client.gnt_nothing' is missing (not written yet or not installed)\n"
        )
