"""The master's use of node RPC: resolution, distribution, live data.

Owns how the master turns its configuration into RPC: the resolver (node
UUID or name -> address, offline flag), the encoders that need the
configuration, running hooks on nodes, distributing config.data and ssconf
after every configuration save, and fetching live node data for queries.
It must never decide cluster semantics: LUs do.
"""

import logging
import socket
import threading
from typing import Any, Callable

from ganeti import constants
from ganeti import pathutils
from ganeti.rpc import client as rpc_client


def config_resolver(cfg: Any) -> Callable[[list[str]], list[tuple]]:
    """Resolves node UUIDs or names through the configuration.

    A name the configuration does not know (a node being added) is looked
    up in DNS / /etc/hosts.
    """

    def resolve(ids: list[str]) -> list[tuple]:
        result = []
        for node_id in ids:
            node = cfg.get_node_info(node_id) or cfg.get_node_info_by_name(node_id)
            if node is not None:
                result.append((node.name, node.primary_ip, None, bool(node.offline)))
                continue
            try:
                address = socket.gethostbyname(node_id)
            except (OSError, UnicodeError):
                address = None
            result.append((node_id, address, None, False))
        return result

    return resolve


def make_runner(cfg: Any) -> rpc_client.RpcRunner:
    """The master's RPC runner."""
    from ganeti.rpc import instance_encoders

    return rpc_client.RpcRunner(config_resolver(cfg), encoders=instance_encoders.make_encoders(cfg))


def make_hooks_execution_fn(runner: rpc_client.RpcRunner) -> Callable:
    """hooks_execution_fn for the hooks master: runs hooks over RPC."""

    def run(node_names: list[str], hpath: str, phase: str, env: dict[str, str]) -> dict:
        return runner.call_hooks_runner(node_names, hpath, phase, env)

    return run


def master_candidates(cfg: Any, include_master: bool = False) -> list[str]:
    """UUIDs of online master candidates (without the master by default)."""
    master = cfg.get_master_node()
    result = []
    for uuid, node in cfg.get_all_nodes_info().items():
        if node.offline or not node.master_candidate:
            continue
        if uuid == master and not include_master:
            continue
        result.append(uuid)
    return result


class ConfigDistributor:
    """The ConfigWriter save hook: config.data to candidates, ssconf to all.

    Saves are pushed by one thread, group-commit style: a save returns a
    waiter that the saving job calls after leaving the configuration lock,
    and that returns once a push which started after the save has finished.
    Concurrent saves share one push of the newest configuration, so jobs
    never finish before their change reached the candidates, yet a thousand
    parallel instance creations cost a few dozen pushes, not a thousand.
    """

    WAIT_TIMEOUT = 120.0

    def __init__(self, cfg: Any, runner: rpc_client.RpcRunner) -> None:
        self.cfg = cfg
        self.runner = runner
        self._last_ssconf: dict[str, str] | None = None
        self._cv = threading.Condition()
        self._requested = 0
        self._done = 0
        self._ssconf: dict[str, str] | None = None
        self._thread: threading.Thread | None = None

    def __call__(self, data: bytes, ssconf: dict[str, str]) -> Callable[[], None]:
        with self._cv:
            self._requested += 1
            ticket = self._requested
            self._ssconf = ssconf
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="config-distributor", daemon=True
                )
                self._thread.start()
            self._cv.notify_all()
        return lambda: self.wait(ticket)

    def wait(self, ticket: int) -> None:
        """Returns once the push covering save ``ticket`` is done."""
        with self._cv:
            if not self._cv.wait_for(lambda: self._done >= ticket, self.WAIT_TIMEOUT):
                logging.error(
                    "Distributing the configuration is taking more than %d s", self.WAIT_TIMEOUT
                )

    def _loop(self) -> None:
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._requested > self._done)
                upto = self._requested
                ssconf = self._ssconf
            try:
                self.push(ssconf or {})
            except Exception:  # pylint: disable=broad-except
                logging.exception("Distributing the configuration failed")
            with self._cv:
                self._done = upto
                self._cv.notify_all()

    def push(self, ssconf: dict[str, str]) -> None:
        """Sends config.data (as now on disk) and changed ssconf values."""
        cfg = self.cfg
        candidates = master_candidates(cfg)
        if candidates:
            results = self.runner.call_upload_file(candidates, pathutils.CLUSTER_CONF_FILE)
            for node, res in results.items():
                if res.fail_msg and not res.offline:
                    logging.error(
                        "Copy of file %s to node %s failed: %s",
                        pathutils.CLUSTER_CONF_FILE,
                        res.node or node,
                        res.fail_msg,
                    )
        if ssconf != self._last_ssconf:
            nodes = [uuid for uuid, node in cfg.get_all_nodes_info().items() if not node.offline]
            results = self.runner.call_write_ssconf_files(nodes, ssconf)
            failed = [
                res.node or node
                for node, res in results.items()
                if res.fail_msg and not res.offline
            ]
            if failed:
                logging.error("Writing ssconf files failed on %s", ", ".join(sorted(failed)))
            else:
                self._last_ssconf = dict(ssconf)


