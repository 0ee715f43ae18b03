"""The OpenAPI 3.1 description of the RAPI, generated from the resource table.

Owns turning ``rapi.resources.TABLE`` into an OpenAPI document: paths and
their parameters, methods with access levels (``x-ganeti-access``), query
arguments, request bodies (an opcode's parameters, their JSON types found by
probing the opcode's own type checks, minus the URL-derived ones, plus the
accepted renames) and error answers.  The server serves the result at
``/2/openapi.json`` and ``doc/openapi.json`` is its output, so neither can
drift from what the server dispatches.  It must never describe anything that
is not in the table.

Run ``python -m ganeti.rapi.openapi [--write PATH]`` to print or write it.
"""

import sys
from typing import Any, Callable

from ganeti import constants, ht, rapi, serializer
from ganeti.rapi import resources

OPENAPI_VERSION = "3.1.0"
JSON_TYPE = "application/json"

#: a value of each JSON type; a check accepting one accepts that type
_PROBES: list[tuple[str, list]] = [
    ("null", [None]),
    ("boolean", [True, False]),
    ("integer", [0, 1, 4096]),
    ("number", [1.5]),
    ("string", ["x", "", "node1.example.com", "192.0.2.1", "192.0.2.0/24", "2001:db8::1",
                "2001:db8::/64", "aa:00:00", "gzip", "1"]),
    ("array", [[], [1, 2], ["x", "y"]]),
    ("object", [{}, {"x": "y"}]),
]  # fmt: skip

ERROR_CODES = {
    "400": "Bad request: malformed body, bad parameters (message says which)",
    "401": "Authentication needed (Basic, realm \"%s\")" % rapi.AUTH_REALM,
    "403": "The user lacks the access right, or the parameter is forbidden",
    "404": "No such resource or object",
    "405": "HTTP method not allowed (RAPI methods are GET, PUT, POST, DELETE)",
    "415": "The body is not application/json",
    "500": "Internal error",
    "501": "Method unsupported for the path, or capability not built yet",
    "502": "The master daemon is unreachable",
    "503": "Job queue full or drained, or console unavailable",
    "504": "Timeout talking to the master daemon",
}


def _accepts(check: Callable, value: Any) -> bool:
    try:
        return bool(check(value))
    except Exception:  # pylint: disable=broad-except
        return False


def _types(check: Callable, probes: list[tuple[str, list]] = _PROBES) -> list[str]:
    found = []
    for name, values in probes:
        if any(_accepts(check, v) for v in values):
            found.append(name)
    if "number" in found and "integer" in found:
        found.remove("integer")
    return found


def _enum(check: Callable) -> list | None:
    desc = ht.describe(check)
    if desc.startswith("None or "):
        desc = desc[len("None or ") :].strip("()")
    if not desc.startswith("OneOf "):
        return None
    values: list = []
    for text in desc[len("OneOf ") :].split(", "):
        if _accepts(check, text):
            values.append(text)
        else:
            try:
                number = int(text)
            except ValueError:
                return None
            if not _accepts(check, number):
                return None
            values.append(number)
    if _accepts(check, None):
        values.append(None)
    return values


def check_schema(check: Callable) -> dict:
    """A JSON schema of what an ``ht`` check accepts (types, enums, and the
    item types of lists and values of objects, found by probing)."""
    schema: dict = {}
    enum = _enum(check)
    if enum is not None:
        schema["enum"] = enum
        return schema
    types = _types(check)
    if not types:
        return schema
    schema["type"] = types[0] if len(types) == 1 else types
    if "array" in types:
        items = [
            name
            for name, values in _PROBES
            if name != "null" and any(_accepts(check, [v]) for v in values)
        ]
        if items and len(items) < len(_PROBES) - 1:
            if "number" in items and "integer" in items:
                items.remove("integer")
            schema["items"] = {"type": items[0] if len(items) == 1 else items}
    return schema


def _json_default(value: Any) -> Any:
    if isinstance(value, (frozenset, set, tuple)):
        return sorted(value, key=str)
    return value


def param_schema(row: tuple) -> dict:
    """Schema of one opcode parameter row ``(name, default, check, doc)``."""
    _, default, check, doc = row
    schema = check_schema(check)
    schema["description"] = "%s (%s)" % (doc, ht.describe(check)) if doc else ht.describe(check)
    if default is not None and not callable(default):
        schema["default"] = _json_default(default)
    return schema


def opcode_body_schema(method: resources.Method) -> dict:
    """The body of an opcode-backed method: the opcode's parameters minus
    the static ones, plus renames and extra keys; unknown keys are 400."""
    opcode = method.opcode
    props: dict = {}
    required = []
    aliases = {new: old for old, new in method.rename.items()}
    for row in opcode.OP_PARAMS:
        name = row[0]
        if name in method.static or name == "OP_ID":
            continue
        schema = param_schema(row)
        props[name] = schema
        is_required = row[1] is None and not _accepts(row[2], None)
        if name in aliases:
            props[aliases[name]] = dict(schema, description="Alias of '%s'" % name)
        elif is_required:
            required.append(name)
    props.update(method.body_extra)
    body = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        body["required"] = required
    return body


