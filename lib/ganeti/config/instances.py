"""Instances and disks of the ConfigWriter: lookups, name expansion,
adding (with disks), removing, renaming and admin state changes.

A mixin of ConfigWriter (uses its ``_data``, ``_lock``, indexes and
``_write_config``); it must never be used on its own.
"""

import os
import time
from typing import Any, Iterable

from ganeti import constants, errors, objects
from ganeti.config.common import locked


class InstancesMixin:
    """The instance and disk methods of ConfigWriter."""

    # --- instances and disks ---------------------------------------------

    @locked
    def get_instance_info(self, inst_uuid: str) -> objects.Instance | None:
        return self._data.instances.get(inst_uuid)

    @locked
    def get_instance_info_by_name(self, name: str) -> objects.Instance | None:
        uuid = self._inst_names.lookup(name)
        return self._data.instances.get(uuid) if uuid else None

    @locked
    def get_all_instances_info(self) -> dict[str, objects.Instance]:
        return dict(self._data.instances)

    @locked
    def get_instance_list(self) -> list[str]:
        return list(self._data.instances)

    @locked
    def get_instance_name(self, inst_uuid: str) -> str | None:
        inst = self._data.instances.get(inst_uuid)
        return inst.name if inst else None

    @locked
    def get_instance_names(self, inst_uuids: Iterable[str]) -> list[str]:
        result = []
        for uuid in inst_uuids:
            inst = self._data.instances.get(uuid)
            if inst is None:
                raise errors.OpExecError("Unknown instance UUID %s" % uuid)
            result.append(inst.name)
        return result

    @locked
    def expand_instance_name(self, short_name: str) -> tuple[str | None, str | None]:
        """(uuid, full name) for an exact or unique short name, else (None, None)."""
        uuid = self._inst_names.expand(short_name)
        if uuid is None:
            return None, None
        return uuid, self._data.instances[uuid].name

    def _instance_disks(self, inst: objects.Instance) -> list[objects.Disk]:
        disks = self._data.disks
        try:
            return [disks[u] for u in inst.disks]
        except KeyError as err:
            raise errors.ConfigurationError(
                "Instance %s refers to unknown disk %s" % (inst.name, err.args[0])
            ) from None

    def _instance_nodes(self, inst: objects.Instance) -> list[str]:
        nodes = [inst.primary_node]
        for disk in self._instance_disks(inst):
            for node in disk.all_nodes:
                if node not in nodes:
                    nodes.append(node)
        return nodes

    def _get_instance(self, inst_uuid: str) -> objects.Instance:
        inst = self._data.instances.get(inst_uuid)
        if inst is None:
            raise errors.ConfigurationError("Unknown instance '%s'" % inst_uuid)
        return inst

    @locked
    def get_instance_disks(self, inst_uuid: str) -> list[objects.Disk]:
        """The instance's Disk objects, in order."""
        return self._instance_disks(self._get_instance(inst_uuid))

    @locked
    def get_instance_nodes(self, inst_uuid: str) -> list[str]:
        """Every node of the instance, primary first."""
        return self._instance_nodes(self._get_instance(inst_uuid))

    @locked
    def get_instance_secondary_nodes(self, inst_uuid: str) -> list[str]:
        return self._instance_nodes(self._get_instance(inst_uuid))[1:]

    @locked
    def get_instance_node_groups(self, inst_uuid: str, primary_only: bool = False) -> frozenset:
        """UUIDs of the groups of the instance's (primary) node(s)."""
        inst = self._get_instance(inst_uuid)
        nodes = [inst.primary_node] if primary_only else self._instance_nodes(inst)
        return frozenset(self._data.nodes[n].group for n in nodes if n in self._data.nodes)

    @locked
    def get_multi_instance_info(self, inst_uuids: Iterable[str]) -> list[tuple[str, Any]]:
        """[(uuid, Instance or None)] for each of ``inst_uuids``."""
        return [(uuid, self._data.instances.get(uuid)) for uuid in inst_uuids]

    @locked
    def get_instance_disk_template(self, inst_uuid: str) -> str:
        """The instance's disk template, computed from its disks (3.0)."""
        disks = self._instance_disks(self._get_instance(inst_uuid))
        if not disks:
            return constants.DT_DISKLESS
        return disks[0].dev_type

    @locked
    def get_disk_info(self, disk_uuid: str) -> objects.Disk | None:
        return self._data.disks.get(disk_uuid)

    @locked
    def get_all_disks_info(self) -> dict[str, objects.Disk]:
        return dict(self._data.disks)

    def _all_macs(self) -> set[str]:
        return {nic.mac for inst in self._data.instances.values() for nic in inst.nics if nic.mac}

    def _add_disk(self, disk: objects.Disk, ec_id: Any, replace: bool) -> None:
        if not isinstance(disk, objects.Disk):
            raise errors.ProgrammerError("Invalid type passed as disk: %r" % (disk,))
        if not (replace and disk.uuid in self._data.disks):
            self._ensure_uuid(disk, ec_id)
        disk.serial_no = disk.serial_no or 1
        disk.ctime = disk.ctime or time.time()
        disk.mtime = time.time()
        disk.upgrade_config()
        self._data.disks[disk.uuid] = disk
        self._mark("disks", disk.uuid)

    @locked
    def add_instance(
        self,
        instance: objects.Instance,
        ec_id: Any,
        replace: bool = False,
        disks: list[objects.Disk] | None = None,
    ) -> None:
        """Adds an instance (and, if given, its new ``disks``, attached in order).

        ``replace`` overwrites an instance with the same UUID.
        """
        if not isinstance(instance, objects.Instance):
            raise errors.ProgrammerError("Invalid type passed to add_instance: %r" % (instance,))
        data = self._data
        existing = data.instances.get(instance.uuid) if instance.uuid else None
        if replace and existing is None:
            raise errors.ConfigurationError("Instance %s does not exist" % instance.uuid)
        other = self._inst_names.lookup(instance.name)
        if other is not None and other != instance.uuid:
            raise errors.OpPrereqError(
                "Instance '%s' is already in the configuration" % instance.name,
                errors.ECODE_EXISTS,
            )
        if instance.primary_node not in data.nodes:
            raise errors.ConfigurationError(
                "Instance %s has unknown primary node %s" % (instance.name, instance.primary_node)
            )
        own_macs = {n.mac for n in existing.nics} if existing is not None else set()
        all_macs = self._all_macs() - own_macs
        for nic in instance.nics:
            if nic.mac in all_macs:
                raise errors.ConfigurationError(
                    "Cannot add instance %s: MAC address '%s' already in use"
                    % (instance.name, nic.mac)
                )
        if instance.disks is None:
            instance.disks = []
        missing = [u for u in instance.disks if u not in data.disks]
        if missing:
            raise errors.ConfigurationError(
                "Instance %s refers to unknown disk(s) %s" % (instance.name, ", ".join(missing))
            )
        for disk in disks or []:
            if not isinstance(disk, objects.Disk):
                raise errors.ProgrammerError("Invalid type passed as disk: %r" % (disk,))
        if not replace:
            self._ensure_uuid(instance, ec_id)
        for nic in instance.nics:
            if not nic.uuid:
                nic.uuid = self._generate_unique_id(ec_id)
        for disk in disks or []:
            self._add_disk(disk, ec_id, replace=False)
            instance.disks.append(disk.uuid)
        for pos, disk_uuid in enumerate(instance.disks):
            data.disks[disk_uuid].iv_name = "disk/%d" % pos
        instance.serial_no = 1 if not replace else (existing.serial_no or 0) + 1
        now = time.time()
        instance.ctime = instance.ctime if replace and instance.ctime else now
        instance.mtime = now
        instance.upgrade_config()
        data.instances[instance.uuid] = instance
        self._inst_names.add(instance.uuid, instance.name)
        self._mark("instances", instance.uuid)
        self._commit_temporary_ips(ec_id)
        data.cluster.serial_no += 1
        self._write_config()

    @locked
    def add_instance_disk(
        self,
        inst_uuid: str,
        disk: objects.Disk,
        idx: int | None = None,
        replace: bool = False,
        ec_id: Any = None,
    ) -> None:
        """Adds ``disk`` to the configuration and attaches it at ``idx``."""
        inst = self._get_instance(inst_uuid)
        self._add_disk(disk, ec_id, replace)
        if disk.uuid not in inst.disks:
            if idx is None:
                idx = len(inst.disks)
            if not 0 <= idx <= len(inst.disks):
                raise errors.ConfigurationError(
                    "Invalid disk index %s for instance %s" % (idx, inst.name)
                )
            inst.disks.insert(idx, disk.uuid)
        for pos, disk_uuid in enumerate(inst.disks):
            self._data.disks[disk_uuid].iv_name = "disk/%d" % pos
            self._mark("disks", disk_uuid)
        inst.serial_no += 1
        inst.mtime = time.time()
        self._mark("instances", inst_uuid)
        self._write_config()

    @locked
    def remove_instance_disk(self, inst_uuid: str, disk_uuid: str) -> None:
        """Detaches ``disk_uuid`` from the instance and removes it."""
        inst = self._get_instance(inst_uuid)
        if disk_uuid not in inst.disks:
            raise errors.ConfigurationError(
                "Disk %s is not attached to instance %s" % (disk_uuid, inst.name)
            )
        inst.disks.remove(disk_uuid)
        self._data.disks.pop(disk_uuid, None)
        self._mark("disks", disk_uuid)
        self._release_drbd_minors(disk_uuid)
        for pos, other in enumerate(inst.disks):
            self._data.disks[other].iv_name = "disk/%d" % pos
            self._mark("disks", other)
        inst.serial_no += 1
        inst.mtime = time.time()
        self._mark("instances", inst_uuid)
        self._write_config()

    @locked
    def remove_instance(self, inst_uuid: str) -> None:
        """Removes the instance, its disks, its port and its network IPs."""
        inst = self._get_instance(inst_uuid)
        data = self._data
        if inst.network_port is not None:
            data.cluster.tcpudp_port_pool.add(inst.network_port)
        for disk_uuid in inst.disks:
            data.disks.pop(disk_uuid, None)
            self._mark("disks", disk_uuid)
            self._release_drbd_minors(disk_uuid)
        for nic in inst.nics:
            if nic.network and nic.ip and nic.network in data.networks:
                self._set_ip_reserved(data.networks[nic.network], nic.ip, False)
        del data.instances[inst_uuid]
        self._inst_names.remove(inst_uuid)
        self._mark("instances", inst_uuid)
        data.cluster.serial_no += 1
        self._write_config()

    @locked
    def rename_instance(self, inst_uuid: str, new_name: str) -> None:
        """Renames an instance (file-based disk paths follow the name)."""
        inst = self._get_instance(inst_uuid)
        other = self._inst_names.lookup(new_name)
        if other is not None and other != inst_uuid:
            raise errors.OpPrereqError(
                "Instance '%s' is already in the configuration" % new_name, errors.ECODE_EXISTS
            )
        inst.name = new_name
        for disk in self._instance_disks(inst):
            if disk.dev_type in (constants.DT_FILE, constants.DT_SHARED_FILE) and disk.logical_id:
                path = disk.logical_id[1]
                storage_dir = os.path.dirname(os.path.dirname(path))
                disk.logical_id = [
                    disk.logical_id[0],
                    os.path.join(storage_dir, new_name, os.path.basename(path)),
                ]
                self._mark("disks", disk.uuid)
        inst.serial_no += 1
        inst.mtime = time.time()
        self._inst_names.add(inst_uuid, new_name)
        self._mark("instances", inst_uuid)
        self._data.cluster.serial_no += 1
        self._write_config()

    @locked
    def set_instance_admin_state(
        self,
        inst_uuid: str,
        status: str | None = None,
        disks_active: bool | None = None,
        admin_state_source: str | None = None,
    ) -> objects.Instance:
        """Sets admin state / disks_active / state source (None keeps each)."""
        inst = self._get_instance(inst_uuid)
        status = inst.admin_state if status is None else status
        if status not in constants.ADMINST_ALL:
            raise errors.ProgrammerError("Invalid instance admin state %r" % (status,))
        disks_active = inst.disks_active if disks_active is None else disks_active
        source = inst.admin_state_source if admin_state_source is None else admin_state_source
        if (inst.admin_state, inst.disks_active, inst.admin_state_source) != (
            status,
            disks_active,
            source,
        ):
            inst.admin_state = status
            inst.disks_active = disks_active
            inst.admin_state_source = source
            inst.serial_no += 1
            inst.mtime = time.time()
            self._mark("instances", inst_uuid)
            self._write_config()
        return inst

    def mark_instance_up(self, inst_uuid: str) -> objects.Instance:
        return self.set_instance_admin_state(
            inst_uuid, constants.ADMINST_UP, True, constants.ADMIN_SOURCE
        )

    def mark_instance_down(self, inst_uuid: str) -> objects.Instance:
        return self.set_instance_admin_state(
            inst_uuid, constants.ADMINST_DOWN, None, constants.ADMIN_SOURCE
        )

    def mark_instance_user_down(self, inst_uuid: str) -> objects.Instance:
        return self.set_instance_admin_state(
            inst_uuid, constants.ADMINST_DOWN, None, constants.USER_SOURCE
        )

    def mark_instance_offline(self, inst_uuid: str) -> objects.Instance:
        return self.set_instance_admin_state(
            inst_uuid, constants.ADMINST_OFFLINE, False, constants.ADMIN_SOURCE
        )

    def mark_instance_disks_active(self, inst_uuid: str) -> objects.Instance:
        return self.set_instance_admin_state(inst_uuid, None, True, None)

    def mark_instance_disks_inactive(self, inst_uuid: str) -> objects.Instance:
        return self.set_instance_admin_state(inst_uuid, None, False, None)
