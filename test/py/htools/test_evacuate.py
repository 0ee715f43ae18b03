"""hail's relocate, node-evacuate and change-group (ganeti.htools.evacuate).

Differential tests against Ganeti 3.0.2's hail on generated clusters
(several seeds and sizes) and on small hand-made clusters (every disk
template, failure messages, ties between identical nodes, soft limits,
no global N+1 check); the fast candidate search against the
straightforward one (``evacsearch._SLOW``), with and without numpy; the
batched from-scratch score against ``metrics.comp_cv``.
"""

import copy
import json
import os
import random

import pytest

from conftest import OURS, gen_cluster, gen_ialloc, haskell_tool, requires_haskell, run

from ganeti.htools import alloc, evacsearch, evacuate, iallocator, loader, metrics

NC = "--no-capacity-checks"
GROUP = "c963cfe0-afae-4a3b-b909-6a04e7d80068"
G2 = "5d2b8e4e-3c1a-4f0e-9a57-3b1f0c2d7e11"


# ---------------------------------------------------------------------------
# generated clusters, through the programs


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    d = tmp_path_factory.mktemp("evac-data")
    out = {"dir": str(d)}
    for name, nodes, seed in (("e20", 20, 3), ("e60", 60, 5), ("e100", 100, 9)):
        p = str(d / ("%s.data" % name))
        gen_cluster(p, nodes, nodes * 8, seed)
        gen_ialloc(p, str(d))
        out[name] = p
    return out


def compare(args: list, cwd: str) -> None:
    ref = run([haskell_tool("hail")] + args, cwd)
    ours = run([os.path.join(OURS, "hail")] + args, cwd)
    assert ours[1] == ref[1]
    assert ours[2] == ref[2]
    assert ours[0] == ref[0], "exit code differs"


GEN_CASES = [
    (name, req, flags)
    for name in ("e20", "e60", "e100")
    for req in ("reloc", "evac-sec", "evac-pri", "evac-all", "chgrp-any", "chgrp-g2")
    for flags in ([NC], [])
    if not (name == "e20" and req == "chgrp-g2")
    # the reference's capacity checks of change-group take minutes there
    and not (flags == [] and req.startswith("chgrp") and name != "e20")
    and not (flags == [] and name == "e100")
]


@requires_haskell
@pytest.mark.parametrize(
    "name,req,flags",
    GEN_CASES,
    ids=["%s-%s%s" % (n, r, " nc" if f else "") for n, r, f in GEN_CASES],
)
def test_generated(gen, name, req, flags):
    compare(flags + [os.path.join(gen["dir"], "%s-%s.json" % (name, req))], gen["dir"])


# ---------------------------------------------------------------------------
# hand-made clusters, through the module (the reference's whole answer)

_IPOL = {
    "disk-templates": ["drbd", "plain", "diskless", "file", "sharedfile", "blockdev", "rbd", "ext"],
    "minmax": [
        {
            "max": {
                "cpu-count": 16,
                "disk-count": 16,
                "disk-size": 1048576,
                "memory-size": 131072,
                "nic-count": 8,
                "spindle-use": 12,
            },
            "min": {
                "cpu-count": 1,
                "disk-count": 1,
                "disk-size": 1024,
                "memory-size": 128,
                "nic-count": 1,
                "spindle-use": 1,
            },
        }
    ],
    "spindle-ratio": 32.0,
    "std": {
        "cpu-count": 2,
        "disk-count": 1,
        "disk-size": 51200,
        "memory-size": 4096,
        "nic-count": 1,
        "spindle-use": 1,
    },
    "vcpu-ratio": 4.0,
}


def node(fmem=60000, fdsk=1000000, tmem=65536, group=GROUP, **kw) -> dict:
    n = {
        "drained": False,
        "free_disk": fdsk,
        "free_memory": fmem,
        "free_spindles": 0,
        "group": group,
        "i_pri_memory": 0,
        "i_pri_up_memory": 0,
        "master_candidate": True,
        "master_capable": True,
        "ndparams": {
            "cpu_speed": 1.0,
            "exclusive_storage": False,
            "oob_program": None,
            "spindle_count": 4,
        },
        "offline": False,
        "primary_ip": "192.0.2.1",
        "reserved_cpus": 1,
        "reserved_memory": 0,
        "secondary_ip": "198.51.100.1",
        "tags": [],
        "total_cpus": 16,
        "total_disk": 2000000,
        "total_memory": tmem,
        "total_spindles": 4,
        "vm_capable": True,
    }
    n.update(kw)
    return n


