"""Cluster-wide logical units that need the node daemons.

Owns post-init, destroy, verify (the job fan-out; the checks themselves are
in ``cluster_verify``), verify-disks, modify (OP_CLUSTER_SET_PARAMS),
redist-conf, rename and the master IP switches (renew-crypto is in
``cluster_crypto``), plus the
list of files the master keeps identical on the nodes (``ancillary_files``)
and their redistribution.  Like every LU, it must never talk to a node
except through ``self.rpc`` nor write config.data except through
``self.cfg``.
"""

import logging
import os
import re
import socket
from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import hooksmaster
from ganeti import locking
from ganeti import objects
from ganeti import opcodes
from ganeti import pathutils
from ganeti.cmdlib.base import LogicalUnit, NoHooksLU, ResultWithJobs
from ganeti.cmdlib.cluster_crypto import LUClusterRenewCrypto  # noqa: F401
from ganeti.cmdlib.cluster_verify import LUClusterVerifyConfig, LUClusterVerifyGroup  # noqa: F401

FeedbackFn = Callable[..., None]


def _inval(msg: str, *args: Any) -> errors.OpPrereqError:
    return errors.OpPrereqError(msg % args if args else msg, errors.ECODE_INVAL)


# --- the files every node keeps ---------------------------------------------------------


def ancillary_files(cluster: Any, redist: bool, ssconf_keys: Any = ()) -> tuple[set, set, set, set]:
    """(files for all nodes, optional ones, master-candidate-only, vm-capable-only).

    With ``redist`` the list is what redistribution may push (no
    certificates but the RAPI one, no config.data, no ssconf); without it,
    what cluster verify compares across nodes.  Optional files must exist
    on all nodes or on none.
    """
    from ganeti import hypervisor

    files_all = {
        pathutils.SSH_KNOWN_HOSTS_FILE,
        pathutils.CONFD_HMAC_KEY,
        pathutils.CLUSTER_DOMAIN_SECRET_FILE,
        pathutils.SPICE_CERT_FILE,
        pathutils.SPICE_CACERT_FILE,
        pathutils.RAPI_USERS_FILE,
        pathutils.RAPI_CERT_FILE,
    }
    files_opt = {pathutils.RAPI_USERS_FILE, pathutils.SPICE_CERT_FILE, pathutils.SPICE_CACERT_FILE}
    files_mc: set[str] = set()
    if not redist:
        files_all.add(pathutils.NODED_CERT_FILE)
        files_all.update(pathutils.ssconf_file(key) for key in ssconf_keys)
        files_mc.add(pathutils.CLUSTER_CONF_FILE)
        if set(cluster.enabled_disk_templates or ()) & constants.DTS_FILEBASED:
            files_all.add(pathutils.FILE_STORAGE_PATHS_FILE)
            files_opt.add(pathutils.FILE_STORAGE_PATHS_FILE)
    if cluster.modify_etc_hosts:
        files_all.add(pathutils.ETC_HOSTS)
    if cluster.use_external_mip_script:
        files_all.add(pathutils.EXTERNAL_MASTER_SETUP_SCRIPT)
    files_vm: set[str] = set()
    for hv_name in cluster.enabled_hypervisors or ():
        try:
            needed, optional = hypervisor.get_hypervisor_class(hv_name).get_ancillary_files()
        except errors.HypervisorError:
            continue
        files_vm.update(needed)
        files_vm.update(optional)
        files_opt.update(optional)
    return files_all, files_opt, files_mc, files_vm


def _upload(lu: Any, node_uuids: list[str], fname: str) -> None:
    if not node_uuids or not os.path.exists(fname):
        return
    result = lu.rpc.call_upload_file(node_uuids, fname)
    for node_uuid, res in result.items():
        if res.fail_msg:
            lu.log_warning(
                "Copy of file %s to node %s failed: %s"
                % (fname, lu.cfg.get_node_name(node_uuid) or node_uuid, res.fail_msg)
            )


