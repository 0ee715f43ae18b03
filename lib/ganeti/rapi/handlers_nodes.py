"""RAPI handlers of nodes, node groups and networks.

Reads go through luxi queries (field lists as Ganeti's N_FIELDS, G_FIELDS
and NET_FIELDS); writes build one opcode each and answer its job id.  Must
never talk to the master except through ``baserlib``.
"""

from typing import Any, Callable

from ganeti import constants, http, opcodes, rapi
from ganeti.rapi import baserlib
from ganeti.rapi.baserlib import Context

N_FIELDS = [
    "name", "offline", "master_candidate", "drained", "dtotal", "dfree", "sptotal", "spfree",
    "mtotal", "mnode", "mfree", "pinst_cnt", "sinst_cnt", "ctotal", "cnos", "cnodes", "csockets",
    "pip", "sip", "role", "pinst_list", "sinst_list", "master_capable", "vm_capable", "ndparams",
    "group.uuid", "ctime", "mtime", "uuid", "serial_no", "tags",
]  # fmt: skip
G_FIELDS = [
    "alloc_policy", "name", "node_cnt", "node_list", "ipolicy", "custom_ipolicy", "diskparams",
    "custom_diskparams", "ndparams", "custom_ndparams", "ctime", "mtime", "uuid", "serial_no",
    "tags",
]  # fmt: skip
NET_FIELDS = [
    "name", "network", "gateway", "network6", "gateway6", "mac_prefix", "free_count",
    "reserved_count", "map", "group_list", "inst_list", "external_reservations", "ctime",
    "mtime", "uuid", "serial_no", "tags",
]  # fmt: skip


def _dry_run_static(ctx: Context, static: dict | None = None) -> dict:
    static = dict(static or {})
    if "dry-run" in ctx.query:
        static["dry_run"] = ctx.dry_run()
    return static


def opcode_handler(
    opcls: type,
    param: str | None = None,
    target: str | None = None,
    rename: dict | None = None,
    extra: Callable[[Context], dict] | None = None,
    body_fn: Callable[[Context], Any] | None = None,
) -> Callable[[Context], int]:
    """A handler submitting ``opcls`` built from the body, with the path
    parameter ``param`` as opcode parameter ``target`` and ``extra(ctx)``
    (from query arguments) as further static parameters."""

    def handler(ctx: Context) -> int:
        static: dict = {}
        if param is not None:
            static[target or param] = ctx.params[param]
        if extra is not None:
            static.update(extra(ctx))
        body = body_fn(ctx) if body_fn is not None else ctx.body
        op = baserlib.fill_opcode(opcls, body, _dry_run_static(ctx, static), rename)
        return baserlib.submit_job([op], ctx)

    handler.__doc__ = "Submits %s." % opcls.OP_ID
    return handler


# --- nodes ---------------------------------------------------------------------------


def _node_dict(row: list) -> dict:
    node = baserlib.map_fields(N_FIELDS, row)
    node["secondary_ip"] = node.get("sip")
    return node


def get_nodes(ctx: Context) -> list:
    if ctx.bulk():
        rows = baserlib.luxi_call("QueryNodes", [], N_FIELDS, False)
        return [_node_dict(row) for row in rows]
    rows = baserlib.luxi_call("QueryNodes", [], ["name"], False)
    return baserlib.build_uri_list([row[0] for row in rows], "/2/nodes/%s")


def get_node(ctx: Context) -> dict:
    rows = baserlib.query_item("QueryNodes", [ctx.params["node_name"]], N_FIELDS)
    return _node_dict(rows[0])


def get_node_role(ctx: Context) -> str:
    rows = baserlib.query_item("QueryNodes", [ctx.params["node_name"]], ["role"])
    return rapi.NODE_ROLE_BY_LETTER.get(rows[0][0], rows[0][0])


def put_node_role(ctx: Context) -> int:
    role = ctx.body
    if not isinstance(role, str):
        raise http.HttpBadRequest("Invalid body contents, not a string")
    candidate = offline = drained = None
    if role == rapi.NODE_ROLE_REGULAR:
        candidate = offline = drained = False
    elif role == rapi.NODE_ROLE_MASTER_CANDIDATE:
        candidate = True
    elif role == rapi.NODE_ROLE_DRAINED:
        drained = True
    elif role == rapi.NODE_ROLE_OFFLINE:
        offline = True
    else:
        raise http.HttpBadRequest("Can't set '%s' role" % role)
    op = opcodes.OpNodeSetParams(
        node_name=ctx.params["node_name"],
        master_candidate=candidate,
        offline=offline,
        drained=drained,
        auto_promote=ctx.bool_arg("auto-promote"),
        force=ctx.force(),
    )
    if "dry-run" in ctx.query:
        op.dry_run = ctx.dry_run()
    return baserlib.submit_job([op], ctx)


def _migrate_body(ctx: Context) -> Any:
    """Old clients use ?live=0|1 or ?mode=...; new ones a JSON body."""
    args = set(ctx.query) - {"dry-run", "reason"}
    if not args:
        return ctx.body
    if "live" in args and "mode" in args:
        raise http.HttpBadRequest("Only one of 'live' and 'mode' should be provided")
    if "live" in args:
        live = ctx.int_arg("live", 1)
        mode = constants.HT_MIGRATION_LIVE if live else constants.HT_MIGRATION_NONLIVE
    else:
        mode = ctx.arg("mode")
    body = dict(ctx.body_dict())
    if mode is not None:
        body.setdefault("mode", mode)
    return body


