"""Node-side work behind the instance and OS RPCs.

Owns what a node does when the master asks it to start, stop, reboot,
balloon, migrate or list instances through their hypervisor, and to run
OS scripts on an instance's disks.  Arguments are what the master's
encoders send (``rpc.instance_encoders``): instances as dicts with filled
hvparams/beparams/osparams, ``disks_info`` (disk dicts) and
``secondary_nodes``.  The instance's disks are ``backend_blockdev``'s.
Every procedure returns a JSON-able value or raises ``backend.RPCFail``
with a message for the master.  It must never read config.data nor talk
to other nodes.

``PROCEDURES`` maps each RPC name to its function, the block device and
storage ones of ``backend_blockdev`` included; ganeti-noded merges it into
its dispatch table.
"""

import logging
import os
import time
from typing import Any, Callable

from ganeti import backend_blockdev, constants, errors, osapi, pathutils, serializer
from ganeti.backend import _fail
from ganeti.backend_blockdev import (
    NodeInstance,
    _device_uri,
    _gather_and_link,
    _get_hv,
    _open_real,
    _procedure,
)
from ganeti.storage import devlinks
from ganeti.utils import io as uio

#: hypervisor instance states (Ganeti's HvInstanceState)
HV_STATE_RUNNING = 0
HV_STATE_SHUTDOWN = 1


# --- instances -----------------------------------------------------------------------------


def _store_reason(instance_name: str, reason: Any) -> None:
    if reason is None:
        return
    try:
        os.makedirs(pathutils.INSTANCE_REASON_DIR, 0o755, exist_ok=True)
        uio.write_file(
            os.path.join(pathutils.INSTANCE_REASON_DIR, instance_name),
            serializer.dumps(reason),
            mode=0o644,
            fsync=False,
        )
    except OSError as err:
        logging.warning("Can't store the reason trail of %s: %s", instance_name, err)


def _hv_info(hv, name: str, hvparams: dict | None) -> tuple | None:
    try:
        return hv.get_instance_info(name, hvparams=hvparams)
    except errors.HypervisorError as err:
        _fail("Error checking node %s: %s", name, err)
        raise


def _info_dict(row: tuple) -> dict[str, Any]:
    return {"memory": row[2], "vcpus": row[3], "state": row[4], "time": row[5]}


@_procedure
def instance_info(instance: str, hname: str, hvparams: dict) -> dict:
    """``{memory, vcpus, state, time}`` of a running instance, {} if not running."""
    row = _hv_info(_get_hv(hname), instance, hvparams)
    return {} if row is None else _info_dict(row)


@_procedure
def all_instances_info(hypervisor_list: list[str], all_hvparams: dict) -> dict:
    """{name: {memory, vcpus, state, time}} over the given hypervisors."""
    output: dict[str, dict] = {}
    for hname in hypervisor_list or []:
        hv = _get_hv(hname)
        try:
            rows = hv.get_all_instances_info((all_hvparams or {}).get(hname))
        except errors.HypervisorError as err:
            _fail("Error enumerating instances (hypervisor %s): %s", hname, err)
            raise
        for row in rows or []:
            value = _info_dict(row)
            if row[0] in output:
                for key in ("memory", "vcpus"):
                    if value[key] != output[row[0]][key]:
                        _fail("Instance %s is running twice with different parameters", row[0])
            output[row[0]] = value
    return output


@_procedure
def instance_list(hypervisor_list: list[str], hvparams: dict) -> list[str]:
    """Names of the instances running here under the given hypervisors."""
    names: list[str] = []
    for hname in hypervisor_list or []:
        try:
            names.extend(_get_hv(hname).list_instances(hvparams=(hvparams or {}).get(hname)))
        except errors.HypervisorError as err:
            _fail("Error enumerating instances (hypervisor %s): %s", hname, err)
    return names


def _is_user_down(row: tuple | None) -> bool:
    return row is not None and row[4] == HV_STATE_SHUTDOWN


