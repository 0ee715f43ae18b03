"""Moving existing instances: relocation, node evacuation, change-group.

Owns hail's relocate, node-evacuate and change-group answers (the chosen
nodes, the failures and the opcodes Ganeti runs for each move).  The
allocation search itself (group choice of change-group) lives in ``alloc``.

Like the reference, every candidate (a new secondary, or a new primary and
secondary pair) is judged by the score of its node group computed from
scratch, and on equal scores the later candidate wins.  Computing that
score for every candidate is O(n) each (O(n^3) per instance for pairs), so
candidates are ranked by the incremental score (only the nodes a move
changes), and the from-scratch score is computed only for those within
``_TOL`` of the best: the incremental and the from-scratch scores differ
in the last bits only, so the reference's choice is always among them.
The moves shared by many candidates (the old secondary losing the
instance; the replace-secondary and failover to a new primary, whatever
the final secondary) are computed once.  The chosen candidate is rebuilt
through ``balance.apply_move``, so the resulting nodes are exactly those of
the straightforward search (kept here as the ``_slow`` functions:
``HTOOLS_SLOW_EVAC=1`` selects them; they also serve clusters whose scores
are not finite).  Large groups rank pairs with numpy (``fastevac``).

Unlike allocation, these requests run no global N+1 (capacity) checks,
as the reference: only the chosen group of change-group is an allocation.

It never prints; it works on copies of the node and instance lists.
"""

from __future__ import annotations

import math
import os
from typing import Optional

from ganeti.htools import balance, metrics
from ganeti.htools.alloc import AllocOptions, apply_changes, find_best_group
from ganeti.htools.model import (
    DT_DISKLESS,
    MIRROR_EXTERNAL,
    MIRROR_INTERNAL,
    MIRROR_NONE,
    Instance,
    check_migration,
)

_SLOW = bool(os.environ.get("HTOOLS_SLOW_EVAC"))
_NUMPY = not os.environ.get("HTOOLS_NO_NUMPY")
# pair grids at least this large are ranked with numpy (its import costs
# more than scoring a few thousand pairs in Python)
_NUMPY_MIN_PAIRS = 4000
# from-scratch scores of near-ties are computed with numpy beyond this
# many (candidates x group nodes)
_NUMPY_MIN_SCRATCH = 5000
# incremental scores of candidates this close to the best one get their
# from-scratch score (the two differ by ~1e-15, up to ~1e-9 for a
# standard deviation whose variance is a rounding error away from 0)
_TOL = 1e-8

_RS = balance.REPLACE_SECONDARY
_FO = balance.FAILOVER
_FA = balance.FAILOVER_TO_ANY
_VALUES = balance._values
_NVALUES = metrics.node_values
_SCORE = metrics.score_changes


def _migrate_op(name: str) -> dict:
    return {
        "OP_ID": "OP_INSTANCE_MIGRATE",
        "instance_name": name,
        "allow_runtime_changes": False,
        "ignore_ipolicy": False,
        "cleanup": False,
        "allow_failover": True,
        "ignore_hvversions": True,
    }


def _replace_op(name: str, node: str) -> dict:
    return {
        "OP_ID": "OP_INSTANCE_REPLACE_DISKS",
        "instance_name": name,
        "early_release": False,
        "ignore_ipolicy": False,
        "mode": "replace_new_secondary",
        "disks": [],
        "remote_node": node,
    }


def move_ops(move: tuple, name: str, names: list) -> list:
    """The opcodes Ganeti runs for one move of instance ``name``."""
    kind = move[0]
    if kind == _FO:
        return [_migrate_op(name)]
    if kind == _RS:
        return [_replace_op(name, names[move[1]])]
    return []


class EvacError(Exception):
    """An instance cannot be moved (the message is the reference's)."""


class NotFinite(Exception):
    """A score is NaN or infinite: ranking by a tolerance is meaningless
    (the straightforward search is used instead)."""


# the fast searches compute a few node states the straightforward one
# never needs (e.g. for pairs that fail at their last move); the model
# divides by totals that are 0 on offline nodes, so such a division is
# left to the straightforward search to meet (or not)
_FALLBACK = (NotFinite, ZeroDivisionError)


def _group_ids(nodes: list, gdx: int) -> list:
    return [x for x, n in enumerate(nodes) if n.group == gdx]


def _group_score(nodes: list, gdx: int) -> float:
    return metrics.comp_cv([n for n in nodes if n.group == gdx])


def _scratch(nodes: list, ids: list, new: dict) -> float:
    """The group score with ``new`` (idx -> node) applied, from scratch."""
    return metrics.comp_cv([new.get(x) or nodes[x] for x in ids])


