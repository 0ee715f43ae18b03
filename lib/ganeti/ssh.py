"""Root SSH between the cluster's nodes: keys, known hosts, remote commands, node join.

Owns the cluster's SSH key pair (``/root/.ssh/id_<type>``, shared by every
node so any master candidate can reach every node; ed25519 by default, rsa
and ecdsa on request) and its generation, renewal and repair; the
``authorized_keys`` and ``ganeti_pub_keys`` entries; the cluster
``known_hosts`` file and host key checking; running commands as root on a
node over paramiko; and the client side of a node join (certificates,
ssconf, known_hosts, the SSH key, then ``daemon-util start ganeti-noded``).

Every failure to reach a node is an ``OpPrereqError`` with
``ECODE_ENVIRON`` and says what to do (unreachable host, refused key,
unknown or changed host key); a failed remote command is an
``OpExecError``.  It must never change the cluster configuration (logical
units do, through ConfigWriter) nor talk node RPC.
"""

import base64
import hashlib
import os
import shlex
import socket
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ganeti import constants, errors, pathutils
from ganeti.utils import io as utils_io

SSH_LOGIN_USER = "root"
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_COMMAND_TIMEOUT = 300.0

#: key size used when none is asked for (ed25519 has a fixed size)
DEFAULT_KEY_BITS = {
    constants.SSHK_RSA: 2048,
    constants.SSHK_ECDSA: 384,
    constants.SSHK_ED25519: 256,
}
_ECDSA_CURVES = {256: "SECP256R1", 384: "SECP384R1", 521: "SECP521R1"}
#: key types this implementation can create and use (OpenSSH 9 dropped dsa)
USABLE_KEY_TYPES = frozenset(DEFAULT_KEY_BITS)

#: exit code of the join script when the node belongs to another cluster
_EXIT_OTHER_CLUSTER = 3

#: (feedback) message function
FeedbackFn = Callable[[str], None] | None
#: asks the user whether to trust an unknown host key: fn(question) -> bool
AskFn = Callable[[str], bool] | None


def _env_error(msg: str) -> errors.OpPrereqError:
    return errors.OpPrereqError(msg, errors.ECODE_ENVIRON)


# --- key files and key generation ----------------------------------------------------------


def check_key_type(key_type: str) -> None:
    """Raises OpPrereqError unless ``key_type`` is one we can create and use."""
    if key_type not in USABLE_KEY_TYPES:
        raise errors.OpPrereqError(
            "Unsupported SSH key type '%s' (supported: %s)"
            % (key_type, ", ".join(sorted(USABLE_KEY_TYPES))),
            errors.ECODE_INVAL,
        )


def key_files(key_type: str) -> tuple[str, str]:
    """(private, public) key file of root for ``key_type``."""
    priv = os.path.join(pathutils.SSH_ROOT_DIR, "id_%s" % key_type)
    return priv, priv + ".pub"


def authorized_keys_file() -> str:
    """root's authorized_keys file."""
    return os.path.join(pathutils.SSH_ROOT_DIR, "authorized_keys")


def root_known_hosts_file() -> str:
    """root's own known_hosts file (read in addition to the cluster's)."""
    return os.path.join(pathutils.SSH_ROOT_DIR, "known_hosts")


def generate_key_pair(
    key_type: str = constants.SSH_KEY_TYPE_DEFAULT, bits: int | None = None, comment: str = ""
) -> tuple[bytes, str]:
    """A new key pair: (OpenSSH private key PEM, ``authorized_keys`` line)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    check_key_type(key_type)
    if key_type == constants.SSHK_ED25519:
        key: Any = ed25519.Ed25519PrivateKey.generate()
    elif key_type == constants.SSHK_RSA:
        bits = bits or DEFAULT_KEY_BITS[key_type]
        if bits < 1024:
            raise errors.OpPrereqError(
                "RSA keys need at least 1024 bits, %d asked" % bits, errors.ECODE_INVAL
            )
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    else:
        bits = bits or DEFAULT_KEY_BITS[key_type]
        curve = _ECDSA_CURVES.get(bits)
        if curve is None:
            raise errors.OpPrereqError(
                "ECDSA keys have 256, 384 or 521 bits, not %d" % bits, errors.ECODE_INVAL
            )
        key = ec.generate_private_key(getattr(ec, curve)())
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode("ascii")
    )
    if comment:
        public = "%s %s" % (public, comment)
    return private, public


def read_public_key(key_type: str) -> str:
    """root's public key of ``key_type`` (one line); OpPrereqError if missing."""
    _, pub = key_files(key_type)
    try:
        return utils_io.read_file(pub).strip()
    except OSError as err:
        raise _env_error(
            "Cannot read the cluster's public SSH key %s: %s" % (pub, err.strerror)
        ) from None


