"""The autotools build: autogen, configure, make install into a staging root."""

import os
import shutil
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.skipif(
    shutil.which("autoreconf") is None or shutil.which("make") is None,
    reason="autoconf/automake/make not installed (tools/apt-packages.txt lists them)",
)

_SKIP = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.pyc", ".hypothesis", ".ruff_cache", "autom4te.cache",
    "configure", "Makefile", "Makefile.in", "config.status", "config.log", "aclocal.m4",
    "install-sh", "missing", "build",
)  # fmt: skip


def _run(cmd, cwd, **kwargs):
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, **kwargs)
    assert res.returncode == 0, "%s failed:\n%s\n%s" % (cmd, res.stdout, res.stderr)
    return res


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    src = tmp_path_factory.mktemp("src") / "ganeti"
    shutil.copytree(TOP, src, ignore=_SKIP, symlinks=True)
    _run(["./autogen.sh"], src)
    pydir = tmp_path_factory.mktemp("py")
    _run(
        [
            "./configure", "--prefix=/usr", "--sysconfdir=/etc", "--localstatedir=/var",
            "--with-python=%s" % sys.executable, "--with-pythondir=%s" % pydir,
        ],
        src,
    )  # fmt: skip
    dest = tmp_path_factory.mktemp("dest")
    _run(["make", "install", "DESTDIR=%s" % dest], src)
    return src, dest, "%s%s" % (dest, pydir)


def test_layout(installed):
    src, dest, pkg = installed
    for name in os.listdir(os.path.join(src, "scripts")):
        where = "usr/sbin" if name.startswith("gnt-") else "usr/bin"
        path = os.path.join(dest, where, name)
        assert os.access(path, os.X_OK), path
    assert os.path.isfile(os.path.join(pkg, "ganeti", "cli.py"))
    assert os.path.isfile(os.path.join(pkg, "ganeti", "client", "gnt_job.py"))
    assert os.path.isdir(os.path.join(pkg, "ganeti", "__pycache__"))
    for name in os.listdir(os.path.join(src, "daemons")):
        assert os.path.isfile(os.path.join(dest, "usr/lib/ganeti", name)), name
        if name.startswith("ganeti-"):
            assert os.readlink(os.path.join(dest, "usr/sbin", name)) == "/usr/lib/ganeti/" + name


def test_shebangs(installed):
    _, dest, _ = installed
    with open(os.path.join(dest, "usr/sbin/gnt-job")) as fd:
        assert fd.readline() == "#!%s\n" % sys.executable
    util = os.path.join(dest, "usr/lib/ganeti/daemon-util")
    if os.path.exists(util):
        with open(util) as fd:
            assert "python" not in fd.readline()


def test_installed_command_runs(installed):
    _, dest, pkg = installed
    env = dict(os.environ, PYTHONPATH=pkg)
    res = subprocess.run(
        [os.path.join(dest, "usr/sbin/gnt-job"), "--version"],
        capture_output=True, text=True, env=env, timeout=30,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("gnt-job (ganeti ")