def _stats(nodes: list, ids: list) -> metrics.ClusterStats:
    st = metrics.ClusterStats.from_nodes(nodes[x] for x in ids)
    if not math.isfinite(st.score()):
        raise NotFinite()
    return st


def _near(scores: list) -> list:
    """Positions of the finite scores within ``_TOL`` of the lowest."""
    ok = [sc for sc in scores if sc is not None]
    if not ok:
        return []
    lo = min(ok)
    if not all(math.isfinite(sc) for sc in ok):
        raise NotFinite()
    lim = lo + _TOL
    return [k for k, sc in enumerate(scores) if sc is not None and sc <= lim]


def _pick_exact(nodes: list, ids: list, cands: list):
    """The payload of the candidate the reference picks among ``cands``
    ((new nodes by index, payload), in candidate order): the last one
    with the lowest from-scratch group score."""
    if len(cands) <= 1:
        return cands[0][1] if cands else None
    scores = _exact_scores(nodes, ids, [c[0] for c in cands])
    best = _last_best(zip(scores, (c[1] for c in cands)))
    return best[1]


def _exact_scores(nodes: list, ids: list, news: list) -> list:
    """The from-scratch group score with each of ``news`` (new nodes by
    index) applied."""
    if (
        _NUMPY
        and len(news) * len(ids) >= _NUMPY_MIN_SCRATCH
        and all(n.offline == nodes[x].offline for new in news for x, n in new.items())
    ):
        from ganeti.htools import fastevac

        pos = {x: j for j, x in enumerate(ids)}
        vals = [_VALUES(nodes[x]) for x in ids]
        offline = [nodes[x].offline for x in ids]
        return fastevac.scratch_scores(
            vals,
            offline,
            [{pos[x]: _NVALUES(n) for x, n in new.items() if x in pos} for new in news],
        )
    return [_scratch(nodes, ids, new) for new in news]


def _maps_inexact(nodes: list, ids: list, inst: Instance) -> bool:
    """Whether incremental scores may undercount the location exclusion
    metric by whole units: ``metrics`` keeps the (location, exclusion tag)
    pairs whose count drops to zero, the from-scratch score does not.  The
    incremental score then stays a lower bound (up to rounding), so the
    candidates within ``_TOL`` of the best from-scratch score of the
    incremental near-best ones contain the reference's choice."""
    return bool(inst.excl_tags) and any(nodes[x].location_tags for x in ids)


def _last_best(cands):
    """The last of the candidates with the lowest score.

    ``cands`` yields (score, payload) in candidate order; a candidate
    replaces the best so far unless that one is strictly better.
    """
    best = None
    for sc, payload in cands:
        if best is None or not best[0] < sc:
            best = (sc, payload)
    return best


def _apply(nodes: list, insts: list, inst: Instance, move: tuple, force: bool = False):
    res = balance.apply_move(nodes, inst, move, force)
    if isinstance(res, str):
        raise EvacError(res)
    changes, ni, _, _ = res
    new_nodes = apply_changes(nodes, changes)
    new_insts = list(insts)
    new_insts[ni.idx] = ni
    return new_nodes, new_insts, ni


# ---------------------------------------------------------------------------
# one new node: a secondary (drbd) or a primary (shared storage)


def _move(nodes: list, inst: Instance, move: tuple, force: bool):
    """``balance.apply_move``, failing a replace-secondary as the
    reference does when its primary cannot take the instance again."""
    res = balance.apply_move(nodes, inst, move, force)
    if move[0] == _RS and not isinstance(res, str) and len(res[0]) == 2:
        err = _readd_primary(nodes, inst)
        if err is not None:
            return err
    return res


def _readd_primary(nodes: list, inst: Instance) -> Optional[str]:
    """The reference re-adds the primary on a replace-secondary (soft
    limits ignored): a primary already over its hard limits fails it.
    (When the location score changes ``balance`` does it too.)"""
    pn = nodes[inst.pnode].remove_pri(inst).add_pri(inst, True)
    return pn if isinstance(pn, str) else None


