"""The numpy pair scorer against the scalar path, and the fast loaders
against the per-instance model operations they replace.

The scalar pair search (``HTOOLS_NO_NUMPY=1``) is the oracle: for many
generated clusters and requests both paths must hand ``finish_pairs`` the
same candidates with bit-identical scores, the same failure counts and the
same chosen pair.
"""

import collections
import importlib.util
import json
import math
import os
import random
import sys

import numpy as np
import pytest

from conftest import SHARED
from ganeti.htools import alloc, fastalloc, iallocator, loader, metrics, model


def _gen_module():
    spec = importlib.util.spec_from_file_location(
        "gen_cluster", os.path.join(SHARED, "gen_cluster.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GEN = _gen_module()


def cluster_text(nodes: int, insts: int, groups: int, seed: int) -> str:
    _, gr, nd, ins = GEN.generate(nodes, insts, groups, seed)
    return GEN.render(gr, nd, ins)


def load(text: str) -> model.ClusterData:
    cd = loader.parse_text(text)
    loader.merge_data(cd)
    return cd


def new_instance(rng: random.Random, idx: int, tags=()) -> model.Instance:
    mem = rng.choice([128, 512, 1024, 4096, 8192, 16384, 30000, 60000])
    dsk = rng.choice([1024, 10240, 51328, 204928, 900000, 1500000])
    inst = model.Instance(
        "new-%d" % idx,
        mem,
        dsk,
        rng.choice([1, 2, 4, 8]),
        "running",
        list(tags),
        rng.random() > 0.2,
        -1,
        -1,
        "drbd",
        rng.choice([1, 1, 1, 2, 6, 12]),
    )
    inst.idx = idx
    inst.disks = [dsk]
    if rng.random() < 0.3:
        inst.util = tuple(rng.choice([0.0, 0.5, 1.0, 1.7, 3.25]) for _ in range(4))
    return inst


def perturb(cd: model.ClusterData, rng: random.Random) -> None:
    """Odd but valid node states: minimum disk ratios, utilisation,
    spindle ratios, nodes already failing N+1."""
    for n in cd.nodes:
        r = rng.random()
        if r < 0.15:
            n.set_mdsk(rng.choice([0.05, 0.2, 0.6]))
        elif r < 0.25:
            n.util_pool = (4.0, 4.0, rng.choice([1.0, 3.0, 7.5]), 4.0)
            n.util_load = (0.5, 0.25, rng.choice([0.0, 0.3, 2.5]), 0.0)
        elif r < 0.3:
            n.hi_spindles = rng.choice([4.0, 12.0, 128.0])
        elif r < 0.45 and n.r_mem > 600:
            # already failing N+1 (it reserves more than it has free) but
            # with room for a small secondary
            free = rng.randrange(513, n.r_mem + 1)
            n.x_mem = int(n.t_mem) - n.n_mem - n.i_mem - free
            n.fail_n1 = True


def run_pairs(cd, inst, targets, fast: bool, force=False, capacity=False):
    """(per_p, best, nok, failure counts, allocs, chosen) of one search."""
    seen = {}
    orig = alloc.finish_pairs

    def spy(nodes, insts, per_p, best, nok, opts, lazy, sol):
        seen["per_p"] = [
            (p, [int(s) for s in s_ok], [float(x).hex() for x in scs])
            for p, _, _, s_ok, scs in per_p
        ]
        seen["best"] = None if best is None else (float(best[0]).hex(), best[1], best[2])
        seen["nok"] = nok
        if opts.capacity:
            return  # the capacity checks are globaln1's business
        orig(nodes, insts, per_p, best, nok, opts, lazy, sol)

    old = alloc._FAST, alloc._FAST_MIN_PAIRS, alloc.finish_pairs
    alloc._FAST, alloc._FAST_MIN_PAIRS, alloc.finish_pairs = fast, 0, spy
    try:
        sol = alloc.try_alloc(
            cd.nodes,
            cd.instances,
            inst,
            targets,
            alloc.AllocOptions(capacity=capacity, force=force),
        )
    finally:
        alloc._FAST, alloc._FAST_MIN_PAIRS, alloc.finish_pairs = old
    chosen = None
    if sol.best is not None:
        chosen = (sol.best[1], float(sol.best[2]).hex())
    return (
        seen.get("per_p"),
        seen.get("best"),
        seen.get("nok"),
        sorted(collections.Counter(sol.failures).items()),
        sol.allocs,
        chosen,
    )


def assert_same(cd, inst, targets, **kw):
    assert fastalloc.applicable(cd.nodes, inst, targets)
    fast = run_pairs(cd, inst, targets, True, **kw)
    slow = run_pairs(cd, inst, targets, False, **kw)
    assert fast[0] is not None, "the fast path was not taken"
    assert fast == slow
    return fast


def group_targets(cd, gdx=None):
    ids = [n.idx for n in cd.nodes if gdx is None or n.group == gdx]
    return alloc.gen_alloc_nodes(cd.nodes, ids, 2, cd.groups)


@pytest.mark.parametrize("seed", range(12))
def test_pairs_match_scalar(seed):
    rng = random.Random(seed)
    ngroups = 1 + seed % 2
    cd = load(cluster_text(rng.choice([24, 40, 60]), rng.choice([60, 200, 400]), ngroups, seed))
    if seed % 3:
        perturb(cd, rng)
    chosen = set()
    for k in range(4):
        tags = ["service:svc%03d" % rng.randrange(3)] if rng.random() < 0.4 else []
        inst = new_instance(rng, len(cd.instances), tags)
        inst.excl_tags = list(tags)
        force = rng.random() < 0.25
        for gdx in range(ngroups):
            res = assert_same(cd, inst, group_targets(cd, gdx), force=force)
            chosen.add(res[5] is not None)
        # hspace's targets: every group at once
        assert_same(cd, inst, group_targets(cd), force=force)
    assert chosen  # at least one search ran


def test_failures_and_successes_both_seen():
    """The generated cases cover failing and accepted pairs and the
    reservation fixes (a secondary reserving memory for the primary)."""
    rng = random.Random(99)
    cd = load(cluster_text(60, 420, 1, 7))
    kinds = collections.Counter()
    for mem in (512, 8192, 30000):
        inst = new_instance(rng, len(cd.instances))
        inst.mem = mem
        inst.auto_balance = True
        res = assert_same(cd, inst, group_targets(cd, 0))
        for mode, count in res[3]:
            kinds[mode] += count
        kinds["ok"] += res[2] or 0
    assert kinds["ok"] and kinds[model.FAIL_MEM] and kinds[model.FAIL_DISK]
    # some pairs must need the reservation fix for the result to be right
    nodes = cd.nodes
    fixes = sum(1 for n in nodes for p, m in n.peers.items() if m + 30000 > n.r_mem)
    assert fixes


def test_capacity_mode_candidates_match():
    """With capacity checks every accepted pair reaches finish_pairs."""
    rng = random.Random(5)
    cd = load(cluster_text(40, 240, 2, 5))
    inst = new_instance(rng, len(cd.instances))
    inst.mem, inst.dsk, inst.disks, inst.spindle_use = 1024, 10240, [10240], 1
    for gdx in range(2):
        fast = run_pairs(cd, inst, group_targets(cd, gdx), True, capacity=True)
        slow = run_pairs(cd, inst, group_targets(cd, gdx), False, capacity=True)
        assert fast[:3] == slow[:3]
        assert fast[0]


@pytest.mark.parametrize("seed", range(4))
def test_irregular_targets(seed):
    """Targets not built by gen_alloc_nodes: random secondary subsets,
    shuffled orders, primaries of two groups interleaved."""
    rng = random.Random(100 + seed)
    cd = load(cluster_text(50, 250, 2, 11 + seed))
    online = [n.idx for n in cd.nodes if not n.offline]
    targets = []
    for p in rng.sample(online, 30):
        secs = [s for s in online if s != p and rng.random() < 0.6]
        if rng.random() < 0.3:
            rng.shuffle(secs)
        if secs:
            targets.append((p, secs))
    # and a run of regular rows of both groups, interleaved
    g0 = group_targets(cd, 0)
    g1 = group_targets(cd, 1)
    for a, b in zip(g0[:10], g1[:10]):
        targets += [a, b]
    inst = new_instance(rng, len(cd.instances))
    assert_same(cd, inst, targets)


def test_ties_last_candidate_wins():
    """Identical empty nodes give equal scores: the last pair wins."""
    text = cluster_text(30, 0, 1, 3)
    cd = load(text)
    rng = random.Random(1)
    inst = new_instance(rng, 0)
    inst.mem, inst.dsk, inst.disks, inst.spindle_use = 1024, 10240, [10240], 1
    res = assert_same(cd, inst, group_targets(cd, 0))
    scores = [x for _, _, scs in res[0] for x in scs]
    assert scores.count(res[1][0]) > 1  # several candidates tie


def _kernel_case(rng: random.Random, nr: int, nc: int):
    """Node values built to hit the corner cases of the running variance:
    equal values (zero variance), tiny changes (cancellation, negative
    variance clamped to zero), unchanged values, infinities and NaN."""
    base = rng.choice([0.0, 0.5, 1.0, 1e6])
    tiny = rng.choice([0.0, 1e-17, 1e-12, 1e-9, 0.25])
    # specials in one column only (a NaN anywhere makes every score NaN)
    odd = rng.choice(fastalloc._COLS)

    def value(i):
        r = rng.random()
        if r < 0.5:
            return base
        if r < 0.8:
            return base + rng.choice([-1, 1]) * tiny * rng.randrange(1, 4)
        if r < 0.9 or i != odd:
            return rng.random()
        return rng.choice([float("inf"), float("nan"), -0.0, 1e200])

    tmap: dict = {}

    def vals():
        v = [value(i) for i in range(metrics.N_METRICS)]
        v[18] = tmap
        return tuple(v)

    nodes = [vals() for _ in range(rng.randrange(2, 9))]
    stats = metrics.ClusterStats(
        [
            metrics._calculate(kind, [v[i] for v in nodes])
            for i, (_, _, kind, _) in enumerate(metrics.METRICS)
        ]
    )
    prim = [(nodes[rng.randrange(len(nodes))], vals()) for _ in range(nr)]
    sec = []
    for _ in range(nc):
        old = nodes[rng.randrange(len(nodes))]
        new = list(old)
        for c in fastalloc._COLS:
            if rng.random() < 0.6:
                new[c] = value(c)
        sec.append((old, tuple(new)))
    return stats, prim, sec


@pytest.mark.parametrize("seed", range(60))
def test_score_kernel_is_the_scalar_update(seed):
    """The grid kernel against ``metrics.score_changes``, value by value."""
    rng = random.Random(seed)
    stats, prim, sec = _kernel_case(rng, rng.randrange(1, 6), rng.randrange(1, 7))
    st = stats.stats
    with np.errstate(all="ignore"):
        rows = fastalloc._row_side(st, [p[0] for p in prim], [p[1] for p in prim])
        rec = np.zeros((len(fastalloc._OLD) + 15, len(sec)))
        for c, k in fastalloc._OLD.items():
            rec[k] = [o[c] for o, _ in sec]
        new = {c: np.array([n[c] for _, n in sec]) for c in fastalloc._COLS}
        cols = fastalloc._col_terms(st, rec, new)
        grid = fastalloc._scores(
            rows,
            cols,
            lambda a: a[:, None] if isinstance(a, np.ndarray) else a,
            (len(prim), len(sec)),
        )
    for r, (ovp, nvp) in enumerate(prim):
        for c, (ovs, nvs) in enumerate(sec):
            want = metrics.score_changes(stats, [(ovp, nvp, True), (ovs, nvs, True)])
            got = float(grid[r, c])
            assert (want != want and got != got) or want.hex() == got.hex(), (r, c)


def test_score_kernel_cases_reach_the_clamp():
    """Some kernel cases make the updated variance negative (clamped)."""
    hits = 0
    for seed in range(40):
        stats, prim, sec = _kernel_case(random.Random(seed), 3, 4)
        for i, (_, _, kind, _) in enumerate(metrics.METRICS):
            if kind != metrics.STD or i not in fastalloc._COLS:
                continue
            n, s, var = stats.stats[i]
            for ovs, nvs in sec:
                x, y = ovs[i], nvs[i]
                ds = y - x
                if x != y and var + ((n * (y * y - x * x) - 2 * s * ds) - ds * ds) / (n * n) < 0:
                    hits += 1
    assert hits


def _scalar_best(values):
    best = None
    for pos, v in enumerate(values):
        if best is None or not best[0] < v:
            best = (v, pos)
    return best


@pytest.mark.parametrize("seed", range(30))
def test_best_of_follows_the_scalar_loop(seed):
    rng = random.Random(seed)
    pool = [0.5, 0.25, 1.0, float("inf"), -0.0, 0.0, float("nan")]
    rows = []
    for _ in range(rng.randrange(1, 6)):
        n = rng.randrange(1, 6)
        w = [rng.choice(pool) if rng.random() < 0.5 else rng.choice(pool[:3]) for _ in range(n)]
        if seed % 3 == 0:
            w = [x for x in w if x == x] or [1.0]
        rows.append(np.array(w))
    flat = [x for r in rows for x in r]
    val, pos = _scalar_best(flat)
    got_v, k, j = fastalloc._best_of(rows)
    assert sum(len(r) for r in rows[:k]) + j == pos
    assert (math.isnan(val) and math.isnan(got_v)) or got_v == val


def test_not_applicable_cases():
    cd = load(cluster_text(20, 40, 1, 2))
    rng = random.Random(2)
    inst = new_instance(rng, len(cd.instances))
    targets = group_targets(cd, 0)
    assert fastalloc.applicable(cd.nodes, inst, targets)
    plain = inst.copy()
    plain.disk_template = "plain"
    assert not fastalloc.applicable(cd.nodes, plain, targets)
    forth = inst.copy()
    forth.forthcoming = True
    assert not fastalloc.applicable(cd.nodes, forth, targets)
    p = targets[0][0]
    saved = cd.nodes[p]
    cd.nodes[p] = saved.copy()
    cd.nodes[p].excl_storage = True
    assert not fastalloc.applicable(cd.nodes, inst, targets)
    # a bad node nobody uses does not matter
    assert fastalloc.applicable(cd.nodes, inst, [t for t in targets if t[0] != p and p not in t[1]])
    cd.nodes[p] = saved
    cd.nodes[p].location_tags = frozenset(["rack:r01"])
    assert not fastalloc.applicable(cd.nodes, inst, targets)


# ---------------------------------------------------------------------------
# loading


def _old_place(cd: model.ClusterData) -> None:
    """Placement through the model's per-instance operations (the oracle)."""
    nodes = cd.nodes
    for _ in range(2 if cd.place_twice else 1):
        for inst in cd.instances:
            nodes[inst.pnode].set_pri(inst)
            if inst.snode >= 0:
                nodes[inst.snode].set_sec(inst)
    for n in nodes:
        imem = 0
        for i in n.plist:
            inst = cd.instances[i]
            if inst.uses_memory():
                imem += inst.mem
        n.i_mem = imem
        n.x_mem = int(n.t_mem) - n.n_mem - n.f_mem - imem
        n.p_mem = loader._safe_div(n.unallocated_mem(), n.t_mem)
        n.build_peers(cd.instances)


def _canon(x):
    if isinstance(x, float):
        return ("f", x.hex() if x == x else "nan")
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_canon(y) for y in x])
    if isinstance(x, dict):
        return ("d", [(k, _canon(v)) for k, v in x.items()])
    if isinstance(x, (set, frozenset)):
        return ("s", sorted(x))
    if isinstance(x, model.IPolicy):
        return ("pol", repr(x))
    return (type(x).__name__, x)


