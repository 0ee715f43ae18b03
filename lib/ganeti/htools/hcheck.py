"""hcheck: cluster health check, with an optional rebalancing simulation.

Owns hcheck's report: per group and cluster-wide counts of nodes failing
N+1, nodes with conflicting (exclusion-tagged) primaries, instances on
offline nodes and nodes that cannot be evacuated (global N+1), the group
scores, and the same after a simulated hbal run of every group; human or
machine-readable (``HCHECK_*``) output, exit code 1 when the cluster needs
rebalancing (unless ``--no-simulation``).
"""

from __future__ import annotations

import io
import sys

from ganeti.htools import cli, globaln1, hbal, metrics
from ganeti.htools.cli import EXIT_FAILURE, EXIT_SUCCESS

KEYS = [
    "data_file",
    "no_disk_moves",
    "dynu_file",
    "ignore_dynu",
    "evac_mode",
    "exclude_insts",
    "exclusion_tags",
    "ialloc_src",
    "no_inst_moves",
    "luxi",
    "machine_readable",
    "max_cpu",
    "max_length",
    "min_disk",
    "min_gain",
    "min_gain_limit",
    "min_score",
    "ignore_soft_errors",
    "no_simulation",
    "offline",
    "quiet",
    "master",
    "select_insts",
    "no_capacity_checks",
    "verbose",
    "version",
    "help",
    "help_completion",
]

_COMMON = [
    ("N1_FAIL", "Nodes not N+1 happy"),
    ("CONFLICT_TAGS", "Nodes with conflicting instances"),
    ("OFFLINE_PRI", "Instances having the primary node offline"),
    ("OFFLINE_SEC", "Instances having a secondary node offline"),
]
_GN1 = ("GN1_FAIL", "Nodes not directly evacuateable")


def _common(capacity: bool) -> list:
    return _COMMON + ([_GN1] if capacity else [])


def group_stats(nodes: list, insts: list, gdx: int, capacity: bool):
    """(score, [counts]) of one group."""
    ids = [n.idx for n in nodes if n.group == gdx]
    gnodes = [nodes[x] for x in ids]
    n1 = sum(1 for n in gnodes if not n.offline and n.fail_n1)
    conflict = sum(1 for n in gnodes if n.conflicting_primaries() > 0)
    off = [n for n in gnodes if n.offline]
    off_pri = sum(len(n.plist) for n in off)
    off_sec = len(off)  # the reference counts the nodes here
    stats = [n1, conflict, off_pri, off_sec]
    if capacity:
        stats.append(sum(1 for x in ids if not globaln1.can_evacuate(nodes, insts, x, ids)))
    return metrics.comp_cv(gnodes), stats


def _print_stats(
    out, mr: bool, verbose: int, keys: list, level: str, gid: str, phase: str, values: list
) -> None:
    if mr:
        pfx = "INIT" if phase == "initially" else "FINAL"
        for (k, _), v in zip(keys, values):
            if level == "GROUP":
                key = "%s_GROUP_%s_%s" % (pfx, gid, k)
            else:
                key = "%s_CLUSTER_%s" % (pfx, k)
            out.write("HCHECK_%s=%s\n" % (key, v))
        return
    if verbose < 1:
        return
    out.write("\n")
    if level == "GROUP":
        out.write("Statistics for group %s %s\n" % (gid, phase))
    else:
        out.write("Cluster statistics %s\n" % phase)
    for (_, descr), v in zip(keys, values):
        out.write("    %s: %s\n" % (descr, v))


def _report(out, cd, nodes, insts, groups, capacity, mr, verbose, phase, need):
    keys = _common(capacity)
    totals = None
    for g in groups:
        score, st = group_stats(nodes, insts, g.idx, capacity)
        totals = st if totals is None else [a + b for a, b in zip(totals, st)]
        _print_stats(
            out,
            mr,
            verbose,
            keys + [("SCORE", "Group score")],
            "GROUP",
            "%d" % g.idx if mr else g.name,
            phase,
            ["%d" % x for x in st] + ["%.8f" % score],
        )
    totals = totals or [0] * len(keys)
    if need is None:
        need = any(totals)
    _print_stats(
        out,
        mr,
        verbose,
        keys + [("NEED_REBALANCE", "Cluster is not healthy")],
        "CLUSTER",
        "",
        phase,
        ["%d" % x for x in totals] + [("1" if need else "0") if mr else str(need)],
    )
    return need


def main(argv=None) -> None:
    opts, _ = cli.start("hcheck", KEYS, argv)
    mr = cli.machine_readable(opts)
    verbose = opts["verbose"]
    nosim = bool(opts.get("no_simulation"))
    capacity = not opts.get("no_capacity_checks")
    cd = cli.load_checked(opts)
    out = sys.stdout
    used = sorted({n.group for n in cd.nodes})
    groups = [cd.groups[g] for g in used]
    if mr:
        for g in cd.groups:
            out.write("HCHECK_GROUP_UUID_%d='%s'\n" % (g.idx, g.uuid))
    keys = _common(capacity)
    pre = []
    totals = [0] * len(keys)
    for g in groups:
        score, st = group_stats(cd.nodes, cd.instances, g.idx, capacity)
        pre.append((g, score, st))
        totals = [a + b for a, b in zip(totals, st)]
    need = any(totals)
    if verbose >= 1 and not mr:
        if nosim:
            out.write("Running in no-simulation mode.\n")
        elif need:
            out.write("Cluster needs rebalancing.\n")
        else:
            out.write("No need to rebalance cluster, no problems found.\n")
    for g, score, st in pre:
        _print_stats(
            out,
            mr,
            verbose,
            keys + [("SCORE", "Group score")],
            "GROUP",
            "%d" % g.idx if mr else g.name,
            "initially",
            ["%d" % x for x in st] + ["%.8f" % score],
        )
    _print_stats(
        out,
        mr,
        verbose,
        keys + [("NEED_REBALANCE", "Cluster is not healthy")],
        "CLUSTER",
        "",
        "initially",
        ["%d" % x for x in totals] + [("1" if need else "0") if mr else str(need)],
    )
    simulate = not nosim and need
    if simulate or mr:
        nodes, insts = cd.nodes, cd.instances
        if simulate:
            nodes, insts = _simulate(cd, groups, opts)
        _report(out, cd, nodes, insts, groups, capacity, mr, verbose, "after rebalancing", need)
    if mr:
        out.write("HCHECK_OK=1\n")
    out.flush()
    sys.exit(EXIT_FAILURE if simulate else EXIT_SUCCESS)


def _simulate(cd, groups: list, opts: dict):
    """Runs hbal's search on every group; returns the final lists."""
    nodes = list(cd.nodes)
    insts = list(cd.instances)
    min_score = opts.get("min_score")
    if min_score is None:
        min_score = 1e-9
    sink = io.StringIO()
    for g in groups:
        gn = [n for n in cd.nodes if n.group == g.idx]
        if metrics.comp_cv(gn) < min_score:
            continue
        _, fin = hbal.run_balance(cd, g.idx, opts, sink)
        for n in gn:
            nodes[n.idx] = fin.nodes[n.idx]
        gset = {n.idx for n in gn}
        for i in cd.instances:
            if i.pnode in gset:
                insts[i.idx] = fin.instances[i.idx]
        sink.seek(0)
        sink.truncate()
    return nodes, insts


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(EXIT_FAILURE)
