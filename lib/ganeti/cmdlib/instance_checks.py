"""Checks of an instance against its nodes and its group's instance policy.

Owns free memory and storage of a node in one ``node_info`` call, the OS
on the nodes, blacklisted OS names, filled and checked hypervisor and
backend parameters, and instance policy violations.  Each check raises
OpPrereqError with an ECODE (or warns where the LU ignores the policy).
It must never change the configuration nor reach a node except through
``lu.rpc``.
"""

from typing import Any

from ganeti import constants
from ganeti import errors
from ganeti.cmdlib.group import force_param_types


def storage_unit(cluster: Any, template: str) -> list | None:
    """The node_info storage unit of a template's space (None if none)."""
    if template == constants.DT_FILE:
        return [constants.ST_FILE, cluster.file_storage_dir, []]
    if template == constants.DT_SHARED_FILE:
        return [constants.ST_SHARED_FILE, cluster.shared_file_storage_dir, []]
    return None


def check_node_resources(
    lu: Any,
    node_uuid: str,
    reason: str,
    memory: int | None = None,
    hv_name: str | None = None,
    hvparams: dict | None = None,
    template: str | None = None,
    disk_mib: int = 0,
) -> None:
    """Checks free memory and storage of a node in one ``node_info`` call.

    OpPrereqError ECODE_NORES when the node lacks what is asked,
    ECODE_ENVIRON when it cannot tell.
    """
    if lu.rpc is None:
        return
    cluster = lu.cfg.get_cluster_info()
    node_name = lu.cfg.get_node_name(node_uuid)
    unit = storage_unit(cluster, template) if template and disk_mib else None
    if memory is None and unit is None:
        return
    hv_name = hv_name or cluster.primary_hypervisor
    hv_specs = [[hv_name, hvparams or cluster.hvparams.get(hv_name, {})]]
    res = lu.rpc.call_node_info([node_uuid], [unit] if unit else [], hv_specs)[node_uuid]
    res.raise_error(
        "Can't get data from node %s" % node_name, prereq=True, ecode=errors.ECODE_ENVIRON
    )
    try:
        _, space, hvinfo = res.payload
    except (TypeError, ValueError):
        raise errors.OpPrereqError(
            "Invalid node_info answer from node %s" % node_name, errors.ECODE_ENVIRON
        ) from None
    if memory is not None:
        free = (hvinfo[0] if hvinfo else {}).get("memory_free")
        if not isinstance(free, int):
            raise errors.OpPrereqError(
                "Can't compute free memory on node %s, result was '%s'" % (node_name, free),
                errors.ECODE_ENVIRON,
            )
        if memory > free:
            raise errors.OpPrereqError(
                "Not enough memory on node %s for %s: needed %s MiB, available %s MiB"
                % (node_name, reason, memory, free),
                errors.ECODE_NORES,
            )
    if unit is not None:
        free_disk = (space[0] if space else {}).get("storage_free")
        if not isinstance(free_disk, int):
            raise errors.OpPrereqError(
                "Can't compute free disk space on node %s for %s, result was '%s'"
                % (node_name, unit[1], free_disk),
                errors.ECODE_ENVIRON,
            )
        if disk_mib > free_disk:
            raise errors.OpPrereqError(
                "Not enough disk space on target node %s (%s): required %d MiB, available %d MiB"
                % (node_name, unit[1], disk_mib, free_disk),
                errors.ECODE_NORES,
            )


def check_node_has_os(
    lu: Any,
    node_uuids: list[str],
    os_name: str,
    osparams: dict,
    force_variant: bool,
) -> None:
    """The OS (with its variant and parameters) must be valid on the nodes."""
    if lu.rpc is None:
        return
    checks = [constants.OS_VALIDATE_PARAMETERS] if osparams is not None else []
    results = lu.rpc.call_os_validate(
        node_uuids, True, os_name, checks, osparams or {}, force_variant
    )
    for node, res in results.items():
        if res.offline:
            continue
        if res.fail_msg:
            raise errors.OpPrereqError(
                "OS '%s' not in supported OS list for node %s: %s"
                % (os_name, lu.cfg.get_node_name(node), res.fail_msg),
                errors.ECODE_INVAL,
            )


def check_os_name(cluster: Any, os_name: str | None, what: str = "instance") -> None:
    """Refuses a blacklisted OS (Ganeti allows hidden ones when named)."""
    if not os_name:
        return
    if os_name in (cluster.blacklisted_os or []) or os_name.split("+", 1)[0] in (
        cluster.blacklisted_os or []
    ):
        raise errors.OpPrereqError(
            "Guest OS '%s' is not allowed for installation" % os_name, errors.ECODE_STATE
        )


