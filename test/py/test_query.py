"""Tests for ganeti.query: engine, filters, and every resource's field table."""

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace as NS

import pytest

from ganeti import constants, errors, query
from ganeti.query import (
    QFF_HOSTNAME,
    QFF_SPLIT_TIMESTAMP,
    QFT_BOOL,
    QFT_NUMBER,
    QFT_OTHER,
    QFT_TEXT,
    QFT_TIMESTAMP,
    QFT_UNIT,
    RS_NODATA,
    RS_NORMAL,
    RS_OFFLINE,
    RS_UNAVAIL,
    RS_UNKNOWN,
)
from ganeti.query_fields.common import field

REPO = Path(__file__).resolve().parents[2]
LIB = str(REPO / "lib")
_REFERENCE_DIRS = [REPO.parent / "shared" / "reference", Path("/work/shared/reference")]
REFERENCE = next((d for d in _REFERENCE_DIRS if (d / "luxi.md").exists()), None)
needs_reference = pytest.mark.skipif(REFERENCE is None, reason="shared/reference not available")


# ------------------------------------------------------------ a small table


def _getter(name):
    return lambda ctx, item: item[name] if name in item else query.FS_UNAVAIL


TOY = query.make_table(
    [
        field("name", "Name", QFT_TEXT, "Name", "toy:config", _getter("name"), QFF_HOSTNAME),
        field("count", "Count", QFT_NUMBER, "Count", "toy:config", _getter("count")),
        field("size", "Size", QFT_UNIT, "Size", "toy:live", _getter("size")),
        field("flag", "Flag", QFT_BOOL, "Flag", "toy:config", _getter("flag")),
        field("tags", "Tags", QFT_OTHER, "Tags", None, _getter("tags")),
        field("note", "Note", QFT_TEXT, "Note", None, _getter("note")),
        field("when", "When", QFT_TIMESTAMP, "When", None, _getter("when")),
        field("ts", "Ts", QFT_OTHER, "Split ts", None, _getter("ts"), QFF_SPLIT_TIMESTAMP),
    ],
    aliases=[("alias", "count")],
)

ITEMS = [
    {"name": "node10.example.com", "count": 10, "size": 2048, "flag": True, "tags": ["a", "b"],
     "note": "x", "when": 100.0, "ts": [100, 500000]},
    {"name": "node2.example.com", "count": 2, "flag": False, "tags": [], "note": "Web",
     "when": 50, "ts": [50, 0]},
    {"name": "web1", "count": 0, "size": 0, "flag": False, "tags": ["b"], "ts": None},
]  # fmt: skip


def _names(qfilter):
    q = query.Query(TOY, ["name"], qfilter)
    return [row[0][1] for row in q.query(ITEMS)]


def test_rows_statuses_and_sorting():
    q = query.Query(TOY, ["name", "size", "alias", "bogus"])
    rows = q.query(ITEMS)
    # nice sort by name: node2 before node10
    assert [r[0][1] for r in rows] == ["node2.example.com", "node10.example.com", "web1"]
    assert rows[0] == [
        [RS_NORMAL, "node2.example.com"],
        [RS_UNAVAIL, None],
        [RS_NORMAL, 2],
        [RS_UNKNOWN, None],
    ]
    assert q.query(ITEMS, sort_by_name=False)[0][0] == [RS_NORMAL, "node10.example.com"]
    assert q.get_fields()[3] == {
        "name": "bogus",
        "title": "bogus",
        "kind": "unknown",
        "doc": "Unknown field 'bogus'",
    }
    assert q.get_fields()[2]["name"] == "alias"
    assert q.get_fields()[2]["title"] == "Count"
    assert q.has_unknown_fields()


def test_old_style_query():
    q = query.Query(TOY, ["name", "size"])
    assert q.old_style_query(ITEMS)[0] == ["node2.example.com", None]
    with pytest.raises(errors.OpPrereqError) as info:
        query.Query(TOY, ["name", "nope", "zap"]).old_style_query(ITEMS)
    assert info.value.args == ("Unknown output fields selected: nope, zap", errors.ECODE_INVAL)


def test_requested_data():
    assert query.Query(TOY, ["name", "tags"]).requested_data() == {"toy:config"}
    assert query.Query(TOY, ["tags"]).requested_data() == frozenset()
    assert query.Query(TOY, ["tags"], [">", "size", 1]).requested_data() == {"toy:live"}
    assert query.Query(TOY, ["size", "x"], ["?", "flag"]).requested_data() == {
        "toy:live",
        "toy:config",
    }


@pytest.mark.parametrize(
    "qfilter,names",
    [
        (None, None),
        (["=", "name", "a"], ["a"]),
        (["==", "name", "a"], ["a"]),
        (["|", ["=", "name", "a"], ["==", "name", "b"], ["=", "name", "a"]], ["a", "b"]),
        (["|"], []),
        (["|", ["=", "name", "a"], ["?", "flag"]], None),
        (["&", ["?", "flag"], ["|", ["=", "name", "a"], ["=", "name", "b"]]], ["a", "b"]),
        (["&", ["=", "name", "a"], ["=", "name", "b"]], ["a"]),
        (["&", ["?", "flag"]], None),
        (["!", ["=", "name", "a"]], None),
        (["=~", "name", "a"], None),
        (["!=", "name", "a"], None),
        (["=", "note", "a"], None),
    ],
)
def test_requested_names(qfilter, names):
    assert query.Query(TOY, ["count"], qfilter).requested_names() == names


def test_requested_names_without_namefield():
    assert query.Query(TOY, ["count"], ["=", "name", "a"], namefield=None).requested_names() is None
    assert query.Query(TOY, ["count"], ["=", "name", "a"], namefield="zz").requested_names() is None


