"""Tests for ganeti.opcodes / ganeti.opcodes_base: the opcode table and machinery."""

import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganeti import constants, errors, ht, opcodes, opcodes_base, serializer

# The 75 OP_IDs of Ganeti 3.0.2 (doc: opcodes reference, "Opcode index")
EXPECTED_OP_IDS = """
OP_BACKUP_EXPORT OP_BACKUP_PREPARE OP_BACKUP_REMOVE OP_CLUSTER_ACTIVATE_MASTER_IP
OP_CLUSTER_CONFIG_QUERY OP_CLUSTER_DEACTIVATE_MASTER_IP OP_CLUSTER_DESTROY OP_CLUSTER_POST_INIT
OP_CLUSTER_QUERY OP_CLUSTER_REDIST_CONF OP_CLUSTER_RENAME OP_CLUSTER_RENEW_CRYPTO
OP_CLUSTER_REPAIR_DISK_SIZES OP_CLUSTER_SET_PARAMS OP_CLUSTER_VERIFY OP_CLUSTER_VERIFY_CONFIG
OP_CLUSTER_VERIFY_DISKS OP_CLUSTER_VERIFY_GROUP OP_EXT_STORAGE_DIAGNOSE OP_GROUP_ADD
OP_GROUP_ASSIGN_NODES OP_GROUP_EVACUATE OP_GROUP_REMOVE OP_GROUP_RENAME OP_GROUP_SET_PARAMS
OP_GROUP_VERIFY_DISKS OP_INSTANCE_ACTIVATE_DISKS OP_INSTANCE_CHANGE_GROUP OP_INSTANCE_CONSOLE
OP_INSTANCE_CREATE OP_INSTANCE_DEACTIVATE_DISKS OP_INSTANCE_FAILOVER OP_INSTANCE_GROW_DISK
OP_INSTANCE_MIGRATE OP_INSTANCE_MOVE OP_INSTANCE_MULTI_ALLOC OP_INSTANCE_QUERY_DATA
OP_INSTANCE_REBOOT OP_INSTANCE_RECREATE_DISKS OP_INSTANCE_REINSTALL OP_INSTANCE_REMOVE
OP_INSTANCE_RENAME OP_INSTANCE_REPLACE_DISKS OP_INSTANCE_SET_PARAMS OP_INSTANCE_SHUTDOWN
OP_INSTANCE_STARTUP OP_NETWORK_ADD OP_NETWORK_CONNECT OP_NETWORK_DISCONNECT OP_NETWORK_REMOVE
OP_NETWORK_SET_PARAMS OP_NODE_ADD OP_NODE_EVACUATE OP_NODE_MIGRATE OP_NODE_MODIFY_STORAGE
OP_NODE_POWERCYCLE OP_NODE_QUERYVOLS OP_NODE_QUERY_STORAGE OP_NODE_REMOVE OP_NODE_SET_PARAMS
OP_OOB_COMMAND OP_OS_DIAGNOSE OP_QUERY OP_QUERY_FIELDS OP_REPAIR_NODE_STORAGE
OP_RESTRICTED_COMMAND OP_TAGS_DEL OP_TAGS_GET OP_TAGS_SEARCH OP_TAGS_SET OP_TEST_ALLOCATOR
OP_TEST_DELAY OP_TEST_DUMMY OP_TEST_JQUEUE OP_TEST_OS_PARAMS
""".split()

BASE_NAMES = ["dry_run", "debug_level", "priority", "depends", "comment", "reason"]
ALL_CLASSES = [opcodes.OP_MAPPING[op_id] for op_id in sorted(opcodes.OP_MAPPING)]


def _domain_values():
    values = []
    for name in dir(ht):
        obj = getattr(ht, name)
        if callable(obj) and hasattr(obj, "values"):
            values.extend(sorted(obj.values, key=str))
    return values


# Candidate values tried in order; the first one a check accepts is used.
CANDIDATES = [
    "inst1.example.com",
    1,
    0,
    2.5,
    True,
    ["node1.example.com"],
    [{"size": 1024}],
    {"key": "value"},
    "192.0.2.0/24",
    "192.0.2.1",
    ["192.0.2.5"],
    "2001:db8::/64",
    "2001:db8::1",
    [],
    {},
    "",
] + _domain_values()
ODD_VALUES = [None, "", 0, -1, 1.5, "x", [], {}, [None], {"": None}, True, ["x"], [[1]]]


