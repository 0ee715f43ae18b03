"""gnt-instance: create, control, inspect and change instances.

Owns the command table of ``gnt-instance`` (each row: function, arguments,
options, usage, help), the choice of instances for the commands working on
many (``--node``, ``--tags``, ``--all``, ...), and those commands
themselves: ``remove``, ``startup``/``shutdown``/``reboot`` and
``reinstall`` on one or many instances, and ``console``.  The other rows
come from ``gnt_instance_create`` (``add``, ``batch-create``),
``gnt_instance_modify`` (``rename``, ``modify``, disk commands),
``gnt_instance_info`` (``list``, ``list-fields``, ``info``) and
``gnt_instance_migrate`` (``migrate``, ``failover``); tags use ``cli``'s
tag commands.  It must never change anything except through jobs
submitted to the master.
"""

import os
import sys
from typing import Any

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti.cli import cli_option
from ganeti.client.gnt_instance_create import add_instance, batch_create
from ganeti.client.gnt_instance_info import (
    LIST_DEF_FIELDS,
    list_instance_fields,
    list_instances,
    show_instance_config,
)
from ganeti.client.gnt_instance_modify import (
    activate_disks,
    deactivate_disks,
    grow_disk,
    recreate_disks,
    rename_instance,
    set_instance_params,
)

# how instances are chosen for the commands working on many
_EXPAND_CLUSTER = "cluster"
_EXPAND_NODES_BOTH = "nodes"
_EXPAND_NODES_PRI = "nodes-pri"
_EXPAND_NODES_SEC = "nodes-sec"
_EXPAND_NODES_BOTH_BY_TAGS = "nodes-by-tags"
_EXPAND_NODES_PRI_BY_TAGS = "nodes-pri-by-tags"
_EXPAND_NODES_SEC_BY_TAGS = "nodes-sec-by-tags"
_EXPAND_INSTANCES = "instances"
_EXPAND_INSTANCES_BY_TAGS = "instances-by-tags"


# --- helpers --------------------------------------------------------------------------------


def _query_rows(cl: Any, what: str, fields: list[str], qfilter: Any) -> list[list]:
    response = cl.Query(what, fields, qfilter)
    return [[value for _, value in row] for row in response["data"]]


def _name_filter(names: list[str]) -> list:
    return ["|"] + [["=", "name", n] for n in names]


def expand_multi_names(mode: str, names: list[str], cl: Any) -> list[str]:
    """The instance names a many-instance command acts on."""
    if mode == _EXPAND_CLUSTER:
        if names:
            raise errors.OpPrereqError("Cluster filter mode takes no arguments", errors.ECODE_INVAL)
        return [r[0] for r in _query_rows(cl, constants.QR_INSTANCE, ["name"], None)]
    if mode in (_EXPAND_NODES_BOTH, _EXPAND_NODES_PRI, _EXPAND_NODES_SEC):
        if not names:
            raise errors.OpPrereqError("No node names passed", errors.ECODE_INVAL)
        rows = _query_rows(
            cl, constants.QR_NODE, ["name", "pinst_list", "sinst_list"], _name_filter(names)
        )
        return _from_nodes(mode, rows, names)
    if mode in (_EXPAND_NODES_BOTH_BY_TAGS, _EXPAND_NODES_PRI_BY_TAGS, _EXPAND_NODES_SEC_BY_TAGS):
        if not names:
            raise errors.OpPrereqError("No node tags passed", errors.ECODE_INVAL)
        rows = _query_rows(
            cl, constants.QR_NODE, ["name", "pinst_list", "sinst_list", "tags"], None
        )
        wanted = set(names)
        rows = [r for r in rows if wanted & set(r[3] or [])]
        base = {
            _EXPAND_NODES_BOTH_BY_TAGS: _EXPAND_NODES_BOTH,
            _EXPAND_NODES_PRI_BY_TAGS: _EXPAND_NODES_PRI,
            _EXPAND_NODES_SEC_BY_TAGS: _EXPAND_NODES_SEC,
        }[mode]
        return _from_nodes(base, rows, None)
    if mode == _EXPAND_INSTANCES_BY_TAGS:
        if not names:
            raise errors.OpPrereqError("No instance tags passed", errors.ECODE_INVAL)
        rows = _query_rows(cl, constants.QR_INSTANCE, ["name", "tags"], None)
        wanted = set(names)
        return [r[0] for r in rows if wanted & set(r[1] or [])]
    if mode == _EXPAND_INSTANCES:
        if not names:
            raise errors.OpPrereqError("No instance names passed", errors.ECODE_INVAL)
        rows = _query_rows(cl, constants.QR_INSTANCE, ["name"], None)
        known = [r[0] for r in rows]
        result = []
        for name in names:
            full = _expand_one(name, known)
            if full is None:
                raise errors.OpPrereqError("Instance '%s' not known" % name, errors.ECODE_NOENT)
            result.append(full)
        return result
    raise errors.OpPrereqError("Unknown mode '%s'" % mode, errors.ECODE_INVAL)


