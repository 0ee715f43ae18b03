"""X.509 material of the cluster: keys, certificates, signatures, digests.

Owns the cryptography behind node-daemon TLS: the self-signed cluster
certificate (``server.pem``, which is also the CA of every client
certificate), per-node client certificates signed by it (``client.pem``),
their SHA1 digests (the ``master_candidates_certs`` ssconf values) and the
signed-certificate text format used for inter-cluster moves.  It must never
decide who may talk to whom: callers make that policy from its answers.
"""

import datetime
import hashlib
import hmac
import os
import re

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ganeti import constants, errors
from ganeti.utils import io

_PEM_CERT_RE = re.compile(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.DOTALL)
_SIGNATURE_RE = re.compile(
    r"^%s:\s*([^/\s]+)/([0-9a-fA-F]+)\s*$" % constants.X509_CERT_SIGNATURE_HEADER
)

#: mode of certificate files (key and certificate in one PEM file)
CERT_FILE_MODE = 0o440


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def generate_key(bits: int = constants.RSA_KEY_BITS) -> rsa.RSAPrivateKey:
    """A new RSA private key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _serial(serial_no: int | None) -> int:
    return serial_no if serial_no is not None else x509.random_serial_number()


def _builder(
    common_name: str, issuer: x509.Name | None, key, validity_days: int, serial_no: int | None
) -> x509.CertificateBuilder:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    # backdated a little so nodes with slightly skewed clocks accept it at once
    not_before = _now() - datetime.timedelta(minutes=5)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer if issuer is not None else subject)
        .public_key(key.public_key())
        .serial_number(_serial(serial_no))
        .not_valid_before(not_before)
        .not_valid_after(not_before + datetime.timedelta(days=validity_days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )


def generate_self_signed_cert(
    common_name: str = constants.X509_CERT_CN,
    validity_days: int = constants.X509_CERT_DEFAULT_VALIDITY,
    serial_no: int | None = None,
    bits: int = constants.RSA_KEY_BITS,
) -> tuple[bytes, bytes]:
    """A new self-signed certificate usable as server cert and as CA.

    Returns (key PEM, certificate PEM).
    """
    key = generate_key(bits)
    cert = (
        _builder(common_name, None, key, validity_days, serial_no)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return _key_pem(key), cert.public_bytes(serialization.Encoding.PEM)


def generate_signed_cert(
    ca_key_pem: bytes,
    ca_cert_pem: bytes,
    common_name: str,
    validity_days: int = constants.X509_CERT_DEFAULT_VALIDITY,
    serial_no: int | None = None,
    bits: int = constants.RSA_KEY_BITS,
) -> tuple[bytes, bytes]:
    """A new key and a (client/server) certificate signed by the given CA.

    Returns (key PEM, certificate PEM).
    """
    ca_key = load_private_key(ca_key_pem)
    ca_cert = load_certificate(ca_cert_pem)
    key = generate_key(bits)
    builder = (
        _builder(common_name, ca_cert.subject, key, validity_days, serial_no)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            critical=False,
        )
    )
    try:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
    except ValueError:
        pass
    cert = builder.sign(ca_key, hashes.SHA256())
    return _key_pem(key), cert.public_bytes(serialization.Encoding.PEM)


def _write_pem(path: str, key_pem: bytes, cert_pem: bytes) -> None:
    io.write_file(path, key_pem + cert_pem, mode=CERT_FILE_MODE)


def generate_cluster_cert_file(
    path: str,
    common_name: str = constants.X509_CERT_CN,
    validity_days: int = constants.X509_CERT_DEFAULT_VALIDITY,
    bits: int = constants.RSA_KEY_BITS,
) -> str:
    """Writes a new self-signed key+certificate PEM to ``path``; returns its digest."""
    key_pem, cert_pem = generate_self_signed_cert(common_name, validity_days, bits=bits)
    _write_pem(path, key_pem, cert_pem)
    return cert_digest(cert_pem)


def generate_client_cert_file(
    path: str,
    ca_file: str,
    common_name: str,
    validity_days: int = constants.X509_CERT_DEFAULT_VALIDITY,
    bits: int = constants.RSA_KEY_BITS,
) -> str:
    """Writes to ``path`` a key+certificate signed by the key+cert PEM ``ca_file``.

    Returns the digest of the new certificate.
    """
    ca_key_pem, ca_cert_pem = read_pem_file(ca_file)
    if ca_key_pem is None:
        raise errors.X509CertError(ca_file, "No private key in the CA file")
    key_pem, cert_pem = generate_signed_cert(
        ca_key_pem, ca_cert_pem, common_name, validity_days, bits=bits
    )
    _write_pem(path, key_pem, cert_pem)
    return cert_digest(cert_pem)


def read_pem_file(path: str) -> tuple[bytes | None, bytes]:
    """Reads a PEM file holding a certificate and maybe its key.

    Returns (key PEM or None, first certificate PEM); raises X509CertError.
    """
    try:
        data = io.read_file(path, binary=True)
    except OSError as err:
        raise errors.X509CertError(path, "Can't read certificate file: %s" % err) from None
    return split_pem(data, path)


def split_pem(data: bytes, source: str = "<data>") -> tuple[bytes | None, bytes]:
    """Splits PEM text into (key PEM or None, first certificate PEM)."""
    match = _PEM_CERT_RE.search(data)
    if not match:
        raise errors.X509CertError(source, "No certificate found")
    key_match = re.search(
        rb"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", data, re.DOTALL
    )
    key = key_match.group(0) + b"\n" if key_match else None
    return key, match.group(0) + b"\n"


def load_certificate(cert_pem: bytes | str) -> x509.Certificate:
    """Parses a PEM certificate; raises X509CertError."""
    if isinstance(cert_pem, str):
        cert_pem = cert_pem.encode("ascii")
    try:
        return x509.load_pem_x509_certificate(cert_pem)
    except ValueError as err:
        raise errors.X509CertError("<data>", "Invalid certificate: %s" % err) from None


def load_private_key(key_pem: bytes | str):
    """Parses a PEM private key; raises X509CertError."""
    if isinstance(key_pem, str):
        key_pem = key_pem.encode("ascii")
    try:
        return serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as err:
        raise errors.X509CertError("<data>", "Invalid private key: %s" % err) from None


def _format_digest(raw: bytes) -> str:
    return ":".join("%02X" % b for b in raw)


def cert_digest(cert: bytes | str | x509.Certificate) -> str:
    """SHA1 fingerprint of a certificate, as ``AB:CD:...`` (Ganeti's format)."""
    if not isinstance(cert, x509.Certificate):
        cert = load_certificate(cert)
    return _format_digest(cert.fingerprint(hashes.SHA1()))


def der_cert_digest(der: bytes) -> str:
    """SHA1 fingerprint of a DER certificate (what ``ssl`` gives for a peer)."""
    return _format_digest(hashlib.sha1(der).digest())


def get_certificate_digest(cert_filename: str) -> str:
    """SHA1 fingerprint of the (first) certificate in ``cert_filename``."""
    return cert_digest(read_pem_file(cert_filename)[1])


def is_signed_by(
    cert: bytes | str | x509.Certificate, ca_cert: bytes | str | x509.Certificate
) -> bool:
    """True if ``cert`` was issued and signed by ``ca_cert``."""
    if not isinstance(cert, x509.Certificate):
        cert = load_certificate(cert)
    if not isinstance(ca_cert, x509.Certificate):
        ca_cert = load_certificate(ca_cert)
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def verify_cert_signed_by_file(cert_file: str, ca_file: str) -> tuple[bool, str]:
    """Checks that the certificate in ``cert_file`` was signed by ``ca_file``'s.

    Returns (ok, message).
    """
    try:
        _, cert_pem = read_pem_file(cert_file)
        _, ca_pem = read_pem_file(ca_file)
    except errors.X509CertError as err:
        return False, str(err.args[-1])
    if not is_signed_by(cert_pem, ca_pem):
        return False, "Certificate %s is not signed by the cluster certificate %s" % (
            cert_file,
            ca_file,
        )
    return True, "certificate %s signed by %s" % (cert_file, ca_file)


def get_validity(cert: bytes | str | x509.Certificate) -> tuple[float, float]:
    """(not_before, not_after) of a certificate, as Unix timestamps."""
    if not isinstance(cert, x509.Certificate):
        cert = load_certificate(cert)
    return cert.not_valid_before_utc.timestamp(), cert.not_valid_after_utc.timestamp()


def check_expiry(
    cert: bytes | str | x509.Certificate,
    warn_days: int = constants.SSL_CERT_EXPIRATION_WARN,
    error_days: int = constants.SSL_CERT_EXPIRATION_ERROR,
    now: float | None = None,
) -> tuple[str | None, str | None]:
    """Judges a certificate's validity window.

    Returns (None, None) when fine, else ("warning" or "error", message),
    as cluster verify reports it.
    """
    import time

    not_before, not_after = get_validity(cert)
    now = time.time() if now is None else now
    if now < not_before:
        return "error", "Certificate not yet valid (valid from %s)" % _fmt_ts(not_before)
    if now > not_after:
        return "error", "Certificate expired on %s" % _fmt_ts(not_after)
    left = (not_after - now) / 86400.0
    if left <= error_days:
        return "error", "Certificate expires in %d days" % int(left)
    if left <= warn_days:
        return "warning", "Certificate expires in %d days" % int(left)
    return None, None


def _fmt_ts(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S UTC"
    )


def sign_x509_certificate(cert_pem: bytes | str, key: str, salt: str) -> str:
    """Prefixes a PEM certificate with an HMAC-SHA1 signature header.

    This is the text exchanged between clusters for instance moves: the
    header carries ``salt/hexdigest`` of the certificate keyed by the
    cluster domain secret ``key``.
    """
    if isinstance(cert_pem, bytes):
        cert_pem = cert_pem.decode("ascii")
    if not re.match(r"^[a-zA-Z0-9]+$", salt):
        raise errors.GenericError("Invalid salt: %r" % salt)
    digest = hmac.new(key.encode(), (salt + cert_pem).encode(), hashlib.sha1).hexdigest()
    return "%s: %s/%s\n\n%s" % (constants.X509_CERT_SIGNATURE_HEADER, salt, digest, cert_pem)


def load_signed_x509_certificate(cert_text: str, key: str) -> tuple[x509.Certificate, str]:
    """Checks a signed certificate text; returns (certificate, salt)."""
    header, _, pem = cert_text.partition("\n\n")
    match = _SIGNATURE_RE.match(header.strip())
    if not match:
        raise errors.GenericError("X509 certificate signature is missing")
    salt, signature = match.groups()
    expected = hmac.new(key.encode(), (salt + pem).encode(), hashlib.sha1).hexdigest()
    if not hmac.compare_digest(expected.lower(), signature.lower()):
        raise errors.GenericError("X509 certificate signature is invalid")
    return load_certificate(pem), salt


def cert_file_exists(path: str) -> bool:
    """True if ``path`` holds a readable certificate."""
    try:
        read_pem_file(path)
    except errors.X509CertError:
        return False
    return os.path.exists(path)
