"""Turning raw cluster descriptions into a consistent model.

Owns the steps every backend shares after parsing: index assignment, name
aliases (common domain suffix stripped), exclusion and location tags from
the cluster tags, group policies on nodes, placing instances on their nodes
and the N+1 reservations.  Also the text backend (``-t FILE``) parser and
writer, and the load-time consistency warnings.

Parsing errors are raised as ``LoadError`` with the message the programs
print; nothing here exits or prints.
"""

from __future__ import annotations

import gc
import os
from typing import Optional

from ganeti.htools import model
from ganeti.htools.model import ClusterData, Group, Instance, IPolicy, ISpec, Node

EX_TAGS_PREFIX = "htools:iextags:"
LOCATION_PREFIX = "htools:nlocation:"
DESIRED_LOC_PREFIX = "htools:desiredlocation:"
MIGRATION_PREFIX = "htools:migration:"
ALLOW_MIGRATION_PREFIX = "htools:allowmigration:"


class LoadError(Exception):
    """The input could not be loaded; the message is shown to the user."""


# --------------------------------------------------------------------------
# shared post-processing


def common_suffix(names: list) -> str:
    """The longest dotted suffix shared by all names (with leading dot)."""
    if not names:
        return ""
    first = names[0]
    parts = first.split(".")
    for k in range(1, len(parts)):
        suffix = "." + ".".join(parts[k:])
        if all(n.endswith(suffix) for n in names):
            return suffix
    return ""


def merge_data(
    cd: ClusterData,
    exclusion_tags: Optional[list] = None,
    select_insts: Optional[list] = None,
    exclude_insts: Optional[list] = None,
) -> ClusterData:
    """Finishes a freshly parsed cluster: tags, aliases, placement."""
    with gc_paused(freeze=True):
        return _merge_data(cd, exclusion_tags, select_insts, exclude_insts)


class gc_paused:  # noqa: N801 - used like a function
    """Pauses the cyclic garbage collector while a model is built.

    Loading creates hundreds of thousands of objects and no garbage
    cycles; the collector would scan them over and over (tens of
    milliseconds on 1,000 nodes).  With ``freeze`` the objects alive at
    the end (the model: the program's long-lived data) are moved out of
    the collector's generations (``gc.freeze``), so it never rescans them.
    """

    def __init__(self, freeze: bool = False) -> None:
        self.freeze = freeze

    def __enter__(self) -> None:
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc) -> None:
        if self.freeze:
            gc.freeze()
        if self.was:
            gc.enable()


