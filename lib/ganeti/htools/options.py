"""The htools option table and the conversion of option values.

Owns every option the htools programs know (short and long names,
argument kind, help text, value conversion with the reference's error
messages, shell-completion kind), the programs' argument completion, and
the value parsers the options share (yes/no choices, unit sizes,
'disk,ram,cpu' specs).

Pure data and functions: no argv scanning and no printing (``cli`` does
both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from ganeti.htools import hsread

NONE, REQ, OPT = 0, 1, 2

DISK_TEMPLATES = (
    "diskless",
    "file",
    "sharedfile",
    "plain",
    "blockdev",
    "drbd",
    "rbd",
    "ext",
    "gluster",
)


class UsageError(Exception):
    """Bad command line; message as the reference prints it."""


@dataclass
class Opt:
    key: str
    short: str
    long: str
    arg: int
    argname: str
    help: str
    # text -> value, raising UsageError with the reference's message
    conv: Optional[Callable] = None
    errname: str = ""
    # the shell-completion kind (--help-completion)
    compl: str = ""


def _read(name: str, floating: bool = False, check=None) -> Callable:
    """A converter reading a number as the reference does."""

    def conv(text: str):
        try:
            val = hsread.try_read(name, text, floating)
        except hsread.ReadError as err:
            raise UsageError(str(err)) from None
        if check is not None:
            check(val)
        return val

    return conv


def _positive_cpu(val: float) -> None:
    if val <= 0:
        raise UsageError("Invalid value of the max-cpu ratio, expected >0")


def _spindle_use(val: int) -> None:
    if val < 0:
        raise UsageError("Invalid value of the spindle-use (expected >= 0)")


def _yes_no(text: str) -> str:
    parse_yes_no(True, text)
    return text


def _priority(text: str) -> str:
    if text not in ("low", "normal", "high"):
        raise UsageError("Unknown priority '%s'" % text)
    return text


def _disk_template(text: str) -> str:
    if text not in DISK_TEMPLATES:
        from ganeti.htools.rapi_json import hs_show

        raise UsageError("Invalid string value for type DiskTemplate: %s" % hs_show(text))
    return text


def _spec(descr: str) -> Callable:
    def conv(text: str) -> str:
        parse_spec(descr, text)
        return text

    return conv


def parse_spec(descr: str, text: str) -> tuple:
    """A 'disk,ram,cpu[,spindles]' spec: (disk, memory, cpus, spindles)."""
    parts = text.split(",")
    if len(parts) < 3 or len(parts) > 4:
        raise UsageError("Invalid %s specification: '%s', expected disk,ram,cpu" % (descr, text))
    try:
        dsk = parse_unit(parts[0])
    except ValueError as err:
        raise UsageError("%s specs disk: %s" % (descr, err)) from None
    try:
        mem = parse_unit(parts[1])
    except ValueError as err:
        raise UsageError("%s specs memory: %s" % (descr, err)) from None
    vals = []
    for what, p in zip(("cpus", "spindles"), parts[2:]):
        try:
            vals.append(hsread.try_read("%s specs %s" % (descr, what), p))
        except hsread.ReadError as err:
            raise UsageError(str(err)) from None
    return dsk, mem, vals[0], vals[1] if len(vals) > 1 else 1


_YES_NO = "choices=yes,no"

OPTIONS = {
    o.key: o
    for o in [
        Opt(
            "print_nodes",
            "p",
            "print-nodes",
            OPT,
            "FIELDS",
            "print the final node list",
            compl="none",
        ),
        Opt("print_insts", "", "print-instances", NONE, "", "print the final instance map"),
        Opt(
            "print_commands",
            "C",
            "print-commands",
            OPT,
            "FILE",
            "print the ganeti command list for reaching the solution, if an"
            " argument is passed then write the commands to a file named as"
            " such",
            compl="none",
        ),
        Opt("data_file", "t", "text-data", REQ, "FILE", "the cluster data FILE", compl="file"),
        Opt(
            "evac_mode",
            "E",
            "evac-mode",
            NONE,
            "",
            "enable evacuation mode, where the algorithm only moves instances"
            " away from offline and drained nodes",
        ),
        Opt(
            "restricted_migration",
            "",
            "restricted-migration",
            NONE,
            "",
            "disallow replace-primary moves (aka frf-moves); in evacuation mode,"
            " this will ensure that the only migrations are off the drained"
            " nodes",
        ),
        Opt(
            "master",
            "m",
            "master",
            REQ,
            "ADDRESS",
            "collect data via RAPI at the given ADDRESS",
            compl="host",
        ),
        Opt(
            "luxi",
            "L",
            "luxi",
            OPT,
            "SOCKET",
            "collect data via Luxi, optionally using the given SOCKET path"
            " [/var/run/ganeti/socket/ganeti-query]",
            compl="file",
        ),
        Opt(
            "ialloc_src",
            "I",
            "ialloc-src",
            REQ,
            "FILE",
            "Specify an iallocator spec as the cluster data source",
            compl="file",
        ),
        Opt(
            "exec",
            "X",
            "exec",
            NONE,
            "",
            "execute the suggested moves via Luxi (only available when using it"
            " for data gathering)",
        ),
        Opt(
            "first_job_group",
            "",
            "first-job-group",
            NONE,
            "",
            "only execute the first group of jobs",
        ),
        Opt(
            "reason",
            "",
            "reason",
            REQ,
            "REASON",
            "The reason to pass to the submitted jobs",
            compl="none",
        ),
        Opt(
            "group",
            "G",
            "group",
            REQ,
            "ID",
            "the target node group (name or UUID)",
            compl="onegroup",
        ),
        Opt(
            "max_length",
            "l",
            "max-length",
            REQ,
            "N",
            "cap the solution at this many balancing or allocation rounds"
            " (useful for very unbalanced clusters or empty clusters)",
            _read("max solution length"),
            compl="integer",
        ),
        Opt("verbose", "v", "verbose", NONE, "", "increase the verbosity level"),
        Opt("quiet", "q", "quiet", NONE, "", "decrease the verbosity level"),
        Opt("offline", "O", "offline", REQ, "NODE", "set node as offline", compl="onenode"),
        Opt(
            "static_kvm",
            "",
            "static-kvm-node-memory",
            REQ,
            "N",
            "use static node memory [in MB] on KVM instead of value reported by"
            " hypervisor. Use 0 to take value reported from hypervisor.",
            _read("static node memory"),
            compl="integer",
        ),
        Opt(
            "min_score",
            "e",
            "min-score",
            REQ,
            "EPSILON",
            "mininum excess to the N+1 limit to aim for",
            _read("min score", True),
            compl="float",
        ),
        Opt(
            "max_cpu",
            "",
            "max-cpu",
            REQ,
            "RATIO",
            "maximum virtual-to-physical cpu ratio for nodes (from 0 upwards)"
            " [default read from cluster]",
            _read("parsing max-cpu", True, _positive_cpu),
            compl="float",
        ),
        Opt(
            "min_disk",
            "",
            "min-disk",
            REQ,
            "RATIO",
            "minimum free disk space for nodes (between 0 and 1) [0]",
            _read("min free disk space", True),
            compl="float",
        ),
        Opt(
            "min_gain",
            "g",
            "min-gain",
            REQ,
            "DELTA",
            "minimum gain to aim for in a balancing step before giving up",
            _read("min gain", True),
            compl="float",
        ),
        Opt(
            "min_gain_limit",
            "",
            "min-gain-limit",
            REQ,
            "SCORE",
            "minimum cluster score for which we start checking the min-gain",
            _read("min gain limit", True),
            compl="float",
        ),
        Opt(
            "no_disk_moves",
            "",
            "no-disk-moves",
            NONE,
            "",
            "disallow disk moves from the list of allowed instance changes, thus"
            " allowing only the 'cheap' failover/migrate operations",
        ),
        Opt(
            "select_insts",
            "",
            "select-instances",
            REQ,
            "INSTS",
            "only select given instances for any moves",
            compl="manyinstances",
        ),
        Opt(
            "no_inst_moves",
            "",
            "no-instance-moves",
            NONE,
            "",
            "disallow instance (primary node) moves from the list of allowed,"
            " instance changes, thus allowing only slower, but sometimes safer,"
            " drbd secondary changes",
        ),
        Opt(
            "ignore_soft_errors",
            "",
            "ignore-soft-errors",
            NONE,
            "",
            "Ignore any soft restrictions in balancing",
        ),
        Opt(
            "dynu_file",
            "U",
            "dynu-file",
            REQ,
            "FILE",
            "Import dynamic utilisation data from the given FILE",
            compl="file",
        ),
        Opt(
            "ignore_dynu", "", "ignore-dynu", NONE, "", "Ignore any dynamic utilisation information"
        ),
        Opt(
            "mond",
            "",
            "mond",
            OPT,
            "CHOICE",
            "pass either 'yes' or 'no' to query all monDs",
            _yes_no,
            compl=_YES_NO,
        ),
        Opt(
            "mond_data",
            "",
            "mond-data",
            REQ,
            "FILE",
            "Import data provided by MonDs from the given FILE",
            compl="file",
        ),
        Opt(
            "exit_missing_mond",
            "",
            "exit-on-missing-mond-data",
            NONE,
            "",
            "abort if the data available from the monitoring daemons is incomplete",
        ),
        Opt(
            "mond_xen",
            "",
            "mond-xen",
            NONE,
            "",
            "also consider xen-specific collectors in MonD queries",
        ),
        Opt(
            "exclusion_tags",
            "",
            "exclusion-tags",
            REQ,
            "TAG,...",
            "Enable instance exclusion based on given tag prefix",
            compl="string",
        ),
        Opt(
            "exclude_insts",
            "",
            "exclude-instances",
            REQ,
            "INSTS",
            "exclude given instances from any moves",
            compl="manyinstances",
        ),
        Opt(
            "save",
            "S",
            "save",
            REQ,
            "FILE",
            "Save cluster state at the end of the processing to FILE",
            compl="none",
        ),
        Opt(
            "priority",
            "",
            "priority",
            REQ,
            "PRIO",
            "set the priority of submitted jobs",
            _priority,
            compl="choices=low,normal,high",
        ),
        Opt("version", "V", "version", NONE, "", "show the version of the program"),
        Opt("help", "h", "help", NONE, "", "show help"),
        Opt("help_completion", "", "help-completion", NONE, "", "show completion info"),
        # hspace
        Opt("memory", "", "memory", REQ, "UNIT", "memory size for instances", compl="string"),
        Opt("disk", "", "disk", REQ, "UNIT", "disk size for instances", compl="string"),
        Opt(
            "vcpus",
            "",
            "vcpus",
            REQ,
            "NUM",
            "number of virtual cpus for instances",
            _read("vcpus"),
            compl="integer",
        ),
        Opt(
            "disk_template",
            "",
            "disk-template",
            REQ,
            "TEMPLATE",
            "select the desired disk template",
            _disk_template,
            compl="choices=" + ",".join(DISK_TEMPLATES),
        ),
        Opt(
            "spindle_use",
            "",
            "spindle-use",
            REQ,
            "SPINDLES",
            "select how many virtual spindle instances use [default read from cluster]",
            _read("parsing spindle-use", False, _spindle_use),
            compl="float",
        ),
        Opt(
            "tiered_alloc",
            "",
            "tiered-alloc",
            REQ,
            "TSPEC",
            "enable tiered specs allocation, given as 'disk,ram,cpu'",
            _spec("tiered"),
            compl="string",
        ),
        Opt(
            "human_readable",
            "",
            "human-readable",
            OPT,
            "CHOICE",
            "use human readable output",
            _yes_no,
            compl=_YES_NO,
        ),
        Opt(
            "machine_readable",
            "",
            "machine-readable",
            OPT,
            "CHOICE",
            "enable machine readable output (pass either 'yes' or 'no' to"
            " explicitly control the flag, or without an argument defaults to"
            " yes)",
            _yes_no,
            compl=_YES_NO,
        ),
        Opt(
            "simulate",
            "",
            "simulate",
            REQ,
            "SPEC",
            "simulate an empty cluster, given as 'alloc_policy,num_nodes,disk,ram,cpu'",
            compl="string",
        ),
        Opt(
            "no_simulation", "", "no-simulation", NONE, "", "do not perform rebalancing simulation"
        ),
        Opt(
            "independent_groups",
            "",
            "independent-groups",
            NONE,
            "",
            "Consider groups independently",
        ),
        Opt(
            "accept_existing",
            "",
            "accept-existing-errors",
            NONE,
            "",
            "Accept existing N+1 violations; just don't add new ones",
        ),
        Opt(
            "std_spec",
            "",
            "standard-alloc",
            REQ,
            "STDSPEC",
            "enable standard specs allocation, given as 'disk,ram,cpu'",
            _spec("standard"),
            compl="string",
        ),
        Opt("no_headers", "", "no-headers", NONE, "", "do not show a header line"),
        Opt(
            "node_tags",
            "",
            "node-tags",
            REQ,
            "TAG,...",
            "Restrict to nodes with the given tags",
            compl="string",
        ),
        Opt("one_step_only", "", "one-step-only", NONE, "", "Only do the first step"),
        Opt("force", "", "force", NONE, "", "Force the execution"),
        Opt(
            "full_evacuation",
            "",
            "full-evacuation",
            NONE,
            "",
            "fully evacuate the nodes to be rebooted",
        ),
        Opt("print_moves", "", "print-moves", NONE, "", "print the moves of the instances"),
        Opt(
            "skip_non_redundant",
            "",
            "skip-non-redundant",
            NONE,
            "",
            "Skip nodes that host a non-redundant instance",
        ),
        Opt(
            "ignore_non_redundant",
            "",
            "ignore-non-redundant",
            NONE,
            "",
            "Pretend that there are no non-redundant instances in the cluster",
        ),
        Opt(
            "offline_maintenance",
            "",
            "offline-maintenance",
            NONE,
            "",
            "Schedule offline maintenance, i.e., pretend that all instance are offline.",
        ),
        Opt(
            "node_sel",
            "",
            "node-sel",
            REQ,
            "ID",
            "Restrict to nodes matching a particular selector",
            compl="string",
        ),
        Opt(
            "no_capacity_checks",
            "",
            "no-capacity-checks",
            NONE,
            "",
            "disable capacity checks (like global N+1 redundancy)",
        ),
        Opt("save_cluster", "", "save-cluster", REQ, "FILE", "Save cluster state", compl="file"),
        # hail's own spelling of --ignore-soft-errors' help
        Opt(
            "ignore_soft",
            "",
            "ignore-soft-errors",
            NONE,
            "",
            "Ignore any soft restrictions in balancing",
        ),
        Opt(
            "restrict_alloc",
            "",
            "restrict-allocation-to",
            REQ,
            "NODE,...",
            "Restrict allocations to the given set of nodes",
            compl="manynodes",
        ),
    ]
}

# completion kinds of options other modules register (hscan, hroller)
_EXTRA_COMPL = {"output_dir": "dir"}

# the non-option arguments of the programs taking some, as completion
# info: kind, minimum and maximum count
ARG_COMPLETION = {"hail": "file 1 1", "hscan": "host 0 none"}


def _completion_kind(o: Opt) -> str:
    if o.compl:
        return o.compl
    if o.key in _EXTRA_COMPL:
        return _EXTRA_COMPL[o.key]
    return "none" if o.arg == NONE else "string"


def completion_text(prog: str, keys: list) -> str:
    """What --help-completion prints: one line per option, then the
    arguments' line."""
    out = []
    for k in keys:
        o = OPTIONS[k]
        names = ("-%s,--%s" % (o.short, o.long)) if o.short else "--" + o.long
        out.append("%s %s\n" % (names, _completion_kind(o)))
    if prog in ARG_COMPLETION:
        out.append(ARG_COMPLETION[prog] + "\n")
    return "".join(out)


def parse_yes_no(default: bool, val: Optional[str]) -> bool:
    if val is None:
        return default
    if val == "yes":
        return True
    if val == "no":
        return False
    raise UsageError("Invalid choice '%s', pass one of 'yes' or 'no'" % val)


def parse_unit(text: str) -> int:
    """A size in MiB from '10G', '4g', '512' (as the reference parses)."""
    got = hsread.read_integer(text)
    if got is None:
        raise ValueError("Can't parse string '%s'" % text)
    v, unit = got
    unit = unit.lstrip(" ")
    up = unit.upper()
    if unit == "" or unit == "m" or up == "MIB":
        return v
    if unit == "g" or up == "GIB":
        return v * 1024
    if unit == "t" or up == "TIB":
        return v * 1024 * 1024
    from fractions import Fraction

    mb = Fraction(1000, 1024) ** 2
    if unit == "M" or up == "MB":
        return int(v * mb)
    if unit == "G" or up == "GB":
        return int(v * mb * 1000)
    if unit == "T" or up == "TB":
        return int(v * mb * 1000 * 1000)
    raise ValueError("Unknown unit '%s'" % unit)
