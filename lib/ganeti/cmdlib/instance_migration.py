"""Moving instances between nodes: live and non-live migration, failover,
and migrating every primary instance off a node.

Owns OP_INSTANCE_MIGRATE (``LUInstanceMigrate``), OP_INSTANCE_FAILOVER
(``LUInstanceFailover``) and OP_NODE_MIGRATE (``LUNodeMigrate``): which
instances may move where (externally mirrored templates go to any node
given or chosen by an iallocator; DRBD only to its secondary), the node
procedures of a migration in Ganeti's order (migration_info,
accept_instance, instance_migrate, status polling, finalize on source
then target, abort on failure), the failover sequence (shutdown, disks
down, primary switched, disks up, start), cleanup after a failed
migration, and the hooks of instance-migrate, instance-failover and
node-migrate.

It must never reach a node except through ``self.rpc`` nor write
config.data except through ConfigWriter; a refused operation leaves the
configuration untouched.
"""

import logging
import time
from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti.cmdlib.base import LogicalUnit, ResultWithJobs
from ganeti.cmdlib import instance_utils as iu

#: seconds between two migration status polls
POLL_INTERVAL = 0.5
#: seconds between two progress messages of a running migration
FEEDBACK_INTERVAL = 10.0


def check_live_mode_args(op: Any) -> None:
    """``live`` and ``mode`` are two spellings of one choice: at most one."""
    if op.live is not None and op.mode is not None:
        raise errors.OpPrereqError(
            "Only one of the 'live' and 'mode' parameters can be given", errors.ECODE_INVAL
        )