def redistribute_ancillary_files(
    lu: Any, additional_nodes: list[str] | None = None, additional_vm: bool = True
) -> None:
    """Pushes the cluster-wide files from the master to the online nodes
    (and ``additional_nodes``, e.g. a node being added)."""
    cfg = lu.cfg
    master = cfg.get_master_node()
    online = list(cfg.get_online_node_list())
    vm_nodes = [u for u in online if u in set(cfg.get_vm_capable_node_list())]
    if additional_nodes:
        online.extend(additional_nodes)
        if additional_vm:
            vm_nodes.extend(additional_nodes)
    online = [u for u in online if u != master]
    vm_nodes = [u for u in vm_nodes if u != master]
    files_all, _, _, files_vm = ancillary_files(cfg.get_cluster_info(), True)
    for node_uuids, files in ((online, files_all), (vm_nodes, files_vm)):
        for fname in sorted(files):
            _upload(lu, node_uuids, fname)


def _master_params(cfg: Any) -> dict[str, Any]:
    cluster = cfg.get_cluster_info()
    return {
        "uuid": cluster.master_node,
        "ip": cluster.master_ip,
        "netmask": cluster.master_netmask,
        "netdev": cluster.master_netdev,
        "ip_family": cluster.primary_ip_family,
    }


def _need_rpc(lu: Any) -> None:
    if lu.rpc is None:
        raise errors.OpExecError("Node RPC is not available on this master")


# --- post-init, destroy -----------------------------------------------------------------


class LUClusterPostInit(LogicalUnit):
    """OP_CLUSTER_POST_INIT: runs the cluster-init hooks on the new master."""

    HPATH = "cluster-init"
    HTYPE = constants.HTYPE_CLUSTER
    REQ_BGL = False

    def expand_names(self) -> None:
        self.needed_locks = {}

    def build_hooks_env(self) -> dict[str, Any]:
        return {"OP_TARGET": self.cfg.get_cluster_name()}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        return [], [self.cfg.get_master_node()]

    def exec(self, feedback_fn: FeedbackFn) -> bool:
        return True


class LUClusterDestroy(LogicalUnit):
    """OP_CLUSTER_DESTROY: checks the cluster is empty, runs the destroy hooks,
    takes the master IP down; returns the master's UUID for the client,
    which then stops the master (``bootstrap.finalize_cluster_destroy``)."""

    HPATH = "cluster-destroy"
    HTYPE = constants.HTYPE_CLUSTER

    def expand_names(self) -> None:
        self.needed_locks = {}

    def build_hooks_env(self) -> dict[str, Any]:
        return {"OP_TARGET": self.cfg.get_cluster_name()}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        # the post hooks run from exec: afterwards there is no cluster left
        return [], []

    def check_prereq(self) -> None:
        nodes = self.cfg.get_node_list()
        if len(nodes) != 1 or nodes[0] != self.cfg.get_master_node():
            raise _inval("There are still %d node(s) in this cluster.", len(nodes) - 1)
        instances = self.cfg.get_instance_list()
        if instances:
            raise _inval("There are still %d instance(s) in this cluster.", len(instances))

    def exec(self, feedback_fn: FeedbackFn) -> str:
        master = self.cfg.get_master_node()
        hooks_fn = getattr(self.context, "hooks_execution_fn", None)
        if hooks_fn is not None:
            hm = hooksmaster.HooksMaster.build_from_lu(hooks_fn, self)
            try:
                hm.run_phase(constants.HOOKS_PHASE_POST, [self.cfg.get_master_node_name()])
            except errors.GenericError as err:
                self.log_warning("Errors occurred running hooks on %s: %s", master, err)
        if self.rpc is not None:
            ems = self.cfg.get_cluster_info().use_external_mip_script
            result = self.rpc.call_node_deactivate_master_ip(master, _master_params(self.cfg), ems)
            result.raise_error("Could not disable the master role")
        return master


# --- verify -------------------------------------------------------------------------------


class LUClusterVerify(NoHooksLU):
    """OP_CLUSTER_VERIFY: one job verifying the configuration, then one job
    per node group (each depending on the first)."""

    REQ_BGL = False

    def expand_names(self) -> None:
        self.needed_locks = {}
        if self.op.group_name:
            self.cfg.lookup_node_group(self.op.group_name)

    def exec(self, feedback_fn: FeedbackFn) -> ResultWithJobs:
        jobs: list[list[Any]] = []
        common = {
            "debug_simulate_errors": self.op.debug_simulate_errors,
            "verbose": self.op.verbose,
            "error_codes": self.op.error_codes,
            "ignore_errors": list(self.op.ignore_errors or []),
            "priority": self.op.priority,
        }
        if self.op.group_name:
            groups = [self.op.group_name]
            depends: list | None = None
        else:
            groups = [self.cfg.get_node_group(uuid).name for uuid in self.cfg.get_node_group_list()]
            jobs.append([opcodes.OpClusterVerifyConfig(**common)])
            depends = [[-1, []]]
        for pos, group in enumerate(sorted(groups)):
            extra = {}
            if depends is not None:
                extra["depends"] = [[-(pos + 1), []]]
            jobs.append(
                [
                    opcodes.OpClusterVerifyGroup(
                        group_name=group,
                        skip_checks=list(self.op.skip_checks or []),
                        verify_clutter=self.op.verify_clutter,
                        **common,
                        **extra,
                    )
                ]
            )
        return ResultWithJobs(jobs)


