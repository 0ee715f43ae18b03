"""The logical-unit base classes: the lifecycle every operation follows.

Owns the contract between the opcode processor (``mcpu``) and an operation:
check_arguments -> expand_names -> declare_locks per level -> check_prereq ->
hooks (build_hooks_env / build_hooks_nodes) -> exec -> post hooks.  State an
LU keeps between steps is named in its class body.  An LU never talks to a
node directly (``self.rpc``) and never writes config.data (``self.cfg``).
"""

from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import locking


class ResultWithJobs:
    """An LU result that asks the processor to submit more jobs."""

    def __init__(self, jobs: list[list[Any]], **kwargs: Any) -> None:
        self.jobs = jobs
        self.other = kwargs


class LogicalUnit:
    """Base of every logical unit.

    Subclasses set HPATH/HTYPE (or None for no hooks), REQ_BGL (True: the
    cluster lock is taken exclusively), and implement the lifecycle steps.
    """

    HPATH: str | None = None
    HTYPE: str | None = None
    REQ_BGL = True

    def __init__(self, processor: Any, op: Any, context: Any, rpc_runner: Any) -> None:
        self.proc = processor
        self.op = op
        self.context = context
        self.cfg = context.cfg
        self.glm = context.glm
        self.rpc = rpc_runner
        self.needed_locks: dict[int, Any] | None = None
        self.share_locks: dict[int, int] = dict.fromkeys(locking.LEVELS, 0)
        self.opportunistic_locks: dict[int, bool] = dict.fromkeys(locking.LEVELS, False)
        self.add_locks: dict[int, Any] = {}
        self.remove_locks: dict[int, Any] = {}
        self.recalculate_locks: dict[int, str] = {}
        self.dry_run_result: Any = None
        self.check_arguments()

    # lifecycle steps ------------------------------------------------------------
    def check_arguments(self) -> None:
        """Checks the opcode's arguments without looking at the cluster."""

    def expand_names(self) -> None:
        """Expands names and fills ``needed_locks`` (level -> names/ALL_SET)."""
        raise NotImplementedError

    def declare_locks(self, level: int) -> None:
        """Computes locks of ``level`` from the locks of earlier levels."""

    def check_prereq(self) -> None:
        """Checks, under the locks, that the operation may proceed."""

    def build_hooks_env(self) -> dict[str, Any]:
        """The hooks environment (keys without the GANETI_ prefix)."""
        raise NotImplementedError

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        """Node UUIDs (or names) for the pre and post phases."""
        raise NotImplementedError

    def prepare_post_hooks_nodes(self, post_nodes: list[str]) -> list[str]:
        """May change the post-phase node list after execution."""
        return post_nodes

    def hooks_callback(
        self, phase: str, hook_results: dict, feedback_fn: Callable, lu_result: Any
    ) -> Any:
        """Sees post-phase hook results; may change the LU's result."""
        return lu_result

    def exec(self, feedback_fn: Callable[..., None]) -> Any:
        """Does the work; returns the opcode's result."""
        raise NotImplementedError

    # helpers ----------------------------------------------------------------------
    def node_names_of(self, nodes: list[str]) -> list[str]:
        """Node names for a list of node UUIDs (names pass through)."""
        result = []
        for node in nodes or []:
            info = None
            try:
                info = self.cfg.get_node_info(node)
            except Exception:  # pylint: disable=broad-except
                info = None
            result.append(info.name if info is not None else node)
        return result

    def log_info(self, message: str, *args: Any) -> None:
        self.proc.log_info(message, *args)

    def log_warning(self, message: str, *args: Any, hint: str | None = None) -> None:
        self.proc.log_warning(message, *args, hint=hint)

    def log_step(self, current: int, total: int, message: str) -> None:
        self.proc.log_step(current, total, message)

    def owned_locks(self, level: int) -> set:
        return self.glm.list_owned(level)

    def check_owned(self, level: int, names: Any) -> None:
        if not self.glm.check_owned(level, names):
            raise errors.ProgrammerError("Locks %s at level %s are not owned" % (names, level))


class NoHooksLU(LogicalUnit):
    """A logical unit without hooks."""

    HPATH = None
    HTYPE = None

    def build_hooks_env(self) -> dict[str, Any]:
        return {}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        return [], []


class QueryBase:
    """Shared pieces of query LUs (filled by the query issue)."""


ALL_SET = locking.ALL_SET if hasattr(locking, "ALL_SET") else None
LOCKS_REPLACE = constants.LOCKS_REPLACE
LOCKS_APPEND = constants.LOCKS_APPEND
