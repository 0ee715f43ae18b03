"""hroller: the rolling-maintenance reboot scheduler.

Owns hroller's flow and its scheduling rules: the node graph (DRBD primary
and secondary are neighbours; online, two primaries sharing a secondary
too), the three colouring heuristics (largest first, Dsatur, Dcolor) and
the choice among them, the split of each colour class into reboot groups
that can be emptied (non-redundant instances moved away, and with
--full-evacuation DRBD instances failed over and their secondaries
replaced), the group order (largest first, the master node last) and the
printed plan (with the node names the reference prints after replacing
secondaries, see ``_replace_secondary``).

It never changes the cluster: moves are simulated on copies of the nodes
(``model.Node`` operations return new nodes), and every reboot group is
planned from the state it starts with, as the reference assumes that the
instances return to their nodes after each group.
"""

from __future__ import annotations

import heapq
import sys
from dataclasses import dataclass, field

from ganeti.htools import cli, loader, model
from ganeti.htools.cli import EXIT_FAILURE, EXIT_SUCCESS
from ganeti.htools.model import DT_DRBD

# hroller's --force has a short form and its own help text; the shared
# table's "force" entry has neither, so hroller registers its own row
FORCE_KEY = "force_hroller"
cli.OPTIONS.setdefault(
    FORCE_KEY,
    cli.Opt(
        FORCE_KEY,
        "f",
        "force",
        cli.NONE,
        "",
        "force the execution of this program, even if warnings would otherwise prevent it",
    ),
)

KEYS = [
    "luxi",
    "master",
    "data_file",
    "ialloc_src",
    "offline",
    "offline_maintenance",
    "verbose",
    "quiet",
    "no_headers",
    "node_tags",
    "save",
    "group",
    "print_moves",
    "full_evacuation",
    "skip_non_redundant",
    "ignore_non_redundant",
    FORCE_KEY,
    "one_step_only",
    "static_kvm",
    "version",
    "help",
    "help_completion",
]

NO_MASTER = "No master node found (maybe not supported by backend)."
ERR_NON_REDUNDANT = "Not enough capacity to move non-redundant instances"
ERR_MIGRATE = "Failed to migrate instances off nodes"
ERR_SECONDARIES = "Not enough capacity to move secondaries"


class PlanError(Exception):
    """A reboot plan cannot be made; the message is the reference's."""


# ---------------------------------------------------------------------------
# the node graph


@dataclass
class Graph:
    """Vertices ``lo .. lo + len(adj) - 1`` (node indices) and, per vertex,
    its neighbours (a multigraph with self-loops, in the reference's
    order: the most recently added neighbour first)."""

    lo: int
    adj: list

    def show(self) -> str:
        """The graph as the reference prints it (Haskell's ``show``)."""
        hi = self.lo + len(self.adj) - 1
        cells = ",".join(
            "(%d,[%s])" % (self.lo + k, ",".join(map(str, a))) for k, a in enumerate(self.adj)
        )
        return "array (%d,%d) [%s]" % (self.lo, hi, cells)


def is_redundant(inst) -> bool:
    """DRBD instances survive a node reboot by migrating to their secondary;
    every other instance has to be moved away first."""
    return inst.disk_template == DT_DRBD and inst.snode >= 0


def build_graph(instances: list, sel: list, offline_maint: bool) -> Graph:
    """The node graph over the selected nodes ``sel`` (ascending indices).

    One edge per DRBD instance between its primary and its secondary (both
    selected); unless ``offline_maint``, also an edge between any two
    selected primaries (a node with itself included) of instances sharing
    a secondary (selected or not), when the two are not neighbours yet.
    The vertex range spans ``min(sel) .. max(sel)``: unselected nodes
    inside it are isolated vertices.
    """
    if not sel:
        raise PlanError("Cannot create node graph")
    lo = sel[0]
    inset = set(sel)
    adj: list = [[] for _ in range(sel[-1] - lo + 1)]
    by_sec: dict = {}
    for inst in instances:
        if not is_redundant(inst):
            continue
        p, s = inst.pnode, inst.snode
        if p not in inset:
            continue
        if s in inset:
            adj[p - lo].append(s)
            adj[s - lo].append(p)
        by_sec.setdefault(s, []).append(p)
    if not offline_maint:
        have = [set(a) for a in adj]
        for s in sorted(by_sec):
            prims = list(dict.fromkeys(reversed(by_sec[s])))
            for a in prims:
                ha = have[a - lo]
                aa = adj[a - lo]
                for b in prims:
                    if b not in ha:
                        ha.add(b)
                        aa.append(b)
    for a in adj:
        a.reverse()
    return Graph(lo, adj)