class LUClusterVerifyDisks(NoHooksLU):
    """OP_CLUSTER_VERIFY_DISKS: one OP_GROUP_VERIFY_DISKS job per node group."""

    REQ_BGL = False

    def expand_names(self) -> None:
        if self.op.group_name:
            self.group_uuids = [self.cfg.lookup_node_group(self.op.group_name)]
        else:
            self.group_uuids = list(self.cfg.get_node_group_list())
        self.needed_locks = {locking.LEVEL_NODEGROUP: list(self.group_uuids)}
        self.share_locks[locking.LEVEL_NODEGROUP] = 1

    def exec(self, feedback_fn: FeedbackFn) -> ResultWithJobs:
        names = sorted(self.cfg.get_node_group(u).name for u in self.group_uuids)
        return ResultWithJobs(
            [
                [opcodes.OpGroupVerifyDisks(group_name=name, priority=self.op.priority)]
                for name in names
            ]
        )


# --- modify --------------------------------------------------------------------------------


def _update_params(current: dict | None, changes: dict, types: dict | None, what: str) -> dict:
    """``changes`` over ``current``; ``None`` or ``"default"`` removes a key."""
    from ganeti import cli_opts

    result = dict(current or {})
    changes = dict(changes)
    if types is not None:
        try:
            cli_opts.convert_param_types(changes, types)
        except errors.TypeEnforcementError as err:
            raise _inval("Invalid %s parameters: %s", what, err) from None
    for key, value in changes.items():
        if value is None or value == constants.VALUE_DEFAULT:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def _check_uid_ranges(ranges: Any, what: str) -> list[tuple[int, int]]:
    out = []
    for item in ranges or []:
        try:
            low, high = int(item[0]), int(item[1])
        except (TypeError, ValueError, IndexError):
            raise _inval("Invalid %s range %r", what, item) from None
        if low > high or low < 0:
            raise _inval("Invalid %s range %d-%d", what, low, high)
        out.append((low, high))
    return out


def _valid_mac_prefix(prefix: str) -> bool:
    return re.match(r"^[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$", prefix.lower()) is not None