def write_key_pair(key_type: str, private: bytes, public: str) -> None:
    """Installs a key pair as root's ``id_<type>``, backing up what it replaces."""
    priv, pub = key_files(key_type)
    os.makedirs(pathutils.SSH_ROOT_DIR, 0o700, exist_ok=True)
    utils_io.write_file(priv, private, mode=0o600, backup=os.path.exists(priv))
    utils_io.write_file(pub, public.strip() + "\n", mode=0o644, backup=os.path.exists(pub))


def _key_body(line: str) -> str | None:
    """The base64 part of a public key line (options and comment dropped)."""
    parts = line.split()
    for idx, part in enumerate(parts[:-1]):
        if part.startswith(("ssh-", "ecdsa-sha2-", "sk-")):
            return parts[idx + 1]
    return None


def add_authorized_key(path: str, key_line: str) -> bool:
    """Adds ``key_line`` to an authorized_keys file unless present; True if added."""
    body = _key_body(key_line)
    try:
        lines = utils_io.read_file(path).splitlines()
    except FileNotFoundError:
        lines = []
    if any(_key_body(ln) == body for ln in lines):
        return False
    os.makedirs(os.path.dirname(path), 0o700, exist_ok=True)
    lines.append(key_line.strip())
    utils_io.write_file(path, "".join(ln + "\n" for ln in lines), mode=0o600)
    return True


def remove_authorized_key(path: str, key_line: str) -> bool:
    """Removes every line carrying the key of ``key_line``; True if one was."""
    body = _key_body(key_line)
    try:
        lines = utils_io.read_file(path).splitlines()
    except FileNotFoundError:
        return False
    kept = [ln for ln in lines if _key_body(ln) != body]
    if len(kept) == len(lines):
        return False
    utils_io.write_file(path, "".join(ln + "\n" for ln in kept), mode=0o600)
    return True


# --- ganeti_pub_keys: node uuid -> public key ----------------------------------------------


def read_pub_keys(path: str | None = None) -> dict[str, list[str]]:
    """The ``ganeti_pub_keys`` file as node uuid -> key lines."""
    path = path or pathutils.SSH_PUB_KEYS
    result: dict[str, list[str]] = {}
    try:
        text = utils_io.read_file(path)
    except FileNotFoundError:
        return result
    for line in text.splitlines():
        uuid, _, key = line.strip().partition(" ")
        if uuid and key:
            result.setdefault(uuid, []).append(key.strip())
    return result


def _write_pub_keys(keys: dict[str, list[str]], path: str) -> None:
    text = "".join("%s %s\n" % (uuid, key) for uuid in sorted(keys) for key in keys[uuid])
    utils_io.write_file(path, text, mode=0o600)


def set_pub_key(node_uuid: str, key_line: str, path: str | None = None) -> None:
    """Records ``key_line`` as the (only) key of ``node_uuid``."""
    path = path or pathutils.SSH_PUB_KEYS
    keys = read_pub_keys(path)
    keys[node_uuid] = [key_line.strip()]
    _write_pub_keys(keys, path)


def remove_pub_key(node_uuid: str, path: str | None = None) -> bool:
    """Forgets the keys of ``node_uuid``; True if it had some."""
    path = path or pathutils.SSH_PUB_KEYS
    keys = read_pub_keys(path)
    if keys.pop(node_uuid, None) is None:
        return False
    _write_pub_keys(keys, path)
    return True


def replace_all_pub_keys(key_line: str, path: str | None = None) -> None:
    """Every recorded node gets ``key_line`` (after a cluster key renewal)."""
    path = path or pathutils.SSH_PUB_KEYS
    keys = read_pub_keys(path)
    _write_pub_keys({uuid: [key_line.strip()] for uuid in keys}, path)