def valid_value(check):
    for value in CANDIDATES:
        if check(value):
            return value
    raise AssertionError("no candidate passes %s" % ht.describe(check))


def invalid_value(check):
    for value in ODD_VALUES + [object()]:
        if not check(value):
            return value
    return None


def required_params(cls):
    return [
        name for name, default, check, _ in cls.OP_PARAMS if default is None and not check(None)
    ]


def minimal_op(cls):
    """An opcode of ``cls`` with just its required parameters, filled validly."""
    params = {name: valid_value(check) for name, default, check, _ in cls.OP_PARAMS
              if name in required_params(cls)}  # fmt: skip
    return cls(**params)


def full_op(cls):
    """An opcode of ``cls`` with every parameter set to a non-default-ish value."""
    params = {}
    for name, default, check, _ in cls.OP_PARAMS:
        if name == "priority":
            params[name] = constants.OP_PRIO_HIGH
        elif name == "depends":
            params[name] = [[1, ["success"]], [-1, ["error", "canceled"]]]
        elif name == "reason":
            params[name] = [["gnt:user", "testing", 1]]
        elif name == "instances" and cls is opcodes.OpInstanceMultiAlloc:
            params[name] = [minimal_op(opcodes.OpInstanceCreate)]
        else:
            params[name] = valid_value(check)
    return cls(**params)


def _wire(op):
    return serializer.loads(serializer.dumps(op.to_dict()))


# --- the table ----------------------------------------------------------------