class _MoveInstanceLU(LogicalUnit):
    """What migration and failover share: locks, target choice, checks, steps.

    ``failover`` starts as the class says and may turn True during
    check_prereq (``allow_failover``, ``always_failover``, instance down).
    """

    HTYPE = constants.HTYPE_INSTANCE
    REQ_BGL = False
    FAILOVER = False

    instance: Any = None
    failover: bool = False
    live: bool = False
    cleanup: bool = False
    template: str = constants.DT_DISKLESS
    source_node: str = ""
    target_node: str | None = None
    current_mem: int | None = None
    target_free_mem: int | None = None
    shutdown_timeout: int = constants.DEFAULT_SHUTDOWN_TIMEOUT
    ignore_consistency: bool = False

    # --- names and locks ---------------------------------------------------------------------

    def check_arguments(self) -> None:
        self.failover = self.FAILOVER
        self.cleanup = bool(getattr(self.op, "cleanup", False))

    def expand_names(self) -> None:
        iu.instance_name_lock(self)
        op = self.op
        if op.target_node is not None or op.target_node_uuid:
            op.target_node_uuid, op.target_node = iu.expand_node(
                self.cfg, op.target_node, op.target_node_uuid
            )
        for level in (locking.LEVEL_NODE, locking.LEVEL_NODE_RES, locking.LEVEL_NODE_ALLOC):
            self.needed_locks[level] = []
        self.recalculate_locks[locking.LEVEL_NODE] = constants.LOCKS_REPLACE
        self.recalculate_locks[locking.LEVEL_NODE_RES] = constants.LOCKS_REPLACE
        self.share_locks[locking.LEVEL_NODE_ALLOC] = 1

    def declare_locks(self, level: int) -> None:
        if level == locking.LEVEL_NODE_ALLOC:
            # node locks are computed here: the allocation lock depends on the template
            inst = self.cfg.get_instance_info(self.op.instance_uuid)
            if inst is None:
                return
            template = self.cfg.get_instance_disk_template(inst.uuid)
            if template in constants.DTS_EXT_MIRROR:
                if self.op.target_node_uuid is None:
                    self.needed_locks[locking.LEVEL_NODE] = locking.ALL_SET
                    self.needed_locks[locking.LEVEL_NODE_ALLOC] = locking.ALL_SET
                else:
                    self.needed_locks[locking.LEVEL_NODE] = [
                        inst.primary_node,
                        self.op.target_node_uuid,
                    ]
            else:
                self.needed_locks[locking.LEVEL_NODE] = self.cfg.get_instance_nodes(inst.uuid)
            self.recalculate_locks.pop(locking.LEVEL_NODE, None)
        elif level == locking.LEVEL_NODE_RES:
            nodes = self.needed_locks.get(locking.LEVEL_NODE)
            self.needed_locks[locking.LEVEL_NODE_RES] = (
                locking.ALL_SET if nodes is locking.ALL_SET else list(nodes or [])
            )
            self.recalculate_locks.pop(locking.LEVEL_NODE_RES, None)

    # --- prerequisites -----------------------------------------------------------------------

    def _verb(self) -> str:
        return "failover" if self.failover else "migrate"

    def check_prereq(self) -> None:
        cfg = self.cfg
        op = self.op
        inst = iu.get_locked_instance(self)
        self.instance = inst
        self.source_node = inst.primary_node
        self.template = cfg.get_instance_disk_template(inst.uuid)
        cluster = cfg.get_cluster_info()
        bep = cluster.fill_beparams(inst)

        if self.template not in constants.DTS_MIRRORED:
            raise errors.OpPrereqError(
                "Instance's disk layout '%s' does not allow %s"
                % (self.template, "failovers" if self.failover else "migrations"),
                errors.ECODE_STATE,
            )

        if self.template in constants.DTS_EXT_MIRROR:
            self._choose_ext_target()
        else:
            self._choose_int_target()

        if not self.cleanup:
            if not self.failover and bep.get(constants.BE_ALWAYS_FAILOVER):
                self.log_info("Instance configured to always failover; fallback to failover")
                self.failover = True
            if (
                not self.failover
                and inst.admin_state != constants.ADMINST_UP
                and getattr(op, "allow_failover", False)
            ):
                self.log_info(
                    "Instance is marked down or offline, fallback allowed, switching to failover"
                )
                self.failover = True

        if self.target_node is not None and not self.cleanup:
            self._check_target_node()
            iu.check_ipolicy(
                self,
                self.target_node,
                bep,
                [d.size for d in cfg.get_instance_disks(inst.uuid)],
                len(inst.nics),
                self.template,
                bool(op.ignore_ipolicy),
            )
            if not self.failover or inst.admin_state == constants.ADMINST_UP:
                self._check_target_memory(int(bep[constants.BE_MINMEM]))
                iu.check_nic_bridges(self, inst.nics, self.target_node)

        if not self.failover and not self.cleanup:
            res = self.rpc.call_instance_migratable(self.source_node, inst)
            if res.fail_msg and getattr(op, "allow_failover", False):
                self.log_info("Can't migrate, instance offline, fallback to failover")
                self.failover = True
            else:
                res.raise_error(
                    "Can't migrate, please use failover", prereq=True, ecode=errors.ECODE_STATE
                )

        if self.failover:
            self.live = False
            self.shutdown_timeout = int(
                getattr(op, "shutdown_timeout", None) or constants.DEFAULT_SHUTDOWN_TIMEOUT
            )
            self.ignore_consistency = bool(getattr(op, "ignore_consistency", False))
        else:
            self.live = self._live_mode()
            if not self.cleanup:
                self._read_runtime_memory()

    def _choose_ext_target(self) -> None:
        """Target of an externally mirrored instance: given, or from an iallocator."""
        op = self.op
        inst = self.instance
        if self.cleanup and not self.failover and op.target_node_uuid is None:
            self.target_node = None  # cleanup looks for the instance on every locked node
            return
        if op.target_node_uuid is not None and op.iallocator:
            raise errors.OpPrereqError(
                "Do not specify both, iallocator and node", errors.ECODE_INVAL
            )
        if op.target_node_uuid is None:
            if not op.iallocator or op.iallocator == constants.DEFAULT_IALLOCATOR_SHORTCUT:
                default = self.cfg.get_default_iallocator()
                if not default:
                    raise errors.OpPrereqError(
                        "No target node given and no cluster-wide default iallocator found;"
                        " give a target node (-n) or an iallocator (-I), or set a"
                        " cluster-wide default iallocator",
                        errors.ECODE_INVAL,
                    )
                op.iallocator = default
            self._run_allocator()
        else:
            self.target_node = op.target_node_uuid
        if self.target_node == inst.primary_node:
            raise errors.OpPrereqError(
                "Cannot %s instance %s to its primary (%s)"
                % (self._verb(), inst.name, self.cfg.get_node_name(inst.primary_node)),
                errors.ECODE_STATE,
            )

    def _choose_int_target(self) -> None:
        """Target of an internally mirrored (DRBD) instance: its secondary."""
        op = self.op
        inst = self.instance
        secondaries = self.cfg.get_instance_secondary_nodes(inst.uuid)
        if not secondaries:
            raise errors.OpPrereqError(
                "Instance %s has no secondary node, cannot %s it" % (inst.name, self._verb()),
                errors.ECODE_STATE,
            )
        if op.iallocator:
            raise errors.OpPrereqError(
                "Instances with disk template %s cannot be moved to nodes chosen by an"
                " iallocator; they always go to their secondary node" % self.template,
                errors.ECODE_INVAL,
            )
        if op.target_node_uuid is not None and op.target_node_uuid != secondaries[0]:
            raise errors.OpPrereqError(
                "Instances with disk template %s cannot be migrated to arbitrary nodes;"
                " the target node must be the secondary node %s"
                % (self.template, self.cfg.get_node_name(secondaries[0])),
                errors.ECODE_INVAL,
            )
        self.target_node = secondaries[0]

    def _run_allocator(self) -> None:
        from ganeti import iallocator

        op = self.op
        inst = self.instance
        ial = iallocator.IAllocator(
            self.cfg,
            self.rpc,
            iallocator.MODE_RELOC,
            name=inst.name,
            relocate_from=[self.cfg.get_node_name(inst.primary_node)],
        )
        ial.run(op.iallocator)
        if not ial.success:
            raise errors.OpPrereqError(
                "Can't compute nodes using iallocator '%s': %s" % (op.iallocator, ial.info),
                errors.ECODE_NORES,
            )
        name = ial.result[0]
        node = self.cfg.get_node_info_by_name(name)
        if node is None:
            raise errors.OpPrereqError(
                "iallocator '%s' chose unknown node '%s'" % (op.iallocator, name),
                errors.ECODE_FAULT,
            )
        self.target_node = node.uuid
        op.target_node, op.target_node_uuid = node.name, node.uuid
        self.log_info(
            "Selected nodes for instance %s via iallocator %s: %s", inst.name, op.iallocator, name
        )

    def _check_target_node(self) -> None:
        node = self.cfg.get_node_info(self.target_node)
        if node.offline:
            raise errors.OpPrereqError(
                "Can't %s to node %s: the node is offline" % (self._verb(), node.name),
                errors.ECODE_STATE,
            )
        if node.drained:
            raise errors.OpPrereqError(
                "Can't %s to node %s: the node is drained" % (self._verb(), node.name),
                errors.ECODE_STATE,
            )
        if not node.vm_capable:
            raise errors.OpPrereqError(
                "Can't %s to node %s: the node is not vm_capable" % (self._verb(), node.name),
                errors.ECODE_STATE,
            )

    def _hv_spec(self) -> list:
        inst = self.instance
        cluster = self.cfg.get_cluster_info()
        return [[inst.hypervisor, cluster.hvparams.get(inst.hypervisor, {})]]

    def _check_target_memory(self, needed: int) -> None:
        """The target must hold the instance's minimum memory; remembers its free memory."""
        node = self.target_node
        name = self.cfg.get_node_name(node)
        res = self.rpc.call_node_info([node], [], self._hv_spec())[node]
        res.raise_error(
            "Can't get data from node %s" % name, prereq=True, ecode=errors.ECODE_ENVIRON
        )
        try:
            hvinfo = res.payload[2][0]
            free = hvinfo.get("memory_free")
        except (TypeError, ValueError, IndexError, AttributeError):
            free = None
        if not isinstance(free, int):
            raise errors.OpPrereqError(
                "Can't compute free memory on node %s, result was '%s'" % (name, free),
                errors.ECODE_ENVIRON,
            )
        if needed > free:
            raise errors.OpPrereqError(
                "Not enough memory on node %s for %s instance %s: needed %s MiB,"
                " available %s MiB"
                % (
                    name,
                    "failing over" if self.failover else "migrating",
                    self.instance.name,
                    needed,
                    free,
                ),
                errors.ECODE_NORES,
            )
        self.target_free_mem = free

    def _live_mode(self) -> bool:
        op = self.op
        if op.live is not None:
            return bool(op.live)
        mode = op.mode
        if mode is None:
            hvp = self.cfg.get_cluster_info().fill_hvparams(self.instance)
            mode = hvp.get(constants.HV_MIGRATION_MODE) or constants.HT_MIGRATION_LIVE
        return mode == constants.HT_MIGRATION_LIVE

    def _read_runtime_memory(self) -> None:
        inst = self.instance
        cluster = self.cfg.get_cluster_info()
        res = self.rpc.call_instance_info(
            self.source_node, inst.name, inst.hypervisor, cluster.hvparams.get(inst.hypervisor, {})
        )
        res.raise_error(
            "Error checking node %s" % self.cfg.get_node_name(self.source_node),
            prereq=True,
            ecode=errors.ECODE_ENVIRON,
        )
        payload = res.payload or {}
        mem = payload.get("memory") if isinstance(payload, dict) else None
        self.current_mem = int(mem) if isinstance(mem, int) else None

    # --- hooks --------------------------------------------------------------------------------

    def _move_env(self) -> dict[str, Any]:
        cfg = self.cfg
        env: dict[str, Any] = {
            "OLD_PRIMARY": cfg.get_node_name(self.source_node),
            "NEW_PRIMARY": cfg.get_node_name(self.target_node) if self.target_node else "",
        }
        if self.template in constants.DTS_INT_MIRROR:
            env["OLD_SECONDARY"] = env["NEW_PRIMARY"]
            env["NEW_SECONDARY"] = env["OLD_PRIMARY"]
        else:
            env["OLD_SECONDARY"] = env["NEW_SECONDARY"] = ""
        return env

    def _hook_node_list(self) -> list[str]:
        """Master, source, secondaries and (externally mirrored) the target."""
        nodes = [self.cfg.get_master_node()]
        for node in self.cfg.get_instance_nodes(self.instance.uuid):
            if node not in nodes:
                nodes.append(node)
        if self.target_node and self.target_node not in nodes:
            nodes.append(self.target_node)
        return nodes

    # --- execution: shared steps ------------------------------------------------------------

    def _node_ip(self, node: str) -> str:
        info = self.cfg.get_node_info(node)
        return info.secondary_ip or info.primary_ip

    def _set_primary(self, node: str, feedback_fn: Callable[..., None]) -> None:
        """Records ``node`` as the primary (and, externally mirrored, the disks' node)."""
        cfg = self.cfg
        inst = cfg.get_instance_info(self.instance.uuid)
        inst.primary_node = node
        cfg.update(inst, feedback_fn)
        if self.template in constants.DTS_EXT_MIRROR:
            for disk in cfg.get_instance_disks(inst.uuid):
                if disk.nodes and list(disk.nodes) != [node]:
                    disk.nodes = [node]
                    cfg.update(disk, feedback_fn)
        self.instance = cfg.get_instance_info(inst.uuid)

    def _check_disks_on_target(self, target: str, what: str, force: bool = False) -> None:
        """Every disk must be reachable on ``target`` (the shared storage is shared)."""
        inst = self.instance
        for idx, disk in enumerate(self.cfg.get_instance_disks(inst.uuid)):
            if disk.dev_type not in (constants.DT_SHARED_FILE, constants.DT_BLOCK):
                continue
            res = self.rpc.call_blockdev_find(target, (disk, inst))
            if not res.fail_msg and res.payload is not None:
                continue
            if force:
                self.log_warning(
                    "Disk %d is not usable on target node %s, ignoring: %s",
                    idx,
                    self.cfg.get_node_name(target),
                    res.fail_msg or "not found",
                )
                continue
            raise errors.OpExecError(
                "Disk %d is degraded or not available on target node %s, aborting %s (%s)"
                % (idx, self.cfg.get_node_name(target), what, res.fail_msg or "disk not found")
            )

    # --- failover ------------------------------------------------------------------------------

    def _exec_failover(self, feedback_fn: Callable[..., None]) -> None:
        cfg = self.cfg
        inst = self.instance
        source = self.source_node
        target = self.target_node
        target_name = cfg.get_node_name(target)
        source_offline = cfg.get_node_info(source).offline
        if self.template in constants.DTS_INT_MIRROR:
            raise errors.OpExecError(
                "Failover of %s instances needs DRBD, which this build does not provide"
                % self.template
            )
        if inst.admin_state == constants.ADMINST_UP:
            feedback_fn("* checking disk consistency between source and target")
            self._check_disks_on_target(
                target, "failover", force=self.ignore_consistency or source_offline
            )
        else:
            feedback_fn("* not checking disk consistency as instance is not running")

        feedback_fn("* shutting down instance on source node")
        logging.info("Shutting down instance %s on node %s", inst.name, cfg.get_node_name(source))
        res = self.rpc.call_instance_shutdown(source, inst, self.shutdown_timeout, self.op.reason)
        if res.fail_msg:
            if self.ignore_consistency or source_offline:
                self.log_warning(
                    "Could not shutdown instance %s on node %s, proceeding anyway; please make"
                    " sure node %s is down; error details: %s",
                    inst.name,
                    cfg.get_node_name(source),
                    cfg.get_node_name(source),
                    res.fail_msg,
                )
            else:
                raise errors.OpExecError(
                    "Could not shutdown instance %s on node %s: %s"
                    % (inst.name, cfg.get_node_name(source), res.fail_msg)
                )

        feedback_fn("* deactivating the instance's disks on source node")
        if not iu.shutdown_disks(self, inst, ignore_primary=True):
            raise errors.OpExecError("Can't shut down the instance's disks")

        self._set_primary(target, feedback_fn)
        inst = self.instance

        if inst.admin_state != constants.ADMINST_UP:
            return
        feedback_fn("* activating the instance's disks on target node %s" % target_name)
        logging.info("Starting instance %s on node %s", inst.name, target_name)
        disks_ok, _ = iu.assemble_disks(self, inst, ignore_secondaries=True)
        if not disks_ok:
            iu.shutdown_disks(self, inst)
            raise errors.OpExecError("Can't activate the instance's disks")
        feedback_fn("* starting the instance on the target node %s" % target_name)
        res = self.rpc.call_instance_start(target, (inst, None, None), False, self.op.reason)
        if res.fail_msg:
            iu.shutdown_disks(self, inst)
            raise errors.OpExecError(
                "Could not start instance %s on node %s: %s"
                % (inst.name, target_name, res.fail_msg)
            )

    # --- migration -----------------------------------------------------------------------------

    def _abort_migration(self, info: Any) -> None:
        """Throws the target's copy away and resumes the source."""
        inst = self.instance
        res = self.rpc.call_instance_finalize_migration_dst(self.target_node, inst, info, False)
        if res.fail_msg:
            logging.error("Aborting migration failed on target node: %s", res.fail_msg)
            self.log_warning(
                "Aborting migration failed on target node %s: %s",
                self.cfg.get_node_name(self.target_node),
                res.fail_msg,
            )
        res = self.rpc.call_instance_finalize_migration_src(
            self.source_node, inst, False, self.live
        )
        if res.fail_msg:
            logging.error("Aborting migration failed on source node: %s", res.fail_msg)
            self.log_warning(
                "Aborting migration failed on source node %s: %s",
                self.cfg.get_node_name(self.source_node),
                res.fail_msg,
            )

    def _fit_memory(self, feedback_fn: Callable[..., None]) -> None:
        inst = self.instance
        if self.current_mem is None or self.target_free_mem is None:
            return
        if self.current_mem <= self.target_free_mem:
            return
        if not self.op.allow_runtime_changes:
            raise errors.OpExecError(
                "Memory ballooning not allowed and not enough free memory to fit instance %s"
                " on target node %s (have %d MiB, need %d MiB)"
                % (
                    inst.name,
                    self.cfg.get_node_name(self.target_node),
                    self.target_free_mem,
                    self.current_mem,
                )
            )
        feedback_fn("* setting instance memory to %s" % self.target_free_mem)
        res = self.rpc.call_instance_balloon_memory(self.source_node, inst, self.target_free_mem)
        res.raise_error("Cannot modify instance runtime memory")

    def _exec_migration(self, feedback_fn: Callable[..., None]) -> None:
        cfg = self.cfg
        inst = self.instance
        source, target = self.source_node, self.target_node
        target_name = cfg.get_node_name(target)
        if self.template in constants.DTS_INT_MIRROR:
            raise errors.OpExecError(
                "Migration of %s instances needs DRBD, which this build does not provide"
                % self.template
            )
        feedback_fn("* checking disk consistency between source and target")
        self._check_disks_on_target(target, "migration")
        self._fit_memory(feedback_fn)

        res = self.rpc.call_migration_info(source, inst)
        if res.fail_msg:
            raise errors.OpExecError(
                "Failed fetching source migration information from %s: %s"
                % (cfg.get_node_name(source), res.fail_msg)
            )
        info = res.payload

        feedback_fn("* preparing %s to accept the instance" % target_name)
        res = self.rpc.call_accept_instance(target, inst, info, self._node_ip(target))
        if res.fail_msg:
            logging.error("Instance pre-migration failed: %s", res.fail_msg)
            self._abort_migration(info)
            raise errors.OpExecError(
                "Could not pre-migrate instance %s: %s" % (inst.name, res.fail_msg)
            )

        feedback_fn("* migrating instance to %s" % target_name)
        res = self.rpc.call_instance_migrate(
            source, cfg.get_cluster_name(), inst, self._node_ip(target), self.live
        )
        if res.fail_msg:
            logging.error("Instance migration failed: %s", res.fail_msg)
            feedback_fn("Migration failed, aborting")
            self._abort_migration(info)
            raise errors.OpExecError(
                "Could not migrate instance %s: %s" % (inst.name, res.fail_msg)
            )

        self._wait_for_migration(info, feedback_fn)

        res = self.rpc.call_instance_finalize_migration_src(source, inst, True, self.live)
        if res.fail_msg:
            logging.error("Finalizing the migration on the source failed: %s", res.fail_msg)
            raise errors.OpExecError("Could not finalize instance migration: %s" % res.fail_msg)

        self._set_primary(target, feedback_fn)
        inst = self.instance

        res = self.rpc.call_instance_finalize_migration_dst(target, inst, info, True)
        if res.fail_msg:
            logging.error("Finalizing the migration on the target failed: %s", res.fail_msg)
            raise errors.OpExecError("Could not finalize instance migration: %s" % res.fail_msg)
        feedback_fn("* done")

    def _wait_for_migration(self, info: Any, feedback_fn: Callable[..., None]) -> None:
        inst = self.instance
        last_feedback = time.monotonic()
        while True:
            res = self.rpc.call_instance_get_migration_status(self.source_node, inst)
            status = res.payload if isinstance(res.payload, dict) else {}
            state = status.get("status")
            if res.fail_msg or state in constants.HV_MIGRATION_FAILED_STATUSES or not state:
                reason = res.fail_msg or status.get("info") or "migration status '%s'" % state
                logging.error("Instance migration failed: %s", reason)
                feedback_fn("Migration failed, aborting")
                self._abort_migration(info)
                raise errors.OpExecError("Could not migrate instance %s: %s" % (inst.name, reason))
            if state != constants.HV_MIGRATION_ACTIVE:
                feedback_fn("* memory transfer complete")
                return
            now = time.monotonic()
            total = status.get("total_ram") or 0
            if total and now - last_feedback >= FEEDBACK_INTERVAL:
                done = float(status.get("transferred_ram") or 0) * 100.0 / total
                feedback_fn("* memory transfer progress: %.2f %%" % done)
                last_feedback = now
            time.sleep(POLL_INTERVAL)

    def _exec_cleanup(self, feedback_fn: Callable[..., None]) -> None:
        cfg = self.cfg
        inst = self.instance
        source = self.source_node
        feedback_fn(
            "* checking where the instance actually runs"
            " (if this hangs, the hypervisor might be in a bad state)"
        )
        if self.target_node is not None:
            nodes = [source, self.target_node]
        else:
            owned = self.owned_locks(locking.LEVEL_NODE)
            nodes = [source] + sorted(
                n
                for n in cfg.get_vm_capable_node_list()
                if n != source and n in owned and not cfg.get_node_info(n).offline
            )
        cluster = cfg.get_cluster_info()
        answers = self.rpc.call_instance_list(nodes, [inst.hypervisor], cluster.hvparams)
        running = []
        for node in nodes:
            res = answers[node]
            res.raise_error("Can't contact node %s" % cfg.get_node_name(node))
            if inst.name in (res.payload or []):
                running.append(node)
        if len(running) > 1:
            raise errors.OpExecError(
                "Instance seems to be running on more than one node (%s), or the hypervisor is"
                " confused; make sure by hand that it runs on one node only, then repeat the"
                " cleanup" % ", ".join(cfg.get_node_names(running))
            )
        if not running:
            raise errors.OpExecError(
                "Instance does not seem to be running at all; it is safer to stop it with"
                " 'gnt-instance stop' (which also shuts its disks down) and start it again"
            )
        where = running[0]
        if where != source:
            self.target_node = where
            feedback_fn(
                "* instance running on secondary node (%s), updating config"
                % cfg.get_node_name(where)
            )
            self._set_primary(where, feedback_fn)
        else:
            feedback_fn(
                "* instance confirmed to be running on its primary node (%s)"
                % cfg.get_node_name(source)
            )
        feedback_fn("* done")

    def exec(self, feedback_fn: Callable[..., None]) -> None:
        name = self.instance.name
        if self.failover:
            feedback_fn("Failover instance %s" % name)
            self._exec_failover(feedback_fn)
        else:
            feedback_fn("Migrating instance %s" % name)
            if self.cleanup:
                self._exec_cleanup(feedback_fn)
            else:
                self._exec_migration(feedback_fn)


