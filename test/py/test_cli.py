"""Tests of the shared CLI machinery: options, tables, errors, job polling."""

import shutil
import tempfile
import time

import pytest

from cli_fake_master import FakeMaster
from ganeti import cli
from ganeti import cli_opts
from ganeti import constants
from ganeti import errors
from ganeti import pathutils


@pytest.fixture
def root():
    # short path: Unix socket names are limited to 108 bytes
    old = pathutils.get_root()
    tmp = tempfile.mkdtemp(prefix="gcli", dir="/tmp")
    pathutils.set_root(tmp)
    yield tmp
    pathutils.set_root(old)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def master(root):
    fake = FakeMaster().start()
    yield fake
    fake.stop()


def _parse(options, argv):
    parser = cli._CliParser(option_list=list(options))
    parser.disable_interspersed_args()
    return parser.parse_args(argv)


# --- key=val parsing ---------------------------------------------------------------


class TestKeyVal:
    def test_plain_and_prefixes(self):
        assert cli_opts.split_key_val("-B", "memory=512,vcpus=2,auto_balance,no_x,-y") == {
            "memory": "512",
            "vcpus": "2",
            "auto_balance": True,
            "x": False,
            "y": None,
        }

    def test_escaped_comma_and_equals_in_value(self):
        assert cli_opts.split_key_val("-H", r"kernel_args=ro\,quiet,path=/a=b") == {
            "kernel_args": "ro,quiet",
            "path": "/a=b",
        }

    def test_empty(self):
        assert cli_opts.split_key_val("-B", "") == {}

    def test_duplicate_key(self):
        with pytest.raises(errors.ParameterError, match="Duplicate key 'a'"):
            cli_opts.split_key_val("-B", "a=1,a=2")

    def test_no_prefixes(self):
        with pytest.raises(errors.ParameterError, match="Missing value for key 'a'"):
            cli_opts.split_key_val("--x", "a", parse_prefixes=False)

    def test_ident_forms(self):
        split = cli_opts.split_ident_key_val
        assert split("-H", "kvm:kernel_path=/x,acpi=false") == (
            "kvm",
            {"kernel_path": "/x", "acpi": "false"},
        )
        assert split("--disk", "0:size=10G,mode=rw") == ("0", {"size": "10G", "mode": "rw"})
        assert split("--net", "0:link=br0") == ("0", {"link": "br0"})
        assert split("--disk", "1:remove") == ("1", {"remove": True})
        assert split("--net", "add:mac=auto") == ("add", {"mac": "auto"})
        assert split("-H", "kvm") == ("kvm", {})
        assert split("-H", "no_xen-pvm") == ("xen-pvm", False)
        assert split("-H", "-kvm") == ("kvm", None)
        # a negative index is an index, not a reset
        assert split("--disk", "-1:size=1G") == ("-1", {"size": "1G"})

    def test_ident_removal_takes_no_options(self):
        with pytest.raises(errors.ParameterError, match="Cannot pass options"):
            cli_opts.split_ident_key_val("-H", "no_kvm:acpi=true")

    def test_multilist(self):
        assert cli_opts.split_multilist_ident_key_val(
            "--ipolicy-bounds-specs", "min:cpu-count=1/max:cpu-count=4//min:cpu-count=2"
        ) == [{"min": {"cpu-count": "1"}, "max": {"cpu-count": "4"}}, {"min": {"cpu-count": "2"}}]
        with pytest.raises(errors.ParameterError, match="Empty section"):
            cli_opts.split_multilist_ident_key_val("--x", "min:a=1//")

    def test_options_through_optparse(self):
        opts, args = _parse(
            [cli.BACKEND_OPT, cli.HVLIST_OPT, cli.DISK_OPT, cli.NET_OPT, cli.OSPARAMS_OPT],
            [
                "-B", "maxmem=1G,no_auto_balance",
                "-H", "kvm:kernel_path=/x,acpi=false",
                "--disk", "0:size=10G,mode=rw",
                "--disk", "1:remove",
                "--net", "0:link=br0",
                "-O", "-dhcp",
                "inst1",
            ],
        )  # fmt: skip
        assert opts.beparams == {"maxmem": "1G", "auto_balance": False}
        assert opts.hvparams == [("kvm", {"kernel_path": "/x", "acpi": "false"})]
        assert opts.disks == [("0", {"size": "10G", "mode": "rw"}), ("1", {"remove": True})]
        assert opts.nics == [("0", {"link": "br0"})]
        assert opts.osparams == {"dhcp": None}
        assert args == ["inst1"]


