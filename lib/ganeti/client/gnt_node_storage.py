"""gnt-node volumes, list-storage, modify-storage and repair-storage.

Owns the storage sub-commands of gnt-node (merged into its command table
as ``COMMANDS``): the tables of logical volumes and storage units, in
Ganeti's columns, and the storage unit change and repair opcodes.  It
must never change anything except through jobs submitted to the master.
"""

from typing import Any

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti.cli import cli_option

#: default fields of ``gnt-node volumes``
LIST_VOL_DEF_FIELDS = ["node", "phys", "vg", "name", "size", "instance"]
_VOL_HEADERS = {
    "node": "Node",
    "phys": "PhysDev",
    "vg": "VG",
    "name": "Name",
    "size": "Size",
    "instance": "Instance",
}

#: default fields of ``gnt-node list-storage``
LIST_STOR_DEF_FIELDS = [
    constants.SF_NODE,
    constants.SF_TYPE,
    constants.SF_NAME,
    constants.SF_SIZE,
    constants.SF_USED,
    constants.SF_FREE,
    constants.SF_ALLOCATABLE,
]
_STOR_HEADERS = {
    constants.SF_NODE: "Node",
    constants.SF_TYPE: "Type",
    constants.SF_NAME: "Name",
    constants.SF_SIZE: "Size",
    constants.SF_USED: "Used",
    constants.SF_FREE: "Free",
    constants.SF_ALLOCATABLE: "Allocatable",
}
_STOR_SIZES = [constants.SF_SIZE, constants.SF_USED, constants.SF_FREE]

#: the storage types a user may name
USER_STORAGE_TYPES = [
    constants.ST_FILE,
    constants.ST_SHARED_FILE,
    constants.ST_LVM_PV,
    constants.ST_LVM_VG,
    constants.ST_GLUSTER,
]


def convert_storage_type(user_storage_type: str) -> str:
    """The storage type a user named; OpPrereqError if there is none such."""
    if user_storage_type not in USER_STORAGE_TYPES:
        raise errors.OpPrereqError(
            "Unknown storage type: %s" % user_storage_type, errors.ECODE_INVAL
        )
    return user_storage_type


STORAGE_TYPE_OPT = cli_option(
    "-t", "--storage-type", dest="user_storage_type", choices=USER_STORAGE_TYPES,
    default=None, metavar="STORAGE_TYPE",
    help="Storage type (%s)" % ", ".join(USER_STORAGE_TYPES),
)  # fmt: skip
ALLOCATABLE_OPT = cli_option(
    "--allocatable", dest="allocatable", type="bool", default=None, metavar="yes|no",
    help="Set the allocatable flag on a volume",
)  # fmt: skip


def _print_table(opts: Any, headers: dict, fields: list[str], rows: list, sizes: list) -> None:
    for line in cli.generate_table(
        headers=None if opts.no_headers else headers,
        fields=fields,
        separator=opts.separator,
        data=rows,
        numfields=sizes,
        unitfields=sizes,
        units=opts.units,
    ):
        cli.to_stdout("%s", line)


def list_volumes(opts: Any, args: list[str]) -> int:
    """``volumes [node...]``: the logical volumes on the nodes."""
    from ganeti import opcodes

    fields = cli.parse_fields(opts.output, LIST_VOL_DEF_FIELDS)
    op = opcodes.OpNodeQueryvols(nodes=args, output_fields=fields)
    rows = cli.submit_op_code(op, opts=opts)
    _print_table(opts, _VOL_HEADERS, fields, rows, ["size"])
    return constants.EXIT_SUCCESS


def list_storage(opts: Any, args: list[str]) -> int:
    """``list-storage [node...]``: the storage units of the nodes."""
    from ganeti import opcodes

    fields = cli.parse_fields(opts.output, LIST_STOR_DEF_FIELDS)
    op = opcodes.OpNodeQueryStorage(
        nodes=args, storage_type=opts.user_storage_type, output_fields=fields
    )
    rows = []
    for row in cli.submit_op_code(op, opts=opts):
        out = []
        for field, value in zip(fields, row):
            if field == constants.SF_ALLOCATABLE:
                value = "Y" if value else "N"
            out.append(str(value))
        rows.append(out)
    _print_table(opts, _STOR_HEADERS, fields, rows, _STOR_SIZES)
    return constants.EXIT_SUCCESS


def modify_storage(opts: Any, args: list[str]) -> int:
    """``modify-storage NODE TYPE NAME``: changes a storage unit."""
    from ganeti import opcodes

    node_name, user_storage_type, volume_name = args
    storage_type = convert_storage_type(user_storage_type)
    changes = {}
    if opts.allocatable is not None:
        changes[constants.SF_ALLOCATABLE] = opts.allocatable
    if not changes:
        cli.to_stderr("No changes to perform, exiting.")
        return constants.EXIT_SUCCESS
    op = opcodes.OpNodeModifyStorage(
        node_name=node_name, storage_type=storage_type, name=volume_name, changes=changes
    )
    cli.submit_or_send(op, opts)
    return constants.EXIT_SUCCESS


def repair_storage(opts: Any, args: list[str]) -> int:
    """``repair-storage NODE TYPE NAME``: repairs a storage unit."""
    from ganeti import opcodes

    node_name, user_storage_type, volume_name = args
    op = opcodes.OpRepairNodeStorage(
        node_name=node_name,
        storage_type=convert_storage_type(user_storage_type),
        name=volume_name,
        ignore_consistency=opts.ignore_consistency,
    )
    cli.submit_or_send(op, opts)
    return constants.EXIT_SUCCESS


_JOB_OPTS = [cli.DRY_RUN_OPT, cli.PRIORITY_OPT] + cli.SUBMIT_OPTS
_TABLE_OPTS = [cli.NOHDR_OPT, cli.SEP_OPT, cli.USEUNITS_OPT, cli.FIELDS_OPT]
_UNIT_ARGS = [
    cli.ArgNode(min=1, max=1),
    cli.ArgChoice(min=1, max=1, choices=USER_STORAGE_TYPES),
    cli.ArgFile(min=1, max=1),
]

COMMANDS = {
    "volumes": (
        list_volumes,
        cli.ARGS_MANY_NODES,
        _TABLE_OPTS + [cli.PRIORITY_OPT],
        "[<node_name>...]",
        "List logical volumes on node(s)",
    ),
    "list-storage": (
        list_storage,
        cli.ARGS_MANY_NODES,
        _TABLE_OPTS + [cli.PRIORITY_OPT, STORAGE_TYPE_OPT],
        "[<node_name>...]",
        "List physical volumes on node(s). The available fields are (see the man page"
        " for details): %s." % ", ".join(LIST_STOR_DEF_FIELDS),
    ),
    "modify-storage": (
        modify_storage,
        _UNIT_ARGS,
        [ALLOCATABLE_OPT] + _JOB_OPTS,
        "<node_name> <storage_type> <name>",
        "Modify storage volume on a node",
    ),
    "repair-storage": (
        repair_storage,
        _UNIT_ARGS,
        [cli.IGNORE_CONSIST_OPT] + _JOB_OPTS,
        "<node_name> <storage_type> <name>",
        "Repairs a storage volume on a node",
    ),
}
