"""Running queries: gather the data a query asks for, then answer it.

Owns the bridge between the query engine (``ganeti.query``, which never
fetches anything) and the master's state: the job queue, the lock manager,
the configuration and, for live fields, the nodes (one parallel RPC through
``context.query_live`` when the master has node RPC).  Serves luxi Query /
QueryFields, the old-style QueryNodes/... calls and OP_QUERY/OP_QUERY_FIELDS.
"""

from typing import Any

from ganeti import constants
from ganeti import errors
from ganeti import query
from ganeti.cmdlib.base import NoHooksLU


def _all_disks(cfg: Any) -> dict:
    getter = getattr(cfg, "get_all_disks_info", None)
    return getter() if getter is not None else {}


def _live(context: Any, kind: str, cfg_items: Any) -> Any:
    fn = getattr(context, "query_live", None)
    if fn is None:
        return None
    return fn(kind, cfg_items)


def _job_ctx(context: Any, q: query.Query) -> Any:
    names = q.requested_names()
    include_archived = query.JQ_ARCHIVED in q.requested_data()
    ids = None
    if names:
        ids = []
        for name in names:
            try:
                ids.append(int(name))
            except (TypeError, ValueError):
                continue
    jobs = context.jq.get_jobs(ids, include_archived=include_archived)
    return query.JobQueryData(jobs=jobs)


def _lock_ctx(context: Any, q: query.Query) -> Any:
    rows = context.glm.query_locks(["name", "mode", "owner", "pending"])
    return query.LockQueryData(locks=[tuple(r) for r in rows])


def _cluster_ctx(context: Any, q: query.Query) -> Any:
    from ganeti.server.luxi_ops import read_watcher_pause

    cfg = context.cfg
    jq = getattr(context, "jq", None)
    return query.ClusterQueryData(
        cluster=cfg.get_cluster_info(),
        nodes=cfg.get_all_nodes_info(),
        drain_flag=jq.is_drained() if jq is not None else False,
        watcher_pause=read_watcher_pause(),
    )


def _node_ctx(context: Any, q: query.Query) -> Any:
    cfg = context.cfg
    nodes = cfg.get_all_nodes_info()
    data = q.requested_data()
    ctx = query.NodeQueryData(
        nodes=list(nodes.values()),
        cluster=cfg.get_cluster_info(),
        groups=cfg.get_all_node_groups_info(),
        master_uuid=cfg.get_master_node(),
    )
    if query.NQ_INST in data:
        ctx.node_to_primary, ctx.node_to_secondary = query.instances_by_node(
            list(cfg.get_all_instances_info().values()), _all_disks(cfg)
        )
    if query.NQ_LIVE in data:
        ctx.live_data = _live(context, constants.QR_NODE, ctx.nodes) or {}
    return ctx


def _instance_ctx(context: Any, q: query.Query) -> Any:
    cfg = context.cfg
    instances = list(cfg.get_all_instances_info().values())
    nodes = cfg.get_all_nodes_info()
    ctx = query.InstanceQueryData(
        instances=instances,
        cluster=cfg.get_cluster_info(),
        nodes=nodes,
        groups=cfg.get_all_node_groups_info(),
        disks=_all_disks(cfg),
        networks=cfg.get_all_networks_info(),
        offline_nodes={uuid for uuid, node in nodes.items() if node.offline},
    )
    if query.IQ_LIVE in q.requested_data():
        live = _live(context, constants.QR_INSTANCE, instances)
        if live is None:
            ctx.bad_nodes = set(nodes)
        else:
            ctx.live_data, ctx.bad_nodes, ctx.wrong_node = live
    return ctx


def _group_ctx(context: Any, q: query.Query) -> Any:
    cfg = context.cfg
    groups = cfg.get_all_node_groups_info()
    nodes = cfg.get_all_nodes_info()
    data = q.requested_data()
    g2n: dict = {uuid: [] for uuid in groups}
    for node in nodes.values():
        g2n.setdefault(node.group, []).append(node.name)
    g2i: dict = {uuid: [] for uuid in groups}
    if query.GQ_INST in data:
        for inst in cfg.get_all_instances_info().values():
            node = nodes.get(inst.primary_node)
            if node is not None:
                g2i.setdefault(node.group, []).append(inst.name)
    return query.GroupQueryData(
        cluster=cfg.get_cluster_info(),
        groups=list(groups.values()),
        group_to_nodes=g2n,
        group_to_instances=g2i,
        want_diskparams=query.GQ_DISKPARAMS in data,
    )


def _network_ctx(context: Any, q: query.Query) -> Any:
    cfg = context.cfg
    networks = cfg.get_all_networks_info()
    n2g: dict = {uuid: [] for uuid in networks}
    for group in cfg.get_all_node_groups_info().values():
        for net_uuid, params in (group.networks or {}).items():
            n2g.setdefault(net_uuid, []).append(
                [group.name, params.get("mode"), params.get("link")]
            )
    n2i: dict = {uuid: [] for uuid in networks}
    for inst in cfg.get_all_instances_info().values():
        for nic in inst.nics:
            if nic.network in n2i:
                n2i[nic.network].append(inst.name)
    return query.NetworkQueryData(
        networks=list(networks.values()), network_to_groups=n2g, network_to_instances=n2i
    )


