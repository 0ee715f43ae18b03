"""gnt-os: the operating system definitions of the cluster.

Owns the OS sub-commands: ``list`` (usable OS names, variants expanded),
``diagnose`` (what each node reports), ``info`` (variants, parameters, API
versions, flags) through luxi OS queries, and ``modify`` (per-OS
hypervisor and OS parameters, hidden/blacklisted flags) through
OP_CLUSTER_SET_PARAMS.  It must never look at OS directories itself.
"""

from typing import Any

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti.cli import cli_option
from ganeti.utils import text as utils_text

_INFO_FIELDS = [
    "name", "valid", "variants", "parameters", "api_versions", "blacklisted", "hidden",
    "os_hvp", "osparams", "trusted",
]  # fmt: skip


def _query(cl: Any, fields: list[str], qfilter: Any = None) -> list[list]:
    response = cl.Query(constants.QR_OS, fields, qfilter)
    return [[value for _, value in row] for row in response["data"]]


def list_os(opts: Any, args: list[str]) -> int:
    """``list``: valid, visible OS names (one per variant)."""
    cl = cli.get_client()
    qfilter = ["&", ["?", "valid"], ["!", ["?", "hidden"]], ["!", ["?", "blacklisted"]]]
    rows = _query(cl, ["name", "variants"], qfilter)
    names = []
    for name, variants in rows:
        names.extend([n] for n in cli.calculate_os_names(name, variants))
    headers = None if opts.no_headers else {"name": "Name"}
    for line in cli.generate_table(headers, ["name"], None, names):
        cli.to_stdout(line)
    return constants.EXIT_SUCCESS


def _os_status(status: bool, diagnose: str) -> str:
    return "valid" if status else diagnose


def diagnose_os(opts: Any, args: list[str]) -> int:
    """``diagnose``: per-node OS reports; exit 1 if some OS is not valid everywhere."""
    cl = cli.get_client()
    rows = _query(cl, ["name", "valid", "variants", "node_status", "hidden", "blacklisted"])
    has_bad = False
    for name, _valid, variants, node_data, hidden, blacklisted in rows:
        valid_nodes: dict[str, str] = {}
        bad_nodes: dict[str, str] = {}
        shadowed: dict[str, list[str]] = {}
        for node, entries in (node_data or {}).items():
            shadowed[node] = []
            entries = list(entries or [])
            if not entries:
                bad_nodes[node] = "OS not found"
                continue
            path, status, msg, nvars, params, api = entries.pop(0)
            text = "%s (path: %s)" % (_os_status(status, msg), path)
            if api:
                text += " [API versions: %s]" % ", ".join(str(a) for a in api)
            else:
                text += " [no API versions declared]"
            top = max(api) if api else 0
            if top >= constants.OS_API_V15:
                text += " [variants: %s]" % ", ".join(nvars) if nvars else " [no variants]"
            if top >= constants.OS_API_V20:
                if params:
                    text += " [parameters: %s]" % ", ".join(p[0] for p in params)
                else:
                    text += " [no parameters]"
            (valid_nodes if status else bad_nodes)[node] = text
            for hpath, hstatus, hmsg, *_ in entries:
                shadowed[node].append(
                    "    [hidden] path: %s, status: %s" % (hpath, _os_status(hstatus, hmsg))
                )
        if valid_nodes and not bad_nodes:
            status = "valid"
        elif bad_nodes and not valid_nodes:
            status = "invalid"
            has_bad = True
        else:
            status = "partial valid"
            has_bad = True
        line = "OS: %s [global status: %s]" % (name, status)
        if hidden:
            line += " [hidden]"
        if blacklisted:
            line += " [blacklisted]"
        cli.to_stdout(line)
        if variants:
            cli.to_stdout("  Variants: [%s]" % ", ".join(variants))
        for messages in (valid_nodes, bad_nodes):
            for node in utils_text.nice_sort(messages):
                cli.to_stdout("  Node: %s, status: %s", node, messages[node])
                for extra in shadowed.get(node, []):
                    cli.to_stdout(extra)
        cli.to_stdout("")
    return constants.EXIT_FAILURE if has_bad else constants.EXIT_SUCCESS