def inst(nodes, mem=1000, dsk=10000, tmpl="drbd", **kw) -> dict:
    i = {
        "admin_state": "up",
        "admin_state_source": "admin",
        "disk_space_total": dsk,
        "disk_template": tmpl,
        "disks": [{"mode": "rw", "size": dsk, "spindles": None}],
        "hypervisor": "xen-pvm",
        "memory": mem,
        "nics": [],
        "nodes": nodes,
        "os": "debian",
        "spindle_use": 1,
        "tags": [],
        "vcpus": 1,
    }
    i.update(kw)
    return i


def cluster(nodes: dict, insts: dict, req: dict, groups: int = 1) -> dict:
    ng = {
        GROUP: {
            "alloc_policy": "preferred",
            "ipolicy": _IPOL,
            "name": "group-01",
            "networks": [],
            "tags": [],
        }
    }
    if groups > 1:
        ng[G2] = dict(ng[GROUP], name="group-02")
    return {
        "cluster_name": "evac.example.com",
        "cluster_tags": [],
        "enabled_hypervisors": ["xen-pvm"],
        "version": 2,
        "ipolicy": _IPOL,
        "nodegroups": ng,
        "nodes": nodes,
        "instances": insts,
        "request": req,
    }


def evac(names, mode) -> dict:
    return {"type": "node-evacuate", "instances": names, "evac_mode": mode}


def reloc(name, frm) -> dict:
    return {
        "type": "relocate",
        "name": name,
        "relocate_from": frm,
        "required_nodes": 1,
        "disk_space_total": 10000,
    }


def chgrp(names, targets=()) -> dict:
    return {"type": "change-group", "instances": names, "target_groups": list(targets)}


def answer(data: dict, force: bool = False, capacity: bool = True) -> dict:
    """Our answer, as hail prints it (relocate through relocate_answer)."""
    cd, req = iallocator.parse_request(json.dumps(data))
    loader.merge_data(cd)
    opts = alloc.AllocOptions(capacity=capacity, force=force)
    raw = req.raw
    if req.kind == "relocate":
        ok, info, result = evacuate.relocate_answer(cd, raw, opts)
        return {"success": ok, "info": info, "result": result}
    if req.kind == "node-evacuate":
        moved, failed, jobs, _ = evacuate.node_evacuate(
            cd, raw["instances"], raw["evac_mode"], opts
        )
    else:
        moved, failed, jobs = evacuate.change_group(
            cd, raw["instances"], raw["target_groups"], opts
        )
    info = "Request successful: %d instances failed to move and %d were moved successfully" % (
        len(failed),
        len(moved),
    )
    return {"success": True, "info": info, "result": [moved, failed, jobs]}


def reference(data: dict, tmp_path, flags=()) -> dict:
    p = tmp_path / "req.json"
    p.write_text(json.dumps(data))
    rc, out, err = run([haskell_tool("hail")] + list(flags) + [str(p)])
    assert rc == 0, err
    return json.loads(out)


N4 = {"n%d" % k: node() for k in range(4)}
SIX = {"n%d" % k: node() for k in range(6)}
TWO_GROUPS = {
    "n0": node(),
    "n1": node(),
    "n2": node(),
    "n3": node(),
    "m0": node(group=G2),
    "m1": node(group=G2, fmem=30000),
    "m2": node(group=G2),
}
TEMPLATES = ["plain", "file", "diskless", "sharedfile", "blockdev", "rbd", "ext"]