@pytest.mark.parametrize(
    "qfilter,expected",
    [
        (["=", "name", "web1"], ["web1"]),
        (["==", "name", "NODE2"], ["node2.example.com"]),  # hostname: short, any case
        (["==", "name", "node2.example"], ["node2.example.com"]),
        (["==", "name", "node"], []),
        (["!=", "name", "web1"], ["node2.example.com", "node10.example.com"]),
        (["==", "count", 2], ["node2.example.com"]),
        (["==", "count", "2"], ["node2.example.com"]),  # numbers compare as numbers
        ([">", "count", 5], ["node10.example.com"]),
        (["<", "count", "10"], ["node2.example.com", "web1"]),
        (["<=", "count", 2], ["node2.example.com", "web1"]),
        ([">=", "count", 2.5], ["node10.example.com"]),
        ([">", "size", -1], ["node10.example.com", "web1"]),  # unavailable never matches
        (["!=", "size", 0], ["node10.example.com"]),
        (["!", ["==", "size", 0]], ["node2.example.com", "node10.example.com"]),
        (["==", "flag", True], ["node10.example.com"]),
        (["==", "flag", 0], ["node2.example.com", "web1"]),
        (["?", "flag"], ["node10.example.com"]),
        (["?", "tags"], ["node10.example.com", "web1"]),
        (["?", "size"], ["node10.example.com"]),
        (["=[]", "tags", "b"], ["node10.example.com", "web1"]),
        (["=[]", "note", "e"], ["node2.example.com"]),
        (["=~", "name", "^node"], ["node2.example.com", "node10.example.com"]),
        (["=~", "name", "(?i)^WEB"], ["web1"]),
        (["=~", "tags", "^a$"], ["node10.example.com"]),
        (["=~", "note", "."], ["node2.example.com", "node10.example.com"]),
        (["<", "note", "a"], ["node2.example.com"]),  # strings compare as strings
        ([">", "when", 60], ["node10.example.com"]),
        (["==", "ts", 50], ["node2.example.com"]),
        ([">", "ts", [100, 0]], ["node10.example.com"]),
        (["&", ["?", "tags"], ["<", "count", 5]], ["web1"]),
        (["|", ["==", "count", 0], ["==", "count", 10]], ["node10.example.com", "web1"]),
        (["&"], ["node2.example.com", "node10.example.com", "web1"]),
        (["|"], []),
        (["!", ["|", ["?", "flag"], ["=", "name", "web1"]]], ["node2.example.com"]),
    ],
)
def test_filter_evaluation(qfilter, expected):
    assert _names(qfilter) == expected


def test_filter_on_text_syntax():
    from ganeti import qlang

    assert _names(qlang.parse_filter('count > 1 and "a" in tags')) == ["node10.example.com"]
    assert _names(qlang.parse_filter('name =* "node*"')) == [
        "node2.example.com",
        "node10.example.com",
    ]
    assert _names(qlang.parse_filter("not flag and name !~ /^web/")) == ["node2.example.com"]


@pytest.mark.parametrize(
    "qfilter,message",
    [
        ([], "Invalid filter"),
        ("name", "Invalid filter"),
        (["~~", "name", "x"], "Unknown operator"),
        ([5, "name"], "Unknown operator"),
        (["==", "nosuch", 1], "Unknown field 'nosuch'"),
        (["?", "nosuch"], "Unknown field 'nosuch'"),
        (["?", 5], "must be a string"),
        (["?"], "exactly one operand"),
        (["!", ["?", "flag"], ["?", "flag"]], "exactly one operand"),
        (["==", "name"], "exactly two operands"),
        (["==", "name", "a", "b"], "exactly two operands"),
        (["==", "name", 5], "is text"),
        (["==", "count", "many"], "is numeric"),
        (["==", "count", True], "is numeric"),
        (["<", "size", None], "is numeric"),
        (["==", "flag", "yes"], "is boolean"),
        (["==", "flag", 2], "is boolean"),
        (["=~", "name", 5], "must be a string"),
        (["=~", "name", "("], "Invalid regular expression"),
        (["=~", "count", "1"], "cannot be matched"),
        (["=[]", "count", 1], "is not a list"),
        (["=[]", "note", 1], "is text"),
        (["==", "ts", "soon"], "is a timestamp"),
        (["&", ["?", "flag"], ["bad"]], "Unknown operator"),
    ],
)
def test_filter_errors(qfilter, message):
    with pytest.raises(errors.OpPrereqError) as info:
        query.Query(TOY, ["name"], qfilter)
    assert message in info.value.args[0]
    assert info.value.args[1] == errors.ECODE_INVAL


def test_filter_depth_limit():
    deep = ["?", "flag"]
    for _ in range(query.MAX_FILTER_DEPTH - 1):
        deep = ["!", deep]
    query.Query(TOY, ["name"], deep)
    with pytest.raises(errors.OpPrereqError):
        query.Query(TOY, ["name"], ["!", deep])


def test_bad_field_lists():
    for selected in ("name", None, [1], ["name", None]):
        with pytest.raises(errors.OpPrereqError):
            query.Query(TOY, selected)


def test_make_table_checks():
    ok = field("a", "A", QFT_TEXT, "A", None, _getter("a"))
    with pytest.raises(errors.ProgrammerError):
        query.make_table([ok, ok])
    with pytest.raises(errors.ProgrammerError):
        query.make_table([field("A b", "A", QFT_TEXT, "A", None, _getter("a"))])
    with pytest.raises(errors.ProgrammerError):
        query.make_table([field("a", "A b", QFT_TEXT, "A", None, _getter("a"))])
    with pytest.raises(errors.ProgrammerError):
        query.make_table([field("a", "A", "weird", "A", None, _getter("a"))])
    with pytest.raises(errors.ProgrammerError):
        query.make_table([field("a", "A", QFT_TEXT, "A", None, _getter("a"), 0x100)])
    with pytest.raises(errors.ProgrammerError):
        query.make_table([ok], aliases=[("b", "missing")])


def test_query_fields_and_response():
    all_fields = query.query_fields(TOY, None)["fields"]
    assert [f["name"] for f in all_fields] == sorted(TOY)
    assert query.query_fields(TOY, ["flag", "zz"]) == {
        "fields": [
            {"name": "flag", "title": "Flag", "kind": "bool", "doc": "Flag"},
            {"name": "zz", "title": "zz", "kind": "unknown", "doc": "Unknown field 'zz'"},
        ]
    }
    response = query.build_response(query.Query(TOY, ["count"], ["==", "name", "web1"]), ITEMS)
    assert response == {
        "fields": [{"name": "count", "title": "Count", "kind": "number", "doc": "Count"}],
        "data": [[[RS_NORMAL, 0]]],
    }
    json.dumps(response)


def test_field_definition_dict():
    fdef = query.FieldDefinition("a", "A", QFT_TEXT, "Doc")
    assert query.FieldDefinition.from_dict(fdef.to_dict()) == fdef


def test_format_result_value():
    fmt = query.format_result_value
    assert fmt(RS_NORMAL, "x", QFT_TEXT) == "x"
    assert fmt(RS_NORMAL, True, QFT_BOOL) == "Y"
    assert fmt(RS_NORMAL, False, QFT_BOOL) == "N"
    assert fmt(RS_NORMAL, 2048, QFT_UNIT) == "2.0G"
    assert fmt(RS_NORMAL, 2048, QFT_UNIT, unit="m") == "2048"
    assert fmt(RS_NORMAL, 5, QFT_NUMBER) == "5"
    assert fmt(RS_NORMAL, ["a", "b"], QFT_OTHER) == "a,b"
    assert fmt(RS_NORMAL, None, QFT_OTHER) == "-"
    assert fmt(RS_NORMAL, {"b": 1, "a": True}, QFT_OTHER) == "a=Y,b=1"
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", fmt(RS_NORMAL, 0, QFT_TIMESTAMP))
    short = [fmt(s, None) for s in (RS_UNKNOWN, RS_NODATA, RS_UNAVAIL, RS_OFFLINE)]
    assert short == ["??", "?", "-", "*"]
    verbose = [fmt(s, None, verbose=True) for s in (RS_UNKNOWN, RS_NODATA, RS_UNAVAIL, RS_OFFLINE)]
    assert verbose == ["(unknown)", "(nodata)", "(unavail)", "(offline)"]