def _query_param(arg: resources.QueryArg) -> dict:
    if arg.kind == "bool":
        schema: dict = {"type": "integer", "enum": [0, 1]}
    elif arg.kind == "int":
        schema = {"type": "integer"}
    elif arg.kind == "list":
        schema = {"type": "array", "items": {"type": "string"}}
    else:
        schema = {"type": "string"}
    if arg.enum:
        schema["enum"] = list(arg.enum)
    param = {
        "name": arg.name,
        "in": "query",
        "required": arg.required,
        "description": arg.doc,
        "schema": schema,
    }
    if arg.kind == "list":
        param.update({"style": "form", "explode": True})
    return param


def _path_params(res: resources.Resource) -> list[dict]:
    params = []
    for seg in res.path.split("/"):
        if seg.startswith("{"):
            key = seg[1:-1]
            schema: dict = {"type": "string"}
            if key == "resource":
                schema["enum"] = sorted(constants.QR_VIA_RAPI)
            else:
                schema["pattern"] = "^(%s)$" % resources.PARAM_PATTERNS.get(key, resources._NAME_RE)
            params.append({"name": key, "in": "path", "required": True, "schema": schema})
    return params


def _operation(res: resources.Resource, verb: str, method: resources.Method) -> dict:
    op: dict = {
        "operationId": "%s_%s" % (res.name, verb),
        "summary": method.summary,
        "x-ganeti-access": list(method.access),
        "x-ganeti-resource": res.name,
        "x-ganeti-since": res.since,
    }
    doc = method.handler.__doc__
    if doc:
        op["description"] = doc.strip().splitlines()[0]
    if method.access:
        op["security"] = [{"basicAuth": []}]
    else:
        op["security"] = [{}, {"basicAuth": []}]
    needs = method.needed_opcodes()
    if needs:
        op["x-ganeti-opcodes"] = [cls.OP_ID for cls in needs]
    if method.query:
        op["parameters"] = [_query_param(a) for a in method.query]
    body = None
    if method.body is not None:
        body = method.body
    elif method.opcode is not None:
        body = opcode_body_schema(method)
    if body is not None and body.get("type") != "null":
        op["requestBody"] = {
            "required": False,
            "content": {JSON_TYPE: {"schema": body}},
        }
    responses = {
        "200": {
            "description": "Success" + (": a job id" if method.result is resources.JOB_ID else ""),
            "content": {JSON_TYPE: {"schema": method.result or {}}},
        }
    }
    for code in sorted(ERROR_CODES):
        responses[code] = {"$ref": "#/components/responses/E%s" % code}
    op["responses"] = responses
    return op


def build_document() -> dict:
    """The whole OpenAPI document (a fresh dict)."""
    paths: dict = {}
    for res in resources.TABLE:
        item: dict = {}
        params = _path_params(res)
        if params:
            item["parameters"] = params
        for verb in resources.RAPI_METHODS:
            method = res.methods.get(verb)
            if method is not None:
                item[verb.lower()] = _operation(res, verb, method)
        paths[res.path] = item
    error_schema = {
        "type": "object",
        "properties": {
            "code": {"type": "integer", "description": "HTTP status code"},
            "message": {"type": "string", "description": "What went wrong"},
            "explain": {"type": "string", "description": "Standard text of the status code"},
        },
        "required": ["code", "message", "explain"],
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Ganeti Remote API",
            "version": str(constants.RAPI_VERSION),
            "description": (
                "Version 2 of the Ganeti remote API. Writes answer a bare integer job"
                " id; poll /2/jobs/{job_id}. Errors are JSON {code, message, explain}."
                " Methods with x-ganeti-access need a user with one of those options."
            ),
        },
        "servers": [
            {
                "url": "https://{host}:%d" % constants.DEFAULT_RAPI_PORT,
                "variables": {"host": {"default": "localhost"}},
            }
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic", "description": rapi.AUTH_REALM}
            },
            "schemas": {"Error": error_schema},
            "responses": {
                "E%s" % code: {
                    "description": text,
                    "content": {JSON_TYPE: {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
                for code, text in sorted(ERROR_CODES.items())
            },
        },
    }


_CACHE: dict = {}


def document() -> dict:
    """The document, built once per process."""
    if "doc" not in _CACHE:
        _CACHE["doc"] = build_document()
    return _CACHE["doc"]


def render() -> str:
    """The document as pretty JSON (the content of doc/openapi.json)."""
    return serializer.dump_pretty(build_document())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if len(args) == 2 and args[0] == "--write":
        with open(args[1], "w", encoding="utf-8") as fh:
            fh.write(text)
        return 0
    if args:
        sys.stderr.write("usage: python -m ganeti.rapi.openapi [--write PATH]\n")
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
