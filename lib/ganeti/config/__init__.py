"""ConfigWriter: the single owner of config.data on the master.

Owns loading and checking config.data, every lookup and change of the
cluster configuration (nodes.py, instances.py), temporary reservations per
execution context (reservations.py), and the ssconf values derived from it
(ssconf_values.py).  Every change is saved at once (atomic write + fsync,
serial_no + 1) and handed to the save hook, which distributes it to master
candidates.

It must never talk to nodes itself (the save hook does), and nothing else
may write config.data.  Objects it returns are the live ones: change them,
then call ``update(obj)``; a change reaches disk only through the
ConfigWriter's methods (saves reuse the serialized form of untouched
objects, which is what keeps a 10,000-instance save fast).
"""

import gc
import logging
import os
import socket
import threading
import time
from typing import Any, Callable

from ganeti import constants, errors, objects, pathutils, serializer
from ganeti.config.flusher import ConfigFlusher
from ganeti.config.common import KINDS, NameIndex, defer_until_unlocked, locked
from ganeti.config.instances import InstancesMixin
from ganeti.config.nodes import NodesMixin
from ganeti.config.reservations import ReservationsMixin
from ganeti.config.ssconf_values import compute_ssconf_values
from ganeti.config.verify import verify_config_data
from ganeti.utils import io as utils_io

serializer.use_fast_backend()  # master/daemon-only module: orjson pays off here

CONFIG_FILE_MODE = 0o640

SaveHook = Callable[[bytes, dict[str, str]], None]
FeedbackFn = Callable[[str], None] | None

try:  # pre-serialized JSON pieces, so saves only re-encode changed objects
    from orjson import Fragment as _Fragment
except ImportError:  # pragma: no cover
    _Fragment = None


def _fragments_supported() -> bool:
    if _Fragment is None:
        return False
    try:
        return serializer.dump_bytes([_Fragment(b"1")]) == b"[1]"
    except (TypeError, ValueError):
        return False


_USE_FRAGMENTS = _fragments_supported()


def _encode(obj: objects.ConfigObject) -> Any:
    """The cached serialized form of one object."""
    data = serializer.dump_bytes(obj.to_dict())
    return _Fragment(data) if _USE_FRAGMENTS else serializer.loads(data)


def _my_hostnames() -> set[str]:
    names = {socket.gethostname()}
    try:
        names.add(socket.getfqdn())
    except OSError:  # pragma: no cover
        pass
    return names


