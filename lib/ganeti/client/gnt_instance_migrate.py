"""gnt-instance migrate/failover and gnt-node migrate/failover.

Owns the sub-commands that move instances between nodes: they turn the
command line into OP_INSTANCE_MIGRATE, OP_INSTANCE_FAILOVER and
OP_NODE_MIGRATE jobs and report the outcome.  ``COMMANDS`` is merged into
gnt-instance's command table and ``NODE_COMMANDS`` into gnt-node's.  It
must never change anything except through jobs submitted to the master.
"""

from typing import Any

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti.cli import cli_option

NONLIVE_OPT = cli_option(
    "--non-live",
    dest="live",
    default=True,
    action="store_false",
    help="Migrate non-live: the instance is paused while its memory is copied and resumes"
    " on the target",
)
MIGRATION_MODE_OPT = cli_option(
    "--migration-mode",
    dest="migration_mode",
    default=None,
    choices=list(sorted(constants.HT_MIGRATION_MODES)),
    help="Override the hypervisor's default migration mode (live or non-live)",
)
CLEANUP_OPT = cli_option(
    "--cleanup",
    dest="cleanup",
    default=False,
    action="store_true",
    help="Only recover from a failed migration: find where the instance runs and fix the"
    " configuration",
)
DST_NODE_OPT = cli_option(
    "-n",
    "--target-node",
    dest="dst_node",
    default=None,
    metavar="NODE",
    help="Target node (for disk templates with external mirroring)",
)
ALLOW_FAILOVER_OPT = cli_option(
    "--allow-failover",
    dest="allow_failover",
    default=False,
    action="store_true",
    help="Fail the instance over (stop and start) if it cannot be migrated",
)
NORUNTIME_CHGS_OPT = cli_option(
    "--no-runtime-changes",
    dest="allow_runtime_chgs",
    default=True,
    action="store_false",
    help="Do not change the instance's memory at run time to make it fit the target",
)
IGNORE_HVVERSIONS_OPT = cli_option(
    "--ignore-hvversions",
    dest="ignore_hvversions",
    default=False,
    action="store_true",
    help="Migrate even when the hypervisor versions of source and target differ",
)
FAILOVER_CLEANUP_OPT = cli_option(
    "--cleanup",
    dest="cleanup",
    default=False,
    action="store_true",
    help="Only recover from a failed failover",
)

_JOB_OPTS = [cli.DRY_RUN_OPT, cli.PRIORITY_OPT] + cli.SUBMIT_OPTS


def _mode(opts: Any) -> str | None:
    """The migration mode of ``--non-live``/``--migration-mode`` (None: the default)."""
    if not opts.live and opts.migration_mode is not None:
        raise errors.OpPrereqError(
            "Only one of the --non-live and --migration-mode options can be passed",
            errors.ECODE_INVAL,
        )
    if not opts.live:
        return constants.HT_MIGRATION_NONLIVE
    return opts.migration_mode


def _check_target(opts: Any) -> None:
    if opts.iallocator and opts.dst_node:
        raise errors.OpPrereqError(
            "Give either an iallocator (-I) or a target node (-n), not both",
            errors.ECODE_INVAL,
        )


def _ensure_instance(cl: Any, name: str) -> str:
    from ganeti.client import gnt_instance

    return gnt_instance.expand_multi_names("instances", [name], cl)[0]


# --- gnt-instance ---------------------------------------------------------------------------------


def migrate_instance(opts: Any, args: list[str]) -> int:
    """``gnt-instance migrate``: OP_INSTANCE_MIGRATE (asks first unless --force)."""
    from ganeti import opcodes

    cl = cli.get_client()
    name = args[0]
    mode = _mode(opts)
    _check_target(opts)
    if not opts.force:
        name = _ensure_instance(cl, name)
        if opts.cleanup:
            text = (
                "Instance %s will be checked for the state a failed migration left and its"
                " configuration fixed; the cleanup talks to the hypervisor and may disturb"
                " the instance if that misbehaves. Continue?" % name
            )
        else:
            text = (
                "Instance %s will be migrated. A migration relies on the hypervisor and may"
                " disturb the instance if that misbehaves. Continue?" % name
            )
        if not cli.ask_user(text):
            return constants.EXIT_CONFIRMATION
    op = opcodes.OpInstanceMigrate(
        instance_name=name,
        mode=mode,
        cleanup=opts.cleanup,
        iallocator=opts.iallocator,
        target_node=opts.dst_node,
        allow_failover=opts.allow_failover,
        allow_runtime_changes=opts.allow_runtime_chgs,
        ignore_ipolicy=opts.ignore_ipolicy,
        ignore_hvversions=opts.ignore_hvversions,
    )
    cli.submit_or_send(op, opts, cl=cl)
    return constants.EXIT_SUCCESS


def failover_instance(opts: Any, args: list[str]) -> int:
    """``gnt-instance failover``: OP_INSTANCE_FAILOVER (asks first unless --force)."""
    from ganeti import opcodes

    cl = cli.get_client()
    name = args[0]
    _check_target(opts)
    if not opts.force:
        name = _ensure_instance(cl, name)
        text = (
            "Instance %s will be failed over: it is shut down on its node and started on"
            " the target. Continue?" % name
        )
        if not cli.ask_user(text):
            return constants.EXIT_CONFIRMATION
    op = opcodes.OpInstanceFailover(
        instance_name=name,
        ignore_consistency=opts.ignore_consistency,
        shutdown_timeout=opts.shutdown_timeout,
        iallocator=opts.iallocator,
        target_node=opts.dst_node,
        ignore_ipolicy=opts.ignore_ipolicy,
        cleanup=opts.cleanup,
    )
    cli.submit_or_send(op, opts, cl=cl)
    return constants.EXIT_SUCCESS


