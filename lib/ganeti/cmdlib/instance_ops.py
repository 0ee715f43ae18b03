"""Operations on existing instances: start, stop, reboot, remove, rename,
reinstall, console, disk activation, recreation and growth, and the
detailed data of ``gnt-instance info``.

Owns the rules of each operation (which state it needs, which nodes it
touches, what a failure leaves) as Ganeti has them.  It must never reach a
node except through ``self.rpc``, nor write config.data except through
ConfigWriter.
"""

from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti.cmdlib.base import LogicalUnit, NoHooksLU
from ganeti.cmdlib import instance_utils as iu

#: templates whose disks can grow
_GROWABLE = frozenset(
    [
        constants.DT_PLAIN,
        constants.DT_DRBD8,
        constants.DT_FILE,
        constants.DT_SHARED_FILE,
        constants.DT_RBD,
        constants.DT_EXT,
        constants.DT_GLUSTER,
    ]
)


# --- shared pieces ---------------------------------------------------------------------------


class _InstanceLU(LogicalUnit):
    """An LU acting on one instance (``op.instance_name``)."""

    HTYPE = constants.HTYPE_INSTANCE
    REQ_BGL = False
    #: node levels to lock for the instance's nodes ({level: primary_only})
    NODE_LEVELS: dict[int, bool] = {}
    SHARED_NODES = False

    instance: Any = None

    def expand_names(self) -> None:
        iu.instance_name_lock(self)
        for level in self.NODE_LEVELS:
            self.needed_locks[level] = []
            self.recalculate_locks[level] = constants.LOCKS_REPLACE
            if self.SHARED_NODES:
                self.share_locks[level] = 1

    def declare_locks(self, level: int) -> None:
        if level in self.NODE_LEVELS:
            primary_only = self.NODE_LEVELS[level]
            uuid = self.op.instance_uuid
            inst = self.cfg.get_instance_info(uuid)
            if inst is None:
                self.needed_locks[level] = []
                return
            if primary_only:
                nodes = [inst.primary_node]
            else:
                nodes = self.cfg.get_instance_nodes(uuid)
            self.needed_locks[level] = nodes

    def check_prereq(self) -> None:
        self.instance = iu.get_locked_instance(self)

    def build_hooks_env(self) -> dict[str, Any]:
        return iu.instance_hook_env(self, self.instance)

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        return iu.instance_hook_nodes(self, self.instance)

    # helpers
    def pnode_name(self) -> str:
        return self.cfg.get_node_name(self.instance.primary_node)

    def check_node_online(self, node_uuid: str, msg: str | None = None) -> None:
        node = self.cfg.get_node_info(node_uuid)
        if node is not None and node.offline:
            raise errors.OpPrereqError(
                "%s: node %s is offline" % (msg or "Can't use offline node", node.name),
                errors.ECODE_STATE,
            )

    def remote_info(self, prereq: bool = True) -> dict | None:
        """The hypervisor's view of the instance on its primary ({} if stopped)."""
        inst = self.instance
        cluster = self.cfg.get_cluster_info()
        res = self.rpc.call_instance_info(
            inst.primary_node,
            inst.name,
            inst.hypervisor,
            cluster.hvparams.get(inst.hypervisor, {}),
        )
        res.raise_error(
            "Error checking node %s" % self.pnode_name(),
            prereq=prereq,
            ecode=errors.ECODE_ENVIRON if prereq else None,
        )
        return res.payload or {}

    def check_admin_state(self, allowed: frozenset, msg: str) -> None:
        state = self.instance.admin_state
        if state not in allowed:
            raise errors.OpPrereqError(
                "Instance '%s' is marked to be %s, %s" % (self.instance.name, state, msg),
                errors.ECODE_STATE,
            )

    def check_not_running(self, msg: str) -> None:
        """Admin state not up and not running on its primary (Ganeti's INSTANCE_DOWN)."""
        self.check_admin_state(frozenset([constants.ADMINST_DOWN, constants.ADMINST_OFFLINE]), msg)
        node = self.cfg.get_node_info(self.instance.primary_node)
        if node is not None and node.offline:
            return
        info = self.remote_info()
        if info and info.get("state") != 1:
            raise errors.OpPrereqError(
                "Instance %s is running, %s" % (self.instance.name, msg), errors.ECODE_STATE
            )


_ONLINE = frozenset([constants.ADMINST_UP, constants.ADMINST_DOWN])


# --- start, stop, reboot -----------------------------------------------------------------------


