"""The iallocator protocol (version 2) as input to the htools model.

Owns turning the JSON request Ganeti writes for an allocator script into a
ClusterData plus a parsed request, and the JSON answer format.  Errors are
raised as ``LoadError`` with the message hail prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional

from ganeti.htools import model
from ganeti.htools.loader import LoadError, merge_data
from ganeti.htools.model import ClusterData, Group, Instance, IPolicy, ISpec, Node

STATIC_KVM_NODE_MEMORY = 4096

_ADMIN_STATE = {"up": "running", "down": "ADMIN_down",
                "offline": "ADMIN_offline"}


@dataclass
class Request:
    """A parsed allocator request."""
    kind: str
    raw: dict
    instances: list = field(default_factory=list)  # new Instance objects
    required_nodes: int = 1
    group_name: Optional[str] = None


def _loads(text: str):
    try:
        from ganeti import serializer
        return serializer.load(text)
    except ImportError:  # pragma: no cover
        return json.loads(text)


def dumps(obj) -> str:
    """Compact JSON, keys in insertion order (as hail writes it)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _spec(d: dict) -> ISpec:
    return ISpec(int(d["memory-size"]), int(d["cpu-count"]),
                 int(d["disk-size"]), int(d["disk-count"]),
                 int(d["nic-count"]), int(d["spindle-use"]))


def parse_ipolicy(d: Optional[dict]) -> IPolicy:
    if not d:
        return model.default_ipolicy()
    mm = [(_spec(x["min"]), _spec(x["max"])) for x in d["minmax"]]
    return IPolicy(mm, _spec(d["std"]), list(d["disk-templates"]),
                   float(d["vcpu-ratio"]), float(d["spindle-ratio"]))


def _need(d: dict, key: str, what: str):
    if key not in d:
        raise LoadError("Missing key '%s' in %s" % (key, what))
    return d[key]


def _new_instance(r: dict, name: Optional[str] = None) -> Instance:
    tmpl = r.get("disk_template", "drbd")
    disks = [int(x["size"]) for x in r.get("disks", [])]
    inst = Instance(name or r["name"], int(r["memory"]),
                    int(r["disk_space_total"]), int(r["vcpus"]), "running",
                    list(r.get("tags", [])), True, -1, -1, tmpl,
                    int(r.get("spindle_use", 1)))
    inst.disks = disks or [inst.dsk]
    inst.nics = r.get("nics", [])
    return inst


def parse_request(text: str, static_kvm: int = STATIC_KVM_NODE_MEMORY):
    """Parses the allocator input; returns (ClusterData, Request)."""
    try:
        data = _loads(text)
    except ValueError as err:
        raise LoadError("Parsing input IAllocator message: Malformed JSON:"
                        " %s" % err) from None
    if not isinstance(data, dict):
        raise LoadError("Invalid input: not a JSON object")
    hvs = data.get("enabled_hypervisors") or []
    kvm_first = bool(hvs) and hvs[0] == "kvm" and static_kvm > 0
    groups = []
    guuid = {}
    for uuid, g in _need(data, "nodegroups", "input").items():
        grp = Group(g["name"], uuid, g.get("alloc_policy", "preferred"),
                    list(g.get("tags", [])), list(g.get("networks", [])),
                    parse_ipolicy(g.get("ipolicy")))
        grp.idx = len(groups)
        guuid[uuid] = grp.idx
        groups.append(grp)
    nodes = []
    nidx = {}
    for name, nd in _need(data, "nodes", "input").items():
        gu = nd.get("group")
        if gu not in guuid:
            raise LoadError("Node '%s' has an unknown node group '%s'"
                            % (name, gu))
        offline = bool(nd.get("offline")) or bool(nd.get("drained"))
        ndp = nd.get("ndparams", {}) or {}
        excl = bool(ndp.get("exclusive_storage", False))
        spindles = int(ndp.get("spindle_count", 1))
        if offline or "total_memory" not in nd:
            n = Node(name, 0, 0, 0, 0, 0, 0, 0, True, spindles, 0,
                     guuid[gu], excl)
            n.offline = True
        else:
            nmem = STATIC_KVM_NODE_MEMORY if kvm_first else \
                int(nd["reserved_memory"])
            if kvm_first:
                nmem = static_kvm
            tspn = int(nd.get("total_spindles", spindles) or spindles)
            n = Node(name, int(nd["total_memory"]), nmem,
                     int(nd["free_memory"]), int(nd["total_disk"]),
                     int(nd["free_disk"]), int(nd["total_cpus"]),
                     int(nd.get("reserved_cpus", 1)), False,
                     tspn if excl else spindles,
                     int(nd.get("free_spindles", 0) or 0), guuid[gu], excl)
        n.tags = list(nd.get("tags", []))
        n.cpu_speed = float(ndp.get("cpu_speed", 1.0) or 1.0)
        n.drained = bool(nd.get("drained"))
        n.idx = len(nodes)
        nidx[name] = n.idx
        nodes.append(n)
    instances = []
    for name, idata in _need(data, "instances", "input").items():
        inodes = idata.get("nodes", [])
        if not inodes or inodes[0] not in nidx:
            raise LoadError("Unknown node '%s' for instance '%s'"
                            % (inodes[0] if inodes else "", name))
        pdx = nidx[inodes[0]]
        sdx = model.NO_SECONDARY
        if len(inodes) > 1:
            if inodes[1] not in nidx:
                raise LoadError("Unknown node '%s' for instance '%s'"
                                % (inodes[1], name))
            sdx = nidx[inodes[1]]
        st = _ADMIN_STATE.get(idata.get("admin_state", "up"), "running")
        inst = Instance(name, int(idata["memory"]),
                        int(idata.get("disk_space_total", 0)),
                        int(idata["vcpus"]), st, list(idata.get("tags", [])),
                        True, pdx, sdx, idata.get("disk_template", "drbd"),
                        int(idata.get("spindle_use", 1) or 1))
        inst.disks = [int(d["size"]) for d in idata.get("disks", [])] or \
            [inst.dsk]
        inst.idx = len(instances)
        instances.append(inst)
    cd = ClusterData(groups, nodes, instances,
                     list(data.get("cluster_tags", [])),
                     model.default_ipolicy(), False)
    req = _need(data, "request", "input")
    kind = _need(req, "type", "request")
    r = Request(kind, req)
    if kind == "allocate":
        r.instances = [_new_instance(req)]
        r.required_nodes = int(req.get("required_nodes", 1))
        r.group_name = req.get("group_name")
    elif kind == "multi-allocate":
        r.instances = [_new_instance(x) for x in req["instances"]]
    elif kind in ("relocate", "node-evacuate", "change-group",
                  "allocate-secondary"):
        pass
    else:
        raise LoadError("Invalid request type '%s'" % kind)
    return cd, r


def prepare(cd: ClusterData) -> ClusterData:
    return merge_data(cd)


def load_file(path: str) -> ClusterData:
    """The cluster part of an allocator input file (the ``-I`` backend)."""
    with open(path) as fh:
        text = fh.read()
    cd, _ = parse_request(text)
    return cd
