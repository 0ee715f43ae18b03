"""gnt-instance rename, modify and the disk commands: changes to one instance.

Owns ``rename``, ``modify`` (``--disk``/``--net`` modifications into
``[action, identifier, params]``, ``-H``/``-B`` with ``default``),
``grow-disk``, ``activate-disks``, ``deactivate-disks`` and
``recreate-disks``: each builds one opcode and prints what comes back.  It
must never change anything except through jobs submitted to the master.
"""

from typing import Any

from ganeti import cli
from ganeti import constants
from ganeti import errors


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