def init_ssh_setup(
    node_uuid: str,
    key_type: str = constants.SSH_KEY_TYPE_DEFAULT,
    key_bits: int | None = None,
    regenerate: bool = False,
) -> str:
    """Makes this node's root key the cluster key (``gnt-cluster init``).

    An existing ``id_<type>`` is kept (it is how the admin already reaches
    the other nodes) unless ``regenerate``; a missing one is created.  The
    public key is authorized locally and recorded in ganeti_pub_keys for
    ``node_uuid``.  Returns the public key line.
    """
    check_key_type(key_type)
    priv, pub = key_files(key_type)
    if regenerate or not (os.path.exists(priv) and os.path.exists(pub)):
        private, public = generate_key_pair(key_type, key_bits, comment="root@ganeti")
        write_key_pair(key_type, private, public)
    public = read_public_key(key_type)
    add_authorized_key(authorized_keys_file(), public)
    set_pub_key(node_uuid, public)
    return public


# --- known hosts ----------------------------------------------------------------------------


def host_key_names(name: str, address: str | None, port: int) -> list[str]:
    """The names a node's host key is recorded under (OpenSSH spelling)."""
    names = [name] + ([address] if address and address != name else [])
    if port != 22:
        names = ["[%s]:%d" % (n, port) for n in names]
    return names


