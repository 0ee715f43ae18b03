"""The RAPI backend (``-m CLUSTER``) and its offline variant (``file://DIR``).

Owns what the htools read from a remote cluster: the address rules (a bare
name becomes ``https://NAME:5080``, anything with a colon is used as given,
``file://DIR`` reads ``DIR/{groups,nodes,instances,info}.json``), fetching
the four resources with libcurl (no certificate check, HTTP errors are
failures), a JSON reader giving the reference's messages for malformed
input, and turning the answers into an unmerged ClusterData with the
reference's field rules and error texts.

It never writes anything and never exits: every failure is a ``LoadError``
carrying the one-line message the programs print.
"""

from __future__ import annotations

import json
import os
import unicodedata
from fractions import Fraction
from typing import Any, Callable, Optional

from ganeti import constants
from ganeti.htools import model
from ganeti.htools.loader import LoadError
from ganeti.htools.model import ClusterData, Group, Instance, IPolicy, ISpec, Node

FILE_PREFIX = "file://"
DEFAULT_GROUP_UUID = "00000000-0000-0000-0000-000000000000"
CONNECT_TIMEOUT = 15
QUERY_TIMEOUT = 60

# (resource name, URL path, file name, label of the decoding error)
RESOURCES = (
    ("groups", "/2/groups?bulk=1", "groups.json", "Parsing group data"),
    ("nodes", "/2/nodes?bulk=1", "nodes.json", "Parsing node data"),
    ("instances", "/2/instances?bulk=1", "instances.json", "Parsing instance data"),
    ("info", "/2/info", "info.json", "Parsing cluster info"),
)

# libcurl result codes 0..83 under the names the reference prints them
_CURL_CODES = (
    "OK UnspportedProtocol FailedInit UrlMalformat UrlMalformatUser"
    " CouldntResolveProxy CouldntResolveHost CouldntConnect FtpWeirdServerReply"
    " FtpAccessDenied FtpUserPasswordIncorrect FtpWeirdPassReply"
    " FtpWeirdUserReply FtpWeirdPASVReply FtpWeird227Format FtpCantGetHost"
    " FtpCantReconnect FtpCouldnSetBinary PartialFile FtpCouldntRetrFile"
    " FtpWriteError FtpQuoteError HttpReturnedError WriteError MalformatError"
    " FtpCouldnStorFile ReadError OutOfMemory OperationTimeout"
    " FtpCouldntSetAscii FtpPortFailed FtpCouldntUseRest FtpCouldntGetSize"
    " HttpRangeError HttpPostError SSLConnectError BadDownloadResume"
    " FileCouldntReadFile LDAPCannotBind LDPAPSearchFailed LibraryNotFound"
    " FunctionNotFound AbortedByCallback BadFunctionArgument BadCallingOrder"
    " InterfaceFailed BadPasswordEntered TooManyRedirects UnknownTelnetOption"
    " TelnetOptionSyntax Obsolete SSLPeerCertificate GotNothing"
    " SSLEngineNotFound SSLEngineSetFailed SendError RecvError ShareInUse"
    " SSLCertProblem SSLCipher SSLCACert BadContentEncoding LDAPInvalidUrl"
    " FilesizeExceeded FtpSSLFailed SendFailRewind SSLEngineInitFailed"
    " LoginDenied TFtpNotFound TFtpPerm TFtpDiskFull TFtpIllegal TFtpUnknownId"
    " TFtpExists TFtpNoSuchUser ConvFailed ConvReqd SSLCACertBadFile"
    " RemoveFileNotFound SSH SSLShutdownFailed Again SSLCRLBadFile"
    " SSLIssuerError"
).split()


def curl_code_name(code: int) -> str:
    """The name the reference shows for a libcurl result code."""
    if 0 <= code < len(_CURL_CODES):
        return "Curl" + _CURL_CODES[code]
    return "CurlCode %d" % code


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


def _show_keys(keys) -> str:
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
                return self._num(val, neg), j
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
        return self._num(val, neg), i

    @staticmethod
    def _num(val: Fraction, neg: bool):
        if neg:
            val = -val
        if val.denominator == 1:
            return int(val)
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


