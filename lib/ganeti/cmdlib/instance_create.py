"""Creating instances: OP_INSTANCE_CREATE (``gnt-instance add``).

Owns the checks a new instance must pass (name, template, hypervisor and
backend parameters, OS, NICs, disks, instance policy, free memory and
storage on its node, chosen by the operator or by an iallocator) and the
order of its creation: disks on their nodes, then the configuration, then
the OS create scripts, then the start.  A failure before the instance is
in the configuration leaves nothing behind (the disks it created are
removed, its lock and reservations dropped).

It must never reach a node except through ``self.rpc``, nor write
config.data except through ConfigWriter.
"""

from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import objects
from ganeti.cmdlib.base import LogicalUnit
from ganeti.cmdlib import instance_utils as iu


def release_locks(lu: LogicalUnit, level: int, keep: list[str]) -> None:
    """Releases the locks of ``level`` not in ``keep``."""
    owned = lu.owned_locks(level)
    drop = [name for name in owned if name not in keep]
    if drop:
        lu.glm.release(level, drop)


def allocation_request(
    cfg: Any, op: Any, template: str, disk_info: list[dict], nics: list, be_full: dict
) -> dict:
    """The iallocator ``allocate`` request of an OP_INSTANCE_CREATE."""
    cluster = cfg.get_cluster_info()
    filled = [cluster.fill_nicparams(nic) for nic in nics]
    return dict(
        name=op.instance_name,
        disk_template=template,
        group_name=op.group_name,
        tags=list(op.tags or []),
        os=op.os_type,
        vcpus=be_full[constants.BE_VCPUS],
        memory=be_full[constants.BE_MAXMEM],
        spindle_use=be_full[constants.BE_SPINDLE_USE],
        disks=[
            {
                constants.IDISK_SIZE: d[constants.IDISK_SIZE],
                constants.IDISK_MODE: d[constants.IDISK_MODE],
                constants.IDISK_SPINDLES: d.get(constants.IDISK_SPINDLES),
            }
            for d in disk_info
        ],
        nics=[
            {
                "mac": nic.mac,
                "ip": nic.ip,
                "mode": params.get(constants.NIC_MODE),
                "link": params.get(constants.NIC_LINK),
                "network": nic.network,
            }
            for nic, params in zip(nics, filled)
        ],
        hypervisor=op.hypervisor or cluster.primary_hypervisor,
    )


