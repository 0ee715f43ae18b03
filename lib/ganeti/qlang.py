"""The query filter language: operators, the text syntax, CLI name filters.

Owns the wire form of query2 filters (nested lists in prefix form such as
``["&", ["==", "name", "x"], ["?", "offline"]]``), the parser and formatter of
the human text syntax (``name == "x" and not offline``), and how gnt-* list
commands turn their arguments into a filter.  It must never evaluate a filter
(that is :mod:`ganeti.query`'s job) and must stay cheap to import: pyparsing
is loaded and the grammar built only on the first parse.

Text syntax, by example::

    name == "web1"          ["==", "name", "web1"]      (also "=", legacy)
    pinst_cnt != 0          ["!=", "pinst_cnt", 0]      (also < <= > >=)
    "x" in tags             ["=[]", "tags", "x"]
    "x" not in tags         ["!", ["=[]", "tags", "x"]]
    name =~ m/^web/i        ["=~", "name", "(?i)^web"]  (delimiters / # ^ |)
    name !~ /^web/          ["!", ["=~", "name", "^web"]]
    name =* "web*"          ["=~", "name", <regex of the glob>]
    name !* "web*"          ["!", ["=~", "name", <regex of the glob>]]
    offline                 ["?", "offline"]
    not a or b and c        ["|", ["!", a], ["&", b, c]]  (not > and > or)
"""

import re
import threading
from typing import Any, Callable, Sequence

from ganeti import errors

OP_OR = "|"
OP_AND = "&"
OP_NOT = "!"
OP_TRUE = "?"
OP_EQUAL = "=="
OP_EQUAL_LEGACY = "="
OP_NOT_EQUAL = "!="
OP_LT = "<"
OP_LE = "<="
OP_GT = ">"
OP_GE = ">="
OP_REGEXP = "=~"
OP_CONTAINS = "=[]"

LOGIC_OPS = frozenset([OP_OR, OP_AND])
UNARY_OPS = frozenset([OP_NOT, OP_TRUE])
BINARY_OPS = frozenset(
    [
        OP_EQUAL,
        OP_EQUAL_LEGACY,
        OP_NOT_EQUAL,
        OP_LT,
        OP_LE,
        OP_GT,
        OP_GE,
        OP_REGEXP,
        OP_CONTAINS,
    ]
)
ALL_OPS = LOGIC_OPS | UNARY_OPS | BINARY_OPS

#: A CLI argument containing any of these is taken as a filter, not a name.
FILTER_DETECTION_CHARS = frozenset("\t\n\v\f\r !\"'()/<=>\\~")
#: A name containing any of these is a glob pattern.
GLOB_DETECTION_CHARS = frozenset("*?")

REGEXP_DELIMITERS = "/#^|"
REGEXP_FLAGS = frozenset("si")

_KEYWORDS = frozenset(["and", "or", "not", "in"])
_FIELD_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_/.]*$")
_COMPARISON_OPS = {
    "==": OP_EQUAL,
    "=": OP_EQUAL,
    "!=": OP_NOT_EQUAL,
    "<": OP_LT,
    "<=": OP_LE,
    ">": OP_GT,
    ">=": OP_GE,
}

_parser: Any = None
_parser_lock = threading.Lock()


def glob_to_regex(pattern: str) -> str:
    """Turns a DNS-name glob (``*.example.com``, ``node?``) into a regex.

    ``*`` matches any run of characters within one name component and ``?``
    one character except the dot; a pattern that matches the leading
    components also matches the full name (``web1`` matches
    ``web1.example.com``).
    """
    parts = []
    for char in pattern:
        if char == "*":
            parts.append("[^.]*")
        elif char == "?":
            parts.append("[^.]")
        else:
            parts.append(re.escape(char))
    return "^%s(\\..*)?$" % "".join(parts)


def is_filter_string(text: str) -> bool:
    """Whether a CLI argument should be parsed as a filter, not a name."""
    return bool(FILTER_DETECTION_CHARS.intersection(text))


def is_glob(text: str) -> bool:
    """Whether a CLI name argument is a glob pattern."""
    return bool(GLOB_DETECTION_CHARS.intersection(text))


def _name_part(namefield: str, value: Any, isnumeric: bool) -> list:
    if isnumeric:
        try:
            number = int(value)
        except (TypeError, ValueError) as err:
            raise errors.OpPrereqError(
                "Invalid job ID passed: %s" % err, errors.ECODE_INVAL
            ) from None
        return [OP_EQUAL_LEGACY, namefield, number]
    if isinstance(value, str) and is_glob(value):
        return [OP_REGEXP, namefield, glob_to_regex(value)]
    return [OP_EQUAL_LEGACY, namefield, value]


def make_simple_filter(
    namefield: str, values: Sequence[Any] | None, isnumeric: bool = False
) -> list | None:
    """The filter selecting items by name, as gnt-* list commands build it.

    ``["|", ["=", namefield, a], ["=", namefield, b], ...]``; a glob value
    becomes a ``=~`` condition.  None (no filter) for no values.
    """
    if not values:
        return None
    return [OP_OR] + [_name_part(namefield, value, isnumeric) for value in values]


