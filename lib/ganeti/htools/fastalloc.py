"""Vectorised scoring of DRBD allocation pairs (numpy).

Owns the fast path of ``alloc.try_alloc`` for two-node allocations: for
each primary, the secondary's new metric values, its failure mode and the
candidate's cluster score are computed for all secondaries at once.  Every
array operation is the same IEEE operation, in the same order, as the
scalar path (``Node.add_sec``, ``metrics.node_values``,
``metrics.score_changes``), so scores, ties and failure counts are
identical; ``applicable`` says when the fast path may be used (plain
numbers only: no forthcoming instance, no exclusive storage, no zero
totals), otherwise the caller uses the scalar path.

It never changes the nodes it is given.
"""

from __future__ import annotations

import numpy as np

from ganeti.htools import metrics
from ganeti.htools.model import FAIL_DISK, FAIL_MEM

_STD, _SUM, _MAP = metrics.STD, metrics.SUM, metrics.MAP
# node value columns changed by adding a secondary
_COLS = (1, 2, 3, 9, 11, 12, 14, 16, 17, 19)


def applicable(nodes: list, inst, targets) -> bool:
    if inst.forthcoming or not inst.has_secondary():
        return False
    if not inst.uses_local_storage():
        return False
    seen = set()
    if any(n.location_tags for n in nodes):
        return False
    for p, secs in targets:
        seen.add(p)
        seen.update(secs)
    for x in seen:
        n = nodes[x]
        if (
            n.excl_storage
            or n.offline
            or not n.hi_spindles
            or not n.t_dsk
            or not n.t_mem
            or not n.util_pool[2]
        ):
            return False
    return True