# ---------------------------------------------------------------------------
# colourings: each returns the colour of every vertex (list, by position)


def _first_free(used: set) -> int:
    c = 0
    while c in used:
        c += 1
    return c


def color_lf(g: Graph) -> list:
    """Largest first: greedy colouring by descending degree (counting every
    neighbour entry), higher vertex first among equal degrees."""
    adj = g.adj
    n = len(adj)
    order = sorted(range(n), key=lambda v: (-len(adj[v]), -v))
    col = [-1] * n
    lo = g.lo
    for v in order:
        used = {col[u - lo] for u in adj[v]}
        col[v] = _first_free(used)
    return col


def _color_by_key(g: Graph, saturation: bool) -> list:
    """Dsatur (``saturation``: most distinct neighbour colours first) or
    Dcolor (most coloured neighbour entries first); then higher degree,
    then higher vertex."""
    adj = g.adj
    lo = g.lo
    n = len(adj)
    col = [-1] * n
    seen: list = [set() for _ in range(n)]
    score = [0] * n
    deg = [len(a) for a in adj]
    heap = [(0, -deg[v], -v) for v in range(n)]
    heapq.heapify(heap)
    done = 0
    while done < n:
        negs, _, negv = heapq.heappop(heap)
        v = -negv
        if col[v] >= 0 or -negs != score[v]:
            continue
        c = _first_free(seen[v])
        col[v] = c
        done += 1
        for u in adj[v]:
            k = u - lo
            if col[k] >= 0:
                continue
            if saturation:
                if c in seen[k]:
                    continue
                seen[k].add(c)
            else:
                seen[k].add(c)
            score[k] += 1
            heapq.heappush(heap, (-score[k], -deg[k], -k))
    return col


def color_dsatur(g: Graph) -> list:
    return _color_by_key(g, True)


def color_dcolor(g: Graph) -> list:
    return _color_by_key(g, False)


# the order in which ties are resolved (the first smallest colouring wins)
HEURISTICS = (("LF", color_lf), ("Dsatur", color_dsatur), ("Dcolor", color_dcolor))


def color_classes(g: Graph, col: list) -> list:
    """Node indices per colour (colour order), ascending inside a class."""
    ncol = max(col) + 1 if col else 0
    out: list = [[] for _ in range(ncol)]
    for k, c in enumerate(col):
        out[c].append(g.lo + k)
    return out


def colorings(g: Graph) -> list:
    """[(name, classes)] for every heuristic, in tie-resolution order."""
    return [(name, color_classes(g, fn(g))) for name, fn in HEURISTICS]


def best_coloring(results: list) -> list:
    best = results[0][1]
    for _, cls in results[1:]:
        if len(cls) < len(best):
            best = cls
    return best


def coloring_summary(results: list) -> str:
    """The verbose comparison line, e.g. ``Dcolor: 3 (2,2,1) TIE ...``."""
    items = sorted(((len(cls), name, cls) for name, cls in results), key=lambda x: (x[0], x[1]))
    parts = []
    for k, (num, name, cls) in enumerate(items):
        if k:
            parts.append("TIE" if num == items[k - 1][0] else "LOOSE")
        parts.append("%s: %d (%s)" % (name, num, ",".join(str(len(c)) for c in cls)))
    return " ".join(parts)


# ---------------------------------------------------------------------------
# emptying nodes: greedy split of a colour class into reboot groups
#
# A round walks the nodes left in order and adds each node whose instances
# (of the kind being planned) can all be moved to the nodes not added so
# far, each instance to the first node (by index) of its node group that
# takes it; the moves stay in the state for the next nodes.  Instances are
# taken in the reference's per-node order: the most recently placed first
# (our node lists append, so that is the reverse of ``plist``/``slist``).


def _fits_pri(node, inst) -> bool:
    """Would ``node.add_pri(inst, force=True)`` succeed (its hard limits)?"""
    if inst.forthcoming:
        return True
    mem = node.i_mem + inst.mem if inst.uses_memory() else node.i_mem
    if int(node.t_mem) - node.n_mem - mem - max(0, node.x_mem) <= 0:
        return False
    if inst.uses_local_storage():
        if node.f_dsk - inst.dsk <= 0:
            return False
        if node.excl_storage:
            sp = inst.total_spindles
            if sp is None or node.f_spindles - sp < 0:
                return False
    return True