def _scan_secondaries(
    nodes: list, inst: Instance, targets: list, members: set, stats, force: bool
) -> list:
    """Replace-secondary to each target: failure mode or incremental score.

    The old secondary losing the instance is the same for every target;
    so is the primary when the instance's location score changes.
    """
    pdx, sdx = inst.pnode, inst.snode
    old_s = nodes[sdx]
    pnode = nodes[pdx]
    int_s = old_s.remove_sec(inst)
    f = old_s.offline or force
    fixed = []
    if sdx in members:
        fixed.append((_VALUES(old_s), _NVALUES(int_s), not old_s.offline))
    ploc = pnode.location_tags
    per_loc: dict = {}
    out = []
    for t in targets:
        if t == sdx or t == pdx:
            out.append(_one_score(nodes, inst, (_RS, t), members, stats, force))
            continue
        tgt = nodes[t]
        loc = len(ploc & tgt.location_tags) if ploc else 0
        entry = per_loc.get(loc)
        if entry is None:
            ni = inst.copy()
            ni.location_score = loc
            if loc != inst.location_score:
                ch_p = pnode.remove_pri(inst).add_pri(ni, True)
                if not isinstance(ch_p, str):
                    ch_p = (
                        (_VALUES(pnode), _NVALUES(ch_p), not pnode.offline)
                        if pdx in members
                        else None
                    )
            else:
                ch_p = _readd_primary(nodes, inst)
            entry = per_loc[loc] = (ni, ch_p)
        ni, ch_p = entry
        new_s = tgt.add_sec(ni, pdx, f)
        if isinstance(new_s, str):
            out.append(new_s)
            continue
        if isinstance(ch_p, str):
            out.append(ch_p)
            continue
        ch = list(fixed)
        if ch_p is not None:
            ch.insert(0, ch_p)
        if t in members:
            ch.append((_VALUES(tgt), _NVALUES(new_s), not tgt.offline))
        out.append(_SCORE(stats, ch) if ch else stats.score())
    return out


def _scan_primaries(
    nodes: list, inst: Instance, targets: list, members: set, stats, force: bool
) -> list:
    """Failover-to-any to each target: failure mode or incremental score
    (the old primary losing the instance is the same for every target)."""
    pdx = inst.pnode
    old_p = nodes[pdx]
    int_p = old_p.remove_pri(inst)
    f = old_p.offline or force
    fixed = []
    if pdx in members:
        fixed.append((_VALUES(old_p), _NVALUES(int_p), not old_p.offline))
    out = []
    for t in targets:
        if t == pdx:
            out.append(_one_score(nodes, inst, (_FA, t), members, stats, force))
            continue
        tgt = nodes[t]
        err = check_migration(old_p, tgt)
        if err:
            out.append(err)
            continue
        new_p = tgt.add_pri(inst, f)
        if isinstance(new_p, str):
            out.append(new_p)
            continue
        ch = list(fixed)
        if t in members:
            ch.append((_VALUES(tgt), _NVALUES(new_p), not tgt.offline))
        out.append(_SCORE(stats, ch) if ch else stats.score())
    return out


def _one_score(nodes, inst, move, members, stats, force):
    res = _move(nodes, inst, move, force)
    if isinstance(res, str):
        return res
    new = {}
    for idx, _, n in res[0]:
        new[idx] = n
    ch = [
        (_VALUES(nodes[x]), _NVALUES(n), not nodes[x].offline)
        for x, n in new.items()
        if x in members
    ]
    return metrics.score_after(stats, ch)


def _best_single(nodes: list, inst: Instance, kind: str, targets: list, ids: list, force: bool):
    """The reference's choice of one new node among ``targets``.

    Returns (failure mode or incremental score per target, chosen
    position or None, its move result, its from-scratch group score).
    """
    members = set(ids)
    stats = _stats(nodes, ids)
    scan = _scan_secondaries if kind == _RS else _scan_primaries
    out = scan(nodes, inst, targets, members, stats, force)
    scores = [None if isinstance(r, str) else r for r in out]
    near = _near(scores)

    def cand(k):
        res = _move(nodes, inst, (kind, targets[k]), force)
        if isinstance(res, str):  # pragma: no cover - the scan said ok
            raise AssertionError("move to %d: %s" % (targets[k], res))
        return ({idx: n for idx, _, n in res[0]}, (k, res))

    if near and _maps_inexact(nodes, ids, inst):
        lim = min(_exact_scores(nodes, ids, [cand(k)[0] for k in near])) + _TOL
        near = [k for k, sc in enumerate(scores) if sc is not None and sc <= lim]
    best = _pick_exact(nodes, ids, [cand(k) for k in near])
    if best is None:
        return out, None, None, None
    k, res = best
    return out, k, res, scores[k]


def _single_slow(nodes, inst, kind, gdx, avail, force):
    best = None
    out = []
    for t in avail:
        res = _move(nodes, inst, (kind, t), force)
        if isinstance(res, str):
            out.append(res)
            continue
        out.append(0.0)
        nn = apply_changes(nodes, res[0])
        cv = _group_score(nn, gdx)
        if best is None or not best[0] < cv:
            best = (cv, len(out) - 1, res)
    if best is None:
        return out, None, None, None
    return out, best[1], best[2], best[0]


