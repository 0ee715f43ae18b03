"""gnt-instance add and batch-create: instance definitions into OP_INSTANCE_CREATE.

Owns the reading of the creation options (``--disk``/``-s``, ``--net``/
``--no-nics``, ``-H hv:k=v``, ``-B``, ``-n pnode:snode``, tags) and of a
batch-create JSON file into create opcodes, checked before anything is
sent.  It must never change anything except through jobs submitted to the
master.
"""

from typing import Any

from ganeti import cli
from ganeti import constants
from ganeti import errors


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
