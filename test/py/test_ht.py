"""Tests for ganeti.ht: the composable type checks and their descriptions."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganeti import constants, ht

# JSON-like values: what opcode parameters are made of
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)

SIMPLE_CHECKS = [
    ht.TNone,
    ht.TBool,
    ht.TInt,
    ht.TFloat,
    ht.TString,
    ht.TNonEmptyString,
    ht.TList,
    ht.TDict,
    ht.TAny,
    ht.TNonNegativeInt,
    ht.TPositiveInt,
    ht.TJobId,
]


class TestBasicChecks:
    def test_bool_is_not_int(self):
        assert ht.TBool(True) and ht.TBool(False)
        assert not ht.TBool(0) and not ht.TBool(None)
        assert not ht.TInt(True) and not ht.TInt(False)
        assert ht.TInt(0) and ht.TInt(-5) and ht.TInt(2**70)
        assert not ht.TInt(1.0) and not ht.TInt("1")

    def test_float_accepts_ints_but_not_bools(self):
        assert ht.TFloat(1.5) and ht.TFloat(3) and ht.TFloat(0)
        assert not ht.TFloat(True) and not ht.TFloat("1.5") and not ht.TFloat(None)
        assert ht.is_float_check(ht.TFloat)
        assert ht.is_float_check(ht.TMaybe(ht.TFloat))
        assert ht.is_float_check(ht.TNonNegative(ht.TFloat))
        assert not ht.is_float_check(ht.TInt)
        assert not ht.is_float_check(ht.TNumber)

    def test_number(self):
        assert ht.TNumber(1) and ht.TNumber(1.5)
        assert not ht.TNumber(True) and not ht.TNumber("1")

    def test_strings(self):
        assert ht.TString("") and ht.TString("x")
        assert not ht.TString(b"x") and not ht.TString(None)
        assert ht.TNonEmptyString("x")
        assert not ht.TNonEmptyString("") and not ht.TNonEmptyString(None)
        assert ht.TMaybeString(None) and ht.TMaybeString("") and not ht.TMaybeString(1)

    def test_containers(self):
        assert ht.TList([]) and not ht.TList(()) and not ht.TList({})
        assert ht.TTuple(()) and not ht.TTuple([])
        assert ht.TDict({}) and not ht.TDict([])
        assert ht.TAny(None) and ht.TAny(object())

    def test_non_negative_and_positive(self):
        assert ht.TNonNegativeInt(0) and ht.TNonNegativeInt(7)
        assert not ht.TNonNegativeInt(-1) and not ht.TNonNegativeInt(1.0)
        assert not ht.TNonNegativeInt(True)
        assert ht.TPositiveInt(1) and not ht.TPositiveInt(0)
        # dual use: factory or plain integer check
        assert ht.TNonNegative(0) is True and ht.TNonNegative(-1) is False
        assert ht.TPositive(3) is True and ht.TPositive(0) is False
        assert ht.TPositive("3") is False
        nonneg_float = ht.TNonNegative(ht.TFloat)
        assert nonneg_float(0.5) and nonneg_float(2) and not nonneg_float(-0.1)
        assert ht.TPositive(ht.TNumber)(0.1) and not ht.TPositive(ht.TNumber)(0)

    def test_job_ids(self):
        for good in (0, 1, 12345, "0", "42"):
            assert ht.TJobId(good), good
        for bad in (-1, "a", "1a", "", " 1", "1\n", True, 1.0, None, "١٢"):
            assert not ht.TJobId(bad), bad
        assert ht.TRelativeJobId(-1) and ht.TRelativeJobId(-10)
        for bad in (0, 1, "-1", -1.0, None):
            assert not ht.TRelativeJobId(bad), bad

    def test_negative_int(self):
        assert ht.TNegativeInt(-3) and not ht.TNegativeInt(0) and not ht.TNegativeInt(-1.0)


class TestCombinators:
    def test_elem_of(self):
        check = ht.TElemOf(["a", "b"])
        assert check("a") and not check("c")
        assert not check(["a"])  # unhashable: answered, not raised
        assert not check({"a": 1})
        prio = ht.TElemOf(constants.OP_PRIO_SUBMIT_VALID)
        assert prio(0) and prio(10) and prio(-10)
        assert not prio(False)  # False == 0 but is not a priority
        assert not prio(5)
        assert ht.TElemOf([True])(True)

    def test_list_of(self):
        check = ht.TListOf(ht.TNonEmptyString)
        assert check([]) and check(["a", "b"])
        assert not check(["a", ""]) and not check(("a",)) and not check("ab")

    def test_set_of(self):
        check = ht.TSetOf(ht.TVerifyOptionalChecks)
        assert check([]) and check(["nplusone_mem", "nplusone_mem"])
        assert not check(["other"]) and not check("nplusone_mem")

    def test_dict_of(self):
        check = ht.TDictOf(ht.TString, ht.TInt)
        assert check({}) and check({"a": 1})
        assert not check({"a": "1"}) and not check({1: 1}) and not check([("a", 1)])

    def test_items_and_length(self):
        pair = ht.TAnd(ht.TIsLength(2), ht.TItems([ht.TInt, ht.TString]))
        assert pair([1, "a"]) and pair((1, "a"))
        assert not pair([1]) and not pair([1, 2]) and not pair(["a", 1]) and not pair(5)
        assert not ht.TIsLength(1)(5)

    def test_tuple_of(self):
        rng = ht.TTupleOf(ht.TInt, ht.TInt)
        assert rng([1, 2]) and rng((1, 2))
        assert not rng([1]) and not rng([1, 2, 3]) and not rng([1, "2"]) and not rng("12")

    def test_strict_dict(self):
        check = ht.TStrictDict(True, True, {"jobs": ht.TList})
        assert check({"jobs": []})
        assert not check({}) and not check({"jobs": [], "x": 1}) and not check({"jobs": 1})
        loose = ht.TStrictDict(False, False, {"a": ht.TInt})
        assert loose({}) and loose({"b": "x"}) and loose({"a": 1}) and not loose({"a": "1"})

    def test_regex_and_max(self):
        check = ht.TRegex(r"[a-z]+")
        assert check("abc") and not check("abc1") and not check(1)
        assert ht.TMaxValue(16)(15) and not ht.TMaxValue(16)(16) and not ht.TMaxValue(16)("a")
        assert ht.TDiskIndex(0) and ht.TDiskIndex(15) and not ht.TDiskIndex(16)
        assert not ht.TDiskIndex(-1)

    def test_not_and_comment(self):
        assert ht.TNot(ht.TNone)(1) and not ht.TNot(ht.TNone)(None)
        commented = ht.TComment(ht.TInt, "Disk index")
        assert commented(1) and not commented("1")
        assert ht.describe(commented) == "Integer [Disk index]"
        assert ht.describe(ht.TWithDesc(ht.TInt, "Count")) == "Count"

    def test_items_needs_checks(self):
        with pytest.raises(ValueError):
            ht.TItems([])


class TestDomainChecks:
    def test_ip_checks(self):
        assert ht.TIPv4Address("192.0.2.1") and not ht.TIPv4Address("192.0.2.300")
        assert not ht.TIPv4Address("2001:db8::1") and not ht.TIPv4Address(None)
        assert ht.TIPv6Address("2001:db8::1") and not ht.TIPv6Address("192.0.2.1")
        assert ht.TIPv4Network("192.0.2.0/24") and ht.TIPv4Network("192.0.2.1/24")
        assert not ht.TIPv4Network("192.0.2.0") and not ht.TIPv4Network("192.0.2.0/33")
        assert ht.TIPv6Network("2001:db8::/64") and not ht.TIPv6Network("2001:db8::")
        assert ht.TIPAddress("::1") and ht.TIPAddress("127.0.0.1") and not ht.TIPAddress("x")

    def test_nic_and_disk_params(self):
        assert ht.TINicParams({"mac": "aa:00:00:00:00:01", "ip": None, "link": "br0"})
        assert not ht.TINicParams({"speed": "1G"})
        assert not ht.TINicParams({"mode": 1})
        assert ht.TIDiskParams({"size": 1024, "mode": "rw", "provider": "x"})
        assert not ht.TIDiskParams({"size": None}) and not ht.TIDiskParams({"": 1})

    def test_set_params_mods(self):
        mods = ht.TSetParamsMods(ht.TINicParams)
        assert mods([])
        assert mods([["add", -1, {"mode": "bridged"}], ["modify", "nic0", {"link": "br1"}]])
        assert mods([["remove", 0, {}]])
        assert mods([["add", {"link": "br0"}], [0, {"link": "br1"}]])  # deprecated form
        assert not mods([["frobnicate", 0, {}]])
        assert not mods([["add", 0, {"bogus": "x"}]])
        assert not mods([["add", 1.5, {}]])

    def test_recreate_disks_info(self):
        check = ht.TRecreateDisksInfo
        assert check([]) and check([0, 1]) and check([[0, {"size": 10}]])
        assert not check([-1]) and not check([[0, {"size": None}]])

    def test_job_dependencies(self):
        deps = ht.TJobDependencies
        assert deps(None) and deps([]) and deps([[1, ["success"]], ["2", []], [-1, ["error"]]])
        assert deps([(3, ["canceled"])])
        assert not deps([[1, ["running"]]]) and not deps([[1]]) and not deps([["x", []]])
        assert not ht.TNoRelativeJobDependencies([[-1, ["success"]]])
        assert ht.TNoRelativeJobDependencies([[1, ["success"]]])

    def test_job_id_list(self):
        assert ht.TJobIdListOnly({"jobs": [[True, 12], [False, "no resources"]]})
        assert not ht.TJobIdListOnly({"jobs": [[True, -1]]})
        assert not ht.TJobIdListOnly({"jobs": [], "other": 1})
        assert ht.TInstanceMultiAllocResponse({"jobs": [], "allocatable": ["a"], "failed": []})

    def test_query_response(self):
        field = {"name": "name", "title": "Name", "kind": "text", "doc": "Name"}
        assert ht.TQueryResponse({"fields": [field], "data": [[[0, "x"]]]})
        assert not ht.TQueryResponse({"fields": [field], "data": [[[9, "x"]]]})
        assert ht.TQueryFieldsResponse({"fields": [field]})

    def test_private(self):
        secret = ht.Private("s3cret")
        assert repr(secret) == "<redacted>" and "s3cret" not in str(secret)
        assert secret.get() == "s3cret" and secret == "s3cret" and secret == ht.Private("s3cret")
        check = ht.TPrivate(ht.TString)
        assert check(secret) and check("plain") and not check(ht.Private(1))
        assert ht.describe(check) == "Private String"

    def test_reason_trail(self):
        assert ht.TReasonTrail([["gnt:client", "because", 1700000000000000000]])
        assert not ht.TReasonTrail([["gnt:client", "because"]])


class TestDescriptions:
    """Descriptions read as Ganeti's (the opcodes reference renders them)."""

    @pytest.mark.parametrize(
        "check,text",
        [
            (ht.TMaybe(ht.TNonEmptyString), "None or NonEmptyString"),
            (ht.TMaybe(ht.TListOf(ht.TAny)), "None or (List of Anything)"),
            (ht.TListOf(ht.TNonEmptyString), "List of NonEmptyString"),
            (ht.TExportMode, "OneOf local, remote"),
            (ht.TNonNegativeInt, "EqualOrGreaterThanZero"),
            (ht.TMaybe(ht.TPositiveInt), "None or GreaterThanZero"),
            (ht.TObject(ht.TAny), "Dictionary with keys of Anything and values of Anything"),
            (ht.TSetOf(ht.TVerifyOptionalChecks), "Set of (OneOf nplusone_mem)"),
            (ht.TMaybe(ht.TListOf(ht.TTupleOf(ht.TInt, ht.TInt))), "None or (List of (Tuple of (Integer, Integer)))"),
            (ht.TDiskIndex, "EqualOrGreaterThanZero and (Less than 16)"),
            (ht.TExportTarget, "NonEmptyString or List"),
            (ht.TIPv4Network, "String and (IPv4 network)"),
            (ht.TMaybe(ht.TIPv6Address), "None or (String and (IPv6 address))"),
            (ht.TJobId, "JobId"),
            (ht.TRelativeJobId, "RelativeJobId"),
            (ht.TINicParams, "Dictionary with keys of (OneOf bridge, ip, link, mac, mode, name, network, vlan) and values of (None or String) [NIC parameters]"),
            (ht.TListOf(ht.TIDiskParams), "List of (Dictionary with keys of NonEmptyString and values of (NonEmptyString or Integer) [Disk parameters])"),
            (ht.TQueryTypeOp, "OneOf cluster, export, extstorage, filter, group, instance, job, lock, network, node, os"),
            (ht.TJobDependencies, "None or (List of (((List of Anything) or Tuple) and (Length 2) and (Item 0 is (JobId or RelativeJobId), item 1 is (List of (OneOf canceled, error, success)))))"),
        ],
    )  # fmt: skip
    def test_wording(self, check, text):
        assert ht.describe(check) == text
        assert check.description == text

    def test_describe_falls_back_to_name(self):
        def my_check(value):
            return True

        assert ht.describe(my_check) == "my_check"

    def test_job_id_list_wording(self):
        text = ht.describe(ht.TJobIdListOnly)
        assert text.startswith('Dictionary containing none but the required key "jobs" (value ')
        assert "Item 0 is (Boolean [success]), item 1 is (String or JobId [Job ID if succ" in text