def show_os_info(opts: Any, args: list[str]) -> int:
    """``info``: variants, parameters, API versions and flags of OSes."""
    cl = cli.get_client()
    qfilter = ["|"] + [["=", "name", name] for name in args] if args else None
    rows = _query(cl, _INFO_FIELDS, qfilter)
    if args and not rows:
        raise errors.OpPrereqError(
            "No such operating system(s): %s" % ", ".join(args), errors.ECODE_NOENT
        )
    for name, valid, variants, params, api, blacklisted, hidden, os_hvp, osparams, trusted in rows:
        cli.to_stdout("%s:", name)
        cli.to_stdout("  - valid: %s", valid)
        cli.to_stdout("  - hidden: %s", hidden)
        cli.to_stdout("  - blacklisted: %s", blacklisted)
        if valid:
            cli.to_stdout("  - API versions:")
            for version in sorted(api or []):
                cli.to_stdout("    - %s", version)
            cli.to_stdout("  - variants:")
            for variant in variants or []:
                cli.to_stdout("    - %s", variant)
            cli.to_stdout("  - parameters:")
            for pname, pdesc in params or []:
                cli.to_stdout("    - %s: %s", pname, pdesc)
            cli.to_stdout("  - trusted: %s", trusted)
        if os_hvp:
            cli.to_stdout("  - hypervisor parameters:")
            for hv in sorted(os_hvp):
                cli.to_stdout("    - %s:", hv)
                for key in sorted(os_hvp[hv]):
                    cli.to_stdout("      - %s: %s", key, os_hvp[hv][key])
        if osparams:
            cli.to_stdout("  - OS parameters:")
            for key in sorted(osparams):
                cli.to_stdout("    - %s: %s", key, osparams[key])
        cli.to_stdout("")
    return constants.EXIT_SUCCESS


def modify_os(opts: Any, args: list[str]) -> int:
    """``modify``: per-OS parameters and flags through OP_CLUSTER_SET_PARAMS."""
    from ganeti import opcodes

    os_name = args[0]
    os_hvp = None
    if opts.hypervisor:
        hv, hvp = opts.hypervisor
        if hvp is False or hvp is None:
            os_hvp = {os_name: {hv: None}}
        else:
            hvp = dict(hvp)
            cli.convert_param_types(hvp, constants.HVS_PARAMETER_TYPES, [constants.VALUE_DEFAULT])
            os_hvp = {os_name: {hv: hvp}}
    osp = {os_name: opts.osparams} if opts.osparams else None
    osp_private = {os_name: opts.osparams_private} if opts.osparams_private else None
    hidden = None
    if opts.hidden is not None:
        hidden = [[constants.DDM_ADD if opts.hidden else constants.DDM_REMOVE, os_name]]
    blacklisted = None
    if opts.blacklisted is not None:
        blacklisted = [[constants.DDM_ADD if opts.blacklisted else constants.DDM_REMOVE, os_name]]
    if not (os_hvp or osp or osp_private or hidden or blacklisted):
        cli.to_stderr("At least one of OS parameters or hypervisor parameters must be passed")
        return constants.EXIT_FAILURE
    op = opcodes.OpClusterSetParams(
        os_hvp=os_hvp,
        osparams=osp,
        osparams_private_cluster=osp_private,
        hidden_os=hidden,
        blacklisted_os=blacklisted,
    )
    cli.submit_or_send(op, opts)
    return constants.EXIT_SUCCESS


HID_OS_OPT = cli_option(
    "--hidden", dest="hidden", type="bool", default=None, metavar="yes|no",
    help="Sets the hidden flag on the OS",
)  # fmt: skip
BLK_OS_OPT = cli_option(
    "--blacklisted", dest="blacklisted", type="bool", default=None, metavar="yes|no",
    help="Sets the blacklisted flag on the OS",
)  # fmt: skip

commands = {
    "list": (list_os, cli.ARGS_NONE, [cli.NOHDR_OPT, cli.PRIORITY_OPT], "",
             "Lists all valid operating systems on the cluster"),
    "diagnose": (diagnose_os, cli.ARGS_NONE, [cli.PRIORITY_OPT], "",
                 "Diagnose all operating systems"),
    "info": (show_os_info, [cli.ArgOs()], [cli.PRIORITY_OPT], "[<os>...]",
             "Show detailed information about operating systems"),
    "modify": (
        modify_os,
        cli.ARGS_ONE_OS,
        [cli.HYPERVISOR_OPT, cli.OSPARAMS_OPT, cli.OSPARAMS_PRIVATE_OPT, HID_OS_OPT, BLK_OS_OPT,
         cli.DRY_RUN_OPT, cli.PRIORITY_OPT] + cli.SUBMIT_OPTS,
        "<os>",
        "Modify the OS parameters",
    ),
}  # fmt: skip

aliases = {"show": "info"}


def main() -> int:
    return cli.generic_main(commands, aliases=aliases)
