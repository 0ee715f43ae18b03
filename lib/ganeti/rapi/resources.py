"""The RAPI resource table: every path, method, access level and handler.

Owns the one table the server dispatches from and the OpenAPI description
is generated from (``rapi.openapi``): one ``Resource`` per path pattern, one
``Method`` per HTTP method with its access list, handler, the opcode whose
parameters form the body (minus the URL-derived ones), body renames, query
arguments and, for non-opcode bodies, an explicit JSON schema.  Also owns
matching a request path to its row.  Adding a resource is adding a row; it
must never contain request logic (that is in the handler modules).
"""

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ganeti import constants, opcodes, rapi
from ganeti.rapi import handlers_cluster as hc
from ganeti.rapi import handlers_instances as hi
from ganeti.rapi import handlers_nodes as hn
from ganeti.rapi.baserlib import Context

GET, PUT, POST, DELETE = "GET", "PUT", "POST", "DELETE"
#: the methods a RAPI resource may have; others answer 405
RAPI_METHODS = (GET, PUT, POST, DELETE)


@dataclass(frozen=True)
class QueryArg:
    """One query argument: kind is bool (0/1), int, string, list (repeatable)
    or fields (comma-separated)."""

    name: str
    kind: str
    doc: str
    required: bool = False
    enum: tuple = ()


@dataclass
class Method:
    """One HTTP method of a resource."""

    handler: Callable[[Context], Any]
    summary: str
    access: tuple = rapi.ACCESS_ANON
    #: the opcode whose parameters the body carries (and the job runs)
    opcode: type | None = None
    #: opcode parameters set from the URL or query (not accepted in the body)
    static: tuple = ()
    #: body name -> opcode parameter
    rename: dict = field(default_factory=dict)
    query: tuple = ()
    #: JSON schema of a body that is not an opcode's parameters
    body: dict | None = None
    #: extra body properties beside the opcode's
    body_extra: dict = field(default_factory=dict)
    #: JSON schema of the answer
    result: dict = field(default_factory=dict)
    #: opcodes whose logical units must exist (501 otherwise); default: opcode
    needs: tuple | None = None

    def needed_opcodes(self) -> tuple:
        if self.needs is not None:
            return self.needs
        return (self.opcode,) if self.opcode is not None else ()


@dataclass
class Resource:
    """One path pattern; ``{name}`` segments are path parameters."""

    path: str
    methods: dict[str, Method]
    since: str = "2.2"
    regex: Any = None
    name: str = ""


#: how path parameters look (anything else is 404)
_NAME_RE = r"[\w.:+@-]+"
PARAM_PATTERNS = {
    "job_id": r"\d+",
    "disk_index": r"\d+",
    "resource": "|".join(sorted(constants.QR_VIA_RAPI)),
    "filter_uuid": r"[\w-]+",
}

# --- common schemas and arguments ------------------------------------------------------

JOB_ID = {"type": "integer", "description": "Job id; poll /2/jobs/{job_id}"}
ANY = {}
OBJ = {"type": "object"}
LIST = {"type": "array"}
STRINGS = {"type": "array", "items": {"type": "string"}}
URI_LIST = {
    "type": "array",
    "items": {"type": "object", "properties": {"id": {}, "name": {}, "uri": {"type": "string"}}},
}

A_DRY_RUN = QueryArg("dry-run", "bool", "Only check, change nothing (0 or 1)")
A_FORCE = QueryArg("force", "bool", "Force the operation (0 or 1)")
A_BULK = QueryArg("bulk", "bool", "Answer full objects instead of names and URIs (0 or 1)")
A_LOCK = QueryArg("lock", "bool", "Accepted for compatibility; queries never lock")
A_REASON = QueryArg("reason", "string", "Reason for the change, recorded in the reason trail")
A_TAG = QueryArg("tag", "list", "A tag (repeat the argument for several)", required=True)
A_FIELDS = QueryArg("fields", "fields", "Comma-separated field names")

_BOOL = {"type": "boolean"}