class LUInstanceMigrate(_MoveInstanceLU):
    """OP_INSTANCE_MIGRATE: moves a running instance without stopping it."""

    HPATH = "instance-migrate"

    def check_arguments(self) -> None:
        super().check_arguments()
        check_live_mode_args(self.op)

    def build_hooks_env(self) -> dict[str, Any]:
        env = self._move_env()
        env.update(
            {
                "MIGRATE_LIVE": self.live,
                "MIGRATE_CLEANUP": self.op.cleanup,
                "ALLOW_RUNTIME_CHANGES": self.op.allow_runtime_changes,
            }
        )
        return iu.instance_hook_env(self, self.instance, env)

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        nodes = self._hook_node_list()
        return nodes, list(nodes)


class LUInstanceFailover(_MoveInstanceLU):
    """OP_INSTANCE_FAILOVER: stops an instance and starts it on another node."""

    HPATH = "instance-failover"
    FAILOVER = True

    def build_hooks_env(self) -> dict[str, Any]:
        env = self._move_env()
        env.update(
            {
                "IGNORE_CONSISTENCY": self.op.ignore_consistency,
                "SHUTDOWN_TIMEOUT": self.op.shutdown_timeout,
                "FAILOVER_CLEANUP": self.op.cleanup,
            }
        )
        return iu.instance_hook_env(self, self.instance, env)

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        nodes = self._hook_node_list()
        pre = [n for n in nodes if n != self.source_node]
        return pre, pre + [self.source_node]