def _expand_one(name: str, known: list[str]) -> str | None:
    if name in known:
        return name
    matches = [k for k in known if k.startswith(name + ".")]
    return matches[0] if len(matches) == 1 else None


def _from_nodes(mode: str, rows: list, names: list[str] | None) -> list[str]:
    if names is not None:
        found = {r[0] for r in rows}
        missing = [
            n for n in names if n not in found and not any(f.startswith(n + ".") for f in found)
        ]
        if missing:
            raise errors.OpPrereqError(
                "Node(s) %s not known" % ", ".join(missing), errors.ECODE_NOENT
            )
    result: list[str] = []
    for row in rows:
        if mode in (_EXPAND_NODES_BOTH, _EXPAND_NODES_PRI):
            result.extend(row[1] or [])
        if mode in (_EXPAND_NODES_BOTH, _EXPAND_NODES_SEC):
            result.extend(row[2] or [])
    return list(dict.fromkeys(result))


def _confirm(names: list[str], text: str, extra: str = "") -> bool:
    return cli.confirm_operation(names, "instances", text, extra) is True


def _selected(opts: Any, args: list[str]) -> tuple[Any, str, list[str]]:
    """(luxi client, selection mode, instance names) of a many-instance command."""
    cl = cli.get_client()
    mode = opts.multi_mode or _EXPAND_INSTANCES
    return cl, mode, expand_multi_names(mode, args, cl)


def _run_each(cl: Any, names: list[str], make_op: Any, verbose: bool, opts: Any) -> int:
    """Submits one job per instance and waits (or shows them); EXIT_FAILURE if any failed."""
    jex = cli.JobExecutor(cl=cl, verbose=verbose, opts=opts)
    for name in names:
        jex.queue_job(name, make_op(name))
    results = jex.wait_or_show(not opts.submit_only)
    return constants.EXIT_SUCCESS if all(r[0] for r in results) else constants.EXIT_FAILURE


def _many_ops(opts: Any, args: list[str], text: str, make_op: Any, confirm: bool = True) -> int:
    """Runs one job per selected instance; EXIT_FAILURE if any failed."""
    cl, mode, names = _selected(opts, args)
    if not names:
        if mode == _EXPAND_INSTANCES:
            raise errors.OpPrereqError(
                "Selection filter does not match any instances", errors.ECODE_INVAL
            )
        cli.to_stderr("No instances selected")
        return constants.EXIT_SUCCESS
    multi_on = mode != _EXPAND_INSTANCES or len(names) > 1
    if multi_on and confirm and not opts.force_multiple and not _confirm(names, text):
        return constants.EXIT_CONFIRMATION
    return _run_each(cl, names, make_op, multi_on, opts)


# --- remove, start, stop, reboot, reinstall ---------------------------------------------------


def remove_instance(opts: Any, args: list[str]) -> int:
    """``remove``: OP_INSTANCE_REMOVE (asks first unless --force)."""
    from ganeti import opcodes

    name = args[0]
    if not opts.force:
        cl = cli.get_client()
        expand_multi_names(_EXPAND_INSTANCES, [name], cl)
        usertext = (
            "This will remove the volumes of the instance %s (including mirrors), thus"
            " removing all the data of the instance. Continue?" % name
        )
        if not cli.ask_user(usertext):
            return constants.EXIT_FAILURE
    op = opcodes.OpInstanceRemove(
        instance_name=name,
        ignore_failures=opts.ignore_failures,
        shutdown_timeout=opts.shutdown_timeout,
    )
    cli.submit_or_send(op, opts)
    return constants.EXIT_SUCCESS


