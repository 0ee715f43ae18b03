"""luxi: the master daemon's Unix-socket protocol, client side and framing.

Owns the wire format (one JSON document per message, terminated by 0x03),
the request/response keys and the client with Ganeti's method names
(``SubmitJob``, ``WaitForJobChange``, ...).  It must never import the job
queue or the server: CLI commands import it and must start fast.
"""

import errno
import os
import socket
import time
from typing import Any, Iterable

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import serializer

KEY_METHOD = constants.LUXI_KEY_METHOD
KEY_ARGS = constants.LUXI_KEY_ARGS
KEY_SUCCESS = constants.LUXI_KEY_SUCCESS
KEY_RESULT = constants.LUXI_KEY_RESULT
KEY_VERSION = constants.LUXI_KEY_VERSION
EOM = constants.LUXI_EOM

REQ_SUBMIT_JOB = "SubmitJob"
REQ_SUBMIT_JOB_TO_DRAINED_QUEUE = "SubmitJobToDrainedQueue"
REQ_SUBMIT_MANY_JOBS = "SubmitManyJobs"
REQ_WAIT_FOR_JOB_CHANGE = "WaitForJobChange"
REQ_CANCEL_JOB = "CancelJob"
REQ_ARCHIVE_JOB = "ArchiveJob"
REQ_CHANGE_JOB_PRIORITY = "ChangeJobPriority"
REQ_AUTO_ARCHIVE_JOBS = "AutoArchiveJobs"
REQ_QUERY = "Query"
REQ_QUERY_FIELDS = "QueryFields"
REQ_QUERY_JOBS = "QueryJobs"
REQ_QUERY_INSTANCES = "QueryInstances"
REQ_QUERY_NODES = "QueryNodes"
REQ_QUERY_GROUPS = "QueryGroups"
REQ_QUERY_NETWORKS = "QueryNetworks"
REQ_QUERY_EXPORTS = "QueryExports"
REQ_QUERY_CONFIG_VALUES = "QueryConfigValues"
REQ_QUERY_CLUSTER_INFO = "QueryClusterInfo"
REQ_QUERY_TAGS = "QueryTags"
REQ_SET_DRAIN_FLAG = "SetDrainFlag"
REQ_SET_WATCHER_PAUSE = "SetWatcherPause"

REQ_ALL = frozenset(
    [
        REQ_SUBMIT_JOB,
        REQ_SUBMIT_JOB_TO_DRAINED_QUEUE,
        REQ_SUBMIT_MANY_JOBS,
        REQ_WAIT_FOR_JOB_CHANGE,
        REQ_CANCEL_JOB,
        REQ_ARCHIVE_JOB,
        REQ_CHANGE_JOB_PRIORITY,
        REQ_AUTO_ARCHIVE_JOBS,
        REQ_QUERY,
        REQ_QUERY_FIELDS,
        REQ_QUERY_JOBS,
        REQ_QUERY_INSTANCES,
        REQ_QUERY_NODES,
        REQ_QUERY_GROUPS,
        REQ_QUERY_NETWORKS,
        REQ_QUERY_EXPORTS,
        REQ_QUERY_CONFIG_VALUES,
        REQ_QUERY_CLUSTER_INFO,
        REQ_QUERY_TAGS,
        REQ_SET_DRAIN_FLAG,
        REQ_SET_WATCHER_PAUSE,
    ]
)

# Client-side error classes, as Ganeti names them in its luxi module.
ProtocolError = errors.ProtocolError
ConnectionClosedError = errors.ConnectionClosedError
TimeoutError = errors.TimeoutError  # noqa: A001
RequestError = errors.RequestError
NoMasterError = errors.NoMasterError
PermissionError = errors.PermissionError  # noqa: A001


def format_request(method: str, args: Any, version: int | None = None) -> bytes:
    """Serializes a request; the result ends with the EOM byte."""
    request = {KEY_METHOD: method, KEY_ARGS: args}
    if version is not None:
        request[KEY_VERSION] = version
    return serializer.dump_bytes(request) + EOM


def parse_request(msg: bytes) -> tuple[str, Any, int | None]:
    """Parses a request message (without EOM) into (method, args, version).

    Raises ProtocolError on anything malformed.
    """
    try:
        request = serializer.load(msg)
    except ValueError as err:
        raise ProtocolError("Invalid LUXI request (parsing error): %s" % err) from None
    if not isinstance(request, dict):
        raise ProtocolError("Invalid LUXI request (not a dict)")
    method = request.get(KEY_METHOD)
    if not isinstance(method, str) or KEY_ARGS not in request:
        raise ProtocolError("Invalid LUXI request (no method or arguments)")
    version = request.get(KEY_VERSION)
    if version is not None and not isinstance(version, int):
        raise ProtocolError("Invalid LUXI request (bad version)")
    return method, request[KEY_ARGS], version