class TestValueConversion:
    def test_units_option(self):
        opt = cli.cli_option("--size", dest="size", type="unit")
        assert _parse([opt], ["--size", "10G"])[0].size == 10240
        assert _parse([opt], ["--size", "512"])[0].size == 512
        assert _parse([opt], ["--size", "1t"])[0].size == 1048576

    def test_bad_unit_is_usage_error(self, capsys):
        opt = cli.cli_option("--size", dest="size", type="unit")
        with pytest.raises(cli._ParserExit) as exc:
            _parse([opt], ["--size", "10X"])
        assert exc.value.status == 1
        assert "option --size" in capsys.readouterr().err

    def test_bool_and_priority_and_list(self):
        opts, _ = _parse(
            [cli.MC_OPT, cli.PRIORITY_OPT, cli.cli_option("--l", dest="l", type="list")],
            ["-C", "yes", "--priority", "high", "--l", r"a,b\,c"],
        )
        assert opts.master_candidate is True
        assert opts.priority == constants.OP_PRIO_HIGH
        assert opts.l == ["a", "b,c"]
        assert _parse([cli.PRIORITY_OPT], ["--priority", "low"])[0].priority == 10
        with pytest.raises(errors.ParameterError, match="Invalid boolean value"):
            _parse([cli.MC_OPT], ["-C", "maybe"])

    def test_bad_priority(self, capsys):
        with pytest.raises(cli._ParserExit):
            _parse([cli.PRIORITY_OPT], ["--priority", "urgent"])
        assert "invalid priority 'urgent'" in capsys.readouterr().err

    def test_disk_and_nic_lists(self):
        disks = cli.parse_disk_option([("1", {"size": "1G"}), ("0", {"size": "512", "mode": "rw"})])
        assert disks == [{"size": 512, "mode": "rw"}, {"size": 1024}]
        assert cli.parse_nic_option([("1", {"link": "br1"})]) == [{}, {"link": "br1"}]
        with pytest.raises(errors.OpPrereqError, match="Invalid disk index"):
            cli.parse_disk_option([("x", {})])
        with pytest.raises(errors.OpPrereqError, match="Invalid disk size 'big'"):
            cli.parse_disk_option([("0", {"size": "big"})])

    def test_convert_param_types(self):
        params = {"maxmem": "1G", "vcpus": "2", "auto_balance": "no", "minmem": None}
        cli.convert_param_types(params, constants.BES_PARAMETER_TYPES)
        assert params == {"maxmem": 1024, "vcpus": 2, "auto_balance": False, "minmem": None}
        with pytest.raises(errors.TypeEnforcementError, match="Unknown parameter 'foo'"):
            cli.convert_param_types({"foo": "1"}, constants.BES_PARAMETER_TYPES)
        with pytest.raises(errors.TypeEnforcementError, match="not a valid int"):
            cli.convert_param_types({"vcpus": "many"}, constants.BES_PARAMETER_TYPES)

    def test_timespec(self):
        assert cli.parse_timespec("30") == 30
        assert cli.parse_timespec("2h") == 7200
        assert cli.parse_timespec("1d") == 86400
        assert cli.parse_timespec("1w") == 604800
        for bad in ("", "d", "xd", "1y"):
            with pytest.raises(errors.OpPrereqError):
                cli.parse_timespec(bad)

    def test_parse_fields(self):
        default = ["id", "status"]
        assert cli.parse_fields(None, default) == ["id", "status"]
        assert cli.parse_fields("+summary,priority", default) == [
            "id",
            "status",
            "summary",
            "priority",
        ]
        assert cli.parse_fields("name", default) == ["name"]


# --- tables ------------------------------------------------------------------------


def _response(fields, rows):
    return {
        "fields": [{"name": n, "title": t, "kind": k, "doc": ""} for n, t, k in fields],
        "data": rows,
    }