HAND_CASES = {
    # relocate: the excluded nodes must be the node being replaced
    "reloc-ok": (N4, {"i1": inst(["n0", "n1"])}, reloc("i1", ["n1"])),
    "reloc-from-primary": (N4, {"i1": inst(["n0", "n1"])}, reloc("i1", ["n0"])),
    "reloc-from-both": (N4, {"i1": inst(["n0", "n1"])}, reloc("i1", ["n1", "n0"])),
    "reloc-from-none": (N4, {"i1": inst(["n0", "n1"])}, reloc("i1", [])),
    "reloc-no-node": (
        {"n0": node(), "n1": node()},
        {"i1": inst(["n0", "n1"])},
        reloc("i1", ["n1"]),
    ),
    "reloc-too-big": (N4, {"i1": inst(["n0", "n1"], mem=70000)}, reloc("i1", ["n1"])),
    "reloc-plain": (N4, {"i1": inst(["n0"], tmpl="plain")}, reloc("i1", ["n0"])),
    "reloc-rbd": (N4, {"i1": inst(["n0"], tmpl="rbd")}, reloc("i1", ["n0"])),
    "reloc-rbd-sec": (N4, {"i1": inst(["n0"], tmpl="rbd")}, reloc("i1", ["n1"])),
    "reloc-rbd-too-big": (N4, {"i1": inst(["n0"], tmpl="rbd", mem=70000)}, reloc("i1", ["n0"])),
    "reloc-diskless": (TWO_GROUPS, {"i1": inst(["n0"], tmpl="diskless")}, reloc("i1", ["n0"])),
    # pairs: the last pair's failing step is reported
    "all-first-small": (
        {"n0": node(), "n1": node(), "a": node(fmem=3000), "b": node()},
        {"i1": inst(["n0", "n1"], mem=5000)},
        evac(["i1"], "all"),
    ),
    "all-last-small": (
        {"n0": node(), "n1": node(), "a": node(), "b": node(fmem=3000)},
        {"i1": inst(["n0", "n1"], mem=5000)},
        evac(["i1"], "all"),
    ),
    "all-cpu": (
        {"n0": node(), "n1": node(), "a": node(total_cpus=2), "b": node(total_cpus=2)},
        {"i1": inst(["n0", "n1"], vcpus=16)},
        evac(["i1"], "all"),
    ),
    "all-no-pair": (
        {"n0": node(), "n1": node(), "n2": node()},
        {"i1": inst(["n0", "n1"])},
        evac(["i1"], "all"),
    ),
    "sec-too-big": (
        {"n%d" % k: node() for k in range(3)},
        {"i1": inst(["n0", "n1"], mem=70000)},
        evac(["i1"], "secondary-only"),
    ),
    "sec-no-node": (
        {"n0": node(), "n1": node()},
        {"i1": inst(["n0", "n1"])},
        evac(["i1"], "secondary-only"),
    ),
    "pri-too-big": (N4, {"i1": inst(["n0", "n1"], mem=70000)}, evac(["i1"], "primary-only")),
    # identical nodes: the from-scratch score decides
    "ties-all": (SIX, {"i1": inst(["n0", "n1"])}, evac(["i1"], "all")),
    "ties-sec": (SIX, {"i1": inst(["n0", "n1"])}, evac(["i1"], "secondary-only")),
    "ties-rbd": (SIX, {"i1": inst(["n0"], tmpl="rbd")}, evac(["i1"], "all")),
    "ties-chgrp": (
        dict(SIX, **{"m%d" % k: node(group=G2) for k in range(6)}),
        {"i1": inst(["n0", "n1"]), "i2": inst(["n2", "n3"], tmpl="rbd")},
        chgrp(["i1", "i2"]),
    ),
    "chgrp-one-group": (N4, {"i1": inst(["n0", "n1"])}, chgrp(["i1"])),
    "chgrp-own-group": (TWO_GROUPS, {"i1": inst(["n0", "n1"])}, chgrp(["i1"], ["group-01"])),
}
# an instance named twice: the reference moves it twice, starting both
# times from the request's record
for _m in ("primary-only", "secondary-only", "all"):
    HAND_CASES["dup-drbd-%s" % _m] = (SIX, {"i1": inst(["n0", "n1"])}, evac(["i1", "i1"], _m))
    HAND_CASES["dup-rbd-%s" % _m] = (SIX, {"i1": inst(["n0"], tmpl="rbd")}, evac(["i1", "i1"], _m))