class LUInstanceCreate(LogicalUnit):
    """Creates an instance (import modes belong to the backup LUs)."""

    HPATH = "instance-add"
    HTYPE = constants.HTYPE_INSTANCE
    REQ_BGL = False

    # state between the steps
    check_ip: str | None = None
    pnode_uuid: str = ""
    snode_uuids: list = []
    be_own: dict = {}
    be_full: dict = {}
    hv_full: dict = {}
    os_full: dict = {}
    nics: list = []
    disk_info: list = []
    storage_dir: str | None = None
    instance: objects.Instance | None = None

    # --- arguments ---------------------------------------------------------------------------

    def check_arguments(self) -> None:
        op = self.op
        if op.mode is None:
            op.mode = constants.INSTANCE_CREATE
        if op.mode != constants.INSTANCE_CREATE:
            raise errors.OpPrereqError(
                "Creation mode '%s' is done by the import machinery, which is not available"
                " here yet; use mode 'create'" % op.mode,
                errors.ECODE_INVAL,
            )
        if op.forthcoming or op.commit:
            raise errors.OpPrereqError(
                "Forthcoming instances are not supported", errors.ECODE_INVAL
            )
        if op.no_install is None:
            op.no_install = False
        if op.no_install and op.start:
            self.log_info("No-installation mode selected, disabling startup")
            op.start = False
        if op.ip_check and not op.name_check:
            raise errors.OpPrereqError(
                "Cannot do IP address check without a name check", errors.ECODE_INVAL
            )
        if not op.os_type:
            raise errors.OpPrereqError("No guest OS specified", errors.ECODE_INVAL)
        if op.file_driver is not None and op.file_driver not in constants.FILE_DRIVER:
            raise errors.OpPrereqError(
                "Invalid file driver name '%s'" % op.file_driver, errors.ECODE_INVAL
            )
        for tag in op.tags or []:
            try:
                objects.TaggableObject.validate_tag(tag)
            except errors.TagError as err:
                raise errors.OpPrereqError(str(err), errors.ECODE_INVAL) from None
        if op.iallocator == constants.DEFAULT_IALLOCATOR_SHORTCUT:
            op.iallocator = None
            self._use_default_iallocator = True
        else:
            self._use_default_iallocator = False
        if op.iallocator and (op.pnode or op.pnode_uuid):
            raise errors.OpPrereqError(
                "Do not specify both, iallocator and node", errors.ECODE_INVAL
            )
        if op.name_check:
            full, ip = iu.resolve_instance_name(op.instance_name)
            op.instance_name = full
            self.check_ip = ip
        if op.disks is None:
            op.disks = []
        if op.nics is None:
            op.nics = []

    # --- locks -------------------------------------------------------------------------------

    def expand_names(self) -> None:
        op = self.op
        cfg = self.cfg
        if cfg.get_instance_info_by_name(op.instance_name) is not None:
            raise errors.OpPrereqError(
                "Instance '%s' is already in the cluster" % op.instance_name,
                errors.ECODE_EXISTS,
            )
        if not op.iallocator and not op.pnode and not op.pnode_uuid:
            default = cfg.get_default_iallocator()
            if not default:
                raise errors.OpPrereqError(
                    "No iallocator or node given and no cluster-wide default iallocator"
                    " found; please specify either an iallocator or a node, or set a"
                    " cluster-wide default iallocator",
                    errors.ECODE_INVAL,
                )
            op.iallocator = default
        self.needed_locks = {}
        self.add_locks[locking.LEVEL_INSTANCE] = [op.instance_name]
        # added locks go again unless the instance reaches the configuration
        self.remove_locks[locking.LEVEL_INSTANCE] = [op.instance_name]
        if op.iallocator:
            self.needed_locks[locking.LEVEL_NODE_ALLOC] = locking.ALL_SET
            self.needed_locks[locking.LEVEL_NODE] = locking.ALL_SET
            self.needed_locks[locking.LEVEL_NODE_RES] = locking.ALL_SET
            self.needed_locks[locking.LEVEL_NODEGROUP] = locking.ALL_SET
            if op.opportunistic_locking:
                self.opportunistic_locks[locking.LEVEL_NODE] = True
                self.opportunistic_locks[locking.LEVEL_NODE_RES] = True
        else:
            op.pnode_uuid, op.pnode = iu.expand_node(cfg, op.pnode, op.pnode_uuid)
            nodes = [op.pnode_uuid]
            if op.snode or op.snode_uuid:
                op.snode_uuid, op.snode = iu.expand_node(cfg, op.snode, op.snode_uuid)
                if op.snode_uuid == op.pnode_uuid:
                    raise errors.OpPrereqError(
                        "The secondary node cannot be the primary node", errors.ECODE_INVAL
                    )
                nodes.append(op.snode_uuid)
            self.needed_locks[locking.LEVEL_NODE] = nodes
            self.needed_locks[locking.LEVEL_NODE_RES] = list(nodes)
            self.needed_locks[locking.LEVEL_NODEGROUP] = sorted(
                cfg.get_node_groups_from_nodes(nodes)
            )
        # node objects are only read: instances on the same nodes go in parallel
        self.share_locks[locking.LEVEL_NODE] = 1
        self.share_locks[locking.LEVEL_NODEGROUP] = 1

    # --- prerequisites -----------------------------------------------------------------------

    def _run_allocator(self, template: str, disk_info: list[dict], nics: list) -> None:
        from ganeti import iallocator

        op = self.op
        request = allocation_request(self.cfg, op, template, disk_info, nics, self.be_full)
        if op.opportunistic_locking:
            request["node_whitelist"] = self.cfg.get_node_names(
                sorted(self.owned_locks(locking.LEVEL_NODE))
            )
        ial = iallocator.IAllocator(self.cfg, self.rpc, iallocator.MODE_ALLOC, **request)
        ial.run(op.iallocator)
        if not ial.success:
            ecode = errors.ECODE_TEMP_NORES if op.opportunistic_locking else errors.ECODE_NORES
            raise errors.OpPrereqError(
                "Can't compute nodes using iallocator '%s': %s" % (op.iallocator, ial.info),
                ecode,
            )
        names = list(ial.result)
        uuids = []
        for name in names:
            node = self.cfg.get_node_info_by_name(name)
            if node is None:
                raise errors.OpPrereqError(
                    "iallocator '%s' chose unknown node '%s'" % (op.iallocator, name),
                    errors.ECODE_FAULT,
                )
            uuids.append(node.uuid)
        op.pnode_uuid, op.pnode = uuids[0], names[0]
        self.log_info(
            "Selected nodes for instance %s via iallocator %s: %s",
            op.instance_name,
            op.iallocator,
            ", ".join(names),
        )
        if len(uuids) > 1:
            op.snode_uuid, op.snode = uuids[1], names[1]
        keep = uuids
        if not set(keep) <= self.owned_locks(locking.LEVEL_NODE_RES) and self.owned_locks(
            locking.LEVEL_NODE_RES
        ):
            raise errors.OpPrereqError(
                "iallocator '%s' chose nodes whose locks this job does not hold" % op.iallocator,
                errors.ECODE_TEMP_NORES,
            )
        release_locks(self, locking.LEVEL_NODE_RES, keep)
        release_locks(self, locking.LEVEL_NODE, keep)
        groups = {self.cfg.get_node_info(u).group for u in keep}
        release_locks(self, locking.LEVEL_NODEGROUP, sorted(groups))
        release_locks(self, locking.LEVEL_NODE_ALLOC, [])

    def _check_node(self, node_uuid: str, what: str) -> objects.Node:
        node = self.cfg.get_node_info(node_uuid)
        if node is None:
            raise errors.OpPrereqError(
                "%s node %s not known" % (what.capitalize(), node_uuid), errors.ECODE_NOENT
            )
        if node.offline:
            raise errors.OpPrereqError(
                "Cannot use offline %s node '%s'" % (what, node.name), errors.ECODE_STATE
            )
        if node.drained:
            raise errors.OpPrereqError(
                "Cannot use drained %s node '%s'" % (what, node.name), errors.ECODE_STATE
            )
        if not node.vm_capable:
            raise errors.OpPrereqError(
                "Cannot use non-vm_capable %s node '%s'" % (what, node.name),
                errors.ECODE_STATE,
            )
        return node

    def check_prereq(self) -> None:
        op = self.op
        cfg = self.cfg
        cluster = cfg.get_cluster_info()
        if cfg.get_instance_info_by_name(op.instance_name) is not None:
            raise errors.OpPrereqError(
                "Instance '%s' is already in the cluster" % op.instance_name,
                errors.ECODE_EXISTS,
            )
        # template and disks
        if op.disk_template is None:
            if not cluster.enabled_disk_templates:
                raise errors.OpPrereqError(
                    "No disk template given and none enabled on the cluster",
                    errors.ECODE_INVAL,
                )
            op.disk_template = cluster.enabled_disk_templates[0]
        template = iu.check_disk_template(cluster, op.disk_template)
        self.disk_info = iu.compute_disks(op.disks, template)
        # hypervisor and parameters
        if op.hypervisor is None:
            op.hypervisor = cluster.primary_hypervisor
        if op.hypervisor not in (cluster.enabled_hypervisors or []):
            raise errors.OpPrereqError(
                "Selected hypervisor (%s) not enabled in the cluster (%s)"
                % (op.hypervisor, ",".join(cluster.enabled_hypervisors or [])),
                errors.ECODE_STATE,
            )
        self.be_own = iu.fill_beparams_checked(cluster, op.beparams)
        self.be_full = cluster.simple_fill_be(self.be_own)
        iu.check_os_name(cluster, op.os_type)
        self.os_full = cluster.simple_fill_os(
            op.os_type, op.osparams, op.osparams_private, op.osparams_secret
        )
        nic_specs = op.nics
        self.nics = iu.compute_nics(nic_specs, cluster, cfg, self.check_ip, op.name_check)
        # nodes
        if op.iallocator:
            self._run_allocator(template, self.disk_info, self.nics)
        self.pnode_uuid = op.pnode_uuid
        self._check_node(self.pnode_uuid, "primary")
        self.snode_uuids = []
        if template in constants.DTS_INT_MIRROR:
            if not op.snode_uuid:
                raise errors.OpPrereqError(
                    "The networked disk templates need a mirror node", errors.ECODE_INVAL
                )
            self._check_node(op.snode_uuid, "secondary")
            self.snode_uuids = [op.snode_uuid]
        elif op.snode_uuid:
            self.log_warning("Secondary node will be ignored on non-mirrored disk template")
        nodes = [self.pnode_uuid] + self.snode_uuids
        self.hv_full = iu.fill_hvparams_checked(self, nodes, op.hypervisor, op.os_type, op.hvparams)
        iu.check_node_has_os(self, nodes, op.os_type, self.os_full, op.force_variant)
        # placement
        iu.check_ipolicy(
            self,
            self.pnode_uuid,
            self.be_full,
            [d[constants.IDISK_SIZE] for d in self.disk_info],
            len(self.nics),
            template,
            op.ignore_ipolicy,
        )
        self.storage_dir = iu.file_storage_dir(
            cluster, template, op.instance_name, op.file_storage_dir
        )
        if template == constants.DT_BLOCK:
            self._check_adopted_devices()
        if op.ip_check and self.check_ip:
            iu.check_ip_unused(op.instance_name, self.check_ip)
        iu.check_nic_bridges(self, self.nics, self.pnode_uuid)
        disk_mib = sum(d[constants.IDISK_SIZE] for d in self.disk_info)
        iu.check_node_resources(
            self,
            self.pnode_uuid,
            "creating instance %s" % op.instance_name,
            memory=self.be_full[constants.BE_MAXMEM] if op.start else None,
            hv_name=op.hypervisor,
            hvparams=self.hv_full,
            template=template,
            disk_mib=disk_mib,
        )
        self._reserve_addresses()
        self.dry_run_result = [cfg.get_node_name(n) for n in nodes]

    def _check_adopted_devices(self) -> None:
        paths = [d[constants.IDISK_ADOPT] for d in self.disk_info]
        if len(set(paths)) != len(paths):
            raise errors.OpPrereqError(
                "Duplicate disk names given for adoption", errors.ECODE_INVAL
            )
        for path in paths:
            if not path.startswith("/dev/"):
                raise errors.OpPrereqError(
                    "Device path '%s' for adoption is not below /dev" % path, errors.ECODE_INVAL
                )
        if self.rpc is None:
            return
        res = self.rpc.call_bdev_sizes([self.pnode_uuid], paths)[self.pnode_uuid]
        res.raise_error(
            "Cannot get block device information from node %s"
            % self.cfg.get_node_name(self.pnode_uuid),
            prereq=True,
            ecode=errors.ECODE_ENVIRON,
        )
        sizes = res.payload or {}
        missing = [p for p in paths if p not in sizes]
        if missing:
            raise errors.OpPrereqError(
                "Missing block device(s): %s" % ", ".join(missing), errors.ECODE_INVAL
            )
        for disk in self.disk_info:
            disk[constants.IDISK_SIZE] = int(sizes[disk[constants.IDISK_ADOPT]])

    def _reserve_addresses(self) -> None:
        job = iu.ec_id(self)
        cfg = self.cfg
        iu.assign_macs(cfg, self.nics, job)
        for nic in self.nics:
            if not nic.network:
                continue
            if nic.ip == iu.IP_POOL:
                try:
                    nic.ip = cfg.generate_ip(nic.network, job)
                except errors.ReservationError:
                    raise errors.OpPrereqError(
                        "Unable to get a free IP for NIC from the network pool",
                        errors.ECODE_STATE,
                    ) from None
            elif nic.ip:
                try:
                    cfg.reserve_ip(nic.network, nic.ip, job, check=self.op.conflicts_check)
                except (errors.ReservationError, errors.AddressPoolError) as err:
                    raise errors.OpPrereqError(
                        "IP address %s already in use or does not belong to the network: %s"
                        % (nic.ip, err),
                        errors.ECODE_NOTUNIQUE,
                    ) from None

    # --- hooks -------------------------------------------------------------------------------

    def build_hooks_env(self) -> dict[str, Any]:
        op = self.op
        cfg = self.cfg
        cluster = cfg.get_cluster_info()
        if self.instance is not None:
            disks = cfg.get_instance_disks(self.instance.uuid)
        else:
            disks = [
                objects.Disk(
                    dev_type=op.disk_template,
                    size=d[constants.IDISK_SIZE],
                    mode=d[constants.IDISK_MODE],
                    name=d.get(constants.IDISK_NAME),
                    spindles=d.get(constants.IDISK_SPINDLES),
                )
                for d in self.disk_info
            ]
        env = iu.build_instance_hook_env(
            op.instance_name,
            cfg.get_node_name(self.pnode_uuid),
            [cfg.get_node_name(n) for n in self.snode_uuids],
            op.os_type,
            str(bool(op.start)),
            self.be_full,
            {k: v for k, v in self.hv_full.items() if k not in constants.HVC_GLOBALS},
            op.hypervisor,
            self.nics,
            [cluster.fill_nicparams(n) for n in self.nics],
            op.disk_template,
            disks,
            op.tags or [],
            cfg.get_all_networks_info() if any(n.network for n in self.nics) else None,
        )
        env["ADD_MODE"] = op.mode
        return env

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        master = self.cfg.get_master_node()
        nodes = [master] + [n for n in [self.pnode_uuid] + self.snode_uuids if n != master]
        return nodes, list(nodes)

    # --- execution ---------------------------------------------------------------------------

    def exec(self, feedback_fn: Callable[..., None]) -> list[str]:
        try:
            return self._exec(feedback_fn)
        finally:
            self.cfg.drop_ec_reservations(iu.ec_id(self))

    def _exec(self, feedback_fn: Callable[..., None]) -> list[str]:
        from ganeti.utils import text as utils_text

        op = self.op
        cfg = self.cfg
        job = iu.ec_id(self)
        template = op.disk_template
        uuid = cfg.generate_unique_id(job)
        disks = []
        if template != constants.DT_DISKLESS:
            disks = iu.generate_disks(
                cfg,
                job,
                template,
                self.pnode_uuid,
                self.disk_info,
                self.storage_dir,
                op.file_driver,
            )
        installs = bool(disks) and not op.no_install and template != constants.DT_BLOCK
        # with nothing to install, only the start can fail after the add: record
        # the wanted state at once (one configuration write less)
        up_now = op.start and not installs
        inst = objects.Instance(
            name=op.instance_name,
            uuid=uuid,
            os=op.os_type,
            primary_node=self.pnode_uuid,
            nics=self.nics,
            disks=[],
            disks_active=bool(disks),
            admin_state=constants.ADMINST_UP if up_now else constants.ADMINST_DOWN,
            admin_state_source=constants.ADMIN_SOURCE,
            network_port=None,
            beparams=self.be_own,
            hvparams=dict(op.hvparams or {}),
            hypervisor=op.hypervisor,
            osparams=dict(op.osparams or {}),
            osparams_private=dict(op.osparams_private or {}),
            tags=set(op.tags or []),
        )
        if op.hypervisor in constants.HTS_REQ_PORT:
            inst.network_port = cfg.allocate_port()
        for idx, disk in enumerate(disks):
            feedback_fn("* disk %d, size %s" % (idx, utils_text.format_unit(disk.size, "h")))
        if disks:
            feedback_fn("* creating instance disks...")
            try:
                iu.create_disks(self, inst, disks, feedback_fn)
            except errors.GenericError:
                self._release_port(inst)
                raise
        feedback_fn("adding instance %s to cluster config" % op.instance_name)
        try:
            cfg.add_instance(inst, job, disks=disks)
        except errors.GenericError:
            if disks:
                iu.remove_disks(self, inst, disks)
            self._release_port(inst)
            raise
        if disks:
            feedback_fn("adding disks to cluster config")
        # the instance is in the configuration: its lock stays
        self.remove_locks.pop(locking.LEVEL_INSTANCE, None)
        # its resources are accounted for in the configuration now: as
        # Ganeti, let other creations on these nodes go ahead
        if self.glm.is_owned(locking.LEVEL_NODE_RES):
            self.glm.release(locking.LEVEL_NODE_RES)
        self.instance = inst
        if installs:
            feedback_fn("* running the instance OS create scripts...")
            res = self.rpc.call_instance_os_add(
                self.pnode_uuid, (inst, op.osparams_secret or None), False, op.debug_level or 0
            )
            res.raise_error(
                "Could not add os for instance %s on node %s"
                % (op.instance_name, cfg.get_node_name(self.pnode_uuid))
            )
        if not op.start:
            # as Ganeti: an instance that is not started keeps no active disks
            if disks:
                iu.shutdown_disks(self, cfg.get_instance_info(inst.uuid))
        else:
            if not up_now:
                cfg.mark_instance_up(inst.uuid)
            feedback_fn("* starting instance...")
            res = self.rpc.call_instance_start(
                self.pnode_uuid, (inst, None, None), False, op.reason
            )
            res.raise_error("Could not start instance")
        return [cfg.get_node_name(n) for n in cfg.get_instance_nodes(inst.uuid)]

    def _release_port(self, inst: objects.Instance) -> None:
        if inst.network_port is not None:
            self.cfg.add_tcpudp_port(inst.network_port)