def startup_instances(opts: Any, args: list[str]) -> int:
    """``startup``: OP_INSTANCE_STARTUP, one job per instance."""
    from ganeti import opcodes

    beparams = dict(opts.beparams or {})
    cli.convert_param_types(beparams, constants.BES_PARAMETER_COMPAT)
    hvparams = dict(opts.hvparams or {})
    cli.convert_param_types(hvparams, constants.HVS_PARAMETER_TYPES)

    def make(name: str) -> Any:
        return opcodes.OpInstanceStartup(
            instance_name=name,
            force=opts.force,
            ignore_offline_nodes=opts.ignore_offline,
            no_remember=opts.no_remember,
            startup_paused=opts.startup_paused,
            beparams=beparams,
            hvparams=hvparams,
        )

    return _many_ops(opts, args, "startup", make)


def shutdown_instances(opts: Any, args: list[str]) -> int:
    """``shutdown``: OP_INSTANCE_SHUTDOWN, one job per instance."""
    from ganeti import opcodes

    def make(name: str) -> Any:
        return opcodes.OpInstanceShutdown(
            instance_name=name,
            force=opts.force,
            timeout=opts.timeout,
            ignore_offline_nodes=opts.ignore_offline,
            no_remember=opts.no_remember,
        )

    return _many_ops(opts, args, "shutdown", make)


def reboot_instances(opts: Any, args: list[str]) -> int:
    """``reboot``: OP_INSTANCE_REBOOT (soft, hard or full), one job per instance."""
    from ganeti import opcodes

    def make(name: str) -> Any:
        return opcodes.OpInstanceReboot(
            instance_name=name,
            reboot_type=opts.reboot_type,
            ignore_secondaries=opts.ignore_secondaries,
            shutdown_timeout=opts.shutdown_timeout,
        )

    return _many_ops(opts, args, "reboot", make)


def reinstall_instances(opts: Any, args: list[str]) -> int:
    """``reinstall``: OP_INSTANCE_REINSTALL (asks first unless --force)."""
    from ganeti import opcodes

    cl, mode, names = _selected(opts, args)
    if not names:
        raise errors.OpPrereqError(
            "Selection filter does not match any instances", errors.ECODE_INVAL
        )
    if not opts.force:
        if len(names) == 1 and mode == _EXPAND_INSTANCES:
            text = "This will reinstall the instance '%s' and remove all data. Continue?" % names[0]
            if not cli.ask_user(text):
                return constants.EXIT_FAILURE
        elif not _confirm(names, "reinstall"):
            return constants.EXIT_CONFIRMATION

    def make(name: str) -> Any:
        return opcodes.OpInstanceReinstall(
            instance_name=name,
            os_type=opts.os,
            force_variant=opts.force_variant,
            osparams=opts.osparams or None,
            osparams_private=opts.osparams_private or None,
            osparams_secret=opts.osparams_secret or None,
        )

    return _run_each(cl, names, make, len(names) > 1, opts)


# --- console ----------------------------------------------------------------------------------


def console_command(console: dict) -> list[str] | None:
    """The command that opens ``console`` (None if it cannot be run here)."""
    if console.get("kind") != constants.CONS_SSH:
        return None
    cmd = ["ssh", "-oEscapeChar=~", "-oControlPath=none", "-oBatchMode=yes", "-q", "-t"]
    if console.get("port"):
        cmd += ["-p", str(console["port"])]
    if console.get("user"):
        cmd += ["-l", console["user"]]
    cmd.append(console["host"])
    command = console.get("command") or []
    if isinstance(command, str):
        command = [command]
    if command:
        from ganeti.utils import text as utils_text

        cmd.append(utils_text.shell_quote_args(command))
    return cmd


