"""hbal: the cluster balancer.

Owns the program flow of hbal: load, select the node group, report the
initial state, run balancing rounds while they improve the score, print the
moves, the command list (-C), save the state (-S) and, with -X, submit the
moves as jobs through the master.
"""

from __future__ import annotations

import sys

from ganeti.htools import balance, cli, metrics
from ganeti.htools.cli import EXIT_FAILURE, EXIT_SUCCESS

KEYS = [
    "print_nodes",
    "print_insts",
    "print_commands",
    "data_file",
    "evac_mode",
    "restricted_migration",
    "master",
    "luxi",
    "ialloc_src",
    "exec",
    "first_job_group",
    "reason",
    "group",
    "max_length",
    "verbose",
    "quiet",
    "offline",
    "static_kvm",
    "min_score",
    "max_cpu",
    "min_disk",
    "min_gain",
    "min_gain_limit",
    "no_disk_moves",
    "select_insts",
    "no_inst_moves",
    "ignore_soft_errors",
    "dynu_file",
    "ignore_dynu",
    "mond",
    "mond_data",
    "exit_missing_mond",
    "mond_xen",
    "exclusion_tags",
    "exclude_insts",
    "save",
    "priority",
    "version",
    "help",
    "help_completion",
]


def policy_violating(n) -> bool:
    """A node already over its vcpu or spindle limit (offline ones too, as
    the reference counts them)."""
    if n.ipolicy.vcpu_ratio >= 0 and n.u_cpu > n.hi_cpu:
        return True
    return not n.excl_storage and n.inst_spindles > n.hi_spindles


def optimal_score(nodes: list) -> float:
    """The lowest score the N+1 memory reservations allow (the share of
    the mirrored memory in the capacity left when the largest node fails,
    weighted as the reference does)."""
    if len(nodes) < 2:
        return 0.0
    mems = [n.t_mem for n in nodes]
    total = sum(mems)
    biggest = max(mems)
    rest = total - biggest
    if rest <= 0:
        return 0.0
    mirrored = sum(sum(n.peers.values()) for n in nodes)
    return 0.25 * mirrored * biggest / (rest * total)


def select_group(cd, opts) -> int:
    """The index of the node group to work on (or exits)."""
    gname = opts.get("group")
    if gname is not None:
        for g in cd.groups:
            if g.name == gname or g.uuid == gname:
                return g.idx
        sys.stdout.flush()
        sys.stderr.write("Node group %s not found. Node group list is:\n" % gname)
        for g in cd.groups:
            sys.stderr.write("  %s\n" % g.name)
        cli.die("Aborting.")
    used = sorted({n.group for n in cd.nodes})
    if len(used) == 1:
        return used[0]
    sys.stdout.flush()
    sys.stderr.write("Found multiple node groups:\n")
    for g in cd.groups:
        sys.stderr.write("  %s\n" % g.name)
    cli.die("Aborting.")
    return -1


def solution_line(
    cd, plc: balance.Placement, index: int, imlen: int, pmlen: int, old_nodes: tuple
) -> str:
    nodes = cd.nodes
    inst = cd.instances[plc.inst]
    opdx, osdx = old_nodes

    def nm(i):
        return nodes[i].alias if i >= 0 else ""

    old = "%s:%s" % (nm(opdx), nm(osdx))
    new = "%s:%s" % (nm(plc.pnode), nm(plc.snode))
    cmds = " ".join(balance.move_commands(plc.move, [n.alias for n in nodes]))
    return "  %3d. %-*s %-*s => %-*s %12.8f a=%s" % (
        index,
        imlen,
        inst.alias,
        pmlen,
        old,
        pmlen,
        new,
        plc.score,
        cmds,
    )


def involved_nodes(old_nodes: tuple, plc: balance.Placement) -> set:
    return {x for x in (old_nodes[0], old_nodes[1], plc.pnode, plc.snode) if x >= 0}


def split_jobs(moves: list) -> list:
    """Groups moves into job sets whose moves touch disjoint nodes."""
    # built from the last move backwards, as the reference tool does
    jobsets: list = []
    cur: list = []
    used: set = set()
    for mv in reversed(moves):
        nodes = mv[2]
        if cur and not (nodes & used):
            cur.insert(0, mv)
            used |= nodes
        else:
            if cur:
                jobsets.append(cur)
            cur = [mv]
            used = set(nodes)
    if cur:
        jobsets.append(cur)
    jobsets.reverse()
    return jobsets


