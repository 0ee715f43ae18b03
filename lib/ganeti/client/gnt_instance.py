"""gnt-instance: create, control, inspect and change instances.

Owns the instance sub-commands: they turn the command line into opcodes
(``add``, ``batch-create``, ``remove``, ``startup``/``shutdown``/``reboot``
and ``reinstall`` on one or many instances, ``modify``, ``rename``,
``grow-disk``, disk activation and recreation, ``console``, tags) or luxi
queries (``list``, ``list-fields``, ``info``), and print what comes back
as Ganeti's client does.  It must never change anything except through
jobs submitted to the master.
"""

import os
import sys
from typing import Any

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti.cli import cli_option

#: default fields of ``gnt-instance list``
LIST_DEF_FIELDS = ["name", "hypervisor", "os", "pnode", "status", "oper_ram"]

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


def _join(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join("-" if v is None else str(v) for v in value)
    return str(value)


_LIST_FORMAT = {
    "tags": (lambda v: ",".join(sorted(v)), False),
    "snodes": (_join, False),
    "nic.ips": (_join, False),
    "nic.macs": (_join, False),
    "nic.modes": (_join, False),
    "nic.links": (_join, False),
    "nic.bridges": (_join, False),
    "nic.names": (_join, False),
    "nic.uuids": (_join, False),
    "nic.networks": (_join, False),
    "nic.networks.names": (_join, False),
    "disk.sizes": (_join, False),
    "disk.spindles": (_join, False),
    "disk.names": (_join, False),
    "disk.uuids": (_join, False),
}


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


def _many_ops(opts: Any, args: list[str], text: str, make_op: Any, confirm: bool = True) -> int:
    """Runs one job per selected instance; EXIT_FAILURE if any failed."""
    cl = cli.get_client()
    mode = opts.multi_mode or _EXPAND_INSTANCES
    names = expand_multi_names(mode, args, cl)
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
    jex = cli.JobExecutor(cl=cl, verbose=multi_on, opts=opts)
    for name in names:
        jex.queue_job(name, make_op(name))
    results = jex.wait_or_show(not opts.submit_only)
    return constants.EXIT_SUCCESS if all(r[0] for r in results) else constants.EXIT_FAILURE


def _convert_mods(mods: list) -> list:
    """``--disk``/``--net`` of ``modify`` -> ``[[action, identifier, params]]``."""
    missing = object()
    result = []
    for ident, params in mods:
        if params is False or params is None:
            raise errors.OpPrereqError("Invalid modification '%s'" % ident, errors.ECODE_INVAL)
        params = dict(params)
        if ident == constants.DDM_ADD:
            action, ident = constants.DDM_ADD, -1
        elif ident == constants.DDM_REMOVE:
            action, ident = constants.DDM_REMOVE, -1
        else:
            add = params.pop(constants.DDM_ADD, missing)
            remove = params.pop(constants.DDM_REMOVE, missing)
            modify = params.pop(constants.DDM_MODIFY, missing)
            if modify is missing:
                if add is not missing and remove is not missing:
                    raise errors.OpPrereqError(
                        "Cannot add and remove at the same time", errors.ECODE_INVAL
                    )
                if add is not missing:
                    action = constants.DDM_ADD
                elif remove is not missing:
                    action = constants.DDM_REMOVE
                else:
                    action = constants.DDM_MODIFY
            elif add is missing and remove is missing:
                action = constants.DDM_MODIFY
            else:
                raise errors.OpPrereqError(
                    "Cannot modify and add/remove at the same time", errors.ECODE_INVAL
                )
            try:
                ident = int(ident)
            except ValueError:
                pass
        if action == constants.DDM_REMOVE and params:
            raise errors.OpPrereqError("Not accepting parameters on removal", errors.ECODE_INVAL)
        result.append([action, ident, params])
    return result


def _hypervisor_option(value: Any) -> tuple[str | None, dict]:
    """``-H hv[:k=v,...]`` of ``add``; ``-H k=v,...`` keeps the default hypervisor."""
    if not value:
        return None, {}
    ident, params = value
    if params is False or params is None:
        raise errors.OpPrereqError("Invalid hypervisor parameters '%s'" % ident, errors.ECODE_INVAL)
    if "=" in ident:
        extra = cli.split_key_val("-H", ident)
        extra.update(params)
        return None, extra
    return ident, dict(params)


# --- add, batch-create ------------------------------------------------------------------------


def _disks_of(opts: Any) -> list[dict]:
    template = opts.disk_template
    if opts.disks and opts.sd_size is not None:
        raise errors.OpPrereqError(
            "Please use either the '--disk' or '-s' option", errors.ECODE_INVAL
        )
    if template == constants.DT_DISKLESS:
        if opts.disks or opts.sd_size is not None:
            raise errors.OpPrereqError(
                "Diskless instance but disk information passed", errors.ECODE_INVAL
            )
        return []
    if opts.sd_size is not None:
        return [{constants.IDISK_SIZE: opts.sd_size}]
    if not opts.disks:
        if template is None:
            return []
        raise errors.OpPrereqError("No disk information specified", errors.ECODE_INVAL)
    for idx, params in opts.disks:
        if params is False or params is None:
            raise errors.OpPrereqError("Invalid disk specification %s" % idx, errors.ECODE_INVAL)
    disks = cli.parse_disk_option(opts.disks)
    for idx, disk in enumerate(disks):
        if constants.IDISK_SIZE not in disk and constants.IDISK_ADOPT not in disk:
            raise errors.OpPrereqError(
                "Missing size or adoption source for disk %d" % idx, errors.ECODE_INVAL
            )
    return disks


def _nics_of(opts: Any) -> list[dict]:
    if opts.nics and opts.no_nics:
        raise errors.OpPrereqError("Cannot specify both --no-nics and --net", errors.ECODE_INVAL)
    if opts.no_nics:
        return []
    if not opts.nics:
        return [{}]
    for idx, params in opts.nics:
        if params is False or params is None:
            raise errors.OpPrereqError("Invalid NIC specification %s" % idx, errors.ECODE_INVAL)
    return cli.parse_nic_option(opts.nics)


def build_create_op(opts: Any, name: str) -> Any:
    """The OP_INSTANCE_CREATE of ``gnt-instance add``."""
    from ganeti import opcodes

    if not opts.name_check and opts.ip_check:
        raise errors.OpPrereqError(
            "Cannot do IP address check without a name check", errors.ECODE_INVAL
        )
    hypervisor, hvparams = _hypervisor_option(opts.hypervisor)
    cli.convert_param_types(hvparams, constants.HVS_PARAMETER_TYPES)
    beparams = dict(opts.beparams or {})
    cli.convert_param_types(beparams, constants.BES_PARAMETER_COMPAT)
    pnode, snode = cli.split_node_option(opts.node)
    tags = [t for t in (opts.tags or "").split(",") if t]
    op = opcodes.OpInstanceCreate(
        instance_name=name,
        disks=_disks_of(opts),
        disk_template=opts.disk_template,
        nics=_nics_of(opts),
        conflicts_check=opts.conflicts_check,
        pnode=pnode,
        snode=snode,
        ip_check=opts.ip_check,
        name_check=opts.name_check,
        wait_for_sync=opts.wait_for_sync,
        file_storage_dir=opts.file_storage_dir,
        file_driver=opts.file_driver,
        iallocator=opts.iallocator,
        hypervisor=hypervisor,
        hvparams=hvparams,
        beparams=beparams,
        osparams=opts.osparams or {},
        osparams_private=opts.osparams_private or {},
        osparams_secret=opts.osparams_secret or {},
        mode=constants.INSTANCE_CREATE,
        start=opts.start,
        os_type=opts.os,
        force_variant=opts.force_variant,
        no_install=opts.no_install,
        tags=tags,
        ignore_ipolicy=opts.ignore_ipolicy,
        opportunistic_locking=opts.opportunistic_locking,
        group_name=opts.nodegroup,
    )
    op.validate(False)
    return op


def add_instance(opts: Any, args: list[str]) -> int:
    """``add``: OP_INSTANCE_CREATE."""
    op = build_create_op(opts, args[0])
    cli.submit_or_send(op, opts)
    return constants.EXIT_SUCCESS


def batch_create(opts: Any, args: list[str]) -> int:
    """``batch-create``: OP_INSTANCE_MULTI_ALLOC from a JSON list of create parameters."""
    from ganeti import opcodes, serializer

    try:
        with open(args[0], encoding="utf-8") as fh:
            data = serializer.loads(fh.read())
    except (OSError, ValueError) as err:
        cli.to_stderr("Can't parse the instance definition file: %s", err)
        return constants.EXIT_FAILURE
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        cli.to_stderr("The instance definition file is not a list of dictionaries")
        return constants.EXIT_FAILURE
    possible = {p[0] for p in opcodes.OpInstanceCreate.OP_PARAMS}
    ops = []
    for idx, inst in enumerate(data):
        unknown = sorted(set(inst) - possible)
        if unknown:
            raise errors.OpPrereqError(
                "Unknown fields in definition %s: %s" % (idx, ", ".join(unknown)),
                errors.ECODE_INVAL,
            )
        inst = dict(inst)
        inst.setdefault("mode", constants.INSTANCE_CREATE)
        op = opcodes.OpInstanceCreate(**inst)
        op.validate(False)
        ops.append(op)
    cl = cli.get_client()
    op = opcodes.OpInstanceMultiAlloc(iallocator=opts.iallocator, instances=ops)
    result = cli.submit_or_send(op, opts, cl=cl)
    jex = cli.JobExecutor(cl=cl, opts=opts)
    for status, job_id in result.get("jobs", []):
        jex.add_job_id(None, status, job_id)
    results = jex.get_results()
    bad = len([r for r in results if not r[0]])
    if bad == 0:
        cli.to_stdout("All instances created successfully.")
        return constants.EXIT_SUCCESS
    cli.to_stdout("There were %s errors during the creation.", bad)
    return constants.EXIT_FAILURE


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

    cl = cli.get_client()
    mode = opts.multi_mode or _EXPAND_INSTANCES
    names = expand_multi_names(mode, args, cl)
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
    jex = cli.JobExecutor(cl=cl, verbose=len(names) > 1, opts=opts)
    for name in names:
        jex.queue_job(
            name,
            opcodes.OpInstanceReinstall(
                instance_name=name,
                os_type=opts.os,
                force_variant=opts.force_variant,
                osparams=opts.osparams or None,
                osparams_private=opts.osparams_private or None,
                osparams_secret=opts.osparams_secret or None,
            ),
        )
    results = jex.wait_or_show(not opts.submit_only)
    return constants.EXIT_SUCCESS if all(r[0] for r in results) else constants.EXIT_FAILURE


# --- rename, modify, disks --------------------------------------------------------------------


def rename_instance(opts: Any, args: list[str]) -> int:
    """``rename``: OP_INSTANCE_RENAME."""
    from ganeti import opcodes

    if not opts.name_check and opts.ip_check:
        raise errors.OpPrereqError(
            "Cannot do IP address check without a name check", errors.ECODE_INVAL
        )
    op = opcodes.OpInstanceRename(
        instance_name=args[0],
        new_name=args[1],
        ip_check=opts.ip_check,
        name_check=opts.name_check,
    )
    result = cli.submit_or_send(op, opts)
    if result:
        cli.to_stdout("Instance '%s' renamed to '%s'", args[0], result)
    return constants.EXIT_SUCCESS


def set_instance_params(opts: Any, args: list[str]) -> int:
    """``modify``: OP_INSTANCE_SET_PARAMS; prints what changed."""
    from ganeti import opcodes

    if not (
        opts.nics
        or opts.disks
        or opts.disk_template
        or opts.hvparams
        or opts.beparams
        or opts.os
        or opts.osparams
        or opts.osparams_private
        or opts.offline_inst
        or opts.online_inst
        or opts.runtime_mem
        or opts.new_primary_node
        or opts.node
    ):
        cli.to_stderr("Please give at least one of the parameters.")
        return constants.EXIT_FAILURE
    if opts.offline_inst and opts.online_inst:
        raise errors.OpPrereqError(
            "Can't use --online and --offline at the same time", errors.ECODE_INVAL
        )
    hvparams = dict(opts.hvparams or {})
    for key, value in list(hvparams.items()):
        if isinstance(value, str) and value.lower() == constants.VALUE_DEFAULT:
            hvparams[key] = constants.VALUE_DEFAULT
    cli.convert_param_types(hvparams, constants.HVS_PARAMETER_TYPES, [constants.VALUE_DEFAULT])
    beparams = dict(opts.beparams or {})
    cli.convert_param_types(beparams, constants.BES_PARAMETER_COMPAT, [constants.VALUE_DEFAULT])
    disks = _convert_mods(opts.disks)
    for action, _, params in disks:
        if action == constants.DDM_ADD and constants.IDISK_SIZE in params:
            params[constants.IDISK_SIZE] = cli.parse_size(params[constants.IDISK_SIZE], "disk size")
    nics = _convert_mods(opts.nics)
    offline = None
    if opts.offline_inst:
        offline = True
    elif opts.online_inst:
        offline = False
    op = opcodes.OpInstanceSetParams(
        instance_name=args[0],
        nics=nics,
        disks=disks,
        disk_template=opts.disk_template,
        pnode=opts.new_primary_node or opts.node,
        hvparams=hvparams,
        beparams=beparams,
        runtime_mem=opts.runtime_mem,
        os_name=opts.os,
        osparams=opts.osparams or {},
        osparams_private=opts.osparams_private or {},
        force_variant=opts.force_variant,
        force=opts.force,
        wait_for_sync=opts.wait_for_sync,
        offline=offline,
        conflicts_check=opts.conflicts_check,
        ignore_ipolicy=opts.ignore_ipolicy,
        hotplug=opts.hotplug,
        hotplug_if_possible=opts.hotplug_if_possible,
    )
    result = cli.submit_or_send(op, opts)
    if result:
        cli.to_stdout("Modified instance %s", args[0])
        for param, data in result:
            cli.to_stdout(" - %-5s -> %s", param, data)
        cli.to_stdout(
            "Please don't forget that most parameters take effect only at the next (re)start"
            " of the instance initiated by ganeti; restarting from within the instance will"
            " not be enough."
        )
    else:
        cli.to_stderr("No changes applied.")
    return constants.EXIT_SUCCESS


def grow_disk(opts: Any, args: list[str]) -> int:
    """``grow-disk``: OP_INSTANCE_GROW_DISK."""
    from ganeti import opcodes

    instance, disk, amount = args
    try:
        disk = int(disk)
    except (TypeError, ValueError) as err:
        raise errors.OpPrereqError("Invalid disk index: %s" % err, errors.ECODE_INVAL) from None
    op = opcodes.OpInstanceGrowDisk(
        instance_name=instance,
        disk=disk,
        amount=cli.parse_size(amount, "amount"),
        wait_for_sync=opts.wait_for_sync,
        absolute=opts.absolute,
        ignore_ipolicy=opts.ignore_ipolicy,
    )
    cli.submit_or_send(op, opts)
    return constants.EXIT_SUCCESS


def activate_disks(opts: Any, args: list[str]) -> int:
    """``activate-disks``: prints node:disk:device for each disk."""
    from ganeti import opcodes

    op = opcodes.OpInstanceActivateDisks(
        instance_name=args[0], ignore_size=opts.ignore_size, wait_for_sync=opts.wait_for_sync
    )
    for host, iv_name, dev in cli.submit_or_send(op, opts) or []:
        cli.to_stdout("%s:%s:%s", host, iv_name, dev)
    return constants.EXIT_SUCCESS


def deactivate_disks(opts: Any, args: list[str]) -> int:
    """``deactivate-disks``: OP_INSTANCE_DEACTIVATE_DISKS."""
    from ganeti import opcodes

    cli.submit_or_send(
        opcodes.OpInstanceDeactivateDisks(instance_name=args[0], force=opts.force), opts
    )
    return constants.EXIT_SUCCESS


def recreate_disks(opts: Any, args: list[str]) -> int:
    """``recreate-disks``: OP_INSTANCE_RECREATE_DISKS."""
    from ganeti import opcodes

    disks: list = []
    for ident, params in opts.disks or []:
        try:
            idx = int(ident)
        except (TypeError, ValueError):
            raise errors.OpPrereqError(
                "Invalid disk index '%s'" % ident, errors.ECODE_INVAL
            ) from None
        params = dict(params or {})
        if constants.IDISK_SIZE in params:
            params[constants.IDISK_SIZE] = cli.parse_size(params[constants.IDISK_SIZE], "disk size")
        disks.append([idx, params] if params else idx)
    if disks and not all(isinstance(d, int) for d in disks):
        disks = [d if isinstance(d, list) else [d, {}] for d in disks]
    nodes = opts.node.split(":") if opts.node else []
    op = opcodes.OpInstanceRecreateDisks(
        instance_name=args[0], disks=disks, nodes=nodes, iallocator=opts.iallocator
    )
    cli.submit_or_send(op, opts)
    return constants.EXIT_SUCCESS


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


# --- list, info -------------------------------------------------------------------------------


def list_instances(opts: Any, args: list[str]) -> int:
    """``list``: table of instances (live fields in one parallel RPC on the master)."""
    fields = cli.parse_fields(opts.output, LIST_DEF_FIELDS)
    return cli.generic_list(
        constants.QR_INSTANCE,
        fields,
        args,
        opts.units,
        opts.separator,
        not opts.no_headers,
        format_override=_LIST_FORMAT,
        verbose=opts.verbose,
        force_filter=opts.force_filter,
    )


def list_instance_fields(opts: Any, args: list[str]) -> int:
    """``list-fields``: the instance query fields."""
    return cli.generic_list_fields(constants.QR_INSTANCE, args, opts.separator, not opts.no_headers)


def _format_params(own: dict, actual: dict, roman: bool = False) -> list:
    result = []
    for key in sorted(actual or {}):
        value = actual[key]
        if key in (own or {}):
            result.append((key, str(value)))
        else:
            result.append((key, "default (%s)" % (value,)))
    return result


def _disk_info(idx: int, disk: dict, static: bool) -> list:
    from ganeti.utils import text as utils_text

    data: list = [
        ("access mode", disk.get("mode")),
        ("logical_id", " ".join(str(x) for x in disk.get("logical_id") or [])),
    ]
    if not static:
        status = disk.get("pstatus")
        if status:
            path = status.get("dev_path")
            degraded = status.get("is_degraded")
            state = "ok" if not degraded else "*DEGRADED*"
            data.append(("on primary", "%s (%s)" % (path, state)))
        else:
            data.append(("on primary", "not found"))
    data += [("name", disk.get("name")), ("UUID", disk.get("uuid"))]
    title = "%s: %s, size %s" % (
        disk.get("iv_name", "disk/%d" % idx),
        disk.get("dev_type"),
        utils_text.format_unit(disk.get("size") or 0, "h"),
    )
    return [(title, data)]


def instance_info_data(info: dict, static: bool) -> list:
    """The ``info`` structure of one instance (ordered pairs)."""
    if static or info.get("run_state") is None:
        state = "configured to be %s" % info["config_state"]
        if not static:
            state += ", actual state is unknown"
    else:
        state = "configured to be %s, actual state is %s" % (
            info["config_state"],
            info["run_state"],
        )
    nics = []
    for idx, nic in enumerate(info.get("nics") or []):
        name, uuid, ip, mac, mode, link, vlan, network, _ = (list(nic) + [None] * 9)[:9]
        nics.append(
            (
                "nic/%d" % idx,
                [
                    ("MAC", mac),
                    ("IP", ip),
                    ("mode", mode),
                    ("link", link),
                    ("vlan", vlan),
                    ("network", network),
                    ("UUID", uuid),
                    ("name", name),
                ],
            )
        )
    disks: list = []
    for idx, disk in enumerate(info.get("disks") or []):
        disks.extend(_disk_info(idx, disk, static))
    return [
        ("Instance name", info["name"]),
        ("UUID", info["uuid"]),
        ("Serial number", info["serial_no"]),
        ("Creation time", cli.format_time(info.get("ctime"))),
        ("Modification time", cli.format_time(info.get("mtime"))),
        ("State", state),
        (
            "Nodes",
            [
                (
                    "primary",
                    [
                        ("node", info["pnode"]),
                        (
                            "group",
                            "%s (UUID %s)" % (info["pnode_group_name"], info["pnode_group_uuid"]),
                        ),
                    ],
                ),
                ("secondaries", list(info.get("snodes") or [])),
            ],
        ),
        ("Operating system", info["os"]),
        ("Operating system parameters", _format_params(info["os_instance"], info["os_actual"])),
        ("Allocated network port", info.get("network_port")),
        ("Hypervisor", info["hypervisor"]),
        ("Hypervisor parameters", _format_params(info["hv_instance"], info["hv_actual"])),
        (
            "Hardware",
            _format_params(info["be_instance"], info["be_actual"]) + [("NICs", nics)],
        ),
        ("Disk template", info["disk_template"]),
        ("Disks", disks),
        ("Tags", ", ".join(info.get("tags") or [])),
    ]


def show_instance_config(opts: Any, args: list[str]) -> int:
    """``info``: configuration and (unless --static) live state of instances."""
    from ganeti import opcodes

    if not args and not opts.show_all:
        cli.to_stderr(
            "No instance selected. Please pass in --all if you want to query all instances."
        )
        return constants.EXIT_FAILURE
    if args and opts.show_all:
        cli.to_stderr("Cannot use --all if you specify instance names.")
        return constants.EXIT_FAILURE
    op = opcodes.OpInstanceQueryData(
        instances=args, static=opts.static, use_locking=not opts.static
    )
    result = cli.submit_op_code(op, opts=opts)
    if not result:
        cli.to_stdout("No instances.")
        return constants.EXIT_FAILURE
    cli.print_generic_info(
        [instance_info_data(result[name], opts.static) for name in sorted(result)]
    )
    return constants.EXIT_SUCCESS


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