class LUInstanceMultiAlloc(LogicalUnit):
    """Places several new instances at once (one iallocator run), then
    submits one OP_INSTANCE_CREATE job per instance that fits."""

    HPATH = None
    HTYPE = None
    REQ_BGL = False
    allocatable: list = []
    failed: list = []
    placement: dict = {}

    def check_arguments(self) -> None:
        op = self.op
        if not op.instances:
            raise errors.OpPrereqError("No instances given", errors.ECODE_INVAL)
        with_nodes = [bool(i.pnode or i.pnode_uuid) for i in op.instances]
        if any(getattr(i, "iallocator", None) for i in op.instances):
            raise errors.OpPrereqError(
                "iallocator are not allowed to be set on instance objects", errors.ECODE_INVAL
            )
        if any(with_nodes) and not all(with_nodes):
            raise errors.OpPrereqError(
                "There are instance objects providing pnode/snode while others do not",
                errors.ECODE_INVAL,
            )
        if all(with_nodes) and op.iallocator:
            raise errors.OpPrereqError(
                "Do not specify both, iallocator and nodes", errors.ECODE_INVAL
            )
        names = [i.instance_name for i in op.instances]
        if len(set(names)) != len(names):
            raise errors.OpPrereqError("Duplicate instance names given", errors.ECODE_INVAL)
        self._with_nodes = all(with_nodes)

    def expand_names(self) -> None:
        self.needed_locks = {}
        if not self._with_nodes and not self.op.iallocator:
            default = self.cfg.get_default_iallocator()
            if not default:
                raise errors.OpPrereqError(
                    "No iallocator or nodes on the instances given and no cluster-wide default"
                    " iallocator found; please specify either an iallocator or nodes on the"
                    " instances or set a cluster-wide default iallocator",
                    errors.ECODE_INVAL,
                )
            self.op.iallocator = default
        if self.op.iallocator:
            self.needed_locks[locking.LEVEL_NODE_ALLOC] = locking.ALL_SET
            self.needed_locks[locking.LEVEL_NODE] = locking.ALL_SET
            if self.op.opportunistic_locking:
                self.opportunistic_locks[locking.LEVEL_NODE] = True
        self.share_locks = dict.fromkeys(locking.LEVELS, 1)
        self.share_locks[locking.LEVEL_CLUSTER] = 1

    def build_hooks_env(self) -> dict[str, Any]:
        return {}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        return [], []

    def check_prereq(self) -> None:
        from ganeti import iallocator

        op = self.op
        cfg = self.cfg
        cluster = cfg.get_cluster_info()
        self.placement = {}
        if not op.iallocator:
            self.allocatable = [i.instance_name for i in op.instances]
            self.failed = []
            return
        requests = []
        for inst_op in op.instances:
            template = inst_op.disk_template or (cluster.enabled_disk_templates or [None])[0]
            iu.check_disk_template(cluster, template)
            disks = iu.compute_disks(inst_op.disks or [], template)
            nics = iu.compute_nics(inst_op.nics or [], cluster, cfg, None, False)
            be_full = cluster.simple_fill_be(
                iu.fill_beparams_checked(cluster, inst_op.beparams or {})
            )
            requests.append(allocation_request(cfg, inst_op, template, disks, nics, be_full))
        ial = iallocator.IAllocator(cfg, self.rpc, iallocator.MODE_MULTI_ALLOC, instances=requests)
        ial.run(op.iallocator)
        if not ial.success:
            raise errors.OpPrereqError(
                "Can't compute nodes using iallocator '%s': %s" % (op.iallocator, ial.info),
                errors.ECODE_NORES,
            )
        allocatable, failed = ial.result
        self.allocatable = []
        for name, nodes in allocatable:
            self.placement[name] = list(nodes)
            self.allocatable.append(name)
        self.failed = list(failed)

    def exec(self, feedback_fn: Callable[..., None]) -> Any:
        from ganeti.cmdlib.base import ResultWithJobs

        jobs = []
        for inst_op in self.op.instances:
            name = inst_op.instance_name
            if name not in self.allocatable:
                continue
            new = type(inst_op).load_op_code(inst_op.to_dict())
            if name in self.placement:
                nodes = self.placement[name]
                new.pnode = nodes[0]
                new.pnode_uuid = None
                new.snode = nodes[1] if len(nodes) > 1 else None
                new.snode_uuid = None
            new.iallocator = None
            jobs.append([new])
        return ResultWithJobs(jobs, allocatable=self.allocatable, failed=self.failed)
