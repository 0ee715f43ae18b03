"""Moving existing instances: relocation, node evacuation, change-group.

Owns hail's relocate, node-evacuate and change-group answers (the chosen
nodes, the failures and the opcodes Ganeti runs for each move).  The
allocation search itself (group choice of change-group) lives in ``alloc``.

The reference's rules live here: which instances can move how (drbd:
failover, new secondary or new pair; shared storage and diskless: failover
to any node; plain and file: not at all), the nodes excluded (those being
evacuated, offline ones, the primary), relocate's checks, the messages;
the search for the new nodes is ``evacsearch``.  As the reference, these
requests run no global N+1 (capacity) check: only the group choice of
change-group is an allocation (``alloc.find_best_group``), which does.

It never prints; it works on copies of the node and instance lists.
"""

from __future__ import annotations

from typing import Optional

from ganeti.htools import balance
from ganeti.htools.alloc import AllocOptions, apply_changes, find_best_group
from ganeti.htools.evacsearch import EvacError, apply_one, best_pair, best_single, single_search
from ganeti.htools.model import DT_DISKLESS, MIRROR_EXTERNAL, MIRROR_INTERNAL, MIRROR_NONE, Instance

_RS = balance.REPLACE_SECONDARY
_FO = balance.FAILOVER
_FA = balance.FAILOVER_TO_ANY


def _migrate_op(name: str) -> dict:
    return {
        "OP_ID": "OP_INSTANCE_MIGRATE",
        "instance_name": name,
        "allow_runtime_changes": False,
        "ignore_ipolicy": False,
        "cleanup": False,
        "allow_failover": True,
        "ignore_hvversions": True,
    }


def _replace_op(name: str, node: str) -> dict:
    return {
        "OP_ID": "OP_INSTANCE_REPLACE_DISKS",
        "instance_name": name,
        "early_release": False,
        "ignore_ipolicy": False,
        "mode": "replace_new_secondary",
        "disks": [],
        "remote_node": node,
    }


def move_ops(move: tuple, name: str, names: list) -> list:
    """The opcodes Ganeti runs for one move of instance ``name``."""
    kind = move[0]
    if kind == _FO:
        return [_migrate_op(name)]
    if kind == _RS:
        return [_replace_op(name, names[move[1]])]
    return []


# ---------------------------------------------------------------------------
# the requests

_CHANGE_PRIMARY = "primary-only"
_CHANGE_SECONDARY = "secondary-only"
_CHANGE_ALL = "all"


def _mirror(inst: Instance) -> int:
    # the reference counts diskless instances as externally mirrored
    # (they can start anywhere); model.Instance.mirror_type does not
    if inst.disk_template == DT_DISKLESS:
        return MIRROR_EXTERNAL
    return inst.mirror_type()


def _migrate_to_op(name: str, node: str) -> dict:
    return {
        "OP_ID": "OP_INSTANCE_MIGRATE",
        "instance_name": name,
        "target_node": node,
        "allow_runtime_changes": False,
        "ignore_ipolicy": False,
        "cleanup": False,
        "allow_failover": True,
        "ignore_hvversions": True,
    }


def _evac_instance(
    nodes: list,
    insts: list,
    inst: Instance,
    mode: str,
    gdx: int,
    avail: list,
    nnames: list,
    force: bool,
):
    """Moves one instance off its nodes as the reference's node
    evacuation does; returns (nodes, instances, moved instance, opcodes)
    or raises EvacError."""
    mir = _mirror(inst)
    if mir == MIRROR_NONE:
        raise EvacError("Instances of type %s cannot be relocated" % inst.disk_template)
    if mir == MIRROR_EXTERNAL:
        if mode == _CHANGE_SECONDARY:
            raise EvacError(
                "Instances with disk template '%s' can't"
                " execute change secondary" % inst.disk_template
            )
        res, t = best_single(nodes, inst, _FA, gdx, avail, force)
        return _applied(nodes, insts, res) + ([_migrate_to_op(inst.name, nnames[t])],)
    if mode == _CHANGE_SECONDARY:
        res, t = best_single(nodes, inst, _RS, gdx, avail, force)
        return _applied(nodes, insts, res) + (move_ops((_RS, t), inst.name, nnames),)
    if mode == _CHANGE_PRIMARY:
        nodes, insts, ni = apply_one(nodes, insts, inst, (_FO,), force)
        return nodes, insts, ni, move_ops((_FO,), inst.name, nnames)
    nodes, insts, ni, moves = best_pair(nodes, insts, inst, gdx, avail, force)
    ops = []
    for mv in moves:
        ops.extend(move_ops(mv, inst.name, nnames))
    return nodes, insts, ni, ops


def _applied(nodes: list, insts: list, res) -> tuple:
    new_insts = list(insts)
    new_insts[res[1].idx] = res[1]
    return apply_changes(nodes, res[0]), new_insts, res[1]


