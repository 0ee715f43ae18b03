"""Cluster verification: the checks behind ``gnt-cluster verify``.

Owns LUClusterVerifyConfig (the configuration, the cluster certificates,
hypervisor parameter syntax, dangling objects) and LUClusterVerifyGroup
(asks every node of a group to verify itself through RPC node_verify and
compares the answers: versions, reachability, clock skew, file checksums,
client certificates, hypervisors, storage, instances), and how problems
are reported: one feedback line per problem, ``  - ERROR: node n1: text``
or, with error codes, ``  - ERROR:ENODEVERSION:node:n1:text``.

It must never change anything: verification only reads the configuration
and asks nodes questions.
"""

import re
import time
from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import pathutils
from ganeti.cmdlib.base import LogicalUnit, NoHooksLU
from ganeti.cmdlib.cluster_verify_os import NodeOsCheck
from ganeti.utils import text as utext

FeedbackFn = Callable[..., None]

ETYPE_ERROR = "ERROR"
ETYPE_WARNING = "WARNING"

TCLUSTER = "cluster"
TGROUP = "group"
TNODE = "node"
TINSTANCE = "instance"


def _item_type(code: str) -> str:
    if code.startswith("ECLUSTER"):
        return TCLUSTER
    if code.startswith("ENODE"):
        return TNODE
    if code.startswith("EGROUP"):
        return TGROUP
    return TINSTANCE


#: error code (the string Ganeti prints) -> the kind of item it is about
CV_ITEM_TYPES: dict[str, str] = {
    code: _item_type(code) for code in sorted(constants.CV_ALL_ECODES_STRINGS)
}

_HOOKS_INDENT_RE = re.compile("^", re.M)


class _VerifyReporter:
    """Formats and counts problems (mixed into the verify LUs)."""

    bad = False
    _feedback_fn: FeedbackFn | None = None
    op: Any

    def _error(
        self, code: str, item: str | None, msg: str, *args: Any, etype: str = ETYPE_ERROR
    ) -> None:
        if code not in CV_ITEM_TYPES:
            raise errors.ProgrammerError("Unknown cluster-verify error code %s" % code)
        itype = CV_ITEM_TYPES[code]
        if code in (self.op.ignore_errors or ()):
            etype = ETYPE_WARNING
        if args:
            msg = msg % args
        if self.op.error_codes:
            line = "%s:%s:%s:%s:%s" % (etype, code, itype, item, msg)
        else:
            line = "%s: %s%s: %s" % (etype, itype, " " + item if item else "", msg)
        if self._feedback_fn is not None:
            self._feedback_fn("  - %s" % line)
        if etype == ETYPE_ERROR:
            self.bad = True

    def _error_if(
        self, cond: Any, code: str, item: str | None, msg: str, *args: Any, etype: str = ETYPE_ERROR
    ) -> bool:
        """Reports when ``cond`` holds (or errors are simulated); returns bool(cond)."""
        if cond or self.op.debug_simulate_errors:
            self._error(code, item, msg, *args, etype=etype)
        return bool(cond)


def all_hypervisor_parameters(cfg: Any, instances: list) -> list[tuple[str, str, dict]]:
    """(source, hypervisor, full parameters) for the cluster, each OS override
    and each instance with its own hvparams."""
    cluster = cfg.get_cluster_info()
    enabled = list(cluster.enabled_hypervisors or [])
    out = [("cluster", hv, cluster.get_hv_defaults(hv)) for hv in enabled]
    for os_name, by_hv in sorted((cluster.os_hvp or {}).items()):
        for hv in sorted(by_hv):
            if hv in enabled:
                out.append(("os %s" % os_name, hv, cluster.simple_fill_hv(hv, os_name, {})))
    for inst in instances:
        if inst.hvparams:
            out.append(("instance %s" % inst.name, inst.hypervisor, cluster.fill_hvparams(inst)))
    return out


def _ssh_ring(names: list[str]) -> dict[str, list[str]]:
    """Whom each node logs in to by SSH: its successor in name order.

    Every node's SSH daemon and every node's key are exercised once: n
    logins instead of Ganeti's n*n, which is what keeps verify fast (an
    SSH login costs a key exchange).  One node checks itself.
    """
    ordered = utext.nice_sort(names)
    if len(ordered) == 1:
        return {ordered[0]: [ordered[0]]}
    return {name: [ordered[(idx + 1) % len(ordered)]] for idx, name in enumerate(ordered)}


def _check_hv_syntax(hv_name: str, params: dict) -> str | None:
    from ganeti import hypervisor

    try:
        hypervisor.get_hypervisor_class(hv_name).check_parameter_syntax(params)
    except errors.GenericError as err:
        return str(err)
    return None