COMMANDS = {
    "migrate": (
        migrate_instance,
        cli.ARGS_ONE_INSTANCE,
        [
            cli.FORCE_OPT,
            NONLIVE_OPT,
            MIGRATION_MODE_OPT,
            CLEANUP_OPT,
            DST_NODE_OPT,
            cli.IALLOCATOR_OPT,
            ALLOW_FAILOVER_OPT,
            cli.IGNORE_IPOLICY_OPT,
            IGNORE_HVVERSIONS_OPT,
            NORUNTIME_CHGS_OPT,
        ]
        + _JOB_OPTS,
        "[-f] <instance>",
        "Moves a running instance to another node without stopping it (DRBD: to its"
        " secondary; shared storage: to the node given or chosen by an iallocator)",
    ),
    "failover": (
        failover_instance,
        cli.ARGS_ONE_INSTANCE,
        [
            cli.FORCE_OPT,
            cli.IGNORE_CONSIST_OPT,
            cli.SHUTDOWN_TIMEOUT_OPT,
            DST_NODE_OPT,
            cli.IALLOCATOR_OPT,
            cli.IGNORE_IPOLICY_OPT,
            FAILOVER_CLEANUP_OPT,
        ]
        + _JOB_OPTS,
        "[-f] <instance>",
        "Shuts the instance down, makes another node its primary and starts it there if"
        " it is marked up (DRBD: the secondary; shared storage: any node)",
    ),
}


# --- gnt-node -----------------------------------------------------------------------------------


def _node_primaries(cl: Any, name: str) -> tuple[str, list[str]]:
    """(full node name, its primary instances nicely sorted)."""
    from ganeti.utils import text as utils_text

    response = cl.Query(constants.QR_NODE, ["name", "pinst_list"], None)
    rows = [[value for _, value in row] for row in response["data"]]
    exact = [r for r in rows if r[0] == name]
    matches = exact or [r for r in rows if r[0].startswith(name + ".")]
    if len(matches) != 1:
        raise errors.OpPrereqError("Node '%s' not known" % name, errors.ECODE_NOENT)
    node, pinst = matches[0]
    return node, utils_text.nice_sort(pinst or [])


def _report(results: list, what: str) -> int:
    bad = len([r for r in results if not r[0]])
    if bad == 0:
        cli.to_stdout("All instances %s successfully.", what)
        return constants.EXIT_SUCCESS
    cli.to_stdout("There were %s errors during the node %s.", bad, what[:-2] + "ion")
    return constants.EXIT_FAILURE


def migrate_node(opts: Any, args: list[str]) -> int:
    """``gnt-node migrate``: OP_NODE_MIGRATE, then waits for the jobs it submitted."""
    from ganeti import opcodes

    cl = cli.get_client()
    mode = _mode(opts)
    _check_target(opts)
    node, pinst = _node_primaries(cl, args[0])
    if not pinst:
        cli.to_stdout("No primary instances on node %s, exiting.", node)
        return constants.EXIT_SUCCESS
    if not opts.force and not cli.ask_user("Migrate instance(s) %s?" % ", ".join(pinst)):
        return constants.EXIT_CONFIRMATION
    op = opcodes.OpNodeMigrate(
        node_name=node,
        mode=mode,
        iallocator=opts.iallocator,
        target_node=opts.dst_node,
        allow_runtime_changes=opts.allow_runtime_chgs,
        ignore_ipolicy=opts.ignore_ipolicy,
    )
    result = cli.submit_or_send(op, opts, cl=cl)
    jex = cli.JobExecutor(cl=cl, opts=opts)
    for status, job_id in result.get(constants.JOB_IDS_KEY, []):
        jex.add_job_id(None, status, job_id)
    return _report(jex.get_results(), "migrated")


def failover_node(opts: Any, args: list[str]) -> int:
    """``gnt-node failover``: one OP_INSTANCE_FAILOVER job per primary instance."""
    from ganeti import opcodes

    cl = cli.get_client()
    _check_target(opts)
    node, pinst = _node_primaries(cl, args[0])
    if not pinst:
        cli.to_stdout("No primary instances on node %s, exiting.", node)
        return constants.EXIT_SUCCESS
    if not opts.force and not cli.ask_user("Fail over instance(s) %s?" % ", ".join(pinst)):
        return constants.EXIT_CONFIRMATION
    jex = cli.JobExecutor(cl=cl, opts=opts)
    for name in pinst:
        jex.queue_job(
            name,
            opcodes.OpInstanceFailover(
                instance_name=name,
                ignore_consistency=opts.ignore_consistency,
                iallocator=opts.iallocator,
                target_node=opts.dst_node,
            ),
        )
    return _report(jex.get_results(), "failed over")


NODE_COMMANDS = {
    "migrate": (
        migrate_node,
        cli.ARGS_ONE_NODE,
        [
            cli.FORCE_OPT,
            NONLIVE_OPT,
            MIGRATION_MODE_OPT,
            DST_NODE_OPT,
            cli.IALLOCATOR_OPT,
            cli.IGNORE_IPOLICY_OPT,
            NORUNTIME_CHGS_OPT,
        ]
        + _JOB_OPTS,
        "[-f] <node>",
        "Migrates every primary instance of the node elsewhere, one job per instance",
    ),
    "failover": (
        failover_node,
        cli.ARGS_ONE_NODE,
        [cli.FORCE_OPT, cli.IGNORE_CONSIST_OPT, DST_NODE_OPT, cli.IALLOCATOR_OPT]
        + [cli.PRIORITY_OPT],
        "[-f] <node>",
        "Fails every primary instance of the node over to another node, one job per instance",
    ),
}