class TestTables:
    def test_alignment(self):
        cols = [
            cli.TableColumn("Name", str, False),
            cli.TableColumn("Size", str, True),
            cli.TableColumn("Note", str, False),
        ]
        lines = cli.format_table([["a", 5, "x"], ["long-name", 12345, "yy"]], cols, True, None)
        assert lines == [
            "Name       Size Note",
            "a             5 x",
            "long-name 12345 yy",
        ]

    def test_separator_disables_padding(self):
        cols = [cli.TableColumn("Name", str, False), cli.TableColumn("Size", str, True)]
        assert cli.format_table([["a", 5]], cols, True, "|") == ["Name|Size", "a|5"]
        assert cli.format_table([["a", 5]], cols, False, ",") == ["a,5"]

    def test_query_result_kinds_and_units(self):
        resp = _response(
            [
                ("name", "Node", constants.QFT_TEXT),
                ("mtotal", "MTotal", constants.QFT_UNIT),
                ("pinst_cnt", "Pinst", constants.QFT_NUMBER),
                ("offline", "Offline", constants.QFT_BOOL),
            ],
            [
                [[0, "node1"], [0, 2048], [0, 3], [0, False]],
                [[0, "node2.example.com"], [0, 512], [0, 10], [0, True]],
            ],
        )
        status, lines = cli.format_query_result(resp, header=True)
        assert status == cli.QR_NORMAL
        assert lines == [
            "Node              MTotal Pinst Offline",
            "node1               2.0G     3 N",
            "node2.example.com   512M    10 Y",
        ]
        # a separator switches the default unit to MiB
        _, lines = cli.format_query_result(resp, separator=":", header=False)
        assert lines == ["node1:2048:3:N", "node2.example.com:512:10:Y"]
        _, lines = cli.format_query_result(resp, unit="g", separator=":")
        assert lines[0] == "node1:2.0:3:N"

    def test_status_markers(self):
        resp = _response(
            [("name", "Node", constants.QFT_TEXT), ("mfree", "MFree", constants.QFT_UNIT)],
            [
                [[0, "n1"], [constants.RS_NODATA, None]],
                [[0, "n2"], [constants.RS_UNAVAIL, None]],
                [[0, "n3"], [constants.RS_OFFLINE, None]],
            ],
        )
        status, lines = cli.format_query_result(resp)
        assert status == cli.QR_INCOMPLETE
        assert [line.split()[1] for line in lines] == ["?", "-", "*"]
        _, lines = cli.format_query_result(resp, verbose=True)
        assert [line.split()[1] for line in lines] == ["(nodata)", "(unavail)", "(offline)"]

    def test_unknown_field_status(self):
        resp = _response(
            [("name", "Node", constants.QFT_TEXT), ("bogus", "bogus", constants.QFT_UNKNOWN)],
            [[[0, "n1"], [constants.RS_UNKNOWN, None]]],
        )
        status, lines = cli.format_query_result(resp, header=True)
        assert status == cli.QR_UNKNOWN
        assert lines[1] == "n1   ??"
        # no rows: unknown detected from the field definitions
        status, _ = cli.format_query_result(dict(resp, data=[]))
        assert status == cli.QR_UNKNOWN

    def test_override_and_timestamp(self):
        resp = _response(
            [("ctime", "CTime", constants.QFT_TIMESTAMP), ("tags", "Tags", constants.QFT_OTHER)],
            [[[0, 0], [0, ["a", "b"]]]],
        )
        _, lines = cli.format_query_result(
            resp, format_override={"tags": (",".join, False)}, separator="|"
        )
        assert lines == [time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(0)) + "|a,b"]

    def test_generate_table(self):
        lines = cli.generate_table(
            {"name": "Name", "size": "Size"},
            ["name", "size"],
            None,
            [["lv1", 1024], None, ["longer", 10]],
            numfields=["size"],
            unitfields=["size"],
        )
        assert lines == ["Name   Size", "lv1    1.0G", "-         -", "longer  10M"]

    def test_generic_info(self):
        text = cli.format_generic_info(
            [
                [
                    ("Job ID", 3),
                    ("Received", "t1", "g"),
                    ("Processing start", "t2", "g"),
                    ("Input", {"b": 1, "a": [1, 2]}),
                    ("Log", [[("Time", "t"), ("Content", (1, "message", "hi"))]]),
                    ("Empty", []),
                ]
            ]
        )
        assert text.splitlines() == [
            "- Job ID: 3",
            "  Received:         t1",
            "  Processing start: t2",
            "  Input: ",
            "    a: ",
            "      - 1",
            "      - 2",
            "    b: 1",
            "  Log: ",
            "    - Time: t",
            "      Content: [1, message, hi]",
            "  Empty: ",
        ]

    def test_format_timestamp(self):
        assert cli.format_timestamp("x") == "?"
        assert cli.format_timestamp([0, 5]).endswith(".000005")


