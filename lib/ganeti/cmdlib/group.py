"""Node group logical units: add, remove, rename, modify, assign nodes.

Owns the rules of node groups (unique names, only empty groups go, never
the last one, parameters checked before they are stored, nodes move only
when no instance would be split unless forced) and the parameter update
helpers shared with the node LUs (``update_params``, ``update_ipolicy``).
It must never talk to nodes: group operations only change the
configuration (which the master then distributes).
"""

from typing import Any

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import objects
from ganeti.cmdlib.base import LogicalUnit, NoHooksLU


# --- parameter helpers (shared with cmdlib.node) -------------------------------------------


def force_param_types(params: dict[str, Any], key_types: dict[str, str], what: str) -> None:
    """Converts ``params`` values in place to their types (CLI strings
    become ints, bools...); OpPrereqError ECODE_INVAL on a bad key or value."""
    from ganeti.cli_opts import convert_param_types  # the one converter of VTYPE values

    try:
        convert_param_types(params, key_types)
    except (errors.TypeEnforcementError, errors.UnitParseError) as err:
        raise errors.OpPrereqError(
            "Invalid %s parameters: %s" % (what, err), errors.ECODE_INVAL
        ) from None


def update_params(
    old: dict[str, Any] | None,
    changes: dict[str, Any] | None,
    key_types: dict[str, str] | None = None,
    what: str = "",
) -> dict[str, Any]:
    """``old`` with ``changes`` applied: a value of ``default`` (or None)
    removes the key so it is inherited again.  Returns a new dict whose
    values are converted and checked against ``key_types`` when given."""
    result = dict(old or {})
    changes = dict(changes or {})
    if key_types is not None:
        unknown = sorted(set(changes) - set(key_types))
        if unknown:
            raise errors.OpPrereqError(
                "Unknown %s parameter(s): %s" % (what, ", ".join(unknown)), errors.ECODE_INVAL
            )
    for key, value in changes.items():
        if value is None or value == constants.VALUE_DEFAULT:
            result.pop(key, None)
        else:
            result[key] = value
    if key_types is not None:
        force_param_types(result, key_types, what)
    return result


def check_params_not_global(params: dict[str, Any] | None, globals_: frozenset, level: str) -> None:
    """Refuses parameters that only exist cluster-wide."""
    used = sorted(set(params or {}) & set(globals_))
    if used:
        raise errors.OpPrereqError(
            "The following parameters are global and cannot be set at %s level: %s"
            % (level, ", ".join(used)),
            errors.ECODE_INVAL,
        )


