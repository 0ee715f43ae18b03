"""RAPI handlers of instances: list, create (request version 1), remove, the
state changes, disks, modify, rename, moves, export and console.

Bodies are opcode parameters (see ``baserlib.fill_opcode``); sizes may carry
units ("8G") and the legacy ``memory`` backend parameter is accepted, as
the clients in the field send them.  Must never talk to the master except
through ``baserlib``.
"""

from typing import Any

from ganeti import constants, http, opcodes, rapi
from ganeti.rapi import baserlib
from ganeti.rapi.baserlib import Context
from ganeti.rapi.handlers_nodes import opcode_handler

I_FIELDS = [
    "name", "admin_state", "os", "pnode", "snodes", "disk_template", "nic.ips", "nic.macs",
    "nic.modes", "nic.uuids", "nic.names", "nic.links", "nic.networks", "nic.networks.names",
    "nic.bridges", "network_port", "disk.sizes", "disk.spindles", "disk_usage", "disk.uuids",
    "disk.names", "beparams", "hvparams", "oper_state", "oper_ram", "oper_vcpus", "status",
    "custom_hvparams", "custom_beparams", "custom_nicparams", "ctime", "mtime", "uuid",
    "serial_no", "tags",
]  # fmt: skip

CREATE_RENAME = {"os": "os_type", "name": "instance_name"}
MODIFY_RENAME = {"custom_beparams": "beparams", "custom_hvparams": "hvparams"}
EXPORT_RENAME = {"destination": "target_node"}


def _instance_dict(row: list) -> dict:
    inst = dict(zip(I_FIELDS, row))
    beparams = inst.get("beparams")
    if isinstance(beparams, dict) and constants.BE_MAXMEM in beparams:
        beparams.setdefault(constants.BE_MEMORY, beparams[constants.BE_MAXMEM])
    return inst


def get_instances(ctx: Context) -> list:
    if ctx.bulk():
        rows = baserlib.luxi_call("QueryInstances", [], I_FIELDS, False)
        return [_instance_dict(row) for row in rows]
    rows = baserlib.luxi_call("QueryInstances", [], ["name"], False)
    return baserlib.build_uri_list([row[0] for row in rows], "/2/instances/%s")


def get_instance(ctx: Context) -> dict:
    rows = baserlib.query_item("QueryInstances", [ctx.params["instance_name"]], I_FIELDS)
    return _instance_dict(rows[0])


# --- creation ------------------------------------------------------------------------


