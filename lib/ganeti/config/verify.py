"""Consistency checks of a whole configuration (ConfigWriter.verify_config).

Owns the list of invariants config.data must keep; must never change the
configuration or talk to nodes (cluster verify does that).
"""

from ganeti import constants, errors, objects


def master_candidate_counts(data: objects.ConfigData) -> tuple[int, int]:
    """(master candidates now, master candidates wanted)."""
    mc_now = mc_max = 0
    for node in data.nodes.values():
        if not (node.offline or node.drained) and node.master_capable:
            mc_max += 1
        if node.master_candidate:
            mc_now += 1
    return mc_now, min(mc_max, data.cluster.candidate_pool_size)


def verify_config_data(data: objects.ConfigData) -> list[str]:
    """Consistency problems of ``data`` (empty when sound)."""
    cluster = data.cluster
    result: list[str] = []
    add = result.append
    hvp = constants.HVS_PARAMETER_TYPES
    # cluster
    if cluster.master_node not in data.nodes:
        add("cluster has invalid master node '%s'" % cluster.master_node)
    elif not data.nodes[cluster.master_node].master_candidate:
        add("master node %s is not a master candidate" % data.nodes[cluster.master_node].name)
    for hv_name in cluster.enabled_hypervisors or []:
        if hv_name not in constants.HYPER_TYPES:
            add("cluster has unknown enabled hypervisor '%s'" % hv_name)
    for dt in cluster.enabled_disk_templates or []:
        if dt not in constants.DISK_TEMPLATES:
            add("cluster has unknown enabled disk template '%s'" % dt)
    result.extend(
        objects.check_param_types(
            cluster.beparams.get(objects.PP_DEFAULT),
            constants.BES_PARAMETER_TYPES,
            "cluster beparams",
        )
    )
    result.extend(
        objects.check_param_types(
            cluster.nicparams.get(objects.PP_DEFAULT),
            constants.NICS_PARAMETER_TYPES,
            "cluster nicparams",
        )
    )
    result.extend(
        objects.check_param_types(
            cluster.ndparams, constants.NDS_PARAMETER_TYPES, "cluster ndparams"
        )
    )
    for hv_name, params in (cluster.hvparams or {}).items():
        result.extend(objects.check_param_types(params, hvp, "cluster hvparams %s" % hv_name))
    try:
        objects.InstancePolicy.check_parameter_syntax(cluster.ipolicy, True)
    except errors.ConfigurationError as err:
        add("cluster instance policy is invalid: %s" % err)
    # node groups
    group_names: dict[str, str] = {}
    for uuid, group in data.nodegroups.items():
        if group.uuid != uuid:
            add("node group '%s' is indexed by wrong UUID '%s'" % (group.name, uuid))
        if group.name in group_names:
            add("duplicate node group name '%s'" % group.name)
        group_names[group.name] = uuid
        if group.alloc_policy not in constants.VALID_ALLOC_POLICIES:
            add("node group '%s' has invalid alloc_policy '%s'" % (group.name, group.alloc_policy))
        result.extend(
            objects.check_param_types(
                group.ndparams, constants.NDS_PARAMETER_TYPES, "group %s ndparams" % group.name
            )
        )
        try:
            objects.InstancePolicy.check_parameter_syntax(
                cluster.simple_fill_ipolicy(group.ipolicy), True
            )
        except errors.ConfigurationError as err:
            add("node group '%s' has invalid instance policy: %s" % (group.name, err))
    # nodes
    names: dict[str, str] = {}
    ips: dict[str, str] = {}
    for uuid, node in data.nodes.items():
        if node.uuid != uuid:
            add("node '%s' is indexed by wrong UUID '%s'" % (node.name, uuid))
        if node.name in names:
            add("duplicate node name '%s'" % node.name)
        names[node.name] = uuid
        if [node.master_candidate, node.drained, node.offline].count(True) > 1:
            add(
                "node %s state is invalid: master_candidate=%s, drained=%s, offline=%s"
                % (node.name, node.master_candidate, node.drained, node.offline)
            )
        if node.group not in data.nodegroups:
            add("node '%s' has invalid group '%s'" % (node.name, node.group))
        for ip in {node.primary_ip, node.secondary_ip}:
            if ip in ips and ips[ip] != node.name:
                add("IP address %s is used by nodes %s and %s" % (ip, ips[ip], node.name))
            ips[ip] = node.name
        result.extend(
            objects.check_param_types(
                node.ndparams, constants.NDS_PARAMETER_TYPES, "node %s ndparams" % node.name
            )
        )
    mc_now, mc_should = master_candidate_counts(data)
    if mc_now < mc_should:
        add("Not enough master candidates: actual %d, target %d" % (mc_now, mc_should))
    # instances, disks, NICs
    inst_names: dict[str, str] = {}
    macs: dict[str, str] = {}
    net_ips: dict[tuple[str | None, str], str] = {}
    ports: dict[int, str] = {}
    disk_owner: dict[str, str] = {}
    for uuid, inst in data.instances.items():
        where = "instance '%s'" % inst.name
        if inst.uuid != uuid:
            add("%s is indexed by wrong UUID '%s'" % (where, uuid))
        if inst.name in inst_names:
            add("duplicate instance name '%s'" % inst.name)
        inst_names[inst.name] = uuid
        if inst.primary_node not in data.nodes:
            add("%s has invalid primary node '%s'" % (where, inst.primary_node))
        if inst.hypervisor not in (cluster.enabled_hypervisors or []):
            add("%s uses hypervisor '%s' which is not enabled" % (where, inst.hypervisor))
        if inst.admin_state not in constants.ADMINST_ALL:
            add("%s has invalid admin state '%s'" % (where, inst.admin_state))
        result.extend(
            objects.check_param_types(
                inst.beparams, constants.BES_PARAMETER_TYPES, where + " beparams"
            )
        )
        result.extend(objects.check_param_types(inst.hvparams, hvp, where + " hvparams"))
        if inst.network_port is not None:
            if inst.network_port in ports:
                add(
                    "%s uses network port %s already used by instance '%s'"
                    % (where, inst.network_port, ports[inst.network_port])
                )
            ports[inst.network_port] = inst.name
            if inst.network_port > cluster.highest_used_port:
                add(
                    "%s uses port %s above the highest used port %s"
                    % (where, inst.network_port, cluster.highest_used_port)
                )
        for idx, nic in enumerate(inst.nics):
            if not nic.mac:
                add("%s nic %d has no MAC address" % (where, idx))
            elif nic.mac in macs:
                add(
                    "duplicate MAC address %s (instances '%s' and '%s')"
                    % (nic.mac, macs[nic.mac], inst.name)
                )
            else:
                macs[nic.mac] = inst.name
            if nic.network and nic.network not in data.networks:
                add("%s nic %d has unknown network '%s'" % (where, idx, nic.network))
            if nic.ip:
                key = (nic.network, nic.ip)
                if key in net_ips:
                    add(
                        "IP address %s is used by instances '%s' and '%s'"
                        % (nic.ip, net_ips[key], inst.name)
                    )
                net_ips[key] = inst.name
            result.extend(
                objects.check_param_types(
                    nic.nicparams,
                    constants.NICS_PARAMETER_TYPES,
                    "%s nic %d nicparams" % (where, idx),
                )
            )
        for disk_uuid in inst.disks:
            disk = data.disks.get(disk_uuid)
            if disk is None:
                add("%s has unknown disk '%s'" % (where, disk_uuid))
                continue
            if disk_uuid in disk_owner:
                add(
                    "disk %s is attached to instances '%s' and '%s'"
                    % (disk_uuid, disk_owner[disk_uuid], inst.name)
                )
            disk_owner[disk_uuid] = inst.name
            for node in disk.all_nodes:
                if node not in data.nodes:
                    add("%s disk %s is on unknown node '%s'" % (where, disk_uuid, node))
            if disk.dev_type not in (cluster.enabled_disk_templates or []):
                add(
                    "%s disk %s uses disk template '%s' which is not enabled"
                    % (where, disk_uuid, disk.dev_type)
                )
    for disk_uuid, disk in data.disks.items():
        if disk.uuid != disk_uuid:
            add("disk '%s' is indexed by wrong UUID '%s'" % (disk.uuid, disk_uuid))
        if disk_uuid not in disk_owner and not disk.forthcoming:
            add("disk %s is not attached to any instance" % disk_uuid)
        if disk.mode not in constants.DISK_ACCESS_SET:
            add("disk %s has invalid mode '%s'" % (disk_uuid, disk.mode))
    for (node, minor), users in drbd_duplicates(data).items():
        add(
            "DRBD minor %d on node %s is used by disks %s" % (minor, node, ", ".join(sorted(users)))
        )
    for port in cluster.tcpudp_port_pool or ():
        if port in ports:
            add("port %s is in the free pool but used by instance '%s'" % (port, ports[port]))
    net_names: set[str] = set()
    for uuid, net in data.networks.items():
        if net.uuid != uuid:
            add("network '%s' is indexed by wrong UUID '%s'" % (net.name, uuid))
        if net.name in net_names:
            add("duplicate network name '%s'" % net.name)
        net_names.add(net.name)
    return result


def drbd_duplicates(data: objects.ConfigData) -> dict[tuple[str, int], set[str]]:
    seen: dict[tuple[str, int], set[str]] = {}
    for disk in data.disks.values():
        if disk.dev_type == constants.DT_DRBD8 and disk.logical_id:
            pnode, snode, _, pminor, sminor = disk.logical_id[:5]
            seen.setdefault((pnode, pminor), set()).add(disk.uuid)
            seen.setdefault((snode, sminor), set()).add(disk.uuid)
    return {k: v for k, v in seen.items() if len(v) > 1}