def _evac_single(
    nodes: list, inst: Instance, kind: str, gdx: int, avail: list, force: bool
) -> tuple:
    """Moves ``inst`` to its best new secondary (``kind`` replace-secondary)
    or primary (failover-to-any) among ``avail``.

    Returns (move result, new node); raises EvacError listing every
    node's failure when none accepts it.
    """
    if _SLOW:
        out, k, res, _ = _single_slow(nodes, inst, kind, gdx, avail, force)
    else:
        try:
            out, k, res, _ = _best_single(nodes, inst, kind, avail, _group_ids(nodes, gdx), force)
        except _FALLBACK:
            out, k, res, _ = _single_slow(nodes, inst, kind, gdx, avail, force)
    if k is None:
        raise EvacError(
            "Can't find any good node: "
            + "".join(" Node %s failed: %s;" % (nodes[t].name, r) for t, r in zip(avail, out))
        )
    return res, avail[k]


def evac_secondary(
    nodes: list, insts: list, inst: Instance, gdx: int, avail: list, force: bool = False
) -> tuple:
    """A new secondary for ``inst`` among ``avail`` (group ``gdx``).

    Returns (new nodes, moved instance, new secondary); raises EvacError
    when no node accepts it.
    """
    res, t = _evac_single(nodes, inst, _RS, gdx, avail, force)
    return apply_changes(nodes, res[0]), res[1], t


# ---------------------------------------------------------------------------
# a new primary and secondary (node-evacuate all, change-group)

_NO_PAIR = "Can't find any good nodes for relocation: "


def _step(nodes, insts, inst, move, force, what):
    res = _move(nodes, inst, move, force)
    if isinstance(res, str):
        raise EvacError("%s: %s" % (what, res))
    changes, ni, _, _ = res
    new_insts = list(insts)
    new_insts[ni.idx] = ni
    return apply_changes(nodes, changes), new_insts, ni


def _pair_chain(nodes, insts, inst, tp, ts, force):
    """The reference's moves to (tp, ts): (nodes, insts, inst, moves);
    EvacError names the failing step."""
    n1, i1, inst1 = nodes, insts, inst
    pre = []
    if nodes[inst.pnode].offline:
        n1, i1, inst1 = _step(n1, i1, inst1, (_FO,), force, "Failing over to the secondary")
        pre = [(_FO,)]
    n2, i2, inst2 = _step(n1, i1, inst1, (_RS, tp), force, "Changing secondary to new primary")
    n3, i3, inst3 = _step(n2, i2, inst2, (_FO,), force, "Failing over to new primary")
    n4, i4, inst4 = _step(n3, i3, inst3, (_RS, ts), force, "Changing secondary to final secondary")
    return n4, i4, inst4, pre + [(_RS, tp), (_FO,), (_RS, ts)]


def _evac_all_slow(nodes, insts, inst, gdx, avail, force=False):
    best = None
    last_err = "no nodes available"
    for tp in avail:
        for ts in avail:
            if tp == ts:
                continue
            try:
                n4, i4, inst4, seq = _pair_chain(nodes, insts, inst, tp, ts, force)
            except EvacError as err:
                if best is None:
                    last_err = "Allocation failed: %s" % err
                continue
            cv = _group_score(n4, gdx)
            if best is None or not best[4] < cv:
                best = (n4, i4, inst4, seq, cv)
    if best is None:
        raise EvacError(_NO_PAIR + last_err)
    return best[0], best[1], best[2], best[3]


class _Row:
    """One new primary ``tp``: the state after the moves shared by its pairs.

    ``final`` maps the changed nodes to their state once the last move has
    removed the instance from its intermediate secondary (only the final
    secondary is then missing); ``changes`` are those of the group's nodes
    as (old values, new values, online); ``simple`` says the final
    secondary changes no other node (no location score to recompute).
    """

    __slots__ = ("tp", "n3", "inst3", "final", "changes", "simple", "base", "_stats")

    def __init__(self, tp, n3, inst3, final, changes, simple, base):
        self.tp = tp
        self.n3 = n3
        self.inst3 = inst3
        self.final = final
        self.changes = changes
        self.simple = simple
        self.base = base
        self._stats = None

    @property
    def stats(self) -> metrics.ClusterStats:
        """The group statistics with ``changes`` applied."""
        st = self._stats
        if st is None:
            st = self._stats = self.base.copy()
            for ov, nv, online in self.changes:
                st.update_values(ov, nv, online)
        return st