class TestTable:
    def test_all_op_ids_present(self):
        assert len(EXPECTED_OP_IDS) == 75
        assert sorted(opcodes.OP_MAPPING) == sorted(EXPECTED_OP_IDS)
        assert opcodes.ALL_OP_IDS == tuple(sorted(EXPECTED_OP_IDS))
        assert opcodes.OP_MAPPING is opcodes_base.OP_MAPPING

    @pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.OP_ID)
    def test_class_names_follow_op_ids(self, cls):
        assert cls.__name__ == opcodes_base.class_name_from_op_id(cls.OP_ID)
        assert opcodes_base.op_id_from_class_name(cls.__name__) == cls.OP_ID
        assert getattr(opcodes, cls.__name__) is cls
        assert opcodes.lu_name_for(cls) == "LU" + cls.__name__[2:]

    def test_named_examples(self):
        assert opcodes.OpTestDelay.OP_ID == "OP_TEST_DELAY"
        assert opcodes.OpInstanceCreate.OP_ID == "OP_INSTANCE_CREATE"
        assert opcodes.OpClusterVerifyGroup.OP_ID == "OP_CLUSTER_VERIFY_GROUP"
        assert opcodes.OpNodeQueryvols.OP_ID == "OP_NODE_QUERYVOLS"
        assert opcodes.OpBackupExport.OP_ID == "OP_BACKUP_EXPORT"
        assert opcodes.OpClusterActivateMasterIp.OP_ID == "OP_CLUSTER_ACTIVATE_MASTER_IP"
        assert opcodes.lu_name_for(opcodes.OpNodeQueryvols) == "LUNodeQueryvols"
        assert opcodes.lu_name_for(opcodes.OpTestDelay(duration=1)) == "LUTestDelay"
        assert opcodes.lu_name_for("OP_CLUSTER_VERIFY_GROUP") == "LUClusterVerifyGroup"

    def test_with_lu(self):
        without = [cls.OP_ID for cls in ALL_CLASSES if not cls.WITH_LU]
        assert without == ["OP_TEST_DUMMY"]

    def test_bad_names(self):
        with pytest.raises(errors.ProgrammerError):
            opcodes_base.op_id_from_class_name("FooBar")
        with pytest.raises(errors.ProgrammerError):
            opcodes_base.class_name_from_op_id("FOO_BAR")

    @pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.OP_ID)
    def test_param_rows(self, cls):
        names = [row[0] for row in cls.OP_PARAMS]
        assert len(names) == len(set(names))
        assert names[-len(BASE_NAMES) :] == BASE_NAMES
        assert cls.OP_PARAMS == cls.OP_OWN_PARAMS + opcodes.BASE_PARAMS
        assert cls.get_all_params() == cls.OP_PARAMS
        for name, default, check, doc in cls.OP_PARAMS:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
            assert callable(check) and ht.describe(check)
            assert isinstance(doc, str) and doc
            if not (default is None and not check(None)):
                assert check(default), (name, default)
        assert cls.OP_DSC_FIELD is None or cls.OP_DSC_FIELD in names
        assert cls.OP_RESULT is None or callable(cls.OP_RESULT)

    def test_test_delay_spec(self):
        rows = {
            name: (default, check) for name, default, check, _ in opcodes.OpTestDelay.OP_OWN_PARAMS
        }
        assert list(rows) == [
            "duration", "on_master", "on_nodes", "on_node_uuids", "repeat", "interruptible",
            "no_locks",
        ]  # fmt: skip
        assert rows["duration"][0] is None and rows["duration"][1] is ht.TFloat
        assert rows["on_master"][0] is True and rows["on_nodes"][0] == []
        assert rows["repeat"][0] == 0 and rows["interruptible"][0] is False
        assert rows["no_locks"][0] is True and rows["on_node_uuids"][0] is None
        assert required_params(opcodes.OpTestDelay) == ["duration"]
        assert opcodes.OpTestDelay.OP_DSC_FIELD == "duration"
        assert opcodes.OpTestDelay.OP_RESULT is ht.TNone

    def test_query_specs(self):
        assert required_params(opcodes.OpQuery) == ["what", "fields"]
        assert [r[0] for r in opcodes.OpQuery.OP_OWN_PARAMS] == [
            "what",
            "use_locking",
            "fields",
            "qfilter",
        ]
        assert required_params(opcodes.OpQueryFields) == ["what"]
        assert opcodes.OpQuery.OP_RESULT is ht.TQueryResponse

    def test_instance_create_spec(self):
        cls = opcodes.OpInstanceCreate
        assert len(cls.OP_OWN_PARAMS) == 44
        assert required_params(cls) == ["instance_name", "disks", "mode", "nics"]
        op = cls(instance_name="i1", mode="create", disks=[{"size": 1024, "mode": "rw"}], nics=[{}])
        op.validate(True)
        assert op.start is True and op.tags == [] and op.beparams == {}
        assert op.compress == "none" and op.source_shutdown_timeout == 120
        bad_nic = cls(instance_name="i1", mode="create", disks=[], nics=[{"speed": "1G"}])
        with pytest.raises(errors.OpPrereqError, match="OP_INSTANCE_CREATE.nics' fails"):
            bad_nic.validate(True)
        bad_mode = cls(instance_name="i1", mode="clone", disks=[], nics=[])
        with pytest.raises(errors.OpPrereqError, match="OP_INSTANCE_CREATE.mode' fails"):
            bad_mode.validate(True)


# --- round trips --------------------------------------------------------------