@dataclass
class State:
    """A simulated cluster state: node and instance lists (copied on
    write), the moves that led to it ({instance: (primary, secondary)},
    secondary -1 for a non-redundant instance) and the names the
    reference would print for its node slots ({slot: node whose name it
    shows}, only the slots that differ; see ``_replace_secondary``)."""

    nodes: list
    insts: list
    moves: dict = field(default_factory=dict)
    shown: dict = field(default_factory=dict)

    def copy(self) -> "State":
        return State(list(self.nodes), list(self.insts), dict(self.moves), dict(self.shown))

    def snapshot(self) -> tuple:
        return (list(self.nodes), list(self.insts), dict(self.moves), dict(self.shown))

    def restore(self, saved: tuple) -> None:
        self.nodes, self.insts, self.moves, self.shown = saved


class _Round:
    """One greedy round: the nodes added so far and the state they left."""

    def __init__(self, base: State, targets_of: dict):
        self.st = base.copy()
        self.targets_of = targets_of
        self.taken: set = set()
        self.members: list = []

    def targets(self, group: int, exclude: int = -1):
        for t in self.targets_of.get(group, ()):
            if t not in self.taken and t != exclude:
                yield t

    def try_add(self, node: int, work, move) -> bool:
        """Adds ``node`` when ``move`` places every instance of
        ``work(state, node)``; otherwise leaves the state as it was."""
        saved = self.st.snapshot()
        self.taken.add(node)
        for idx in work(self.st, node):
            if not move(self, idx):
                self.st.restore(saved)
                self.taken.discard(node)
                return False
        self.members.append(node)
        return True


def _drop(node, inst, primary: bool):
    """``node`` without ``inst``.  The model divides by the node's memory
    and CPU totals, which a node with unknown figures ("?") lacks: it then
    only loses the instance from its list and gets its disk back, the only
    figures hroller looks at on such a node (it is offline, never a
    target)."""
    try:
        return node.remove_pri(inst) if primary else node.remove_sec(inst)
    except ZeroDivisionError:
        n = node.copy()
        if primary:
            n.plist = [i for i in node.plist if i != inst.idx]
        else:
            n.slist = [i for i in node.slist if i != inst.idx]
        if inst.uses_local_storage():
            n.f_dsk = node.f_dsk + inst.dsk
        return n


def _fail_over_one(st: State, idx: int) -> bool:
    """Fails ``idx`` over to its secondary (hard limits only)."""
    inst = st.insts[idx]
    pdx, sdx = inst.pnode, inst.snode
    old_p, old_s = st.nodes[pdx], st.nodes[sdx]
    if model.check_migration(old_p, old_s):
        return False
    try:
        new_p = _drop(old_s, inst, False).add_pri(inst, True)
    except ZeroDivisionError:
        return False  # a node without figures has no memory to offer
    if isinstance(new_p, str):
        return False
    int_p = _drop(old_p, inst, True)
    try:
        new_s = int_p.add_sec(inst, sdx, True, ignore_disks=False)
    except ZeroDivisionError:  # passed the checks, see _drop
        new_s = int_p.copy()
        new_s.slist = int_p.slist + [idx]
        new_s.f_dsk = int_p.f_dsk - inst.dsk
    if isinstance(new_s, str):
        return False
    st.nodes[pdx], st.nodes[sdx] = new_s, new_p
    ni = inst.copy()
    ni.pnode, ni.snode = sdx, pdx
    st.insts[idx] = ni
    return True


def _move_non_redundant(rnd: _Round, idx: int) -> bool:
    st = rnd.st
    inst = st.insts[idx]
    src = inst.pnode
    snode = st.nodes[src]
    for t in rnd.targets(snode.group):
        tnode = st.nodes[t]
        if not _fits_pri(tnode, inst):
            continue
        new_t = tnode.add_pri(inst, True)
        if isinstance(new_t, str):
            continue
        st.nodes[src] = _drop(snode, inst, True)
        st.nodes[t] = new_t
        ni = inst.copy()
        ni.pnode = t
        st.insts[idx] = ni
        st.moves[idx] = (t, -1)
        return True
    return False


