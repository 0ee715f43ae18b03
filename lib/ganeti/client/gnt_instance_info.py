"""gnt-instance list, list-fields and info: what instances look like.

Owns the default list fields and their formatting, and the ``info``
structure of an instance (configuration, and live state unless
``--static``) as Ganeti prints it.  It must never change anything: these
are luxi queries and OP_INSTANCE_QUERY_DATA only.
"""

from typing import Any

from ganeti import cli
from ganeti import constants

#: default fields of ``gnt-instance list``
LIST_DEF_FIELDS = ["name", "hypervisor", "os", "pnode", "status", "oper_ram"]


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


def list_instances(opts: Any, args: list[str]) -> int:
    """``list``: table of instances (live fields in one parallel RPC on the master)."""
    return cli.list_resource(constants.QR_INSTANCE, opts, args, LIST_DEF_FIELDS, _LIST_FORMAT)


def list_instance_fields(opts: Any, args: list[str]) -> int:
    """``list-fields``: the instance query fields."""
    return cli.list_resource_fields(constants.QR_INSTANCE, opts, args)


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
