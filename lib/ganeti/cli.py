"""Shared machinery of the gnt-* commands.

Owns the command dispatch (``generic_main``: sub-command tables, usage,
argument counts, error reporting and exit codes), the error texts
(``format_error``), confirmation prompts, the tag sub-commands and small
helpers (``parse_fields``, ``get_online_nodes``).  Options live in
``cli_opts``, job submission and polling in ``cli_jobs`` and output
formatting in ``cli_table``; all are re-exported here so a command module
needs only ``from ganeti import cli``.

It must never print a traceback for a Ganeti error, and must stay cheap to
import: luxi, opcodes and the filter parser are loaded only when a command
uses them.
"""

import errno
import os
import sys
import time
from optparse import OptionError, OptionParser
from typing import Any, Callable, Iterable

from ganeti import cli_jobs
from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti.cli_jobs import *  # noqa: F401,F403  (re-exported API)
from ganeti.cli_jobs import get_client, submit_or_send
from ganeti.cli_opts import *  # noqa: F401,F403  (re-exported API)
from ganeti.cli_opts import COMMON_OPTS, PRIONAME_TO_VALUE, parse_timespec  # noqa: F401
from ganeti.cli_table import *  # noqa: F401,F403  (re-exported API)
from ganeti.cli_table import generic_list, generic_list_fields, to_stderr, to_stdout

#: the command table entry: (function, [Arg...], [option...], usage, description)
Command = tuple


class _ShowUsage(Exception):
    def __init__(self, exit_error: bool) -> None:
        super().__init__()
        self.exit_error = exit_error


class _ShowVersion(Exception):
    pass


class _ParserExit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__()
        self.status = status