def _start(ninst: NodeInstance, startup_paused: bool, reason: Any, store: bool = True) -> None:
    hv = ninst.hv()
    row = _hv_info(hv, ninst.name, ninst.inst.hvparams)
    if row is not None and not _is_user_down(row):
        logging.info("Instance '%s' already running, not starting", ninst.name)
        return
    try:
        block_devices = _gather_and_link(ninst)
    except (errors.BlockDeviceError, OSError) as err:
        devlinks.remove_links(ninst.name, len(ninst.disks))
        _fail("Block device error: %s", err)
    try:
        hv.start_instance(ninst.inst, block_devices, bool(startup_paused))
    except errors.HypervisorError as err:
        devlinks.remove_links(ninst.name, len(ninst.disks))
        _fail("Hypervisor error: %s", err)
    if store:
        _store_reason(ninst.name, reason)


@_procedure
def instance_start(instance_hvp_bep: dict, startup_paused: bool, reason: Any) -> None:
    """Starts an instance whose disks are assembled (no-op if it runs)."""
    _start(NodeInstance(instance_hvp_bep), startup_paused, reason)


def _shutdown(ninst: NodeInstance, timeout: Any, reason: Any, store: bool = True) -> None:
    hv = ninst.hv()
    name = ninst.name
    hvparams = ninst.inst.hvparams

    def running() -> bool:
        return name in hv.list_instances(hvparams=hvparams)

    if not running():
        logging.info("Instance '%s' not running, doing nothing", name)
        devlinks.remove_links(name, len(ninst.disks))
        return
    try:
        timeout = max(0.0, float(timeout))
    except (TypeError, ValueError):
        timeout = float(constants.DEFAULT_SHUTDOWN_TIMEOUT)
    deadline = time.monotonic() + timeout
    tried = False
    while running():
        try:
            hv.stop_instance(ninst.inst, retry=tried, timeout=max(1, int(timeout)))
            if store:
                _store_reason(name, reason)
        except errors.HypervisorError as err:
            if not running():
                break
            _fail("Failed to stop instance '%s': %s", name, err)
        tried = True
        if not running() or time.monotonic() >= deadline:
            break
        time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
    if running():
        logging.error("Shutdown of '%s' unsuccessful, forcing", name)
        try:
            hv.stop_instance(ninst.inst, force=True)
        except errors.HypervisorError as err:
            if running():
                _fail("Failed to force stop instance %s: %s", name, err)
        if running():
            _fail("Could not shutdown instance %s even by destroy", name)
    try:
        hv.cleanup_instance(name)
    except errors.HypervisorError as err:
        logging.warning("Failed to execute post-shutdown cleanup step: %s", err)
    devlinks.remove_links(name, len(ninst.disks))


@_procedure
def instance_shutdown(instance: dict, timeout: int, reason: Any) -> None:
    """Stops an instance (soft, then forced after ``timeout`` seconds)."""
    _shutdown(NodeInstance(instance), timeout, reason)


@_procedure
def instance_reboot(inst: dict, reboot_type: str, shutdown_timeout: int, reason: Any) -> None:
    """Soft reboot through the hypervisor, or hard = shutdown + start."""
    ninst = NodeInstance(inst)
    hv = ninst.hv()
    if _hv_info(hv, ninst.name, ninst.inst.hvparams) is None:
        _fail("Cannot reboot instance '%s' that is not running", ninst.name)
    if reboot_type == constants.REBOOT_SOFT:
        try:
            hv.reboot_instance(ninst.inst)
        except errors.HypervisorError as err:
            _fail("Failed to soft reboot instance '%s': %s", ninst.name, err)
        _store_reason(ninst.name, reason)
    elif reboot_type == constants.REBOOT_HARD:
        _shutdown(ninst, shutdown_timeout, reason, store=False)
        _start(ninst, False, reason, store=False)
        _store_reason(ninst.name, reason)
    else:
        _fail("Invalid reboot_type received: '%s'", reboot_type)


