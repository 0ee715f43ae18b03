"""OP_CLUSTER_RENEW_CRYPTO: new node client certificates, the SSH key record.

Owns renewing the nodes' client certificates (each node daemon signs its
own with the cluster certificate; the master's is made here) and their
digests in the master candidates' certificate map, and recording the
type and size of the cluster's SSH key after ``gnt-cluster renew-crypto``
replaced the keys over SSH.  Like every LU, it must never talk to a node
except through ``self.rpc`` nor write config.data except through
``self.cfg``.
"""

import os
from typing import Any, Callable

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import pathutils
from ganeti.cmdlib.base import NoHooksLU
from ganeti.config.common import deferred_waits

FeedbackFn = Callable[..., None]


def _inval(msg: str) -> errors.OpPrereqError:
    return errors.OpPrereqError(msg, errors.ECODE_INVAL)


def _need_rpc(lu: Any) -> None:
    if lu.rpc is None:
        raise errors.OpExecError("Node RPC is not available on this master")


def _current_client_cert(lu: Any, node_uuid: str) -> str:
    """The digest of a node's present client certificate, once the node
    checked it is signed by the cluster certificate and still valid (for
    node daemons that cannot make a new one)."""
    name = lu.cfg.get_node_name(node_uuid)
    result = lu.rpc.call_node_verify(
        [node_uuid], {constants.NV_CLIENT_CERT: None}, lu.cfg.get_cluster_name(), {}
    )[node_uuid]
    result.raise_error("Could not check the client certificate of node %s" % name)
    try:
        errcode, value = result.payload[constants.NV_CLIENT_CERT]
    except (KeyError, TypeError, ValueError):
        raise errors.OpExecError(
            "Node %s returned no client certificate information" % name
        ) from None
    if errcode is not None:
        raise errors.OpExecError(
            "The client certificate of node %s is unusable: %s" % (name, value)
        )
    lu.log_warning(
        "Node %s cannot create a new client certificate; its current one was recorded", name
    )
    return value


def _node_crypto_token(lu: Any, node_uuid: str) -> str:
    """Asks a node for a new client certificate; returns its digest."""
    request = [
        [
            constants.CRYPTO_TYPE_SSL_DIGEST,
            constants.CRYPTO_ACTION_CREATE,
            {constants.CRYPTO_OPTION_SERIAL_NO: 0},
        ]
    ]
    result = lu.rpc.call_node_crypto_tokens(node_uuid, request)
    if result.fail_msg and "Unknown procedure" in result.fail_msg:
        return _current_client_cert(lu, node_uuid)
    result.raise_error(
        "Could not renew the client certificate of node %s" % lu.cfg.get_node_name(node_uuid)
    )
    for token_type, digest in result.payload or []:
        if token_type == constants.CRYPTO_TYPE_SSL_DIGEST:
            return digest
    raise errors.OpExecError(
        "Node %s returned no certificate digest" % lu.cfg.get_node_name(node_uuid)
    )


class LUClusterRenewCrypto(NoHooksLU):
    """OP_CLUSTER_RENEW_CRYPTO: new client certificates for the nodes (the
    master's is made here, the others by their node daemons), recorded in
    the master candidates' certificate map; with ``renew_ssh_keys``, records
    the type and size of the cluster's new SSH key (``gnt-cluster
    renew-crypto`` replaced the keys on the nodes over SSH before)."""

    def check_arguments(self) -> None:
        if not self.op.renew_ssh_keys and (
            self.op.ssh_key_type is not None or self.op.ssh_key_bits is not None
        ):
            raise _inval("The SSH key type and size need renew_ssh_keys")

    def expand_names(self) -> None:
        self.needed_locks = {locking.LEVEL_NODE: locking.ALL_SET}
        self.share_locks[locking.LEVEL_NODE] = 1

    def _record_ssh_key(self, feedback_fn: FeedbackFn) -> None:
        from ganeti import ssh

        cluster = self.cfg.get_cluster_info()
        key_type = self.op.ssh_key_type or cluster.ssh_key_type or constants.SSH_KEY_TYPE_DEFAULT
        if key_type != cluster.ssh_key_type and self.op.ssh_key_bits is None:
            bits = ssh.DEFAULT_KEY_BITS.get(key_type)
        else:
            bits = self.op.ssh_key_bits or cluster.ssh_key_bits
        if (cluster.ssh_key_type, cluster.ssh_key_bits) != (key_type, bits):
            cluster.ssh_key_type = key_type
            cluster.ssh_key_bits = bits
            self.cfg.update(cluster, feedback_fn)
        if self.op.verbose:
            feedback_fn("The cluster's SSH key is now of type %s (%s bits)" % (key_type, bits))

    def exec(self, feedback_fn: FeedbackFn) -> None:
        if self.op.renew_ssh_keys:
            self._record_ssh_key(feedback_fn)
        if not self.op.node_certificates:
            return None
        _need_rpc(self)
        from ganeti.utils import x509

        cfg = self.cfg
        master = cfg.get_master_node()
        nodes = cfg.get_all_nodes_info()
        digests: dict[str, str] = {}
        failed = []
        for uuid, node in sorted(nodes.items(), key=lambda item: item[1].name):
            if uuid == master or node.offline:
                continue
            try:
                digest = _node_crypto_token(self, uuid)
            except errors.OpExecError as err:
                failed.append(node.name)
                self.log_warning("%s", err)
                continue
            if node.master_candidate:
                digests[uuid] = digest
            if self.op.verbose:
                feedback_fn("Renewed the client certificate of node %s" % node.name)
        # after a new cluster certificate the master has no client
        # certificate (it presents the cluster certificate meanwhile)
        old_master_digest: str | None = None
        if os.path.exists(pathutils.NODED_CLIENT_CERT_FILE):
            old_master_digest = x509.get_certificate_digest(pathutils.NODED_CLIENT_CERT_FILE)
        tmp = pathutils.NODED_CLIENT_CERT_FILE + ".new"
        new_master_digest = x509.generate_client_cert_file(
            tmp, pathutils.NODED_CERT_FILE, cfg.get_master_node_name()
        )
        cluster = cfg.get_cluster_info()
        certs = dict(cluster.candidate_certs or {})
        for uuid, node in nodes.items():
            if not node.master_candidate:
                certs.pop(uuid, None)
        certs.update(digests)
        certs[master] = new_master_digest
        # the old master certificate stays valid until every node knows the new one
        if old_master_digest is not None:
            certs["%s-OLDMASTER" % master] = old_master_digest
        cluster.candidate_certs = certs
        # the nodes must know the new digest before the master presents it:
        # wait for this save to reach them (saves are otherwise pushed after
        # the operation)
        with deferred_waits() as pushed:
            cfg.update(cluster, feedback_fn)
        pushed.run()
        os.rename(tmp, pathutils.NODED_CLIENT_CERT_FILE)
        if old_master_digest is not None:
            cluster = cfg.get_cluster_info()
            cluster.candidate_certs = {
                k: v for k, v in cluster.candidate_certs.items() if not k.endswith("-OLDMASTER")
            }
            cfg.update(cluster, feedback_fn)
        if failed:
            raise errors.OpExecError(
                "Could not renew the client certificates of node(s) %s" % ", ".join(failed)
            )
        return None