def _first_wins(pairs: list) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k not in out:
            out[k] = v
    return out


def _reject_constant(name: str):
    raise ValueError(name)


def decode_json(text: str) -> Any:
    """Decodes a JSON text as the reference does (raises ``JsonError``).

    Well-formed input takes the fast standard parser; anything it refuses
    (or where the two could disagree) goes through the exact reader.
    """
    if text[:1] in ("[", "{"):
        try:
            return json.loads(
                text,
                parse_float=Fraction,
                parse_constant=_reject_constant,
                object_pairs_hook=_first_wins,
            )
        except (ValueError, RecursionError):
            pass
    return _TextJson(text).top()


# --------------------------------------------------------------------------
# typed field access with the reference's messages


class _Bad(Exception):
    """A field error; the message is built up as the reference does."""


def _is_num(v) -> bool:
    return isinstance(v, (int, float, Fraction)) and not isinstance(v, bool)


def r_str(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, list):  # a string may come as an array of characters
        for c in v:
            if not isinstance(c, str) or len(c) != 1:
                raise _Bad("Unable to read Char")
        return "".join(v)
    raise _Bad("Unable to read String")


def r_int(v) -> int:
    if _is_num(v):
        return int(v) if isinstance(v, int) else round(Fraction(v))
    raise _Bad("Unable to read Int")


def r_double(v) -> float:
    if _is_num(v):
        return float(v)
    raise _Bad("Unable to read Double")


def r_bool(v) -> bool:
    if isinstance(v, bool):
        return v
    raise _Bad("Unable to read Bool")


def r_obj(v) -> dict:
    if isinstance(v, dict):
        return v
    raise _Bad("Unable to read JSObject")


def r_list(elem: Callable) -> Callable:
    def read(v):
        if not isinstance(v, list):
            raise _Bad("Unable to read list")
        return [elem(x) for x in v]

    return read


def r_maybe(elem: Callable) -> Callable:
    def read(v):
        return None if v is None else elem(v)

    return read


def r_enum(type_name: str, values) -> Callable:
    def read(v):
        try:
            v = r_str(v)
        except _Bad as err:
            raise _Bad("Can't parse value for '%s': %s" % (type_name, err)) from None
        if v not in values:
            raise _Bad("Invalid string value for type %s: %s" % (type_name, hs_show(v)))
        return v

    return read


def r_any(v):
    return v


def _missing(obj: dict, key: str) -> str:
    return "key '%s' not found, object contains only %s" % (key, _show_keys(obj))


def need(obj: dict, key: str, reader: Callable):
    """A mandatory key."""
    if key not in obj:
        raise _Bad(_missing(obj, key))
    try:
        return reader(obj[key])
    except _Bad as err:
        raise _Bad("key '%s': %s" % (key, err)) from None


def opt(obj: dict, key: str, reader: Callable, default):
    """An optional key (absent or null gives ``default``)."""
    val = obj.get(key)
    if val is None:
        return default
    try:
        return reader(val)
    except _Bad as err:
        raise _Bad("key '%s': %s" % (key, err)) from None


def within(desc: str, fn: Callable, *args):
    try:
        return fn(*args)
    except _Bad as err:
        raise _Bad("%s: %s" % (desc, err)) from None


# instance policies (strict objects: all keys required, no others allowed)

_SPEC_KEYS = ("memory-size", "cpu-count", "disk-size", "disk-count", "nic-count", "spindle-use")
_POLICY_KEYS = ("minmax", "std", "disk-templates", "vcpu-ratio", "spindle-ratio")


def _strict(obj, fields):
    """Reads the (key, reader) fields of a strict object, in order."""
    obj = r_obj(obj)
    out = []
    for key, reader in fields:
        if key not in obj:
            raise _Bad(_missing(obj, key))
        try:
            out.append(reader(obj[key]))
        except _Bad as err:
            raise _Bad("Can't parse value for '%s': %s" % (key, err)) from None
    allowed = sorted(k for k, _ in fields)
    extra = [k for k in obj if k not in allowed]
    if extra:
        raise _Bad(
            "Superfluous dictionary keys: %s, but only %s allowed."
            % (_show_keys(sorted(extra)), _show_keys(allowed))
        )
    return out


