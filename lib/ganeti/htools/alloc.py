"""Placing new instances and evacuating existing ones (hail, hspace).

Owns the allocation search (every node, or every primary/secondary pair in
one group, scored by the cluster score; on equal scores the later candidate
wins, as in the reference), the choice between groups, relocation of a
secondary, and node evacuation with the opcodes Ganeti runs for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import os

from ganeti.htools import balance, metrics
from ganeti.htools.globaln1 import EXACT, FAIL, OK
from ganeti.htools.model import (ALLOC_POLICY_ORDER, FAIL_MODES, FAIL_N1,
                                 Instance, inst_matches_policy)

# the numpy pair scorer (HTOOLS_NO_NUMPY=1 selects the scalar path); below
# this many pairs the scalar path is faster than importing numpy
_FAST = not os.environ.get("HTOOLS_NO_NUMPY")
_FAST_MIN_PAIRS = 5000


def _fastalloc():
    from ganeti.htools import fastalloc
    return fastalloc


@dataclass
class AllocOptions:
    """Knobs of the allocation search (hail's and hspace's options)."""
    # global N+1 check of every candidate: the result must be redundant
    # (a base state that is not fails every candidate, as the reference)
    capacity: bool = True
    accept_existing: bool = False  # skip nodes already failing N+1
    force: bool = False            # ignore soft limits
    # groups left out of the check (hspace --independent-groups: the groups
    # that are not redundant to begin with)
    ignore_groups: frozenset = frozenset()


@dataclass
class AllocSolution:
    """Result of trying one instance on a set of candidate nodes."""
    failures: list = field(default_factory=list)
    allocs: int = 0
    # (changes [(idx, old, new)], node ids, score, placed instance)
    best: Optional[tuple] = None
    log: list = field(default_factory=list)


def _better(old: Optional[tuple], new: tuple) -> tuple:
    # the new candidate wins unless the old one is strictly better
    if old is not None and old[2] < new[2]:
        return old
    return new


def gen_alloc_nodes(nodes: list, node_ids: list, required: int,
                    groups: Optional[list] = None):
    """The allocation targets: node ids, or (primary, [secondaries])."""
    online = [x for x in node_ids if not nodes[x].offline]
    if groups is not None:
        online = [x for x in online
                  if groups[nodes[x].group].is_allocable()]
    if required == 1:
        return online
    by_group: dict = {}
    for x in online:
        by_group.setdefault(nodes[x].group, []).append(x)
    where = {}
    for members in by_group.values():
        for k, x in enumerate(members):
            where[x] = (members, k)
    pairs = []
    for p in online:
        members, k = where[p]
        secs = members[:k] + members[k + 1:]
        if secs:
            pairs.append((p, secs))
    return pairs


def try_alloc(nodes: list, insts: list, inst: Instance, targets,
              opts: AllocOptions, lazy: bool = False) -> AllocSolution:
    """Tries ``inst`` on every target, scoring over all of ``nodes``.

    ``targets`` comes from ``gen_alloc_nodes``.  Candidates that fail the
    global N+1 check count as FailN1.  With ``lazy`` only the candidates
    needed to find the best redundant one are checked (the failure counts
    are then incomplete when a solution exists; hspace ignores them).
    """
    sol = AllocSolution()
    if not targets:
        return sol
    force = opts.force
    stats = _StatsOf(nodes)
    vals = _VALUES
    failures = sol.failures
    cands = []
    base = inst.copy()
    if not isinstance(targets[0], tuple):
        for p in targets:
            tgt = nodes[p]
            err = inst_matches_policy(base, tgt.ipolicy, tgt.excl_storage)
            if err:
                failures.append(err)
                continue
            ni = base.copy()
            ni.pnode = p
            ni.snode = -1
            new_p = tgt.add_pri(ni, force)
            if isinstance(new_p, str):
                failures.append(new_p)
                continue
            score = metrics.score_changes(stats, [
                (vals(tgt), metrics.node_values(new_p), not tgt.offline)])
            cands.append((score, [(p, tgt, new_p)], [p], ni))
    elif _FAST and sum(len(x[1]) for x in targets) >= _FAST_MIN_PAIRS \
            and _fastalloc().applicable(nodes, base, targets):
        _fastalloc().try_pairs(nodes, insts, base, targets, stats, opts,
                               lazy, sol)
        return sol
    elif not any(nodes[p].location_tags for p, _ in targets):
        _scalar_pairs(nodes, insts, base, targets, stats, opts, lazy, sol)
        return sol
    else:
        for p, secs in targets:
            tgt_p = nodes[p]
            err = inst_matches_policy(base, tgt_p.ipolicy,
                                      tgt_p.excl_storage)
            if err:
                failures.extend([err] * len(secs))
                continue
            if tgt_p.location_tags:
                new_p = None
            else:
                ni = base.copy()
                ni.pnode = p
                new_p = tgt_p.add_pri(ni, force)
                if isinstance(new_p, str):
                    failures.extend([new_p] * len(secs))
                    continue
                ch_p = (vals(tgt_p), metrics.node_values(new_p),
                        not tgt_p.offline)
            for s in secs:
                tgt_s = nodes[s]
                if new_p is None:
                    ni = base.copy()
                    ni.pnode = p
                    ni.location_score = len(tgt_p.location_tags
                                            & tgt_s.location_tags)
                    np_ = tgt_p.add_pri(ni, force)
                    if isinstance(np_, str):
                        failures.append(np_)
                        continue
                    chp = (vals(tgt_p), metrics.node_values(np_),
                           not tgt_p.offline)
                else:
                    np_ = new_p
                    chp = ch_p
                si = ni.copy()
                si.snode = s
                new_s = tgt_s.add_sec(si, p, force)
                if isinstance(new_s, str):
                    failures.append(new_s)
                    continue
                score = metrics.score_changes(stats, [
                    chp, (vals(tgt_s), metrics.node_values(new_s),
                          not tgt_s.offline)])
                cands.append((score, [(p, tgt_p, np_), (s, tgt_s, new_s)],
                              [p, s], si))
    _select(sol, cands, nodes, insts, opts, lazy)
    return sol


_STATS_CACHE: list = [None, None]


class _StatsOf:
    """The cluster statistics of ``nodes``, computed on first use.

    The last list's statistics are kept: hspace tries many instance sizes
    on one cluster state.
    """

    __slots__ = ("nodes", "_st")

    def __init__(self, nodes: list) -> None:
        self.nodes = nodes
        self._st = None

    @property
    def stats(self) -> list:
        st = self._st
        if st is None:
            if _STATS_CACHE[0] is self.nodes:
                st = _STATS_CACHE[1]
            else:
                st = metrics.ClusterStats.from_nodes(self.nodes)
                _STATS_CACHE[0] = self.nodes
                _STATS_CACHE[1] = st
            self._st = st
        return st.stats


class AllocError(Exception):
    """An allocation could not even be attempted (no usable nodes)."""


def _VALUES(node):  # noqa: N802 - a cache lookup, named like a constant
    return balance._values(node)


def _checker(nodes, insts, opts):
    """The global N+1 checker of this base state (the last one is kept)."""
    last = _CHECKER[0]
    if last is not None and last.nodes is nodes and last.insts is insts \
            and last.accept_existing == opts.accept_existing:
        return last
    from ganeti.htools import globaln1
    chk = globaln1.Checker(nodes, insts, opts.accept_existing)
    _CHECKER[0] = chk
    return chk


def _redundant_after(nodes, insts, cand, opts, cache: dict) -> bool:
    chk = cache.get("checker")
    if chk is None:
        chk = cache["checker"] = _checker(nodes, insts, opts)
    if not chk.base_redundant(opts.ignore_groups):
        return False
    return chk.ok_after(cand[1], cand[3])


# the checker of the last base state (hspace tries many specs on one state)
_CHECKER: list = [None]


def advance_checker(nodes: list, insts: list, new_nodes: list, new_insts: list,
                    changes: list, inst: Instance) -> None:
    """Derives the cached checker of ``nodes``/``insts`` for the state
    after an accepted allocation (multi-allocate and hspace go on from
    there), instead of building it again for every node."""
    last = _CHECKER[0]
    if last is not None and last.nodes is nodes and last.insts is insts:
        _CHECKER[0] = last.derive(new_nodes, new_insts, changes, inst)


_TIE_TOL = 1e-9


def full_score(nodes: list, changes: list) -> float:
    """The score of ``nodes`` with ``changes`` applied, from scratch."""
    new = list(nodes)
    for idx, _, n in changes:
        new[idx] = n
    return metrics.comp_cv(new)


def _pick(cands: list, nodes: list, full: bool):
    """The best candidate: lowest score, the later one on ties.

    Single-node candidates are ranked by the score computed from scratch
    (as the reference does for them); their incremental score only
    narrows down the near-ties that need it.
    """
    if not cands:
        return None
    lo = min(c[0] for c in cands)
    if not full:
        best = None
        for c in cands:
            if best is None or not best[0] < c[0]:
                best = c
        return best
    near = [c for c in cands if not c[0] > lo + _TIE_TOL]
    full_scores = None
    if _FAST and len(near) >= _FULL_BATCH and all(len(c[1]) == 1 for c in near):
        from ganeti.htools import fullscore
        full_scores = fullscore.scores(nodes, [(c[1][0][0], c[1][0][2])
                                               for c in near])
    best = None
    for k, c in enumerate(near):
        fs = full_score(nodes, c[1]) if full_scores is None \
            else full_scores[k]
        fc = (fs,) + tuple(c[1:])
        if best is None or not best[0] < fc[0]:
            best = fc
    return best


# from this many near-ties on, from-scratch scores are computed in a batch
_FULL_BATCH = 4


def _select(sol: AllocSolution, cands: list, nodes: list, insts: list,
            opts: AllocOptions, lazy: bool) -> None:
    full = bool(cands) and len(cands[0][2]) == 1
    cache: dict = {}
    tables = None
    if opts.capacity and full:
        chk = _checker(nodes, insts, opts)
        if chk.base_redundant(opts.ignore_groups):
            tables = chk.pair_tables()

    def cand_ok(c) -> bool:
        if tables is not None:
            p, _, new_p = c[1][0]
            code = tables.one_node(p, new_p, c[3])
            if code != EXACT:
                return code == OK
        return _redundant_after(nodes, insts, c, opts, cache)

    if not opts.capacity:
        best = _pick(cands, nodes, full)
        sol.allocs = len(cands)
    elif lazy:
        order = sorted(range(len(cands)), key=lambda k: (cands[k][0], -k))
        bad = 0
        good = []
        limit = None
        for k in order:
            c = cands[k]
            if limit is not None and c[0] > limit:
                break
            if cand_ok(c):
                good.append(k)
                if limit is None:
                    limit = c[0] + (_TIE_TOL if full else 0.0)
            else:
                bad += 1
        good.sort()
        best = _pick([cands[k] for k in good], nodes, full)
        sol.failures.extend([FAIL_N1] * bad)
        sol.allocs = len(cands) - bad
    else:
        good = []
        for c in cands:
            if not cand_ok(c):
                sol.failures.append(FAIL_N1)
                continue
            good.append(c)
        sol.allocs = len(good)
        best = _pick(good, nodes, full)
    if best is not None:
        sol.best = (best[1], best[2], best[0], best[3])


def describe(sol: AllocSolution, nodes: list) -> str:
    if sol.best is None:
        if not sol.failures:
            reasons = "unknown reasons"
        else:
            reasons = fail_summary(sol.failures)
        return "No valid allocation solutions, failure reasons: " + reasons
    return ("score: %.8f, successes %d, failures %d (%s) for node(s) %s"
            % (sol.best[2], sol.allocs, len(sol.failures),
               fail_summary(sol.failures),
               "/".join(nodes[x].name for x in sol.best[1])))


def fail_summary(failures: list) -> str:
    counts = collapse_failures(failures)
    return ", ".join("%s: %d" % (m, c) for m, c in counts if c)


def collapse_failures(failures: list) -> list:
    """(mode, count) for every failure mode, in the reference order."""
    return [(m, failures.count(m)) for m in FAIL_MODES]


def group_nodes(cd, gdx: int) -> list:
    return [n.idx for n in cd.nodes if n.group == gdx]


def find_best_group(cd, nodes: list, insts: list, inst: Instance,
                    required: int, opts: AllocOptions,
                    allowed: Optional[list] = None):
    """Allocates on the best group.

    Returns (group idx, solution, messages); group idx is None when no
    group has a solution (the messages then explain why).
    """
    used = sorted({n.group for n in nodes})
    gids = [g for g in used if allowed is None or g in allowed]
    results = []
    log = []
    for gdx in gids:
        g = cd.groups[gdx]
        ids = [x for x in range(len(nodes)) if nodes[x].group == gdx]
        targets = gen_alloc_nodes(nodes, ids, required)
        try:
            if not targets:
                raise AllocError("No online nodes" if required == 1
                                 else "Not enough online nodes")
            sol = try_alloc(nodes, insts, inst, targets, opts)
        except AllocError as err:
            log.append("Group %s: error %s" % (g.name, err))
            continue
        log.append("Group %s (%s): %s" % (g.name, g.alloc_policy,
                                          describe(sol, nodes)))
        if sol.best is not None and g.is_allocable():
            results.append((g, sol))
    # the reference collects the good groups in reverse order and sorts
    # stably, so on equal scores the later group wins
    results.reverse()
    results.sort(key=lambda gs: (ALLOC_POLICY_ORDER[gs[0].alloc_policy],
                                 gs[1].best[2]))
    if not results:
        return None, None, log
    g, sol = results[0]
    return g.idx, sol, log


def apply_changes(nodes: list, changes: list) -> list:
    new = list(nodes)
    for idx, _, n in changes:
        new[idx] = n
    return new


def finish_pairs(nodes: list, insts: list, per_p: list, best, nok: int,
                 opts: AllocOptions, lazy: bool, sol: AllocSolution) -> None:
    """Selection among scored pairs (shared by the scalar and numpy paths).

    ``per_p``: (primary, new primary node, instance, secondaries that
    accept it, their scores); ``best``: (score, k, j) of the best pair when
    capacity checks are off.  Pairs become node changes only when needed.
    """
    force = opts.force
    failures = sol.failures

    def materialize(k: int, j: int, score: float):
        p, new_p, ni, s_ok, _ = per_p[k]
        s = int(s_ok[j])
        si = ni.copy()
        si.snode = s
        new_s = nodes[s].add_sec(si, p, force)
        return (score, [(p, nodes[p], new_p), (s, nodes[s], new_s)], [p, s], si)

    if not opts.capacity:
        sol.allocs = nok
        if best is not None:
            c = materialize(best[1], best[2], best[0])
            sol.best = (c[1], c[2], c[0], c[3])
        return
    chk = _checker(nodes, insts, opts)
    tables = chk.pair_tables()

    def verdict(k: int, j: int, code: int) -> bool:
        if code == EXACT:
            c = materialize(k, j, float(per_p[k][4][j]))
            return chk.ok_after(c[1], c[3])
        return code == OK

    doomed = not chk.base_redundant(opts.ignore_groups)
    if per_p and not isinstance(per_p[0][3], list):
        _finish_arrays(per_p, nok, chk, tables, doomed, verdict, materialize,
                       lazy, sol)
        return
    rows = []
    for p, new_p, ni, s_ok, _ in per_p:
        if doomed:
            rows.append([FAIL] * len(s_ok))
        elif tables is None:
            rows.append([EXACT] * len(s_ok))
        else:
            rows.append(tables.row(p, new_p, ni, s_ok))
    if not lazy:
        bad = 0
        best = None
        for k, (_, _, _, _, scs) in enumerate(per_p):
            codes = rows[k]
            for j, code in enumerate(codes):
                if not verdict(k, j, code):
                    bad += 1
                    continue
                sc = scs[j]
                if best is None or not best[0] < sc:
                    best = (sc, k, j)
        failures.extend([FAIL_N1] * bad)
        sol.allocs = nok - bad
        if best is not None:
            c = materialize(best[1], best[2], float(best[0]))
            sol.best = (c[1], c[2], c[0], c[3])
        return
    # lazy: check the best candidates first (later ones first on ties)
    order = []
    for k, (_, _, _, _, scs) in enumerate(per_p):
        for j in range(len(scs)):
            order.append((float(scs[j]), -len(order), k, j))
    order.sort()
    bad = 0
    limit = None
    chosen = None
    for score, _, k, j in order:
        if limit is not None and score > limit:
            break
        if verdict(k, j, rows[k][j]):
            if chosen is None:
                chosen = materialize(k, j, score)
                limit = score
        else:
            bad += 1
    failures.extend([FAIL_N1] * bad)
    sol.allocs = nok - bad
    if chosen is not None:
        sol.best = (chosen[1], chosen[2], chosen[0], chosen[3])


def _finish_arrays(per_p, nok, chk, tables, doomed, verdict, materialize,
                   lazy, sol) -> None:
    """``finish_pairs`` for numpy rows: verdicts and selection per array."""
    import numpy as np

    rows = []
    for k, (p, new_p, ni, s_ok, _) in enumerate(per_p):
        if doomed:
            codes = np.full(len(s_ok), FAIL, dtype=np.int8)
        elif tables is None:
            codes = np.full(len(s_ok), EXACT, dtype=np.int8)
        else:
            codes = tables.row_array(p, new_p, ni, s_ok)
        if not lazy:
            for j in np.flatnonzero(codes == EXACT):
                codes[j] = OK if verdict(k, int(j), EXACT) else FAIL
        rows.append(codes)
    if not lazy:
        bad = 0
        best = None
        for k, (_, _, _, _, scs) in enumerate(per_p):
            ok = rows[k] == OK
            n_ok = int(ok.sum())
            bad += len(ok) - n_ok
            if not n_ok:
                continue
            sc = np.where(ok, scs, np.inf)
            mn = sc[ok].min()
            j = len(sc) - 1 - int(np.flatnonzero(sc[::-1] == mn)[0])
            if best is None or not best[0] < mn:
                best = (float(mn), k, j)
    else:
        # candidates by score, the later one first on equal scores
        scores = np.concatenate([x[4] for x in per_p])
        codes = np.concatenate(rows)
        kk = np.concatenate([np.full(len(x[4]), k, dtype=np.int64)
                             for k, x in enumerate(per_p)])
        jj = np.concatenate([np.arange(len(x[4]), dtype=np.int64)
                             for x in per_p])
        flat = np.arange(len(scores))
        order = np.lexsort((-flat, scores))
        cs = codes[order]
        ss = scores[order]
        bad = 0
        best = None
        pos = 0
        total = len(order)
        while pos < total:
            rest = cs[pos:] != FAIL
            if not rest.any():
                bad += total - pos
                pos = total
                break
            q = pos + int(np.argmax(rest))
            bad += q - pos
            o = order[q]
            if cs[q] == OK or verdict(int(kk[o]), int(jj[o]), EXACT):
                best = (float(ss[q]), int(kk[o]), int(jj[o]))
                pos = q + 1
                break
            bad += 1
            pos = q + 1
        if best is not None:
            limit = best[0]
            while pos < total and ss[pos] <= limit:
                o = order[pos]
                code = cs[pos]
                if code == FAIL or (code == EXACT and not verdict(
                        int(kk[o]), int(jj[o]), EXACT)):
                    bad += 1
                pos += 1
    sol.failures.extend([FAIL_N1] * bad)
    sol.allocs = nok - bad
    if best is not None:
        c = materialize(best[1], best[2], best[0])
        sol.best = (c[1], c[2], c[0], c[3])


def _scalar_pairs(nodes, insts, base, targets, stats, opts, lazy, sol):
    """The pair search in plain Python.

    A secondary's new metric values depend on the primary only through
    the memory it already reserves for that primary, so they are computed
    once per (secondary, reservation).
    """
    force = opts.force
    failures = sol.failures
    vals = _VALUES
    nvals = metrics.node_values
    score = metrics.score_changes
    cache: dict = {}
    per_p = []
    best = None
    nok = 0
    for p, secs in targets:
        tgt_p = nodes[p]
        err = inst_matches_policy(base, tgt_p.ipolicy, tgt_p.excl_storage)
        if err:
            failures.extend([err] * len(secs))
            continue
        ni = base.copy()
        ni.pnode = p
        new_p = tgt_p.add_pri(ni, force)
        if isinstance(new_p, str):
            failures.extend([new_p] * len(secs))
            continue
        ch_p = (vals(tgt_p), nvals(new_p), not tgt_p.offline)
        s_ok = []
        sc_ok = []
        for s in secs:
            tgt_s = nodes[s]
            key = (s, tgt_s.peers.get(p, 0))
            r = cache.get(key)
            if r is None:
                new_s = tgt_s.add_sec(ni, p, force)
                r = cache[key] = new_s if isinstance(new_s, str) \
                    else (vals(tgt_s), nvals(new_s), not tgt_s.offline)
            if isinstance(r, str):
                failures.append(r)
                continue
            s_ok.append(s)
            sc_ok.append(score(stats, [ch_p, r]))
        if not s_ok:
            continue
        nok += len(s_ok)
        per_p.append((p, new_p, ni, s_ok, sc_ok))
        if not opts.capacity:
            k = len(per_p) - 1
            for j, sc in enumerate(sc_ok):
                if best is None or not best[0] < sc:
                    best = (sc, k, j)
    finish_pairs(nodes, insts, per_p, best, nok, opts, lazy, sol)
