"""node_crypto_tokens: the node's client certificate digest, get and create."""

import os

import pytest

from ganeti import backend_crypto
from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti.utils import x509


@pytest.fixture
def root(tmp_path):
    old = pathutils.get_root()
    pathutils.set_root(str(tmp_path))
    os.makedirs(pathutils.DATA_DIR)
    x509.generate_cluster_cert_file(pathutils.NODED_CERT_FILE)
    yield tmp_path
    pathutils.set_root(old)


def test_create_then_get(root):
    ssl = constants.CRYPTO_TYPE_SSL_DIGEST
    ((kind, created),) = backend_crypto.crypto_tokens([[ssl, constants.CRYPTO_ACTION_CREATE, {}]])
    assert kind == ssl
    ((_, got),) = backend_crypto.crypto_tokens([[ssl, constants.CRYPTO_ACTION_GET, None]])
    assert got == created == x509.get_certificate_digest(pathutils.NODED_CLIENT_CERT_FILE)
    ok, _ = x509.verify_cert_signed_by_file(
        pathutils.NODED_CLIENT_CERT_FILE, pathutils.NODED_CERT_FILE
    )
    assert ok


@pytest.mark.parametrize(
    "request_",
    ["nope", [["ssl"]], [["ssh", "get", None]], [["ssl", "explode", None]]],
)
def test_bad_requests(root, request_):
    with pytest.raises(errors.OpExecError):
        backend_crypto.crypto_tokens(request_)