# --- errors ------------------------------------------------------------------------


class TestFormatError:
    def test_every_error_class_has_a_message(self):
        for name in dir(errors):
            cls = getattr(errors, name)
            if not (isinstance(cls, type) and issubclass(cls, Exception)):
                continue
            if cls.__module__ != errors.__name__:
                continue
            try:
                err = cls("some text")
            except TypeError:
                continue
            code, text = cli.format_error(err)
            assert isinstance(code, int) and text, name
            assert "Traceback" not in text

    @pytest.mark.parametrize(
        "err,code,text",
        [
            (
                errors.OpPrereqError("Instance 'x' not known", errors.ECODE_NOENT),
                1,
                "Failure: prerequisites not met for this operation:\n"
                "error type: unknown_entity, error details:\nInstance 'x' not known",
            ),
            (
                errors.OpPrereqError("bad"),
                1,
                "Failure: prerequisites not met for this operation:\nbad",
            ),
            (errors.OpExecError("disk failed"), 1, "Failure: command execution error:\ndisk failed"),
            (errors.TagError("bad tag"), 1, "Failure: invalid tag(s) given:\nbad tag"),
            (
                errors.JobQueueDrainError("x"),
                1,
                "Failure: the job queue is marked for drain and doesn't accept new requests",
            ),
            (errors.JobQueueFull("x"), 1, "Failure: the job queue is full and doesn't accept"
             " new job submissions until old jobs are archived"),
            (errors.TypeEnforcementError("x is bad"), 1, "Parameter Error: x is bad"),
            (errors.ParameterError("foo"), 1, "Failure: unknown/wrong parameter name 'foo'"),
            (errors.ConfigurationError("broken"), 2, "Corrupt configuration file: broken\nAborting."),
            (errors.HooksFailure("oops"), 1, "Failure: hooks general failure: oops"),
            (
                errors.HooksAbort([("node1", "10-x", "out"), ("node2", "20-y", "")]),
                1,
                "Failure: hooks execution failed:\n  node: node1, script: 10-x, output: out\n"
                "  node: node2, script: 20-y (no output)",
            ),
            (errors.ResolverError("nohost.invalid", 1, "x"), 1,
             "Failure: can't resolve hostname 'nohost.invalid'"),
            (
                errors.PermissionError("/x"),
                1,
                "It seems you don't have permissions to connect to the master daemon.\n"
                "Please retry as a different user.",
            ),
            (errors.ConnectionClosedError("gone"), 1,
             "Unhandled protocol error while talking to the master daemon:\ngone"),
            (errors.JobLost("Job with id 3 lost"), 1, "Error checking job status: Job with id 3 lost"),
            (errors.JobSubmittedException(17), 0, "JobID: 17"),
            (errors.LockError("busy"), 1, "Unhandled Ganeti error: busy"),
            (ValueError("boom"), 1, "Unhandled exception: boom"),
        ],
    )  # fmt: skip
    def test_messages(self, err, code, text):
        assert cli.format_error(err) == (code, text)

    def test_no_master(self, root):
        code, text = cli.format_error(errors.NoMasterError(pathutils.MASTER_SOCKET))
        assert code == 1
        assert text == (
            "Cannot communicate with the master daemon.\n"
            "Is the process running and listening for connections?"
        )
        assert "socket '/x'" in cli.format_error(errors.NoMasterError("/x"))[1]

    def test_timeout(self):
        code, text = cli.format_error(errors.TimeoutError("Receive timeout"))
        assert text.startswith("Timeout while talking to the master daemon.")
        assert text.endswith("Error:\nReceive timeout")

    def test_filter_parse_error(self):
        class Where:
            line = "name == "
            col = 8

        text = cli.format_error(errors.QueryFilterParseError("Failed to parse", Where()))[1]
        assert text.splitlines() == [
            "Error while parsing query filter: Failed to parse",
            "Failed to parse",
            "name == ",
            "       ^",
        ]


# --- generic_main ------------------------------------------------------------------


def _cmd_ok(opts, args):
    cli.to_stdout("args=%s force=%s", ",".join(args), opts.force)
    return 0


def _cmd_fail(opts, args):
    raise errors.OpPrereqError("no such thing", errors.ECODE_NOENT)


