"""hroller: unit tests of the scheduling rules and differential tests
against Ganeti 3.0.2's hroller (same stdout, stderr and exit code)."""

import contextlib
import io
import os
import random

import pytest

from ganeti.htools import hroller, loader
from ganeti.htools.hroller import Graph

from conftest import OURS, gen_cluster, haskell_tool, requires_haskell, run

# ---------------------------------------------------------------------------
# clusters written for these tests

_POLICY = (
    "|4096,2,51200,1,1,1|128,1,1024,1,1,1;131072,16,1048576,16,8,12|"
    "drbd,plain,diskless,file,sharedfile,blockdev,rbd,ext|4.0|32.0"
)
_TEMPLATES = ["drbd"] * 6 + ["plain", "plain", "file", "diskless", "sharedfile", "rbd"]
_STATES = ["running"] * 5 + ["ADMIN_down", "ADMIN_offline", "ERROR_up", "ERROR_down"]


def write_cluster(path, nodes, insts, groups=("g1",), ctags=()):
    """nodes: (name, tmem, tdsk, flag, tags, group); insts: (name, mem, dsk,
    state, pnode, snode, template).  Free memory and disk are consistent
    with the instances."""
    uuid = {g: "%08d-0000-0000-0000-000000000000" % k for k, g in enumerate(groups)}
    umem, udsk = {}, {}
    for name, mem, dsk, st, p, s, t in insts:
        if st in ("running", "ERROR_up"):
            umem[p] = umem.get(p, 0) + mem
        if t in ("drbd", "plain"):
            udsk[p] = udsk.get(p, 0) + dsk
            if s:
                udsk[s] = udsk.get(s, 0) + dsk
    out = ["%s|%s|preferred||" % (g, uuid[g]) for g in groups] + [""]
    for name, tmem, tdsk, flag, tags, grp in nodes:
        out.append(
            "%s|%d|0|%d|%d|%d|16|%s|%s|1|%s|N|0|1|1.0"
            % (
                name,
                tmem,
                tmem - umem.get(name, 0),
                tdsk,
                tdsk - udsk.get(name, 0),
                flag,
                uuid[grp or groups[0]],
                tags,
            )
        )
    out.append("")
    for name, mem, dsk, st, p, s, t in insts:
        out.append("%s|%d|%d|1|%s|Y|%s|%s|%s||1|-|N" % (name, mem, dsk, st, p, s or "", t))
    out += [""] + list(ctags) + ["", _POLICY]
    with open(path, "w") as fh:
        fh.write("\n".join(out))
    return path


def random_cluster(path, seed, offline=True, unknown=0.0):
    """A random cluster with tight capacities, several node groups, node
    tags, offline nodes (unless ``offline`` is false), nodes with unknown
    figures ("?", probability ``unknown``), shuffled lines."""
    r = random.Random(seed)
    ngroups = r.choice([1, 1, 2, 3])
    groups = ["grp-%d" % g for g in range(ngroups)]
    nn = r.choice([5, 8, 12, 20, 30])
    nodes = []
    for k in range(nn):
        flag = "Y" if offline and r.random() < 0.08 else "N"
        tags = ",".join(t for t in ("reboot", "other") if r.random() < 0.4)
        nodes.append(
            [
                "nd%02d" % k,
                r.choice([4096, 8192, 16384, 32768]),
                r.choice([20000, 50000, 100000, 400000]),
                flag,
                tags,
                groups[r.randrange(ngroups)],
            ]
        )
    if r.random() < 0.85:
        nodes[r.randrange(nn)][3] = "M"
    insts = []
    for k in range(int(nn * r.choice([0.5, 1, 2, 4])) + 1):
        t = r.choice(_TEMPLATES)
        p = r.randrange(nn)
        s = None
        if t == "drbd":
            same = [x for x in range(nn) if x != p and nodes[x][5] == nodes[p][5]]
            s = nodes[r.choice(same or [x for x in range(nn) if x != p])][0]
        insts.append(
            (
                "in%03d" % k,
                r.choice([256, 1024, 2048, 4096]),
                r.choice([1024, 5000, 10240, 30000]),
                r.choice(_STATES),
                nodes[p][0],
                s,
                t,
            )
        )
    r.shuffle(nodes)
    r.shuffle(insts)
    write_cluster(path, nodes, insts, tuple(groups))
    if unknown:
        with open(path) as fh:
            lines = fh.read().split("\n")
        for k, line in enumerate(lines):
            if line.startswith("nd") and r.random() < unknown:
                f = line.split("|")
                f[1] = "?"
                lines[k] = "|".join(f)
        with open(path, "w") as fh:
            fh.write("\n".join(lines))
    return path, nodes, groups


