"""Property-based fuzzing of every RAPI operation, driven by the OpenAPI
description the server itself serves (``rapi.openapi``).

For each path and method, hypothesis builds path parameters (known names
and strings matching the documented pattern), query arguments and bodies
(from the documented schema, plus arbitrary JSON and non-JSON bodies) and
sends them as an authenticated writer to a live ganeti-rapi in front of a
live ganeti-masterd.  Properties: never a 5xx other than 501/503, every
error is Ganeti's JSON body with the same code, the daemon stays up, and the
cluster configuration never changes (writes are sent with dry-run=1, so no
request may change it; a rejected one least of all).

The example count is bounded (RAPI_FUZZ_EXAMPLES, default 25 per operation,
derandomized) so the whole file runs in well under a minute; raise it and
set RAPI_FUZZ_RANDOM=1 for a deeper local run.
"""

import base64
import hashlib
import http.client
import json
import os
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rapi_daemon_helper as rdh

from ganeti.rapi import openapi

EXAMPLES = int(os.environ.get("RAPI_FUZZ_EXAMPLES", "25"))
RANDOM = os.environ.get("RAPI_FUZZ_RANDOM") == "1"
ALLOWED = {200, 400, 401, 403, 404, 413, 415, 501, 503}
#: master-side bugs outside the RAPI, reported to their owners: an answer
#: carrying one of these texts makes the operation xfail instead of fail
KNOWN_MASTER_BUGS = ["instances_by_node() takes"]
DOC = openapi.build_document()
OPERATIONS = [
    (path, verb.upper(), op)
    for path, item in DOC["paths"].items()
    for verb, op in item.items()
    if verb != "parameters"
]


@pytest.fixture(scope="module")
def live():
    s = rdh.RapiSetup(ssl=False)
    s.start()
    state = {"setup": s, "conn": None, "config": _config_digest(s)}
    # a finished job, so that job paths have something to find
    status, job_id = _send(state, "PUT", "/2/tags?tag=fuzz&dry-run=1", None)
    assert status == 200
    state["job_id"] = job_id
    yield state
    if state["conn"] is not None:
        state["conn"].close()
    s.stop()


def _config_digest(s) -> str:
    with open(os.path.join(s.root, "var", "lib", "ganeti", "config.data"), "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _send(state, method, url, body, content_type="application/json"):
    s = state["setup"]
    token = base64.b64encode(b"writer:wpass").decode()
    headers = {"Authorization": "Basic " + token}
    if body is not None:
        headers["Content-Type"] = content_type
    for attempt in range(2):
        if state["conn"] is None:
            state["conn"] = http.client.HTTPConnection(
                "127.0.0.1", s.port, timeout=float(os.environ.get("RAPI_FUZZ_TIMEOUT", "30"))
            )
        conn = state["conn"]
        try:
            conn.request(method, url, body=body, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except (http.client.HTTPException, OSError) as err:
            if os.environ.get("RAPI_FUZZ_DEBUG") and "timed out" in str(err):
                import subprocess

                for pid in (s.proc.pid, s.master.proc.pid):
                    print(
                        subprocess.run(
                            ["py-spy", "dump", "--pid", str(pid)], capture_output=True, text=True
                        ).stdout
                    )
                print("REQUEST", method, url, body)
                raise
            conn.close()
            state["conn"] = None
            if attempt:
                raise
            continue
        if resp.getheader("Connection", "").lower() == "close":
            conn.close()
            state["conn"] = None
        payload = json.loads(raw) if raw else None
        return resp.status, payload
    raise AssertionError("unreachable")


# --- strategies from the schema --------------------------------------------------------

_KNOWN = ["default", "node1.example.com", "inst1.example.com", "noop", "fake", "diskless",
          "file", "create", "live", "replace_auto", "gzip", "", "x", "192.0.2.1", "8G"]  # fmt: skip
_LEAF = st.none() | st.booleans() | st.integers(-3, 10**6) | st.text(max_size=8)
_JSON = st.recursive(
    _LEAF,
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3)
    ),
    max_leaves=6,
)


def schema_strategy(schema: dict, depth: int = 0):
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if not kinds:
        return _JSON
    options = []
    for k in kinds:
        if k == "null":
            options.append(st.none())
        elif k == "boolean":
            options.append(st.booleans())
        elif k == "integer":
            options.append(st.integers(-2, 5000) | st.sampled_from([2**31, 2**63, -(2**40)]))
        elif k == "number":
            options.append(st.floats(allow_nan=False, allow_infinity=False, width=32))
        elif k == "string":
            options.append(st.sampled_from(_KNOWN) | st.text(max_size=12))
        elif k == "array":
            items = schema.get("items")
            inner = schema_strategy(items, depth + 1) if items and depth < 3 else _JSON
            options.append(st.lists(inner, max_size=3))
        elif k == "object":
            props = schema.get("properties")
            if props and depth < 3:
                options.append(
                    st.fixed_dictionaries(
                        {}, optional={n: schema_strategy(p, depth + 1) for n, p in props.items()}
                    )
                )
            else:
                options.append(st.dictionaries(st.sampled_from(_KNOWN + ["size", "mode"]), _JSON,
                                               max_size=3))  # fmt: skip
    return st.one_of(options)