def _odd_text(seed: int, forthcoming: bool = True) -> str:
    """A generated cluster with every placement feature switched on:
    forthcoming instances, offline and down instances, exclusive storage,
    location, desired-location and exclusion tags, zero-sized nodes."""
    rng = random.Random(seed)
    secs = cluster_text(30, 150, 2, seed).split("\n\n")
    nodes = []
    for ln in secs[1].split("\n"):
        f = ln.split("|")
        if rng.random() < 0.2:
            f[11] = "Y"  # exclusive storage
            f[12] = str(rng.randrange(0, 8))
        if rng.random() < 0.05:
            f[1] = "0"
            f[4] = "0"
        nodes.append("|".join(f))
    insts = []
    for ln in secs[2].split("\n"):
        f = ln.split("|")
        if rng.random() < 0.1 and forthcoming:
            f[12] = "Y"
        if rng.random() < 0.1:
            f[4] = rng.choice(["ADMIN_offline", "ERROR_down", "USER_down"])
        if rng.random() < 0.2:
            f[9] = ",".join(x for x in (f[9], "rack:r0%d" % rng.randrange(1, 3)) if x)
        if rng.random() < 0.2:
            f[11] = str(rng.randrange(1, 4))
        insts.append("|".join(f))
    tags = secs[3] + "\nhtools:nlocation:rack\nhtools:desiredlocation:rack"
    return "\n\n".join([secs[0], "\n".join(nodes), "\n".join(insts), tags] + secs[4:])


