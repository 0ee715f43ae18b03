"""hspace: how many more instances fit on the cluster.

Owns hspace's flow: load, the tiered allocation (start from the policy's
largest spec and shrink the spec on the failure that stopped it), the
standard allocation (the policy's standard spec until nothing fits), and
the human or machine-readable (``HTS_*``) report of both.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Optional

from ganeti.htools import alloc, cli, loader, metrics
from ganeti.htools.cli import EXIT_FAILURE, EXIT_SUCCESS
from ganeti.htools.model import (
    DISK_TEMPLATES,
    FAIL_CPU,
    FAIL_DISK,
    FAIL_MEM,
    FAIL_N1,
    FAIL_SPINDLES,
    Instance,
)

KEYS = [
    "print_nodes",
    "data_file",
    "disk_template",
    "spindle_use",
    "simulate",
    "master",
    "luxi",
    "ialloc_src",
    "verbose",
    "quiet",
    "independent_groups",
    "accept_existing",
    "offline",
    "no_capacity_checks",
    "machine_readable",
    "max_cpu",
    "max_length",
    "min_disk",
    "std_spec",
    "tiered_alloc",
    "save",
    "static_kvm",
    "version",
    "help",
    "help_completion",
]

UNIT_MEM = 64
UNIT_DSK = 256
UNIT_CPU = 1
UNIT_SPINDLE = 1


@dataclass
class RSpec:
    """A resource spec: what one instance of a size needs."""

    cpu: int
    mem: int
    dsk: int
    spn: int


@dataclass
class CStats:
    """Cluster-wide resource totals (as the reference's CStats)."""

    fmem: int = 0
    fdsk: int = 0
    fspn: int = 0
    amem: int = 0
    adsk: int = 0
    acpu: int = 0
    mmem: int = 0
    mdsk: int = 0
    mcpu: int = 0
    imem: int = 0
    idsk: int = 0
    ispn: int = 0
    icpu: int = 0
    tmem: float = 0.0
    tdsk: float = 0.0
    tspn: float = 0.0
    tcpu: float = 0.0
    vcpu: int = 0
    ncpu: float = 0.0
    xmem: int = 0
    nmem: int = 0
    score: float = 0.0
    ninst: int = 0


def total_resources(nodes: list) -> CStats:
    cs = CStats()
    for n in nodes:
        amem = n.avail_mem()
        adsk = n.avail_disk()
        acpu = n.avail_cpu()
        cs.fmem += n.unallocated_mem()
        cs.fdsk += n.f_dsk
        cs.fspn += n.f_spindles
        cs.amem += amem
        cs.adsk += adsk
        cs.acpu += acpu
        cs.mmem = max(cs.mmem, amem)
        cs.mdsk = max(cs.mdsk, adsk)
        cs.mcpu = max(cs.mcpu, acpu)
        cs.imem += n.i_mem
        cs.idsk += int(n.t_dsk) - n.f_dsk
        cs.ispn += n.t_spindles - n.f_spindles
        cs.icpu += n.u_cpu
        cs.tmem += n.t_mem
        cs.tdsk += n.t_dsk
        cs.tspn += n.t_spindles
        cs.tcpu += n.t_cpu
        cs.vcpu += n.hi_cpu
        cs.ncpu += n.u_cpu / n.ipolicy.vcpu_ratio
        cs.xmem += n.x_mem
        cs.nmem += n.n_mem
        cs.ninst += len(n.plist)
    cs.score = metrics.comp_cv(nodes)
    return cs


def hs_show(x: float) -> str:
    """A double as the reference's ``show`` prints it."""
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0.0" if str(x)[0] != "-" else "-0.0"
    ax = abs(x)
    if 0.1 <= ax < 10**7:
        r = repr(x)
        if "e" in r:  # pragma: no cover - repr keeps these positional
            r = "%f" % x
        return r
    digits, exp = _shortest_digits(ax)
    mant = digits[0] + "." + (digits[1:] or "0")
    return "%s%se%d" % ("-" if x < 0 else "", mant, exp)


def _shortest_digits(ax: float) -> tuple:
    r = "%r" % ax
    if "e" in r:
        m, e = r.split("e")
        exp = int(e)
    else:
        m, exp = r, 0
    if "." in m:
        ip, fp = m.split(".")
    else:
        ip, fp = m, ""
    if fp == "0":
        fp = ""
    digits = (ip + fp).lstrip("0")
    lead = len(ip.lstrip("0"))
    if lead:
        exp += lead - 1
    else:
        exp -= len(fp) - len(fp.lstrip("0")) + 1
    return digits.rstrip("0") or "0", exp


def _quote(v: str) -> str:
    if all(c.isalnum() or c == "." for c in v):
        return v
    return "'" + v + "'"


def print_keys(out, items: list) -> None:
    for k, v in items:
        out.write("HTS_%s=%s\n" % (k.upper(), _quote(v)))


# ---------------------------------------------------------------------------
# formatting of stats


def _eff(num, den) -> float:
    try:
        return num / den
    except ZeroDivisionError:
        return float("nan") if num == 0 else float("inf")


def mem_eff(cs: CStats) -> float:
    return _eff(cs.imem, cs.tmem)


def dsk_eff(cs: CStats) -> float:
    return _eff(cs.idsk, cs.tdsk)


def cpu_eff(cs: CStats) -> float:
    return _eff(cs.icpu, float(cs.vcpu))


def spn_eff(cs: CStats) -> float:
    return _eff(cs.ispn, cs.tspn)


def _f8(x: float) -> str:
    return "%.8f" % x


STATS_DATA = [
    ("SCORE", lambda cs: _f8(cs.score)),
    ("INST_CNT", lambda cs: "%d" % cs.ninst),
    ("MEM_FREE", lambda cs: "%d" % cs.fmem),
    ("MEM_AVAIL", lambda cs: "%d" % cs.amem),
    ("MEM_RESVD", lambda cs: "%d" % (cs.fmem - cs.amem)),
    ("MEM_INST", lambda cs: "%d" % cs.imem),
    ("MEM_OVERHEAD", lambda cs: "%d" % (cs.xmem + cs.nmem)),
    ("MEM_EFF", lambda cs: _f8(mem_eff(cs))),
    ("DSK_FREE", lambda cs: "%d" % cs.fdsk),
    ("DSK_AVAIL", lambda cs: "%d" % cs.adsk),
    ("DSK_RESVD", lambda cs: "%d" % (cs.fdsk - cs.adsk)),
    ("DSK_INST", lambda cs: "%d" % cs.idsk),
    ("DSK_EFF", lambda cs: _f8(dsk_eff(cs))),
    ("SPN_FREE", lambda cs: "%d" % cs.fspn),
    ("SPN_INST", lambda cs: "%d" % cs.ispn),
    ("SPN_EFF", lambda cs: _f8(spn_eff(cs))),
    ("CPU_INST", lambda cs: "%d" % cs.icpu),
    ("CPU_EFF", lambda cs: _f8(cpu_eff(cs))),
    ("MNODE_MEM_AVAIL", lambda cs: "%d" % cs.mmem),
    ("MNODE_DSK_AVAIL", lambda cs: "%d" % cs.mdsk),
]

SPEC_DATA = [
    ("MEM", lambda s: "%d" % s.mem),
    ("DSK", lambda s: "%d" % s.dsk),
    ("CPU", lambda s: "%d" % s.cpu),
]
SPEC_DATA_SPN = SPEC_DATA + [("SPN", lambda s: "%d" % s.spn)]

CLUSTER_DATA = [
    ("MEM", lambda cs: "%.0f" % cs.tmem),
    ("DSK", lambda cs: "%.0f" % cs.tdsk),
    ("CPU", lambda cs: "%.0f" % cs.tcpu),
    ("VCPU", lambda cs: "%d" % cs.vcpu),
]
CLUSTER_DATA_SPN = CLUSTER_DATA + [("SPN", lambda cs: "%.0f" % cs.tspn)]


def print_stats(phase: str, cs: CStats) -> list:
    return [("%s_%s" % (phase, k), fn(cs)) for k, fn in STATS_DATA]


def format_resources(res, data: list) -> str:
    return ", ".join("%s %s" % (k, fn(res)) for k, fn in data)


# ---------------------------------------------------------------------------
# instances and shrinking


def inst_from_spec(spec: RSpec, tmpl: str, su: int) -> Instance:
    inst = Instance("new", spec.mem, spec.dsk, spec.cpu, "running", [], True, -1, -1, tmpl, su)
    inst.disks = [spec.dsk]
    inst.total_spindles = spec.spn
    return inst


def spec_of(inst: Instance) -> tuple:
    sp = inst.total_spindles if len(inst.disks) == 1 and inst.total_spindles is not None else 0
    return (inst.mem, inst.dsk, inst.vcpus, sp)


def shrink_by_type(inst: Instance, mode: str) -> Optional[Instance]:
    """The instance one step smaller in ``mode``, or None."""
    if mode == FAIL_MEM:
        v = inst.mem - UNIT_MEM
        if v < UNIT_MEM:
            return None
        ni = inst.copy()
        ni.mem = v
        return ni
    if mode == FAIL_DISK:
        nd = [d - UNIT_DSK for d in inst.disks]
        if any(d < UNIT_DSK for d in nd):
            return None
        ni = inst.copy()
        ni.dsk = inst.dsk - len(inst.disks) * UNIT_DSK
        ni.disks = nd
        return ni
    if mode == FAIL_CPU:
        v = inst.vcpus - UNIT_CPU
        if v < UNIT_CPU:
            return None
        ni = inst.copy()
        ni.vcpus = v
        return ni
    if mode == FAIL_SPINDLES:
        if len(inst.disks) != 1 or inst.total_spindles is None:
            return None
        v = inst.total_spindles - UNIT_SPINDLE
        if v < UNIT_SPINDLE:
            return None
        ni = inst.copy()
        ni.total_spindles = v
        return ni
    return None


# ---------------------------------------------------------------------------
# the allocation loops


class State:
    """A cluster state during allocation: nodes, instances, new ones."""

    def __init__(self, nodes: list, insts: list, new: list) -> None:
        self.nodes = nodes
        self.insts = insts
        self.new = new  # allocated instances, oldest first


class Allocator:
    """Runs tryAlloc-style steps with a per-state cache."""

    def __init__(self, targets, opts: alloc.AllocOptions) -> None:
        self.targets = targets
        self.opts = opts
        self._cache_state = None
        self._cache: dict = {}

    def try_alloc(self, st: State, inst: Instance, lazy: bool = True) -> alloc.AllocSolution:
        if self._cache_state is not st:
            self._cache_state = st
            self._cache = {}
        key = (spec_of(inst), inst.name, lazy)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        ni = inst.copy()
        ni.idx = len(st.insts)
        sol = alloc.try_alloc(st.nodes, st.insts, ni, self.targets, self.opts, lazy)
        self._cache[key] = sol
        return sol


def iterate_alloc(al: Allocator, st: State, limit: Optional[int], inst: Instance):
    """Allocates ``inst`` until it fails; returns (failures, state)."""
    while True:
        depth = len(st.new)
        ni = inst.copy()
        ni.name = "new-%d" % depth
        ni.alias = ni.name
        sol = al.try_alloc(st, ni, lazy=limit != 0)
        if sol.best is None or limit == 0:
            return alloc.collapse_failures(sol.failures), st
        changes, _, _, placed = sol.best
        nodes = alloc.apply_changes(st.nodes, changes)
        insts = st.insts + [placed]
        alloc.advance_checker(st.nodes, st.insts, nodes, insts, changes, placed)
        st = State(nodes, insts, st.new + [placed])
        if limit is not None:
            limit -= 1


def suffices_shrinking(al: Allocator, st: State, inst: Instance, mode: str) -> Optional[Instance]:
    cur = inst
    while cur is not None:
        ni = cur.copy()
        ni.name = "new-%d" % len(st.new)
        sol = al.try_alloc(st, ni)
        if sol.best is not None:
            return cur
        if mode not in sol.failures:
            return None
        cur = shrink_by_type(cur, mode)
    return None


def tiered_alloc(al: Allocator, st: State, limit: Optional[int], inst: Instance):
    """The reference's tiered allocation (returns failures, state).

    After the spec stops fitting, shrink it on its most frequent failure
    and go on; when that brings no new instance, shrink on each failure
    mode (most frequent first) until some spec fits again.  The recursion
    of the reference is run with an explicit stack (the shrink chains are
    thousands of steps long).
    """
    stack = []
    call = (st, limit, inst)
    while True:
        result = None
        while result is None:
            cst, clim, cinst = call
            errs, st2 = iterate_alloc(al, cst, clim, cinst)
            cnt = len(st2.new)
            if clim is not None:
                if clim <= cnt:
                    result = (errs, st2)
                    break
                newlimit = clim - cnt
            else:
                newlimit = None
            sorted_errs = [m for m, _ in sorted(errs, key=lambda mc: mc[1])]
            frame = (errs, st2, newlimit, cinst, sorted_errs)
            shrunk = shrink_by_type(cinst, sorted_errs[-1])
            if shrunk is not None:
                stack.append(frame)
                call = (st2, newlimit, shrunk)
                continue
            nxt = _big_step(al, frame)
            if nxt is not None:
                call = (st2, newlimit, nxt)
                continue
            result = (errs, st2)
        while stack:
            errs, st2, newlimit, cinst, sorted_errs = frame = stack.pop()
            if len(result[1].insts) > len(st2.insts):
                continue
            nxt = _big_step(al, frame)
            if nxt is not None:
                call = (st2, newlimit, nxt)
                break
            result = (errs, st2)
        else:
            return result


def _big_step(al: Allocator, frame) -> Optional[Instance]:
    _, st2, _, cinst, sorted_errs = frame
    for mode in reversed(sorted_errs):
        new_inst = suffices_shrinking(al, st2, cinst, mode)
        if new_inst is not None:
            return new_inst
    return None


def spec_map(new: list) -> list:
    out = []
    for inst in new:
        sp = spec_of(inst)
        if out and out[-1][0] == sp:
            out[-1][1] += 1
        else:
            out.append([sp, 1])
    return out


def sort_reasons(errs: list) -> list:
    return sorted(errs, key=lambda mc: -mc[1])


# ---------------------------------------------------------------------------
# program


def _parse_spec(descr: str, text: str) -> RSpec:
    dsk, mem, cpu, spn = cli.parse_spec(descr, text)
    return RSpec(cpu, mem, dsk, spn)


def show_targets(targets, base: int) -> str:
    """The allocation targets as the reference's debug output shows them."""
    if targets and isinstance(targets[0], tuple):
        return "Right [%s]" % ",".join(
            "(%d,[%s])" % (p + base, ",".join("%d" % (s + base) for s in ss)) for p, ss in targets
        )
    return "Left [%s]" % ",".join("%d" % (p + base) for p in targets)


def _print_alloc_map(nodes: list, new: list, descr: str, verbose: int) -> None:
    if verbose <= 1:
        return
    excl = any(n.excl_storage for n in nodes)
    rows = []
    for i in new:
        sn = nodes[i.snode].name if i.snode >= 0 else ""
        sp = ""
        if excl:
            sp = "?" if i.total_spindles is None else "%d" % i.total_spindles
        rows.append(
            [i.name, nodes[i.pnode].name, sn, "%d" % i.mem, "%d" % i.dsk, "%d" % i.vcpus, sp]
        )
    sys.stdout.flush()
    sys.stderr.write("%s map\n" % descr)
    if rows:
        right = [False, False, False, True, True, True, True]
        widths = [max(len(r[k]) for r in rows) for k in range(7)]
        for r in rows:
            cells = [
                c.rjust(widths[k]) if right[k] else c.ljust(widths[k]) for k, c in enumerate(r)
            ]
            sys.stderr.write(" " + " ".join(cells) + "\n")


def _maybe_print_nodes(opts: dict, msg: str, nodes: list) -> None:
    if not opts.get("print_nodes_given"):
        return
    sys.stdout.flush()
    sys.stderr.write(
        "\n%s status:\n%s\n\n"
        % (msg, cli.print_nodes(nodes, cli.node_fields(opts.get("print_nodes"))))
    )


def _save(opts: dict, cd, st: State, ext: str, msg: str) -> None:
    path = opts.get("save")
    if not path:
        return
    from ganeti.htools.model import ClusterData

    cd2 = ClusterData(cd.groups, st.nodes, st.insts, cd.cluster_tags, cd.ipolicy)
    out_path = path + "." + ext
    with open(out_path, "w") as fh:
        fh.write(loader.serialize_cluster(cd2) + "\n")
    sys.stdout.flush()
    sys.stderr.write("The cluster state %s has been written to file '%s'\n" % (msg, out_path))


def _print_cluster_scores(out, ini_nodes, fin_nodes) -> None:
    out.write("  - initial cluster score: %.8f\n" % metrics.comp_cv(ini_nodes))
    out.write("  -   final cluster score: %.8f\n" % metrics.comp_cv(fin_nodes))


def _print_eff(out, cs: CStats, print_spn: bool) -> None:
    fmt = [("memory", mem_eff), ("disk", dsk_eff), ("vcpu", cpu_eff)]
    if print_spn:
        fmt.append(("spindles", spn_eff))
    ln = max(len(s) for s, _ in fmt)
    for s, fn in fmt:
        out.write("  - %*s usage efficiency: %5.2f%%\n" % (ln, s, fn(cs) * 100))


def _print_fr_scores(out, ini_nodes, fin_nodes, reasons) -> None:
    out.write("  - most likely failure reason: %s\n" % reasons[0][0])
    _print_cluster_scores(out, ini_nodes, fin_nodes)
    _print_eff(out, total_resources(fin_nodes), any(n.excl_storage for n in fin_nodes))


def _print_ispec(out, mr: bool, spec: RSpec, tiered: bool, tmpl: str, print_spn: bool) -> None:
    if mr:
        prefix = "TSPEC_INI" if tiered else "SPEC"
        print_keys(out, [("%s_%s" % (prefix, k), fn(spec)) for k, fn in SPEC_DATA_SPN])
        print_keys(out, [("%s_RQN" % prefix, "%d" % (2 if tmpl == "drbd" else 1))])
        print_keys(out, [("%s_DISK_TEMPLATE" % prefix, tmpl)])
        return
    out.write(
        "%s instance spec is:\n  %s, using disk template '%s'.\n"
        % (
            "Tiered (initial size)" if tiered else "Standard (fixed-size)",
            format_resources(spec, SPEC_DATA_SPN if print_spn else SPEC_DATA),
            tmpl,
        )
    )


def _alloc_delta(ini: CStats, fin: CStats) -> list:
    rini = (ini.icpu, ini.ncpu, ini.imem, ini.idsk, ini.ispn)
    ralo = (
        fin.icpu - ini.icpu,
        fin.ncpu - ini.ncpu,
        fin.imem - ini.imem,
        fin.idsk - ini.idsk,
        fin.ispn - ini.ispn,
    )
    runa = (
        fin.vcpu - fin.icpu,
        fin.tcpu - fin.ncpu,
        int(fin.tmem) - fin.imem,
        int(fin.tdsk) - fin.idsk,
        int(fin.tspn) - fin.ispn,
    )
    out = []
    for name, r in (("USED", rini), ("POOL", ralo), ("UNAV", runa)):
        out += [
            ("KM_%s_CPU" % name, "%d" % r[0]),
            ("KM_%s_NPU" % name, hs_show(float(r[1]))),
            ("KM_%s_MEM" % name, "%d" % r[2]),
            ("KM_%s_DSK" % name, "%d" % r[3]),
            ("KM_%s_SPN" % name, "%d" % r[4]),
        ]
    return out


def main(argv=None) -> None:
    opts, args = cli.start("hspace", KEYS, argv)
    try:
        std_spec = _parse_spec("standard", opts["std_spec"]) if opts.get("std_spec") else None
        tier_spec = (
            _parse_spec("tiered", opts["tiered_alloc"]) if opts.get("tiered_alloc") else None
        )
    except cli.UsageError as err:
        cli.parse_error(str(err))
    tmpl_opt = opts.get("disk_template")
    if tmpl_opt is not None and tmpl_opt not in DISK_TEMPLATES:
        cli.parse_error('Invalid string value for type DiskTemplate: "%s"' % tmpl_opt)
    if opts.get("spindle_use") is not None and opts["spindle_use"] < 0:
        cli.parse_error("Invalid value of the spindle-use (expected >= 0)")
    mr = cli.machine_readable(opts)
    verbose = opts["verbose"]
    out = sys.stdout
    cd = cli.load_checked(opts)
    nodes = cd.nodes
    insts = cd.instances
    ipol = cd.ipolicy
    if not ipol.disk_templates:
        cli.die("null list of disk templates received from cluster")
    tmpl = tmpl_opt or ipol.disk_templates[0]
    req_nodes = 2 if tmpl == "drbd" else 1
    su = opts.get("spindle_use")
    if su is None:
        su = ipol.std.spindle_use
    nsuf = cli.name_suffix(cd)
    if nsuf and verbose > 1:
        sys.stderr.write("Note: Stripping common suffix of '%s' from names\n" % nsuf)
    _maybe_print_nodes(opts, "Initial cluster", nodes)
    if verbose > 2:
        sys.stderr.write(
            "Initial coefficients: overall %.8f\n%s\n"
            % (metrics.comp_cv(nodes), metrics.print_stats("   ", nodes))
        )
    ini_cs = total_resources(nodes)
    excl = any(n.excl_storage for n in nodes)
    if mr:
        print_keys(out, [("CLUSTER_" + k, fn(ini_cs)) for k, fn in CLUSTER_DATA_SPN])
        print_keys(out, [("CLUSTER_NODES", "%d" % len(nodes))])
        print_keys(out, print_stats("INI", ini_cs))
    else:
        out.write(
            "The cluster has %d nodes and the following resources:\n"
            "  %s.\n"
            % (len(nodes), format_resources(ini_cs, CLUSTER_DATA_SPN if excl else CLUSTER_DATA))
        )
        out.write(
            "There are %s initial instances on the cluster.\n"
            % (("%d" % ini_cs.ninst) if ini_cs.ninst > 0 else "no")
        )
    # nodes failing the (local) N+1 check make their groups unallocable and
    # stop the allocation altogether, unless existing errors are accepted or
    # independent groups leave some group to allocate in
    bad = [n for n in nodes if not n.offline and n.fail_n1]
    indep = bool(opts.get("independent_groups"))
    accept = bool(opts.get("accept_existing"))
    capacity = not opts.get("no_capacity_checks")
    bad_grps: list = []
    if indep or verbose > 3:
        from ganeti.htools import globaln1

        bad_grps = globaln1.Checker(nodes, insts, accept).bad_groups()
    if verbose > 3:
        sys.stdout.flush()
        if bad:
            sys.stderr.write("Bad nodes: %s\n" % cli.hs_show_strings([n.name for n in bad]))
        if bad_grps:
            sys.stderr.write(
                "Bad groups: %s\n" % cli.hs_show_strings([cd.groups[g].name for g in bad_grps])
            )
    unalloc = set() if accept else {n.group for n in bad}
    if indep:
        unalloc.update(bad_grps)
    # single-node candidates must leave the cluster redundant; mirrored
    # (DRBD) ones get no global check in hspace (the reference's hspace
    # accepts them even in groups that are not redundant)
    aopts = alloc.AllocOptions(
        capacity=capacity and req_nodes == 1,
        accept_existing=accept,
        ignore_groups=frozenset(bad_grps) if indep else frozenset(),
    )
    remaining = any(g.is_allocable() and k not in unalloc for k, g in enumerate(cd.groups))
    stopped = bool(bad) and not accept and not (indep and remaining)
    ids = [x for x in range(len(nodes)) if nodes[x].group not in unalloc]
    targets = alloc.gen_alloc_nodes(nodes, ids, req_nodes, cd.groups)
    if not targets and not stopped:
        cli.die(
            "failure during allocation: %s"
            % ("No online nodes" if req_nodes == 1 else "Not enough online nodes")
        )
    if verbose > 3:
        sys.stdout.flush()
        sys.stderr.write("Allocatable nodes: %s\n" % show_targets(targets, cd.index_base))
    al = Allocator(targets, aopts)
    limit = opts.get("max_length")
    if limit is not None and limit < 0:
        limit = None
    # tiered allocation
    if tier_spec is not None:
        tspecs = [tier_spec]
    else:
        tspecs = [
            RSpec(mx.cpu_count, mx.memory_size, mx.disk_size, mx.spindle_use)
            for _, mx in ipol.minmax
        ]
    if not tspecs:
        cli.die("Empty list of specs received from the cluster")
    ini_state = State(nodes, insts, [])
    st = ini_state
    terrs = None
    stop_errs = [(FAIL_N1, 1)]
    if stopped:
        terrs = stop_errs
    for ts in [] if stopped else tspecs:
        if limit is not None and limit <= len(st.new):
            break
        lim = None if limit is None else limit - len(st.new)
        terrs, st = tiered_alloc(al, st, lim, inst_from_spec(ts, tmpl, su))
    if terrs is None:
        terrs = alloc.collapse_failures([])
    treasons = sort_reasons(terrs)
    _print_ispec(out, mr, tspecs[0], True, tmpl, excl)
    _print_alloc_map(st.nodes, st.new, "Tiered allocation", verbose)
    _maybe_print_nodes(opts, "Tiered allocation", st.nodes)
    _save(opts, cd, st, "tiered", "after tiered allocation")
    smap = spec_map(st.new)
    if mr:
        trl_cs = total_resources(st.nodes)
        print_keys(out, print_stats("TRL", trl_cs))
        print_keys(
            out,
            [
                (
                    "TSPEC",
                    " ".join("%d,%d,%d,%d=%d" % (sp[0], sp[1], sp[2], sp[3], c) for sp, c in smap),
                )
            ],
        )
        print_keys(out, _alloc_delta(ini_cs, trl_cs))
    else:
        out.write("Tiered allocation results:\n")
        if not smap:
            out.write("  - no instances allocated\n")
        for sp, c in smap:
            res = RSpec(sp[2], sp[0], sp[1], sp[3])
            out.write(
                "  - %3d instances of spec %s\n"
                % (c, format_resources(res, SPEC_DATA_SPN if excl else SPEC_DATA))
            )
        _print_fr_scores(out, nodes, st.nodes, treasons)
    # standard allocation
    if std_spec is not None:
        ispec = std_spec
    else:
        s = ipol.std
        ispec = RSpec(s.cpu_count, s.memory_size, s.disk_size, s.spindle_use)
    if stopped:
        serrs, fst = stop_errs, ini_state
    else:
        serrs, fst = iterate_alloc(al, ini_state, limit, inst_from_spec(ispec, tmpl, su))
    sreasons = sort_reasons(serrs)
    allocs = len(fst.new)
    _print_ispec(out, mr, ispec, False, tmpl, excl)
    _print_alloc_map(fst.nodes, fst.new, "Standard allocation", verbose)
    _maybe_print_nodes(opts, "Standard allocation", fst.nodes)
    _save(opts, cd, fst, "standard", "after standard allocation")
    if mr:
        fin_cs = total_resources(fst.nodes)
        ninst = len(insts)
        if ninst + allocs != fin_cs.ninst:
            out.flush()
            sys.stderr.write(
                "Error: internal inconsistency, allocated (%d)"
                " != counted (%d)\n\n" % (ninst + allocs, fin_cs.ninst)
            )
            sys.exit(EXIT_FAILURE)
        print_keys(out, print_stats("FIN", fin_cs))
        print_keys(
            out,
            [
                ("ALLOC_USAGE", "%.8f" % (ninst / (ninst + allocs)) if ninst + allocs else "NaN"),
                ("ALLOC_INSTANCES", "%d" % allocs),
                ("ALLOC_FAIL_REASON", sreasons[0][0].upper()),
            ],
        )
        print_keys(out, [("ALLOC_%s_CNT" % m, "%d" % c) for m, c in sreasons])
        out.write("HTS_OK=1\n")
    else:
        out.write("Normal (fixed-size) allocation results:\n")
        out.write("  - %3d instances allocated\n" % allocs)
        _print_fr_scores(out, nodes, fst.nodes, sreasons)
    out.flush()
    sys.exit(EXIT_SUCCESS)


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(EXIT_FAILURE)
