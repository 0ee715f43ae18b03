"""The fake hypervisor: instances are state files, the node is the real host.

Owns the bookkeeping of fake instances: one JSON file per instance in
``pathutils.FAKE_HV_DIR`` (``{"name", "uuid", "memory", "vcpus", "state",
"start_time", "reboots", "paused", "disks"}``), written atomically, so a
node daemon restart (or crash) keeps them "running" and reported.  It
reports the host's real memory and CPUs minus what fake instances claim,
and supports start/stop/reboot, ballooning, migration between nodes and
user shutdown (the "guest" powering itself off: see ``main``).  It must
never start a real process: it exists so clusters can be exercised
without virtualisation.  Files in the old three-line format (name,
memory, vcpus) are read too.

The hypervisor interface the node daemon uses (snake_case of Ganeti's):
``list_instances``, ``get_instance_info`` (a tuple ``(name, id, memory,
vcpus, state, time)`` or None), ``get_all_instances_info``,
``start_instance(instance, block_devices, startup_paused)``,
``stop_instance(instance, force, retry, name, timeout)``,
``reboot_instance``, ``cleanup_instance``, ``balloon_instance_memory``,
``get_instance_console`` (class method, run by the master), migration
(``migration_info``, ``accept_instance``, ``migrate_instance``,
``finalize_migration_dst``, ``finalize_migration_source``,
``get_migration_status``), plus ``base.BaseHypervisor``'s.
"""

import os
import sys
import threading
import time
from typing import Any

from ganeti import constants, errors, pathutils, serializer
from ganeti.hypervisor import base
from ganeti.utils import io as uio

#: instance states as hypervisors report them (Ganeti's HvInstanceState)
STATE_RUNNING = 0
STATE_SHUTDOWN = 1

_RUNNING = "running"
_SHUTDOWN = "shutdown"


def _startup_memory(instance: Any) -> int:
    be = instance.beparams or {}
    return int(be.get(constants.BE_MAXMEM) or be.get(constants.BE_MEMORY) or 0)


