"""Vectorised ranking of (new primary, new secondary) pairs (numpy).

Owns the fast path of ``evacuate``'s pair search on large groups: the
incremental group score of every pair as a 2-D array (new primaries x new
secondaries), and the pairs whose score is within a tolerance of the
best, in the reference's candidate order.  A row holds the group
statistics once the instance sits on its new primary (``evacuate._rows``);
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

from ganeti.htools import loader, metrics

# numpy's import creates tens of thousands of long-lived objects
with loader.gc_paused(freeze=True):
    import numpy as np

_STD, _SUM, _MAP = metrics.STD, metrics.SUM, metrics.MAP


def near_pairs(
    nodes: list, rows: list, avail: list, members: set, stats, secs, force: bool, tol: float
) -> list:
    """The pairs (row position, final secondary) scoring within ``tol``.

    ``rows`` (aligned with ``avail``, the new primaries) are
    ``evacuate._Row`` or failure strings; ``secs`` an
    ``evacuate._Secondaries``.  Raises ``evacuate.NotFinite`` when a score
    is NaN or infinite.
    """
    from ganeti.htools.evacuate import _SCORE, _VALUES, NotFinite, _pair_score

    good = [r for r, row in enumerate(rows) if not isinstance(row, str)]
    if not good:
        return []
    ncol = len(avail)
    col_of = {ts: c for c, ts in enumerate(avail)}
    # the columns: a final secondary holding no secondary of the primary
    xs = []
    ys = []
    col_ok = np.ones(ncol, dtype=bool)
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
    # columns reserving memory for a primary, by primary
    peers: dict = {}
    for c, ts in enumerate(avail):
        for p, mem in nodes[ts].peers.items():
            if mem:
                peers.setdefault(p, []).append(c)
    nrow = len(good)
    st_rows = [rows[r].stats.stats for r in good]
    total = np.zeros((nrow, ncol))
    for i, (_, w, kind, online) in enumerate(metrics.METRICS):
        if kind == _MAP:
            # adding a secondary changes no instance map
            vals = [metrics.ClusterStats(st).values()[i] for st in st_rows]
            total += (w * np.array(vals, dtype=float))[:, None]
            continue
        col = _col(i)
        dx = y[:, col] - x[:, col]
        moves = online and bool(np.any(dx != 0))
        if kind == _SUM:
            base = np.array([st[i] for st in st_rows], dtype=float)
            if moves:
                total += w * (base[:, None] + dx[None, :])
            else:
                total += (w * base)[:, None]
            continue
        n = st_rows[0][i][0]
        s = np.array([st[i][1] for st in st_rows], dtype=float)
        var = np.array([st[i][2] for st in st_rows], dtype=float)
        if not moves:
            total += (w * np.sqrt(np.maximum(var, 0.0)))[:, None]
            continue
        xc = x[:, col]
        yc = y[:, col]
        dss = yc * yc - xc * xc
        grid = np.multiply.outer(-2.0 * s, dx)
        grid += (n * dss - dx * dx)[None, :]
        grid /= n * n
        grid += var[:, None]
        np.maximum(grid, 0.0, out=grid)
        np.sqrt(grid, out=grid)
        grid *= w
        total += grid
    total[:, ~col_ok] = np.inf
    # pairs scored one by one
    for k, r in enumerate(good):
        row = rows[r]
        tp = row.tp
        c_tp = col_of.get(tp)
        if c_tp is not None:
            total[k, c_tp] = np.inf
        if not row.simple:
            for c, ts in enumerate(avail):
                if ts != tp:
                    sc = _pair_score(nodes, row, ts, members, stats, force)
                    total[k, c] = np.inf if sc is None else sc
            continue
        special = [col_of[x_] for x_ in row.final if x_ in col_of]
        for c in special:
            ts = avail[c]
            if ts != tp:
                sc = _pair_score(nodes, row, ts, members, stats, force)
                total[k, c] = np.inf if sc is None else sc
        for c in peers.get(tp, ()):
            ts = avail[c]
            if ts == tp or ts in row.final:
                continue
            res = secs.get(ts, tp)
            total[k, c] = np.inf if isinstance(res, str) else _SCORE(row.stats, [res])
    if np.isnan(total).any():
        raise NotFinite()
    lo = total.min()
    if lo == np.inf:
        return []
    if not np.isfinite(lo):
        raise NotFinite()
    ks, cs = np.nonzero(total <= lo + tol)
    return [(good[k], avail[c]) for k, c in zip(ks.tolist(), cs.tolist())]


_MAP_COL = [i for i, m in enumerate(metrics.METRICS) if m[2] == _MAP]


def _col(i: int) -> int:
    """The column of metric ``i`` in the numeric value arrays."""
    return i - sum(1 for m in _MAP_COL if m < i)


def _numeric(vals: tuple) -> list:
    return [v for i, v in enumerate(vals) if i not in _MAP_COL]
