"""The global N+1 shortcuts agree with the exact simulation.

``PairTables.row`` decides most DRBD allocation candidates without
simulating node failures; every verdict it gives (OK or FAIL) must be the
one ``Checker.ok_after`` computes by simulation, on roomy and on over-full
clusters, with and without --accept-existing-errors.  No Haskell needed.
"""

import numpy as np
import pytest

from ganeti.htools import globaln1, loader
from ganeti.htools.model import Instance

from conftest import gen_cluster


def _load(path):
    cd = loader.load_text_file(path)
    return loader.merge_data(cd)


def _new_inst(cd, mem, dsk, offline=False):
    inst = Instance("new", mem, dsk, 1, "ADMIN_offline" if offline
                    else "running", [], True, -1, -1, "drbd")
    inst.idx = len(cd.instances)
    return inst


def _secondaries(nodes, p, ni):
    """(s, instance, new secondary node) of every node of p's group that
    accepts ``ni`` (placed on p) as secondary."""
    out = []
    for s, sn in enumerate(nodes):
        if s == p or sn.offline or sn.group != nodes[p].group:
            continue
        si = ni.copy()
        si.snode = s
        new_s = sn.add_sec(si, p)
        if not isinstance(new_s, str):
            out.append((s, si, new_s))
    return out


def _compare(cd, inst, accept):
    nodes = cd.nodes
    chk = globaln1.Checker(nodes, cd.instances, accept)
    tables = chk.pair_tables()
    assert tables is not None
    seen = {globaln1.OK: 0, globaln1.FAIL: 0, globaln1.EXACT: 0}
    for p, pn in enumerate(nodes):
        if pn.offline:
            continue
        ni = inst.copy()
        ni.pnode = p
        new_p = pn.add_pri(ni)
        if isinstance(new_p, str):
            continue
        accepted = _secondaries(nodes, p, ni)
        secs = [s for s, _, _ in accepted]
        news = [(si, new_s) for _, si, new_s in accepted]
        codes = tables.row(p, new_p, ni, secs)
        assert len(codes) == len(secs)
        arr = tables.row_array(p, new_p, ni, np.asarray(secs, dtype=np.int64))
        assert [int(x) for x in arr] == codes
        for s, code, (si, new_s) in zip(secs, codes, news):
            seen[code] += 1
            if code == globaln1.EXACT:
                continue
            exact = chk.ok_after([(p, pn, new_p), (s, nodes[s], new_s)], si)
            assert exact == (code == globaln1.OK), (p, s, code)
    return seen


@pytest.mark.parametrize("accept", [False, True])
@pytest.mark.parametrize("mem", [512, 4096, 12288])
def test_rows_match_simulation_roomy(tmp_path, accept, mem):
    cd = _load(gen_cluster(str(tmp_path / "c.data"), 16, 90))
    seen = _compare(cd, _new_inst(cd, mem, 20480), accept)
    assert seen[globaln1.OK] > 0


@pytest.mark.parametrize("accept", [False, True])
@pytest.mark.parametrize("name,mem", [("o8", 1024), ("o8", 2048),
                                      ("o20", 1024), ("o20", 6144),
                                      ("f8", 4096), ("f8", 512)])
def test_rows_match_simulation_full(clusters, accept, name, mem):
    """Over-full clusters: many candidates fail the check."""
    cd = _load(clusters[name])
    _compare(cd, _new_inst(cd, mem, 1024), accept)


def squeeze(src: str, dst: str, factor: float, prefix: str = "") -> str:
    """A copy of a text cluster whose even nodes (those named ``prefix``...)
    report less free memory (so they fail N+1 already and accept
    secondaries without the check)."""
    out = []
    section = 0
    with open(src) as fh:
        for line in fh:
            if line == "\n":
                section += 1
            elif section == 1 and line.startswith(prefix):
                f = line.rstrip("\n").split("|")
                if int(f[0][-2:]) % 2 == 0:
                    f[3] = str(int(int(f[3]) * factor))
                line = "|".join(f) + "\n"
            out.append(line)
    with open(dst, "w") as fh:
        fh.write("".join(out))
    return dst


@pytest.fixture(scope="module")
def squeezed(tmp_path_factory):
    import os
    import subprocess
    from conftest import OURS
    d = tmp_path_factory.mktemp("squeezed")
    base = gen_cluster(str(d / "c16.data"), 16, 60)
    subprocess.run([os.path.join(OURS, "hspace"), "-t", base,
                    "--disk-template", "drbd", "--no-capacity-checks",
                    "-S", str(d / "full"), "-q"], check=True,
                   capture_output=True)
    out = {}
    for src, name in ((base, "c16"), (str(d / "full.standard"), "full")):
        for fac in (0.2, 0.05):
            key = "%s-%s" % (name, fac)
            out[key] = squeeze(src, str(d / (key + ".data")), fac)
    return out


