"""JSON for the RAPI backend, as the reference reads and shows it.

Owns a JSON text reader accepting what the reference's JSON library
accepts (arrays or objects at the top, its number and string rules) with
its error messages, and the Haskell renderings that appear inside the
reference's messages (``show`` of strings and doubles, the one-line JSON
pretty printer).  Well-formed input takes Python's fast parser.

Pure functions: no I/O, no htools model.
"""

from __future__ import annotations

import json
import unicodedata
from fractions import Fraction
from typing import Any

# --------------------------------------------------------------------------
# Haskell-style rendering used inside messages

_HS_ASCII_NAMES = (
    "NUL SOH STX ETX EOT ENQ ACK a b t n v f r SO SI DLE DC1 DC2 DC3 DC4"
    " NAK SYN ETB CAN EM SUB ESC FS GS RS US"
).split()


def hs_show(text: str) -> str:
    """A string as Haskell's ``show`` renders it (quotes, escapes)."""
    out = ['"']
    n = len(text)
    for k, c in enumerate(text):
        o = ord(c)
        nxt = text[k + 1] if k + 1 < n else ""
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif o == 127:
            out.append("\\DEL")
        elif o > 127:
            out.append("\\%d" % o)
            if nxt.isdigit() and nxt.isascii():
                out.append("\\&")
        elif o < 32:
            name = _HS_ASCII_NAMES[o]
            out.append("\\" + name)
            if name == "SO" and nxt == "H":
                out.append("\\&")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def hs_show_double(x: float) -> str:
    """A Double as Haskell's ``show`` renders it."""
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if str(x).startswith("-") else "0.0"
    sign = "-" if x < 0 else ""
    digits, exp = _float_digits(abs(x))
    if 0.1 <= abs(x) < 10**7:
        if exp <= 0:
            return "%s0.%s%s" % (sign, "0" * -exp, digits)
        if exp >= len(digits):
            return "%s%s%s.0" % (sign, digits, "0" * (exp - len(digits)))
        return "%s%s.%s" % (sign, digits[:exp], digits[exp:])
    rest = digits[1:] or "0"
    return "%s%s.%se%d" % (sign, digits[0], rest, exp - 1)


def _float_digits(x: float):
    """Shortest decimal digits and exponent e with x = 0.DIGITS * 10**e."""
    from decimal import Decimal

    sign, dig, e = Decimal(repr(x)).normalize().as_tuple()
    digits = "".join(str(d) for d in dig)
    return digits, len(digits) + e


def pp_json(v) -> str:
    """A JSON value as the reference's pretty printer shows it (one line)."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (float, Fraction)):
        f = Fraction(v)
        if f.denominator == 1:
            return str(f.numerator)
        return hs_show_double(float(f))
    if isinstance(v, str):
        return _pp_string(v)
    if isinstance(v, list):
        return "[" + ", ".join(pp_json(x) for x in v) + "]"
    return "{" + ", ".join("%s: %s" % (_pp_string(k), pp_json(x)) for k, x in v.items()) + "}"


def _pp_string(s: str) -> str:
    out = ['"']
    for c in s:
        o = ord(c)
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif o < 32 or 127 <= o < 160:
            out.append("\\u%04x" % o)
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def show_keys(keys) -> str:
    return "[" + ",".join(hs_show(k) for k in keys) + "]"


def _hs_is_space(c: str) -> bool:
    if c in " \t\n\r\f\v\xa0":
        return True
    return ord(c) > 0xFF and unicodedata.category(c) == "Zs"


# --------------------------------------------------------------------------
# JSON text reader with the reference's (Text.JSON) acceptance and messages


class JsonError(Exception):
    """Malformed JSON text; the message is the reference's."""


