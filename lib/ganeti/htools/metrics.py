"""The cluster score: weighted statistics over per-node metrics.

Owns the list of metrics (name, weight, kind, whether it covers online or
offline nodes), the per-node values and the statistics kept over them, with
the cheap update used when a move changes only two or three nodes.  The
arithmetic (a running variance rather than a sum of squares) follows the
reference tools so scores agree to the printed precision and ties break the
same way.

It never changes nodes; it only reads them.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from ganeti.htools.model import Node

STD = 0
SUM = 1
MAP = 2

# (name, weight, kind, for online nodes)
METRICS = (
    ("free_mem_cv", 0.5, STD, True),
    ("free_disk_cv", 0.5, STD, True),
    ("n1_cnt", 1.0, SUM, True),
    ("reserved_mem_cv", 1.0, STD, True),
    ("offline_all_cnt", 4.0, SUM, False),
    ("offline_pri_cnt", 16.0, SUM, False),
    ("vcpu_ratio_cv", 0.5, STD, True),
    ("cpu_load_cv", 1.0, STD, True),
    ("mem_load_cv", 1.0, STD, True),
    ("disk_load_cv", 1.0, STD, True),
    ("net_load_cv", 1.0, STD, True),
    ("pri_tags_score", 2.0, SUM, True),
    ("spindles_cv", 0.5, STD, True),
    ("free_mem_cv_forth", 0.5, STD, True),
    ("free_disk_cv_forth", 0.5, STD, True),
    ("vcpu_ratio_cv_forth", 0.5, STD, True),
    ("spindles_cv_forth", 0.5, STD, True),
    ("location_score", 1.0, SUM, True),
    ("location_exclusion_score", 1.0, MAP, True),
    ("reserved_mem_rtotal", 0.25, SUM, True),
)
WEIGHTS = tuple(m[1] for m in METRICS)
N_METRICS = len(METRICS)
_ONLINE_IDX = tuple(i for i, m in enumerate(METRICS) if m[3])
_OFFLINE_IDX = tuple(i for i, m in enumerate(METRICS) if not m[3])


def node_values(n: Node) -> tuple:
    """The per-node contribution to every metric, in ``METRICS`` order."""
    c1, m1, d1, nn1 = n.util_load
    c2, m2, d2, nn2 = n.util_pool
    npri = len(n.plist)
    nsec = len(n.slist)
    return (
        n.p_mem,
        n.p_dsk,
        float(npri + nsec) if n.fail_n1 else 0.0,
        n.p_rem,
        float(npri + nsec),
        float(npri),
        n.p_cpu / n.cpu_speed,
        c1 / c2, m1 / m2, d1 / d2, nn1 / nn2,
        float(n.conflicting_primaries()),
        n.inst_spindles / n.hi_spindles if n.hi_spindles else _nan_div(
            n.inst_spindles),
        n.p_mem_forth,
        n.p_dsk_forth,
        n.p_cpu_forth / n.cpu_speed,
        n.inst_spindles_forth / n.hi_spindles if n.hi_spindles else
        _nan_div(n.inst_spindles_forth),
        float(n.location_score_v),
        n.instance_map,
        n.p_rem,
    )


def _nan_div(x: float) -> float:
    return float("nan") if x == 0 else float("inf")


class ClusterStats:
    """Statistics over all nodes, updatable one node at a time."""

    __slots__ = ("stats",)

    def __init__(self, stats: list) -> None:
        self.stats = stats

    @classmethod
    def from_nodes(cls, nodes: Iterable[Node]) -> "ClusterStats":
        online = []
        offline = []
        for n in nodes:
            (offline if n.offline else online).append(node_values(n))
        stats = []
        for i, (_, _, kind, for_online) in enumerate(METRICS):
            rows = online if for_online else offline
            vals = [r[i] for r in rows]
            stats.append(_calculate(kind, vals))
        return cls(stats)

    def copy(self) -> "ClusterStats":
        return ClusterStats(list(self.stats))

    def update(self, old: Node, new: Node) -> None:
        """Replaces the contribution of ``old`` by that of ``new``."""
        ov = node_values(old)
        nv = node_values(new)
        self.update_values(ov, nv, not old.offline)

    def update_values(self, ov: Sequence, nv: Sequence,
                      online: bool) -> None:
        stats = self.stats
        for i in (_ONLINE_IDX if online else _OFFLINE_IDX):
            kind = METRICS[i][2]
            x = ov[i]
            y = nv[i]
            st = stats[i]
            if kind == STD:
                n, s, var = st
                ds = y - x
                dss = y * y - x * x
                dnnvar = (n * dss - 2 * s * ds) - ds * ds
                var2 = var + dnnvar / (n * n)
                stats[i] = (n, s + ds, var2 if var2 > 0 else 0.0)
            elif kind == SUM:
                stats[i] = st + y - x
            else:
                if x is y:
                    continue
                m = dict(st)
                for k, v in x.items():
                    m[k] = m.get(k, 0) - v
                for k, v in y.items():
                    m[k] = m.get(k, 0) + v
                stats[i] = m

    def values(self) -> list:
        return [_value(METRICS[i][2], st) for i, st in enumerate(self.stats)]

    def score(self) -> float:
        total = 0.0
        for i, st in enumerate(self.stats):
            total += WEIGHTS[i] * _value(METRICS[i][2], st)
        return total


_STD_IDX = tuple(i for i, m in enumerate(METRICS) if m[2] == STD)
_SUM_IDX = tuple(i for i, m in enumerate(METRICS) if m[2] == SUM)
_MAP_IDX = tuple(i for i, m in enumerate(METRICS) if m[2] == MAP)
_SQRT = math.sqrt


def score_after(stats: "ClusterStats", changes: list) -> float:
    """The score after replacing node values, without building new stats.

    ``changes`` is a list of (old values, new values, online) applied in
    order; the arithmetic is exactly that of ``ClusterStats.update``.
    """
    st = stats.stats
    total = 0.0
    vals = [0.0] * N_METRICS
    for i in _STD_IDX:
        n, s, var = st[i]
        for ov, nv, online in changes:
            if online != METRICS[i][3]:
                continue
            x = ov[i]
            y = nv[i]
            ds = y - x
            dss = y * y - x * x
            dnnvar = (n * dss - 2 * s * ds) - ds * ds
            s = s + ds
            var = var + dnnvar / (n * n)
            if not var > 0:
                var = 0.0 if var == var else var
        vals[i] = _SQRT(var) if var == var else var
    for i in _SUM_IDX:
        v = st[i]
        for ov, nv, online in changes:
            if online == METRICS[i][3]:
                v = v + nv[i] - ov[i]
        vals[i] = v
    for i in _MAP_IDX:
        m = st[i]
        changed = False
        for ov, nv, online in changes:
            if online and ov[i] is not nv[i]:
                if not changed:
                    m = dict(m)
                    changed = True
                for k, v in ov[i].items():
                    m[k] = m.get(k, 0) - v
                for k, v in nv[i].items():
                    m[k] = m.get(k, 0) + v
        vals[i] = _value(MAP, m)
    for i in range(N_METRICS):
        total += WEIGHTS[i] * vals[i]
    return total


def _calculate(kind: int, vals: list):
    if kind == STD:
        n = 0.0
        s = 0.0
        for x in vals:
            n += 1
            s += x
        mean = s / n if n else float("nan")
        v = 0.0
        for x in vals:
            d = x - mean
            v += d * d
        return (n, s, v / n if n else float("nan"))
    if kind == SUM:
        s = 0.0
        for x in vals:
            s += x
        return s
    m: dict = {}
    for x in vals:
        for k, v in x.items():
            m[k] = m.get(k, 0) + v
    return m


def _value(kind: int, st) -> float:
    if kind == STD:
        var = st[2]
        return math.sqrt(var) if var == var else var
    if kind == SUM:
        return st
    return float(sum(st.values()) - len(st))


def comp_cv(nodes: Iterable[Node]) -> float:
    """The cluster score of a node list, computed from scratch."""
    return ClusterStats.from_nodes(nodes).score()


def print_stats(prefix: str, nodes: Iterable[Node]) -> str:
    """The detailed metric table (as printed with high verbosity)."""
    st = ClusterStats.from_nodes(nodes)
    vals = st.values()
    rows = [("Field", "Value", "Weight")]
    for (name, w, _, _), v in zip(METRICS, vals):
        rows.append((name, "%.8f" % v, "x%.2f" % w))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    out = []
    for r in rows:
        out.append("%s%-*s %*s %*s" % (prefix, w0, r[0], w1, r[1], w2, r[2]))
    return "\n".join(out)


def _gen_score_fn(k: int):
    """An unrolled ``score_after`` for exactly ``k`` changes.

    Same operations in the same order as ``score_after`` (so the same
    floating-point results), without the loops and lookups.
    """
    args = ", ".join("c%d" % j for j in range(k))
    lines = ["def fn(st, %s):" % args]
    for j in range(k):
        lines.append("    ov%d, nv%d, on%d = c%d" % (j, j, j, j))
    lines.append("    sq = _SQRT")
    terms = []
    for i, (_, w, kind, for_online) in enumerate(METRICS):
        if kind == STD:
            lines.append("    n, s, var = st[%d]" % i)
            for j in range(k):
                cond = "on%d" % j if for_online else "not on%d" % j
                lines += [
                    "    x = ov%d[%d]" % (j, i),
                    "    y = nv%d[%d]" % (j, i),
                    "    if %s and x != y:" % cond,
                    "        ds = y - x",
                    "        var = var + ((n * (y * y - x * x) - 2 * s * ds)"
                    " - ds * ds) / (n * n)",
                    "        s = s + ds",
                    "        if not var > 0:",
                    "            var = 0.0 if var == var else var",
                ]
            lines.append("    v%d = sq(var) if var == var else var" % i)
        elif kind == SUM:
            lines.append("    v = st[%d]" % i)
            for j in range(k):
                cond = "on%d" % j if for_online else "not on%d" % j
                lines.append("    if %s:" % cond)
                lines.append("        v = v + nv%d[%d] - ov%d[%d]"
                             % (j, i, j, i))
            lines.append("    v%d = v" % i)
        else:
            lines.append("    m = st[%d]" % i)
            lines.append("    if %s:" % " or ".join(
                "(on%d and ov%d[%d] is not nv%d[%d])" % (j, j, i, j, i)
                for j in range(k)))
            lines.append("        m = _merge_maps(m, [%s])" % ", ".join(
                "(on%d, ov%d[%d], nv%d[%d])" % (j, j, i, j, i)
                for j in range(k)))
            lines.append("    v%d = _map_value(m)" % i)
        terms.append((w, i))
    lines.append("    total = 0.0")
    for w, i in terms:
        lines.append("    total += %r * v%d" % (w, i))
    lines.append("    return total")
    env = {"_SQRT": _SQRT, "_merge_maps": _merge_maps,
           "_map_value": _map_value}
    exec("\n".join(lines), env)  # noqa: S102 - generated from METRICS only
    return env["fn"]


def _merge_maps(m: dict, changes: list) -> dict:
    m = dict(m)
    for online, old, new in changes:
        if online and old is not new:
            for key, v in old.items():
                m[key] = m.get(key, 0) - v
            for key, v in new.items():
                m[key] = m.get(key, 0) + v
    return m


def _map_value(m: dict) -> float:
    return float(sum(m.values()) - len(m))


_SCORE_FNS: list = [None, None, None, None]


def score_changes(stats: "ClusterStats", changes: list) -> float:
    """``score_after`` through the unrolled functions (1 to 3 changes)."""
    k = len(changes)
    if 0 < k <= 3:
        fn = _SCORE_FNS[k]
        if fn is None:
            fn = _SCORE_FNS[k] = _gen_score_fn(k)
        return fn(stats.stats, *changes)
    return score_after(stats, changes)
