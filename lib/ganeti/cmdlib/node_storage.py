"""What nodes store: OP_NODE_QUERYVOLS, OP_NODE_QUERY_STORAGE,
OP_NODE_MODIFY_STORAGE and OP_REPAIR_NODE_STORAGE.

Owns the logical volume and storage unit listings of ``gnt-node volumes``
and ``gnt-node list-storage`` (one parallel RPC to the online nodes asked,
rows in the requested field order, volumes mapped to the instances whose
disks they are), and the checks in front of a storage unit change or
repair, which only the node's storage code carries out.  The listings
must never change anything.
"""

from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti.cmdlib.base import NoHooksLU

_VOL_FIELDS = ("node", "phys", "vg", "name", "size", "instance")
_STORAGE_FIELDS = frozenset(constants.VALID_STORAGE_FIELDS) | {
    constants.SF_NODE,
    constants.SF_TYPE,
}
_LISTABLE = (constants.ST_FILE, constants.ST_SHARED_FILE)


def _check_fields(fields: list[str], valid: Any) -> None:
    unknown = [f for f in fields if f not in valid]
    if unknown:
        raise errors.OpPrereqError(
            "Unknown output fields selected: %s" % ", ".join(unknown), errors.ECODE_INVAL
        )


def _online_nodes(cfg: Any, names: list[str]) -> list[Any]:
    nodes = cfg.get_all_nodes_info()
    if not names:
        return sorted((n for n in nodes.values() if not n.offline), key=lambda n: n.name)
    result = []
    for name in names:
        uuid, _ = cfg.expand_node_name(name)
        if uuid is None:
            raise errors.OpPrereqError("Node '%s' not known" % name, errors.ECODE_NOENT)
        if not nodes[uuid].offline:
            result.append(nodes[uuid])
    return result


class LUNodeQueryvols(NoHooksLU):
    """The logical volumes on nodes (none where LVM is not in use)."""

    REQ_BGL = False

    def check_arguments(self) -> None:
        _check_fields(self.op.output_fields, _VOL_FIELDS)

    def expand_names(self) -> None:
        self.needed_locks = {}

    def exec(self, feedback_fn: Callable[..., None]) -> list:
        cfg = self.cfg
        nodes = _online_nodes(cfg, self.op.nodes)
        owners: dict[tuple[str, str], str] = {}
        for inst in cfg.get_all_instances_info().values():
            for disk in cfg.get_instance_disks(inst.uuid):
                for child in [disk] + list(disk.children or []):
                    if child.dev_type == constants.DT_PLAIN and child.logical_id:
                        for node in child.all_nodes or [inst.primary_node]:
                            owners[(node, child.logical_id[1])] = inst.name
        results = self.rpc.call_node_volumes([n.uuid for n in nodes]) if nodes else {}
        rows = []
        for node in nodes:
            res = results.get(node.uuid)
            if res is None or res.fail_msg:
                if res is not None:
                    self.log_warning(
                        "Can't compute volume data on node %s: %s", node.name, res.fail_msg
                    )
                continue
            for vol in sorted(res.payload or [], key=lambda v: v.get("dev", "")):
                values = {
                    "node": node.name,
                    "phys": vol.get("dev"),
                    "vg": vol.get("vg"),
                    "name": vol.get("name"),
                    "size": int(float(vol.get("size") or 0)),
                    "instance": owners.get((node.uuid, vol.get("name")), "-"),
                }
                rows.append([str(values[f]) for f in self.op.output_fields])
        return rows


class LUNodeQueryStorage(NoHooksLU):
    """Storage units (file storage directories here) of nodes."""

    REQ_BGL = False
    storage_type: str = constants.ST_FILE

    def check_arguments(self) -> None:
        _check_fields(self.op.output_fields, _STORAGE_FIELDS)

    def expand_names(self) -> None:
        self.needed_locks = {}

    def check_prereq(self) -> None:
        cluster = self.cfg.get_cluster_info()
        stype = self.op.storage_type
        if stype is None:
            for template in cluster.enabled_disk_templates or []:
                candidate = constants.MAP_DISK_TEMPLATE_STORAGE_TYPE.get(template)
                if candidate in _LISTABLE:
                    stype = candidate
                    break
            if stype is None:
                raise errors.OpPrereqError(
                    "No storage type given and no enabled disk template has listable storage",
                    errors.ECODE_INVAL,
                )
        if stype not in _LISTABLE:
            raise errors.OpPrereqError(
                "Storage type '%s' cannot be listed on this system (available: %s)"
                % (stype, ", ".join(_LISTABLE)),
                errors.ECODE_INVAL,
            )
        self.storage_type = stype

    def exec(self, feedback_fn: Callable[..., None]) -> list:
        cfg = self.cfg
        cluster = cfg.get_cluster_info()
        directory = (
            cluster.file_storage_dir
            if self.storage_type == constants.ST_FILE
            else cluster.shared_file_storage_dir
        )
        nodes = _online_nodes(cfg, self.op.nodes)
        fields = list(self.op.output_fields)
        asked = [constants.SF_NAME] + [
            f for f in fields if f not in (constants.SF_NODE, constants.SF_TYPE, constants.SF_NAME)
        ]
        results = (
            self.rpc.call_storage_list(
                [n.uuid for n in nodes], self.storage_type, [[directory]], self.op.name, asked
            )
            if nodes
            else {}
        )
        rows = []
        for node in nodes:
            res = results.get(node.uuid)
            if res is None or res.fail_msg:
                if res is not None:
                    self.log_warning(
                        "Can't get storage data from node %s: %s", node.name, res.fail_msg
                    )
                continue
            for row in sorted(res.payload or [], key=lambda r: r[0]):
                values = dict(zip(asked, row))
                values[constants.SF_NODE] = node.name
                values[constants.SF_TYPE] = self.storage_type
                rows.append([values[f] for f in fields])
        return rows