def _cmd_crash(opts, args):
    raise errors.ProgrammerError("internal")


def _cmd_bug(opts, args):
    return {}["missing"]


COMMANDS = {
    "run": (_cmd_ok, [cli.ArgUnknown(min=1, max=2)], [cli.FORCE_OPT], "<a> [<b>]", "Runs it"),
    "fail": (_cmd_fail, cli.ARGS_NONE, [], "", "Fails"),
    "crash": (_cmd_crash, cli.ARGS_NONE, [], "", "Crashes with a Ganeti error"),
    "bug": (_cmd_bug, cli.ARGS_NONE, [], "", "Has a bug"),
    "exact": (_cmd_ok, [cli.ArgUnknown(min=2, max=2)], [cli.FORCE_OPT], "<a> <b>", "Two"),
}


class TestGenericMain:
    def run(self, *argv, **kwargs):
        return cli.generic_main(COMMANDS, argv=["gnt-test"] + list(argv), **kwargs)

    def test_dispatch(self, root, capsys):
        assert self.run("run", "-f", "x") == 0
        assert capsys.readouterr().out == "args=x force=True\n"

    def test_alias(self, root, capsys):
        assert self.run("go", "x", aliases={"go": "run"}) == 0
        assert "args=x" in capsys.readouterr().out

    def test_usage(self, root, capsys):
        assert self.run() == 1
        out = capsys.readouterr().out
        assert out.startswith("Usage: gnt-test {command} [options...] [argument...]\n")
        assert " run   - Runs it" in out
        assert self.run("--help") == 0
        assert self.run("nope") == 1
        captured = capsys.readouterr()
        assert "unknown command 'nope'" in captured.err
        assert "Commands:" in captured.out

    def test_version(self, root, capsys):
        assert self.run("--version") == 0
        assert capsys.readouterr().out.startswith("gnt-test (ganeti ")

    def test_argument_counts(self, root, capsys):
        assert self.run("run") == 1
        assert "Error: Command run expects at least 1 argument(s)" in capsys.readouterr().err
        assert self.run("run", "a", "b", "c") == 1
        assert "expects only 2 argument(s)" in capsys.readouterr().err
        assert self.run("exact", "a") == 1
        assert "expects 2 argument(s)" in capsys.readouterr().err
        assert self.run("fail", "x") == 1
        assert "expects no arguments" in capsys.readouterr().err

    def test_option_errors(self, root, capsys):
        assert self.run("run", "--nope", "x") == 1
        err = capsys.readouterr().err
        assert "no such option: --nope" in err and "Usage: gnt-test run" in err
        assert self.run("run", "--help") == 0
        assert "--force" in capsys.readouterr().out

    def test_options_stop_at_first_argument(self, root, capsys):
        # like Ganeti: later dashes belong to the arguments
        assert self.run("run", "x", "-f") == 0
        assert capsys.readouterr().out == "args=x,-f force=False\n"

    def test_errors_become_messages(self, root, capsys):
        assert self.run("fail") == 1
        err = capsys.readouterr().err
        assert err == (
            "Failure: prerequisites not met for this operation:\n"
            "error type: unknown_entity, error details:\nno such thing\n"
        )
        assert self.run("crash") == 1
        assert capsys.readouterr().err == "Unhandled Ganeti error: internal\n"

    def test_bug_is_one_line(self, root, capsys):
        assert self.run("bug") == 1
        assert capsys.readouterr().err == (
            "Unhandled exception: 'missing' (run with --debug for the details)\n"
        )
        assert self.run("bug", "--debug") == 1
        err = capsys.readouterr().err
        assert "Traceback" in err and "KeyError" in err

    def test_debug_shows_trace(self, root, capsys):
        assert self.run("crash", "-d") == 1
        assert "Traceback" in capsys.readouterr().err

    def test_env_override(self, root, capsys, monkeypatch):
        monkeypatch.setenv("GNT_TEST_RUN", "-f")
        assert self.run("run", "x", env_override={"run"}) == 0
        assert "force=True" in capsys.readouterr().out

    def test_override(self, root, capsys):
        assert self.run("run", "x", override={"force": "yes"}) == 0
        assert "force=yes" in capsys.readouterr().out

    def test_common_options_not_duplicated(self, root, capsys):
        cmds = {"run": (_cmd_ok, [cli.ArgUnknown()], [cli.DEBUG_OPT, cli.FORCE_OPT], "", "x")}
        assert cli.generic_main(cmds, argv=["gnt-test", "run", "-d", "a"]) == 0
        clash = cli.cli_option("-f", "--fast", action="store_true")
        cmds = {"run": (_cmd_ok, [], [cli.FORCE_OPT, clash], "", "x")}
        assert cli.generic_main(cmds, argv=["gnt-test", "run"]) == 1
        assert "Internal error: the options of this command are inconsistent" in (
            capsys.readouterr().err
        )

    def test_no_master_not_in_cluster(self, root, capsys):
        def query(opts, args):
            cli.get_client().QueryClusterInfo()

        cmds = {"q": (query, cli.ARGS_NONE, [], "", "Query")}
        assert cli.generic_main(cmds, argv=["gnt-test", "q"]) == 1
        assert "Cluster not initialized or this machine is not part of a cluster" in (
            capsys.readouterr().err
        )
        ssconf = pathutils.ssconf_file("master_node")
        import os

        os.makedirs(os.path.dirname(ssconf), exist_ok=True)
        with open(ssconf, "w") as fd:
            fd.write("othernode.example.com\n")
        assert cli.generic_main(cmds, argv=["gnt-test", "q"]) == 1
        assert "connect to node 'othernode.example.com'" in capsys.readouterr().err