class PairScorer:
    """Per-node arrays of one base state, for one instance."""

    def __init__(self, nodes: list, stats, inst, force: bool) -> None:
        self.nodes = nodes
        self.stats = stats
        self.strict = not force
        n = len(nodes)
        f = np.empty
        self.f_dsk = f(n, dtype=np.int64)
        self.lo_dsk = f(n, dtype=np.int64)
        self.t_dsk = f(n)
        self.isp = f(n)
        self.hisp = f(n)
        self.unalloc = f(n, dtype=np.int64)
        self.r_mem = f(n, dtype=np.int64)
        self.fail_n1 = f(n, dtype=bool)
        self.t_mem = f(n)
        self.cnt = f(n)
        self.d1 = f(n)
        self.d2 = f(n)
        self.f_dsk_forth = f(n, dtype=np.int64)
        self.isp_forth = f(n)
        self.f_mem_forth = f(n, dtype=np.int64)
        self.vals = np.zeros((n, metrics.N_METRICS))
        # primary -> [(secondary, memory reserved for it)]
        self.inv_peers: dict = {}
        for k, nd in enumerate(nodes):
            for pk, mem in nd.peers.items():
                self.inv_peers.setdefault(pk, []).append((k, mem))
            self.f_dsk[k] = nd.f_dsk
            self.lo_dsk[k] = nd.lo_dsk
            self.t_dsk[k] = nd.t_dsk
            self.isp[k] = nd.inst_spindles
            self.hisp[k] = nd.hi_spindles
            self.unalloc[k] = nd.unallocated_mem()
            self.r_mem[k] = nd.r_mem
            self.fail_n1[k] = nd.fail_n1
            self.t_mem[k] = nd.t_mem
            self.cnt[k] = len(nd.plist) + len(nd.slist) + 1
            self.d1[k] = nd.util_load[2]
            self.d2[k] = nd.util_pool[2]
            self.f_dsk_forth[k] = nd.f_dsk_forth
            self.isp_forth[k] = nd.inst_spindles_forth
            self.f_mem_forth[k] = nd.f_mem_forth
            v = metrics.node_values(nd)
            for c in _COLS:
                self.vals[k, c] = v[c]
        self.dsk = inst.dsk
        self.sec_mem = inst.mem if inst.uses_sec_mem() else 0
        self.su = inst.spindle_use
        self.util2 = inst.util[2]

    def score_secondaries(self, p: int, secs: np.ndarray, ch_p: tuple):
        """(failure codes, scores) of the pairs (p, s) for s in ``secs``.

        Codes: 0 success, 1 FailDisk, 2 FailMem.
        """
        peem = np.zeros(len(secs), dtype=np.int64)
        for s, mem in self.inv_peers.get(p, ()):
            j = int(np.searchsorted(secs, s))
            if j < len(secs) and secs[j] == s:
                peem[j] = mem
        peem += self.sec_mem
        new_dsk = self.f_dsk[secs] - self.dsk
        new_isp = self.isp[secs] + self.su
        new_rmem = np.maximum(self.r_mem[secs], peem)
        old_mem = self.unalloc[secs]
        new_failn1 = old_mem <= new_rmem
        lo = self.lo_dsk[secs]
        hisp = self.hisp[secs]
        new_dsk_forth = self.f_dsk_forth[secs] - self.dsk
        new_isp_forth = self.isp_forth[secs] + self.su
        code = np.zeros(len(secs), dtype=np.int8)
        conds = [(new_dsk <= 0, 1)]
        if self.strict:
            conds += [
                (new_dsk < lo, 1),
                (new_isp > hisp, 1),
                (self.sec_mem >= old_mem, 2),
                (new_failn1 & ~self.fail_n1[secs], 2),
                ((new_dsk_forth <= 0) | (new_dsk_forth < lo), 1),
                (new_isp_forth > hisp, 1),
                (self.sec_mem >= self.f_mem_forth[secs], 2),
            ]
        for mask, c in conds:
            code = np.where((code == 0) & mask, c, code)
        t_dsk = self.t_dsk[secs]
        old = self.vals[secs]
        new = {
            1: new_dsk / t_dsk,
            2: np.where(new_failn1, self.cnt[secs], 0.0),
            3: new_rmem / self.t_mem[secs],
            9: (self.d1[secs] + self.util2) / self.d2[secs],
            12: new_isp / hisp,
            14: new_dsk_forth / t_dsk,
            16: new_isp_forth / hisp,
            11: old[:, 11],
            17: old[:, 17],
        }
        new[19] = new[3]
        return code, self._scores(ch_p, old, new)

    def _scores(self, ch_p: tuple, old: np.ndarray, new: dict):
        st = self.stats.stats
        ovp, nvp, onp = ch_p
        total = 0.0
        for i, (_, w, kind, for_online) in enumerate(metrics.METRICS):
            applies_p = onp if for_online else not onp
            if kind == _STD:
                n, s, var = st[i]
                x = ovp[i]
                y = nvp[i]
                if applies_p and x != y:
                    ds = y - x
                    var = var + ((n * (y * y - x * x) - 2 * s * ds) - ds * ds) / (n * n)
                    s = s + ds
                    if not var > 0:
                        var = 0.0 if var == var else var
                if for_online and i in new:
                    xv = old[:, i]
                    yv = new[i]
                    dsv = yv - xv
                    var2 = var + ((n * (yv * yv - xv * xv) - 2 * s * dsv) - dsv * dsv) / (n * n)
                    var2 = np.where(var2 > 0, var2, np.where(var2 == var2, 0.0, var2))
                    var2 = np.where(xv != yv, var2, var)
                    v = np.where(var2 == var2, np.sqrt(np.abs(var2)), var2)
                else:
                    v = metrics._SQRT(var) if var == var else var
            elif kind == _SUM:
                v = st[i]
                if applies_p:
                    v = v + nvp[i] - ovp[i]
                if for_online and i in new:
                    v = v + new[i] - old[:, i]
            else:
                m = st[i]
                if onp and ovp[i] is not nvp[i]:
                    m = metrics._merge_maps(m, [(onp, ovp[i], nvp[i])])
                v = metrics._map_value(m)
            total = total + w * v
        return total


def try_pairs(nodes: list, insts: list, base, targets, stats, opts, lazy, sol) -> None:
    """The pair branch of ``alloc.try_alloc`` through ``PairScorer``."""
    from ganeti.htools import alloc
    from ganeti.htools.model import inst_matches_policy

    force = opts.force
    scorer = PairScorer(nodes, stats, base, force)
    failures = sol.failures
    per_p = []  # (p, new_p, ni, secs ok, scores ok)
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
        ch_p = (alloc._VALUES(tgt_p), metrics.node_values(new_p), not tgt_p.offline)
        sarr = np.asarray(secs, dtype=np.int64)
        code, sc = scorer.score_secondaries(p, sarr, ch_p)
        if not isinstance(sc, np.ndarray):
            sc = np.full(len(sarr), sc)
        ok = code == 0
        k_ok = int(ok.sum())
        n_disk = int((code == 1).sum())
        failures.extend([FAIL_DISK] * n_disk)
        failures.extend([FAIL_MEM] * (len(sarr) - k_ok - n_disk))
        if not k_ok:
            continue
        nok += k_ok
        s_ok = sarr[ok]
        sc_ok = sc[ok]
        per_p.append((p, new_p, ni, s_ok, sc_ok))
        if not opts.capacity:
            mn = sc_ok.min()
            # the last of equal scores wins
            j = len(sc_ok) - 1 - int(np.flatnonzero(sc_ok[::-1] == mn)[0])
            if best is None or not best[0] < mn:
                best = (float(mn), len(per_p) - 1, j)

    alloc.finish_pairs(nodes, insts, per_p, best, nok, opts, lazy, sol)