def _merge_data(
    cd: ClusterData,
    exclusion_tags: Optional[list],
    select_insts: Optional[list],
    exclude_insts: Optional[list],
) -> ClusterData:
    ctags = cd.cluster_tags
    prefixes = [t[len(EX_TAGS_PREFIX) :] for t in ctags if t.startswith(EX_TAGS_PREFIX)]
    if exclusion_tags:
        prefixes = prefixes + list(exclusion_tags)
    loc_prefixes = [t[len(LOCATION_PREFIX) :] for t in ctags if t.startswith(LOCATION_PREFIX)]
    dloc_prefixes = [
        t[len(DESIRED_LOC_PREFIX) :] for t in ctags if t.startswith(DESIRED_LOC_PREFIX)
    ]
    mig_prefixes = [t[len(MIGRATION_PREFIX) :] for t in ctags if t.startswith(MIGRATION_PREFIX)]
    allow_mig = []
    for t in ctags:
        if t.startswith(ALLOW_MIGRATION_PREFIX):
            rest = t[len(ALLOW_MIGRATION_PREFIX) :]
            if "::" in rest:
                a, b = rest.split("::", 1)
                allow_mig.append((a, b))
    # aliases
    # one suffix over the node and instance names together (the reference's)
    nsuf = isuf = common_suffix([n.name for n in cd.nodes] + [i.name for i in cd.instances])
    for n in cd.nodes:
        if nsuf:
            n.alias = n.name[: -len(nsuf)]
        n.location_tags = frozenset(
            t for t in n.tags if any(t.startswith(p + ":") for p in loc_prefixes)
        )
        if mig_prefixes:
            mt = frozenset(t for t in n.tags if any(t.startswith(p + ":") for p in mig_prefixes))
            n.mig_tags = mt
            recv = set(mt)
            for a, b in allow_mig:
                if b in n.tags:
                    recv.add(a)
            n.rmig_tags = frozenset(recv)
        pol = cd.groups[n.group].ipolicy if 0 <= n.group < len(cd.groups) else cd.ipolicy
        n.set_policy(pol)
    ex_pre = tuple(p + ":" for p in prefixes)
    dloc_pre = tuple(p + ":" for p in dloc_prefixes)
    cut = len(isuf)
    no_tags = frozenset()
    for inst in cd.instances:
        if cut:
            inst.alias = inst.name[:-cut]
        tags = inst.tags
        if tags:
            inst.excl_tags = [t for t in tags if t.startswith(ex_pre)]
            inst.dsrd_loc_tags = frozenset(t for t in tags if t.startswith(dloc_pre))
        else:
            inst.excl_tags = []
            inst.dsrd_loc_tags = no_tags
    if select_insts is not None:
        sel = set(select_insts)
        for inst in cd.instances:
            if inst.name not in sel and inst.alias not in sel:
                inst.movable = False
    if exclude_insts:
        exc = set(exclude_insts)
        for inst in cd.instances:
            if inst.name in exc or inst.alias in exc:
                inst.movable = False
    # instance location score depends on both nodes' location tags
    any_loc = any(n.location_tags for n in cd.nodes)
    for inst in cd.instances:
        if inst.snode >= 0 and inst.disk_template == model.DT_DRBD:
            if any_loc:
                p = cd.nodes[inst.pnode]
                s = cd.nodes[inst.snode]
                inst.location_score = len(p.location_tags & s.location_tags)
            else:
                inst.location_score = 0
    place_instances(cd)
    return cd


