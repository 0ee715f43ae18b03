"""From-scratch cluster scores of many one-node changes at once (numpy).

Owns the batch form of ``metrics.comp_cv`` used to break near-ties between
one-node allocation candidates: the reference scores those from scratch,
so the last bits of each score are those of a left-to-right sum over the
node list.  ``numpy.cumsum`` accumulates in exactly that order, so every
score here is bit-identical to ``metrics.comp_cv`` on the changed list.

Returns None when a case is outside what it handles (location-exclusion
maps, offline candidates); callers then use the scalar path.  It never
changes the nodes it is given.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ganeti.htools import metrics

_NUMERIC = tuple(i for i, m in enumerate(metrics.METRICS) if m[2] != metrics.MAP)
_MAPS = tuple(i for i, m in enumerate(metrics.METRICS) if m[2] == metrics.MAP)


def scores(nodes: list, changes: list) -> Optional[list]:
    """From-scratch scores of ``nodes`` with each (idx, new node) applied."""
    if not changes:
        return []
    online = []
    offline = []
    pos = {}
    for x, n in enumerate(nodes):
        if n.offline:
            offline.append(x)
        else:
            pos[x] = len(online)
            online.append(x)
    for _, new in changes:
        if new.instance_map:
            return None
    vals_on = []
    for x in online:
        v = metrics.node_values(nodes[x])
        for i in _MAPS:
            if v[i]:
                return None
        vals_on.append([v[i] for i in _NUMERIC])
    vals_off = []
    for x in offline:
        v = metrics.node_values(nodes[x])
        for i in _MAPS:
            if v[i]:
                return None
        vals_off.append([v[i] for i in _NUMERIC])
    rows = []
    cols = []
    new_vals = []
    for idx, new in changes:
        if idx not in pos or new.offline:
            return None
        rows.append(len(rows))
        cols.append(pos[idx])
        nv = metrics.node_values(new)
        new_vals.append([nv[i] for i in _NUMERIC])
    c = len(changes)
    rows_a = np.asarray(rows)
    cols_a = np.asarray(cols)
    base_on = np.asarray(vals_on, dtype=np.float64).reshape(len(online), len(_NUMERIC))
    base_off = np.asarray(vals_off, dtype=np.float64).reshape(len(offline), len(_NUMERIC))
    new_a = np.asarray(new_vals, dtype=np.float64)
    total = np.zeros(c)
    for i, (_, w, kind, for_online) in enumerate(metrics.METRICS):
        if kind == metrics.MAP:
            v = np.zeros(c)  # empty maps: sum 0 minus 0 keys
        else:
            j = _NUMERIC.index(i)
            if for_online:
                x = np.repeat(base_on[:, j][None, :], c, axis=0)
                x[rows_a, cols_a] = new_a[:, j]
            else:
                x = np.repeat(base_off[:, j][None, :], c, axis=0)
            v = _value(kind, x)
        total = total + w * v
    return [float(t) for t in total]


def _value(kind: int, x: np.ndarray) -> np.ndarray:
    c, n = x.shape
    if kind == metrics.SUM:
        if n == 0:
            return np.zeros(c)
        return np.cumsum(x, axis=1)[:, -1]
    if n == 0:
        return np.full(c, float("nan"))
    s = np.cumsum(x, axis=1)[:, -1]
    mean = s / float(n)
    d = x - mean[:, None]
    var = np.cumsum(d * d, axis=1)[:, -1] / float(n)
    return np.sqrt(var)