# --- configuration ---------------------------------------------------------------------------


class LUClusterVerifyConfig(_VerifyReporter, NoHooksLU):
    """OP_CLUSTER_VERIFY_CONFIG: checks that need no node."""

    REQ_BGL = False

    def expand_names(self) -> None:
        self.needed_locks = {}

    def _verify_certificates(self) -> None:
        from ganeti.utils import x509

        optional = (pathutils.SPICE_CERT_FILE, pathutils.SPICE_CACERT_FILE)
        for path in (
            pathutils.NODED_CERT_FILE,
            pathutils.RAPI_CERT_FILE,
            pathutils.SPICE_CERT_FILE,
            pathutils.SPICE_CACERT_FILE,
        ):
            try:
                _, pem = x509.read_pem_file(path)
                status, msg = x509.check_expiry(pem)
            except (OSError, errors.X509CertError, ValueError) as err:
                if path in optional and isinstance(err, FileNotFoundError):
                    continue
                if isinstance(err, errors.X509CertError) and err.args and path in optional:
                    if "No such file" in str(err.args[-1]):
                        continue
                self._error(
                    "ECLUSTERCERT",
                    None,
                    "While verifying %s: %s",
                    path,
                    err.args[-1] if err.args else err,
                )
                continue
            if status is not None:
                etype = ETYPE_ERROR if status == "error" else ETYPE_WARNING
                self._error("ECLUSTERCERT", None, "While verifying %s: %s", path, msg, etype=etype)

    def _verify_hvp(self, hvp_data: list[tuple[str, str, dict]]) -> None:
        for source, hv_name, params in hvp_data:
            problem = _check_hv_syntax(hv_name, params)
            self._error_if(
                problem,
                "ECLUSTERCFG",
                None,
                "hypervisor %s parameters syntax check (source %s): %s",
                hv_name,
                source,
                problem,
            )

    def exec(self, feedback_fn: FeedbackFn) -> bool:
        self.bad = False
        self._feedback_fn = feedback_fn
        cfg = self.cfg
        feedback_fn("* Verifying cluster config")
        for msg in cfg.verify_config():
            self._error("ECLUSTERCFG", None, msg)
        feedback_fn("* Verifying cluster certificate files")
        self._verify_certificates()
        feedback_fn("* Verifying hypervisor parameters")
        instances = list(cfg.get_all_instances_info().values())
        self._verify_hvp(all_hypervisor_parameters(cfg, instances))
        feedback_fn("* Verifying all nodes belong to an existing group")
        groups = cfg.get_all_node_groups_info()
        nodes = cfg.get_all_nodes_info()
        dangling_nodes = sorted(n.name for n in nodes.values() if n.group not in groups)
        dangling_insts = sorted(
            inst.name
            for inst in instances
            if inst.primary_node in nodes and nodes[inst.primary_node].group not in groups
        )
        no_node = sorted(inst.name for inst in instances if inst.primary_node not in nodes)
        pretty = [
            "%s (%s)" % (name, ", ".join(i for i in dangling_insts)) if dangling_insts else name
            for name in dangling_nodes
        ]
        self._error_if(
            dangling_nodes,
            "ECLUSTERDANGLINGNODES",
            None,
            "the following nodes (and their instances) belong to a non existing group: %s",
            ", ".join(pretty),
        )
        self._error_if(
            no_node,
            "ECLUSTERDANGLINGINST",
            None,
            "the following instances have a non-existing primary-node: %s",
            ", ".join(no_node),
        )
        return not self.bad


# --- one node group ----------------------------------------------------------------------------


class _NodeImage:
    """What verification learned about one node."""

    __slots__ = (
        "uuid",
        "name",
        "rpc_fail",
        "offline",
        "vm_capable",
        "instances",
        "mfree",
        "volumes",
    )

    def __init__(self, uuid: str, name: str, offline: bool, vm_capable: bool) -> None:
        self.uuid = uuid
        self.name = name
        self.offline = offline
        self.vm_capable = vm_capable
        self.rpc_fail = False
        self.instances: list[str] | None = None
        self.mfree: int | None = None
        self.volumes: dict | None = None