class _Overlay(dict):
    """A node list with a few nodes replaced (cheaper than a list copy)."""

    __slots__ = ("base",)

    def __missing__(self, idx: int):
        return self.base[idx]


def _overlay(base, changes: list) -> _Overlay:
    new = _Overlay()
    if isinstance(base, _Overlay):
        new.update(base)
        base = base.base
    new.base = base
    for idx, _, n in changes:
        new[idx] = n
    return new


def _rows(nodes, inst, avail, members, stats, force):
    """The per-new-primary rows (a failure mode string for failing ones)."""
    n1, inst1 = nodes, inst
    if nodes[inst.pnode].offline:
        res = balance.apply_move(nodes, inst, (_FO,), force)
        if isinstance(res, str):
            return [res] * len(avail)
        n1 = _overlay(nodes, res[0])
        inst1 = res[1]
    xdx = inst1.pnode
    # the replace-secondary's re-added primary is the same for every row
    readd = _readd_primary(n1, inst1)
    rows = []
    for tp in avail:
        res = balance.apply_move(n1, inst1, (_RS, tp), force)
        if isinstance(res, str):
            rows.append(res)
            continue
        if readd is not None and len(res[0]) == 2:
            rows.append(readd)
            continue
        n2 = _overlay(n1, res[0])
        res3 = balance.apply_move(n2, res[1], (_FO,), force)
        if isinstance(res3, str):
            rows.append(res3)
            continue
        n3 = _overlay(n2, res3[0])
        inst3 = res3[1]
        final = dict(n3)
        final[xdx] = n3[xdx].remove_sec(inst3)
        changes = []
        for x, n in final.items():
            old = nodes[x]
            if x in members and n is not old:
                changes.append((_VALUES(old), _NVALUES(n), not old.offline))
        # the final replace-secondary re-adds primary tp, which has just
        # taken the instance through the same hard checks: it cannot fail
        simple = not n3[tp].location_tags and inst3.location_score == 0
        rows.append(_Row(tp, n3, inst3, final, changes, simple, stats))
    return rows


def _pair_score(nodes, row, ts, members, stats, force):
    """Score of an unusual pair (the final secondary changes more nodes)."""
    res = _move(row.n3, row.inst3, (_RS, ts), force)
    if isinstance(res, str):
        return None
    final = dict(row.final)
    for x, _, n in res[0]:
        final[x] = n
    ch = [
        (_VALUES(nodes[x]), _NVALUES(n), not nodes[x].offline)
        for x, n in final.items()
        if x in members and n is not nodes[x]
    ]
    return metrics.score_after(stats, ch)


class _Secondaries:
    """A final secondary's new values, by (node, memory it reserves for
    the new primary): the only way the new primary matters to it."""

    def __init__(self, nodes, inst, force):
        self.nodes = nodes
        self.inst = inst
        self.force = force
        self.cache: dict = {}

    def get(self, ts: int, tp: int):
        """(old values, new values, online) or a failure mode; ``tp`` -1:
        a new primary the node holds no secondary for."""
        node = self.nodes[ts]
        key = (ts, node.peers.get(tp, 0))
        r = self.cache.get(key)
        if r is None:
            new = node.add_sec(self.inst, tp, self.force)
            r = self.cache[key] = (
                new if isinstance(new, str) else (_VALUES(node), _NVALUES(new), not node.offline)
            )
        return r


def _pair_scores_scalar(nodes, rows, avail, members, stats, secs, force):
    """Incremental scores of every pair, row by row (None: failed)."""
    scores = []
    for row in rows:
        if isinstance(row, str):
            scores.append(None)
            continue
        tp = row.tp
        st = row.stats
        special = row.final
        line = []
        for ts in avail:
            if ts == tp:
                continue
            if not row.simple or ts in special:
                line.append(_pair_score(nodes, row, ts, members, stats, force))
                continue
            r = secs.get(ts, tp)
            line.append(None if isinstance(r, str) else _SCORE(st, [r]))
        scores.append(line)
    return scores