# --- modify, repair -----------------------------------------------------------------


def check_storage_type_enabled(cluster: Any, storage_type: str) -> None:
    """Refuses a storage type no enabled disk template uses (lvm-pv goes
    with lvm-vg)."""
    backing = constants.ST_LVM_VG if storage_type == constants.ST_LVM_PV else storage_type
    templates = [t for t, st in constants.MAP_DISK_TEMPLATE_STORAGE_TYPE.items() if st == backing]
    if not set(templates) & set(cluster.enabled_disk_templates or ()):
        raise errors.OpPrereqError(
            "Storage type '%s' is not enabled: enable one of the disk templates %s"
            % (storage_type, ", ".join(sorted(templates)) or "(none)"),
            errors.ECODE_STATE,
        )


def storage_type_args(cfg: Any, storage_type: str) -> list:
    """The storage-type-specific arguments of the storage RPC calls."""
    cluster = cfg.get_cluster_info()
    if storage_type == constants.ST_FILE:
        return [[cluster.file_storage_dir]]
    if storage_type == constants.ST_SHARED_FILE:
        return [[cluster.shared_file_storage_dir]]
    return []


class _NodeStorageLU(NoHooksLU):
    """One storage unit of one node, under that node's lock."""

    REQ_BGL = False

    node_uuid = ""

    def _expand_node(self) -> None:
        from ganeti.cmdlib import instance_utils as iu

        self.node_uuid, self.op.node_name = iu.expand_node(
            self.cfg, self.op.node_name, self.op.node_uuid
        )
        self.op.node_uuid = self.node_uuid

    def expand_names(self) -> None:
        self.needed_locks = {locking.LEVEL_NODE: [self.node_uuid]}

    def check_prereq(self) -> None:
        check_storage_type_enabled(self.cfg.get_cluster_info(), self.op.storage_type)
        node = self.cfg.get_node_info(self.node_uuid)
        if node.offline:
            raise errors.OpPrereqError(
                "Can't operate on storage of the offline node %s" % node.name,
                errors.ECODE_STATE,
            )


class LUNodeModifyStorage(_NodeStorageLU):
    """OP_NODE_MODIFY_STORAGE: changes attributes of a storage unit (only the
    ``allocatable`` flag of LVM physical volumes can change)."""

    def check_arguments(self) -> None:
        self._expand_node()
        storage_type = self.op.storage_type
        modifiable = constants.MODIFIABLE_STORAGE_FIELDS.get(storage_type)
        if modifiable is None:
            raise errors.OpPrereqError(
                "Storage units of type '%s' can not be modified" % storage_type,
                errors.ECODE_INVAL,
            )
        diff = set(self.op.changes or {}) - set(modifiable)
        if diff:
            raise errors.OpPrereqError(
                "The following fields can not be modified for storage units of type"
                " '%s': %s" % (storage_type, ", ".join(sorted(map(str, diff)))),
                errors.ECODE_INVAL,
            )

    def exec(self, feedback_fn: Callable[..., None]) -> None:
        result = self.rpc.call_storage_modify(
            self.node_uuid,
            self.op.storage_type,
            storage_type_args(self.cfg, self.op.storage_type),
            self.op.name,
            self.op.changes,
        )
        result.raise_error(
            "Failed to modify storage unit '%s' on %s" % (self.op.name, self.op.node_name)
        )


class LURepairNodeStorage(_NodeStorageLU):
    """OP_REPAIR_NODE_STORAGE: repairs a storage unit (LVM volume groups)."""

    def check_arguments(self) -> None:
        self._expand_node()
        operations = constants.VALID_STORAGE_OPERATIONS.get(self.op.storage_type, ())
        if constants.SO_FIX_CONSISTENCY not in operations:
            raise errors.OpPrereqError(
                "Storage units of type '%s' can not be repaired" % self.op.storage_type,
                errors.ECODE_INVAL,
            )

    def exec(self, feedback_fn: Callable[..., None]) -> None:
        result = self.rpc.call_storage_execute(
            self.node_uuid,
            self.op.storage_type,
            storage_type_args(self.cfg, self.op.storage_type),
            self.op.name,
            constants.SO_FIX_CONSISTENCY,
        )
        result.raise_error(
            "Failed to repair storage unit '%s' on %s" % (self.op.name, self.op.node_name)
        )
