"""hail: the iallocator script.

Owns hail's flow: read the request file Ganeti passes, answer allocate,
multi-allocate, relocate, node-evacuate and change-group requests with the
JSON Ganeti expects on stdout, and optionally save the cluster state (-S).
"""

from __future__ import annotations

import sys

from ganeti.htools import alloc, cli, evacuate, iallocator, loader
from ganeti.htools.cli import EXIT_FAILURE, EXIT_SUCCESS

KEYS = [
    "print_nodes",
    "save",
    "data_file",
    "simulate",
    "verbose",
    "ignore_dynu",
    "ignore_soft",
    "no_capacity_checks",
    "restrict_alloc",
    "mond",
    "mond_xen",
    "static_kvm",
    "version",
    "help",
    "help_completion",
]


def _answer(success: bool, info: str, result) -> str:
    return iallocator.dumps({"success": success, "info": info, "result": result})


def _set_excl_tags(cd, insts: list) -> None:
    prefixes = [
        t[len(loader.EX_TAGS_PREFIX) :]
        for t in cd.cluster_tags
        if t.startswith(loader.EX_TAGS_PREFIX)
    ]
    for inst in insts:
        inst.excl_tags = [t for t in inst.tags if any(t.startswith(p + ":") for p in prefixes)]


def process(cd, req, opts: alloc.AllocOptions = None) -> str:
    if opts is None:
        opts = alloc.AllocOptions()
    nodes = cd.nodes
    _set_excl_tags(cd, req.instances)
    kind = req.kind
    if kind == "allocate":
        inst = req.instances[0]
        inst.idx = len(cd.instances)
        allowed = None
        if req.group_name is not None:
            allowed = [g.idx for g in cd.groups if g.name == req.group_name]
            if not allowed:
                return _answer(False, "Request failed: Unknown group '%s'" % req.group_name, [])
        gdx, sol, log = alloc.find_best_group(
            cd, nodes, cd.instances, inst, req.required_nodes, opts, allowed
        )
        if sol is None:
            return _answer(False, "Request failed: " + ", ".join(log), [])
        info = "Request successful: Selected group: %s, %s" % (cd.groups[gdx].name, ", ".join(log))
        return _answer(True, info, [nodes[x].name for x in sol.best[1]])
    if kind == "multi-allocate":
        ok = []
        cur = list(nodes)
        all_insts = list(cd.instances)
        for inst in req.instances:
            inst.idx = len(all_insts)
            gdx, sol, log = alloc.find_best_group(
                cd, cur, all_insts, inst, inst.required_nodes(), opts
            )
            if sol is None:
                return _answer(False, "Request failed: " + ", ".join(log), [])
            new_cur = alloc.apply_changes(cur, sol.best[0])
            new_insts = all_insts + [sol.best[3]]
            alloc.advance_checker(cur, all_insts, new_cur, new_insts, sol.best[0], sol.best[3])
            cur, all_insts = new_cur, new_insts
            ok.append([inst.name, [cur[x].name for x in sol.best[1]]])
        info = (
            "Request successful: %d instances failed to allocate and %d"
            " were allocated successfully" % (0, len(ok))
        )
        return _answer(True, info, [ok, []])
    if kind == "relocate":
        ok, info, result = evacuate.relocate_answer(cd, req.raw, opts)
        return _answer(ok, info, result)
    if kind == "node-evacuate":
        raw = req.raw
        moved, failed, jobs, _ = evacuate.node_evacuate(
            cd, list(raw.get("instances", [])), raw.get("evac_mode", "all"), opts
        )
        info = "Request successful: %d instances failed to move and %d were moved successfully" % (
            len(failed),
            len(moved),
        )
        return _answer(True, info, [moved, failed, jobs])
    if kind == "change-group":
        raw = req.raw
        moved, failed, jobs = evacuate.change_group(
            cd, list(raw.get("instances", [])), list(raw.get("target_groups", [])), opts
        )
        info = "Request successful: %d instances failed to move and %d were moved successfully" % (
            len(failed),
            len(moved),
        )
        return _answer(True, info, [moved, failed, jobs])
    return _answer(False, "Request type '%s' not supported" % kind, [])


def main(argv=None) -> None:
    opts, args = cli.start("hail", KEYS, argv, max_args=1)
    if not args:
        cli.die("This program needs an input file.")
    path = args[0]
    try:
        with open(path) as fh:
            text = fh.read()
    except OSError as err:
        cli.die("%s: %s" % (path, err.strerror))
    static_kvm = opts.get("static_kvm")
    try:
        cd, req = iallocator.parse_request(
            text, iallocator.STATIC_KVM_NODE_MEMORY if static_kvm is None else static_kvm
        )
        loader.merge_data(cd)
    except loader.LoadError as err:
        cli.die(str(err))
    cli.warn_inconsistent(cd)
    if opts.get("save"):
        with open(opts["save"] + ".pre-ialloc", "w") as fh:
            fh.write(loader.serialize_cluster(cd) + "\n")
    aopts = alloc.AllocOptions(
        capacity=not opts.get("no_capacity_checks"), force=bool(opts.get("ignore_soft"))
    )
    try:
        answer = process(cd, req, aopts)
    except loader.LoadError as err:
        cli.die(str(err))
    sys.stdout.write(answer + "\n")
    sys.exit(EXIT_SUCCESS)


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(EXIT_FAILURE)