def _tags(kind: str, param: str | None) -> dict[str, Method]:
    get, put, delete = hc.tags_handlers(kind, param)
    what = "the cluster" if kind == constants.TAG_CLUSTER else "the %s" % kind
    return {
        GET: Method(get, "Tags of %s" % what, result=STRINGS),
        PUT: Method(
            put,
            "Add tags to %s" % what,
            rapi.ACCESS_WRITE,
            needs=(opcodes.OpTagsSet,),
            query=(A_TAG, A_DRY_RUN, A_REASON),
            result=JOB_ID,
        ),
        DELETE: Method(
            delete,
            "Remove tags from %s" % what,
            rapi.ACCESS_WRITE,
            needs=(opcodes.OpTagsDel,),
            query=(A_TAG, A_DRY_RUN, A_REASON),
            result=JOB_ID,
        ),
    }


def _op(
    handler: Callable,
    summary: str,
    opcode: type,
    static: tuple = (),
    query: tuple = (),
    **kw: Any,
) -> Method:
    """A write method submitting ``opcode`` built from the body."""
    return Method(
        handler,
        summary,
        rapi.ACCESS_WRITE,
        opcode=opcode,
        static=static,
        query=query + (A_DRY_RUN, A_REASON),
        result=JOB_ID,
        **kw,
    )


_WAIT_BODY = {
    "type": "object",
    "properties": {
        "fields": {"type": "array", "items": {"type": "string"}},
        "previous_job_info": {"type": ["array", "null"]},
        "previous_log_serial": {"type": ["integer", "null"]},
    },
    "required": ["fields"],
}
_QUERY_BODY = {
    "type": "object",
    "properties": {
        "fields": {"type": "array", "items": {"type": "string"}},
        "qfilter": {"type": ["array", "null"]},
        "filter": {"type": ["array", "null"]},
    },
}
_ROLE_BODY = {
    "type": "string",
    "enum": [
        rapi.NODE_ROLE_MASTER_CANDIDATE,
        rapi.NODE_ROLE_REGULAR,
        rapi.NODE_ROLE_DRAINED,
        rapi.NODE_ROLE_OFFLINE,
    ],
}
_REINSTALL_BODY = {
    "type": "object",
    "properties": {
        "os": {"type": "string"},
        "start": _BOOL,
        "osparams": {"type": "object"},
        "clear_osparams": _BOOL,
    },
}
_FILTER_BODY = {
    "type": "object",
    "properties": {
        "priority": {"type": "integer"},
        "predicates": {"type": "array"},
        "action": {},
        "reason": {"type": "array"},
    },
    "additionalProperties": False,
}
_CREATE_EXTRA = {
    rapi.REQ_DATA_VERSION: {"type": "integer", "enum": [1], "description": "Must be 1"},
}

I, N, G = "instance_name", "node_name", "group_name"
_STORAGE_TYPE = QueryArg(
    "storage_type", "string", "Storage type", required=True, enum=tuple(sorted(constants.STORAGE_TYPES))
)  # fmt: skip
_STORAGE_NAME = QueryArg("name", "string", "Storage unit name", required=True)