def format_response(success: bool, result: Any, version: int | None = None) -> bytes:
    """Serializes a response; the result ends with the EOM byte."""
    response = {KEY_SUCCESS: success, KEY_RESULT: result}
    if version is not None:
        response[KEY_VERSION] = version
    return serializer.dump_bytes(response) + EOM


def parse_response(msg: bytes, expected_version: int | None = None) -> Any:
    """Parses a response and returns its result, raising its error if any."""
    try:
        data = serializer.load(msg)
    except ValueError as err:
        raise ProtocolError("Error while deserializing response: %s" % err) from None
    if not (isinstance(data, dict) and KEY_SUCCESS in data and KEY_RESULT in data):
        raise ProtocolError("Invalid response from server: %r" % (data,))
    version = data.get(KEY_VERSION)
    if expected_version is not None and version is not None and version != expected_version:
        raise errors.LuxiError(
            "LUXI version mismatch, client %s, response %s" % (expected_version, version)
        )
    result = data[KEY_RESULT]
    if data[KEY_SUCCESS]:
        return result
    errors.maybe_raise(result)
    raise RequestError(result)


class Transport:
    """One connection to a luxi server: framed send and receive."""

    def __init__(
        self,
        address: str,
        connect_timeout: float = constants.LUXI_DEF_CTMO,
        rw_timeout: float = constants.LUXI_DEF_RWTO,
    ) -> None:
        self.address = address
        self._rw_timeout = rw_timeout
        self._buffer = bytearray()
        self._msgs: list[bytes] = []
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.settimeout(connect_timeout)
        try:
            self._connect()
        except BaseException:
            self.socket.close()
            raise
        self.socket.settimeout(rw_timeout)

    def _connect(self) -> None:
        for attempt in range(3):
            try:
                self.socket.connect(self.address)
                return
            except socket.timeout:
                raise TimeoutError("Connection timed out") from None
            except OSError as err:
                if err.errno in (errno.ENOENT, errno.ECONNREFUSED):
                    raise NoMasterError(self.address) from None
                if err.errno in (errno.EPERM, errno.EACCES):
                    raise PermissionError(self.address) from None
                if err.errno == errno.EAGAIN and attempt < 2:
                    time.sleep(0.1)
                    continue
                raise

    def send(self, msg: bytes) -> None:
        """Sends one framed message (``msg`` must end with EOM)."""
        try:
            self.socket.sendall(msg)
        except socket.timeout:
            raise TimeoutError("Sending timeout") from None
        except OSError as err:
            raise ConnectionClosedError("Sending failed: %s" % err) from None

    def recv(self, timeout: float | None = None) -> bytes:
        """Receives one message (without its EOM)."""
        if self._msgs:
            return self._msgs.pop(0)
        self.socket.settimeout(timeout if timeout is not None else self._rw_timeout)
        while True:
            try:
                data = self.socket.recv(65536)
            except socket.timeout:
                raise TimeoutError("Receive timeout") from None
            except OSError as err:
                raise ConnectionClosedError("Receive failed: %s" % err) from None
            if not data:
                raise ConnectionClosedError("Connection closed while reading")
            self._buffer += data
            if EOM in data:
                parts = bytes(self._buffer).split(EOM)
                self._buffer = bytearray(parts.pop())
                self._msgs.extend(parts)
                return self._msgs.pop(0)
            if len(self._buffer) > constants.LUXI_MAX_MESSAGE:
                raise ProtocolError("Message too large")

    def call(self, msg: bytes, timeout: float | None = None) -> bytes:
        """Sends a request and returns the raw response."""
        self.send(msg)
        return self.recv(timeout)

    def close(self) -> None:
        self.socket.close()


def _op_to_dict(op: Any) -> dict:
    if isinstance(op, dict):
        return op
    return op.to_dict()


