"""Disk verification of one node group: OP_GROUP_VERIFY_DISKS.

Owns finding, for the instances of a group whose disks should be active,
the disks the nodes report as not active (the instance is listed for
``gnt-cluster verify-disks`` to re-activate) and the ones that do not
exist at all (listed as missing: activation cannot help).  It asks every
node once (``blockdev_getmirrorstatus_multi``) and must never change a
disk or the configuration.
"""

from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti.cmdlib.base import NoHooksLU
from ganeti.utils import text as utext

#: disk types a node assembles on demand: "not found" means "not active"
_ASSEMBLED_ON_DEMAND = frozenset([constants.DT_DRBD8])


def _volume_name(disk: Any) -> str:
    """How verify-disks names a missing disk (Ganeti's ``vg/lv`` for LVM)."""
    lid = disk.logical_id or ()
    if disk.dev_type == constants.DT_PLAIN and len(lid) == 2:
        return "%s/%s" % (lid[0], lid[1])
    if disk.dev_type in (constants.DT_FILE, constants.DT_SHARED_FILE) and len(lid) == 2:
        return str(lid[1])
    return str(disk.iv_name or disk.uuid)


def _needs_activation(status: Any) -> bool:
    """True if a found device is not usable as it is (faulty local disk, or
    degraded without resyncing: a DRBD device that lost its peer)."""
    if not isinstance(status, dict):
        return True
    if status.get("ldisk_status") == constants.LDS_FAULTY:
        return True
    return bool(status.get("is_degraded")) and status.get("sync_percent") is None


class LUGroupVerifyDisks(NoHooksLU):
    """OP_GROUP_VERIFY_DISKS: ``(node errors, instances to activate, missing disks)``.

    Node errors are keyed by node name; missing disks map an instance name
    to ``[[node name, volume], ...]``.
    """

    REQ_BGL = False

    group_uuid = ""
    instances: list = []

    def _group_instances(self) -> list[str]:
        members = set(self.cfg.get_node_group(self.group_uuid).members)
        return sorted(
            inst.name
            for inst in self.cfg.get_all_instances_info().values()
            if inst.primary_node in members
        )

    def expand_names(self) -> None:
        self.group_uuid = self.cfg.lookup_node_group(self.op.group_name)
        self.needed_locks = {
            locking.LEVEL_INSTANCE: [],
            locking.LEVEL_NODEGROUP: [self.group_uuid],
            locking.LEVEL_NODE: [],
        }
        for level in self.needed_locks:
            self.share_locks[level] = 1

    def declare_locks(self, level: int) -> None:
        if level == locking.LEVEL_INSTANCE:
            # optimistic: check_prereq finds out if the group changed meanwhile
            self.needed_locks[locking.LEVEL_INSTANCE] = self._group_instances()
        elif level == locking.LEVEL_NODE:
            nodes: set[str] = set(self.cfg.get_node_group(self.group_uuid).members)
            for name in self.owned_locks(locking.LEVEL_INSTANCE):
                inst = self.cfg.get_instance_info_by_name(name)
                if inst is not None:
                    nodes.update(self.cfg.get_instance_nodes(inst.uuid))
            self.needed_locks[locking.LEVEL_NODE] = sorted(nodes)

    def check_prereq(self) -> None:
        group = self.cfg.get_node_group(self.group_uuid)
        if group is None:
            raise errors.OpPrereqError(
                "Node group %s disappeared" % self.op.group_name, errors.ECODE_NOENT
            )
        wanted = self._group_instances()
        owned = sorted(self.owned_locks(locking.LEVEL_INSTANCE))
        if wanted != owned:
            raise errors.OpPrereqError(
                "Instances in node group '%s' changed since locks were acquired, wanted"
                " '%s', have '%s'; retry the operation"
                % (
                    self.op.group_name,
                    ", ".join(wanted),
                    ", ".join(owned),
                ),
                errors.ECODE_STATE,
            )
        self.instances = [self.cfg.get_instance_info_by_name(name) for name in wanted]

    def exec(self, feedback_fn: Callable[..., None]) -> tuple[dict, list, dict]:
        cfg = self.cfg
        node_errors: dict[str, str] = {}
        offline: set[str] = set()
        missing: dict[str, list[list[str]]] = {}
        # node -> [(disk, instance), ...] of the instances whose disks should be up
        per_node: dict[str, list[tuple[Any, Any]]] = {}
        for inst in self.instances:
            if not inst.disks_active:
                continue
            for disk in cfg.get_instance_disks(inst.uuid):
                if disk.dev_type == constants.DT_DISKLESS:
                    continue
                for node in disk.all_nodes or [inst.primary_node]:
                    per_node.setdefault(node, []).append((disk, inst))
        nodes = {u: cfg.get_node_info(u) for u in per_node}
        asked = [u for u, node in nodes.items() if node is not None and not node.offline]
        if not asked:
            return node_errors, [], missing
        results = self.rpc.call_blockdev_getmirrorstatus_multi(
            asked, {u: per_node[u] for u in asked}
        )
        for node_uuid in asked:
            name = nodes[node_uuid].name
            res = results.get(node_uuid)
            if res is None or res.offline:
                continue
            if res.fail_msg:
                self.log_warning("Error verifying disks on node %s: %s", name, res.fail_msg)
                node_errors[name] = res.fail_msg
                continue
            payload = res.payload or []
            if len(payload) != len(per_node[node_uuid]):
                node_errors[name] = "Invalid disk status answer (%d entries for %d disks)" % (
                    len(payload),
                    len(per_node[node_uuid]),
                )
                continue
            for (disk, inst), entry in zip(per_node[node_uuid], payload):
                try:
                    success, status = entry
                except (TypeError, ValueError):
                    success, status = False, "invalid answer"
                if success:
                    if _needs_activation(status):
                        offline.add(inst.name)
                elif disk.dev_type in _ASSEMBLED_ON_DEMAND:
                    offline.add(inst.name)
                else:
                    missing.setdefault(inst.name, []).append([name, _volume_name(disk)])
        for ival in missing.values():
            ival.sort()
        return node_errors, utext.nice_sort(offline), missing