def fingerprint(key: Any) -> str:
    """OpenSSH's SHA256 fingerprint of a paramiko key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def add_known_host(names: list[str], key: Any, path: str | None = None) -> None:
    """Records ``key`` (a paramiko key) for ``names`` in the cluster known_hosts.

    Earlier lines naming any of ``names`` with the same key type go.
    """
    path = path or pathutils.SSH_KNOWN_HOSTS_FILE
    try:
        lines = utils_io.read_file(path).splitlines()
    except FileNotFoundError:
        lines = []
    wanted = set(names)
    kept = []
    for line in lines:
        fields = line.split()
        if (
            len(fields) >= 3
            and not line.startswith("#")
            and fields[1] == key.get_name()
            and wanted & set(fields[0].split(","))
        ):
            continue
        kept.append(line)
    kept.append("%s %s %s" % (",".join(names), key.get_name(), key.get_base64()))
    os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
    utils_io.write_file(path, "".join(ln + "\n" for ln in kept), mode=0o644)


def remove_known_host(names: Iterable[str], path: str | None = None) -> bool:
    """Drops every known_hosts line naming one of ``names``; True if one was."""
    path = path or pathutils.SSH_KNOWN_HOSTS_FILE
    try:
        lines = utils_io.read_file(path).splitlines()
    except FileNotFoundError:
        return False
    wanted = set(names)
    wanted |= {"[%s]" % n for n in names}
    kept = []
    for line in lines:
        first = line.split()[0] if line.split() else ""
        hosts = {h.split("]:")[0] + "]" if h.startswith("[") else h for h in first.split(",")}
        if wanted & hosts:
            continue
        kept.append(line)
    if len(kept) == len(lines):
        return False
    utils_io.write_file(path, "".join(ln + "\n" for ln in kept), mode=0o644)
    return True


def _load_host_keys(files: list[str]) -> Any:
    import paramiko

    keys = paramiko.HostKeys()
    for path in files:
        if os.path.exists(path):
            try:
                keys.load(path)
            except (OSError, paramiko.SSHException) as err:
                raise _env_error("Cannot read known hosts file %s: %s" % (path, err)) from None
    return keys


# --- running commands ----------------------------------------------------------------------


@dataclass
class SshResult:
    """What a remote command did."""

    node: str
    command: str
    exit_code: int
    stdout: str
    stderr: str

    @property
    def failed(self) -> bool:
        return self.exit_code != 0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def fail_reason(self) -> str:
        return "exited with exit code %d" % self.exit_code if self.failed else ""

    def raise_error(self, what: str) -> None:
        """OpExecError naming ``what`` if the command failed."""
        if self.failed:
            detail = (self.stderr or self.stdout).strip()
            raise errors.OpExecError(
                "%s on node %s failed (%s)%s"
                % (what, self.node, self.fail_reason, ": %s" % detail if detail else "")
            )


class SshConnection:
    """An authenticated SSH connection to one node, as root."""

    def __init__(self, node: str, transport: Any, host_key: Any) -> None:
        self.node = node
        self.transport = transport
        self.host_key = host_key

    def run(
        self, command: str, stdin: bytes | str = b"", timeout: float = DEFAULT_COMMAND_TIMEOUT
    ) -> SshResult:
        """Runs ``command`` through root's shell, feeding it ``stdin``."""
        if isinstance(stdin, str):
            stdin = stdin.encode("utf-8")
        try:
            chan = self.transport.open_session(timeout=timeout)
            chan.settimeout(timeout)
            chan.exec_command(command)
            if stdin:
                chan.sendall(stdin)
            chan.shutdown_write()
            stdout = chan.makefile("rb").read()
            stderr = chan.makefile_stderr("rb").read()
            status = chan.recv_exit_status()
            chan.close()
        except socket.timeout:
            raise errors.OpExecError(
                "Command on node %s did not finish within %d seconds" % (self.node, timeout)
            ) from None
        except (OSError, EOFError) as err:
            raise errors.OpExecError(
                "Connection to node %s lost while running a command: %s" % (self.node, err)
            ) from None
        except Exception as err:  # paramiko.SSHException and friends
            raise errors.OpExecError(
                "SSH error on node %s while running a command: %s" % (self.node, err)
            ) from None
        return SshResult(
            self.node,
            command,
            status,
            stdout.decode("utf-8", "replace"),
            stderr.decode("utf-8", "replace"),
        )

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> "SshConnection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class SshRunner:
    """Connects to nodes as root with the cluster key, checking host keys.

    ``key_type`` selects the key (``/root/.ssh/id_<type>``; ``key_file``
    overrides).  Host keys are checked against the cluster known_hosts file
    and root's own; a changed key is always refused.  An unknown key is
    accepted when ``ssh_key_check`` is False (and then recorded in the
    cluster file), or when ``ask_fn(question)`` says yes; otherwise refused.
    """

    def __init__(
        self,
        cluster_name: str | None = None,
        key_type: str = constants.SSH_KEY_TYPE_DEFAULT,
        key_file: str | None = None,
        ssh_key_check: bool = True,
        ask_fn: AskFn = None,
        known_hosts_files: list[str] | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self.cluster_name = cluster_name
        self.key_type = key_type
        self.key_file = key_file
        self.ssh_key_check = ssh_key_check
        self.ask_fn = ask_fn
        self.known_hosts_files = known_hosts_files
        self.connect_timeout = connect_timeout
        self._pkey: Any = None

    # keys -------------------------------------------------------------------------
    def _key_path(self) -> str:
        return self.key_file or key_files(self.key_type)[0]

    def private_key(self) -> Any:
        """The paramiko key used to log in (loaded once)."""
        if self._pkey is None:
            self._pkey = load_private_key(self._key_path())
        return self._pkey

    def _host_key_files(self) -> list[str]:
        if self.known_hosts_files is not None:
            return list(self.known_hosts_files)
        return [pathutils.SSH_KNOWN_HOSTS_FILE, root_known_hosts_file()]

    def _check_host_key(self, node: str, names: list[str], key: Any) -> bool:
        """True if ``key`` was unknown and got accepted (to be recorded)."""
        known = _load_host_keys(self._host_key_files())
        lookup_names = list(names)
        if self.cluster_name:
            lookup_names.append(self.cluster_name)
        for name in lookup_names:
            entry = known.lookup(name)
            if entry is None or key.get_name() not in entry:
                continue
            if entry[key.get_name()] == key:
                return False
            raise _env_error(
                "The SSH host key of node %s (%s) does not match the one recorded for"
                " '%s' in %s: the node was reinstalled, or someone is impersonating it."
                " If the new key is right, remove the old entry and retry"
                % (node, fingerprint(key), name, " or ".join(self._host_key_files()))
            )
        question = (
            "The authenticity of host '%s' can't be established.\n"
            "%s key fingerprint is %s.\n"
            "Are you sure you want to continue connecting?"
            % (", ".join(names), key.get_name(), fingerprint(key))
        )
        if not self.ssh_key_check:
            return True
        if self.ask_fn is not None and self.ask_fn(question):
            return True
        raise _env_error(
            "The SSH host key of node %s is not known (%s %s); check it and add it"
            " to %s, or skip the check with --no-ssh-key-check"
            % (node, key.get_name(), fingerprint(key), pathutils.SSH_KNOWN_HOSTS_FILE)
        )

    # connections ----------------------------------------------------------------------
    def connect(
        self, node: str, address: str | None = None, port: int = 22, record_host_key: bool = True
    ) -> SshConnection:
        """An authenticated connection to ``node`` (at ``address``, else DNS)."""
        import paramiko

        pkey = self.private_key()
        target = address or node
        try:
            sock = socket.create_connection((target, port), timeout=self.connect_timeout)
        except socket.gaierror as err:
            raise errors.OpPrereqError(
                "Cannot resolve node name %s: %s" % (node, err.strerror), errors.ECODE_RESOLVER
            ) from None
        except socket.timeout:
            raise _env_error(
                "Cannot connect to node %s (%s port %d): timed out after %.0f seconds;"
                " is the node up and reachable?" % (node, target, port, self.connect_timeout)
            ) from None
        except OSError as err:
            raise _env_error(
                "Cannot connect to node %s (%s port %d): %s; is the node up and its"
                " SSH daemon running?" % (node, target, port, err.strerror or err)
            ) from None
        transport = paramiko.Transport(sock)
        try:
            try:
                transport.start_client(timeout=self.connect_timeout)
            except (paramiko.SSHException, EOFError, OSError) as err:
                raise _env_error(
                    "SSH handshake with node %s (%s port %d) failed: %s"
                    % (node, target, port, err or "connection closed")
                ) from None
            host_key = transport.get_remote_server_key()
            names = host_key_names(node, address, port)
            accepted = self._check_host_key(node, names, host_key)
            try:
                transport.auth_publickey(SSH_LOGIN_USER, pkey)
            except paramiko.AuthenticationException:
                raise _env_error(
                    "Node %s refused the cluster's SSH key %s for %s: add %s.pub to the"
                    " node's /root/.ssh/authorized_keys and retry"
                    % (node, self._key_path(), SSH_LOGIN_USER, self._key_path())
                ) from None
            except (paramiko.SSHException, EOFError, OSError) as err:
                raise _env_error(
                    "SSH authentication with node %s failed: %s" % (node, err)
                ) from None
            if accepted and record_host_key:
                add_known_host(names, host_key)
        except BaseException:
            transport.close()
            raise
        return SshConnection(node, transport, host_key)

    def run(
        self,
        node: str,
        command: str,
        stdin: bytes | str = b"",
        address: str | None = None,
        port: int = 22,
        timeout: float = DEFAULT_COMMAND_TIMEOUT,
    ) -> SshResult:
        """Runs one command on ``node`` as root (one connection)."""
        with self.connect(node, address, port) as conn:
            return conn.run(command, stdin, timeout)

    def copy_file(
        self,
        node: str,
        local_path: str,
        remote_path: str | None = None,
        address: str | None = None,
        port: int = 22,
    ) -> None:
        """Copies a local file to ``node`` (same path unless given), keeping its mode."""
        try:
            with open(local_path, "rb") as fh:
                data = fh.read()
                mode = os.fstat(fh.fileno()).st_mode & 0o7777
        except OSError as err:
            raise errors.OpPrereqError(
                "Cannot read %s: %s" % (local_path, err.strerror), errors.ECODE_ENVIRON
            ) from None
        script = _script_header() + _put_file(remote_path or local_path, data, mode)
        self.run(node, "/bin/sh -s", script, address, port).raise_error("Copying %s" % local_path)


def load_private_key(path: str) -> Any:
    """A paramiko private key from ``path`` (any supported type)."""
    import paramiko

    try:
        return paramiko.PKey.from_path(path)
    except FileNotFoundError:
        raise _env_error(
            "The cluster's SSH key %s does not exist; create it with"
            " 'gnt-cluster renew-crypto --new-ssh-keys'" % path
        ) from None
    except (OSError, paramiko.SSHException, ValueError) as err:
        raise _env_error("Cannot load the SSH key %s: %s" % (path, err)) from None


# --- remote scripts -----------------------------------------------------------------------


def _script_header() -> str:
    return (
        "set -e\n"
        "umask 022\n"
        "put() {\n"
        '  mkdir -p "$(dirname "$1")"\n'
        '  base64 -d > "$1.ganeti-new"\n'
        '  chmod "$2" "$1.ganeti-new"\n'
        '  mv -f "$1.ganeti-new" "$1"\n'
        "}\n"
    )


def _put_file(path: str, data: bytes, mode: int) -> str:
    encoded = base64.encodebytes(data).decode("ascii")
    return "put %s %o <<'GANETI_EOF'\n%sGANETI_EOF\n" % (shlex.quote(path), mode, encoded)


def _authorize_key_cmd(key_line: str) -> str:
    auth = authorized_keys_file()
    body = _key_body(key_line) or key_line
    return (
        "mkdir -p {dir} && chmod 700 {dir}\n"
        "touch {ak} && chmod 600 {ak}\n"
        "grep -qF {body} {ak} || echo {line} >> {ak}\n"
    ).format(
        dir=shlex.quote(pathutils.SSH_ROOT_DIR),
        ak=shlex.quote(auth),
        body=shlex.quote(body),
        line=shlex.quote(key_line.strip()),
    )


def _unauthorize_key_cmd(key_line: str) -> str:
    auth = shlex.quote(authorized_keys_file())
    body = shlex.quote(_key_body(key_line) or key_line)
    return (
        "if [ -f {ak} ]; then grep -vF {body} {ak} > {ak}.ganeti-new || true;"
        " chmod 600 {ak}.ganeti-new; mv -f {ak}.ganeti-new {ak}; fi\n"
    ).format(ak=auth, body=body)


def _key_pair_files(key_type: str) -> list[tuple[str, bytes, int]]:
    priv, pub = key_files(key_type)
    try:
        return [
            (priv, utils_io.read_file(priv, binary=True), 0o600),
            (pub, utils_io.read_file(pub, binary=True), 0o644),
        ]
    except OSError as err:
        raise _env_error(
            "Cannot read the cluster's SSH key %s: %s" % (err.filename, err.strerror)
        ) from None


def _optional_file(path: str, mode: int) -> list[tuple[str, bytes, int]]:
    try:
        return [(path, utils_io.read_file(path, binary=True), mode)]
    except FileNotFoundError:
        return []


def _helper_path(installed: str, checkout: str) -> str:
    """An installed helper, else the checkout's (nodes share the layout)."""
    if os.path.exists(installed):
        return installed
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", checkout))


def _daemon_util_path() -> str:
    return _helper_path(pathutils.DAEMON_UTIL, "daemons/daemon-util")


def _ensure_dirs_path() -> str:
    return _helper_path(pathutils.ENSURE_DIRS, "tools/ensure-dirs")


def _ssconf_files() -> list[tuple[str, bytes, int]]:
    files = []
    prefix = pathutils.SSCONF_PREFIX
    try:
        names = sorted(os.listdir(pathutils.DATA_DIR))
    except OSError:
        names = []
    for name in names:
        if name.startswith(prefix) and not name.endswith(".ganeti-new"):
            path = os.path.join(pathutils.DATA_DIR, name)
            if os.path.isfile(path):
                files.append((path, utils_io.read_file(path, binary=True), constants.SS_FILE_PERMS))
    return files


def _client_cert(node_name: str) -> bytes:
    from ganeti.utils import x509

    try:
        ca_key, ca_cert = x509.read_pem_file(pathutils.NODED_CERT_FILE)
    except (OSError, errors.GenericError) as err:
        raise _env_error(
            "Cannot read the cluster certificate %s: %s" % (pathutils.NODED_CERT_FILE, err)
        ) from None
    if ca_key is None:
        raise _env_error("The cluster certificate %s has no key" % pathutils.NODED_CERT_FILE)
    key_pem, cert_pem = x509.generate_signed_cert(ca_key, ca_cert, node_name)
    return key_pem + cert_pem


def join_files(
    node_name: str, key_type: str, setup_ssh: bool = True
) -> list[tuple[str, bytes, int]]:
    """What a joining node gets: (path, content, mode) for every file.

    The cluster certificate, a new client certificate of its own signed by
    the cluster's, the RAPI and SPICE certificates, the confd HMAC key, the
    cluster domain secret, known_hosts, every ssconf file and, when the
    cluster manages root's SSH (``setup_ssh``), ganeti_pub_keys and the
    cluster's SSH key pair.
    """
    cert_mode = 0o440
    try:
        server = utils_io.read_file(pathutils.NODED_CERT_FILE, binary=True)
    except OSError as err:
        raise _env_error(
            "Cannot read the cluster certificate %s: %s; is this the master of an"
            " initialised cluster?" % (pathutils.NODED_CERT_FILE, err.strerror)
        ) from None
    files = [
        (pathutils.NODED_CERT_FILE, server, cert_mode),
        (pathutils.NODED_CLIENT_CERT_FILE, _client_cert(node_name), cert_mode),
    ]
    files += _optional_file(pathutils.RAPI_CERT_FILE, cert_mode)
    files += _optional_file(pathutils.SPICE_CERT_FILE, cert_mode)
    files += _optional_file(pathutils.SPICE_CACERT_FILE, cert_mode)
    files += _optional_file(pathutils.CONFD_HMAC_KEY, cert_mode)
    files += _optional_file(pathutils.CLUSTER_DOMAIN_SECRET_FILE, 0o640)
    files += _optional_file(pathutils.SSH_KNOWN_HOSTS_FILE, 0o644)
    files += _ssconf_files()
    if setup_ssh:
        files += _optional_file(pathutils.SSH_PUB_KEYS, 0o600)
        files += _key_pair_files(key_type)
    return files


def join_script(
    cluster_name: str,
    files: list[tuple[str, bytes, int]],
    key_line: str | None,
    force_join: bool = False,
    start_noded: bool = True,
) -> str:
    """The shell script a joining node runs (fed on stdin to ``sh -s``);
    ``key_line`` (None: leave SSH alone) is authorized for root."""
    ssconf_name = pathutils.ssconf_file(constants.SS_CLUSTER_NAME)
    parts = [
        _script_header(),
        "current=$(cat {f} 2>/dev/null || true)\n"
        'if [ -n "$current" ] && [ "$current" != {name} ] && [ {force} != 1 ]; then\n'
        '  echo "$current" >&2\n'
        "  exit {code}\n"
        "fi\n".format(
            f=shlex.quote(ssconf_name),
            name=shlex.quote(cluster_name),
            force=1 if force_join else 0,
            code=_EXIT_OTHER_CLUSTER,
        ),
        "mkdir -p {data} {run} {log}\n".format(
            data=shlex.quote(pathutils.DATA_DIR),
            run=shlex.quote(pathutils.RUN_DIR),
            log=shlex.quote(pathutils.LOG_DIR),
        ),
    ]
    ensure = shlex.quote(_ensure_dirs_path())
    root = pathutils.get_root()  # a test root reaches the "remote" helpers too
    env = "GANETI_ROOT=%s " % shlex.quote(root) if root else ""
    parts.append("if [ -x {e} ]; then {env}{e}; fi\n".format(e=ensure, env=env))
    du = shlex.quote(_daemon_util_path())
    if start_noded:
        parts.append("%s%s stop %s\n" % (env, du, constants.NODED))
    for path, data, mode in files:
        parts.append(_put_file(path, data, mode))
    if key_line is not None:
        parts.append(_authorize_key_cmd(key_line))
    if start_noded:
        parts.append("%s%s start %s\n" % (env, du, constants.NODED))
    return "".join(parts)


def join_node(
    runner: SshRunner,
    node_name: str,
    cluster_name: str,
    address: str | None = None,
    port: int = 22,
    force_join: bool = False,
    start_noded: bool = True,
    feedback_fn: FeedbackFn = None,
    setup_ssh: bool = True,
) -> SshResult:
    """Prepares ``node_name`` to join the cluster over one SSH connection.

    Pushes certificates, ssconf, known_hosts and (``setup_ssh``: the
    cluster manages root's SSH) the cluster SSH key, which it authorizes;
    then (re)starts the node daemon.  A node that belongs to another
    cluster is refused unless ``force_join``.
    """
    files = join_files(node_name, runner.key_type, setup_ssh)
    key_line = read_public_key(runner.key_type) if setup_ssh else None
    start = time.monotonic()
    with runner.connect(node_name, address, port) as conn:
        # the (now verified) host key joins the cluster's known_hosts, so
        # every node, and a future master, knows it
        add_known_host(host_key_names(node_name, address, port), conn.host_key)
        files = [
            (path, data, mode)
            for path, data, mode in files
            if path != pathutils.SSH_KNOWN_HOSTS_FILE
        ] + _optional_file(pathutils.SSH_KNOWN_HOSTS_FILE, 0o644)
        script = join_script(cluster_name, files, key_line, force_join, start_noded)
        if feedback_fn:
            feedback_fn("Setting up node %s over SSH" % node_name)
        result = conn.run("/bin/sh -s", script)
    if result.exit_code == _EXIT_OTHER_CLUSTER:
        raise errors.OpPrereqError(
            "Node %s is already part of cluster '%s'; remove it from there first,"
            " or use --force-join" % (node_name, result.stderr.strip()),
            errors.ECODE_STATE,
        )
    result.raise_error("Setting up the node daemon")
    if feedback_fn:
        feedback_fn("Node %s set up in %.1f s" % (node_name, time.monotonic() - start))
    return result


def repair_node_keys(
    runner: SshRunner,
    node_name: str,
    address: str | None = None,
    port: int = 22,
    feedback_fn: FeedbackFn = None,
) -> SshResult:
    """Gives one node the cluster SSH key pair, authorization, known_hosts
    and ganeti_pub_keys again, without re-adding it (nothing else changes)."""
    files = _key_pair_files(runner.key_type)
    files += _optional_file(pathutils.SSH_KNOWN_HOSTS_FILE, 0o644)
    files += _optional_file(pathutils.SSH_PUB_KEYS, 0o600)
    key_line = read_public_key(runner.key_type)
    script = _script_header() + "".join(_put_file(*f) for f in files)
    script += _authorize_key_cmd(key_line)
    result = runner.run(node_name, "/bin/sh -s", script, address, port)
    result.raise_error("Repairing the SSH keys")
    if feedback_fn:
        feedback_fn("SSH keys of node %s repaired" % node_name)
    return result


@dataclass
class NodeAddress:
    """Where to reach a node over SSH."""

    name: str
    address: str | None = None
    port: int = 22


def renew_cluster_keys(
    runner: SshRunner,
    nodes: list[NodeAddress],
    new_type: str,
    new_bits: int | None = None,
    feedback_fn: FeedbackFn = None,
) -> str:
    """Replaces the cluster SSH key pair on every node; returns the new public key.

    First every node gets and authorizes the new pair (logging in with the
    old key), then, logging in with the new key, the old key is
    unauthorized and, if the type changed, its files removed.  The local
    files change last.  A node that fails in the first phase stops the
    renewal before any old key is withdrawn.
    """
    check_key_type(new_type)
    old_type = runner.key_type
    old_line = read_public_key(old_type)
    private, public = generate_key_pair(new_type, new_bits, comment="root@ganeti")
    new_priv, new_pub = key_files(new_type)
    install = _script_header()
    install += _put_file(new_priv, private, 0o600) + _put_file(
        new_pub, public.encode() + b"\n", 0o644
    )
    install += _authorize_key_cmd(public)
    for node in nodes:
        runner.run(node.name, "/bin/sh -s", install, node.address, node.port).raise_error(
            "Installing the new SSH key"
        )
        if feedback_fn:
            feedback_fn("New SSH key installed on %s" % node.name)
    new_runner = SshRunner(
        runner.cluster_name,
        new_type,
        ssh_key_check=runner.ssh_key_check,
        ask_fn=runner.ask_fn,
        known_hosts_files=runner.known_hosts_files,
        connect_timeout=runner.connect_timeout,
    )
    # the local key files change last: log in with the new key from memory
    new_runner._pkey = _pkey_from_private(private, new_type)  # noqa: SLF001
    withdraw = _script_header() + _unauthorize_key_cmd(old_line)
    if new_type != old_type:
        old_priv, old_pub = key_files(old_type)
        withdraw += "rm -f %s %s\n" % (shlex.quote(old_priv), shlex.quote(old_pub))
    for node in nodes:
        new_runner.run(node.name, "/bin/sh -s", withdraw, node.address, node.port).raise_error(
            "Withdrawing the old SSH key"
        )
    write_key_pair(new_type, private, public)
    add_authorized_key(authorized_keys_file(), public)
    remove_authorized_key(authorized_keys_file(), old_line)
    if new_type != old_type:
        for path in key_files(old_type):
            utils_io.remove_file(path)
    replace_all_pub_keys(public)
    return public


def daemon_util_command(*args: str) -> list[str]:
    """The command line of daemon-util (installed, else the checkout's) with ``args``."""
    return [_daemon_util_path(), *args]


def replace_cluster_certificate(
    runner: SshRunner, node: NodeAddress, server_pem: bytes, feedback_fn: FeedbackFn = None
) -> None:
    """Gives a node a new cluster certificate and restarts its node daemon,
    which serves (and checks clients against) the certificate it read at start."""
    from ganeti.utils import x509

    script = _script_header() + _put_file(
        pathutils.NODED_CERT_FILE, server_pem, x509.CERT_FILE_MODE
    )
    for action in ("stop", "start"):
        command = daemon_util_command(action, constants.NODED)
        script += " ".join(shlex.quote(a) for a in command) + " </dev/null\n"
    runner.run(node.name, "/bin/sh -s", script, node.address, node.port).raise_error(
        "Replacing the cluster certificate"
    )
    if feedback_fn:
        feedback_fn("New cluster certificate installed on %s" % node.name)


def _pkey_from_private(private: bytes, key_type: str) -> Any:
    import io

    import paramiko

    classes = {
        constants.SSHK_ED25519: paramiko.Ed25519Key,
        constants.SSHK_RSA: paramiko.RSAKey,
        constants.SSHK_ECDSA: paramiko.ECDSAKey,
    }
    return classes[key_type].from_private_key(io.StringIO(private.decode("ascii")))