@pytest.mark.parametrize("accept", [False, True])
@pytest.mark.parametrize("mem", [256, 1024, 4096])
@pytest.mark.parametrize("name", ["c16-0.2", "c16-0.05", "full-0.2",
                                  "full-0.05"])
def test_rows_match_simulation_squeezed(squeezed, name, mem, accept):
    cd = _load(squeezed[name])
    _compare(cd, _new_inst(cd, mem, 1024), accept)


def test_squeezed_cluster_has_failures(squeezed):
    cd = _load(squeezed["full-0.2"])
    seen = _compare(cd, _new_inst(cd, 1024, 1024), False)
    assert seen[globaln1.FAIL] > 0 and seen[globaln1.OK] > 0


def test_offline_instance_uses_no_memory(clusters):
    cd = _load(clusters["o20"])
    _compare(cd, _new_inst(cd, 8192, 10240, offline=True), False)


@pytest.mark.parametrize("name", ["c16-0.2", "full-0.2", "full-0.05"])
@pytest.mark.parametrize("mem", [256, 1024, 4096])
def test_hail_squeezed_matches_reference(squeezed, tmp_path, name, mem):
    """hail with capacity checks on clusters with failing nodes."""
    import os
    from conftest import (OURS, gen_ialloc, haskell_tool, have_haskell, run,
                          write_request)
    if not have_haskell():
        pytest.skip("Ganeti's Haskell htools are not installed")
    gen_ialloc(squeezed[name], str(tmp_path))
    src = os.path.join(str(tmp_path), "%s-alloc-drbd.json" % name)
    req = write_request(src, str(tmp_path / "req.json"), memory=mem)
    ref = run([haskell_tool("hail"), req])
    ours = run([os.path.join(OURS, "hail"), req])
    assert ours == ref


@pytest.mark.parametrize("req", ["alloc-drbd", "alloc-plain", "multi-alloc"])
def test_hail_strict_across_groups(tmp_path, req):
    """One group with nodes that cannot be evacuated: hail refuses every
    candidate in every group (the whole cluster must stay redundant)."""
    import os
    from conftest import OURS, gen_ialloc, haskell_tool, have_haskell, run
    if not have_haskell():
        pytest.skip("Ganeti's Haskell htools are not installed")
    src = str(tmp_path / "g16src.data")
    import subprocess
    import sys
    from conftest import SHARED
    subprocess.run([sys.executable, os.path.join(SHARED, "gen_cluster.py"),
                    "--nodes", "16", "--instances", "60", "--groups", "2",
                    "-o", src], check=True, capture_output=True)
    out = []
    section = 0
    with open(src) as fh:
        for line in fh:
            if line == "\n":
                section += 1
            elif section == 1:
                f = line.rstrip("\n").split("|")
                if f[0].startswith("node-01") and int(f[0][-2:]) % 2 == 0:
                    f[3] = str(int(int(f[3]) * 0.2))
                line = "|".join(f) + "\n"
            out.append(line)
    dst = tmp_path / "g16s.data"
    dst.write_text("".join(out))
    gen_ialloc(str(dst), str(tmp_path))
    path = os.path.join(str(tmp_path), "g16s-%s.json" % req)
    ref = run([haskell_tool("hail"), path])
    assert "FailN1" in ref[1]
    assert run([os.path.join(OURS, "hail"), path]) == ref


@pytest.mark.parametrize("name", ["c8", "c20", "o8", "o20", "f8"])
def test_quick_simulate_matches(clusters, name):
    cd = _load(clusters[name])
    decided = _quick_matches(cd)
    if name.startswith("c"):
        assert decided > 0


def test_quick_simulate_matches_squeezed(squeezed):
    assert sum(_quick_matches(_load(p)) for p in squeezed.values()) > 0


def _quick_matches(cd):
    nodes = cd.nodes
    groups: dict = {}
    for x, nd in enumerate(nodes):
        groups.setdefault(nd.group, []).append(x)
    decided = 0
    for m, nd in enumerate(nodes):
        if nd.offline:
            continue
        quick = globaln1._quick_simulate(nodes, cd.instances, m,
                                         groups[nd.group])
        if quick is None:
            continue
        decided += 1
        assert quick == globaln1.simulate(nodes, cd.instances, m,
                                          want_witnesses=True,
                                          quick=False), m
    return decided


