"""Command-line machinery shared by the htools programs.

Owns a GNU-getopt style parser over the option table (``options``) with
the reference tools' error messages and exit codes (--help, --version,
--help-completion included), loading the cluster from the selected backend
with the load-time checks every program shares (inconsistency warnings,
-O node names), and the common printed tables (the node list, the
instance map).

Programs declare which options they take by name; they never parse argv
themselves.
"""

from __future__ import annotations

import platform
import sys
from typing import Callable, Optional

from ganeti.htools.options import (  # noqa: F401 - the table's API, re-exported
    ARG_COMPLETION,
    DISK_TEMPLATES,
    NONE,
    OPT,
    OPTIONS,
    REQ,
    Opt,
    UsageError,
    completion_text,
    parse_spec,
    parse_unit,
    parse_yes_no,
)

VERSION = "3.0.2-3"

EXIT_SUCCESS = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def _usage_rows(table: list) -> list:
    """The option lines of a usage text (GetOpt's layout)."""
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
    return ["  %-*s  %-*s  %s" % (w0, r[0], w1, r[1], r[2]) for r in rows]


def usage_text(prog: str, keys: list) -> str:
    out = ["%s (ganeti) version %s" % (prog, VERSION), "Usage: %s [OPTION...]" % prog]
    out.extend(_usage_rows([OPTIONS[k] for k in keys]))
    return "\n".join(out) + "\n"


def _haskell_arch() -> str:
    """The machine as the reference's runtime names it."""
    m = platform.machine().lower()
    if m in ("i386", "i486", "i586", "i686", "x86"):
        return "i386"
    if m in ("amd64", "x86_64"):
        return "x86_64"
    if m in ("arm64", "aarch64"):
        return "aarch64"
    if m.startswith("ppc64"):
        return "powerpc64le" if m.endswith("le") else "powerpc64"
    if m.startswith("arm"):
        return "arm"
    return m


def version_text(prog: str) -> str:
    return "%s (ganeti) version %s\ncompiled with ghc 9.0\nrunning on %s %s\n" % (
        prog,
        VERSION,
        "linux" if sys.platform.startswith("linux") else sys.platform,
        _haskell_arch(),
    )


def getopt(table: list, argv: list) -> tuple:
    """Scans ``argv`` as GNU getopt in permute mode does.

    Returns ([(option, value or None)] in command-line order, non-option
    arguments, error texts).  Long options may be abbreviated to a unique
    prefix; a short option cluster is taken apart one letter at a time.
    """
    by_short: dict = {}
    for o in table:
        if o.short:
            by_short.setdefault(o.short, o)
    found: list = []
    args: list = []
    errs: list = []
    rest = list(argv)
    rest.reverse()  # a stack: the next argument is at the end
    while rest:
        a = rest.pop()
        if a == "--":
            args.extend(reversed(rest))
            break
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            cands = [o for o in table if o.long == name] or [
                o for o in table if o.long.startswith(name)
            ]
            typed = "--" + name
            if not cands:
                errs.append("unrecognized option `%s'\n" % a)
            elif len(cands) > 1:
                errs.append(
                    "option `%s' is ambiguous; could be one of:\n%s\n"
                    % (typed, "\n".join(_usage_rows(cands)))
                )
            elif cands[0].arg == NONE:
                if eq:
                    errs.append("option `%s' doesn't allow an argument\n" % typed)
                else:
                    found.append((cands[0], None))
            elif cands[0].arg == REQ:
                if eq:
                    found.append((cands[0], val))
                elif rest:
                    found.append((cands[0], rest.pop()))
                else:
                    errs.append("option `%s' requires an argument %s\n" % (typed, cands[0].argname))
            else:
                found.append((cands[0], val if eq else None))
            continue
        if a.startswith("-") and len(a) > 1:
            c, more = a[1], a[2:]
            o = by_short.get(c)
            if o is None:
                errs.append("unrecognized option `-%s'\n" % c)
                if more:
                    rest.append("-" + more)
            elif o.arg == NONE:
                found.append((o, None))
                if more:
                    rest.append("-" + more)
            elif o.arg == REQ:
                if more:
                    found.append((o, more))
                elif rest:
                    found.append((o, rest.pop()))
                else:
                    errs.append("option `-%s' requires an argument %s\n" % (c, o.argname))
            else:
                found.append((o, more if more else None))
            continue
        args.append(a)
    return found, args, errs


