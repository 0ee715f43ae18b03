"""Global N+1 redundancy: can every node fail without losing an instance?

Owns the capacity check that hail and hspace apply to every allocation
candidate (unless ``--no-capacity-checks``): for each online node, fail
over its DRBD instances to their secondaries, move its shared-storage
instances to other nodes of its group and re-create its other instances
(largest memory first) on the best other node of its group, all ignoring
soft limits.  A state is redundant when that works for every online node.

``Checker`` answers the question for a base state plus the two or three
nodes an allocation changes, re-simulating only the nodes whose outcome can
depend on the changed ones; a node whose re-created instances all fit on
one untouched node (a "witness") needs no simulation at all.

It never prints and never changes the nodes it is given.
"""

from __future__ import annotations

from typing import Optional

from ganeti.htools import balance, metrics
from ganeti.htools.model import (
    DT_DRBD,
    MIRROR_EXTERNAL,
    Instance,
    check_migration,
    inst_matches_policy,
)


def _movable(inst: Instance) -> bool:
    return inst.mirror_type() == MIRROR_EXTERNAL


def _failover(nl: list, inst: Instance) -> bool:
    """Fails ``inst`` over in ``nl`` (in place), forcing the new primary."""
    if inst.snode < 0:
        return False
    res = balance.apply_move(nl, inst, (balance.FAILOVER,), True)
    if isinstance(res, str):
        return False
    for idx, _, new in res[0]:
        nl[idx] = new
    return True


def _best_target(
    nl: list, inst: Instance, targets: list, stats, vals, move_from: Optional[int] = None
):
    """The best-scoring target accepting ``inst`` (soft limits ignored).

    Returns (target idx, new target node, new source node) or None.  On
    equal scores the later target wins, as in allocation.
    """
    best = None
    best_score = 0.0
    src_change = None
    if move_from is not None:
        src_new = nl[move_from].remove_pri(inst)
        src_change = (vals[move_from], metrics.node_values(src_new), not nl[move_from].offline)
    for t in targets:
        tgt = nl[t]
        if inst_matches_policy(inst, tgt.ipolicy, tgt.excl_storage):
            continue
        if move_from is not None and check_migration(nl[move_from], tgt):
            continue
        new_t = tgt.add_pri(inst, True)
        if isinstance(new_t, str):
            continue
        changes = [(vals[t], metrics.node_values(new_t), not tgt.offline)]
        if src_change is not None:
            changes.insert(0, src_change)
        score = metrics.score_after(stats, changes)
        if best is None or not best_score < score:
            best = (t, new_t, src_new if move_from is not None else None)
            best_score = score
    return best


def can_evacuate(nodes: list, insts: list, m: int, scope: Optional[list] = None) -> bool:
    """Exact simulation of the failure of node ``m``.

    ``scope`` (node indices) is the node list the reference works on:
    re-creation targets are scored over it (default: all nodes).
    """
    return simulate(nodes, insts, m, scope)[0]


def simulate(
    nodes: list,
    insts: list,
    m: int,
    scope: Optional[list] = None,
    want_witnesses: bool = False,
    quick: bool = True,
):
    """(can evacuate, witnesses) for node ``m``.

    Witnesses (up to three) are targets able to take all the instances to
    move or re-create at once; None when nothing is to be re-created.
    ``quick=False`` always runs the step-by-step simulation (tests compare
    the two).
    """
    node = nodes[m]
    grp = node.group
    targets = [
        x
        for x in (range(len(nodes)) if scope is None else scope)
        if nodes[x].group == grp and x != m
    ]
    if quick and not node.excl_storage and not any(nodes[x].excl_storage for x in targets):
        # failovers and witnesses without copying nodes; only a node
        # without a witness needs the step-by-step simulation below
        res = _quick_simulate(nodes, insts, m, targets)
        if res is not None:
            return res
    drbd = []
    shared = []
    other = []
    for i in node.plist:
        inst = insts[i]
        if inst.disk_template == DT_DRBD:
            drbd.append(inst)
        elif _movable(inst):
            shared.append(inst)
        else:
            other.append(inst)
    nl = list(nodes)
    for inst in drbd:
        if not _failover(nl, inst):
            return False, None
    if not shared and not other:
        return True, None
    other.sort(key=lambda i: (-i.mem, -i.idx))
    wits = _witnesses(
        nl, targets, shared + other, m if shared else None, 3 if want_witnesses else 1
    )
    if wits:
        return True, wits
    stats = metrics.ClusterStats.from_nodes(nl if scope is None else [nl[x] for x in scope])
    values = balance._values
    vals = [values(n) for n in nl]
    todo = shared + other
    for k, inst in enumerate(todo):
        moving = k < len(shared)
        res = _best_target(nl, inst, targets, stats, vals, move_from=m if moving else None)
        if res is None:
            return False, wits
        t, new_t, new_src = res
        for x, new in ((m, new_src), (t, new_t)) if moving else ((t, new_t),):
            nv = metrics.node_values(new)
            stats.update_values(vals[x], nv, not nl[x].offline)
            vals[x] = nv
            nl[x] = new
        # once one target can take everything left, every later step has
        # a target whichever ones the scores pick: the node can be evacuated
        rest = todo[k + 1 :]
        if rest and _witnesses(nl, targets, rest, m if k + 1 < len(shared) else None, 1):
            return True, wits
    return True, wits


