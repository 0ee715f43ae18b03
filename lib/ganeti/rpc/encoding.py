"""Wire encodings of RPC arguments that need no cluster configuration.

Owns bulk compression (``[encoding, data]``: 0 = plain, 1 = zlib level 3
then base64, used for file contents and job files) on both sides, and the
generic argument encoders (config objects to dicts, file details for
upload_file).  It must never import pycurl or the configuration: noded
imports it to decompress, the client to encode; encoders that need the
config (instances, disks) are handed to ``RpcRunner`` by the master.
"""

import base64
import grp
import os
import pwd
import zlib
from typing import Any, Callable

from ganeti import constants, errors
from ganeti.rpc import defs

#: smaller payloads are sent plain: compressing them costs more than it saves
COMPRESS_THRESHOLD = 512


def compress(data: bytes | str) -> list:
    """``[encoding, text]`` for ``data`` (zlib+base64 unless it is small)."""
    if isinstance(data, str):
        raw = data.encode("utf-8")
    else:
        raw = data
    if len(raw) < COMPRESS_THRESHOLD:
        try:
            return [constants.RPC_ENCODING_NONE, raw.decode("utf-8")]
        except UnicodeDecodeError:
            pass
    packed = base64.b64encode(zlib.compress(raw, 3)).decode("ascii")
    return [constants.RPC_ENCODING_ZLIB_BASE64, packed]


def decompress(data: Any) -> bytes:
    """Inverse of ``compress``; raises ValueError on anything malformed."""
    if not isinstance(data, (list, tuple)) or len(data) != 2:
        raise ValueError("Invalid data encoding: expected [encoding, content]")
    encoding, content = data
    if encoding == constants.RPC_ENCODING_NONE:
        if not isinstance(content, str):
            raise ValueError("Invalid plain content")
        return content.encode("utf-8")
    if encoding == constants.RPC_ENCODING_ZLIB_BASE64:
        try:
            return zlib.decompress(base64.b64decode(content, validate=True))
        except (zlib.error, ValueError, TypeError) as err:
            raise ValueError("Invalid compressed content: %s" % err) from None
    raise ValueError("Unknown data encoding %r" % (encoding,))


def encode_object_dict(value: Any) -> Any:
    """A config object as its dict (``to_dict``); dicts pass unchanged."""
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if to_dict is not None else value


def encode_object_dict_list(values: Any) -> list:
    """A list of config objects as dicts."""
    return [encode_object_dict(v) for v in values]


def _user_name(uid: int) -> str | int:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return uid


def _group_name(gid: int) -> str | int:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return gid


def prepare_file_upload(file_name: str) -> list:
    """``[name, [encoding, content], mode, owner, group, atime, mtime]`` of a local file."""
    try:
        with open(file_name, "rb") as fh:
            st = os.fstat(fh.fileno())
            data = fh.read()
    except OSError as err:
        raise errors.OpExecError("Can't read file %s for upload: %s" % (file_name, err)) from None
    return [
        file_name,
        compress(data),
        st.st_mode & 0o7777,
        _user_name(st.st_uid),
        _group_name(st.st_gid),
        st.st_atime,
        st.st_mtime,
    ]


#: the encoders every RpcRunner has; the others come from the master
GENERIC_ENCODERS: dict[str, Callable[[Any], Any]] = {
    defs.ED_OBJECT_DICT: encode_object_dict,
    defs.ED_OBJECT_DICT_LIST: encode_object_dict_list,
    defs.ED_COMPRESS: compress,
    defs.ED_FILE_DETAILS: prepare_file_upload,
}