HAND_CASES["reloc-2-nodes"] = (
    N4,
    {"i1": inst(["n0", "n1"])},
    dict(reloc("i1", ["n1"]), required_nodes=2),
)
HAND_CASES["chgrp-twice-named"] = (
    TWO_GROUPS,
    {"i1": inst(["n0", "n1"])},
    chgrp(["i1"], ["group-02", G2]),
)
HAND_CASES["chgrp-by-uuid"] = (TWO_GROUPS, {"i1": inst(["n0", "n1"])}, chgrp(["i1"], [G2]))
HAND_CASES["dup-chgrp"] = (
    TWO_GROUPS,
    {"i1": inst(["n0", "n1"])},
    chgrp(["i1", "i1"], ["group-02"]),
)
for _t in TEMPLATES:
    for _m in ("primary-only", "secondary-only", "all"):
        HAND_CASES["evac-%s-%s" % (_t, _m)] = (
            N4,
            {"i1": inst(["n0"], tmpl=_t), "i2": inst(["n0", "n1"])},
            evac(["i1", "i2"], _m),
        )
    HAND_CASES["chgrp-%s" % _t] = (
        TWO_GROUPS,
        {"i1": inst(["n0"], tmpl=_t), "i2": inst(["n0", "n1"])},
        chgrp(["i1", "i2"]),
    )


@requires_haskell
@pytest.mark.parametrize("case", sorted(HAND_CASES))
def test_hand_made(case, tmp_path):
    nodes, insts, req = HAND_CASES[case]
    data = cluster(
        nodes, insts, req, groups=2 if any(n["group"] == G2 for n in nodes.values()) else 1
    )
    assert answer(data) == reference(data, tmp_path)


@requires_haskell
def test_ignore_soft_errors(tmp_path):
    # failing over breaks the vcpu ratio (a soft limit) of the secondary
    nodes = {"n0": node(), "n1": node(total_cpus=2), "n2": node()}
    data = cluster(nodes, {"i1": inst(["n0", "n1"], vcpus=8)}, evac(["i1"], "primary-only"))
    strict = answer(data)
    assert strict == reference(data, tmp_path)
    assert strict["result"][1] == [["i1", "FailCPU"]]
    forced = answer(data, force=True)
    assert forced == reference(data, tmp_path, ["--ignore-soft-errors"])
    assert forced["result"][0] == [["i1", "group-01", ["n1", "n0"]]]


@requires_haskell
@pytest.mark.parametrize(
    "req", [reloc("i1", ["B"]), evac(["i1"], "secondary-only"), evac(["i1"], "all")]
)
def test_no_global_capacity_check(req, tmp_path):
    """The best new secondary C leaves A unable to fail over and re-create
    its plain instance; neither implementation checks that."""
    nodes = {
        "A": node(2000, tmem=10000),
        "B": node(4000, tmem=10000),
        "C": node(8000, 900000, tmem=10000),
        "D": node(4000, 500000, tmem=10000),
    }
    insts = {
        "i1": inst(["A", "B"], 3000),
        "p1": inst(["A"], 5000, tmpl="plain"),
        "p2": inst(["B"], 6000, tmpl="plain"),
        "p3": inst(["D"], 6000, tmpl="plain"),
    }
    data = cluster(nodes, insts, req)
    got = answer(data, capacity=True)
    assert got == reference(data, tmp_path) == reference(data, tmp_path, [NC])
    assert "C" in json.dumps(got["result"])


@requires_haskell
@pytest.mark.parametrize("mode", ["all", "primary-only", "secondary-only"])
def test_offline_primary(mode, tmp_path):
    """Offline nodes come with zero totals: no division error, and the
    reference's answer."""
    nodes = dict(N4, n0=node(offline=True))
    data = cluster(nodes, {"i1": inst(["n0", "n1"])}, evac(["i1"], mode))
    assert answer(data) == reference(data, tmp_path)


# ---------------------------------------------------------------------------
# the fast search against the straightforward one


