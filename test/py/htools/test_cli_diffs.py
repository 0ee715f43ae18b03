"""Command-line and shared-output behaviour of the htools against Ganeti 3.0.2.

Differential tests on small generated clusters (and variants of them):
the N+1 verdict and instance maps, the inconsistent-data warning at every
verbosity, backend conflicts, --help-completion and --version, getopt
errors and option values, -O with unknown names, hbal's -S files, static
KVM node memory for -I, nodes with unknown figures, hbal's early exit.
"""

import os
import re

import pytest

from ganeti.htools import hsread

from conftest import OURS, gen_cluster, gen_ialloc, haskell_tool, requires_haskell, run

PROGRAMS = ["hbal", "hinfo", "hspace", "hcheck", "hroller", "hscan", "hail"]


def both(tool, args, cwd=None):
    """(reference, ours): each (exit code, stdout, stderr)."""
    return (
        run([haskell_tool(tool)] + args, cwd=cwd),
        run([os.path.join(OURS, tool)] + args, cwd=cwd),
    )


def same(tool, args, cwd=None):
    ref, ours = both(tool, args, cwd)
    assert ours == ref, (tool, args)
    return ref


def _edit(src, dst, *subs):
    with open(src) as fh:
        text = fh.read()
    for pat, rep in subs:
        new = re.sub(pat, rep, text, flags=re.M)
        assert new != text, pat
        text = new
    with open(dst, "w") as fh:
        fh.write(text)
    return dst


N2 = r"^node-01-0002\|131072\|2048\|122880\|4194304\|3835520\|32\|N\|([^|]*)\|8\|rack:r01\|N\|0\|1\|1\.0$"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli-diffs")
    c4 = gen_cluster(str(d / "c4.data"), 4, 3, seed=1)
    out = {"dir": str(d), "c4": c4}
    # node-01-0001 cannot take its secondaries' memory (N+1 unhappy) and
    # misses memory (inconsistent)
    out["n1"] = _edit(
        c4,
        str(d / "n1.data"),
        (r"^node-01-0001\|65536\|1024\|64512", "node-01-0001|8192|1024|1000"),
    )
    # inconsistent data on a node without N+1 trouble
    out["inc"] = _edit(
        c4,
        str(d / "inc.data"),
        (r"^node-01-0003\|65536\|1024\|64512", "node-01-0003|65536|1024|62000"),
    )
    # the same node offline in the file
    out["incoff"] = _edit(
        out["inc"], str(d / "incoff.data"), (r"^(node-01-0003(\|[^|]*){6})\|N\|", r"\1|Y|")
    )
    # a node with unknown figures, other fields odd, role M; the only master
    out["q"] = _edit(
        c4,
        str(d / "q.data"),
        (N2, r"node-01-0002|?|2048|?|4194304|3835520|32|M|\1|abc|rack:r01,x:y|Q|z|w|v"),
        (r"^(node-01-0001(\|[^|]*){6})\|M\|", r"\1|N|"),
    )
    # names with a common domain, instances out of name order, run states
    # the reference's memory accounting agrees with ours on, disks not in
    # whole GiB, a second group
    lines = open(c4).read().split("\n\n")
    nodes = [ln.split("|") for ln in lines[1].split("\n")]
    for f in nodes:
        f[0] = f[0].replace("node-01-", "n") + ".example.com"
    insts = []
    states = [
        "running",
        "ERROR_up",
        "ADMIN_down",
        "USER_down",
        "ERROR_down",
        "ADMIN_offline",
        "running",
    ]
    for k, st in enumerate(states):
        p = nodes[k % 4][0]
        s = nodes[(k + 1) % 4][0] if k % 3 else ""
        insts.append(
            "zi%02d.example.com|%d|%d|%d|%s|%s|%s|%s|%s||1|-|N"
            % (
                10 - k,
                512 + k,
                1000 + k * 1500,
                1 + k,
                st,
                "Y" if k % 2 else "N",
                p,
                s,
                "drbd" if s else "plain",
            )
        )
    lines[1] = "\n".join("|".join(f) for f in nodes)
    lines[2] = "\n".join(insts)
    out["st"] = str(d / "st.data")
    with open(out["st"], "w") as fh:
        fh.write("\n\n".join(lines))
    out["g2"] = gen_cluster(str(d / "g2.data"), 6, 6, seed=3)
    # ambiguous short names: n1.a.com / n1.b.com
    out["amb"] = _edit(
        out["st"],
        str(d / "amb.data"),
        (r"n0001\.example\.com", "n1.a.com"),
        (r"n0002\.example\.com", "n1.b.com"),
    )
    gen_ialloc(c4, str(d))
    out["kvm"] = str(d / "c4-alloc-drbd-kvm.json")
    return out


# --------------------------------------------------------------------------
# without the reference


