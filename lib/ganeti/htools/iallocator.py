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
from ganeti.htools.loader import LoadError, gc_paused, merge_data
from ganeti.htools.model import ClusterData, Group, Instance, IPolicy, ISpec, Node

STATIC_KVM_NODE_MEMORY = 4096

_ADMIN_STATE = {"up": "running", "down": "ADMIN_down", "offline": "ADMIN_offline"}


@dataclass
class Request:
    """A parsed allocator request."""

    kind: str
    raw: dict
    instances: list = field(default_factory=list)  # new Instance objects
    required_nodes: int = 1
    group_name: Optional[str] = None


class _Inexact(Exception):
    """orjson turned an integer beyond 64 bits into a float."""


def _loads(text: str, fast: bool = True):
    """The JSON value of ``text`` (ValueError when malformed).

    orjson is used when it accepts the text; it rejects what the standard
    parser accepts beyond RFC 8259 (NaN, lone surrogates), which the
    standard parser then reads.
    """
    if fast:
        try:
            import orjson
        except ImportError:  # pragma: no cover - orjson is a dependency
            pass
        else:
            try:
                return orjson.loads(text)
            except orjson.JSONDecodeError:
                pass
    from ganeti import serializer

    return serializer.load_exact(text)


_BIG = float(2**63)
# set while orjson's result is read: it gives integers beyond 64 bits as
# floats, which the standard parser keeps exact
_CHECK_BIG = [False]


def _int(x) -> int:
    """``int(x)``; refuses orjson's floats that may have been big integers."""
    if type(x) is int:
        return x
    if type(x) is float and _CHECK_BIG[0] and not -_BIG < x < _BIG:
        raise _Inexact()
    return int(x)