class Client:
    """A luxi client with Ganeti's method names.

    The connection is opened lazily and reused; on a protocol error it is
    closed and the next call reconnects.
    """

    def __init__(
        self,
        address: str | None = None,
        connect_timeout: float = constants.LUXI_DEF_CTMO,
        rw_timeout: float = constants.LUXI_DEF_RWTO,
    ) -> None:
        self.address = address or pathutils.MASTER_SOCKET
        self._ctmo = connect_timeout
        self._rwtmo = rw_timeout
        self._transport: Transport | None = None

    def close(self) -> None:
        """Closes the connection (a later call reopens it)."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def call_method(self, method: str, args: Any, timeout: float | None = None) -> Any:
        """Calls ``method`` with ``args`` and returns its result."""
        msg = format_request(method, args, constants.LUXI_VERSION)
        if self._transport is None:
            self._transport = Transport(self.address, self._ctmo, self._rwtmo)
        try:
            raw = self._transport.call(msg, timeout)
        except (ProtocolError, OSError):
            self.close()
            raise
        return parse_response(raw, constants.LUXI_VERSION)

    CallMethod = call_method

    # Jobs
    def SubmitJob(self, ops: Iterable[Any]) -> int:
        return self.call_method(REQ_SUBMIT_JOB, [[_op_to_dict(op) for op in ops]])

    def SubmitJobToDrainedQueue(self, ops: Iterable[Any]) -> int:
        return self.call_method(REQ_SUBMIT_JOB_TO_DRAINED_QUEUE, [[_op_to_dict(op) for op in ops]])

    def SubmitManyJobs(self, jobs: Iterable[Iterable[Any]]) -> list:
        return self.call_method(
            REQ_SUBMIT_MANY_JOBS, [[[_op_to_dict(op) for op in ops] for ops in jobs]]
        )

    def CancelJob(self, job_id: int, kill: bool = False) -> list:
        return self.call_method(REQ_CANCEL_JOB, [job_id, kill])

    def ArchiveJob(self, job_id: int) -> bool:
        return self.call_method(REQ_ARCHIVE_JOB, [job_id])

    def ChangeJobPriority(self, job_id: int, priority: int) -> list:
        return self.call_method(REQ_CHANGE_JOB_PRIORITY, [job_id, priority])

    def AutoArchiveJobs(self, age: int, timeout: float = 60) -> list:
        return self.call_method(
            REQ_AUTO_ARCHIVE_JOBS, [age, timeout], timeout=timeout + self._rwtmo
        )

    def WaitForJobChangeOnce(
        self,
        job_id: int,
        fields: list[str],
        prev_job_info: Any,
        prev_log_serial: int,
        timeout: float = constants.LUXI_WFJC_TIMEOUT,
    ) -> Any:
        """One WaitForJobChange call; may return the "nochange" marker."""
        return self.call_method(
            REQ_WAIT_FOR_JOB_CHANGE,
            [job_id, fields, prev_job_info, prev_log_serial, timeout],
            timeout=timeout + self._rwtmo,
        )

    def WaitForJobChange(
        self, job_id: int, fields: list[str], prev_job_info: Any, prev_log_serial: int
    ) -> Any:
        """Waits until the job changes (looping over server timeouts)."""
        while True:
            result = self.WaitForJobChangeOnce(job_id, fields, prev_job_info, prev_log_serial)
            if result != constants.JOB_NOTCHANGED:
                return result

    def QueryJobs(self, job_ids: list[int] | None, fields: list[str]) -> list:
        return self.call_method(REQ_QUERY_JOBS, [job_ids, fields])

    # Queries
    def Query(self, what: str, fields: list[str], qfilter: Any = None) -> dict:
        return self.call_method(REQ_QUERY, [what, fields, qfilter])

    def QueryFields(self, what: str, fields: list[str] | None = None) -> dict:
        return self.call_method(REQ_QUERY_FIELDS, [what, fields])

    def QueryInstances(
        self, names: list[str], fields: list[str], use_locking: bool = False
    ) -> list:
        return self.call_method(REQ_QUERY_INSTANCES, [names, fields, use_locking])

    def QueryNodes(self, names: list[str], fields: list[str], use_locking: bool = False) -> list:
        return self.call_method(REQ_QUERY_NODES, [names, fields, use_locking])

    def QueryGroups(self, names: list[str], fields: list[str], use_locking: bool = False) -> list:
        return self.call_method(REQ_QUERY_GROUPS, [names, fields, use_locking])

    def QueryNetworks(self, names: list[str], fields: list[str], use_locking: bool = False) -> list:
        return self.call_method(REQ_QUERY_NETWORKS, [names, fields, use_locking])

    def QueryExports(self, nodes: list[str], use_locking: bool = False) -> dict:
        return self.call_method(REQ_QUERY_EXPORTS, [nodes, use_locking])

    def QueryClusterInfo(self) -> dict:
        return self.call_method(REQ_QUERY_CLUSTER_INFO, [])

    def QueryConfigValues(self, fields: list[str]) -> list:
        return self.call_method(REQ_QUERY_CONFIG_VALUES, [fields])

    def QueryTags(self, kind: str, name: str) -> list:
        return self.call_method(REQ_QUERY_TAGS, [kind, name])

    # Flags
    def SetDrainFlag(self, drain_flag: bool) -> bool:
        return self.call_method(REQ_SET_DRAIN_FLAG, [drain_flag])

    def SetWatcherPause(self, until: float | None) -> Any:
        return self.call_method(REQ_SET_WATCHER_PAUSE, [until])


def master_socket_exists() -> bool:
    """True if the master socket file exists (a cheap pre-check)."""
    return os.path.exists(pathutils.MASTER_SOCKET)