class LUInstanceStartup(_InstanceLU):
    """Starts an instance (``gnt-instance startup``)."""

    HPATH = "instance-start"
    NODE_LEVELS = {locking.LEVEL_NODE_RES: True}
    hv_override: dict = {}
    be_override: dict = {}
    requires_cleanup = False

    def check_prereq(self) -> None:
        super().check_prereq()
        op = self.op
        inst = self.instance
        cluster = self.cfg.get_cluster_info()
        self.hv_override = {}
        self.be_override = {}
        if op.beparams:
            self.be_override = dict(op.beparams)
            iu.force_param_types(self.be_override, constants.BES_PARAMETER_TYPES, "backend")
        if op.hvparams:
            self.hv_override = dict(op.hvparams)
            own = dict(inst.hvparams)
            own.update(self.hv_override)
            iu.fill_hvparams_checked(
                self, self.cfg.get_instance_nodes(inst.uuid), inst.hypervisor, inst.os, own
            )
        if inst.admin_state == constants.ADMINST_OFFLINE:
            raise errors.OpPrereqError(
                "Instance '%s' is marked to be offline, cannot start it" % inst.name,
                errors.ECODE_STATE,
            )
        pnode = self.cfg.get_node_info(inst.primary_node)
        if pnode.offline:
            if op.ignore_offline_nodes:
                self.log_info("Primary node offline, marked instance as started")
                return
            raise errors.OpPrereqError(
                "Can't start instance %s: its primary node %s is offline" % (inst.name, pnode.name),
                errors.ECODE_STATE,
            )
        iu.check_nic_bridges(self, inst.nics, inst.primary_node)
        info = self.remote_info()
        self.requires_cleanup = False
        if info:
            self.requires_cleanup = info.get("state") == 1
        else:
            bep = cluster.fill_beparams(inst)
            bep.update(self.be_override)
            iu.check_node_resources(
                self,
                inst.primary_node,
                "starting instance %s" % inst.name,
                memory=int(bep[constants.BE_MINMEM]),
                hv_name=inst.hypervisor,
                hvparams=cluster.fill_hvparams(inst),
            )

    def build_hooks_env(self) -> dict[str, Any]:
        return iu.instance_hook_env(self, self.instance, {"FORCE": self.op.force})

    def exec(self, feedback_fn: Callable[..., None]) -> None:
        op = self.op
        inst = self.instance
        if not op.no_remember:
            self.cfg.mark_instance_up(inst.uuid)
        if self.cfg.get_node_info(inst.primary_node).offline:
            return
        if self.requires_cleanup:
            self.log_info("Cleaning up the user-shut-down instance %s first", inst.name)
            res = self.rpc.call_instance_shutdown(
                inst.primary_node, inst, op.shutdown_timeout, op.reason
            )
            res.raise_error("Could not clean up instance %s" % inst.name)
        iu.start_disks(self, inst, op.force)
        res = self.rpc.call_instance_start(
            inst.primary_node,
            (inst, self.hv_override or None, self.be_override or None),
            op.startup_paused,
            op.reason,
        )
        if res.fail_msg:
            iu.shutdown_disks(self, inst)
            res.raise_error("Could not start instance")


class LUInstanceShutdown(_InstanceLU):
    """Stops an instance (``gnt-instance shutdown``)."""

    HPATH = "instance-stop"

    def check_prereq(self) -> None:
        super().check_prereq()
        inst = self.instance
        if not self.op.force:
            self.check_admin_state(_ONLINE, "cannot shutdown")
        elif inst.admin_state == constants.ADMINST_OFFLINE:
            self.log_warning("Ignoring offline instance check")
        pnode = self.cfg.get_node_info(inst.primary_node)
        if pnode.offline and not self.op.ignore_offline_nodes:
            raise errors.OpPrereqError(
                "Can't shutdown instance %s: its primary node %s is offline"
                % (inst.name, pnode.name),
                errors.ECODE_STATE,
            )

    def build_hooks_env(self) -> dict[str, Any]:
        return iu.instance_hook_env(self, self.instance, {"TIMEOUT": self.op.timeout})

    def exec(self, feedback_fn: Callable[..., None]) -> None:
        op = self.op
        inst = self.instance
        if not op.no_remember and inst.admin_state != constants.ADMINST_OFFLINE:
            if op.admin_state_source == constants.USER_SOURCE:
                self.cfg.mark_instance_user_down(inst.uuid)
            else:
                self.cfg.mark_instance_down(inst.uuid)
        if self.cfg.get_node_info(inst.primary_node).offline:
            self.log_info("Primary node offline, marked instance as stopped")
            return
        res = self.rpc.call_instance_shutdown(inst.primary_node, inst, op.timeout, op.reason)
        if res.fail_msg:
            self.log_warning("Could not shutdown instance: %s", res.fail_msg)
        iu.shutdown_disks(self, inst)


