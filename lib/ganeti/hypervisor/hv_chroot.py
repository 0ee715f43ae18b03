"""The chroot hypervisor: an instance is its first disk mounted and chrooted into.

Owns starting an instance by mounting disk 0 on
``pathutils.CHROOT_HV_DIR/<instance>`` and running ``<init_script> start``
inside the chroot, and stopping it by ``<init_script> stop``, then
signalling every process whose root is in the chroot and unmounting.  An
instance runs exactly while its directory is a mount point, so running
instances survive a node daemon restart.  It must never touch a process
outside an instance's chroot.
"""

import logging
import os
import signal
import time
from typing import Any

from ganeti import constants, errors, pathutils
from ganeti.hypervisor import base
from ganeti.utils import process as uproc

STATE_RUNNING = 0

#: seconds a forced stop waits for killed processes to go
KILL_WAIT = 2.0


def _is_norm_abs_path(value: Any) -> bool:
    return isinstance(value, str) and os.path.isabs(value) and os.path.normpath(value) == value


def _mount_points() -> list[str]:
    points = []
    try:
        with open("/proc/self/mounts", encoding="utf-8") as fh:
            for line in fh:
                fields = line.split()
                if len(fields) >= 2:
                    # /proc/mounts escapes spaces and friends as octal
                    points.append(fields[1].encode().decode("unicode_escape"))
    except OSError:
        pass
    return points


def processes_in(root: str) -> list[int]:
    """Pids of the processes whose root directory is ``root`` or below it."""
    pids = []
    prefix = root.rstrip("/") + "/"
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            proc_root = os.readlink("/proc/%s/root" % entry)
        except OSError:
            continue
        if proc_root == root or proc_root.startswith(prefix):
            pids.append(int(entry))
    return pids