def make_filter(
    args: Sequence[str] | None,
    force_filter: bool,
    namefield: str | None = None,
    is_filter_fn: Callable[[str], bool] = is_filter_string,
    isnumeric: bool = False,
) -> list | None:
    """Builds the filter for a list command's positional arguments.

    A single argument that looks like a filter (see :func:`is_filter_string`),
    or any argument when ``force_filter`` (``-F``) is set, is parsed with
    :func:`parse_filter`; otherwise the arguments are names or globs.
    """
    if namefield is None:
        namefield = "name"
    args = list(args or [])
    if force_filter or (len(args) == 1 and is_filter_fn(args[0])):
        if len(args) != 1:
            raise errors.OpPrereqError(
                "Exactly one argument must be given as a filter", errors.ECODE_INVAL
            )
        return parse_filter(args[0])
    return make_simple_filter(namefield, args, isnumeric=isnumeric)


def _unescape_delimited(body: str, delim: str) -> str:
    """Removes the backslash from escaped delimiters only.

    Other backslash sequences stay as they are: they belong to the regex.
    """
    out = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(nxt if nxt == delim else char + nxt)
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _build_parser() -> Any:
    import pyparsing as pp

    def fatal(text: str, loc: int, msg: str) -> Exception:
        return pp.ParseFatalException(text, loc, msg)

    keyword = pp.MatchFirst([pp.Keyword(k) for k in sorted(_KEYWORDS)])
    field_name = (~keyword + pp.Word(pp.alphas, pp.alphanums + "_/.")).set_name("field name")

    number = pp.Regex(r"[+-]?\d+(\.\d+)?")
    number.set_parse_action(lambda t: float(t[0]) if "." in t[0] else int(t[0]))
    string = pp.QuotedString('"', esc_char="\\") | pp.QuotedString("'", esc_char="\\")
    rval = (number | string).set_name("value")

    def regex_literal(text, loc, toks):
        literal = toks[0][1:] if toks[0].startswith("m") else toks[0]
        delim = literal[0]
        end = literal.rindex(delim)
        body = _unescape_delimited(literal[1:end], delim)
        flags = literal[end + 1 :]
        unknown = set(flags) - REGEXP_FLAGS
        if unknown:
            raise fatal(
                text, loc, "Unknown regular expression flags: '%s'" % "".join(sorted(unknown))
            )
        pattern = ("(?%s)" % "".join(sorted(set(flags))) if flags else "") + body
        try:
            re.compile(pattern)
        except re.error as err:
            raise fatal(text, loc, "Invalid regular expression (%s)" % err) from None
        return [pattern]

    bodies = []
    for delim in REGEXP_DELIMITERS:
        esc = re.escape(delim)
        bodies.append(r"%s(?:[^%s\\]|\\.)*%s" % (esc, esc, esc))
    regex_value = pp.Regex(r"m?(?:%s)[A-Za-z]*" % "|".join(bodies))
    regex_value.set_parse_action(regex_literal)

    def binary(toks):
        return [[_COMPARISON_OPS[toks[1]], toks[0], toks[2]]]

    comparison = field_name + pp.one_of(list(_COMPARISON_OPS)) + rval
    comparison.set_parse_action(binary)

    in_cond = rval + pp.Suppress(pp.Keyword("in")) + field_name
    in_cond.set_parse_action(lambda t: [[OP_CONTAINS, t[1], t[0]]])
    not_in_cond = rval + pp.Suppress(pp.Keyword("not")) + pp.Suppress(pp.Keyword("in")) + field_name
    not_in_cond.set_parse_action(lambda t: [[OP_NOT, [OP_CONTAINS, t[1], t[0]]]])

    regex_cond = field_name + pp.Suppress("=~") + regex_value
    regex_cond.set_parse_action(lambda t: [[OP_REGEXP, t[0], t[1]]])
    not_regex_cond = field_name + pp.Suppress("!~") + regex_value
    not_regex_cond.set_parse_action(lambda t: [[OP_NOT, [OP_REGEXP, t[0], t[1]]]])

    glob_cond = field_name + pp.Suppress("=*") + string
    glob_cond.set_parse_action(lambda t: [[OP_REGEXP, t[0], glob_to_regex(t[1])]])
    not_glob_cond = field_name + pp.Suppress("!*") + string
    not_glob_cond.set_parse_action(lambda t: [[OP_NOT, [OP_REGEXP, t[0], glob_to_regex(t[1])]]])

    bool_cond = field_name.copy()
    bool_cond.set_parse_action(lambda t: [[OP_TRUE, t[0]]])

    # First match wins: the bare field name must come last.
    condition = (
        regex_cond
        | not_regex_cond
        | glob_cond
        | not_glob_cond
        | comparison
        | in_cond
        | not_in_cond
        | bool_cond
    ).set_name("condition")

    def logic(op):
        def action(toks):
            operands = toks.as_list()
            return [[op] + operands] if len(operands) > 1 else [operands[0]]

        return action

    # Precedence climbing by hand (not > and > or): infix_notation backtracks
    # exponentially on nested parentheses.
    expression = pp.Forward().set_name("filter expression")
    atom = (pp.Suppress("(") + expression + pp.Suppress(")")) | condition
    negation = pp.Forward()
    negated = (pp.Suppress(pp.Keyword("not")) + negation).set_parse_action(
        lambda t: [[OP_NOT, t[0]]]
    )
    negation <<= (negated | atom).set_name("condition")
    conjunction = (
        negation + pp.ZeroOrMore(pp.Suppress(pp.Keyword("and")) + negation)
    ).set_parse_action(logic(OP_AND))
    expression <<= (
        conjunction + pp.ZeroOrMore(pp.Suppress(pp.Keyword("or")) + conjunction)
    ).set_parse_action(logic(OP_OR))
    parser = pp.StringStart() + expression + pp.StringEnd()
    parser.parse_with_tabs()
    return parser