class LUInstanceReboot(_InstanceLU):
    """Reboots an instance: soft/hard through the node, full as stop + start."""

    HPATH = "instance-reboot"

    def check_prereq(self) -> None:
        super().check_prereq()
        self.check_admin_state(_ONLINE, "cannot reboot")
        self.check_node_online(self.instance.primary_node, "Cannot reboot instance")
        iu.check_nic_bridges(self, self.instance.nics, self.instance.primary_node)

    def build_hooks_env(self) -> dict[str, Any]:
        return iu.instance_hook_env(
            self,
            self.instance,
            {
                "IGNORE_SECONDARIES": self.op.ignore_secondaries,
                "REBOOT_TYPE": self.op.reboot_type,
                "SHUTDOWN_TIMEOUT": self.op.shutdown_timeout,
            },
        )

    def exec(self, feedback_fn: Callable[..., None]) -> None:
        op = self.op
        inst = self.instance
        node = inst.primary_node
        running = bool(self.remote_info(prereq=False))
        if running and op.reboot_type in (constants.REBOOT_SOFT, constants.REBOOT_HARD):
            res = self.rpc.call_instance_reboot(
                node, inst, op.reboot_type, op.shutdown_timeout, op.reason
            )
            res.raise_error("Could not reboot instance")
        else:
            if running:
                res = self.rpc.call_instance_shutdown(node, inst, op.shutdown_timeout, op.reason)
                res.raise_error("Could not shutdown instance for full reboot")
                iu.shutdown_disks(self, inst)
            else:
                self.log_info("Instance %s was already stopped, starting now", inst.name)
            iu.start_disks(self, inst, op.ignore_secondaries)
            res = self.rpc.call_instance_start(node, (inst, None, None), False, op.reason)
            if res.fail_msg:
                iu.shutdown_disks(self, inst)
                res.raise_error("Could not start instance for full reboot")
        self.cfg.mark_instance_up(inst.uuid)


# --- remove, rename, reinstall -----------------------------------------------------------------


class LUInstanceRemove(_InstanceLU):
    """Stops an instance and deletes it with its disks."""

    HPATH = "instance-remove"
    NODE_LEVELS = {locking.LEVEL_NODE: False, locking.LEVEL_NODE_RES: False}
    SHARED_NODES = False

    def expand_names(self) -> None:
        super().expand_names()
        self.remove_locks[locking.LEVEL_INSTANCE] = [self.op.instance_name]

    _pre_env: dict | None = None

    def build_hooks_env(self) -> dict[str, Any]:
        # after the removal the post phase sees the instance as it was
        if self._pre_env is None:
            self._pre_env = iu.instance_hook_env(
                self, self.instance, {"SHUTDOWN_TIMEOUT": self.op.shutdown_timeout}
            )
        return self._pre_env

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        master = self.cfg.get_master_node()
        nodes = [master] + [
            n for n in self.cfg.get_instance_nodes(self.instance.uuid) if n != master
        ]
        return [master], nodes

    def exec(self, feedback_fn: Callable[..., None]) -> None:
        op = self.op
        inst = self.instance
        pnode = inst.primary_node
        self.log_info("Shutting down instance %s on node %s", inst.name, self.pnode_name())
        res = self.rpc.call_instance_shutdown(pnode, inst, op.shutdown_timeout, op.reason)
        if res.fail_msg and not res.offline:
            if op.ignore_failures:
                feedback_fn("Warning: can't shutdown instance: %s" % res.fail_msg)
            else:
                raise errors.OpExecError(
                    "Could not shutdown instance %s on node %s: %s"
                    % (inst.name, self.pnode_name(), res.fail_msg)
                )
        remove_instance(self, feedback_fn, inst, op.ignore_failures)


def remove_instance(lu: Any, feedback_fn: Callable, inst: Any, ignore_failures: bool) -> None:
    """Removes the instance's disks, then the instance from the configuration."""
    lu.log_info("Removing block devices for instance %s", inst.name)
    if not iu.remove_disks(lu, inst):
        if not ignore_failures:
            raise errors.OpExecError("Can't remove instance's disks")
        feedback_fn("Warning: can't remove instance's disks")
    lu.log_info("Removing instance %s out of cluster config", inst.name)
    lu.cfg.remove_instance(inst.uuid)