class _CliParser(OptionParser):
    """OptionParser that reports errors to generic_main instead of exiting."""

    def error(self, msg: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write("%s: error: %s\n" % (self.get_prog_name(), msg))
        raise _ParserExit(constants.EXIT_FAILURE)

    def exit(self, status: int = 0, msg: str | None = None) -> None:  # type: ignore[override]
        if msg:
            sys.stderr.write(msg)
        raise _ParserExit(status)

    def get_default_values(self):  # type: ignore[no-untyped-def]
        # optparse shares mutable defaults (e.g. "append" lists) between
        # parses; each parse gets its own copy
        import copy

        values = super().get_default_values()
        values.__dict__.update(copy.deepcopy(values.__dict__))
        return values


# --- dispatch ------------------------------------------------------------------


def format_usage(binary: str, commands: dict) -> list[str]:
    """The command overview printed by ``gnt-X --help`` (and on misuse)."""
    import textwrap

    width = min(60, max(len(cmd) for cmd in commands))
    lines = [
        "Usage: %s {command} [options...] [argument...]" % binary,
        "%s <command> --help to see details, or man %s" % (binary, binary),
        "",
        "Commands:",
    ]
    for cmd in sorted(commands):
        help_lines = textwrap.wrap(commands[cmd][4], 79 - 3 - width) or [""]
        lines.append(" %-*s - %s" % (width, cmd, help_lines[0]))
        lines.extend(" %-*s   %s" % (width, "", line) for line in help_lines[1:])
    lines.append("")
    return lines


def check_arguments(cmd: str, args_def: list, args: list[str]) -> bool:
    """Checks the number of positional arguments; prints why not on stderr."""
    if args and not args_def:
        to_stderr("Error: Command %s expects no arguments", cmd)
        return False
    min_count = sum(arg.min or 0 for arg in args_def)
    max_count: int | None = 0
    for idx, arg in enumerate(args_def):
        if arg.max is None:
            if idx != len(args_def) - 1:
                raise errors.ProgrammerError("Only the last argument can have max=None")
            max_count = None
        elif max_count is not None:
            max_count += arg.max
    if args_def and max_count is not None:
        if min_count == max_count and len(args) != min_count:
            to_stderr("Error: Command %s expects %d argument(s)", cmd, min_count)
            return False
        if len(args) > max_count:
            to_stderr("Error: Command %s expects only %d argument(s)", cmd, max_count)
            return False
    if len(args) < min_count:
        to_stderr("Error: Command %s expects at least %d argument(s)", cmd, min_count)
        return False
    return True


def _parse_args(
    binary: str, argv: list[str], commands: dict, aliases: dict, env_override: Iterable[str]
) -> tuple[Callable | None, Any, list[str] | None]:
    if len(argv) < 2:
        raise _ShowUsage(exit_error=True)
    cmd = argv[1]
    if cmd == "--version":
        raise _ShowVersion()
    if cmd in ("--help", "-h"):
        raise _ShowUsage(exit_error=False)
    if cmd not in commands and cmd not in aliases:
        to_stderr("Error: unknown command '%s'", cmd)
        raise _ShowUsage(exit_error=True)
    if cmd in aliases:
        if aliases[cmd] not in commands:
            raise errors.ProgrammerError(
                "Alias '%s' maps to non-existing command '%s'" % (cmd, aliases[cmd])
            )
        cmd = aliases[cmd]
    if cmd in env_override:
        env_args = os.environ.get(("%s_%s" % (binary.replace("-", "_"), cmd)).upper())
        if env_args:
            import shlex

            argv = argv[:2] + shlex.split(env_args) + argv[2:]
    func, args_def, parser_opts, usage, description = commands[cmd]
    parser = _CliParser(
        option_list=list(parser_opts) + [o for o in COMMON_OPTS if o not in parser_opts],
        description=description,
        usage="%%prog %s %s" % (cmd, usage),
        prog=binary,
        add_help_option=True,
    )
    parser.disable_interspersed_args()
    options, args = parser.parse_args(args=argv[2:])
    if not check_arguments(cmd, args_def, args):
        return None, None, None
    return func, options, args


def _log_command(binary: str, argv: list[str], extra: str = "") -> None:
    """Appends the command line (and an error trace) to the commands log."""
    try:
        import shlex

        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        line = "%s: %s pid=%d INFO Command line: %s\n" % (
            stamp,
            binary,
            os.getpid(),
            " ".join(shlex.quote(a) for a in [binary] + argv[1:]),
        )
        with open(pathutils.LOG_COMMANDS, "a", encoding="utf-8") as fd:
            fd.write(line + extra)
    except OSError:
        pass


def generic_main(
    commands: dict,
    aliases: dict | None = None,
    env_override: Iterable[str] = frozenset(),
    override: dict | None = None,
    argv: list[str] | None = None,
) -> int:
    """Runs the gnt-* command described by ``commands``; returns the exit code.

    ``commands`` maps a sub-command to ``(function, [Arg...], [option...],
    usage, description)``; the function gets ``(opts, args)`` and returns an
    exit code.  ``aliases`` maps extra names to sub-commands; for the
    sub-commands in ``env_override`` default arguments may come from the
    environment (``GNT_INSTANCE_LIST="-o name"``); ``override`` sets option
    attributes (e.g. ``{"tag_type": "node"}``).
    """
    if argv is None:
        argv = sys.argv
    cli_jobs.command_line = list(argv)
    binary = os.path.basename(argv[0]) if argv and argv[0] else "<unknown program>"
    aliases = aliases or {}
    try:
        func, options, args = _parse_args(binary, argv, commands, aliases, env_override)
    except _ShowVersion:
        to_stdout("%s (ganeti %s) %s", binary, constants.VCS_VERSION, constants.RELEASE_VERSION)
        return constants.EXIT_SUCCESS
    except _ShowUsage as err:
        for line in format_usage(binary, commands):
            to_stdout(line)
        return constants.EXIT_FAILURE if err.exit_error else constants.EXIT_SUCCESS
    except _ParserExit as err:
        return err.status
    except OptionError as err:
        to_stderr("Internal error: the options of this command are inconsistent: %s", err)
        return constants.EXIT_FAILURE
    except (errors.GenericError, errors.JobSubmittedException) as err:
        to_stderr(format_error(err)[1])
        return constants.EXIT_FAILURE
    if func is None:
        return constants.EXIT_FAILURE
    for key, val in (override or {}).items():
        setattr(options, key, val)
    _log_command(binary, argv)
    try:
        return run_command(func, options, args, binary, argv)
    except BrokenPipeError:
        _silence_stdout()
        return constants.EXIT_FAILURE


def run_command(
    func: Callable,
    options: Any,
    args: list[str],
    binary: str = "gnt",
    argv: list[str] | None = None,
) -> int:
    """Calls ``func(options, args)``, turning errors into messages and codes."""
    try:
        result = func(options, args)
    except (errors.GenericError, errors.JobSubmittedException) as err:
        if isinstance(err, errors.NoMasterError):
            err = _explain_no_master(err)
        code, msg = format_error(err)
        if not isinstance(err, errors.JobSubmittedException):
            _log_traceback(binary, argv or [binary], options)
        to_stderr(msg)
        return code
    except KeyboardInterrupt:
        to_stderr(
            "Aborted. Note that if the operation created any jobs, they might have been"
            " submitted and will continue to run in the background."
        )
        return constants.EXIT_FAILURE
    except OSError as err:
        if err.errno == errno.EPIPE:
            _silence_stdout()
            return constants.EXIT_FAILURE
        return _unexpected(err, binary, argv, options)
    except Exception as err:  # a bug: one line for the user, the trace in the log
        return _unexpected(err, binary, argv, options)
    return constants.EXIT_SUCCESS if result is None else result


def _unexpected(err: BaseException, binary: str, argv: list[str] | None, options: Any) -> int:
    _log_traceback(binary, argv or [binary], options)
    code, msg = format_error(err)
    hint = "" if getattr(options, "debug", 0) else " (run with --debug for the details)"
    to_stderr("%s%s", msg, hint)
    return code


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _log_traceback(binary: str, argv: list[str], options: Any) -> None:
    import traceback

    trace = traceback.format_exc()
    if getattr(options, "debug", 0):
        sys.stderr.write(trace)
    _log_command(binary, argv, trace)


def _explain_no_master(err: BaseException) -> BaseException:
    """Turns "no master socket" into "not part of a cluster"/"not the master"."""
    try:
        with open(pathutils.ssconf_file("master_node"), encoding="utf-8") as fd:
            master = fd.read().strip()
    except OSError:
        return errors.OpPrereqError(
            "Cluster not initialized or this machine is not part of a cluster",
            errors.ECODE_INVAL,
        )
    import socket

    myself = os.environ.get("GANETI_HOSTNAME") or socket.getfqdn()
    if master and master not in (myself, myself.split(".")[0], socket.gethostname()):
        return errors.OpPrereqError(
            "This is not the master node, please connect to node '%s' and rerun the command"
            % master,
            errors.ECODE_INVAL,
        )
    return err


# --- errors ----------------------------------------------------------------------


def _fmt_hooks_abort(err: BaseException, msg: str) -> tuple[int, str]:
    lines = ["Failure: hooks execution failed:"]
    failures = err.args[0] if err.args and isinstance(err.args[0], (list, tuple)) else []
    for entry in failures:
        node, script, output = (list(entry) + [None, None, None])[:3]
        if output:
            lines.append("  node: %s, script: %s, output: %s" % (node, script, output))
        else:
            lines.append("  node: %s, script: %s (no output)" % (node, script))
    if not failures and msg:
        lines.append("  %s" % msg)
    return constants.EXIT_FAILURE, "\n".join(lines)


def _fmt_resolver(err: BaseException, msg: str) -> tuple[int, str]:
    import socket

    name = err.args[0] if err.args else msg
    if name in (socket.gethostname(), socket.getfqdn()):
        return 1, "Failure: can't resolve my own hostname ('%s')" % name
    return 1, "Failure: can't resolve hostname '%s'" % name


def _fmt_prereq(err: BaseException, msg: str) -> tuple[int, str]:
    if len(err.args) == 2:
        return 1, (
            "Failure: prerequisites not met for this operation:\n"
            "error type: %s, error details:\n%s" % (err.args[1], err.args[0])
        )
    return 1, "Failure: prerequisites not met for this operation:\n%s" % msg


def _fmt_no_master(err: BaseException, msg: str) -> tuple[int, str]:
    address = err.args[0] if err.args else pathutils.MASTER_SOCKET
    if address == pathutils.MASTER_SOCKET:
        daemon = "the master daemon"
    elif address == getattr(pathutils, "QUERY_SOCKET", None):
        daemon = "the config daemon"
    else:
        daemon = "socket '%s'" % address
    return 1, (
        "Cannot communicate with %s.\nIs the process running and listening for connections?"
        % daemon
    )


def _fmt_filter_parse(err: BaseException, msg: str) -> tuple[int, str]:
    details = err.get_details() if hasattr(err, "get_details") else [msg]
    first = err.args[0] if err.args else msg
    return 1, "Error while parsing query filter: %s\n%s" % (first, "\n".join(details))


#: (error class, formatter) in lookup order: subclasses before their bases
_ERROR_FORMATS: list[tuple[type, Callable[[BaseException, str], tuple[int, str]]]] = [
    (errors.ConfigurationError, lambda e, m: (2, "Corrupt configuration file: %s\nAborting." % m)),
    (errors.HooksAbort, _fmt_hooks_abort),
    (errors.HooksFailure, lambda e, m: (1, "Failure: hooks general failure: %s" % m)),
    (errors.ResolverError, _fmt_resolver),
    (errors.OpPrereqError, _fmt_prereq),
    (errors.OpExecError, lambda e, m: (1, "Failure: command execution error:\n%s" % m)),
    (errors.TagError, lambda e, m: (1, "Failure: invalid tag(s) given:\n%s" % m)),
    (
        errors.JobQueueDrainError,
        lambda e, m: (
            1,
            "Failure: the job queue is marked for drain and doesn't accept new requests",
        ),
    ),
    (
        errors.JobQueueFull,
        lambda e, m: (
            1,
            "Failure: the job queue is full and doesn't accept new job submissions until"
            " old jobs are archived",
        ),
    ),
    (errors.TypeEnforcementError, lambda e, m: (1, "Parameter Error: %s" % m)),
    (errors.ParameterError, lambda e, m: (1, "Failure: unknown/wrong parameter name '%s'" % m)),
    (errors.NoMasterError, _fmt_no_master),
    (
        errors.TimeoutError,
        lambda e, m: (
            1,
            "Timeout while talking to the master daemon. Jobs might have been submitted and"
            ' will continue to run even if the call timed out. Useful commands in this'
            ' situation are "gnt-job list", "gnt-job cancel" and "gnt-job watch". Error:\n' + m,
        ),
    ),
    (
        errors.PermissionError,
        lambda e, m: (
            1,
            "It seems you don't have permissions to connect to the master daemon.\n"
            "Please retry as a different user.",
        ),
    ),
    (
        errors.ProtocolError,
        lambda e, m: (1, "Unhandled protocol error while talking to the master daemon:\n%s" % m),
    ),
    (errors.JobLost, lambda e, m: (1, "Error checking job status: %s" % m)),
    (errors.QueryFilterParseError, _fmt_filter_parse),
    (errors.GenericError, lambda e, m: (1, "Unhandled Ganeti error: %s" % m)),
    (errors.JobSubmittedException, lambda e, m: (0, "JobID: %s" % (e.args[0] if e.args else m))),
]


def format_error(err: BaseException) -> tuple[int, str]:
    """Returns (exit code, message) for ``err``, with Ganeti's CLI wording."""
    msg = str(err)
    for cls, fmt in _ERROR_FORMATS:
        if isinstance(err, cls):
            code, text = fmt(err, msg)
            return code, text.rstrip("\n")
    return constants.EXIT_FAILURE, ("Unhandled exception: %s" % msg).rstrip("\n")


def parse_fields(selected: str | None, default: list[str]) -> list[str]:
    """The fields of ``-o``: None -> defaults, ``+a,b`` -> defaults + a, b."""
    if selected is None:
        return list(default)
    if selected.startswith("+"):
        return list(default) + selected[1:].split(",")
    return selected.split(",")


# --- prompts ---------------------------------------------------------------------


def _open_tty() -> Any:
    return open("/dev/tty", "r+", encoding="utf-8")


def ask_user(text: str, choices: list[tuple[str, Any, str]] | None = None) -> Any:
    """Asks ``text`` on the terminal; returns the chosen value.

    ``choices`` are ``(key, value, description)``; the default is y/n
    (True/False).  Without a terminal the last choice is returned.
    """
    import textwrap

    if choices is None:
        choices = [
            ("y", True, "Perform the operation"),
            ("n", False, "Do not perform the operation"),
        ]
    if not choices or any(len(c) < 3 or c[0] == "?" for c in choices):
        raise errors.ProgrammerError("Invalid choices argument to ask_user")
    answer = choices[-1][1]
    text = "\n".join(
        textwrap.fill(line, 70, replace_whitespace=False) for line in text.splitlines()
    )
    try:
        tty = _open_tty()
    except OSError:
        return answer
    keys = [c[0] for c in choices]
    keys[-1] = "[%s]" % keys[-1]
    keys.append("?")
    values = {c[0]: c[1] for c in choices}
    with tty:
        while True:
            tty.write("%s\n%s: " % (text, "/".join(keys)))
            tty.flush()
            line = tty.readline(2).strip().lower()
            if line in values:
                return values[line]
            if line == "?":
                for key, _, desc in choices:
                    tty.write(" %s - %s\n" % (key, desc))
                tty.write("\n")
            elif not line:
                return answer


def confirm_operation(names: list[str], list_type: str, text: str, extra: str = "") -> Any:
    """Asks whether to run ``text`` on ``names`` (offers to list > 20)."""
    count = len(names)
    msg = "The %s will operate on %d %s.\n%sDo you want to continue?" % (
        text,
        count,
        list_type,
        extra,
    )
    affected = "\nAffected %s:\n" % list_type + "\n".join("  %s" % name for name in names)
    choices = [("y", True, "Yes, execute the %s" % text), ("n", False, "No, abort the %s" % text)]
    if count > 20:
        choices.insert(1, ("v", "v", "View the list of affected %s" % list_type))
        choice = ask_user(msg, choices)
        if choice == "v":
            choices.pop(1)
            choice = ask_user(msg + affected, choices)
        return choice
    return ask_user(msg + affected, choices)


# --- tags ---------------------------------------------------------------------------


def _extract_tags_object(opts: Any, args: list[str]) -> tuple[str, str | None]:
    kind = getattr(opts, "tag_type", None)
    if kind is None:
        raise errors.ProgrammerError("tag_type not passed to _extract_tags_object")
    if kind == constants.TAG_CLUSTER:
        return kind, None
    if kind in (
        constants.TAG_NODEGROUP,
        constants.TAG_NODE,
        constants.TAG_NETWORK,
        constants.TAG_INSTANCE,
    ):
        if not args:
            raise errors.OpPrereqError("no arguments passed to the command", errors.ECODE_INVAL)
        return kind, args.pop(0)
    raise errors.ProgrammerError("Unhandled tag type '%s'" % kind)


def _extend_tags(opts: Any, args: list[str]) -> None:
    fname = getattr(opts, "tags_source", None)
    if fname is None:
        return
    if fname == "-":
        lines = sys.stdin.read().splitlines()
    else:
        with open(fname, encoding="utf-8") as fd:
            lines = fd.read().splitlines()
    args.extend(line.strip() for line in lines if line.strip())


def list_tags(opts: Any, args: list[str], cl: Any = None) -> int:
    """``list-tags``: prints the object's tags, sorted, one a line."""
    kind, name = _extract_tags_object(opts, args)
    if cl is None:
        cl = get_client()
    for tag in sorted(cl.QueryTags(kind, name or "")):
        to_stdout(tag)
    return constants.EXIT_SUCCESS


def _tags_op(op_name: str, opts: Any, args: list[str], verb: str) -> int:
    from ganeti import opcodes

    kind, name = _extract_tags_object(opts, args)
    _extend_tags(opts, args)
    if not args:
        raise errors.OpPrereqError("No tags to be %s" % verb, errors.ECODE_INVAL)
    op = getattr(opcodes, op_name)(kind=kind, name=name, tags=args)
    submit_or_send(op, opts)
    return constants.EXIT_SUCCESS


def add_tags(opts: Any, args: list[str]) -> int:
    """``add-tags``: OP_TAGS_SET on the object (tags from args and --from)."""
    return _tags_op("OpTagsSet", opts, args, "added")


def remove_tags(opts: Any, args: list[str]) -> int:
    """``remove-tags``: OP_TAGS_DEL on the object."""
    return _tags_op("OpTagsDel", opts, args, "removed")


# --- small helpers of the object commands ---------------------------------------------


def split_node_option(value: str | None) -> tuple[str | None, str | None]:
    """``-n pnode[:snode]`` -> (primary, secondary or None)."""
    if value and ":" in value:
        primary, secondary = value.split(":", 1)
        return primary, secondary
    return value, None


def calculate_os_names(os_name: str, os_variants: list[str] | None) -> list[str]:
    """The names an OS answers to: ``os+variant`` for each variant, or ``os``."""
    if os_variants:
        return ["%s+%s" % (os_name, variant) for variant in os_variants]
    return [os_name]


def get_online_nodes(
    nodes: list[str] | None,
    cl: Any = None,
    nowarn: bool = False,
    secondary_ips: bool = False,
    filter_master: bool = False,
    nodegroup: str | None = None,
) -> list[str]:
    """Names (or secondary IPs) of the online nodes among ``nodes`` (all if
    empty), optionally without the master or limited to a node group; the
    offline ones are skipped with a note on stderr unless ``nowarn``."""
    parts: list = []
    if nodes:
        parts.append(["|"] + [["=", "name", name] for name in nodes])
    if nodegroup is not None:
        parts.append(["|", ["=", "group", nodegroup], ["=", "group.uuid", nodegroup]])
    if filter_master:
        parts.append(["!", ["?", "master"]])
    qfilter = None
    if len(parts) == 1:
        qfilter = parts[0]
    elif parts:
        qfilter = ["&"] + parts
    if cl is None:
        cl = get_client()
    response = cl.Query(constants.QR_NODE, ["name", "offline", "sip"], qfilter)
    rows = response["data"] if isinstance(response, dict) else response.data
    offline = [row[0][1] for row in rows if row[1][1]]
    if offline and not nowarn:
        to_stderr("Note: skipping offline node(s): %s" % ", ".join(offline))
    index = 2 if secondary_ips else 0
    return [row[index][1] for row in rows if not row[1][1]]


def list_resource(
    resource: str,
    opts: Any,
    args: list[str],
    default_fields: list[str],
    format_override: dict | None = None,
) -> int:
    """The body of a plain ``gnt-X list``: its options handed to generic_list."""
    return generic_list(
        resource,
        parse_fields(opts.output, default_fields),
        args,
        opts.units,
        opts.separator,
        not opts.no_headers,
        format_override=format_override,
        verbose=opts.verbose,
        force_filter=opts.force_filter,
    )


def list_resource_fields(resource: str, opts: Any, args: list[str]) -> int:
    """The body of ``gnt-X list-fields``."""
    return generic_list_fields(resource, args, opts.separator, not opts.no_headers)