def r_ispec(v) -> ISpec:
    return ISpec(*_strict(v, [(k, r_int) for k in _SPEC_KEYS]))


def r_minmax(v):
    mn, mx = _strict(v, [("min", r_ispec), ("max", r_ispec)])
    return (mn, mx)


_DISK_TEMPLATES = tuple(model.DISK_TEMPLATES)


def r_ipolicy(v) -> IPolicy:
    mm, std, dts, vr, sr = _strict(
        v,
        [
            ("minmax", r_list(r_minmax)),
            ("std", r_ispec),
            ("disk-templates", r_list(r_enum("DiskTemplate", _DISK_TEMPLATES))),
            ("vcpu-ratio", r_double),
            ("spindle-ratio", r_double),
        ],
    )
    return IPolicy(mm, std, dts, vr, sr)


# --------------------------------------------------------------------------
# the resources


def _parse_group(a: dict) -> Group:
    name = within("Parsing new group", need, a, "name", r_str)
    desc = "Group '%s'" % name
    uuid = within(desc, need, a, "uuid", r_str)
    apol = within(
        desc, need, a, "alloc_policy", r_enum("AllocPolicy", tuple(model.ALLOC_POLICY_ORDER))
    )
    pol = within(desc, need, a, "ipolicy", r_ipolicy)
    tags = within(desc, need, a, "tags", r_list(r_str))
    return Group(name, uuid, apol, tags, [], pol)


def _parse_node(a: dict, guuid: dict) -> Node:
    name = within("Parsing new node", need, a, "name", r_str)
    desc = "Node '%s', error while parsing data" % name
    offline = within(desc, need, a, "offline", r_bool)
    drained = within(desc, need, a, "drained", r_bool)
    vm_capable = within(desc, opt, a, "vm_capable", r_bool, True)
    ndparams = within(desc, need, a, "ndparams", r_any)
    if not isinstance(ndparams, dict):
        raise _Bad("not an object")
    excl = within(desc, need, ndparams, "exclusive_storage", r_bool)
    gu = within(desc, opt, a, "group.uuid", r_str, DEFAULT_GROUP_UUID)
    if gu not in guuid:
        raise _Bad("Unknown group '%s' for node %s" % (gu, name))
    live = not offline and vm_capable

    def lv(key, reader, default):
        return within(desc, need, a, key, reader) if live else default

    def lv_opt(key, reader, default):
        return opt(a, key, reader, default) if live else default

    if excl:
        spindles = lv("sptotal", r_int, 0)
    else:
        spindles = within(desc, need, ndparams, "spindle_count", r_int)
    spfree = lv_opt("spfree", r_int, 0)
    mtotal = lv("mtotal", r_double, 0.0)
    mnode = lv("mnode", r_int, 0)
    mfree = lv("mfree", r_int, 0)
    dtotal = lv_opt("dtotal", r_double, 0.0)
    dfree = lv_opt("dfree", r_int, 0)
    ctotal = lv("ctotal", r_double, 0.0)
    cnos = lv("cnos", r_int, 0)
    tags = within(desc, need, a, "tags", r_list(r_str))
    node = Node(
        name,
        mtotal,
        mnode,
        mfree,
        dtotal,
        dfree,
        ctotal,
        cnos,
        not live or drained,
        spindles,
        spfree,
        guuid[gu],
        excl,
    )
    node.tags = tags
    node.drained = drained
    return node


def _read_node_name(v) -> str:
    if isinstance(v, str):
        return v
    raise _Bad("Wrong JSON type")


def _read_spindles(v) -> list:
    """The per-disk spindles (a list of optional numbers)."""
    if not isinstance(v, list):
        raise _Bad("Expecting array, got '%s'" % pp_json(v))
    out = []
    for x in v:
        if x is None:
            out.append(None)
            continue
        try:
            out.append(r_int(x))
        except _Bad as err:
            raise _Bad("Cannot convert value '%s', error: %s" % (pp_json(x), err)) from None
    return out