def _witnesses(
    nl: list, targets, insts: list, src: Optional[int], want: int, load: Optional[dict] = None
) -> list:
    """Targets that can take all of ``insts`` at once (up to ``want``).

    When one exists, every move or re-creation step has at least that
    target, so the outcome does not depend on which targets the scores
    choose.  ``load``: memory already failing over onto targets (when
    ``nl`` is the state before the failovers).
    """
    mem = 0
    dsk = 0
    for inst in insts:
        if inst.uses_memory():
            mem += inst.mem
        if inst.uses_local_storage():
            dsk += inst.dsk
    out = []
    for t in targets:
        n = nl[t]
        if n.excl_storage:
            continue
        if n.unallocated_mem() - (load.get(t, 0) if load else 0) - mem <= 0:
            continue
        if dsk and n.f_dsk - dsk <= 0:
            continue
        if src is not None and check_migration(nl[src], n):
            continue
        ok = True
        for inst in insts:
            if inst_matches_policy(inst, n.ipolicy, n.excl_storage):
                ok = False
                break
        if ok:
            out.append(t)
            if len(out) >= want:
                break
    return out


def _quick_simulate(nodes: list, insts: list, m: int, group: list):
    """``simulate(..., want_witnesses=True)`` without copying nodes.

    DRBD failovers only move memory onto their targets (a target's disk
    holds the instance already), so they succeed exactly when each
    target's unallocated memory minus the memory failing over onto it
    stays positive (and the disks involved are not exhausted); witnesses
    are then looked for on the targets' memory after those failovers.
    Returns None when re-creation would need the greedy simulation (no
    witness) — the caller then runs ``simulate``.  Not for exclusive
    storage (spindle checks).
    """
    node = nodes[m]
    load: dict = {}
    shared = []
    other = []
    for i in node.plist:
        inst = insts[i]
        if inst.disk_template == DT_DRBD:
            t = inst.snode
            if t < 0:
                return False, None
            tn = nodes[t]
            if check_migration(node, tn):
                return False, None
            if inst.uses_local_storage() and (
                tn.f_dsk <= 0 or (node.f_dsk <= 0 and not node.offline)
            ):
                return False, None
            load[t] = load.get(t, 0) + (inst.mem if inst.uses_memory() else 0)
        elif _movable(inst):
            shared.append(inst)
        else:
            other.append(inst)
    for t, mem in load.items():
        if nodes[t].unallocated_mem() - mem <= 0:
            return False, None
    if not shared and not other:
        return True, None
    out = _witnesses(
        nodes, (t for t in group if t != m), shared + other, m if shared else None, 3, load
    )
    if not out:
        return None
    return True, out


def redundant(nodes: list, insts: list, accept_existing: bool = False) -> bool:
    """Whether every online node of ``nodes`` can fail (exact, slow)."""
    for m, n in enumerate(nodes):
        if n.offline:
            continue
        if accept_existing and n.fail_n1:
            continue
        if not can_evacuate(nodes, insts, m):
            return False
    return True