def place_instances(cd: ClusterData) -> None:
    """Puts every instance on its nodes and computes memory statistics.

    The same operations as ``Node.set_pri``/``set_sec`` (in instance
    order, so float sums are identical) and ``Node.build_peers``, done in
    one pass on mutable copies of the nodes' lists and maps.
    """
    nodes = cd.nodes
    insts = cd.instances
    nn = len(nodes)
    for n in nodes:
        n.plist = list(n.plist)
        n.slist = list(n.slist)
        n.plist_forth = list(n.plist_forth)
        n.slist_forth = list(n.slist_forth)
        n.p_tags = dict(n.p_tags)
        n.instance_map = dict(n.instance_map)
    ul = [None] * nn  # util_load, util_load_forth as lists, once touched
    ulf = [None] * nn
    real_p = [False] * nn  # had a (not forthcoming) primary
    any_p = [False] * nn
    imem = [0] * nn
    peers: list = [None] * nn
    for k, n in enumerate(nodes):
        # instances placed before count as well (as in Node.build_peers)
        for i in n.plist:
            if insts[i].uses_memory():
                imem[k] += insts[i].mem
        for i in n.slist:
            inst = insts[i]
            pm = peers[k]
            if pm is None:
                pm = peers[k] = {}
            mem = inst.mem if (inst.uses_sec_mem() and not inst.forthcoming) else 0
            pm[inst.pnode] = pm.get(inst.pnode, 0) + mem
    local_st = model.LOCAL_STORAGE
    plain = _mirrored(nodes, insts)
    if plain:
        _place_plain(cd, ul, real_p, any_p, imem, peers)
        _mirror(nodes, ul, ulf)
    for _ in range(0 if plain else 2 if cd.place_twice else 1):
        for inst in insts:
            idx = inst.idx
            forth = inst.forthcoming
            online = inst.run_st != "ADMIN_offline"
            local = inst.disk_template in local_st
            util = inst.util
            su = inst.spindle_use
            pk = inst.pnode
            p = nodes[pk]
            # Node.set_pri
            loc_disk = local and not p.excl_storage
            if not forth:
                p.plist.append(idx)
                if online:
                    p.u_cpu += inst.vcpus
                u = ul[pk]
                if u is None:
                    u = ul[pk] = list(p.util_load)
                u[0] += util[0]
                u[1] += util[1]
                u[2] += util[2]
                u[3] += util[3]
                if loc_disk:
                    p.inst_spindles += su
                p.location_score_v += inst.location_score + (
                    p._dsrd_loc_score(inst) if inst.dsrd_loc_tags else 0
                )
                if p.location_tags and inst.excl_tags:
                    _count_tags(p.instance_map, p._loc_excl_pairs(inst))
                real_p[pk] = True
                if inst.run_st in model._USES_MEM:
                    imem[pk] += inst.mem
            if inst.excl_tags:
                _count_tags(p.p_tags, inst.excl_tags)
            p.plist_forth.append(idx)
            if online:
                p.u_cpu_forth += inst.vcpus
            u = ulf[pk]
            if u is None:
                u = ulf[pk] = list(p.util_load_forth)
            u[0] += util[0]
            u[1] += util[1]
            u[2] += util[2]
            u[3] += util[3]
            if inst.run_st not in model._USES_MEM:
                p.f_mem_forth -= inst.mem
            if loc_disk:
                p.inst_spindles_forth += su
            if forth:
                p._forth_only_disk(inst)
            any_p[pk] = True
            sk = inst.snode
            if sk < 0:
                continue
            # Node.set_sec
            s = nodes[sk]
            loc_disk = local and not s.excl_storage
            d = util[2]
            if not forth:
                s.slist.append(idx)
                u = ul[sk]
                if u is None:
                    u = ul[sk] = list(s.util_load)
                u[2] += d
                if loc_disk:
                    s.inst_spindles += su
                # Node.build_peers
                pm = peers[sk]
                if pm is None:
                    pm = peers[sk] = {}
                mem = inst.mem if (online and inst.auto_balance) else 0
                pm[pk] = pm.get(pk, 0) + mem
            s.slist_forth.append(idx)
            u = ulf[sk]
            if u is None:
                u = ulf[sk] = list(s.util_load_forth)
            u[2] += d
            if loc_disk:
                s.inst_spindles_forth += su
            if forth:
                s._forth_only_disk(inst)
    for k, n in enumerate(nodes):
        u = ul[k]
        if u is not None:
            n.util_load = tuple(u)
        u = ulf[k]
        if u is not None:
            n.util_load_forth = tuple(u)
        if real_p[k]:
            n.p_cpu = _safe_div(n.u_cpu, n.t_cpu)
        if any_p[k]:
            n.p_cpu_forth = _safe_div(n.u_cpu_forth, n.t_cpu)
            n.p_mem_forth = _safe_div(n.f_mem_forth, n.t_mem)
        n.i_mem = imem[k]
        n.x_mem = int(n.t_mem) - n.n_mem - n.f_mem - imem[k]
        n.p_mem = _safe_div(n.unallocated_mem(), n.t_mem)
        pm = peers[k] or {}
        n.peers = pm
        n.r_mem = max(pm.values()) if pm else 0
        n.fail_n1 = n.f_mem < n.r_mem
        n.p_rem = _safe_div(n.r_mem, n.t_mem)


def _mirrored(nodes: list, insts: list) -> bool:
    """No forthcoming instance and every node's forthcoming-inclusive
    fields equal to the others: both then change the same way."""
    if not nodes or any(i.forthcoming for i in insts):
        return False
    for n in nodes:
        if not (
            _same(n.u_cpu, n.u_cpu_forth)
            and _same(n.util_load, n.util_load_forth)
            and _same(n.inst_spindles, n.inst_spindles_forth)
            and n.plist == n.plist_forth
            and n.slist == n.slist_forth
        ):
            return False
    return True


def _same(a, b) -> bool:
    """Equal to the last bit (0.0 and -0.0 differ)."""
    return a is b or (a == b and repr(a) == repr(b))


