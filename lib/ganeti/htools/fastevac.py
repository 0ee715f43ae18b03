"""Vectorised ranking of (new primary, new secondary) pairs (numpy).

Owns the fast path of ``evacsearch``'s pair search on large groups: the
incremental group score of every pair as a 2-D array (new primaries x new
secondaries), and the pairs whose score is within a tolerance of the
best, in the reference's candidate order.  A row holds the group
statistics once the instance sits on its new primary (``evacsearch._rows``);
a column is the final secondary's new metric values, which depend on the
new primary only through the memory the secondary already reserves for it
(those few pairs, and pairs whose final secondary changes other nodes, are
scored one by one).

The scores are only used to narrow the candidates: the caller computes
the from-scratch score of the near ones, so these need not be bit-exact
(they are the same formulas as ``metrics.score_changes``).

It never changes the nodes it is given.
"""

from __future__ import annotations

import operator

from ganeti.htools import loader, metrics

# numpy's import creates tens of thousands of long-lived objects
with loader.gc_paused(freeze=True):
    import numpy as np

_STD, _SUM, _MAP = metrics.STD, metrics.SUM, metrics.MAP


def near_pairs(
    nodes: list,
    rows: list,
    avail: list,
    members: set,
    stats,
    secs,
    force: bool,
    tol: float,
    limit: float = None,
) -> list:
    """The pairs (row position, final secondary) scoring within ``tol`` of
    the best (or at most ``limit``), in candidate order.

    ``rows`` (aligned with ``avail``, the new primaries) are
    ``evacsearch._Row`` or failure strings; ``secs`` an
    ``evacsearch._Secondaries``.  Raises ``evacsearch.NotFinite`` when a score
    is NaN or infinite.
    """
    from ganeti.htools.evacsearch import _VALUES, NotFinite, _pair_score

    good = [r for r, row in enumerate(rows) if not isinstance(row, str)]
    if not good:
        return []
    col_of = {ts: c for c, ts in enumerate(avail)}
    # the columns: the final secondary when it holds no secondary of the
    # new primary
    xs = []
    ys = []
    col_ok = np.ones(len(avail), dtype=bool)
    for c, ts in enumerate(avail):
        r = secs.get(ts, -1)
        if isinstance(r, str):
            col_ok[c] = False
            v = _VALUES(nodes[ts])
            r = (v, v, True)
        xs.append(_numeric(r[0]))
        ys.append(_numeric(r[1]))
    x = np.array(xs, dtype=float)
    y = np.array(ys, dtype=float)
    with np.errstate(all="ignore"):
        plan = _row_stats([rows[r] for r in good], stats)
        total = _scores(plan, x[None, :, :], y[None, :, :], lambda a: a[:, None])
        total[:, ~col_ok] = np.inf
        _fix_reservations(nodes, rows, good, avail, secs, plan, x, y, col_ok, total)
    # pairs scored one by one: the diagonal, pairs whose final secondary
    # is a node the row already changed, rows with location scores
    for k, r in enumerate(good):
        row = rows[r]
        c_tp = col_of.get(row.tp)
        if c_tp is not None:
            total[k, c_tp] = np.inf
        if row.simple:
            cols = [col_of[x_] for x_ in row.final if x_ in col_of]
        else:
            cols = range(len(avail))
        for c in cols:
            if c != c_tp:
                sc = _pair_score(nodes, row, avail[c], members, stats, force)
                total[k, c] = np.inf if sc is None else sc
    if np.isnan(total).any():
        raise NotFinite()
    lo = total.min()
    if lo == np.inf:
        return []
    if not np.isfinite(lo):
        raise NotFinite()
    ks, cs = np.nonzero(total <= (lo + tol if limit is None else limit))
    return [(good[k], avail[c]) for k, c in zip(ks.tolist(), cs.tolist())]


class _Plan:
    """Per-row statistics as arrays: (n, s, var) per standard deviation
    metric, the value per sum metric, the value per map metric."""

    def __init__(self):
        self.std = {}
        self.sums = {}
        self.maps = {}
        self.rows = None