def _best_pair(nodes, insts, inst, gdx, avail, force):
    """The reference's pair: (tp, ts, chain result) or None."""
    ids = _group_ids(nodes, gdx)
    members = set(ids)
    stats = _stats(nodes, ids)
    rows = _rows(nodes, inst, avail, members, stats, force)
    xdx = inst.snode if nodes[inst.pnode].offline else inst.pnode
    secs = _Secondaries(nodes, inst, nodes[xdx].offline or force)
    npairs = len(avail) * (len(avail) - 1)
    if _NUMPY and npairs >= _NUMPY_MIN_PAIRS:
        from ganeti.htools import fastevac

        def within(limit=None):
            return fastevac.near_pairs(nodes, rows, avail, members, stats, secs, force, _TOL, limit)
    else:
        scores = _pair_scores_scalar(nodes, rows, avail, members, stats, secs, force)
        flat = []
        where = []
        for r, line in enumerate(scores):
            if line is None:
                continue
            c = 0
            for ts in avail:
                if ts == avail[r]:
                    continue
                flat.append(line[c])
                where.append((r, ts))
                c += 1

        def within(limit=None):
            if limit is None:
                return [where[k] for k in _near(flat)]
            return [where[k] for k, sc in enumerate(flat) if sc is not None and sc <= limit]

    near = within()
    if near and _maps_inexact(nodes, ids, inst):
        news = [_pair_nodes(nodes, rows[r], ts, secs, force) for r, ts in near]
        near = within(min(_exact_scores(nodes, ids, news)) + _TOL)
    cands = [(_pair_nodes(nodes, rows[r], ts, secs, force), (r, ts)) for r, ts in near]
    best = _pick_exact(nodes, ids, cands)
    if best is None:
        return None
    return _pair_chain(nodes, insts, inst, avail[best[0]], best[1], force)


def _pair_nodes(nodes, row, ts, secs, force) -> dict:
    """The nodes a pair changes, by index (as its chain of moves leaves
    them)."""
    new = dict(row.final)
    if row.simple and ts not in new:
        new[ts] = nodes[ts].add_sec(row.inst3, row.tp, secs.force)
    else:
        res = _move(row.n3, row.inst3, (_RS, ts), force)
        for x, _, n in res[0]:
            new[x] = n
    return {x: n for x, n in new.items() if n is not nodes[x]}


def _evac_all(nodes, insts, inst, gdx, avail, nnames, force=False):
    if _SLOW or len(avail) < 2:
        best = _evac_all_slow(nodes, insts, inst, gdx, avail, force)
    else:
        try:
            best = _best_pair(nodes, insts, inst, gdx, avail, force)
        except _FALLBACK:
            best = _evac_all_slow(nodes, insts, inst, gdx, avail, force)
        if best is None:
            if len(avail) < 2:
                raise EvacError(_NO_PAIR + "no nodes available")
            try:
                _pair_chain(nodes, insts, inst, avail[-1], avail[-2], force)
            except EvacError as err:
                raise EvacError("%sAllocation failed: %s" % (_NO_PAIR, err)) from None
            raise AssertionError("the last pair did not fail")  # pragma: no cover
    ops = []
    for mv in best[3]:
        ops.extend(move_ops(mv, inst.name, nnames))
    return best[0], best[1], best[2], ops


# ---------------------------------------------------------------------------
# the requests

_CHANGE_PRIMARY = "primary-only"
_CHANGE_SECONDARY = "secondary-only"
_CHANGE_ALL = "all"


def _mirror(inst: Instance) -> int:
    # the reference counts diskless instances as externally mirrored
    # (they can start anywhere); model.Instance.mirror_type does not
    if inst.disk_template == DT_DISKLESS:
        return MIRROR_EXTERNAL
    return inst.mirror_type()


def _migrate_to_op(name: str, node: str) -> dict:
    return {
        "OP_ID": "OP_INSTANCE_MIGRATE",
        "instance_name": name,
        "target_node": node,
        "allow_runtime_changes": False,
        "ignore_ipolicy": False,
        "cleanup": False,
        "allow_failover": True,
        "ignore_hvversions": True,
    }


def _evac_instance(
    nodes: list,
    insts: list,
    inst: Instance,
    mode: str,
    gdx: int,
    avail: list,
    nnames: list,
    force: bool,
):
    """Moves one instance off its nodes as the reference's node
    evacuation does; returns (nodes, instances, moved instance, opcodes)
    or raises EvacError."""
    mir = _mirror(inst)
    if mir == MIRROR_NONE:
        raise EvacError("Instances of type %s cannot be relocated" % inst.disk_template)
    if mir == MIRROR_EXTERNAL:
        if mode == _CHANGE_SECONDARY:
            raise EvacError(
                "Instances with disk template '%s' can't"
                " execute change secondary" % inst.disk_template
            )
        res, t = _evac_single(nodes, inst, _FA, gdx, avail, force)
        return _applied(nodes, insts, res) + ([_migrate_to_op(inst.name, nnames[t])],)
    if mode == _CHANGE_SECONDARY:
        res, t = _evac_single(nodes, inst, _RS, gdx, avail, force)
        return _applied(nodes, insts, res) + (move_ops((_RS, t), inst.name, nnames),)
    if mode == _CHANGE_PRIMARY:
        nodes, insts, ni = _apply(nodes, insts, inst, (_FO,), force)
        return nodes, insts, ni, move_ops((_FO,), inst.name, nnames)
    return _evac_all(nodes, insts, inst, gdx, avail, nnames, force)


