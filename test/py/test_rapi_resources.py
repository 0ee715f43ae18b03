"""rapi.resources (table, routing), rapi.baserlib (bodies, opcodes, errors)
and rapi.openapi (generated from the table, equal to doc/openapi.json)."""

import json
import os

import pytest

from ganeti import constants, errors, http, opcodes, rapi
from ganeti.rapi import baserlib, handlers_instances, openapi, resources

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# --- routing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,name,params",
    [
        ("/", "R_root", {}),
        ("/2", "R_2", {}),
        ("/2/", "R_2", {}),
        ("/2/instances/i1.example.com/reboot", "R_2_instances_name_reboot",
         {"instance_name": "i1.example.com"}),
        ("/2/instances/i1/disk/3/grow", "R_2_instances_name_disk_grow",
         {"instance_name": "i1", "disk_index": "3"}),
        ("/2/jobs/17/wait", "R_2_jobs_id_wait", {"job_id": "17"}),
        ("/2/query/instance/fields", "R_2_query_fields", {"resource": "instance"}),
        ("/2/nodes/n1/storage/modify", "R_2_nodes_name_storage_modify", {"node_name": "n1"}),
        ("/2/filters/0a-b1", "R_2_filters_uuid", {"filter_uuid": "0a-b1"}),
    ],
)  # fmt: skip
def test_match(path, name, params):
    res, found = resources.match(path)
    assert res.name == name and found == params


@pytest.mark.parametrize(
    "path",
    ["/3", "/2/jobs/x1", "/2/query/nothing", "/2/instances/a/b/c", "/2/instances/a b",
     "/2/instances/i1/disk/x/grow", "/2/instances/%2e%2e", "//2/info"],
)  # fmt: skip
def test_no_match(path):
    assert resources.match(path) is None


def test_table_rows_are_complete():
    seen = set()
    for res in resources.TABLE:
        assert res.path not in seen
        seen.add(res.path)
        assert res.methods and set(res.methods) <= set(resources.RAPI_METHODS)
        for verb, method in res.methods.items():
            assert callable(method.handler), (res.path, verb)
            if verb != "GET" or res.path.endswith(("/storage", "/wait")):
                # every write needs an authenticated user
                if method.access != rapi.ACCESS_ANON:
                    assert set(method.access) & {"write", "read"}
            for name in method.static:
                assert method.opcode is None or name in method.opcode._PARAM_NAMES
    # access rules of rapi.md
    assert resources.match("/2/nodes/n/storage")[0].methods["GET"].access == rapi.ACCESS_WRITE
    assert resources.match("/2/jobs/1/wait")[0].methods["GET"].access == rapi.ACCESS_WRITE
    assert resources.match("/2/query/node")[0].methods["PUT"].access == rapi.ACCESS_READ
    assert resources.match("/2/instances/i/console")[0].methods["GET"].access == rapi.ACCESS_READ
    assert resources.match("/2/instances")[0].methods["GET"].access == rapi.ACCESS_ANON
    for res in resources.TABLE:
        for verb in ("PUT", "POST", "DELETE"):
            if verb in res.methods and not res.path.startswith("/2/query"):
                assert res.methods[verb].access == rapi.ACCESS_WRITE, res.path


# --- opcode filling ----------------------------------------------------------------------


def test_fill_opcode_renames_static_and_validation():
    op = baserlib.fill_opcode(opcodes.OpGroupAdd, {"name": "g"}, None, {"name": "group_name"})
    assert op.group_name == "g"
    with pytest.raises(http.HttpBadRequest, match="renamed"):
        baserlib.fill_opcode(
            opcodes.OpGroupAdd, {"name": "g", "group_name": "h"}, None, {"name": "group_name"}
        )
    with pytest.raises(http.HttpBadRequest, match="Can't overwrite static parameters 'group_name'"):
        baserlib.fill_opcode(opcodes.OpGroupRename, {"group_name": "x"}, {"group_name": "g"})
    with pytest.raises(http.HttpBadRequest, match="^Invalid body parameters: .*bogus"):
        baserlib.fill_opcode(opcodes.OpGroupAdd, {"group_name": "g", "bogus": 1})
    with pytest.raises(http.HttpBadRequest, match="Invalid body parameters"):
        baserlib.fill_opcode(opcodes.OpGroupAdd, {"group_name": 5})
    with pytest.raises(http.HttpBadRequest, match="Body contents: Type is 'list'"):
        baserlib.fill_opcode(opcodes.OpGroupAdd, [])
    # null means "default" for optional parameters that do not take null
    op = baserlib.fill_opcode(opcodes.OpInstanceRename, {"new_name": "n", "ip_check": None},
                              {"instance_name": "i"})  # fmt: skip
    assert "ip_check" not in op.__dict__


def test_create_body_sizes_and_memory_are_lenient():
    body = {"__version__": 1, "mode": "create", "name": "i1", "os": "noop",
            "disk_template": "plain", "disks": [{"size": "20G"}, {"size": 512}, {"size": "1.5g"}],
            "nics": [{"link": "br0"}], "beparams": {"memory": "8G", "vcpus": "2"},
            "pnode": None, "snode": None, "group_name": None}  # fmt: skip
    body.pop("__version__")
    op = handlers_instances.create_opcode(body)
    assert op.instance_name == "i1" and op.os_type == "noop"
    assert [d["size"] for d in op.disks] == [20480, 512, 1536]
    assert op.beparams == {"maxmem": 8192, "minmem": 8192, "vcpus": 2}
    with pytest.raises(http.HttpBadRequest, match="Invalid disk size '20X'"):
        handlers_instances.create_opcode(dict(body, disks=[{"size": "20X"}]))
    with pytest.raises(http.HttpBadRequest, match="renamed"):
        handlers_instances.create_opcode(dict(body, os_type="x"))


