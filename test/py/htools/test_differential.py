"""Differential tests: our htools against Ganeti 3.0.2's, byte for byte.

Each case runs the installed Haskell program and ours on the same generated
input and compares stdout, stderr and the exit code exactly.
"""

import os

import pytest

from conftest import OURS, haskell_tool, requires_haskell, run

pytestmark = requires_haskell


def compare(tool: str, args: list, cwd: str) -> None:
    ref = run([haskell_tool(tool)] + args, cwd)
    ours = run([os.path.join(OURS, tool)] + args, cwd)
    assert ours[0] == ref[0], "exit code differs"
    assert ours[1] == ref[1]
    assert ours[2] == ref[2]


HBAL_CASES = [
    ("c8", []),
    ("c8", ["-C", "-p"]),
    ("c20", ["-l", "12", "-C", "-p"]),
    ("c20", ["--no-disk-moves"]),
    ("c20", ["--no-instance-moves", "-l", "5"]),
    ("c20", ["-O", "node-01-0011", "-l", "4"]),
    ("c20", ["-O", "node-01-0011", "--evac-mode", "-l", "3"]),
    ("c20", ["--select-instances=inst-00002,inst-00003", "-l", "3"]),
    ("c20", ["--exclude-instances=inst-00057", "-l", "3"]),
    ("c20", ["-l", "3", "-v", "-v", "-v"]),
    ("c20", ["-l", "3", "-q", "-C"]),
    ("c60", ["-l", "2"]),
    ("c60", ["-G", "group-02", "-l", "3"]),
]


@pytest.mark.parametrize("name,args", HBAL_CASES,
                         ids=["%s %s" % (c, " ".join(a)) for c, a in
                              HBAL_CASES])
def test_hbal(clusters, name, args):
    compare("hbal", ["-t", clusters[name]] + args, clusters["dir"])


@pytest.mark.parametrize("name", ["c8", "c20", "c60"])
@pytest.mark.parametrize("args", [[], ["-v"], ["-v", "-v"], ["-p"]])
def test_hinfo(clusters, name, args):
    compare("hinfo", ["-t", clusters[name]] + args, clusters["dir"])


HAIL_CASES = ["alloc-drbd", "alloc-drbd-kvm", "alloc-plain", "alloc-big",
              "alloc-tagged", "reloc", "evac-sec", "evac-pri", "evac-all",
              "multi-alloc", "multi-evac"]


@pytest.mark.parametrize("req", HAIL_CASES)
def test_hail_single_group(clusters, req):
    path = os.path.join(clusters["dir"], "c20-%s.json" % req)
    compare("hail", [path], clusters["dir"])


@pytest.mark.parametrize("req", ["reloc", "evac-sec", "evac-pri",
                                 "evac-all"])
def test_hail_two_groups(clusters, req):
    path = os.path.join(clusters["dir"], "c60-%s.json" % req)
    compare("hail", [path], clusters["dir"])


def _bad_inputs(base: str, d: str) -> dict:
    lines = open(base).read().split("\n")
    text = "\n".join(lines)
    out = {}
    out["truncated"] = text[:700]
    bad = list(lines)
    bad[3] = "node-x|65536|1024|100"
    out["node-fields"] = "\n".join(bad)
    bad = list(lines)
    bad[3] = bad[3].replace("|65536|", "|-65536|", 1)
    out["negative"] = "\n".join(bad)
    out["unknown-node"] = text.replace("|node-01-0003|node-01-0001|drbd",
                                       "|node-99|node-01-0001|drbd", 1)
    bad = list(lines)
    bad[11] = "inst-x|512|1024"
    out["inst-fields"] = "\n".join(bad)
    paths = {}
    for k, v in out.items():
        p = os.path.join(d, "bad-%s.data" % k)
        with open(p, "w") as fh:
            fh.write(v)
        paths[k] = p
    return paths


@pytest.mark.parametrize("kind", ["truncated", "node-fields", "negative",
                                  "unknown-node", "inst-fields"])
def test_bad_text_input(clusters, kind):
    paths = _bad_inputs(clusters["c8"], clusters["dir"])
    compare("hbal", ["-t", paths[kind], "-l", "1"], clusters["dir"])
    compare("hinfo", ["-t", paths[kind]], clusters["dir"])


def test_bad_json_exit_code(clusters):
    p = os.path.join(clusters["dir"], "bad.json")
    with open(p, "w") as fh:
        fh.write('{"version": 2, "nodes": ')
    ref = run([haskell_tool("hail"), p])
    ours = run([os.path.join(OURS, "hail"), p])
    assert ours[0] == ref[0] == 1
    assert ours[2].startswith("Error: Parsing input IAllocator message:"
                              " Malformed JSON:")
    assert "Traceback" not in ours[2]


def test_usage_errors(clusters):
    compare("hbal", ["--foo"], clusters["dir"])
    compare("hbal", ["-t", clusters["c8"], "-l", "x"], clusters["dir"])
    compare("hbal", ["-t", clusters["c8"], "extra"], clusters["dir"])
    compare("hbal", [], clusters["dir"])
    compare("hbal", ["-t", clusters["c60"]], clusters["dir"])


MULTI_GROUP_CASES = [
    ("c60", "alloc-plain", []),
    ("c60", "alloc-drbd", ["--no-capacity-checks"]),
    ("c60", "multi-alloc", ["--no-capacity-checks"]),
    ("c60", "chgrp-any", ["--no-capacity-checks"]),
    ("c60", "chgrp-g2", ["--no-capacity-checks"]),
    ("c100", "alloc-drbd", ["--no-capacity-checks"]),
    ("c100", "alloc-plain", ["--no-capacity-checks"]),
    ("c100", "alloc-tagged", ["--no-capacity-checks"]),
    ("c100", "multi-alloc", ["--no-capacity-checks"]),
    ("c100", "chgrp-any", ["--no-capacity-checks"]),
    ("c100", "chgrp-g2", ["--no-capacity-checks"]),
    ("c100", "evac-sec", []),
    ("c100", "reloc", []),
]


@pytest.mark.parametrize("name,req,args", MULTI_GROUP_CASES,
                         ids=["%s-%s %s" % (c, r, " ".join(a))
                              for c, r, a in MULTI_GROUP_CASES])
def test_hail_multi_group(clusters, name, req, args):
    path = os.path.join(clusters["dir"], "%s-%s.json" % (name, req))
    compare("hail", args + [path], clusters["dir"])


@pytest.mark.parametrize("tmpl,mem", [("drbd", 6144), ("drbd", 4096),
                                      ("plain", 8192), ("plain", 32768),
                                      ("plain", 2048)])
def test_hail_global_n1(clusters, tmpl, mem):
    """Near-full cluster: candidates fail the global N+1 check."""
    from conftest import write_request
    src = os.path.join(clusters["dir"], "f8-alloc-plain.json")
    dst = os.path.join(clusters["dir"], "f8-n1-%s-%d.json" % (tmpl, mem))
    write_request(src, dst, memory=mem, disk_template=tmpl,
                  required_nodes=2 if tmpl == "drbd" else 1)
    compare("hail", [dst], clusters["dir"])
    compare("hail", ["--no-capacity-checks", dst], clusters["dir"])


def test_hail_multi_alloc_fails_whole(clusters):
    path = os.path.join(clusters["dir"], "f8-multi-alloc.json")
    compare("hail", [path], clusters["dir"])
