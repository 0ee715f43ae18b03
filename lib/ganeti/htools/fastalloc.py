"""Vectorised scoring of DRBD allocation pairs (numpy).

Owns the fast path of ``alloc.try_alloc`` for two-node allocations: the
failure mode and the cluster score of every (primary, secondary) pair,
computed as 2-D arrays (primaries x secondaries).  A secondary's new metric
values depend on the primary only through the memory it already reserves
for that primary (sparse; those pairs are recomputed one by one), so the
grid is built from per-primary and per-secondary vectors.  Every
array operation is the same IEEE operation, in the same order, as the
scalar path (``Node.add_sec``, ``metrics.node_values``,
``metrics.score_changes``), so scores, ties (the last of equal scores
wins: primaries in order, secondaries in order) and failure counts are
identical.  ``applicable`` says when the fast path may be used (plain
numbers only: no forthcoming instance, no exclusive storage, no location
tags, no zero totals), otherwise the caller uses the scalar path.

It never changes the nodes it is given, and relies on the model's rule
that nodes are not changed in place either: per-node figures and the
last node list's checks are cached by identity.
"""

from __future__ import annotations

import bisect
import operator
import os
import sys

from ganeti.htools import balance, loader, metrics

if "numpy" not in sys.modules:
    # no linear algebra here: OpenBLAS's worker threads and their buffers
    # would only add to the import (tens of milliseconds)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# numpy's import creates tens of thousands of long-lived objects
with loader.gc_paused(freeze=True):
    import numpy as np
from ganeti.htools.model import FAIL_DISK, FAIL_MEM, inst_matches_policy

_STD, _SUM, _MAP = metrics.STD, metrics.SUM, metrics.MAP
# node value columns changed by adding a secondary
_COLS = (1, 2, 3, 9, 11, 12, 14, 16, 17, 19)
# (metric, weight, kind, for online nodes, changed by the secondary)
_PLAN = tuple((i, w, kind, onl, i in _COLS) for i, (_, w, kind, onl) in enumerate(metrics.METRICS))
# node values without the map column, as float arrays
_MAP_COL = 18
_VCOL = tuple(i if i < _MAP_COL else i - 1 for i in range(metrics.N_METRICS))

# fields of a node record (see _record); then the old values of _COLS
(
    _F_DSK,
    _LO_DSK,
    _T_DSK,
    _ISP,
    _HISP,
    _UNALLOC,
    _R_MEM,
    _FAIL_N1,
    _T_MEM,
    _CNT,
    _D1,
    _D2,
    _F_DSK_FORTH,
    _ISP_FORTH,
    _F_MEM_FORTH,
) = range(15)
_OLD = {c: 15 + k for k, c in enumerate(_COLS)}
# integers are kept as doubles: exact below 2**53
_INT_LIMIT = 2.0**52

# grid elements per chunk of primaries (keeps the temporaries in cache)
_CHUNK = 1 << 15


def _plain_node(n) -> bool:
    return not (
        n.excl_storage
        or n.offline
        or not n.hi_spindles
        or not n.t_dsk
        or not n.t_mem
        or not n.util_pool[2]
        or not abs(n.f_dsk) < _INT_LIMIT
        or not abs(n.f_dsk_forth) < _INT_LIMIT
        or not abs(n.f_mem_forth) < _INT_LIMIT
    )


# (nodes list, copy of it, indices of nodes the grids cannot take)
_BAD_CACHE: list = [None, None, None]


def _bad_nodes(nodes: list):
    """Indices of the nodes the grids cannot take; None: location tags."""
    c = _BAD_CACHE
    if c[0] is nodes and c[1] == nodes:
        return c[2]
    bad: set = set()
    for k, n in enumerate(nodes):
        if n.location_tags:
            bad = None
            break
        if not _plain_node(n):
            bad.add(k)
    c[0], c[1], c[2] = nodes, list(nodes), bad
    return bad


