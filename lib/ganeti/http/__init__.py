"""HTTP vocabulary shared by the project's server and clients.

Owns status codes, method names and the exceptions a request handler raises
to answer with an HTTP error (``HttpNotFound`` ...).  It must never open
sockets: ``http.server`` serves, ``http.client`` calls.
"""

HTTP_OK = 200
HTTP_NO_CONTENT = 204
HTTP_NOT_MODIFIED = 304

HTTP_0_9 = "HTTP/0.9"
HTTP_1_0 = "HTTP/1.0"
HTTP_1_1 = "HTTP/1.1"

HTTP_GET = "GET"
HTTP_HEAD = "HEAD"
HTTP_POST = "POST"
HTTP_PUT = "PUT"
HTTP_DELETE = "DELETE"

HTTP_ETAG = "ETag"
HTTP_HOST = "Host"
HTTP_SERVER = "Server"
HTTP_DATE = "Date"
HTTP_USER_AGENT = "User-Agent"
HTTP_CONTENT_TYPE = "Content-Type"
HTTP_CONTENT_LENGTH = "Content-Length"
HTTP_CONNECTION = "Connection"
HTTP_KEEP_ALIVE = "Keep-Alive"
HTTP_WWW_AUTHENTICATE = "WWW-Authenticate"
HTTP_AUTHORIZATION = "Authorization"
HTTP_AUTHENTICATION_INFO = "Authentication-Info"
HTTP_ALLOW = "Allow"

HTTP_APP_OCTET_STREAM = "application/octet-stream"
HTTP_APP_JSON = "application/json"

#: reason phrases of the codes this project sends
RESPONSES = {
    100: "Continue",
    200: "OK",
    204: "No Content",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    415: "Unsupported Media Type",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}


class HttpError(Exception):
    """A transport-level problem (connection lost, malformed message)."""


class HttpException(Exception):
    """An HTTP error answer: raise one from a handler to send ``code``.

    ``message`` is the short text, ``headers`` extra response headers
    (e.g. WWW-Authenticate), ``explain`` an optional longer explanation.
    """

    code: int = 500

    def __init__(
        self,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        explain: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers
        self.explain = explain


def _make(name: str, code: int, doc: str) -> type:
    return type(name, (HttpException,), {"code": code, "__doc__": doc})


HttpBadRequest = _make("HttpBadRequest", 400, "400 Bad Request")
HttpUnauthorized = _make("HttpUnauthorized", 401, "401 Unauthorized")
HttpForbidden = _make("HttpForbidden", 403, "403 Forbidden")
HttpNotFound = _make("HttpNotFound", 404, "404 Not Found")
HttpMethodNotAllowed = _make("HttpMethodNotAllowed", 405, "405 Method Not Allowed")
HttpNotAcceptable = _make("HttpNotAcceptable", 406, "406 Not Acceptable")
HttpRequestTimeout = _make("HttpRequestTimeout", 408, "408 Request Timeout")
HttpConflict = _make("HttpConflict", 409, "409 Conflict")
HttpGone = _make("HttpGone", 410, "410 Gone")
HttpLengthRequired = _make("HttpLengthRequired", 411, "411 Length Required")
HttpPreconditionFailed = _make("HttpPreconditionFailed", 412, "412 Precondition Failed")
HttpRequestEntityTooLarge = _make("HttpRequestEntityTooLarge", 413, "413 Request Entity Too Large")
HttpUnsupportedMediaType = _make("HttpUnsupportedMediaType", 415, "415 Unsupported Media Type")
HttpInternalServerError = _make("HttpInternalServerError", 500, "500 Internal Server Error")
HttpNotImplemented = _make("HttpNotImplemented", 501, "501 Not Implemented")
HttpBadGateway = _make("HttpBadGateway", 502, "502 Bad Gateway")
HttpServiceUnavailable = _make("HttpServiceUnavailable", 503, "503 Service Unavailable")
HttpGatewayTimeout = _make("HttpGatewayTimeout", 504, "504 Gateway Timeout")
HttpVersionNotSupported = _make("HttpVersionNotSupported", 505, "505 HTTP Version Not Supported")
