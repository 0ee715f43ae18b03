"""The search for an instance's new nodes (hail's evacuations).

Owns, for one instance, the choice the reference makes: a new secondary
(replace-secondary) or primary (failover to any node) among the available
nodes, or a new (primary, secondary) pair reached by replace-secondary,
failover, replace-secondary; each candidate judged by the score of its
node group computed from scratch, the later candidate winning ties, and
the reference's failure messages when none is possible.

Computing that score for every candidate is O(n) each (O(n^3) per
instance for pairs), so candidates are ranked by the incremental score
(only the nodes a move changes) and the from-scratch score is computed
only for those within ``_TOL`` of the best: the two differ in the last
bits only, so the reference's choice is always among them.  (One metric
differs by whole units: see ``_maps_inexact``.)  The moves shared by many
candidates (the old secondary losing the instance; the replace-secondary
and failover to a new primary, whatever the final secondary) are computed
once; large groups rank pairs with numpy (``fastevac``).  The chosen
candidate is rebuilt through ``balance.apply_move``, so the resulting
nodes are exactly those of the straightforward search, kept here as the
``_slow`` functions (``HTOOLS_SLOW_EVAC=1`` selects them; they also serve
groups whose scores are not finite).

No global N+1 (capacity) check is made, as in the reference.  It never
prints and never changes the nodes it is given.
"""

from __future__ import annotations

import math
import os
from typing import Optional

from ganeti.htools import balance, metrics
from ganeti.htools.alloc import apply_changes
from ganeti.htools.model import Instance, check_migration

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


def apply_one(nodes: list, insts: list, inst: Instance, move: tuple, force: bool = False) -> tuple:
    """Applies one move: (nodes, instances, moved instance); raises
    EvacError with the failure mode."""
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


def best_single(
    nodes: list, inst: Instance, kind: str, gdx: int, avail: list, force: bool
) -> tuple:
    """Moves ``inst`` to its best new secondary (``kind`` replace-secondary)
    or primary (failover-to-any) among ``avail``.

    Returns (move result, new node); raises EvacError listing every
    node's failure when none accepts it.
    """
    out, k, res, _ = single_search(nodes, inst, kind, gdx, avail, force)
    if k is None:
        raise EvacError(
            "Can't find any good node: "
            + "".join(" Node %s failed: %s;" % (nodes[t].name, r) for t, r in zip(avail, out))
        )
    return res, avail[k]


def single_search(
    nodes: list, inst: Instance, kind: str, gdx: int, targets: list, force: bool
) -> tuple:
    """The choice of one new node among ``targets``: (failure mode or
    score per target, chosen position or None, its move result, its
    score)."""
    if not _SLOW:
        try:
            return _best_single(nodes, inst, kind, targets, _group_ids(nodes, gdx), force)
        except _FALLBACK:
            pass
    return _single_slow(nodes, inst, kind, gdx, targets, force)


def evac_secondary(
    nodes: list, insts: list, inst: Instance, gdx: int, avail: list, force: bool = False
) -> tuple:
    """A new secondary for ``inst`` among ``avail`` (group ``gdx``).

    Returns (new nodes, moved instance, new secondary); raises EvacError
    when no node accepts it.
    """
    res, t = best_single(nodes, inst, _RS, gdx, avail, force)
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


def best_pair(
    nodes: list, insts: list, inst: Instance, gdx: int, avail: list, force: bool = False
) -> tuple:
    """Moves ``inst`` to its best new (primary, secondary) among ``avail``.

    Returns (nodes, instances, moved instance, moves); raises EvacError
    (the last pair's failing step) when no pair is possible.
    """
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
    return best
