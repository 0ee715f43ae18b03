"""gnt-cluster renew-crypto: new certificates, keys and secrets.

Owns the ``renew-crypto`` sub-command.  Files that only the master makes
(RAPI and SPICE certificates, confd HMAC key, cluster domain secret) are
generated here and pushed by OP_CLUSTER_REDIST_CONF.  A new cluster
certificate is taken to every node over SSH while the master daemons are
stopped, every node daemon restarts with it, and OP_CLUSTER_RENEW_CRYPTO
then has every node sign a new client certificate.  New SSH keys are
installed over SSH (``ssh.renew_cluster_keys``) and recorded by the same
opcode.  It must never change config.data itself.
"""

import time
from typing import Any

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti import pathutils

#: how long to wait for the restarted master daemon to answer
MASTER_START_TIMEOUT = 60.0


def _read_file_opt(path: str | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as err:
        raise errors.OpPrereqError(
            "Can't read %s from '%s': %s" % (what, path, err), errors.ECODE_INVAL
        ) from None


def _check_options(opts: Any) -> None:
    def refuse(msg: str) -> None:
        raise errors.OpPrereqError(msg, errors.ECODE_INVAL)

    if opts.new_rapi_cert and opts.rapi_cert:
        refuse(
            "Only one of the --new-rapi-certificate and --rapi-certificate options can be"
            " specified at the same time"
        )
    if opts.new_cluster_domain_secret and opts.cluster_domain_secret:
        refuse(
            "Only one of the --new-cluster-domain-secret and --cluster-domain-secret options"
            " can be specified at the same time"
        )
    if opts.new_spice_cert and (opts.spice_cert or opts.spice_cacert):
        refuse(
            "When using --new-spice-certificate, the --spice-certificate and"
            " --spice-ca-certificate must not be used"
        )
    if bool(opts.spice_cert) != bool(opts.spice_cacert):
        refuse("Both --spice-certificate and --spice-ca-certificate must be given")
    if not opts.new_ssh_keys and (opts.ssh_key_type or opts.ssh_key_bits):
        refuse("The --ssh-key-type and --ssh-key-bits options need --new-ssh-keys")


def _cluster_nodes(cl: Any) -> tuple[dict, list[Any]]:
    """(cluster info, SSH addresses of the online nodes other than the master)."""
    from ganeti import ssh
    from ganeti.client import gnt_cluster

    info = cl.QueryClusterInfo()
    nodes = [
        ssh.NodeAddress(name, address, port)
        for name, address, port in gnt_cluster.online_nodes(cl, [], None)
        if name != info["master"]
    ]
    return info, nodes


def _ssh_runner(opts: Any, info: dict, key_type: str | None = None) -> Any:
    from ganeti import ssh

    return ssh.SshRunner(
        cluster_name=info["name"],
        key_type=key_type or info.get("ssh_key_type") or constants.SSH_KEY_TYPE_DEFAULT,
        ssh_key_check=opts.ssh_key_check,
    )


def _daemon_util(*args: str) -> None:
    from ganeti import ssh
    from ganeti.utils import process

    result = process.run_cmd(ssh.daemon_util_command(*args))
    if result.failed:
        raise errors.OpExecError(
            "daemon-util %s failed: %s"
            % (" ".join(args), (result.stderr or result.stdout or result.fail_reason).strip())
        )


def _wait_for_master() -> Any:
    """A luxi client once the restarted master daemon answers."""
    deadline = time.monotonic() + MASTER_START_TIMEOUT
    while True:
        cl = cli.get_client()
        try:
            cl.QueryClusterInfo()
            return cl
        except errors.GenericError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _renew_cluster_certificate(opts: Any, cl: Any) -> list[str]:
    """Replaces server.pem everywhere; returns the nodes that did not get it.

    The master daemons are stopped meanwhile (no job may talk to a node
    whose certificate is changing).  The master's client certificate is
    removed: until OP_CLUSTER_RENEW_CRYPTO records its new one, the master
    presents the cluster certificate, which every node daemon accepts.
    """
    from ganeti import bootstrap
    from ganeti import ssh
    from ganeti.utils import io as uio

    info, nodes = _cluster_nodes(cl)
    runner = _ssh_runner(opts, info)
    (paused,) = cl.QueryConfigValues(["watcher_pause"])
    if not paused:
        cl.SetWatcherPause(time.time() + 3600)
    failed = []
    cli.to_stdout("Stopping the master daemons")
    _daemon_util("stop-master")
    try:
        bootstrap.generate_cluster_crypto(
            info["master"], new_cluster_cert=True, feedback_fn=cli.to_stdout
        )
        uio.remove_file(pathutils.NODED_CLIENT_CERT_FILE)
        server_pem = uio.read_file(pathutils.NODED_CERT_FILE, binary=True)
        for node in nodes:
            try:
                ssh.replace_cluster_certificate(runner, node, server_pem, cli.to_stdout)
            except errors.GenericError as err:
                failed.append(node.name)
                cli.to_stderr(
                    "Could not replace the cluster certificate on %s: %s",
                    node.name,
                    cli.format_error(err)[1],
                )
        cli.to_stdout("Restarting the node daemon of the master")
        _daemon_util("stop", constants.NODED)
        _daemon_util("start", constants.NODED)
    finally:
        cli.to_stdout("Starting the master daemons")
        _daemon_util("start-master")
    cl = _wait_for_master()
    if not paused:
        cl.SetWatcherPause(None)
    return failed


def _renew_ssh_keys(opts: Any, cl: Any) -> tuple[str, int | None]:
    """New SSH key pair on every online node; returns its (type, bits)."""
    from ganeti import ssh

    info, nodes = _cluster_nodes(cl)
    old_type = info.get("ssh_key_type") or constants.SSH_KEY_TYPE_DEFAULT
    new_type = opts.ssh_key_type or old_type
    ssh.check_key_type(new_type)
    bits = opts.ssh_key_bits
    if bits is None and new_type == old_type:
        bits = info.get("ssh_key_bits")
    if new_type == constants.SSHK_ED25519:
        bits = None
    runner = _ssh_runner(opts, info, old_type)
    cli.to_stdout("Replacing the cluster's SSH keys (%s)", new_type)
    ssh.renew_cluster_keys(runner, nodes, new_type, bits, feedback_fn=cli.to_stdout)
    return new_type, bits or ssh.DEFAULT_KEY_BITS.get(new_type)


def renew_crypto(opts: Any, args: list[str]) -> int:
    """``renew-crypto``: new certificates, keys and secrets."""
    from ganeti import bootstrap
    from ganeti import opcodes

    _check_options(opts)
    files_wanted = (
        opts.new_rapi_cert
        or opts.rapi_cert
        or opts.new_spice_cert
        or opts.spice_cert
        or opts.new_confd_hmac_key
        or opts.new_cluster_domain_secret
        or opts.cluster_domain_secret
    )
    if not (files_wanted or opts.new_cluster_cert or opts.new_node_cert or opts.new_ssh_keys):
        cli.to_stderr("Please specify at least one of the renewal options.")
        return constants.EXIT_FAILURE
    if not opts.force:
        text = "Updating certificates or keys on the cluster can take some time. Continue?"
        if not cli.ask_user(text):
            return constants.EXIT_CONFIRMATION
    cl = cli.get_client()
    failed: list[str] = []
    if opts.new_cluster_cert:
        failed = _renew_cluster_certificate(opts, cl)
        cl = cli.get_client()
    if files_wanted:
        master = cl.QueryClusterInfo()["master"]
        bootstrap.generate_cluster_crypto(
            master,
            new_rapi_cert=opts.new_rapi_cert,
            new_spice_cert=opts.new_spice_cert,
            new_confd_hmac_key=opts.new_confd_hmac_key,
            new_cds=opts.new_cluster_domain_secret,
            rapi_cert_pem=_read_file_opt(opts.rapi_cert, "RAPI certificate"),
            spice_cert_pem=_read_file_opt(opts.spice_cert, "SPICE certificate"),
            spice_cacert_pem=_read_file_opt(opts.spice_cacert, "SPICE CA certificate"),
            cds=(_read_file_opt(opts.cluster_domain_secret, "cluster domain secret") or "").strip()
            or None,
            feedback_fn=cli.to_stdout,
        )
        # the redistribution pushes the new files to every node
        cli.submit_op_code(opcodes.OpClusterRedistConf(), cl=cl, opts=opts)
    ssh_key_type, ssh_key_bits = None, None
    if opts.new_ssh_keys:
        ssh_key_type, ssh_key_bits = _renew_ssh_keys(opts, cl)
    if opts.new_node_cert or opts.new_cluster_cert or opts.new_ssh_keys:
        op = opcodes.OpClusterRenewCrypto(
            # a new cluster certificate invalidates every client certificate
            node_certificates=bool(opts.new_node_cert or opts.new_cluster_cert),
            renew_ssh_keys=opts.new_ssh_keys,
            ssh_key_type=ssh_key_type,
            ssh_key_bits=ssh_key_bits,
            verbose=opts.verbose,
            debug=bool(opts.debug),
        )
        cli.submit_op_code(op, cl=cl, opts=opts)
    if failed:
        cli.to_stderr(
            "The cluster certificate could not be replaced on node(s) %s: copy %s there,"
            " restart their node daemon and run 'gnt-cluster renew-crypto"
            " --new-node-certificates'",
            ", ".join(failed),
            pathutils.NODED_CERT_FILE,
        )
        return constants.EXIT_FAILURE
    cli.to_stdout("All requested certificates and keys have been replaced.")
    return constants.EXIT_SUCCESS
