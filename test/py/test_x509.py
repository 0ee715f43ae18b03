"""Tests for ganeti.utils.x509: cluster and client certificates, digests."""

import hashlib
import os
import ssl
import time

import pytest
from cryptography import x509 as cx509

from ganeti import errors
from ganeti.utils import x509


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    server = str(d / "server.pem")
    client = str(d / "client.pem")
    other = str(d / "other.pem")
    server_digest = x509.generate_cluster_cert_file(server, common_name="ganeti.example.com")
    client_digest = x509.generate_client_cert_file(client, server, "node1.example.com")
    x509.generate_cluster_cert_file(other)
    return {
        "server": server,
        "client": client,
        "other": other,
        "sd": server_digest,
        "cd": client_digest,
    }


def test_cluster_cert_file_holds_key_and_ca_cert(cluster):
    key, cert = x509.read_pem_file(cluster["server"])
    assert key is not None and b"PRIVATE KEY" in key
    parsed = x509.load_certificate(cert)
    assert parsed.subject == parsed.issuer
    bc = parsed.extensions.get_extension_for_class(cx509.BasicConstraints).value
    assert bc.ca is True
    assert oct(os.stat(cluster["server"]).st_mode & 0o777) == oct(x509.CERT_FILE_MODE)


def test_client_cert_signed_by_cluster(cluster):
    _, client_pem = x509.read_pem_file(cluster["client"])
    _, server_pem = x509.read_pem_file(cluster["server"])
    _, other_pem = x509.read_pem_file(cluster["other"])
    assert x509.is_signed_by(client_pem, server_pem)
    assert not x509.is_signed_by(client_pem, other_pem)
    assert not x509.is_signed_by(other_pem, server_pem)
    ok, _ = x509.verify_cert_signed_by_file(cluster["client"], cluster["server"])
    assert ok
    ok, msg = x509.verify_cert_signed_by_file(cluster["other"], cluster["server"])
    assert not ok and "not signed" in msg
    cert = x509.load_certificate(client_pem)
    cn = cert.subject.get_attributes_for_oid(cx509.oid.NameOID.COMMON_NAME)[0].value
    assert cn == "node1.example.com"


def test_openssl_accepts_the_chain(cluster):
    # the stdlib TLS stack (what noded uses) must accept client.pem as issued by server.pem
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_verify_locations(cafile=cluster["server"])
    ctx.load_cert_chain(cluster["client"])  # key and cert in one file


def test_digest_format_matches_sha1_of_der(cluster):
    _, pem = x509.read_pem_file(cluster["client"])
    der = x509.load_certificate(pem).public_bytes(
        __import__(
            "cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]
        ).Encoding.DER
    )
    expected = ":".join("%02X" % b for b in hashlib.sha1(der).digest())
    assert x509.cert_digest(pem) == expected == cluster["cd"]
    assert x509.der_cert_digest(der) == expected
    assert x509.get_certificate_digest(cluster["client"]) == expected
    assert len(expected) == 59 and expected.count(":") == 19


def test_errors_are_x509_cert_errors(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a cert")
    with pytest.raises(errors.X509CertError):
        x509.read_pem_file(str(bad))
    with pytest.raises(errors.X509CertError):
        x509.read_pem_file(str(tmp_path / "missing.pem"))
    with pytest.raises(errors.X509CertError):
        x509.load_certificate(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    assert not x509.cert_file_exists(str(bad))


def test_client_cert_needs_ca_key(tmp_path, cluster):
    _, cert = x509.read_pem_file(cluster["server"])
    ca = tmp_path / "ca-only.pem"
    ca.write_bytes(cert)
    with pytest.raises(errors.X509CertError):
        x509.generate_client_cert_file(str(tmp_path / "c.pem"), str(ca), "n")


def test_expiry_check():
    _, cert = x509.generate_self_signed_cert(validity_days=20, bits=1024)
    assert x509.check_expiry(cert) == ("warning", x509.check_expiry(cert)[1])
    assert x509.check_expiry(cert, warn_days=10)[0] is None
    status, msg = x509.check_expiry(cert, now=time.time() + 30 * 86400)
    assert status == "error" and "expired" in msg
    status, msg = x509.check_expiry(cert, now=time.time() - 86400)
    assert status == "error" and "not yet valid" in msg
    not_before, not_after = x509.get_validity(cert)
    assert 19 * 86400 < not_after - not_before < 21 * 86400


def test_signed_certificate_text_roundtrip():
    _, cert = x509.generate_self_signed_cert(bits=1024)
    text = x509.sign_x509_certificate(cert, "secret", "abc123")
    assert text.startswith("X-Ganeti-Signature: abc123/")
    loaded, salt = x509.load_signed_x509_certificate(text, "secret")
    assert salt == "abc123"
    assert x509.cert_digest(loaded) == x509.cert_digest(cert)
    with pytest.raises(errors.GenericError):
        x509.load_signed_x509_certificate(text, "other-secret")
    with pytest.raises(errors.GenericError):
        x509.load_signed_x509_certificate(cert.decode(), "secret")
    with pytest.raises(errors.GenericError):
        x509.sign_x509_certificate(cert, "secret", "bad salt!")