def parse_args(prog: str, keys: list, argv: list):
    """Parses ``argv`` for the options named in ``keys``.

    Returns (options dict, positional arguments).  Options given several
    times keep their last value, except -v/-q which count and -O which
    accumulates.  Raises UsageError for what getopt refuses (the caller
    prints the usage) and ValueError for a bad option value (the first one,
    in command-line order).
    """
    table = [OPTIONS[k] for k in keys]
    found, args, errs = getopt(table, argv)
    if errs:
        raise UsageError("".join(errs))
    opts: dict = {"verbose": 1, "offline": [], "simulate": []}
    for o, val in found:
        if o.key == "verbose":
            opts["verbose"] += 1
            continue
        if o.key == "quiet":
            opts["verbose"] -= 1
            continue
        if o.key == "offline":
            opts["offline"].append(val)
            continue
        if o.key == "simulate":
            opts["simulate"].insert(0, val)
            continue
        if o.conv is not None and val is not None:
            try:
                val = o.conv(val)
            except UsageError as err:
                raise ValueError(str(err)) from None
        if o.arg == NONE:
            val = True
        elif o.arg == OPT:
            opts[o.key + "_given"] = True
        opts[o.key] = val
    return opts, args


def start(prog: str, keys: list, argv: Optional[list] = None, max_args: int = 0):
    """Parses the command line, handling --help/--version and errors."""
    if argv is None:
        argv = sys.argv[1:]
    try:
        opts, args = parse_args(prog, keys, argv)
    except UsageError as err:
        sys.stderr.write("Command line error: %s\n" % err)
        sys.stderr.write(usage_text(prog, keys))
        sys.exit(EXIT_USAGE)
    except ValueError as err:
        parse_error(str(err))
    if opts.get("help"):
        sys.stdout.write(usage_text(prog, keys))
        sys.exit(EXIT_SUCCESS)
    if opts.get("version"):
        sys.stdout.write(version_text(prog))
        sys.exit(EXIT_SUCCESS)
    if opts.get("help_completion"):
        sys.stdout.write(completion_text(prog, keys))
        sys.exit(EXIT_SUCCESS)
    if len(args) > max_args:
        if max_args == 1:
            die("Only one argument is accepted (the input file)")
        die("This program doesn't take any arguments.")
    return opts, args


def parse_error(msg: str) -> None:
    """Exits as the reference does on a bad option value."""
    sys.stdout.flush()
    sys.stderr.write("Error while parsing command line arguments:\n%s\n" % msg)
    sys.exit(EXIT_FAILURE)


def machine_readable(opts: dict) -> bool:
    if not opts.get("machine_readable_given"):
        return False
    try:
        return parse_yes_no(True, opts.get("machine_readable"))
    except UsageError as err:
        parse_error(str(err))
    return False


def die(msg: str, code: int = EXIT_FAILURE) -> None:
    sys.stdout.flush()
    sys.stderr.write("Error: %s\n" % msg)
    sys.exit(code)


def split_list(val: Optional[str]) -> list:
    if not val:
        return []
    return [x for x in val.split(",") if x]


def read_cluster(opts: dict):
    """The cluster from the backend the options select, merged (tags,
    aliases, placement); load failures end the program."""
    from ganeti.htools import loader

    given = [k for k in ("master", "luxi_given", "data_file") if opts.get(k) is not None]
    if len(given) > 1:
        die("Only one of the rapi, luxi, and data files options should be given.")
    static_kvm = opts.get("static_kvm")
    try:
        if opts.get("master") is not None:
            from ganeti.htools import rapi_backend

            cd = rapi_backend.load(opts["master"], static_kvm)
        elif opts.get("luxi_given"):
            from ganeti.htools import luxi_backend, rapi_backend

            cd = luxi_backend.load(opts.get("luxi"))
            # a no-op unless the backend tells the default hypervisor
            rapi_backend.apply_static_kvm(cd, static_kvm)
        elif opts.get("simulate"):
            cd = loader.parse_simulate(opts["simulate"])
        elif opts.get("data_file") is not None:
            cd = loader.load_text_file(opts["data_file"])
        elif opts.get("ialloc_src") is not None:
            from ganeti.htools import iallocator

            with open(opts["ialloc_src"]) as fh:
                text = fh.read()
            cd, _ = iallocator.parse_request(
                text, iallocator.STATIC_KVM_NODE_MEMORY if static_kvm is None else static_kvm
            )
            cd.place_twice = True
        else:
            raise loader.LoadError("No backend selected! Exiting.")
    except OSError as err:
        die("failed to load data, aborting: %s" % loader.io_error_text(err))
    except loader.LoadError as err:
        die("failed to load data, aborting: %s" % err)
    loader.merge_data(
        cd,
        split_list(opts.get("exclusion_tags")),
        split_list(opts.get("select_insts")) if opts.get("select_insts") is not None else None,
        split_list(opts.get("exclude_insts")),
    )
    return cd