@pytest.mark.parametrize("twice", [False, True])
@pytest.mark.parametrize("kind", ["generated", "odd", "odd, none forthcoming"])
@pytest.mark.parametrize("seed", range(3))
def test_place_instances_matches_model_operations(seed, kind, twice):
    if kind == "generated":
        text = cluster_text(40, 300, 2, seed)
    else:
        text = _odd_text(seed, forthcoming=kind == "odd")
    a = loader.parse_text(text)
    b = loader.parse_text(text)
    a.place_twice = b.place_twice = twice
    # the one-pass placement without forthcoming instances, or the general one
    assert loader._mirrored(a.nodes, a.instances) == (kind != "odd")
    loader.merge_data(a)
    orig = loader.place_instances
    loader.place_instances = _old_place
    try:
        loader.merge_data(b)
    finally:
        loader.place_instances = orig
    if kind != "generated":
        assert any(n.location_tags for n in a.nodes)
        assert any(n.excl_storage for n in a.nodes)
        assert any(i.dsrd_loc_tags for i in a.instances)
    for na, nb in zip(a.nodes, b.nodes):
        assert list(na.__dict__) == list(nb.__dict__)
        for k in na.__dict__:
            assert _canon(na.__dict__[k]) == _canon(nb.__dict__[k]), (na.name, k)
    for ia, ib in zip(a.instances, b.instances):
        assert {k: _canon(v) for k, v in ia.__dict__.items()} == {
            k: _canon(v) for k, v in ib.__dict__.items()
        }


