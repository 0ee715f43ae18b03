"""gnt-group: add, remove, rename, list, inspect and modify node groups.

Owns the node group sub-commands and the parsing of the instance policy
options a group accepts (bounds specs, disk templates, vCPU and spindle
ratios).  Every command is a luxi query or one opcode; it must never
change the configuration itself.
"""

from typing import Any

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti.cli import cli_option

#: default fields of ``gnt-group list``
LIST_DEF_FIELDS = ["name", "node_cnt", "pinst_cnt", "alloc_policy", "ndparams"]

_LIST_FORMAT = {
    "node_list": (lambda v: ",".join(v), False),
    "pinst_list": (lambda v: ",".join(v), False),
    "tags": (lambda v: ",".join(sorted(v)), False),
    "ndparams": (lambda v: _format_dict(v), False),
}

_INFO_FIELDS = [
    "name", "uuid", "serial_no", "ctime", "mtime", "alloc_policy", "node_list",
    "pinst_list", "ndparams", "custom_ndparams", "diskparams", "custom_diskparams",
    "ipolicy", "custom_ipolicy", "tags",
]  # fmt: skip

_SIZE_SPECS = frozenset([constants.ISPEC_MEM_SIZE, constants.ISPEC_DISK_SIZE])


def _format_dict(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    return "{%s}" % ", ".join("%s=%s" % (k, value[k]) for k in sorted(value))


# --- instance policy options ---------------------------------------------------------------


def _parse_spec(spec: dict, where: str) -> dict:
    result = {}
    for key, value in spec.items():
        if key not in constants.ISPECS_PARAMETER_TYPES:
            raise errors.OpPrereqError(
                "Invalid instance spec parameter '%s' in %s" % (key, where), errors.ECODE_INVAL
            )
        if key in _SIZE_SPECS:
            result[key] = cli.parse_size(value, key)
        else:
            try:
                result[key] = int(value)
            except (TypeError, ValueError):
                raise errors.OpPrereqError(
                    "Invalid value '%s' for %s in %s" % (value, key, where), errors.ECODE_INVAL
                ) from None
    return result


def parse_bounds_specs(text: str) -> Any:
    """``min:k=v,../max:k=v,..[//min:..]`` -> the ipolicy ``minmax`` list."""
    if text.strip().lower() == constants.VALUE_DEFAULT:
        return constants.VALUE_DEFAULT
    try:
        parsed = cli.split_multilist_ident_key_val("--ipolicy-bounds-specs", text)
    except errors.ParameterError as err:
        raise errors.OpPrereqError(str(err), errors.ECODE_INVAL) from None
    minmax = []
    for entry in parsed:
        if set(entry) != {constants.ISPECS_MIN, constants.ISPECS_MAX}:
            raise errors.OpPrereqError(
                "Each bounds specification needs exactly 'min' and 'max' parts, got: %s"
                % ", ".join(sorted(entry)),
                errors.ECODE_INVAL,
            )
        minmax.append({key: _parse_spec(spec, key) for key, spec in entry.items()})
    return minmax


def ipolicy_from_opts(opts: Any) -> dict | None:
    """The instance policy changes given on the command line (None if none)."""
    ipolicy: dict[str, Any] = {}
    if getattr(opts, "ipolicy_bounds_specs", None) is not None:
        ipolicy[constants.ISPECS_MINMAX] = parse_bounds_specs(opts.ipolicy_bounds_specs)
    templates = getattr(opts, "ipolicy_disk_templates", None)
    if templates is not None:
        if templates == [constants.VALUE_DEFAULT]:
            ipolicy[constants.IPOLICY_DTS] = constants.VALUE_DEFAULT
        else:
            ipolicy[constants.IPOLICY_DTS] = templates
    for key, attr in (
        (constants.IPOLICY_VCPU_RATIO, "ipolicy_vcpu_ratio"),
        (constants.IPOLICY_SPINDLE_RATIO, "ipolicy_spindle_ratio"),
    ):
        value = getattr(opts, attr, None)
        if value is not None:
            ipolicy[key] = value
    return ipolicy or None


def _diskparams(opts: Any) -> dict | None:
    if not opts.diskparams:
        return None
    return {template: params or {} for template, params in opts.diskparams}


def _states(values: list) -> dict | None:
    return dict(values) if values else None


# --- commands -------------------------------------------------------------------------------


def add_group(opts: Any, args: list[str]) -> int:
    """``add``: OP_GROUP_ADD."""
    from ganeti import opcodes

    op = opcodes.OpGroupAdd(
        group_name=args[0],
        alloc_policy=opts.alloc_policy,
        ndparams=opts.ndparams or None,
        diskparams=_diskparams(opts),
        ipolicy=ipolicy_from_opts(opts),
        hv_state=_states(opts.hv_state),
        disk_state=_states(opts.disk_state),
    )
    cli.submit_or_send(op, opts)
    return constants.EXIT_SUCCESS


def assign_nodes(opts: Any, args: list[str]) -> int:
    """``assign-nodes``: OP_GROUP_ASSIGN_NODES."""
    from ganeti import opcodes

    op = opcodes.OpGroupAssignNodes(group_name=args[0], nodes=args[1:], force=opts.force)
    cli.submit_or_send(op, opts)
    return constants.EXIT_SUCCESS


def remove_group(opts: Any, args: list[str]) -> int:
    """``remove``: OP_GROUP_REMOVE."""
    from ganeti import opcodes

    cli.submit_or_send(opcodes.OpGroupRemove(group_name=args[0]), opts)
    return constants.EXIT_SUCCESS


def rename_group(opts: Any, args: list[str]) -> int:
    """``rename``: OP_GROUP_RENAME."""
    from ganeti import opcodes

    cli.submit_or_send(opcodes.OpGroupRename(group_name=args[0], new_name=args[1]), opts)
    return constants.EXIT_SUCCESS


def set_group_params(opts: Any, args: list[str]) -> int:
    """``modify``: OP_GROUP_SET_PARAMS; prints what changed."""
    from ganeti import opcodes

    ipolicy = ipolicy_from_opts(opts)
    changes = [
        opts.alloc_policy, opts.ndparams, opts.diskparams, ipolicy, opts.hv_state,
        opts.disk_state,
    ]  # fmt: skip
    if all(not v for v in changes):
        cli.to_stderr("Please give at least one of the parameters.")
        return constants.EXIT_FAILURE
    op = opcodes.OpGroupSetParams(
        group_name=args[0],
        alloc_policy=opts.alloc_policy,
        ndparams=opts.ndparams or None,
        diskparams=_diskparams(opts),
        ipolicy=ipolicy,
        hv_state=_states(opts.hv_state),
        disk_state=_states(opts.disk_state),
    )
    result = cli.submit_or_send(op, opts)
    if result:
        cli.to_stdout("Modified node group %s", args[0])
        for param, data in result:
            cli.to_stdout(" - %-5s -> %s", param, data)
    return constants.EXIT_SUCCESS


def list_groups(opts: Any, args: list[str]) -> int:
    """``list``: table of node groups."""
    return cli.list_resource(constants.QR_GROUP, opts, args, LIST_DEF_FIELDS, _LIST_FORMAT)


def list_group_fields(opts: Any, args: list[str]) -> int:
    """``list-fields``: the group query fields."""
    return cli.list_resource_fields(constants.QR_GROUP, opts, args)


def _params_info(own: dict, actual: dict) -> dict:
    return {
        key: (str(value) if key in (own or {}) else "default (%s)" % (value,))
        for key, value in sorted((actual or {}).items())
        if not isinstance(value, dict)
    }


def _ipolicy_info(own: dict, actual: dict) -> list:
    data = []
    for key in sorted(actual or {}):
        value = actual[key]
        mark = "" if key in (own or {}) else " (default)"
        if key == constants.ISPECS_MINMAX:
            value = [
                {part: _format_dict(spec) for part, spec in sorted(entry.items())}
                for entry in value
            ]
        elif key == constants.ISPECS_STD:
            value = _format_dict(value)
        elif isinstance(value, list):
            value = ", ".join(value)
        data.append((key + mark, value))
    return data


def group_info_data(values: dict) -> list:
    """The ``info`` structure of one group (an ordered list of pairs)."""
    diskparams = {
        template: _params_info((values["custom_diskparams"] or {}).get(template, {}), params)
        for template, params in sorted((values["diskparams"] or {}).items())
    }
    return [
        ("Node group", values["name"]),
        ("UUID", values["uuid"]),
        ("Serial number", values["serial_no"]),
        ("Creation time", cli.format_time(values["ctime"])),
        ("Modification time", cli.format_time(values["mtime"])),
        ("Allocation policy", values["alloc_policy"]),
        ("Nodes", sorted(values["node_list"] or [])),
        ("Primary instances", sorted(values["pinst_list"] or [])),
        ("Tags", ", ".join(sorted(values["tags"] or [])) or "(none)"),
        ("Node parameters", _params_info(values["custom_ndparams"], values["ndparams"])),
        ("Disk parameters", diskparams),
        ("Instance policy", _ipolicy_info(values["custom_ipolicy"], values["ipolicy"])),
    ]


def show_group_info(opts: Any, args: list[str]) -> int:
    """``info``: each group's members, policy and parameters."""
    cl = cli.get_client()
    qfilter = cli.make_name_filter(args, False) if args else None
    response = cl.Query(constants.QR_GROUP, _INFO_FIELDS, qfilter)
    container = []
    found = set()
    for row in response["data"]:
        values = {name: value for name, (_, value) in zip(_INFO_FIELDS, row)}
        found.add(values["name"])
        container.append(group_info_data(values))
    missing = [a for a in args if a not in found]
    if missing:
        raise errors.OpPrereqError(
            "Node group(s) %s not found" % ", ".join(missing), errors.ECODE_NOENT
        )
    cli.print_generic_info(container)
    return constants.EXIT_SUCCESS


# --- options and command table --------------------------------------------------------------

ALLOC_POLICY_OPT = cli_option(
    "--alloc-policy", dest="alloc_policy", default=None, metavar="<policy>",
    choices=constants.VALID_ALLOC_POLICIES,
    help="Allocation policy for the node group (%s)" % ", ".join(constants.VALID_ALLOC_POLICIES),
)  # fmt: skip
IPOLICY_BOUNDS_SPECS_OPT = cli_option(
    "--ipolicy-bounds-specs", dest="ipolicy_bounds_specs", default=None,
    metavar="min:k=v,../max:k=v,..",
    help="Minimum and maximum instance specs (memory-size, cpu-count, disk-count,"
    " disk-size, nic-count, spindle-use), or 'default'",
)  # fmt: skip
IPOLICY_DISK_TEMPLATES = cli_option(
    "--ipolicy-disk-templates", dest="ipolicy_disk_templates", default=None, type="list",
    help="Comma-separated list of enabled disk templates, or 'default'",
)  # fmt: skip
IPOLICY_VCPU_RATIO = cli_option(
    "--ipolicy-vcpu-ratio", dest="ipolicy_vcpu_ratio", default=None, type="maybefloat",
    help="The maximum allowed vcpu-to-cpu ratio, or 'default'",
)  # fmt: skip
IPOLICY_SPINDLE_RATIO = cli_option(
    "--ipolicy-spindle-ratio", dest="ipolicy_spindle_ratio", default=None, type="maybefloat",
    help="The maximum allowed instances to spindle ratio, or 'default'",
)  # fmt: skip
HV_STATE_OPT = cli_option(
    "--hypervisor-state", dest="hv_state", default=[], type="identkeyval", action="append",
    help="Specify hypervisor state information",
)  # fmt: skip
DISK_STATE_OPT = cli_option(
    "--disk-state", dest="disk_state", default=[], type="identkeyval", action="append",
    help="Specify disk state information",
)  # fmt: skip

_JOB_OPTS = [cli.DRY_RUN_OPT, cli.PRIORITY_OPT] + cli.SUBMIT_OPTS
_PARAM_OPTS = [
    ALLOC_POLICY_OPT, cli.NODE_PARAMS_OPT, cli.DISK_PARAMS_OPT, HV_STATE_OPT, DISK_STATE_OPT,
    IPOLICY_BOUNDS_SPECS_OPT, IPOLICY_DISK_TEMPLATES, IPOLICY_VCPU_RATIO, IPOLICY_SPINDLE_RATIO,
]  # fmt: skip

commands = {
    "add": (
        add_group,
        cli.ARGS_ONE_GROUP,
        _PARAM_OPTS + _JOB_OPTS,
        "<group_name>",
        "Add a new node group to the cluster",
    ),
    "assign-nodes": (
        assign_nodes,
        [cli.ArgGroup(min=1, max=1), cli.ArgNode(min=1)],
        [cli.FORCE_OPT] + _JOB_OPTS,
        "<group_name> <node>...",
        "Assign nodes to a group",
    ),
    "list": (
        list_groups,
        cli.ARGS_MANY_GROUPS,
        [
            cli.NOHDR_OPT,
            cli.SEP_OPT,
            cli.FIELDS_OPT,
            cli.VERBOSE_OPT,
            cli.FORCE_FILTER_OPT,
            cli.USEUNITS_OPT,
        ],  # fmt: skip
        "[<group_name>...]",
        "Lists the node groups in the cluster. The available fields can be shown using"
        ' the "list-fields" command (see the man page for details). The default list is'
        " (in order): %s." % ", ".join(LIST_DEF_FIELDS),
    ),
    "list-fields": (
        list_group_fields,
        [cli.ArgUnknown()],
        [cli.NOHDR_OPT, cli.SEP_OPT],
        "[fields...]",
        "Lists all available fields for node groups",
    ),
    "modify": (
        set_group_params,
        cli.ARGS_ONE_GROUP,
        _PARAM_OPTS + _JOB_OPTS,
        "<group_name>",
        "Alters the parameters of a node group",
    ),
    "remove": (
        remove_group,
        cli.ARGS_ONE_GROUP,
        _JOB_OPTS,
        "[--dry-run] <group-name>",
        "Remove an (empty) node group from the cluster",
    ),
    "rename": (
        rename_group,
        [cli.ArgGroup(min=2, max=2)],
        _JOB_OPTS,
        "[--dry-run] <group-name> <new-name>",
        "Rename a node group",
    ),
    "info": (
        show_group_info,
        cli.ARGS_MANY_GROUPS,
        [],
        "[<group_name>...]",
        "Show group information",
    ),
    "list-tags": (
        cli.list_tags,
        cli.ARGS_ONE_GROUP,
        [],
        "<group_name>",
        "List the tags of the given group",
    ),
    "add-tags": (
        cli.add_tags,
        [cli.ArgGroup(min=1, max=1), cli.ArgUnknown()],
        [cli.TAG_SRC_OPT] + _JOB_OPTS,
        "<group_name> tag...",
        "Add tags to the given group",
    ),
    "remove-tags": (
        cli.remove_tags,
        [cli.ArgGroup(min=1, max=1), cli.ArgUnknown()],
        [cli.TAG_SRC_OPT] + _JOB_OPTS,
        "<group_name> tag...",
        "Remove tags from the given group",
    ),
}

aliases = {"show": "info"}


def main() -> int:
    return cli.generic_main(
        commands, aliases=aliases, override={"tag_type": constants.TAG_NODEGROUP}
    )