def _evacuated_nodes(insts: list, idxs: list, mode: str) -> set:
    evac = set()
    for x in idxs:
        i = insts[x]
        if mode == _CHANGE_PRIMARY:
            evac.add(i.pnode)
        elif mode == _CHANGE_SECONDARY:
            evac.add(i.snode)
        else:
            evac.update([i.pnode, i.snode])
    evac.discard(-1)
    return evac


def _node_evac(cd, idxs: list, mode: str, force: bool) -> tuple:
    nodes = list(cd.nodes)
    insts = list(cd.instances)
    excl = _evacuated_nodes(insts, idxs, mode) | {n.idx for n in nodes if n.offline}
    nnames = [n.name for n in nodes]
    moved, failed, jobs = [], [], []
    for x in idxs:
        inst = cd.instances[x]  # the request's record, as the reference
        gdx = nodes[inst.pnode].group
        avail = [
            n.idx for n in nodes if n.group == gdx and n.idx not in excl and n.idx != inst.pnode
        ]
        try:
            nodes, insts, ni, ops = _evac_instance(
                nodes, insts, inst, mode, gdx, avail, nnames, force
            )
        except EvacError as err:
            failed.append([inst.name, str(err)])
            continue
        moved.append([inst.name, cd.groups[gdx].name, [nnames[y] for y in ni.all_nodes()]])
        jobs.append(ops)
    return moved, failed, jobs, nodes, insts


def node_evacuate(cd, names: list, mode: str, opts: Optional[AllocOptions] = None) -> tuple:
    """Computes a node-evacuate answer: (moved, failed, jobs, nodes).

    ``mode`` is Ganeti's evac_mode (primary-only, secondary-only, all);
    ``opts.force`` (--ignore-soft-errors) lets moves break soft limits.
    Raises ``loader.LoadError`` for an unknown instance or mode.
    """
    check_request(cd, {"type": "node-evacuate", "instances": names, "evac_mode": mode})
    byname = {i.name: i.idx for i in cd.instances}
    idxs = [byname[n] for n in names]
    moved, failed, jobs, nodes, _ = _node_evac(cd, idxs, mode, bool(opts and opts.force))
    return moved, failed, jobs, nodes


_EVAC_MODES = (_CHANGE_PRIMARY, _CHANGE_SECONDARY, _CHANGE_ALL)


def check_request(cd, raw: dict) -> None:
    """Checks a relocate, node-evacuate or change-group request as the
    reference reads it: the keys it needs, then the names it looks up, in
    its order.  Raises ``loader.LoadError`` with the reference's message
    (hail then exits with "Error: <message>")."""
    from ganeti.htools.loader import LoadError
    from ganeti.htools.rapi_json import hs_show

    kind = raw.get("type")

    def need(key):
        if key not in raw:
            raise LoadError(
                "invalid request dict: key '%s' not found, object contains only [%s]"
                % (key, ",".join(hs_show(k) for k in raw))
            )
        return raw[key]

    def find(names, known):
        for name in names:
            if name not in known:
                raise LoadError("Wrong number of elems found with name %s" % name)

    insts = {i.name for i in cd.instances}
    if kind == "relocate":
        name = need("name")
        if name not in insts:
            raise LoadError("Unknown instance '%s'" % name)
        need("required_nodes")
        find(need("relocate_from"), {n.name for n in cd.nodes})
    elif kind in ("node-evacuate", "change-group"):
        find(need("instances"), insts)
        if kind == "node-evacuate":
            mode = need("evac_mode")
            if mode not in _EVAC_MODES:
                raise LoadError(
                    "invalid request dict: key 'evac_mode': Invalid string value for type"
                    " EvacMode: %s" % hs_show(str(mode))
                )
        else:
            groups = {g.name for g in cd.groups} | {g.uuid for g in cd.groups}
            find(need("target_groups"), groups)


def relocate_answer(cd, raw: dict, opts: Optional[AllocOptions] = None) -> tuple:
    """hail's answer to a relocate request: (success, info, result).

    As the reference: the excluded nodes must be exactly the node being
    replaced (the secondary of a drbd instance, the primary of a
    shared-storage one), then it is a node evacuation of that node.
    Raises ``loader.LoadError`` for a malformed request (``check_request``).
    """
    check_request(cd, raw)
    nodes = cd.nodes
    reqn = raw["required_nodes"]
    if reqn != 1:
        return False, "Request failed: Exchange %s nodes mode is not implemented" % reqn, []
    inst = next(i for i in cd.instances if i.name == raw["name"])
    byname = {n.name: n.idx for n in nodes}
    exclude = [byname[x] for x in raw["relocate_from"]]
    mir = _mirror(inst)
    if mir == MIRROR_NONE:
        return False, "Request failed: Can't relocate non-mirrored instances", []
    if mir == MIRROR_INTERNAL:
        exp, what, mode = inst.snode, "secondary", _CHANGE_SECONDARY
    else:
        exp, what, mode = inst.pnode, "primary", _CHANGE_PRIMARY
    if exclude != [exp]:
        return (
            False,
            (
                "Request failed: Unsupported request: excluded nodes"
                " not equal to instance's %s(%d versus [%s])"
                % (what, exp, ",".join(str(x) for x in exclude))
            ),
            [],
        )
    _, failed, _, _, insts = _node_evac(cd, [inst.idx], mode, bool(opts and opts.force))
    if failed:
        return False, "Request failed: " + failed[0][1], []
    ni = insts[inst.idx]
    new = ni.snode if mir == MIRROR_INTERNAL else ni.pnode
    return True, "Request successful: success", [nodes[new].name]


