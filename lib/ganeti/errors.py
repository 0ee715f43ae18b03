"""Ganeti's exception classes and their wire encoding.

Owns the error vocabulary that crosses every boundary (luxi, RPC, RAPI) as
``[class name, args]``.  It must never import anything but constants: every
other module raises these.
"""

from typing import Any

from ganeti import constants

ECODE_RESOLVER = constants.ECODE_RESOLVER
ECODE_NORES = constants.ECODE_NORES
ECODE_TEMP_NORES = constants.ECODE_TEMP_NORES
ECODE_INVAL = constants.ECODE_INVAL
ECODE_STATE = constants.ECODE_STATE
ECODE_NOENT = constants.ECODE_NOENT
ECODE_EXISTS = constants.ECODE_EXISTS
ECODE_NOTUNIQUE = constants.ECODE_NOTUNIQUE
ECODE_FAULT = constants.ECODE_FAULT
ECODE_ENVIRON = constants.ECODE_ENVIRON
ECODE_ALL = constants.ECODE_ALL


class GenericError(Exception):
    """Base class of every Ganeti error."""


class LockError(GenericError):
    """A lock could not be acquired or was misused."""


class PidFileLockError(LockError):
    """A daemon's pid file is locked by another process."""


class HypervisorError(GenericError):
    """A hypervisor operation failed."""


class HotplugError(HypervisorError):
    """Hotplugging a device failed."""


class ProgrammerError(GenericError):
    """An internal contract was broken: a bug, not bad input."""


class BlockDeviceError(GenericError):
    """A block device operation failed."""


class ConfigurationError(GenericError):
    """The configuration is inconsistent or cannot be used."""


class ConfigVersionMismatch(ConfigurationError):
    """config.data was written by another version."""


class ConfigVerifyError(ConfigurationError):
    """config.data failed verification; args: (message, [errors])."""


class AddressPoolError(GenericError):
    """A network's address pool is exhausted or misused."""


class ReservationError(GenericError):
    """A temporary reservation (MAC, IP, LV name) clashed."""


class RemoteError(GenericError):
    """A remote call returned an error."""


class SignatureError(GenericError):
    """A signed message did not verify."""


class ParameterError(GenericError):
    """A parameter has a wrong value; args: (parameter name,)."""


class ResultValidationError(GenericError):
    """An opcode's result failed its type check."""


class OpPrereqError(GenericError):
    """A prerequisite of an opcode is not met; args: (message, ecode)."""


class OpExecError(GenericError):
    """An opcode failed while executing."""


class OpResultError(GenericError):
    """An opcode's result is wrong."""


class OpRetryNotSupportedError(GenericError):
    """The opcode cannot be retried."""


class DeviceCreationError(GenericError):
    """Creating a device failed; args: (message, [created devices])."""


class OpCodeUnknown(GenericError):
    """An unknown OP_ID was submitted."""


class JobLost(GenericError):
    """A submitted job vanished."""


class JobCanceled(GenericError):
    """The job was canceled while it ran."""


class JobFileCorrupted(GenericError):
    """A job file cannot be parsed."""


class ResolverError(GenericError):
    """A host name did not resolve; args: (name, errno, message)."""


class HooksFailure(GenericError):
    """Hooks could not run."""


class HooksAbort(HooksFailure):
    """A pre hook failed and aborted the operation."""


class UnitParseError(GenericError):
    """A size with units could not be parsed."""


class ParseError(GenericError):
    """Generic text parsing error."""


class QueryFilterParseError(ParseError):
    """A query filter string could not be parsed."""

    def get_details(self) -> list[str]:
        """Lines explaining where parsing failed."""
        result = [str(self.args[0])]
        if len(self.args) > 1:
            err = self.args[1]
            line = getattr(err, "line", None)
            col = getattr(err, "col", None)
            if line is not None and col is not None:
                result.append(line)
                result.append(" " * (col - 1) + "^")
        return result

    GetDetails = get_details


class TypeEnforcementError(GenericError):
    """A parameter has the wrong type."""


class X509CertError(GenericError):
    """An X509 certificate is invalid; args: (file, message)."""


class TagError(GenericError):
    """A tag is invalid or missing."""


class CommandError(GenericError):
    """A command failed."""


class StorageError(GenericError):
    """A storage operation failed."""