class TestRoundTrip:
    @pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.OP_ID)
    def test_minimal(self, cls):
        op = minimal_op(cls)
        op.validate(True)
        data = _wire(op)
        assert data["OP_ID"] == cls.OP_ID
        assert set(data) == {row[0] for row in cls.OP_PARAMS} | {"OP_ID"}
        again = opcodes.OpCode.load_op_code(data)
        assert type(again) is cls
        again.validate(False)
        assert _wire(again) == data

    @pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.OP_ID)
    def test_every_parameter_set(self, cls):
        op = full_op(cls)
        op.validate(False)
        data = _wire(op)
        again = opcodes.OpCode.load_op_code(data)
        again.validate(True)
        assert _wire(again) == data
        assert again.summary().startswith(cls.OP_ID[3:])

    def test_unset_parameters_stay_out(self):
        op = opcodes.OpTestDelay(duration=1.0)
        assert op.to_dict() == {"OP_ID": "OP_TEST_DELAY", "duration": 1.0}
        loaded = opcodes.OpCode.load_op_code({"OP_ID": "OP_TEST_DELAY", "duration": 3.0})
        assert loaded.to_dict() == {"OP_ID": "OP_TEST_DELAY", "duration": 3.0}
        loaded.validate(False)
        assert "on_master" not in loaded.to_dict()

    def test_load_via_subclass(self):
        data = {"OP_ID": "OP_TEST_DELAY", "duration": 1}
        assert isinstance(opcodes.OpTestDelay.load_op_code(data), opcodes.OpTestDelay)
        assert isinstance(opcodes.OpCode.LoadOpCode(data), opcodes.OpTestDelay)
        with pytest.raises(errors.OpPrereqError) as err:
            opcodes.OpInstanceCreate.load_op_code(data)
        assert err.value.args[1] == errors.ECODE_INVAL

    def test_load_does_not_alias_input(self):
        data = {"OP_ID": "OP_TEST_DELAY", "duration": 1.0}
        op = opcodes.OpCode.load_op_code(data)
        op.validate(True)
        assert data == {"OP_ID": "OP_TEST_DELAY", "duration": 1.0}

    def test_multi_alloc_nested_opcodes(self):
        inst = opcodes.OpInstanceCreate(instance_name="a", mode="create", disks=[], nics=[])
        op = opcodes.OpInstanceMultiAlloc(instances=[inst], iallocator="hail")
        data = _wire(op)
        assert data["instances"] == [inst.to_dict()]
        again = opcodes.OpCode.load_op_code(data)
        assert isinstance(again.instances[0], opcodes.OpInstanceCreate)
        assert again.instances[0].instance_name == "a"
        with pytest.raises(errors.OpPrereqError):
            opcodes.OpCode.load_op_code(
                {"OP_ID": "OP_INSTANCE_MULTI_ALLOC", "instances": [{"OP_ID": "OP_BOGUS"}]}
            )

    def test_private_values_serialize_plainly(self):
        op = opcodes.OpInstanceReinstall(
            instance_name="a", osparams_private={"password": ht.Private("pw")}
        )
        op.validate(True)
        assert op.to_dict()["osparams_private"] == {"password": "pw"}
        assert "pw" not in repr(op)
        cluster = opcodes.OpClusterSetParams(
            osparams_private_cluster={"debian": {"key": ht.Private("k")}}
        )
        cluster.validate(True)
        assert serializer.loads(serializer.dumps(cluster.to_dict()))[
            "osparams_private_cluster"
        ] == {"debian": {"key": "k"}}

    @settings(max_examples=150, deadline=None)
    @given(
        duration=st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**40), 2**40),
        on_nodes=st.lists(st.text(min_size=1, max_size=8), max_size=4),
        repeat=st.integers(0, 1000),
        priority=st.sampled_from([-10, 0, 10]),
        comment=st.none() | st.text(max_size=10),
    )
    def test_property_test_delay(self, duration, on_nodes, repeat, priority, comment):
        op = opcodes.OpTestDelay(
            duration=duration, on_nodes=on_nodes, repeat=repeat, priority=priority, comment=comment
        )
        op.validate(True)
        assert isinstance(op.duration, float) and op.duration == duration
        data = _wire(op)
        again = opcodes.OpCode.load_op_code(data)
        again.validate(True)
        assert again.to_dict() == op.to_dict()
        assert again.summary() == "TEST_DELAY(%s)" % float(duration)

    @settings(max_examples=100, deadline=None)
    @given(
        disks=st.lists(
            st.fixed_dictionaries(
                {"size": st.integers(1, 10**6)},
                optional={
                    "mode": st.sampled_from(["rw", "ro"]),
                    "name": st.text(min_size=1, max_size=5),
                },
            ),
            max_size=3,
        ),
        nics=st.lists(
            st.fixed_dictionaries(
                {}, optional={"ip": st.none() | st.just("192.0.2.9"), "link": st.just("br0")}
            ),
            max_size=3,
        ),
    )
    def test_property_instance_create(self, disks, nics):
        op = opcodes.OpInstanceCreate(instance_name="x", mode="create", disks=disks, nics=nics)
        op.validate(True)
        again = opcodes.OpCode.load_op_code(_wire(op))
        again.validate(True)
        assert again.to_dict() == op.to_dict()


# --- validation errors --------------------------------------------------------


def _ecode(err):
    return err.value.args[1]