class FakeHypervisor(base.BaseHypervisor):
    """Fake hypervisor."""

    PARAMETERS = {
        constants.HV_MIGRATION_MODE: (
            False,
            lambda v: v in constants.HT_MIGRATION_MODES,
            "must be one of %s" % ", ".join(sorted(constants.HT_MIGRATION_MODES)),
        ),
    }
    CAN_MIGRATE = True

    def __init__(self) -> None:
        self._lock = threading.RLock()

    # -- state files --------------------------------------------------------------------

    @staticmethod
    def _dir() -> str:
        return pathutils.FAKE_HV_DIR

    @classmethod
    def _file(cls, name: str) -> str:
        if not name or "/" in name or name.startswith("."):
            raise errors.HypervisorError("Invalid instance name '%s'" % name)
        return os.path.join(cls._dir(), name)

    @classmethod
    def read_state(cls, name: str) -> dict[str, Any] | None:
        """The state of fake instance ``name``, or None if it does not exist."""
        try:
            text = uio.read_file(cls._file(name))
        except FileNotFoundError:
            return None
        except OSError as err:
            raise errors.HypervisorError("Can't read fake instance %s: %s" % (name, err)) from None
        try:
            state = serializer.loads(text)
            if not isinstance(state, dict):
                raise ValueError("not an object")
        except ValueError:
            # the original format: name, memory, vcpus on three lines
            lines = text.splitlines()
            try:
                state = {
                    "name": name,
                    "memory": int(lines[1]) if len(lines) > 1 else 0,
                    "vcpus": int(lines[2]) if len(lines) > 2 else 1,
                }
            except ValueError:
                state = {"name": name, "memory": 0, "vcpus": 1}
        state.setdefault("name", name)
        state.setdefault("state", _RUNNING)
        state.setdefault("start_time", 0)
        return state

    @classmethod
    def _write_state(cls, state: dict[str, Any]) -> None:
        os.makedirs(cls._dir(), 0o755, exist_ok=True)
        uio.write_file(cls._file(state["name"]), serializer.dump_pretty(state), mode=0o644)

    def _mark_up(
        self, instance: Any, memory: int, paused: bool = False, disks: list | None = None
    ) -> None:
        be = instance.beparams or {}
        self._write_state(
            {
                "name": instance.name,
                "uuid": instance.uuid,
                "memory": int(memory),
                "vcpus": int(be.get(constants.BE_VCPUS) or 1),
                "state": _RUNNING,
                "start_time": time.time(),
                "reboots": 0,
                "paused": bool(paused),
                "disks": list(disks or []),
            }
        )

    def _mark_down(self, name: str) -> None:
        try:
            uio.remove_file(self._file(name))
        except OSError as err:
            raise errors.HypervisorError(
                "Can't remove fake instance %s: %s" % (name, err)
            ) from None

    def _is_alive(self, name: str) -> bool:
        return self.read_state(name) is not None

    # -- listing and info -----------------------------------------------------------------

    def list_instances(self, hvparams: dict | None = None) -> list[str]:
        try:
            return sorted(n for n in os.listdir(self._dir()) if not n.startswith("."))
        except FileNotFoundError:
            return []
        except OSError as err:
            raise errors.HypervisorError("Can't list fake instances: %s" % err) from None

    @staticmethod
    def _info_tuple(state: dict[str, Any]) -> tuple:
        hv_state = STATE_SHUTDOWN if state.get("state") == _SHUTDOWN else STATE_RUNNING
        start = state.get("start_time") or 0
        uptime = max(0.0, time.time() - start) if start else 0.0
        return (
            state["name"],
            0,
            int(state.get("memory") or 0),
            int(state.get("vcpus") or 1),
            hv_state,
            round(uptime, 1),
        )

    def get_instance_info(self, instance_name: str, hvparams: dict | None = None) -> tuple | None:
        """``(name, id, memory MiB, vcpus, state, seconds up)`` or None if not running."""
        state = self.read_state(instance_name)
        return None if state is None else self._info_tuple(state)

    def get_all_instances_info(self, hvparams: dict | None = None) -> list[tuple]:
        result = []
        for name in self.list_instances():
            state = self.read_state(name)
            if state is not None:
                result.append(self._info_tuple(state))
        return result

    def get_node_info(self, hvparams: dict | None = None) -> dict[str, Any]:
        info = base.get_linux_node_info()
        used = sum(row[2] for row in self.get_all_instances_info())
        info["memory_free"] -= min(info["memory_free"], used)
        return info

    def verify(self, hvparams: dict | None = None) -> str | None:
        path = self._dir()
        if os.path.isdir(path) and not os.access(path, os.W_OK):
            return "Fake hypervisor directory %s is not writable" % path
        return None

    # -- life cycle ------------------------------------------------------------------------

    def start_instance(self, instance: Any, block_devices: list, startup_paused: bool) -> None:
        """Records the instance as running with its maximum memory."""
        with self._lock:
            state = self.read_state(instance.name)
            if state is not None and state.get("state") != _SHUTDOWN:
                raise errors.HypervisorError(
                    "Failed to start instance %s: already running" % instance.name
                )
            links = []
            for entry in block_devices or []:
                link = entry[1] if len(entry) > 1 else None
                if link and not os.path.exists(link):
                    raise errors.HypervisorError(
                        "Failed to start instance %s: disk %s is not available"
                        % (instance.name, link)
                    )
                links.append(link)
            self._mark_up(instance, _startup_memory(instance), startup_paused, links)

    def stop_instance(
        self,
        instance: Any,
        force: bool = False,
        retry: bool = False,
        name: str | None = None,
        timeout: int | None = None,
    ) -> None:
        """Forgets the instance (a user-shut-down one too)."""
        name = name or instance.name
        with self._lock:
            if not self._is_alive(name) and not force:
                raise errors.HypervisorError("Failed to stop instance %s: not running" % name)
            self._mark_down(name)

    def reboot_instance(self, instance: Any) -> None:
        with self._lock:
            state = self.read_state(instance.name)
            if state is None or state.get("state") == _SHUTDOWN:
                raise errors.HypervisorError(
                    "Failed to reboot instance %s: not running" % instance.name
                )
            state["start_time"] = time.time()
            state["reboots"] = int(state.get("reboots") or 0) + 1
            state["paused"] = False
            self._write_state(state)

    def cleanup_instance(self, instance_name: str) -> None:
        """Nothing is left behind by a fake instance."""

    def balloon_instance_memory(self, instance: Any, mem: int) -> None:
        with self._lock:
            state = self.read_state(instance.name)
            if state is None:
                raise errors.HypervisorError(
                    "Can't balloon instance %s: not running" % instance.name
                )
            state["memory"] = int(mem)
            self._write_state(state)

    def user_shutdown(self, instance_name: str) -> None:
        """The guest powers itself off: the instance stays listed, as shut down."""
        with self._lock:
            state = self.read_state(instance_name)
            if state is None:
                raise errors.HypervisorError("Fake instance %s is not running" % instance_name)
            state["state"] = _SHUTDOWN
            self._write_state(state)

    @classmethod
    def get_instance_console(
        cls, instance: Any, primary_node: Any, node_group: Any, hvparams: dict, beparams: dict
    ) -> dict[str, Any]:
        """How to reach the console: fake instances have none."""
        return {
            "instance": instance.name,
            "kind": constants.CONS_MESSAGE,
            "message": "Console not available for fake hypervisor",
        }

    # -- migration -------------------------------------------------------------------------

    def migration_info(self, instance: Any) -> str:
        return ""

    def accept_instance(self, instance: Any, info: str, target: str) -> None:
        if self._is_alive(instance.name):
            raise errors.HypervisorError(
                "Can't accept instance %s: already running here" % instance.name
            )

    def migrate_instance(self, cluster_name: str, instance: Any, target: str, live: bool) -> None:
        if not self._is_alive(instance.name):
            raise errors.HypervisorError("Instance %s is not running" % instance.name)

    def finalize_migration_dst(self, instance: Any, info: str, success: bool) -> None:
        if success:
            self._mark_up(instance, _startup_memory(instance))
        elif self._is_alive(instance.name):
            self._mark_down(instance.name)

    def finalize_migration_source(self, instance: Any, success: bool, live: bool) -> None:
        if success and self._is_alive(instance.name):
            self._mark_down(instance.name)

    def get_migration_status(self, instance: Any) -> dict[str, Any]:
        return {"status": "completed"}


def main(argv: list[str] | None = None) -> int:
    """``python -m ganeti.hypervisor.hv_fake list | user-shutdown NAME``: act as the guests."""
    args = list(sys.argv[1:] if argv is None else argv)
    hv = FakeHypervisor()
    try:
        if args == ["list"]:
            for row in hv.get_all_instances_info():
                state = "shutdown" if row[4] == STATE_SHUTDOWN else "running"
                print("%s %d MiB %d vcpus %s" % (row[0], row[2], row[3], state))
            return 0
        if len(args) == 2 and args[0] == "user-shutdown":
            hv.user_shutdown(args[1])
            return 0
    except errors.HypervisorError as err:
        sys.stderr.write("%s\n" % err)
        return 1
    sys.stderr.write("usage: hv_fake list | user-shutdown INSTANCE\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