@_procedure
def instance_balloon_memory(instance: dict, memory: int) -> None:
    """Sets a running instance's memory."""
    ninst = NodeInstance(instance)
    hv = ninst.hv()
    if ninst.name not in hv.list_instances(hvparams=ninst.inst.hvparams):
        _fail("Cannot balloon memory of instance %s: not running", ninst.name)
    try:
        hv.balloon_instance_memory(ninst.inst, int(memory))
    except (errors.HypervisorError, AttributeError) as err:
        _fail("Failed to balloon memory of instance %s: %s", ninst.name, err)


@_procedure
def hypervisor_validate_params(hvname: str, hvfull: dict) -> None:
    """Checks full hvparams against this node (HypervisorError message on failure)."""
    _get_hv(hvname).validate_parameters(hvfull or {})


def _hv_call(ninst: NodeInstance, method: str, *args: Any) -> Any:
    fn = getattr(ninst.hv(), method, None)
    if fn is None:
        _fail("Hypervisor %s does not support %s", ninst.inst.hypervisor, method)
    try:
        return fn(*args)
    except errors.HypervisorError as err:
        _fail("Failed in %s for instance %s: %s", method, ninst.name, err)
        raise


@_procedure
def instance_migratable(instance: dict) -> None:
    """Fails unless the instance runs here (missing disk links are only logged)."""
    ninst = NodeInstance(instance)
    if ninst.name not in ninst.hv().list_instances(hvparams=ninst.inst.hvparams):
        _fail("Instance %s is not running", ninst.name)
    for idx in range(len(ninst.disks)):
        link = devlinks.link_path(ninst.name, idx)
        if not os.path.islink(link):
            logging.warning("Instance %s is missing symlink %s for disk %d", ninst.name, link, idx)


@_procedure
def migration_info(instance: dict) -> Any:
    ninst = NodeInstance(instance)
    return _hv_call(ninst, "migration_info", ninst.inst)


def _ext_mirrored(ninst: NodeInstance) -> bool:
    return any(d.dev_type in constants.DTS_EXT_MIRROR for d in ninst.disks)


@_procedure
def accept_instance(instance: dict, info: Any, target: str) -> None:
    """Prepares to receive a migration; shared disks get their links here first."""
    ninst = NodeInstance(instance)
    if _ext_mirrored(ninst):
        # nothing assembled these disks on this node: the hypervisor needs the links
        _gather_and_link(ninst)
    _hv_call(ninst, "accept_instance", ninst.inst, info, target)


@_procedure
def instance_finalize_migration_dst(instance: dict, info: Any, success: bool) -> None:
    ninst = NodeInstance(instance)
    _hv_call(ninst, "finalize_migration_dst", ninst.inst, info, bool(success))
    if not success and _ext_mirrored(ninst):
        devlinks.remove_links(ninst.name, len(ninst.disks))


@_procedure
def instance_migrate(cluster_name: str, instance: dict, target: str, live: bool) -> None:
    ninst = NodeInstance(instance)
    _hv_call(ninst, "migrate_instance", cluster_name, ninst.inst, target, bool(live))


@_procedure
def instance_finalize_migration_src(instance: dict, success: bool, live: bool) -> None:
    ninst = NodeInstance(instance)
    _hv_call(ninst, "finalize_migration_source", ninst.inst, bool(success), bool(live))
    if success and _ext_mirrored(ninst):
        devlinks.remove_links(ninst.name, len(ninst.disks))


@_procedure
def instance_get_migration_status(instance: dict) -> Any:
    ninst = NodeInstance(instance)
    return _hv_call(ninst, "get_migration_status", ninst.inst)


# --- OS ------------------------------------------------------------------------------------


@_procedure
def os_diagnose() -> list:
    """Rows ``[name, path, status, diagnose, variants, parameters, api_versions, trusted]``."""
    return osapi.diagnose()