class InotifyError(GenericError):
    """Watching a file failed."""


class QuitGanetiException(Exception):
    """Tells a daemon to quit; args: (shutdown?, payload)."""


class JobQueueError(GenericError):
    """The job queue cannot take the request."""


class JobQueueDrainError(JobQueueError):
    """The job queue is drained: no new jobs."""


class JobQueueFull(JobQueueError):
    """The job queue is full."""


class ConfdMagicError(GenericError):
    """A confd packet had the wrong magic."""


class ConfdClientError(GenericError):
    """A confd client was misused."""


class UdpDataSizeError(GenericError):
    """A UDP packet would be too large."""


class NoCtypesError(GenericError):
    """ctypes is not available."""


class IPAddressError(GenericError):
    """An IP address is invalid."""


class LuxiError(GenericError):
    """The luxi protocol was violated."""


class RapiTestResult(GenericError):
    """Result of a RAPI test call."""


class FileStoragePathError(GenericError):
    """A file storage path is not allowed."""


class SshUpdateError(GenericError):
    """Updating SSH keys failed."""


class JobSubmittedException(Exception):
    """Raised by dry-run/submit-only CLI paths to report a job id."""


class ProtocolError(GenericError):
    """A client/server protocol error (luxi, HTTP)."""


class ConnectionClosedError(ProtocolError):
    """The peer closed the connection."""


class TimeoutError(ProtocolError):  # pylint: disable=redefined-builtin
    """An operation on a connection timed out."""


class RequestError(ProtocolError):
    """The server answered a request with an error it could not encode."""


class NoMasterError(ProtocolError):
    """The master daemon cannot be reached."""


class PermissionError(ProtocolError):  # pylint: disable=redefined-builtin
    """Access to the master socket was denied."""


def _collect() -> dict[str, type]:
    table = {}
    for name, value in globals().items():
        if (
            isinstance(value, type)
            and issubclass(value, Exception)
            and value.__module__ == __name__
        ):
            table[name] = value
    return table


_CLASSES = _collect()


def get_error_class(name: str) -> type | None:
    """Returns the error class called ``name``, or None."""
    return _CLASSES.get(name)


GetErrorClass = get_error_class


def encode_exception(err: BaseException) -> list[Any]:
    """Encodes an exception as ``[class name, args]`` for the wire."""
    if isinstance(err, GenericError) or type(err).__name__ in _CLASSES:
        name = type(err).__name__
    else:
        name = "GenericError"
        return [name, [f"{type(err).__name__}: {err}"]]
    return [name, [_jsonable(a) for a in err.args]]


EncodeException = encode_exception


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def decode_exception(data: Any) -> BaseException | None:
    """Rebuilds an exception from ``[class name, args]``; None if not one."""
    if not (isinstance(data, (list, tuple)) and len(data) == 2 and isinstance(data[0], str)):
        return None
    cls = _CLASSES.get(data[0])
    if cls is None:
        return None
    args = data[1]
    if isinstance(args, (list, tuple)):
        return cls(*args)
    return cls(args)


def maybe_raise(data: Any) -> None:
    """Raises the encoded exception in ``data``, if it is one."""
    err = decode_exception(data)
    if err is not None:
        raise err


MaybeRaise = maybe_raise


def get_encoded_error(result: Any) -> tuple[type, list] | None:
    """Returns (class, args) of an encoded error, or None."""
    err = decode_exception(result)
    if err is None:
        return None
    return type(err), list(err.args)


def ecode_of(err: BaseException) -> str | None:
    """Returns the ECODE_* of an OpPrereqError-like error, if any."""
    if len(err.args) >= 2 and err.args[1] in ECODE_ALL:
        return err.args[1]
    return None


def format_error(err: BaseException) -> str:
    """A one-line, human text for an error (used by CLI and RAPI)."""
    if isinstance(err, (OpPrereqError, OpExecError)) and err.args:
        return str(err.args[0])
    if isinstance(err, ParameterError) and err.args:
        return "Failure: unknown/wrong parameter name '%s'" % err.args[0]
    if err.args:
        return " ".join(str(a) for a in err.args)
    return type(err).__name__


class InvalidOS(GenericError):
    """An OS definition is missing or broken on a node; args: (name, path, reason)."""


_CLASSES["InvalidOS"] = InvalidOS
