"""rapi.auth: users file parsing and re-reading, passwords, Basic, access."""

import base64
import os
import time

import pytest

from ganeti import http, rapi
from ganeti.rapi import auth


def _basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def test_parse_users_forms_and_options():
    users = auth.parse_users(
        "# comment\n\n"
        "plain secret write\n"
        "clear {cleartext}s2 read,write\n"
        "hashed {HA1}%s read\n"
        "bare pw\n"
        "odd pw WRITE,bogus\n"
        "lonely\n"
        "too many fields here\n" % auth.ha1_hash("hashed", "pw3")
    )
    assert set(users) == {"plain", "clear", "hashed", "bare", "odd"}
    assert users["plain"].options == {"write"}
    assert users["clear"].options == {"read", "write"}
    assert users["bare"].options == frozenset()
    assert users["odd"].options == {"write"}  # case-insensitive, unknown dropped


def test_verify_password_three_forms():
    assert auth.verify_password("u", "secret", "secret")
    assert not auth.verify_password("u", "secret", "Secret")
    assert auth.verify_password("u", "{cleartext}s2", "s2")
    assert auth.verify_password("u", "{CLEARTEXT}s2", "s2")
    assert not auth.verify_password("u", "{cleartext}s2", "{cleartext}s2")
    ha1 = auth.ha1_hash("u", "pw")
    assert ha1 == __import__("hashlib").md5(b"u:Ganeti Remote API:pw").hexdigest()
    assert auth.verify_password("u", "{HA1}" + ha1, "pw")
    assert auth.verify_password("u", "{ha1}" + ha1.upper(), "pw")
    assert not auth.verify_password("other", "{HA1}" + ha1, "pw")  # the user name is hashed in
    assert not auth.verify_password("u", "{sha}xyz", "xyz")


@pytest.mark.parametrize(
    "header,expected",
    [
        (None, None),
        ("", None),
        ("Bearer abc", None),
        ("Basic !!!", None),
        ("Basic " + base64.b64encode(b"nocolon").decode(), None),
        (_basic("u", "p:w"), ("u", "p:w")),
        ("basic " + base64.b64encode(b"u:").decode(), ("u", "")),
    ],
)
def test_parse_basic_auth(header, expected):
    assert auth.parse_basic_auth(header) == expected


def test_users_file_is_reread_when_it_changes(tmp_path):
    path = tmp_path / "users"
    users = auth.UsersFile(lambda: str(path))
    assert users.get("a") is None  # missing file: no users
    path.write_text("a pw write\n")
    assert users.get("a").options == {"write"}
    path.write_text("a pw read\nb pw2\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert users.get("a").options == {"read"}
    assert users.get("b") is not None
    path.unlink()
    assert users.get("a") is None


def test_authorize_rules(tmp_path):
    path = tmp_path / "users"
    path.write_text("w pw write\nr pw read\nn pw\n")
    users = auth.UsersFile(lambda: str(path))
    # open method: credentials not even looked at
    assert auth.authorize(users, None, rapi.ACCESS_ANON, False) is None
    assert auth.authorize(users, _basic("x", "y"), rapi.ACCESS_ANON, False) is None
    # --require-authentication: any known user
    assert auth.authorize(users, _basic("n", "pw"), rapi.ACCESS_ANON, True) == "n"
    with pytest.raises(http.HttpUnauthorized) as err:
        auth.authorize(users, None, rapi.ACCESS_ANON, True)
    assert err.value.headers == {"WWW-Authenticate": 'Basic realm="Ganeti Remote API"'}
    # write methods
    assert auth.authorize(users, _basic("w", "pw"), rapi.ACCESS_WRITE, False) == "w"
    for header in (None, _basic("w", "bad"), _basic("ghost", "pw")):
        with pytest.raises(http.HttpUnauthorized):
            auth.authorize(users, header, rapi.ACCESS_WRITE, False)
    for user in ("r", "n"):
        with pytest.raises(http.HttpForbidden):
            auth.authorize(users, _basic(user, "pw"), rapi.ACCESS_WRITE, False)
    # read methods accept read or write
    assert auth.authorize(users, _basic("r", "pw"), rapi.ACCESS_READ, False) == "r"
    assert auth.authorize(users, _basic("w", "pw"), rapi.ACCESS_READ, False) == "w"
    with pytest.raises(http.HttpForbidden):
        auth.authorize(users, _basic("n", "pw"), rapi.ACCESS_READ, False)