def _replace_secondary(rnd: _Round, idx: int) -> bool:
    st = rnd.st
    inst = st.insts[idx]
    pdx, sdx = inst.pnode, inst.snode
    for t in rnd.targets(st.nodes[sdx].group, pdx):
        tnode = st.nodes[t]
        if inst.uses_local_storage() and tnode.f_dsk - inst.dsk <= 0:
            continue
        ni = inst.copy()
        ni.snode = t
        new_t = tnode.add_sec(ni, pdx, True)
        if isinstance(new_t, str):
            continue
        st.nodes[sdx] = _drop(st.nodes[sdx], inst, False)
        st.nodes[t] = new_t
        st.insts[idx] = ni
        st.moves[idx] = (pdx, t)
        # the reference stores the node it took the secondary from in the
        # slot of the old secondary, but takes that node from the
        # primary's slot: from now on the old secondary's slot (a node
        # being emptied, never a target again in this round) shows the
        # name the primary's slot shows.  Capacities are unaffected; only
        # the printed moves naming that slot (the primary of an instance
        # failed over onto another node of the group) change.
        st.shown[sdx] = st.shown.get(pdx, pdx)
        return True
    return False


def _non_redundant_on(st: State, node: int) -> list:
    insts = st.insts
    return [i for i in reversed(st.nodes[node].plist) if not is_redundant(insts[i])]


def _secondaries_on(st: State, node: int) -> list:
    insts = st.insts
    return [i for i in reversed(st.nodes[node].slist) if is_redundant(insts[i])]


def greedy_split(members: list, base: State, targets_of: dict, work, move, error: str) -> list:
    """Splits ``members`` into groups, round after round from ``base``;
    returns [(nodes, state after emptying them)]."""
    out = []
    left = list(members)
    while left:
        rnd = _Round(base, targets_of)
        for n in left:
            rnd.try_add(n, work, move)
        if not rnd.members:
            raise PlanError(error)
        out.append((rnd.members, rnd.st))
        left = [n for n in left if n not in rnd.taken]
    return out


@dataclass
class RebootGroup:
    nodes: list
    moves: dict  # instance index -> (primary, secondary)
    shown: dict = field(default_factory=dict)  # see State.shown


class Planner:
    """Splits colour classes into reboot groups for one cluster state."""

    def __init__(self, cd, ignore_non_redundant: bool, full_evac: bool):
        self.cd = cd
        self.ignore_nr = ignore_non_redundant
        self.full_evac = full_evac
        targets: dict = {}
        for n in cd.nodes:
            if not n.offline:
                targets.setdefault(n.group, []).append(n.idx)
        self.targets_of = targets

    def plan(self, classes: list) -> list:
        """Reboot groups, class by class, in the order found."""
        cd = self.cd
        base = State(list(cd.nodes), list(cd.instances))
        stage1 = []
        for members in classes:
            if self.ignore_nr:
                stage1.append((members, base))
                continue
            stage1.extend(
                greedy_split(
                    members,
                    base,
                    self.targets_of,
                    _non_redundant_on,
                    _move_non_redundant,
                    ERR_NON_REDUNDANT,
                )
            )
        if not self.full_evac:
            return [RebootGroup(g, st.moves) for g, st in stage1]
        # every group is failed over before any secondary is replaced (a
        # failover error wins over a capacity error of an earlier group)
        migrated = [(grp, st, self._fail_over(grp, st)) for grp, st in stage1]
        out = []
        for grp, st, mig in migrated:
            parts = greedy_split(
                grp, mig, self.targets_of, _secondaries_on, _replace_secondary, ERR_SECONDARIES
            )
            for sub, sst in parts:
                mv = dict(st.moves)
                mv.update(sst.moves)
                out.append(RebootGroup(sub, mv, sst.shown))
        return out

    @staticmethod
    def _fail_over(grp: list, st: State) -> State:
        """Fails over the DRBD instances the group's nodes hold as
        primaries before any failover (one failed over onto a later node of
        the group stays there, as in the reference)."""
        mig = State(list(st.nodes), list(st.insts), {})
        for n in grp:
            for idx in list(reversed(st.nodes[n].plist)):
                inst = mig.insts[idx]
                if not is_redundant(inst):
                    continue
                if not _fail_over_one(mig, idx):
                    raise PlanError(ERR_MIGRATE)
        return mig


def order_groups(groups: list, masters: set) -> list:
    """Largest groups first (stable); master nodes last in their group and
    groups holding a master after all the others."""
    groups = sorted(groups, key=lambda g: -len(g.nodes))
    plain, last = [], []
    for g in groups:
        rest = [n for n in g.nodes if n not in masters]
        mast = [n for n in g.nodes if n in masters]
        g2 = RebootGroup(rest + mast, g.moves, g.shown)
        (last if mast else plain).append(g2)
    return plain + last


# ---------------------------------------------------------------------------
# the program


