"""The fake hypervisor: instances are files, the node is the real host.

Owns the bookkeeping of fake instances (one file per running instance in
``pathutils.FAKE_HV_DIR``: name, memory, vcpus on three lines) and reports
the host's real memory and CPUs minus what fake instances claim.  It must
never start a real process: it exists so clusters can be exercised without
virtualisation.
"""

import os
from typing import Any

from ganeti import constants, errors, pathutils
from ganeti.hypervisor import base


class FakeHypervisor(base.BaseHypervisor):
    """Fake hypervisor."""

    PARAMETERS = {
        "migration_mode": (
            False,
            lambda v: v in constants.HT_MIGRATION_MODES,
            "must be one of %s" % ", ".join(sorted(constants.HT_MIGRATION_MODES)),
        ),
    }
    CAN_MIGRATE = True

    @staticmethod
    def _dir() -> str:
        return pathutils.FAKE_HV_DIR

    def list_instances(self, hvparams: dict | None = None) -> list[str]:
        try:
            return sorted(n for n in os.listdir(self._dir()) if not n.startswith("."))
        except FileNotFoundError:
            return []
        except OSError as err:
            raise errors.HypervisorError("Can't list fake instances: %s" % err) from None

    def _instance_memory(self, name: str) -> int:
        try:
            with open(os.path.join(self._dir(), name), encoding="utf-8") as fh:
                lines = fh.read().splitlines()
            return int(lines[1]) if len(lines) > 1 else 0
        except (OSError, ValueError):
            return 0

    def get_node_info(self, hvparams: dict | None = None) -> dict[str, Any]:
        info = base.get_linux_node_info()
        used = sum(self._instance_memory(n) for n in self.list_instances())
        info["memory_free"] -= min(info["memory_free"], used)
        return info

    def verify(self, hvparams: dict | None = None) -> str | None:
        path = self._dir()
        if os.path.isdir(path) and not os.access(path, os.W_OK):
            return "Fake hypervisor directory %s is not writable" % path
        return None