def test_import_is_cheap_and_lazy():
    code = (
        "import sys; from ganeti import query;"
        "assert 'ganeti.query_fields.instance' not in sys.modules;"
        "assert 'pyparsing' not in sys.modules;"
        "assert len(query.NODE_FIELDS) == 46;"
        "assert 'ganeti.query_fields.instance' not in sys.modules;"
        "from ganeti.query import InstanceQueryData;"
        "assert 'ganeti.query_fields.instance' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": LIB})


def test_get_fields_table():
    assert query.get_fields_table(constants.QR_NODE) is query.NODE_FIELDS
    assert set(query.ALL_FIELDS) == {
        constants.QR_CLUSTER,
        constants.QR_INSTANCE,
        constants.QR_NODE,
        constants.QR_LOCK,
        constants.QR_GROUP,
        constants.QR_OS,
        constants.QR_EXTSTORAGE,
        constants.QR_JOB,
        constants.QR_EXPORT,
        constants.QR_NETWORK,
        constants.QR_FILTER,
    }
    for bad in ("nosuch", None, 5):
        with pytest.raises(errors.OpPrereqError):
            query.get_fields_table(bad)
    with pytest.raises(AttributeError):
        query.NOSUCH_THING  # noqa: B018


# --------------------------------------------------- tables vs luxi.md