def test_read_numbers_as_the_reference():
    assert hsread.try_read("x", " (( -0x10 ))") == -16
    assert hsread.try_read("x", "99999999999999999999") == 7766279631452241919
    assert hsread.try_read("x", "1e3", True) == 1000.0
    assert hsread.try_read("x", "-Infinity", True) == float("-inf")
    with pytest.raises(hsread.ReadError, match="cannot parse string '1.5'"):
        hsread.try_read("x", "1.5")
    with pytest.raises(hsread.ReadError, match="leftover characters when parsing '1.e3': '.e3'"):
        hsread.try_read("x", "1.e3", True)


# --------------------------------------------------------------------------
# 1. N+1 verdict and instance maps


@requires_haskell
@pytest.mark.parametrize("args", [[], ["-v", "-v"], ["--print-instances", "-p"]])
def test_hinfo_n1_verdict_and_instance_map(data, args):
    ref = same("hinfo", ["-t", data["n1"]] + args)
    assert "Cluster is N+1 unhappy" in ref[1]
    same("hinfo", ["-t", data["c4"]] + args)


@requires_haskell
def test_instance_maps(data):
    ref = same("hinfo", ["-t", data["st"], "--print-instances", "-v", "-v", "-v"])
    assert "Instances instance map:" in ref[2] and " R zi10.example.com " in ref[2]
    ref = same("hbal", ["-t", data["st"], "--print-instances", "-p", "-C", "-v", "-v"])
    assert "Final instance map:" in ref[2]
    same("hbal", ["-t", data["g2"], "-G", "group-02", "--print-instances", "-pname,+"])


# --------------------------------------------------------------------------
# 2. the inconsistent-data warning


@requires_haskell
@pytest.mark.parametrize("tool", ["hinfo", "hbal", "hspace", "hcheck", "hroller"])
def test_inconsistency_warning_by_verbosity(data, tool):
    extra = ["-l", "2"] if tool == "hspace" else []
    for verb in ([], ["-q"], ["-q", "-q"], ["-v"], ["-v", "-q", "-q"]):
        ref = same(tool, ["-t", data["inc"]] + extra + verb)
        assert ("Warning: cluster has inconsistent data" in ref[2]) == (
            verb.count("-v") - verb.count("-q") != -1
        )


@requires_haskell
def test_inconsistency_warning_offline_nodes(data):
    ref = same("hcheck", ["-t", data["incoff"]])
    assert "node-01-0003 is missing" in ref[2]
    ref = same("hinfo", ["-t", data["inc"], "-O", "node-01-0003"])
    assert "node-01-0003 is missing" in ref[2]
    same("hspace", ["-t", data["inc"], "-l", "2", "--machine-readable"])


# --------------------------------------------------------------------------
# 3. backend conflicts


@requires_haskell
@pytest.mark.parametrize(
    "tool,args",
    [
        ("hbal", ["-L"]),
        ("hinfo", ["-m", "localhost"]),
        ("hspace", ["-m", "x", "-L"]),
        ("hcheck", ["-L/nonexistent"]),
    ],
)
def test_only_one_backend(data, tool, args):
    ref = same(tool, ["-t", data["c4"]] + args)
    assert ref[2] == "Error: Only one of the rapi, luxi, and data files options should be given.\n"


# --------------------------------------------------------------------------
# 4./5. --help-completion, --version


@requires_haskell
@pytest.mark.parametrize("tool", PROGRAMS)
def test_version(tool):
    for args in (["--version"], ["-V"], ["--help-completion", "-V"], ["x", "-V"]):
        same(tool, args)


@requires_haskell
@pytest.mark.parametrize("tool", [p for p in PROGRAMS if p != "hail"])
def test_help_completion(tool):
    ref = same(tool, ["--help-completion"])
    assert ref[0] == 0 and ref[1]
    same(tool, ["--help-completion", "--help"])


# --------------------------------------------------------------------------
# 6. getopt errors and option values


@requires_haskell
@pytest.mark.parametrize(
    "args",
    [
        ["--o"],
        ["--m"],
        ["--mi=3", "--foo"],
        ["-x", "-y"],
        ["-zq", "-zx"],
        ["--verb=2"],
        ["--prio"],
        ["--foo=3"],
        ["--print-instances=3"],
        ["-t"],
        ["-vt"],
        ["--min-gain=y", "--max-length=x"],
        ["-l", "3x"],
        ["-l", " (-0x10)", "-l", "1.5"],
        ["--max-cpu=-1"],
        ["--max-cpu=1.e3"],
        ["--priority=LOW"],
        ["--mond=maybe"],
        ["-l", "x", "--help"],
        ["foo", "--help-completion"],
        ["-", "-e", "1000"],
        ["--", "-t"],
    ],
)
def test_hbal_command_line_errors(args):
    same("hbal", args)


@requires_haskell
@pytest.mark.parametrize(
    "args",
    [
        ["--disk-template=x", "-l", "y"],
        ["--machine-readable=x", "-l", "y"],
        ["--spindle-use=-1", "-l", "y"],
        ["--tiered-alloc=1,2", "--standard-alloc=x"],
        ["--standard-alloc=1,2,3x"],
        ["--standard-alloc=1.5,2,3"],
        ["--spindle-use=1.5"],
    ],
)
def test_hspace_option_values(args):
    same("hspace", args)