class LUClusterSetParams(LogicalUnit):
    """OP_CLUSTER_SET_PARAMS: changes cluster-level parameters and defaults."""

    HPATH = "cluster-modify"
    HTYPE = constants.HTYPE_CLUSTER
    REQ_BGL = False

    new_cluster: objects.Cluster | None = None
    netdev_change = False
    netmask_change = False

    def check_arguments(self) -> None:
        op = self.op
        for name in ("uid_pool", "add_uids", "remove_uids"):
            setattr(self, "_" + name, _check_uid_ranges(getattr(op, name), "uid"))
        if op.mac_prefix is not None and not _valid_mac_prefix(op.mac_prefix):
            raise _inval("Invalid MAC prefix '%s'", op.mac_prefix)
        if op.candidate_pool_size is not None and op.candidate_pool_size < 1:
            raise _inval("At least one master candidate needed")
        if op.enabled_hypervisors is not None and not op.enabled_hypervisors:
            raise _inval("Enabled hypervisors list must contain at least one member")
        if op.enabled_disk_templates is not None and not op.enabled_disk_templates:
            raise _inval("Enabled disk templates list must contain at least one member")
        for name in ("hidden_os", "blacklisted_os"):
            for mod in getattr(op, name) or []:
                if len(mod) != 2 or mod[0] not in (constants.DDM_ADD, constants.DDM_REMOVE):
                    raise _inval("Invalid %s modification %r", name, mod)

    def expand_names(self) -> None:
        self.needed_locks = {
            locking.LEVEL_NODE: locking.ALL_SET,
            locking.LEVEL_INSTANCE: locking.ALL_SET,
            locking.LEVEL_NODEGROUP: locking.ALL_SET,
        }
        for level in self.needed_locks:
            self.share_locks[level] = 1

    def build_hooks_env(self) -> dict[str, Any]:
        return {"OP_TARGET": self.cfg.get_cluster_name(), "NEW_VG_NAME": self.op.vg_name}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        master = self.cfg.get_master_node()
        return [master], [master]

    # -- checks, building the new cluster object --

    def _online_vm_nodes(self) -> list[str]:
        vm = set(self.cfg.get_vm_capable_node_list())
        return [u for u in self.cfg.get_online_node_list() if u in vm]

    def _check_vg(self, new: objects.Cluster) -> None:
        vg = self.op.vg_name
        if vg is None:
            return
        lvm_templates = set(new.enabled_disk_templates) & constants.DTS_LVM
        if not vg:
            if lvm_templates:
                raise _inval(
                    "Cannot disable the volume group while LVM-based disk templates (%s) are"
                    " enabled",
                    ", ".join(sorted(lvm_templates)),
                )
            return
        if self.rpc is None:
            return
        result = self.rpc.call_vg_list(self._online_vm_nodes())
        for node_uuid, res in result.items():
            name = self.cfg.get_node_name(node_uuid)
            if res.fail_msg:
                self.log_warning(
                    "Error while gathering data on node %s (ignoring node): %s", name, res.fail_msg
                )
                continue
            if vg not in (res.payload or {}):
                raise errors.OpPrereqError(
                    "Error on node '%s': volume group '%s' missing" % (name, vg),
                    errors.ECODE_ENVIRON,
                )

    def _check_hypervisors(self, new: objects.Cluster) -> None:
        from ganeti import hypervisor

        for hv_name in new.enabled_hypervisors:
            if hv_name not in constants.HYPER_TYPES:
                raise _inval("Unknown hypervisor '%s'", hv_name)
            if hv_name not in hypervisor.available():
                raise errors.OpPrereqError(
                    "Hypervisor %s is not available in this build (available: %s)"
                    % (hv_name, ", ".join(hypervisor.available())),
                    errors.ECODE_ENVIRON,
                )
        for hv_name in new.enabled_hypervisors:
            try:
                hypervisor.get_hypervisor_class(hv_name).check_parameter_syntax(
                    new.hvparams.get(hv_name, {})
                )
            except errors.HypervisorError as err:
                raise _inval("Invalid hypervisor parameters for %s: %s", hv_name, err) from None
        for os_name, hvs in (new.os_hvp or {}).items():
            for hv_name, params in hvs.items():
                if hv_name not in new.enabled_hypervisors:
                    continue
                try:
                    hypervisor.get_hypervisor_class(hv_name).check_parameter_syntax(
                        objects.fill_dict(new.hvparams.get(hv_name, {}), params)
                    )
                except errors.HypervisorError as err:
                    raise _inval(
                        "Invalid hypervisor parameters for %s (OS %s): %s", hv_name, os_name, err
                    ) from None
        used = {inst.hypervisor for inst in self.cfg.get_all_instances_info().values()}
        dropped = used - set(new.enabled_hypervisors)
        if dropped:
            raise errors.OpPrereqError(
                "Cannot disable hypervisor(s) %s: instances still use them"
                % ", ".join(sorted(dropped)),
                errors.ECODE_STATE,
            )

    def _check_disk_templates(self, new: objects.Cluster) -> None:
        for dt in new.enabled_disk_templates:
            if dt not in constants.DISK_TEMPLATES:
                raise _inval("Unknown disk template '%s'", dt)
        if len(set(new.enabled_disk_templates)) != len(new.enabled_disk_templates):
            raise _inval("Disk templates listed more than once")
        used = set()
        for inst_uuid in self.cfg.get_instance_list():
            template = self.cfg.get_instance_disk_template(inst_uuid)
            if template:
                used.add(template)
        dropped = used - set(new.enabled_disk_templates)
        if dropped:
            raise errors.OpPrereqError(
                "Cannot disable disk template(s) %s: instances still use them"
                % ", ".join(sorted(dropped)),
                errors.ECODE_STATE,
            )
        if set(new.enabled_disk_templates) & constants.DTS_LVM and not new.volume_group_name:
            raise errors.OpPrereqError(
                "LVM-based disk templates need a volume group; set one with --vg-name",
                errors.ECODE_INVAL,
            )
        for template, attr in (
            (constants.DT_FILE, "file_storage_dir"),
            (constants.DT_SHARED_FILE, "shared_file_storage_dir"),
            (constants.DT_GLUSTER, "gluster_storage_dir"),
        ):
            path = getattr(new, attr)
            if template in new.enabled_disk_templates and path and not os.path.isabs(path):
                raise _inval("The %s path '%s' must be absolute", attr, path)

    def check_prereq(self) -> None:
        op = self.op
        old = self.cfg.get_cluster_info()
        new = old.copy()
        if op.vg_name is not None:
            new.volume_group_name = op.vg_name or None
        if op.drbd_helper is not None:
            new.drbd_usermode_helper = op.drbd_helper or None
        if op.enabled_hypervisors is not None:
            new.enabled_hypervisors = list(op.enabled_hypervisors)
        if op.hvparams:
            hvparams = {k: dict(v) for k, v in (new.hvparams or {}).items()}
            for hv_name, changes in op.hvparams.items():
                if hv_name not in constants.HYPER_TYPES:
                    raise _inval("Hypervisor parameters given for unknown hypervisor '%s'", hv_name)
                hvparams[hv_name] = _update_params(
                    hvparams.get(hv_name),
                    changes,
                    {k: v for k, v in constants.HVS_PARAMETER_TYPES.items() if k in changes},
                    "hypervisor",
                )
            new.hvparams = hvparams
        if op.os_hvp:
            os_hvp = {k: {h: dict(p) for h, p in v.items()} for k, v in (new.os_hvp or {}).items()}
            for os_name, hvs in op.os_hvp.items():
                entry = os_hvp.setdefault(os_name, {})
                for hv_name, changes in (hvs or {}).items():
                    if changes is None:
                        entry.pop(hv_name, None)
                    else:
                        entry[hv_name] = _update_params(
                            entry.get(hv_name), changes, None, "OS hypervisor"
                        )
                if not entry:
                    del os_hvp[os_name]
            new.os_hvp = os_hvp
        if op.osparams:
            osparams = {k: dict(v) for k, v in (new.osparams or {}).items()}
            for os_name, changes in op.osparams.items():
                if changes is None:
                    osparams.pop(os_name, None)
                    continue
                merged = _update_params(osparams.get(os_name), changes, None, "OS")
                if merged:
                    osparams[os_name] = merged
                else:
                    osparams.pop(os_name, None)
            new.osparams = osparams
        if op.osparams_private_cluster:
            private = {k: dict(v) for k, v in (new.osparams_private_cluster or {}).items()}
            for os_name, changes in op.osparams_private_cluster.items():
                merged = _update_params(private.get(os_name), changes or {}, None, "OS private")
                if merged:
                    private[os_name] = merged
                else:
                    private.pop(os_name, None)
            new.osparams_private_cluster = private
        if op.beparams:
            new.beparams = dict(new.beparams)
            new.beparams[constants.PP_DEFAULT] = objects.fill_dict(
                constants.BEC_DEFAULTS,
                _update_params(
                    new.beparams.get(constants.PP_DEFAULT),
                    op.beparams,
                    constants.BES_PARAMETER_TYPES,
                    "backend",
                ),
            )
        if op.nicparams:
            merged = _update_params(
                new.nicparams.get(constants.PP_DEFAULT),
                op.nicparams,
                constants.NICS_PARAMETER_TYPES,
                "NIC",
            )
            merged = objects.fill_dict(constants.NICC_DEFAULTS, merged)
            if merged[constants.NIC_MODE] not in constants.NIC_VALID_MODES:
                raise _inval("Invalid NIC mode '%s'", merged[constants.NIC_MODE])
            if (
                merged[constants.NIC_MODE] == constants.NIC_MODE_BRIDGED
                and not merged[constants.NIC_LINK]
            ):
                raise _inval("Bridged NIC mode needs a link (bridge name)")
            new.nicparams = dict(new.nicparams)
            new.nicparams[constants.PP_DEFAULT] = merged
        if op.ndparams:
            new.ndparams = objects.fill_dict(
                constants.NDC_DEFAULTS,
                _update_params(new.ndparams, op.ndparams, constants.NDS_PARAMETER_TYPES, "node"),
            )
        if op.diskparams:
            diskparams = {k: dict(v) for k, v in (new.diskparams or {}).items()}
            for template, changes in op.diskparams.items():
                if template not in constants.DISK_TEMPLATES:
                    raise _inval("Disk parameters given for unknown disk template '%s'", template)
                diskparams[template] = _update_params(
                    diskparams.get(template),
                    changes,
                    {k: v for k, v in constants.DISK_DT_TYPES.items() if k in changes},
                    "disk",
                )
            new.diskparams = objects.fill_disk_params(constants.DISK_DT_DEFAULTS, diskparams)
        if op.ipolicy:
            ipolicy = objects.fill_ipolicy(new.ipolicy, None)
            for key, value in op.ipolicy.items():
                if key not in constants.IPOLICY_ALL_KEYS:
                    raise _inval("Invalid instance policy key '%s'", key)
                if value is None or value == constants.VALUE_DEFAULT:
                    ipolicy[key] = objects.fill_ipolicy(constants.IPOLICY_DEFAULTS, None)[key]
                elif key == constants.ISPECS_STD:
                    ipolicy[key] = objects.fill_dict(ipolicy.get(key, {}), value)
                else:
                    ipolicy[key] = value
            try:
                objects.InstancePolicy.check_parameter_syntax(ipolicy, True)
            except errors.ConfigurationError as err:
                raise _inval("Invalid instance policy: %s", err) from None
            new.ipolicy = ipolicy
        if op.enabled_disk_templates is not None:
            new.enabled_disk_templates = list(op.enabled_disk_templates)
        for attr, value in (
            ("file_storage_dir", op.file_storage_dir),
            ("shared_file_storage_dir", op.shared_file_storage_dir),
            ("gluster_storage_dir", op.gluster_storage_dir),
        ):
            if value is not None:
                setattr(new, attr, value)
        simple = (
            ("candidate_pool_size", op.candidate_pool_size),
            ("max_running_jobs", op.max_running_jobs),
            ("max_tracked_jobs", op.max_tracked_jobs),
            ("maintain_node_health", op.maintain_node_health),
            ("prealloc_wipe_disks", op.prealloc_wipe_disks),
            ("default_iallocator", op.default_iallocator),
            ("mac_prefix", op.mac_prefix),
            ("reserved_lvs", op.reserved_lvs),
            ("use_external_mip_script", op.use_external_mip_script),
            ("modify_etc_hosts", op.modify_etc_hosts),
            ("install_image", op.install_image),
            ("instance_communication_network", op.instance_communication_network),
            ("zeroing_image", op.zeroing_image),
            ("compression_tools", op.compression_tools),
            ("enabled_user_shutdown", op.enabled_user_shutdown),
        )
        for attr, value in simple:
            if value is not None:
                setattr(new, attr, value)
        if op.default_iallocator_params is not None:
            new.default_iallocator_params = dict(op.default_iallocator_params)
        if op.hv_state:
            new.hv_state_static = _update_params(new.hv_state_static, op.hv_state, None, "hv_state")
        if op.disk_state:
            new.disk_state_static = _update_params(
                new.disk_state_static, op.disk_state, None, "disk_state"
            )
        if op.uid_pool is not None:
            new.uid_pool = [list(r) for r in self._uid_pool]
        if op.add_uids:
            new.uid_pool = [
                list(r) for r in sorted(set(map(tuple, new.uid_pool)) | set(self._add_uids))
            ]
        if op.remove_uids:
            new.uid_pool = [
                list(r) for r in sorted(set(map(tuple, new.uid_pool)) - set(self._remove_uids))
            ]
        for attr in ("hidden_os", "blacklisted_os"):
            mods = getattr(op, attr)
            if not mods:
                continue
            current = list(getattr(new, attr) or [])
            for action, os_name in mods:
                if action == constants.DDM_ADD:
                    if os_name in current:
                        self.log_warning("OS %s already in %s, ignoring", os_name, attr)
                    else:
                        current.append(os_name)
                elif os_name in current:
                    current.remove(os_name)
                else:
                    self.log_warning("OS %s not found in %s, ignoring", os_name, attr)
            setattr(new, attr, current)
        if op.enabled_data_collectors or op.data_collector_interval:
            collectors = {k: dict(v) for k, v in (new.data_collectors or {}).items()}
            for name, active in (op.enabled_data_collectors or {}).items():
                if name not in constants.DATA_COLLECTOR_NAMES:
                    raise _inval("Unknown data collector '%s'", name)
                collectors.setdefault(name, {})["active"] = bool(active)
            for name, interval in (op.data_collector_interval or {}).items():
                if name not in constants.DATA_COLLECTOR_NAMES:
                    raise _inval("Unknown data collector '%s'", name)
                if interval < 0:
                    raise _inval("Invalid interval %s for data collector '%s'", interval, name)
                collectors.setdefault(name, {})["interval"] = int(interval)
            new.data_collectors = collectors
        if op.master_netmask is not None:
            limit = 128 if new.primary_ip_family == socket.AF_INET6 else 32
            if not 0 < op.master_netmask <= limit:
                raise _inval("Invalid master netmask %s (must be 1..%d)", op.master_netmask, limit)
            self.netmask_change = op.master_netmask != old.master_netmask
            new.master_netmask = op.master_netmask
        if op.master_netdev is not None:
            if not op.master_netdev:
                raise _inval("The master network device cannot be empty")
            self.netdev_change = op.master_netdev != old.master_netdev
            new.master_netdev = op.master_netdev
        if op.default_iallocator:
            self._check_iallocator(op.default_iallocator)
        self._check_hypervisors(new)
        self._check_disk_templates(new)
        self._check_vg(new)
        problems = objects.check_param_types(
            new.beparams.get(constants.PP_DEFAULT),
            constants.BES_PARAMETER_TYPES,
            "backend parameters",
        )
        if problems:
            raise _inval("; ".join(problems))
        self.new_cluster = new

    @staticmethod
    def _check_iallocator(name: str) -> None:
        if os.path.isabs(name):
            found = os.path.isfile(name)
        else:
            found = any(
                os.path.isfile(os.path.join(d, name)) for d in pathutils.IALLOCATOR_SEARCH_PATH
            ) or name in ("hail",)
        if not found:
            raise errors.OpPrereqError(
                "Invalid default iallocator script '%s' given (not found on master node)" % name,
                errors.ECODE_INVAL,
            )

    # -- execution --

    def exec(self, feedback_fn: FeedbackFn) -> None:
        new = self.new_cluster
        if new is None:
            raise errors.ProgrammerError("check_prereq did not run")
        master = self.cfg.get_master_node()
        ems = new.use_external_mip_script
        old_params = _master_params(self.cfg)
        if self.netdev_change and self.rpc is not None:
            feedback_fn("Shutting down master ip on the current netdev (%s)" % old_params["netdev"])
            result = self.rpc.call_node_deactivate_master_ip(master, old_params, ems)
            if result.fail_msg:
                self.log_warning("Could not disable the master ip: %s", result.fail_msg)
        pool_changed = new.candidate_pool_size != self.cfg.get_cluster_info().candidate_pool_size
        self.cfg.update(new, feedback_fn)
        if pool_changed:
            promoted = self.cfg.maintain_candidate_pool()
            for node in promoted:
                feedback_fn("Promoted node %s to master candidate" % node.name)
        if self.netmask_change and not self.netdev_change and self.rpc is not None:
            result = self.rpc.call_node_change_master_netmask(
                master, old_params["netmask"], new.master_netmask, new.master_ip, new.master_netdev
            )
            if result.fail_msg:
                self.log_warning("Could not change the master IP netmask: %s", result.fail_msg)
                feedback_fn("Could not change the master IP netmask: %s" % result.fail_msg)
        if self.netdev_change and self.rpc is not None:
            feedback_fn("Starting the master ip on the new master netdev (%s)" % new.master_netdev)
            result = self.rpc.call_node_activate_master_ip(master, _master_params(self.cfg), ems)
            if result.fail_msg:
                self.log_warning(
                    "Could not re-enable the master ip on the master, please restart manually: %s",
                    result.fail_msg,
                )
        return None


