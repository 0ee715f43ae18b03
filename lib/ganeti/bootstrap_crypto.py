"""The cluster's crypto files: certificates, keys and secrets, made locally.

Owns creating (and on request replacing) the files every node of a cluster
shares or holds: the cluster certificate ``server.pem`` (the node daemons'
TLS identity and the CA of client certificates), this node's client
certificate, the RAPI and SPICE certificates, the confd HMAC key and the
cluster domain secret.  Keys are generated side by side in threads.  It
must never distribute anything: callers push the files to the nodes.
"""

import os
import threading
from typing import Callable

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti.utils import io as uio

FeedbackFn = Callable[[str], None]

_SECRET_BYTES = 20


def _log(feedback_fn: FeedbackFn | None, msg: str, *args: object) -> None:
    import logging

    if args:
        msg = msg % args
    logging.info(msg)
    if feedback_fn is not None:
        feedback_fn(msg)


def generate_secret() -> str:
    """A new random secret (hex text), as used for the HMAC key and domain secret."""
    return os.urandom(_SECRET_BYTES).hex()


def _write_secret(path: str, secret: str | None = None) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    uio.write_file(path, "%s\n" % (secret or generate_secret()), mode=0o400)


def _write_pem(path: str, key_pem: bytes, cert_pem: bytes) -> None:
    from ganeti.utils import x509

    os.makedirs(os.path.dirname(path), exist_ok=True)
    uio.write_file(path, key_pem + cert_pem, mode=x509.CERT_FILE_MODE)


def _check_pem_text(pem: str, what: str) -> bytes:
    from ganeti.utils import x509

    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key, cert = x509.split_pem(data, what)
        x509.load_certificate(cert)
        if key is None:
            raise errors.X509CertError(what, "no private key found")
        x509.load_private_key(key)
    except (errors.X509CertError, ValueError) as err:
        raise errors.OpPrereqError(
            "Invalid %s: %s" % (what, err.args[-1] if err.args else err), errors.ECODE_INVAL
        ) from None
    return data


