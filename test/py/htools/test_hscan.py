"""hscan against Ganeti 3.0.2's Haskell hscan.

Both scan the same clusters (a fake RAPI over HTTPS and HTTP, ``file://``
dumps, failing addresses) into separate directories: the printed table,
the node lists, the error display, exit codes and the written ``.data``
files must be identical.
"""

import copy
import os
import socket
import sys

import pytest

from conftest import OURS, gen_cluster, haskell_tool, requires_haskell
import test_rapi_backend as trb
from test_rapi_backend import mixed, rapi_answers, run, write_dir

# fixtures shared with the RAPI backend tests
cert = trb.cert
server = trb.server
c10 = trb.c10
c20 = trb.c20


def scan_both(args, tmp_path, cwd=None):
    """Runs both hscans with their own output directory; returns
    ((rc, out, err, {file: text}), ...) for reference and ours."""
    res = []
    for tag, binary in (("ref", haskell_tool("hscan")), ("ours", os.path.join(OURS, "hscan"))):
        d = tmp_path / ("out-" + tag)
        d.mkdir(exist_ok=True)
        rc, out, err = run(binary, ["-d", str(d)] + list(args), cwd=cwd)
        files = {f: (d / f).read_text() for f in sorted(os.listdir(d))}
        res.append((rc, out, err, files))
    return res


def dead_address():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return "127.0.0.1:%d" % port


@requires_haskell
def test_scan_matches_reference(tmp_path, server, c10, c20):
    tls = server(mixed(c10))
    ans = rapi_answers(c20, drained=["node-01-0002"])
    ans[0][1]["alloc_policy"] = "unallocable"
    plain = server(ans, tls=False)
    dump = write_dir(str(tmp_path / "dump"), rapi_answers(c10, hypervisor="fake"))
    broken = write_dir(str(tmp_path / "broken"), rapi_answers(c10), raw={"nodes": "[{"})
    clusters = [tls.url, plain.hostport, dump, dead_address(), broken, tls.url + "/"]
    ref, ours = scan_both(["-p"] + clusters, tmp_path)
    assert ref[0] == 2, ref
    assert "Error for %s: failed to load data" % clusters[3] in ref[1]
    assert len(ref[3]) == 4  # the same name twice: one file
    assert ours == ref


@requires_haskell
def test_scan_node_fields_and_no_headers(tmp_path, server, c10):
    s = server(mixed(c10))
    ref, ours = scan_both(["--no-headers", "-pname,tmem,fmem,pfmem,tdsk,tcpu", s.url], tmp_path)
    assert ref[0] == 0
    assert ours == ref


@requires_haskell
def test_scan_default_directory(tmp_path, c10):
    """Without -d the file goes to the current directory."""
    url = write_dir(str(tmp_path / "dump"), rapi_answers(c10))
    res = []
    for tag, binary in (("ref", haskell_tool("hscan")), ("ours", os.path.join(OURS, "hscan"))):
        cwd = tmp_path / ("cwd-" + tag)
        cwd.mkdir()
        rc, out, err = run(binary, [url], cwd=str(cwd))
        res.append((rc, out, err, sorted(os.listdir(cwd))))
        assert res[-1][3] == ["file:" + url[5:].replace("/", "_") + ".data"]
    assert res[0] == res[1]
    # the written file is the cluster as served: the generator's text
    written = (tmp_path / "cwd-ours" / res[1][3][0]).read_text()
    assert written == open(c10).read().rstrip("\n") + "\n"


@requires_haskell
@pytest.mark.parametrize("static", [None, "0"])
def test_scan_kvm_keeps_reported_memory(tmp_path, server, c10, static):
    """The file has the reported node memory, the score the static one."""
    s = server(rapi_answers(c10, hypervisor="kvm"))
    args = ["-p", s.url]
    if static is not None:
        args.insert(0, "--static-kvm-node-memory=" + static)
    ref, ours = scan_both(args, tmp_path)
    assert ours == ref
    data = list(ref[3].values())[0]
    assert "|4096|" not in data.split("\n\n")[1]


