"""Placing new instances and evacuating existing ones (hail, hspace).

Owns the allocation search (every node, or every primary/secondary pair in
one group, scored by the cluster score; on equal scores the later candidate
wins, as in the reference), the choice between groups, relocation of a
secondary, and node evacuation with the opcodes Ganeti runs for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ganeti.htools import balance, metrics
from ganeti.htools.model import (ALLOC_POLICY_ORDER, FAIL_MODES, Instance,
                                 inst_matches_policy)


@dataclass
class AllocSolution:
    """Result of trying one instance on one group."""
    failures: list = field(default_factory=list)
    allocs: int = 0
    best: Optional[tuple] = None  # (changes [(idx, old, new)], nodes, score)


def _better(old: Optional[tuple], new: tuple) -> tuple:
    # the new candidate wins unless the old one is strictly better
    if old is not None and old[2] < new[2]:
        return old
    return new


def try_alloc(nodes: list, node_ids: list, inst: Instance,
              required: int) -> AllocSolution:
    """Tries ``inst`` on all nodes (or node pairs) of ``node_ids``."""
    sol = AllocSolution()
    online = [x for x in node_ids if not nodes[x].offline]
    if required == 1:
        for p in online:
            tgt = nodes[p]
            err = inst_matches_policy(inst, tgt.ipolicy, tgt.excl_storage)
            if err:
                sol.failures.append(err)
                continue
            new_p = tgt.add_pri(inst)
            if isinstance(new_p, str):
                sol.failures.append(new_p)
                continue
            trial = [nodes[x] if x != p else new_p for x in node_ids]
            score = metrics.comp_cv(trial)
            sol.allocs += 1
            sol.best = _better(sol.best, ([(p, tgt, new_p)], [p], score))
        return sol
    stats = metrics.ClusterStats.from_nodes([nodes[x] for x in node_ids])
    for p in online:
        tgt_p = nodes[p]
        # the policy and the primary do not depend on the secondary
        err = inst_matches_policy(inst, tgt_p.ipolicy, tgt_p.excl_storage)
        new_p = None if err else tgt_p.add_pri(inst)
        st_p = None
        if new_p is not None and not isinstance(new_p, str):
            st_p = stats.copy()
            st_p.update(tgt_p, new_p)
        for s in online:
            if s == p or nodes[s].group != tgt_p.group:
                continue
            if err:
                sol.failures.append(err)
                continue
            if isinstance(new_p, str):
                sol.failures.append(new_p)
                continue
            tgt_s = nodes[s]
            new_s = tgt_s.add_sec(inst, p)
            if isinstance(new_s, str):
                sol.failures.append(new_s)
                continue
            st = st_p.copy()
            st.update(tgt_s, new_s)
            sol.allocs += 1
            sol.best = _better(sol.best, ([(p, tgt_p, new_p),
                                           (s, tgt_s, new_s)], [p, s],
                                          st.score()))
    return sol


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
    counts = {}
    for f in failures:
        counts[f] = counts.get(f, 0) + 1
    return ", ".join("%s: %d" % (m, counts[m]) for m in FAIL_MODES
                     if counts.get(m))


def group_nodes(cd, gdx: int) -> list:
    return [n.idx for n in cd.nodes if n.group == gdx]


def alloc_best_group(cd, nodes: list, inst: Instance, required: int,
                     group_name: Optional[str] = None):
    """Allocates on the best group; returns (group idx, solution, log)."""
    results = []
    log = []
    for g in cd.groups:
        if group_name is not None and g.name != group_name:
            continue
        ids = [x for x in range(len(nodes)) if nodes[x].group == g.idx]
        sol = try_alloc(nodes, ids, inst, required)
        log.append("Group %s (%s): %s" % (g.name, g.alloc_policy,
                                          describe(sol, nodes)))
        if sol.best is not None and g.is_allocable():
            results.append((g, sol))
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


# ---------------------------------------------------------------------------
# evacuation

def _migrate_op(name: str) -> dict:
    return {"OP_ID": "OP_INSTANCE_MIGRATE", "instance_name": name,
            "allow_runtime_changes": False, "ignore_ipolicy": False,
            "cleanup": False, "allow_failover": True,
            "ignore_hvversions": True}


def _replace_op(name: str, node: str) -> dict:
    return {"OP_ID": "OP_INSTANCE_REPLACE_DISKS", "instance_name": name,
            "early_release": False, "ignore_ipolicy": False,
            "mode": "replace_new_secondary", "disks": [],
            "remote_node": node}


def move_ops(move: tuple, name: str, names: list) -> list:
    kind = move[0]
    if kind == balance.FAILOVER:
        return [_migrate_op(name)]
    if kind == balance.REPLACE_SECONDARY:
        return [_replace_op(name, names[move[1]])]
    return []


class EvacError(Exception):
    pass


def _group_score(nodes: list, gdx: int) -> float:
    return metrics.comp_cv([n for n in nodes if n.group == gdx])


def _apply(nodes: list, insts: list, inst: Instance, move: tuple):
    res = balance.apply_move(nodes, inst, move, False)
    if isinstance(res, str):
        raise EvacError(res)
    changes, ni, _, _ = res
    new_nodes = apply_changes(nodes, changes)
    new_insts = list(insts)
    new_insts[ni.idx] = ni
    return new_nodes, new_insts, ni


def evac_secondary(nodes, insts, inst, gdx, avail):
    best = None
    err = "no nodes available"
    for t in avail:
        res = balance.apply_move(nodes, inst, (balance.REPLACE_SECONDARY, t),
                                 False)
        if isinstance(res, str):
            if best is None:
                err = "Node %s failed: %s" % (nodes[t].name, res)
            continue
        nn = apply_changes(nodes, res[0])
        cv = _group_score(nn, gdx)
        if best is None or not best[2] < cv:
            best = (nn, res[1], cv, t)
    if best is None:
        raise EvacError("Can't find any good node: " + err)
    return best


def node_evacuate(cd, names: list, mode: str):
    """Computes a node-evacuate answer: (moved, failed, jobs, nodes)."""
    nodes = list(cd.nodes)
    insts = list(cd.instances)
    byname = {i.name: i.idx for i in insts}
    idxs = [byname[n] for n in names]
    evac = set()
    for x in idxs:
        i = insts[x]
        if mode == "primary-only":
            evac.add(i.pnode)
        elif mode == "secondary-only":
            evac.add(i.snode)
        else:
            evac.update([i.pnode, i.snode])
    evac.discard(-1)
    excl = evac | {n.idx for n in nodes if n.offline}
    nnames = [n.name for n in nodes]
    moved, failed, jobs = [], [], []
    for x in idxs:
        inst = insts[x]
        gdx = nodes[inst.pnode].group
        avail = [n.idx for n in nodes if n.group == gdx
                 and n.idx not in excl and n.idx != inst.pnode]
        try:
            if inst.disk_template != "drbd":
                raise EvacError("Instances with disk template '%s' are not"
                                " supported yet" % inst.disk_template)
            if mode == "secondary-only":
                nn, ni, _, t = evac_secondary(nodes, insts, inst, gdx, avail)
                ops = move_ops((balance.REPLACE_SECONDARY, t), inst.name,
                               nnames)
                nodes = nn
                insts = list(insts)
                insts[ni.idx] = ni
            elif mode == "primary-only":
                try:
                    nodes, insts, ni = _apply(nodes, insts, inst,
                                              (balance.FAILOVER,))
                except EvacError as err:
                    raise EvacError(str(err)) from None
                ops = move_ops((balance.FAILOVER,), inst.name, nnames)
            else:
                nodes, insts, ni, ops = _evac_all(nodes, insts, inst, gdx,
                                                  avail, nnames)
            moved.append([inst.name, cd.groups[gdx].name,
                          [nnames[y] for y in ni.all_nodes()]])
            jobs.append(ops)
        except EvacError as err:
            failed.append([inst.name, str(err)])
    return moved, failed, jobs, nodes


def _evac_all(nodes, insts, inst, gdx, avail, nnames):
    best = None
    last_err = "no nodes available"
    for tp in avail:
        for ts in avail:
            if tp == ts:
                continue
            try:
                n1, i1, inst1 = nodes, insts, inst
                pre = []
                if nodes[inst.pnode].offline:
                    n1, i1, inst1 = _apply(n1, i1, inst1,
                                           (balance.FAILOVER,))
                    pre = [(balance.FAILOVER,)]
                n2, i2, inst2 = _apply(n1, i1, inst1,
                                       (balance.REPLACE_SECONDARY, tp))
                n3, i3, inst3 = _apply(n2, i2, inst2, (balance.FAILOVER,))
                n4, i4, inst4 = _apply(n3, i3, inst3,
                                       (balance.REPLACE_SECONDARY, ts))
            except EvacError as err:
                if best is None:
                    last_err = str(err)
                continue
            cv = _group_score(n4, gdx)
            if best is None or not best[4] < cv:
                seq = pre + [(balance.REPLACE_SECONDARY, tp),
                             (balance.FAILOVER,),
                             (balance.REPLACE_SECONDARY, ts)]
                best = (n4, i4, inst4, seq, cv)
    if best is None:
        raise EvacError("Can't find any good nodes for relocation: "
                        + last_err)
    ops = []
    for mv in best[3]:
        ops.extend(move_ops(mv, inst.name, nnames))
    return best[0], best[1], best[2], ops


def relocate(cd, name: str, exclude: list):
    """New secondary for a drbd instance; returns (node idx, score)."""
    nodes = cd.nodes
    inst = next(i for i in cd.instances if i.name == name)
    gdx = nodes[inst.pnode].group
    ex = set(exclude) | {inst.pnode}
    ids = [n.idx for n in nodes if n.group == gdx]
    best = None
    failures = []
    for t in ids:
        if nodes[t].offline or t in ex:
            continue
        res = balance.apply_move(nodes, inst, (balance.REPLACE_SECONDARY, t),
                                 False)
        if isinstance(res, str):
            failures.append(res)
            continue
        nn = apply_changes(nodes, res[0])
        cv = metrics.comp_cv([nn[x] for x in ids])
        best = _better(best, (res[0], [t], cv))
    return best, failures
