"""Numbers read from text the way the reference tools read them.

Owns the parsing of option values and unit sizes with the rules of the
reference's number reader: leading blanks skipped, optional parentheses,
a minus sign as a separate token, decimal, ``0x`` hexadecimal and ``0o``
octal literals, fractions and exponents only for floating values
(``NaN`` and ``Infinity`` too), 64-bit wrap-around for integers, and the
two failure messages ("cannot parse string", "leftover characters").

Pure functions on strings: no I/O, no knowledge of the options.
"""

from __future__ import annotations

from typing import Optional, Tuple

_SYMBOL_CHARS = frozenset("!@#$%&*+./<=>?\\^|:-~")
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_OCT = frozenset("01234567")


class ReadError(ValueError):
    """A value the reference would not read; str() is its message."""


def _skip_space(s: str, k: int) -> int:
    while k < len(s) and s[k].isspace():
        k += 1
    return k


def _digits(s: str, k: int, allowed: frozenset) -> int:
    while k < len(s) and s[k] in allowed:
        k += 1
    return k


def _number(s: str, k: int):
    """The number token at ``k``: (value, integral, end) or None.

    ``value`` is an int for integral literals, else the literal's text
    (read later as a float, correctly rounded)."""
    if k >= len(s) or s[k] not in _DIGITS:
        return None
    if s[k] == "0" and k + 1 < len(s):
        base = s[k + 1]
        if base in "xX":
            e = _digits(s, k + 2, _HEX)
            if e > k + 2:
                return int(s[k + 2 : e], 16), True, e
        elif base in "oO":
            e = _digits(s, k + 2, _OCT)
            if e > k + 2:
                return int(s[k + 2 : e], 8), True, e
    e = _digits(s, k, _DIGITS)
    integral = True
    if e + 1 < len(s) and s[e] == "." and s[e + 1] in _DIGITS:
        e = _digits(s, e + 1, _DIGITS)
        integral = False
    if e < len(s) and s[e] in "eE":
        x = e + 1
        if x < len(s) and s[x] in "+-":
            x += 1
        if x < len(s) and s[x] in _DIGITS:
            e = _digits(s, x, _DIGITS)
            integral = False
    if integral:
        return int(s[k:e]), True, e
    return s[k:e], False, e


def _ident(s: str, k: int) -> int:
    if k < len(s) and s[k].isalpha():
        k += 1
        while k < len(s) and (s[k].isalnum() or s[k] in "_'"):
            k += 1
    return k


def _value(s: str, k: int, floating: bool):
    """One (possibly negated) literal at ``k``: (value, end) or None."""
    k = _skip_space(s, k)
    neg = False
    if k < len(s) and s[k] in _SYMBOL_CHARS:
        e = k
        while e < len(s) and s[e] in _SYMBOL_CHARS:
            e += 1
        if s[k:e] != "-":
            return None
        neg = True
        k = _skip_space(s, e)
    tok = _number(s, k)
    if tok is not None:
        val, integral, end = tok
        if not floating:
            if not integral:
                return None
        else:
            try:
                val = float(val)
            except OverflowError:  # a huge integral literal
                val = float("inf")
    elif floating:
        end = _ident(s, k)
        word = s[k:end]
        if word == "NaN":
            val = float("nan")
        elif word == "Infinity":
            val = float("inf")
        else:
            return None
    else:
        return None
    return (-val if neg else val), end


def _parens(s: str, k: int, floating: bool):
    """A literal inside any number of balanced parentheses."""
    got = _value(s, k, floating)
    if got is not None:
        return got
    k = _skip_space(s, k)
    if k < len(s) and s[k] == "(":
        inner = _parens(s, k + 1, floating)
        if inner is not None:
            val, end = inner
            end = _skip_space(s, end)
            if end < len(s) and s[end] == ")":
                return val, end + 1
    return None


def reads(text: str, floating: bool = False) -> Optional[Tuple[object, str]]:
    """(value, rest of the text) as the reference reads a number, or None."""
    got = _parens(text, 0, floating)
    if got is None:
        return None
    val, end = got
    if not floating:
        val = (val + 2**63) % 2**64 - 2**63
    return val, text[end:]


def try_read(name: str, text: str, floating: bool = False):
    """The value of ``text``; ReadError with the reference's message."""
    got = reads(text, floating)
    if got is None:
        raise ReadError("%s: cannot parse string '%s'" % (name, text))
    val, rest = got
    if rest:
        raise ReadError("%s: leftover characters when parsing '%s': '%s'" % (name, text, rest))
    return val


def read_integer(text: str) -> Optional[Tuple[int, str]]:
    """(integer, rest) for a unit size (no 64-bit wrap), or None."""
    got = _parens(text, 0, False)
    if got is None:
        return None
    return got[0], text[got[1] :]