def connect_to_console(opts: Any, args: list[str]) -> int:
    """``console``: runs (or with --show-cmd prints) the console command."""
    from ganeti import opcodes

    console = cli.submit_op_code(opcodes.OpInstanceConsole(instance_name=args[0]), opts=opts)
    kind = console.get("kind")
    name = console.get("instance", args[0])
    if kind == constants.CONS_MESSAGE:
        cli.to_stderr("%s", console.get("message"))
        return constants.EXIT_FAILURE
    if kind == constants.CONS_VNC:
        cli.to_stdout(
            "Instance %s has VNC listening on %s:%s (display %s), please connect using your"
            " VNC client.",
            name,
            console.get("host"),
            console.get("port"),
            int(console.get("port") or 5900) - 5900,
        )
        return constants.EXIT_SUCCESS
    if kind == constants.CONS_SPICE:
        cli.to_stdout(
            "Instance %s has SPICE listening on %s:%s",
            name,
            console.get("host"),
            console.get("port"),
        )
        return constants.EXIT_SUCCESS
    cmd = console_command(console)
    if cmd is None:
        raise errors.OpExecError("Unknown console type '%s'" % kind)
    if opts.show_command:
        from ganeti.utils import text as utils_text

        cli.to_stdout("%s", utils_text.shell_quote_args(cmd))
        return constants.EXIT_SUCCESS
    sys.stdout.flush()
    os.execvp(cmd[0], cmd)
    return constants.EXIT_FAILURE  # not reached


# --- options and command table ----------------------------------------------------------------


def _multi_opt(flag: str, mode: str, help_text: str) -> Any:
    return cli_option(flag, dest="multi_mode", action="store_const", const=mode, help=help_text)


m_force_multi = cli_option(
    "--force-multiple", dest="force_multiple", action="store_true", default=False,
    help="Do not ask for confirmation when more than one instance is affected",
)  # fmt: skip
m_pri_node_opt = _multi_opt("--primary", _EXPAND_NODES_PRI, "Filter by nodes (primary only)")
m_sec_node_opt = _multi_opt("--secondary", _EXPAND_NODES_SEC, "Filter by nodes (secondary only)")
m_node_opt = _multi_opt("--node", _EXPAND_NODES_BOTH, "Filter by nodes (primary and secondary)")
m_clust_opt = _multi_opt("--all", _EXPAND_CLUSTER, "Select all instances in the cluster")
m_node_tags_opt = _multi_opt(
    "--node-tags", _EXPAND_NODES_BOTH_BY_TAGS, "Filter by node tags (primary and secondary)"
)
m_pri_node_tags_opt = _multi_opt(
    "--pri-node-tags", _EXPAND_NODES_PRI_BY_TAGS, "Filter by node tags (primary only)"
)
m_sec_node_tags_opt = _multi_opt(
    "--sec-node-tags", _EXPAND_NODES_SEC_BY_TAGS, "Filter by node tags (secondary only)"
)
m_inst_opt = _multi_opt("--instance", _EXPAND_INSTANCES, "Filter by instance name [default]")
m_inst_tags_opt = _multi_opt("--tags", _EXPAND_INSTANCES_BY_TAGS, "Filter by instance tags")

_MULTI_OPTS = [
    m_force_multi, m_node_opt, m_pri_node_opt, m_sec_node_opt, m_clust_opt, m_inst_opt,
    m_node_tags_opt, m_pri_node_tags_opt, m_sec_node_tags_opt, m_inst_tags_opt,
]  # fmt: skip

