"""hspace on clusters that are not N+1 redundant, against Ganeti 3.0.2's.

Found by experiment (small hand-made clusters, squeezed and over-full
generated ones): nodes failing the local N+1 check stop the allocation
(one FailN1) unless existing errors are accepted or independent groups
leave a group; a group that cannot be evacuated fails every single-node
candidate; mirrored (DRBD) candidates get no global check in hspace.
"""

import os

import pytest

from conftest import OURS, gen_cluster, haskell_tool, requires_haskell, run
from test_globaln1 import squeeze

pytestmark = requires_haskell

GROUP = "6018366c-f658-47a7-9ed3-4fe53a096533"
POLICY = (
    "|4096,2,51200,1,1,1|128,1,1024,1,1,1;131072,16,1048576,16,8,12|"
    "drbd,plain,diskless,file,sharedfile,blockdev,rbd,ext|4.0|32.0"
)


def small(path: str, free: int, insts: list, nodes: int = 3) -> str:
    """A one-group cluster of 10 GiB nodes with the given instances."""
    lines = ["group-01|%s|preferred||" % GROUP, ""]
    for k in range(nodes):
        lines.append(
            "node-%s|10240|0|%d|1048576|1048576|8|N|%s|1|rack:r01|N|0|1|1.0"
            % ("abcd"[k], free, GROUP)
        )
    lines.append("")
    lines += insts
    lines += ["", "", POLICY, "group-01" + POLICY, ""]
    with open(path, "w") as fh:
        fh.write("\n".join(lines))
    return path


def _plain(name: str, node: str, mem: int) -> str:
    return "%s|%d|10240|1|running|Y|%s||plain||1|-|N" % (name, mem, node)


@pytest.fixture(scope="module")
def n1data(tmp_path_factory):
    d = tmp_path_factory.mktemp("hspace-n1")
    three = [_plain("p" + c, "node-" + c, 6144) for c in "abc"]
    out = {
        # plain instances that cannot be re-created elsewhere
        "full": small(str(d / "full.data"), 4096, three),
        # the same with free memory reported too high (saved states)
        "inflated": small(str(d / "inflated.data"), 10240, three),
        "full-drbd": small(
            str(d / "full-drbd.data"),
            4096,
            three + ["da|512|1024|1|running|Y|node-a|node-b|drbd||1|-|N"],
        ),
        # redundant at first; allocations fill it up
        "roomy": small(
            str(d / "roomy.data"), 8192, [_plain("p" + c, "node-" + c, 2048) for c in "abcd"], 4
        ),
    }
    base = gen_cluster(str(d / "g12.data"), 12, 40, groups=2)
    out["g12"] = base
    out["g12-squeezed"] = squeeze(base, str(d / "g12s.data"), 0.1, "node-01-")
    out["dir"] = str(d)
    return out


SPEC = ["--standard-alloc=1024,512,1", "--tiered-alloc=1024,512,1"]
CASES = (
    [
        (name, tmpl, extra)
        for name in ("full", "inflated", "full-drbd", "roomy")
        for tmpl in ("plain", "drbd")
        for extra in ([], ["--accept-existing-errors"])
    ]
    + [
        ("g12-squeezed", tmpl, extra)
        for tmpl in ("plain", "drbd")
        for extra in (
            [],
            ["--independent-groups"],
            ["--accept-existing-errors"],
            ["--independent-groups", "--accept-existing-errors"],
        )
    ]
    + [("g12", "plain", ["--independent-groups"])]
)


@pytest.mark.parametrize(
    "name,tmpl,extra", CASES, ids=["%s-%s %s" % (n, t, " ".join(e)) for n, t, e in CASES]
)
def test_hspace_not_redundant(n1data, name, tmpl, extra):
    args = (
        ["-t", n1data[name], "--disk-template", tmpl, "--machine-readable", "-v", "-v", "-v", "-v"]
        + SPEC
        + extra
    )
    ref = run([haskell_tool("hspace")] + args, n1data["dir"])
    ours = run([os.path.join(OURS, "hspace")] + args, n1data["dir"])
    assert ours[1] == ref[1]
    assert ours[2] == ref[2]
    assert ours[0] == ref[0]


def test_bad_groups_listed(n1data):
    """The -v4 listing names the group that cannot be evacuated."""
    res = run(
        [
            os.path.join(OURS, "hspace"),
            "-t",
            n1data["full"],
            "-v",
            "-v",
            "-v",
            "-v",
            "--disk-template",
            "plain",
        ]
        + SPEC,
        n1data["dir"],
    )
    assert 'Bad groups: ["group-01"]' in res[2]
    assert "no instances allocated" in res[1]


@pytest.mark.parametrize("args", [[], ["-v", "-v", "-v"], ["-p"]])
def test_hinfo_one_node_no_tags(tmp_path, args):
    """Singular counts and the (empty) cluster tags line."""
    path = small(str(tmp_path / "one.data"), 8192, [_plain("pa", "node-a", 2048)], 1)
    cmd = ["-t", path] + args
    ref = run([haskell_tool("hinfo")] + cmd, str(tmp_path))
    ours = run([os.path.join(OURS, "hinfo")] + cmd, str(tmp_path))
    assert ours == ref
    assert "Loaded 1 node, 1 instance, 1 node group" in ours[1]


@pytest.mark.parametrize(
    "tool,args",
    [("hbal", ["-v", "-v"]), ("hbal", ["-v", "-v", "-v"]), ("hcheck", ["-v", "-v", "-v"])],
)
def test_no_cluster_tags_verbose(tmp_path, tool, args):
    """Verbose runs print the cluster tags line even without tags."""
    path = small(str(tmp_path / "one.data"), 8192, [_plain("pa", "node-a", 2048)], 1)
    cmd = ["-t", path] + args
    ref = run([haskell_tool(tool)] + cmd, str(tmp_path))
    ours = run([os.path.join(OURS, tool)] + cmd, str(tmp_path))
    assert ours == ref