def applicable(nodes: list, inst, targets) -> bool:
    if inst.forthcoming or not inst.has_secondary():
        return False
    if not inst.uses_local_storage():
        return False
    if not (abs(inst.dsk) < _INT_LIMIT and abs(inst.mem) < _INT_LIMIT):
        return False
    bad = _bad_nodes(nodes)
    if bad is None:
        return False
    if not bad:
        return True
    for p, secs in targets:
        if p in bad or not bad.isdisjoint(secs):
            return False
    return True


_REC_CACHE: dict = {}
_OLD_VALUES = operator.itemgetter(*_COLS)


def _record(nd) -> tuple:
    """The numbers of ``nd`` the secondary side needs (cached per node)."""
    hit = _REC_CACHE.get(id(nd))
    if hit is not None and hit[0] is nd:
        return hit[1]
    v = balance._values(nd)
    rec = (
        nd.f_dsk,
        nd.lo_dsk,
        nd.t_dsk,
        nd.inst_spindles,
        nd.hi_spindles,
        nd.unallocated_mem(),
        nd.r_mem,
        1.0 if nd.fail_n1 else 0.0,
        nd.t_mem,
        len(nd.plist) + len(nd.slist) + 1,
        nd.util_load[2],
        nd.util_pool[2],
        nd.f_dsk_forth,
        nd.inst_spindles_forth,
        nd.f_mem_forth,
    ) + _OLD_VALUES(v)
    if len(_REC_CACHE) > 20000:
        _REC_CACHE.clear()
    _REC_CACHE[id(nd)] = (nd, rec)
    return rec


def _float_rows(vals: list) -> np.ndarray:
    """Node value tuples as a float array (the map column left out)."""
    return np.array([v[:_MAP_COL] + v[_MAP_COL + 1 :] for v in vals], dtype=np.float64)


class _Inst:
    """The instance numbers the secondary side needs."""

    __slots__ = ("dsk", "sec_mem", "su", "util2", "strict")

    def __init__(self, inst, force: bool) -> None:
        self.dsk = inst.dsk
        self.sec_mem = inst.mem if inst.uses_sec_mem() else 0
        self.su = inst.spindle_use
        self.util2 = inst.util[2]
        self.strict = not force


def _sec_side(ins: _Inst, c, new_rmem):
    """Failure codes and new values of secondaries (``Node.add_sec``).

    ``c`` is the record array (fields first), ``new_rmem`` the new
    reservation.  Codes: 0 success, 1 FailDisk, 2 FailMem.
    """
    new_dsk = c[_F_DSK] - ins.dsk
    new_isp = c[_ISP] + ins.su
    old_mem = c[_UNALLOC]
    new_failn1 = old_mem <= new_rmem
    lo = c[_LO_DSK]
    hisp = c[_HISP]
    new_dsk_forth = c[_F_DSK_FORTH] - ins.dsk
    new_isp_forth = c[_ISP_FORTH] + ins.su
    sec_mem = ins.sec_mem
    conds = [(new_dsk <= 0, 1)]
    if ins.strict:
        conds += [
            (new_dsk < lo, 1),
            (new_isp > hisp, 1),
            (sec_mem >= old_mem, 2),
            (new_failn1 & (c[_FAIL_N1] == 0.0), 2),
            ((new_dsk_forth <= 0) | (new_dsk_forth < lo), 1),
            (new_isp_forth > hisp, 1),
            (sec_mem >= c[_F_MEM_FORTH], 2),
        ]
    code = np.zeros(new_dsk.shape, dtype=np.int8)
    # the first failing check decides
    for mask, k in reversed(conds):
        code[mask] = k
    t_dsk = c[_T_DSK]
    p_rem = new_rmem / c[_T_MEM]
    new = {
        1: new_dsk / t_dsk,
        2: np.where(new_failn1, c[_CNT], 0.0),
        3: p_rem,
        9: (c[_D1] + ins.util2) / c[_D2],
        11: c[_OLD[11]],
        12: new_isp / hisp,
        14: new_dsk_forth / t_dsk,
        16: new_isp_forth / hisp,
        17: c[_OLD[17]],
        19: p_rem,
    }
    return code, new