def _filter_ctx(context: Any, q: query.Query) -> Any:
    cfg = context.cfg
    filters = cfg.get_all_filters_info()
    return query.FilterQueryData(filters=list(filters.values()))


def export_pairs(context: Any, node_names: list[str] | None = None) -> list | None:
    """``(node name, export name or None)`` from one parallel ``export_list``."""
    rpc = getattr(context, "rpc", None)
    if rpc is None:
        return None
    cfg = context.cfg
    nodes = [n for n in cfg.get_all_nodes_info().values() if not n.offline]
    if node_names:
        wanted = set(node_names)
        nodes = [n for n in nodes if n.name in wanted or n.uuid in wanted]
    if not nodes:
        return []
    results = rpc.call_export_list([n.uuid for n in nodes])
    pairs: list = []
    for node in nodes:
        res = results.get(node.uuid)
        if res is None or res.fail_msg:
            pairs.append((node.name, None))
            continue
        for name in sorted(res.payload or []):
            pairs.append((node.name, name))
    return pairs


def _export_ctx(context: Any, q: query.Query) -> Any:
    live = export_pairs(context)
    if live is None:
        live = _live(context, constants.QR_EXPORT, None)
    return query.ExportQueryData(exports=live or [])


def _os_ctx(context: Any, q: query.Query) -> Any:
    from ganeti.cmdlib.os import os_query_data

    if getattr(context, "rpc", None) is None:
        live = _live(context, constants.QR_OS, None)
        if live is None:
            raise errors.OpPrereqError("OS queries need the node daemons", errors.ECODE_ENVIRON)
        return live
    return os_query_data(context, q.requested_names())


_CTX_BUILDERS = {
    constants.QR_JOB: _job_ctx,
    constants.QR_LOCK: _lock_ctx,
    constants.QR_CLUSTER: _cluster_ctx,
    constants.QR_NODE: _node_ctx,
    constants.QR_INSTANCE: _instance_ctx,
    constants.QR_GROUP: _group_ctx,
    constants.QR_NETWORK: _network_ctx,
    constants.QR_FILTER: _filter_ctx,
    constants.QR_EXPORT: _export_ctx,
    constants.QR_OS: _os_ctx,
}


def _make_query(what: Any, fields: list[str], qfilter: Any) -> query.Query:
    table = query.get_fields_table(what)
    return query.Query(table, fields, qfilter, query.NAME_FIELDS.get(what))


def run_query(context: Any, what: Any, fields: list[str], qfilter: Any) -> dict:
    """Answers a query2 request: ``{"fields": [...], "data": [...]}``."""
    q = _make_query(what, fields, qfilter)
    builder = _CTX_BUILDERS.get(what)
    if builder is None:
        raise errors.OpPrereqError(
            "Queries of resource '%s' are not supported here" % what, errors.ECODE_INVAL
        )
    ctx = builder(context, q)
    return query.build_response(q, ctx, sort_by_name=what != constants.QR_JOB)


def run_query_fields(what: Any, fields: list[str] | None) -> dict:
    """Answers a QueryFields request."""
    return query.query_fields(query.get_fields_table(what), fields)


def run_old_query(context: Any, what: str, names: list[str], fields: list[str]) -> list:
    """Old-style queries (QueryNodes, QueryInstances, ...): plain values."""
    namefield = query.NAME_FIELDS.get(what, "name")
    qfilter = None
    if names:
        expanded = []
        cfg = context.cfg
        for name in names:
            full = name
            if what == constants.QR_NODE:
                full = cfg.expand_node_name(name)[1]
            elif what == constants.QR_INSTANCE:
                full = cfg.expand_instance_name(name)[1]
            if full is None:
                raise errors.OpPrereqError(
                    "%s '%s' not known" % (what.capitalize(), name), errors.ECODE_NOENT
                )
            expanded.append(full)
        qfilter = ["|"] + [["=", namefield, n] for n in expanded]
    q = _make_query(what, fields, qfilter)
    ctx = _CTX_BUILDERS[what](context, q)
    return q.old_style_query(ctx)


def run_query_exports(context: Any, nodes: list[str]) -> dict:
    """QueryExports: node name -> list of export names (False if failed)."""
    live = _live(context, constants.QR_EXPORT, nodes) or []
    result: dict = {}
    for node, export in live:
        if export is None:
            result[node] = False
        elif result.get(node) is not False:
            result.setdefault(node, []).append(export)
    return result


class LUQuery(NoHooksLU):
    """OP_QUERY: a query2 request run as a job."""

    REQ_BGL = False

    def check_arguments(self) -> None:
        self.q = _make_query(self.op.what, self.op.fields, self.op.qfilter)

    def expand_names(self) -> None:
        self.needed_locks = {}

    def exec(self, feedback_fn: Any) -> dict:
        return run_query(self.context, self.op.what, self.op.fields, self.op.qfilter)


class LUQueryFields(NoHooksLU):
    """OP_QUERY_FIELDS: field definitions of a resource."""

    REQ_BGL = False

    def expand_names(self) -> None:
        self.needed_locks = {}

    def exec(self, feedback_fn: Any) -> dict:
        return run_query_fields(self.op.what, self.op.fields)
