"""hinfo: prints a summary of the cluster state.

Owns hinfo's report: load summary, split instances, per-group N+1 status
and scores, the N+1 verdict and the detailed cluster score.
"""

from __future__ import annotations

import sys

from ganeti.htools import cli, metrics
from ganeti.htools.cli import EXIT_SUCCESS

KEYS = [
    "print_nodes",
    "print_insts",
    "data_file",
    "master",
    "luxi",
    "ialloc_src",
    "verbose",
    "quiet",
    "offline",
    "ignore_dynu",
    "mond",
    "mond_data",
    "static_kvm",
    "version",
    "help",
    "help_completion",
]


def bad_items(nodes: list) -> tuple:
    bad = [n for n in nodes if not n.offline and n.fail_n1]
    insts = set()
    for n in bad:
        insts.update(n.plist)
        insts.update(n.slist)
    return bad, insts


def main(argv=None) -> None:
    opts, _ = cli.start("hinfo", KEYS, argv)
    out = sys.stdout
    verbose = opts["verbose"]

    def show(cd) -> None:
        out.write("Loaded cluster tags: %s\n" % ",".join(cd.cluster_tags))
        if verbose > 2:
            out.write("Loaded cluster ipolicy: %s\n" % cli.show_ipolicy(cd.ipolicy))

    cd = cli.load_checked(opts, show)
    ng = len(cd.groups)
    nn = len(cd.nodes)
    ni = len(cd.instances)
    out.write(
        "Loaded %d node%s, %d instance%s, %d node group%s\n"
        % (nn, "" if nn == 1 else "s", ni, "" if ni == 1 else "s", ng, "" if ng == 1 else "s")
    )
    if verbose > 2:
        cli.note_suffix(cd)
    if verbose > 1:
        split = [
            i
            for i in cd.instances
            if i.snode >= 0 and cd.nodes[i.pnode].group != cd.nodes[i.snode].group
        ]
        if split:
            out.write("Found %d split instances\n" % len(split))
            for i in split:
                out.write("  - %s\n" % i.alias)
        else:
            out.write("No split instances found\n")
        rows = [("Group", "Nodes", "Instances", "Bad_Nodes", "Bad_Instances", "N+1", "Score")]
        for g in cd.groups:
            gn = [n for n in cd.nodes if n.group == g.idx]
            gset = {n.idx for n in gn}
            gi = [i for i in cd.instances if i.pnode in gset]
            bad, binst = bad_items(gn)
            rows.append(
                (
                    g.name,
                    "%d" % len(gn),
                    "%d" % len(gi),
                    "%d" % len(bad),
                    "%d" % len(binst),
                    "True" if not bad else "False",
                    "%.8f" % metrics.comp_cv(gn),
                )
            )
        out.write("Node group information:\n")
        right = [False, True, True, True, True, False, True]
        for line in cli.format_table(rows, right):
            out.write("  " + line + "\n")
    bad, _ = bad_items(cd.nodes)
    out.write("Cluster is N+1 %s\n" % ("unhappy" if bad else "happy"))
    if opts.get("print_insts"):
        cli.show_insts("Instances", cd.nodes, cd.instances)
    if opts.get("print_nodes_given"):
        out.flush()
        sys.stderr.write(
            "\nCluster status:\n%s\n\n"
            % cli.print_nodes(cd.nodes, cli.node_fields(opts.get("print_nodes")))
        )
    out.write("Cluster coefficients:\n%s\n" % metrics.print_stats("   ", cd.nodes))
    out.write("Cluster score: %.8f\n" % metrics.comp_cv(cd.nodes))
    sys.exit(EXIT_SUCCESS)