def _set_limits(cd, opts: dict) -> None:
    if opts.get("max_cpu") is not None:
        for n in cd.nodes:
            n.set_mcpu(opts["max_cpu"])
    if opts.get("min_disk") is not None:
        for n in cd.nodes:
            n.set_mdsk(opts["min_disk"])


def find_node(nodes: list, name: str):
    """The node called ``name`` or, failing that, the only one whose name
    starts with ``name`` and a dot; None if there is no such node."""
    hits = []
    for n in nodes:
        if n.name == name:
            return n
        if n.name.startswith(name + "."):
            hits.append(n)
    return hits[0] if len(hits) == 1 else None


def set_offline(cd, names: list) -> None:
    """Marks the -O nodes offline (``cd.cli_offline`` lists the ones that
    were not); unknown names end the program, as in the reference."""
    found = []
    bad = []
    for name in names:
        node = find_node(cd.nodes, name)
        if node is None:
            bad.append(name)
        else:
            found.append(node)
    if bad:
        die("wrong node name(s) set as offline: %s\n" % ",".join(sorted(bad)))
    newly = []
    for node in found:
        if not node.offline:
            node.offline = True
            newly.append(node.idx)
    cd.cli_offline = newly


def load_checked(opts: dict, show: Optional[Callable] = None):
    """Loads the cluster as every reference program does: the data read
    and merged, the inconsistency warnings (silent at exactly one -q),
    the program's own load-time lines (``show(cd)``), then -O (unknown
    names end the program), --max-cpu and --min-disk."""
    cd = read_cluster(opts)
    if opts.get("verbose", 1) != 0:
        warn_inconsistent(cd)
    if show is not None:
        show(cd)
    set_offline(cd, opts.get("offline", []))
    _set_limits(cd, opts)
    return cd


def load_cluster(opts: dict):
    """The cluster with -O, --max-cpu and --min-disk applied, without the
    warnings (``load_checked`` does the whole load-time sequence)."""
    cd = read_cluster(opts)
    set_offline(cd, opts.get("offline", []))
    _set_limits(cd, opts)
    return cd


def serialize_original(cd) -> str:
    """The cluster in the text format as loaded: without the offline
    flags of -O (the reference's "original" state files)."""
    from ganeti.htools import loader

    newly = getattr(cd, "cli_offline", [])
    for idx in newly:
        cd.nodes[idx].offline = False
    try:
        return loader.serialize_cluster(cd)
    finally:
        for idx in newly:
            cd.nodes[idx].offline = True


def name_suffix(cd) -> str:
    """The common domain suffix the reference strips from the names (of
    the nodes and the instances together)."""
    from ganeti.htools import loader

    return loader.common_suffix([n.name for n in cd.nodes] + [i.name for i in cd.instances])


def note_suffix(cd) -> None:
    """The verbose note on the stripped name suffix (if there is one)."""
    suffix = name_suffix(cd)
    if suffix:
        sys.stdout.write("Note: Stripping common suffix of '%s' from names\n" % suffix)


def warn_inconsistent(cd) -> None:
    from ganeti.htools import loader

    bad = loader.check_data(cd)
    if bad:
        sys.stdout.flush()
        sys.stderr.write("Warning: cluster has inconsistent data:\n")
        for line in reversed(bad):  # the reference lists them backwards
            sys.stderr.write("  - %s\n" % line)
        sys.stderr.write("\n")


def write_state(prog: str, path: str, text: str) -> None:
    """Writes a state file; a failure ends the program as the reference's
    (its I/O exception: 'prog: path: openFile: ...')."""
    from ganeti.htools import loader

    try:
        with open(path, "w") as fh:
            fh.write(text)
    except OSError as err:
        sys.stdout.flush()
        sys.stderr.write("%s: %s\n" % (prog, loader.io_error_text(err)))
        sys.exit(EXIT_FAILURE)