# fmt: off
TABLE: list[Resource] = [
    Resource("/", {GET: Method(hc.get_root, "Nothing (legacy)", result={"type": "null"})}),
    Resource("/version", {GET: Method(hc.get_version, "RAPI version (2)", result={"type": "integer"})}),
    Resource("/2", {GET: Method(hc.get_root, "Nothing (legacy)", result={"type": "null"})}),
    Resource("/2/openapi.json", {GET: Method(hc.get_openapi, "OpenAPI description of this API", result=OBJ)}, "3.0"),
    Resource("/2/info", {GET: Method(hc.get_info, "Cluster information", result=OBJ)}),
    Resource("/2/features", {GET: Method(hc.get_features, "Optional features", result=STRINGS)}),
    Resource("/2/os", {GET: Method(hc.get_os, "Operating systems (os+variant)", result=STRINGS)}),
    Resource("/2/modify", {PUT: _op(hc.put_modify, "Change cluster parameters", opcodes.OpClusterSetParams)}, "2.4"),
    Resource("/2/redistribute-config", {PUT: _op(hc.put_redistribute_config, "Redistribute the configuration", opcodes.OpClusterRedistConf)}),
    Resource("/2/tags", _tags(constants.TAG_CLUSTER, None)),
    Resource("/2/jobs", {GET: Method(hc.get_jobs, "Jobs", query=(A_BULK,), result=LIST)}),
    Resource("/2/jobs/{job_id}", {
        GET: Method(hc.get_job, "One job", result=OBJ),
        DELETE: Method(hc.delete_job, "Cancel a job", rapi.ACCESS_WRITE, query=(A_DRY_RUN,), result=LIST),
    }),
    Resource("/2/jobs/{job_id}/wait", {
        GET: Method(hc.get_job_wait, "Wait (at most 10 s) for a job to change", rapi.ACCESS_WRITE,
                    body=_WAIT_BODY, result={"type": ["object", "null"]}),
    }),
    Resource("/2/nodes", {GET: Method(hn.get_nodes, "Nodes", query=(A_BULK,), result=LIST)}),
    Resource("/2/nodes/{node_name}", {GET: Method(hn.get_node, "One node", query=(A_LOCK,), result=OBJ)}),
    Resource("/2/nodes/{node_name}/powercycle", {
        POST: _op(hn.post_node_powercycle, "Power-cycle a node", opcodes.OpNodePowercycle, (N, "force"), (A_FORCE,)),
    }, "2.6"),
    Resource("/2/nodes/{node_name}/tags", _tags(constants.TAG_NODE, N)),
    Resource("/2/nodes/{node_name}/role", {
        GET: Method(hn.get_node_role, "Role of a node", result={"type": "string"}),
        PUT: Method(hn.put_node_role, "Set the role of a node", rapi.ACCESS_WRITE,
                    needs=(opcodes.OpNodeSetParams,), body=_ROLE_BODY,
                    query=(A_FORCE, QueryArg("auto-promote", "bool", "Promote other nodes if needed"), A_DRY_RUN, A_REASON),
                    result=JOB_ID),
    }),
    Resource("/2/nodes/{node_name}/evacuate", {
        POST: _op(hn.post_node_evacuate, "Evacuate a node", opcodes.OpNodeEvacuate, (N,)),
    }),
    Resource("/2/nodes/{node_name}/migrate", {
        POST: _op(hn.post_node_migrate, "Migrate the primary instances of a node", opcodes.OpNodeMigrate, (N,),
                  (QueryArg("live", "bool", "Legacy: live migration"),
                   QueryArg("mode", "string", "Legacy: migration mode", enum=tuple(sorted(constants.HT_MIGRATION_MODES))))),
    }),
    Resource("/2/nodes/{node_name}/modify", {
        POST: _op(hn.post_node_modify, "Change node parameters", opcodes.OpNodeSetParams, (N,)),
    }, "2.6"),
    Resource("/2/nodes/{node_name}/storage", {
        GET: Method(hn.get_node_storage, "Storage units of a node (as a job)", rapi.ACCESS_WRITE,
                    needs=(opcodes.OpNodeQueryStorage,),
                    query=(_STORAGE_TYPE, QueryArg("output_fields", "fields", "Fields to return", required=True)),
                    result=JOB_ID),
    }),
    Resource("/2/nodes/{node_name}/storage/modify", {
        PUT: Method(hn.put_node_storage_modify, "Change a storage unit", rapi.ACCESS_WRITE,
                    needs=(opcodes.OpNodeModifyStorage,),
                    query=(_STORAGE_TYPE, _STORAGE_NAME, QueryArg("allocatable", "bool", "Allocatable flag")),
                    result=JOB_ID),
    }),
    Resource("/2/nodes/{node_name}/storage/repair", {
        PUT: Method(hn.put_node_storage_repair, "Repair a storage unit", rapi.ACCESS_WRITE,
                    needs=(opcodes.OpRepairNodeStorage,), query=(_STORAGE_TYPE, _STORAGE_NAME),
                    result=JOB_ID),
    }),
    Resource("/2/groups", {
        GET: Method(hn.get_groups, "Node groups", query=(A_BULK,), result=LIST),
        POST: _op(hn.post_groups, "Create a node group", opcodes.OpGroupAdd, rename={"name": "group_name"}),
    }, "2.4"),
    Resource("/2/groups/{group_name}", {
        GET: Method(hn.get_group, "One node group", result=OBJ),
        DELETE: _op(hn.delete_group, "Remove a node group", opcodes.OpGroupRemove, (G,)),
    }, "2.4"),
    Resource("/2/groups/{group_name}/modify", {
        PUT: _op(hn.put_group_modify, "Change node group parameters", opcodes.OpGroupSetParams, (G,),
                 rename=hn.GROUP_MODIFY_RENAME),
    }, "2.4"),
    Resource("/2/groups/{group_name}/rename", {
        PUT: _op(hn.put_group_rename, "Rename a node group", opcodes.OpGroupRename, (G,)),
    }, "2.4"),
    Resource("/2/groups/{group_name}/assign-nodes", {
        PUT: _op(hn.put_group_assign_nodes, "Move nodes into a group", opcodes.OpGroupAssignNodes, (G, "force"), (A_FORCE,)),
    }, "2.4"),
    Resource("/2/groups/{group_name}/tags", _tags(constants.TAG_NODEGROUP, G), "2.5"),
    Resource("/2/networks", {
        GET: Method(hn.get_networks, "Networks", query=(A_BULK,), result=LIST),
        POST: _op(hn.post_networks, "Create a network", opcodes.OpNetworkAdd, rename={"name": "network_name"}),
    }, "2.7"),
    Resource("/2/networks/{network_name}", {
        GET: Method(hn.get_network, "One network", result=OBJ),
        DELETE: _op(hn.delete_network, "Remove a network", opcodes.OpNetworkRemove, ("network_name",)),
    }, "2.7"),
    Resource("/2/networks/{network_name}/connect", {
        PUT: _op(hn.put_network_connect, "Connect a network to a group", opcodes.OpNetworkConnect, ("network_name",)),
    }, "2.7"),
    Resource("/2/networks/{network_name}/disconnect", {
        PUT: _op(hn.put_network_disconnect, "Disconnect a network from a group", opcodes.OpNetworkDisconnect, ("network_name",)),
    }, "2.7"),
    Resource("/2/networks/{network_name}/modify", {
        PUT: _op(hn.put_network_modify, "Change network parameters", opcodes.OpNetworkSetParams, ("network_name",)),
    }, "2.7"),
    Resource("/2/networks/{network_name}/tags", _tags(constants.TAG_NETWORK, "network_name"), "2.7"),
    Resource("/2/instances", {
        GET: Method(hi.get_instances, "Instances", query=(A_BULK, A_LOCK), result=LIST),
        POST: _op(hi.post_instances, "Create an instance (request version 1)", opcodes.OpInstanceCreate,
                  rename=hi.CREATE_RENAME, body_extra=_CREATE_EXTRA,
                  query=(QueryArg("no-install", "bool", "Do not run the OS installation scripts"),)),
    }),
    Resource("/2/instances-multi-alloc", {
        POST: Method(hi.post_instances_multi_alloc, "Allocate several instances", rapi.ACCESS_WRITE,
                     opcode=opcodes.OpInstanceMultiAlloc, needs=(opcodes.OpInstanceMultiAlloc,),
                     query=(A_DRY_RUN, A_REASON), result=JOB_ID),
    }, "2.7"),
    Resource("/2/instances/{instance_name}", {
        GET: Method(hi.get_instance, "One instance", query=(A_LOCK,), result=OBJ),
        DELETE: _op(hi.delete_instance, "Remove an instance", opcodes.OpInstanceRemove, (I, "ignore_failures")),
    }),
    Resource("/2/instances/{instance_name}/info", {
        GET: Method(hi.get_instance_info, "Detailed information (as a job)", needs=(opcodes.OpInstanceQueryData,),
                    query=(QueryArg("static", "bool", "Configuration data only, do not ask the nodes"), A_REASON),
                    result=JOB_ID),
    }),
    Resource("/2/instances/{instance_name}/tags", _tags(constants.TAG_INSTANCE, I)),
    Resource("/2/instances/{instance_name}/reboot", {
        POST: _op(hi.post_instance_reboot, "Reboot an instance", opcodes.OpInstanceReboot,
                  (I, "reboot_type", "ignore_secondaries"),
                  (QueryArg("type", "string", "Reboot type (default hard)", enum=tuple(sorted(constants.REBOOT_TYPES))),
                   QueryArg("ignore_secondaries", "bool", "Ignore errors from secondary nodes"))),
    }),
    Resource("/2/instances/{instance_name}/reinstall", {
        POST: Method(hi.post_instance_reinstall, "Reinstall an instance (shutdown, reinstall, startup)",
                     rapi.ACCESS_WRITE, body=_REINSTALL_BODY,
                     needs=(opcodes.OpInstanceShutdown, opcodes.OpInstanceReinstall, opcodes.OpInstanceStartup),
                     query=(QueryArg("os", "string", "Legacy: operating system"),
                            QueryArg("nostartup", "bool", "Legacy: do not start afterwards"), A_DRY_RUN, A_REASON),
                     result=JOB_ID),
    }),
    Resource("/2/instances/{instance_name}/replace-disks", {
        POST: _op(hi.post_instance_replace_disks, "Replace the disks of an instance", opcodes.OpInstanceReplaceDisks, (I,),
                  (QueryArg("mode", "string", "Legacy: replacement mode", enum=tuple(sorted(constants.REPLACE_MODES))),
                   QueryArg("remote_node", "string", "Legacy: new secondary node"),
                   QueryArg("iallocator", "string", "Legacy: allocator"),
                   QueryArg("disks", "string", "Legacy: disk indices, comma-separated"))),
    }),
    Resource("/2/instances/{instance_name}/shutdown", {
        PUT: _op(hi.put_instance_shutdown, "Stop an instance", opcodes.OpInstanceShutdown, (I, "no_remember"),
                 (QueryArg("no_remember", "bool", "Do not record the new state"),)),
    }),
    Resource("/2/instances/{instance_name}/startup", {
        PUT: _op(hi.put_instance_startup, "Start an instance", opcodes.OpInstanceStartup, (I, "no_remember", "force"),
                 (A_FORCE, QueryArg("no_remember", "bool", "Do not record the new state"))),
    }),
    Resource("/2/instances/{instance_name}/activate-disks", {
        PUT: _op(hi.put_instance_activate_disks, "Activate the disks of an instance", opcodes.OpInstanceActivateDisks,
                 (I, "ignore_size"), (QueryArg("ignore_size", "bool", "Ignore recorded disk sizes"),)),
    }),
    Resource("/2/instances/{instance_name}/deactivate-disks", {
        PUT: _op(hi.put_instance_deactivate_disks, "Deactivate the disks of an instance",
                 opcodes.OpInstanceDeactivateDisks, (I, "force"), (A_FORCE,)),
    }),
    Resource("/2/instances/{instance_name}/recreate-disks", {
        POST: _op(hi.post_instance_recreate_disks, "Recreate the disks of an instance", opcodes.OpInstanceRecreateDisks, (I,)),
    }, "2.6"),
    Resource("/2/instances/{instance_name}/disk/{disk_index}/grow", {
        POST: _op(hi.post_instance_grow_disk, "Grow a disk", opcodes.OpInstanceGrowDisk, (I, "disk")),
    }, "2.4"),
    Resource("/2/instances/{instance_name}/prepare-export", {
        PUT: _op(hi.put_instance_prepare_export, "Prepare an export", opcodes.OpBackupPrepare, (I, "mode"),
                 (QueryArg("mode", "string", "Export mode", required=True, enum=tuple(sorted(constants.EXPORT_MODES))),),
                 body={"type": "null"}),
    }),
    Resource("/2/instances/{instance_name}/export", {
        PUT: _op(hi.put_instance_export, "Export an instance", opcodes.OpBackupExport, (I,), rename=hi.EXPORT_RENAME),
    }),
    Resource("/2/instances/{instance_name}/migrate", {
        PUT: _op(hi.put_instance_migrate, "Migrate an instance", opcodes.OpInstanceMigrate, (I,)),
    }),
    Resource("/2/instances/{instance_name}/failover", {
        PUT: _op(hi.put_instance_failover, "Fail an instance over", opcodes.OpInstanceFailover, (I,)),
    }, "2.5"),
    Resource("/2/instances/{instance_name}/rename", {
        PUT: _op(hi.put_instance_rename, "Rename an instance", opcodes.OpInstanceRename, (I,)),
    }),
    Resource("/2/instances/{instance_name}/modify", {
        PUT: _op(hi.put_instance_modify, "Change instance parameters", opcodes.OpInstanceSetParams, (I,),
                 rename=hi.MODIFY_RENAME),
    }),
    Resource("/2/instances/{instance_name}/console", {
        GET: Method(hi.get_instance_console, "How to reach the console", rapi.ACCESS_READ, result=OBJ),
    }, "2.4"),
    Resource("/2/query/{resource}", {
        GET: Method(hc.get_query, "Query a resource", rapi.ACCESS_READ,
                    query=(QueryArg("fields", "fields", "Comma-separated field names", required=True),),
                    result=OBJ),
        PUT: Method(hc.put_query, "Query a resource with a filter", rapi.ACCESS_READ,
                    query=(A_FIELDS,), body=_QUERY_BODY, result=OBJ),
    }, "2.5"),
    Resource("/2/query/{resource}/fields", {
        GET: Method(hc.get_query_fields, "Fields of a resource", query=(A_FIELDS,), result=OBJ),
    }, "2.5"),
    Resource("/2/filters", {
        GET: Method(hc.get_filters, "Job filter rules", query=(A_BULK,), result=LIST),
        POST: Method(hc.filters_unavailable, "Add a job filter rule (not built yet: 501)", rapi.ACCESS_WRITE,
                     body=_FILTER_BODY, result={"type": "string"}),
    }, "2.13"),
    Resource("/2/filters/{filter_uuid}", {
        GET: Method(hc.get_filter, "One job filter rule", result=OBJ),
        PUT: Method(hc.filters_unavailable, "Replace a job filter rule (not built yet: 501)", rapi.ACCESS_WRITE,
                    body=_FILTER_BODY, result={"type": "string"}),
        DELETE: Method(hc.filters_unavailable, "Remove a job filter rule (not built yet: 501)", rapi.ACCESS_WRITE,
                       result={"type": "null"}),
    }, "2.13"),
]
# fmt: on