class TestValidation:
    @pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.OP_ID)
    def test_missing_required(self, cls):
        for name in required_params(cls):
            op = minimal_op(cls)
            del op.__dict__[name]
            with pytest.raises(errors.OpPrereqError) as err:
                op.validate(True)
            assert err.value.args[0] == "Parameter '%s.%s' is missing" % (cls.OP_ID, name)
            assert _ecode(err) == errors.ECODE_INVAL
            setattr(op, name, None)
            with pytest.raises(errors.OpPrereqError, match="is missing"):
                op.validate(False)

    @pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.OP_ID)
    def test_wrong_types(self, cls):
        checked = 0
        for name, _, check, _ in cls.OP_PARAMS:
            bad = invalid_value(check)
            if bad is None:
                continue  # accepts anything (e.g. OP_TEST_DUMMY)
            op = minimal_op(cls)
            setattr(op, name, bad)
            with pytest.raises(errors.OpPrereqError) as err:
                op.validate(True)
            assert _ecode(err) == errors.ECODE_INVAL
            assert "'%s.%s'" % (cls.OP_ID, name) in err.value.args[0]
            checked += 1
        assert checked or cls is opcodes.OpTestDummy

    def test_unknown_parameters(self):
        with pytest.raises(errors.OpPrereqError) as err:
            opcodes.OpCode.load_op_code({"OP_ID": "OP_TEST_DELAY", "duration": 1, "bogus": 2})
        assert _ecode(err) == errors.ECODE_INVAL
        assert "bogus" in err.value.args[0]
        with pytest.raises(errors.OpPrereqError, match="'OP_TEST_DELAY.sleep'") as err:
            opcodes.OpTestDelay(duration=1, sleep=2)
        assert _ecode(err) == errors.ECODE_INVAL
        op = opcodes.OpTestDelay(duration=1)
        op.bogus = 1
        with pytest.raises(errors.OpPrereqError, match="bogus"):
            op.validate(True)

    @pytest.mark.parametrize(
        "data", [None, [], "OP_TEST_DELAY", 5, {}, {"duration": 1}, {"OP_ID": None}]
    )
    def test_bad_wire_data(self, data):
        with pytest.raises(errors.OpPrereqError) as err:
            opcodes.OpCode.load_op_code(data)
        assert _ecode(err) == errors.ECODE_INVAL

    @pytest.mark.parametrize("op_id", ["OP_NOPE", "OP_CODE", "", ["OP_TEST_DELAY"], 5])
    def test_unknown_op_id(self, op_id):
        with pytest.raises(errors.OpPrereqError) as err:
            opcodes.OpCode.load_op_code({"OP_ID": op_id})
        assert _ecode(err) == errors.ECODE_INVAL

    def test_float_coercion(self):
        op = opcodes.OpTestDelay(duration=2)
        op.validate(True)
        assert op.duration == 2.0 and type(op.duration) is float
        oob = opcodes.OpOobCommand(command="power-on", power_delay=3)
        oob.validate(False)
        assert type(oob.power_delay) is float
        oob.validate(True)
        assert oob.timeout == 60 and type(oob.timeout) is int
        with pytest.raises(errors.OpPrereqError, match="fails validation"):
            opcodes.OpTestDelay(duration=True).validate(True)
        with pytest.raises(errors.OpPrereqError, match="fails validation"):
            opcodes.OpTestDelay(duration="1").validate(True)

    def test_defaults_are_deep_copies(self):
        one = opcodes.OpTestDelay(duration=1)
        two = opcodes.OpTestDelay(duration=1)
        one.validate(True)
        two.validate(True)
        assert one.on_nodes == [] and one.on_nodes is not two.on_nodes
        one.on_nodes.append("node1")
        one.reason.append(["gnt:user", "x", 1])
        three = opcodes.OpTestDelay(duration=1)
        three.validate(True)
        assert three.on_nodes == [] and three.reason == []
        assert dict((r[0], r[1]) for r in opcodes.OpTestDelay.OP_PARAMS)["on_nodes"] == []

    def test_validate_without_defaults_fills_nothing(self):
        op = opcodes.OpTestDelay(duration=1.0)
        op.validate(False)
        assert op.to_dict() == {"OP_ID": "OP_TEST_DELAY", "duration": 1.0}
        op.validate(True)
        assert op.on_master is True and op.dry_run is None and "dry_run" in op.to_dict()

    def test_unset_attribute_access(self):
        op = opcodes.OpTestDelay(duration=1.0)
        assert op.on_master is None and getattr(op, "on_nodes", None) is None
        assert op.priority == constants.OP_PRIO_DEFAULT == 0
        assert getattr(op, "not_a_param", "absent") == "absent"
        with pytest.raises(AttributeError):
            op.not_a_param  # noqa: B018

    def test_explicit_none_for_defaulted_param_fails(self):
        op = opcodes.OpTestDelay(duration=1.0, on_master=None)
        with pytest.raises(
            errors.OpPrereqError, match="'OP_TEST_DELAY.on_master' fails validation"
        ):
            op.validate(True)