class ConfigWriter(NodesMixin, InstancesMixin, ReservationsMixin):
    """Thread-safe owner of the cluster configuration (one internal lock)."""

    def __init__(
        self, cfg_file: str | None = None, offline: bool = False, accept_foreign: bool = False
    ) -> None:
        self._lock = threading.RLock()
        self._cfg_file = cfg_file if cfg_file is not None else pathutils.CLUSTER_CONF_FILE
        self._offline = offline
        self._save_hook: SaveHook | None = None
        self._init_reservations()
        self._ssconf_cache: tuple[Any, dict[str, str]] | None = None
        self._last_bytes: bytes | None = None
        self._hook_error: BaseException | None = None
        self._flusher = ConfigFlusher(self._flush)
        self._load(accept_foreign)

    # --- loading ---------------------------------------------------------

    def _load(self, accept_foreign: bool) -> None:
        try:
            with open(self._cfg_file, "rb") as fh:
                raw = fh.read()
                file_id = self._stat_id(os.fstat(fh.fileno()))
        except OSError as err:
            raise errors.ConfigurationError(
                "Cannot read configuration file %s: %s" % (self._cfg_file, err.strerror)
            ) from None
        gc_was_enabled = gc.isenabled()
        gc.disable()  # hundreds of thousands of new objects, none cyclic
        try:
            data = self._parse(raw)
        finally:
            if gc_was_enabled:
                gc.enable()
        master = data.nodes.get(data.cluster.master_node)
        if master is None:
            raise errors.ConfigurationError(
                "The configuration names node %s as master but has no such node"
                % data.cluster.master_node
            )
        if not accept_foreign and master.name not in _my_hostnames():
            raise errors.ConfigurationError(
                "The configuration names node %s as master, while my hostname is %s;"
                " opening a foreign configuration needs accept_foreign"
                % (master.name, socket.gethostname())
            )
        self._data = data
        self._file_id = file_id
        self._rebuild_caches()
        for problem in verify_config_data(self._data):
            logging.warning("Configuration problem: %s", problem)

    def _parse(self, raw: bytes) -> objects.ConfigData:
        try:
            data_dict = serializer.loads(raw)
        except ValueError as err:
            raise errors.ConfigurationError(
                "Cannot parse configuration file %s: %s" % (self._cfg_file, err)
            ) from None
        if not isinstance(data_dict, dict) or not isinstance(data_dict.get("cluster"), dict):
            raise errors.ConfigurationError(
                "Configuration file %s has no cluster section" % self._cfg_file
            )
        version = data_dict.get("version")
        if version != constants.CONFIG_VERSION:
            raise errors.ConfigVersionMismatch(constants.CONFIG_VERSION, version)
        try:
            data = objects.ConfigData.from_dict(data_dict)
            data.upgrade_config()
        except errors.ConfigurationError:
            raise
        except (TypeError, ValueError, AttributeError, KeyError) as err:
            raise errors.ConfigurationError(
                "Invalid configuration file %s: %s" % (self._cfg_file, err)
            ) from None
        return data

    @staticmethod
    def _stat_id(st: os.stat_result) -> tuple[int, int, int, int]:
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def _rebuild_caches(self) -> None:
        data = self._data
        for group in data.nodegroups.values():
            group.members = []
        for node in data.nodes.values():
            group = data.nodegroups.get(node.group)
            if group is not None:
                group.members.append(node.uuid)
        self._node_names = NameIndex()
        for node in data.nodes.values():
            self._node_names.add(node.uuid, node.name)
        self._inst_names = NameIndex()
        for inst in data.instances.values():
            self._inst_names.add(inst.uuid, inst.name)
        self._frags = {kind: {} for kind in KINDS}
        self._dirty = {kind: set(getattr(data, kind)) for kind in KINDS}
        self._ssconf_cache = None
        self._refresh_fragments()

    # --- saving ----------------------------------------------------------

    def _mark(self, kind: str, uuid: str) -> None:
        self._dirty[kind].add(uuid)

    def _refresh_fragments(self) -> None:
        data = self._data
        for kind in KINDS:
            coll = getattr(data, kind)
            frags = self._frags[kind]
            dirty = self._dirty[kind]
            if len(frags) + len(dirty) < len(coll):  # changed behind our back
                dirty.update(coll)
            for uuid in list(dirty):
                obj = coll.get(uuid)
                if obj is None:
                    frags.pop(uuid, None)
                else:
                    frags[uuid] = _encode(obj)
                dirty.discard(uuid)
            if len(frags) != len(coll):
                for uuid in set(frags) - set(coll):
                    del frags[uuid]

    def _serialize(self) -> bytes:
        self._refresh_fragments()
        data = self._data
        top = {
            "version": data.version,
            "cluster": data.cluster.to_dict(),
            "serial_no": data.serial_no,
            "ctime": data.ctime,
            "mtime": data.mtime,
        }
        top = {k: v for k, v in top.items() if v is not None}
        for kind in KINDS:
            top[kind] = self._frags[kind]
        return serializer.dump_bytes(top)

    def _write_config(self, feedback_fn: FeedbackFn = None) -> None:
        """Serializes the new state and has it written durably.

        The write itself happens in the flusher thread (one write for all
        saves made meanwhile); the saving thread waits for it once it has
        left the configuration lock.
        """
        data = self._data
        old = (data.serial_no, data.mtime)
        data.serial_no = (data.serial_no or 0) + 1
        data.mtime = time.time()
        try:
            payload = self._serialize()
        except (TypeError, ValueError, OverflowError) as err:
            data.serial_no, data.mtime = old
            raise errors.ConfigurationError(
                "Cannot serialize the configuration: %s" % err
            ) from None
        self._last_bytes = payload
        ssconf = None
        if self._save_hook is not None and not self._offline:
            ssconf = dict(self._ssconf_values())
        ticket = self._flusher.submit(payload, ssconf)

        def wait() -> None:
            self._flusher.wait(ticket)
            if self._hook_error is not None and feedback_fn:
                feedback_fn("Warning: distributing the configuration failed: %s" % self._hook_error)

        defer_until_unlocked(wait)

    def _flush(self, payload: bytes, ssconf: dict | None) -> None:
        """Writes ``payload`` atomically with fsync, then runs the save hook."""
        try:
            current = self._stat_id(os.stat(self._cfg_file))
        except OSError:
            current = None
        if current != self._file_id:
            raise errors.ConfigurationError(
                "The configuration file %s has been modified since the last write,"
                " cannot update" % self._cfg_file
            )
        try:
            utils_io.write_file(self._cfg_file, payload, mode=CONFIG_FILE_MODE)
            self._file_id = self._stat_id(os.stat(self._cfg_file))
        except OSError as err:
            raise errors.ConfigurationError(
                "Cannot write configuration file %s: %s" % (self._cfg_file, err)
            ) from None
        self._hook_error = None
        hook = self._save_hook
        if hook is not None and ssconf is not None:
            try:
                waiter = hook(payload, ssconf)
                if callable(waiter):
                    waiter()
            except Exception as err:  # pylint: disable=broad-except
                logging.exception("Configuration save hook failed")
                self._hook_error = err

    @locked
    def set_save_hook(self, fn: SaveHook | None) -> None:
        """Calls ``fn(config_bytes, ssconf_values)`` after every save.

        The hook runs in the flusher thread after each durable write, with
        the newest state (saves made meanwhile are coalesced); it may read
        the configuration, and may return a callable it then waits on.
        """
        self._save_hook = fn

    @locked
    def get_config_data_bytes(self) -> bytes:
        """config.data as last written (serialized now if never written)."""
        if self._last_bytes is None:
            self._last_bytes = self._serialize()
        return self._last_bytes

    @locked
    def get_config_serial(self) -> int:
        """The configuration's serial number."""
        return self._data.serial_no

    def is_offline(self) -> bool:
        return self._offline

    # --- cluster ---------------------------------------------------------

    @locked
    def get_cluster_info(self) -> objects.Cluster:
        return self._data.cluster

    @locked
    def get_cluster_name(self) -> str:
        return self._data.cluster.cluster_name

    @locked
    def get_master_node(self) -> str:
        """The master node's UUID."""
        return self._data.cluster.master_node

    @locked
    def get_master_node_name(self) -> str:
        return self._data.nodes[self._data.cluster.master_node].name

    @locked
    def get_master_node_info(self) -> objects.Node:
        return self._data.nodes[self._data.cluster.master_node]

    @locked
    def get_master_ip(self) -> str:
        return self._data.cluster.master_ip

    @locked
    def get_master_netdev(self) -> str:
        return self._data.cluster.master_netdev

    @locked
    def get_master_netmask(self) -> int:
        return self._data.cluster.master_netmask

    @locked
    def get_file_storage_dir(self) -> str:
        return self._data.cluster.file_storage_dir

    @locked
    def get_shared_file_storage_dir(self) -> str:
        return self._data.cluster.shared_file_storage_dir

    @locked
    def get_hypervisor_type(self) -> str:
        """The default (first enabled) hypervisor."""
        return self._data.cluster.primary_hypervisor

    @locked
    def get_default_iallocator(self) -> str:
        return self._data.cluster.default_iallocator

    @locked
    def allocate_port(self) -> int:
        """A TCP/UDP port for an instance (pool first, else the next free)."""
        cluster = self._data.cluster
        if cluster.tcpudp_port_pool:
            port = min(cluster.tcpudp_port_pool)
            cluster.tcpudp_port_pool.discard(port)
        else:
            port = cluster.highest_used_port + 1
            if port >= constants.LAST_DRBD_PORT:
                raise errors.ConfigurationError(
                    "The highest used port is greater than %s; aborting" % constants.LAST_DRBD_PORT
                )
            cluster.highest_used_port = port
        self._write_config()
        return port

    @locked
    def add_tcpudp_port(self, port: int) -> None:
        """Returns ``port`` to the cluster's pool of free ports."""
        if not isinstance(port, int) or isinstance(port, bool):
            raise errors.ProgrammerError("Invalid port %r" % (port,))
        self._data.cluster.tcpudp_port_pool.add(port)
        self._write_config()

    # --- job filter rules -------------------------------------------------

    @locked
    def get_filter_rule(self, uuid: str) -> objects.FilterRule | None:
        return self._data.filters.get(uuid)

    @locked
    def get_all_filters_info(self) -> dict[str, objects.FilterRule]:
        return dict(self._data.filters)

    @locked
    def add_filter_rule(self, rule: objects.FilterRule, ec_id: Any) -> None:
        """Adds (or, with an existing UUID, replaces) a job filter rule."""
        if not isinstance(rule, objects.FilterRule):
            raise errors.ProgrammerError("Invalid type passed as filter rule: %r" % (rule,))
        existing = self._data.filters.get(rule.uuid) if rule.uuid else None
        if existing is None:
            self._ensure_uuid(rule, ec_id)
        rule.serial_no = (existing.serial_no if existing else 0) + 1
        rule.ctime = existing.ctime if existing else time.time()
        rule.mtime = time.time()
        self._data.filters[rule.uuid] = rule
        self._mark("filters", rule.uuid)
        self._write_config()

    @locked
    def remove_filter_rule(self, uuid: str) -> None:
        if uuid not in self._data.filters:
            raise errors.OpPrereqError("Filter rule %s not found" % uuid, errors.ECODE_NOENT)
        del self._data.filters[uuid]
        self._mark("filters", uuid)
        self._write_config()

    def _ensure_uuid(self, item: objects.ConfigObject, ec_id: Any, check: bool = True) -> None:
        if not item.uuid:
            item.uuid = self._generate_unique_id(ec_id)
        elif check and self._uuid_in_use(item.uuid, include_temporary=False):
            raise errors.ConfigurationError(
                "Cannot add '%s': UUID %s already in use" % (getattr(item, "name", "?"), item.uuid)
            )

    def _uuid_in_use(self, uuid: str, include_temporary: bool = True) -> bool:
        data = self._data
        if uuid == data.cluster.uuid or any(uuid in getattr(data, kind) for kind in KINDS):
            return True
        return include_temporary and uuid in self._temp_ids.reserved()

    # --- generic update --------------------------------------------------

    _UPDATE_KINDS = (
        (objects.Node, "nodes"),
        (objects.Instance, "instances"),
        (objects.NodeGroup, "nodegroups"),
        (objects.Network, "networks"),
        (objects.Disk, "disks"),
        (objects.FilterRule, "filters"),
    )

    @locked
    def update(
        self, target: objects.ConfigObject, feedback_fn: FeedbackFn = None, ec_id: Any = None
    ) -> None:
        """Saves a modified object: its serial_no and mtime are bumped.

        ``target`` is the live object, or a copy read at the same serial_no
        (which then replaces it); anything else means someone else changed
        the object meanwhile: ConfigurationError.
        """
        data = self._data
        now = time.time()
        if isinstance(target, objects.Cluster):
            if target is not data.cluster:
                if target.serial_no != data.cluster.serial_no:
                    raise errors.ConfigurationError(
                        "Configuration updated since the cluster object was read"
                    )
                data.cluster = target
            target.serial_no += 1
            target.mtime = now
            self._ssconf_cache = None
        else:
            kind = next((k for cls, k in self._UPDATE_KINDS if isinstance(target, cls)), None)
            if kind is None:
                raise errors.ProgrammerError(
                    "Invalid object type (%s) passed to update" % type(target).__name__
                )
            coll = getattr(data, kind)
            current = coll.get(target.uuid)
            if current is None:
                raise errors.ConfigurationError(
                    "Cannot update unknown %s object %s" % (kind, target.uuid)
                )
            if current is not target:
                if current.serial_no != target.serial_no:
                    raise errors.ConfigurationError(
                        "Configuration updated since object %s has been read" % target.uuid
                    )
                if kind == "nodegroups":
                    target.members = current.members
                coll[target.uuid] = target
            target.serial_no = (target.serial_no or 0) + 1
            target.mtime = now
            self._mark(kind, target.uuid)
            if kind == "nodes":
                self._after_node_update(current, target)
                data.cluster.serial_no += 1
                data.cluster.mtime = now
            elif kind == "instances":
                if self._inst_names.name_of(target.uuid) != target.name:
                    self._inst_names.add(target.uuid, target.name)
                    data.cluster.serial_no += 1
                self._release_drbd_minors_of_instance(target)
                for disk_uuid in target.disks or []:  # callers may have changed them too
                    if disk_uuid in data.disks:
                        self._mark("disks", disk_uuid)
            elif kind in ("nodegroups", "networks"):
                self._ssconf_cache = None  # their names are in ssconf
        if ec_id is not None:
            self._commit_temporary_ips(ec_id)
        self._write_config(feedback_fn)

    def _after_node_update(self, old: objects.Node, node: objects.Node) -> None:
        if self._node_names.name_of(node.uuid) != node.name:
            self._node_names.add(node.uuid, node.name)
        groups = self._data.nodegroups
        for group in groups.values():
            if node.uuid in group.members and group.uuid != node.group:
                group.members.remove(node.uuid)
        if node.group in groups and node.uuid not in groups[node.group].members:
            groups[node.group].members.append(node.uuid)

    # --- ssconf ----------------------------------------------------------

    @locked
    def get_ssconf_values(self) -> dict[str, str]:
        """Every ssconf key with its content, formatted as Ganeti writes it
        (lines joined by newlines; the file writer adds the final newline)."""
        return dict(self._ssconf_values())

    def _ssconf_values(self) -> dict[str, str]:
        key = (id(self._data), self._data.cluster.serial_no)
        if self._ssconf_cache is None or self._ssconf_cache[0] != key:
            self._ssconf_cache = (key, compute_ssconf_values(self._data))
        return self._ssconf_cache[1]

    # --- verification ----------------------------------------------------

    @locked
    def verify_config(self) -> list[str]:
        """Consistency problems of the configuration (empty when sound)."""
        return verify_config_data(self._data)