class LUInstanceRename(_InstanceLU):
    """Renames a stopped instance (its file storage directory follows)."""

    HPATH = "instance-rename"
    REQ_BGL = True
    new_ip: str | None = None

    def check_arguments(self) -> None:
        op = self.op
        if op.ip_check and not op.name_check:
            raise errors.OpPrereqError("IP address check requires a name check", errors.ECODE_INVAL)
        if op.name_check:
            full, self.new_ip = iu.resolve_instance_name(op.new_name)
            op.new_name = full

    def check_prereq(self) -> None:
        super().check_prereq()
        op = self.op
        self.check_not_running("cannot rename")
        if op.new_name != self.instance.name:
            if self.cfg.get_instance_info_by_name(op.new_name) is not None:
                raise errors.OpPrereqError(
                    "Instance '%s' is already in the cluster" % op.new_name,
                    errors.ECODE_EXISTS,
                )
        if op.ip_check and self.new_ip:
            iu.check_ip_unused(op.new_name, self.new_ip)

    def build_hooks_env(self) -> dict[str, Any]:
        return iu.instance_hook_env(self, self.instance, {"INSTANCE_NEW_NAME": self.op.new_name})

    def exec(self, feedback_fn: Callable[..., None]) -> str:
        op = self.op
        cfg = self.cfg
        inst = self.instance
        old_name = inst.name
        disks = cfg.get_instance_disks(inst.uuid)
        old_dirs = iu._storage_dirs(disks)
        cfg.rename_instance(inst.uuid, op.new_name)
        self.glm.remove(locking.LEVEL_INSTANCE, [old_name])
        self.glm.add(locking.LEVEL_INSTANCE, [op.new_name])
        inst = cfg.get_instance_info(inst.uuid)
        self.instance = inst
        disks = cfg.get_instance_disks(inst.uuid)
        for (node, old_dir), (_, new_dir) in zip(old_dirs, iu._storage_dirs(disks)):
            if old_dir == new_dir:
                continue
            res = self.rpc.call_file_storage_dir_rename(node, old_dir, new_dir)
            res.raise_error(
                "Could not rename on node %s directory '%s' to '%s' (but the instance"
                " has been renamed in Ganeti)" % (cfg.get_node_name(node), old_dir, new_dir)
            )
        if disks:
            iu.start_disks(self, inst, None)
        try:
            info = iu.instance_info_text(inst)
            for disk in disks:
                for node in disk.all_nodes:
                    res = self.rpc.call_blockdev_setinfo(node, (disk, inst), info)
                    if res.fail_msg:
                        self.log_warning(
                            "Error setting info on node %s for disk %s: %s",
                            cfg.get_node_name(node),
                            disk.iv_name,
                            res.fail_msg,
                        )
            if disks:
                res = self.rpc.call_instance_run_rename(
                    inst.primary_node, inst, old_name, op.debug_level or 0
                )
                if res.fail_msg:
                    self.log_warning(
                        "Could not run OS rename script for instance %s on node %s (but the"
                        " instance has been renamed in Ganeti): %s",
                        inst.name,
                        self.pnode_name(),
                        res.fail_msg,
                    )
        finally:
            if disks:
                iu.shutdown_disks(self, inst)
        return inst.name


class LUInstanceReinstall(_InstanceLU):
    """Runs the OS create scripts again on a stopped instance's disks."""

    HPATH = "instance-reinstall"
    os_full: dict = {}

    def check_prereq(self) -> None:
        super().check_prereq()
        op = self.op
        inst = self.instance
        cluster = self.cfg.get_cluster_info()
        self.check_node_online(inst.primary_node, "Instance primary node offline, cannot reinstall")
        if not inst.disks:
            raise errors.OpPrereqError("Instance '%s' has no disks" % inst.name, errors.ECODE_INVAL)
        self.check_not_running("cannot reinstall")
        os_name = op.os_type or inst.os
        iu.check_os_name(cluster, os_name)
        osparams = inst.osparams if op.osparams is None else op.osparams
        private = inst.osparams_private if op.osparams_private is None else op.osparams_private
        self.os_full = cluster.simple_fill_os(os_name, osparams, private, op.osparams_secret)
        iu.check_node_has_os(self, [inst.primary_node], os_name, self.os_full, op.force_variant)

    def exec(self, feedback_fn: Callable[..., None]) -> None:
        op = self.op
        inst = self.instance
        changed = False
        if op.os_type is not None and op.os_type != inst.os:
            feedback_fn("Changing OS to '%s'..." % op.os_type)
            inst.os = op.os_type
            changed = True
        if op.osparams is not None:
            inst.osparams = dict(op.osparams)
            changed = True
        if op.osparams_private is not None:
            inst.osparams_private = dict(op.osparams_private)
            changed = True
        if changed:
            self.cfg.update(inst, feedback_fn)
        iu.start_disks(self, inst, None)
        try:
            feedback_fn("Running the instance OS create scripts...")
            res = self.rpc.call_instance_os_add(
                inst.primary_node, (inst, op.osparams_secret or None), True, op.debug_level or 0
            )
            res.raise_error(
                "Could not install OS for instance %s on node %s" % (inst.name, self.pnode_name())
            )
        finally:
            iu.shutdown_disks(self, inst)