@requires_haskell
def test_scan_odd_values_data_file(tmp_path, server, c10):
    """Values the reference accepts end up alike in the written file."""
    ans = rapi_answers(c10)
    nodes, insts = ans[1], ans[2]
    nodes[2]["mnode"] += 0.5  # read rounded half to even
    nodes[2]["mfree"] += 1.5
    nodes[3]["ndparams"]["exclusive_storage"] = True
    nodes[3]["sptotal"] = 7
    nodes[3]["spfree"] = 3
    nodes[4]["vm_capable"] = False
    insts[0]["forthcoming"] = True
    insts[1]["disk.spindles"] = [2]
    insts[2]["disk.sizes"] = [1024, 2048]
    insts[2]["disk.spindles"] = [1, 2]
    insts[3]["disk.spindles"] = [1, None]
    insts[4]["tags"] = ["a:b", "c"]
    s = server(ans)
    ref, ours = scan_both(["--no-headers", s.url], tmp_path)
    assert ref[0] == 0
    assert ours[3] == ref[3]


@requires_haskell
def test_scan_write_failure(tmp_path, c10):
    url = write_dir(str(tmp_path / "dump"), rapi_answers(c10))
    missing = str(tmp_path / "nonexistent")
    res = [
        run(b, ["-d", missing, url]) for b in (haskell_tool("hscan"), os.path.join(OURS, "hscan"))
    ]
    assert res[0][0] == 1
    assert res[0][2].startswith("hscan: %s/" % missing)
    assert res[1] == res[0]


@requires_haskell
def test_scan_local_unreachable(tmp_path):
    """Without clusters the local master is read through luxi."""
    stale = str(tmp_path / "stale.sock")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(stale)  # exists, nobody listens: refused
    try:
        for path in (str(tmp_path / "none.sock"), stale):
            res = [
                run(b, ["-L" + path]) for b in (haskell_tool("hscan"), os.path.join(OURS, "hscan"))
            ]
            assert res[0][0] == 1
            assert res[1] == res[0]
    finally:
        sock.close()


@requires_haskell
@pytest.mark.parametrize("args", [["--help"], ["-x"], ["--output-dir"]])
def test_scan_command_line(args):
    res = [run(b, args) for b in (haskell_tool("hscan"), os.path.join(OURS, "hscan"))]
    assert res[1] == res[0]


def test_scan_local_through_luxi(tmp_path):
    """Ours only: the LOCAL line and file from a fake master."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from ganeti import pathutils

    import test_luxi_backend as tl

    data = gen_cluster(str(tmp_path / "c.data"), 8, 20)
    old = pathutils.get_root() if hasattr(pathutils, "get_root") else None
    pathutils.set_root(str(tmp_path / "root"))
    master = tl.ClusterMaster(tl._rows(data)).start()
    try:
        out_dir = tmp_path / "out"
        out_dir.mkdir()
        rc, out, err = run(
            os.path.join(OURS, "hscan"), ["-L" + pathutils.MASTER_SOCKET, "-d", str(out_dir)]
        )
    finally:
        master.stop()
        pathutils.set_root(old or "/")
    assert (rc, err) == (0, ""), err
    lines = out.split("\n")
    assert lines[0].startswith("Name  Nodes  Inst BNode BInst")
    assert lines[1].startswith("LOCAL     8    20 ")
    assert os.listdir(out_dir) == ["LOCAL.data"]
    # the same cluster scanned from a file:// dump gives the same file
    url = write_dir(str(tmp_path / "dump"), rapi_answers(data))
    out2 = tmp_path / "out2"
    out2.mkdir()
    rc, _, err = run(os.path.join(OURS, "hscan"), ["-d", str(out2), url])
    assert rc == 0, err
    (f2,) = os.listdir(out2)
    assert (out2 / f2).read_text() == (out_dir / "LOCAL.data").read_text()


def test_scan_summary_line(tmp_path, c10):
    """Ours only: the summary agrees with hinfo's view of the file."""
    ans = copy.deepcopy(rapi_answers(c10))
    url = write_dir(str(tmp_path / "dump"), ans)
    rc, out, err = run(os.path.join(OURS, "hscan"), ["--no-headers", "-d", str(tmp_path), url])
    assert rc == 0, err
    name, nodes, insts, bnode, binst, t_mem, f_mem, t_dsk, f_dsk, score = out.split()
    assert (name, nodes, insts) == (url, "10", "40")
    rc, hout, _ = run(os.path.join(OURS, "hinfo"), ["-t", c10])
    assert "Cluster score: %s\n" % score in hout
