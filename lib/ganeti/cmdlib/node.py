"""Node logical units: add, remove and modify nodes; the candidate pool.

Owns the rules of node membership and roles: who may join (resolvable,
not a duplicate unless re-added, reachable node daemon of our protocol
version, consistent primary/secondary addresses), who may leave (never the
master, never a node with instances), and the role changes of
``gnt-node modify`` (master candidate, drained, offline, master/vm
capable) with Ganeti's rules: one role at a time, the master's role only
through master-failover, no demotion that empties the candidate pool
unless others are auto-promoted.  Candidates get config.data (through the
ConfigWriter save hook), a copy of the job queue and their client
certificate digest in the cluster's ``candidate_certs``.

It must never reach a node except through ``self.rpc`` (the SSH part of a
join is the client's, see ``ganeti.ssh``), nor write config.data except
through ConfigWriter.
"""

import ipaddress
import socket
from typing import Any

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import objects
from ganeti import pathutils
from ganeti.cmdlib.base import LogicalUnit
from ganeti.cmdlib.group import check_params_not_global, update_params

_NOT_MASTER_ROLE = "The master role can be changed only via master failover"


# --- helpers ------------------------------------------------------------------------------


def _ec_id(lu: LogicalUnit) -> Any:
    return getattr(lu.proc, "_ec_id", None)


def expand_node(cfg: Any, name: str) -> tuple[str, str]:
    """(uuid, full name) of node ``name``; OpPrereqError ECODE_NOENT if unknown."""
    uuid, full = cfg.expand_node_name(name)
    if uuid is None:
        raise errors.OpPrereqError("Node '%s' not known" % name, errors.ECODE_NOENT)
    return uuid, full


