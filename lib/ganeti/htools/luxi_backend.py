"""The luxi backend (``-L``): the cluster read from the master daemon.

Owns the queries the htools send (nodes, instances, groups, cluster info,
with the field lists of the reference) and turning their answers into an
unmerged ClusterData (nodes that are offline or not vm_capable get no live
data, drained ones are treated as offline; a running instance's memory is
its operational memory when the node reports one).  Errors are raised as
``LoadError`` with a one-line message.

It never submits jobs (``execjobs`` does, for ``hbal -X``).
"""

from __future__ import annotations

from typing import Any, Optional

from ganeti import constants, errors, luxi, pathutils
from ganeti.htools import iallocator, model
from ganeti.htools.loader import LoadError
from ganeti.htools.model import ClusterData, Group, Instance, Node

NODE_FIELDS = [
    "name",
    "mtotal",
    "mnode",
    "mfree",
    "dtotal",
    "dfree",
    "ctotal",
    "cnos",
    "offline",
    "drained",
    "vm_capable",
    "ndp/spindle_count",
    "group.uuid",
    "tags",
    "ndp/exclusive_storage",
    "sptotal",
    "spfree",
    "ndp/cpu_speed",
]
INSTANCE_FIELDS = [
    "name",
    "disk_usage",
    "be/memory",
    "be/vcpus",
    "status",
    "pnode",
    "snodes",
    "tags",
    "oper_ram",
    "be/auto_balance",
    "disk_template",
    "be/spindle_use",
    "disk.sizes",
    "disk.spindles",
    "forthcoming",
]
GROUP_FIELDS = ["uuid", "name", "alloc_policy", "ipolicy", "tags", "networks"]


def _value(row: list, k: int, what: str, name: str, default: Any = None, live: bool = True) -> Any:
    status, val = row[k]
    if status != constants.RS_NORMAL:
        if not live or default is not None:
            return default
        raise LoadError("%s '%s': no data for field %s (status %s)" % (what, name, k, status))
    return val


def _query(client, what: str, fields: list) -> list:
    res = client.Query(what, fields, None)
    return res["data"]


def load(address: Optional[str]) -> ClusterData:
    """Reads the cluster through luxi (``address``: socket path)."""
    path = address or pathutils.QUERY_SOCKET
    try:
        client = luxi.Client(address=path)
        try:
            groups_raw = _query(client, "group", GROUP_FIELDS)
            nodes_raw = _query(client, "node", NODE_FIELDS)
            insts_raw = _query(client, "instance", INSTANCE_FIELDS)
            cinfo = client.QueryClusterInfo()
        finally:
            client.close()
    except (errors.GenericError, OSError) as err:
        raise LoadError("Error while loading data from luxi: %s" % err) from None
    return build(groups_raw, nodes_raw, insts_raw, cinfo)


def build(groups_raw: list, nodes_raw: list, insts_raw: list, cinfo: dict) -> ClusterData:
    """ClusterData from the query answers (rows of [status, value])."""
    groups = []
    guuid = {}
    for row in groups_raw:
        uuid = _value(row, 0, "Group", "?")
        name = _value(row, 1, "Group", uuid)
        g = Group(
            name,
            uuid,
            _value(row, 2, "Group", name),
            list(_value(row, 4, "Group", name, []) or []),
            list(_value(row, 5, "Group", name, []) or []),
            iallocator.parse_ipolicy(_value(row, 3, "Group", name)),
        )
        g.idx = len(groups)
        guuid[uuid] = g.idx
        groups.append(g)
    nodes = []
    nidx = {}
    for row in nodes_raw:
        name = _value(row, 0, "Node", "?")
        offline = bool(_value(row, 8, "Node", name, False))
        drained = bool(_value(row, 9, "Node", name, False))
        vm_capable = bool(_value(row, 10, "Node", name, True))
        live = not offline and vm_capable
        gu = _value(row, 12, "Node", name)
        if gu not in guuid:
            raise LoadError("Node '%s' has an unknown node group '%s'" % (name, gu))
        excl = bool(_value(row, 14, "Node", name, False))
        spindles = int(_value(row, 11, "Node", name, 1) or 1)
        if excl:
            spindles = int(_value(row, 15, "Node", name, 0, live) or 0)
        spfree = int(_value(row, 16, "Node", name, 0, live) or 0) if live else 0

        def lv(k, default):
            if not live:
                return default
            return _value(row, k, "Node", name, default)

        n = Node(
            name,
            float(lv(1, 0.0) or 0.0),
            int(lv(2, 0) or 0),
            int(lv(3, 0) or 0),
            float(lv(4, 0.0) or 0.0),
            int(lv(5, 0) or 0),
            float(lv(6, 0.0) or 0.0),
            int(lv(7, 0) or 0),
            not live or drained,
            spindles,
            spfree,
            guuid[gu],
            excl,
        )
        n.tags = list(_value(row, 13, "Node", name, []) or [])
        n.cpu_speed = float(_value(row, 17, "Node", name, 1.0) or 1.0)
        n.drained = drained
        n.is_master = name == cinfo.get("master")
        n.idx = len(nodes)
        nidx[name] = n.idx
        nodes.append(n)
    instances = []
    for row in insts_raw:
        name = _value(row, 0, "Instance", "?")
        pn = _value(row, 5, "Instance", name)
        if pn not in nidx:
            raise LoadError("Unknown node '%s' for instance %s" % (pn, name))
        snodes = _value(row, 6, "Instance", name, []) or []
        sdx = model.NO_SECONDARY
        if snodes:
            if snodes[0] not in nidx:
                raise LoadError("Unknown node '%s' for instance %s" % (snodes[0], name))
            sdx = nidx[snodes[0]]
        status, oram = row[8]
        if (
            status == constants.RS_NORMAL
            and isinstance(oram, (int, float))
            and not isinstance(oram, bool)
        ):
            mem = int(oram)
        else:
            mem = int(_value(row, 2, "Instance", name))
        st = _value(row, 4, "Instance", name)
        if st not in model.RUN_STATES:
            raise LoadError("Invalid instance status '%s'" % st)
        tmpl = _value(row, 10, "Instance", name)
        inst = Instance(
            name,
            mem,
            int(_value(row, 1, "Instance", name, 0)),
            int(_value(row, 3, "Instance", name)),
            st,
            list(_value(row, 7, "Instance", name, []) or []),
            bool(_value(row, 9, "Instance", name, True)),
            nidx[pn],
            sdx,
            tmpl,
            int(_value(row, 11, "Instance", name, 1) or 1),
            bool(_value(row, 14, "Instance", name, False)),
        )
        sizes = _value(row, 12, "Instance", name, []) or []
        if sizes:
            inst.disks = [int(x) for x in sizes]
        spn = _value(row, 13, "Instance", name, []) or []
        if len(spn) == 1 and spn[0] is not None:
            inst.total_spindles = int(spn[0])
        inst.idx = len(instances)
        instances.append(inst)
    pol = cinfo.get("ipolicy")
    cd = ClusterData(
        groups,
        nodes,
        instances,
        list(cinfo.get("tags", [])),
        iallocator.parse_ipolicy(pol) if pol else model.default_ipolicy(),
        bool(pol),
    )
    return cd