# --- summaries ----------------------------------------------------------------


class TestSummary:
    def test_summary_with_field(self):
        op = opcodes.OpInstanceCreate(instance_name="inst1", mode="create", disks=[], nics=[])
        assert op.summary() == "INSTANCE_CREATE(inst1)"
        assert op.Summary() == "INSTANCE_CREATE(inst1)"
        assert opcodes.OpQuery(what="node", fields=["name"]).summary() == "QUERY(node)"
        assert opcodes.OpTestDelay(duration=2.5).summary() == "TEST_DELAY(2.5)"

    def test_summary_without_field(self):
        assert opcodes.OpClusterQuery().summary() == "CLUSTER_QUERY"
        assert opcodes.OpTagsSet(kind="cluster", tags=["a"]).summary() == "TAGS_SET"
        assert opcodes.OpTestDelay().summary() == "TEST_DELAY(None)"

    def test_summary_joins_lists(self):
        class OpTestListField(opcodes.OpCode):
            OP_DSC_FIELD = "names"
            OP_PARAMS = [("names", [], ht.TListOf(ht.TString), "Names")]

        assert OpTestListField.OP_ID == "OP_TEST_LIST_FIELD"
        assert "OP_TEST_LIST_FIELD" not in opcodes.OP_MAPPING
        assert OpTestListField(names=["a", "b", 3]).summary() == "TEST_LIST_FIELD(a,b,3)"
        assert OpTestListField(names=("x",)).summary() == "TEST_LIST_FIELD(x)"

    @pytest.mark.parametrize(
        "op,tiny",
        [
            (opcodes.OpClusterVerify(), "C_VERIFY"),
            (opcodes.OpGroupAdd(group_name="g"), "G_ADD"),
            (opcodes.OpNodeAdd(node_name="n"), "N_ADD"),
            (opcodes.OpInstanceCreate(instance_name="i"), "I_CREATE"),
            (opcodes.OpTestDelay(duration=1), "TEST_DELAY"),
            (opcodes.OpNetworkAdd(network_name="n"), "NETWORK_ADD"),
        ],
    )
    def test_tiny_summary(self, op, tiny):
        assert op.tiny_summary() == tiny
        assert op.TinySummary() == tiny


# --- priorities, dependencies, reasons ----------------------------------------


class TestPriorityDependsReason:
    @pytest.mark.parametrize("prio", [-10, 0, 10])
    def test_valid_priorities(self, prio):
        opcodes.check_submit_priority(prio)
        op = opcodes.OpTestDelay(duration=1, priority=prio)
        op.validate(True)
        assert op.priority == prio

    @pytest.mark.parametrize("prio", [5, -20, 19, 20, True, False, "0", None, 0.5])
    def test_invalid_priorities(self, prio):
        with pytest.raises(errors.OpPrereqError) as err:
            opcodes.check_submit_priority(prio)
        assert _ecode(err) == errors.ECODE_INVAL
        with pytest.raises(errors.OpPrereqError, match="'OP_TEST_DELAY.priority'"):
            opcodes.OpTestDelay(duration=1, priority=prio).validate(True)

    def test_depends(self):
        good = [[12, ["success"]], ["13", ["success", "error"]], [-1, ["canceled"]]]
        opcodes.OpTestDelay(duration=1, depends=good).validate(True)
        opcodes.check_depends(good, relative=True)
        opcodes.check_depends(None)
        opcodes.check_depends(good[:2])
        with pytest.raises(errors.OpPrereqError) as err:
            opcodes.check_depends(good)  # relative ids only in SubmitManyJobs
        assert _ecode(err) == errors.ECODE_INVAL
        for bad in ([[1, ["running"]]], [[1]], [["x", ["success"]]], "1", [[1, "success"]]):
            with pytest.raises(errors.OpPrereqError, match="'OP_TEST_DELAY.depends'"):
                opcodes.OpTestDelay(duration=1, depends=bad).validate(True)
            with pytest.raises(errors.OpPrereqError):
                opcodes.check_depends(bad, relative=True)

    def test_resolve_relative_depends(self):
        resolve = opcodes.resolve_relative_depends
        assert resolve(None, [1]) is None
        assert resolve([[-1, ["success"]], [7, []]], [10, 11]) == [[11, ["success"]], [7, []]]
        assert resolve([[-2, ["error"]]], [10, 11]) == [[10, ["error"]]]
        with pytest.raises(errors.OpPrereqError):
            resolve([[-3, ["success"]]], [10, 11])

    def test_reason_trail(self):
        op = opcodes.OpTestDelay(duration=1)
        op.add_reason(constants.OPCODE_REASON_SRC_USER, "maintenance", 123)
        op.add_reason(constants.OPCODE_REASON_SRC_CLIENT, "gnt-debug", None)
        op.validate(True)
        assert op.reason[0] == ["gnt:user", "maintenance", 123]
        src, text, stamp = op.reason[1]
        assert (src, text) == ("gnt:client", "gnt-debug") and isinstance(stamp, int) and stamp > 0
        assert ht.TReasonTrail(op.reason)
        assert _wire(op)["reason"] == op.reason
        with pytest.raises(errors.OpPrereqError, match="'OP_TEST_DELAY.reason'"):
            opcodes.OpTestDelay(duration=1, reason="because").validate(True)
        assert opcodes.make_reason("gnt:opcode", "x", 5) == ["gnt:opcode", "x", 5]