def _row_stats(rows: list, stats) -> _Plan:
    """The statistics of every row (its changes applied to ``stats``, in
    order, with the arithmetic of ``metrics.ClusterStats.update_values``)."""
    nrow = len(rows)
    nslot = max(len(row.changes) for row in rows)
    ncol = metrics.N_METRICS - len(_MAP_COL)
    xo = np.zeros((nslot, nrow, ncol))
    yo = np.zeros((nslot, nrow, ncol))
    online = np.zeros((nslot, nrow), dtype=bool)
    live = np.zeros((nslot, nrow), dtype=bool)
    maps_move = False
    for k, row in enumerate(rows):
        for j, (ov, nv, onl) in enumerate(row.changes):
            xo[j, k] = _numeric(ov)
            yo[j, k] = _numeric(nv)
            online[j, k] = onl
            live[j, k] = True
            if any(ov[i] is not nv[i] for i in _MAP_COL):
                maps_move = True
    plan = _Plan()
    plan.rows = np.zeros(nrow)
    st = stats.stats
    for i, (_, _, kind, onl) in enumerate(metrics.METRICS):
        if kind == _MAP:
            if maps_move:
                vals = [metrics.ClusterStats(row.stats.stats).values()[i] for row in rows]
            else:
                vals = [metrics.ClusterStats(st).values()[i]] * nrow
            plan.maps[i] = np.array(vals, dtype=float)
            continue
        col = _col(i)
        use = live & (online if onl else ~online)
        if kind == _SUM:
            v = np.full(nrow, float(st[i]))
            for j in range(nslot):
                v = np.where(use[j], v + yo[j, :, col] - xo[j, :, col], v)
            plan.sums[i] = v
            continue
        n, s0, var0 = st[i]
        s = np.full(nrow, float(s0))
        var = np.full(nrow, float(var0))
        for j in range(nslot):
            xj = xo[j, :, col]
            yj = yo[j, :, col]
            ds = yj - xj
            dvar = ((n * (yj * yj - xj * xj) - 2 * s * ds) - ds * ds) / (n * n)
            var = np.where(use[j], np.maximum(var + dvar, 0.0), var)
            s = np.where(use[j], s + ds, s)
        plan.std[i] = (n, s, var)
    return plan


def _scores(plan: _Plan, x, y, rowwise) -> np.ndarray:
    """Scores after the final secondary's change (old values ``x``, new
    ``y``, its last axis the metric columns); ``rowwise`` shapes a per-row
    array to broadcast against ``x[..., 0]``."""
    total = np.zeros(np.broadcast_shapes(x.shape[:-1], rowwise(plan.rows).shape))
    moves = np.any(x != y, axis=tuple(range(x.ndim - 1)))
    for i, (_, w, kind, onl) in enumerate(metrics.METRICS):
        if kind == _MAP:
            total += rowwise(w * plan.maps[i])
            continue
        col = _col(i)
        if not (onl and moves[col]):
            # the final secondary (online) leaves this metric as it is
            const = plan.sums[i] if kind == _SUM else np.sqrt(plan.std[i][2])
            total += rowwise(w * const)
            continue
        xc = x[..., col]
        yc = y[..., col]
        ds = yc - xc
        if kind == _SUM:
            total += w * (rowwise(plan.sums[i]) + ds)
            continue
        n, s, var = plan.std[i]
        grid = rowwise(-2.0 * s) * ds
        grid += n * (yc * yc - xc * xc) - ds * ds
        grid /= n * n
        grid += rowwise(var)
        np.maximum(grid, 0.0, out=grid)
        np.sqrt(grid, out=grid)
        grid *= w
        total += grid
    return total


def _fix_reservations(nodes, rows, good, avail, secs, plan, x, y, col_ok, total) -> None:
    """Rescores the pairs whose final secondary already reserves memory
    for the new primary (its reservation, N+1 flag and failure differ from
    the column's; those follow ``Node.add_sec``)."""
    inst = secs.inst
    row_of = {rows[r].tp: k for k, r in enumerate(good) if rows[r].simple}
    ks, cs, peem = [], [], []
    for c, ts in enumerate(avail):
        if not col_ok[c]:
            continue
        for p, mem in nodes[ts].peers.items():
            k = row_of.get(p)
            if mem and k is not None and ts not in rows[good[k]].final:
                ks.append(k)
                cs.append(c)
                peem.append(mem)
    if not ks:
        return
    if inst.forthcoming or any(not nodes[avail[c]].t_mem for c in set(cs)):
        for k, c in zip(ks, cs):
            res = secs.get(avail[c], rows[good[k]].tp)
            if isinstance(res, str):
                total[k, c] = np.inf
            else:
                xv = np.array(_numeric(res[0]), dtype=float)
                yv = np.array(_numeric(res[1]), dtype=float)
                total[k, c] = _scores(plan, xv[None, :], yv[None, :], lambda a, k=k: a[k : k + 1])[
                    0
                ]
        return
    ks = np.array(ks)
    cs = np.array(cs)
    cols = [nodes[avail[c]] for c in range(len(avail))]
    r_mem = np.array([n.r_mem for n in cols], dtype=float)[cs]
    unalloc = np.array([n.unallocated_mem() for n in cols], dtype=float)[cs]
    fail_n1 = np.array([n.fail_n1 for n in cols], dtype=bool)[cs]
    t_mem = np.array([n.t_mem for n in cols], dtype=float)[cs]
    count = np.array([len(n.plist) + len(n.slist) + 1 for n in cols], dtype=float)[cs]
    sec_mem = inst.mem if inst.uses_sec_mem() else 0
    new_rmem = np.maximum(r_mem, np.array(peem, dtype=float) + sec_mem)
    new_failn1 = unalloc <= new_rmem
    bad = new_failn1 & ~fail_n1 if not secs.force else np.zeros(len(ks), dtype=bool)
    ye = y[cs].copy()
    ye[:, _col(2)] = np.where(new_failn1, count, 0.0)
    ye[:, _col(3)] = new_rmem / t_mem
    ye[:, _col(19)] = new_rmem / t_mem
    sc = _scores(plan, x[cs], ye, lambda a: a[ks])
    total[ks, cs] = np.where(bad, np.inf, sc)