# --- job submission and polling ----------------------------------------------------


class Op:
    """A stand-in opcode (the CLI needs only to_dict and attributes)."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def to_dict(self):
        return dict(self.__dict__, OP_ID="OP_TEST_DELAY")


class Opts:
    debug = 0
    dry_run = False
    priority = None
    reason = None
    submit_only = False
    print_jobid = False


class TestJobs:
    def test_submit_prints_log_and_returns_result(self, master, capsys):
        master.default_steps = [
            (constants.JOB_STATUS_RUNNING, ["first message"]),
            (constants.JOB_STATUS_RUNNING, ["second message"]),
            (constants.JOB_STATUS_SUCCESS, []),
        ]
        result = cli.submit_op_code(Op(duration=1.0), opts=Opts())
        assert result is None
        out = capsys.readouterr().out.splitlines()
        assert out == [
            "%s first message" % time.ctime(1795575580.0005),
            "%s second message" % time.ctime(1795575581.0005),
        ]
        submitted = master.requests[0]
        assert submitted[0] == "SubmitJob"
        op = submitted[1][0][0]
        assert op["OP_ID"] == "OP_TEST_DELAY" and op["debug_level"] == 0
        assert op["reason"][-1][0].startswith("gnt:client:")
        assert "WaitForJobChange" in master.methods()
        assert master.methods()[-1] == "QueryJobs"

    def test_priority_reason_and_print_jobid(self, master, capsys):
        opts = Opts()
        opts.priority = constants.OP_PRIO_HIGH
        opts.reason = "maintenance"
        opts.print_jobid = True
        cli.submit_op_code(Op(duration=0), opts=opts)
        assert capsys.readouterr().out.splitlines()[0] == "1"
        op = master.requests[0][1][0][0]
        assert op["priority"] == -10
        assert op["reason"][0][:2] == [constants.OPCODE_REASON_SRC_USER, "maintenance"]

    def test_submit_only(self, master, capsys):
        opts = Opts()
        opts.submit_only = True
        with pytest.raises(errors.JobSubmittedException) as exc:
            cli.submit_or_send(Op(duration=0), opts)
        assert exc.value.args == (1,)
        assert master.methods() == ["SubmitJob"]

    def test_job_error_is_rebuilt(self, master):
        master.default_steps = [(constants.JOB_STATUS_ERROR, ["going down"])]
        job_error = errors.encode_exception(errors.OpPrereqError("no disk", errors.ECODE_STATE))

        def submit(ops):
            return master.add_job(ops, error=job_error).id

        master.h_SubmitJob = submit
        with pytest.raises(errors.OpPrereqError) as exc:
            cli.submit_op_code(Op(duration=0), opts=Opts())
        assert exc.value.args == ("no disk", errors.ECODE_STATE)

    def test_job_error_plain_message(self, master):
        master.default_steps = [(constants.JOB_STATUS_ERROR, [])]
        master.h_SubmitJob = lambda ops: master.add_job(ops, error="it broke").id
        with pytest.raises(errors.OpExecError, match="it broke"):
            cli.submit_op_code(Op(duration=0), opts=Opts())

    def test_canceled_and_lost(self, master):
        master.default_steps = [(constants.JOB_STATUS_CANCELED, [])]
        with pytest.raises(errors.JobCanceled):
            cli.submit_op_code(Op(duration=0), opts=Opts())
        with pytest.raises(errors.JobLost, match="Job with id 99 lost"):
            cli.poll_job(99)

    def test_not_changed_reports_queue_once(self, master, capsys):
        master.add_job([{"OP_ID": "OP_TEST_DELAY"}], steps=[
            (constants.JOB_STATUS_QUEUED, []),
            (constants.JOB_STATUS_QUEUED, []),
            (constants.JOB_STATUS_QUEUED, []),
            (constants.JOB_STATUS_WAITING, []),
            (constants.JOB_STATUS_WAITING, []),
            (constants.JOB_STATUS_SUCCESS, ["done"]),
            (constants.JOB_STATUS_SUCCESS, []),
        ], result="ok")  # fmt: skip
        assert cli.poll_job(1) == ["ok"]
        err = capsys.readouterr().err
        assert err.count("Job 1 is waiting in queue") == 1
        assert err.count("Job 1 is trying to acquire all necessary locks") == 1

    def test_feedback_fn(self, master):
        master.add_job([{"OP_ID": "OP_TEST_DELAY"}])
        got = []
        cli.poll_job(1, feedback_fn=got.append)
        assert [msg for _, _, msg in got] == ["step one", "step two"]

    def test_master_error_is_raised(self, master):
        master.fail_methods["SubmitJob"] = errors.JobQueueDrainError("drained")
        with pytest.raises(errors.JobQueueDrainError):
            cli.submit_op_code(Op(duration=0), opts=Opts())

    def test_job_executor(self, master, capsys):
        jex = cli.JobExecutor(opts=Opts())
        jex.queue_job("first", Op(duration=0))
        jex.queue_job("second", Op(duration=1))
        jex.submit_pending()
        results = jex.get_results()
        assert results == [(True, [None]), (True, [None])]
        out = capsys.readouterr().out
        assert "Submitted jobs 1, 2" in out
        assert "Waiting for job 1 for first ..." in out
        assert master.methods()[0] == "SubmitManyJobs"

    def test_log_message_encoding(self):
        assert cli.format_log_message("message", "a\tb\nc") == "a\tb\nc"
        assert cli.format_log_message("message", "bell\x07") == "bell\\x07"
        assert cli.format_log_message("other", {"a": 1}) == "{'a': 1}"


class TestTags:
    def test_list_tags(self, master, capsys):
        class TagOpts:
            tag_type = constants.TAG_NODE

        assert cli.list_tags(TagOpts(), ["node1"]) == 0
        assert capsys.readouterr().out == "a-tag\nb-tag\n"
        assert master.requests[0] == ("QueryTags", ["node", "node1"])

    def test_missing_object_name(self):
        class TagOpts:
            tag_type = constants.TAG_INSTANCE

        with pytest.raises(errors.OpPrereqError):
            cli.list_tags(TagOpts(), [])


class TestHelpers:
    def test_split_node_option(self):
        assert cli.split_node_option("a:b") == ("a", "b")
        assert cli.split_node_option("a") == ("a", None)
        assert cli.split_node_option(None) == (None, None)

    def test_calculate_os_names(self):
        assert cli.calculate_os_names("debian", ["a", "b"]) == ["debian+a", "debian+b"]
        assert cli.calculate_os_names("noop", []) == ["noop"]

    def test_get_online_nodes(self, master, capsys):
        master.nodes = [
            {"name": "n1", "offline": False, "sip": "10.0.0.1"},
            {"name": "n2", "offline": True, "sip": "10.0.0.2"},
            {"name": "n3", "offline": False, "sip": "10.0.0.3"},
        ]
        assert cli.get_online_nodes(None) == ["n1", "n3"]
        assert "Note: skipping offline node(s): n2" in capsys.readouterr().err
        assert cli.get_online_nodes(["n2", "n3"], secondary_ips=True, nowarn=True) == ["10.0.0.3"]
        assert capsys.readouterr().err == ""
        assert master.requests[-1][1][2] == ["|", ["=", "name", "n2"], ["=", "name", "n3"]]