def _col_terms(st: list, c, new: dict, ix=None) -> dict:
    """Per changed metric, the secondary-only parts of the update.

    STD: (ds, n * (y * y - x * x), ds * ds, x != y, all changed);
    SUM: (y, x).  ``ix`` selects columns of ``c`` and ``new``.
    """
    out = {}
    for i, _, kind, _, changed in _PLAN:
        if not changed:
            continue
        x = c[_OLD[i]]
        y = new[i]
        if ix is not None:
            x = x[ix]
            y = y[ix]
        if kind == _STD:
            n = st[i][0]
            ds = y - x
            chg = x != y
            out[i] = (ds, n * (y * y - x * x), ds * ds, chg, bool(chg.all()))
        else:
            out[i] = (y, x)
    return out


def _const(a):
    """``a`` as a scalar when all its elements have the same bits."""
    if not isinstance(a, np.ndarray):
        return a
    bits = a.view(np.int64)
    if len(bits) and (bits == bits[0]).all():
        return float(a[0])
    return a


def _row_side(st: list, ovs: list, nvs: list) -> list:
    """Per metric, the primaries' part of the score (``score_changes``).

    Unchanged by the secondary: the metric's final value; STD: (variance,
    sum, count) after the primary's change; SUM: the value after it.
    Each is a scalar when equal for all primaries, else an array.
    """
    ov = _float_rows(ovs)
    nv = _float_rows(nvs)
    out = []
    for i, _, kind, onl, changed in _PLAN:
        if kind == _STD:
            n, s, var = st[i]
            if onl:
                x = ov[:, _VCOL[i]]
                y = nv[:, _VCOL[i]]
                chg = x != y
                if chg.any():
                    ds = y - x
                    var_u = var + ((n * (y * y - x * x) - 2 * s * ds) - ds * ds) / (n * n)
                    var_u = np.where(var_u > 0, var_u, np.where(var_u == var_u, 0.0, var_u))
                    var = _const(np.where(chg, var_u, var))
                    s = _const(np.where(chg, s + ds, s))
            if changed:
                out.append((var, s, n))
            elif isinstance(var, np.ndarray):
                out.append(np.where(var == var, np.sqrt(var), var))
            else:
                out.append(metrics._SQRT(var) if var == var else var)
        elif kind == _SUM:
            v = st[i]
            if onl:
                v = _const((v + nv[:, _VCOL[i]]) - ov[:, _VCOL[i]])
            out.append(v)
        else:
            m = st[i]
            vals = []
            for x, y in zip(ovs, nvs):
                if onl and x[i] is not y[i]:
                    vals.append(metrics._map_value(metrics._merge_maps(m, [(True, x[i], y[i])])))
                else:
                    vals.append(None)
            base = metrics._map_value(m)
            if any(v is not None for v in vals):
                out.append(
                    _const(np.array([base if v is None else v for v in vals], dtype=np.float64))
                )
            else:
                out.append(base)
    return out


def _ip(fn, a, b, v):
    """``fn(a, b)``, into ``v`` (a temporary) when the shapes allow it."""
    if v.shape == np.broadcast_shapes(np.shape(a), np.shape(b)):
        return fn(a, b, out=v)
    return fn(a, b)


def _keep(v: np.ndarray, chg: np.ndarray, var) -> None:
    """``v = where(chg, v, var)`` in place (``chg`` indexes v's last axis)."""
    same = ~chg
    if v.ndim == 2:
        v[:, same] = var
    elif isinstance(var, np.ndarray):
        v[same] = var[same]
    else:
        v[same] = var