class _TextJson:
    """Recursive reader of one JSON text (arrays/objects at the top)."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)

    def ctx(self, i: int) -> str:
        return self.s[i : i + 8]

    def skip_ws(self, i: int) -> int:
        s, n = self.s, self.n
        while i < n and _hs_is_space(s[i]):
            i += 1
        return i

    def top(self) -> Any:
        first = self.s[:1]
        if first == "[":
            val, i = self.array(0)
        elif first == "{":
            val, i = self.obj(0)
        else:
            raise JsonError(
                "Invalid JSON: a JSON text a serialized object or array at the top level."
            )
        if i < self.n:
            raise JsonError(
                "Invalid tokens at end of JSON string: %s" % hs_show(self.s[i : i + 10])
            )
        return val

    def value(self, i: int):
        s = self.s
        c = s[i] if i < self.n else ""
        if c == '"':
            return self.string(i)
        if c == "[":
            return self.array(i)
        if c == "{":
            return self.obj(i)
        if c in ("t", "f"):
            if s.startswith("true", i):
                return True, i + 4
            if s.startswith("false", i):
                return False, i + 5
            raise JsonError("Unable to parse JSON Bool: " + self.ctx(i))
        if c == "-" or c.isdigit() and c.isascii():
            return self.number(i)
        if s.startswith("null", i):
            return None, i + 4
        raise JsonError("Malformed JSON: invalid token in this context " + self.ctx(i))

    def string(self, i: int):
        s, n = self.s, self.n
        if i >= n or s[i] != '"':
            raise JsonError("Malformed JSON: expecting string: " + self.ctx(i))
        i += 1
        out = []
        while True:
            if i >= n:
                raise JsonError("Unable to parse JSON String: unterminated String: ")
            c = s[i]
            if c == "\\" and i + 1 < n:
                e = s[i + 1]
                simple = {
                    "\\": "\\",
                    '"': '"',
                    "n": "\n",
                    "r": "\r",
                    "t": "\t",
                    "f": "\f",
                    "b": "\b",
                    "/": "/",
                }
                if e in simple:
                    out.append(simple[e])
                    i += 2
                    continue
                if e == "u":
                    digits = s[i + 2 : i + 6]
                    if len(digits) < 4:
                        raise JsonError(
                            "Unable to parse JSON String: invalid hex: " + self.ctx(i + 2)
                        )
                    k = 0
                    while k < 4 and digits[k] in "0123456789abcdefABCDEF":
                        k += 1
                    if k < 4:
                        shown = (
                            "[]"
                            if k == 0
                            else "[(%d,%s)]" % (int(digits[:k], 16), hs_show(digits[k:]))
                        )
                        raise JsonError("Unable to parse JSON String: invalid hex: " + shown[:8])
                    out.append(chr(int(digits, 16)))
                    i += 6
                    continue
                raise JsonError(
                    "Unable to parse JSON String: invalid escape char: " + _show_char(e)
                )
            if c == '"':
                return "".join(out), i + 1
            if ord(c) < 0x20:
                raise JsonError("Illegal unescaped character in string: " + self.ctx(i))
            out.append(c)
            i += 1

    def number(self, i: int):
        s, n = self.s, self.n
        start = i
        neg = s[i] == "-"
        if neg:
            i += 1
        if i >= n:
            raise JsonError("Unable to parse JSON Rational: ")
        c = s[i]
        if c == "0":
            val = Fraction(0)
            i += 1
        elif c.isdigit() and c.isascii():
            j = i
            while j < n and s[j].isdigit() and s[j].isascii():
                j += 1
            val = Fraction(int(s[i:j]))
            i = j
        else:
            raise JsonError("Unable to parse JSON Rational: " + self.ctx(i + 1))
        if i < n and s[i] == ".":
            j = i + 1
            while j < n and s[j].isdigit() and s[j].isascii():
                j += 1
            if j == i + 1:
                # a dot without digits is swallowed, nothing may follow
                return self._num(val, neg, start, j), j
            val += Fraction(int(s[i + 1 : j]), 10 ** (j - i - 1))
            i = j
        if i < n and s[i] in "eE":
            j = i + 1
            sign = 1
            if j < n and s[j] in "+-":
                sign = -1 if s[j] == "-" else 1
                j += 1
            k = j
            while k < n and s[k].isdigit() and s[k].isascii():
                k += 1
            if k == j:
                raise JsonError("Unable to parse JSON exponential: " + self.ctx(j))
            exp = int(s[j:k])
            val = val * 10**exp if sign > 0 else val / 10**exp
            i = k
        return self._num(val, neg, start, i), i

    def _num(self, val: Fraction, neg: bool, start: int, end: int):
        if neg:
            val = -val
        if val.denominator == 1:
            return int(val)
        text = self.s[start:end]
        if len(text) < 16 and "e" not in text and "E" not in text:
            return float(val)
        return val

    def array(self, i: int):
        i = self.skip_ws(i + 1)
        if i < self.n and self.s[i] == "]":
            return [], self.skip_ws(i + 1)
        out = []
        while True:
            val, i = self.value(i)
            out.append(val)
            j = self.skip_ws(i)
            c = self.s[j] if j < self.n else ""
            if c == ",":
                i = self.skip_ws(j + 1)
            elif c == "]":
                return out, self.skip_ws(j + 1)
            else:
                raise JsonError("Unable to parse JSON array: unterminated array: " + self.ctx(i))

    def obj(self, i: int):
        i = self.skip_ws(i + 1)
        if i < self.n and self.s[i] == "}":
            return {}, self.skip_ws(i + 1)
        out: dict = {}
        while True:
            key, i = self.string(i)
            j = self.skip_ws(i)
            if j >= self.n or self.s[j] != ":":
                raise JsonError("Malformed JSON labelled field: " + self.ctx(i))
            val, i = self.value(self.skip_ws(j + 1))
            out.setdefault(key, val)  # the first of repeated keys is looked up
            j = self.skip_ws(i)
            c = self.s[j] if j < self.n else ""
            if c == ",":
                i = self.skip_ws(j + 1)
            elif c == "}":
                return out, self.skip_ws(j + 1)
            else:
                raise JsonError(
                    "Unable to parse JSON object: unterminated sequence: " + self.ctx(i)
                )


def _show_char(c: str) -> str:
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    return "'" + hs_show(c)[1:-1] + "'"


def _parse_float(text: str):
    """A JSON number with a fraction or exponent: a float when that is
    exact enough for every use (short, no exponent), else kept exact."""
    if len(text) < 16 and "e" not in text and "E" not in text:
        return float(text)
    return _exact_number(Fraction(text))


def _exact_number(val: Fraction):
    if val.denominator == 1:
        return int(val)
    return val


def _object(pairs: list) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):  # repeated keys: the first one counts
        d = {}
        for k, v in pairs:
            d.setdefault(k, v)
    return d


def _reject_constant(name: str):
    raise ValueError(name)


def decode_json(text: str) -> Any:
    """Decodes a JSON text as the reference does (raises ``JsonError``).

    Well-formed input takes the fast standard parser; anything it refuses
    (or where the two could disagree) goes through the exact reader.  Of
    a key repeated in an object the first value counts, as there.
    """
    if text[:1] in ("[", "{"):
        try:
            return json.loads(
                text,
                parse_float=_parse_float,
                parse_constant=_reject_constant,
                object_pairs_hook=_object,
            )
        except (ValueError, RecursionError):
            pass
    return _TextJson(text).top()