@_procedure
def os_validate(required: bool, name: str, checks: list, params: dict, force_variant: bool) -> bool:
    """True if valid (False if absent and not required); fails with the reason otherwise."""
    return osapi.validate(
        bool(required), name, list(checks or []), params or {}, bool(force_variant)
    )


def _disk_accesses(ninst: NodeInstance) -> list[osapi.DiskAccess]:
    result = []
    for disk in ninst.disks:
        dev = _open_real(disk)
        result.append(osapi.DiskAccess(disk, dev.dev_path, _device_uri(ninst.inst, disk, dev)))
    return result


def _os_env(ninst: NodeInstance, debug: Any) -> tuple[osapi.OSDefinition, dict[str, str]]:
    if not ninst.inst.os:
        _fail("Instance %s has no OS", ninst.name)
    os_def = osapi.os_from_disk(ninst.inst.os)
    env = osapi.instance_env(
        ninst.inst, os_def, _disk_accesses(ninst), ninst.secondary_nodes, int(debug or 0)
    )
    return os_def, env


@_procedure
def instance_os_add(instance_osp: dict, reinstall: bool, debug: int) -> None:
    """Runs the OS create script on the instance's (assembled) disks."""
    ninst = NodeInstance(instance_osp)
    os_def, env = _os_env(ninst, debug)
    osapi.run_create(os_def, env, ninst.name, ninst.inst.os, bool(reinstall))


@_procedure
def instance_run_rename(instance: dict, old_name: str, debug: int) -> None:
    """Runs the OS rename script (``instance`` carries the new name)."""
    ninst = NodeInstance(instance)
    os_def, env = _os_env(ninst, debug)
    osapi.run_rename(os_def, env, old_name, ninst.name, ninst.inst.os)


@_procedure
def os_export(instance: dict, override_env: dict) -> str:
    """Packs the instance's OS and script environment; returns the .tgz path here."""
    ninst = NodeInstance(instance)
    os_def, env = _os_env(ninst, 0)
    env.update({str(k): str(v) for k, v in (override_env or {}).items()})
    return osapi.export_os_package(os_def, env)


def run_disk_import(instance: dict, idx: int, source: str, debug: int = 0) -> str:
    """Runs the OS import script for disk ``idx`` from ``source``; the log path.

    For the import/export machinery (not an RPC of its own).
    """
    ninst = NodeInstance(instance)
    os_def, env = _os_env(ninst, debug)
    access = _disk_accesses(ninst)[idx]
    return osapi.run_import(os_def, env, ninst.name, ninst.inst.os, idx, access, source)


def run_disk_export(instance: dict, idx: int, dest: str, debug: int = 0) -> str:
    """Runs the OS export script for disk ``idx`` into ``dest``; the log path."""
    ninst = NodeInstance(instance)
    os_def, env = _os_env(ninst, debug)
    access = _disk_accesses(ninst)[idx]
    return osapi.run_export(os_def, env, ninst.name, ninst.inst.os, idx, access, dest)


#: RPC procedure name -> implementation (merged into ganeti-noded's table)
PROCEDURES: dict[str, Callable[..., Any]] = {
    **backend_blockdev.PROCEDURES,
    "instance_info": instance_info,
    "all_instances_info": all_instances_info,
    "instance_list": instance_list,
    "instance_start": instance_start,
    "instance_shutdown": instance_shutdown,
    "instance_reboot": instance_reboot,
    "instance_balloon_memory": instance_balloon_memory,
    "hypervisor_validate_params": hypervisor_validate_params,
    "instance_migratable": instance_migratable,
    "migration_info": migration_info,
    "accept_instance": accept_instance,
    "instance_finalize_migration_dst": instance_finalize_migration_dst,
    "instance_migrate": instance_migrate,
    "instance_finalize_migration_src": instance_finalize_migration_src,
    "instance_get_migration_status": instance_get_migration_status,
    "os_diagnose": os_diagnose,
    "os_validate": os_validate,
    "instance_os_add": instance_os_add,
    "instance_run_rename": instance_run_rename,
    "os_export": os_export,
}
