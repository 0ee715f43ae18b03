"""Large clusters (500 and 1,000 nodes): differential tests and the numpy
pair scorer against the scalar path.

The reference is slow on these sizes for some programs (hbal takes minutes
per move at 500 nodes, allocation with capacity checks hours), so only the
cases it answers in seconds are compared here: hinfo, hail without capacity
checks, a short hspace run.
"""

import os

import pytest

from conftest import OURS, haskell_tool, requires_haskell, run


def compare(tool: str, args: list, cwd: str) -> None:
    ref = run([haskell_tool(tool)] + args, cwd)
    ours = run([os.path.join(OURS, tool)] + args, cwd)
    assert ours[1] == ref[1]
    assert ours[2] == ref[2]
    assert ours[0] == ref[0], "exit code differs"


@requires_haskell
@pytest.mark.parametrize("size", [500, 1000])
def test_hinfo_large(big_clusters, size):
    compare("hinfo", ["-t", big_clusters["c%d" % size]], big_clusters["dir"])


@requires_haskell
@pytest.mark.parametrize("size", [500, 1000])
@pytest.mark.parametrize("req", ["alloc-drbd", "alloc-plain", "reloc"])
def test_hail_large(big_clusters, size, req):
    path = os.path.join(big_clusters["dir"], "c%d-%s.json" % (size, req))
    compare("hail", ["--no-capacity-checks", path], big_clusters["dir"])


@requires_haskell
def test_hspace_large(big_clusters):
    compare(
        "hspace",
        ["-t", big_clusters["c500"], "--no-capacity-checks", "-l", "2", "--machine-readable"],
        big_clusters["dir"],
    )


@pytest.mark.parametrize("name", ["c20", "c60", "c100"])
def test_numpy_pairs_match_scalar(clusters, name):
    """The vectorised pair scorer gives the scalar path's exact answers."""
    from ganeti.htools import alloc, iallocator, loader

    path = os.path.join(clusters["dir"], "%s-alloc-drbd.json" % name)
    with open(path) as fh:
        text = fh.read()
    results = []
    for fast in (True, False):
        cd, req = iallocator.parse_request(text)
        loader.merge_data(cd)
        inst = req.instances[0]
        inst.idx = len(cd.instances)
        old = alloc._FAST, alloc._FAST_MIN_PAIRS
        alloc._FAST = fast
        alloc._FAST_MIN_PAIRS = 0
        try:
            out = []
            for g in cd.groups:
                ids = [n.idx for n in cd.nodes if n.group == g.idx]
                targets = alloc.gen_alloc_nodes(cd.nodes, ids, 2)
                sol = alloc.try_alloc(
                    cd.nodes, cd.instances, inst, targets, alloc.AllocOptions(capacity=False)
                )
                out.append((sorted(sol.failures), sol.allocs, sol.best[1], repr(sol.best[2])))
        finally:
            alloc._FAST, alloc._FAST_MIN_PAIRS = old
        results.append(out)
    assert results[0] == results[1]