def _compare_single(cd, tmpl, mem, dsk, accept):
    nodes = cd.nodes
    chk = globaln1.Checker(nodes, cd.instances, accept)
    tables = chk.pair_tables()
    seen = {globaln1.OK: 0, globaln1.FAIL: 0, globaln1.EXACT: 0}
    for p, pn in enumerate(nodes):
        if pn.offline:
            continue
        inst = Instance("new", mem, dsk, 1, "running", [], True, -1, -1,
                        tmpl)
        inst.idx = len(cd.instances)
        inst.pnode = p
        new_p = pn.add_pri(inst)
        if isinstance(new_p, str):
            continue
        code = tables.one_node(p, new_p, inst)
        seen[code] += 1
        if code != globaln1.EXACT:
            exact = chk.ok_after([(p, pn, new_p)], inst)
            assert exact == (code == globaln1.OK), (p, code)
    return seen


@pytest.mark.parametrize("tmpl", ["plain", "file", "diskless", "sharedfile"])
@pytest.mark.parametrize("accept", [False, True])
def test_single_node_verdicts(clusters, squeezed, tmpl, accept):
    total = {globaln1.OK: 0, globaln1.FAIL: 0, globaln1.EXACT: 0}
    paths = [clusters["c8"], clusters["c20"], clusters["o8"]] + \
        list(squeezed.values())
    for path in paths:
        for mem in (512, 4096, 16384):
            seen = _compare_single(_load(path), tmpl, mem, 2048, accept)
            for k, v in seen.items():
                total[k] += v
    assert total[globaln1.OK] > 0


def _verdicts(chk, nodes, inst, tmpl):
    """ok_after of every single-node (plain) or pair (drbd) candidate."""
    out = []
    for p, pn in enumerate(nodes):
        if pn.offline:
            continue
        ni = inst.copy()
        ni.disk_template = tmpl
        ni.pnode = p
        new_p = pn.add_pri(ni)
        if isinstance(new_p, str):
            continue
        if tmpl != "drbd":
            out.append(((p,), chk.ok_after([(p, pn, new_p)], ni)))
            continue
        for s, si, new_s in _secondaries(nodes, p, ni):
            out.append(((p, s), chk.ok_after([(p, pn, new_p), (s, nodes[s], new_s)], si)))
    return out


@pytest.mark.parametrize("tmpl", ["plain", "drbd"])
@pytest.mark.parametrize("name", ["c8", "c20"])
def test_derived_checker_matches_fresh(clusters, name, tmpl):
    """A checker derived after accepted allocations gives the verdicts of
    one built from scratch on the new state (multi-allocate, hspace)."""
    cd = _load(clusters[name])
    nodes, insts = list(cd.nodes), list(cd.instances)
    chk = globaln1.Checker(nodes, insts)
    assert chk.base_redundant()
    hit = 0
    for step in range(6):
        inst = _new_inst(cd, 24576 + 8192 * step, 30720)
        inst.idx = len(insts)
        verdicts = _verdicts(chk, nodes, inst, tmpl)
        ok = [c for c, v in verdicts if v]
        if not ok:
            break
        # place it where most nodes have a witness (the case derive must
        # get right: those nodes need new witnesses)
        cand = max(ok, key=lambda c: sum(len(chk.wit_users.get(x, ())) for x in c))
        hit += any(chk.wit_users.get(x) for x in cand)
        placed = inst.copy()
        placed.disk_template = tmpl
        placed.pnode = cand[0]
        new_p = nodes[cand[0]].add_pri(placed)
        changes = [(cand[0], nodes[cand[0]], new_p)]
        if tmpl == "drbd":
            placed.snode = cand[1]
            changes.append((cand[1], nodes[cand[1]], nodes[cand[1]].add_sec(placed, cand[0])))
        new_nodes = list(nodes)
        for idx, _, n in changes:
            new_nodes[idx] = n
        new_insts = insts + [placed]
        derived = chk.derive(new_nodes, new_insts, changes, placed)
        fresh = globaln1.Checker(new_nodes, new_insts)
        assert derived.base_ok == fresh.base_ok
        # nodes only lose room, so the first witnesses stay the same ones
        assert derived.wits == fresh.wits
        assert sorted(map(sorted, derived.deps)) == sorted(map(sorted, fresh.deps))
        nxt = _new_inst(cd, 3072, 30720)
        nxt.idx = len(new_insts)
        assert _verdicts(derived, new_nodes, nxt, tmpl) == _verdicts(fresh, new_nodes, nxt, tmpl)
        nodes, insts, chk = new_nodes, new_insts, derived
    assert step > 0 and hit > 0