class ChrootManager(base.BaseHypervisor):
    """Chroot "hypervisor" (see the module docstring)."""

    PARAMETERS = {
        constants.HV_INIT_SCRIPT: (
            True,
            _is_norm_abs_path,
            "must be an absolute normalized path",
        ),
    }

    @staticmethod
    def _root_dir() -> str:
        return pathutils.CHROOT_HV_DIR

    @classmethod
    def instance_dir(cls, instance_name: str) -> str:
        """Where ``instance_name``'s first disk is mounted while it runs."""
        if not instance_name or "/" in instance_name or instance_name.startswith("."):
            raise errors.HypervisorError("Invalid instance name '%s'" % instance_name)
        return os.path.join(cls._root_dir(), instance_name)

    @staticmethod
    def _is_live(path: str) -> bool:
        return os.path.ismount(path)

    @staticmethod
    def _submounts(path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        found = [m for m in _mount_points() if m.startswith(prefix)]
        return sorted(set(found), key=lambda m: m.count("/"), reverse=True)

    # -- listing and info -------------------------------------------------------------------

    def list_instances(self, hvparams: dict | None = None) -> list[str]:
        try:
            names = os.listdir(self._root_dir())
        except FileNotFoundError:
            return []
        except OSError as err:
            raise errors.HypervisorError("Can't list chroot instances: %s" % err) from None
        return sorted(n for n in names if self._is_live(os.path.join(self._root_dir(), n)))

    def get_instance_info(self, instance_name: str, hvparams: dict | None = None) -> tuple | None:
        """``(name, 0, 0, 0, running, 0)`` while mounted (a chroot has no own memory)."""
        if not self._is_live(self.instance_dir(instance_name)):
            return None
        return (instance_name, 0, 0, 0, STATE_RUNNING, 0)

    def get_all_instances_info(self, hvparams: dict | None = None) -> list[tuple]:
        return [(name, 0, 0, 0, STATE_RUNNING, 0) for name in self.list_instances()]

    def verify(self, hvparams: dict | None = None) -> str | None:
        for tool in ("mount", "umount", "chroot"):
            if not any(
                os.access(os.path.join(d, tool), os.X_OK)
                for d in ("/bin", "/sbin", "/usr/bin", "/usr/sbin")
            ):
                return "The chroot hypervisor needs '%s', which is not installed" % tool
        root = self._root_dir()
        if os.path.exists(root) and not os.path.isdir(root):
            return "The chroot hypervisor directory %s is not a directory" % root
        return None

    # -- life cycle ------------------------------------------------------------------------

    def start_instance(self, instance: Any, block_devices: list, startup_paused: bool) -> None:
        """Mounts disk 0 on the instance directory and runs ``init_script start``."""
        root = self.instance_dir(instance.name)
        try:
            os.makedirs(root, 0o755, exist_ok=True)
        except OSError as err:
            raise errors.HypervisorError(
                "Failed to start instance %s: %s" % (instance.name, err)
            ) from None
        if not os.path.isdir(root):
            raise errors.HypervisorError("Needed path %s is not a directory" % root)
        mounted_here = False
        if not self._is_live(root):
            if not block_devices:
                raise errors.HypervisorError("The chroot manager needs at least one disk")
            source = block_devices[0][1]
            result = uproc.run_cmd(["mount", source, root])
            if result.failed:
                raise errors.HypervisorError(
                    "Can't mount the chroot dir: %s" % (result.output.strip() or result.fail_reason)
                )
            mounted_here = True
        init_script = (instance.hvparams or {}).get(
            constants.HV_INIT_SCRIPT, constants.HVC_DEFAULTS[constants.HT_CHROOT]["init_script"]
        )
        result = uproc.run_cmd(["chroot", root, init_script, "start"])
        if result.failed:
            if mounted_here:
                self._kill(root, signal.SIGKILL)
                self._unmount(root)
            raise errors.HypervisorError(
                "Can't run the chroot start script: %s"
                % (result.output.strip() or result.fail_reason)
            )

    @staticmethod
    def _kill(root: str, sig: int) -> None:
        for pid in processes_in(root):
            try:
                os.kill(pid, sig)
            except OSError:
                pass

    def _unmount(self, root: str) -> str | None:
        for point in self._submounts(root):
            uproc.run_cmd(["umount", point])
        result = uproc.run_cmd(["umount", root])
        if result.failed:
            return result.output.strip() or result.fail_reason
        return None

    def stop_instance(
        self,
        instance: Any,
        force: bool = False,
        retry: bool = False,
        name: str | None = None,
        timeout: int | None = None,
    ) -> None:
        """``init_script stop`` (once, unless forced), TERM/KILL what is left, unmount."""
        name = name or instance.name
        root = self.instance_dir(name)
        if not self._is_live(root):
            return
        if not retry and not force:
            hvparams = (instance.hvparams if instance is not None else None) or {}
            init_script = hvparams.get(
                constants.HV_INIT_SCRIPT,
                constants.HVC_DEFAULTS[constants.HT_CHROOT]["init_script"],
            )
            cmd = ["chroot", root, init_script, "stop"]
            if timeout is not None:
                cmd = ["timeout", str(int(timeout))] + cmd
            result = uproc.run_cmd(cmd)
            if result.failed:
                raise errors.HypervisorError(
                    "Can't run the chroot stop script: %s"
                    % (result.output.strip() or result.fail_reason)
                )
        self._kill(root, signal.SIGKILL if force else signal.SIGTERM)
        deadline = time.monotonic() + (KILL_WAIT if force else 0.5)
        while processes_in(root) and time.monotonic() < deadline:
            time.sleep(0.05)
        if processes_in(root):
            if force:
                raise errors.HypervisorError("Can't stop the processes using the chroot %s" % root)
            return
        problem = self._unmount(root)
        if problem and force:
            raise errors.HypervisorError("Can't umount the chroot dir %s: %s" % (root, problem))
        if problem:
            logging.warning("Can't umount the chroot dir %s yet: %s", root, problem)

    def cleanup_instance(self, instance_name: str) -> None:
        """Removes the (unmounted) instance directory."""
        root = self.instance_dir(instance_name)
        if not os.path.exists(root):
            return
        if self._is_live(root):
            raise errors.HypervisorError("Processes are still using the chroot %s" % root)
        try:
            os.rmdir(root)
        except OSError as err:
            logging.warning("Can't remove the chroot dir %s: %s", root, err)

    def reboot_instance(self, instance: Any) -> None:
        raise errors.HypervisorError(
            "The chroot manager doesn't implement the reboot functionality"
        )

    def balloon_instance_memory(self, instance: Any, mem: int) -> None:
        """A chroot has no memory of its own: nothing to do."""

    @classmethod
    def get_instance_console(
        cls, instance: Any, primary_node: Any, node_group: Any, hvparams: dict, beparams: dict
    ) -> dict[str, Any]:
        """Console over SSH to the primary node, then ``chroot`` into the instance."""
        ndparams: dict = {}
        if node_group is not None and hasattr(node_group, "fill_nd"):
            ndparams = node_group.fill_nd(primary_node) or {}
        console = {
            "instance": instance.name,
            "kind": constants.CONS_SSH,
            "host": primary_node.name,
            "user": constants.SSH_CONSOLE_USER,
            "command": ["chroot", cls.instance_dir(instance.name)],
        }
        if ndparams.get(constants.ND_SSH_PORT) is not None:
            console["port"] = ndparams[constants.ND_SSH_PORT]
        return console

    def migrate_instance(self, cluster_name: str, instance: Any, target: str, live: bool) -> None:
        raise errors.HypervisorError("Migration not supported by the chroot hypervisor")

    def get_migration_status(self, instance: Any) -> dict[str, Any]:
        raise errors.HypervisorError("Migration not supported by the chroot hypervisor")
