"""Changing an instance: OP_INSTANCE_SET_PARAMS (``gnt-instance modify``).

Owns the checks and the application of instance changes: backend,
hypervisor and OS parameters, the OS itself, the offline flag, the memory
of a running instance, and adding, removing and changing disks and NICs
(``[[action, index or name, params], ...]`` modifications, the legacy
``[[add|remove|index, params], ...]`` form included).  Every check runs
before anything changes; the result lists what changed as Ganeti reports
it (``[(name, new value), ...]``).

It must never reach a node except through ``self.rpc``, nor write
config.data except through ConfigWriter.  Disk template conversion,
primary node change and hotplug are refused with a clear error.
"""

import os
from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import objects
from ganeti.cmdlib import instance_utils as iu
from ganeti.cmdlib.group import check_params_not_global, update_params
from ganeti.cmdlib.instance_ops import _InstanceLU


def upgrade_mods(mods: list) -> list[tuple[str, Any, dict]]:
    """``[(action, identifier, params)]`` from either modification format."""
    result = []
    for item in mods or []:
        if len(item) == 3:
            action, ident, params = item
        else:
            ident, params = item
            if ident == constants.DDM_ADD:
                action, ident = constants.DDM_ADD, -1
            elif ident == constants.DDM_REMOVE:
                action, ident = constants.DDM_REMOVE, -1
            else:
                action = constants.DDM_MODIFY
        if action not in constants.DDMS_VALUES_WITH_MODIFY:
            raise errors.OpPrereqError("Invalid modification '%s'" % action, errors.ECODE_INVAL)
        if action in (constants.DDM_ATTACH, constants.DDM_DETACH):
            raise errors.OpPrereqError(
                "Attaching and detaching disks is not supported", errors.ECODE_INVAL
            )
        params = dict(params or {})
        if action == constants.DDM_REMOVE and params:
            raise errors.OpPrereqError("Not accepting parameters on removal", errors.ECODE_INVAL)
        if isinstance(ident, str):
            try:
                ident = int(ident)
            except ValueError:
                pass
        result.append((action, ident, params))
    return result


def _find_item(items: list, ident: Any, kind: str, for_add: bool = False) -> int:
    """The index of ``ident`` (an index, -1 for the last, a name or a UUID)."""
    count = len(items)
    if isinstance(ident, int):
        if for_add:
            if ident == -1:
                return count
            if not 0 <= ident <= count:
                raise errors.OpPrereqError(
                    "Invalid %s index %s for adding (must be between 0 and %d)"
                    % (kind, ident, count),
                    errors.ECODE_INVAL,
                )
            return ident
        if ident == -1 and count:
            return count - 1
        if not 0 <= ident < count:
            raise errors.OpPrereqError(
                "Invalid %s index %s (instance has %d)" % (kind, ident, count),
                errors.ECODE_INVAL,
            )
        return ident
    if for_add:
        raise errors.OpPrereqError(
            "Only an index may be given when adding a %s" % kind, errors.ECODE_INVAL
        )
    for idx, item in enumerate(items):
        if ident in (item.name, item.uuid):
            return idx
    raise errors.OpPrereqError(
        "Cannot find %s with identifier %s" % (kind, ident), errors.ECODE_NOENT
    )


