"""Live migration of KVM instances over TCP between nodes with shared storage.

Owns the qemu side of Ganeti's migration protocol:

- source ``migration_info``: the runtime file (what the target must run);
- target ``accept_instance``: starts the same qemu with
  ``-incoming tcp:<target>:<migration_port>`` (paused, NICs on fresh taps);
- source ``migrate_instance``: capabilities (migration_caps), bandwidth
  (migration_bandwidth MiB/s) and downtime (migration_downtime ms), then
  QMP ``migrate``; it returns at once, the master polls
  ``get_status`` (query-migrate -> completed/active/failed/cancelled);
- ``finalize_dst``: continue the guest and keep its runtime, or kill it;
- ``finalize_source``: kill the source qemu, or resume it after a failure.

It must never check the disks: the storage layer made them available on
both nodes before the migration started.
"""

from typing import Any

from ganeti import constants, errors
from ganeti.hypervisor.hv_kvm import cmdline, qmp
from ganeti.hypervisor.hv_kvm import runtime as rt

#: query-migrate status -> Ganeti's migration status
_STATUS_MAP = {
    "completed": constants.HV_MIGRATION_COMPLETED,
    "failed": constants.HV_MIGRATION_FAILED,
    "cancelled": constants.HV_MIGRATION_CANCELLED,
    "cancelling": constants.HV_MIGRATION_CANCELLED,
    "setup": constants.HV_MIGRATION_ACTIVE,
    "active": constants.HV_MIGRATION_ACTIVE,
    "pre-switchover": constants.HV_MIGRATION_ACTIVE,
    "device": constants.HV_MIGRATION_ACTIVE,
    "wait-unplug": constants.HV_MIGRATION_ACTIVE,
    "postcopy-active": constants.HV_MIGRATION_ACTIVE,
    "postcopy-paused": constants.HV_MIGRATION_ACTIVE,
    "postcopy-recover": constants.HV_MIGRATION_ACTIVE,
    "colo": constants.HV_MIGRATION_ACTIVE,
}

#: seconds the target may stay "inmigrate" once the source reports success
INCOMING_SETTLE_TIMEOUT = 30.0


def _hvparams(instance: Any, runtime: rt.KvmRuntime | None) -> dict[str, Any]:
    """The runtime's hvparams with the instance's migration settings over them."""
    hvp = dict(runtime.hvparams) if runtime else cmdline.fill_hvparams(None)
    for key in (
        constants.HV_MIGRATION_PORT,
        constants.HV_MIGRATION_BANDWIDTH,
        constants.HV_MIGRATION_DOWNTIME,
        constants.HV_KVM_MIGRATION_CAPS,
    ):
        value = (getattr(instance, "hvparams", None) or {}).get(key)
        if value is not None:
            hvp[key] = value
    return hvp


def _capabilities(hvp: dict[str, Any]) -> list[dict[str, Any]]:
    caps = hvp.get(constants.HV_KVM_MIGRATION_CAPS) or ""
    return [{"capability": cap, "state": True} for cap in caps.split(":") if cap]


def migration_info(hv: Any, instance: Any) -> str:
    """The serialised runtime of a running instance."""
    if not hv.dirs.alive_pid(instance.name):
        raise errors.HypervisorError("Instance %s is not running" % instance.name)
    return hv.dirs.load(instance.name).serialize()


def _relocate(runtime: rt.KvmRuntime, root: str) -> None:
    """Points the command line at this node's runtime directory."""
    old = runtime.run_dir.rstrip("/")
    new = root.rstrip("/")
    if old and old != new:
        runtime.kvm_cmd = [arg.replace(old + "/", new + "/") for arg in runtime.kvm_cmd]
    runtime.run_dir = root