def relocate(cd, name: str, exclude: list) -> tuple:
    """A new secondary for drbd instance ``name`` (the old interface).

    Returns ((node changes, [new secondary], group score) or None, the
    failure modes of the rejected nodes); ``relocate_answer`` gives the
    reference's messages.
    """
    nodes = cd.nodes
    inst = next(i for i in cd.instances if i.name == name)
    gdx = nodes[inst.pnode].group
    ex = set(exclude) | {inst.pnode}
    targets = [t for t, n in enumerate(nodes) if n.group == gdx and not n.offline and t not in ex]
    out, k, res, cv = single_search(nodes, inst, _RS, gdx, targets, False)
    failures = [r for r in out if isinstance(r, str)]
    if k is None:
        return None, failures
    return (res[0], [targets[k]], cv), failures


_HS_POLICY = {
    "preferred": "AllocPreferred",
    "last_resort": "AllocLastResort",
    "unallocable": "AllocUnallocable",
}


def _no_groups(cd, nodes: list, allowed: list) -> str:
    """The reference's message when no allowed group has nodes: the
    allowed group indices and the groups with nodes, as Haskell shows
    them."""
    used = sorted({n.group for n in nodes})
    return "no groups for evacuation: allowed groups was Just [%s], all groups: [%s]" % (
        ",".join(str(g) for g in allowed),
        ",".join(_show_group(cd.groups[g]) for g in used),
    )


def _show_group(g) -> str:
    from ganeti.htools.cli import show_ipolicy
    from ganeti.htools.rapi_json import hs_show

    return (
        "Group {name = %s, uuid = %s, idx = %d, allocPolicy = %s,"
        " networks = [%s], iPolicy = %s, allTags = [%s]}"
        % (
            hs_show(g.name),
            hs_show(g.uuid),
            g.idx,
            _HS_POLICY.get(g.alloc_policy, g.alloc_policy),
            ",".join(hs_show(x) for x in g.networks),
            show_ipolicy(g.ipolicy),
            ",".join(hs_show(t) for t in g.tags),
        )
    )


def change_group(cd, names: list, targets: list, opts: AllocOptions) -> tuple:
    """Computes a change-group answer: (moved, failed, jobs).

    ``targets`` are group names or UUIDs (none: every group); raises
    ``loader.LoadError`` for an unknown instance or group.
    """
    check_request(cd, {"type": "change-group", "instances": names, "target_groups": targets})
    nodes = list(cd.nodes)
    insts = list(cd.instances)
    byname = {i.name: i.idx for i in insts}
    gby = {}
    for g in cd.groups:
        gby[g.name] = g.idx
        gby[g.uuid] = g.idx
    idxs = [byname[n] for n in names]
    evac_g = []
    for x in idxs:
        g = nodes[insts[x].pnode].group
        if g not in evac_g:
            evac_g.append(g)
    want = [gby[t] for t in targets] if targets else [g.idx for g in cd.groups]
    # list difference as Haskell's (\\): one occurrence per evacuated group
    target_g = list(want)
    for g in evac_g:
        if g in target_g:
            target_g.remove(g)
    nnames = [n.name for n in nodes]
    moved, failed, jobs = [], [], []
    for x in idxs:
        inst = cd.instances[x]  # the request's record, as the reference
        gdx, sol, log = find_best_group(
            cd, nodes, insts, inst, inst.required_nodes(), opts, target_g
        )
        if sol is None:
            if not log:
                failed.append([inst.name, _no_groups(cd, nodes, target_g)])
            else:
                failed.append([inst.name, ", ".join(log)])
            continue
        avail = [n.idx for n in nodes if n.group == gdx and not n.offline]
        try:
            nodes, insts, ni, ops = _evac_instance(
                nodes, insts, inst, _CHANGE_ALL, gdx, avail, nnames, False
            )
        except EvacError as err:
            failed.append([inst.name, str(err)])
            continue
        moved.append([inst.name, cd.groups[gdx].name, [nnames[y] for y in ni.all_nodes()]])
        jobs.append(ops)
    return moved, failed, jobs