HYPERVISOR_ADD_OPT = cli_option(
    "-H", "--hypervisor-parameters", dest="hypervisor", type="identkeyval", default=None,
    help="Hypervisor and its parameters: hypervisor[:option=value,...]",
)  # fmt: skip
FILESTORE_DIR_OPT = cli_option(
    "--file-storage-dir", dest="file_storage_dir", default=None, metavar="<DIR>",
    help="Relative path under the cluster's file storage directory for the disk files",
)  # fmt: skip
FILESTORE_DRIVER_OPT = cli_option(
    "--file-driver", dest="file_driver", default=None, metavar="<DRIVER>",
    choices=sorted(constants.FILE_DRIVER), help="Driver to use for image files",
)  # fmt: skip
OPPORTUNISTIC_OPT = cli_option(
    "--opportunistic-locking", dest="opportunistic_locking", action="store_true", default=False,
    help="Opportunistically acquire locks (only with an iallocator)",
)  # fmt: skip
IGNORE_FAILURES_OPT = cli_option(
    "--ignore-failures", dest="ignore_failures", action="store_true", default=False,
    help="Remove the instance from the cluster configuration even if there are failures"
    " during the removal process",
)  # fmt: skip
REBOOT_TYPE_OPT = cli_option(
    "-t", "--type", dest="reboot_type", default=constants.REBOOT_HARD, metavar="<REBOOT>",
    choices=sorted(constants.REBOOT_TYPES), help="Type of reboot: soft/hard/full",
)  # fmt: skip
IGNORE_SECONDARIES_OPT = cli_option(
    "--ignore-secondaries", dest="ignore_secondaries", action="store_true", default=False,
    help="Ignore errors from secondaries",
)  # fmt: skip
STARTUP_PAUSED_OPT = cli_option(
    "--paused", dest="startup_paused", action="store_true", default=False,
    help="Pause instance at startup",
)  # fmt: skip
SHOWCMD_OPT = cli_option(
    "--show-cmd", dest="show_command", action="store_true", default=False,
    help="Show command instead of executing it",
)  # fmt: skip
STATIC_OPT = cli_option(
    "-s", "--static", dest="static", action="store_true", default=False,
    help="Only show configuration data, not runtime data",
)  # fmt: skip
ALL_OPT = cli_option(
    "--all", dest="show_all", default=False, action="store_true",
    help="Show info on all instances on the cluster. This can take a long time to run,"
    " use wisely",
)  # fmt: skip
ABSOLUTE_OPT = cli_option(
    "--absolute", dest="absolute", action="store_true", default=False,
    help="Marks the grow as absolute instead of the (default) relative mode",
)  # fmt: skip
IGNORE_SIZE_OPT = cli_option(
    "--ignore-size", dest="ignore_size", action="store_true", default=False,
    help="Ignore the current recorded size (useful for forcing activation when the recorded"
    " size is wrong)",
)  # fmt: skip
RUNTIME_MEM_OPT = cli_option(
    "-m", "--runtime-memory", dest="runtime_mem", default=None, type="unit",
    help="Change the memory of the running instance",
)  # fmt: skip
NEW_PRIMARY_OPT = cli_option(
    "--new-primary", dest="new_primary_node", default=None,
    help="Set the new primary node (file templates)",
)  # fmt: skip
MODIFY_NODE_OPT = cli_option(
    "-n", "--node", dest="node", default=None, metavar="<node>",
    help="Secondary node for a disk template change",
)  # fmt: skip
RECREATE_NODES_OPT = cli_option(
    "-n", "--node", dest="node", default=None, metavar="<node[:node]>",
    help="New node(s) for the disks",
)  # fmt: skip
HOTPLUG_OPT = cli_option(
    "--hotplug", dest="hotplug", action="store_true", default=False,
    help="Hotplug supported devices (NICs and Disks)",
)  # fmt: skip
HOTPLUG_IF_POSSIBLE_OPT = cli_option(
    "--hotplug-if-possible", dest="hotplug_if_possible", action="store_true", default=False,
    help="Hotplug devices in case hotplug is supported",
)  # fmt: skip
HVOPTS_MODIFY_OPT = cli_option(
    "-H", "--hypervisor-parameters", dest="hvparams", type="keyval", default={},
    help="Hypervisor parameters",
)  # fmt: skip

_JOB_OPTS = [cli.DRY_RUN_OPT, cli.PRIORITY_OPT] + cli.SUBMIT_OPTS
_LIST_OPTS = [
    cli.NOHDR_OPT, cli.SEP_OPT, cli.USEUNITS_OPT, cli.FIELDS_OPT, cli.VERBOSE_OPT,
    cli.FORCE_FILTER_OPT,
]  # fmt: skip

