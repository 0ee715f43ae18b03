"""The interface every hypervisor implements, and Linux host facts they share.

Owns the method set the node daemon calls on a hypervisor (node info,
verify, parameter checks, instance listing, ancillary files) and the
reading of /proc/meminfo and /proc/cpuinfo.  It must never start or stop
instances itself: concrete hypervisors do.
"""

from typing import Any, Callable

from ganeti import errors


class BaseHypervisor:
    """Base of all hypervisors.

    ``PARAMETERS`` maps each accepted hvparam to ``(required, check_fn,
    error_text)``; ``check_fn(value)`` returns True when the value is valid.
    """

    PARAMETERS: dict[str, tuple[bool, Callable[[Any], bool] | None, str]] = {}
    ANCILLARY_FILES: list[str] = []
    ANCILLARY_FILES_OPT: list[str] = []
    CAN_MIGRATE = False

    def list_instances(self, hvparams: dict | None = None) -> list[str]:
        """Names of the instances running on this node."""
        raise NotImplementedError

    def get_node_info(self, hvparams: dict | None = None) -> dict[str, Any]:
        """Memory (MiB) and CPU facts of this node as the hypervisor sees them."""
        return get_linux_node_info()

    def verify(self, hvparams: dict | None = None) -> str | None:
        """None if the hypervisor is usable here, else a message saying why not."""
        return None

    @classmethod
    def check_parameter_syntax(cls, hvparams: dict) -> None:
        """Checks hvparams without looking at the node; raises HypervisorError."""
        for key in hvparams:
            if key not in cls.PARAMETERS:
                raise errors.HypervisorError("Hypervisor parameter '%s' is not supported" % key)
        for key, (required, check_fn, error_text) in cls.PARAMETERS.items():
            if key not in hvparams:
                if required:
                    raise errors.HypervisorError("Hypervisor parameter '%s' is missing" % key)
                continue
            if check_fn is not None and not check_fn(hvparams[key]):
                raise errors.HypervisorError(
                    "Parameter '%s' fails validation: %s (value: %r)"
                    % (key, error_text, hvparams[key])
                )

    def validate_parameters(self, hvparams: dict) -> None:
        """Checks hvparams against this node (paths exist ...); raises HypervisorError."""
        self.check_parameter_syntax(hvparams)

    @classmethod
    def get_ancillary_files(cls) -> tuple[list[str], list[str]]:
        """(files the master distributes for this hypervisor, the optional ones)."""
        return list(cls.ANCILLARY_FILES), list(cls.ANCILLARY_FILES_OPT)


def _read_kv(path: str) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return [
            (key.strip(), value.strip())
            for key, sep, value in (line.partition(":") for line in fh)
            if sep
        ]


def get_linux_node_info(
    meminfo: str = "/proc/meminfo", cpuinfo: str = "/proc/cpuinfo"
) -> dict[str, Any]:
    """Host memory (MiB) and CPU counts from /proc.

    Keys as Ganeti's: memory_total, memory_free (free + buffers + cached),
    memory_dom0 (what the host itself uses), cpu_total, cpu_nodes,
    cpu_sockets, cpu_dom0.
    """
    try:
        mem = {k: int(v.split()[0]) for k, v in _read_kv(meminfo) if v}
        cpu_lines = _read_kv(cpuinfo)
    except (OSError, ValueError, IndexError) as err:
        raise errors.HypervisorError(
            "Failed to read node memory/cpu information: %s" % err
        ) from None
    total = mem.get("MemTotal", 0) // 1024
    free = (mem.get("MemFree", 0) + mem.get("Buffers", 0) + mem.get("Cached", 0)) // 1024
    cpus = sum(1 for key, _ in cpu_lines if key == "processor")
    sockets = len({value for key, value in cpu_lines if key == "physical id"}) or 1
    return {
        "memory_total": total,
        "memory_free": free,
        "memory_dom0": total - free,
        "cpu_total": cpus,
        "cpu_nodes": sockets,
        "cpu_sockets": sockets,
        "cpu_dom0": cpus,
    }
