"""Shared fixtures of the htools tests: generated clusters and requests."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "htools")
HASKELL_BIN = "/usr/lib/ganeti/3.0/usr/bin"
HASKELL_HAIL = "/usr/lib/ganeti/3.0/usr/lib/ganeti/iallocators/hail"
OURS = os.path.join(ROOT, "scripts")


def haskell_tool(name: str) -> str:
    if name == "hail":
        return HASKELL_HAIL
    return os.path.join(HASKELL_BIN, name)


def have_haskell() -> bool:
    return os.access(os.path.join(HASKELL_BIN, "htools"), os.X_OK)


requires_haskell = pytest.mark.skipif(
    not have_haskell(),
    reason="Ganeti's Haskell htools are not installed (%s); install"
           " ganeti-htools-3.0 to run the differential tests" % HASKELL_BIN)


def run(cmd: list, cwd: str = None) -> tuple:
    env = dict(os.environ)
    env.pop("HTOOLS", None)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def gen_cluster(path: str, nodes: int, instances: int, seed=None,
                groups=None) -> str:
    cmd = [sys.executable, os.path.join(SHARED, "gen_cluster.py"),
           "--nodes", str(nodes), "--instances", str(instances), "-o", path]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if groups is not None:
        cmd += ["--groups", str(groups)]
    subprocess.run(cmd, check=True, capture_output=True)
    return path


def gen_ialloc(data: str, outdir: str) -> None:
    subprocess.run([sys.executable, os.path.join(SHARED, "gen_ialloc.py"),
                    data, "--outdir", outdir], check=True,
                   capture_output=True)


@pytest.fixture(scope="session")
def clusters(tmp_path_factory):
    d = tmp_path_factory.mktemp("htools-data")
    out = {}
    for name, n, i in (("c8", 8, 4), ("c20", 20, 120), ("c60", 60, 400),
                       ("c100", 100, 800)):
        p = str(d / ("%s.data" % name))
        gen_cluster(p, n, i)
        gen_ialloc(p, str(d))
        out[name] = p
    out["dir"] = str(d)
    # over-full clusters (filled without capacity checks): nodes that can
    # not be evacuated, allocations failing the global N+1 check
    for name, base, tmpl, extra in (("o8", "c8", "plain", []),
                                    ("o20", "c20", "plain", []),
                                    ("f8", "c8", "plain", ["-l", "150"])):
        save = str(d / name)
        args = [os.path.join(OURS, "hspace"), "-t", out[base],
                "--disk-template", tmpl, "-S", save, "-q"] + extra
        if name.startswith("o"):
            args.append("--no-capacity-checks")
        subprocess.run(args, check=True, capture_output=True)
        os.rename(save + ".standard", save + ".data")
        out[name] = save + ".data"
    gen_ialloc(out["f8"], str(d))
    return out


def write_request(src: str, dst: str, **changes) -> str:
    """A copy of an allocator request file with request fields changed."""
    import json
    with open(src) as fh:
        data = json.load(fh)
    data["request"].update(changes)
    with open(dst, "w") as fh:
        json.dump(data, fh)
    return dst


def _cache_dir() -> str:
    """A per-generator cache directory for the large clusters."""
    import hashlib
    import tempfile
    h = hashlib.sha256()
    for name in ("gen_cluster.py", "gen_ialloc.py"):
        with open(os.path.join(SHARED, name), "rb") as fh:
            h.update(fh.read())
    d = os.path.join(tempfile.gettempdir(), "htools-test-cache",
                     h.hexdigest()[:16])
    os.makedirs(d, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def big_clusters():
    """500- and 1,000-node clusters (8 instances per node), cached."""
    d = _cache_dir()
    out = {"dir": d}
    for n in (500, 1000):
        p = os.path.join(d, "c%d.data" % n)
        done = os.path.join(d, "c%d.done" % n)
        if not os.path.exists(done):
            gen_cluster(p, n, n * 8)
            gen_ialloc(p, d)
            open(done, "w").close()
        out["c%d" % n] = p
    return out