def printf_g(x: float, prec: int = 6) -> str:
    """``x`` as the reference's printf "%.<prec>g" shows it: fixed
    notation from 0.1 to 10^7 (and for zero), else d.ddddddeN; the
    shortest decimal digits rounded half to even."""
    from decimal import ROUND_HALF_EVEN, Decimal

    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    sign = "-" if x < 0 else ""
    d = Decimal(repr(abs(float(x))))
    q = Decimal(1).scaleb(-prec)
    if d == 0 or Decimal("0.1") <= d < Decimal(10) ** 7:
        return "%s%s" % (sign, d.quantize(q, ROUND_HALF_EVEN))
    e = d.adjusted()
    m = d.scaleb(-e).quantize(q, ROUND_HALF_EVEN)
    if m >= 10:
        m = (m / 10).quantize(q, ROUND_HALF_EVEN)
        e += 1
    return "%s%se%d" % (sign, m, e)


# ---------------------------------------------------------------------------
# tables

NODE_FIELDS_DEFAULT = [
    "status",
    "name",
    "tmem",
    "nmem",
    "imem",
    "xmem",
    "fmem",
    "umem",
    "rmem",
    "tdsk",
    "fdsk",
    "tcpu",
    "ucpu",
    "pcnt",
    "scnt",
    "pfmem",
    "pfdsk",
    "rcpu",
    "cload",
    "mload",
    "dload",
    "nload",
]

_UNKNOWN = "<unknown field>"


def _hf(fmt: str, x: float) -> str:
    """A float as the reference prints it (NaN, Infinity spelled out)."""
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    return fmt % x


def _show_double(x: float) -> str:
    from ganeti.htools.rapi_json import hs_show_double

    return hs_show_double(float(x))


def _int_list(xs) -> str:
    return "[%s]" % ",".join("%d" % x for x in xs)


def _node_field(n, key: str):
    """(header, value string, right aligned)."""
    if key == "idx":
        return ("Index", "%d" % n.idx, True)
    if key == "status":
        return ("F", "*" if n.fail_n1 and not n.offline else ("-" if n.offline else " "), False)
    if key == "name":
        return ("Name", n.alias, False)
    if key == "fqdn":
        return ("Name", n.name, False)
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
    if key == "plist":  # the most recently placed instance first
        return ("primaries", _int_list(reversed(n.plist)), True)
    if key == "slist":
        return ("secondaries", _int_list(reversed(n.slist)), True)
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
        return ("PrimaryTags", ",".join("%s=%d" % kv for kv in sorted(n.p_tags.items())), False)
    if key == "peermap":
        return (
            "PeerMap",
            "[%s]" % ",".join("(%d,%d)" % kv for kv in sorted(n.peers.items())),
            False,
        )
    if key == "spindle_count":
        return ("NodeSpindles", "%d" % n.t_spindles, True)
    if key == "hi_spindles":
        return ("MaxSpindles", _show_double(n.hi_spindles), True)
    if key == "inst_spindles":
        return ("InstSpindles", _show_double(n.inst_spindles), True)
    return (_UNKNOWN, _UNKNOWN, False)


_NODE_HEADS = {
    "idx": ("Index", True),
    "status": ("F", False),
    "name": ("Name", False),
    "fqdn": ("Name", False),
    "tmem": ("t_mem", True),
    "nmem": ("n_mem", True),
    "imem": ("i_mem", True),
    "xmem": ("x_mem", True),
    "fmem": ("f_mem", True),
    "umem": ("u_mem", True),
    "amem": ("a_mem", True),
    "rmem": ("r_mem", True),
    "tdsk": ("t_dsk", True),
    "fdsk": ("f_dsk", True),
    "tcpu": ("pcpu", True),
    "ucpu": ("vcpu", True),
    "pcnt": ("pcnt", True),
    "scnt": ("scnt", True),
    "plist": ("primaries", True),
    "slist": ("secondaries", True),
    "pfmem": ("p_fmem", True),
    "pfdsk": ("p_fdsk", True),
    "rcpu": ("r_cpu", True),
    "cload": ("lCpu", True),
    "mload": ("lMem", True),
    "dload": ("lDsk", True),
    "nload": ("lNet", True),
    "ptags": ("PrimaryTags", False),
    "peermap": ("PeerMap", False),
    "spindle_count": ("NodeSpindles", True),
    "hi_spindles": ("MaxSpindles", True),
    "inst_spindles": ("InstSpindles", True),
}


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
    """The -p field list: the default one, '+' extending it, or the named
    fields (empty names included: they print as unknown fields)."""
    if not spec:
        return NODE_FIELDS_DEFAULT
    if spec.startswith("+"):
        extra = spec[1:]
        return NODE_FIELDS_DEFAULT + (extra.split(",") if extra else [])
    return spec.split(",")


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
        h, r = _NODE_HEADS.get(f, (_UNKNOWN, False))
        heads.append(h)
        right.append(r)
    return "\n".join(format_table([heads] + rows_vals, right))