def _apply_offline(cd, names: list) -> None:
    """Marks the -O nodes offline (exact name, or name up to a dot)."""
    bad = []
    for off in names:
        hit = None
        for n in cd.nodes:
            if n.name == off or n.name.startswith(off + "."):
                hit = n
                break
        if hit is None:
            bad.append(off)
        else:
            hit.offline = True
    if bad:
        cli.die("wrong node name(s) set as offline: %s\n" % ",".join(sorted(bad)))


def _select_nodes(cd, opts: dict) -> list:
    """The nodes to reboot (ascending indices): online nodes of the chosen
    group, with one of the tags, without non-redundant instances."""
    gname = opts.get("group")
    gdx = None
    if gname is not None:
        for g in cd.groups:
            if g.name == gname or g.uuid == gname:
                gdx = g.idx
                break
        if gdx is None:
            cli.die("Cannot find target group.")
    tags = None
    if opts.get("node_tags") is not None:
        tags = set(cli.split_list(opts["node_tags"]))
    skip = set()
    if opts.get("skip_non_redundant"):
        skip = {i.pnode for i in cd.instances if not is_redundant(i)}
    sel = []
    for n in cd.nodes:
        if n.offline or (gdx is not None and n.group != gdx):
            continue
        if tags is not None and not tags.intersection(n.tags):
            continue
        if n.idx in skip:
            continue
        sel.append(n.idx)
    return sel


def _format(cd, groups: list, opts: dict) -> str:
    nodes = cd.nodes
    insts = cd.instances
    lines = []
    one = bool(opts.get("one_step_only"))
    if not opts.get("no_headers"):
        lines.append("'First Reboot Group'" if one else "'Node Reboot Groups'")
    if one:
        groups = groups[:1]
    for g in groups:
        names = [nodes[n].name for n in g.nodes]
        if one:
            lines.extend(names)
        else:
            lines.append(",".join(names))
        if opts.get("print_moves"):
            shown = g.shown
            for idx in sorted(g.moves):
                p, s = g.moves[idx]
                text = "  %s %s" % (insts[idx].name, nodes[shown.get(p, p)].name)
                if s >= 0:
                    text += " " + nodes[shown.get(s, s)].name
                lines.append(text)
    return "".join(line + "\n" for line in lines)


def main(argv=None) -> None:
    opts, _ = cli.start("hroller", KEYS, argv)
    offline = opts.get("offline", [])
    cd = cli.load_cluster(dict(opts, offline=[]))
    out = sys.stdout
    verbose = opts["verbose"]
    if verbose != 0:  # the reference is silent about it at exactly -q
        cli.warn_inconsistent(cd)
    # (a text-backend node with unknown figures, "?", is loaded offline and
    # is no master for the reference, whatever its role letter)
    masters = {n.idx for n in cd.nodes if n.is_master and not n.offline}
    if not masters:
        if opts.get(FORCE_KEY):
            out.flush()
            sys.stderr.write("Warning: %s\n" % NO_MASTER)
        else:
            cli.die(NO_MASTER)
    saved = loader.serialize_cluster(cd) if opts.get("save") else None
    _apply_offline(cd, offline)
    if saved is not None:
        path = opts["save"] + ".original"
        try:
            with open(path, "w") as fh:
                fh.write(saved + "\n")
        except OSError as err:  # the reference dies of the I/O exception
            out.flush()
            sys.stderr.write("hroller: %s\n" % loader.io_error_text(err))
            sys.exit(EXIT_FAILURE)
        out.flush()
        sys.stderr.write(
            "The cluster state before hroller run has been written to file '%s'\n" % path
        )
    sel = _select_nodes(cd, opts)
    try:
        graph = build_graph(cd.instances, sel, bool(opts.get("offline_maintenance")))
        if verbose > 2:
            out.write("Node Graph: %s\n" % graph.show())
        results = colorings(graph)
        planner = Planner(
            cd, bool(opts.get("ignore_non_redundant")), bool(opts.get("full_evacuation"))
        )
        groups = planner.plan(best_coloring(results))
    except PlanError as err:
        cli.die(str(err))
    if verbose > 1:
        out.write(coloring_summary(results) + "\n")
    inset = set(sel)
    groups = [RebootGroup([n for n in g.nodes if n in inset], g.moves, g.shown) for g in groups]
    out.write(_format(cd, order_groups(groups, masters), opts))
    out.flush()
    sys.exit(EXIT_SUCCESS)


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(EXIT_FAILURE)
