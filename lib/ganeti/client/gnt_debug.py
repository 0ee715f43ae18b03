"""gnt-debug: test and debugging commands.

Owns ``delay`` (OP_TEST_DELAY), ``submit-job`` (jobs from JSON opcode files),
``iallocator`` (OP_TEST_ALLOCATOR) and ``locks`` (the master's lock table via
Query("lock")).  It must never
build opcodes by hand as dicts: opcodes come from ``ganeti.opcodes``.
"""

import time
from typing import Any

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti.cli import cli_option

#: default fields of ``gnt-debug locks``
LIST_LOCKS_DEF_FIELDS = ["name", "mode", "owner", "pending"]


def delay(opts: Any, args: list[str]) -> int:
    """``delay DURATION``: submits OP_TEST_DELAY and follows it."""
    from ganeti import opcodes

    try:
        duration = float(args[0])
    except ValueError:
        raise errors.OpPrereqError(
            "Invalid duration '%s': not a number" % args[0], errors.ECODE_INVAL
        ) from None
    op = opcodes.OpTestDelay(
        duration=duration,
        on_master=opts.on_master,
        on_nodes=opts.on_nodes,
        repeat=opts.repeat,
        interruptible=opts.interruptible,
        no_locks=opts.no_locks,
    )
    cli.submit_or_send(op, opts)
    return constants.EXIT_SUCCESS


def _load_ops(fname: str) -> list:
    from ganeti import opcodes
    from ganeti import serializer

    try:
        with open(fname, encoding="utf-8") as fd:
            data = serializer.loads(fd.read())
    except OSError as err:
        raise errors.OpPrereqError(
            "Can't read opcode file '%s': %s" % (fname, err.strerror), errors.ECODE_ENVIRON
        ) from None
    except ValueError as err:
        raise errors.OpPrereqError(
            "Opcode file '%s' is not valid JSON: %s" % (fname, err), errors.ECODE_INVAL
        ) from None
    if not isinstance(data, list):
        raise errors.OpPrereqError(
            "Opcode file '%s' must hold a list of opcodes" % fname, errors.ECODE_INVAL
        )
    return [opcodes.OpCode.load_op_code(item) for item in data]


def submit_job(opts: Any, args: list[str]) -> int:
    """``submit-job FILE...``: one job per file (times --job-repeat), each
    file's opcodes repeated --op-repeat times; waits for all of them."""
    jex = cli.JobExecutor(verbose=opts.verbose, opts=opts)
    job_cnt = op_cnt = 0
    if opts.timing_stats:
        cli.to_stdout("Loading...")
    for job_idx in range(opts.rep_job):
        for fname in args:
            ops = _load_ops(fname) * opts.rep_op
            jex.queue_job("file %s/%d" % (fname, job_idx), *ops)
            op_cnt += len(ops)
            job_cnt += 1
    t_start = time.time()
    if opts.timing_stats:
        cli.to_stdout("Submitting...")
    jex.submit_pending(each=opts.each)
    t_submitted = time.time()
    if opts.timing_stats:
        cli.to_stdout("Executing...")
    results = jex.get_results()
    t_done = time.time()
    if opts.timing_stats:
        cli.to_stdout("C:op     %4d" % op_cnt)
        cli.to_stdout("C:job    %4d" % job_cnt)
        cli.to_stdout("T:submit %4.4f" % (t_submitted - t_start))
        cli.to_stdout("T:exec   %4.4f" % (t_done - t_submitted))
        cli.to_stdout("T:total  %4.4f" % (t_done - t_start))
    if not all(success for success, _ in results):
        return constants.EXIT_FAILURE
    return constants.EXIT_SUCCESS


def _parse_test_nics(text: str) -> list[dict]:
    """``mac/ip/bridge,...``; missing or empty parts become None."""
    nics = []
    for spec in text.split(","):
        parts = (spec.split("/") + [None, None, None])[:3]
        mac, ip, bridge = (part or None for part in parts)
        nics.append({constants.INIC_MAC: mac, constants.INIC_IP: ip, "bridge": bridge})
    return nics


def test_allocator(opts: Any, args: list[str]) -> int:
    """``iallocator NAME...``: builds an allocator request (``--dir in``) or
    runs the allocator on it (``--dir out``) and prints the result."""
    from ganeti import opcodes

    disks = [
        {
            constants.IDISK_SIZE: cli.parse_size(size, "disk size"),
            constants.IDISK_MODE: constants.DISK_RDWR,
        }
        for size in opts.disks.split(",")
    ]
    op = opcodes.OpTestAllocator(
        mode=opts.mode,
        name=args[0],
        instances=args,
        memory=opts.memory,
        disks=disks,
        disk_template=opts.disk_template,
        nics=_parse_test_nics(opts.nics),
        os=opts.os,
        vcpus=opts.vcpus,
        tags=opts.tags.split(",") if opts.tags else [],
        direction=opts.direction,
        iallocator=opts.iallocator,
        evac_mode=opts.evac_mode,
        target_groups=opts.target_groups or [],
        spindle_use=opts.spindle_use,
        count=opts.count,
    )
    result = cli.submit_op_code(op, opts=opts)
    cli.to_stdout("%s", result)
    return constants.EXIT_SUCCESS


def _dash_if_empty(fn: Any) -> Any:
    def wrapper(value: Any) -> str:
        return fn(value) if value else "-"

    return wrapper


def _format_pending(value: list) -> str:
    return ", ".join("%s:%s" % (mode, ",".join(str(t) for t in owners)) for mode, owners in value)


