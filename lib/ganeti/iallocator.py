"""The external allocator protocol (iallocator version 2), master side.

Owns building the allocator's input (cluster, node groups, nodes with live
resources, instances, and the request of one mode), running the named
script on the master (through the ``iallocator_runner`` RPC, as Ganeti
does; or in-process when the master has no node RPC), and validating the
answer.  It must never choose nodes itself: the script (e.g. ``hail``)
does.  Node-side execution is ``run_script`` below (noded calls it).
"""

import os
import tempfile
from typing import Any

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import serializer
from ganeti.utils import process as uprocess

MODE_ALLOC = constants.IALLOCATOR_MODE_ALLOC
MODE_MULTI_ALLOC = constants.IALLOCATOR_MODE_MULTI_ALLOC
MODE_RELOC = constants.IALLOCATOR_MODE_RELOC
MODE_CHG_GROUP = constants.IALLOCATOR_MODE_CHG_GROUP
MODE_NODE_EVAC = constants.IALLOCATOR_MODE_NODE_EVAC
MODES = frozenset([MODE_ALLOC, MODE_MULTI_ALLOC, MODE_RELOC, MODE_CHG_GROUP, MODE_NODE_EVAC])


# -- node side -------------------------------------------------------------------------
def find_script(name: str) -> str | None:
    """The first executable called ``name`` on the iallocator search path."""
    if not name or "/" in name or name.startswith("."):
        return None
    for directory in pathutils.IALLOCATOR_SEARCH_PATH:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def run_script(name: str, idata: str, params: dict | None = None) -> str:
    """Runs allocator ``name`` on input ``idata``; returns its stdout.

    Raises OpExecError when the script is missing or fails.
    """
    path = find_script(name)
    if path is None:
        raise errors.OpExecError("iallocator module '%s' not found in the search path" % name)
    fd, tmp = tempfile.mkstemp(prefix="ganeti-iallocator.")
    try:
        os.write(fd, idata.encode("utf-8") if isinstance(idata, str) else idata)
        os.close(fd)
        args = [path, tmp]
        for key, value in sorted((params or {}).items()):
            args.append("--%s" % key if value is None else "--%s=%s" % (key, value))
        result = uprocess.run_cmd(args, cwd="/")
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    if result.failed:
        raise errors.OpExecError(
            "iallocator module '%s' failed: %s, output '%s'"
            % (name, result.fail_reason, result.output)
        )
    return result.stdout


# -- master side ------------------------------------------------------------------------
def _disk_space_total(disk_template: str, disks: list[dict]) -> int:
    sizes = [int(d.get(constants.IDISK_SIZE, 0)) for d in disks]
    if disk_template == constants.DT_DRBD8:
        return sum(s + constants.DRBD_META_SIZE for s in sizes)
    if disk_template in (
        constants.DT_DISKLESS,
        constants.DT_BLOCK,
        constants.DT_EXT,
        constants.DT_RBD,
    ):
        return 0
    return sum(sizes)


def required_nodes(disk_template: str) -> int:
    return 2 if disk_template in constants.DTS_INT_MIRROR else 1