def _variant(data: dict, rnd: random.Random) -> dict:
    """Offline or drained nodes, location tags, an empty group of identical
    nodes, a zero spindle ratio (non-finite scores)."""
    d = copy.deepcopy(data)
    names = sorted(d["nodes"])
    if rnd.random() < 0.3:
        for n in rnd.sample(names, max(1, len(names) // 8)):
            d["nodes"][n]["offline" if rnd.random() < 0.5 else "drained"] = True
    if rnd.random() < 0.4:
        d["cluster_tags"] = list(d.get("cluster_tags", [])) + ["htools:nlocation:rack"]
        for n in names:
            if rnd.random() < 0.5:
                d["nodes"][n]["tags"] = ["rack:r%02d" % rnd.randint(1, 3)]
    if rnd.random() < 0.1:
        for g in d["nodegroups"].values():
            g["ipolicy"] = dict(g["ipolicy"], **{"spindle-ratio": 0.0})
    if rnd.random() < 0.25:
        g = dict(next(iter(d["nodegroups"].values())), name="group-empty")
        d["nodegroups"]["uuid-empty"] = g
        tmpl = d["nodes"][names[0]]
        for k in range(rnd.randint(2, 12)):
            nd = copy.deepcopy(tmpl)
            nd.update(
                group="uuid-empty",
                free_memory=nd["total_memory"] - nd["reserved_memory"],
                free_disk=nd["total_disk"],
                i_pri_memory=0,
                i_pri_up_memory=0,
                tags=[],
                offline=False,
                drained=False,
            )
            d["nodes"]["node-empty-%02d" % k] = nd
    return d


def _requests(data: dict, rnd: random.Random, count: int) -> list:
    insts = data["instances"]
    drbd = sorted(n for n, i in insts.items() if i["disk_template"] == "drbd")
    other = sorted(n for n, i in insts.items() if i["disk_template"] != "drbd")
    groups = sorted(g["name"] for g in data["nodegroups"].values())
    out = []
    for _ in range(count):
        kind = rnd.choice(["evac", "evac", "reloc", "chgrp"])
        if kind == "evac":
            names = rnd.sample(drbd, min(len(drbd), rnd.randint(1, 5))) + rnd.sample(
                other, rnd.randint(0, 1)
            )
            req = evac(names, rnd.choice(["all", "secondary-only", "primary-only", "all"]))
        elif kind == "reloc":
            n = rnd.choice(drbd)
            req = reloc(n, [insts[n]["nodes"][1]])
        else:
            req = chgrp(rnd.sample(drbd, rnd.randint(1, 2)), rnd.choice([[], [rnd.choice(groups)]]))
        out.append(dict(data, request=req))
    return out


def _answer_or_error(data: dict, force: bool):
    try:
        return answer(data, force=force, capacity=False)
    except ZeroDivisionError:  # offline nodes (see test_offline_primary)
        return "ZeroDivisionError"


@pytest.mark.parametrize("size,seed", [(12, 1), (20, 2), (32, 3)])
def test_fast_matches_straightforward(tmp_path, monkeypatch, size, seed):
    p = str(tmp_path / "f.data")
    gen_cluster(p, size, size * 8, seed)
    gen_ialloc(p, str(tmp_path))
    with open(str(tmp_path / "f-reloc.json")) as fh:
        base = json.load(fh)
    rnd = random.Random(seed)
    checked = 0
    for _ in range(4):
        data = _variant(base, rnd)
        for req in _requests(data, rnd, 6):
            force = rnd.random() < 0.3
            monkeypatch.setattr(evacsearch, "_SLOW", True)
            ref = _answer_or_error(req, force)
            monkeypatch.setattr(evacsearch, "_SLOW", False)
            for numpy_min in (10**9, 0):
                monkeypatch.setattr(evacsearch, "_NUMPY_MIN_PAIRS", numpy_min)
                monkeypatch.setattr(evacsearch, "_NUMPY_MIN_SCRATCH", numpy_min)
                assert _answer_or_error(req, force) == ref, req["request"]
                checked += 1
    assert checked == 48


def test_scratch_scores_bit_identical(tmp_path):
    from ganeti.htools import fastevac

    p = str(tmp_path / "s.data")
    gen_cluster(p, 40, 320, 4)
    gen_ialloc(p, str(tmp_path))
    with open(str(tmp_path / "s-reloc.json")) as fh:
        text = fh.read()
    cd, _ = iallocator.parse_request(text)
    loader.merge_data(cd)
    nodes = [n for n in cd.nodes if n.group == 0]
    nodes[3] = nodes[3].copy()
    nodes[3].offline = True
    vals = [metrics.node_values(n) for n in nodes]
    rnd = random.Random(7)
    cands = []
    for _ in range(60):
        new = {}
        for _ in range(rnd.randint(0, 4)):
            r = rnd.randrange(len(nodes))
            src = rnd.choice([k for k in range(len(nodes)) if nodes[k].offline == nodes[r].offline])
            new[r] = src
        cands.append(new)
    got = fastevac.scratch_scores(
        vals, [n.offline for n in nodes], [{r: vals[src] for r, src in c.items()} for c in cands]
    )
    for c, score in zip(cands, got):
        ref = metrics.comp_cv([nodes[c.get(k, k)] for k in range(len(nodes))])
        assert repr(score) == repr(ref)


@requires_haskell
def test_location_exclusion_ties(tmp_path):
    """Location and exclusion tags: the incremental score undercounts the
    exclusion metric when a (location, tag) pair disappears, so candidates
    beyond the tolerance can win from scratch (found by random search)."""
    p = str(tmp_path / "x.data")
    gen_cluster(p, 24, 192, 24007)
    gen_ialloc(p, str(tmp_path))
    with open(str(tmp_path / "x-reloc.json")) as fh:
        data = json.load(fh)
    data["cluster_tags"] = data["cluster_tags"] + ["htools:nlocation:rack"]
    for k in (2, 3, 4, 7, 8, 12, 20, 22):
        data["nodes"]["node-01-%04d" % k]["tags"] = ["rack:r03"]
    data["request"] = evac(
        ["inst-00110", "inst-00078", "inst-00122", "inst-00114", "inst-00037"], "all"
    )
    path = tmp_path / "x-evac.json"
    path.write_text(json.dumps(data))
    compare([NC, str(path)], str(tmp_path))


SOFT_CASES = {
    # the new secondary would become N+1 failing (a soft limit)
    "reloc": (
        {"n0": node(), "n1": node(), "n2": node(fmem=5000)},
        {"i1": inst(["n0", "n1"], mem=6000)},
        reloc("i1", ["n1"]),
    ),
    "evac-sec": (
        {"n0": node(), "n1": node(), "n2": node(fmem=5000)},
        {"i1": inst(["n0", "n1"], mem=6000)},
        evac(["i1"], "secondary-only"),
    ),
    # the group is chosen with the option, the moves are made without it
    "chgrp": (
        {
            "n0": node(),
            "n1": node(),
            "m0": node(group=G2, total_cpus=2),
            "m1": node(group=G2, total_cpus=2),
            "m2": node(group=G2, total_cpus=2),
        },
        {"i1": inst(["n0", "n1"], vcpus=8), "i2": inst(["n0"], tmpl="rbd", vcpus=8)},
        chgrp(["i1", "i2"]),
    ),
}


@requires_haskell
@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("case", sorted(SOFT_CASES))
def test_soft_limits(case, force, tmp_path):
    nodes, insts, req = SOFT_CASES[case]
    data = cluster(nodes, insts, req, groups=2 if case == "chgrp" else 1)
    flags = ["--ignore-soft-errors"] if force else []
    assert answer(data, force=force) == reference(data, tmp_path, flags)


BAD_REQUESTS = {
    "reloc-unknown-instance": reloc("zz", ["n1"]),
    "reloc-unknown-node": reloc("i1", ["n1", "zz"]),
    "reloc-no-name": {"type": "relocate", "relocate_from": ["n1"], "required_nodes": 1},
    "reloc-no-required-nodes": {"type": "relocate", "name": "i1", "relocate_from": ["qq"]},
    "reloc-no-from": {"type": "relocate", "name": "i1", "required_nodes": 1},
    "evac-unknown-instance": evac(["i1", "zz"], "all"),
    "evac-unknown-before-mode": evac(["zz"], "bogus"),
    "evac-bad-mode": evac(["i1"], "bogus"),
    "evac-no-mode": {"type": "node-evacuate", "instances": ["i1"]},
    "evac-no-instances": {"type": "node-evacuate", "evac_mode": "all"},
    "chgrp-unknown-instance": chgrp(["zz", "i1"]),
    "chgrp-unknown-group": chgrp(["i1"], ["zz"]),
    "chgrp-unknown-both": chgrp(["yy"], ["zz"]),
    "chgrp-no-targets": {"type": "change-group", "instances": ["i1"]},
}


@requires_haskell
@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_bad_request(case, tmp_path):
    from ganeti.htools.loader import LoadError

    data = cluster(TWO_GROUPS, {"i1": inst(["n0", "n1"])}, BAD_REQUESTS[case], groups=2)
    p = tmp_path / "req.json"
    p.write_text(json.dumps(data))
    rc, out, err = run([haskell_tool("hail"), str(p)])
    assert rc == 1 and out == ""
    cd, req = iallocator.parse_request(json.dumps(data))
    loader.merge_data(cd)
    with pytest.raises(LoadError) as info:
        evacuate.check_request(cd, req.raw)
    assert err.rstrip("\n").endswith("Error: %s" % info.value)
