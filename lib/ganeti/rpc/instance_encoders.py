"""Master-side RPC argument encoders that need the configuration.

Owns turning instances and disks into the dicts node procedures receive:
an instance with its hvparams, beparams, osparams and NIC parameters
filled from the cluster (cluster -> OS -> instance, through
``objects.Cluster``'s fill methods), its disks as ``disks_info`` and its
``secondary_nodes``; disks with their template's disk parameters filled
from the primary node's group.  It must never call nodes nor change the
configuration.

Use::

    runner = RpcRunner(resolver, encoders=instance_encoders.make_encoders(cfg))
    runner.call_instance_start(node, (inst, hvp_override, bep_override), False, reason)
    runner.call_blockdev_create(node, (disk, inst), size, owner, True, info, False)
"""

import copy
from typing import Any, Callable

from ganeti import objects
from ganeti.rpc import defs
from ganeti.rpc.client import PerNode


def make_encoders(cfg: Any) -> dict[str, Callable[[Any], Any]]:
    """The config-aware encoders for ``RpcRunner(encoders=...)``.

    Argument shapes (what callers pass):
    ED_INST_DICT: instance; ED_INST_DICT_HVP_BEP_DP: ``(instance, hvp, bep)``
    (overrides may be None); ED_INST_DICT_OSP_DP: ``(instance, osp)``;
    ED_SINGLE_DISK_DICT_DP: ``(disk, instance)``; ED_DISKS_DICT_DP:
    ``(disks, instance)``; ED_MULTI_DISKS_DICT_DP: ``[(disk, instance),
    ...]``; ED_NODE_TO_DISK_DICT_DP: ``{node: [(disk, instance), ...]}``
    (each node gets its own list); ED_BLOCKDEV_RENAME: ``[(disk, new
    logical_id), ...]``; ED_FINALIZE_EXPORT_DISKS: ``[disk or False, ...]``;
    ED_NIC_DICT / ED_DEVICE_DICT: a NIC / device object.  Where an
    instance is expected, None uses the cluster-level disk parameters.
    """

    def _diskparams(inst: Any) -> dict[str, dict]:
        cluster = cfg.get_cluster_info()
        if inst is not None and getattr(inst, "primary_node", None):
            node = cfg.get_node_info(inst.primary_node)
            group = cfg.get_node_group(node.group) if node is not None else None
            if group is not None:
                return cluster.fill_diskparams(group)
        return cluster.simple_fill_dp(None)

    def _annotate(disk: Any, dparams: dict[str, dict]) -> dict[str, Any]:
        if isinstance(disk, dict):
            disk = objects.Disk.from_dict(disk)
        data = copy.deepcopy(disk.to_dict())

        def fill(d: dict[str, Any]) -> None:
            d["params"] = objects.fill_dict(dparams.get(d.get("dev_type"), {}), d.get("params"))
            for child in d.get("children") or []:
                fill(child)

        fill(data)
        return data

    def _pair(value: Any) -> tuple[Any, Any]:
        if isinstance(value, (tuple, list)) and len(value) == 2:
            return value[0], value[1]
        return value, None

    def single_disk(value: Any) -> dict[str, Any]:
        disk, inst = _pair(value)
        return _annotate(disk, _diskparams(inst))

    def disks_dp(value: Any) -> list[dict[str, Any]]:
        disks, inst = _pair(value)
        dparams = _diskparams(inst)
        return [_annotate(d, dparams) for d in disks or []]

    def multi_disks(value: Any) -> list[dict[str, Any]]:
        return [single_disk(item) for item in value or []]

    def inst_dict(
        inst: Any, hvp: dict | None = None, bep: dict | None = None, osp: dict | None = None
    ) -> dict[str, Any]:
        if isinstance(inst, dict):
            return inst
        cluster = cfg.get_cluster_info()
        data = copy.deepcopy(inst.to_dict())
        data["hvparams"] = cluster.fill_hvparams(inst)
        if hvp:
            data["hvparams"].update(hvp)
        data["beparams"] = cluster.fill_beparams(inst)
        if bep:
            data["beparams"].update(bep)
        data["osparams"] = cluster.simple_fill_os(inst.os or "", inst.osparams)
        for key in inst.osparams_private or {}:
            data["osparams"].pop(key, None)
        if osp:
            data["osparams"].update(osp)
        data["secondary_nodes"] = list(cfg.get_instance_secondary_nodes(inst.uuid))
        dparams = _diskparams(inst)
        data["disks_info"] = [_annotate(d, dparams) for d in cfg.get_instance_disks(inst.uuid)]
        for nic in data.get("nics") or []:
            nic["nicparams"] = cluster.simple_fill_nic(nic.get("nicparams"))
            if nic.get("network"):
                try:
                    net_uuid = cfg.lookup_network(nic["network"])
                except Exception:  # pylint: disable=broad-except
                    net_uuid = None
                net = cfg.get_network(net_uuid) if net_uuid else None
                if net is not None:
                    nic["netinfo"] = copy.deepcopy(net.to_dict())
        return data

    def inst_hvp_bep(value: Any) -> dict[str, Any]:
        if isinstance(value, (tuple, list)):
            inst, hvp, bep = (list(value) + [None, None])[:3]
            return inst_dict(inst, hvp=hvp, bep=bep)
        return inst_dict(value)

    def inst_osp(value: Any) -> dict[str, Any]:
        if isinstance(value, (tuple, list)):
            inst, osp = (list(value) + [None])[:2]
            return inst_dict(inst, osp=osp)
        return inst_dict(value)

    def node_to_disks(value: dict) -> PerNode:
        return PerNode({node: multi_disks(items) for node, items in (value or {}).items()})

    def blockdev_rename(value: Any) -> list:
        return [
            [d if isinstance(d, dict) else copy.deepcopy(d.to_dict()), list(new_id)]
            for d, new_id in value or []
        ]

    def finalize_export_disks(value: Any) -> list:
        return [
            d.to_dict() if hasattr(d, "to_dict") else (d if isinstance(d, dict) else False)
            for d in value or []
        ]

    def object_dict(value: Any) -> Any:
        return value.to_dict() if hasattr(value, "to_dict") else value

    return {
        defs.ED_INST_DICT: inst_dict,
        defs.ED_INST_DICT_HVP_BEP_DP: inst_hvp_bep,
        defs.ED_INST_DICT_OSP_DP: inst_osp,
        defs.ED_SINGLE_DISK_DICT_DP: single_disk,
        defs.ED_DISKS_DICT_DP: disks_dp,
        defs.ED_MULTI_DISKS_DICT_DP: multi_disks,
        defs.ED_NODE_TO_DISK_DICT_DP: node_to_disks,
        defs.ED_BLOCKDEV_RENAME: blockdev_rename,
        defs.ED_FINALIZE_EXPORT_DISKS: finalize_export_disks,
        defs.ED_NIC_DICT: object_dict,
        defs.ED_DEVICE_DICT: object_dict,
    }