class IAllocator:
    """One allocator request: ``IAllocator(cfg, rpc, mode, **request).run(name)``."""

    def __init__(
        self, cfg: Any, rpc: Any, mode: str, live_nodes: dict | None = None, **request: Any
    ) -> None:
        if mode not in MODES:
            raise errors.OpPrereqError("Unknown iallocator mode '%s'" % mode, errors.ECODE_INVAL)
        self.cfg = cfg
        self.rpc = rpc
        self.mode = mode
        self.request = dict(request)
        self._live_nodes = live_nodes
        self.in_text = ""
        self.out_text = ""
        self.success = False
        self.info = ""
        self.result: Any = None

    # input -------------------------------------------------------------------------------
    def _request_dict(self) -> dict:
        req = dict(self.request)
        req["type"] = self.mode
        if self.mode == MODE_ALLOC:
            req.setdefault("spindle_use", 1)
            req.setdefault("tags", [])
            req.setdefault("nics", [])
            req["required_nodes"] = required_nodes(req["disk_template"])
            req["disk_space_total"] = _disk_space_total(req["disk_template"], req.get("disks", []))
        elif self.mode == MODE_MULTI_ALLOC:
            insts = []
            for inst in req.get("instances", []):
                sub = dict(inst)
                sub.setdefault("spindle_use", 1)
                sub.setdefault("tags", [])
                sub.setdefault("nics", [])
                sub["required_nodes"] = required_nodes(sub["disk_template"])
                sub["disk_space_total"] = _disk_space_total(
                    sub["disk_template"], sub.get("disks", [])
                )
                insts.append(sub)
            req["instances"] = insts
        elif self.mode == MODE_RELOC:
            uuid, _ = self.cfg.expand_instance_name(req["name"])
            inst = self.cfg.get_instance_info(uuid) if uuid else None
            if inst is None:
                raise errors.OpPrereqError(
                    "Instance '%s' not known" % req["name"], errors.ECODE_NOENT
                )
            disks = [{"size": d.size, "mode": d.mode} for d in self.cfg.get_instance_disks(uuid)]
            req["required_nodes"] = 1
            req["disk_space_total"] = _disk_space_total(
                self.cfg.get_instance_disk_template(inst.uuid), disks
            )
        return req

    def _node_dict(self, node: Any, live: dict | None, instances: list[Any]) -> dict:
        cluster = self.cfg.get_cluster_info()
        group = self.cfg.get_node_group(node.group)
        data = {
            "tags": sorted(node.get_tags()),
            "primary_ip": node.primary_ip,
            "secondary_ip": node.secondary_ip,
            "offline": bool(node.offline),
            "drained": bool(node.drained),
            "master_candidate": bool(node.master_candidate),
            "group": node.group,
            "master_capable": bool(node.master_capable),
            "vm_capable": bool(node.vm_capable),
            "ndparams": cluster.fill_ndparams(node, group)
            if group is not None
            else dict(node.ndparams or {}),
        }
        if node.offline or node.drained or not node.vm_capable or live is None:
            return data
        pri_mem = 0
        pri_up_mem = 0
        for inst in instances:
            if inst.primary_node != node.uuid:
                continue
            mem = cluster.fill_beparams(inst).get(constants.BE_MAXMEM, 0)
            pri_mem += mem
            if inst.admin_state == constants.ADMINST_UP:
                pri_up_mem += mem
        total_mem = int(live.get("mtotal", 0))
        data.update(
            {
                "total_memory": total_mem,
                "reserved_memory": int(live.get("mnode", 0)),
                "free_memory": int(live.get("mfree", 0)),
                "total_disk": int(live.get("dtotal", 0)),
                "free_disk": int(live.get("dfree", 0)),
                "total_spindles": int(live.get("sptotal", 0)),
                "free_spindles": int(live.get("spfree", 0)),
                "total_cpus": int(live.get("ctotal", 1)),
                "reserved_cpus": int(live.get("cnos", 1)),
                "i_pri_memory": pri_mem,
                "i_pri_up_memory": pri_up_mem,
            }
        )
        return data

    def _instance_dict(self, inst: Any) -> dict:
        cluster = self.cfg.get_cluster_info()
        beparams = cluster.fill_beparams(inst)
        disks = self.cfg.get_instance_disks(inst.uuid)
        nics = []
        for nic in inst.nics:
            params = (
                cluster.simple_fill_nic(nic.nicparams)
                if hasattr(cluster, "simple_fill_nic")
                else dict(nic.nicparams or {})
            )
            entry = {
                "mac": nic.mac,
                "ip": nic.ip,
                "mode": params.get("mode"),
                "link": params.get("link"),
                "network": nic.network,
            }
            if params.get("mode") in (constants.NIC_MODE_BRIDGED, constants.NIC_MODE_OVS):
                entry["bridge"] = params.get("link")
            nics.append(entry)
        disk_dicts = [
            {"size": d.size, "mode": d.mode, "dev_type": d.dev_type, "spindles": d.spindles}
            for d in disks
        ]
        node_uuids = [inst.primary_node] + [
            n for n in self.cfg.get_instance_secondary_nodes(inst.uuid)
        ]
        return {
            "tags": sorted(inst.get_tags()),
            "admin_state": inst.admin_state,
            "vcpus": beparams.get(constants.BE_VCPUS),
            "memory": beparams.get(constants.BE_MAXMEM),
            "spindle_use": beparams.get(constants.BE_SPINDLE_USE),
            "os": inst.os,
            "nodes": [self.cfg.get_node_name(n) for n in node_uuids],
            "nics": nics,
            "disks": disk_dicts,
            "disk_template": self.cfg.get_instance_disk_template(inst.uuid),
            "disks_active": bool(inst.disks_active),
            "hypervisor": inst.hypervisor,
            "disk_space_total": _disk_space_total(
                self.cfg.get_instance_disk_template(inst.uuid), [{"size": d.size} for d in disks]
            ),
        }

    def build_input(self) -> dict:
        cfg = self.cfg
        cluster = cfg.get_cluster_info()
        nodes = cfg.get_all_nodes_info()
        instances = list(cfg.get_all_instances_info().values())
        live = self._live_nodes
        if live is None and self.rpc is not None:
            from ganeti.rpc import master as rpc_master

            live = rpc_master.live_node_data(cfg, self.rpc, list(nodes.values()))
        live = live or {}
        groups = {}
        for uuid, group in cfg.get_all_node_groups_info().items():
            groups[uuid] = {
                "name": group.name,
                "alloc_policy": group.alloc_policy,
                "networks": sorted((group.networks or {}).keys()),
                "ipolicy": cluster.fill_ipolicy(group)
                if hasattr(cluster, "fill_ipolicy")
                else group.ipolicy,
                "tags": sorted(group.get_tags()),
            }
        return {
            "version": constants.IALLOCATOR_VERSION,
            "cluster_name": cluster.cluster_name,
            "cluster_tags": sorted(cluster.get_tags()),
            "enabled_hypervisors": list(cluster.enabled_hypervisors),
            "ipolicy": cluster.ipolicy,
            "nodegroups": groups,
            "nodes": {
                n.name: self._node_dict(n, live.get(uuid), instances) for uuid, n in nodes.items()
            },
            "instances": {i.name: self._instance_dict(i) for i in instances},
            "request": self._request_dict(),
        }

    # running -------------------------------------------------------------------------------
    def run(self, name: str, validate: bool = True) -> Any:
        """Runs allocator ``name``; returns its result (raises on failure)."""
        self.in_text = serializer.dumps(self.build_input())
        params = dict(self.cfg.get_cluster_info().default_iallocator_params or {})
        if self.rpc is not None:
            master = self.cfg.get_master_node()
            res = self.rpc.call_iallocator_runner(master, name, self.in_text, params)
            res.raise_error("Failure while running the iallocator script")
            self.out_text = res.payload
        else:
            self.out_text = run_script(name, self.in_text, params)
        if validate:
            self._validate()
        return self.result

    def _validate(self) -> None:
        try:
            data = serializer.loads(self.out_text)
        except ValueError as err:
            raise errors.OpExecError("Can't parse iallocator results: %s" % err) from None
        if not isinstance(data, dict):
            raise errors.OpExecError("Can't parse iallocator results: not a dict")
        if "nodes" in data and "result" not in data:
            data["result"] = data["nodes"]
        for key in ("success", "info", "result"):
            if key not in data:
                raise errors.OpExecError("Can't parse iallocator results: missing key '%s'" % key)
        self.success = bool(data["success"])
        self.info = str(data["info"])
        self.result = data["result"]
        if not self.success:
            return
        if self.mode in (MODE_ALLOC, MODE_RELOC):
            req = self._request_dict()
            if not isinstance(self.result, list) or len(self.result) != req["required_nodes"]:
                raise errors.OpExecError(
                    "iallocator returned an invalid result, expected a list of %d nodes, got %r"
                    % (req["required_nodes"], self.result)
                )
        elif self.mode == MODE_MULTI_ALLOC:
            if not (isinstance(self.result, list) and len(self.result) == 2):
                raise errors.OpExecError("iallocator returned an invalid multi-allocate result")
        elif self.mode in (MODE_NODE_EVAC, MODE_CHG_GROUP):
            if not (isinstance(self.result, list) and len(self.result) == 3):
                raise errors.OpExecError("iallocator returned an invalid evacuation result")