# --- console ---------------------------------------------------------------------------------


class LUInstanceConsole(_InstanceLU, NoHooksLU):
    """How to reach a running instance's console."""

    HPATH = None

    def expand_names(self) -> None:
        super().expand_names()
        self.share_locks[locking.LEVEL_INSTANCE] = 1

    def check_prereq(self) -> None:
        super().check_prereq()
        self.check_node_online(self.instance.primary_node)

    def build_hooks_env(self) -> dict[str, Any]:
        return {}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        return [], []

    def exec(self, feedback_fn: Callable[..., None]) -> dict:
        from ganeti import hypervisor

        inst = self.instance
        cfg = self.cfg
        info = self.remote_info(prereq=False)
        if not info or info.get("state") == 1:
            if inst.admin_state == constants.ADMINST_UP:
                state = constants.INSTST_ERRORDOWN
            elif inst.admin_state == constants.ADMINST_DOWN:
                state = constants.INSTST_ADMINDOWN
            else:
                state = constants.INSTST_ADMINOFFLINE
            raise errors.OpExecError("Instance %s is not running (state %s)" % (inst.name, state))
        cluster = cfg.get_cluster_info()
        node = cfg.get_node_info(inst.primary_node)
        group = cfg.get_node_group(node.group)
        hv_class = hypervisor.get_hypervisor_class(inst.hypervisor)
        console = hv_class.get_instance_console(
            inst, node, group, cluster.fill_hvparams(inst), cluster.fill_beparams(inst)
        )
        if hasattr(console, "to_dict"):
            console = console.to_dict()
        return dict(console)


# --- disks -----------------------------------------------------------------------------------


class LUInstanceActivateDisks(_InstanceLU, NoHooksLU):
    """Assembles an instance's disks; returns where they are."""

    HPATH = None
    NODE_LEVELS = {locking.LEVEL_NODE: False}

    def build_hooks_env(self) -> dict[str, Any]:
        return {}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        return [], []

    def check_prereq(self) -> None:
        super().check_prereq()
        self.check_node_online(self.instance.primary_node)

    def exec(self, feedback_fn: Callable[..., None]) -> list:
        ok, info = iu.assemble_disks(self, self.instance, ignore_size=self.op.ignore_size)
        if not ok:
            raise errors.OpExecError("Cannot activate block devices")
        return [tuple(item) for item in info]


class LUInstanceDeactivateDisks(_InstanceLU, NoHooksLU):
    """Shuts an instance's disks down (the instance must be stopped unless forced)."""

    HPATH = None
    NODE_LEVELS = {locking.LEVEL_NODE: False}

    def build_hooks_env(self) -> dict[str, Any]:
        return {}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        return [], []

    def exec(self, feedback_fn: Callable[..., None]) -> None:
        inst = self.instance
        if self.op.force:
            iu.shutdown_disks(self, inst, ignore_primary=True)
            return
        if inst.admin_state == constants.ADMINST_UP:
            raise errors.OpPrereqError(
                "Instance '%s' is marked to be up, cannot shutdown disks" % inst.name,
                errors.ECODE_STATE,
            )
        if self.remote_info(prereq=False):
            raise errors.OpExecError("Instance is running, can't shutdown block devices.")
        if not iu.shutdown_disks(self, inst):
            raise errors.OpExecError("Could not shut down all the block devices")


