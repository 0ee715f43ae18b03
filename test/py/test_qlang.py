"""Tests for ganeti.qlang: the filter text syntax, CLI name filters, formatter."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from ganeti import errors, qlang

LIB = str(Path(__file__).resolve().parents[2] / "lib")


def test_operator_constants():
    assert (qlang.OP_OR, qlang.OP_AND, qlang.OP_NOT, qlang.OP_TRUE) == ("|", "&", "!", "?")
    assert (qlang.OP_EQUAL, qlang.OP_EQUAL_LEGACY, qlang.OP_NOT_EQUAL) == ("==", "=", "!=")
    assert (qlang.OP_LT, qlang.OP_LE, qlang.OP_GT, qlang.OP_GE) == ("<", "<=", ">", ">=")
    assert (qlang.OP_REGEXP, qlang.OP_CONTAINS) == ("=~", "=[]")


@pytest.mark.parametrize(
    "text,expected",
    [
        ('name == "web1"', ["==", "name", "web1"]),
        ("name == 'web1'", ["==", "name", "web1"]),
        ('name = "web1"', ["==", "name", "web1"]),
        ("pinst_cnt != 0", ["!=", "pinst_cnt", 0]),
        ("mfree < 1024", ["<", "mfree", 1024]),
        ("mfree <= -3", ["<=", "mfree", -3]),
        ("mfree > +7", [">", "mfree", 7]),
        ("mfree >= 2", [">=", "mfree", 2]),
        ("ndp/cpu_speed >= 1.5", [">=", "ndp/cpu_speed", 1.5]),
        ("mfree>=2", [">=", "mfree", 2]),
        ('"a" in tags', ["=[]", "tags", "a"]),
        ('"a" not in tags', ["!", ["=[]", "tags", "a"]]),
        ("5 in disk.sizes", ["=[]", "disk.sizes", 5]),
        ("name =~ /^web/", ["=~", "name", "^web"]),
        ("name =~ m/^web/", ["=~", "name", "^web"]),
        ("name =~ /^web/i", ["=~", "name", "(?i)^web"]),
        ("name =~ /^web/si", ["=~", "name", "(?is)^web"]),
        ("name =~ #a/b#", ["=~", "name", "a/b"]),
        ("name =~ ^a|b^", ["=~", "name", "a|b"]),
        ("name =~ |a^b|", ["=~", "name", "a^b"]),
        (r"name =~ /a\/b/", ["=~", "name", "a/b"]),
        (r"name =~ /\d+\.x/", ["=~", "name", r"\d+\.x"]),
        ("name !~ /^web/", ["!", ["=~", "name", "^web"]]),
        ('name =* "web*"', ["=~", "name", qlang.glob_to_regex("web*")]),
        ('name !* "web?"', ["!", ["=~", "name", qlang.glob_to_regex("web?")]]),
        ("offline", ["?", "offline"]),
        ("nic.ip/0", ["?", "nic.ip/0"]),
        ("not offline", ["!", ["?", "offline"]]),
        ("index", ["?", "index"]),  # a keyword prefix is still a field name
        (r'name == "a\"b"', ["==", "name", 'a"b']),
        (r"name == 'a\'b'", ["==", "name", "a'b"]),
        (r'name == "a\\b"', ["==", "name", "a\\b"]),
        ('name == "tab\\there"', ["==", "name", "tab\there"]),
        ("a and b", ["&", ["?", "a"], ["?", "b"]]),
        ("a or b", ["|", ["?", "a"], ["?", "b"]]),
        ("a and b and c", ["&", ["?", "a"], ["?", "b"], ["?", "c"]]),
        ("a or b or c", ["|", ["?", "a"], ["?", "b"], ["?", "c"]]),
        ("(a)", ["?", "a"]),
        ("not not a", ["!", ["!", ["?", "a"]]]),
    ],
)
def test_parse_forms(text, expected):
    assert qlang.parse_filter(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        # not binds tighter than and, and tighter than or
        ("not a or b and c", ["|", ["!", ["?", "a"]], ["&", ["?", "b"], ["?", "c"]]]),
        ("a or b and c", ["|", ["?", "a"], ["&", ["?", "b"], ["?", "c"]]]),
        ("a and b or c", ["|", ["&", ["?", "a"], ["?", "b"]], ["?", "c"]]),
        ("(a or b) and c", ["&", ["|", ["?", "a"], ["?", "b"]], ["?", "c"]]),
        ("not (a and b)", ["!", ["&", ["?", "a"], ["?", "b"]]]),
        (
            'name =~ /^w/ and not (pinst_cnt > 0 or "x" in tags)',
            [
                "&",
                ["=~", "name", "^w"],
                ["!", ["|", [">", "pinst_cnt", 0], ["=[]", "tags", "x"]]],
            ],
        ),
        ("(a and b) and c", ["&", ["&", ["?", "a"], ["?", "b"]], ["?", "c"]]),
    ],
)
def test_precedence(text, expected):
    assert qlang.parse_filter(text) == expected


@pytest.mark.parametrize(
    "text,col",
    [
        ("", 1),
        ("and", 1),
        ("(a", 3),
        ("a b", 3),
        ("a ==", 3),
        ("a == b", 3),
        ('a == "x', 3),
        ("name =~ /x/q", 9),
        ("name =~ /(/", 9),
        ("a and", 3),
        ("1 == a", 3),
        ("not", 4),
    ],
)
def test_parse_errors_have_position(text, col):
    with pytest.raises(errors.QueryFilterParseError) as info:
        qlang.parse_filter(text)
    err = info.value
    assert isinstance(err, errors.ParseError)
    assert err.args[0].startswith("Failed to parse query filter '%s'" % text)
    assert err.args[1].col == col
    details = err.get_details()
    assert details[1] == text
    assert details[2] == " " * (col - 1) + "^"


def test_parse_error_messages_are_readable():
    with pytest.raises(errors.QueryFilterParseError) as info:
        qlang.parse_filter("name =~ /x/q")
    assert "Unknown regular expression flags: 'q'" in info.value.args[0]
    with pytest.raises(errors.QueryFilterParseError) as info:
        qlang.parse_filter("name =~ /(/")
    assert "Invalid regular expression" in info.value.args[0]
    with pytest.raises(errors.QueryFilterParseError) as info:
        qlang.parse_filter("")
    assert "Expected condition" in info.value.args[0]
    with pytest.raises(errors.QueryFilterParseError):
        qlang.parse_filter(None)


def test_parse_error_is_encodable():
    with pytest.raises(errors.QueryFilterParseError) as info:
        qlang.parse_filter("a ==")
    name, args = errors.encode_exception(info.value)
    assert name == "QueryFilterParseError"
    assert all(isinstance(a, str) for a in args)


def test_glob_to_regex():
    rx = re.compile(qlang.glob_to_regex("web*"))
    assert rx.match("web1") and rx.match("web1.example.com") and rx.match("web")
    assert not rx.match("xweb1")
    rx = re.compile(qlang.glob_to_regex("*.example.com"))
    assert rx.match("a.example.com")
    assert not rx.match("a.b.example.com")  # "*" stays within one component
    rx = re.compile(qlang.glob_to_regex("node?"))
    assert rx.match("node1") and not rx.match("node12") and not rx.match("node.")
    rx = re.compile(qlang.glob_to_regex("a+b"))
    assert rx.match("a+b") and not rx.match("aab")


@pytest.mark.parametrize(
    "text,result",
    [
        ("web1", False),
        ("web1.example.com", False),
        ("web*", False),
        ("node-1_x", False),
        ("a b", True),
        ("a\tb", True),
        ("!x", True),
        ('"x"', True),
        ("'x'", True),
        ("(x", True),
        ("x)", True),
        ("a/b", True),
        ("a<b", True),
        ("a=b", True),
        ("a>b", True),
        ("a\\b", True),
        ("a~b", True),
    ],
)
def test_is_filter_string(text, result):
    assert qlang.is_filter_string(text) is result


def test_make_simple_filter():
    assert qlang.make_simple_filter("name", []) is None
    assert qlang.make_simple_filter("name", None) is None
    assert qlang.make_simple_filter("name", ["a", "b"]) == [
        "|",
        ["=", "name", "a"],
        ["=", "name", "b"],
    ]
    assert qlang.make_simple_filter("node", ["web*"]) == [
        "|",
        ["=~", "node", qlang.glob_to_regex("web*")],
    ]
    assert qlang.make_simple_filter("id", ["12", 3], isnumeric=True) == [
        "|",
        ["=", "id", 12],
        ["=", "id", 3],
    ]


def test_make_filter():
    assert qlang.make_filter([], False) is None
    assert qlang.make_filter(None, False) is None
    assert qlang.make_filter(["a", "b"], False) == ["|", ["=", "name", "a"], ["=", "name", "b"]]
    assert qlang.make_filter(["a"], False, namefield="node") == ["|", ["=", "node", "a"]]
    # one argument that looks like a filter is parsed
    assert qlang.make_filter(["pinst_cnt > 0"], False) == [">", "pinst_cnt", 0]
    # several arguments are names, even if one looks like a filter
    assert qlang.make_filter(["a", "b c"], False) == ["|", ["=", "name", "a"], ["=", "name", "b c"]]
    # forced filter
    assert qlang.make_filter(["offline"], True) == ["?", "offline"]
    with pytest.raises(errors.OpPrereqError) as info:
        qlang.make_filter(["a", "b"], True)
    assert info.value.args[1] == errors.ECODE_INVAL
    with pytest.raises(errors.OpPrereqError):
        qlang.make_filter([], True)
    # custom detection
    assert qlang.make_filter(["x"], False, is_filter_fn=lambda t: True) == ["?", "x"]
    # job ids
    assert qlang.make_filter(["1", "2"], False, namefield="id", isnumeric=True) == [
        "|",
        ["=", "id", 1],
        ["=", "id", 2],
    ]
    with pytest.raises(errors.OpPrereqError) as info:
        qlang.make_filter(["abc"], False, namefield="id", isnumeric=True)
    assert "Invalid job ID" in info.value.args[0]
    with pytest.raises(errors.QueryFilterParseError):
        qlang.make_filter(["a =="], False)


def test_import_is_cheap():
    code = (
        "import sys; import ganeti.qlang as q; assert 'pyparsing' not in sys.modules;"
        "q.make_filter(['a', 'b*'], False); assert 'pyparsing' not in sys.modules;"
        "q.parse_filter('a'); assert 'pyparsing' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": LIB})


def test_format_filter():
    assert qlang.format_filter(["==", "name", "x"]) == 'name == "x"'
    assert qlang.format_filter(["=", "name", "x"]) == 'name == "x"'
    assert qlang.format_filter(["&", ["?", "a"], ["!", ["?", "b"]]]) == "a and not b"
    assert qlang.format_filter(["=[]", "tags", "t"]) == '"t" in tags'
    assert qlang.format_filter(["=~", "name", "a/b"]) == "name =~ #a/b#"
    assert (
        qlang.format_filter(["|", ["&", ["?", "a"], ["?", "b"]], ["<", "c", 1]])
        == "(a and b) or (c < 1)"
    )
    for bad in (
        ["==", "name", True],
        ["==", "name", None],
        ["==", "name", [1]],
        ["==", "bad name", 1],
        ["==", "and", 1],
        ["|", ["?", "a"]],
        ["%", "a"],
        [],
    ):
        with pytest.raises(errors.OpPrereqError):
            qlang.format_filter(bad)
    # every delimiter in the pattern: same regex, escaped slashes
    pattern = "a/b#c^d|e"
    text = qlang.format_filter(["=~", "name", pattern])
    assert re.compile(qlang.parse_filter(text)[2]).pattern == pattern


# ---------------------------------------------------------------- round trip

_field_names = st.from_regex(r"\A[a-z][a-z0-9_/.]{0,8}\Z").filter(
    lambda n: n not in ("and", "or", "not", "in")
)
_values = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False).filter(
        lambda f: re.match(r"^-?\d+\.\d+$", repr(f)) is not None
    ),
    st.text(max_size=12),
)
_regexes = st.text(alphabet="abc.*+?/#^|() ", max_size=10).filter(
    lambda p: _valid_regex(p) and not p.endswith("\\")
)


def _valid_regex(pattern):
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


_leaves = st.one_of(
    st.tuples(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), _field_names, _values).map(list),
    st.tuples(st.just("=[]"), _field_names, _values).map(list),
    st.tuples(st.just("=~"), _field_names, _regexes).map(list),
    _field_names.map(lambda n: ["?", n]),
)
_filters = st.recursive(
    _leaves,
    lambda children: st.one_of(
        children.map(lambda c: ["!", c]),
        st.lists(children, min_size=2, max_size=3).map(lambda cs: ["&"] + cs),
        st.lists(children, min_size=2, max_size=3).map(lambda cs: ["|"] + cs),
    ),
    max_leaves=8,
)


def _escape_regex_form(node):
    # a pattern containing all four delimiters comes back with "\/" for "/"
    if node[0] == "=~" and all(d in node[2] for d in "/#^|"):
        return None
    if node[0] in ("&", "|", "!"):
        for sub in node[1:]:
            if _escape_regex_form(sub) is None:
                return None
    return node


@settings(max_examples=150, deadline=None)
@given(_filters)
def test_round_trip(qfilter):
    if _escape_regex_form(qfilter) is None:
        return
    assert qlang.parse_filter(qlang.format_filter(qfilter)) == qfilter
