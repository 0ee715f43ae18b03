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

import os
from fractions import Fraction
import math
from typing import Callable, Optional

from ganeti import constants
from ganeti.htools import model
from ganeti.htools.rapi_json import JsonError, decode_json, hs_show, pp_json, show_keys
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
    """An Int: numbers round half to even, and wrap at 64 bits."""
    if type(v) is int:
        n = v
    elif _is_num(v):
        n = round(Fraction(v))
    else:
        raise _Bad("Unable to read Int")
    if -(2**63) <= n < 2**63:
        return n
    return (n + 2**63) % 2**64 - 2**63


def r_double(v) -> float:
    if _is_num(v):
        try:
            return float(v)
        except OverflowError:
            return math.inf if v > 0 else -math.inf
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
    return "key '%s' not found, object contains only %s" % (key, show_keys(obj))


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
            % (show_keys(sorted(extra)), show_keys(allowed))
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


# Fast paths for the regular answers: plain types only, anything else
# (missing keys, nulls where a value is needed, other types, unknown
# names) returns None and the exact path gives the result or the error.

_RUN_STATES = frozenset(model.RUN_STATES)
_DT_SET = frozenset(model.DISK_TEMPLATES)


def _plain_strs(v) -> bool:
    return type(v) is list and all(type(x) is str for x in v)


def _int64(v) -> bool:
    return type(v) is int and -(2**63) <= v < 2**63


def _plain_ints(v) -> bool:
    return type(v) is list and all(_int64(x) for x in v)


def _or_zero(v):
    return 0 if v is None else v


def _fast_node(a: dict, guuid: dict) -> Optional[Node]:
    name = a.get("name")
    offline = a.get("offline")
    drained = a.get("drained")
    vm_capable = a.get("vm_capable")
    ndp = a.get("ndparams")
    gu = a.get("group.uuid")
    tags = a.get("tags")
    if (
        type(name) is not str
        or type(offline) is not bool
        or type(drained) is not bool
        or not (vm_capable is None or type(vm_capable) is bool)
        or type(ndp) is not dict
        or type(gu) is not str
        or gu not in guuid
        or not _plain_strs(tags)
    ):
        return None
    excl = ndp.get("exclusive_storage")
    if type(excl) is not bool:
        return None
    live = not offline and vm_capable is not False
    if excl:
        spindles = a.get("sptotal") if live else 0
    else:
        spindles = ndp.get("spindle_count")
    if not _int64(spindles):
        return None
    if live:
        spfree = _or_zero(a.get("spfree"))
        mtotal = a.get("mtotal")
        mnode = a.get("mnode")
        mfree = a.get("mfree")
        dtotal = _or_zero(a.get("dtotal"))
        dfree = _or_zero(a.get("dfree"))
        ctotal = a.get("ctotal")
        cnos = a.get("cnos")
        if not (
            _int64(spfree)
            and (type(mtotal) is float or _int64(mtotal))
            and _int64(mnode)
            and _int64(mfree)
            and (type(dtotal) is float or _int64(dtotal))
            and _int64(dfree)
            and (type(ctotal) is float or _int64(ctotal))
            and _int64(cnos)
        ):
            return None
    else:
        spfree = mnode = mfree = dfree = cnos = 0
        mtotal = dtotal = ctotal = 0.0
    node = Node(
        name,
        float(mtotal),
        mnode,
        mfree,
        float(dtotal),
        dfree,
        float(ctotal),
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


def _fast_instance(a: dict, nidx: dict) -> Optional[Instance]:
    name = a.get("name")
    disk = a.get("disk_usage")
    sizes = a.get("disk.sizes")
    spindles = a.get("disk.spindles")
    be = a.get("beparams")
    pnode = a.get("pnode")
    snodes = a.get("snodes")
    status = a.get("status")
    tags = a.get("tags")
    tmpl = a.get("disk_template")
    if (
        type(name) is not str
        or not _int64(disk)
        or not _plain_ints(sizes)
        or type(spindles) is not list
        or not all(x is None or _int64(x) for x in spindles)
        or type(be) is not dict
        or "oper_ram" not in a
        or type(pnode) is not str
        or pnode not in nidx
        or type(snodes) is not list
        or not (not snodes or (type(snodes[0]) is str and snodes[0] in nidx))
        or type(status) is not str
        or status not in _RUN_STATES
        or not _plain_strs(tags)
        or type(tmpl) is not str
        or tmpl not in _DT_SET
    ):
        return None
    oram = a["oper_ram"]
    if _int64(oram):
        mem = oram
    elif oram is None or type(oram) is str:
        mem = be.get("memory")
        if not _int64(mem):
            return None
    else:
        return None
    vcpus = be.get("vcpus")
    auto_balance = be.get("auto_balance")
    su = be.get("spindle_use")
    if not _int64(vcpus) or type(auto_balance) is not bool or not _int64(su):
        return None
    forthcoming = a.get("forthcoming", False)
    if type(forthcoming) is not bool:
        forthcoming = False
    sdx = nidx[snodes[0]] if snodes else model.NO_SECONDARY
    inst = Instance(
        name, mem, disk, vcpus, status, tags, auto_balance, nidx[pnode], sdx, tmpl, su, forthcoming
    )
    _set_disks(inst, sizes, spindles)
    return inst


def _set_disks(inst: Instance, sizes: list, spindles: list) -> None:
    pairs = list(zip(sizes, spindles))
    inst.disks = [s for s, _ in pairs]
    if all(sp is not None for _, sp in pairs):
        inst.total_spindles = sum(sp for _, sp in pairs)


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
    for key, val in (("mtotal", mtotal), ("dtotal", dtotal), ("ctotal", ctotal)):
        if not math.isfinite(val):  # the reference goes on with garbage
            raise _Bad("%s: key '%s': value out of range" % (desc, key))
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
    _set_disks(inst, sizes, spindles)
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
            n = _fast_node(a, guuid) or _parse_node(a, guuid)
            n.idx = len(nodes)
            nidx[n.name] = n.idx
            nodes.append(n)
        instances = []
        for a in _objects(RESOURCES[2][3], body(2)):
            inst = _fast_instance(a, nidx) or _parse_instance(a, nidx)
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