class LUInstanceRecreateDisks(_InstanceLU):
    """Recreates an instance's (missing) disks, optionally on other nodes."""

    HPATH = "instance-recreate-disks"
    NODE_LEVELS = {locking.LEVEL_NODE: False, locking.LEVEL_NODE_RES: False}
    to_recreate: dict = {}
    new_nodes: list = []

    def check_arguments(self) -> None:
        if self.op.iallocator:
            raise errors.OpPrereqError(
                "Choosing new nodes for recreated disks through an iallocator is not"
                " supported yet; give them with --node",
                errors.ECODE_INVAL,
            )
        seen = set()
        self._changes = {}
        for item in self.op.disks or []:
            if isinstance(item, int):
                idx, params = item, {}
            else:
                idx, params = item[0], dict(item[1])
            if idx in seen:
                raise errors.OpPrereqError("Duplicate disk index %s" % idx, errors.ECODE_INVAL)
            seen.add(idx)
            unknown = sorted(
                set(params) - {constants.IDISK_SIZE, constants.IDISK_MODE, constants.IDISK_SPINDLES}
            )
            if unknown:
                raise errors.OpPrereqError(
                    "Parameters %s cannot be changed when recreating disks" % ", ".join(unknown),
                    errors.ECODE_INVAL,
                )
            self._changes[idx] = params

    def expand_names(self) -> None:
        super().expand_names()
        if self.op.nodes:
            uuids = []
            for name in self.op.nodes:
                uuid, _ = iu.expand_node(self.cfg, name)
                uuids.append(uuid)
            self.op.node_uuids = uuids
            for level in self.NODE_LEVELS:
                self.needed_locks[level] = list(uuids)
                self.recalculate_locks.pop(level, None)

    def declare_locks(self, level: int) -> None:
        if level in self.NODE_LEVELS and self.op.nodes:
            self.needed_locks[level] = list(self.op.node_uuids)
            return
        super().declare_locks(level)

    def check_prereq(self) -> None:
        super().check_prereq()
        inst = self.instance
        disks = self.cfg.get_instance_disks(inst.uuid)
        if not disks:
            raise errors.OpPrereqError("Instance '%s' has no disks" % inst.name, errors.ECODE_INVAL)
        self.check_not_running("cannot recreate disks")
        for idx in self._changes:
            if not 0 <= idx < len(disks):
                raise errors.OpPrereqError("Invalid disk index '%s'" % idx, errors.ECODE_INVAL)
        self.to_recreate = dict(self._changes) or {idx: {} for idx in range(len(disks))}
        self.new_nodes = []
        if self.op.nodes:
            current = self.cfg.get_instance_nodes(inst.uuid)
            if len(self.op.node_uuids) != len(current):
                raise errors.OpPrereqError(
                    "Instance %s currently has %d nodes, but new node list has %d nodes"
                    % (inst.name, len(current), len(self.op.node_uuids)),
                    errors.ECODE_INVAL,
                )
            for uuid in self.op.node_uuids:
                node = self.cfg.get_node_info(uuid)
                if node.offline or not node.vm_capable:
                    raise errors.OpPrereqError(
                        "Cannot use node %s (offline or not vm capable)" % node.name,
                        errors.ECODE_STATE,
                    )
            if set(self.op.node_uuids) != set(current) and len(self.to_recreate) != len(disks):
                raise errors.OpPrereqError(
                    "Can't recreate disks partially and change the nodes at the same time",
                    errors.ECODE_INVAL,
                )
            self.new_nodes = list(self.op.node_uuids)
        for node in self.new_nodes or self.cfg.get_instance_nodes(inst.uuid):
            self.check_node_online(node)

    def exec(self, feedback_fn: Callable[..., None]) -> None:
        cfg = self.cfg
        inst = self.instance
        disks = cfg.get_instance_disks(inst.uuid)
        if self.new_nodes and self.new_nodes[0] != inst.primary_node:
            inst.primary_node = self.new_nodes[0]
        chosen = []
        for idx, disk in enumerate(disks):
            if idx not in self.to_recreate:
                continue
            params = self.to_recreate[idx]
            if constants.IDISK_SIZE in params:
                disk.size = iu.parse_disk_size(params[constants.IDISK_SIZE], idx)
            if constants.IDISK_MODE in params:
                disk.mode = params[constants.IDISK_MODE]
            if constants.IDISK_SPINDLES in params:
                disk.spindles = int(params[constants.IDISK_SPINDLES])
            if self.new_nodes:
                disk.nodes = [self.new_nodes[0]]
            chosen.append(disk)
        if self.new_nodes:
            cfg.update(inst, feedback_fn)
        for disk in chosen:
            cfg.update(disk, feedback_fn)
        iu.create_disks(self, inst, chosen, feedback_fn)
        if not inst.disks_active or inst.admin_state != constants.ADMINST_UP:
            iu.shutdown_disks(self, inst, disks=chosen)