def resolve_node_name(name: str, family: int = socket.AF_INET) -> tuple[str, str]:
    """(full name, address) of a node name; OpPrereqError ECODE_RESOLVER if unknown."""
    try:
        infos = socket.getaddrinfo(name, None, family, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    except (socket.gaierror, UnicodeError) as err:
        raise errors.OpPrereqError(
            "The given name (%s) does not resolve: %s" % (name, getattr(err, "strerror", err)),
            errors.ECODE_RESOLVER,
        ) from None
    canon = infos[0][3] or name
    full = canon if "." in canon or "." not in name else name
    return full, infos[0][4][0]


def _check_ip(address: str, what: str, family: int) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise errors.OpPrereqError(
            "Invalid %s address '%s'" % (what, address), errors.ECODE_INVAL
        ) from None
    want = 6 if family == socket.AF_INET6 else 4
    if ip.version != want:
        raise errors.OpPrereqError(
            "The %s address %s is not an IPv%d address, as the cluster's are"
            % (what, address, want),
            errors.ECODE_INVAL,
        )
    return str(ip)


def decide_self_promotion(cfg: Any, exceptions: list[str] | None = None) -> bool:
    """Whether a node (not yet counted, or in ``exceptions``) should become
    a master candidate: True while the pool is below its wanted size."""
    cluster = cfg.get_cluster_info()
    mc_now, mc_should, _ = cfg.get_master_candidate_stats(exceptions or [])
    mc_should = min(mc_should + 1, cluster.candidate_pool_size)
    return mc_now < mc_should


def client_cert_digest(lu: LogicalUnit, node: str) -> str | None:
    """The digest of ``node``'s client certificate, asked over RPC."""
    if lu.rpc is None:
        return None
    result = lu.rpc.call_node_crypto_tokens(
        node, [[constants.CRYPTO_TYPE_SSL_DIGEST, constants.CRYPTO_ACTION_GET, None]]
    )
    if result.fail_msg and "Unknown procedure" in result.fail_msg:
        # a node daemon without crypto tokens reports its certificate in node_verify
        verify = lu.rpc.call_node_verify(
            [node], {constants.NV_CLIENT_CERT: None}, lu.cfg.get_cluster_name(), {}
        )[node]
        try:
            errcode, value = verify.payload[constants.NV_CLIENT_CERT]
        except (KeyError, TypeError, ValueError):
            errcode, value = "no answer", verify.fail_msg or "no client certificate information"
        if errcode is None and not verify.fail_msg:
            return value
        result = verify
        result.fail_msg = result.fail_msg or "client certificate unusable: %s" % value
    if result.fail_msg:
        lu.log_warning(
            "Could not get the client certificate digest of node %s: %s;"
            " it cannot act as master until 'gnt-cluster renew-crypto"
            " --new-node-certificates' has run",
            result.node or node,
            result.fail_msg,
        )
        return None
    for token_type, value in result.payload or []:
        if token_type == constants.CRYPTO_TYPE_SSL_DIGEST:
            return value
    return None


def set_candidate_cert(
    lu: LogicalUnit, node_uuid: str, digest: str | None, feedback_fn: Any
) -> None:
    """Records (digest) or forgets (None) a candidate's certificate digest."""
    cluster = lu.cfg.get_cluster_info()
    certs = dict(cluster.candidate_certs or {})
    if digest is None:
        if node_uuid not in certs:
            return
        del certs[node_uuid]
    else:
        if certs.get(node_uuid) == digest:
            return
        certs[node_uuid] = digest
    cluster.candidate_certs = certs
    lu.cfg.update(cluster, feedback_fn)


def replicate_queue(lu: LogicalUnit) -> None:
    """Sends the whole job queue to the candidates (a new one needs it all)."""
    jq = getattr(lu.context, "jq", None)
    fn = getattr(jq, "replicate_all", None)
    if fn is None:
        return
    try:
        fn()
    except errors.GenericError as err:
        lu.log_warning("Could not copy the job queue to the master candidates: %s", err)


def redistribute_ancillary_files(lu: LogicalUnit, node_uuids: list[str]) -> None:
    """Copies the cluster-wide files a node needs besides config and ssconf."""
    if lu.rpc is None or not node_uuids:
        return
    import os

    for path in (
        pathutils.SSH_KNOWN_HOSTS_FILE,
        pathutils.RAPI_CERT_FILE,
        pathutils.SPICE_CERT_FILE,
        pathutils.SPICE_CACERT_FILE,
        pathutils.CONFD_HMAC_KEY,
        pathutils.CLUSTER_DOMAIN_SECRET_FILE,
    ):
        if not os.path.exists(path):
            continue
        for node, res in lu.rpc.call_upload_file(node_uuids, path).items():
            if res.fail_msg and not res.offline:
                lu.log_warning(
                    "Copy of file %s to node %s failed: %s", path, res.node or node, res.fail_msg
                )


def _other_node_uuids(cfg: Any, exclude: list[str]) -> list[str]:
    return [
        uuid for uuid, node in cfg.get_all_nodes_info().items()
        if uuid not in exclude and not node.offline
    ]  # fmt: skip


def _node_role(node: objects.Node, master_uuid: str) -> str:
    if node.uuid == master_uuid:
        return constants.NR_MASTER
    if node.master_candidate:
        return constants.NR_MCANDIDATE
    if node.drained:
        return constants.NR_DRAINED
    if node.offline:
        return constants.NR_OFFLINE
    return constants.NR_REGULAR


# --- node add ---------------------------------------------------------------------------------


class LUNodeAdd(LogicalUnit):
    """OP_NODE_ADD: adds (or re-adds) a node whose daemon already runs.

    ``gnt-node add`` has set the node up over SSH before submitting the
    opcode; here the node daemon must answer with our protocol version.
    """

    HPATH = "node-add"
    HTYPE = constants.HTYPE_NODE
    REQ_BGL = True

    node_name: str
    primary_ip: str
    secondary_ip: str
    master_candidate: bool
    old_node: objects.Node | None
    group_uuid: str
    new_ndparams: dict[str, Any]

    def check_arguments(self) -> None:
        family = self.cfg.get_cluster_info().primary_ip_family or socket.AF_INET
        self.node_name, address = resolve_node_name(self.op.node_name, family)
        self.op.node_name = self.node_name
        self.primary_ip = _check_ip(self.op.primary_ip or address, "primary", family)
        if ipaddress.ip_address(self.primary_ip).is_loopback:
            raise errors.OpPrereqError(
                "The node's address %s is a loopback address; the cluster's nodes must"
                " reach it (check /etc/hosts)" % self.primary_ip,
                errors.ECODE_ENVIRON,
            )
        self.secondary_ip = (
            _check_ip(self.op.secondary_ip, "secondary", socket.AF_INET)
            if self.op.secondary_ip
            else self.primary_ip
        )
        if self.op.readd and self.op.group:
            raise errors.OpPrereqError(
                "Cannot pass a node group when a node is re-added (use gnt-group assign-nodes)",
                errors.ECODE_INVAL,
            )

    def expand_names(self) -> None:
        self.needed_locks = {}

    def build_hooks_env(self) -> dict[str, Any]:
        return {
            "OP_TARGET": self.node_name,
            "NODE_NAME": self.node_name,
            "NODE_PIP": self.primary_ip,
            "NODE_SIP": self.secondary_ip,
            "MASTER_CAPABLE": str(self.op.master_capable),
            "VM_CAPABLE": str(self.op.vm_capable),
        }

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        existing = [
            uuid for uuid, node in self.cfg.get_all_nodes_info().items()
            if node.name != self.node_name
        ]  # fmt: skip
        return existing, existing + [self.node_name]

    def check_prereq(self) -> None:
        cfg = self.cfg
        existing = cfg.get_node_info_by_name(self.node_name)
        if self.op.readd:
            if existing is None:
                raise errors.OpPrereqError(
                    "Node %s is not in the configuration" % self.node_name, errors.ECODE_NOENT
                )
            if existing.uuid == cfg.get_master_node():
                raise errors.OpPrereqError("Cannot re-add the master node", errors.ECODE_STATE)
        elif existing is not None:
            raise errors.OpPrereqError(
                "Node %s is already in the configuration (use --readd to re-add it)"
                % self.node_name,
                errors.ECODE_EXISTS,
            )
        self.old_node = existing
        for node in cfg.get_all_nodes_info().values():
            if existing is not None and node.uuid == existing.uuid:
                continue
            mine = {self.primary_ip, self.secondary_ip}
            if mine & {node.primary_ip, node.secondary_ip}:
                raise errors.OpPrereqError(
                    "New node ip address(es) conflict with existing node %s" % node.name,
                    errors.ECODE_NOTUNIQUE,
                )
        master = cfg.get_master_node_info()
        master_single = master.primary_ip == master.secondary_ip
        new_single = self.primary_ip == self.secondary_ip
        if master_single and not new_single:
            raise errors.OpPrereqError(
                "The master has no secondary ip but the new node has one", errors.ECODE_INVAL
            )
        if not master_single and new_single:
            raise errors.OpPrereqError(
                "The master has a secondary ip but the new node doesn't have one",
                errors.ECODE_INVAL,
            )
        if self.op.readd:
            self.group_uuid = existing.group
            base = existing.ndparams
        else:
            self.group_uuid = cfg.lookup_node_group(self.op.group)
            base = {}
        self.new_ndparams = update_params(
            base, self.op.ndparams, constants.NDS_PARAMETER_TYPES, "node"
        )
        check_params_not_global(self.op.ndparams, constants.NDC_GLOBALS, "node")
        for attr in ("master_capable", "vm_capable"):
            if getattr(self.op, attr) is None:
                setattr(self.op, attr, getattr(existing, attr) if existing is not None else True)
        self._check_node_daemon()
        if self.op.master_capable:
            self.master_candidate = decide_self_promotion(
                cfg, [existing.uuid] if existing is not None else None
            )
        else:
            self.master_candidate = False

    def _check_node_daemon(self) -> None:
        if self.rpc is None:
            raise errors.OpPrereqError(
                "Node RPC is not available on this master", errors.ECODE_ENVIRON
            )
        result = self.rpc.call_version([self.node_name])[self.node_name]
        if result.fail_msg:
            raise errors.OpPrereqError(
                "Cannot reach the node daemon of %s (%s); was 'gnt-node add' able to set"
                " it up over SSH?" % (self.node_name, result.fail_msg),
                errors.ECODE_ENVIRON,
            )
        if result.payload != constants.PROTOCOL_VERSION:
            raise errors.OpPrereqError(
                "Version mismatch: master version %s, node version %s"
                % (constants.PROTOCOL_VERSION, result.payload),
                errors.ECODE_ENVIRON,
            )
        if self.secondary_ip != self.primary_ip:
            res = self.rpc.call_node_has_ip_address(self.node_name, self.secondary_ip)
            if res.fail_msg or not res.payload:
                raise errors.OpPrereqError(
                    "Node %s does not have the secondary address %s%s"
                    % (
                        self.node_name,
                        self.secondary_ip,
                        ": %s" % res.fail_msg if res.fail_msg else "",
                    ),
                    errors.ECODE_ENVIRON,
                )

    def exec(self, feedback_fn: Any) -> None:
        cfg = self.cfg
        digest = client_cert_digest(self, self.node_name) if self.master_candidate else None
        if self.old_node is not None:
            node = self.old_node
            node.primary_ip = self.primary_ip
            node.secondary_ip = self.secondary_ip
            node.offline = node.drained = False
            node.master_candidate = self.master_candidate
            node.master_capable = self.op.master_capable
            node.vm_capable = self.op.vm_capable
            node.ndparams = self.new_ndparams
            if self.op.hv_state is not None:
                node.hv_state_static = self.op.hv_state
            if self.op.disk_state is not None:
                node.disk_state_static = self.op.disk_state
            cfg.update(node, feedback_fn)
            feedback_fn("Readded node %s" % node.name)
        else:
            node = objects.Node(
                name=self.node_name,
                primary_ip=self.primary_ip,
                secondary_ip=self.secondary_ip,
                master_candidate=self.master_candidate,
                offline=False,
                drained=False,
                group=self.group_uuid,
                master_capable=self.op.master_capable,
                vm_capable=self.op.vm_capable,
                ndparams=self.new_ndparams,
                hv_state_static=self.op.hv_state or {},
                disk_state_static=self.op.disk_state or {},
                powered=True,
            )
            cfg.add_node(node, _ec_id(self))
            for level in (locking.LEVEL_NODE, locking.LEVEL_NODE_RES):
                if self.glm is not None and node.uuid not in self.glm.names(level):
                    self.glm.add(level, node.uuid)
        set_candidate_cert(self, node.uuid, digest, feedback_fn)
        if self.master_candidate:
            self.log_info("Node %s is a master candidate", node.name)
            replicate_queue(self)
        redistribute_ancillary_files(self, _other_node_uuids(cfg, [node.uuid]))


# --- node remove -------------------------------------------------------------------------------


class LUNodeRemove(LogicalUnit):
    """OP_NODE_REMOVE: removes an empty, non-master node; it leaves the cluster."""

    HPATH = "node-remove"
    HTYPE = constants.HTYPE_NODE
    REQ_BGL = True

    node_uuid: str
    node: objects.Node

    def expand_names(self) -> None:
        self.node_uuid, self.op.node_name = expand_node(
            self.cfg, self.op.node_uuid or self.op.node_name
        )
        self.needed_locks = {}

    def build_hooks_env(self) -> dict[str, Any]:
        return {"OP_TARGET": self.op.node_name, "NODE_NAME": self.op.node_name}

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        others = [u for u in self.cfg.get_node_list() if u != self.node_uuid]
        return others, others

    def check_prereq(self) -> None:
        node = self.cfg.get_node_info(self.node_uuid)
        if node.uuid == self.cfg.get_master_node():
            raise errors.OpPrereqError(
                "Node is the master node, failover to another node is required",
                errors.ECODE_INVAL,
            )
        for inst in self.cfg.get_all_instances_info().values():
            if node.uuid in self.cfg.get_instance_nodes(inst.uuid):
                raise errors.OpPrereqError(
                    "Instance %s is still running on the node, please remove it first" % inst.name,
                    errors.ECODE_INVAL,
                )
        self.node = node

    def exec(self, feedback_fn: Any) -> None:
        cfg = self.cfg
        node = self.node
        feedback_fn("Removing node %s from the cluster" % node.name)
        promoted = []
        if node.master_candidate:
            promoted = cfg.maintain_candidate_pool([node.uuid])
        cluster = cfg.get_cluster_info()
        modify_ssh = bool(cluster.modify_ssh_setup)
        cfg.remove_node(node.uuid)
        set_candidate_cert(self, node.uuid, None, feedback_fn)
        if self.glm is not None:
            for level in (locking.LEVEL_NODE_RES, locking.LEVEL_NODE):
                if node.uuid in self.glm.names(level):
                    self.glm.remove(level, node.uuid)
        if self.rpc is not None:
            # by name: the node is no longer in the configuration
            result = self.rpc.call_node_leave_cluster(node.name, modify_ssh)
            if result.fail_msg:
                self.log_warning(
                    "Errors encountered on the remote node while leaving the cluster: %s",
                    result.fail_msg,
                )
        announce_promotions(self, promoted, feedback_fn)


def announce_promotions(lu: LogicalUnit, promoted: list, feedback_fn: Any) -> None:
    """Gives newly promoted candidates their certificate entry and the queue."""
    if not promoted:
        return
    lu.log_info("Promoted nodes to master candidate role: %s", ", ".join(n.name for n in promoted))
    for node in promoted:
        set_candidate_cert(lu, node.uuid, client_cert_digest(lu, node.uuid), feedback_fn)
    replicate_queue(lu)


# --- node modify -------------------------------------------------------------------------------


class LUNodeSetParams(LogicalUnit):
    """OP_NODE_SET_PARAMS: node roles, capabilities and parameters."""

    HPATH = "node-modify"
    HTYPE = constants.HTYPE_NODE
    REQ_BGL = False

    node_uuid: str
    lock_all: bool
    old_role: str
    new_role: str
    new_ndparams: dict[str, Any] | None

    _ROLE_FLAGS = ("master_candidate", "drained", "offline")

    def check_arguments(self) -> None:
        changes = [
            self.op.master_candidate, self.op.offline, self.op.drained,
            self.op.master_capable, self.op.vm_capable, self.op.secondary_ip,
            self.op.ndparams, self.op.hv_state, self.op.disk_state, self.op.powered,
        ]  # fmt: skip
        if all(value is None for value in changes):
            raise errors.OpPrereqError("Please pass at least one modification", errors.ECODE_INVAL)
        if [self.op.master_candidate, self.op.drained, self.op.offline].count(True) > 1:
            raise errors.OpPrereqError(
                "Can't set the node into more than one state at the same time",
                errors.ECODE_INVAL,
            )
        if self.op.master_candidate and self.op.master_capable is False:
            raise errors.OpPrereqError(
                "A node cannot be made a master candidate and not master capable at once",
                errors.ECODE_INVAL,
            )
        self.might_demote = (
            self.op.master_candidate is False
            or self.op.offline is True
            or self.op.drained is True
            or self.op.master_capable is False
        )
        self.lock_all = self.op.auto_promote and self.might_demote

    def expand_names(self) -> None:
        self.node_uuid, self.op.node_name = expand_node(
            self.cfg, self.op.node_uuid or self.op.node_name
        )
        nodes = locking.ALL_SET if self.lock_all else [self.node_uuid]
        self.needed_locks = {locking.LEVEL_NODE: nodes}

    def build_hooks_env(self) -> dict[str, Any]:
        return {
            "OP_TARGET": self.op.node_name,
            "MASTER_CANDIDATE": str(self.op.master_candidate),
            "OFFLINE": str(self.op.offline),
            "DRAINED": str(self.op.drained),
            "MASTER_CAPABLE": str(self.op.master_capable),
            "VM_CAPABLE": str(self.op.vm_capable),
        }

    def build_hooks_nodes(self) -> tuple[list[str], list[str]]:
        nodes = [self.cfg.get_master_node(), self.node_uuid]
        return nodes, nodes

    def check_prereq(self) -> None:
        cfg = self.cfg
        op = self.op
        node = cfg.get_node_info(self.node_uuid)
        master_uuid = cfg.get_master_node()
        is_master = node.uuid == master_uuid
        if is_master and (
            op.master_candidate is False
            or op.offline is True
            or op.drained is True
            or op.master_capable is False
        ):
            raise errors.OpPrereqError(_NOT_MASTER_ROLE, errors.ECODE_INVAL)
        if op.master_candidate and not node.master_capable and op.master_capable is not True:
            raise errors.OpPrereqError(
                "Node %s is not master capable, cannot make it a master candidate" % node.name,
                errors.ECODE_STATE,
            )
        if op.vm_capable is False:
            primary, secondary = cfg.get_node_instances(node.uuid)
            if primary or secondary:
                raise errors.OpPrereqError(
                    "Node %s hosts instances, cannot unset the vm_capable flag" % node.name,
                    errors.ECODE_STATE,
                )
        if self.might_demote and node.master_candidate and not op.auto_promote:
            mc_remaining, mc_should, _ = cfg.get_master_candidate_stats([node.uuid])
            if mc_remaining < mc_should:
                raise errors.OpPrereqError(
                    "Not enough master candidates, please pass auto promote option to allow"
                    " promotion (--auto-promote or RAPI auto_promote=True)",
                    errors.ECODE_STATE,
                )
        if op.powered is not None:
            ndparams = cfg.get_node_ndparams(node)
            if not ndparams.get(constants.ND_OOB_PROGRAM):
                raise errors.OpPrereqError(
                    "Node %s does not support out-of-band handling, it can not be marked"
                    " as powered" % node.name,
                    errors.ECODE_STATE,
                )
        for attr in self._ROLE_FLAGS:
            if getattr(op, attr) is False and not getattr(node, attr):
                self.log_info("Ignoring request to unset flag %s, already unset", attr)
                setattr(op, attr, None)
        if op.master_capable is False and node.master_candidate:
            self.log_info("Demoting from master candidate")
            op.master_candidate = False
        # becoming usable again (back online, undrained, master capable): the
        # node joins the candidate pool if the pool wants more
        if op.master_candidate is None and (
            op.drained is False
            or op.offline is False
            or (op.master_capable and not node.master_capable)
        ):
            still_off = (node.offline and op.offline is not False) or (
                node.drained and op.drained is not False
            )
            capable = node.master_capable if op.master_capable is None else op.master_capable
            if capable and not still_off and decide_self_promotion(cfg, [node.uuid]):
                op.master_candidate = True
                self.log_info("Auto-promoting node to master candidate")
        if op.master_candidate and (
            (node.offline and op.offline is not False) or (node.drained and op.drained is not False)
        ):
            raise errors.OpPrereqError(
                "Node %s is %s, cannot make it a master candidate"
                % (node.name, "offline" if node.offline else "drained"),
                errors.ECODE_STATE,
            )
        if op.offline is False and node.offline:
            self._check_back_online(node)
        self.old_role = _node_role(node, master_uuid)
        self.new_role = self._compute_new_role(node)
        self.new_ndparams = None
        if op.ndparams is not None:
            check_params_not_global(op.ndparams, constants.NDC_GLOBALS, "node")
            self.new_ndparams = update_params(
                node.ndparams, op.ndparams, constants.NDS_PARAMETER_TYPES, "node"
            )
        if op.secondary_ip is not None:
            self._check_secondary_ip(node)

    def _check_back_online(self, node: objects.Node) -> None:
        if self.rpc is None:
            return
        result = self.rpc.call_version([node.name])[node.name]
        if result.fail_msg:
            raise errors.OpPrereqError(
                "Node %s is being de-offlined but fails to answer: %s"
                % (node.name, result.fail_msg),
                errors.ECODE_ENVIRON,
            )
        if result.payload != constants.PROTOCOL_VERSION:
            raise errors.OpPrereqError(
                "Version mismatch: master version %s, node version %s"
                % (constants.PROTOCOL_VERSION, result.payload),
                errors.ECODE_ENVIRON,
            )

    def _check_secondary_ip(self, node: objects.Node) -> None:
        sip = _check_ip(self.op.secondary_ip, "secondary", socket.AF_INET)
        self.op.secondary_ip = sip
        master = self.cfg.get_master_node_info()
        if master.primary_ip == master.secondary_ip and sip != node.primary_ip:
            raise errors.OpPrereqError(
                "Cannot give a secondary address to a node of a single-homed cluster",
                errors.ECODE_INVAL,
            )
        if node.uuid == master.uuid and sip == node.primary_ip != node.secondary_ip:
            raise errors.OpPrereqError(
                "Cannot change the master of a dual-homed cluster to single-homed",
                errors.ECODE_INVAL,
            )
        for other in self.cfg.get_all_nodes_info().values():
            if other.uuid != node.uuid and sip in (other.primary_ip, other.secondary_ip):
                raise errors.OpPrereqError(
                    "Secondary address %s is already used by node %s" % (sip, other.name),
                    errors.ECODE_NOTUNIQUE,
                )
        primary, secondary = self.cfg.get_node_instances(node.uuid)
        for inst_uuid in primary + secondary:
            inst = self.cfg.get_instance_info(inst_uuid)
            if (
                self.cfg.get_instance_disk_template(inst_uuid) in constants.DTS_INT_MIRROR
                and inst.admin_state == constants.ADMINST_UP
            ):
                raise errors.OpPrereqError(
                    "Instance %s is running; stop it before changing the secondary address"
                    % inst.name,
                    errors.ECODE_STATE,
                )
        if not node.offline and self.rpc is not None and sip != node.secondary_ip:
            res = self.rpc.call_node_has_ip_address(node.uuid, sip)
            if res.fail_msg or not res.payload:
                raise errors.OpPrereqError(
                    "Node %s does not have the secondary address %s" % (node.name, sip),
                    errors.ECODE_ENVIRON,
                )

    def _compute_new_role(self, node: objects.Node) -> str:
        op = self.op
        if op.master_candidate:
            return constants.NR_MCANDIDATE
        if op.drained:
            return constants.NR_DRAINED
        if op.offline:
            return constants.NR_OFFLINE
        if False in (op.master_candidate, op.drained, op.offline):
            # (ineffective unsets were dropped) un-setting the one set flag
            return constants.NR_REGULAR
        return self.old_role

    def exec(self, feedback_fn: Any) -> list[tuple[str, Any]]:
        cfg = self.cfg
        op = self.op
        node = cfg.get_node_info(self.node_uuid)
        result: list[tuple[str, Any]] = []
        if self.new_ndparams is not None:
            node.ndparams = self.new_ndparams
            result.append(("ndparams", str(self.new_ndparams)))
        if op.hv_state is not None:
            node.hv_state_static = update_params(node.hv_state_static, op.hv_state)
        if op.disk_state is not None:
            node.disk_state_static = update_params(node.disk_state_static, op.disk_state)
        if op.powered is not None:
            node.powered = op.powered
            result.append(("powered", str(op.powered)))
        for attr in ("master_capable", "vm_capable"):
            value = getattr(op, attr)
            if value is not None:
                setattr(node, attr, value)
                result.append((attr, str(value)))
        if op.secondary_ip is not None and op.secondary_ip != node.secondary_ip:
            node.secondary_ip = op.secondary_ip
            result.append(("secondary_ip", op.secondary_ip))
        was_candidate = node.master_candidate
        if self.new_role != self.old_role:
            new_flags = {
                "master_candidate": self.new_role == constants.NR_MCANDIDATE,
                "drained": self.new_role == constants.NR_DRAINED,
                "offline": self.new_role == constants.NR_OFFLINE,
            }
            for attr in self._ROLE_FLAGS:
                old_value = getattr(node, attr)
                if old_value == new_flags[attr]:
                    continue
                setattr(node, attr, new_flags[attr])
                requested = getattr(op, attr)
                if requested is None and old_value and attr == "master_candidate":
                    result.append((attr, "auto-demotion due to %s" % self._demotion_reason()))
                else:
                    result.append((attr, str(new_flags[attr])))
        cfg.update(node, feedback_fn)
        if was_candidate and not node.master_candidate:
            self._demoted(node, feedback_fn)
        elif node.master_candidate and not was_candidate:
            set_candidate_cert(self, node.uuid, client_cert_digest(self, node.uuid), feedback_fn)
            replicate_queue(self)
        return result

    def _demotion_reason(self) -> str:
        if self.op.offline:
            return "offline"
        if self.op.drained:
            return "drain"
        return "master_capable=False"

    def _demoted(self, node: objects.Node, feedback_fn: Any) -> None:
        set_candidate_cert(self, node.uuid, None, feedback_fn)
        if self.rpc is not None and not node.offline:
            res = self.rpc.call_node_demote_from_mc(node.uuid)
            if res.fail_msg:
                self.log_warning("Node failed to demote itself: %s", res.fail_msg)
        if self.op.auto_promote:
            promoted = self.cfg.maintain_candidate_pool([node.uuid])
            announce_promotions(self, promoted, feedback_fn)