def test_place_instances_counts_earlier_placements():
    """Nodes that already carry instances keep counting them (memory,
    reservations), as the per-node recomputation did."""
    text = cluster_text(20, 80, 1, 4)
    a = loader.parse_text(text)
    b = loader.parse_text(text)
    for cd in (a, b):
        for inst in cd.instances[: len(cd.instances) // 2]:
            cd.nodes[inst.pnode].set_pri(inst)
            if inst.snode >= 0:
                cd.nodes[inst.snode].set_sec(inst)
    loader.place_instances(a)
    _old_place(b)
    for na, nb in zip(a.nodes, b.nodes):
        for k in na.__dict__:
            assert _canon(na.__dict__[k]) == _canon(nb.__dict__[k]), (na.name, k)


def _request() -> dict:
    return {
        "cluster_tags": [],
        "nodegroups": {"g1": {"name": "default", "alloc_policy": "preferred"}},
        "nodes": {
            "n1": {
                "group": "g1",
                "total_memory": 4096,
                "reserved_memory": 512,
                "free_memory": 3000,
                "total_disk": 100000,
                "free_disk": 90000,
                "total_cpus": 4,
                "reserved_cpus": 1,
                "tags": [],
            },
        },
        "instances": {
            "i1": {
                "nodes": ["n1"],
                "memory": 512,
                "vcpus": 1,
                "disk_space_total": 1024,
                "disk_template": "plain",
                "disks": [{"size": 1024}],
                "tags": ["a"],
                "spindle_use": 2,
                "admin_state": "down",
            },
            "i2": {
                "nodes": ["n1"],
                "memory": 256,
                "vcpus": 2,
                "disk_space_total": 2048,
                "disk_template": "plain",
                "disks": [{"size": 1000}, {"size": 1048}],
            },
        },
        "request": {
            "type": "allocate",
            "name": "new",
            "memory": 128,
            "disk_space_total": 1024,
            "vcpus": 1,
            "disks": [{"size": 1024}],
            "required_nodes": 1,
        },
    }


def test_parsed_instances_are_built_like_the_constructor():
    cd, _ = iallocator.parse_request(json.dumps(_request()))
    for inst in cd.instances:
        ref = model.Instance(
            inst.name,
            inst.mem,
            inst.dsk,
            inst.vcpus,
            inst.run_st,
            list(inst.tags),
            True,
            inst.pnode,
            inst.snode,
            inst.disk_template,
            inst.spindle_use,
        )
        ref.idx = inst.idx
        ref.disks = list(inst.disks)
        assert list(ref.__dict__) == list(inst.__dict__)
        assert {k: _canon(v) for k, v in ref.__dict__.items()} == {
            k: _canon(v) for k, v in inst.__dict__.items()
        }
    assert cd.instances[1].disks == [1000, 1048]
    assert cd.instances[0].run_st == "ADMIN_down"


def test_json_beyond_orjson():
    """What orjson refuses or rounds is read by the standard parser."""
    req = _request()
    big = 123456789012345678901234567890
    text = json.dumps(req).replace('"free_disk": 90000', '"free_disk": %d' % big)
    cd, _ = iallocator.parse_request(text)
    assert cd.nodes[0].f_dsk == big
    text = json.dumps(req).replace('"cluster_tags": []', '"cluster_tags": [], "x": NaN')
    cd, _ = iallocator.parse_request(text)
    assert cd.nodes[0].name == "n1"
    with pytest.raises(loader.LoadError) as err:
        iallocator.parse_request('{"nodes": [1,')
    try:
        json.loads('{"nodes": [1,')
    except ValueError as exc:
        want = "Parsing input IAllocator message: Malformed JSON: %s" % exc
    assert str(err.value) == want
    assert iallocator._CHECK_BIG[0] is False


def test_loading_leaves_the_collector_as_it_was():
    import gc

    text = json.dumps(_request())
    assert gc.isenabled()
    cd, _ = iallocator.parse_request(text)
    loader.merge_data(cd)
    assert gc.isenabled()
    gc.disable()
    try:
        iallocator.parse_request(text)
        assert not gc.isenabled()
    finally:
        gc.enable()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


def test_blocks_group_rows_exactly():
    """Every primary lands in a block whose list without it is exactly its
    secondaries; rows of one group share a block."""
    rng = random.Random(8)
    for _ in range(200):
        nodes = sorted(rng.sample(range(60), rng.randrange(2, 30)))
        rows = []
        for p in rng.sample(nodes, len(nodes)):
            secs = [s for s in nodes if s != p]
            r = rng.random()
            if r < 0.1:
                secs = secs[:-1]  # one short
            elif r < 0.15:
                rng.shuffle(secs)
            elif r < 0.2:
                secs = secs + [p]  # p among its secondaries
            rows.append((p, secs))
        blocks = fastalloc._blocks(rows)
        seen = []
        for f, members in blocks:
            for r, i in members:
                p, secs = rows[r]
                want = f if i < 0 else f[:i] + f[i + 1 :]
                assert secs == want
                assert i < 0 or f[i] == p
                seen.append(r)
        assert sorted(seen) == list(range(len(rows)))
        regular = sum(1 for _, m in blocks if len(m) > 1)
        assert regular <= 2
    b = fastalloc._Block(list(range(50)))
    for _ in range(500):
        i = rng.randrange(50)
        assert b.without(i) == [x for x in range(50) if x != i]


def test_json_exact_after_fast_backend(monkeypatch):
    """The daemons switch the serializer to orjson; hail's fallback parser
    must stay the exact one in the same process."""
    from ganeti import serializer

    monkeypatch.setattr(serializer, "load", serializer.load)
    monkeypatch.setattr(serializer, "dump_bytes", serializer.dump_bytes)
    monkeypatch.setattr(serializer, "FAST", serializer.FAST)
    serializer.use_fast_backend()
    test_json_beyond_orjson()