class Checker:
    """Global N+1 checks of allocations on one base state.

    ``ok_after`` tells whether an allocation keeps every node that could be
    evacuated before evacuable; callers first require ``base_redundant``
    (the reference refuses every candidate on a state that is not
    redundant), so together they say whether the result is redundant.
    Only the changed nodes, the nodes
    whose DRBD instances fail over to them and the nodes whose every
    witness was changed are simulated again.
    """

    def __init__(self, nodes: list, insts: list, accept_existing: bool = False) -> None:
        self.nodes = nodes
        self.insts = insts
        self.accept_existing = accept_existing
        n = len(nodes)
        self.base_ok = [False] * n
        self.wits: list = [None] * n
        self.deps: list = [[] for _ in range(n)]
        self._by_group = self._groups(nodes)
        for m, node in enumerate(nodes):
            if node.offline:
                continue
            self.base_ok[m], self.wits[m] = self._node_result(m)
            for i in node.plist:
                inst = insts[i]
                if inst.disk_template == DT_DRBD and inst.snode >= 0:
                    d = self.deps[inst.snode]
                    if not d or d[-1] != m:
                        d.append(m)
        self._index_witnesses()

    @staticmethod
    def _groups(nodes: list) -> Optional[dict]:
        """Node indices by group (None: exclusive storage, no quick path)."""
        if any(nd.excl_storage for nd in nodes):
            return None
        by_group: dict = {}
        for x, nd in enumerate(nodes):
            by_group.setdefault(nd.group, []).append(x)
        return by_group

    def _node_result(self, m: int) -> tuple:
        """(can node ``m`` be evacuated, its witnesses) in this state."""
        res = None
        if self._by_group is not None:
            res = _quick_simulate(self.nodes, self.insts, m, self._by_group[self.nodes[m].group])
        if res is None:
            res = simulate(self.nodes, self.insts, m, want_witnesses=True)
        return res

    def _index_witnesses(self) -> None:
        n = len(self.nodes)
        self.needs_wit = [m for m in range(n) if self.base_ok[m] and self.wits[m] is not None]
        # witness -> nodes relying on it; nodes without any witness
        self.wit_users: dict = {}
        self.no_wit: list = []
        for m in self.needs_wit:
            if not self.wits[m]:
                self.no_wit.append(m)
            for t in self.wits[m]:
                self.wit_users.setdefault(t, []).append(m)
        self._pairs = None

    def derive(self, nodes: list, insts: list, changes: list, inst: Instance) -> "Checker":
        """The checker of the state after allocating ``inst`` with
        ``changes`` (a candidate this checker accepted).

        Only the nodes the change can affect are simulated again: the
        changed ones, the nodes failing over onto them and the nodes that
        relied on one of them as a witness; the others keep their verdict
        and witnesses (an untouched witness still takes their instances).
        Nodes that cannot be evacuated depend on the whole group: when the
        base state has any, a fresh checker is built.
        """
        if not self.base_redundant():
            return Checker(nodes, insts, self.accept_existing)
        new = object.__new__(Checker)
        new.nodes = nodes
        new.insts = insts
        new.accept_existing = self.accept_existing
        new.base_ok = list(self.base_ok)
        new.wits = list(self.wits)
        new.deps = list(self.deps)
        new._by_group = self._by_group
        changed = {idx for idx, _, _ in changes}
        if inst.disk_template == DT_DRBD and inst.snode >= 0 and inst.pnode >= 0:
            d = new.deps[inst.snode]
            if inst.pnode not in d:
                new.deps[inst.snode] = d + [inst.pnode]
        redo = set(changed)
        for x in changed:
            redo.update(new.deps[x])
            redo.update(self.wit_users.get(x, ()))
        for m in sorted(redo):
            if nodes[m].offline:
                new.base_ok[m], new.wits[m] = False, None
                continue
            new.base_ok[m], new.wits[m] = new._node_result(m)
        new._index_witnesses()
        return new

    def ok_after(self, changes: list, inst: Instance) -> bool:
        nl = list(self.nodes)
        changed = set()
        for idx, _, new in changes:
            nl[idx] = new
            changed.add(idx)
        il = _WithInstance(self.insts, inst)
        check = set(changed)
        for x in changed:
            check.update(self.deps[x])
        base_ok = self.base_ok
        acc = self.accept_existing
        for m in sorted(check):
            if not base_ok[m] or nl[m].offline:
                continue
            if acc and nl[m].fail_n1:
                continue
            if not can_evacuate(nl, il, m):
                return False
        # nodes outside ``check`` whose every witness changed
        users = set(self.no_wit)
        for t in changed:
            users.update(self.wit_users.get(t, ()))
        for m in sorted(users):
            if m in check:
                continue
            if any(t not in changed for t in self.wits[m]):
                continue
            if acc and nl[m].fail_n1:
                continue
            if not can_evacuate(nl, il, m):
                return False
        return True

    def base_redundant(self, ignore_groups=()) -> bool:
        """Whether every online node of the base state can be evacuated
        (nodes failing N+1 already are left out with accept_existing, and
        the nodes of ``ignore_groups``)."""
        return not self.bad_groups(stop_at_first=True, ignore_groups=ignore_groups)

    def bad_groups(self, stop_at_first: bool = False, ignore_groups=()) -> list:
        """The group indices holding a node that cannot be evacuated."""
        acc = self.accept_existing
        bad: list = []
        for m, n in enumerate(self.nodes):
            if self.base_ok[m] or n.offline or (acc and n.fail_n1):
                continue
            if n.group in ignore_groups or n.group in bad:
                continue
            bad.append(n.group)
            if stop_at_first:
                break
        return sorted(bad)

    # -- fast verdicts of DRBD pair candidates ------------------------------
    def pair_tables(self) -> Optional["PairTables"]:
        """Tables deciding most (primary, secondary) candidates at once.

        None when the shortcut does not apply (exclusive storage: spindle
        checks in failovers); callers then use ``ok_after``.
        """
        if self._pairs is None:
            if any(n.excl_storage for n in self.nodes):
                self._pairs = False
            else:
                self._pairs = PairTables(self)
        return self._pairs or None