def _place_plain(
    cd: ClusterData, ul: list, real_p: list, any_p: list, imem: list, peers: list
) -> None:
    """``place_instances`` without forthcoming instances: the operations
    of ``Node.set_pri``/``set_sec`` on the fields without ``_forth``
    (``_mirror`` copies them over), plus the memory ones."""
    nodes = cd.nodes
    insts = cd.instances
    local_st = model.LOCAL_STORAGE
    uses_mem = model._USES_MEM
    for k, n in enumerate(nodes):
        ul[k] = list(n.util_load)
    plists = [n.plist for n in nodes]
    slists = [n.slist for n in nodes]
    excl = [n.excl_storage for n in nodes]
    f_mem_forth = [n.f_mem_forth for n in nodes]
    for _ in range(2 if cd.place_twice else 1):
        for inst in insts:
            idx = inst.idx
            pk = inst.pnode
            p = nodes[pk]
            run_st = inst.run_st
            util = inst.util
            local = inst.disk_template in local_st
            # Node.set_pri
            plists[pk].append(idx)
            online = run_st != "ADMIN_offline"
            if online:
                p.u_cpu += inst.vcpus
            u = ul[pk]
            u[0] += util[0]
            u[1] += util[1]
            u[2] += util[2]
            u[3] += util[3]
            if local and not excl[pk]:
                p.inst_spindles += inst.spindle_use
            p.location_score_v += inst.location_score + (
                p._dsrd_loc_score(inst) if inst.dsrd_loc_tags else 0
            )
            if inst.excl_tags:
                if p.location_tags:
                    _count_tags(p.instance_map, p._loc_excl_pairs(inst))
                _count_tags(p.p_tags, inst.excl_tags)
            real_p[pk] = any_p[pk] = True
            if run_st in uses_mem:
                imem[pk] += inst.mem
            else:
                f_mem_forth[pk] -= inst.mem
            sk = inst.snode
            if sk < 0:
                continue
            # Node.set_sec and Node.build_peers
            slists[sk].append(idx)
            ul[sk][2] += util[2]
            if local and not excl[sk]:
                nodes[sk].inst_spindles += inst.spindle_use
            pm = peers[sk]
            if pm is None:
                pm = peers[sk] = {}
            mem = inst.mem if (online and inst.auto_balance) else 0
            pm[pk] = pm.get(pk, 0) + mem
    for k, n in enumerate(nodes):
        n.f_mem_forth = f_mem_forth[k]


def _mirror(nodes: list, ul: list, ulf: list) -> None:
    for k, n in enumerate(nodes):
        ulf[k] = ul[k]
        n.plist_forth = list(n.plist)
        n.slist_forth = list(n.slist)
        n.u_cpu_forth = n.u_cpu
        n.inst_spindles_forth = n.inst_spindles


def _count_tags(tmap: dict, tags) -> None:
    for t in tags:
        tmap[t] = tmap.get(t, 0) + 1


# a / b, with a signed infinity (or NaN) for the zero totals of nodes with
# unknown figures: their free memory is negative once instances sit there
_safe_div = model._sdiv