def _scores(rows: list, cols: dict, take, shape) -> np.ndarray:
    """The scores of a grid: ``take`` shapes a row-side array.

    Same operations, in the same order, as ``metrics.score_changes`` with
    the primary's change first and the secondary's second.
    """
    total = 0.0
    own = False  # total is a full-shape array of ours
    for i, w, kind, _, changed in _PLAN:
        r = rows[i]
        if not changed:
            v = take(r)
            tmp = False
        elif kind == _STD:
            var, s, n = r
            ds, a, dd, chg, all_chg = cols[i]
            var = take(var)
            v = np.multiply(take(2 * s), ds)
            v = _ip(np.subtract, a, v, v)
            np.subtract(v, dd, out=v)
            np.divide(v, n * n, out=v)
            v = _ip(np.add, var, v, v)
            # var > 0 ? var : (0.0 unless NaN); a -0.0 kept here ends as
            # a -0.0 term, which adds nothing to a total (never -0.0)
            if not v.min() > 0:  # (the min is NaN when any is)
                np.maximum(v, 0.0, out=v)
            if not all_chg:
                _keep(v, chg, var)
            np.sqrt(v, out=v)
            tmp = True
        else:
            y, x = cols[i]
            v = np.add(take(r), y)
            np.subtract(v, x, out=v)
            tmp = True
        if tmp and isinstance(v, np.ndarray):
            np.multiply(v, w, out=v)
            t = v
        else:
            t = w * v
        if own:
            np.add(total, t, out=total)
        else:
            total = total + t
            own = isinstance(total, np.ndarray) and total.shape == shape
    if not own:
        total = np.broadcast_to(total, shape).copy()
    return total


class _Block:
    """Primaries sharing their secondaries: each primary p takes the node
    list ``f`` without p (in f's order) as secondaries."""

    __slots__ = ("f", "pos", "members", "exp", "cur")

    def __init__(self, f: list) -> None:
        self.f = f
        self.pos = {x: k for k, x in enumerate(f)}
        self.members: list = []  # (row, position of p in f or -1)
        # f without f[cur], kept up to date as the position moves
        self.cur = 0
        self.exp = f[1:]

    def without(self, i: int) -> list:
        """``f[:i] + f[i + 1:]`` (updated in place from the last one)."""
        f = self.f
        exp = self.exp
        cur = self.cur
        if abs(i - cur) > 16:
            exp[:] = f[:i] + f[i + 1 :]
        elif i > cur:
            exp[cur:i] = f[cur:i]
        elif i < cur:
            exp[i:cur] = f[i + 1 : cur + 1]
        self.cur = i
        return exp

    def takes(self, p, secs: list):
        """The position of p in f (-1: p not in f) if p's secondaries are
        the block's, else None."""
        f = self.f
        i = self.pos.get(p)
        if i is None:
            return -1 if len(secs) == len(f) and secs == f else None
        if len(secs) == len(f) - 1 and secs == self.without(i):
            return i
        return None


def _blocks(rows: list) -> list:
    """Groups primaries by their secondaries: [(F, [(row, position of p in
    F or -1)])]."""
    blocks: list = []
    for r, row in enumerate(rows):
        p, secs = row[0], row[1]
        for b in blocks:
            i = b.takes(p, secs)
            if i is not None:
                b.members.append((r, i))
                break
        else:
            secs = list(secs)
            if p in secs:
                f = secs
                i = -1
            else:
                i = bisect.bisect_left(secs, p)
                f = secs[:i] + [p] + secs[i:]
            b = _Block(f)
            b.members.append((r, i))
            blocks.append(b)
            continue
        # the block that matched goes first for the next primary
        if blocks[0] is not b:
            blocks.remove(b)
            blocks.insert(0, b)
    return [(b.f, b.members) for b in blocks]


def _best_of(scs: list):
    """(k, j) of the candidate the scalar loop keeps (``not best < sc``)."""
    flat = np.concatenate(scs)
    nan = np.flatnonzero(flat != flat)
    start = 0
    if len(nan):
        if nan[-1] == len(flat) - 1:
            pick = len(flat) - 1
            start = None
        else:
            start = int(nan[-1]) + 1
    if start is not None:
        rest = flat[start:]
        mn = rest.min()
        pick = start + len(rest) - 1 - int(np.flatnonzero(rest[::-1] == mn)[0])
    k = 0
    while pick >= len(scs[k]):
        pick -= len(scs[k])
        k += 1
    return float(scs[k][pick]), k, pick