def _applied(nodes: list, insts: list, res) -> tuple:
    new_insts = list(insts)
    new_insts[res[1].idx] = res[1]
    return apply_changes(nodes, res[0]), new_insts, res[1]


def _evacuated_nodes(insts: list, idxs: list, mode: str) -> set:
    evac = set()
    for x in idxs:
        i = insts[x]
        if mode == _CHANGE_PRIMARY:
            evac.add(i.pnode)
        elif mode == _CHANGE_SECONDARY:
            evac.add(i.snode)
        else:
            evac.update([i.pnode, i.snode])
    evac.discard(-1)
    return evac


def _node_evac(cd, idxs: list, mode: str, force: bool) -> tuple:
    nodes = list(cd.nodes)
    insts = list(cd.instances)
    excl = _evacuated_nodes(insts, idxs, mode) | {n.idx for n in nodes if n.offline}
    nnames = [n.name for n in nodes]
    moved, failed, jobs = [], [], []
    for x in idxs:
        inst = insts[x]
        gdx = nodes[inst.pnode].group
        avail = [
            n.idx for n in nodes if n.group == gdx and n.idx not in excl and n.idx != inst.pnode
        ]
        try:
            nodes, insts, ni, ops = _evac_instance(
                nodes, insts, inst, mode, gdx, avail, nnames, force
            )
        except EvacError as err:
            failed.append([inst.name, str(err)])
            continue
        moved.append([inst.name, cd.groups[gdx].name, [nnames[y] for y in ni.all_nodes()]])
        jobs.append(ops)
    return moved, failed, jobs, nodes, insts


def node_evacuate(cd, names: list, mode: str, opts: Optional[AllocOptions] = None) -> tuple:
    """Computes a node-evacuate answer: (moved, failed, jobs, nodes).

    ``mode`` is Ganeti's evac_mode (primary-only, secondary-only, all);
    ``opts.force`` (--ignore-soft-errors) lets moves break soft limits.
    """
    byname = {i.name: i.idx for i in cd.instances}
    idxs = [byname[n] for n in names]
    moved, failed, jobs, nodes, _ = _node_evac(cd, idxs, mode, bool(opts and opts.force))
    return moved, failed, jobs, nodes


def relocate_answer(cd, raw: dict, opts: Optional[AllocOptions] = None) -> tuple:
    """hail's answer to a relocate request: (success, info, result).

    As the reference: the excluded nodes must be exactly the node being
    replaced (the secondary of a drbd instance, the primary of a
    shared-storage one), then it is a node evacuation of that node.
    """
    nodes = cd.nodes
    inst = next(i for i in cd.instances if i.name == raw["name"])
    byname = {n.name: n.idx for n in nodes}
    exclude = [byname[x] for x in raw.get("relocate_from", []) if x in byname]
    mir = _mirror(inst)
    if mir == MIRROR_NONE:
        return False, "Request failed: Can't relocate non-mirrored instances", []
    if mir == MIRROR_INTERNAL:
        exp, what, mode = inst.snode, "secondary", _CHANGE_SECONDARY
    else:
        exp, what, mode = inst.pnode, "primary", _CHANGE_PRIMARY
    if exclude != [exp]:
        return (
            False,
            (
                "Request failed: Unsupported request: excluded nodes"
                " not equal to instance's %s(%d versus [%s])"
                % (what, exp, ",".join(str(x) for x in exclude))
            ),
            [],
        )
    _, failed, _, _, insts = _node_evac(cd, [inst.idx], mode, bool(opts and opts.force))
    if failed:
        return False, "Request failed: " + failed[0][1], []
    ni = insts[inst.idx]
    new = ni.snode if mir == MIRROR_INTERNAL else ni.pnode
    return True, "Request successful: success", [nodes[new].name]


def relocate(cd, name: str, exclude: list) -> tuple:
    """A new secondary for drbd instance ``name`` (the old interface).

    Returns ((node changes, [new secondary], group score) or None, the
    failure modes of the rejected nodes); ``relocate_answer`` gives the
    reference's messages.
    """
    nodes = cd.nodes
    inst = next(i for i in cd.instances if i.name == name)
    gdx = nodes[inst.pnode].group
    ex = set(exclude) | {inst.pnode}
    ids = _group_ids(nodes, gdx)
    targets = [t for t in ids if not nodes[t].offline and t not in ex]
    try:
        if _SLOW:
            raise NotFinite()
        out, k, res, cv = _best_single(nodes, inst, _RS, targets, ids, False)
    except _FALLBACK:
        out, k, res, cv = _single_slow(nodes, inst, _RS, gdx, targets, False)
    failures = [r for r in out if isinstance(r, str)]
    if k is None:
        return None, failures
    return (res[0], [targets[k]], cv), failures