def dumps(obj) -> str:
    """Compact JSON, keys in insertion order (as hail writes it)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _spec(d: dict) -> ISpec:
    return ISpec(
        _int(d["memory-size"]),
        _int(d["cpu-count"]),
        _int(d["disk-size"]),
        _int(d["disk-count"]),
        _int(d["nic-count"]),
        _int(d["spindle-use"]),
    )


def parse_ipolicy(d: Optional[dict]) -> IPolicy:
    if not d:
        return model.default_ipolicy()
    mm = [(_spec(x["min"]), _spec(x["max"])) for x in d["minmax"]]
    return IPolicy(
        mm,
        _spec(d["std"]),
        list(d["disk-templates"]),
        float(d["vcpu-ratio"]),
        float(d["spindle-ratio"]),
    )


def _need(d: dict, key: str, what: str):
    if key not in d:
        raise LoadError("Missing key '%s' in %s" % (key, what))
    return d[key]


def _new_instance(r: dict, name: Optional[str] = None) -> Instance:
    tmpl = r.get("disk_template", "drbd")
    disks = [_int(x["size"]) for x in r.get("disks", [])]
    inst = Instance(
        name or r["name"],
        _int(r["memory"]),
        _int(r["disk_space_total"]),
        _int(r["vcpus"]),
        "running",
        list(r.get("tags", [])),
        True,
        -1,
        -1,
        tmpl,
        _int(r.get("spindle_use", 1)),
    )
    inst.disks = disks or [inst.dsk]
    inst.nics = r.get("nics", [])
    return inst


def parse_request(text: str, static_kvm: int = STATIC_KVM_NODE_MEMORY):
    """Parses the allocator input; returns (ClusterData, Request)."""
    with gc_paused(freeze=True):
        _CHECK_BIG[0] = True
        try:
            return _parse_request(text, static_kvm, True)
        except _Inexact:
            pass
        finally:
            _CHECK_BIG[0] = False
        return _parse_request(text, static_kvm, False)


def _parse_request(text: str, static_kvm: int, fast: bool):
    try:
        data = _loads(text, fast)
    except ValueError as err:
        raise LoadError("Parsing input IAllocator message: Malformed JSON: %s" % err) from None
    if not isinstance(data, dict):
        raise LoadError("Invalid input: not a JSON object")
    hvs = data.get("enabled_hypervisors") or []
    kvm_first = bool(hvs) and hvs[0] == "kvm" and static_kvm > 0
    groups = []
    guuid = {}
    for uuid, g in _need(data, "nodegroups", "input").items():
        grp = Group(
            g["name"],
            uuid,
            g.get("alloc_policy", "preferred"),
            list(g.get("tags", [])),
            list(g.get("networks", [])),
            parse_ipolicy(g.get("ipolicy")),
        )
        grp.idx = len(groups)
        guuid[uuid] = grp.idx
        groups.append(grp)
    nodes = []
    nidx = {}
    for name, nd in _need(data, "nodes", "input").items():
        gu = nd.get("group")
        if gu not in guuid:
            raise LoadError("Node '%s' has an unknown node group '%s'" % (name, gu))
        offline = bool(nd.get("offline")) or bool(nd.get("drained"))
        ndp = nd.get("ndparams", {}) or {}
        excl = bool(ndp.get("exclusive_storage", False))
        spindles = _int(ndp.get("spindle_count", 1))
        if offline or "total_memory" not in nd:
            n = Node(name, 0, 0, 0, 0, 0, 0, 0, True, spindles, 0, guuid[gu], excl)
            n.offline = True
        else:
            nmem = STATIC_KVM_NODE_MEMORY if kvm_first else _int(nd["reserved_memory"])
            if kvm_first:
                nmem = static_kvm
            tspn = _int(nd.get("total_spindles", spindles) or spindles)
            n = Node(
                name,
                _int(nd["total_memory"]),
                nmem,
                _int(nd["free_memory"]),
                _int(nd["total_disk"]),
                _int(nd["free_disk"]),
                _int(nd["total_cpus"]),
                _int(nd.get("reserved_cpus", 1)),
                False,
                tspn if excl else spindles,
                _int(nd.get("free_spindles", 0) or 0),
                guuid[gu],
                excl,
            )
        n.tags = list(nd.get("tags", []))
        n.cpu_speed = float(ndp.get("cpu_speed", 1.0) or 1.0)
        n.drained = bool(nd.get("drained"))
        n.idx = len(nodes)
        nidx[name] = n.idx
        nodes.append(n)
    instances = _parse_instances(_need(data, "instances", "input"), nidx)
    cd = ClusterData(
        groups, nodes, instances, list(data.get("cluster_tags", [])), model.default_ipolicy(), False
    )
    req = _need(data, "request", "input")
    kind = _need(req, "type", "request")
    r = Request(kind, req)
    if kind == "allocate":
        r.instances = [_new_instance(req)]
        r.required_nodes = _int(req.get("required_nodes", 1))
        r.group_name = req.get("group_name")
    elif kind == "multi-allocate":
        r.instances = [_new_instance(x) for x in req["instances"]]
    elif kind in ("relocate", "node-evacuate", "change-group", "allocate-secondary"):
        pass
    else:
        raise LoadError("Invalid request type '%s'" % kind)
    return cd, r


def _parse_instances(idict: dict, nidx: dict) -> list:
    """The instances of the input (values checked in argument order)."""
    instances = []
    cls = Instance
    admin = _ADMIN_STATE
    no_sec = model.NO_SECONDARY
    conv = _int
    for name, idata in idict.items():
        get = idata.get
        inodes = get("nodes", [])
        if not inodes or inodes[0] not in nidx:
            raise LoadError(
                "Unknown node '%s' for instance '%s'" % (inodes[0] if inodes else "", name)
            )
        pdx = nidx[inodes[0]]
        sdx = no_sec
        if len(inodes) > 1:
            if inodes[1] not in nidx:
                raise LoadError("Unknown node '%s' for instance '%s'" % (inodes[1], name))
            sdx = nidx[inodes[1]]
        st = admin.get(get("admin_state", "up"), "running")
        mem = idata["memory"]
        if type(mem) is not int:
            mem = conv(mem)
        dsk = get("disk_space_total", 0)
        if type(dsk) is not int:
            dsk = conv(dsk)
        vcpus = idata["vcpus"]
        if type(vcpus) is not int:
            vcpus = conv(vcpus)
        tags = get("tags", [])
        # a fresh list of the parser's: no copy needed
        tags = tags if type(tags) is list else list(tags)
        tmpl = get("disk_template", "drbd")
        su = get("spindle_use", 1) or 1
        if type(su) is not int:
            su = conv(su)
        inst = cls(name, mem, dsk, vcpus, st, tags, True, pdx, sdx, tmpl, su)
        dl = get("disks", [])
        if len(dl) == 1:
            size = dl[0]["size"]
            inst.disks = [size if type(size) is int else conv(size)]
        else:
            inst.disks = [conv(d["size"]) for d in dl] or [dsk]
        inst.idx = len(instances)
        instances.append(inst)
    return instances


def prepare(cd: ClusterData) -> ClusterData:
    return merge_data(cd)


def load_file(path: str) -> ClusterData:
    """The cluster part of an allocator input file (the ``-I`` backend)."""
    with open(path) as fh:
        text = fh.read()
    cd, _ = parse_request(text)
    return cd