def move_shell_cmds(move: tuple, iname: str, names: list, running: bool = True) -> list:
    kind = move[0]
    if running:
        mig = "gnt-instance migrate -f %s" % iname
    else:
        mig = "gnt-instance failover -f %s" % iname
    if kind == balance.FAILOVER:
        return [mig]
    t = names[move[1]]
    rep = "gnt-instance replace-disks -n %s %s" % (t, iname)
    if kind == balance.REPLACE_SECONDARY:
        return [rep]
    if kind == balance.REPLACE_AND_FAILOVER:
        return [rep, mig]
    if kind == balance.REPLACE_PRIMARY:
        return [mig, rep, mig]
    if kind == balance.FAILOVER_AND_REPLACE:
        return [mig, rep]
    if kind == balance.FAILOVER_TO_ANY:
        return ["gnt-instance migrate -f -n %s %s" % (t, iname)]
    return []


def format_cmds(jobsets: list, names: list) -> str:
    out = []
    for jsi, js in enumerate(jobsets, 1):
        out.append("  ")
        out.append("  echo jobset %d, %d jobs" % (jsi, len(js)))
        for ji, (iname, move, _, running) in enumerate(js, 1):
            out.append("    echo job %d/%d" % (jsi, ji))
            for c in move_shell_cmds(move, iname, names, running):
                out.append("    %s" % c)
    return "\n".join(out)


def run_balance(cd, gdx: int, opts: dict, out) -> tuple:
    """Runs the balancing rounds; returns (initial table, final table)."""
    nodes = cd.nodes
    gnodes = [n.idx for n in nodes if n.group == gdx]
    gset = set(gnodes)
    ginsts = [i for i in cd.instances if i.pnode in gset]
    algo = balance.AlgOptions(
        disk_moves=not opts.get("no_disk_moves"),
        inst_moves=not opts.get("no_inst_moves"),
        restricted_migration=bool(opts.get("restricted_migration")),
        ignore_soft_errors=bool(opts.get("ignore_soft_errors")),
        evac_mode=bool(opts.get("evac_mode")),
        min_gain=opts.get("min_gain", 0.01) if opts.get("min_gain") is not None else 0.01,
        min_gain_limit=opts.get("min_gain_limit")
        if opts.get("min_gain_limit") is not None
        else 0.1,
    )
    ini = balance.make_group_table(nodes, cd.instances, gnodes, ginsts)
    max_rounds = opts.get("max_length", -1)
    if max_rounds is None:
        max_rounds = -1
    min_score = opts.get("min_score")
    if min_score is None:
        min_score = 1e-9
    imlen = max([len(i.alias) for i in ginsts] or [0])
    nmlen = max([len(nodes[x].alias) for x in gnodes] or [0])
    pmlen = 2 * nmlen + 1
    tbl = ini
    while balance.do_next_balance(tbl, max_rounds, min_score):
        new = balance.try_balance(algo, tbl)
        if new is None:
            break
        plc = new.placements[-1]
        old_inst = tbl.instances[plc.inst]
        line = solution_line(
            cd, plc, len(new.placements), imlen, pmlen, (old_inst.pnode, old_inst.snode)
        )
        out.write(line + "\n")
        out.flush()
        tbl = new
    return ini, tbl