class _WithInstance:
    """An instance list plus one (new or replaced) instance, uncopied."""

    __slots__ = ("base", "idx", "inst")

    def __init__(self, base: list, inst: Instance) -> None:
        self.base = base
        self.idx = inst.idx
        self.inst = inst

    def __getitem__(self, i: int) -> Instance:
        if i == self.idx:
            return self.inst
        return self.base[i]

    def __len__(self) -> int:
        return max(len(self.base), self.idx + 1)


OK = 0
FAIL = 1
EXACT = 2


class PairTables:
    """What a DRBD allocation on (p, s) can change in the N+1 verdicts.

    Derived from the base state of a ``Checker``: a DRBD failover only
    needs memory on its target (its disk is already there; the hard disk
    checks are implied by the allocation's own checks), so the failovers
    of a node onto one target fail exactly when the target's unallocated
    memory minus their summed memory is not positive.  A candidate changes
    only p (a new primary: less memory) and s (a new secondary: no memory),
    so the verdicts that can change are: p's own failovers (the new
    instance goes to s), the failovers of other nodes onto p, and the
    re-creations whose every witness is p or s.  The first two are decided
    here exactly; the last ones are answered ``EXACT`` (the caller then
    runs ``Checker.ok_after``).
    """

    def __init__(self, chk: Checker) -> None:
        nodes = chk.nodes
        insts = chk.insts
        acc = chk.accept_existing
        n = len(nodes)
        self.chk = chk
        self.unalloc = [nd.unallocated_mem() for nd in nodes]
        self.active = [
            chk.base_ok[m] and not nodes[m].offline and not (acc and nodes[m].fail_n1)
            for m in range(n)
        ]
        # per node: failover target -> summed memory of its DRBD primaries
        self.load: list = [None] * n
        for m, nd in enumerate(nodes):
            ld: dict = {}
            for i in nd.plist:
                inst = insts[i]
                if inst.disk_template == DT_DRBD and inst.snode >= 0:
                    ld[inst.snode] = ld.get(inst.snode, 0) + (inst.mem if inst.uses_memory() else 0)
            self.load[m] = ld
        # per target: the two largest loads of active nodes failing onto it
        self.top: list = [None] * n
        for m in range(n):
            if not self.active[m]:
                continue
            for t, mem in self.load[m].items():
                cur = self.top[t]
                if cur is None:
                    self.top[t] = (mem, m, None)
                elif mem > cur[0]:
                    self.top[t] = (mem, m, cur[0])
                elif cur[2] is None or mem > cur[2]:
                    self.top[t] = (cur[0], cur[1], mem)
        # re-creations depending on one or two witnesses only
        self.single: set = set()
        self.double: dict = {}
        self.always = False
        for m in chk.needs_wit:
            if not self.active[m]:
                continue
            w = chk.wits[m]
            if not w:
                self.always = True
            elif len(w) == 1:
                self.single.add(w[0])
            elif len(w) == 2:
                self.double.setdefault(w[0], set()).add(w[1])
                self.double.setdefault(w[1], set()).add(w[0])
        self.mig = any(nd.mig_tags for nd in nodes)
        self._arrays = None

    def one_node(self, p: int, new_p, inst: Instance) -> int:
        """The code (OK, FAIL, EXACT) of a one-node allocation on ``p``."""
        chk = self.chk
        if inst.forthcoming or inst.disk_template == DT_DRBD:
            return EXACT
        if self.always or p in self.single:
            return EXACT
        mem = inst.mem if inst.uses_memory() else 0
        top = self.top[p]
        if top is not None and self.unalloc[p] - mem - top[0] <= 0:
            return FAIL
        if not self.active[p] or (chk.accept_existing and new_p.fail_n1):
            return OK
        # p's own failure: its instances and the new one to re-create
        nodes = chk.nodes
        node = nodes[p]
        shared = []
        other = []
        for i in node.plist:
            ji = chk.insts[i]
            if ji.disk_template == DT_DRBD:
                continue
            (shared if _movable(ji) else other).append(ji)
        (shared if _movable(inst) else other).append(inst)
        grp = node.group
        targets = (t for t, n in enumerate(nodes) if t != p and n.group == grp)
        if _witnesses(nodes, targets, shared + other, p if shared else None, 1, self.load[p]):
            return OK
        return EXACT

    def row_array(self, p: int, new_p, inst: Instance, secs):
        """``row`` for a numpy array of secondaries (int8 codes)."""
        import numpy as np

        chk = self.chk
        nodes = chk.nodes
        n = len(secs)
        if inst.disk_template != DT_DRBD or inst.forthcoming or not inst.uses_local_storage():
            return np.full(n, EXACT, dtype=np.int8)
        arr = self._arrays
        if arr is None:
            arr = self._arrays = {
                "unalloc": np.asarray(self.unalloc, dtype=np.int64),
                "single": np.asarray(sorted(self.single), dtype=np.int64),
            }
        acc = chk.accept_existing
        mem = inst.mem if inst.uses_memory() else 0
        sec_mem = inst.mem if inst.uses_sec_mem() else 0
        unalloc = self.unalloc
        fail = np.zeros(n, dtype=bool)
        if self.active[p] and not (acc and new_p.fail_n1):
            room = arr["unalloc"][secs] - mem
            lp = self.load[p]
            if lp:
                for t, ld in lp.items():
                    room[secs == t] -= ld
            fail |= room <= 0
            if self.mig:
                p_node = nodes[p]
                fail |= np.fromiter(
                    (bool(check_migration(p_node, nodes[s])) for s in secs), dtype=bool, count=n
                )
        top = self.top[p]
        if top is not None:
            room_p = unalloc[p] - mem
            m1 = top[1]
            if room_p - top[0] <= 0:
                at_m1 = secs == m1
                if at_m1.any():
                    sn = nodes[m1]
                    s_act = not acc or not (
                        sn.unallocated_mem() <= max(sn.r_mem, sn.peers.get(p, 0) + sec_mem)
                    )
                    if s_act or (top[2] is not None and room_p - top[2] <= 0):
                        fail[:] = True
                    else:
                        fail |= ~at_m1
                else:
                    fail[:] = True
        code = np.where(fail, FAIL, OK).astype(np.int8)
        if self.always or p in self.single:
            unsure = np.ones(n, dtype=bool)
        else:
            unsure = np.isin(secs, arr["single"])
            for w in self.double.get(p, ()):
                unsure |= secs == w
        code[unsure & ~fail] = EXACT
        return code

    def row(self, p: int, new_p, inst: Instance, secs) -> list:
        """Codes (OK, FAIL, EXACT) of the candidates (p, s), s in ``secs``."""
        chk = self.chk
        nodes = chk.nodes
        if inst.disk_template != DT_DRBD or inst.forthcoming or not inst.uses_local_storage():
            return [EXACT] * len(secs)
        acc = chk.accept_existing
        mem = inst.mem if inst.uses_memory() else 0
        sec_mem = inst.mem if inst.uses_sec_mem() else 0
        unalloc = self.unalloc
        p_act = self.active[p] and not (acc and new_p.fail_n1)
        lp = self.load[p]
        room_p = unalloc[p] - mem
        top = self.top[p]
        if top is None:
            fail_all = False
            fail_m1 = False
            m1 = -1
        else:
            m1 = top[1]
            fail_all = room_p - top[0] <= 0
            fail_m1 = top[2] is not None and room_p - top[2] <= 0
        unsure_all = self.always or p in self.single
        single = self.single
        partners = self.double.get(p, ())
        mig = self.mig
        p_node = nodes[p]
        out = []
        for s in secs:
            if p_act and (
                unalloc[s] - lp.get(s, 0) - mem <= 0 or (mig and check_migration(p_node, nodes[s]))
            ):
                out.append(FAIL)
                continue
            if s == m1:
                s_act = True
                if acc:
                    sn = nodes[s]
                    s_act = not (
                        sn.unallocated_mem() <= max(sn.r_mem, sn.peers.get(p, 0) + sec_mem)
                    )
                if fail_all if s_act else fail_m1:
                    out.append(FAIL)
                    continue
            elif fail_all:
                out.append(FAIL)
                continue
            if unsure_all or s in single or s in partners:
                out.append(EXACT)
            else:
                out.append(OK)
        return out