def generate_cluster_crypto(
    node_name: str,
    new_cluster_cert: bool = False,
    new_rapi_cert: bool = False,
    new_spice_cert: bool = False,
    new_confd_hmac_key: bool = False,
    new_cds: bool = False,
    new_client_cert: bool = False,
    rapi_cert_pem: str | None = None,
    spice_cert_pem: str | None = None,
    spice_cacert_pem: str | None = None,
    cds: str | None = None,
    feedback_fn: FeedbackFn | None = None,
) -> str:
    """Creates the cluster's crypto files on this node; returns the client
    certificate's digest.

    A file is (re)generated when missing or when its ``new_*`` flag is set;
    a given PEM text or secret replaces the file instead.  A new cluster
    certificate always brings a new client certificate (it must be signed
    by the new one).
    """
    from ganeti.utils import x509

    if rapi_cert_pem is not None:
        rapi_data = _check_pem_text(rapi_cert_pem, "RAPI certificate")
    if spice_cert_pem is not None:
        spice_data = _check_pem_text(spice_cert_pem, "SPICE certificate")
    jobs: list[tuple[str, Callable[[], None]]] = []

    if new_cluster_cert or not os.path.exists(pathutils.NODED_CERT_FILE):
        _log(feedback_fn, "Generating new cluster certificate at %s", pathutils.NODED_CERT_FILE)
        _write_pem(pathutils.NODED_CERT_FILE, *x509.generate_self_signed_cert())
        new_client_cert = True
    if new_client_cert or not os.path.exists(pathutils.NODED_CLIENT_CERT_FILE):
        _log(
            feedback_fn, "Generating new client certificate at %s", pathutils.NODED_CLIENT_CERT_FILE
        )
        jobs.append(
            ("client", lambda: _new_client_cert(pathutils.NODED_CLIENT_CERT_FILE, node_name))
        )
    if rapi_cert_pem is not None:
        _log(feedback_fn, "Using the given RAPI certificate")
        jobs.append(("rapi", lambda: _write_raw(pathutils.RAPI_CERT_FILE, rapi_data)))
    elif new_rapi_cert or not os.path.exists(pathutils.RAPI_CERT_FILE):
        _log(feedback_fn, "Generating new RAPI certificate at %s", pathutils.RAPI_CERT_FILE)
        jobs.append(
            (
                "rapi",
                lambda: _write_pem(pathutils.RAPI_CERT_FILE, *x509.generate_self_signed_cert()),
            )
        )
    if spice_cert_pem is not None:
        _log(feedback_fn, "Using the given SPICE certificate")
        jobs.append(("spice", lambda: _write_raw(pathutils.SPICE_CERT_FILE, spice_data)))
        jobs.append(
            (
                "spice-ca",
                lambda: _write_raw(pathutils.SPICE_CACERT_FILE, (spice_cacert_pem or "").encode()),
            )
        )
    elif new_spice_cert or not os.path.exists(pathutils.SPICE_CERT_FILE):
        _log(feedback_fn, "Generating new SPICE certificate at %s", pathutils.SPICE_CERT_FILE)
        jobs.append(("spice", _new_spice_certs))
    if new_confd_hmac_key or not os.path.exists(pathutils.CONFD_HMAC_KEY):
        _log(feedback_fn, "Generating new confd HMAC key at %s", pathutils.CONFD_HMAC_KEY)
        jobs.append(("hmac", lambda: _write_secret(pathutils.CONFD_HMAC_KEY)))
    if cds is not None:
        _log(feedback_fn, "Using the given cluster domain secret")
        jobs.append(("cds", lambda: _write_secret(pathutils.CLUSTER_DOMAIN_SECRET_FILE, cds)))
    elif new_cds or not os.path.exists(pathutils.CLUSTER_DOMAIN_SECRET_FILE):
        _log(
            feedback_fn,
            "Generating new cluster domain secret at %s",
            pathutils.CLUSTER_DOMAIN_SECRET_FILE,
        )
        jobs.append(("cds", lambda: _write_secret(pathutils.CLUSTER_DOMAIN_SECRET_FILE)))
    _run_parallel(jobs)
    return x509.get_certificate_digest(pathutils.NODED_CLIENT_CERT_FILE)


def _write_raw(path: str, data: bytes) -> None:
    from ganeti.utils import x509

    os.makedirs(os.path.dirname(path), exist_ok=True)
    uio.write_file(path, data, mode=x509.CERT_FILE_MODE)


def _new_client_cert(path: str, node_name: str) -> None:
    from ganeti.utils import x509

    x509.generate_client_cert_file(path, pathutils.NODED_CERT_FILE, node_name)


def _new_spice_certs() -> None:
    from ganeti.utils import x509

    ca_key, ca_cert = x509.generate_self_signed_cert()
    key, cert = x509.generate_signed_cert(ca_key, ca_cert, constants.X509_CERT_CN)
    _write_pem(pathutils.SPICE_CERT_FILE, key, cert)
    _write_raw(pathutils.SPICE_CACERT_FILE, ca_cert)


def _run_parallel(jobs: list[tuple[str, Callable[[], None]]]) -> None:
    """Runs independent jobs (key generation releases the GIL) in threads."""
    failures: list[BaseException] = []

    def runner(fn: Callable[[], None]) -> None:
        try:
            fn()
        except BaseException as err:  # pylint: disable=broad-except
            failures.append(err)

    threads = [threading.Thread(target=runner, args=(fn,), daemon=True) for _, fn in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def remove_crypto_files() -> None:
    """Removes every crypto file (after a failed init)."""
    for path in (
        pathutils.NODED_CERT_FILE,
        pathutils.NODED_CLIENT_CERT_FILE,
        pathutils.RAPI_CERT_FILE,
        pathutils.SPICE_CERT_FILE,
        pathutils.SPICE_CACERT_FILE,
        pathutils.CONFD_HMAC_KEY,
        pathutils.CLUSTER_DOMAIN_SECRET_FILE,
    ):
        uio.remove_file(path)
