"""RAPI users and HTTP Basic authentication.

Owns the users file (``/var/lib/ganeti/rapi/users``: ``name password
[options]`` per line, passwords in clear text, ``{cleartext}...`` or
``{ha1}md5hex``), re-reading it when it changes, decoding the Basic
``Authorization`` header and the access decision of one request (allowed,
401 or 403).  It must never know about resources or the master: callers pass
the method's access list.
"""

import base64
import binascii
import hashlib
import hmac
import logging
import os
import threading
from dataclasses import dataclass
from typing import Callable

from ganeti import http, pathutils, rapi

SCHEME_CLEARTEXT = "{cleartext}"
SCHEME_HA1 = "{ha1}"


@dataclass(frozen=True)
class User:
    """One line of the users file."""

    name: str
    password: str
    options: frozenset


def parse_users(text: str) -> dict[str, User]:
    """Parses the users file; bad lines are logged and skipped.

    Options are comma-separated; unknown ones are ignored (as in Ganeti), so
    an old file with only ``write`` keeps working.
    """
    users: dict[str, User] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 2:
            logging.warning("RAPI users file, line %d: no password, line ignored", number)
            continue
        if len(parts) > 3:
            logging.warning("RAPI users file, line %d: too many fields, line ignored", number)
            continue
        options = frozenset()
        if len(parts) == 3:
            options = frozenset(o.strip().lower() for o in parts[2].split(",") if o.strip())
            unknown = options - rapi.RAPI_ACCESS_ALL
            if unknown:
                logging.warning(
                    "RAPI users file, line %d: unknown option(s) %s ignored",
                    number,
                    ", ".join(sorted(unknown)),
                )
                options = options & rapi.RAPI_ACCESS_ALL
        users[parts[0]] = User(parts[0], parts[1], options)
    return users


class UsersFile:
    """The users file, re-read whenever it changes on disk.

    Each lookup costs one ``stat``; the file is parsed again only when its
    inode, size or modification time differ.  A missing or unreadable file
    means no users.
    """

    def __init__(self, path_fn: Callable[[], str] | None = None) -> None:
        self._path_fn = path_fn or (lambda: pathutils.RAPI_USERS_FILE)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._users: dict[str, User] = {}

    def _refresh(self) -> dict[str, User]:
        path = self._path_fn()
        try:
            st = os.stat(path)
            stamp = (path, st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = (path, None)
        if stamp == self._stamp:
            return self._users
        with self._lock:
            if stamp == self._stamp:
                return self._users
            users: dict[str, User] = {}
            if stamp[1] is not None:
                try:
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        users = parse_users(fh.read())
                except OSError as err:
                    logging.error("Cannot read the RAPI users file %s: %s", path, err)
                logging.info("Loaded %d RAPI user(s) from %s", len(users), path)
            self._users = users
            self._stamp = stamp
            return users

    def get(self, name: str) -> User | None:
        """The user called ``name``, or None."""
        return self._refresh().get(name)

    def count(self) -> int:
        return len(self._refresh())


def ha1_hash(username: str, password: str, realm: str = rapi.AUTH_REALM) -> str:
    """The {HA1} form of a password: MD5 of ``user:realm:password``."""
    return hashlib.md5(("%s:%s:%s" % (username, realm, password)).encode("utf-8")).hexdigest()


def verify_password(username: str, stored: str, given: str, realm: str = rapi.AUTH_REALM) -> bool:
    """Checks ``given`` against the stored password (any of the three forms)."""
    lower = stored.lower()
    if lower.startswith(SCHEME_HA1):
        expected = stored[len(SCHEME_HA1) :].lower()
        return hmac.compare_digest(ha1_hash(username, given, realm), expected)
    if lower.startswith(SCHEME_CLEARTEXT):
        stored = stored[len(SCHEME_CLEARTEXT) :]
    elif stored.startswith("{"):
        # an unknown {scheme}: never matches
        return False
    return hmac.compare_digest(stored.encode("utf-8"), given.encode("utf-8"))


def parse_basic_auth(header: str | None) -> tuple[str, str] | None:
    """(user, password) from a Basic ``Authorization`` header, or None."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    return user, password


def challenge() -> http.HttpException:
    """The 401 answer asking for Basic credentials in our realm."""
    return http.HttpUnauthorized(
        headers={http.HTTP_WWW_AUTHENTICATE: 'Basic realm="%s"' % rapi.AUTH_REALM}
    )


def authorize(
    users: UsersFile, header: str | None, access: tuple, require_auth: bool
) -> str | None:
    """Decides one request; returns the user name (None if anonymous).

    A method with an empty access list is open unless ``require_auth``; then
    credentials are not even looked at.  Otherwise the user must exist and
    the password match (else 401 with a challenge), and one of the user's
    options must be in ``access`` (else 403).
    """
    if not access and not require_auth:
        return None
    creds = parse_basic_auth(header)
    if creds is None:
        raise challenge()
    name, password = creds
    user = users.get(name)
    if user is None or not verify_password(name, user.password, password):
        logging.info("RAPI authentication failed for user %r", name)
        raise challenge()
    if access and not (user.options & set(access)):
        logging.info("RAPI user %r lacks the %s right", name, "/".join(access))
        raise http.HttpForbidden()
    return name