class LUInstanceGrowDisk(_InstanceLU):
    """Grows one disk of an instance."""

    HPATH = "disk-grow"
    NODE_LEVELS = {locking.LEVEL_NODE: False, locking.LEVEL_NODE_RES: False}
    disk: Any = None
    delta = 0
    target = 0

    def check_prereq(self) -> None:
        super().check_prereq()
        op = self.op
        inst = self.instance
        disks = self.cfg.get_instance_disks(inst.uuid)
        for node in self.cfg.get_instance_nodes(inst.uuid):
            self.check_node_online(node)
        if not 0 <= op.disk < len(disks):
            raise errors.OpPrereqError(
                "Invalid disk index %s: instance %s has %d disk(s)"
                % (op.disk, inst.name, len(disks)),
                errors.ECODE_INVAL,
            )
        self.disk = disks[op.disk]
        if self.disk.dev_type not in _GROWABLE:
            raise errors.OpPrereqError(
                "Instance's disk layout '%s' does not support growing" % self.disk.dev_type,
                errors.ECODE_INVAL,
            )
        if op.absolute:
            self.target = op.amount
            self.delta = self.target - self.disk.size
            if self.delta < 0:
                raise errors.OpPrereqError(
                    "Requested size (%s) is smaller than current disk size (%s)"
                    % (iu_format(self.target), iu_format(self.disk.size)),
                    errors.ECODE_STATE,
                )
        else:
            self.delta = op.amount
            self.target = self.disk.size + self.delta
        if self.delta > 0:
            for node in self.disk.all_nodes:
                iu.check_node_resources(
                    self,
                    node,
                    "growing disk %s" % op.disk,
                    template=self.disk.dev_type,
                    disk_mib=self.delta,
                )
        cluster = self.cfg.get_cluster_info()
        sizes = [d.size for d in disks]
        sizes[op.disk] = self.target
        iu.check_ipolicy(
            self,
            inst.primary_node,
            cluster.fill_beparams(inst),
            sizes,
            len(inst.nics),
            self.disk.dev_type,
            op.ignore_ipolicy,
        )

    def build_hooks_env(self) -> dict[str, Any]:
        return iu.instance_hook_env(
            self,
            self.instance,
            {"DISK": self.op.disk, "AMOUNT": self.op.amount, "ABSOLUTE": self.op.absolute},
        )

    def exec(self, feedback_fn: Callable[..., None]) -> None:
        inst = self.instance
        disk = self.disk
        if self.delta == 0:
            self.log_info("Disk %s already has the requested size", disk.iv_name)
            return
        feedback_fn(
            "Growing disk %s of instance '%s' by %s to %s"
            % (self.op.disk, inst.name, iu_format(self.delta), iu_format(self.target))
        )
        nodes = disk.all_nodes
        for node in nodes:
            res = self.rpc.call_blockdev_grow(node, (disk, inst), self.delta, True, True, False)
            res.raise_error("Dry-run grow request failed to node %s" % self.cfg.get_node_name(node))
        for backing in (True, False):
            for node in nodes:
                res = self.rpc.call_blockdev_grow(
                    node, (disk, inst), self.delta, False, backing, False
                )
                res.raise_error("Grow request failed to node %s" % self.cfg.get_node_name(node))
        disk.record_grow(self.delta)
        self.cfg.update(disk, feedback_fn)


def iu_format(mib: int) -> str:
    from ganeti.utils import text as utils_text

    return utils_text.format_unit(mib, "h")


# --- detailed data -----------------------------------------------------------------------------