_ADD_OPTS = [
    cli.BACKEND_OPT, cli.DISK_OPT, cli.DISK_TEMPLATE_OPT, FILESTORE_DIR_OPT, FILESTORE_DRIVER_OPT,
    HYPERVISOR_ADD_OPT, cli.IALLOCATOR_OPT, cli.NET_OPT, cli.NODE_PLACEMENT_OPT,
    cli.NODEGROUP_OPT, cli.NOIPCHECK_OPT, cli.NOCONFLICTSCHECK_OPT, cli.NONAMECHECK_OPT,
    cli.NONICS_OPT, cli.NWSYNC_OPT, cli.OSPARAMS_OPT, cli.OSPARAMS_PRIVATE_OPT,
    cli.OSPARAMS_SECRET_OPT, cli.OS_SIZE_OPT, OPPORTUNISTIC_OPT, cli.TAG_ADD_OPT, cli.NOSTART_OPT,
    cli.OS_OPT, cli.FORCE_VARIANT_OPT, cli.NO_INSTALL_OPT, cli.IGNORE_IPOLICY_OPT,
]  # fmt: skip

commands = {
    "add": (
        add_instance,
        cli.ARGS_ONE_INSTANCE,
        _ADD_OPTS + _JOB_OPTS,
        "[...] -t disk-type -n node[:secondary-node] -o os-type <name>",
        "Creates and adds a new instance to the cluster",
    ),
    "batch-create": (
        batch_create,
        [cli.ArgFile(min=1, max=1)],
        [cli.IALLOCATOR_OPT] + _JOB_OPTS,
        "<instances.json>",
        "Create a bunch of instances based on specs in the file.",
    ),
    "console": (
        connect_to_console,
        cli.ARGS_ONE_INSTANCE,
        [SHOWCMD_OPT, cli.PRIORITY_OPT],
        "[--show-cmd] <instance>",
        "Opens a console on the specified instance",
    ),
    "info": (
        show_instance_config,
        cli.ARGS_MANY_INSTANCES,
        [STATIC_OPT, ALL_OPT, cli.ROMAN_OPT, cli.PRIORITY_OPT],
        "[-s] {--all | <instance>...}",
        "Show information on the specified instance(s)",
    ),
    "list": (
        list_instances,
        cli.ARGS_MANY_INSTANCES,
        _LIST_OPTS,
        "[<instance>...]",
        "Lists the instances and their status. The available fields can be shown using the"
        ' "list-fields" command (see the man page for details). The default field list is'
        " (in order): %s." % ", ".join(LIST_DEF_FIELDS),
    ),
    "list-fields": (
        list_instance_fields,
        [cli.ArgUnknown()],
        [cli.NOHDR_OPT, cli.SEP_OPT],
        "[fields...]",
        "Lists all available fields for instances",
    ),
    "reinstall": (
        reinstall_instances,
        [cli.ArgInstance()],
        [
            cli.FORCE_OPT,
            cli.OS_OPT,
            cli.FORCE_VARIANT_OPT,
            cli.OSPARAMS_OPT,
            cli.OSPARAMS_PRIVATE_OPT,
            cli.OSPARAMS_SECRET_OPT,
        ]
        + _MULTI_OPTS
        + _JOB_OPTS,
        "[-f] <instance>",
        "Reinstall a stopped instance",
    ),
    "remove": (
        remove_instance,
        cli.ARGS_ONE_INSTANCE,
        [cli.FORCE_OPT, cli.SHUTDOWN_TIMEOUT_OPT, IGNORE_FAILURES_OPT] + _JOB_OPTS,
        "[-f] <instance>",
        "Shuts down the instance and removes it",
    ),
    "rename": (
        rename_instance,
        [cli.ArgInstance(min=1, max=1), cli.ArgHost(min=1, max=1)],
        [cli.NOIPCHECK_OPT, cli.NONAMECHECK_OPT] + _JOB_OPTS,
        "<instance> <new_name>",
        "Rename the instance",
    ),
    "modify": (
        set_instance_params,
        cli.ARGS_ONE_INSTANCE,
        [
            cli.BACKEND_OPT,
            cli.DISK_OPT,
            cli.FORCE_OPT,
            HVOPTS_MODIFY_OPT,
            cli.NET_OPT,
            cli.DISK_TEMPLATE_OPT,
            MODIFY_NODE_OPT,
            cli.OS_OPT,
            cli.FORCE_VARIANT_OPT,
            cli.OSPARAMS_OPT,
            cli.OSPARAMS_PRIVATE_OPT,
            cli.NWSYNC_OPT,
            cli.OFFLINE_INST_OPT,
            cli.ONLINE_INST_OPT,
            cli.IGNORE_IPOLICY_OPT,
            RUNTIME_MEM_OPT,
            cli.NOCONFLICTSCHECK_OPT,
            NEW_PRIMARY_OPT,
            HOTPLUG_OPT,
            HOTPLUG_IF_POSSIBLE_OPT,
        ]
        + _JOB_OPTS,
        "<instance>",
        "Alters the parameters of an instance",
    ),
    "shutdown": (
        shutdown_instances,
        [cli.ArgInstance()],
        [cli.FORCE_OPT, cli.TIMEOUT_OPT, cli.IGNORE_OFFLINE_OPT, cli.NO_REMEMBER_OPT]
        + _MULTI_OPTS
        + _JOB_OPTS,
        "<instance>",
        "Stops an instance",
    ),
    "startup": (
        startup_instances,
        [cli.ArgInstance()],
        [
            cli.FORCE_OPT,
            HVOPTS_MODIFY_OPT,
            cli.BACKEND_OPT,
            cli.IGNORE_OFFLINE_OPT,
            cli.NO_REMEMBER_OPT,
            STARTUP_PAUSED_OPT,
        ]
        + _MULTI_OPTS
        + _JOB_OPTS,
        "<instance>",
        "Starts an instance",
    ),
    "reboot": (
        reboot_instances,
        [cli.ArgInstance()],
        [REBOOT_TYPE_OPT, IGNORE_SECONDARIES_OPT, cli.SHUTDOWN_TIMEOUT_OPT]
        + _MULTI_OPTS
        + _JOB_OPTS,
        "<instance>",
        "Reboots an instance",
    ),
    "activate-disks": (
        activate_disks,
        cli.ARGS_ONE_INSTANCE,
        [IGNORE_SIZE_OPT, cli.WFSYNC_OPT] + _JOB_OPTS,
        "<instance>",
        "Activate an instance's disks",
    ),
    "deactivate-disks": (
        deactivate_disks,
        cli.ARGS_ONE_INSTANCE,
        [cli.FORCE_OPT] + _JOB_OPTS,
        "[-f] <instance>",
        "Deactivate an instance's disks",
    ),
    "recreate-disks": (
        recreate_disks,
        cli.ARGS_ONE_INSTANCE,
        [cli.DISK_OPT, RECREATE_NODES_OPT, cli.IALLOCATOR_OPT] + _JOB_OPTS,
        "<instance>",
        "Recreate an instance's disks",
    ),
    "grow-disk": (
        grow_disk,
        [cli.ArgInstance(min=1, max=1), cli.ArgUnknown(min=1, max=1), cli.ArgUnknown(min=1, max=1)],
        [cli.NWSYNC_OPT, ABSOLUTE_OPT, cli.IGNORE_IPOLICY_OPT] + _JOB_OPTS,
        "<instance> <disk> <size>",
        "Grow an instance's disk",
    ),
    "list-tags": (
        cli.list_tags,
        cli.ARGS_ONE_INSTANCE,
        [],
        "<instance_name>",
        "List the tags of the given instance",
    ),
    "add-tags": (
        cli.add_tags,
        [cli.ArgInstance(min=1, max=1), cli.ArgUnknown()],
        [cli.TAG_SRC_OPT] + _JOB_OPTS,
        "<instance_name> tag...",
        "Add tags to the given instance",
    ),
    "remove-tags": (
        cli.remove_tags,
        [cli.ArgInstance(min=1, max=1), cli.ArgUnknown()],
        [cli.TAG_SRC_OPT] + _JOB_OPTS,
        "<instance_name> tag...",
        "Remove tags from given instance",
    ),
}
from ganeti.client import gnt_instance_migrate  # noqa: E402  (migrate, failover)

commands.update(gnt_instance_migrate.COMMANDS)

aliases = {"start": "startup", "stop": "shutdown", "show": "info"}


def main() -> int:
    return cli.generic_main(
        commands,
        aliases=aliases,
        env_override={"list"},
        override={"tag_type": constants.TAG_INSTANCE},
    )
