"""Command-line machinery shared by the htools programs.

Owns the option table (short and long names, argument kind, help text),
a GNU-getopt style parser with the reference tools' error messages and exit
codes, loading the cluster from the selected backend, and the common
printed tables (the node list, the instance map).

Programs declare which options they take by name; they never parse argv
themselves.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable, Optional

VERSION = "3.0.2-3"

EXIT_SUCCESS = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

NONE, REQ, OPT = 0, 1, 2


@dataclass
class Opt:
    key: str
    short: str
    long: str
    arg: int
    argname: str
    help: str
    conv: Optional[Callable] = None
    errname: str = ""


def _int(s):
    return int(s)


def _float(s):
    return float(s)


OPTIONS = {o.key: o for o in [
    Opt("print_nodes", "p", "print-nodes", OPT, "FIELDS",
        "print the final node list"),
    Opt("print_insts", "", "print-instances", NONE, "",
        "print the final instance map"),
    Opt("print_commands", "C", "print-commands", OPT, "FILE",
        "print the ganeti command list for reaching the solution, if an"
        " argument is passed then write the commands to a file named as"
        " such"),
    Opt("data_file", "t", "text-data", REQ, "FILE", "the cluster data FILE"),
    Opt("evac_mode", "E", "evac-mode", NONE, "",
        "enable evacuation mode, where the algorithm only moves instances"
        " away from offline and drained nodes"),
    Opt("restricted_migration", "", "restricted-migration", NONE, "",
        "disallow replace-primary moves (aka frf-moves); in evacuation mode,"
        " this will ensure that the only migrations are off the drained"
        " nodes"),
    Opt("master", "m", "master", REQ, "ADDRESS",
        "collect data via RAPI at the given ADDRESS"),
    Opt("luxi", "L", "luxi", OPT, "SOCKET",
        "collect data via Luxi, optionally using the given SOCKET path"
        " [/var/run/ganeti/socket/ganeti-query]"),
    Opt("ialloc_src", "I", "ialloc-src", REQ, "FILE",
        "Specify an iallocator spec as the cluster data source"),
    Opt("exec", "X", "exec", NONE, "",
        "execute the suggested moves via Luxi (only available when using it"
        " for data gathering)"),
    Opt("first_job_group", "", "first-job-group", NONE, "",
        "only execute the first group of jobs"),
    Opt("reason", "", "reason", REQ, "REASON",
        "The reason to pass to the submitted jobs"),
    Opt("group", "G", "group", REQ, "ID",
        "the target node group (name or UUID)"),
    Opt("max_length", "l", "max-length", REQ, "N",
        "cap the solution at this many balancing or allocation rounds"
        " (useful for very unbalanced clusters or empty clusters)", _int,
        "max solution length"),
    Opt("verbose", "v", "verbose", NONE, "", "increase the verbosity level"),
    Opt("quiet", "q", "quiet", NONE, "", "decrease the verbosity level"),
    Opt("offline", "O", "offline", REQ, "NODE", "set node as offline"),
    Opt("static_kvm", "", "static-kvm-node-memory", REQ, "N",
        "use static node memory [in MB] on KVM instead of value reported by"
        " hypervisor. Use 0 to take value reported from hypervisor.", _int,
        "static node memory"),
    Opt("min_score", "e", "min-score", REQ, "EPSILON",
        "mininum excess to the N+1 limit to aim for", _float, "min score"),
    Opt("max_cpu", "", "max-cpu", REQ, "RATIO",
        "maximum virtual-to-physical cpu ratio for nodes (from 0 upwards)"
        " [default read from cluster]", _float, "max cpu ratio"),
    Opt("min_disk", "", "min-disk", REQ, "RATIO",
        "minimum free disk space for nodes (between 0 and 1) [0]", _float,
        "min free disk space"),
    Opt("min_gain", "g", "min-gain", REQ, "DELTA",
        "minimum gain to aim for in a balancing step before giving up",
        _float, "min gain"),
    Opt("min_gain_limit", "", "min-gain-limit", REQ, "SCORE",
        "minimum cluster score for which we start checking the min-gain",
        _float, "min gain limit"),
    Opt("no_disk_moves", "", "no-disk-moves", NONE, "",
        "disallow disk moves from the list of allowed instance changes, thus"
        " allowing only the 'cheap' failover/migrate operations"),
    Opt("select_insts", "", "select-instances", REQ, "INSTS",
        "only select given instances for any moves"),
    Opt("no_inst_moves", "", "no-instance-moves", NONE, "",
        "disallow instance (primary node) moves from the list of allowed,"
        " instance changes, thus allowing only slower, but sometimes safer,"
        " drbd secondary changes"),
    Opt("ignore_soft_errors", "", "ignore-soft-errors", NONE, "",
        "Ignore any soft restrictions in balancing"),
    Opt("dynu_file", "U", "dynu-file", REQ, "FILE",
        "Import dynamic utilisation data from the given FILE"),
    Opt("ignore_dynu", "", "ignore-dynu", NONE, "",
        "Ignore any dynamic utilisation information"),
    Opt("mond", "", "mond", OPT, "CHOICE",
        "pass either 'yes' or 'no' to query all monDs"),
    Opt("mond_data", "", "mond-data", REQ, "FILE",
        "Import data provided by MonDs from the given FILE"),
    Opt("exit_missing_mond", "", "exit-on-missing-mond-data", NONE, "",
        "abort if the data available from the monitoring daemons is"
        " incomplete"),
    Opt("mond_xen", "", "mond-xen", NONE, "",
        "also consider xen-specific collectors in MonD queries"),
    Opt("exclusion_tags", "", "exclusion-tags", REQ, "TAG,...",
        "Enable instance exclusion based on given tag prefix"),
    Opt("exclude_insts", "", "exclude-instances", REQ, "INSTS",
        "exclude given instances from any moves"),
    Opt("save", "S", "save", REQ, "FILE",
        "Save cluster state at the end of the processing to FILE"),
    Opt("priority", "", "priority", REQ, "PRIO",
        "set the priority of submitted jobs"),
    Opt("version", "V", "version", NONE, "", "show the version of the program"),
    Opt("help", "h", "help", NONE, "", "show help"),
    Opt("help_completion", "", "help-completion", NONE, "",
        "show completion info"),
    # hspace
    Opt("memory", "", "memory", REQ, "UNIT", "memory size for instances"),
    Opt("disk", "", "disk", REQ, "UNIT", "disk size for instances"),
    Opt("vcpus", "", "vcpus", REQ, "NUM", "number of virtual cpus for"
        " instances", _int, "vcpus"),
    Opt("disk_template", "", "disk-template", REQ, "TEMPLATE",
        "select the desired disk template"),
    Opt("spindle_use", "", "spindle-use", REQ, "SPINDLES",
        "select how many virtual spindle instances use [default read from"
        " cluster]", _int, "spindle use"),
    Opt("tiered_alloc", "", "tiered-alloc", REQ, "TSPEC",
        "enable tiered specs allocation, given as 'disk,ram,cpu'"),
    Opt("human_readable", "", "human-readable", OPT, "CHOICE",
        "use human readable output"),
    Opt("machine_readable", "", "machine-readable", OPT, "CHOICE",
        "enable machine readable output (pass either 'yes' or 'no' to"
        " explicitly control the flag, or without an argument defaults to"
        " yes)"),
    Opt("simulate", "", "simulate", REQ, "SPEC",
        "simulate an empty cluster, given as"
        " 'alloc_policy,num_nodes,disk,ram,cpu'"),
    Opt("no_simulation", "", "no-simulation", NONE, "",
        "do not perform rebalancing simulation"),
    Opt("independent_groups", "", "independent-groups", NONE, "",
        "Consider groups independently"),
    Opt("accept_existing", "", "accept-existing-errors", NONE, "",
        "Accept existing N+1 violations; just don't add new ones"),
    Opt("std_spec", "", "standard-alloc", REQ, "STDSPEC",
        "enable standard specs allocation, given as 'disk,ram,cpu'"),
    Opt("no_headers", "", "no-headers", NONE, "",
        "do not show a header line"),
    Opt("node_tags", "", "node-tags", REQ, "TAG,...",
        "Restrict to nodes with the given tags"),
    Opt("one_step_only", "", "one-step-only", NONE, "",
        "Only do the first step"),
    Opt("force", "", "force", NONE, "", "Force the execution"),
    Opt("full_evacuation", "", "full-evacuation", NONE, "",
        "fully evacuate the nodes to be rebooted"),
    Opt("print_moves", "", "print-moves", NONE, "",
        "print the moves of the instances"),
    Opt("skip_non_redundant", "", "skip-non-redundant", NONE, "",
        "Skip nodes that host a non-redundant instance"),
    Opt("ignore_non_redundant", "", "ignore-non-redundant", NONE, "",
        "Pretend that there are no non-redundant instances in the cluster"),
    Opt("offline_maintenance", "", "offline-maintenance", NONE, "",
        "Schedule offline maintenance, i.e., pretend that all instance are"
        " offline."),
    Opt("node_sel", "", "node-sel", REQ, "ID",
        "Restrict to nodes matching a particular selector"),
    Opt("no_capacity_checks", "", "no-capacity-checks", NONE, "",
        "disable capacity checks (like global N+1 redundancy)"),
    Opt("save_cluster", "", "save-cluster", REQ, "FILE",
        "Save cluster state"),
    Opt("ignore_soft", "", "ignore-soft-errors", NONE, "",
        "Ignore any soft restrictions"),
]}


class UsageError(Exception):
    """Bad command line; message as the reference prints it."""


def parse_args(prog: str, keys: list, argv: list):
    """Parses ``argv`` for the options named in ``keys``.

    Returns (options dict, positional arguments).  Options given several
    times keep their last value, except -v/-q which count and -O which
    accumulates.
    """
    table = [OPTIONS[k] for k in keys]
    by_short = {o.short: o for o in table if o.short}
    by_long = {o.long: o for o in table}
    opts: dict = {"verbose": 1, "offline": [], "simulate": []}
    args = []
    errors = []
    i = 0

    def store(o: Opt, val):
        if o.key == "verbose":
            opts["verbose"] += 1
        elif o.key == "quiet":
            opts["verbose"] -= 1
        elif o.key == "offline":
            opts["offline"].append(val)
        elif o.key == "simulate":
            opts["simulate"].insert(0, val)
        else:
            if o.conv is not None and val is not None:
                try:
                    val = o.conv(val)
                except ValueError:
                    errors.append("%s: cannot parse string '%s'"
                                  % (o.errname or o.long, val))
                    return
            opts[o.key] = True if o.arg == NONE else val

    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            args.extend(argv[i:])
            break
        if a.startswith("--"):
            body = a[2:]
            name, eq, val = body.partition("=")
            cands = [k for k in by_long if k == name] or \
                [k for k in by_long if k.startswith(name)]
            if len(cands) != 1:
                if not cands:
                    raise UsageError("unrecognized option `%s'" % a)
                raise UsageError("option `%s' is ambiguous" % a)
            o = by_long[cands[0]]
            if o.arg == NONE:
                if eq:
                    raise UsageError("option `--%s' doesn't allow an"
                                     " argument" % o.long)
                store(o, None)
            elif o.arg == REQ:
                if not eq:
                    if i >= len(argv):
                        raise UsageError("option `--%s' requires an"
                                         " argument %s" % (o.long,
                                                           o.argname))
                    val = argv[i]
                    i += 1
                store(o, val)
            else:
                store(o, val if eq else None)
                if not eq:
                    opts[o.key] = None if o.key not in opts or \
                        opts[o.key] is None else opts[o.key]
                    opts.setdefault(o.key + "_given", True)
                opts[o.key + "_given"] = True
            continue
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                j += 1
                o = by_short.get(c)
                if o is None:
                    raise UsageError("unrecognized option `-%s'" % c)
                if o.arg == NONE:
                    store(o, None)
                    continue
                rest = a[j:]
                if o.arg == REQ:
                    if not rest:
                        if i >= len(argv):
                            raise UsageError("option `-%s' requires an"
                                             " argument %s" % (c, o.argname))
                        rest = argv[i]
                        i += 1
                    store(o, rest)
                else:
                    store(o, rest if rest else None)
                    opts[o.key + "_given"] = True
                break
            continue
        args.append(a)
    if errors:
        raise UsageError("\n".join(errors))
    return opts, args


def usage_text(prog: str, keys: list) -> str:
    table = [OPTIONS[k] for k in keys]
    rows = []
    for o in table:
        s = ""
        if o.short:
            if o.arg == REQ:
                s = "-%s %s" % (o.short, o.argname)
            elif o.arg == OPT:
                s = "-%s[%s]" % (o.short, o.argname)
            else:
                s = "-%s" % o.short
        if o.arg == REQ:
            lng = "--%s=%s" % (o.long, o.argname)
        elif o.arg == OPT:
            lng = "--%s[=%s]" % (o.long, o.argname)
        else:
            lng = "--%s" % o.long
        rows.append((s, lng, o.help))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    out = ["%s (ganeti) version %s" % (prog, VERSION),
           "Usage: %s [OPTION...]" % prog]
    for r in rows:
        out.append("  %-*s  %-*s  %s" % (w0, r[0], w1, r[1], r[2]))
    return "\n".join(out) + "\n"


def start(prog: str, keys: list, argv: Optional[list] = None,
          max_args: int = 0):
    """Parses the command line, handling --help/--version and errors."""
    if argv is None:
        argv = sys.argv[1:]
    try:
        opts, args = parse_args(prog, keys, argv)
    except UsageError as err:
        msg = str(err)
        if msg.startswith("unrecognized") or msg.startswith("option"):
            sys.stderr.write("Command line error: %s\n\n" % msg)
            sys.stderr.write(usage_text(prog, keys))
            sys.exit(EXIT_USAGE)
        sys.stderr.write("Error while parsing command line arguments:\n%s\n"
                         % msg)
        sys.exit(EXIT_FAILURE)
    if opts.get("help"):
        sys.stdout.write(usage_text(prog, keys))
        sys.exit(EXIT_SUCCESS)
    if opts.get("version"):
        sys.stdout.write("%s (ganeti) version %s\ncompiled with python3\n"
                         "running on %s\n" % (prog, VERSION, sys.platform))
        sys.exit(EXIT_SUCCESS)
    if len(args) > max_args:
        sys.stderr.write("Error: This program doesn't take any arguments.\n")
        sys.exit(EXIT_FAILURE)
    return opts, args


def parse_error(msg: str) -> None:
    """Exits as the reference does on a bad option value."""
    sys.stdout.flush()
    sys.stderr.write("Error while parsing command line arguments:\n%s\n"
                     % msg)
    sys.exit(EXIT_FAILURE)


def parse_yes_no(default: bool, val: Optional[str]) -> bool:
    if val is None:
        return default
    if val == "yes":
        return True
    if val == "no":
        return False
    raise UsageError("Invalid choice '%s', pass one of 'yes' or 'no'" % val)


def machine_readable(opts: dict) -> bool:
    if not opts.get("machine_readable_given"):
        return False
    try:
        return parse_yes_no(True, opts.get("machine_readable"))
    except UsageError as err:
        parse_error(str(err))
    return False


_BIN_UNITS = {"m": 1, "g": 1024, "t": 1024 * 1024}
_SI_UNITS = {"M": 1, "G": 1000, "T": 1000 * 1000}


def parse_unit(text: str) -> int:
    """A size in MiB from '10G', '4g', '512' (as the reference parses)."""
    k = 0
    if k < len(text) and text[k] in "+-":
        k += 1
    while k < len(text) and text[k].isdigit():
        k += 1
    num = text[:k]
    if not num or num in "+-" or num.startswith("+"):
        raise ValueError("Can't parse string '%s'" % text)
    v = int(num)
    unit = text[k:].lstrip(" ")
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


def die(msg: str, code: int = EXIT_FAILURE) -> None:
    sys.stdout.flush()
    sys.stderr.write("Error: %s\n" % msg)
    sys.exit(code)


def split_list(val: Optional[str]) -> list:
    if not val:
        return []
    return [x for x in val.split(",") if x]


def load_cluster(opts: dict):
    """Loads the cluster from the backend the options select."""
    from ganeti.htools import loader
    backends = [k for k in ("master", "luxi_given", "data_file")
                if opts.get(k)]
    if len(backends) > 1:
        sys.stdout.flush()
        sys.stderr.write("Only one of the rapi, luxi, and data files options"
                         " should be given.\n")
        sys.exit(EXIT_FAILURE)
    try:
        if opts.get("master"):
            from ganeti.htools import rapi_backend
            cd = rapi_backend.load(opts["master"], opts.get("static_kvm"))
        elif opts.get("luxi_given"):
            from ganeti.htools import luxi_backend
            cd = luxi_backend.load(opts.get("luxi"))
        elif opts.get("simulate"):
            cd = loader.parse_simulate(opts["simulate"])
        elif opts.get("data_file"):
            cd = loader.load_text_file(opts["data_file"])
        elif opts.get("ialloc_src"):
            from ganeti.htools import iallocator
            cd = iallocator.load_file(opts["ialloc_src"])
            cd.place_twice = True
        else:
            raise loader.LoadError("No backend selected! Exiting.")
    except OSError as err:
        die("failed to load data, aborting: %s" % loader.io_error_text(err))
    except loader.LoadError as err:
        die("failed to load data, aborting: %s" % err)
    names = {n.name: n for n in cd.nodes}
    for off in opts.get("offline", []):
        node = names.get(off)
        if node is None:
            for n in cd.nodes:
                if n.name.startswith(off + "."):
                    node = n
                    break
        if node is None:
            die("Unknown node: %s" % off)
        node.offline = True
    loader.merge_data(cd, split_list(opts.get("exclusion_tags")),
                      split_list(opts.get("select_insts"))
                      if opts.get("select_insts") is not None else None,
                      split_list(opts.get("exclude_insts")))
    if opts.get("max_cpu") is not None:
        for n in cd.nodes:
            n.set_mcpu(opts["max_cpu"])
    if opts.get("min_disk") is not None:
        for n in cd.nodes:
            n.set_mdsk(opts["min_disk"])
    return cd


def warn_inconsistent(cd) -> None:
    from ganeti.htools import loader
    bad = loader.check_data(cd)
    if bad:
        sys.stderr.write("Warning: cluster has inconsistent data:\n")
        for line in reversed(bad):  # the reference lists them backwards
            sys.stderr.write("  - %s\n" % line)
        sys.stderr.write("\n")


# ---------------------------------------------------------------------------
# tables

NODE_FIELDS_DEFAULT = ["status", "name", "tmem", "nmem", "imem", "xmem", "fmem",
                       "umem", "rmem", "tdsk", "fdsk", "tcpu", "ucpu",
                       "pcnt", "scnt", "pfmem", "pfdsk", "rcpu", "cload",
                       "mload", "dload", "nload"]


def _hf(fmt: str, x: float) -> str:
    """A float as the reference prints it (NaN, Infinity spelled out)."""
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    return fmt % x


def _node_field(n, key: str):
    """(header, value string, right aligned)."""
    if key == "status":
        return ("F", "*" if n.fail_n1 and not n.offline else
                ("-" if n.offline else " "), False)
    if key == "name":
        return ("Name", n.alias, False)
    if key == "tmem":
        return ("t_mem", _hf("%.0f", n.t_mem), True)
    if key == "nmem":
        return ("n_mem", "%d" % n.n_mem, True)
    if key == "imem":
        return ("i_mem", "%d" % n.i_mem, True)
    if key == "xmem":
        return ("x_mem", "%d" % n.x_mem, True)
    if key == "fmem":
        return ("f_mem", "%d" % n.f_mem, True)
    if key == "umem":
        return ("u_mem", "%d" % n.unallocated_mem(), True)
    if key == "amem":
        return ("a_mem", "%d" % n.avail_mem(), True)
    if key == "rmem":
        return ("r_mem", "%d" % n.r_mem, True)
    if key == "tdsk":
        return ("t_dsk", _hf("%.0f", n.t_dsk / 1024), True)
    if key == "fdsk":
        return ("f_dsk", "%d" % (n.f_dsk // 1024), True)
    if key == "tcpu":
        return ("pcpu", _hf("%.0f", n.t_cpu), True)
    if key == "ucpu":
        return ("vcpu", "%d" % n.u_cpu, True)
    if key == "pcnt":
        return ("pcnt", "%d" % len(n.plist), True)
    if key == "scnt":
        return ("scnt", "%d" % len(n.slist), True)
    if key == "pfmem":
        return ("p_fmem", _hf("%.4f", n.p_mem), True)
    if key == "pfdsk":
        return ("p_fdsk", _hf("%.4f", n.p_dsk), True)
    if key == "rcpu":
        return ("r_cpu", _hf("%.2f", n.p_cpu), True)
    if key == "cload":
        return ("lCpu", "%.3f" % n.util_load[0], True)
    if key == "mload":
        return ("lMem", "%.3f" % n.util_load[1], True)
    if key == "dload":
        return ("lDsk", "%.3f" % n.util_load[2], True)
    if key == "nload":
        return ("lNet", "%.3f" % n.util_load[3], True)
    if key == "ptags":
        return ("PrimaryTags", ",".join(
            "%s=%d" % kv for kv in sorted(n.p_tags.items())), False)
    if key == "peermap":
        return ("PeerMap", str(sorted(n.peers.items())), False)
    if key == "spindle_count":
        return ("NodeSpindles", "%d" % n.t_spindles, True)
    if key == "hi_spindles":
        return ("MaxSpindles", "%.2f" % n.hi_spindles, True)
    if key == "inst_spindles":
        return ("InstSpindles", "%.2f" % n.inst_spindles, True)
    return (key, "", False)


def format_table(rows: list, right: list) -> list:
    widths = [max(len(r[k]) for r in rows) for k in range(len(right))]
    out = []
    for r in rows:
        parts = []
        for k, cell in enumerate(r):
            if right[k]:
                parts.append(cell.rjust(widths[k]))
            else:
                parts.append(cell.ljust(widths[k]))
        out.append(" " + " ".join(parts))
    return out


def node_fields(spec: Optional[str]) -> list:
    if not spec:
        return NODE_FIELDS_DEFAULT
    if spec.startswith("+"):
        return NODE_FIELDS_DEFAULT + split_list(spec[1:])
    return split_list(spec)


def print_nodes(nodes: list, fields: list) -> str:
    heads = []
    right = []
    rows_vals = []
    for n in nodes:
        row = []
        for f in fields:
            h, v, r = _node_field(n, f)
            row.append(v)
        rows_vals.append(row)
    for f in fields:
        h, _, r = _node_field(nodes[0], f) if nodes else (f, "", False)
        heads.append(h)
        right.append(r)
    return "\n".join(format_table([heads] + rows_vals, right))


def print_insts(nodes: list, insts: list) -> str:
    heads = ["F", "Name", "Pri_node", "Sec_node", "Auto_bal", "vcpu", "mem",
             "dsk", "lCpu", "lMem", "lDsk", "lNet"]
    right = [False, False, False, False, False, True, True, True, True,
             True, True, True]
    rows = [heads]
    for i in sorted(insts, key=lambda x: x.name):
        pn = nodes[i.pnode]
        sn = nodes[i.snode].alias if i.snode >= 0 else ""
        flag = " " if i.movable else "-"
        if i.run_st not in ("running", "ERROR_up"):
            flag = "-" if not i.movable else "x" if False else flag
        rows.append([flag, i.alias, pn.alias, sn,
                     "Y" if i.auto_balance else "N", "%d" % i.vcpus,
                     "%d" % i.mem, "%d" % i.dsk,
                     "%.3f" % i.util[0], "%.3f" % i.util[1],
                     "%.3f" % i.util[2], "%.3f" % i.util[3]])
    return "\n".join(format_table(rows, right))