def _load(path):
    cd = loader.load_text_file(path)
    loader.merge_data(cd)
    return cd


def _ours(args):
    """Our hroller, run in this process (the launcher is tested below)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            hroller.main(args)
        except SystemExit as exc:
            code = exc.code or 0
    return code, out.getvalue(), err.getvalue()


def _ref(args):
    return run([haskell_tool("hroller")] + args)


# ---------------------------------------------------------------------------
# unit tests (no reference needed)


def test_graph_edges_and_self_loops(tmp_path):
    # a and c share secondary b: online, a-c are neighbours and both get a
    # self-loop; offline maintenance only keeps primary-secondary edges
    p = write_cluster(
        str(tmp_path / "g.data"),
        [(n, 16384, 100000, "N", "", None) for n in "abcd"],
        [
            ("i1", 512, 1000, "running", "a", "b", "drbd"),
            ("i2", 512, 1000, "running", "c", "b", "drbd"),
            ("i3", 512, 1000, "running", "a", None, "plain"),
        ],
    )
    cd = _load(p)
    sel = [0, 1, 2, 3]
    online = hroller.build_graph(cd.instances, sel, False)
    assert online.show() == "array (0,3) [(0,[0,2,1]),(1,[2,0]),(2,[0,2,1]),(3,[])]"
    offline = hroller.build_graph(cd.instances, sel, True)
    assert offline.show() == "array (0,3) [(0,[1]),(1,[2,0]),(2,[1]),(3,[])]"
    # unselected nodes inside the range stay as isolated vertices
    part = hroller.build_graph(cd.instances, [0, 2, 3], False)
    assert part.show() == "array (0,3) [(0,[0,2]),(1,[]),(2,[0,2]),(3,[])]"
    with pytest.raises(hroller.PlanError, match="Cannot create node graph"):
        hroller.build_graph(cd.instances, [], False)


@pytest.mark.parametrize("seed", range(12))
def test_colourings_are_proper(tmp_path, seed):
    path = gen_cluster(str(tmp_path / "c.data"), 15 + seed * 5, 60 + seed * 40, seed=seed)
    cd = _load(path)
    sel = [n.idx for n in cd.nodes]
    for offline in (False, True):
        g = hroller.build_graph(cd.instances, sel, offline)
        for name, classes in hroller.colorings(g):
            colour = {}
            for c, members in enumerate(classes):
                assert members == sorted(members)
                for v in members:
                    colour[v] = c
            assert sorted(colour) == list(range(g.lo, g.lo + len(g.adj)))
            for k, nbrs in enumerate(g.adj):
                v = g.lo + k
                for u in nbrs:
                    assert u == v or colour[u] != colour[v], (name, u, v)


def test_heuristics_order_and_summary():
    # a 5-cycle with a chord: LF needs 4 colours, Dsatur and Dcolor 3
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0), (0, 2)]
    adj = [[] for _ in range(5)]
    for a, b in edges:
        adj[a].append(b)
        adj[b].append(a)
    g = Graph(0, [list(reversed(a)) for a in adj])
    res = hroller.colorings(g)
    assert [name for name, _ in res] == ["LF", "Dsatur", "Dcolor"]
    best = hroller.best_coloring(res)
    assert len(best) == min(len(cls) for _, cls in res)
    line = hroller.coloring_summary(res)
    counts = [int(part.split()[0]) for part in line.split(": ")[1:]]
    assert counts == sorted(counts)
    assert ("TIE" in line) or ("LOOSE" in line)


def test_single_vertex_graph():
    g = Graph(7, [[]])
    for _, cls in hroller.colorings(g):
        assert cls == [[7]]


def test_non_redundant_instances_fill_first_nodes(tmp_path):
    # the reference's plan for this cluster: a's instances leave the most
    # recently placed first; b joins a's group, its instance moves on
    p = write_cluster(
        str(tmp_path / "m.data"),
        [
            ("a", 8192, 100000, "N", "", None),
            ("b", 4096, 100000, "N", "", None),
            ("c", 8192, 100000, "N", "", None),
            ("d", 8192, 100000, "M", "", None),
        ],
        [("i%d" % k, 2048, 1000, "running", "a", None, "plain") for k in range(1, 5)],
    )
    rc, out, err = _ours(["-t", p, "--print-moves"])
    assert (rc, err) == (0, "")
    assert out == ("'Node Reboot Groups'\na,b\n  i1 c\n  i2 c\n  i3 c\n  i4 d\nc,d\n")


def test_master_last_and_output_forms(tmp_path):
    p = write_cluster(
        str(tmp_path / "x.data"),
        [
            ("m", 16384, 100000, "M", "", None),
            ("a", 16384, 100000, "N", "", None),
            ("b", 16384, 100000, "N", "", None),
        ],
        [("i1", 512, 1000, "running", "a", "b", "drbd")],
    )
    rc, out, _ = _ours(["-t", p])
    assert out == "'Node Reboot Groups'\nb\na,m\n"
    rc, out, _ = _ours(["-t", p, "--one-step-only", "--no-headers"])
    assert out == "b\n"
    rc, out, _ = _ours(["-t", p, "--one-step-only"])
    assert out == "'First Reboot Group'\nb\n"


def test_errors(tmp_path):
    p = write_cluster(
        str(tmp_path / "e.data"),
        [("a", 8192, 100000, "N", "", None), ("b", 2048, 100000, "N", "", None)],
        [("big", 7000, 1000, "running", "a", None, "plain")],
    )
    assert _ours(["-t", p]) == (
        1,
        "",
        "Error: No master node found (maybe not supported by backend).\n",
    )
    rc, out, err = _ours(["-t", p, "--force"])
    assert rc == 1
    assert err.endswith("Error: Not enough capacity to move non-redundant instances\n")
    rc, out, err = _ours(["-t", p, "--force", "-G", "nosuch"])
    assert (rc, err.splitlines()[-1]) == (1, "Error: Cannot find target group.")
    rc, out, err = _ours(["-t", p, "--force", "--node-tags", "none"])
    assert (rc, err.splitlines()[-1]) == (1, "Error: Cannot create node graph")
    rc, out, err = _ours(["-t", p, "--force", "-O", "zz", "-O", "aa"])
    assert (rc, err.splitlines()[-2:]) == (
        1,
        ["Error: wrong node name(s) set as offline: aa,zz", ""],
    )
    rc, out, err = _ours(["-t", p, "--bogus"])
    assert rc == 2 and err.startswith("Command line error: unrecognized option `--bogus'")
    assert "Traceback" not in err


def _shared_secondary_cluster(path):
    # n1 and n3 carry the tag; n2 (untagged, inside the node range) is an
    # isolated vertex, so n1, n2 and n3 form one reboot group while
    # planning.  i1 fails over onto n2; emptying n2 moves j1's secondary
    # and leaves n4's name in n2's slot, emptying n3 then copies it on
    return write_cluster(
        path,
        [
            ("n1", 16384, 100000, "N", "reboot", None),
            ("n2", 16384, 100000, "N", "", None),
            ("n3", 16384, 100000, "N", "reboot", None),
            ("n4", 16384, 100000, "N", "", None),
            ("n5", 16384, 100000, "M", "", None),
        ],
        [
            ("i1", 512, 1000, "running", "n3", "n2", "drbd"),
            ("j1", 512, 1000, "running", "n4", "n2", "drbd"),
        ],
    )


def test_full_evacuation_names_slots_like_reference(tmp_path):
    # the reference prints i1's primary (really n2, where it was failed
    # over) under the name n4, as its secondary replacement overwrites
    # the old secondary's slot with the primary slot's node
    p = _shared_secondary_cluster(str(tmp_path / "n.data"))
    for extra in ([], ["--offline-maintenance"]):
        rc, out, err = _ours(
            ["-t", p, "--node-tags", "reboot", "--print-moves", "--full-evacuation"] + extra
        )
        assert (rc, err) == (0, "")
        assert out == "'Node Reboot Groups'\nn1,n3\n  i1 n4 n4\n  j1 n4 n5\n"
    # the groups and the other moves do not depend on it
    rc, out, err = _ours(["-t", p, "--node-tags", "reboot", "--full-evacuation"])
    assert out == "'Node Reboot Groups'\nn1,n3\n"


def test_save_keeps_the_loaded_state(tmp_path):
    p = write_cluster(
        str(tmp_path / "s.data"),
        [("m", 16384, 100000, "M", "", None), ("a", 16384, 100000, "N", "", None)],
        [("i1", 512, 1000, "running", "a", "m", "drbd")],
    )
    save = str(tmp_path / "out")
    rc, out, err = _ours(["-t", p, "-S", save, "-O", "a"])
    assert rc == 0
    assert err == (
        "The cluster state before hroller run has been written to file '%s.original'\n" % save
    )
    with open(save + ".original") as fh:
        assert fh.read() == loader.serialize_cluster(_load(p)) + "\n"


# ---------------------------------------------------------------------------
# differential tests


_OPTION_SETS = [
    [],
    ["--print-moves"],
    ["--print-moves", "-v", "-v", "-v"],
    ["--offline-maintenance", "--print-moves", "-v", "-v"],
    ["--skip-non-redundant", "-v", "-v", "-v"],
    ["--ignore-non-redundant", "--print-moves"],
    ["--node-tags", "reboot", "--print-moves", "-v", "-v", "-v"],
    ["--node-tags", "reboot,other", "--one-step-only", "--print-moves"],
    ["--no-headers", "-q"],
    ["--one-step-only", "--no-headers", "--print-moves"],
]


@requires_haskell
@pytest.mark.parametrize("seed", range(30))
def test_random_clusters_match_reference(tmp_path, seed):
    path, nodes, groups = random_cluster(str(tmp_path / "r.data"), seed)
    r = random.Random(seed)
    cases = [list(o) for o in _OPTION_SETS]
    cases.append(["-G", r.choice(groups), "--print-moves", "-v", "-v"])
    cases.append(["-O", r.choice(nodes)[0], "-O", r.choice(nodes)[0], "--print-moves"])
    for opts in cases:
        args = ["-t", path, "--force"] + opts
        assert _ours(args) == _ref(args), opts
    # without --force, a cluster without master is an error
    assert _ours(["-t", path]) == _ref(["-t", path])


@requires_haskell
@pytest.mark.parametrize("seed", range(100, 116))
def test_full_evacuation_matches_reference(tmp_path, seed):
    path, nodes, groups = random_cluster(str(tmp_path / "f.data"), seed, offline=False)
    for opts in (
        ["--print-moves"],
        ["--print-moves", "--offline-maintenance"],
        ["--print-moves", "--ignore-non-redundant", "-v", "-v"],
    ):
        args = ["-t", path, "--force", "--full-evacuation"] + opts
        assert _ours(args) == _ref(args), opts


# clusters and option sets where the reference's move lines name the
# node another slot holds (found by random search): a DRBD instance's
# primary and secondary both in one reboot group while planning, through
# unselected nodes inside the node range
_SLOT_NAME_CASES = [
    (0, True, 0, ["--node-tags", "reboot"]),
    (0, True, 0, ["--node-tags", "reboot,other", "--offline-maintenance"]),
    (32, False, 0, ["--skip-non-redundant"]),
    (67, True, 0, ["--ignore-non-redundant", "--node-tags", "reboot"]),
    (113, False, 0.2, ["--skip-non-redundant"]),
    (119, True, 0, ["-G", "grp-0"]),
    (119, True, 0, ["-O", "nd05", "-O", "nd01"]),
    (188, False, 0, ["-O", "nd09", "-O", "nd10"]),
    (290, False, 0, ["-G", "grp-1", "-v", "-v"]),
    (347, True, 0, ["--node-tags", "reboot", "--one-step-only"]),
]


@requires_haskell
@pytest.mark.parametrize("seed,offline,unknown,opts", _SLOT_NAME_CASES)
def test_full_evacuation_slot_names_match_reference(tmp_path, seed, offline, unknown, opts):
    path, _, _ = random_cluster(str(tmp_path / "s.data"), seed, offline=offline, unknown=unknown)
    args = ["-t", path, "--force", "--full-evacuation", "--print-moves"] + opts
    assert _ours(args) == _ref(args)


@requires_haskell
def test_shared_secondary_cluster_matches_reference(tmp_path):
    p = _shared_secondary_cluster(str(tmp_path / "n.data"))
    for extra in ([], ["--offline-maintenance"], ["-v", "-v", "-v"]):
        args = ["-t", p, "--node-tags", "reboot", "--print-moves", "--full-evacuation"] + extra
        assert _ours(args) == _ref(args)


@requires_haskell
@pytest.mark.parametrize("seed", range(200, 206))
def test_unknown_figures_match_reference(tmp_path, seed):
    # offline nodes without figures ("?") inside the node range: their
    # instances are moved and failed over like the others
    path, nodes, groups = random_cluster(str(tmp_path / "u.data"), seed, unknown=0.2)
    for opts in (
        ["--print-moves"],
        ["--print-moves", "--full-evacuation"],
        ["--full-evacuation", "--ignore-non-redundant"],
    ):
        args = ["-t", path, "--force"] + opts
        assert _ours(args) == _ref(args), opts


@requires_haskell
def test_save_error_matches_reference(tmp_path):
    path = gen_cluster(str(tmp_path / "c.data"), 8, 20, seed=3)
    args = ["-t", path, "-S", str(tmp_path / "missing" / "out")]
    assert _ours(args) == _ref(args)


@requires_haskell
@pytest.mark.parametrize("size", [20, 100])
def test_generated_clusters_match_reference(tmp_path, size):
    path = gen_cluster(str(tmp_path / "c.data"), size, size * 6, seed=size + 1)
    for opts in (
        [],
        ["--print-moves", "-v", "-v", "-v"],
        ["--full-evacuation", "--print-moves"],
        ["--offline-maintenance", "-v", "-v"],
        ["-G", "group-02", "--print-moves"],
    ):
        args = ["-t", path] + opts
        assert _ours(args) == _ref(args), opts


@requires_haskell
def test_larger_cluster_matches_reference(tmp_path):
    path = gen_cluster(str(tmp_path / "c.data"), 250, 2000, seed=250)
    args = ["-t", path, "--print-moves", "-v", "-v"]
    assert _ours(args) == _ref(args)


@requires_haskell
def test_launcher_matches_reference(tmp_path):
    path = gen_cluster(str(tmp_path / "c.data"), 20, 100, seed=5)
    for args in (["-t", path, "--print-moves"], ["-t", path, "-G", "zz"]):
        assert run([os.path.join(OURS, "hroller")] + args) == _ref(args)


@requires_haskell
@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["--bogus"],
        ["-t"],
        ["extra-argument"],
        [],
        ["-G", "nosuch"],
        ["--node-tags", "nosuch"],
        ["-O", "nosuch", "-O", "another"],
        ["--force", "-O", "nosuch"],
    ],
)
def test_errors_match_reference(tmp_path, args):
    path = gen_cluster(str(tmp_path / "c.data"), 8, 20, seed=3)
    full = (
        args
        if not args or args[0] in ("--help", "--version", "--bogus", "-t")
        else ["-t", path] + args
    )
    ours = _ours(full)
    ref = _ref(full)
    if args == ["--version"]:
        # the reference names the compiler it was built with
        assert ours[0] == ref[0] and ours[1].splitlines()[0] == ref[1].splitlines()[0]
    else:
        assert ours == ref


# ---------------------------------------------------------------------------
# the luxi backend knows the master from the cluster information


def test_luxi_master_is_last(tmp_path):
    from ganeti import pathutils
    from test_luxi_backend import ClusterMaster, _rows

    data = gen_cluster(str(tmp_path / "c.data"), 20, 120, seed=7)
    with open(data) as fh:
        text = fh.read()
    no_master = str(tmp_path / "nomaster.data")
    with open(no_master, "w") as fh:
        fh.write(text.replace("|M|", "|N|"))
    rows = _rows(data)
    assert rows[3]["master"] == "node-01-0001"
    old = pathutils.get_root() if hasattr(pathutils, "get_root") else None
    pathutils.set_root(str(tmp_path / "root"))
    server = ClusterMaster(rows).start()
    try:
        sock = pathutils.MASTER_SOCKET
        for opts in ([], ["--print-moves", "-v", "-v"]):
            via_luxi = run([os.path.join(OURS, "hroller"), "-L" + sock] + opts)
            assert via_luxi == _ours(["-t", data] + opts)
            groups = [
                ln
                for ln in via_luxi[1].splitlines()[1:]
                if not ln.startswith(("  ", "Node", "Dcolor"))
            ]
            assert groups[-1].split(",")[-1] == "node-01-0001"
            assert all("node-01-0001" not in g for g in groups[:-1])
    finally:
        server.stop()
        pathutils.set_root(old or "/")
    # the text file without the master flag: an error unless --force
    rc, out, err = _ours(["-t", no_master])
    assert rc == 1 and err == "Error: No master node found (maybe not supported by backend).\n"
    rc, out, err = _ours(["-t", no_master, "--force"])
    assert rc == 0 and err.startswith("Warning: No master node found")