def storage_units(cluster: Any) -> list[list]:
    """The storage units whose space node_info reports, by template order."""
    units = []
    for template in cluster.enabled_disk_templates or []:
        if template in (constants.DT_FILE,):
            units.append([constants.ST_FILE, cluster.file_storage_dir, []])
        elif template == constants.DT_SHARED_FILE:
            units.append([constants.ST_SHARED_FILE, cluster.shared_file_storage_dir, []])
        elif template in (constants.DT_PLAIN, constants.DT_DRBD8) and cluster.volume_group_name:
            units.append([constants.ST_LVM_VG, cluster.volume_group_name, [False]])
    seen = set()
    unique = []
    for unit in units:
        key = (unit[0], unit[1])
        if key not in seen:
            seen.add(key)
            unique.append(unit)
    return unique


def live_node_data(cfg: Any, runner: rpc_client.RpcRunner, nodes: list[Any]) -> dict[str, dict]:
    """node uuid -> live query fields, for online vm-capable nodes."""
    cluster = cfg.get_cluster_info()
    hv_name = (cluster.enabled_hypervisors or [constants.HT_FAKE])[0]
    hv_specs = [[hv_name, cluster.hvparams.get(hv_name, {})]]
    units = storage_units(cluster)
    uuids = [n.uuid for n in nodes if not n.offline and n.vm_capable]
    if not uuids:
        return {}
    results = runner.call_node_info(uuids, units, hv_specs)
    live = {}
    for uuid, res in results.items():
        if res.fail_msg or not res.payload:
            continue
        bootid, space, hvinfo = res.payload
        hv = hvinfo[0] if hvinfo else {}
        data = {
            "bootid": bootid,
            "cnodes": hv.get("cpu_nodes"),
            "csockets": hv.get("cpu_sockets"),
            "ctotal": hv.get("cpu_total"),
            "cnos": hv.get("cpu_dom0"),
            "mnode": hv.get("memory_dom0"),
            "mfree": hv.get("memory_free"),
            "mtotal": hv.get("memory_total"),
        }
        disk = next((s for s in space if s.get("type") != constants.ST_LVM_PV), None)
        if disk is not None:
            data["dfree"] = disk.get("storage_free")
            data["dtotal"] = disk.get("storage_size")
        spindles = next((s for s in space if s.get("type") == constants.ST_LVM_PV), None)
        if spindles is not None:
            data["spfree"] = spindles.get("storage_free")
            data["sptotal"] = spindles.get("storage_size")
        live[uuid] = {k: v for k, v in data.items() if v is not None}
    return live


def gather_master_votes(
    runner: rpc_client.RpcRunner, node_names: list[str]
) -> dict[str | None, int]:
    """Asks every node who the master is; returns name -> votes (None = no answer)."""
    votes: dict[str | None, int] = {}
    if not node_names:
        return votes
    for _node, res in runner.call_master_node_name(node_names).items():
        name = None if res.fail_msg else res.payload
        votes[name] = votes.get(name, 0) + 1
    return votes