def check_data(cd: ClusterData) -> list:
    """The load-time consistency warnings (one string per bad node)."""
    out = []
    local = model.LOCAL_STORAGE
    # per instance: the disk it uses on its nodes
    used = [i.dsk if i.disk_template in local else 0 for i in cd.instances]
    get = used.__getitem__
    for n in cd.nodes:  # offline nodes too, as the reference
        dsk_used = sum(map(get, n.slist), sum(map(get, n.plist)))
        delta_mem = n.x_mem
        delta_dsk = int(n.t_dsk) - n.f_dsk - dsk_used
        if delta_mem > 512 or delta_dsk > 1024:
            out.append(
                "node %s is missing %d MB ram and %d GB disk"
                % (n.name, delta_mem, delta_dsk // 1024)
            )
    return out


# --------------------------------------------------------------------------
# text backend


def _split_sections(text: str) -> list:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    secs = [[]]
    for ln in lines:
        if ln == "":
            secs.append([])
        else:
            secs[-1].append(ln)
    return secs


def _show_fields(fields: list) -> str:
    return (
        "[" + ",".join('"%s"' % x.replace("\\", "\\\\").replace('"', '\\"') for x in fields) + "]"
    )


def _int(field: str, what: str) -> int:
    try:
        return int(field)
    except ValueError:
        raise LoadError("Cannot parse %s '%s'" % (what, field)) from None


def _float(field: str, what: str) -> float:
    try:
        return float(field)
    except ValueError:
        raise LoadError("Cannot parse %s '%s'" % (what, field)) from None


def _bool(field: str, what: str) -> bool:
    if field == "Y":
        return True
    if field == "N":
        return False
    raise LoadError("Cannot parse %s '%s'" % (what, field))


def _tags(field: str) -> list:
    return [t for t in field.split(",") if t] if field else []


def parse_spec(text: str) -> ISpec:
    parts = text.split(",")
    if len(parts) != 6:
        raise LoadError("Invalid ipolicy spec '%s'" % text)
    vals = [_int(p, "ipolicy spec") for p in parts]
    return ISpec(*vals)


def parse_ipolicy_fields(fields: list) -> IPolicy:
    std = parse_spec(fields[1])
    mm = fields[2].split(";")
    if len(mm) % 2 != 0 or not mm:
        raise LoadError("Invalid minmax specs '%s'" % fields[2])
    minmax = [(parse_spec(mm[k]), parse_spec(mm[k + 1])) for k in range(0, len(mm), 2)]
    tmpls = _tags(fields[3])
    for t in tmpls:
        if t not in model.DISK_TEMPLATES:
            raise LoadError("Invalid disk template '%s'" % t)
    return IPolicy(
        minmax, std, tmpls, _float(fields[4], "vcpu ratio"), _float(fields[5], "spindle ratio")
    )


def parse_text(text: str) -> ClusterData:
    """Parses the text backend format into an (unmerged) ClusterData."""
    secs = _split_sections(text)
    if len(secs) < 4:
        raise LoadError(
            "Invalid format of the input file: %d sections instead of 4 or more" % len(secs)
        )
    while len(secs) < 5:
        secs.append([])
    glines, nlines, ilines, tlines, plines = secs[:5]
    groups = []
    guuid = {}
    gname = {}
    for ln in glines:
        f = ln.split("|")
        if len(f) not in (4, 5):
            raise LoadError("Invalid/incomplete group data: '%s'" % _show_fields(f))
        if f[2] not in model.ALLOC_POLICY_ORDER:
            raise LoadError("Invalid alloc policy '%s'" % f[2])
        g = Group(f[0], f[1], f[2], _tags(f[3]), _tags(f[4]) if len(f) > 4 else [])
        g.idx = len(groups)
        guuid[g.uuid] = g.idx
        gname[g.name] = g.idx
        groups.append(g)
    nodes = []
    nidx = {}
    for ln in nlines:
        f = ln.split("|")
        if len(f) < 9:
            raise LoadError("Invalid/incomplete node data: '%s'" % _show_fields(f))
        name = f[0]
        if f[8] not in guuid:
            raise LoadError("Unknown group '%s' for node '%s'" % (f[8], name))
        gdx = guuid[f[8]]
        if "?" in f[1:7]:  # the reference reads nothing more of such a node
            f = f[:9]
        spindles = _int(f[9], "spindles") if len(f) > 9 and f[9] else 1
        excl = _bool(f[11], "exclusive storage") if len(f) > 11 and f[11] else False
        fspn = _int(f[12], "free spindles") if len(f) > 12 and f[12] else 0
        ncpu = _int(f[13], "node cpus") if len(f) > 13 and f[13] else 1
        speed = _float(f[14], "cpu speed") if len(f) > 14 and f[14] else 1.0
        offline = f[7] == "Y" or "?" in f[1:7]
        if "?" in f[1:7]:
            n = Node(name, 0, 0, 0, 0, 0, 0, 0, True, 0, 0, gdx, False)
        else:
            n = Node(
                name,
                _int(f[1], "total memory"),
                _int(f[2], "node memory"),
                _int(f[3], "free memory"),
                _int(f[4], "total disk"),
                _int(f[5], "free disk"),
                _int(f[6], "total cpus"),
                ncpu,
                offline,
                spindles,
                fspn,
                gdx,
                excl,
            )
        n.is_master = f[7] == "M" and "?" not in f[1:7]
        n.tags = _tags(f[10]) if len(f) > 10 else []
        n.cpu_speed = speed
        n.idx = len(nodes)
        nidx[name] = n.idx
        nodes.append(n)
    instances = []
    for ln in ilines:
        f = ln.split("|")
        if len(f) < 10:
            raise LoadError("Invalid/incomplete instance data: '%s'" % _show_fields(f))
        name = f[0]
        if f[6] not in nidx:
            raise LoadError("Unknown node '%s' for instance %s" % (f[6], name))
        pdx = nidx[f[6]]
        if f[7] == "":
            sdx = model.NO_SECONDARY
        elif f[7] in nidx:
            sdx = nidx[f[7]]
        else:
            raise LoadError("Unknown node '%s' for instance %s" % (f[7], name))
        if f[4] not in model.RUN_STATES:
            raise LoadError("Invalid instance status '%s'" % f[4])
        if f[8] not in model.DISK_TEMPLATES:
            raise LoadError("Invalid disk template '%s'" % f[8])
        su = _int(f[10], "spindle use") if len(f) > 10 and f[10] else 1
        forth = _bool(f[12], "forthcoming") if len(f) > 12 and f[12] else False
        inst = Instance(
            name,
            _int(f[1], "memory"),
            _int(f[2], "disk"),
            _int(f[3], "vcpus"),
            f[4],
            _tags(f[9]),
            _bool(f[5], "auto_balance"),
            pdx,
            sdx,
            f[8],
            su,
            forth,
        )
        if len(f) > 11 and f[11] not in ("", "-"):
            inst.total_spindles = _int(f[11], "spindles")
        if sdx == pdx:
            raise LoadError("Instance '%s' has the same primary and secondary node" % name)
        inst.idx = len(instances)
        instances.append(inst)
    ctags = list(tlines)
    cpol = model.default_ipolicy()
    explicit = False
    for ln in plines:
        f = ln.split("|")
        if len(f) != 6:
            raise LoadError("Invalid/incomplete policy data: '%s'" % _show_fields(f))
        pol = parse_ipolicy_fields(f)
        if f[0] == "":
            cpol = pol
            explicit = True
        elif f[0] in gname:
            groups[gname[f[0]]].ipolicy = pol
        else:
            raise LoadError("Unknown group '%s' in policy" % f[0])
    return ClusterData(groups, nodes, instances, ctags, cpol, explicit)


def io_error_text(err: OSError) -> str:
    """An I/O error as the reference tools print it."""
    import errno

    kinds = {
        errno.ENOENT: "does not exist",
        errno.EACCES: "permission denied",
        errno.EISDIR: "inappropriate type",
        errno.ENOTDIR: "does not exist",
    }
    kind = kinds.get(err.errno, "failed")
    why = err.strerror
    if err.errno == errno.EISDIR:
        why = "is a directory"
    return "%s: openFile: %s (%s)" % (err.filename, kind, why)


def load_text_file(path: str) -> ClusterData:
    try:
        with open(path) as fh:
            text = fh.read()
    except OSError as err:
        raise LoadError(io_error_text(err)) from None
    return parse_text(text)


_APOL_ABBREV = {"p": "preferred", "a": "last_resort", "u": "unallocable"}


def parse_simulate(specs: list) -> ClusterData:
    """The simulated empty cluster of ``--simulate`` (one group per spec).

    Node and group indices are 1-based there, which only shows in the
    debug output; ``index_base`` records it.
    """
    from ganeti.htools.cli import parse_unit

    groups = []
    nodes = []
    for gi, spec in enumerate(specs, 1):
        parts = spec.split(",")
        if len(parts) == 5:
            parts = parts + ["1", "False"]
        elif len(parts) == 6:
            parts = parts + ["False"]
        if len(parts) != 7:
            raise LoadError(
                "Invalid cluster specification, expected 6 comma-separated"
                " sections (allocation policy, node count, disk size, memory"
                " size, number of CPUs, spindles) but got %d: '%s'" % (len(spec.split(",")), spec)
            )
        a, n, d, m, c, sp, ex = parts
        if a in model.ALLOC_POLICY_ORDER:
            apol = a
        elif a in _APOL_ABBREV:
            apol = _APOL_ABBREV[a]
        else:
            raise LoadError(
                'Invalid string value for type AllocPolicy: "%s";'
                " Cannot parse AllocPolicy abbreviation '%s'" % (a, a)
            )
        ncount = _read_int(n, "node count")
        try:
            disk = parse_unit(d)
        except ValueError as err:
            raise LoadError("disk size: %s" % err) from None
        try:
            mem = parse_unit(m)
        except ValueError as err:
            raise LoadError("memory size: %s" % err) from None
        cpu = _read_int(c, "cpu count")
        spindles = _read_int(sp, "spindles")
        if ex not in ("True", "False"):
            raise LoadError("exclusive storage: cannot parse string '%s'" % ex)
        excl = ex == "True"
        g = Group("group-%02d" % gi, "fake-uuid-%02d" % gi, apol)
        g.idx = gi - 1
        groups.append(g)
        for k in range(1, ncount + 1):
            node = Node(
                "node-%02d-%03d" % (gi, k),
                mem,
                0,
                mem,
                disk,
                disk,
                cpu,
                1,
                False,
                spindles,
                0,
                g.idx,
                excl,
            )
            node.is_master = gi == 1 and k == 1
            node.idx = len(nodes)
            nodes.append(node)
    cd = ClusterData(groups, nodes, [], [], model.default_ipolicy())
    cd.index_base = 1
    return cd


def _read_int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise LoadError("%s: cannot parse string '%s'" % (what, text)) from None


def _node_line(n: Node, groups: list) -> str:
    if n.offline:
        role = "Y"
    elif n.is_master:
        role = "M"
    else:
        role = "N"
    return "|".join(
        (
            n.name,
            "%d" % int(n.t_mem),
            "%d" % n.n_mem,
            "%d" % n.f_mem,
            "%d" % int(n.t_dsk),
            "%d" % n.f_dsk,
            "%d" % int(n.t_cpu),
            role,
            groups[n.group].uuid,
            "%d" % n.t_spindles,
            ",".join(n.tags),
            "Y" if n.excl_storage else "N",
            "%d" % n.f_spindles,
            "%d" % n.n_cpu,
            _show_float(n.cpu_speed),
        )
    )


def _show_float(x: float) -> str:
    return repr(float(x))


def serialize_cluster(cd: ClusterData) -> str:
    """Writes the cluster in the text format (as ``-S`` does)."""
    out = []
    for g in cd.groups:
        out.append(
            "|".join((g.name, g.uuid, g.alloc_policy, ",".join(g.tags), ",".join(g.networks)))
        )
    out.append("")
    for n in cd.nodes:
        out.append(_node_line(n, cd.groups))
    out.append("")
    for i in cd.instances:
        sn = cd.nodes[i.snode].name if i.snode >= 0 else ""
        out.append(
            "|".join(
                (
                    i.name,
                    "%d" % i.mem,
                    "%d" % i.dsk,
                    "%d" % i.vcpus,
                    i.run_st,
                    "Y" if i.auto_balance else "N",
                    cd.nodes[i.pnode].name,
                    sn,
                    i.disk_template,
                    ",".join(i.tags),
                    "%d" % i.spindle_use,
                    "-" if i.total_spindles is None else "%d" % i.total_spindles,
                    "Y" if i.forthcoming else "N",
                )
            )
        )
    out.append("")
    out.extend(cd.cluster_tags)
    out.append("")
    out.append(_policy_line("", cd.ipolicy))
    for g in cd.groups:
        out.append(_policy_line(g.name, g.ipolicy))
    return "\n".join(out)


def _policy_line(owner: str, pol: IPolicy) -> str:
    mm = ";".join("%s;%s" % (a.to_text(), b.to_text()) for a, b in pol.minmax)
    return "|".join(
        (
            owner,
            pol.std.to_text(),
            mm,
            ",".join(pol.disk_templates),
            _show_float(pol.vcpu_ratio),
            _show_float(pol.spindle_ratio),
        )
    )


def file_basename(path: str) -> str:
    return os.path.basename(path)