post_node_migrate = opcode_handler(opcodes.OpNodeMigrate, "node_name", body_fn=_migrate_body)
post_node_evacuate = opcode_handler(opcodes.OpNodeEvacuate, "node_name")
post_node_modify = opcode_handler(
    opcodes.OpNodeSetParams, "node_name", extra=lambda c: {"force": c.force()} if "force" in c.query else {}
)  # fmt: skip
post_node_powercycle = opcode_handler(
    opcodes.OpNodePowercycle, "node_name", extra=lambda c: {"force": c.force()}
)


def _storage_type(ctx: Context) -> str:
    storage_type = ctx.arg("storage_type")
    if not storage_type:
        raise http.HttpBadRequest("Missing the required 'storage_type' parameter")
    if storage_type not in constants.STORAGE_TYPES:
        raise http.HttpBadRequest("Invalid storage type '%s'" % storage_type)
    return storage_type


def _storage_name(ctx: Context) -> str:
    name = ctx.arg("name")
    if not name:
        raise http.HttpBadRequest("Missing the required 'name' parameter")
    return name


def get_node_storage(ctx: Context) -> int:
    output_fields = ctx.arg("output_fields")
    if not output_fields:
        raise http.HttpBadRequest("Missing the required 'output_fields' parameter")
    op = opcodes.OpNodeQueryStorage(
        nodes=[ctx.params["node_name"]],
        storage_type=_storage_type(ctx),
        output_fields=baserlib.split_fields(output_fields),
    )
    return baserlib.submit_job([op], ctx)


def put_node_storage_modify(ctx: Context) -> int:
    storage_type = _storage_type(ctx)
    name = _storage_name(ctx)
    changes = {}
    if "allocatable" in ctx.query:
        changes[constants.SF_ALLOCATABLE] = ctx.bool_arg("allocatable")
    op = opcodes.OpNodeModifyStorage(
        node_name=ctx.params["node_name"], storage_type=storage_type, name=name, changes=changes
    )
    return baserlib.submit_job([op], ctx)


def put_node_storage_repair(ctx: Context) -> int:
    op = opcodes.OpRepairNodeStorage(
        node_name=ctx.params["node_name"], storage_type=_storage_type(ctx), name=_storage_name(ctx)
    )
    return baserlib.submit_job([op], ctx)


# --- groups --------------------------------------------------------------------------


def get_groups(ctx: Context) -> list:
    if ctx.bulk():
        rows = baserlib.luxi_call("QueryGroups", [], G_FIELDS, False)
        return [baserlib.map_fields(G_FIELDS, row) for row in rows]
    rows = baserlib.luxi_call("QueryGroups", [], ["name"], False)
    return baserlib.build_uri_list([row[0] for row in rows], "/2/groups/%s", "name")


def get_group(ctx: Context) -> dict:
    rows = baserlib.query_item("QueryGroups", [ctx.params["group_name"]], G_FIELDS)
    return baserlib.map_fields(G_FIELDS, rows[0])


GROUP_MODIFY_RENAME = {
    "custom_ndparams": "ndparams",
    "custom_ipolicy": "ipolicy",
    "custom_diskparams": "diskparams",
}

post_groups = opcode_handler(opcodes.OpGroupAdd, rename={"name": "group_name"})
delete_group = opcode_handler(opcodes.OpGroupRemove, "group_name")
put_group_modify = opcode_handler(
    opcodes.OpGroupSetParams, "group_name", rename=GROUP_MODIFY_RENAME
)
put_group_rename = opcode_handler(opcodes.OpGroupRename, "group_name")
put_group_assign_nodes = opcode_handler(
    opcodes.OpGroupAssignNodes, "group_name", extra=lambda c: {"force": c.force()}
)


# --- networks ------------------------------------------------------------------------


def get_networks(ctx: Context) -> list:
    if ctx.bulk():
        rows = baserlib.luxi_call("QueryNetworks", [], NET_FIELDS, False)
        return [baserlib.map_fields(NET_FIELDS, row) for row in rows]
    rows = baserlib.luxi_call("QueryNetworks", [], ["name"], False)
    return baserlib.build_uri_list([row[0] for row in rows], "/2/networks/%s", "name")


def get_network(ctx: Context) -> dict:
    rows = baserlib.query_item("QueryNetworks", [ctx.params["network_name"]], NET_FIELDS)
    return baserlib.map_fields(NET_FIELDS, rows[0])


post_networks = opcode_handler(opcodes.OpNetworkAdd, rename={"name": "network_name"})
delete_network = opcode_handler(opcodes.OpNetworkRemove, "network_name")
put_network_connect = opcode_handler(opcodes.OpNetworkConnect, "network_name")
put_network_disconnect = opcode_handler(opcodes.OpNetworkDisconnect, "network_name")
put_network_modify = opcode_handler(opcodes.OpNetworkSetParams, "network_name")