def normalize_create_body(body: Any) -> Any:
    """Unit sizes and the legacy ``memory`` of a creation body made exact."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    if "beparams" in body:
        body["beparams"] = baserlib.normalize_beparams(body["beparams"])
    if isinstance(body.get("disks"), list):
        body["disks"] = [baserlib.normalize_disk(d) for d in body["disks"]]
    return body


def create_opcode(body: Any, static: dict | None = None) -> opcodes.OpInstanceCreate:
    return baserlib.fill_opcode(
        opcodes.OpInstanceCreate, normalize_create_body(body), static, CREATE_RENAME
    )


def post_instances(ctx: Context) -> int:
    body = ctx.body_dict()
    version = body.get(rapi.REQ_DATA_VERSION, 0)
    if version == 0:
        raise http.HttpBadRequest("Instance creation request version 0 is no longer supported")
    if version != 1:
        raise http.HttpBadRequest("Unsupported request data version %s" % (version,))
    data = {k: v for k, v in body.items() if k != rapi.REQ_DATA_VERSION}
    static = {}
    if "dry-run" in ctx.query:
        static["dry_run"] = ctx.dry_run()
    if "no-install" in ctx.query and "no_install" not in data:
        data["no_install"] = ctx.bool_arg("no-install")
    return baserlib.submit_job([create_opcode(data, static)], ctx)


def post_instances_multi_alloc(ctx: Context) -> int:
    body = ctx.body_dict()
    if "instances" not in body:
        raise http.HttpBadRequest("Request is missing required 'instances' field in body")
    instances = baserlib.check_type(body["instances"], list, "'instances' parameter")
    data = dict(body)
    data["instances"] = [
        create_opcode({k: v for k, v in inst.items() if k != rapi.REQ_DATA_VERSION})
        if isinstance(inst, dict)
        else create_opcode(inst)
        for inst in instances
    ]
    static = {"dry_run": ctx.dry_run()} if "dry-run" in ctx.query else None
    op = baserlib.fill_opcode(opcodes.OpInstanceMultiAlloc, data, static)
    return baserlib.submit_job([op], ctx)


# --- one instance ----------------------------------------------------------------------

delete_instance = opcode_handler(
    opcodes.OpInstanceRemove, "instance_name", extra=lambda c: {"ignore_failures": False}
)


def get_instance_info(ctx: Context) -> int:
    op = opcodes.OpInstanceQueryData(
        instances=[ctx.params["instance_name"]], static=ctx.bool_arg("static")
    )
    return baserlib.submit_job([op], ctx)


def _reboot_static(ctx: Context) -> dict:
    reboot_type = ctx.arg("type", constants.REBOOT_HARD)
    if reboot_type not in constants.REBOOT_TYPES:
        raise http.HttpBadRequest(
            "Invalid reboot type '%s', must be one of %s"
            % (reboot_type, ", ".join(sorted(constants.REBOOT_TYPES)))
        )
    return {"reboot_type": reboot_type, "ignore_secondaries": ctx.bool_arg("ignore_secondaries")}


def _no_remember(ctx: Context) -> dict:
    # Ganeti reads "no_remember"; some clients send "no-remember"
    if "no_remember" in ctx.query:
        return {"no_remember": ctx.bool_arg("no_remember")}
    if "no-remember" in ctx.query:
        return {"no_remember": ctx.bool_arg("no-remember")}
    return {"no_remember": False}


def _startup_static(ctx: Context) -> dict:
    static = _no_remember(ctx)
    static["force"] = ctx.force()
    return static


post_instance_reboot = opcode_handler(
    opcodes.OpInstanceReboot, "instance_name", extra=_reboot_static
)
put_instance_shutdown = opcode_handler(
    opcodes.OpInstanceShutdown, "instance_name", extra=_no_remember
)
put_instance_startup = opcode_handler(
    opcodes.OpInstanceStartup, "instance_name", extra=_startup_static
)
put_instance_activate_disks = opcode_handler(
    opcodes.OpInstanceActivateDisks,
    "instance_name",
    extra=lambda c: {"ignore_size": c.bool_arg("ignore_size")},
)
put_instance_deactivate_disks = opcode_handler(
    opcodes.OpInstanceDeactivateDisks, "instance_name", extra=lambda c: {"force": c.force()}
)
post_instance_recreate_disks = opcode_handler(opcodes.OpInstanceRecreateDisks, "instance_name")
put_instance_migrate = opcode_handler(opcodes.OpInstanceMigrate, "instance_name")
put_instance_failover = opcode_handler(opcodes.OpInstanceFailover, "instance_name")
put_instance_rename = opcode_handler(opcodes.OpInstanceRename, "instance_name")
put_instance_export = opcode_handler(opcodes.OpBackupExport, "instance_name", rename=EXPORT_RENAME)


def _prepare_export_static(ctx: Context) -> dict:
    mode = ctx.arg("mode")
    if mode is None:
        raise http.HttpBadRequest("Missing the required 'mode' parameter")
    return {"mode": mode}


put_instance_prepare_export = opcode_handler(
    opcodes.OpBackupPrepare, "instance_name", extra=_prepare_export_static, body_fn=lambda c: None
)


def _grow_body(ctx: Context) -> Any:
    body = ctx.body_dict()
    if "amount" in body:
        body = dict(body, amount=baserlib.parse_size(body["amount"], "amount"))
    return body


post_instance_grow_disk = opcode_handler(
    opcodes.OpInstanceGrowDisk,
    "instance_name",
    extra=lambda c: {"disk": int(c.params["disk_index"])},
    body_fn=_grow_body,
)


def _modify_body(ctx: Context) -> Any:
    body = ctx.body_dict()
    body = dict(body)
    for key in ("beparams", "custom_beparams"):
        if key in body:
            body[key] = baserlib.normalize_beparams(body[key])
    if "disks" in body:
        body["disks"] = baserlib.normalize_mods(body["disks"], baserlib.normalize_disk)
    hvparams = body.get("hvparams")
    if isinstance(hvparams, dict) and isinstance(hvparams.get("usb_devices"), str):
        body["hvparams"] = dict(hvparams, usb_devices=hvparams["usb_devices"].replace(" ", ","))
    return body


put_instance_modify = opcode_handler(
    opcodes.OpInstanceSetParams, "instance_name", rename=MODIFY_RENAME, body_fn=_modify_body
)


def post_instance_replace_disks(ctx: Context) -> int:
    args = set(ctx.query) - {"dry-run", "reason"}
    if ctx.body:
        data = dict(ctx.body_dict())
    elif args:
        data = {
            key: ctx.arg(key)
            for key in ("remote_node", "mode", "disks", "iallocator")
            if ctx.arg(key) is not None
        }
    else:
        data = {}
    raw_disks = data.pop("disks", None)
    if raw_disks:
        if isinstance(raw_disks, list) and all(
            isinstance(d, int) and not isinstance(d, bool) for d in raw_disks
        ):
            data["disks"] = raw_disks
        else:
            try:
                data["disks"] = [int(part) for part in str(raw_disks).split(",")]
            except ValueError as err:
                raise http.HttpBadRequest("Invalid disk index passed: %s" % err) from None
    static = {"instance_name": ctx.params["instance_name"]}
    if "dry-run" in ctx.query:
        static["dry_run"] = ctx.dry_run()
    op = baserlib.fill_opcode(opcodes.OpInstanceReplaceDisks, data, static)
    return baserlib.submit_job([op], ctx)


def reinstall_opcodes(name: str, data: Any) -> list[opcodes.OpCode]:
    """Shutdown, reinstall and (unless start is false) startup, in one job."""
    baserlib.check_type(data, dict, "Body contents")
    os_type = baserlib.check_parameter(data, "os", None, str)
    start = baserlib.check_parameter(data, "start", True, bool)
    osparams = baserlib.check_parameter(data, "osparams", None, dict)
    reinstall: dict = {"instance_name": name}
    if os_type is not None:
        reinstall["os_type"] = os_type
    if osparams is not None:
        reinstall["osparams"] = osparams
    ops = [
        baserlib.fill_opcode(opcodes.OpInstanceShutdown, {"instance_name": name}),
        baserlib.fill_opcode(opcodes.OpInstanceReinstall, reinstall),
    ]
    if start:
        ops.append(
            baserlib.fill_opcode(opcodes.OpInstanceStartup, {"instance_name": name, "force": False})
        )
    return ops


def post_instance_reinstall(ctx: Context) -> int:
    args = set(ctx.query) - {"reason", "dry-run"}
    if ctx.body:
        if args:
            raise http.HttpBadRequest("Can't combine query and body parameters")
        body = ctx.body_dict()
    elif args:
        body = {"os": ctx.arg("os"), "start": not ctx.bool_arg("nostartup")}
    else:
        body = {}
    ops = reinstall_opcodes(ctx.params["instance_name"], body)
    if "dry-run" in ctx.query:
        for op in ops:
            op.dry_run = ctx.dry_run()
    return baserlib.submit_job(ops, ctx)


def get_instance_console(ctx: Context) -> dict:
    rows = baserlib.query_item(
        "QueryInstances", [ctx.params["instance_name"]], ["console", "oper_state"]
    )
    console, oper_state = rows[0]
    if not oper_state or not isinstance(console, dict):
        raise http.HttpServiceUnavailable("Instance console unavailable")
    return console
