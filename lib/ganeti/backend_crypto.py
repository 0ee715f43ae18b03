"""Node-side crypto tokens: the node's client certificate (node_crypto_tokens).

Owns answering ``node_crypto_tokens``: the digest of this node's client
certificate (``get``), or a new client certificate signed by the cluster
certificate (``create``), written atomically in place of the old one.  It
must never touch the cluster certificate itself.
"""

import socket
from typing import Any

from ganeti import constants
from ganeti import errors
from ganeti import pathutils


def _fail(msg: str) -> None:
    raise errors.OpExecError(msg)


def crypto_tokens(token_requests: Any) -> list[list]:
    """Answers ``[[type, action, options], ...]`` with ``[[type, value], ...]``."""
    if not isinstance(token_requests, (list, tuple)):
        _fail("Crypto token requests must be a list")
    # imported here: cryptography is big and noded needs it only for this
    from ganeti.utils import x509  # pylint: disable=import-outside-toplevel

    result = []
    for request in token_requests:
        if not isinstance(request, (list, tuple)) or len(request) != 3:
            _fail("Invalid crypto token request %r" % (request,))
        token_type, action, options = request
        if token_type != constants.CRYPTO_TYPE_SSL_DIGEST:
            _fail("Token type '%s' not supported" % token_type)
        if action == constants.CRYPTO_ACTION_GET:
            result.append(
                [token_type, x509.get_certificate_digest(pathutils.NODED_CLIENT_CERT_FILE)]
            )
        elif action == constants.CRYPTO_ACTION_CREATE:
            digest = x509.generate_client_cert_file(
                pathutils.NODED_CLIENT_CERT_FILE, pathutils.NODED_CERT_FILE, socket.getfqdn()
            )
            result.append([token_type, digest])
        else:
            _fail("Action '%s' not supported for token type '%s'" % (action, token_type))
    return result


PROCEDURES = {"node_crypto_tokens": crypto_tokens}