def _parse_luxi_tables(text):
    """resource -> {"count": N, "fields": {name: (kind, title)}, "families": {prefix: names}}."""
    resources = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^### (\w+) \((\d+) fields incl\. indexed\)", line)
        if match:
            current = resources[match.group(1)] = {
                "count": int(match.group(2)),
                "fields": {},
                "families": {},
            }
            continue
        if line.startswith("#"):
            current = None
            continue
        if current is None or not line.startswith("| ") or line.startswith("| field"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        name, kind, title, extra = cells[0], cells[1], cells[2], cells[3]
        if "&lt;param&gt;" in name:
            prefix = name.split("&lt;")[0]
            params = extra.split(":", 1)[1].split(",")
            current["families"][prefix] = {re.match(r"\s*([a-z0-9_]+)", p).group(1) for p in params}
        elif name.endswith("/N"):
            count = constants.MAX_DISKS if name.startswith("disk.") else constants.MAX_NICS
            for index in range(count):
                current["fields"][name[:-1] + str(index)] = (kind, title[:-1] + str(index))
        else:
            current["fields"][name] = (kind, title)
    return resources


#: Fields we offer beyond Ganeti 3.0.2 (the KVM machine type added in 3.1).
_EXTRAS = {"instance": {"hv/machine_type"}}


@needs_reference
def test_tables_match_luxi_reference():
    luxi = _parse_luxi_tables((REFERENCE / "luxi.md").read_text())
    assert set(luxi) == set(query.ALL_FIELDS)
    for resource, spec in luxi.items():
        table = query.get_fields_table(resource)
        family_count = sum(len(v) for v in spec["families"].values())
        assert len(spec["fields"]) + family_count == spec["count"], resource
        ours = set(table) - _EXTRAS.get(resource, set())
        assert len(ours) == spec["count"], resource
        for name, (kind, title) in spec["fields"].items():
            assert name in table, (resource, name)
            fdef = table[name].fdef
            assert (fdef.kind, fdef.title) == (kind, title), (resource, name)
        for prefix, params in spec["families"].items():
            offered = {n[len(prefix) :] for n in ours if n.startswith(prefix)}
            assert offered == params, (resource, prefix)


def test_parameter_field_kinds_and_titles():
    inst = query.INSTANCE_FIELDS
    assert inst["hv/acpi"].fdef.kind == QFT_BOOL and inst["hv/acpi"].fdef.title == "ACPI"
    assert inst["hv/kernel_path"].fdef.kind == QFT_OTHER  # strings may be empty
    assert inst["hv/cpu_cap"].fdef.kind == QFT_NUMBER
    assert inst["hv/cpu_cap"].fdef.title == "hv/cpu_cap"
    assert "hv/migration_port" not in inst  # cluster-wide parameter
    assert inst["be/maxmem"].fdef.kind == QFT_UNIT
    assert inst["be/maxmem"].fdef.title == "ConfigMaxMem"
    assert inst["be/memory"].fdef.title == "ConfigMaxMem"
    node = query.NODE_FIELDS
    assert node["ndp/cpu_speed"].fdef.kind == constants.QFT_NUMBER_FLOAT
    assert node["ndp/spindle_count"].fdef.title == "SpindleCount"
    assert query.GROUP_FIELDS["ndp/ssh_port"].fdef.kind == QFT_NUMBER


# --------------------------------------------------- sample cluster fixture


def _ns(data):
    return NS(**copy.deepcopy(data))


def _load_sample(kind):
    if REFERENCE is None:
        pytest.skip("shared/reference not available")
    base = REFERENCE / "samples"
    config = json.loads((base / "config.data.json").read_text())
    if kind == "objects":
        from ganeti import objects

        data = objects.ConfigData.from_dict(config)
        cluster, nodes, groups = data.cluster, data.nodes, data.nodegroups
        disks, instances = data.disks, data.instances
    else:
        cluster = _ns(config["cluster"])
        nodes = {u: _ns(n) for (u, n) in config["nodes"].items()}
        groups = {u: _ns(g) for (u, g) in config["nodegroups"].items()}
        disks = {u: _ns(d) for (u, d) in config["disks"].items()}
        instances = {}
        for uuid, data in config["instances"].items():
            data = copy.deepcopy(data)
            data["nics"] = [_ns(n) for n in data["nics"]]
            instances[uuid] = NS(**data)
    return NS(
        cluster=cluster,
        nodes=nodes,
        groups=groups,
        disks=disks,
        instances=instances,
        rapi_instance=json.loads((base / "rapi-instance.json").read_text()),
        rapi_node=json.loads((base / "rapi-node.json").read_text()),
    )


@pytest.fixture(scope="module", params=["fakes", "objects"])
def sample(request):
    """The real 3.0.2 sample cluster, as duck-typed fakes and as ganeti.objects."""
    return _load_sample(request.param)


def _by_name(objs, name):
    return next(o for o in objs.values() if o.name == name)


def test_instance_matches_real_rapi_answer(sample):
    db1 = _by_name(sample.instances, "db1")
    ctx = query.InstanceQueryData(
        instances=list(sample.instances.values()),
        cluster=sample.cluster,
        nodes=sample.nodes,
        groups=sample.groups,
        disks=sample.disks,
        live_data={db1.uuid: {"state": query.HV_STATE_RUNNING, "memory": 128, "vcpus": 1}},
    )
    expected = sample.rapi_instance
    fields = list(expected)
    q = query.Query(query.INSTANCE_FIELDS, fields, ["=", "name", "db1"])
    assert q.requested_names() == ["db1"]
    (row,) = q.old_style_query(ctx)
    assert dict(zip(fields, row)) == expected


def test_node_matches_real_rapi_answer(sample):
    expected = sample.rapi_node
    node1 = _by_name(sample.nodes, "node1")
    live_keys = [name for (name, e) in query.NODE_FIELDS.items() if e.datakind == query.NQ_LIVE]
    primary, secondary = query.instances_by_node(sample.instances.values(), sample.disks)
    ctx = query.NodeQueryData(
        nodes=list(sample.nodes.values()),
        cluster=sample.cluster,
        groups=sample.groups,
        live_data={node1.uuid: {k: expected[k] for k in live_keys if k in expected}},
        node_to_primary=primary,
        node_to_secondary=secondary,
    )
    fields = [name for name in expected if name in query.NODE_FIELDS]
    assert len(fields) == len(expected) - 1  # all but RAPI's own "secondary_ip"
    q = query.Query(query.NODE_FIELDS, fields, ["==", "name", "node1"])
    assert query.NQ_LIVE in q.requested_data() and query.NQ_INST in q.requested_data()
    (row,) = q.old_style_query(ctx)
    assert dict(zip(fields, row)) == {k: expected[k] for k in fields}
    # the other nodes answered nothing: no data, but config fields still there
    rows = query.Query(query.NODE_FIELDS, ["name", "mfree", "role", "group"]).query(ctx)
    assert [r[0][1] for r in rows] == ["node1", "node2", "node3"]
    assert rows[1] == [[0, "node2"], [RS_NODATA, None], [0, "C"], [0, "default"]]


# ----------------------------------------------------------------- nodes


def _node(name, uuid, **kw):
    base = dict(
        name=name, uuid=uuid, primary_ip="10.0.0.1", secondary_ip="10.0.1.1",
        master_candidate=False, offline=False, drained=False, group="g1",
        master_capable=True, vm_capable=True, ndparams={}, powered=True, tags=[],
        serial_no=1, ctime=1.0, mtime=2.0,
    )  # fmt: skip
    base.update(kw)
    return NS(**base)


def _cluster(**kw):
    base = dict(
        master_node="u1", ndparams={"spindle_count": 2, "ssh_port": 22}, hvparams={},
        os_hvp={}, beparams={"default": dict(constants.BEC_DEFAULTS)}, osparams={},
        nicparams={"default": dict(constants.NICC_DEFAULTS)}, enabled_user_shutdown=False,
        ipolicy=copy.deepcopy(constants.IPOLICY_DEFAULTS), diskparams={}, tags=["ct"],
        cluster_name="cluster.example.com", volume_group_name=None, ctime=1.0, mtime=2.0,
    )  # fmt: skip
    base.update(kw)
    return NS(**base)


def test_node_fields():
    nodes = [
        _node("n1", "u1", master_candidate=True, tags=["t1"]),
        _node("n2", "u2", offline=True, ndparams={"ssh_port": 2222}),
        _node("n3", "u3", vm_capable=False, drained=True),
        _node("n4", "u4", group="missing"),
        _node("n5", "u5", master_candidate=True),
    ]
    groups = {"g1": NS(name="grp", uuid="g1", ndparams={"spindle_count": 3})}
    ctx = query.NodeQueryData(
        nodes=nodes,
        cluster=_cluster(),
        groups=groups,
        live_data={
            "u1": {"mfree": "1024", "bootid": "b1", "dfree": None, "ctotal": "x"},
            "u4": {"mfree": 5},
        },
        node_to_primary={"u1": ["i10", "i9"]},
        node_to_secondary={},
        oob_support={"u1": True},
    )
    fields = [
        "name", "role", "master", "mfree", "bootid", "dfree", "ctotal", "pinst_cnt",
        "pinst_list", "sinst_cnt", "group", "ndp/spindle_count", "ndp/ssh_port",
        "powered", "tags", "custom_ndparams", "hv_state", "mnode",
    ]  # fmt: skip
    rows = {r[0][1]: [v for (_, v) in r] for r in query.Query(query.NODE_FIELDS, fields).query(ctx)}
    statuses = {
        r[0][1]: [s for (s, _) in r] for r in query.Query(query.NODE_FIELDS, fields).query(ctx)
    }
    assert rows["n1"][:11] == ["n1", "M", True, 1024, "b1", None, None, 2, ["i9", "i10"], 0, "grp"]
    assert statuses["n1"][5:7] == [RS_UNAVAIL, RS_UNAVAIL]  # None / not a number
    assert rows["n1"][11:15] == [3, 22, True, ["t1"]]
    assert statuses["n1"][16:] == [RS_UNAVAIL, RS_UNAVAIL]  # no hv_state; mnode not sent
    assert rows["n5"][1] == "C"
    assert rows["n3"][1] == "D"
    assert rows["n2"][1] == "O"
    assert statuses["n2"][3] == RS_OFFLINE
    assert rows["n2"][12] == 2222  # node overrides group overrides cluster
    assert statuses["n2"][13] == RS_UNAVAIL  # no OOB support
    assert statuses["n3"][3] == RS_UNAVAIL  # not vm_capable
    assert rows["n4"][3] == 5 and statuses["n4"][10] == RS_UNAVAIL  # unknown group
    assert statuses["n4"][11] == RS_UNAVAIL
    assert statuses["n5"][3] == RS_NODATA
    assert rows["n4"][15] == {}


def test_node_without_optional_data():
    ctx = query.NodeQueryData(nodes=[_node("n1", "u1")], cluster=_cluster())
    rows = query.Query(query.NODE_FIELDS, ["pinst_cnt", "mfree", "powered", "ndparams"]).query(ctx)
    assert [s for (s, _) in rows[0]] == [RS_UNAVAIL, RS_NODATA, RS_UNAVAIL, RS_UNAVAIL]


def test_node_filter_on_live_data():
    ctx = query.NodeQueryData(
        nodes=[_node("n1", "u1"), _node("n2", "u2")],
        cluster=_cluster(),
        live_data={"u1": {"mfree": 100}, "u2": {"mfree": 5000}},
    )
    q = query.Query(query.NODE_FIELDS, ["name"], [">", "mfree", 1000])
    assert q.requested_data() == {query.NQ_CONFIG, query.NQ_LIVE}
    assert q.old_style_query(ctx) == [["n2"]]


# ------------------------------------------------------------- instances


def _inst(name, uuid, **kw):
    base = dict(
        name=name, uuid=uuid, primary_node="n1", os="debian+min", hypervisor="kvm",
        hvparams={}, beparams={}, osparams={}, admin_state="up", admin_state_source="admin",
        nics=[], disks=[], disk_template=None, disks_active=True, network_port=None,
        tags=[], serial_no=1, ctime=1.0, mtime=2.0,
    )  # fmt: skip
    base.update(kw)
    return NS(**base)


def _status(inst, **ctx_kw):
    cluster = ctx_kw.pop("cluster", None) or _cluster(hvparams={"kvm": {"user_shutdown": False}})
    ctx = query.InstanceQueryData(instances=[inst], cluster=cluster, **ctx_kw)
    ((status,),) = query.Query(query.INSTANCE_FIELDS, ["status"]).old_style_query(ctx)
    assert status == query.instance_status(ctx, inst)
    return status


RUN = {"state": query.HV_STATE_RUNNING, "memory": 512, "vcpus": 2}
SHUT = {"state": query.HV_STATE_SHUTDOWN}


@pytest.mark.parametrize(
    "inst_kw,ctx_kw,expected",
    [
        ({}, {"live_data": {"i": RUN}}, constants.INSTST_RUNNING),
        ({}, {"offline_nodes": {"n1"}, "bad_nodes": {"n1"}}, constants.INSTST_NODEOFFLINE),
        ({}, {"offline_nodes": {"n1"}}, constants.INSTST_NODEOFFLINE),
        ({}, {"bad_nodes": {"n1"}}, constants.INSTST_NODEDOWN),
        ({}, {"live_data": {"i": RUN}, "wrong_node": {"i"}}, constants.INSTST_WRONGNODE),
        ({}, {}, constants.INSTST_ERRORDOWN),
        ({}, {"live_data": {"i": SHUT}}, constants.INSTST_ERRORDOWN),
        ({"admin_state": "down"}, {"live_data": {"i": RUN}}, constants.INSTST_ERRORUP),
        ({"admin_state": "down"}, {"live_data": {"i": SHUT}}, constants.INSTST_ADMINDOWN),
        ({"admin_state": "down"}, {}, constants.INSTST_ADMINDOWN),
        ({"admin_state": "down", "admin_state_source": "user"}, {}, constants.INSTST_USERDOWN),
        ({"admin_state": "offline"}, {}, constants.INSTST_ADMINOFFLINE),
        ({"admin_state": "offline"}, {"live_data": {"i": RUN}}, constants.INSTST_ERRORUP),
        # user shutdown: needs the cluster switch, and for KVM the hv parameter
        (
            {},
            {"live_data": {"i": SHUT}, "cluster": _cluster(enabled_user_shutdown=True)},
            constants.INSTST_ERRORDOWN,
        ),
        (
            {"hvparams": {"user_shutdown": True}},
            {"live_data": {"i": SHUT}, "cluster": _cluster(enabled_user_shutdown=True)},
            constants.INSTST_USERDOWN,
        ),
        (
            {"hypervisor": "xen-pvm"},
            {"live_data": {"i": SHUT}, "cluster": _cluster(enabled_user_shutdown=True)},
            constants.INSTST_USERDOWN,
        ),
        (
            {"hypervisor": "xen-pvm"},
            {"live_data": {"i": {"state": "shutdown"}}, "cluster": _cluster()},
            constants.INSTST_ERRORDOWN,
        ),
    ],
)
def test_instance_status_rules(inst_kw, ctx_kw, expected):
    assert _status(_inst("a", "i", **inst_kw), **ctx_kw) == expected


def test_instance_live_fields():
    inst = _inst("a", "i")
    fields = ["oper_state", "oper_ram", "oper_vcpus"]

    def run(**ctx_kw):
        ctx = query.InstanceQueryData(instances=[inst], cluster=_cluster(), **ctx_kw)
        return query.Query(query.INSTANCE_FIELDS, fields).query(ctx)[0]

    assert run(live_data={"i": RUN}) == [[0, True], [0, 512], [0, 2]]
    assert run() == [[0, False], [RS_UNAVAIL, None], [RS_UNAVAIL, None]]
    assert run(bad_nodes={"n1"}) == [[RS_NODATA, None]] * 3
    assert run(offline_nodes={"n1"}) == [[RS_NODATA, None]] * 3


def _rich_ctx():
    cluster = _cluster(
        hvparams={"kvm": {"kernel_path": "/k", "acpi": True, "migration_port": 8102}},
        os_hvp={"debian": {"kvm": {"acpi": False}}},
        osparams={"debian": {"a": "1"}, "debian+min": {"b": "2"}},
    )
    nodes = {
        "n1": NS(name="node1", group="g1"),
        "n2": NS(name="node2", group="g2"),
    }
    groups = {"g1": NS(name="grp1"), "g2": NS(name="grp2")}
    disks = {
        "d0": NS(uuid="d0", size=1024, spindles=None, name="root", nodes=["n1", "n2"],
                 dev_type="drbd"),
        "d1": NS(uuid="d1", size=2048, spindles=2, name=None, nodes=["n1", "n2"],
                 dev_type="drbd"),
    }  # fmt: skip
    networks = {"net1": NS(name="public")}
    nics = [
        NS(mac="aa:00:00:00:00:01", ip="192.0.2.5", network="net1", nicparams={}, name="eth0",
           uuid="nic0"),
        NS(mac="aa:00:00:00:00:02", ip=None, network=None,
           nicparams={"mode": "openvswitch", "link": "ovs0", "vlan": "100"}, name=None,
           uuid="nic1"),
        NS(mac="aa:00:00:00:00:03", nicparams={"mode": "routed", "link": "rt"}, uuid="nic2"),
    ]  # fmt: skip
    inst = _inst(
        "web1.example.com", "i1", nics=nics, disks=["d0", "d1"], hvparams={"kernel_path": "/mine"},
        beparams={"maxmem": 1024}, osparams={"c": "3"}, tags=["x", "y"],
    )  # fmt: skip
    return query.InstanceQueryData(
        instances=[inst], cluster=cluster, nodes=nodes, groups=groups, disks=disks,
        networks=networks, console={"i1": {"kind": "vnc"}},
    )  # fmt: skip


def _one(ctx, fields):
    (row,) = query.Query(query.INSTANCE_FIELDS, fields).query(ctx)
    return dict(zip(fields, row))


def test_instance_config_fields():
    got = _one(
        _rich_ctx(),
        ["pnode", "pnode.group", "pnode.group.uuid", "snodes", "snodes.group",
         "snodes.group.uuid", "disk_template", "disk_usage", "disk.count", "disk.sizes",
         "disk.spindles", "disk.names", "disk.uuids", "disk.size/0", "disk.spindles/0",
         "disk.spindles/1", "disk.name/1", "disk.uuid/1", "disk.size/2", "sda_size", "sdb_size",
         "tags", "console", "admin_up", "forthcoming", "network_port"],
    )  # fmt: skip
    value = {k: v[1] for (k, v) in got.items()}
    status = {k: v[0] for (k, v) in got.items()}
    assert value["pnode"] == "node1"
    assert value["pnode.group"] == "grp1" and value["pnode.group.uuid"] == "g1"
    assert value["snodes"] == ["node2"]
    assert value["snodes.group"] == ["grp2"] and value["snodes.group.uuid"] == ["g2"]
    assert value["disk_template"] == "drbd"
    assert value["disk_usage"] == 1024 + 2048 + 2 * constants.DRBD_META_SIZE
    assert value["disk.count"] == 2 and value["disk.sizes"] == [1024, 2048]
    assert value["disk.spindles"] == [None, 2] and value["disk.names"] == ["root", None]
    assert value["disk.uuids"] == ["d0", "d1"]
    assert value["disk.size/0"] == 1024 and value["sda_size"] == 1024
    assert value["sdb_size"] == 2048
    assert status["disk.spindles/0"] == RS_UNAVAIL and value["disk.spindles/1"] == 2
    assert status["disk.name/1"] == RS_UNAVAIL and value["disk.uuid/1"] == "d1"
    assert status["disk.size/2"] == RS_UNAVAIL
    assert value["tags"] == ["x", "y"] and value["console"] == {"kind": "vnc"}
    assert value["admin_up"] is True and value["forthcoming"] is False
    assert status["network_port"] == RS_NORMAL and value["network_port"] is None


def test_instance_nic_fields():
    got = _one(
        _rich_ctx(),
        ["nic.count", "nic.macs", "nic.ips", "nic.names", "nic.uuids", "nic.modes", "nic.links",
         "nic.vlans", "nic.bridges", "nic.networks", "nic.networks.names", "nic.ip/0",
         "nic.ip/1", "nic.name/1", "nic.mode/1", "nic.link/0", "nic.bridge/0", "nic.bridge/1",
         "nic.vlan/0", "nic.vlan/1", "nic.network/0", "nic.network/1", "nic.network.name/0",
         "nic.mac/2", "nic.mac/3", "ip", "mac", "bridge", "nic_mode", "nic_link", "nic_network",
         "custom_nicparams"],
    )  # fmt: skip
    value = {k: v[1] for (k, v) in got.items()}
    status = {k: v[0] for (k, v) in got.items()}
    assert value["nic.count"] == 3
    assert value["nic.macs"][1] == "aa:00:00:00:00:02"
    assert value["nic.ips"] == ["192.0.2.5", None, None]
    assert value["nic.names"] == ["eth0", None, None]
    assert value["nic.uuids"] == ["nic0", "nic1", "nic2"]
    assert value["nic.modes"] == ["bridged", "openvswitch", "routed"]
    assert value["nic.links"] == ["xen-br0", "ovs0", "rt"]
    assert value["nic.vlans"] == ["", "100", None]
    assert value["nic.bridges"] == ["xen-br0", None, None]
    assert value["nic.networks"] == ["net1", None, None]
    assert value["nic.networks.names"] == ["public", None, None]
    assert value["nic.ip/0"] == "192.0.2.5" and status["nic.ip/1"] == RS_UNAVAIL
    assert status["nic.name/1"] == RS_UNAVAIL and value["nic.mode/1"] == "openvswitch"
    assert value["nic.link/0"] == "xen-br0" and value["nic.bridge/0"] == "xen-br0"
    assert status["nic.bridge/1"] == RS_UNAVAIL
    assert status["nic.vlan/0"] == RS_UNAVAIL and value["nic.vlan/1"] == "100"
    assert value["nic.network/0"] == "net1" and status["nic.network/1"] == RS_UNAVAIL
    assert value["nic.network.name/0"] == "public"
    assert value["nic.mac/2"] == "aa:00:00:00:00:03" and status["nic.mac/3"] == RS_UNAVAIL
    assert [value[k] for k in ("ip", "mac", "bridge", "nic_mode", "nic_link", "nic_network")] == [
        "192.0.2.5", "aa:00:00:00:00:01", "xen-br0", "bridged", "xen-br0", "net1",
    ]  # fmt: skip
    assert value["custom_nicparams"][1]["mode"] == "openvswitch"


def test_instance_parameter_fields():
    got = _one(
        _rich_ctx(),
        ["hvparams", "hv/kernel_path", "hv/acpi", "hv/cpu_cap", "custom_hvparams", "beparams",
         "be/maxmem", "be/memory", "be/vcpus", "vcpus", "custom_beparams", "osparams",
         "custom_osparams"],
    )  # fmt: skip
    value = {k: v[1] for (k, v) in got.items()}
    status = {k: v[0] for (k, v) in got.items()}
    # instance over per-OS (base name) over cluster; no cluster-wide globals
    assert value["hvparams"] == {"kernel_path": "/mine", "acpi": False}
    assert value["hv/kernel_path"] == "/mine" and value["hv/acpi"] is False
    assert status["hv/cpu_cap"] == RS_UNAVAIL
    assert value["custom_hvparams"] == {"kernel_path": "/mine"}
    assert value["beparams"]["maxmem"] == 1024 and value["beparams"]["memory"] == 1024
    assert value["beparams"]["minmem"] == 128
    assert value["be/maxmem"] == 1024 and value["be/memory"] == 1024
    assert value["be/vcpus"] == 1 and value["vcpus"] == 1
    assert value["custom_beparams"] == {"maxmem": 1024}
    assert value["osparams"] == {"a": "1", "b": "2", "c": "3"}
    assert value["custom_osparams"] == {"c": "3"}


def test_instance_filters_and_names():
    ctx = query.InstanceQueryData(
        instances=[_inst("web1.example.com", "i1"), _inst("db1", "i2", admin_state="down")],
        cluster=_cluster(),
        nodes={"n1": NS(name="node1", group="g")},
    )
    q = query.Query(query.INSTANCE_FIELDS, ["name"], ["|", ["=", "name", "web1"]])
    assert q.requested_names() == ["web1"]
    assert q.old_style_query(ctx) == [["web1.example.com"]]
    q = query.Query(query.INSTANCE_FIELDS, ["name"], ["==", "status", "ADMIN_down"])
    assert q.requested_data() == {query.IQ_CONFIG, query.IQ_LIVE}
    assert q.old_style_query(ctx) == [["db1"]]
    q = query.Query(query.INSTANCE_FIELDS, ["name"], ["==", "pnode", "NODE1"])
    assert q.requested_data() == {query.IQ_CONFIG, query.IQ_NODES}
    assert len(q.old_style_query(ctx)) == 2


def test_instance_disk_usage_override_and_layouts():
    disk = NS(uuid="d", size=100, nodes=["n1"], dev_type="plain")
    inst = _inst("a", "i", disks=[disk], disk_template="plain")  # disk objects, not uuids
    ctx = query.InstanceQueryData(instances=[inst], cluster=_cluster())
    assert _one(ctx, ["disk_usage", "disk.sizes", "snodes"]) == {
        "disk_usage": [0, 100],
        "disk.sizes": [0, [100]],
        "snodes": [0, []],
    }
    ctx.disk_usage = {"i": None}
    assert _one(ctx, ["disk_usage"]) == {"disk_usage": [0, 0]}
    missing = _inst("b", "j", disks=["gone"])
    ctx = query.InstanceQueryData(instances=[missing], cluster=_cluster())
    got = _one(ctx, ["disk_usage", "disk.count", "disk.uuids", "disk_template", "pnode"])
    assert got == {
        "disk_usage": [RS_UNAVAIL, None],
        "disk.count": [0, 1],
        "disk.uuids": [0, ["gone"]],
        "disk_template": [0, "diskless"],
        "pnode": [RS_UNAVAIL, None],
    }


# ------------------------------------------------------- other resources


def test_group_fields():
    cluster = _cluster(
        ipolicy={"std": {"memory-size": 128, "cpu-count": 1}, "vcpu-ratio": 4.0},
        diskparams={"plain": {"stripes": 1}},
    )
    group = NS(
        name="g", uuid="gu", alloc_policy="preferred", serial_no=3, tags=[],
        ipolicy={"std": {"cpu-count": 2}}, ndparams={"ssh_port": 2}, diskparams={"plain": {"stripes": 2}},
        ctime=0, mtime=5.0,
    )  # fmt: skip
    ctx = query.GroupQueryData(
        cluster=cluster,
        groups=[group],
        group_to_nodes={"gu": ["n10", "n2"]},
        group_to_instances={"gu": []},
    )
    fields = ["name", "node_cnt", "node_list", "pinst_cnt", "ipolicy", "custom_ipolicy",
              "ndparams", "ndp/ssh_port", "ndp/spindle_count", "diskparams", "ctime"]  # fmt: skip
    (row,) = query.Query(query.GROUP_FIELDS, fields).old_style_query(ctx)
    got = dict(zip(fields, row))
    assert got["node_cnt"] == 2 and got["node_list"] == ["n2", "n10"] and got["pinst_cnt"] == 0
    assert got["ipolicy"]["std"] == {"memory-size": 128, "cpu-count": 2}
    assert got["ipolicy"]["vcpu-ratio"] == 4.0
    assert got["custom_ipolicy"] == {"std": {"cpu-count": 2}}
    assert got["ndparams"]["ssh_port"] == 2 and got["ndp/ssh_port"] == 2
    assert got["ndp/spindle_count"] == 2  # from the cluster
    assert got["diskparams"]["plain"] == {"stripes": 2}
    assert got["diskparams"]["drbd"]["protocol"] == "C"
    assert got["ctime"] == 0
    ctx.want_diskparams = False
    ctx.group_to_nodes = None
    row = query.Query(query.GROUP_FIELDS, ["diskparams", "node_cnt"]).query(ctx)[0]
    assert row == [[RS_UNAVAIL, None], [RS_UNAVAIL, None]]


def test_cluster_fields():
    cluster = _cluster()
    ctx = query.ClusterQueryData(
        cluster=cluster, nodes={"u1": NS(name="node1.example.com")}, drain_flag=True
    )
    fields = ["name", "cluster_name", "master_node", "drain_flag", "watcher_pause", "tags",
              "software_version", "protocol_version", "config_version", "os_api_version",
              "export_version", "vcs_version", "architecture", "volume_group_name", "ctime"]  # fmt: skip
    q = query.Query(query.CLUSTER_FIELDS, fields)
    assert q.requested_data() == {
        query.CQ_CONFIG,
        query.CQ_QUEUE_DRAINED,
        query.CQ_WATCHER_PAUSE,
    }
    (row,) = q.query(ctx)
    got = dict(zip(fields, row))
    assert got["name"] == got["cluster_name"] == [0, "cluster.example.com"]
    assert got["master_node"] == [0, "node1.example.com"]
    assert got["drain_flag"] == [0, True] and got["watcher_pause"] == [RS_UNAVAIL, None]
    assert got["software_version"] == [0, constants.RELEASE_VERSION]
    assert got["protocol_version"] == [0, constants.PROTOCOL_VERSION]
    assert got["config_version"] == [0, constants.CONFIG_VERSION]
    assert got["os_api_version"] == [0, 20] and got["export_version"] == [0, 0]
    assert got["vcs_version"] == [0, constants.VCS_VERSION]
    assert got["architecture"][0] == 0 and len(got["architecture"][1]) == 2
    assert got["volume_group_name"] == [RS_UNAVAIL, None]
    ctx.watcher_pause = 1234.5
    assert query.Query(query.CLUSTER_FIELDS, ["watcher_pause"]).old_style_query(ctx) == [[1234.5]]


class _FakeJob:
    def __init__(self, job_id, status, archived=False, **info):
        self.archived = archived
        self.info = dict(id=job_id, status=status, priority=0, ops=[{"OP_ID": "OP_TEST_DELAY"}],
                         opresult=[None], opstatus=["queued"], oplog=[[]], opstart=[None],
                         opexec=[None], opend=[None], oppriority=[0], summary=["TEST_DELAY"],
                         received_ts=[100, 5], start_ts=None, end_ts=None)  # fmt: skip
        self.info.update(info)

    def get_info(self, name):
        return self.info[name]


def test_job_fields():
    jobs = [
        _FakeJob(10, "success", archived=True, start_ts=[101, 0], end_ts=[102, 0]),
        _FakeJob(2, "queued", received_ts=[50, 0]),
        (7, None),
    ]
    ctx = query.JobQueryData(jobs=jobs)
    fields = list(query.JOB_FIELDS)
    rows = query.Query(query.JOB_FIELDS, fields, namefield="id").query(ctx)
    assert [r[0][1] for r in rows] == [2, 7, 10]  # numeric order
    by_id = {r[0][1]: dict(zip(fields, r)) for r in rows}
    assert by_id[10]["archived"] == [0, True] and by_id[2]["archived"] == [0, False]
    assert by_id[10]["summary"] == [0, ["TEST_DELAY"]]
    assert by_id[2]["start_ts"] == [RS_UNAVAIL, None]
    assert all(v == [RS_UNAVAIL, None] for (k, v) in by_id[7].items() if k != "id")
    q = query.Query(query.JOB_FIELDS, ["id"], ["|", ["=", "id", "10"], ["=", "id", 2]], "id")
    assert q.requested_names() == [10, 2]
    assert q.old_style_query(ctx) == [[2], [10]]
    q = query.Query(query.JOB_FIELDS, ["id"], [">", "received_ts", 90], "id")
    assert q.old_style_query(ctx) == [[10]]
    q = query.Query(query.JOB_FIELDS, ["id"], ["?", "archived"], "id")
    assert q.requested_data() == {query.JQ_ARCHIVED}
    assert q.old_style_query(ctx) == [[10]]


def test_lock_fields():
    ctx = query.LockQueryData(
        locks=[
            ("instance/b", "exclusive", ["job10", "job9"], [("shared", ["job12", "job11"])]),
            ("instance/a", None, None, None),
        ]
    )
    fields = ["name", "mode", "owner", "pending"]
    q = query.Query(query.LOCK_FIELDS, fields)
    assert q.requested_data() == {query.LQ_MODE, query.LQ_OWNER, query.LQ_PENDING}
    assert q.old_style_query(ctx) == [
        ["instance/a", None, None, None],
        ["instance/b", "exclusive", ["job9", "job10"], [["shared", ["job11", "job12"]]]],
    ]


def test_export_fields():
    ctx = query.ExportQueryData(exports=[("node2", "web1"), ("node1", None), ("node1", "db1")])
    rows = query.Query(query.EXPORT_FIELDS, ["node", "export"], namefield="node").query(ctx)
    assert rows == [
        [[0, "node1"], [RS_NODATA, None]],
        [[0, "node1"], [0, "db1"]],
        [[0, "node2"], [0, "web1"]],
    ]


def test_network_fields():
    net = NS(name="pub", uuid="nu", network="192.0.2.0/24", gateway=None, network6=None,
             gateway6=None, mac_prefix="aa:bb:cc", tags=["t"], serial_no=2, ctime=1.0, mtime=2.0)  # fmt: skip
    ctx = query.NetworkQueryData(
        networks=[net],
        network_to_groups={"nu": [("default", "bridged", "br0")]},
        network_to_instances={"nu": ["i10", "i2"]},
        stats={"nu": {"free_count": 250, "reserved_count": 4, "map": "XX..",
                      "external_reservations": "192.0.2.1"}},
    )  # fmt: skip
    fields = ["name", "network", "gateway", "mac_prefix", "group_cnt", "group_list", "inst_cnt",
              "inst_list", "free_count", "reserved_count", "map", "external_reservations", "tags"]  # fmt: skip
    (row,) = query.Query(query.NETWORK_FIELDS, fields).query(ctx)
    got = dict(zip(fields, row))
    assert got["gateway"] == [RS_UNAVAIL, None]
    assert got["group_list"] == [0, [["default", "bridged", "br0"]]]
    assert got["inst_list"] == [0, ["i2", "i10"]] and got["inst_cnt"] == [0, 2]
    assert got["free_count"] == [0, 250] and got["map"] == [0, "XX.."]
    ctx.stats = None
    (row,) = query.Query(query.NETWORK_FIELDS, ["free_count"]).query(ctx)
    assert row == [[RS_UNAVAIL, None]]


def test_os_and_extstorage_fields():
    oses = [
        query.OsInfo(name="debian", valid=True, variants=["v10", "v2"], api_versions=[20, 15],
                     parameters=[("b", "B"), ("a", "A")], node_status={"n1": []}),
        query.OsInfo(name="bad"),
    ]  # fmt: skip
    fields = list(query.OS_FIELDS)
    rows = query.Query(query.OS_FIELDS, fields).old_style_query(query.OsQueryData(oses=oses))
    debian = dict(zip(fields, rows[1]))
    assert debian["variants"] == ["v2", "v10"] and debian["api_versions"] == [15, 20]
    assert debian["parameters"] == [["a", "A"], ["b", "B"]]
    assert dict(zip(fields, rows[0]))["valid"] is False
    providers = [query.ExtStorageInfo(name="ext1", parameters=[["p", "doc"]])]
    rows = query.Query(query.EXTSTORAGE_FIELDS, ["name", "parameters"]).old_style_query(
        query.ExtStorageQueryData(providers=providers)
    )
    assert rows == [["ext1", [["p", "doc"]]]]


def test_filter_fields():
    rule = NS(uuid="f1", watermark=5, priority=0, predicates=[["jobid", [">", "id", 3]]],
              action="REJECT", reason_trail=[])  # fmt: skip
    ctx = query.FilterQueryData(filters=[rule, NS(uuid="f2")])
    fields = list(query.FILTER_FIELDS)
    rows = query.Query(query.FILTER_FIELDS, fields, namefield="uuid").query(ctx)
    assert dict(zip(fields, rows[0]))["action"] == [0, "REJECT"]
    assert dict(zip(fields, rows[1]))["action"] == [RS_UNAVAIL, None]


def test_every_field_answers_on_empty_objects():
    """No getter may raise on sparse objects: it answers a value or a status."""
    contexts = {
        constants.QR_NODE: query.NodeQueryData(nodes=[NS(uuid="u", name="n")], cluster=NS()),
        constants.QR_INSTANCE: query.InstanceQueryData(
            instances=[
                NS(uuid="i", name="a", primary_node="n", os="", hypervisor="kvm", admin_state="up")
            ],
            cluster=NS(),
        ),  # fmt: skip
        constants.QR_GROUP: query.GroupQueryData(cluster=NS(), groups=[NS(uuid="g", name="g")]),
        constants.QR_CLUSTER: query.ClusterQueryData(cluster=NS()),
        constants.QR_NETWORK: query.NetworkQueryData(networks=[NS(uuid="n")]),
        constants.QR_FILTER: query.FilterQueryData(filters=[NS()]),
        constants.QR_OS: query.OsQueryData(oses=[NS()]),
        constants.QR_EXTSTORAGE: query.ExtStorageQueryData(providers=[NS()]),
    }
    for resource, ctx in contexts.items():
        table = query.get_fields_table(resource)
        rows = query.Query(table, list(table)).query(ctx)
        assert len(rows) == 1, resource
        json.dumps(rows)


def test_every_field_answers_on_bare_config_objects():
    from ganeti import objects

    cluster = objects.Cluster(master_node="u")
    contexts = {
        constants.QR_NODE: query.NodeQueryData(
            nodes=[objects.Node(uuid="u", name="n", group="g")],
            cluster=cluster,
            groups={"g": objects.NodeGroup(uuid="g", name="g")},
        ),
        constants.QR_INSTANCE: query.InstanceQueryData(
            instances=[
                objects.Instance(
                    uuid="i",
                    name="a",
                    primary_node="u",
                    os="debian",
                    hypervisor="kvm",
                    admin_state="up",
                    nics=[objects.NIC(mac="aa:00:00:00:00:01")],
                    disks=["d"],
                )
            ],
            cluster=cluster,
            disks={"d": objects.Disk(uuid="d", size=10, dev_type="plain", nodes=["u"])},
        ),  # fmt: skip
        constants.QR_GROUP: query.GroupQueryData(
            cluster=cluster, groups=[objects.NodeGroup(uuid="g", name="g")]
        ),
        constants.QR_CLUSTER: query.ClusterQueryData(cluster=cluster),
        constants.QR_NETWORK: query.NetworkQueryData(networks=[objects.Network(uuid="n")]),
        constants.QR_FILTER: query.FilterQueryData(filters=[objects.FilterRule(uuid="f")]),
    }
    for resource, ctx in contexts.items():
        table = query.get_fields_table(resource)
        rows = query.Query(table, list(table)).query(ctx)
        assert len(rows) == 1, resource
        json.dumps(rows)
    (row,) = query.Query(query.INSTANCE_FIELDS, ["disk_usage", "nic.mode/0", "be/vcpus"]).query(
        contexts[constants.QR_INSTANCE]
    )
    assert row[0] == [RS_NORMAL, 10]
