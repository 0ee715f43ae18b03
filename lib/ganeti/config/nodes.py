"""Nodes, node groups and networks of the ConfigWriter: lookups, name
expansion, adding, removing, regrouping and the master candidate pool.

A mixin of ConfigWriter (uses its ``_data``, ``_lock``, indexes and
``_write_config``); it must never be used on its own.
"""

import time
from typing import Any, Iterable

from ganeti import errors, objects
from ganeti.config.common import locked
from ganeti.utils import text as utils_text


class NodesMixin:
    """The node, node group and network methods of ConfigWriter."""

    # --- nodes -----------------------------------------------------------

    @locked
    def get_node_info(self, node_uuid: str) -> objects.Node | None:
        return self._data.nodes.get(node_uuid)

    @locked
    def get_node_info_by_name(self, node_name: str) -> objects.Node | None:
        uuid = self._node_names.lookup(node_name)
        return self._data.nodes.get(uuid) if uuid else None

    @locked
    def get_all_nodes_info(self) -> dict[str, objects.Node]:
        return dict(self._data.nodes)

    @locked
    def get_node_list(self) -> list[str]:
        return list(self._data.nodes)

    @locked
    def get_node_name(self, node_uuid: str) -> str | None:
        node = self._data.nodes.get(node_uuid)
        return node.name if node else None

    @locked
    def get_node_names(self, node_uuids: Iterable[str]) -> list[str]:
        """Names of ``node_uuids``; unknown UUIDs raise OpExecError."""
        result = []
        for uuid in node_uuids:
            node = self._data.nodes.get(uuid)
            if node is None:
                raise errors.OpExecError("Unknown node UUID %s" % uuid)
            result.append(node.name)
        return result

    @locked
    def get_online_node_list(self) -> list[str]:
        return [u for u, n in self._data.nodes.items() if not n.offline]

    @locked
    def get_vm_capable_node_list(self) -> list[str]:
        return [u for u, n in self._data.nodes.items() if n.vm_capable]

    @locked
    def get_non_vm_capable_node_list(self) -> list[str]:
        return [u for u, n in self._data.nodes.items() if not n.vm_capable]

    @locked
    def get_node_ndparams(self, node: objects.Node) -> dict[str, Any]:
        """The node's full parameters (cluster -> group -> node)."""
        group = self._data.nodegroups.get(node.group) or objects.NodeGroup(ndparams={})
        return self._data.cluster.fill_ndparams(node, group)

    @locked
    def get_node_instances(self, node_uuid: str) -> tuple[list[str], list[str]]:
        """UUIDs of the instances with ``node_uuid`` as (primary, secondary)."""
        pri, sec = [], []
        for inst in self._data.instances.values():
            if inst.primary_node == node_uuid:
                pri.append(inst.uuid)
            elif node_uuid in self._instance_nodes(inst):
                sec.append(inst.uuid)
        return pri, sec

    @locked
    def get_master_candidate_stats(
        self, exceptions: Iterable[str] | None = None
    ) -> tuple[int, int, int]:
        """(candidates now, candidates wanted, nodes able to be candidates)."""
        skip = set(exceptions or ())
        mc_now = mc_max = 0
        for node in self._data.nodes.values():
            if node.uuid in skip:
                continue
            if not (node.offline or node.drained) and node.master_capable:
                mc_max += 1
            if node.master_candidate:
                mc_now += 1
        return mc_now, min(mc_max, self._data.cluster.candidate_pool_size), mc_max

    @locked
    def maintain_candidate_pool(self, exception_node_uuids: Iterable[str] = ()) -> list:
        """Promotes nodes until the candidate pool is full; returns them."""
        skip = set(exception_node_uuids)
        mc_now, mc_should, _ = self.get_master_candidate_stats(skip)
        promoted = []
        if mc_now < mc_should:
            for uuid in utils_text.nice_sort(
                self._data.nodes, key=lambda u: self._data.nodes[u].name
            ):
                if mc_now >= mc_should:
                    break
                node = self._data.nodes[uuid]
                if (
                    node.master_candidate
                    or node.offline
                    or node.drained
                    or not node.master_capable
                    or uuid in skip
                ):
                    continue
                node.master_candidate = True
                node.serial_no += 1
                node.mtime = time.time()
                self._mark("nodes", uuid)
                promoted.append(node)
                mc_now += 1
            if promoted:
                self._data.cluster.serial_no += 1
                self._write_config()
        return promoted

    @locked
    def add_node(self, node: objects.Node, ec_id: Any) -> None:
        """Adds a new node (to its group, or the only group if unset)."""
        if self._node_names.lookup(node.name):
            raise errors.OpPrereqError(
                "Node '%s' is already in the configuration" % node.name, errors.ECODE_EXISTS
            )
        self._ensure_uuid(node, ec_id)
        node.group = self._lookup_node_group(node.group)
        node.serial_no = 1
        node.ctime = node.mtime = time.time()
        node.upgrade_config()
        group = self._data.nodegroups[node.group]
        if node.uuid not in group.members:
            group.members.append(node.uuid)
        self._data.nodes[node.uuid] = node
        self._node_names.add(node.uuid, node.name)
        self._mark("nodes", node.uuid)
        self._data.cluster.serial_no += 1
        self._write_config()

    @locked
    def remove_node(self, node_uuid: str) -> None:
        node = self._data.nodes.get(node_uuid)
        if node is None:
            raise errors.ConfigurationError("Unknown node '%s'" % node_uuid)
        group = self._data.nodegroups.get(node.group)
        if group is not None and node_uuid in group.members:
            group.members.remove(node_uuid)
        del self._data.nodes[node_uuid]
        self._node_names.remove(node_uuid)
        self._mark("nodes", node_uuid)
        self._data.cluster.serial_no += 1
        self._write_config()

    @locked
    def expand_node_name(self, short_name: str) -> tuple[str | None, str | None]:
        """(uuid, full name) for an exact or unique short name, else (None, None)."""
        uuid = self._node_names.expand(short_name)
        if uuid is None:
            return None, None
        return uuid, self._data.nodes[uuid].name

    # --- node groups -----------------------------------------------------

    def _lookup_node_group(self, target: str | None) -> str:
        groups = self._data.nodegroups
        if target is None:
            if len(groups) != 1:
                raise errors.OpPrereqError(
                    "More than one node group exists; the target group must be given",
                    errors.ECODE_INVAL,
                )
            return next(iter(groups))
        if target in groups:
            return target
        for group in groups.values():
            if group.name == target:
                return group.uuid
        raise errors.OpPrereqError("Node group '%s' not found" % target, errors.ECODE_NOENT)

    @locked
    def lookup_node_group(self, target: str | None) -> str:
        """UUID of the group named or identified by ``target`` (None: the
        only group); OpPrereqError ECODE_NOENT when there is none."""
        return self._lookup_node_group(target)

    @locked
    def get_node_group(self, uuid: str) -> objects.NodeGroup | None:
        return self._data.nodegroups.get(uuid)

    @locked
    def get_node_group_info_by_name(self, name: str) -> objects.NodeGroup | None:
        for group in self._data.nodegroups.values():
            if group.name == name:
                return group
        return None

    @locked
    def get_all_node_groups_info(self) -> dict[str, objects.NodeGroup]:
        return dict(self._data.nodegroups)

    @locked
    def get_node_group_list(self) -> list[str]:
        return list(self._data.nodegroups)

    @locked
    def get_node_groups_from_nodes(self, node_uuids: Iterable[str]) -> frozenset[str]:
        """UUIDs of the groups of ``node_uuids``."""
        result = set()
        for uuid in node_uuids:
            node = self._data.nodes.get(uuid)
            if node is None:
                raise errors.OpExecError("Unknown node UUID %s" % uuid)
            result.add(node.group)
        return frozenset(result)

    @locked
    def get_multi_node_info(self, node_uuids: Iterable[str]) -> list[tuple[str, Any]]:
        """[(uuid, Node or None)] for each of ``node_uuids``."""
        return [(uuid, self._data.nodes.get(uuid)) for uuid in node_uuids]

    @locked
    def get_node_group_members_by_nodes(self, node_uuids: Iterable[str]) -> frozenset[str]:
        """Every node sharing a group with one of ``node_uuids``."""
        result: set[str] = set()
        for uuid in node_uuids:
            node = self._data.nodes.get(uuid)
            if node is None:
                raise errors.OpExecError("Unknown node UUID %s" % uuid)
            result.update(self._data.nodegroups[node.group].members)
        return frozenset(result)

    @locked
    def add_node_group(self, group: objects.NodeGroup, ec_id: Any, check_uuid: bool = True) -> None:
        """Adds a node group; OpPrereqError ECODE_EXISTS if the name is taken."""
        for other in self._data.nodegroups.values():
            if other.name == group.name:
                raise errors.OpPrereqError(
                    "Desired group name '%s' already exists as a node group (UUID: %s)"
                    % (group.name, other.uuid),
                    errors.ECODE_EXISTS,
                )
        if check_uuid:
            self._ensure_uuid(group, ec_id)
        elif not group.uuid:
            group.uuid = self._generate_unique_id(ec_id)
        group.serial_no = 1
        group.ctime = group.mtime = time.time()
        group.upgrade_config()
        group.members = []
        self._data.nodegroups[group.uuid] = group
        self._mark("nodegroups", group.uuid)
        self._data.cluster.serial_no += 1
        self._write_config()

    @locked
    def remove_node_group(self, group_uuid: str) -> None:
        group = self._data.nodegroups.get(group_uuid)
        if group is None:
            raise errors.ConfigurationError("Unknown node group '%s'" % group_uuid)
        if group.members:
            raise errors.OpPrereqError(
                "Group '%s' still has %d node(s)" % (group.name, len(group.members)),
                errors.ECODE_STATE,
            )
        if len(self._data.nodegroups) == 1:
            raise errors.OpPrereqError("Cannot remove the last node group", errors.ECODE_STATE)
        del self._data.nodegroups[group_uuid]
        self._mark("nodegroups", group_uuid)
        self._data.cluster.serial_no += 1
        self._write_config()

    @locked
    def assign_group_nodes(self, mods: Iterable[tuple[str, str]]) -> None:
        """Moves nodes between groups: ``mods`` is [(node_uuid, new_group_uuid)]."""
        mods = list(mods)
        data = self._data
        for node_uuid, group_uuid in mods:
            node = data.nodes.get(node_uuid)
            if node is None:
                raise errors.ConfigurationError("Unknown node '%s'" % node_uuid)
            if group_uuid not in data.nodegroups:
                raise errors.ConfigurationError("Unknown node group '%s'" % group_uuid)
        now = time.time()
        for node_uuid, group_uuid in mods:
            node = data.nodes[node_uuid]
            if node.group == group_uuid:
                continue
            old = data.nodegroups.get(node.group)
            if old is not None:
                if node_uuid in old.members:
                    old.members.remove(node_uuid)
                old.serial_no += 1
                old.mtime = now
                self._mark("nodegroups", old.uuid)
            new = data.nodegroups[group_uuid]
            new.members.append(node_uuid)
            new.serial_no += 1
            new.mtime = now
            self._mark("nodegroups", group_uuid)
            node.group = group_uuid
            node.serial_no += 1
            node.mtime = now
            self._mark("nodes", node_uuid)
        data.cluster.serial_no += 1
        self._write_config()

    # --- networks --------------------------------------------------------

    @locked
    def get_network(self, uuid: str) -> objects.Network | None:
        return self._data.networks.get(uuid)

    @locked
    def get_all_networks_info(self) -> dict[str, objects.Network]:
        return dict(self._data.networks)

    @locked
    def get_network_list(self) -> list[str]:
        return list(self._data.networks)

    @locked
    def lookup_network(self, target: str | None) -> str | None:
        """UUID of the network named or identified by ``target`` (None -> None)."""
        if target is None:
            return None
        if target in self._data.networks:
            return target
        for net in self._data.networks.values():
            if net.name == target:
                return net.uuid
        raise errors.OpPrereqError("Network '%s' not found" % target, errors.ECODE_NOENT)

    @locked
    def add_network(self, net: objects.Network, ec_id: Any, check_uuid: bool = True) -> None:
        for other in self._data.networks.values():
            if other.name == net.name:
                raise errors.OpPrereqError(
                    "Network '%s' already exists" % net.name, errors.ECODE_EXISTS
                )
        if check_uuid:
            self._ensure_uuid(net, ec_id)
        elif not net.uuid:
            net.uuid = self._generate_unique_id(ec_id)
        net.serial_no = 1
        net.ctime = net.mtime = time.time()
        net.upgrade_config()
        self._data.networks[net.uuid] = net
        self._mark("networks", net.uuid)
        self._data.cluster.serial_no += 1
        self._write_config()

    @locked
    def remove_network(self, net_uuid: str) -> None:
        if net_uuid not in self._data.networks:
            raise errors.ConfigurationError("Unknown network '%s'" % net_uuid)
        del self._data.networks[net_uuid]
        self._mark("networks", net_uuid)
        self._data.cluster.serial_no += 1
        self._write_config()