def _float_param(key: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise errors.OpPrereqError(
            "Invalid value for ipolicy parameter '%s': %r is not a number" % (key, value),
            errors.ECODE_INVAL,
        ) from None


def update_ipolicy(
    old: dict[str, Any] | None, changes: dict[str, Any], cluster: Any, group_policy: bool = True
) -> dict[str, Any]:
    """A group's instance policy with ``changes`` applied and checked.

    ``default`` (or None) removes a key so the cluster's value applies; a
    group policy cannot hold standard specs.  The result, filled with the
    cluster's policy, must be a valid policy.
    """
    result = dict(old or {})
    for key, value in changes.items():
        if key not in constants.IPOLICY_ALL_KEYS:
            raise errors.OpPrereqError(
                "Invalid key in instance policy: '%s'" % key, errors.ECODE_INVAL
            )
        if group_policy and key == constants.ISPECS_STD:
            raise errors.OpPrereqError(
                "Standard specifications (std) are cluster-wide; a group policy cannot set them",
                errors.ECODE_INVAL,
            )
        if value is None or value == constants.VALUE_DEFAULT:
            result.pop(key, None)
        elif key in constants.IPOLICY_PARAMETERS:
            result[key] = _float_param(key, value)
        elif key == constants.IPOLICY_DTS:
            if not isinstance(value, (list, tuple)):
                raise errors.OpPrereqError(
                    "Disk templates of an instance policy must be a list", errors.ECODE_INVAL
                )
            result[key] = list(value)
        else:
            result[key] = value
    try:
        objects.InstancePolicy.check_parameter_syntax(result, check_std=False)
        objects.InstancePolicy.check_parameter_syntax(cluster.simple_fill_ipolicy(result), True)
    except errors.ConfigurationError as err:
        raise errors.OpPrereqError(
            "Invalid instance policy: %s" % err, errors.ECODE_INVAL
        ) from None
    return result


def update_diskparams(
    old: dict[str, dict] | None, changes: dict[str, dict] | None
) -> dict[str, dict]:
    """Per-template disk parameters with ``changes`` applied and checked."""
    result = {dt: dict(params) for dt, params in (old or {}).items()}
    for template, params in (changes or {}).items():
        if template not in constants.DISK_TEMPLATES:
            raise errors.OpPrereqError(
                "Unknown disk template '%s' in disk parameters" % template, errors.ECODE_INVAL
            )
        key_types = {
            key: constants.DISK_DT_TYPES[key]
            for key in constants.DISK_DT_DEFAULTS.get(template, {})
        }
        merged = update_params(result.get(template), params, key_types, "disk (%s)" % template)
        if merged:
            result[template] = merged
        else:
            result.pop(template, None)
    return result


def _check_alloc_policy(policy: str | None) -> None:
    if policy is not None and policy not in constants.VALID_ALLOC_POLICIES:
        raise errors.OpPrereqError(
            "Invalid allocation policy '%s' (valid: %s)"
            % (policy, ", ".join(constants.VALID_ALLOC_POLICIES)),
            errors.ECODE_INVAL,
        )


def lookup_group(cfg: Any, name: str) -> str:
    """UUID of group ``name`` (or UUID); OpPrereqError ECODE_NOENT if unknown."""
    return cfg.lookup_node_group(name)


def _group_hooks_nodes(lu: LogicalUnit, group_uuid: str | None = None) -> list[str]:
    nodes = [lu.cfg.get_master_node()]
    if group_uuid is not None:
        group = lu.cfg.get_node_group(group_uuid)
        for member in group.members if group is not None else []:
            if member not in nodes:
                nodes.append(member)
    return nodes


# --- logical units --------------------------------------------------------------------------


class LUGroupAdd(LogicalUnit):
    """OP_GROUP_ADD: creates a node group."""

    HPATH = "group-add"
    HTYPE = constants.HTYPE_GROUP
    REQ_BGL = False

    group_uuid: str
    group: objects.NodeGroup

    def check_arguments(self) -> None:
        _check_alloc_policy(self.op.alloc_policy)

    def expand_names(self) -> None:
        existing = self.cfg.get_node_group_info_by_name(self.op.group_name)
        if existing is not None:
            raise errors.OpPrereqError(
                "Desired group name '%s' already exists as a node group (UUID: %s)"
                % (self.op.group_name, existing.uuid),
                errors.ECODE_EXISTS,
            )
        self.needed_locks = {}
        self.group_uuid = self.cfg.generate_unique_id(self.proc_ec_id())
        self.add_locks[locking.LEVEL_NODEGROUP] = self.group_uuid

    def proc_ec_id(self) -> Any:
        return getattr(self.proc, "_ec_id", None)

    def check_prereq(self) -> None:
        existing = self.cfg.get_node_group_info_by_name(self.op.group_name)
        if existing is not None:
            raise errors.OpPrereqError(
                "Desired group name '%s' already exists as a node group (UUID: %s)"
                % (self.op.group_name, existing.uuid),
                errors.ECODE_EXISTS,
            )
        cluster = self.cfg.get_cluster_info()
        ndparams = update_params({}, self.op.ndparams, constants.NDS_PARAMETER_TYPES, "node")
        check_params_not_global(ndparams, constants.NDC_GLOBALS, "group")
        diskparams = update_diskparams({}, self.op.diskparams)
        ipolicy = update_ipolicy({}, self.op.ipolicy or {}, cluster)
        self.group = objects.NodeGroup(
            name=self.op.group_name,
            uuid=self.group_uuid,
            members=[],
            ndparams=ndparams,
            diskparams=diskparams,
            ipolicy=ipolicy,
            alloc_policy=self.op.alloc_policy or constants.ALLOC_POLICY_PREFERRED,
            hv_state_static=self.op.hv_state or {},
            disk_state_static=self.op.disk_state or {},
            networks={},
        )

    def build_hooks_env(self) -> dict[str, Any]:
        return {"GROUP_NAME": self.op.group_name}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        nodes = _group_hooks_nodes(self)
        return nodes, nodes

    def exec(self, feedback_fn: Any) -> None:
        self.cfg.add_node_group(self.group, self.proc_ec_id(), check_uuid=False)


class LUGroupRemove(LogicalUnit):
    """OP_GROUP_REMOVE: deletes an empty node group (never the last one).

    It runs alone (the BGL exclusively) and deletes the group's lock itself.
    """

    HPATH = "group-remove"
    HTYPE = constants.HTYPE_GROUP
    REQ_BGL = True

    group_uuid: str

    def expand_names(self) -> None:
        self.group_uuid = lookup_group(self.cfg, self.op.group_name)
        self.needed_locks = {}

    def check_prereq(self) -> None:
        group = self.cfg.get_node_group(self.group_uuid)
        members = self.cfg.get_node_names(group.members)
        if members:
            raise errors.OpPrereqError(
                "Group '%s' not empty, has the following node(s): %s"
                % (self.op.group_name, ", ".join(sorted(members))),
                errors.ECODE_STATE,
            )
        if len(self.cfg.get_node_group_list()) == 1:
            raise errors.OpPrereqError(
                "Group '%s' is the only group, cannot be removed" % self.op.group_name,
                errors.ECODE_STATE,
            )

    def build_hooks_env(self) -> dict[str, Any]:
        return {"GROUP_NAME": self.op.group_name}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        nodes = _group_hooks_nodes(self)
        return nodes, nodes

    def exec(self, feedback_fn: Any) -> None:
        self.cfg.remove_node_group(self.group_uuid)
        if self.glm is not None and self.group_uuid in self.glm.names(locking.LEVEL_NODEGROUP):
            self.glm.remove(locking.LEVEL_NODEGROUP, self.group_uuid)


class LUGroupRename(LogicalUnit):
    """OP_GROUP_RENAME: gives a node group a new (unique) name."""

    HPATH = "group-rename"
    HTYPE = constants.HTYPE_GROUP
    REQ_BGL = False

    group_uuid: str

    def expand_names(self) -> None:
        self.group_uuid = lookup_group(self.cfg, self.op.group_name)
        self.needed_locks = {locking.LEVEL_NODEGROUP: [self.group_uuid]}

    def check_prereq(self) -> None:
        other = self.cfg.get_node_group_info_by_name(self.op.new_name)
        if other is not None:
            raise errors.OpPrereqError(
                "Desired new name '%s' clashes with existing node group %s"
                % (self.op.new_name, other.uuid),
                errors.ECODE_EXISTS,
            )

    def build_hooks_env(self) -> dict[str, Any]:
        return {"OLD_NAME": self.op.group_name, "NEW_NAME": self.op.new_name}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        nodes = _group_hooks_nodes(self, self.group_uuid)
        return nodes, nodes

    def exec(self, feedback_fn: Any) -> str:
        group = self.cfg.get_node_group(self.group_uuid)
        if group is None:
            raise errors.OpExecError("Node group '%s' vanished" % self.op.group_name)
        group.name = self.op.new_name
        self.cfg.update(group, feedback_fn)
        return self.op.new_name


class LUGroupSetParams(LogicalUnit):
    """OP_GROUP_SET_PARAMS: changes a group's policies and parameters."""

    HPATH = "group-modify"
    HTYPE = constants.HTYPE_GROUP
    REQ_BGL = False

    group_uuid: str
    new: dict[str, Any]

    _CHANGES = ("alloc_policy", "ndparams", "diskparams", "hv_state", "disk_state", "ipolicy")

    def check_arguments(self) -> None:
        if all(getattr(self.op, name, None) is None for name in self._CHANGES):
            raise errors.OpPrereqError("Please pass at least one modification", errors.ECODE_INVAL)
        _check_alloc_policy(self.op.alloc_policy)

    def expand_names(self) -> None:
        self.group_uuid = lookup_group(self.cfg, self.op.group_name)
        self.needed_locks = {locking.LEVEL_NODEGROUP: [self.group_uuid]}

    def check_prereq(self) -> None:
        group = self.cfg.get_node_group(self.group_uuid)
        cluster = self.cfg.get_cluster_info()
        self.new = {}
        if self.op.ndparams is not None:
            ndparams = update_params(
                group.ndparams, self.op.ndparams, constants.NDS_PARAMETER_TYPES, "node"
            )
            check_params_not_global(ndparams, constants.NDC_GLOBALS, "group")
            self.new["ndparams"] = ndparams
        if self.op.diskparams is not None:
            self.new["diskparams"] = update_diskparams(group.diskparams, self.op.diskparams)
        if self.op.ipolicy is not None:
            self.new["ipolicy"] = update_ipolicy(group.ipolicy, self.op.ipolicy, cluster)
        if self.op.hv_state is not None:
            self.new["hv_state_static"] = update_params(group.hv_state_static, self.op.hv_state)
        if self.op.disk_state is not None:
            self.new["disk_state_static"] = update_params(
                group.disk_state_static, self.op.disk_state
            )
        if self.op.alloc_policy is not None:
            self.new["alloc_policy"] = self.op.alloc_policy

    def build_hooks_env(self) -> dict[str, Any]:
        return {"GROUP_NAME": self.op.group_name, "NEW_ALLOC_POLICY": self.op.alloc_policy}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        nodes = _group_hooks_nodes(self, self.group_uuid)
        return nodes, nodes

    def exec(self, feedback_fn: Any) -> list[tuple[str, Any]]:
        group = self.cfg.get_node_group(self.group_uuid)
        result = []
        for attr, value in self.new.items():
            setattr(group, attr, value)
            name = {"hv_state_static": "hv_state", "disk_state_static": "disk_state"}.get(
                attr, attr
            )
            result.append((name, value if attr == "alloc_policy" else str(value)))
        self.cfg.update(group, feedback_fn)
        return result


class LUGroupAssignNodes(NoHooksLU):
    """OP_GROUP_ASSIGN_NODES: moves nodes into a group.

    Moving a node away from the other nodes of one of its (internally
    mirrored) instances splits that instance between groups: refused
    unless ``force``.
    """

    REQ_BGL = False

    group_uuid: str
    node_uuids: list[str]

    def expand_names(self) -> None:
        self.group_uuid = lookup_group(self.cfg, self.op.group_name)
        self.node_uuids = []
        for name in self.op.nodes:
            uuid, _ = self.cfg.expand_node_name(name)
            if uuid is None:
                raise errors.OpPrereqError("Node '%s' not known" % name, errors.ECODE_NOENT)
            self.node_uuids.append(uuid)
        self.needed_locks = {
            locking.LEVEL_NODEGROUP: [],
            locking.LEVEL_NODE: list(self.node_uuids),
        }

    def declare_locks(self, level: int) -> None:
        if level == locking.LEVEL_NODEGROUP:
            groups = set(self.cfg.get_node_groups_from_nodes(self.node_uuids))
            groups.add(self.group_uuid)
            self.needed_locks[level] = sorted(groups)

    def check_prereq(self) -> None:
        owned = self.owned_locks(locking.LEVEL_NODEGROUP)
        current = set(self.cfg.get_node_groups_from_nodes(self.node_uuids))
        if self.glm is not None and owned and not current <= owned | {self.group_uuid}:
            raise errors.OpPrereqError(
                "The nodes changed groups while the job waited for its locks; retry",
                errors.ECODE_STATE,
            )
        moving = set(self.node_uuids)
        new_group = {
            uuid: (self.group_uuid if uuid in moving else node.group)
            for uuid, node in self.cfg.get_all_nodes_info().items()
        }
        split = []
        for inst in self.cfg.get_all_instances_info().values():
            if self.cfg.get_instance_disk_template(inst.uuid) not in constants.DTS_INT_MIRROR:
                continue
            inst_nodes = self.cfg.get_instance_nodes(inst.uuid)
            if not moving & set(inst_nodes):
                continue
            if len({new_group[n] for n in inst_nodes if n in new_group}) > 1:
                split.append(inst.name)
        if split:
            msg = "In addition, these instances would be split between groups: %s" % ", ".join(
                sorted(split)
            )
            if not self.op.force:
                raise errors.OpPrereqError(
                    "Moving these nodes would split instances between groups. %s;"
                    " use --force to move them anyway" % msg,
                    errors.ECODE_INVAL,
                )
            self.log_warning("This operation splits instances between groups: %s", ", ".join(split))

    def exec(self, feedback_fn: Any) -> None:
        mods = [(uuid, self.group_uuid) for uuid in self.node_uuids]
        self.cfg.assign_group_nodes(mods)