def _get_parser() -> Any:
    global _parser
    if _parser is None:
        with _parser_lock:
            if _parser is None:
                _parser = _build_parser()
    return _parser


def parse_filter(text: str) -> list:
    """Parses the text syntax into a filter (nested lists, prefix form).

    Raises :class:`errors.QueryFilterParseError` (message, pyparsing error
    with ``line``/``col``) when the text is not a valid filter.
    """
    import pyparsing as pp

    if not isinstance(text, str):
        raise errors.QueryFilterParseError(
            "Query filter must be a string, not %s" % type(text).__name__
        )
    parser = _get_parser()
    with _parser_lock:  # pyparsing parsers keep per-parse state
        try:
            result = parser.parse_string(text, parse_all=True)
        except pp.ParseBaseException as err:
            raise errors.QueryFilterParseError(
                "Failed to parse query filter '%s': %s" % (text, err), err
            ) from None
    return result.as_list()[0]


def _format_string(value: str) -> str:
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
        .replace("\f", "\\f")
    )
    return '"%s"' % escaped


def _format_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise errors.OpPrereqError(
            "Value %r cannot be written in the filter text syntax" % (value,), errors.ECODE_INVAL
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if not re.match(r"^[+-]?\d+\.\d+$", text):
            raise errors.OpPrereqError(
                "Number %r cannot be written in the filter text syntax" % value,
                errors.ECODE_INVAL,
            )
        return text
    if isinstance(value, str):
        return _format_string(value)
    raise errors.OpPrereqError(
        "Value %r cannot be written in the filter text syntax" % (value,), errors.ECODE_INVAL
    )


def _format_field(name: Any) -> str:
    if not (isinstance(name, str) and _FIELD_NAME_RE.match(name) and name not in _KEYWORDS):
        raise errors.OpPrereqError(
            "Field name %r cannot be written in the filter text syntax" % (name,),
            errors.ECODE_INVAL,
        )
    return name


def _format_regex(pattern: str) -> str:
    if not isinstance(pattern, str):
        raise errors.OpPrereqError("Regular expression must be a string", errors.ECODE_INVAL)
    for delim in REGEXP_DELIMITERS:
        if delim not in pattern:
            return "%s%s%s" % (delim, pattern, delim)
    # Every delimiter occurs: escape the slashes (same regex, other spelling).
    return "/%s/" % re.sub(r"(?<!\\)/", r"\\/", pattern)


def format_filter(qfilter: Sequence) -> str:
    """Writes a filter in the text syntax; :func:`parse_filter` reads it back.

    Compound operands are parenthesised; ``"="`` is written as ``==``.
    Raises :class:`errors.OpPrereqError` for filters the text syntax cannot
    express (booleans or lists as values, odd field names, empty and/or).
    """

    def fmt(node: Any, top: bool) -> str:
        if not isinstance(node, (list, tuple)) or not node:
            raise errors.OpPrereqError("Invalid filter %r" % (node,), errors.ECODE_INVAL)
        op, operands = node[0], list(node[1:])
        if op in LOGIC_OPS:
            if len(operands) < 2:
                raise errors.OpPrereqError(
                    "Operator '%s' needs at least two operands in text form" % op,
                    errors.ECODE_INVAL,
                )
            word = " and " if op == OP_AND else " or "
            text = word.join(fmt(o, False) for o in operands)
            return text if top else "(%s)" % text
        if op == OP_NOT and len(operands) == 1:
            return "not %s" % fmt(operands[0], False)
        if op == OP_TRUE and len(operands) == 1:
            return _format_field(operands[0])
        if op in BINARY_OPS and len(operands) == 2:
            field, value = operands
            if op == OP_REGEXP:
                text = "%s =~ %s" % (_format_field(field), _format_regex(value))
            elif op == OP_CONTAINS:
                text = "%s in %s" % (_format_value(value), _format_field(field))
            else:
                shown = OP_EQUAL if op == OP_EQUAL_LEGACY else op
                text = "%s %s %s" % (_format_field(field), shown, _format_value(value))
            return text if top else "(%s)" % text
        raise errors.OpPrereqError("Invalid filter %r" % (node,), errors.ECODE_INVAL)

    return fmt(qfilter, True)