class LUInstanceQueryData(NoHooksLU):
    """The data ``gnt-instance info`` shows (live state unless ``static``)."""

    REQ_BGL = False
    wanted: list = []

    def expand_names(self) -> None:
        self.needed_locks = {}
        cfg = self.cfg
        if self.op.instances:
            self.wanted = []
            for name in self.op.instances:
                uuid, _ = iu.expand_instance(cfg, name)
                self.wanted.append(uuid)
        else:
            self.wanted = sorted(
                cfg.get_instance_list(), key=lambda u: cfg.get_instance_name(u) or ""
            )
        if self.op.use_locking:
            self.share_locks = dict.fromkeys(locking.LEVELS, 1)
            self.needed_locks[locking.LEVEL_INSTANCE] = [
                cfg.get_instance_name(u) for u in self.wanted
            ]

    def _disk_status(self, inst: Any, disk: Any, snodes: list[str]) -> dict:
        pstatus = None
        sstatus = None
        if not self.op.static and self.rpc is not None:
            pnode = self.cfg.get_node_info(inst.primary_node)
            if not pnode.offline:
                res = self.rpc.call_blockdev_find(inst.primary_node, (disk, inst))
                if res.fail_msg:
                    raise errors.OpExecError(
                        "Can't compute disk status for %s: %s" % (inst.name, res.fail_msg)
                    )
                pstatus = res.payload
            if snodes:
                res = self.rpc.call_blockdev_find(snodes[0], (disk, inst))
                if not res.fail_msg:
                    sstatus = res.payload
        return {
            "iv_name": disk.iv_name,
            "dev_type": disk.dev_type,
            "logical_id": disk.logical_id,
            "drbd_info": None,
            "pstatus": pstatus,
            "sstatus": sstatus,
            "children": [],
            "mode": disk.mode,
            "size": disk.size,
            "spindles": disk.spindles,
            "name": disk.name,
            "uuid": disk.uuid,
        }

    def exec(self, feedback_fn: Callable[..., None]) -> dict:
        cfg = self.cfg
        cluster = cfg.get_cluster_info()
        groups = cfg.get_all_node_groups_info()
        networks = cfg.get_all_networks_info()
        result = {}
        for uuid in self.wanted:
            inst = cfg.get_instance_info(uuid)
            if inst is None:
                continue
            pnode = cfg.get_node_info(inst.primary_node)
            snodes = cfg.get_instance_nodes(uuid)[1:]
            remote_state = None
            if pnode.offline:
                self.log_warning(
                    "Primary node %s is marked offline, returning static information only"
                    " for instance %s",
                    pnode.name,
                    inst.name,
                )
            elif not self.op.static and self.rpc is not None:
                res = self.rpc.call_instance_info(
                    inst.primary_node,
                    inst.name,
                    inst.hypervisor,
                    cluster.hvparams.get(inst.hypervisor, {}),
                )
                res.raise_error("Error checking node %s" % pnode.name)
                info = res.payload or {}
                if info and "state" in info:
                    remote_state = "user down" if info["state"] == 1 else "up"
                elif inst.admin_state == constants.ADMINST_UP:
                    remote_state = "down"
                else:
                    remote_state = inst.admin_state
            disks = cfg.get_instance_disks(uuid)
            snode_groups = [cfg.get_node_info(n).group for n in snodes]
            nics = []
            for nic in inst.nics:
                filled = cluster.fill_nicparams(nic)
                net = networks.get(nic.network) if nic.network else None
                nics.append(
                    (
                        nic.name,
                        nic.uuid,
                        nic.ip,
                        nic.mac,
                        filled.get(constants.NIC_MODE),
                        filled.get(constants.NIC_LINK),
                        filled.get(constants.NIC_VLAN),
                        net.name if net is not None else None,
                        net.to_dict() if net is not None else None,
                    )
                )
            result[inst.name] = {
                "name": inst.name,
                "config_state": inst.admin_state,
                "run_state": remote_state,
                "pnode": pnode.name,
                "pnode_group_uuid": pnode.group,
                "pnode_group_name": groups[pnode.group].name if pnode.group in groups else None,
                "snodes": [cfg.get_node_name(n) for n in snodes],
                "snodes_group_uuids": snode_groups,
                "snodes_group_names": [
                    groups[g].name if g in groups else None for g in snode_groups
                ],
                "os": inst.os,
                "nics": nics,
                "disk_template": disks[0].dev_type if disks else constants.DT_DISKLESS,
                "disks": [self._disk_status(inst, d, snodes) for d in disks],
                "hypervisor": inst.hypervisor,
                "network_port": inst.network_port,
                "hv_instance": dict(inst.hvparams),
                "hv_actual": cluster.fill_hvparams(inst, skip_globals=True),
                "be_instance": dict(inst.beparams),
                "be_actual": cluster.fill_beparams(inst),
                "os_instance": dict(inst.osparams),
                "os_actual": cluster.simple_fill_os(inst.os or "", inst.osparams),
                "serial_no": inst.serial_no,
                "mtime": inst.mtime,
                "ctime": inst.ctime,
                "uuid": inst.uuid,
                "tags": sorted(inst.get_tags()),
            }
        return result