def fill_hvparams_checked(
    lu: Any,
    node_uuids: list[str],
    hv_name: str,
    os_name: str | None,
    own: dict,
) -> dict:
    """The full hvparams of an instance, checked here and on its nodes."""
    from ganeti import hypervisor
    from ganeti.cmdlib.group import check_params_not_global

    cluster = lu.cfg.get_cluster_info()
    force_param_types(own, constants.HVS_PARAMETER_TYPES, "hypervisor")
    check_params_not_global(own, constants.HVC_GLOBALS, "instance")
    full = cluster.simple_fill_hv(hv_name, os_name, own, skip_globals=False)
    try:
        hv_class = hypervisor.get_hypervisor_class(hv_name)
        hv_class.check_parameter_syntax(
            {k: v for k, v in full.items() if k in getattr(hv_class, "PARAMETERS", full)}
        )
    except errors.HypervisorError as err:
        raise errors.OpPrereqError(
            "Invalid hypervisor parameters: %s" % err, errors.ECODE_INVAL
        ) from None
    own_syntax_bad = sorted(set(own) - set(getattr(hv_class, "PARAMETERS", own)))
    if own_syntax_bad:
        raise errors.OpPrereqError(
            "Hypervisor parameter(s) %s not supported by hypervisor %s"
            % (", ".join(own_syntax_bad), hv_name),
            errors.ECODE_INVAL,
        )
    if lu.rpc is not None and node_uuids:
        results = lu.rpc.call_hypervisor_validate_params(node_uuids, hv_name, full)
        for node, res in results.items():
            if res.offline:
                continue
            if res.fail_msg:
                raise errors.OpPrereqError(
                    "Hypervisor parameter validation failed on node %s: %s"
                    % (lu.cfg.get_node_name(node), res.fail_msg),
                    errors.ECODE_INVAL,
                )
    return full


def fill_beparams_checked(cluster: Any, own: dict) -> dict:
    """Checked backend parameters (``memory`` becomes maxmem/minmem)."""
    own = dict(own or {})
    if constants.BE_MEMORY in own:
        mem = own.pop(constants.BE_MEMORY)
        own.setdefault(constants.BE_MAXMEM, mem)
        own.setdefault(constants.BE_MINMEM, mem)
    for key, value in list(own.items()):
        if value == constants.VALUE_AUTO:
            own.pop(key)
    force_param_types(own, constants.BES_PARAMETER_TYPES, "backend")
    full = cluster.simple_fill_be(own)
    if full.get(constants.BE_MINMEM, 0) > full.get(constants.BE_MAXMEM, 0) and (
        constants.BE_MINMEM in own and constants.BE_MAXMEM in own
    ):
        raise errors.OpPrereqError(
            "Minimum memory (%s) is greater than maximum memory (%s)"
            % (full[constants.BE_MINMEM], full[constants.BE_MAXMEM]),
            errors.ECODE_INVAL,
        )
    return own


# --- instance policy -----------------------------------------------------------------------


def ipolicy_violations(
    ipolicy: dict,
    mem: int | None,
    cpus: int | None,
    disk_count: int,
    nic_count: int,
    disk_sizes: list[int],
    spindle_use: int | None,
    template: str,
) -> list[str]:
    """What an instance spec violates in an instance policy (empty: fine)."""
    problems = []
    allowed = ipolicy.get(constants.IPOLICY_DTS)
    if allowed is not None and template not in allowed:
        problems.append(
            "Disk template %s is not allowed (allowed templates: %s)"
            % (template, ", ".join(allowed))
        )
    checks = [
        (constants.ISPEC_MEM_SIZE, constants.ISPEC_MEM_SIZE, mem),
        (constants.ISPEC_CPU_COUNT, constants.ISPEC_CPU_COUNT, cpus),
        (constants.ISPEC_NIC_COUNT, constants.ISPEC_NIC_COUNT, nic_count),
        (constants.ISPEC_SPINDLE_USE, constants.ISPEC_SPINDLE_USE, spindle_use),
    ]
    checks += [
        (constants.ISPEC_DISK_SIZE, "%s/%d" % (constants.ISPEC_DISK_SIZE, idx), size)
        for idx, size in enumerate(disk_sizes)
    ]
    if template != constants.DT_DISKLESS:
        # a disk count means nothing for diskless instances
        checks.append((constants.ISPEC_DISK_COUNT, constants.ISPEC_DISK_COUNT, disk_count))
    minmax_list = ipolicy.get(constants.ISPECS_MINMAX) or []
    best: list[str] | None = None
    for minmax in minmax_list:
        low = minmax.get(constants.ISPECS_MIN, {})
        high = minmax.get(constants.ISPECS_MAX, {})
        found = []
        for key, what, value in checks:
            if value is None:
                continue
            lo, hi = low.get(key), high.get(key)
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                found.append("%s value %s is not in range [%s, %s]" % (what, value, lo, hi))
        if best is None or len(found) < len(best):
            best = found
    return problems + (best or [])


def check_ipolicy(
    lu: Any,
    node_uuid: str,
    beparams: dict,
    disk_sizes: list[int],
    nic_count: int,
    template: str,
    ignore: bool,
) -> None:
    """Checks the spec against the primary node's group policy."""
    cfg = lu.cfg
    node = cfg.get_node_info(node_uuid)
    group = cfg.get_node_group(node.group) if node is not None else None
    if group is None:
        return
    cluster = cfg.get_cluster_info()
    ipolicy = cluster.fill_ipolicy(group)
    problems = ipolicy_violations(
        ipolicy,
        beparams.get(constants.BE_MAXMEM),
        beparams.get(constants.BE_VCPUS),
        len(disk_sizes),
        nic_count,
        disk_sizes,
        beparams.get(constants.BE_SPINDLE_USE),
        template,
    )
    if problems:
        msg = "Instance allocation to group %s (%s) violates policy: %s" % (
            group.name,
            group.uuid,
            "; ".join(problems),
        )
        if ignore:
            lu.log_warning(msg)
        else:
            raise errors.OpPrereqError(msg, errors.ECODE_INVAL)