_MAP_COL = [i for i, m in enumerate(metrics.METRICS) if m[2] == _MAP]


def _col(i: int) -> int:
    """The column of metric ``i`` in the numeric value arrays."""
    return i - sum(1 for m in _MAP_COL if m < i)


# the numeric node values (all but the map metrics), as a tuple
_numeric = operator.itemgetter(*(i for i in range(metrics.N_METRICS) if i not in _MAP_COL))


def scratch_scores(vals: list, offline: list, cands: list) -> list:
    """``metrics.comp_cv`` of a node list, with each candidate's changes.

    ``vals`` are the nodes' metric values (``metrics.node_values``) in
    list order, ``offline`` their offline flags, ``cands`` dicts
    {position: new values}.  Bit-identical to the scalar computation: the
    sums are sequential left folds from 0.0 (``cumsum``), then the mean,
    the squared deviations and their fold, as ``metrics`` does; the
    weighted total is summed in metric order.
    """
    online = [k for k, off in enumerate(offline) if not off]
    offl = [k for k, off in enumerate(offline) if off]
    ncand = len(cands)
    total = np.zeros(ncand)
    with np.errstate(all="ignore"):
        for i, (_, w, kind, onl) in enumerate(metrics.METRICS):
            rows = online if onl else offl
            if kind == _MAP:
                empty = not any(vals[r][i] for r in rows)
                v = np.array([_map_scratch(i, vals, rows, c, empty) for c in cands])
            else:
                v = _column_scratch(i, kind, vals, rows, cands)
            total = total + w * v
    return [float(x) for x in total]


def _column_scratch(i: int, kind: int, vals: list, rows: list, cands: list) -> np.ndarray:
    pos = {r: j for j, r in enumerate(rows)}
    sets = []
    for k, cand in enumerate(cands):
        for r, nv in cand.items():
            j = pos.get(r)
            if j is not None and not _same(nv[i], vals[r][i]):
                sets.append((k, j, nv[i]))
    base = np.array([vals[r][i] for r in rows], dtype=float)
    grid = np.empty((1, len(rows) + 1))
    grid[0, 0] = 0.0
    grid[0, 1:] = base
    out = np.repeat(_fold_value(kind, grid, float(len(rows))), len(cands))
    if sets:
        ks = sorted({k for k, _, _ in sets})
        at = {k: m for m, k in enumerate(ks)}
        grid = np.empty((len(ks), len(rows) + 1))
        grid[:, 0] = 0.0
        grid[:, 1:] = base
        for k, j, x in sets:
            grid[at[k], j + 1] = x
        out[ks] = _fold_value(kind, grid, float(len(rows)))
    return out


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


def _fold_value(kind: int, grid: np.ndarray, n: float) -> np.ndarray:
    """The metric value of each grid row (column 0 is the fold's 0.0)."""
    s = np.cumsum(grid, axis=1)[:, -1]
    if kind == _SUM:
        return s
    if not n:
        return np.full(len(grid), np.nan)
    d = grid[:, 1:] - (s / n)[:, None]
    grid[:, 1:] = d * d
    return np.sqrt(np.cumsum(grid, axis=1)[:, -1] / n)


def _map_scratch(i: int, vals: list, rows: list, cand: dict, base_empty: bool) -> float:
    if base_empty and not any(nv[i] for nv in cand.values()):
        return 0.0
    maps = [cand[r][i] if r in cand else vals[r][i] for r in rows]
    m: dict = {}
    for x in maps:
        for key, v in x.items():
            m[key] = m.get(key, 0) + v
    return float(sum(m.values()) - len(m))