def _resource_name(path: str) -> str:
    """Ganeti-like handler name: /2/instances/{instance_name}/reboot ->
    R_2_instances_name_reboot."""
    if path == "/":
        return "R_root"
    words = []
    for seg in path.strip("/").split("/"):
        if seg.startswith("{"):
            key = seg[1:-1]
            if key in ("disk_index", "resource"):
                continue
            words.append("id" if key == "job_id" else "uuid" if key == "filter_uuid" else "name")
        else:
            words.append(seg.replace("-", "_"))
    return "R_" + "_".join(words)


def _compile(path: str) -> Any:
    pattern = []
    for seg in path.strip("/").split("/"):
        if seg.startswith("{"):
            key = seg[1:-1]
            pattern.append("(?P<%s>%s)" % (key, PARAM_PATTERNS.get(key, _NAME_RE)))
        else:
            pattern.append(re.escape(seg))
    return re.compile("^/" + "/".join(pattern) + "$")


for _res in TABLE:
    _res.regex = _compile(_res.path)
    _res.name = _resource_name(_res.path)

_EXACT = {res.path: res for res in TABLE if "{" not in res.path}
_PATTERNED = [res for res in TABLE if "{" in res.path]


def match(path: str) -> tuple[Resource, dict[str, str]] | None:
    """The resource of a request path (without query) and its parameters."""
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    res = _EXACT.get(path)
    if res is not None:
        return res, {}
    for res in _PATTERNED:
        found = res.regex.match(path)
        if found is not None:
            return res, found.groupdict()
    return None