def _path_strategy(name: str, schema: dict, known: dict):
    if "enum" in schema:
        return st.sampled_from(schema["enum"] + ["bogus"])
    choices = known.get(name, []) + ["nosuch", "a.b-c_d", "0"]
    regex = schema.get("pattern", "^.+$")
    return st.sampled_from(choices) | st.from_regex(regex, fullmatch=True).filter(
        lambda v: 0 < len(v) < 40
    )


def _query_strategy(param: dict):
    schema = param["schema"]
    if schema.get("type") == "array":
        value = st.lists(st.sampled_from(_KNOWN[:6]) | st.text(max_size=6), min_size=1, max_size=3)
    elif "enum" in schema:
        value = st.sampled_from([str(v) for v in schema["enum"]] + ["bogus", ""])
    elif schema.get("type") == "integer":
        value = st.sampled_from(["0", "1", "2", "-1", "yes", ""])
    else:
        value = st.sampled_from(_KNOWN) | st.text(max_size=10)
    return st.none() | value


def request_strategy(path: str, verb: str, op: dict, known: dict):
    path_params = DOC["paths"][path].get("parameters", [])
    body_schema = None
    if "requestBody" in op:
        body_schema = op["requestBody"]["content"]["application/json"]["schema"]
    pieces = {
        "path": st.fixed_dictionaries(
            {p["name"]: _path_strategy(p["name"], p["schema"], known) for p in path_params}
        ),
        "query": st.fixed_dictionaries(
            {p["name"]: _query_strategy(p) for p in op.get("parameters", [])}
        ),
        "body": st.one_of(
            st.none(),
            schema_strategy(body_schema) if body_schema else st.none(),
            _JSON,
        ).map(lambda b: ("json", b))
        | st.sampled_from([("raw", b"{"), ("raw", b"\xff\xfe"), ("form", b"a=b")]),
    }
    return st.fixed_dictionaries(pieces)


def _build_url(path: str, op: dict, req: dict) -> str:
    url = path
    for name, value in req["path"].items():
        url = url.replace("{%s}" % name, quote(str(value), safe=""))
    query = []
    declared = {p["name"] for p in op.get("parameters", [])}
    for name, value in req["query"].items():
        if value is None or name == "dry-run":
            continue
        if isinstance(value, list):
            query.extend((name, v) for v in value)
        else:
            query.append((name, value))
    if "dry-run" in declared:
        query.append(("dry-run", "1"))  # writes must never change the test cluster
    if query:
        url += "?" + urlencode(query)
    return url


@pytest.mark.parametrize(
    "path,verb,op", OPERATIONS, ids=["%s %s" % (v, p) for p, v, op in OPERATIONS]
)
def test_fuzz_operation(live, path, verb, op):
    s = live["setup"]
    known = {
        "node_name": [s.node_name],
        "group_name": ["default"],
        "job_id": [str(live["job_id"])],
        "instance_name": ["inst1.example.com"],
    }

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(req=request_strategy(path, verb, op, known))
    def check(req):
        if verb in ("PUT", "POST", "DELETE") and "dry-run" not in {
            p["name"] for p in op.get("parameters", [])
        }:
            # writes without dry-run: only what cannot change the configuration
            assert path.startswith(
                ("/2/jobs", "/2/filters", "/2/query", "/2/nodes/{node_name}/storage")
            )
        url = _build_url(path, op, req)
        kind, body = req["body"]
        if kind == "json":
            data = None if body is None else json.dumps(body).encode()
            ctype = "application/json"
        else:
            data, ctype = body, ("application/json" if kind == "raw" else "text/plain")
        status, payload = _send(live, verb, url, data, ctype)
        message = payload.get("message", "") if isinstance(payload, dict) else ""
        if status == 500 and any(bug in message for bug in KNOWN_MASTER_BUGS):
            known.setdefault("_bugs", set()).add(message)
            return
        assert status in ALLOWED, (verb, url, data, status, payload)
        if status >= 400:
            assert set(payload) == {"code", "message", "explain"}, payload
            assert payload["code"] == status
            assert _config_digest(s) == live["config"], "rejected %s %s changed the config" % (
                verb,
                url,
            )
        assert s.proc.poll() is None, "ganeti-rapi died"

    check()
    if known.get("_bugs"):
        pytest.xfail("known master bug: %s" % "; ".join(sorted(known["_bugs"])))


def test_zz_daemons_alive_and_config_unchanged(live):
    s = live["setup"]
    assert s.proc.poll() is None and s.master.proc.poll() is None
    status, jobs = _send(live, "GET", "/2/jobs?bulk=1", None)
    assert status == 200
    # let the (dry-run) jobs the fuzzing submitted finish, then compare
    cl = s.master.client()
    pending = [j["id"] for j in jobs if j["status"] not in ("success", "error", "canceled")]
    for job_id in pending:
        for _ in range(100):
            res = cl.WaitForJobChangeOnce(job_id, ["status"], None, None, 1)
            if res in (None, "nochange") or res[0][0] in ("success", "error", "canceled"):
                break
    assert _config_digest(s) == live["config"]