def accept_instance(hv: Any, instance: Any, info: str, target: str) -> None:
    """Starts qemu waiting for the migration stream on ``target``:migration_port."""
    name = instance.name
    runtime = rt.KvmRuntime.deserialize(info)
    if runtime.name != name:
        raise errors.HypervisorError(
            "Migration data is for instance %s, not %s" % (runtime.name, name)
        )
    hvp = _hvparams(instance, runtime)
    port = int(hvp.get(constants.HV_MIGRATION_PORT) or 0)
    if not target or not port:
        raise errors.HypervisorError("No address/port to receive instance %s on" % name)
    with hv.instance_lock(name):
        if hv.dirs.alive_pid(name):
            raise errors.HypervisorError(
                "Can't accept instance %s: it is already running here" % name
            )
        _relocate(runtime, hv.dirs.root)
        hv.execute_runtime(runtime, incoming=(target, port))
        caps = _capabilities(hvp)
        if caps:
            try:
                hv.query(name, "migrate-set-capabilities", {"capabilities": caps})
            except errors.HypervisorError:
                hv.cleanup_after_kill(name)
                raise


def migrate_instance(hv: Any, instance: Any, target: str, live: bool) -> None:
    """Starts sending the instance to ``target`` (returns once started)."""
    name = instance.name
    with hv.instance_lock(name):
        if not hv.dirs.alive_pid(name):
            raise errors.HypervisorError("Instance %s is not running" % name)
        hvp = _hvparams(instance, hv.dirs.load(name))
        port = int(hvp.get(constants.HV_MIGRATION_PORT) or 0)
        host = "[%s]" % target if ":" in target else target
        with qmp.QmpClient(hv.dirs.qmp_socket(name)) as mon:
            if not live:
                mon.execute("stop")
            caps = _capabilities(hvp)
            if caps:
                mon.execute("migrate-set-capabilities", {"capabilities": caps})
            params: dict[str, Any] = {}
            bandwidth = int(hvp.get(constants.HV_MIGRATION_BANDWIDTH) or 0)
            if bandwidth:
                params["max-bandwidth"] = bandwidth * 1024 * 1024
            downtime = int(hvp.get(constants.HV_MIGRATION_DOWNTIME) or 0)
            if downtime:
                params["downtime-limit"] = downtime
            if params:
                mon.execute("migrate-set-parameters", params)
            mon.execute("migrate", {"uri": "tcp:%s:%d" % (host, port)})


def get_status(hv: Any, instance: Any) -> dict[str, Any]:
    """``{"status", "transferred_ram", "total_ram"}`` of the running migration."""
    info = hv.query(instance.name, "query-migrate") or {}
    raw = info.get("status", "none")
    status = _STATUS_MAP.get(raw, constants.HV_MIGRATION_FAILED)
    ram = info.get("ram") or {}
    result = {
        "status": status,
        "transferred_ram": int(ram.get("transferred") or 0),
        "total_ram": int(ram.get("total") or 0),
    }
    if status == constants.HV_MIGRATION_FAILED and info.get("error-desc"):
        result["info"] = info["error-desc"]
    return result


def finalize_dst(hv: Any, instance: Any, info: str, success: bool) -> None:
    """Runs the received guest (success) or throws the target qemu away."""
    name = instance.name
    with hv.instance_lock(name):
        if not success:
            hv.cleanup_after_kill(name)
            return
        if not hv.dirs.alive_pid(name):
            raise errors.HypervisorError(
                "Instance %s is not running here after its migration" % name
            )
        with qmp.QmpClient(hv.dirs.qmp_socket(name)) as mon:
            if not rt.wait_for(
                lambda: mon.execute("query-status").get("status") != "inmigrate",
                INCOMING_SETTLE_TIMEOUT,
                0.1,
            ):
                raise errors.HypervisorError("Instance %s is still receiving its migration" % name)
            if mon.execute("query-status").get("status") in ("paused", "prelaunch", "postmigrate"):
                mon.execute("cont")


def finalize_source(hv: Any, instance: Any, success: bool, live: bool) -> None:
    """Stops the source qemu after a success; resumes it after a failure."""
    name = instance.name
    with hv.instance_lock(name):
        if success:
            hv.cleanup_after_kill(name)
            return
        if not hv.dirs.alive_pid(name):
            return
        with qmp.QmpClient(hv.dirs.qmp_socket(name)) as mon:
            status = mon.execute("query-migrate").get("status")
            if _STATUS_MAP.get(status) == constants.HV_MIGRATION_ACTIVE:
                mon.execute("migrate_cancel")
            if mon.execute("query-status").get("status") in ("paused", "postmigrate"):
                mon.execute("cont")