# --- agreement with the reference ---------------------------------------------

REFERENCE = "/work/shared/reference/opcodes.md"
# rendering quirks of the reference, not differences in behaviour
_KNOWN_TYPE_DIFFERENCES = {
    ("OP_CLUSTER_RENEW_CRYPTO", "ssh_key_type"),  # our SSHK_ALL also knows ed25519
    ("OP_CLUSTER_SET_PARAMS", "hidden_os"),  # reference renders Tuple items garbled
    ("OP_CLUSTER_SET_PARAMS", "blacklisted_os"),
    ("OP_NODE_MODIFY_STORAGE", "storage_type"),  # reference shows a function repr
    ("OP_NODE_QUERY_STORAGE", "storage_type"),
    ("OP_REPAIR_NODE_STORAGE", "storage_type"),
}


def _parse_reference():
    ops = {}
    current = None
    with open(REFERENCE) as handle:
        for line in handle:
            match = re.match(r"^### (OP_\w+) ", line)
            if match:
                current = ops.setdefault(match.group(1), {"params": [], "dsc": None})
                continue
            if current is None:
                continue
            match = re.match(r"^- summary field `(\w+)`", line)
            if match:
                current["dsc"] = match.group(1)
            match = re.match(r"^\| ([a-z_0-9]+) \| (.*) \| (.*) \| (req)? ?\|$", line.rstrip("\n"))
            if match and match.group(1) != "param":
                current["params"].append(match.groups())
    return ops


@pytest.mark.skipif(not os.path.exists(REFERENCE), reason="reference not available")
def test_agrees_with_reference():
    reference = _parse_reference()
    assert sorted(reference) == sorted(opcodes.OP_MAPPING)
    problems = []
    for op_id, ref in reference.items():
        cls = opcodes.OP_MAPPING[op_id]
        if cls.OP_DSC_FIELD != ref["dsc"]:
            problems.append((op_id, "dsc", cls.OP_DSC_FIELD, ref["dsc"]))
        own = cls.OP_OWN_PARAMS
        if [r[0] for r in own] != [p[0] for p in ref["params"]]:
            problems.append((op_id, "names"))
            continue
        for (name, default, check, _), (_, rtype, rdefault, req) in zip(own, ref["params"]):
            if (default is None and not check(None)) != bool(req):
                problems.append((op_id, name, "required"))
            expected_default = None if rdefault == "-" else serializer.loads(rdefault)
            if default != expected_default:
                problems.append((op_id, name, "default", default, rdefault))
            if (op_id, name) in _KNOWN_TYPE_DIFFERENCES:
                continue
            ours = ht.describe(check)
            if rtype.endswith("..."):
                ok = ours.startswith(rtype[:-3])
            else:
                ok = ours == rtype
            if not ok:
                problems.append((op_id, name, ours, rtype))
    assert problems == []