_INST_HEADS = [
    "F",
    "Name",
    "Pri_node",
    "Sec_node",
    "Auto_bal",
    "vcpu",
    "mem",
    "dsk",
    "lCpu",
    "lMem",
    "lDsk",
    "lNet",
]
_INST_RIGHT = [False] * 5 + [True] * 7
_RUNNING = ("running", "ERROR_up")


def print_insts(nodes: list, insts: list) -> str:
    """The instance map (the reference's --print-instances table):
    instances in load order, full names, disk in GiB, R for running."""
    rows = [_INST_HEADS]
    for i in sorted(insts, key=lambda x: x.idx):
        sn = nodes[i.snode].name if i.snode >= 0 else ""
        u = i.util
        rows.append(
            [
                "R" if i.run_st in _RUNNING else " ",
                i.name,
                nodes[i.pnode].name,
                sn,
                "Y" if i.auto_balance else "N",
                "%3d" % i.vcpus,
                "%5d" % i.mem,
                "%5d" % (i.dsk // 1024),
                "%5.3f" % u[0],
                "%5.3f" % u[1],
                "%5.3f" % u[2],
                "%5.3f" % u[3],
            ]
        )
    return "\n".join(format_table(rows, _INST_RIGHT))


def show_insts(title: str, nodes: list, insts: list) -> None:
    """The instance map on stderr, as --print-instances shows it."""
    sys.stdout.flush()
    sys.stderr.write("\n%s instance map:\n%s\n" % (title, print_insts(nodes, insts)))


def hs_show_strings(items: list) -> str:
    """A list of strings as the reference prints one (``["a","b"]``)."""

    def one(text: str) -> str:
        out = []
        for c in text:
            if c in '"\\':
                out.append("\\" + c)
            elif " " <= c <= "~":
                out.append(c)
            else:
                out.append("\\%d" % ord(c))
        return '"%s"' % "".join(out)

    return "[%s]" % ",".join(one(x) for x in items)


# Haskell names of the disk templates (ipolicy listings)
_DT_SHOW = {
    "diskless": "DTDiskless",
    "file": "DTFile",
    "sharedfile": "DTSharedFile",
    "plain": "DTPlain",
    "blockdev": "DTBlock",
    "drbd": "DTDrbd8",
    "rbd": "DTRbd",
    "ext": "DTExt",
    "gluster": "DTGluster",
}


def _show_spec(s) -> str:
    return (
        "ISpec {iSpecMemorySize = %d, iSpecCpuCount = %d, iSpecDiskSize"
        " = %d, iSpecDiskCount = %d, iSpecNicCount = %d, iSpecSpindleUse"
        " = %d}"
        % (s.memory_size, s.cpu_count, s.disk_size, s.disk_count, s.nic_count, s.spindle_use)
    )


def show_ipolicy(pol) -> str:
    """The policy as the reference tools print it (Haskell ``show``)."""
    from ganeti.htools.rapi_json import hs_show_double

    mm = ",".join(
        "MinMaxISpecs {minMaxISpecsMinSpec = %s, minMaxISpecsMax"
        "Spec = %s}" % (_show_spec(a), _show_spec(b))
        for a, b in pol.minmax
    )
    return (
        "IPolicy {iPolicyMinMaxISpecs = [%s], iPolicyStdSpec = %s, "
        "iPolicyDiskTemplates = [%s], iPolicyVcpuRatio = %s, "
        "iPolicySpindleRatio = %s}"
        % (
            mm,
            _show_spec(pol.std),
            ",".join(_DT_SHOW.get(t, t) for t in pol.disk_templates),
            hs_show_double(pol.vcpu_ratio),
            hs_show_double(pol.spindle_ratio),
        )
    )