@requires_haskell
@pytest.mark.parametrize("disk", ["0x10", " 16", "(16)", "16 g", "16GB", "16e2"])
def test_hspace_spec_units(disk):
    ref = same(
        "hspace",
        ["--simulate=p,2,100g,16g,4", "--standard-alloc=%s,2,3" % disk, "--machine-readable"],
    )
    if ref[0] == 0:
        assert "HTS_ALLOC_USAGE=NaN" in ref[1]


@requires_haskell
def test_hail_argument_count():
    same("hail", ["a", "b"])


# --------------------------------------------------------------------------
# 7. -O


@requires_haskell
@pytest.mark.parametrize("tool", ["hinfo", "hbal", "hspace", "hcheck"])
def test_offline_unknown_names(data, tool):
    ref = same(tool, ["-t", data["n1"], "-O", "zz", "-O", "node-01-0001", "-O", "aa", "-O", "aa"])
    assert ref[2].endswith("Error: wrong node name(s) set as offline: aa,aa,zz\n\n")


@requires_haskell
@pytest.mark.parametrize("name", ["n1", "n1.a", "n0003", "N0003", "n0003.example.com."])
def test_offline_name_prefixes(data, name):
    # (-e: no balancing, the node list shows which node went offline)
    same("hbal", ["-t", data["amb"], "-O", name, "-pname,status", "-e", "1000"])


# --------------------------------------------------------------------------
# 8. hbal -S


@requires_haskell
@pytest.mark.parametrize(
    "args", [["-O", "node-01-0003"], ["-G", "group-02"], ["-e", "1000"], ["-G", "nope"]]
)
def test_hbal_saved_states(data, tmp_path, args):
    src = data["g2"] if "-G" in args else data["c4"]
    files = {}
    for side in ("ref", "ours"):
        d = tmp_path / side
        d.mkdir()
        tool = haskell_tool("hbal") if side == "ref" else os.path.join(OURS, "hbal")
        files[side] = (
            run([tool, "-t", src, "-S", "st"] + args, cwd=str(d)),
            {p: (d / p).read_text() for p in sorted(os.listdir(d))},
        )
    assert files["ours"] == files["ref"]
    assert "st.original" in files["ref"][1]


@requires_haskell
def test_hbal_save_write_error(data):
    same("hbal", ["-t", data["c4"], "-S", "/nonexistent/dir/st"])


# --------------------------------------------------------------------------
# 9. static KVM node memory


@requires_haskell
@pytest.mark.parametrize("static", [None, "0", "2000", "-5"])
def test_static_kvm_memory(data, static):
    extra = [] if static is None else ["--static-kvm-node-memory=" + static]
    same("hinfo", ["-I", data["kvm"], "-p"] + extra)
    same("hbal", ["-I", data["kvm"], "-l", "1"] + extra)
    same("hinfo", ["-t", data["c4"], "-p"] + extra)


# --------------------------------------------------------------------------
# 10. nodes with unknown figures


@requires_haskell
def test_unknown_figures_node(data, tmp_path):
    same("hinfo", ["-t", data["q"], "-pname,status,spindle_count,hi_spindles,inst_spindles,ucpu"])
    # no master left: hroller refuses (or warns with --force)
    same("hroller", ["-t", data["q"]])
    same("hroller", ["-t", data["q"], "--force"])
    test_dirs = []
    for tool in (haskell_tool("hbal"), os.path.join(OURS, "hbal")):
        d = tmp_path / str(len(test_dirs))
        d.mkdir()
        run([tool, "-t", data["q"], "-S", "st", "-e", "1000"], cwd=str(d))
        test_dirs.append((d / "st.original").read_text())
    assert test_dirs[0] == test_dirs[1]
    assert "node-01-0002|0|0|0|0|0|0|Y|" in test_dirs[0]


# --------------------------------------------------------------------------
# hbal's early exit, node-list fields


@requires_haskell
@pytest.mark.parametrize(
    "args", [["-e", "3.7987"], ["-e", "3.79871", "-v", "-v", "-v"], ["-e", "1e7"]]
)
def test_hbal_already_balanced(data, args):
    same("hbal", ["-t", data["c4"]] + args)


@requires_haskell
def test_node_list_fields(data):
    fields = (
        "idx,name,fqdn,status,tmem,nmem,xmem,fmem,imem,rmem,amem,umem,tdsk,fdsk,"
        "tcpu,ucpu,pcnt,scnt,plist,slist,pfmem,pfdsk,rcpu,cload,mload,dload,nload,"
        "ptags,peermap,spindle_count,hi_spindles,inst_spindles,mcpu,,x"
    )
    same("hinfo", ["-t", data["g2"], "-p" + fields])
    for spec in (",", "name,", "+,name", ""):
        same("hinfo", ["-t", data["c4"], "-p" + spec])
