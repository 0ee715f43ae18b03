"""gnt-node: add, remove, list, inspect and modify the cluster's nodes.

Owns the node sub-commands.  ``add`` does what Ganeti's client does: it
checks the name and the cluster, sets the node up over SSH from this
(master) node (``ganeti.ssh.join_node``), then submits OP_NODE_ADD; every
other command is a luxi query or one opcode.  It must never change the
configuration itself.
"""

import socket
import sys
from typing import Any

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti.cli import cli_option

#: default fields of ``gnt-node list``
LIST_DEF_FIELDS = ["name", "dtotal", "dfree", "mtotal", "mnode", "mfree", "pinst_cnt", "sinst_cnt"]

_LIST_FORMAT = {
    "pinst_list": (lambda v: ",".join(v), False),
    "sinst_list": (lambda v: ",".join(v), False),
    "tags": (lambda v: ",".join(sorted(v)), False),
}

_INFO_FIELDS = [
    "name", "pip", "sip", "group", "pinst_list", "sinst_list", "master_candidate",
    "drained", "offline", "master_capable", "vm_capable", "powered", "ndparams",
    "custom_ndparams", "role",
]  # fmt: skip


# --- helpers --------------------------------------------------------------------------------


def resolve_node(name: str) -> tuple[str, str]:
    """(full name, address) of ``name``; ResolverError if it does not resolve."""
    try:
        infos = socket.getaddrinfo(name, None, 0, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    except (socket.gaierror, UnicodeError):
        raise errors.ResolverError(name, 0, "Host name %s not found" % name) from None
    canon = infos[0][3] or name
    return (canon if "." in canon else name), infos[0][4][0]


def _query_rows(cl: Any, what: str, fields: list[str], qfilter: Any) -> list[list]:
    response = cl.Query(what, fields, qfilter)
    return [[value for _, value in row] for row in response["data"]]


def _ssh_port(cl: Any, opts: Any, node: str) -> int:
    """The SSH port of the node (its parameters, else its group's)."""
    override = (opts.ndparams or {}).get(constants.ND_SSH_PORT)
    if override not in (None, constants.VALUE_DEFAULT):
        try:
            return int(override)
        except (TypeError, ValueError):
            raise errors.OpPrereqError(
                "Invalid ssh_port '%s'" % override, errors.ECODE_INVAL
            ) from None
    if opts.readd:
        rows = _query_rows(cl, constants.QR_NODE, ["ndparams"], ["=", "name", node])
    elif opts.nodegroup:
        rows = _query_rows(cl, constants.QR_GROUP, ["ndparams"], ["=", "name", opts.nodegroup])
        if not rows:
            rows = _query_rows(cl, constants.QR_GROUP, ["ndparams"], ["=", "uuid", opts.nodegroup])
        if not rows:
            raise errors.OpPrereqError(
                "Node group '%s' not found" % opts.nodegroup, errors.ECODE_NOENT
            )
    else:
        rows = _query_rows(cl, constants.QR_GROUP, ["ndparams"], None)
        if len(rows) != 1:
            rows = [[cl.QueryClusterInfo().get("ndparams", {})]]
    ndparams = rows[0][0] if rows and isinstance(rows[0][0], dict) else {}
    return int(ndparams.get(constants.ND_SSH_PORT, 22))


def _ask_host_key(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return bool(cli.ask_user(question))


def _ssh_runner(cl: Any, opts: Any, info: dict | None = None) -> Any:
    from ganeti import ssh

    info = info or cl.QueryClusterInfo()
    return ssh.SshRunner(
        info["name"],
        info.get("ssh_key_type") or constants.SSH_KEY_TYPE_DEFAULT,
        ssh_key_check=getattr(opts, "ssh_key_check", True),
        ask_fn=_ask_host_key,
    )


def _node_uuid(cl: Any, name: str) -> str | None:
    rows = _query_rows(cl, constants.QR_NODE, ["uuid"], ["=", "name", name])
    return rows[0][0] if rows else None


# --- add, remove ----------------------------------------------------------------------------


def add_node(opts: Any, args: list[str]) -> int:
    """``add``: sets the node up over SSH, then OP_NODE_ADD."""
    from ganeti import opcodes

    cl = cli.get_client()
    name, address = resolve_node(args[0])
    rows = _query_rows(cl, constants.QR_NODE, ["name"], ["=", "name", name])
    if opts.readd and not rows:
        raise errors.OpPrereqError(
            "Node %s is not in the cluster, cannot re-add it" % name, errors.ECODE_NOENT
        )
    if not opts.readd and rows:
        raise errors.OpPrereqError(
            "Node %s already in the cluster (as %s) - please retry with '--readd'"
            % (args[0], rows[0][0]),
            errors.ECODE_EXISTS,
        )
    if opts.readd:
        cli.to_stdout("Re-adding node %s", name)
    info: dict = {}
    if opts.node_setup:
        from ganeti import ssh

        info = cl.QueryClusterInfo()
        runner = _ssh_runner(cl, opts, info)
        ssh.join_node(
            runner,
            name,
            runner.cluster_name,
            address,
            _ssh_port(cl, opts, name),
            force_join=opts.force_join,
            feedback_fn=lambda msg: cli.to_stdout("%s", msg),
            setup_ssh=bool(info.get("modify_ssh_setup", True)),
        )
    op = opcodes.OpNodeAdd(
        node_name=name,
        secondary_ip=opts.secondary_ip,
        readd=opts.readd,
        group=opts.nodegroup,
        vm_capable=opts.vm_capable,
        master_capable=opts.master_capable,
        ndparams=opts.ndparams or None,
        hv_state=dict(opts.hv_state) if opts.hv_state else None,
        disk_state=dict(opts.disk_state) if opts.disk_state else None,
        node_setup=opts.node_setup,
    )
    cli.submit_or_send(op, opts, cl=cl)
    if opts.node_setup and info.get("modify_ssh_setup", True):
        _record_pub_key(cl, name)
    return constants.EXIT_SUCCESS


def _record_pub_key(cl: Any, name: str) -> None:
    from ganeti import ssh

    try:
        uuid = _node_uuid(cl, name)
        key_type = cl.QueryClusterInfo().get("ssh_key_type") or constants.SSH_KEY_TYPE_DEFAULT
        if uuid:
            ssh.set_pub_key(uuid, ssh.read_public_key(key_type))
    except (errors.GenericError, OSError) as err:
        cli.to_stderr("Warning: could not record the node's SSH key: %s", err)


def remove_node(opts: Any, args: list[str]) -> int:
    """``remove``: OP_NODE_REMOVE; forgets the node's SSH host and key entries."""
    from ganeti import opcodes, ssh

    cl = cli.get_client()
    rows = _query_rows(cl, constants.QR_NODE, ["uuid"], ["=", "name", args[0]])
    op = opcodes.OpNodeRemove(node_name=args[0])
    cli.submit_or_send(op, opts, cl=cl)
    # known_hosts keeps the node's host key: a node added again keeps it too
    if len(rows) == 1:
        try:
            ssh.remove_pub_key(rows[0][0])
        except OSError as err:
            cli.to_stderr("Warning: could not update ganeti_pub_keys: %s", err)
    return constants.EXIT_SUCCESS


def repair_ssh_keys(opts: Any, args: list[str]) -> int:
    """``repair-ssh-keys``: gives one node the cluster SSH key again."""
    from ganeti import ssh

    cl = cli.get_client()
    rows = _query_rows(cl, constants.QR_NODE, ["name", "pip", "ndparams"], ["=", "name", args[0]])
    if len(rows) != 1:
        raise errors.OpPrereqError("Node '%s' not known" % args[0], errors.ECODE_NOENT)
    name, pip, ndparams = rows[0]
    runner = _ssh_runner(cl, opts)
    port = int((ndparams or {}).get(constants.ND_SSH_PORT, 22))
    ssh.repair_node_keys(runner, name, pip, port, feedback_fn=lambda m: cli.to_stdout("%s", m))
    return constants.EXIT_SUCCESS


# --- list, info -----------------------------------------------------------------------------


def list_nodes(opts: Any, args: list[str]) -> int:
    """``list``: table of nodes (live figures from the node daemons)."""
    return cli.list_resource(constants.QR_NODE, opts, args, LIST_DEF_FIELDS, _LIST_FORMAT)


def list_node_fields(opts: Any, args: list[str]) -> int:
    """``list-fields``: the node query fields."""
    return cli.list_resource_fields(constants.QR_NODE, opts, args)


def format_params(own: dict, actual: dict) -> dict:
    """Parameters for ``info``: own values as they are, inherited ones as
    ``default (value)``."""
    return {
        key: (str(value) if key in (own or {}) else "default (%s)" % (value,))
        for key, value in sorted((actual or {}).items())
    }


def node_info_data(values: dict) -> list:
    """The ``info`` structure of one node (an ordered list of pairs)."""
    data: list = [
        ("Node name", values["name"]),
        ("primary ip", values["pip"]),
        ("secondary ip", values["sip"]),
        ("group", values["group"]),
        ("role", values["role"]),
        ("master candidate", values["master_candidate"]),
        ("drained", values["drained"]),
        ("offline", values["offline"]),
    ]
    if values.get("powered") is not None:
        data.append(("powered", values["powered"]))
    data += [("master_capable", values["master_capable"]), ("vm_capable", values["vm_capable"])]
    if values["vm_capable"]:
        data.append(("primary for instances", sorted(values.get("pinst_list") or [])))
        data.append(("secondary for instances", sorted(values.get("sinst_list") or [])))
    data.append(("node parameters", format_params(values["custom_ndparams"], values["ndparams"])))
    return data


def show_node_config(opts: Any, args: list[str]) -> int:
    """``info``: each node's addresses, roles, instances and parameters."""
    cl = cli.get_client()
    qfilter = cli.make_name_filter(args, False) if args else None
    response = cl.Query(constants.QR_NODE, _INFO_FIELDS, qfilter)
    found = set()
    container = []
    for row in response["data"]:
        values = {name: value for name, (_, value) in zip(_INFO_FIELDS, row)}
        found.add(values["name"])
        container.append(node_info_data(values))
    missing = [a for a in args if a not in found and not any(f.startswith(a + ".") for f in found)]
    if missing:
        raise errors.OpPrereqError("Node(s) %s not known" % ", ".join(missing), errors.ECODE_NOENT)
    cli.print_generic_info(container)
    return constants.EXIT_SUCCESS


# --- modify ---------------------------------------------------------------------------------


def set_node_params(opts: Any, args: list[str]) -> int:
    """``modify``: OP_NODE_SET_PARAMS; prints what changed."""
    from ganeti import opcodes

    changes = [
        opts.master_candidate, opts.drained, opts.offline, opts.master_capable,
        opts.vm_capable, opts.secondary_ip, opts.ndparams, opts.node_powered,
        opts.hv_state, opts.disk_state,
    ]  # fmt: skip
    if all(v is None or v == {} or v == [] for v in changes):
        cli.to_stderr("Please give at least one of the parameters.")
        return constants.EXIT_FAILURE
    op = opcodes.OpNodeSetParams(
        node_name=args[0],
        master_candidate=opts.master_candidate,
        offline=opts.offline,
        drained=opts.drained,
        master_capable=opts.master_capable,
        vm_capable=opts.vm_capable,
        secondary_ip=opts.secondary_ip,
        force=opts.force,
        ndparams=opts.ndparams or None,
        auto_promote=opts.auto_promote,
        powered=opts.node_powered,
        hv_state=dict(opts.hv_state) if opts.hv_state else None,
        disk_state=dict(opts.disk_state) if opts.disk_state else None,
    )
    result = cli.submit_or_send(op, opts)
    if result:
        cli.to_stdout("Modified node %s", args[0])
        for param, data in result:
            cli.to_stdout(" - %-5s -> %s", param, data)
    return constants.EXIT_SUCCESS


# --- options and command table -------------------------------------------------------------

READD_OPT = cli_option(
    "--readd", dest="readd", default=False, action="store_true",
    help="Readd old node after replacing it",
)  # fmt: skip
NOSSH_KEYCHECK_OPT = cli_option(
    "--no-ssh-key-check", dest="ssh_key_check", default=True, action="store_false",
    help="Disable SSH key fingerprint checking",
)  # fmt: skip
FORCE_JOIN_OPT = cli_option(
    "--force-join", dest="force_join", default=False, action="store_true",
    help="Force the joining of a node that belongs to another cluster",
)  # fmt: skip
NO_NODE_SETUP_OPT = cli_option(
    "--no-node-setup", dest="node_setup", default=True, action="store_false",
    help="Do not set up the node over SSH (its daemon must already run)",
)  # fmt: skip
MC_CAPABLE_OPT = cli_option(
    "--master-capable", dest="master_capable", default=None, type="bool", metavar="yes|no",
    help="Set the master_capable flag on the node",
)  # fmt: skip
VM_CAPABLE_OPT = cli_option(
    "--vm-capable", dest="vm_capable", default=None, type="bool", metavar="yes|no",
    help="Set the vm_capable flag on the node",
)  # fmt: skip
NODE_POWERED_OPT = cli_option(
    "--node-powered", dest="node_powered", default=None, type="bool", metavar="yes|no",
    help="Specify if the SoR for node is powered",
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
_LIST_OPTS = [
    cli.NOHDR_OPT, cli.SEP_OPT, cli.USEUNITS_OPT, cli.FIELDS_OPT, cli.VERBOSE_OPT,
    cli.FORCE_FILTER_OPT,
]  # fmt: skip

commands = {
    "add": (
        add_node,
        [cli.ArgHost(min=1, max=1)],
        [
            cli.SECONDARY_IP_OPT,
            READD_OPT,
            NOSSH_KEYCHECK_OPT,
            FORCE_JOIN_OPT,
            NO_NODE_SETUP_OPT,
            cli.NODEGROUP_OPT,
            MC_CAPABLE_OPT,
            VM_CAPABLE_OPT,
            cli.NODE_PARAMS_OPT,
            HV_STATE_OPT,
            DISK_STATE_OPT,
        ]
        + _JOB_OPTS,  # fmt: skip
        "[-s ip] [--readd] [--no-ssh-key-check] [--force-join] [--no-node-setup]"
        " [-g group] [--master-capable yes|no] [--vm-capable yes|no]"
        " [--node-parameters ndparams] <node_name>",
        "Add a node to the cluster",
    ),
    "remove": (
        remove_node,
        cli.ARGS_ONE_NODE,
        _JOB_OPTS,
        "<node_name>",
        "Removes a node from the cluster",
    ),
    "list": (
        list_nodes,
        cli.ARGS_MANY_NODES,
        _LIST_OPTS,
        "[nodes...]",
        "Lists the nodes in the cluster. The available fields can be shown using the"
        ' "list-fields" command (see the man page for details). The default field list is'
        " (in order): %s." % ", ".join(LIST_DEF_FIELDS),
    ),
    "list-fields": (
        list_node_fields,
        [cli.ArgUnknown()],
        [cli.NOHDR_OPT, cli.SEP_OPT],
        "[fields...]",
        "Lists all available fields for nodes",
    ),
    "info": (
        show_node_config,
        cli.ARGS_MANY_NODES,
        [],
        "[<node_name>...]",
        "Show information about the node(s)",
    ),
    "modify": (
        set_node_params,
        cli.ARGS_ONE_NODE,
        [
            cli.FORCE_OPT,
            cli.MC_OPT,
            cli.DRAINED_OPT,
            cli.OFFLINE_OPT,
            MC_CAPABLE_OPT,
            VM_CAPABLE_OPT,
            cli.SECONDARY_IP_OPT,
            cli.AUTO_PROMOTE_OPT,
            cli.NODE_PARAMS_OPT,
            NODE_POWERED_OPT,
            HV_STATE_OPT,
            DISK_STATE_OPT,
        ]
        + _JOB_OPTS,  # fmt: skip
        "<node_name>",
        "Alters the parameters of a node",
    ),
    "repair-ssh-keys": (
        repair_ssh_keys,
        cli.ARGS_ONE_NODE,
        [NOSSH_KEYCHECK_OPT],
        "<node_name>",
        "Gives a node the cluster's SSH key pair again (without re-adding it)",
    ),
    "list-tags": (
        cli.list_tags,
        cli.ARGS_ONE_NODE,
        [],
        "<node_name>",
        "List the tags of the given node",
    ),
    "add-tags": (
        cli.add_tags,
        [cli.ArgNode(min=1, max=1), cli.ArgUnknown()],
        [cli.TAG_SRC_OPT] + _JOB_OPTS,
        "<node_name> tag...",
        "Add tags to the given node",
    ),
    "remove-tags": (
        cli.remove_tags,
        [cli.ArgNode(min=1, max=1), cli.ArgUnknown()],
        [cli.TAG_SRC_OPT] + _JOB_OPTS,
        "<node_name> tag...",
        "Remove tags from the given node",
    ),
}
from ganeti.client import gnt_instance_migrate  # noqa: E402  (migrate, failover)

commands.update(gnt_instance_migrate.NODE_COMMANDS)
from ganeti.client import gnt_node_storage  # noqa: E402  (volumes, *-storage)

commands.update(gnt_node_storage.COMMANDS)

aliases = {"show": "info"}


def main() -> int:
    return cli.generic_main(commands, aliases=aliases, override={"tag_type": constants.TAG_NODE})
