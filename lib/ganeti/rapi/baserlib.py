"""What every RAPI handler needs: arguments, bodies, opcodes, jobs, errors.

Owns the request context a handler receives (path parameters, query
arguments, parsed body), the query-argument readers (Ganeti's 0/1 booleans),
turning a body into a validated opcode (renames, static parameters, lenient
sizes such as "8G"), submitting jobs through luxi (bare integer job ids), the
translation of luxi and Ganeti errors into HTTP errors, field mapping for
bulk answers, and the check that the master can run an opcode at all.  It
must never hold the resource table, and never talk to the master except
through ``ganeti.luxi``.
"""

import ast
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from ganeti import constants, errors, http, luxi, opcodes, pathutils
from ganeti.utils import text as utext

# --- request context ---------------------------------------------------------


@dataclass
class Context:
    """One request as a handler sees it."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any = None
    has_body: bool = False
    user: str | None = None
    resource_name: str = ""
    extra: dict = field(default_factory=dict)

    # query arguments ------------------------------------------------------
    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query argument ``name``."""
        values = self.query.get(name)
        if not values:
            return default
        return values[0]

    def args(self, name: str) -> list[str]:
        """Every value of a repeatable query argument (``tag=a&tag=b``)."""
        return list(self.query.get(name, []))

    def int_arg(self, name: str, default: int = 0) -> int:
        """An integer query argument; 400 if it is not one."""
        value = self.arg(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise http.HttpBadRequest(
                "Invalid value for parameter '%s': '%s' is not an integer" % (name, value)
            ) from None

    def bool_arg(self, name: str, default: bool = False) -> bool:
        """A 0/1 query argument (any integer; non-zero is true)."""
        if name not in self.query:
            return default
        return bool(self.int_arg(name))

    def dry_run(self) -> bool:
        return self.bool_arg("dry-run")

    def force(self) -> bool:
        return self.bool_arg("force")

    def bulk(self) -> bool:
        return self.bool_arg("bulk")

    # body -----------------------------------------------------------------
    def body_dict(self) -> dict:
        """The body as a dict; an absent body is ``{}``; 400 otherwise."""
        if self.body is None:
            return {}
        check_type(self.body, dict, "Body contents")
        return self.body

    def body_param(self, name: str, default: Any = ..., exptype: type | None = None) -> Any:
        """One key of a dict body; 400 if missing (without default) or ill-typed."""
        return check_parameter(self.body_dict(), name, default, exptype)


def check_type(value: Any, exptype: type | tuple, descr: str) -> Any:
    """400 unless ``value`` is of ``exptype`` (bool never counts as int)."""
    ok = isinstance(value, exptype)
    if ok and isinstance(value, bool) and exptype in (int, float, (int, float)):
        ok = False
    if not ok:
        names = (
            " or ".join(t.__name__ for t in exptype)
            if isinstance(exptype, tuple)
            else exptype.__name__
        )
        raise http.HttpBadRequest(
            "%s: Type is '%s', but '%s' is expected" % (descr, type(value).__name__, names)
        )
    return value


def check_parameter(data: dict, name: str, default: Any = ..., exptype: type | None = None) -> Any:
    """``data[name]`` (or ``default``), type-checked when ``exptype`` is given."""
    if name not in data:
        if default is ...:
            raise http.HttpBadRequest("Required parameter '%s' is missing" % name)
        return default
    value = data[name]
    if exptype is not None and not (value is None and default is None):
        check_type(value, exptype, "'%s' parameter" % name)
    return value


def split_fields(text: str) -> list[str]:
    """``"a,b"`` -> ``["a", "b"]`` (empty items dropped)."""
    return [f for f in (part.strip() for part in text.split(",")) if f]


# --- lenient values ----------------------------------------------------------

_SIZE_BEPARAMS = (constants.BE_MEMORY, constants.BE_MAXMEM, constants.BE_MINMEM)
_INT_BEPARAMS = ("vcpus", "spindle_use")


def parse_size(value: Any, what: str) -> Any:
    """A size in MiB from an int or a string such as "8G", "2048M", "512"."""
    if isinstance(value, str):
        try:
            return utext.parse_unit(value)
        except errors.UnitParseError as err:
            raise http.HttpBadRequest("Invalid %s '%s': %s" % (what, value, err)) from None
    if isinstance(value, float) and not isinstance(value, bool) and value >= 0:
        return int(value) if value == int(value) else utext.parse_unit(value)
    return value


def _int_string(value: Any) -> Any:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def normalize_beparams(beparams: Any, upgrade_memory: bool = True) -> Any:
    """Sizes with units and numeric strings become integers; the legacy
    ``memory`` becomes ``maxmem`` and ``minmem`` (as Ganeti's UpgradeBeParams)."""
    if not isinstance(beparams, dict):
        return beparams
    result = dict(beparams)
    for key in _SIZE_BEPARAMS:
        if key in result:
            result[key] = parse_size(result[key], "memory size")
    for key in _INT_BEPARAMS:
        if key in result:
            result[key] = _int_string(result[key])
    if upgrade_memory and constants.BE_MEMORY in result:
        memory = result.pop(constants.BE_MEMORY)
        result.setdefault(constants.BE_MAXMEM, memory)
        result.setdefault(constants.BE_MINMEM, memory)
    return result


def normalize_disk(disk: Any) -> Any:
    """A disk dict with its size (and spindles) as integers."""
    if not isinstance(disk, dict):
        return disk
    result = dict(disk)
    if constants.IDISK_SIZE in result:
        result[constants.IDISK_SIZE] = parse_size(result[constants.IDISK_SIZE], "disk size")
    if "spindles" in result:
        result["spindles"] = _int_string(result["spindles"])
    return result


def normalize_mods(mods: Any, item_fn) -> Any:
    """Applies ``item_fn`` to the parameter dicts of a [[op, idx, params]] or
    legacy [[op_or_idx, params]] modification list."""
    if not isinstance(mods, list):
        return mods
    result = []
    for mod in mods:
        if isinstance(mod, list) and mod and isinstance(mod[-1], dict):
            mod = list(mod[:-1]) + [item_fn(mod[-1])]
        result.append(mod)
    return result


# --- opcodes -------------------------------------------------------------------


def fill_opcode(
    opcls: type,
    body: Any,
    static: dict | None = None,
    rename: dict | None = None,
) -> opcodes.OpCode:
    """Builds and validates an opcode from a body (as Ganeti's FillOpcode).

    ``rename`` maps accepted body names to opcode parameters; a name and its
    new name given together, a body key overwriting a URL-derived ``static``
    parameter, unknown keys and ill-typed values all answer 400.  A null
    given for an optional parameter that does not accept null means "use
    the default" (clients send nulls for unset optional fields).
    """
    if body is None:
        params: dict = {}
    else:
        check_type(body, dict, "Body contents")
        params = dict(body)
    for old, new in (rename or {}).items():
        if old in params:
            if new in params:
                raise http.HttpBadRequest(
                    "Parameter '%s' was renamed to '%s', but only one of them can be given"
                    % (old, new)
                )
            params[new] = params.pop(old)
    if static:
        overwritten = sorted(set(params) & set(static))
        if overwritten:
            raise http.HttpBadRequest(
                "Can't overwrite static parameters %s" % ", ".join("'%s'" % p for p in overwritten)
            )
        params.update(static)
    specs = {row[0]: row for row in opcls.OP_PARAMS}
    for name in [n for n, v in params.items() if v is None]:
        spec = specs.get(name)
        if spec is not None and spec[1] is not None and not spec[2](None):
            del params[name]
    try:
        op = opcls(**params)
        op.validate(False)
    except (errors.OpPrereqError, TypeError) as err:
        raise http.HttpBadRequest("Invalid body parameters: %s" % error_text(err)) from None
    return op


def add_reason(ops: Iterable[opcodes.OpCode], ctx: Context) -> None:
    """Prepends the user's ``reason`` argument and this resource to each
    opcode's reason trail."""
    now = time.time_ns()
    user_reason = ctx.arg("reason")
    for op in ops:
        trail = list(op.__dict__.get(constants.OPCODE_REASON) or [])
        extra = []
        if user_reason is not None:
            extra.append(["gnt:user", user_reason, now])
        extra.append(["gnt:library:rlib2:%s" % ctx.resource_name, "", now])
        op.__dict__[constants.OPCODE_REASON] = extra + trail


# --- capabilities ----------------------------------------------------------------

_LU_NAMES: frozenset | None = None
_LU_LOCK = threading.Lock()


def _read_lu_names() -> frozenset | None:
    """Names of the logical units this build has, read from the source of
    ``ganeti.cmdlib`` (which exports every LU) without importing it."""
    import ganeti

    path = os.path.join(os.path.dirname(ganeti.__file__), "cmdlib", "__init__.py")
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return None
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return frozenset(n for n in names if n.startswith("LU"))


def available_lus() -> frozenset | None:
    """The logical units of this build (None if they cannot be told)."""
    global _LU_NAMES  # pylint: disable=global-statement
    if _LU_NAMES is None:
        with _LU_LOCK:
            if _LU_NAMES is None:
                _LU_NAMES = _read_lu_names() or frozenset(["?"])
    return None if _LU_NAMES == frozenset(["?"]) else _LU_NAMES


def missing_lus(op_classes: Iterable[type]) -> list[str]:
    """The logical units, among those executing ``op_classes``, that this
    build lacks."""
    lus = available_lus()
    if lus is None:
        return []
    return [opcodes.lu_name_for(cls) for cls in op_classes if opcodes.lu_name_for(cls) not in lus]


def _op_id_from_lu(lu_name: str) -> str:
    return opcodes.op_id_from_class_name("Op" + lu_name[2:])


def require_lus(op_classes: Iterable[type]) -> None:
    """501 naming the missing logical units, if any."""
    missing = missing_lus(op_classes)
    if missing:
        raise http.HttpNotImplemented(
            "Not implemented in this version of the cluster software: %s (needs %s)"
            % (", ".join(sorted({_op_id_from_lu(m) for m in missing})), ", ".join(missing))
        )


# --- luxi ---------------------------------------------------------------------------


class _ClientPool:
    """Idle luxi connections to the master, shared by all request threads
    (a new HTTP connection must not cost a new master connection)."""

    MAX_IDLE = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[luxi.Client] = []

    def acquire(self) -> luxi.Client:
        address = pathutils.MASTER_SOCKET
        with self._lock:
            while self._idle:
                cl = self._idle.pop()
                if cl.address == address:
                    return cl
                cl.close()
        return luxi.Client(address)

    def release(self, cl: luxi.Client) -> None:
        with self._lock:
            if len(self._idle) < self.MAX_IDLE:
                self._idle.append(cl)
                return
        cl.close()

    def clear(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for cl in idle:
            cl.close()


_POOL = _ClientPool()


def error_text(err: BaseException) -> str:
    """The message of a Ganeti error (its first argument), else str()."""
    if isinstance(err, errors.GenericError) and err.args and isinstance(err.args[0], str):
        return err.args[0]
    return str(err)


def translate_error(err: BaseException) -> http.HttpException:
    """The HTTP answer for an error raised by luxi or a Ganeti module."""
    if isinstance(err, http.HttpException):
        return err
    if isinstance(err, errors.NoMasterError):
        return http.HttpBadGateway("Master seems to be unreachable: %s" % error_text(err))
    if isinstance(err, errors.PermissionError):
        return http.HttpInternalServerError(
            "Internal error: no permission to connect to the master daemon"
        )
    if isinstance(err, errors.TimeoutError):
        return http.HttpGatewayTimeout(
            "Timeout while talking to the master daemon: %s" % error_text(err)
        )
    if isinstance(err, errors.ProtocolError):
        return http.HttpBadGateway("Error while talking to the master daemon: %s" % error_text(err))
    if isinstance(err, OSError):
        return http.HttpBadGateway("Error while talking to the master daemon: %s" % err)
    if isinstance(err, errors.JobQueueFull):
        return http.HttpServiceUnavailable("Job queue is full, needs archiving")
    if isinstance(err, errors.JobQueueDrainError):
        return http.HttpServiceUnavailable("Job queue is drained, cannot submit")
    if isinstance(err, errors.OpPrereqError):
        if len(err.args) >= 2 and err.args[1] == errors.ECODE_NOENT:
            return http.HttpNotFound()
        return http.HttpBadRequest(error_text(err))
    if isinstance(
        err,
        (
            errors.ParameterError,
            errors.ParseError,
            errors.TypeEnforcementError,
            errors.TagError,
            errors.UnitParseError,
            errors.LuxiError,
        ),
    ):
        return http.HttpBadRequest(error_text(err))
    if isinstance(err, errors.OpCodeUnknown):
        return http.HttpNotImplemented(error_text(err))
    return http.HttpInternalServerError(error_text(err))


def luxi_call(method: str, *args: Any) -> Any:
    """Calls a luxi method (Ganeti's name) on a pooled master connection."""
    cl = _POOL.acquire()
    try:
        result = getattr(cl, method)(*args)
    except (errors.ProtocolError, OSError):
        cl.close()
        raise
    except BaseException:
        _POOL.release(cl)
        raise
    _POOL.release(cl)
    return result


def submit_job(ops: list[opcodes.OpCode], ctx: Context) -> int:
    """Submits one job and returns its id (a bare integer)."""
    require_lus(type(op) for op in ops)
    add_reason(ops, ctx)
    job_id = luxi_call("SubmitJob", ops)
    logging.info("%s %s: submitted job %s (%s)", ctx.method, ctx.path, job_id, ctx.user or "-")
    return int(job_id)


def query_item(method: str, names: list[str], fields: list[str]) -> list:
    """An old-style query of named items; 404 if the item is unknown."""
    result = luxi_call(method, names, fields, False)
    if not result:
        raise http.HttpNotFound()
    return result


# --- answers ------------------------------------------------------------------------


def map_fields(fields: list[str], row: list) -> dict:
    """``dict(zip(fields, row))`` (one item of a bulk answer)."""
    return dict(zip(fields, row))


def build_uri_list(ids: Iterable[Any], uri_format: str, id_key: str = "id") -> list[dict]:
    """``[{id_key: x, "uri": uri_format % x}, ...]`` for list answers."""
    return [{id_key: i, "uri": uri_format % (i,)} for i in ids]
