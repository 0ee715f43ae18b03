"""gnt-cluster: create, inspect, verify, change and destroy the cluster.

Owns the cluster sub-commands.  ``init``, ``destroy`` (after its opcode),
``master-failover`` and ``getmaster`` run locally through ``bootstrap`` and
ssconf, because no master daemon exists (or may run) then; ``command`` and
``copyfile`` use SSH; everything else is a luxi call or an opcode job.  It
must never change config.data itself.
"""

import os
import time
from typing import Any

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti.client import gnt_cluster_crypto
from ganeti.client import gnt_cluster_opts as copts
from ganeti.client.gnt_cluster_opts import (
    data_collector_intervals,
    diskparams_list,
    enabled_collectors,
    format_uid_pool,
    hvparams_list,
    ipolicy_from_opts,
    parse_uid_pool,
    state_dict,
)

# --- init, destroy, failover -------------------------------------------------------------


def init_cluster(opts: Any, args: list[str]) -> int:
    """``init NAME``: creates a cluster with this node as master."""
    from ganeti import bootstrap
    from ganeti import cli_opts

    beparams = dict(opts.beparams or {})
    nicparams = dict(opts.nicparams or {})
    ndparams = dict(opts.ndparams or {})
    hvparams = hvparams_list(opts.hvparams)
    for name, values, types in (
        ("backend", beparams, constants.BES_PARAMETER_TYPES),
        ("nic", nicparams, constants.NICS_PARAMETER_TYPES),
        ("node", ndparams, constants.NDS_PARAMETER_TYPES),
        *[("hypervisor", values, constants.HVS_PARAMETER_TYPES) for values in hvparams.values()],
    ):
        try:
            cli_opts.convert_param_types(values, types)
        except errors.TypeEnforcementError as err:
            raise errors.OpPrereqError(
                "Invalid %s parameters: %s" % (name, err), errors.ECODE_INVAL
            ) from None
    master_netdev = opts.master_netdev
    if master_netdev is None:
        if nicparams.get(constants.NIC_MODE) == constants.NIC_MODE_OVS:
            master_netdev = constants.DEFAULT_OVS
            nicparams.setdefault(constants.NIC_LINK, constants.DEFAULT_OVS)
        else:
            master_netdev = constants.DEFAULT_BRIDGE
    params = bootstrap.InitParams(
        cluster_name=args[0],
        master_netdev=master_netdev,
        master_netmask=opts.master_netmask,
        secondary_ip=opts.secondary_ip,
        mac_prefix=opts.mac_prefix or constants.DEFAULT_MAC_PREFIX,
        vg_name=opts.vg_name,
        file_storage_dir=opts.file_storage_dir,
        shared_file_storage_dir=opts.shared_file_storage_dir,
        gluster_storage_dir=opts.gluster_storage_dir,
        candidate_pool_size=opts.candidate_pool_size or constants.MASTER_POOL_SIZE_DEFAULT,
        enabled_hypervisors=opts.enabled_hypervisors,
        hvparams=hvparams,
        beparams=beparams,
        nicparams=nicparams,
        ndparams=ndparams,
        diskparams=diskparams_list(opts.diskparams),
        ipolicy=ipolicy_from_opts(opts),
        enabled_disk_templates=opts.enabled_disk_templates,
        modify_etc_hosts=opts.modify_etc_hosts,
        modify_ssh_setup=opts.ssh_init,
        maintain_node_health=bool(opts.maintain_node_health),
        drbd_helper=opts.drbd_helper,
        uid_pool=parse_uid_pool(opts.uid_pool),
        default_iallocator=opts.default_iallocator or "",
        default_iallocator_params=opts.default_iallocator_params,
        primary_ip_version=opts.primary_ip_version,
        prealloc_wipe_disks=bool(opts.prealloc_wipe_disks),
        use_external_mip_script=bool(opts.use_external_mip_script),
        hv_state=state_dict(opts.hv_state),
        disk_state=state_dict(opts.disk_state),
        install_image=opts.install_image or "",
        zeroing_image=opts.zeroing_image or "",
        compression_tools=opts.compression_tools,
        enabled_user_shutdown=bool(opts.enabled_user_shutdown),
        ssh_key_type=opts.ssh_key_type or constants.SSH_KEY_TYPE_DEFAULT,
        ssh_key_bits=opts.ssh_key_bits,
    )
    bootstrap.init_cluster(params, feedback_fn=_debug_feedback(opts))
    from ganeti import opcodes

    cli.submit_op_code(opcodes.OpClusterPostInit(), opts=opts)
    return constants.EXIT_SUCCESS


def _debug_feedback(opts: Any) -> Any:
    if getattr(opts, "debug", 0):
        return lambda msg: cli.to_stderr("%s", msg)
    return None


def destroy_cluster(opts: Any, args: list[str]) -> int:
    """``destroy --yes-do-it``: removes the (one-node) cluster."""
    from ganeti import bootstrap
    from ganeti import opcodes

    if not opts.yes_do_it:
        cli.to_stderr(
            "Destroying a cluster is irreversible. If you really want to destroy this"
            " cluster, supply the --yes-do-it option."
        )
        return constants.EXIT_FAILURE
    master_uuid = cli.submit_op_code(opcodes.OpClusterDestroy(), opts=opts)
    bootstrap.finalize_cluster_destroy(master_uuid, feedback_fn=cli.to_stderr)
    return constants.EXIT_SUCCESS