# --- properties ---------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    value=json_values,
    i=st.integers(0, len(SIMPLE_CHECKS) - 1),
    j=st.integers(0, len(SIMPLE_CHECKS) - 1),
)
def test_or_and_are_boolean_combinations(value, i, j):
    a, b = SIMPLE_CHECKS[i], SIMPLE_CHECKS[j]
    assert ht.TOr(a, b)(value) == (a(value) or b(value))
    assert ht.TAnd(a, b)(value) == (a(value) and b(value))
    assert ht.TOr(a, b, ht.TNone)(value) == (a(value) or b(value) or value is None)
    assert ht.TAnd(a, b, ht.TAny)(value) == (a(value) and b(value))


@settings(max_examples=200, deadline=None)
@given(value=json_values, i=st.integers(0, len(SIMPLE_CHECKS) - 1))
def test_maybe_is_none_or(value, i):
    check = SIMPLE_CHECKS[i]
    assert ht.TMaybe(check)(value) == (value is None or check(value))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(json_values, max_size=6), i=st.integers(0, len(SIMPLE_CHECKS) - 1))
def test_list_of_is_all(values, i):
    check = SIMPLE_CHECKS[i]
    assert ht.TListOf(check)(values) == all(check(v) for v in values)
    assert not ht.TListOf(check)(tuple(values))


@settings(max_examples=200, deadline=None)
@given(
    data=st.dictionaries(st.text(max_size=4), json_values, max_size=5),
    i=st.integers(0, len(SIMPLE_CHECKS) - 1),
)
def test_dict_of_is_all_keys_and_values(data, i):
    check = SIMPLE_CHECKS[i]
    assert ht.TDictOf(ht.TString, check)(data) == all(check(v) for v in data.values())
    assert ht.TDictOf(ht.TNonEmptyString, ht.TAny)(data) == all(data)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_checks_never_raise_and_survive_json(value):
    checks = SIMPLE_CHECKS + [
        ht.TINicParams,
        ht.TIDiskParams,
        ht.TJobDependencies,
        ht.TSetParamsMods(ht.TIDiskParams),
        ht.TRecreateDisksInfo,
        ht.TJobIdListOnly,
        ht.TQueryResponse,
        ht.TIPv4Network,
        ht.TDiskIndex,
        ht.TElemOf(["a", 1]),
    ]
    again = json.loads(json.dumps(value))
    for check in checks:
        result = check(value)
        assert isinstance(result, bool)
        assert check(again) == result
