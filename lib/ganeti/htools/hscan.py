"""hscan: scans clusters through RAPI and saves them in the text format.

Owns hscan's flow: one summary line per cluster (nodes, instances, N+1
failures, memory/disk totals, score), the optional node table, the
``<dir>/<cluster>.data`` file (the cluster as read, slashes of the name
replaced by underscores) and the per-cluster error display; without a
cluster argument the local master is read through luxi (``LOCAL``).

It never changes the clusters it reads.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from typing import Optional

from ganeti import pathutils
from ganeti.htools import cli, hinfo, loader, metrics, rapi_backend
from ganeti.htools.cli import EXIT_SUCCESS

EXIT_SCAN_FAILED = 2

cli.OPTIONS.setdefault(
    "output_dir",
    cli.Opt(
        "output_dir", "d", "output-dir", cli.REQ, "PATH", "directory in which to write output files"
    ),
)

KEYS = [
    "print_nodes",
    "output_dir",
    "luxi",
    "verbose",
    "no_headers",
    "static_kvm",
    "version",
    "help",
    "help_completion",
]

LOCAL = "LOCAL"

# how the reference names an errno in its I/O error messages
_IO_KINDS = {
    errno.ENOENT: "does not exist",
    errno.ENXIO: "does not exist",
    errno.ECONNREFUSED: "does not exist",
    errno.ESRCH: "does not exist",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "permission denied",
    errno.EEXIST: "already exists",
    errno.EISDIR: "inappropriate type",
    errno.ENOTDIR: "inappropriate type",
    errno.ENAMETOOLONG: "invalid argument",
    errno.EINVAL: "invalid argument",
    errno.ENOSPC: "resource exhausted",
    errno.EMFILE: "resource exhausted",
    errno.ENFILE: "resource exhausted",
    errno.EDQUOT: "resource exhausted",
    errno.EBUSY: "resource busy",
    errno.ETIMEDOUT: "timeout",
    errno.ECONNRESET: "resource vanished",
    errno.EPIPE: "resource vanished",
}


def _io_kind(err: OSError) -> str:
    return "%s (%s)" % (
        _IO_KINDS.get(err.errno, "failed"),
        err.strerror or os.strerror(err.errno or 0),
    )


def _crash(msg: str) -> None:
    """Ends as an uncaught exception ends the reference."""
    sys.stdout.flush()
    sys.stderr.write("hscan: %s\n" % msg)
    sys.exit(1)


def file_name(name: str) -> str:
    return name.replace("/", "_")


def summary(cd) -> str:
    """The one-line cluster summary (after the name column)."""
    nodes = cd.nodes
    bad, binst = hinfo.bad_items(nodes)
    t_mem = sum(n.t_mem for n in nodes)
    f_mem = sum(n.f_mem for n in nodes)
    t_dsk = sum(n.t_dsk for n in nodes)
    f_dsk = sum(n.f_dsk for n in nodes)
    return "%5d %5d %5d %5d %6.0f %6d %6.0f %6d %.8f" % (
        len(nodes),
        len(cd.instances),
        len(bad),
        len(binst),
        t_mem,
        f_mem,
        t_dsk / 1024,
        f_dsk // 1024,
        metrics.comp_cv(nodes),
    )


def _load_local(opts: dict):
    """The local cluster through luxi (connection failures end hscan)."""
    from ganeti.htools import luxi_backend

    path = opts.get("luxi") or pathutils.QUERY_SOCKET
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as err:
        _crash("Network.Socket.connect: <socket: 3>: %s" % _io_kind(err))
    finally:
        sock.close()
    return luxi_backend.load(path)


def write_cluster(nlen: int, name: str, opts: dict, loaded) -> bool:
    """Prints a cluster's line (and nodes), writes its data file."""
    out = sys.stdout
    if isinstance(loaded, loader.LoadError):
        out.write("\nError for %s: failed to load data. Details:\n%s\n" % (name, loaded))
        return False
    cd = loaded
    text = loader.serialize_cluster(cd) + "\n"
    rapi_backend.apply_static_kvm(cd, opts.get("static_kvm"))
    try:
        loader.merge_data(cd)
    except loader.LoadError as err:
        out.write("\nError for %s: failed to process data. Details:\n%s\n" % (name, err))
        return False
    out.write("%-*s " % (nlen, name))
    out.write(summary(cd) + "\n")
    if opts.get("print_nodes_given"):
        out.write(cli.print_nodes(cd.nodes, cli.node_fields(opts.get("print_nodes"))) + "\n")
    odir = opts.get("output_dir")
    if odir is None:
        odir = "."
    path = os.path.join(odir, file_name(name)) + ".data"
    try:
        with open(path, "w") as fh:
            fh.write(text)
    except OSError as err:
        _crash("%s: openFile: %s" % (path, _io_kind(err)))
    return True


def _load(name: str):
    try:
        return rapi_backend.load_raw(name)
    except loader.LoadError as err:
        return err


def main(argv: Optional[list] = None) -> None:
    opts, clusters = cli.start("hscan", KEYS, argv, max_args=sys.maxsize)
    nlen = max(len(c) for c in clusters) if clusters else len(LOCAL)
    out = sys.stdout
    if not opts.get("no_headers"):
        out.write(
            "%-*s %5s %5s %5s %5s %6s %6s %6s %6s %10s\n"
            % (
                nlen,
                "Name",
                "Nodes",
                "Inst",
                "BNode",
                "BInst",
                "t_mem",
                "f_mem",
                "t_disk",
                "f_disk",
                "Score",
            )
        )
    if not clusters:
        try:
            loaded = _load_local(opts)
        except loader.LoadError as err:
            loaded = err
        if not write_cluster(nlen, LOCAL, opts, loaded):
            out.flush()
            sys.exit(EXIT_SCAN_FAILED)
    ok = True
    for name in clusters:
        out.flush()
        if not write_cluster(nlen, name, opts, _load(name)):
            ok = False
    out.flush()
    sys.exit(EXIT_SUCCESS if ok else EXIT_SCAN_FAILED)
