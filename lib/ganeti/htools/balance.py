"""Instance moves and the greedy balancing search (what hbal computes).

Owns the move types, applying one move to a node list, and the search for
the best next move: for every movable instance, in instance order, the
failover first, then each target node in node order with the move types in
a fixed order; a candidate replaces the best so far only when its score is
strictly lower, so the first of equal candidates wins.

Scores of candidates come from incremental statistics (only the two or three
nodes a move touches are re-evaluated), which keeps one round linear in
instances x nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ganeti.htools import metrics
from ganeti.htools.model import (FAIL_DISK, FAIL_MEM, FAIL_SPINDLES,
                                 LOCAL_STORAGE, Instance, Node,
                                 MIRROR_EXTERNAL, MIRROR_INTERNAL,
                                 check_migration)

FAILOVER = "f"
REPLACE_PRIMARY = "rp"
REPLACE_SECONDARY = "rs"
REPLACE_AND_FAILOVER = "rf"
FAILOVER_AND_REPLACE = "fr"
FAILOVER_TO_ANY = "fa"


@dataclass
class AlgOptions:
    """Knobs of the balancing search (hbal's command line)."""
    disk_moves: bool = True
    inst_moves: bool = True
    restricted_migration: bool = False
    ignore_soft_errors: bool = False
    evac_mode: bool = False
    min_gain: float = 0.01
    min_gain_limit: float = 0.1


@dataclass
class Placement:
    """One chosen move: instance, new primary, new secondary, move, score."""
    inst: int
    pnode: int
    snode: int
    move: tuple
    score: float


@dataclass
class Table:
    """A cluster state during balancing."""
    nodes: list
    instances: list
    score: float
    placements: list = field(default_factory=list)
    stats: Optional[metrics.ClusterStats] = None
    node_ids: list = field(default_factory=list)
    inst_ids: list = field(default_factory=list)


def apply_move(nodes: list, inst: Instance, move: tuple, force: bool):
    """Applies ``move`` to ``inst``.

    Returns (changed nodes as [(idx, old, new)], new instance, new primary,
    new secondary) or a failure mode string.
    """
    kind = move[0]
    pdx = inst.pnode
    sdx = inst.snode
    if kind == FAILOVER:
        old_p = nodes[pdx]
        old_s = nodes[sdx]
        int_p = old_p.remove_pri(inst)
        int_s = old_s.remove_sec(inst)
        err = check_migration(old_p, old_s)
        if err:
            return err
        new_p = int_s.add_pri(inst, old_p.offline or force)
        if isinstance(new_p, str):
            return new_p
        # an offline old primary takes the secondary without any check
        new_s = int_p.add_sec(inst, sdx, old_p.offline or force,
                              ignore_disks=old_p.offline)
        if isinstance(new_s, str):
            return new_s
        ni = inst.copy()
        ni.pnode, ni.snode = sdx, pdx
        return ([(pdx, old_p, new_s), (sdx, old_s, new_p)], ni, sdx, pdx)
    tdx = move[1]
    if kind == REPLACE_SECONDARY:
        old_s = nodes[sdx]
        tgt = nodes[tdx]
        pnode = nodes[pdx]
        int_s = old_s.remove_sec(inst)
        ni = inst.copy()
        ni.location_score = len(pnode.location_tags & tgt.location_tags)
        ni.snode = tdx
        new_s = tgt.add_sec(ni, pdx, old_s.offline or force)
        if isinstance(new_s, str):
            return new_s
        if ni.location_score != inst.location_score:
            pn2 = pnode.remove_pri(inst).add_pri(ni, True)
            if isinstance(pn2, str):
                return pn2
            return ([(pdx, pnode, pn2), (tdx, tgt, new_s),
                     (sdx, old_s, int_s)], ni, pdx, tdx)
        err = _readd_primary_fails(pnode, inst)
        if err:
            return err
        return ([(tdx, tgt, new_s), (sdx, old_s, int_s)], ni, pdx, tdx)
    if kind == REPLACE_AND_FAILOVER:
        old_p = nodes[pdx]
        old_s = nodes[sdx]
        tgt = nodes[tdx]
        int_p = old_p.remove_pri(inst)
        int_s = old_s.remove_sec(inst)
        ni = inst.copy()
        ni.location_score = len(int_s.location_tags & tgt.location_tags)
        ni.pnode, ni.snode = tdx, pdx
        err = check_migration(old_p, tgt)
        if err:
            return err
        new_p = tgt.add_pri(ni, force)
        if isinstance(new_p, str):
            return new_p
        new_s = int_p.add_sec(ni, tdx, old_s.offline or force)
        if isinstance(new_s, str):
            return new_s
        return ([(tdx, tgt, new_p), (pdx, old_p, new_s),
                 (sdx, old_s, int_s)], ni, tdx, pdx)
    if kind == REPLACE_PRIMARY:
        old_p = nodes[pdx]
        old_s = nodes[sdx]
        tgt = nodes[tdx]
        int_p = old_p.remove_pri(inst)
        int_s = old_s.remove_sec(inst)
        ni = inst.copy()
        ni.location_score = len(tgt.location_tags & int_s.location_tags)
        ni.pnode = tdx
        force_p = old_p.offline or force
        err = check_migration(old_p, old_s) or check_migration(old_s, tgt)
        if err:
            return err
        tmp_s = int_s.add_pri(ni, force_p)
        if isinstance(tmp_s, str):
            return tmp_s
        tmp_s2 = tmp_s.remove_pri(ni)
        new_p = tgt.add_pri(ni, force_p)
        if isinstance(new_p, str):
            return new_p
        new_s = tmp_s2.add_sec(ni, tdx, force_p)
        if isinstance(new_s, str):
            return new_s
        return ([(tdx, tgt, new_p), (pdx, old_p, int_p),
                 (sdx, old_s, new_s)], ni, tdx, sdx)
    if kind == FAILOVER_AND_REPLACE:
        old_p = nodes[pdx]
        old_s = nodes[sdx]
        tgt = nodes[tdx]
        int_p = old_p.remove_pri(inst)
        int_s = old_s.remove_sec(inst)
        force_p = old_p.offline or force
        ni = inst.copy()
        ni.location_score = len(int_s.location_tags & tgt.location_tags)
        ni.pnode, ni.snode = sdx, tdx
        err = check_migration(old_p, old_s)
        if err:
            return err
        new_p = int_s.add_pri(ni, force_p)
        if isinstance(new_p, str):
            return new_p
        new_s = tgt.add_sec(ni, sdx, force_p)
        if isinstance(new_s, str):
            return new_s
        return ([(tdx, tgt, new_s), (sdx, old_s, new_p),
                 (pdx, old_p, int_p)], ni, sdx, tdx)
    if kind == FAILOVER_TO_ANY:
        old_p = nodes[pdx]
        tgt = nodes[tdx]
        err = check_migration(old_p, tgt)
        if err:
            return err
        new_p = tgt.add_pri(inst, old_p.offline or force)
        if isinstance(new_p, str):
            return new_p
        int_p = old_p.remove_pri(inst)
        ni = inst.copy()
        ni.pnode = tdx
        return ([(pdx, old_p, int_p), (tdx, tgt, new_p)], ni, tdx, sdx)
    raise ValueError("unknown move %r" % (move,))


def _readd_primary_fails(pnode: Node, inst: Instance) -> Optional[str]:
    """Why ``inst`` cannot go back onto its primary ``pnode`` (forced).

    A secondary replacement puts the instance back onto its primary; the
    forced addition fails (as ``remove_pri`` then ``add_pri(force=True)``
    would) on a primary without free memory or disk, such as a node with
    unknown figures: the move is then impossible.
    """
    if inst.forthcoming:
        return None
    if pnode.unallocated_mem() <= 0:
        return FAIL_MEM
    if inst.disk_template in LOCAL_STORAGE:
        if pnode.f_dsk <= 0:
            return FAIL_DISK
        if pnode.excl_storage and (inst.total_spindles is None
                                   or pnode.f_spindles < 0):
            return FAIL_SPINDLES
    return None


def possible_moves(mir: int, use_secondary: bool, inst_moves: bool,
                   restricted: bool, primary_offline: bool,
                   tdx: int) -> list:
    """The move types tried for one target node, in search order."""
    if mir == MIRROR_EXTERNAL:
        return [(FAILOVER_TO_ANY, tdx)] if inst_moves else []
    if mir != MIRROR_INTERNAL:
        return []
    if not inst_moves:
        return [(REPLACE_SECONDARY, tdx)]
    if restricted and not primary_offline:
        return [(REPLACE_SECONDARY, tdx)]
    if use_secondary:
        if not restricted:
            return [(REPLACE_SECONDARY, tdx), (REPLACE_AND_FAILOVER, tdx),
                    (REPLACE_PRIMARY, tdx), (FAILOVER_AND_REPLACE, tdx)]
        return [(REPLACE_SECONDARY, tdx), (REPLACE_AND_FAILOVER, tdx),
                (FAILOVER_AND_REPLACE, tdx)]
    return [(REPLACE_SECONDARY, tdx), (REPLACE_AND_FAILOVER, tdx)]


class _Best:
    __slots__ = ("score", "result", "move", "inst")

    def __init__(self, score: float) -> None:
        self.score = score
        self.result = None
        self.move = None
        self.inst = None


_VCACHE: dict = {}


def _values(node: Node) -> tuple:
    key = id(node)
    hit = _VCACHE.get(key)
    if hit is not None and hit[0] is node:
        return hit[1]
    vals = metrics.node_values(node)
    if len(_VCACHE) > 100000:
        _VCACHE.clear()
    _VCACHE[key] = (node, vals)
    return vals


def _score_of(stats: metrics.ClusterStats, changes: list) -> float:
    return metrics.score_changes(
        stats, [(_values(old), metrics.node_values(new), not old.offline)
                for _, old, new in changes])


def check_instance_move(opts: AlgOptions, node_set: frozenset,
                        node_order: list, tbl: Table, inst: Instance,
                        best: _Best) -> None:
    """Tries every move of ``inst``; keeps the strictly best in ``best``."""
    nodes = tbl.nodes
    stats = tbl.stats
    force = opts.ignore_soft_errors
    pdx = inst.pnode
    sdx = inst.snode
    mir = inst.mirror_type()
    use_secondary = sdx in node_set and opts.inst_moves

    def consider(move):
        res = apply_move(nodes, inst, move, force)
        if isinstance(res, str):
            return
        sc = _score_of(stats, res[0])
        if best.score > sc:
            best.score = sc
            best.result = res
            best.move = move
            best.inst = inst

    if mir == MIRROR_INTERNAL and use_secondary:
        consider((FAILOVER,))
    if not opts.disk_moves:
        return
    primary_offline = nodes[pdx].offline
    if mir == MIRROR_INTERNAL and inst.location_score == 0 and \
            not nodes[pdx].location_tags and not nodes[sdx].location_tags:
        _check_drbd_targets(opts, node_order, tbl, inst, best,
                            use_secondary, primary_offline)
        return
    for tdx in node_order:
        if tdx == pdx or tdx == sdx:
            continue
        for mv in possible_moves(mir, use_secondary, opts.inst_moves,
                                 opts.restricted_migration, primary_offline,
                                 tdx):
            consider(mv)


def _check_drbd_targets(opts: AlgOptions, node_order: list, tbl: Table,
                        inst: Instance, best: _Best, use_secondary: bool,
                        primary_offline: bool) -> None:
    """The target moves of a DRBD instance, sharing the per-instance work.

    Same candidates, order, operations and scores as going through
    ``apply_move`` one move at a time; the nodes that do not depend on the
    target (the instance removed from its nodes, the old secondary as new
    primary) are computed once.
    """
    nodes = tbl.nodes
    stats = tbl.stats
    score = metrics.score_changes
    nvals = metrics.node_values
    force = opts.ignore_soft_errors
    pdx = inst.pnode
    sdx = inst.snode
    old_p = nodes[pdx]
    old_s = nodes[sdx]
    on_p = not old_p.offline
    on_s = not old_s.offline
    v_old_p = _values(old_p)
    v_old_s = _values(old_s)
    ni = inst.copy()
    ni.location_score = 0
    force_s = old_s.offline or force
    force_p = old_p.offline or force
    int_s = old_s.remove_sec(inst)
    v_int_s = nvals(int_s)
    ch_int_s = (v_old_s, v_int_s, on_s)
    kinds = [mv[0] for mv in possible_moves(
        MIRROR_INTERNAL, use_secondary, opts.inst_moves,
        opts.restricted_migration, primary_offline, 0)]
    if REPLACE_SECONDARY in kinds and _readd_primary_fails(old_p, inst):
        kinds.remove(REPLACE_SECONDARY)
    need_int_p = REPLACE_AND_FAILOVER in kinds or REPLACE_PRIMARY in kinds \
        or FAILOVER_AND_REPLACE in kinds
    if need_int_p:
        int_p = old_p.remove_pri(inst)
        ch_int_p = (v_old_p, nvals(int_p), on_p)
    mig_ps = check_migration(old_p, old_s)
    tmp_s2 = None
    if REPLACE_PRIMARY in kinds and not mig_ps:
        tmp_s = int_s.add_pri(ni, force_p)
        if not isinstance(tmp_s, str):
            tmp_s2 = tmp_s.remove_pri(ni)
    fr_p = None
    if FAILOVER_AND_REPLACE in kinds and not mig_ps:
        fr_p = int_s.add_pri(ni, force_p)
        if not isinstance(fr_p, str):
            ch_fr_p = (v_old_s, nvals(fr_p), on_s)
    for tdx in node_order:
        if tdx == pdx or tdx == sdx:
            continue
        tgt = nodes[tdx]
        v_tgt = _values(tgt)
        on_t = not tgt.offline
        pri_cache = {}
        for kind in kinds:
            if kind == REPLACE_SECONDARY:
                new_s = tgt.add_sec(ni, pdx, force_s)
                if isinstance(new_s, str):
                    continue
                sc = score(stats, [(v_tgt, nvals(new_s), on_t), ch_int_s])
            elif kind == REPLACE_AND_FAILOVER:
                if check_migration(old_p, tgt):
                    continue
                new_p = pri_cache.get(force)
                if new_p is None:
                    new_p = pri_cache[force] = tgt.add_pri(ni, force)
                if isinstance(new_p, str):
                    continue
                new_s = int_p.add_sec(ni, tdx, force_s)
                if isinstance(new_s, str):
                    continue
                sc = score(stats, [(v_tgt, nvals(new_p), on_t),
                                   (v_old_p, nvals(new_s), on_p), ch_int_s])
            elif kind == REPLACE_PRIMARY:
                if mig_ps or check_migration(old_s, tgt):
                    continue
                if tmp_s2 is None:
                    continue
                new_p = pri_cache.get(force_p)
                if new_p is None:
                    new_p = pri_cache[force_p] = tgt.add_pri(ni, force_p)
                if isinstance(new_p, str):
                    continue
                new_s = tmp_s2.add_sec(ni, tdx, force_p)
                if isinstance(new_s, str):
                    continue
                sc = score(stats, [(v_tgt, nvals(new_p), on_t), ch_int_p,
                                   (v_old_s, nvals(new_s), on_s)])
            else:  # FAILOVER_AND_REPLACE
                if mig_ps or fr_p is None or isinstance(fr_p, str):
                    continue
                new_s = tgt.add_sec(ni, sdx, force_p)
                if isinstance(new_s, str):
                    continue
                sc = score(stats, [(v_tgt, nvals(new_s), on_t), ch_fr_p,
                                   ch_int_p])
            if best.score > sc:
                move = (kind, tdx)
                res = apply_move(nodes, inst, move, force)
                best.score = sc
                best.result = res
                best.move = move
                best.inst = inst


def check_move(opts: AlgOptions, node_order: list, tbl: Table,
               victims: list) -> Optional[Table]:
    """The best table after one more move, or None when nothing improves."""
    best = _Best(tbl.score)
    node_set = frozenset(node_order)
    for inst in victims:
        check_instance_move(opts, node_set, node_order, tbl, inst, best)
    if best.result is None:
        return None
    changes, ni, npdx, nsdx = best.result
    new_nodes = list(tbl.nodes)
    for idx, old, new in changes:
        new_nodes[idx] = new
    # the chosen table's statistics and score from scratch, as the
    # reference scores every table: incremental updates leave rounding
    # residue, which a variance of exactly zero turns into ~1e-8 (sqrt)
    new_stats = metrics.ClusterStats.from_nodes([new_nodes[x] for x in tbl.node_ids])
    score = new_stats.score()
    new_insts = list(tbl.instances)
    new_insts[ni.idx] = ni
    plc = Placement(ni.idx, npdx, nsdx, best.move, score)
    return Table(new_nodes, new_insts, score,
                 tbl.placements + [plc], new_stats, tbl.node_ids,
                 tbl.inst_ids)


def try_balance(opts: AlgOptions, tbl: Table) -> Optional[Table]:
    """One balancing round; None when it brings no (sufficient) gain."""
    nodes = tbl.nodes
    online = [x for x in tbl.node_ids if not nodes[x].offline]
    insts = [tbl.instances[x] for x in tbl.inst_ids]
    if opts.evac_mode:
        bad = {x for x in tbl.node_ids if nodes[x].offline}
        insts = [i for i in insts if any(x in bad for x in i.all_nodes())]
    victims = [i for i in insts if i.movable and i.auto_balance]
    fin = check_move(opts, online, tbl, victims)
    if fin is None:
        return None
    ini_cv = tbl.score
    fin_cv = fin.score
    if fin_cv < ini_cv and (ini_cv > opts.min_gain_limit
                            or ini_cv - fin_cv >= opts.min_gain):
        return fin
    return None


def do_next_balance(tbl: Table, max_rounds: int, min_score: float) -> bool:
    n = len(tbl.placements)
    return (max_rounds < 0 or n < max_rounds) and tbl.score > min_score


def make_group_table(nodes: list, instances: list, node_ids: list,
                     group_insts: list) -> Table:
    """A table over all nodes whose score covers only ``node_ids``."""
    stats = metrics.ClusterStats.from_nodes([nodes[x] for x in node_ids])
    return Table(list(nodes), list(instances), stats.score(), [], stats,
                 list(node_ids), [i.idx for i in group_insts])


def move_commands(move: tuple, node_names: list) -> list:
    """The short description parts of a move (as in ``a=...``)."""
    kind = move[0]
    if kind == FAILOVER:
        return ["f"]
    t = node_names[move[1]]
    if kind == REPLACE_SECONDARY:
        return ["r:%s" % t]
    if kind == REPLACE_AND_FAILOVER:
        return ["r:%s" % t, "f"]
    if kind == REPLACE_PRIMARY:
        return ["f", "r:%s" % t, "f"]
    if kind == FAILOVER_AND_REPLACE:
        return ["f", "r:%s" % t]
    if kind == FAILOVER_TO_ANY:
        return ["fa:%s" % t]
    return []
