"""The HTTPS transport of the RAPI client: pycurl, one connection per thread.

Owns sending one request to a cluster's remote API (URL, query encoding,
JSON body, basic authentication, TLS settings through ``GenericCurlConfig``)
and turning the answer into data or into the client's errors
(``GanetiApiError`` with the HTTP code, ``CertificateError``).  It knows no
API resource: ``rapi.client`` builds the paths and bodies.  Like the
client, it must never import anything of the server side.
"""

import logging
import threading
from io import BytesIO
from typing import Any, Callable
from urllib.parse import urlencode

import pycurl

from ganeti import serializer

HTTP_DELETE = "DELETE"
HTTP_GET = "GET"
HTTP_PUT = "PUT"
HTTP_POST = "POST"
HTTP_OK = 200
HTTP_NOT_FOUND = 404
HTTP_APP_JSON = "application/json"


class Error(Exception):
    """Base error of the RAPI client."""


class GanetiApiError(Error):
    """An error answer of the API; ``code`` is the HTTP status (or None)."""

    def __init__(self, msg: str, code: int | None = None) -> None:
        Error.__init__(self, msg)
        self.code = code


class CertificateError(GanetiApiError):
    """The server's certificate could not be verified."""


_CERT_ERRORS = frozenset(
    getattr(pycurl, name)
    for name in ("E_SSL_CACERT", "E_SSL_CACERT_BADFILE", "E_PEER_FAILED_VERIFICATION")
    if hasattr(pycurl, name)
)


def GenericCurlConfig(  # noqa: N802 (Ganeti's name)
    verbose: bool = False,
    use_signal: bool = False,
    use_curl_cabundle: bool = False,
    cafile: str | None = None,
    capath: str | None = None,
    proxy: str | None = None,
    verify_hostname: bool = False,
    connect_timeout: float | None = None,
    timeout: float | None = None,
) -> Callable[[Any], None]:
    """A curl configuration function: TLS verification (off unless a CA is
    given or ``use_curl_cabundle``), proxy and timeouts."""

    def configure(curl: Any) -> None:
        curl.setopt(pycurl.VERBOSE, verbose)
        curl.setopt(pycurl.NOSIGNAL, not use_signal)
        if verify_hostname:
            curl.setopt(pycurl.SSL_VERIFYHOST, 2)
        else:
            curl.setopt(pycurl.SSL_VERIFYHOST, 0)
        if cafile or capath or use_curl_cabundle:
            curl.setopt(pycurl.SSL_VERIFYPEER, True)
            if cafile:
                curl.setopt(pycurl.CAINFO, str(cafile))
            if capath:
                curl.setopt(pycurl.CAPATH, str(capath))
        else:
            curl.setopt(pycurl.SSL_VERIFYPEER, False)
        if proxy is not None:
            curl.setopt(pycurl.PROXY, str(proxy))
        if connect_timeout is not None:
            curl.setopt(pycurl.CONNECTTIMEOUT, int(connect_timeout))
        if timeout is not None:
            curl.setopt(pycurl.TIMEOUT, int(timeout))

    return configure


class CurlTransport:
    """Requests to one RAPI endpoint (``base_url``), a curl handle per thread."""

    def __init__(
        self,
        base_url: str,
        username: str | None = None,
        password: str | None = None,
        logger: Any = logging,
        curl_config_fn: Callable[[Any], None] | None = None,
        curl_factory: Callable[[], Any] | None = None,
        user_agent: str = "Ganeti RAPI Client",
    ) -> None:
        self._base_url = base_url
        self._username = username
        self._password = password
        self._logger = logger
        self._curl_config_fn = curl_config_fn
        self._curl_factory = curl_factory or pycurl.Curl
        self._user_agent = user_agent
        self._local = threading.local()

    def curl(self) -> Any:
        """This thread's curl handle (made and configured on first use)."""
        curl = getattr(self._local, "curl", None)
        if curl is None:
            curl = self._curl_factory()
            curl.setopt(pycurl.USERAGENT, self._user_agent)
            curl.setopt(pycurl.SSL_VERIFYPEER, False)
            curl.setopt(pycurl.SSL_VERIFYHOST, 0)
            curl.setopt(pycurl.HTTPHEADER, ["Accept: %s" % HTTP_APP_JSON,
                                             "Content-type: %s" % HTTP_APP_JSON])  # fmt: skip
            if self._username is not None:
                if self._password is None:
                    raise Error("Password not specified")
                curl.setopt(pycurl.HTTPAUTH, pycurl.HTTPAUTH_BASIC)
                curl.setopt(pycurl.USERPWD, "%s:%s" % (self._username, self._password))
            if self._curl_config_fn:
                self._curl_config_fn(curl)
            self._local.curl = curl
        return curl

    def close(self) -> None:
        """Closes this thread's connection."""
        curl = getattr(self._local, "curl", None)
        if curl is not None:
            curl.close()
            self._local.curl = None

    @staticmethod
    def encode_query(query: list | None) -> list:
        """``(name, value)`` pairs as strings: None dropped, booleans 0/1, lists repeated."""
        result = []
        for name, value in query or []:
            if value is None:
                continue
            if isinstance(value, bool):
                value = int(value)
            elif isinstance(value, (list, tuple)):
                result.extend((name, str(v)) for v in value)
                continue
            result.append((name, str(value)))
        return result

    def send(self, method: str, path: str, query: list | None, content: Any) -> Any:
        """Sends one request; returns the decoded answer or raises GanetiApiError."""
        url = self._base_url + path
        if query:
            url += "?" + urlencode(self.encode_query(query))
        encoded = serializer.dump_bytes(content) if content is not None else b""
        curl = self.curl()
        buf = BytesIO()
        curl.setopt(pycurl.CUSTOMREQUEST, str(method))
        curl.setopt(pycurl.URL, url)
        curl.setopt(pycurl.WRITEFUNCTION, buf.write)
        curl.setopt(pycurl.POSTFIELDS, encoded)
        if method == HTTP_GET and not encoded:
            curl.setopt(pycurl.HTTPGET, True)
            curl.setopt(pycurl.CUSTOMREQUEST, str(method))
        self._logger.debug("Sending request %s %s", method, url)
        try:
            curl.perform()
        except pycurl.error as err:
            self.close()
            code = err.args[0] if err.args else None
            if code in _CERT_ERRORS:
                raise CertificateError("SSL certificate error %s" % (err,), code=None) from None
            raise GanetiApiError(str(err), code=None) from None
        http_code = curl.getinfo(pycurl.RESPONSE_CODE)
        raw = buf.getvalue()
        try:
            response = serializer.loads(raw) if raw else None
        except ValueError:
            response = raw.decode("utf-8", "replace")
        if http_code != HTTP_OK:
            if isinstance(response, dict) and "code" in response:
                msg = "%s %s: %s" % (response["code"], response["message"], response["explain"])
            else:
                msg = str(response)
            raise GanetiApiError(msg, code=http_code)
        return response