def _parse_instance(a: dict, nidx: dict) -> Instance:
    name = within("Parsing new instance", need, a, "name", r_str)
    desc = "Instance '%s', error while parsing data" % name

    def ex(obj, key, reader):
        return within(desc, need, obj, key, reader)

    disk = ex(a, "disk_usage", r_int)
    sizes = ex(a, "disk.sizes", r_list(r_int))
    if "disk.spindles" not in a:
        raise _Bad("%s: %s" % (desc, _missing(a, "disk.spindles")))
    spindles = within(desc, _read_spindles, a["disk.spindles"])
    be = ex(a, "beparams", r_obj)
    oram = ex(a, "oper_ram", r_any)
    if _is_num(oram):
        mem = within(desc, r_int, oram)
    else:
        try:
            mem = ex(be, "memory", r_int)
        except _Bad as err1:
            try:
                mem = ex(be, "maxmem", r_int)
            except _Bad as err2:
                raise _Bad("%s; %s" % (err1, err2)) from None
    vcpus = ex(be, "vcpus", r_int)
    pnode = ex(a, "pnode", r_str)
    if pnode not in nidx:
        raise _Bad("Unknown node '%s' for instance %s" % (pnode, name))
    snodes = ex(a, "snodes", r_list(r_any))
    sdx = model.NO_SECONDARY
    if snodes:
        sname = _read_node_name(snodes[0])
        if sname not in nidx:
            raise _Bad("Unknown node '%s' for instance %s" % (sname, name))
        sdx = nidx[sname]
    status = ex(a, "status", r_enum("InstanceStatus", model.RUN_STATES))
    tags = ex(a, "tags", r_list(r_str))
    auto_balance = ex(be, "auto_balance", r_bool)
    tmpl = ex(a, "disk_template", r_enum("DiskTemplate", _DISK_TEMPLATES))
    su = ex(be, "spindle_use", r_int)
    forthcoming = a.get("forthcoming", False)
    if not isinstance(forthcoming, bool):
        forthcoming = False
    inst = Instance(
        name, mem, disk, vcpus, status, tags, auto_balance, nidx[pnode], sdx, tmpl, su, forthcoming
    )
    pairs = list(zip(sizes, spindles))
    inst.disks = [s for s, _ in pairs]
    if all(sp is not None for _, sp in pairs):
        inst.total_spindles = sum(sp for _, sp in pairs)
    return inst


_HYPERVISORS = tuple(sorted(constants.HYPER_TYPES))


def _parse_info(a: dict):
    desc = "Parsing cluster data"
    master = within(desc, need, a, "master", r_str)
    tags = within(desc, need, a, "tags", r_list(r_str))
    pol = within(desc, need, a, "ipolicy", r_ipolicy)
    hv = within(desc, need, a, "default_hypervisor", r_enum("Hypervisor", _HYPERVISORS))
    return master, tags, pol, hv


def _decode(label: str, body: str):
    try:
        return decode_json(body)
    except JsonError as err:
        raise _Bad("%s: %s" % (label, err)) from None


def _objects(label: str, body: str) -> list:
    data = _decode(label, body)
    if not isinstance(data, list):
        raise _Bad("%s: Unable to read list" % label)
    for item in data:
        if not isinstance(item, dict):
            raise _Bad("%s: Unable to read JSObject" % label)
    return data