def master_failover(opts: Any, args: list[str]) -> int:
    """``master-failover``: makes this node the master."""
    from ganeti import bootstrap

    if opts.no_voting and not opts.yes_do_it:
        text = (
            "This will perform the failover even if most other nodes are down, or if this"
            " node is outdated. This is dangerous as it can lead to a non-consistent"
            " cluster. Check the gnt-cluster(8) man page before proceeding. Continue?"
        )
        if not cli.ask_user(text):
            return constants.EXIT_CONFIRMATION
    rcode, warnings = bootstrap.master_failover(
        no_voting=opts.no_voting, feedback_fn=_debug_feedback(opts)
    )
    for msg in warnings:
        cli.to_stderr("%s", msg)
    return rcode


def show_cluster_master(opts: Any, args: list[str]) -> int:
    """``getmaster``: the master node's name (from ssconf)."""
    from ganeti import ssconf

    try:
        master = ssconf.SimpleStore().get_master_node()
    except errors.ConfigurationError:
        raise errors.OpPrereqError(
            "Cluster not initialized or this machine is not part of a cluster",
            errors.ECODE_INVAL,
        ) from None
    cli.to_stdout("%s", master)
    return constants.EXIT_SUCCESS


def master_ping(opts: Any, args: list[str]) -> int:
    """``master-ping``: exit code 0 if the master daemon answers."""
    try:
        cli.get_client().QueryClusterInfo()
    except Exception:  # pylint: disable=broad-except
        return constants.EXIT_FAILURE
    return constants.EXIT_SUCCESS


# --- information -------------------------------------------------------------------------


def show_cluster_version(opts: Any, args: list[str]) -> int:
    """``version``: software, protocol and format versions."""
    result = cli.get_client().QueryClusterInfo()
    cli.to_stdout("Software version: %s", result["software_version"])
    cli.to_stdout("Internode protocol: %s", result["protocol_version"])
    cli.to_stdout("Configuration format: %s", result["config_version"])
    cli.to_stdout("OS api version: %s", result["os_api_version"])
    cli.to_stdout("Export interface: %s", result["export_version"])
    cli.to_stdout("VCS version: %s", result["vcs_version"])
    return constants.EXIT_SUCCESS


