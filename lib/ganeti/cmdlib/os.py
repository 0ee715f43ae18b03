"""Operating systems: what the nodes report, merged into one view per OS.

Owns OP_OS_DIAGNOSE and the OS query context (``gnt-os list/diagnose/
info``): one parallel ``os_diagnose`` RPC to the online vm-capable nodes,
merged as Ganeti does (an OS is valid when every asked node has a valid
first definition; variants, parameters and API versions are those all
nodes share), with the cluster's hidden/blacklisted flags and per-OS
parameters.  It must never change the configuration (``gnt-os modify`` is
OP_CLUSTER_SET_PARAMS).
"""

from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti.cmdlib.base import NoHooksLU


def _node_rows(cfg: Any, rpc: Any) -> tuple[dict[str, list], list[str]]:
    """node name -> os_diagnose rows, and the names of the nodes asked."""
    nodes = [n for n in cfg.get_all_nodes_info().values() if not n.offline and n.vm_capable]
    if not nodes:
        return {}, []
    results = rpc.call_os_diagnose([n.uuid for n in nodes])
    rows: dict[str, list] = {}
    for node in nodes:
        res = results.get(node.uuid)
        if res is None or res.fail_msg or not isinstance(res.payload, list):
            rows[node.name] = []
            continue
        rows[node.name] = res.payload
    return rows, [n.name for n in nodes]


def diagnose(cfg: Any, rpc: Any) -> list:
    """The OS view of the cluster: a list of ``query_fields.os.OsInfo``."""
    from ganeti.query_fields.os import OsInfo

    cluster = cfg.get_cluster_info()
    rows, asked = _node_rows(cfg, rpc)
    # name -> node -> [(path, status, diagnose, variants, params, api_versions, trusted)]
    by_os: dict[str, dict[str, list]] = {}
    for node, entries in rows.items():
        for entry in entries:
            try:
                name, path, status, diag, variants, params, api, trusted = (list(entry) + [True])[
                    :8
                ]
            except (TypeError, ValueError):
                continue
            if not name:
                continue
            by_os.setdefault(name, {}).setdefault(node, []).append(
                (path, bool(status), diag or "", variants or [], params or [], api or [], trusted)
            )
    hidden = set(cluster.hidden_os or [])
    blacklisted = set(cluster.blacklisted_os or [])
    result = []
    for name in sorted(by_os):
        per_node = by_os[name]
        valid = True
        variants: set | None = None
        params: set | None = None
        api: set | None = None
        trusted = True
        node_status: dict[str, list] = {}
        for node in asked:
            entries = per_node.get(node)
            if not entries:
                valid = False
                node_status[node] = []
                continue
            node_status[node] = [
                [p, s, d, sorted(v), [list(x) for x in pa], sorted(a)]
                for p, s, d, v, pa, a, _ in entries
            ]
            path, status, _, nvars, nparams, napi, ntrusted = entries[0]
            if not status:
                valid = False
                continue
            trusted = trusted and bool(ntrusted)
            pset = {tuple(x) for x in nparams}
            variants = set(nvars) if variants is None else variants & set(nvars)
            params = pset if params is None else params & pset
            api = set(napi) if api is None else api & set(napi)
        result.append(
            OsInfo(
                name=name,
                valid=valid,
                hidden=name in hidden,
                blacklisted=name in blacklisted,
                variants=sorted(variants or []) if valid else [],
                api_versions=sorted(api or []) if valid else [],
                parameters=[list(p) for p in sorted(params or [])] if valid else [],
                node_status=node_status,
                os_hvp=dict((cluster.os_hvp or {}).get(name, {})),
                osparams=dict((cluster.osparams or {}).get(name, {})),
                trusted=trusted,
            )
        )
    return result


def os_query_data(context: Any, names: list | None = None) -> Any:
    """The OS query context (needs the master's node RPC)."""
    from ganeti.query_fields.os import OsQueryData

    rpc = getattr(context, "rpc", None)
    if rpc is None:
        raise errors.OpPrereqError("OS queries need the node daemons", errors.ECODE_ENVIRON)
    oses = diagnose(context.cfg, rpc)
    if names:
        wanted = set(names)
        oses = [o for o in oses if o.name in wanted]
    return OsQueryData(oses=oses)


class LUOsDiagnose(NoHooksLU):
    """OP_OS_DIAGNOSE: rows of the requested OS fields."""

    REQ_BGL = False

    def check_arguments(self) -> None:
        from ganeti import query

        self.query = query.Query(
            query.get_fields_table(constants.QR_OS), self.op.output_fields, None, "name"
        )
        if self.query.has_unknown_fields():
            self.query.old_style_query([])  # raises naming the unknown fields

    def expand_names(self) -> None:
        self.needed_locks = {}

    def exec(self, feedback_fn: Callable[..., None]) -> list:
        ctx = os_query_data(self.context, self.op.names)
        return self.query.old_style_query(ctx)