# --- redist-conf, renew-crypto -------------------------------------------------------------


class LUClusterRedistConf(NoHooksLU):
    """OP_CLUSTER_REDIST_CONF: pushes config.data, ssconf and the cluster's
    files to the nodes again."""

    REQ_BGL = False

    def expand_names(self) -> None:
        self.needed_locks = {locking.LEVEL_NODE: locking.ALL_SET}
        self.share_locks[locking.LEVEL_NODE] = 1

    def exec(self, feedback_fn: FeedbackFn) -> None:
        _need_rpc(self)
        # an update of the cluster object makes the ConfigWriter distribute
        # config.data and ssconf
        self.cfg.update(self.cfg.get_cluster_info(), feedback_fn)
        redistribute_ancillary_files(self)


# --- rename, master IP ----------------------------------------------------------------------


class LUClusterRename(LogicalUnit):
    """OP_CLUSTER_RENAME: a new cluster name and with it a new master IP."""

    HPATH = "cluster-rename"
    HTYPE = constants.HTYPE_CLUSTER

    new_name = ""
    new_ip = ""

    def expand_names(self) -> None:
        self.needed_locks = {}

    def build_hooks_env(self) -> dict[str, Any]:
        return {"OP_TARGET": self.cfg.get_cluster_name(), "NEW_NAME": self.op.name}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        master = self.cfg.get_master_node()
        return [master], [master]

    def check_prereq(self) -> None:
        from ganeti.utils import net as unet

        cluster = self.cfg.get_cluster_info()
        family = socket.AF_INET6 if cluster.primary_ip_family == socket.AF_INET6 else socket.AF_INET
        try:
            host = unet.HostInfo.resolve(self.op.name, family)
        except errors.ResolverError:
            raise errors.OpPrereqError(
                "Cannot resolve the new cluster name '%s'" % self.op.name, errors.ECODE_RESOLVER
            ) from None
        self.new_name, self.new_ip = host.name, host.ip
        if self.new_name == cluster.cluster_name and self.new_ip == cluster.master_ip:
            raise _inval("Neither the name nor the IP address of the cluster has changed")
        if self.new_ip != cluster.master_ip and unet.tcp_ping(
            self.new_ip, constants.DEFAULT_NODED_PORT, timeout=1.0
        ):
            raise errors.OpPrereqError(
                "The given cluster IP address (%s) is reachable" % self.new_ip,
                errors.ECODE_NOTUNIQUE,
            )

    def exec(self, feedback_fn: FeedbackFn) -> str:
        cfg = self.cfg
        master = cfg.get_master_node()
        ems = cfg.get_cluster_info().use_external_mip_script
        if self.rpc is not None:
            result = self.rpc.call_node_deactivate_master_ip(master, _master_params(cfg), ems)
            result.raise_error("Could not disable the master role")
        try:
            cluster = cfg.get_cluster_info()
            old_name = cluster.cluster_name
            cluster.cluster_name = self.new_name
            cluster.master_ip = self.new_ip
            cfg.update(cluster, feedback_fn)
            self._rewrite_known_hosts(old_name)
        finally:
            if self.rpc is not None:
                result = self.rpc.call_node_activate_master_ip(master, _master_params(cfg), ems)
                if result.fail_msg:
                    self.log_warning(
                        "Could not re-enable the master role on the master, please restart"
                        " manually: %s",
                        result.fail_msg,
                    )
        return self.new_name

    def _rewrite_known_hosts(self, old_name: str) -> None:
        from ganeti.utils import io as uio

        path = pathutils.SSH_KNOWN_HOSTS_FILE
        try:
            lines = uio.read_file(path).splitlines()
        except OSError:
            return
        new_lines = []
        for line in lines:
            fields = line.split(None, 1)
            if fields and fields[0] == old_name:
                line = "%s %s" % (self.new_name, fields[1] if len(fields) > 1 else "")
            new_lines.append(line)
        uio.write_file(path, "".join(ln + "\n" for ln in new_lines), mode=0o644)
        if self.rpc is not None:
            nodes = [u for u in self.cfg.get_online_node_list() if u != self.cfg.get_master_node()]
            _upload(self, nodes, path)


class _MasterIpLU(NoHooksLU):
    _ACTION = ""

    def expand_names(self) -> None:
        self.needed_locks = {}

    def exec(self, feedback_fn: FeedbackFn) -> None:
        _need_rpc(self)
        cfg = self.cfg
        ems = cfg.get_cluster_info().use_external_mip_script
        fn = getattr(self.rpc, "call_node_%s_master_ip" % self._ACTION)
        result = fn(cfg.get_master_node(), _master_params(cfg), ems)
        result.raise_error("Could not %s the master IP" % self._ACTION)
        return None


class LUClusterActivateMasterIp(_MasterIpLU):
    """OP_CLUSTER_ACTIVATE_MASTER_IP: brings the master IP up on the master."""

    _ACTION = "activate"


class LUClusterDeactivateMasterIp(_MasterIpLU):
    """OP_CLUSTER_DEACTIVATE_MASTER_IP: takes the master IP down."""

    _ACTION = "deactivate"


_ = logging