class LUInstanceSetParams(_InstanceLU):
    """Modifies an instance's parameters, disks and NICs."""

    HPATH = "instance-modify"
    NODE_LEVELS = {locking.LEVEL_NODE: False, locking.LEVEL_NODE_RES: False}

    # computed in check_prereq, applied in exec
    hv_inst: dict | None = None
    be_inst: dict | None = None
    os_inst: dict | None = None
    osp_inst: dict | None = None
    new_nics: list = []
    nic_changes: list = []
    disk_plan: list = []
    warnings: list = []

    def check_arguments(self) -> None:
        op = self.op
        self.disk_mods = upgrade_mods(op.disks)
        self.nic_mods = upgrade_mods(op.nics)
        if not (
            self.disk_mods
            or self.nic_mods
            or op.beparams
            or op.hvparams
            or op.osparams
            or op.osparams_private
            or op.os_name
            or op.offline is not None
            or op.runtime_mem
            or op.disk_template
            or op.pnode
            or op.pnode_uuid
        ):
            raise errors.OpPrereqError("No changes submitted", errors.ECODE_INVAL)
        if op.disk_template:
            raise errors.OpPrereqError(
                "Changing the disk template is not supported yet", errors.ECODE_INVAL
            )
        if op.pnode or op.pnode_uuid:
            raise errors.OpPrereqError(
                "Changing the primary node is not supported yet; use failover or move",
                errors.ECODE_INVAL,
            )
        if op.hotplug:
            raise errors.OpPrereqError(
                "Hotplug is not supported by the hypervisors of this build", errors.ECODE_INVAL
            )
        if op.instance_communication is not None:
            raise errors.OpPrereqError(
                "Instance communication is not supported yet", errors.ECODE_INVAL
            )
        if op.ext_params:
            raise errors.OpPrereqError(
                "ext parameters need the ext disk template, which is not available",
                errors.ECODE_INVAL,
            )
        check_params_not_global(op.hvparams, constants.HVC_GLOBALS, "instance")
        if op.offline is not None and (self.disk_mods or self.nic_mods):
            raise errors.OpPrereqError(
                "Cannot change the offline flag together with disks or NICs",
                errors.ECODE_INVAL,
            )

    # --- prerequisites -----------------------------------------------------------------------

    def check_prereq(self) -> None:
        super().check_prereq()
        op = self.op
        inst = self.instance
        cfg = self.cfg
        cluster = cfg.get_cluster_info()
        self.warnings = []
        nodes = cfg.get_instance_nodes(inst.uuid)
        # OS
        os_name = op.os_name or inst.os
        if op.os_name:
            iu.check_os_name(cluster, op.os_name)
        if op.osparams or op.osparams_private or (op.os_name and not op.force):
            self.os_inst = update_params(inst.osparams, op.osparams)
            self.osp_inst = update_params(inst.osparams_private, op.osparams_private)
            filled = cluster.simple_fill_os(os_name, self.os_inst, self.osp_inst)
            iu.check_node_has_os(self, [inst.primary_node], os_name, filled, op.force_variant)
        # hypervisor parameters
        hv_new = cluster.fill_hvparams(inst, skip_globals=True)
        if op.hvparams:
            self.hv_inst = update_params(inst.hvparams, op.hvparams)
            hv_new = iu.fill_hvparams_checked(self, nodes, inst.hypervisor, os_name, self.hv_inst)
        # backend parameters
        be_old = cluster.fill_beparams(inst)
        be_new = be_old
        if op.beparams:
            changes = dict(op.beparams)
            if constants.BE_MEMORY in changes:
                mem = changes.pop(constants.BE_MEMORY)
                changes.setdefault(constants.BE_MAXMEM, mem)
                changes.setdefault(constants.BE_MINMEM, mem)
            self.be_inst = update_params(
                inst.beparams, changes, constants.BES_PARAMETER_TYPES, "backend"
            )
            be_new = cluster.simple_fill_be(self.be_inst)
            if be_new[constants.BE_MINMEM] > be_new[constants.BE_MAXMEM]:
                raise errors.OpPrereqError(
                    "Instance %s's minimum memory %s is greater than maximum memory %s"
                    % (inst.name, be_new[constants.BE_MINMEM], be_new[constants.BE_MAXMEM]),
                    errors.ECODE_INVAL,
                )
            if (
                be_new[constants.BE_MAXMEM] > be_old[constants.BE_MAXMEM]
                and not op.force
                and inst.admin_state == constants.ADMINST_UP
            ):
                self._check_memory_growth(be_new[constants.BE_MAXMEM])
        self.be_new = be_new
        self.hv_new = hv_new
        # offline flag
        if op.offline:
            if inst.admin_state not in (constants.ADMINST_DOWN, constants.ADMINST_OFFLINE):
                raise errors.OpPrereqError(
                    "Instance '%s' is marked to be %s, can't change to offline"
                    % (inst.name, inst.admin_state),
                    errors.ECODE_STATE,
                )
        # memory of the running instance
        if op.runtime_mem:
            self._check_runtime_mem(be_new)
        # NICs and disks
        self._prepare_nics(cluster)
        self._prepare_disks(cluster)
        # the instance policy, when the spec changes
        if op.beparams or self.disk_mods or self.nic_mods:
            disks = self._planned_disk_sizes()
            template = cfg.get_instance_disk_template(inst.uuid)
            iu.check_ipolicy(
                self,
                inst.primary_node,
                be_new,
                disks,
                len(self.new_nics),
                template,
                op.ignore_ipolicy,
            )

    def _check_memory_growth(self, new_max: int) -> None:
        inst = self.instance
        info = self.remote_info()
        current = int(info.get("memory", 0)) if info else 0
        cluster = self.cfg.get_cluster_info()
        iu.check_node_resources(
            self,
            inst.primary_node,
            "the new maximum memory of instance %s" % inst.name,
            memory=max(0, new_max - current),
            hv_name=inst.hypervisor,
            hvparams=cluster.fill_hvparams(inst),
        )

    def _check_runtime_mem(self, be_new: dict) -> None:
        op = self.op
        inst = self.instance
        info = self.remote_info()
        if not info:
            raise errors.OpPrereqError(
                "Instance %s is not running, cannot change its runtime memory" % inst.name,
                errors.ECODE_STATE,
            )
        if not op.force and not (
            be_new[constants.BE_MINMEM] <= op.runtime_mem <= be_new[constants.BE_MAXMEM]
        ):
            raise errors.OpPrereqError(
                "Instance %s must have memory between %d and %d MB of memory unless"
                " --force is given"
                % (inst.name, be_new[constants.BE_MINMEM], be_new[constants.BE_MAXMEM]),
                errors.ECODE_INVAL,
            )
        delta = op.runtime_mem - int(info.get("memory", 0))
        if delta > 0:
            iu.check_node_resources(
                self,
                inst.primary_node,
                "ballooning memory for instance %s" % inst.name,
                memory=delta,
                hv_name=inst.hypervisor,
            )

    def _prepare_nics(self, cluster: Any) -> None:
        inst = self.instance
        cfg = self.cfg
        new_nics = [n.copy() for n in inst.nics]
        changes: list = []
        for action, ident, params in self.nic_mods:
            if action == constants.DDM_ADD:
                idx = _find_item(new_nics, ident, "NIC", for_add=True)
                nic = iu.compute_nics([params], cluster, cfg, None, False)[0]
                self._check_nic_name(new_nics, nic.name)
                new_nics.insert(idx, nic)
                changes.append((action, idx, nic, params))
            elif action == constants.DDM_REMOVE:
                idx = _find_item(new_nics, ident, "NIC")
                changes.append((action, idx, new_nics.pop(idx), params))
            else:
                idx = _find_item(new_nics, ident, "NIC")
                nic = new_nics[idx]
                self._modify_nic(nic, params, new_nics)
                changes.append((action, idx, nic, params))
        if len(new_nics) > constants.MAX_NICS:
            raise errors.OpPrereqError(
                "Instance has too many network interfaces (%d), cannot add more" % len(new_nics),
                errors.ECODE_STATE,
            )
        touched = [c[2] for c in changes if c[0] != constants.DDM_REMOVE]
        if touched:
            try:
                iu.check_nic_bridges(self, touched, inst.primary_node)
            except errors.OpPrereqError as err:
                if not self.op.force:
                    raise
                self.warnings.append(str(err))
        job = iu.ec_id(self)
        for nic in touched:
            if nic.mac in (constants.VALUE_AUTO, constants.VALUE_GENERATE):
                nic.mac = cfg.generate_mac(nic.network, job)
        self.new_nics = new_nics
        self.nic_changes = changes

    @staticmethod
    def _check_nic_name(nics: list, name: str | None, skip: Any = None) -> None:
        if name is None:
            return
        for other in nics:
            if other is not skip and other.name == name:
                raise errors.OpPrereqError(
                    "NIC name '%s' already used" % name, errors.ECODE_NOTUNIQUE
                )

    def _modify_nic(self, nic: objects.NIC, params: dict, nics: list) -> None:
        cfg = self.cfg
        unknown = sorted(set(params) - set(constants.INIC_PARAMS_TYPES))
        if unknown:
            raise errors.OpPrereqError(
                "Unknown NIC parameter(s): %s" % ", ".join(unknown), errors.ECODE_INVAL
            )
        nicparams = dict(nic.nicparams or {})
        for key in (constants.INIC_MODE, constants.INIC_LINK, constants.INIC_VLAN):
            if key in params:
                value = params[key]
                if value is None or value == constants.VALUE_DEFAULT:
                    nicparams.pop(key, None)
                else:
                    nicparams[key] = value
        if constants.INIC_BRIDGE in params and constants.INIC_LINK not in params:
            nicparams[constants.NIC_LINK] = params[constants.INIC_BRIDGE]
        mode = nicparams.get(constants.NIC_MODE)
        if mode is not None and mode not in constants.NIC_VALID_MODES:
            raise errors.OpPrereqError("Invalid NIC mode '%s'" % mode, errors.ECODE_INVAL)
        iu.force_param_types(nicparams, constants.NICS_PARAMETER_TYPES, "NIC")
        nic.nicparams = nicparams
        if constants.INIC_IP in params:
            ip = params[constants.INIC_IP]
            nic.ip = None if ip is None or ip.lower() == constants.VALUE_NONE else iu.check_ip(ip)
        if constants.INIC_MAC in params:
            mac = params[constants.INIC_MAC]
            if mac in (constants.VALUE_AUTO, constants.VALUE_GENERATE):
                nic.mac = constants.VALUE_GENERATE
            else:
                nic.mac = iu.normalize_mac(mac)
                try:
                    cfg.reserve_mac(nic.mac, iu.ec_id(self))
                except errors.ReservationError:
                    raise errors.OpPrereqError(
                        "MAC address '%s' already in use in cluster" % nic.mac,
                        errors.ECODE_NOTUNIQUE,
                    ) from None
        if constants.INIC_NAME in params:
            name = params[constants.INIC_NAME]
            name = None if name is None or name.lower() == constants.VALUE_NONE else name
            self._check_nic_name(nics, name, skip=nic)
            nic.name = name
        if constants.INIC_NETWORK in params:
            net = params[constants.INIC_NETWORK]
            if net is None or net.lower() == constants.VALUE_NONE:
                nic.network = None
            else:
                net_uuid = cfg.lookup_network(net)
                if net_uuid is None:
                    raise errors.OpPrereqError("Network '%s' not found" % net, errors.ECODE_NOENT)
                nic.network = net_uuid
        if (
            self.cfg.get_cluster_info().fill_nicparams(nic).get(constants.NIC_MODE)
            == constants.NIC_MODE_ROUTED
            and not nic.ip
            and not nic.network
        ):
            raise errors.OpPrereqError(
                "Cannot set the NIC IP address to None on a routed NIC", errors.ECODE_INVAL
            )

    def _prepare_disks(self, cluster: Any) -> None:
        inst = self.instance
        cfg = self.cfg
        disks = cfg.get_instance_disks(inst.uuid)
        plan: list = []
        if not self.disk_mods:
            self.disk_plan = plan
            self._final_disks = disks
            return
        if not disks:
            raise errors.OpPrereqError(
                "Disk operations not supported for diskless instances", errors.ECODE_INVAL
            )
        template = disks[0].dev_type
        current = list(disks)
        added_mib = 0
        for action, ident, params in self.disk_mods:
            if action == constants.DDM_ADD:
                idx = _find_item(current, ident, "disk", for_add=True)
                spec = iu.compute_disks([params], template)[0]
                if spec.get(constants.IDISK_NAME) and any(
                    d.name == spec[constants.IDISK_NAME] for d in current
                ):
                    raise errors.OpPrereqError(
                        "Disk name '%s' already used" % spec[constants.IDISK_NAME],
                        errors.ECODE_NOTUNIQUE,
                    )
                placeholder = objects.Disk(
                    dev_type=template,
                    size=spec[constants.IDISK_SIZE],
                    mode=spec[constants.IDISK_MODE],
                    name=spec.get(constants.IDISK_NAME),
                )
                current.insert(idx, placeholder)
                plan.append((action, idx, placeholder, spec))
                added_mib += spec[constants.IDISK_SIZE]
            elif action == constants.DDM_REMOVE:
                idx = _find_item(current, ident, "disk")
                if len(current) == 1:
                    raise errors.OpPrereqError(
                        "Cannot remove the last disk of an instance", errors.ECODE_INVAL
                    )
                plan.append((action, idx, current.pop(idx), params))
            else:
                idx = _find_item(current, ident, "disk")
                unknown = sorted(set(params) - {constants.IDISK_MODE, constants.IDISK_NAME})
                if unknown:
                    raise errors.OpPrereqError(
                        "Disk modification doesn't support additional arbitrary parameters"
                        " (%s); only mode and name can change" % ", ".join(unknown),
                        errors.ECODE_INVAL,
                    )
                mode = params.get(constants.IDISK_MODE)
                if mode is not None and mode not in constants.DISK_ACCESS_SET:
                    raise errors.OpPrereqError(
                        "Invalid disk access mode '%s'" % mode, errors.ECODE_INVAL
                    )
                plan.append((action, idx, current[idx], params))
        if len(current) > constants.MAX_DISKS:
            raise errors.OpPrereqError(
                "Instance has too many disks (%d), cannot add more" % len(current),
                errors.ECODE_STATE,
            )
        if any(p[0] == constants.DDM_REMOVE for p in plan):
            self.check_not_running("cannot remove disks")
        if added_mib:
            iu.check_node_resources(
                self,
                inst.primary_node,
                "new disks of instance %s" % inst.name,
                template=template,
                disk_mib=added_mib,
            )
        self.disk_plan = plan
        self._final_disks = current

    def _planned_disk_sizes(self) -> list[int]:
        return [d.size for d in self._final_disks]

    # --- hooks -------------------------------------------------------------------------------

    def build_hooks_env(self) -> dict[str, Any]:
        inst = self.instance
        cfg = self.cfg
        cluster = cfg.get_cluster_info()
        disks = getattr(self, "_final_disks", None)
        if disks is None:
            disks = cfg.get_instance_disks(inst.uuid)
        nics = self.new_nics if self.nic_mods else list(inst.nics)
        env = iu.build_instance_hook_env(
            inst.name,
            cfg.get_node_name(inst.primary_node),
            [cfg.get_node_name(n) for n in cfg.get_instance_nodes(inst.uuid)[1:]],
            self.op.os_name or inst.os,
            inst.admin_state,
            self.be_new,
            self.hv_new,
            inst.hypervisor,
            nics,
            [cluster.fill_nicparams(n) for n in nics],
            disks[0].dev_type if disks else constants.DT_DISKLESS,
            disks,
            inst.get_tags(),
            cfg.get_all_networks_info() if any(n.network for n in nics) else None,
        )
        if self.op.disk_template:
            env["NEW_DISK_TEMPLATE"] = self.op.disk_template
        if self.op.runtime_mem:
            env["RUNTIME_MEMORY"] = self.op.runtime_mem
        return env

    # --- execution ---------------------------------------------------------------------------

    def exec(self, feedback_fn: Callable[..., None]) -> list:
        try:
            return self._exec(feedback_fn)
        finally:
            self.cfg.drop_ec_reservations(iu.ec_id(self))

    def _exec(self, feedback_fn: Callable[..., None]) -> list:
        op = self.op
        cfg = self.cfg
        inst = self.instance
        result: list = []
        for warning in self.warnings:
            feedback_fn("Warning: %s" % warning)
        if op.runtime_mem:
            res = self.rpc.call_instance_balloon_memory(inst.primary_node, inst, op.runtime_mem)
            res.raise_error("Error changing the memory of instance %s" % inst.name)
            result.append(("runtime_memory", op.runtime_mem))
        self._apply_disks(feedback_fn, result)
        inst = cfg.get_instance_info(inst.uuid)
        self.instance = inst
        if self.nic_mods:
            self._apply_nics(inst, result)
        if self.hv_inst is not None:
            inst.hvparams = self.hv_inst
            for key, value in op.hvparams.items():
                result.append(("hv/%s" % key, value))
        if self.be_inst is not None:
            inst.beparams = self.be_inst
            for key, value in op.beparams.items():
                result.append(("be/%s" % key, value))
        if op.os_name and op.os_name != inst.os:
            inst.os = op.os_name
            result.append(("os_name", op.os_name))
        if self.os_inst is not None and op.osparams:
            inst.osparams = self.os_inst
            for key, value in op.osparams.items():
                result.append(("os/%s" % key, value))
        if self.osp_inst is not None and op.osparams_private:
            inst.osparams_private = self.osp_inst
            for key in op.osparams_private:
                result.append(("os_private/%s" % key, "<private>"))
        if (
            self.nic_mods
            or self.hv_inst is not None
            or self.be_inst is not None
            or op.os_name
            or self.os_inst is not None
            or self.osp_inst is not None
        ):
            cfg.update(inst, feedback_fn, ec_id=iu.ec_id(self))
        if op.offline is not None:
            if op.offline:
                cfg.mark_instance_offline(inst.uuid)
                result.append(("admin_state", constants.ADMINST_OFFLINE))
            elif inst.admin_state == constants.ADMINST_OFFLINE:
                cfg.mark_instance_down(inst.uuid)
                result.append(("admin_state", constants.ADMINST_DOWN))
        return result

    def _apply_nics(self, inst: objects.Instance, result: list) -> None:
        cluster = self.cfg.get_cluster_info()
        for action, idx, nic, _params in self.nic_changes:
            if action == constants.DDM_ADD:
                filled = cluster.fill_nicparams(nic)
                result.append(
                    (
                        "nic.%d" % idx,
                        "add:mac=%s,ip=%s,mode=%s,link=%s,network=%s"
                        % (
                            nic.mac,
                            nic.ip,
                            filled.get(constants.NIC_MODE),
                            filled.get(constants.NIC_LINK),
                            nic.network,
                        ),
                    )
                )
            elif action == constants.DDM_REMOVE:
                result.append(("nic.%d" % idx, "remove"))
            else:
                for key, value in sorted(_params.items()):
                    result.append(("nic.%s/%d" % (key, idx), value))
        for nic in self.new_nics:
            if not nic.uuid:
                nic.uuid = self.cfg.generate_unique_id(iu.ec_id(self))
        inst.nics = self.new_nics

    def _apply_disks(self, feedback_fn: Callable, result: list) -> None:
        cfg = self.cfg
        inst = self.instance
        job = iu.ec_id(self)
        for action, idx, disk, params in self.disk_plan:
            inst = cfg.get_instance_info(inst.uuid)
            if action == constants.DDM_REMOVE:
                iu.remove_disks(self, inst, [disk], remove_dirs=False)
                cfg.remove_instance_disk(inst.uuid, disk.uuid)
                result.append(("disk/%d" % idx, "remove"))
            elif action == constants.DDM_ADD:
                existing = cfg.get_instance_disks(inst.uuid)
                storage_dir = None
                if existing and existing[0].dev_type in (
                    constants.DT_FILE,
                    constants.DT_SHARED_FILE,
                ):
                    storage_dir = os.path.dirname(existing[0].logical_id[1])
                driver = existing[0].logical_id[0] if existing and existing[0].logical_id else None
                new = iu.generate_disks(
                    cfg, job, disk.dev_type, inst.primary_node, [params], storage_dir, driver, idx
                )[0]
                iu.create_disks(self, inst, [new], feedback_fn)
                try:
                    cfg.add_instance_disk(inst.uuid, new, idx=idx, ec_id=job)
                except errors.GenericError:
                    iu.remove_disks(self, inst, [new], remove_dirs=False)
                    raise
                if not (inst.disks_active or inst.admin_state == constants.ADMINST_UP):
                    iu.shutdown_disks(self, inst, disks=[new])
                result.append(("disk/%d" % idx, "add:size=%s,mode=%s" % (new.size, new.mode)))
                if inst.admin_state == constants.ADMINST_UP:
                    self.log_warning(
                        "The new disk is seen by the instance only after its next restart"
                    )
            else:
                live = cfg.get_disk_info(disk.uuid)
                if constants.IDISK_MODE in params:
                    live.mode = params[constants.IDISK_MODE]
                    result.append(("disk.mode/%d" % idx, live.mode))
                if constants.IDISK_NAME in params:
                    name = params[constants.IDISK_NAME]
                    live.name = None if name in (None, constants.VALUE_NONE) else name
                    result.append(("disk.name/%d" % idx, live.name))
                cfg.update(live, feedback_fn)