LOCKS_FORMAT = {
    "mode": (_dash_if_empty(str), False),
    "owner": (_dash_if_empty(lambda v: ",".join(str(o) for o in v)), False),
    "pending": (_dash_if_empty(_format_pending), False),
}


def list_locks(opts: Any, args: list[str]) -> int:
    """``locks``: the lock table, repeated every --interval seconds."""
    fields = cli.parse_fields(opts.output, LIST_LOCKS_DEF_FIELDS)
    cl = cli.get_client()
    while True:
        ret = cli.generic_list(
            constants.QR_LOCK,
            fields,
            None,
            None,
            opts.separator,
            not opts.no_headers,
            cl=cl,
            format_override=LOCKS_FORMAT,
            verbose=opts.verbose,
        )
        if ret != constants.EXIT_SUCCESS or not opts.interval:
            return ret
        cli.to_stdout("")
        time.sleep(opts.interval)


commands = {
    "delay": (
        delay,
        [cli.ArgUnknown(min=1, max=1)],
        [
            cli_option(
                "--no-master",
                dest="on_master",
                default=True,
                action="store_false",
                help="Do not sleep in the master code",
            ),
            cli_option(
                "-n",
                dest="on_nodes",
                default=[],
                action="append",
                help="Select nodes to sleep on",
            ),
            cli_option(
                "-r",
                "--repeat",
                type="int",
                default=0,
                dest="repeat",
                help="Number of times to repeat the sleep",
            ),
            cli_option(
                "-i",
                "--interruptible",
                default=False,
                dest="interruptible",
                action="store_true",
                help="Allows the opcode to be interrupted by using a domain socket",
            ),
            cli_option(
                "-l",
                "--no-locks",
                default=False,
                dest="no_locks",
                action="store_true",
                help="Don't take locks while performing the delay",
            ),
            cli.DRY_RUN_OPT,
            cli.PRIORITY_OPT,
        ]
        + cli.SUBMIT_OPTS,
        "[<opts>...] <duration>",
        "Executes a TestDelay OpCode",
    ),  # fmt: skip
    "submit-job": (
        submit_job,
        [cli.ArgFile(min=1)],
        [
            cli.VERBOSE_OPT,
            cli_option(
                "--op-repeat",
                type="int",
                default=1,
                dest="rep_op",
                help="Repeat the opcode sequence this number of times",
            ),
            cli_option(
                "--job-repeat",
                type="int",
                default=1,
                dest="rep_job",
                help="Repeat the job this number of times",
            ),
            cli_option(
                "--timing-stats",
                default=False,
                action="store_true",
                help="Show timing stats",
            ),
            cli_option(
                "--each",
                default=False,
                action="store_true",
                help="Submit each job separately",
            ),
            cli.DRY_RUN_OPT,
            cli.PRIORITY_OPT,
        ],
        "<op-list-file>...",
        "Submits jobs built from json files containing a list of serialized opcodes",
    ),  # fmt: skip
    "iallocator": (
        test_allocator,
        [cli.ArgUnknown(min=1)],
        [
            cli_option(
                "--dir",
                dest="direction",
                default=constants.IALLOCATOR_DIR_IN,
                choices=sorted(constants.VALID_IALLOCATOR_DIRECTIONS),
                help="Show the allocator input (in) or run the allocator (out)",
            ),
            cli.IALLOCATOR_OPT,
            cli_option(
                "-m",
                "--mode",
                default=constants.IALLOCATOR_MODE_RELOC,
                choices=sorted(constants.VALID_IALLOCATOR_MODES),
                help="Request mode (one of %s)"
                % ", ".join(sorted(constants.VALID_IALLOCATOR_MODES)),
            ),
            cli_option("--memory", default=128, type="unit", help="Memory of the instance (MiB)"),
            cli_option("--disks", default="4096,4096", help="Comma separated disk sizes (MiB)"),
            cli.DISK_TEMPLATE_OPT,
            cli_option(
                "--nics",
                default="00:11:22:33:44:55",
                help="Comma separated NICs, each as mac/ip/bridge (missing parts are None)",
            ),
            cli.OS_OPT,
            cli_option("-p", "--vcpus", default=1, type="int", help="VCPUs of the instance"),
            cli_option("--tags", default=None, help="Comma separated list of tags"),
            cli_option(
                "--evac-mode",
                default=constants.NODE_EVAC_ALL,
                choices=sorted(constants.NODE_EVAC_MODES),
                help="Node evacuation mode (one of %s)"
                % ", ".join(sorted(constants.NODE_EVAC_MODES)),
            ),
            cli_option(
                "--target-groups",
                default=[],
                action="append",
                help="Target groups for relocation",
            ),
            cli_option("--spindle-use", default=1, type="int", help="Spindles to use"),
            cli_option("--count", default=2, type="int", help="Instances to allocate"),
            cli.DRY_RUN_OPT,
            cli.PRIORITY_OPT,
        ],
        "{<opts>...} <instance-name>",
        "Executes a TestAllocator OpCode",
    ),  # fmt: skip
    "locks": (
        list_locks,
        cli.ARGS_NONE,
        [cli.NOHDR_OPT, cli.SEP_OPT, cli.FIELDS_OPT, cli.INTERVAL_OPT, cli.VERBOSE_OPT],
        "[--interval N]",
        "Show a list of locks in the master daemon",
    ),
}

aliases = {"allocator": "iallocator"}


def main() -> int:
    return cli.generic_main(commands, aliases=aliases)