_HS_POLICY = {
    "preferred": "AllocPreferred",
    "last_resort": "AllocLastResort",
    "unallocable": "AllocUnallocable",
}
_HS_TEMPLATE = {
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


def _no_groups(cd, nodes: list, allowed: list) -> str:
    """The reference's message when no allowed group has nodes: the
    allowed group indices and the groups with nodes, as Haskell shows
    them."""
    used = sorted({n.group for n in nodes})
    return "no groups for evacuation: allowed groups was Just [%s], all groups: [%s]" % (
        ",".join(str(g) for g in allowed),
        ",".join(_show_group(cd.groups[g]) for g in used),
    )


def _show_group(g) -> str:
    from ganeti.htools.rapi_json import hs_show

    return (
        "Group {name = %s, uuid = %s, idx = %d, allocPolicy = %s,"
        " networks = [%s], iPolicy = %s, allTags = [%s]}"
        % (
            hs_show(g.name),
            hs_show(g.uuid),
            g.idx,
            _HS_POLICY.get(g.alloc_policy, g.alloc_policy),
            ",".join(hs_show(x) for x in g.networks),
            _show_ipolicy(g.ipolicy),
            ",".join(hs_show(t) for t in g.tags),
        )
    )


def _show_ipolicy(pol) -> str:
    from ganeti.htools.rapi_json import hs_show_double

    mm = ",".join(
        "MinMaxISpecs {minMaxISpecsMinSpec = %s,"
        " minMaxISpecsMaxSpec = %s}" % (_show_ispec(lo), _show_ispec(hi))
        for lo, hi in pol.minmax
    )
    return (
        "IPolicy {iPolicyMinMaxISpecs = [%s], iPolicyStdSpec = %s,"
        " iPolicyDiskTemplates = [%s], iPolicyVcpuRatio = %s,"
        " iPolicySpindleRatio = %s}"
        % (
            mm,
            _show_ispec(pol.std),
            ",".join(_HS_TEMPLATE.get(t, t) for t in pol.disk_templates),
            hs_show_double(pol.vcpu_ratio),
            hs_show_double(pol.spindle_ratio),
        )
    )


def _show_ispec(sp) -> str:
    return (
        "ISpec {iSpecMemorySize = %d, iSpecCpuCount = %d,"
        " iSpecDiskSize = %d, iSpecDiskCount = %d, iSpecNicCount = %d,"
        " iSpecSpindleUse = %d}"
        % (sp.memory_size, sp.cpu_count, sp.disk_size, sp.disk_count, sp.nic_count, sp.spindle_use)
    )


def change_group(cd, names: list, targets: list, opts: AllocOptions) -> tuple:
    """Computes a change-group answer: (moved, failed, jobs)."""
    nodes = list(cd.nodes)
    insts = list(cd.instances)
    byname = {i.name: i.idx for i in insts}
    gby = {}
    for g in cd.groups:
        gby[g.name] = g.idx
        gby[g.uuid] = g.idx
    idxs = [byname[n] for n in names if n in byname]
    evac_g = []
    for x in idxs:
        g = nodes[insts[x].pnode].group
        if g not in evac_g:
            evac_g.append(g)
    want = [gby[t] for t in targets if t in gby] if targets else [g.idx for g in cd.groups]
    target_g = [g for g in want if g not in evac_g]
    nnames = [n.name for n in nodes]
    moved, failed, jobs = [], [], []
    for x in idxs:
        inst = insts[x]
        gdx, sol, log = find_best_group(
            cd, nodes, insts, inst, inst.required_nodes(), opts, target_g
        )
        if sol is None:
            if not log:
                failed.append([inst.name, _no_groups(cd, nodes, target_g)])
            else:
                failed.append([inst.name, ", ".join(log)])
            continue
        avail = [n.idx for n in nodes if n.group == gdx and not n.offline]
        try:
            nodes, insts, ni, ops = _evac_instance(
                nodes, insts, inst, _CHANGE_ALL, gdx, avail, nnames, False
            )
        except EvacError as err:
            failed.append([inst.name, str(err)])
            continue
        moved.append([inst.name, cd.groups[gdx].name, [nnames[y] for y in ni.all_nodes()]])
        jobs.append(ops)
    return moved, failed, jobs