def try_pairs(nodes: list, insts: list, base, targets, stats, opts, lazy, sol) -> None:
    """The pair branch of ``alloc.try_alloc`` on score grids."""
    with loader.gc_paused():
        per_p, best, nok = _pairs(nodes, base, targets, stats, opts, sol.failures)
    from ganeti.htools import alloc

    alloc.finish_pairs(nodes, insts, per_p, best, nok, opts, lazy, sol)


def _pairs(nodes: list, base, targets, stats, opts, failures: list):
    """(per_p, best, nok) for ``alloc.finish_pairs``; extends ``failures``."""

    force = opts.force
    st = stats.stats
    vals = balance._values
    nvals = metrics.node_values
    # the primaries
    rows = []  # (p, secs, new_p, ni)
    ovs = []
    nvs = []
    fail_p = {}  # target position -> failure mode of the primary
    pol_err: dict = {}
    for t, (p, secs) in enumerate(targets):
        tgt_p = nodes[p]
        key = (id(tgt_p.ipolicy), tgt_p.excl_storage)
        hit = pol_err.get(key)
        if hit is None or hit[0] is not tgt_p.ipolicy:
            hit = pol_err[key] = (
                tgt_p.ipolicy,
                inst_matches_policy(base, tgt_p.ipolicy, tgt_p.excl_storage),
            )
        err = hit[1]
        if err:
            fail_p[t] = err
            continue
        ni = base.copy()
        ni.pnode = p
        new_p = tgt_p.add_pri(ni, force)
        if isinstance(new_p, str):
            fail_p[t] = new_p
            continue
        rows.append((p, secs, new_p, ni, t))
        ovs.append(vals(tgt_p))
        nvs.append(nvals(new_p))
    ins = _Inst(base, force)
    # per row: (codes of the secondaries F order, F array, ok mask over
    # the scored columns, scores over them, scored column ids)
    res: list = [None] * len(rows)
    if rows:
        with np.errstate(all="ignore"):
            rside = _row_side(st, ovs, nvs)
            for f, members in _blocks(rows):
                _score_block(nodes, st, ins, rows, rside, f, members, res)
    per_p = []
    best = None
    nok = 0
    scs = []
    r = 0
    for t, (p, secs) in enumerate(targets):
        err = fail_p.get(t)
        if err is not None:
            failures.extend([err] * len(secs))
            continue
        n_disk, n_mem, s_ok, sc_ok = res[r]
        _, _, new_p, ni, _ = rows[r]
        r += 1
        failures.extend([FAIL_DISK] * n_disk)
        failures.extend([FAIL_MEM] * n_mem)
        if not len(s_ok):
            continue
        nok += len(s_ok)
        per_p.append((p, new_p, ni, s_ok, sc_ok))
        scs.append(sc_ok)
    if scs and not opts.capacity:
        best = _best_of(scs)
    return per_p, best, nok