def main(argv=None) -> None:
    opts, _ = cli.start("hbal", KEYS, argv)
    out = sys.stdout
    verbose = opts["verbose"]

    def show(cd) -> None:
        if verbose > 1:
            from ganeti.htools.cli import show_ipolicy

            out.write("Loaded cluster tags: %s\n" % ",".join(cd.cluster_tags))
            out.write("Loaded cluster ipolicy: %s\n" % show_ipolicy(cd.ipolicy))

    cd = cli.load_checked(opts, show)
    out.write("Loaded %d nodes, %d instances\n" % (len(cd.nodes), len(cd.instances)))
    if verbose > 1:
        cli.note_suffix(cd)
    save = opts.get("save")
    if save:
        _save_state(save + ".original", cli.serialize_original(cd), "before balancing")
    gdx = select_group(cd, opts)
    gnodes = [n for n in cd.nodes if n.group == gdx]
    gset = {n.idx for n in gnodes}
    ginsts = [i for i in cd.instances if i.pnode in gset]
    out.write("Group size %d nodes, %d instances\n" % (len(gnodes), len(ginsts)))
    out.write("Selected node group: %s\n" % cd.groups[gdx].name)
    bad_nodes = [n for n in gnodes if not n.offline and n.fail_n1]
    bad_insts = set()
    for n in bad_nodes:
        bad_insts.update(n.plist)
        bad_insts.update(n.slist)
    if verbose > 0:
        out.write(
            "Initial check done: %d bad nodes, %d bad instances.\n"
            % (len(bad_nodes), len(bad_insts))
        )
    violating = [n for n in gnodes if policy_violating(n)]
    if violating:
        out.write("The cluster contains %d policy-violating nodes.\n" % len(violating))
        out.write(
            "Continuing, but the set of moves might be too restricted;"
            " consider using the --ignore-soft-errors option.\n"
        )
    if bad_nodes:
        out.write(
            "Cluster is not N+1 happy, continuing but no guarantee "
            "that the cluster will end N+1 happy.\n"
        )
    if opts.get("print_insts"):
        cli.show_insts("Initial", cd.nodes, ginsts)
    fields = cli.node_fields(opts.get("print_nodes"))
    if opts.get("print_nodes_given"):
        out.flush()
        sys.stderr.write("\nInitial cluster status:\n%s\n\n" % cli.print_nodes(gnodes, fields))
    ini_score = metrics.comp_cv(gnodes) if gnodes else 0.0
    if verbose > 2:
        out.write(
            "Initial coefficients: overall %.8f\n%s\n"
            % (ini_score, metrics.print_stats("   ", gnodes))
        )
    else:
        out.write("Initial score: %.8f\n" % ini_score)
    min_score = opts.get("min_score")
    if min_score is None:
        min_score = 1e-9
    opt_score = optimal_score(gnodes)
    if ini_score - opt_score < min_score:
        out.write(
            "Cluster is already well balanced (initial score %s,\n"
            "optimum score due to N+1 reservations %s,\n"
            "minimum score %s).\nNothing to do, exiting\n"
            % (cli.printf_g(ini_score), cli.printf_g(opt_score), cli.printf_g(min_score))
        )
        sys.exit(EXIT_SUCCESS)
    out.write("Trying to minimize the CV...\n")
    ini, fin = run_balance(cd, gdx, opts, out)
    fin_nodes = [fin.nodes[n.idx] for n in gnodes]
    if verbose > 2:
        out.write(
            "Final coefficients:   overall %.8f\n%s\n"
            % (fin.score, metrics.print_stats("   ", fin_nodes))
        )
    elif not fin.placements:
        out.write("No solution found\n")
    else:
        out.write("Cluster score improved from %.8f to %.8f\n" % (ini.score, fin.score))
    if verbose > 0:
        out.write("Solution length=%d\n" % len(fin.placements))
    moves = _collect_moves(cd, ini, fin)
    if opts.get("print_commands_given"):
        names = [n.alias for n in cd.nodes]
        jobsets = split_jobs(moves)
        text = format_cmds(jobsets, names)
        dest = opts.get("print_commands")
        if dest:
            with open(dest, "w") as fh:
                fh.write(_cmd_script(text))
            out.write("The commands have been written to file '%s'\n" % dest)
        else:
            out.write("\nCommands to run to reach the above solution:\n%s\n" % text)
    if save:
        from ganeti.htools import loader
        from ganeti.htools.model import ClusterData

        # the balanced state holds the group only (all groups' lines and
        # policies stay); names are still looked up by global index
        cd2 = ClusterData(
            cd.groups,
            _GroupNodes(fin.nodes, gset),
            [fin.instances[i.idx] for i in ginsts],
            cd.cluster_tags,
            cd.ipolicy,
        )
        _save_state(save + ".balanced", loader.serialize_cluster(cd2), "after balancing")
    if opts.get("print_insts"):
        cli.show_insts("Final", fin.nodes, [fin.instances[i.idx] for i in ginsts])
    if opts.get("print_nodes_given"):
        out.flush()
        sys.stderr.write("\nFinal cluster status:\n%s\n\n" % cli.print_nodes(fin_nodes, fields))
    if verbose > 3:
        out.write(
            "Original: mem=%d disk=%d\n"
            % (sum(n.f_mem for n in gnodes), sum(n.f_dsk for n in gnodes))
        )
        out.write(
            "Final:    mem=%d disk=%d\n"
            % (sum(n.f_mem for n in fin_nodes), sum(n.f_dsk for n in fin_nodes))
        )
    if opts.get("exec"):
        from ganeti.htools import execjobs

        rc = execjobs.execute(opts, cd, split_jobs(moves))
        sys.exit(rc)
    sys.exit(EXIT_SUCCESS)


class _GroupNodes(list):
    """All nodes by index, iterating over one group's only."""

    def __init__(self, nodes: list, members: set) -> None:
        super().__init__(nodes)
        self._members = [n for n in nodes if n.idx in members]

    def __iter__(self):
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)


def _save_state(path: str, text: str, when: str) -> None:
    """Writes a -S state file and says so (on stderr, as the reference)."""
    cli.write_state("hbal", path, text + "\n")
    sys.stdout.flush()
    sys.stderr.write("The cluster state %s has been written to file '%s'\n" % (when, path))


def _cmd_script(text: str) -> str:
    return "#!/bin/sh\n\nset -e\n\n%s\n" % text


def _collect_moves(cd, ini, fin) -> list:
    moves = []
    insts = list(ini.instances)
    for plc in fin.placements:
        old = insts[plc.inst]
        nodes = involved_nodes((old.pnode, old.snode), plc)
        moves.append((old.alias, plc.move, nodes, old.is_running()))
        new = old.copy()
        new.pnode, new.snode = plc.pnode, plc.snode
        insts[plc.inst] = new
    return moves


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(EXIT_FAILURE)