def _roman(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value >= 4000:
        return value
    numerals = (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    )
    out = []
    for number, letters in numerals:
        while value >= number:
            out.append(letters)
            value -= number
    return "".join(out)


def _groups(params: dict, roman: bool) -> list[tuple[str, Any]]:
    return [(name, _params(values, roman)) for name, values in sorted((params or {}).items())]


def _params(values: Any, roman: bool) -> Any:
    if isinstance(values, dict):
        if not values:
            return ""
        return [(key, _params(values[key], roman)) for key in sorted(values)]
    if isinstance(values, list):
        return [_params(v, roman) for v in values] if values else ""
    return _roman(values) if roman else values


def _format_ipolicy(ipolicy: dict, roman: bool) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for idx, pair in enumerate(ipolicy.get(constants.ISPECS_MINMAX) or []):
        out.append(
            (
                "bounds specs" if idx == 0 else "bounds specs %d" % idx,
                [(which, _params(pair.get(which, {}), roman)) for which in ("min", "max")],
            )
        )
    out.append(("std", _params(ipolicy.get(constants.ISPECS_STD, {}), roman)))
    out.append(("allowed disk templates", ", ".join(ipolicy.get(constants.IPOLICY_DTS) or [])))
    for key in (constants.IPOLICY_VCPU_RATIO, constants.IPOLICY_SPINDLE_RATIO):
        out.append((key, ipolicy.get(key)))
    return out


def show_cluster_config(opts: Any, args: list[str]) -> int:
    """``info``: every cluster-wide setting and default."""
    result = cli.get_client().QueryClusterInfo()
    roman = bool(getattr(opts, "roman_integers", False))
    arch = result.get("architecture") or ["?", "?"]
    cluster_params = [
        (
            "candidate pool size",
            _roman(result["candidate_pool_size"]) if roman else result["candidate_pool_size"],
        ),
        ("maximal number of jobs running simultaneously", result["max_running_jobs"]),
        (
            "maximal number of jobs simultaneously tracked by the scheduler",
            result["max_tracked_jobs"],
        ),
        ("mac prefix", result["mac_prefix"]),
        ("master netdev", result["master_netdev"]),
        ("master netmask", result["master_netmask"]),
        ("use external master IP address setup script", result["use_external_mip_script"]),
        ("lvm volume group", result["volume_group_name"] or ""),
        ("lvm reserved volumes", ", ".join(result["reserved_lvs"] or []) or "(none)"),
        ("drbd usermode helper", result["drbd_usermode_helper"] or ""),
        ("file storage path", result["file_storage_dir"]),
        ("shared file storage path", result["shared_file_storage_dir"]),
        ("gluster storage path", result["gluster_storage_dir"]),
        ("maintenance of node health", result["maintain_node_health"]),
        ("uid pool", format_uid_pool(result["uid_pool"])),
        ("default instance allocator", result["default_iallocator"]),
        (
            "default instance allocator parameters",
            _params(result["default_iallocator_params"], roman),
        ),
        ("primary ip version", result["primary_ip_version"]),
        ("preallocation wipe disks", result["prealloc_wipe_disks"]),
        ("OS search path", ", ".join(pathutils.OS_SEARCH_PATH)),
        ("ExtStorage Providers search path", ", ".join(pathutils.ES_SEARCH_PATH)),
        ("enabled disk templates", ", ".join(result["enabled_disk_templates"] or [])),
        ("install image", result["install_image"]),
        ("instance communication network", result["instance_communication_network"]),
        ("zeroing image", result["zeroing_image"]),
        ("compression tools", list(result["compression_tools"] or [])),
        ("enabled user shutdown", result["enabled_user_shutdown"]),
        ("modify ssh setup", result["modify_ssh_setup"]),
        ("ssh_key_type", result["ssh_key_type"]),
        ("ssh_key_bits", result["ssh_key_bits"]),
    ]
    collectors = result.get("enabled_data_collectors") or {}
    intervals = result.get("data_collector_interval") or {}
    info = [
        ("Cluster name", result["name"]),
        ("Cluster UUID", result["uuid"]),
        ("Creation time", cli.format_time(result["ctime"])),
        ("Modification time", cli.format_time(result["mtime"])),
        ("Master node", result["master"]),
        ("Architecture (this node)", "%s (%s)" % (arch[0], arch[1])),
        ("Tags", ", ".join(result["tags"]) if result["tags"] else "(none)"),
        ("Default hypervisor", result["default_hypervisor"]),
        ("Enabled hypervisors", ", ".join(result["enabled_hypervisors"])),
        ("Hypervisor parameters", _groups(result["hvparams"], roman)),
        ("OS-specific hypervisor parameters", _groups(result["os_hvp"], roman)),
        ("OS parameters", _groups(result["osparams"], roman)),
        ("Hidden OSes", ", ".join(result["hidden_os"] or [])),
        ("Blacklisted OSes", ", ".join(result["blacklisted_os"] or [])),
        ("Cluster parameters", cluster_params),
        ("Default node parameters", _params(result["ndparams"], roman)),
        ("Default instance parameters", _groups(result["beparams"], roman)),
        ("Default nic parameters", _groups(result["nicparams"], roman)),
        ("Default disk parameters", _groups(result["diskparams"], roman)),
        ("Instance policy - limits for instances", _format_ipolicy(result["ipolicy"] or {}, roman)),
        (
            "Data collectors",
            [
                (
                    name,
                    [
                        ("enabled", collectors.get(name)),
                        ("interval", "%.3fs" % ((intervals.get(name) or 0) / 1e6)),
                    ],
                )
                for name in sorted(collectors)
            ]
            or "",
        ),
    ]
    cli.print_generic_info(info)
    return constants.EXIT_SUCCESS


def _spec_text(spec: dict) -> str:
    return ",".join("%s=%s" % (key, spec[key]) for key in sorted(spec))


def ipolicy_command_options(ipolicy: dict) -> str:
    """The ``--ipolicy-*`` options recreating ``ipolicy``'s specs."""
    parts = []
    std = ipolicy.get(constants.ISPECS_STD)
    if std:
        parts.append("--ipolicy-std-specs=%s" % _spec_text(std))
    minmax = ipolicy.get(constants.ISPECS_MINMAX)
    if minmax:
        parts.append(
            "--ipolicy-bounds-specs=%s"
            % "//".join(
                "min:%s/max:%s"
                % (
                    _spec_text(pair.get(constants.ISPECS_MIN, {})),
                    _spec_text(pair.get(constants.ISPECS_MAX, {})),
                )
                for pair in minmax
            )
        )
    return " ".join(parts)


def show_ispecs_cmd(opts: Any, args: list[str]) -> int:
    """``show-ispecs-cmd``: a ``gnt-cluster init`` line with the current specs."""
    info = cli.get_client().QueryClusterInfo()
    options = ipolicy_command_options(info.get("ipolicy") or {})
    cli.to_stdout("gnt-cluster init%s %s", " " + options if options else "", info["name"])
    return constants.EXIT_SUCCESS


# --- verify ---------------------------------------------------------------------------------


def verify_cluster(opts: Any, args: list[str]) -> int:
    """``verify``: one config job plus one job per node group; exit code 1
    if any reported an error."""
    from ganeti import opcodes

    skip = [constants.VERIFY_NPLUSONE_MEM] if opts.skip_nplusone_mem else []
    cl = cli.get_client()
    op = opcodes.OpClusterVerify(
        verbose=opts.verbose,
        error_codes=opts.error_codes,
        debug_simulate_errors=opts.simulate_errors,
        skip_checks=skip,
        ignore_errors=list(opts.ignore_errors or []),
        group_name=opts.nodegroup,
        verify_clutter=opts.verify_clutter,
    )
    result = cli.submit_op_code(op, cl=cl, opts=opts)
    jex = cli.JobExecutor(cl=cl, opts=opts)
    for status, job_id in result[constants.JOB_IDS_KEY]:
        jex.add_job_id(None, status, job_id)
    results = jex.get_results()
    bad_jobs = sum(1 for success, _ in results if not success)
    bad_results = sum(
        1 for success, op_results in results if success and not (op_results and op_results[0])
    )
    if bad_jobs or bad_results:
        if bad_jobs:
            cli.to_stdout("%s job(s) failed while verifying the cluster.", bad_jobs)
        return constants.EXIT_FAILURE
    return constants.EXIT_SUCCESS


def verify_disks(opts: Any, args: list[str]) -> int:
    """``verify-disks``: finds (and reactivates) degraded instance disks."""
    from ganeti import opcodes

    cl = cli.get_client()
    result = cli.submit_op_code(
        opcodes.OpClusterVerifyDisks(group_name=opts.nodegroup), cl=cl, opts=opts
    )
    jex = cli.JobExecutor(cl=cl, opts=opts)
    for status, job_id in result[constants.JOB_IDS_KEY]:
        jex.add_job_id(None, status, job_id)
    retcode = constants.EXIT_SUCCESS
    for status, job_result in jex.get_results():
        if not status:
            cli.to_stdout("Job failed: %s", job_result)
            retcode = constants.EXIT_FAILURE
            continue
        bad_nodes, instances, missing = job_result[0]
        bad_nodes, missing = bad_nodes or {}, missing or {}
        for node, text in sorted(bad_nodes.items()):
            cli.to_stdout("Error gathering data on node %s: %s", node, str(text)[-400:])
            retcode = constants.EXIT_FAILURE
        if bad_nodes:
            cli.to_stdout("You need to fix these nodes first before fixing instances")
        for iname in instances or []:
            if iname in missing:
                continue
            op = opcodes.OpInstanceActivateDisks(instance_name=iname)
            try:
                cli.to_stdout("Activating disks for instance '%s'", iname)
                cli.submit_op_code(op, cl=cl, opts=opts)
            except errors.GenericError as err:
                cli.to_stderr(
                    "Error activating disks for instance %s: %s", iname, cli.format_error(err)[1]
                )
                retcode = constants.EXIT_FAILURE
        for iname, ival in sorted(missing.items()):
            if all(node in bad_nodes for node, _ in ival):
                cli.to_stdout("Instance %s cannot be verified as it lives on broken nodes", iname)
                continue
            cli.to_stdout("Instance %s has missing logical volumes:", iname)
            for node, vol in sorted(ival):
                where = "/dev/%s" % vol if not vol.startswith("/") else vol
                if node in bad_nodes:
                    cli.to_stdout("\tbroken node %s %s", node, where)
                else:
                    cli.to_stdout("\t%s %s", node, where)
        if missing:
            cli.to_stdout(
                "You need to replace or recreate disks for all the above instances if this"
                " message persists after fixing broken nodes."
            )
            retcode = constants.EXIT_FAILURE
        elif not instances:
            cli.to_stdout("No disks need to be activated.")
    return retcode


# --- changes --------------------------------------------------------------------------------


def _modify_opcode(opts: Any) -> Any:
    from ganeti import opcodes

    hvparams = hvparams_list(opts.hvparams) or None
    diskparams = diskparams_list(opts.diskparams) or None
    beparams = opts.beparams or None
    nicparams = opts.nicparams or None
    ndparams = opts.ndparams or None
    if beparams:
        from ganeti import cli_opts

        try:
            cli_opts.convert_param_types(beparams, constants.BES_PARAMETER_COMPAT)
        except errors.TypeEnforcementError as err:
            raise errors.OpPrereqError(
                "Invalid backend parameters: %s" % err, errors.ECODE_INVAL
            ) from None
    vg_name = opts.vg_name
    drbd_helper = opts.drbd_helper
    return opcodes.OpClusterSetParams(
        force=opts.force,
        vg_name=vg_name,
        drbd_helper=drbd_helper,
        enabled_hypervisors=opts.enabled_hypervisors,
        hvparams=hvparams,
        beparams=beparams,
        nicparams=nicparams,
        ndparams=ndparams,
        diskparams=diskparams,
        ipolicy=ipolicy_from_opts(opts),
        candidate_pool_size=opts.candidate_pool_size,
        max_running_jobs=opts.max_running_jobs,
        max_tracked_jobs=opts.max_tracked_jobs,
        maintain_node_health=opts.maintain_node_health,
        uid_pool=parse_uid_pool(opts.uid_pool),
        add_uids=parse_uid_pool(opts.add_uids),
        remove_uids=parse_uid_pool(opts.remove_uids),
        default_iallocator=opts.default_iallocator,
        default_iallocator_params=opts.default_iallocator_params,
        reserved_lvs=opts.reserved_lvs,
        mac_prefix=opts.mac_prefix,
        master_netdev=opts.master_netdev,
        master_netmask=opts.master_netmask,
        prealloc_wipe_disks=opts.prealloc_wipe_disks,
        use_external_mip_script=opts.use_external_mip_script,
        enabled_disk_templates=opts.enabled_disk_templates,
        modify_etc_hosts=opts.modify_etc_hosts,
        file_storage_dir=opts.file_storage_dir,
        shared_file_storage_dir=opts.shared_file_storage_dir,
        gluster_storage_dir=opts.gluster_storage_dir,
        install_image=opts.install_image,
        instance_communication_network=opts.instance_communication_network,
        zeroing_image=opts.zeroing_image,
        compression_tools=opts.compression_tools,
        enabled_user_shutdown=opts.enabled_user_shutdown,
        hv_state=state_dict(opts.hv_state) or None,
        disk_state=state_dict(opts.disk_state) or None,
        enabled_data_collectors=enabled_collectors(opts.enabled_data_collectors) or None,
        data_collector_interval=data_collector_intervals(opts.data_collector_interval) or None,
    )


#: the OpClusterSetParams parameters that are changes (the others steer the job)
_MODIFY_PARAMS = frozenset(
    [
        "vg_name", "drbd_helper", "enabled_hypervisors", "hvparams", "beparams", "nicparams",
        "ndparams", "diskparams", "ipolicy", "candidate_pool_size", "max_running_jobs",
        "max_tracked_jobs", "maintain_node_health", "uid_pool", "add_uids", "remove_uids",
        "default_iallocator", "default_iallocator_params", "reserved_lvs", "mac_prefix",
        "master_netdev", "master_netmask", "prealloc_wipe_disks", "use_external_mip_script",
        "enabled_disk_templates", "modify_etc_hosts", "file_storage_dir",
        "shared_file_storage_dir", "gluster_storage_dir", "install_image",
        "instance_communication_network", "zeroing_image", "compression_tools",
        "enabled_user_shutdown", "hv_state", "disk_state", "enabled_data_collectors",
        "data_collector_interval", "os_hvp", "osparams", "hidden_os", "blacklisted_os",
    ]
)  # fmt: skip


def set_cluster_params(opts: Any, args: list[str]) -> int:
    """``modify``: changes cluster parameters (OP_CLUSTER_SET_PARAMS)."""
    op = _modify_opcode(opts)
    changed = [
        name
        for name, _, _, _ in op.get_all_params()
        if name in _MODIFY_PARAMS and getattr(op, name, None) not in (None, [], {})
    ]
    if not changed:
        cli.to_stderr("Please give at least one of the parameters.")
        return constants.EXIT_FAILURE
    cli.submit_or_send(op, opts)
    return constants.EXIT_SUCCESS


def redist_config(opts: Any, args: list[str]) -> int:
    """``redist-conf``: pushes the configuration and cluster files again."""
    from ganeti import opcodes

    cli.submit_or_send(opcodes.OpClusterRedistConf(), opts)
    return constants.EXIT_SUCCESS


def rename_cluster(opts: Any, args: list[str]) -> int:
    """``rename NAME``: renames the cluster (and moves the master IP)."""
    from ganeti import opcodes

    cl = cli.get_client()
    (cluster_name,) = cl.QueryConfigValues(["cluster_name"])
    new_name = args[0]
    if not opts.force:
        text = (
            "This will rename the cluster from '%s' to '%s'. If you are connected over the"
            " network to the cluster name, the operation is very dangerous as the IP address"
            " will be removed from the node and the change may not go through. Continue?"
            % (cluster_name, new_name)
        )
        if not cli.ask_user(text):
            return constants.EXIT_CONFIRMATION
    result = cli.submit_op_code(opcodes.OpClusterRename(name=new_name), cl=cl, opts=opts)
    if result:
        cli.to_stdout("Cluster renamed from '%s' to '%s'", cluster_name, result)
    return constants.EXIT_SUCCESS


def activate_master_ip(opts: Any, args: list[str]) -> int:
    """``activate-master-ip``."""
    from ganeti import opcodes

    cli.submit_op_code(opcodes.OpClusterActivateMasterIp(), opts=opts)
    return constants.EXIT_SUCCESS


def deactivate_master_ip(opts: Any, args: list[str]) -> int:
    """``deactivate-master-ip``."""
    from ganeti import opcodes

    if not opts.confirm:
        text = (
            "This will disable the master IP. All the open connections to the master IP will"
            " be closed. To reach the master you will need to use its node IP. Continue?"
        )
        if not cli.ask_user(text):
            return constants.EXIT_CONFIRMATION
    cli.submit_op_code(opcodes.OpClusterDeactivateMasterIp(), opts=opts)
    return constants.EXIT_SUCCESS


# --- queue, watcher, tags --------------------------------------------------------------------


def queue_ops(opts: Any, args: list[str]) -> int:
    """``queue drain|undrain|info``."""
    command = args[0]
    client = cli.get_client()
    if command in ("drain", "undrain"):
        client.SetDrainFlag(command == "drain")
    elif command == "info":
        (flag,) = client.QueryConfigValues(["drain_flag"])
        cli.to_stdout("The drain flag is %s", "set" if flag else "unset")
    else:
        raise errors.OpPrereqError("Command '%s' is not valid." % command, errors.ECODE_INVAL)
    return constants.EXIT_SUCCESS


def _show_watcher_pause(until: Any) -> None:
    if until is None or until < time.time():
        cli.to_stdout("The watcher is not paused.")
    else:
        cli.to_stdout("The watcher is paused until %s.", time.ctime(until))


def watcher_ops(opts: Any, args: list[str]) -> int:
    """``watcher pause DURATION|continue|info``."""
    command = args[0]
    client = cli.get_client()
    if command == "continue":
        client.SetWatcherPause(None)
        cli.to_stdout("The watcher is no longer paused.")
    elif command == "pause":
        if len(args) < 2:
            raise errors.OpPrereqError("Missing pause duration", errors.ECODE_INVAL)
        result = client.SetWatcherPause(time.time() + cli.parse_timespec(args[1]))
        _show_watcher_pause(result)
    elif command == "info":
        (until,) = client.QueryConfigValues(["watcher_pause"])
        _show_watcher_pause(until)
    else:
        raise errors.OpPrereqError("Command '%s' is not valid." % command, errors.ECODE_INVAL)
    return constants.EXIT_SUCCESS


def search_tags(opts: Any, args: list[str]) -> int:
    """``search-tags REGEX``: ``path tag`` for every matching tag."""
    from ganeti import opcodes

    result = cli.submit_op_code(opcodes.OpTagsSearch(pattern=args[0]), opts=opts)
    if not result:
        return constants.EXIT_FAILURE
    for path, tag in sorted(result):
        cli.to_stdout("%s %s", path, tag)
    return constants.EXIT_SUCCESS


# --- SSH: command, copyfile -------------------------------------------------------------------


def online_nodes(
    cl: Any, nodes: list[str], nodegroup: str | None, secondary: bool = False
) -> list[tuple[str, str, int]]:
    """(name, address, ssh port) of the selected online nodes, nice-sorted;
    offline ones are reported on stderr and skipped."""
    from ganeti.utils import text as utext

    fields = ["name", "offline", "sip", "pip", "group", "ndp/ssh_port"]
    qfilter = None
    if nodes:
        qfilter = ["|"] + [["=", "name", n] for n in nodes]
    response = cl.Query(constants.QR_NODE, fields, qfilter)
    rows = [[value for _, value in row] for row in response["data"]]
    found = {row[0] for row in rows}
    if nodes:
        unknown = [
            n for n in nodes if n not in found and not any(f.split(".")[0] == n for f in found)
        ]
        if unknown:
            raise errors.OpPrereqError(
                "Unknown node(s): %s" % ", ".join(unknown), errors.ECODE_NOENT
            )
    if nodegroup:
        rows = [row for row in rows if row[4] == nodegroup]
    offline = [row[0] for row in rows if row[1]]
    if offline:
        cli.to_stderr("Note: skipping offline node(s): %s", ", ".join(utext.nice_sort(offline)))
    out = []
    for row in rows:
        if row[1]:
            continue
        port = row[5] if isinstance(row[5], int) else 22
        out.append((row[0], row[2] if secondary else row[3], port))
    return utext.nice_sort(out, key=lambda item: item[0])


def _ssh_runner(cl: Any) -> Any:
    from ganeti import ssh

    info = cl.QueryClusterInfo()
    key_type = info.get("ssh_key_type") or constants.SSH_KEY_TYPE_DEFAULT
    return ssh.SshRunner(cluster_name=info["name"], key_type=key_type), info["master"]


def run_cluster_command(opts: Any, args: list[str]) -> int:
    """``command CMD...``: runs a shell command on the nodes over SSH."""
    cl = cli.get_client()
    command = " ".join(args)
    nodes = online_nodes(cl, opts.nodes, opts.nodegroup)
    runner, master = _ssh_runner(cl)
    # the master goes last: the command might disturb it
    nodes.sort(key=lambda item: item[0] == master)
    rcode = constants.EXIT_SUCCESS
    for name, address, port in nodes:
        try:
            result = runner.run(name, command, address=address, port=port)
            output, exit_code = result.output, result.exit_code
        except errors.GenericError as err:
            output, exit_code = cli.format_error(err)[1] + "\n", None
            rcode = constants.EXIT_FAILURE
        if opts.failure_only and exit_code == constants.EXIT_SUCCESS:
            continue
        cli.to_stdout("------------------------------------------------")
        if opts.show_machine_names:
            for line in output.splitlines():
                cli.to_stdout("%s: %s", name, line)
        else:
            cli.to_stdout("node: %s", name)
            cli.to_stdout("%s", output)
        cli.to_stdout("return code = %s", exit_code)
    return rcode


def copy_file(opts: Any, args: list[str]) -> int:
    """``copyfile FILE``: copies a file from this node to the other nodes."""
    filename = os.path.abspath(args[0])
    if not os.path.exists(filename):
        raise errors.OpPrereqError("No such filename '%s'" % filename, errors.ECODE_INVAL)
    cl = cli.get_client()
    runner, master = _ssh_runner(cl)
    nodes = online_nodes(cl, opts.nodes, opts.nodegroup, secondary=opts.use_replication_network)
    rcode = constants.EXIT_SUCCESS
    for name, address, port in nodes:
        if name == master:
            continue
        try:
            runner.copy_file(name, filename, address=address, port=port)
        except errors.GenericError as err:
            cli.to_stderr("Copy of file %s to node %s:%d failed: %s", filename, name, port, err)
            rcode = constants.EXIT_FAILURE
    return rcode


# --- the command table -----------------------------------------------------------------------

_INIT_OPTS = [
    cli.BACKEND_OPT,
    copts.CP_SIZE_OPT,
    copts.ENABLED_HV_OPT,
    copts.FILE_STORAGE_DIR_OPT,
    cli.HVLIST_OPT,
    copts.MAC_PREFIX_OPT,
    copts.MASTER_NETDEV_OPT,
    copts.MASTER_NETMASK_OPT,
    cli.NIC_PARAMS_OPT,
    copts.NOETCHOSTS_OPT,
    copts.NOSSH_INIT_OPT,
    cli.SECONDARY_IP_OPT,
    copts.VG_NAME_OPT,
    copts.MAINTAIN_NODE_HEALTH_OPT,
    copts.UIDPOOL_OPT,
    copts.DRBD_HELPER_OPT,
    copts.DEFAULT_IALLOCATOR_OPT,
    copts.DEFAULT_IALLOCATOR_PARAMS_OPT,
    copts.PRIMARY_IP_VERSION_OPT,
    copts.PREALLOC_WIPE_DISKS_OPT,
    cli.NODE_PARAMS_OPT,
    copts.SHARED_FILE_STORAGE_DIR_OPT,
    copts.GLUSTER_STORAGE_DIR_OPT,
    copts.USE_EXTERNAL_MIP_SCRIPT_OPT,
    cli.DISK_PARAMS_OPT,
    copts.HV_STATE_OPT,
    copts.DISK_STATE_OPT,
    copts.ENABLED_DISK_TEMPLATES_OPT,
    copts.INSTALL_IMAGE_OPT,
    copts.ZEROING_IMAGE_OPT,
    copts.COMPRESSION_TOOLS_OPT,
    copts.USER_SHUTDOWN_OPT,
    copts.SSH_KEY_BITS_OPT,
    copts.SSH_KEY_TYPE_OPT,
] + copts.IPOLICY_OPTS

_MODIFY_OPTS = (
    [
        cli.FORCE_OPT,
        cli.BACKEND_OPT,
        copts.CP_SIZE_OPT,
        copts.MAX_RUNNING_JOBS_OPT,
        copts.MAX_TRACKED_JOBS_OPT,
        copts.INSTALL_IMAGE_OPT,
        copts.INSTANCE_COMMUNICATION_NETWORK_OPT,
        copts.ENABLED_HV_OPT,
        cli.HVLIST_OPT,
        copts.MAC_PREFIX_OPT,
        copts.MASTER_NETDEV_OPT,
        copts.MASTER_NETMASK_OPT,
        cli.NIC_PARAMS_OPT,
        copts.VG_NAME_OPT,
        copts.MAINTAIN_NODE_HEALTH_OPT,
        copts.UIDPOOL_OPT,
        copts.ADD_UIDS_OPT,
        copts.REMOVE_UIDS_OPT,
        copts.DRBD_HELPER_OPT,
        copts.DEFAULT_IALLOCATOR_OPT,
        copts.DEFAULT_IALLOCATOR_PARAMS_OPT,
        copts.RESERVED_LVS_OPT,
        cli.DRY_RUN_OPT,
        cli.PRIORITY_OPT,
        copts.PREALLOC_WIPE_DISKS_OPT,
        cli.NODE_PARAMS_OPT,
        copts.USE_EXTERNAL_MIP_SCRIPT_OPT,
        cli.DISK_PARAMS_OPT,
        copts.HV_STATE_OPT,
        copts.DISK_STATE_OPT,
        copts.ENABLED_DISK_TEMPLATES_OPT,
        copts.MODIFY_ETCHOSTS_OPT,
        copts.USER_SHUTDOWN_OPT,
        copts.FILE_STORAGE_DIR_OPT,
        copts.SHARED_FILE_STORAGE_DIR_OPT,
        copts.GLUSTER_STORAGE_DIR_OPT,
        copts.ZEROING_IMAGE_OPT,
        copts.COMPRESSION_TOOLS_OPT,
        copts.ENABLED_DATA_COLLECTORS_OPT,
        copts.DATA_COLLECTOR_INTERVAL_OPT,
    ]
    + cli.SUBMIT_OPTS
    + copts.IPOLICY_OPTS
)

commands = {
    "init": (
        init_cluster,
        [cli.ArgHost(min=1, max=1)],
        _INIT_OPTS,
        "[opts...] <cluster_name>",
        "Initialises a new cluster configuration",
    ),
    "destroy": (
        destroy_cluster,
        [],
        [cli.YES_DOIT_OPT],
        "",
        "Destroy cluster",
    ),
    "rename": (
        rename_cluster,
        [cli.ArgHost(min=1, max=1)],
        [cli.FORCE_OPT, cli.DRY_RUN_OPT],
        "<new_name>",
        "Renames the cluster",
    ),
    "redist-conf": (
        redist_config,
        [],
        cli.SUBMIT_OPTS + [cli.DRY_RUN_OPT, cli.PRIORITY_OPT],
        "",
        "Forces a push of the configuration file and ssconf files to the nodes in the cluster",
    ),
    "verify": (
        verify_cluster,
        [],
        [
            cli.VERBOSE_OPT,
            copts.ERROR_CODES_OPT,
            copts.SIMULATE_ERRORS_OPT,
            copts.NONPLUS1_OPT,
            cli.DRY_RUN_OPT,
            cli.PRIORITY_OPT,
            cli.NODEGROUP_OPT,
            copts.IGNORE_ERRORS_OPT,
            copts.VERIFY_CLUTTER_OPT,
        ],
        "",
        "Does a check on the cluster configuration",
    ),
    "verify-disks": (
        verify_disks,
        [],
        [cli.PRIORITY_OPT, cli.NODEGROUP_OPT],
        "",
        "Does a check on the cluster disk status",
    ),
    "master-failover": (
        master_failover,
        [],
        [copts.NOVOTING_OPT, cli.YES_DOIT_OPT, copts.IGNORE_OFFLINE_NODES_OPT],
        "",
        "Makes the current node the master",
    ),
    "master-ping": (
        master_ping,
        [],
        [],
        "",
        "Checks if the master is alive",
    ),
    "version": (
        show_cluster_version,
        [],
        [],
        "",
        "Shows the cluster version",
    ),
    "getmaster": (
        show_cluster_master,
        [],
        [],
        "",
        "Shows the cluster master",
    ),
    "copyfile": (
        copy_file,
        [cli.ArgFile(min=1, max=1)],
        [cli.NODE_LIST_OPT, copts.USE_REPL_NET_OPT, cli.NODEGROUP_OPT],
        "[-n node...] <filename>",
        "Copies a file to all (or only some) nodes",
    ),
    "command": (
        run_cluster_command,
        [cli.ArgCommand(min=1)],
        [
            cli.NODE_LIST_OPT,
            cli.NODEGROUP_OPT,
            copts.SHOW_MACHINE_NAMES_OPT,
            copts.FAILURE_ONLY_OPT,
        ],
        "[-n node...] <command>",
        "Runs a command on all (or only some) nodes",
    ),
    "info": (
        show_cluster_config,
        [],
        [cli.ROMAN_OPT],
        "[--roman]",
        "Show cluster configuration",
    ),
    "list-tags": (
        cli.list_tags,
        [],
        [],
        "",
        "List the tags of the cluster",
    ),
    "add-tags": (
        cli.add_tags,
        [cli.ArgUnknown()],
        [cli.TAG_SRC_OPT, cli.PRIORITY_OPT] + cli.SUBMIT_OPTS,
        "tag...",
        "Add tags to the cluster",
    ),
    "remove-tags": (
        cli.remove_tags,
        [cli.ArgUnknown()],
        [cli.TAG_SRC_OPT, cli.PRIORITY_OPT] + cli.SUBMIT_OPTS,
        "tag...",
        "Remove tags from the cluster",
    ),
    "search-tags": (
        search_tags,
        [cli.ArgUnknown(min=1, max=1)],
        [cli.PRIORITY_OPT],
        "",
        "Searches the tags on all objects on the cluster for a given pattern (regex)",
    ),
    "queue": (
        queue_ops,
        [cli.ArgChoice(min=1, max=1, choices=["drain", "undrain", "info"])],
        [],
        "drain|undrain|info",
        "Change queue properties",
    ),
    "watcher": (
        watcher_ops,
        [
            cli.ArgChoice(min=1, max=1, choices=["pause", "continue", "info"]),
            cli.ArgSuggest(min=0, max=1, choices=["30m", "1h", "4h"]),
        ],
        [],
        "{pause <timespec>|continue|info}",
        "Change watcher properties",
    ),
    "modify": (
        set_cluster_params,
        [],
        _MODIFY_OPTS,
        "[opts...]",
        "Alters the parameters of the cluster",
    ),
    "renew-crypto": (
        gnt_cluster_crypto.renew_crypto,
        [],
        [
            copts.NEW_CLUSTER_CERT_OPT,
            copts.NEW_RAPI_CERT_OPT,
            copts.RAPI_CERT_OPT,
            copts.NEW_SPICE_CERT_OPT,
            copts.SPICE_CERT_OPT,
            copts.SPICE_CACERT_OPT,
            copts.NEW_CONFD_HMAC_KEY_OPT,
            cli.FORCE_OPT,
            copts.NEW_CDS_OPT,
            copts.CDS_OPT,
            copts.NEW_NODE_CERT_OPT,
            copts.NEW_SSH_KEY_OPT,
            copts.NOSSH_KEYCHECK_OPT,
            cli.VERBOSE_OPT,
            copts.SSH_KEY_BITS_OPT,
            copts.SSH_KEY_TYPE_OPT,
        ],
        "[opts...]",
        "Renews cluster certificates, keys and secrets",
    ),
    "show-ispecs-cmd": (
        show_ispecs_cmd,
        [],
        [],
        "",
        "Show the command line to re-create the cluster's instance specs",
    ),
    "activate-master-ip": (
        activate_master_ip,
        [],
        [],
        "",
        "Activates the master IP",
    ),
    "deactivate-master-ip": (
        deactivate_master_ip,
        [],
        [cli.CONFIRM_OPT],
        "",
        "Deactivates the master IP",
    ),
}

aliases = {
    "masterfailover": "master-failover",
    "show": "info",
}


def main() -> int:
    return cli.generic_main(commands, aliases=aliases, override={"tag_type": constants.TAG_CLUSTER})
