"""The hooks framework: environment building and pre/post phase execution.

Owns what a hook sees (the GANETI_* environment, the node lists) and what a
hook failure means (a pre-phase failure aborts the opcode with HooksAbort; a
post-phase failure is only logged).  It must never run scripts itself: the
``hooks_execution_fn`` it is given does, on the nodes (over RPC in a
cluster, see ``rpc``; in-process for tests).

``hooks_execution_fn(node_names, hpath, phase, env)`` returns
``{node_name: result}`` where a result has ``fail_msg`` (str or None),
``offline`` (bool) and ``payload`` (a list of ``(script, status, output)``
with status HKR_SKIP/HKR_FAIL/HKR_SUCCESS), the shape of an RPC result.
"""

from dataclasses import dataclass, field
from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import pathutils

HooksExecutionFn = Callable[[list[str], str, str, dict[str, str]], dict[str, Any]]


@dataclass
class HookNodeResult:
    """A per-node hooks result, shaped like an RPC result."""

    payload: list = field(default_factory=list)
    fail_msg: str | None = None
    offline: bool = False


def no_hooks_execution(
    node_names: list[str], hpath: str, phase: str, env: dict[str, str]
) -> dict[str, Any]:
    """An execution function that runs nothing (no node daemons yet)."""
    return {}


def _stringify(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


class HooksMaster:
    """Runs the hooks of one opcode on the nodes the LU named."""

    def __init__(
        self,
        opcode: str,
        hooks_path: str | None,
        nodes: tuple[list[str], list[str]],
        hooks_execution_fn: HooksExecutionFn,
        build_env_fn: Callable[[], dict[str, Any]],
        prepare_post_nodes_fn: Callable[[list[str]], list[str]] | None,
        log_fn: Callable[[str], None],
        htype: str | None = None,
        cluster_name: str | None = None,
        master_name: str | None = None,
    ) -> None:
        self.opcode = opcode
        self.hooks_path = hooks_path
        self.hooks_execution_fn = hooks_execution_fn
        self.build_env_fn = build_env_fn
        self.prepare_post_nodes_fn = prepare_post_nodes_fn
        self.log_fn = log_fn
        self.htype = htype
        self.cluster_name = cluster_name
        self.master_name = master_name
        self.pre_nodes, self.post_nodes = nodes
        self.pre_env = self._build_env(constants.HOOKS_PHASE_PRE)

    def _build_env(self, phase: str) -> dict[str, str]:
        if phase == constants.HOOKS_PHASE_PRE:
            prefix = "GANETI_"
        else:
            prefix = "GANETI_POST_"
        env: dict[str, str] = {}
        if self.hooks_path is not None:
            for key, value in (self.build_env_fn() or {}).items():
                env[prefix + key] = _stringify(value)
        if phase == constants.HOOKS_PHASE_POST:
            env.update(self.pre_env)
        return env

    def _common_env(self, phase: str) -> dict[str, str]:
        env = {
            "PATH": constants.HOOKS_PATH,
            "GANETI_HOOKS_VERSION": str(constants.HOOKS_VERSION),
            "GANETI_OP_CODE": self.opcode,
            "GANETI_DATA_DIR": pathutils.DATA_DIR,
            "GANETI_HOOKS_PHASE": phase,
            "GANETI_HOOKS_PATH": self.hooks_path or "",
        }
        if self.htype:
            env["GANETI_OBJECT_TYPE"] = self.htype
        if self.cluster_name is not None:
            env["GANETI_CLUSTER"] = self.cluster_name
        if self.master_name is not None:
            env["GANETI_MASTER"] = self.master_name
        return env

    def build_env(self, phase: str) -> dict[str, str]:
        """The whole environment of ``phase`` (common + LU variables)."""
        env = self._common_env(phase)
        if phase == constants.HOOKS_PHASE_PRE:
            env.update(self.pre_env)
        else:
            env.update(self._build_env(phase))
        return env

    def _run_wrapper(
        self, node_names: list[str], hpath: str, phase: str, env: dict[str, str]
    ) -> dict[str, Any]:
        if not node_names:
            return {}
        return self.hooks_execution_fn(list(node_names), hpath, phase, env)

    def run_phase(self, phase: str, node_names: list[str] | None = None) -> dict[str, Any]:
        """Runs one phase; pre failures raise HooksAbort."""
        if self.hooks_path is None:
            return {}
        if node_names is None:
            node_names = self.pre_nodes if phase == constants.HOOKS_PHASE_PRE else self.post_nodes
        env = self.build_env(phase)
        results = self._run_wrapper(node_names, self.hooks_path, phase, env)
        if not results:
            return {}
        failures = []
        for node_name, res in results.items():
            if getattr(res, "offline", False):
                continue
            fail_msg = getattr(res, "fail_msg", None)
            if fail_msg:
                self.log_fn("Communication failure to node %s: %s" % (node_name, fail_msg))
                continue
            for script, status, output in getattr(res, "payload", None) or []:
                if status == constants.HKR_FAIL:
                    if phase == constants.HOOKS_PHASE_PRE:
                        failures.append((node_name, script, output))
                    else:
                        self.log_fn(
                            "On %s script %s failed, output: %s" % (node_name, script, output)
                        )
        if failures:
            raise errors.HooksAbort(failures)
        return results

    def run_config_update(self) -> None:
        """Runs the config-update hooks on the master after a config change."""
        if not self.master_name:
            return
        env = self.build_env(constants.HOOKS_PHASE_POST)
        env["GANETI_HOOKS_PATH"] = constants.HOOKS_NAME_CFGUPDATE
        self._run_wrapper(
            [self.master_name], constants.HOOKS_NAME_CFGUPDATE, constants.HOOKS_PHASE_POST, env
        )

    @classmethod
    def build_from_lu(cls, hooks_execution_fn: HooksExecutionFn, lu: Any) -> "HooksMaster":
        """Builds the hooks master of logical unit ``lu``."""
        if lu.HPATH is None:
            nodes: tuple[list[str], list[str]] = ([], [])
        else:
            pre, post = lu.build_hooks_nodes()
            nodes = (lu.node_names_of(pre), lu.node_names_of(post))
        cfg = lu.cfg
        try:
            cluster_name = cfg.get_cluster_name()
            master_name = cfg.get_master_node_name()
        except Exception:  # pylint: disable=broad-except
            cluster_name = master_name = None
        return cls(
            lu.op.OP_ID,
            lu.HPATH,
            nodes,
            hooks_execution_fn,
            lu.build_hooks_env if lu.HPATH is not None else dict,
            lu.prepare_post_hooks_nodes,
            lu.log_warning,
            lu.HTYPE,
            cluster_name,
            master_name,
        )


def format_hooks_abort(err: errors.HooksAbort) -> list[str]:
    """Human lines for a HooksAbort (used by the CLI)."""
    lines = ["Failure: hooks failed to run"]
    for item in err.args[0] if err.args else []:
        try:
            node, script, output = item
        except (TypeError, ValueError):
            lines.append("  %s" % (item,))
            continue
        lines.append("  node: %s, script: %s, output: %s" % (node, script, output))
    return lines