def test_modify_mods_both_forms():
    mods = [["add", -1, {"size": "1G"}], [0, {"size": "2g"}], ["remove", 1]]
    assert baserlib.normalize_mods(mods, baserlib.normalize_disk) == [
        ["add", -1, {"size": 1024}], [0, {"size": 2048}], ["remove", 1]]  # fmt: skip


def test_reinstall_opcodes():
    ops = handlers_instances.reinstall_opcodes("i1", {"os": "debian", "start": False})
    assert [op.OP_ID for op in ops] == ["OP_INSTANCE_SHUTDOWN", "OP_INSTANCE_REINSTALL"]
    assert ops[1].os_type == "debian"
    ops = handlers_instances.reinstall_opcodes("i1", {})
    assert ops[-1].OP_ID == "OP_INSTANCE_STARTUP"
    with pytest.raises(http.HttpBadRequest, match="'start' parameter"):
        handlers_instances.reinstall_opcodes("i1", {"start": "yes"})


def test_context_args():
    ctx = baserlib.Context("GET", "/", {}, {"bulk": ["1"], "dry-run": ["0"], "x": ["abc"],
                                            "tag": ["a", "b"]})  # fmt: skip
    assert ctx.bulk() and not ctx.dry_run() and not ctx.force()
    assert ctx.args("tag") == ["a", "b"]
    with pytest.raises(http.HttpBadRequest, match="'x'"):
        ctx.bool_arg("x")
    assert baserlib.split_fields("a, b,,c") == ["a", "b", "c"]


@pytest.mark.parametrize(
    "err,code",
    [
        (errors.NoMasterError("/sock"), 502),
        (errors.TimeoutError("slow"), 504),
        (errors.PermissionError("/sock"), 500),
        (errors.JobQueueFull(), 503),
        (errors.JobQueueDrainError("drained"), 503),
        (errors.OpPrereqError("Instance 'x' not known", errors.ECODE_NOENT), 404),
        (errors.OpPrereqError("bad", errors.ECODE_INVAL), 400),
        (errors.QueryFilterParseError("bad filter"), 400),
        (ConnectionRefusedError(111, "refused"), 502),
        (RuntimeError("boom"), 500),
    ],
)
def test_translate_error(err, code):
    exc = baserlib.translate_error(err)
    assert exc.code == code
    if code == 404:
        assert exc.message is None  # Ganeti's bare "Not Found"


def test_missing_lus_are_named():
    lus = baserlib.available_lus()
    assert "LUTagsSet" in lus and "LUGroupAdd" in lus
    assert baserlib.missing_lus([opcodes.OpTagsSet]) == []
    if "LUNetworkAdd" not in lus:
        with pytest.raises(http.HttpNotImplemented, match="OP_NETWORK_ADD.*LUNetworkAdd"):
            baserlib.require_lus([opcodes.OpNetworkAdd])


def test_error_format_is_ganetis():
    from ganeti.server import rapi as server

    ctype, body = server.format_error(http.HttpNotFound())
    assert ctype == "application/json"
    # shared/reference/samples/rapi-404.json, from a real Ganeti 3.0.2
    sample = {"code": 404, "message": "Not Found", "explain": "Nothing matches the given URI"}
    assert json.loads(body) == sample
    _, body = server.format_error(http.HttpBadRequest("Unable to parse JSON data"))
    assert json.loads(body) == {"code": 400, "message": "Unable to parse JSON data",
                                "explain": "Bad request syntax or unsupported method"}  # fmt: skip


# --- OpenAPI -----------------------------------------------------------------------------


def test_doc_openapi_json_is_the_generators_output():
    with open(os.path.join(TOP, "doc", "openapi.json")) as fh:
        assert fh.read() == openapi.render(), (
            "run: python -m ganeti.rapi.openapi --write doc/openapi.json"
        )


def test_openapi_covers_the_table():
    doc = openapi.build_document()
    assert doc["openapi"].startswith("3.")
    for res in resources.TABLE:
        item = doc["paths"][res.path]
        assert {k.upper() for k in item if k != "parameters"} == set(res.methods)
    create = doc["paths"]["/2/instances"]["post"]
    props = create["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert {"instance_name", "name", "os_type", "os", "__version__", "disks"} <= set(props)
    assert create["security"] == [{"basicAuth": []}]
    assert create["x-ganeti-opcodes"] == ["OP_INSTANCE_CREATE"]
    reboot = doc["paths"]["/2/instances/{instance_name}/reboot"]["post"]
    body = reboot["requestBody"]["content"]["application/json"]["schema"]
    assert "instance_name" not in body["properties"] and "reboot_type" not in body["properties"]
    assert body["properties"]["shutdown_timeout"]["type"] == "integer"
    assert {p["name"] for p in reboot["parameters"]} >= {"type", "dry-run", "reason"}


def test_check_schema_probing():
    from ganeti import ht

    assert openapi.check_schema(ht.TBool) == {"type": "boolean"}
    assert openapi.check_schema(ht.TMaybeBool) == {"type": ["null", "boolean"]}
    assert openapi.check_schema(ht.TNonNegativeInt) == {"type": "integer"}
    assert openapi.check_schema(ht.TMaybe(ht.TElemOf(["a", "b"]))) == {"enum": ["a", "b", None]}
    assert openapi.check_schema(ht.TListOf(ht.TNonEmptyString)) == {
        "type": "array", "items": {"type": "string"}}  # fmt: skip
    assert openapi.check_schema(ht.TFloat) == {"type": "number"}
    assert constants.RAPI_VERSION == 2