class LUNodeMigrate(LogicalUnit):
    """OP_NODE_MIGRATE: one OP_INSTANCE_MIGRATE job per primary instance of a node."""

    HPATH = "node-migrate"
    HTYPE = constants.HTYPE_NODE
    REQ_BGL = False

    def check_arguments(self) -> None:
        check_live_mode_args(self.op)

    def expand_names(self) -> None:
        op = self.op
        op.node_uuid, op.node_name = iu.expand_node(self.cfg, op.node_name, op.node_uuid)
        if op.target_node is not None or op.target_node_uuid:
            op.target_node_uuid, op.target_node = iu.expand_node(
                self.cfg, op.target_node, op.target_node_uuid
            )
            if op.target_node_uuid == op.node_uuid:
                raise errors.OpPrereqError(
                    "Can't migrate the instances of node %s to the same node" % op.node_name,
                    errors.ECODE_INVAL,
                )
        self.needed_locks = {locking.LEVEL_NODE: [op.node_uuid]}
        self.share_locks = dict.fromkeys(locking.LEVELS, 1)

    def build_hooks_env(self) -> dict[str, Any]:
        return {
            "NODE_NAME": self.op.node_name,
            "ALLOW_RUNTIME_CHANGES": self.op.allow_runtime_changes,
        }

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        master = [self.cfg.get_master_node()]
        return master, list(master)

    def exec(self, feedback_fn: Callable[..., None]) -> ResultWithJobs:
        from ganeti import opcodes
        from ganeti.utils import text as utils_text

        op = self.op
        primaries, _ = self.cfg.get_node_instances(op.node_uuid)
        names = utils_text.nice_sort([self.cfg.get_instance_name(uuid) for uuid in primaries])
        jobs = [
            [
                opcodes.OpInstanceMigrate(
                    instance_name=name,
                    mode=op.mode,
                    live=op.live,
                    iallocator=op.iallocator,
                    target_node=op.target_node,
                    allow_runtime_changes=op.allow_runtime_changes,
                    ignore_ipolicy=op.ignore_ipolicy,
                )
            ]
            for name in names
        ]
        return ResultWithJobs(jobs)
