"""Moving existing instances: relocation, node evacuation, change-group.

Owns hail's relocate, node-evacuate and change-group answers (the chosen
nodes, the failures and the opcodes Ganeti runs for each move).  The
allocation search itself lives in ``alloc``.

It never prints; it works on copies of the node and instance lists.
"""

from __future__ import annotations

from ganeti.htools import balance, metrics
from ganeti.htools.model import Instance
from ganeti.htools.alloc import (AllocOptions, _better, apply_changes,
                                 find_best_group)

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


def change_group(cd, names: list, targets: list, opts: AllocOptions):
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
    want = [gby[t] for t in targets if t in gby] if targets else \
        [g.idx for g in cd.groups]
    target_g = [g for g in want if g not in evac_g]
    nnames = [n.name for n in nodes]
    moved, failed, jobs = [], [], []
    for x in idxs:
        inst = insts[x]
        gdx, sol, log = find_best_group(cd, nodes, insts, inst,
                                        inst.required_nodes(), opts,
                                        target_g)
        if sol is None:
            if not log:
                failed.append([inst.name, "no groups for evacuation"])
            else:
                failed.append([inst.name, ", ".join(log)])
            continue
        avail = [n.idx for n in nodes if n.group == gdx and not n.offline]
        try:
            if inst.disk_template != "drbd":
                if inst.mirror_type() == 0:
                    raise EvacError("Can't relocate/evacuate non-mirrored"
                                    " instances")
                raise EvacError("Instances with disk template '%s' are not"
                                " supported yet" % inst.disk_template)
            nodes, insts, ni, ops = _evac_all(nodes, insts, inst, gdx, avail,
                                              nnames)
        except EvacError as err:
            failed.append([inst.name, str(err)])
            continue
        moved.append([inst.name, cd.groups[gdx].name,
                      [nnames[y] for y in ni.all_nodes()]])
        jobs.append(ops)
    return moved, failed, jobs