class LUClusterVerifyGroup(_VerifyReporter, LogicalUnit):
    """OP_CLUSTER_VERIFY_GROUP: verifies the nodes (and instances) of one group."""

    HPATH = "cluster-verify"
    HTYPE = constants.HTYPE_CLUSTER
    REQ_BGL = False

    group_uuid = ""
    my_node_uuids: list[str] = []
    my_instances: list = []

    def expand_names(self) -> None:
        self.group_uuid = self.cfg.lookup_node_group(self.op.group_name)
        self.needed_locks = {locking.LEVEL_NODEGROUP: [self.group_uuid], locking.LEVEL_NODE: []}
        self.share_locks[locking.LEVEL_NODEGROUP] = 1
        self.share_locks[locking.LEVEL_NODE] = 1

    def declare_locks(self, level: int) -> None:
        if level == locking.LEVEL_NODE:
            group = self.cfg.get_node_group(self.group_uuid)
            self.needed_locks[locking.LEVEL_NODE] = sorted(group.members if group else [])

    def check_prereq(self) -> None:
        cfg = self.cfg
        group = cfg.get_node_group(self.group_uuid)
        if group is None:
            raise errors.OpPrereqError(
                "Node group %s disappeared" % self.op.group_name, errors.ECODE_NOENT
            )
        self.group_name = group.name
        nodes = cfg.get_all_nodes_info()
        self.my_node_uuids = utext.nice_sort(
            [u for u in group.members if u in nodes], key=lambda u: nodes[u].name
        )
        members = set(self.my_node_uuids)
        self.my_instances = sorted(
            (i for i in cfg.get_all_instances_info().values() if i.primary_node in members),
            key=lambda i: i.name,
        )

    def build_hooks_env(self) -> dict[str, Any]:
        env = {"CLUSTER_TAGS": " ".join(sorted(self.cfg.get_cluster_info().get_tags()))}
        for uuid in self.my_node_uuids:
            node = self.cfg.get_node_info(uuid)
            env["NODE_TAGS_%s" % node.name] = " ".join(sorted(node.get_tags()))
        return env

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        return [], list(self.my_node_uuids)

    # -- the request each node answers --

    def _verify_params(self, node_infos: list) -> dict[str, Any]:
        cfg = self.cfg
        cluster = cfg.get_cluster_info()
        online = [n for n in node_infos if not n.offline]
        files = self._files()
        params: dict[str, Any] = {
            constants.NV_FILELIST: sorted(set().union(*files)),
            constants.NV_NODELIST: [[], _ssh_ring([n.name for n in online])],
            constants.NV_HYPERVISOR: list(cluster.enabled_hypervisors),
            constants.NV_HVPARAMS: all_hypervisor_parameters(cfg, self.my_instances),
            constants.NV_NODENETTEST: [(n.name, n.primary_ip, n.secondary_ip) for n in online],
            constants.NV_INSTANCELIST: list(cluster.enabled_hypervisors),
            constants.NV_VERSION: None,
            constants.NV_HVINFO: cluster.primary_hypervisor,
            constants.NV_NODESETUP: None,
            constants.NV_TIME: None,
            constants.NV_MASTERIP: (cfg.get_master_node_name(), cluster.master_ip),
            constants.NV_VMNODES: [
                cfg.get_node_name(u) for u in cfg.get_non_vm_capable_node_list()
            ],
            constants.NV_CLIENT_CERT: None,
            constants.NV_OSLIST: None,
        }
        if cluster.use_external_mip_script:
            params[constants.NV_USERSCRIPTS] = [pathutils.EXTERNAL_MASTER_SETUP_SCRIPT]
        templates = set(cluster.enabled_disk_templates or ())
        vg_name = cluster.volume_group_name
        if vg_name and templates & constants.DTS_LVM:
            params[constants.NV_VGLIST] = None
            params[constants.NV_LVLIST] = vg_name
            params[constants.NV_PVLIST] = [vg_name]
        if constants.DT_DRBD8 in templates:
            params[constants.NV_DRBDVERSION] = None
            params[constants.NV_DRBDLIST] = None
            params[constants.NV_DRBDHELPER] = cluster.drbd_usermode_helper
        bridges = set()
        default_nic = cluster.nicparams.get(constants.PP_DEFAULT, {})
        if default_nic.get(constants.NIC_MODE) == constants.NIC_MODE_BRIDGED:
            bridges.add(default_nic.get(constants.NIC_LINK))
        for inst in self.my_instances:
            for nic in inst.nics or []:
                full = cluster.fill_nicparams(nic)
                if full.get(constants.NIC_MODE) == constants.NIC_MODE_BRIDGED:
                    bridges.add(full.get(constants.NIC_LINK))
        bridges.discard(None)
        bridges.discard("")
        if bridges:
            params[constants.NV_BRIDGES] = sorted(bridges)
        if templates & constants.DTS_FILEBASED:
            params[constants.NV_ACCEPTED_STORAGE_PATHS] = cfg.get_master_node_name()
        for template, key, path in (
            (constants.DT_FILE, constants.NV_FILE_STORAGE_PATH, cluster.file_storage_dir),
            (
                constants.DT_SHARED_FILE,
                constants.NV_SHARED_FILE_STORAGE_PATH,
                cluster.shared_file_storage_dir,
            ),
            (constants.DT_GLUSTER, constants.NV_GLUSTER_STORAGE_PATH, cluster.gluster_storage_dir),
        ):
            if template in templates and path:
                params[key] = path
        oob = sorted(
            {
                cfg.get_node_ndparams(n).get(constants.ND_OOB_PROGRAM)
                for n in node_infos
                if cfg.get_node_ndparams(n).get(constants.ND_OOB_PROGRAM)
            }
        )
        if oob:
            params[constants.NV_OOB_PATHS] = oob
        return params

    def _files(self) -> tuple[set, set, set, set]:
        from ganeti.cmdlib.cluster_ops import ancillary_files

        return ancillary_files(
            self.cfg.get_cluster_info(), False, self.cfg.get_ssconf_values().keys()
        )

    # -- per-node checks --

    def _verify_node(self, node: Any, nresult: Any) -> bool:
        name = node.name
        if self._error_if(
            not nresult or not isinstance(nresult, dict),
            "ENODERPC",
            name,
            "unable to verify node: no data returned",
        ):
            return False
        remote = nresult.get(constants.NV_VERSION)
        if self._error_if(
            not (remote and isinstance(remote, (list, tuple)) and len(remote) == 2),
            "ENODERPC",
            name,
            "connection to node returned invalid data",
        ):
            return False
        if self._error_if(
            remote[0] != constants.PROTOCOL_VERSION,
            "ENODEVERSION",
            name,
            "incompatible protocol versions: master %s, node %s",
            constants.PROTOCOL_VERSION,
            remote[0],
        ):
            return False
        self._error_if(
            remote[1] != constants.RELEASE_VERSION,
            "ENODEVERSION",
            name,
            "software version mismatch: master %s, node %s",
            constants.RELEASE_VERSION,
            remote[1],
            etype=ETYPE_WARNING,
        )
        hyp = nresult.get(constants.NV_HYPERVISOR)
        if node.vm_capable and isinstance(hyp, dict):
            for hv_name, hv_result in sorted(hyp.items()):
                self._error_if(
                    hv_result is not None,
                    "ENODEHV",
                    name,
                    "hypervisor %s verify failure: '%s'",
                    hv_name,
                    hv_result,
                )
        hvp = nresult.get(constants.NV_HVPARAMS)
        if node.vm_capable and isinstance(hvp, list):
            for source, hv_name, hv_result in hvp:
                self._error(
                    "ENODEHV",
                    name,
                    "hypervisor %s parameter verify failure (source %s): %s",
                    hv_name,
                    source,
                    hv_result,
                )
        setup = nresult.get(constants.NV_NODESETUP, ["Missing NODESETUP results"])
        self._error_if(setup, "ENODESETUP", name, "node setup error: %s", "; ".join(setup or []))
        return True

    def _verify_time(self, node: Any, nresult: dict, start: float, end: float) -> None:
        value = nresult.get(constants.NV_TIME)
        try:
            merged = float(value[0]) + float(value[1]) / 1000000.0
        except (TypeError, ValueError, IndexError):
            self._error("ENODETIME", node.name, "Node returned invalid time")
            return
        skew = constants.NODE_MAX_CLOCK_SKEW
        if merged < start - skew:
            diff = "%.01fs" % abs(start - merged)
        elif merged > end + skew:
            diff = "%.01fs" % abs(merged - end)
        else:
            diff = None
        self._error_if(
            diff is not None,
            "ENODETIME",
            node.name,
            "Node time diverges by at least %s from master node time",
            diff,
        )

    def _verify_network(self, node: Any, nresult: dict) -> None:
        name = node.name
        ssh = nresult.get(constants.NV_NODELIST)
        if not self._error_if(
            ssh is None, "ENODESSH", name, "node hasn't returned node ssh connectivity data"
        ):
            for other, msg in sorted((ssh or {}).items()):
                self._error("ENODESSH", name, "ssh communication with node '%s': %s", other, msg)
        tcp = nresult.get(constants.NV_NODENETTEST)
        if not self._error_if(
            tcp is None, "ENODENET", name, "node hasn't returned node tcp connectivity data"
        ):
            for other in utext.nice_sort(list(tcp or {})):
                self._error(
                    "ENODENET", name, "tcp communication with node '%s': %s", other, tcp[other]
                )
        if constants.NV_MASTERIP not in nresult:
            self._error("ENODENET", name, "node hasn't returned node master IP reachability data")
        elif not nresult[constants.NV_MASTERIP]:
            if node.uuid == self.cfg.get_master_node():
                msg = "the master node cannot reach the master IP (not configured?)"
            else:
                msg = "cannot reach the master IP"
            self._error("ENODENET", name, msg)

    def _verify_misc(self, node: Any, nresult: dict, is_master: bool) -> None:
        name = node.name
        scripts = nresult.get(constants.NV_USERSCRIPTS)
        if constants.NV_USERSCRIPTS in self._params:
            if not self._error_if(
                scripts is None, "ENODEUSERSCRIPTS", name, "did not return user scripts information"
            ):
                self._error_if(
                    scripts,
                    "ENODEUSERSCRIPTS",
                    name,
                    "user scripts not present or not executable: %s",
                    ", ".join(sorted(scripts or [])),
                )
        for problem in nresult.get(constants.NV_OOB_PATHS) or []:
            self._error("ENODEOOBPATH", name, "%s", problem)
        if is_master and constants.NV_ACCEPTED_STORAGE_PATHS in self._params:
            forbidden = nresult.get(constants.NV_ACCEPTED_STORAGE_PATHS)
            if forbidden is None:
                self._error(
                    "ENODEFILESTORAGEPATHS",
                    name,
                    "Node did not return forbidden file storage paths",
                )
            else:
                self._error_if(
                    forbidden,
                    "ENODEFILESTORAGEPATHS",
                    name,
                    "Found forbidden file storage paths: %s",
                    ", ".join(forbidden),
                )
        for key, code, what in (
            (constants.NV_FILE_STORAGE_PATH, "ENODEFILESTORAGEPATHUNUSABLE", "file"),
            (
                constants.NV_SHARED_FILE_STORAGE_PATH,
                "ENODESHAREDFILESTORAGEPATHUNUSABLE",
                "shared file",
            ),
            (constants.NV_GLUSTER_STORAGE_PATH, "ENODEGLUSTERSTORAGEPATHUNUSABLE", "gluster"),
        ):
            problem = nresult.get(key)
            self._error_if(
                problem, code, name, "The configured %s storage path is unusable: %s", what, problem
            )

    def _verify_vm_node(self, node: Any, nresult: dict, nimg: _NodeImage) -> None:
        name = node.name
        cluster = self.cfg.get_cluster_info()
        if constants.NV_VGLIST in self._params:
            vglist = nresult.get(constants.NV_VGLIST)
            vg_name = cluster.volume_group_name
            if vglist is None:
                self._error("ENODELVM", name, "unable to check volume groups")
            elif vg_name not in vglist:
                self._error("ENODELVM", name, "volume group '%s' missing", vg_name)
            lvs = nresult.get(constants.NV_LVLIST)
            if isinstance(lvs, str):
                self._error("ENODELVM", name, "LVM problem on node: %s", lvs)
            elif isinstance(lvs, dict):
                nimg.volumes = lvs
            pvs = nresult.get(constants.NV_PVLIST)
            if isinstance(pvs, str):
                self._error("ENODELVM", name, "Can't get PV list from node: %s", pvs)
        if constants.NV_DRBDHELPER in self._params:
            helper = nresult.get(constants.NV_DRBDHELPER)
            if not (isinstance(helper, (list, tuple)) and len(helper) == 2):
                self._error("ENODEDRBDHELPER", name, "no drbd usermode helper returned")
            else:
                ok, payload = helper
                if not self._error_if(
                    not ok,
                    "ENODEDRBDHELPER",
                    name,
                    "drbd usermode helper check unsuccessful: %s",
                    payload,
                ):
                    expected = cluster.drbd_usermode_helper
                    self._error_if(
                        expected and payload != expected,
                        "ENODEDRBDHELPER",
                        name,
                        "wrong drbd usermode helper: %s",
                        payload,
                    )
            drbd = nresult.get(constants.NV_DRBDLIST)
            self._error_if(
                isinstance(drbd, str), "ENODEDRBD", name, "cannot parse drbd status file: %s", drbd
            )
        idata = nresult.get(constants.NV_INSTANCELIST)
        if not self._error_if(
            not isinstance(idata, list),
            "ENODEHV",
            name,
            "rpc call to node failed (instancelist): %s",
            idata,
        ):
            nimg.instances = list(idata)
        hvinfo = nresult.get(constants.NV_HVINFO)
        if not self._error_if(
            not isinstance(hvinfo, dict),
            "ENODEHV",
            name,
            "rpc call to node failed (hvinfo): %s",
            hvinfo,
        ):
            try:
                nimg.mfree = int(hvinfo["memory_free"])
            except (KeyError, TypeError, ValueError):
                self._error("ENODERPC", name, "node returned invalid nodeinfo, check hypervisor")
        missing = nresult.get(constants.NV_BRIDGES)
        if constants.NV_BRIDGES in self._params:
            if not self._error_if(
                not isinstance(missing, list),
                "ENODENET",
                name,
                "did not return valid bridge information",
            ):
                self._error_if(
                    missing, "ENODENET", name, "missing bridges: %s", ", ".join(sorted(missing))
                )

    # -- cluster-wide comparisons --

    def _verify_client_certs(self, nodes: list, nvinfo: dict) -> None:
        certs = dict(self.cfg.get_cluster_info().candidate_certs or {})
        known = set(certs.values())
        for node in nodes:
            if node.offline:
                continue
            res = nvinfo.get(node.uuid)
            if res is None or res.fail_msg or not isinstance(res.payload, dict):
                continue
            value = res.payload.get(constants.NV_CLIENT_CERT)
            try:
                errcode, msg = value
            except (TypeError, ValueError):
                self._error(
                    "ECLUSTERCLIENTCERT",
                    None,
                    "Node '%s' returned no client certificate information",
                    node.name,
                )
                continue
            if self._error_if(
                errcode is not None,
                "ECLUSTERCLIENTCERT",
                None,
                "Client certificate of node '%s' failed validation: %s (code '%s')",
                node.name,
                msg,
                errcode,
            ):
                continue
            digest = msg
            if node.master_candidate:
                if node.uuid in certs:
                    self._error_if(
                        digest != certs[node.uuid],
                        "ECLUSTERCLIENTCERT",
                        None,
                        "Client certificate digest of master candidate '%s' does not match its"
                        " entry in the cluster's map of master candidate certificates."
                        " Expected: %s Got: %s",
                        node.name,
                        certs[node.uuid],
                        digest,
                    )
                else:
                    self._error(
                        "ECLUSTERCLIENTCERT",
                        None,
                        "The master candidate '%s' does not have an entry in the map of"
                        " candidate certificates.",
                        node.name,
                    )
                    self._error_if(
                        digest in known,
                        "ECLUSTERCLIENTCERT",
                        None,
                        "Master candidate '%s' is using a certificate of another node.",
                        node.name,
                    )
            else:
                self._error_if(
                    node.uuid in certs,
                    "ECLUSTERCLIENTCERT",
                    None,
                    "Node '%s' is not a master candidate, but still listed in the map of"
                    " master candidate certificates.",
                    node.name,
                )
                self._error_if(
                    node.uuid not in certs and digest in known,
                    "ECLUSTERCLIENTCERT",
                    None,
                    "Node '%s' is not a master candidate and is incorrectly using a"
                    " certificate of another node which is master candidate.",
                    node.name,
                )

    def _verify_files(self, nodes: list, nvinfo: dict, files: tuple[set, set, set, set]) -> None:
        files_all, files_opt, files_mc, files_vm = files
        master = self.cfg.get_master_node()
        reporting = []
        checksums: dict[str, dict[str, set[str]]] = {}
        for node in nodes:
            if node.offline:
                continue
            res = nvinfo.get(node.uuid)
            node_files = None
            if res is not None and not res.fail_msg and isinstance(res.payload, dict):
                node_files = res.payload.get(constants.NV_FILELIST)
            if self._error_if(
                not isinstance(node_files, dict),
                "ENODEFILECHECK",
                node.name,
                "Node did not return file checksum data",
            ):
                continue
            reporting.append(node)
            for path, checksum in node_files.items():
                checksums.setdefault(path, {}).setdefault(checksum, set()).add(node.name)
        names = {n.uuid: n.name for n in reporting}
        groups = (
            (files_all, lambda n: True),
            (files_mc, lambda n: n.master_candidate or n.uuid == master),
            (files_vm, lambda n: n.vm_capable),
        )
        for files, wanted in groups:
            for path in sorted(files):
                expected = {n.name for n in reporting if wanted(n)}
                found = checksums.get(path, {})
                having = set().union(*found.values()) if found else set()
                missing = expected - having
                if path in files_opt:
                    self._error_if(
                        missing and missing != expected,
                        "ECLUSTERFILECHECK",
                        None,
                        "File %s is optional, but it must exist on all or no nodes (not found"
                        " on %s)",
                        path,
                        ", ".join(utext.nice_sort(missing)),
                    )
                else:
                    self._error_if(
                        missing,
                        "ECLUSTERFILECHECK",
                        None,
                        "File %s is missing from node(s) %s",
                        path,
                        ", ".join(utext.nice_sort(missing)),
                    )
                    unexpected = having - expected
                    self._error_if(
                        unexpected,
                        "ECLUSTERFILECHECK",
                        None,
                        "File %s should not exist on node(s) %s",
                        path,
                        ", ".join(utext.nice_sort(unexpected)),
                    )
                variants = [
                    "variant %d on %s" % (idx + 1, ", ".join(utext.nice_sort(holders)))
                    for idx, (_, holders) in enumerate(sorted(found.items()))
                ]
                self._error_if(
                    len(found) > 1,
                    "ECLUSTERFILECHECK",
                    None,
                    "File %s found with %d different checksums (%s)",
                    path,
                    len(found),
                    "; ".join(variants),
                )
        del names

    def _verify_instances(self, images: dict[str, _NodeImage]) -> tuple[int, int]:
        """Instance checks against the nodes' instance lists; returns
        (non-redundant, offline) instance counts."""
        cfg = self.cfg
        nodes = cfg.get_all_nodes_info()
        non_redundant = offline = 0
        for inst in self.my_instances:
            if inst.admin_state == constants.ADMINST_OFFLINE:
                offline += 1
            pnode = nodes.get(inst.primary_node)
            pimg = images.get(inst.primary_node)
            if not cfg.get_instance_secondary_nodes(inst.uuid):
                non_redundant += 1
            if pnode is None or pnode.offline:
                self._error_if(
                    inst.admin_state == constants.ADMINST_UP,
                    "EINSTANCEBADNODE",
                    inst.name,
                    "instance is marked as running and lives on offline node %s",
                    pnode.name if pnode else inst.primary_node,
                )
                continue
            if pimg is None or pimg.rpc_fail or pimg.instances is None:
                continue
            running = inst.name in pimg.instances
            self._error_if(
                inst.admin_state == constants.ADMINST_UP and not running,
                "EINSTANCEDOWN",
                inst.name,
                "instance not running on its primary node %s",
                pnode.name,
            )
            for uuid, img in images.items():
                if uuid == inst.primary_node or img.instances is None:
                    continue
                self._error_if(
                    inst.name in img.instances,
                    "EINSTANCEWRONGNODE",
                    inst.name,
                    "instance should not run on node %s",
                    img.name,
                )
        known = {i.name for i in cfg.get_all_instances_info().values()}
        for img in images.values():
            for name in sorted(img.instances or []):
                self._error_if(
                    name not in known,
                    "ENODEORPHANINSTANCE",
                    img.name,
                    "instance %s on node %s should not exist",
                    name,
                    img.name,
                )
        return non_redundant, offline

    def _verify_orphan_volumes(self, images: dict[str, _NodeImage]) -> None:
        cluster = self.cfg.get_cluster_info()
        reserved = [re.compile("^%s$" % pattern) for pattern in cluster.reserved_lvs or []]
        wanted: dict[str, set[str]] = {}
        for disk in self.cfg.get_all_disks_info().values():
            if disk.dev_type == constants.DT_PLAIN and disk.logical_id:
                for node in disk.all_nodes():
                    wanted.setdefault(node, set()).add("%s/%s" % tuple(disk.logical_id))
        for uuid, img in images.items():
            if img.volumes is None:
                continue
            for volume in sorted(img.volumes):
                if volume in wanted.get(uuid, set()):
                    continue
                if any(p.match(volume) for p in reserved):
                    continue
                self._error("ENODEORPHANLV", img.name, "volume %s is unknown", volume)

    # -- the LU --

    def exec(self, feedback_fn: FeedbackFn) -> bool:
        self.bad = False
        self._feedback_fn = feedback_fn
        cfg = self.cfg
        feedback_fn("* Verifying group '%s'" % self.group_name)
        if not self.my_node_uuids:
            feedback_fn("* Empty node group, skipping verification")
            return True
        if self.rpc is None:
            raise errors.OpExecError("Node RPC is not available on this master")
        master = cfg.get_master_node()
        node_infos = [cfg.get_node_info(u) for u in self.my_node_uuids]
        images = {n.uuid: _NodeImage(n.uuid, n.name, n.offline, n.vm_capable) for n in node_infos}
        feedback_fn("* Gathering data (%d nodes)" % len(node_infos))
        self._params = params = self._verify_params(node_infos)
        files = self._files()
        cluster_name = cfg.get_cluster_name()
        all_hvparams = cfg.get_cluster_info().hvparams
        feedback_fn("* Gathering information about nodes (%d nodes)" % len(node_infos))
        online = [n.uuid for n in node_infos if not n.offline]
        start = time.time()
        nvinfo = dict(self.rpc.call_node_verify(online, params, cluster_name, all_hvparams))
        end = time.time()
        file_nodes = list(node_infos)
        if master not in images:
            extra = self.rpc.call_node_verify(
                [master],
                {constants.NV_FILELIST: params[constants.NV_FILELIST]},
                cluster_name,
                all_hvparams,
            )
            nvinfo.update(extra)
            file_nodes.append(cfg.get_node_info(master))
        feedback_fn("* Gathering disk information (%d nodes)" % len(node_infos))
        feedback_fn("* Verifying configuration file consistency")
        self._verify_client_certs(node_infos, nvinfo)
        self._verify_files(file_nodes, nvinfo, files)
        feedback_fn("* Verifying node status")
        n_offline = n_drained = 0
        os_check = NodeOsCheck(self._error_if)
        for node in node_infos:
            img = images[node.uuid]
            if node.offline:
                if self.op.verbose:
                    feedback_fn("* Skipping offline node %s" % node.name)
                n_offline += 1
                continue
            if node.uuid == master:
                ntype = "master"
            elif node.master_candidate:
                ntype = "master candidate"
            elif node.drained:
                ntype = "drained"
                n_drained += 1
            else:
                ntype = "regular"
            if self.op.verbose:
                feedback_fn("* Verifying node %s (%s)" % (node.name, ntype))
            res = nvinfo.get(node.uuid)
            msg = res.fail_msg if res is not None else "no answer"
            if self._error_if(msg, "ENODERPC", node.name, "while contacting node: %s", msg):
                img.rpc_fail = True
                continue
            nresult = res.payload
            if not self._verify_node(node, nresult):
                continue
            self._verify_time(node, nresult, start, end)
            self._verify_network(node, nresult)
            self._verify_misc(node, nresult, node.uuid == master)
            if node.vm_capable:
                self._verify_vm_node(node, nresult, img)
                os_check.verify(node.name, nresult)
        feedback_fn("* Verifying instance status")
        non_redundant, i_offline = self._verify_instances(images)
        feedback_fn("* Verifying orphan volumes")
        self._verify_orphan_volumes(images)
        if constants.VERIFY_NPLUSONE_MEM not in (self.op.skip_checks or ()):
            feedback_fn("* Verifying N+1 Memory redundancy")
            self._verify_n_plus_one(images)
        feedback_fn("* Other Notes")
        if non_redundant:
            feedback_fn("  - NOTICE: %d non-redundant instance(s) found." % non_redundant)
        if i_offline:
            feedback_fn("  - NOTICE: %d offline instance(s) found." % i_offline)
        if n_offline:
            feedback_fn("  - NOTICE: %d offline node(s) found." % n_offline)
        if n_drained:
            feedback_fn("  - NOTICE: %d drained node(s) found." % n_drained)
        return not self.bad

    def _verify_n_plus_one(self, images: dict[str, _NodeImage]) -> None:
        """Each node must have the memory to take over the auto-balanced
        instances whose secondary it is, per primary node."""
        cfg = self.cfg
        cluster = cfg.get_cluster_info()
        needed: dict[str, dict[str, int]] = {}
        for inst in self.my_instances:
            be = cluster.fill_beparams(inst)
            if not be.get(constants.BE_AUTO_BALANCE):
                continue
            for snode in cfg.get_instance_secondary_nodes(inst.uuid):
                per_primary = needed.setdefault(snode, {})
                per_primary[inst.primary_node] = per_primary.get(inst.primary_node, 0) + int(
                    be.get(constants.BE_MINMEM, 0)
                )
        for snode, per_primary in needed.items():
            img = images.get(snode)
            if img is None or img.mfree is None:
                continue
            for pnode, mem in sorted(per_primary.items()):
                self._error_if(
                    img.mfree < mem,
                    "ENODEN1",
                    img.name,
                    "not enough memory to accomodate instance failovers should node %s fail"
                    " (%dMiB needed, %dMiB available)",
                    cfg.get_node_name(pnode),
                    mem,
                    img.mfree,
                )

    def hooks_callback(
        self, phase: str, hook_results: dict, feedback_fn: FeedbackFn, lu_result: Any
    ) -> Any:
        if phase != constants.HOOKS_PHASE_POST or not self.my_node_uuids:
            return lu_result
        self._feedback_fn = feedback_fn
        feedback_fn("* Hooks Results")
        for node_name in utext.nice_sort(list(hook_results or {})):
            res = hook_results[node_name]
            msg = getattr(res, "fail_msg", None)
            offline = getattr(res, "offline", False)
            if self._error_if(
                msg and not offline,
                "ENODEHOOKS",
                node_name,
                "Communication failure in hooks execution: %s",
                msg,
            ):
                lu_result = False
                continue
            if offline:
                continue
            for script, status, output in getattr(res, "payload", None) or []:
                if self._error_if(
                    status == constants.HKR_FAIL,
                    "ENODEHOOKS",
                    node_name,
                    "Script %s failed, output:",
                    script,
                ):
                    feedback_fn(_HOOKS_INDENT_RE.sub("      ", output or ""))
                    lu_result = False
        return lu_result