def parse_data(bodies: list) -> ClusterData:
    """Builds the unmerged cluster from the four bodies (groups, nodes,
    instances, info), each a text or a ``LoadError`` from reading it."""

    def body(k):
        if isinstance(bodies[k], LoadError):
            raise bodies[k]
        return bodies[k]

    try:
        groups = []
        guuid = {}
        for a in _objects(RESOURCES[0][3], body(0)):
            g = _parse_group(a)
            g.idx = len(groups)
            guuid[g.uuid] = g.idx
            groups.append(g)
        nodes = []
        nidx = {}
        for a in _objects(RESOURCES[1][3], body(1)):
            n = _parse_node(a, guuid)
            n.idx = len(nodes)
            nidx[n.name] = n.idx
            nodes.append(n)
        instances = []
        for a in _objects(RESOURCES[2][3], body(2)):
            inst = _parse_instance(a, nidx)
            inst.idx = len(instances)
            instances.append(inst)
        info = _decode(RESOURCES[3][3], body(3))
        if not isinstance(info, dict):
            raise _Bad("%s: Unable to read JSObject" % RESOURCES[3][3])
        master, ctags, cpol, hv = _parse_info(info)
    except _Bad as err:
        raise LoadError(str(err)) from None
    if master not in nidx:
        raise LoadError("Master node %s unknown" % master)
    nodes[nidx[master]].is_master = True
    cd = ClusterData(groups, nodes, instances, ctags, cpol, True)
    cd.default_hypervisor = hv
    return cd


# --------------------------------------------------------------------------
# reading the resources


def base_url(master: str) -> str:
    """The URL prefix for a cluster given as name, host:port or URL."""
    if ":" in master:
        return master
    return "https://%s:%d" % (master, constants.DEFAULT_RAPI_PORT)


def _io_error(err: OSError) -> LoadError:
    from ganeti.htools.loader import io_error_text

    return LoadError(io_error_text(err))


def read_files(path: str) -> list:
    """The four bodies from ``path`` (texts or LoadErrors)."""
    out: list = []
    for _, _, fname, _ in RESOURCES:
        fpath = os.path.join(path, fname)
        try:
            with open(fpath, encoding="utf-8", errors="surrogateescape") as fh:
                out.append(fh.read())
        except OSError as err:
            if err.filename is None:
                err.filename = fpath
            out.append(_io_error(err))
    return out


def fetch(url: str) -> str:
    """GETs one URL as the reference does (raises LoadError)."""
    import io

    import pycurl

    buf = io.BytesIO()
    c = pycurl.Curl()
    try:
        c.setopt(pycurl.URL, url)
        c.setopt(pycurl.WRITEDATA, buf)
        c.setopt(pycurl.SSL_VERIFYPEER, 0)
        c.setopt(pycurl.SSL_VERIFYHOST, 0)
        c.setopt(pycurl.FAILONERROR, 1)
        c.setopt(pycurl.TIMEOUT, QUERY_TIMEOUT)
        c.setopt(pycurl.CONNECTTIMEOUT, CONNECT_TIMEOUT)
        c.setopt(pycurl.NOSIGNAL, 1)
        try:
            c.perform()
        except pycurl.error as err:
            code = err.args[0] if err.args else -1
            raise LoadError("Curl error for '%s', error %s" % (url, curl_code_name(code))) from None
    finally:
        c.close()
    return buf.getvalue().decode("utf-8", errors="surrogateescape")


def read_http(master: str) -> list:
    """The four bodies from the cluster's RAPI (texts or LoadErrors)."""
    prefix = base_url(master)
    out: list = []
    for _, path, _, _ in RESOURCES:
        try:
            out.append(fetch(prefix + path))
        except LoadError as err:
            out.append(err)
    return out


def read_data(master: str) -> list:
    if master.startswith(FILE_PREFIX):
        return read_files(master[len(FILE_PREFIX) :])
    return read_http(master)


def apply_static_kvm(cd: ClusterData, static_kvm: Optional[int]) -> None:
    """On a KVM cluster the node memory is the static value (default
    4096 MiB; 0 keeps the reported one)."""
    if static_kvm is None:
        static_kvm = 4096
    if getattr(cd, "default_hypervisor", None) == constants.HT_KVM and static_kvm > 0:
        for n in cd.nodes:
            n.n_mem = static_kvm


def load_raw(master: str) -> ClusterData:
    """The cluster as read (no static node memory applied)."""
    return parse_data(read_data(master))


def load(master: str, static_kvm: Optional[int] = None) -> ClusterData:
    """Reads the cluster ``master`` (name, URL or ``file://DIR``)."""
    cd = load_raw(master)
    apply_static_kvm(cd, static_kvm)
    return cd