def _score_block(nodes, st, ins: _Inst, rows, rside, f, members, res) -> None:
    """Scores the primaries ``members`` against the secondaries ``f``."""
    nf = len(f)
    rec = np.array([_record(nodes[x]) for x in f], dtype=np.float64).T.copy()
    fa = np.array(f, dtype=np.int64)
    new_rmem = np.maximum(rec[_R_MEM], float(ins.sec_mem))
    code, new = _sec_side(ins, rec, new_rmem)
    okc = np.flatnonzero(code == 0)
    n_ok = len(okc)
    n_disk_all = int((code == 1).sum())
    n_mem_all = nf - n_ok - n_disk_all
    # pairs whose reservation for their primary changes the secondary
    sec_mem = ins.sec_mem
    fix_p: dict = {}
    if sec_mem > 0:
        r_mem = rec[_R_MEM]
        for k, x in enumerate(f):
            rk = r_mem[k]
            for pk, mem in nodes[x].peers.items():
                if mem + sec_mem > rk:
                    fix_p.setdefault(pk, []).append((k, mem + sec_mem))
    # row-side arrays of this block
    ridx = np.fromiter((m[0] for m in members), dtype=np.int64, count=len(members))
    brows = []
    for v in rside:
        if isinstance(v, tuple):
            brows.append(tuple(x[ridx] if isinstance(x, np.ndarray) else x for x in v))
        else:
            brows.append(v[ridx] if isinstance(v, np.ndarray) else v)
    # the grid over the columns that accept the instance
    cols = _col_terms(st, rec, new, okc)
    nr = len(members)
    scores = np.empty((nr, n_ok))
    if n_ok:
        step = max(1, _CHUNK // n_ok)
        for r0 in range(0, nr, step):
            r1 = min(nr, r0 + step)

            def take(a, r0=r0, r1=r1):
                if isinstance(a, np.ndarray):
                    return a[r0:r1, None]
                return a

            scores[r0:r1] = _scores(brows, cols, take, (r1 - r0, n_ok))
    # fixes: (block row, column in f, new reservation)
    fr = []
    fc = []
    fm = []
    for br, (r, excl) in enumerate(members):
        for k, m in fix_p.get(rows[r][0], ()):
            if k != excl:
                fr.append(br)
                fc.append(k)
                fm.append(m)
    fix_code = None
    fr_a = fc_a = None
    if fr:
        fr_a = np.asarray(fr, dtype=np.int64)
        fc_a = np.asarray(fc, dtype=np.int64)
        sub = rec[:, fc_a]
        fix_code, fnew = _sec_side(ins, sub, np.asarray(fm, dtype=np.float64))
        good = np.flatnonzero(fix_code == 0)
        if len(good):
            g_r = fr_a[good]

            def take_fix(a):
                if isinstance(a, np.ndarray):
                    return a[g_r]
                return a

            fcols = _col_terms(st, sub, fnew, good)
            fsc = _scores(brows, fcols, take_fix, (len(good),))
            # the fixed columns all accept the instance without the fix
            cpos = np.searchsorted(okc, fc_a[good])
            scores[g_r, cpos] = fsc
    # per row: failure counts, accepted secondaries and their scores
    okmask = np.ones((nr, n_ok), dtype=bool)
    n_disk = np.full(nr, n_disk_all, dtype=np.int64)
    n_mem = np.full(nr, n_mem_all, dtype=np.int64)
    # the primary itself is no secondary
    ex_r = np.fromiter((br for br, (_, e) in enumerate(members) if e >= 0), dtype=np.int64)
    ex_c = np.fromiter((e for _, e in members if e >= 0), dtype=np.int64)
    if len(ex_r):
        ex_code = code[ex_c]
        is_ok = ex_code == 0
        okmask[ex_r[is_ok], np.searchsorted(okc, ex_c[is_ok])] = False
        np.subtract.at(n_disk, ex_r[ex_code == 1], 1)
        np.subtract.at(n_mem, ex_r[ex_code == 2], 1)
    if fr:
        # a failing fix replaces the column's code
        bad = np.flatnonzero(fix_code != 0)
        b_r = fr_a[bad]
        b_c = fc_a[bad]
        old = code[b_c]
        new_c = fix_code[bad]
        was_ok = old == 0
        okmask[b_r[was_ok], np.searchsorted(okc, b_c[was_ok])] = False
        np.subtract.at(n_disk, b_r[old == 1], 1)
        np.subtract.at(n_mem, b_r[old == 2], 1)
        np.add.at(n_disk, b_r[new_c == 1], 1)
        np.add.at(n_mem, b_r[new_c == 2], 1)
    counts = okmask.sum(axis=1)
    ends = np.cumsum(counts).tolist()
    s_flat = np.broadcast_to(fa[okc], (nr, n_ok))[okmask]
    sc_flat = scores[okmask]
    a = 0
    for br, (r, _) in enumerate(members):
        b = ends[br]
        res[r] = (int(n_disk[br]), int(n_mem[br]), s_flat[a:b], sc_flat[a:b])
        a = b
