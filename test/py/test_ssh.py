"""Tests of ganeti.ssh against a real sshd on 127.0.0.1 (skipped without one)."""

import os
import shutil
import socket
import subprocess
import time

import paramiko
import pytest

from ganeti import constants, errors, pathutils, ssh
from ganeti.utils import x509

SSHD = "/usr/sbin/sshd"
NODE = "node9.example.com"

_SKIP = None
if not os.path.exists(SSHD):
    _SKIP = "sshd is not installed (%s missing)" % SSHD
elif os.geteuid() != 0:
    _SKIP = "the test sshd logs in as root: run as root"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sshd:
    """A private sshd accepting root with pathutils' authorized_keys."""

    def __init__(self, workdir: str) -> None:
        self.port = _free_port()
        self.host_key = os.path.join(workdir, "host_ed25519")
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.host_key], check=True
        )
        config = os.path.join(workdir, "sshd_config")
        with open(config, "w") as fh:
            fh.write(
                "\n".join(
                    [
                        "ListenAddress 127.0.0.1:%d" % self.port,
                        "HostKey %s" % self.host_key,
                        "PidFile %s" % os.path.join(workdir, "sshd.pid"),
                        "AuthorizedKeysFile %s" % ssh.authorized_keys_file(),
                        "PermitRootLogin prohibit-password",
                        "PasswordAuthentication no",
                        "KbdInteractiveAuthentication no",
                        "UsePAM no",
                        "StrictModes no",
                        "UseDNS no",
                        "LogLevel ERROR",
                        "",
                    ]
                )
            )
        os.makedirs("/run/sshd", exist_ok=True)
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", config], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sshd exited: %s" % self.proc.stderr.read().decode())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not start")

    def host_key_line(self) -> str:
        with open(self.host_key + ".pub") as fh:
            kind, body = fh.read().split()[:2]
        return "%s %s" % (kind, body)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    if _SKIP:
        pytest.skip(_SKIP)
    root = str(tmp_path_factory.mktemp("sshroot"))
    old_root = pathutils.get_root()
    pathutils.set_root(root)
    server = Sshd(root)
    try:
        yield server
    finally:
        server.stop()
        pathutils.set_root(old_root)


@pytest.fixture
def cluster(sshd):
    """A fresh cluster key, known_hosts naming the test sshd, a cluster cert."""
    for path in (pathutils.SSH_ROOT_DIR, pathutils.DATA_DIR):
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
    private, public = ssh.generate_key_pair(constants.SSHK_ED25519, comment="root@test")
    ssh.write_key_pair(constants.SSHK_ED25519, private, public)
    ssh.add_authorized_key(ssh.authorized_keys_file(), public)
    names = ssh.host_key_names(NODE, "127.0.0.1", sshd.port)
    with open(pathutils.SSH_KNOWN_HOSTS_FILE, "w") as fh:
        fh.write("%s %s\n" % (",".join(names), sshd.host_key_line()))
    x509.generate_cluster_cert_file(pathutils.NODED_CERT_FILE)
    return public


def _runner(**kwargs) -> ssh.SshRunner:
    return ssh.SshRunner("cluster.example.com", constants.SSHK_ED25519, **kwargs)


def test_run_command_output_and_exit_code(sshd, cluster):
    runner = _runner()
    res = runner.run(NODE, "cat; echo out; echo err >&2; exit 7", b"in\n", "127.0.0.1", sshd.port)
    assert (res.exit_code, res.stdout, res.stderr) == (7, "in\nout\n", "err\n")
    with pytest.raises(errors.OpExecError, match=r"exit code 7\): err"):
        res.raise_error("Test command")
    with runner.connect(NODE, "127.0.0.1", sshd.port) as conn:
        assert conn.run("id -u").stdout.strip() == "0"
        assert conn.run("echo second").stdout == "second\n"


def test_unreachable_node_is_a_clear_error(sshd, cluster):
    with pytest.raises(errors.OpPrereqError) as err:
        _runner().run(NODE, "true", address="127.0.0.1", port=_free_port())
    assert err.value.args[1] == errors.ECODE_ENVIRON
    assert "Cannot connect to node %s" % NODE in err.value.args[0]


def test_refused_key_is_a_clear_error(sshd, cluster, tmp_path):
    private, _ = ssh.generate_key_pair(constants.SSHK_ED25519)
    other = tmp_path / "other_key"
    other.write_bytes(private)
    with pytest.raises(errors.OpPrereqError) as err:
        _runner(key_file=str(other)).run(NODE, "true", address="127.0.0.1", port=sshd.port)
    assert err.value.args[1] == errors.ECODE_ENVIRON
    assert "refused the cluster's SSH key" in err.value.args[0]


def test_missing_key_file_is_a_clear_error(sshd, cluster):
    with pytest.raises(errors.OpPrereqError, match="does not exist"):
        _runner(key_file="/nonexistent/id_ed25519").run(NODE, "true", "", "127.0.0.1", sshd.port)


def test_changed_host_key_is_refused(sshd, cluster):
    fake = paramiko.Ed25519Key.from_private_key(
        __import__("io").StringIO(ssh.generate_key_pair()[0].decode())
    )
    names = ssh.host_key_names(NODE, "127.0.0.1", sshd.port)
    ssh.add_known_host(names, fake)
    for check in (True, False):
        with pytest.raises(errors.OpPrereqError, match="does not match") as err:
            _runner(ssh_key_check=check).run(NODE, "true", "", "127.0.0.1", sshd.port)
        assert err.value.args[1] == errors.ECODE_ENVIRON


def test_unknown_host_key_policies(sshd, cluster):
    os.unlink(pathutils.SSH_KNOWN_HOSTS_FILE)
    with pytest.raises(errors.OpPrereqError, match="is not known.*--no-ssh-key-check"):
        _runner().run(NODE, "true", "", "127.0.0.1", sshd.port)
    asked = []
    with pytest.raises(errors.OpPrereqError):
        _runner(ask_fn=lambda q: asked.append(q) or False).run(
            NODE, "true", "", "127.0.0.1", sshd.port
        )
    assert "SHA256:" in asked[0]
    assert not os.path.exists(pathutils.SSH_KNOWN_HOSTS_FILE)
    assert (
        _runner(ask_fn=lambda q: True).run(NODE, "true", "", "127.0.0.1", sshd.port).exit_code == 0
    )
    recorded = open(pathutils.SSH_KNOWN_HOSTS_FILE).read()
    assert sshd.host_key_line() in recorded and "[%s]:%d" % (NODE, sshd.port) in recorded
    # now known: a strict runner without questions gets in
    assert _runner().run(NODE, "true", "", "127.0.0.1", sshd.port).exit_code == 0
    os.unlink(pathutils.SSH_KNOWN_HOSTS_FILE)
    assert _runner(ssh_key_check=False).run(NODE, "true", "", "127.0.0.1", sshd.port).exit_code == 0
    assert sshd.host_key_line() in open(pathutils.SSH_KNOWN_HOSTS_FILE).read()


def _write_ssconf(name: str, value: str) -> None:
    with open(pathutils.ssconf_file(name), "w") as fh:
        fh.write(value + "\n")


def test_join_pushes_certificates_ssconf_and_key(sshd, cluster, monkeypatch):
    _write_ssconf("cluster_name", "cluster.example.com")
    _write_ssconf("master_node", "node1.example.com")
    with open(pathutils.RAPI_CERT_FILE, "w") as fh:
        fh.write("rapi")
    pushed = ssh.join_files(NODE, constants.SSHK_ED25519)
    monkeypatch.setattr(ssh, "join_files", lambda node, key_type, setup_ssh: pushed)
    files = {p: d for p, d, _ in pushed}
    # the "remote" node is this host under the same test root: remove the
    # originals so that what exists afterwards was written by the join
    for path in (pathutils.RAPI_CERT_FILE, pathutils.ssconf_file("master_node")):
        os.unlink(path)
    os.chmod(ssh.key_files(constants.SSHK_ED25519)[0], 0o644)
    messages = []
    ssh.join_node(
        _runner(), NODE, "cluster.example.com", "127.0.0.1", sshd.port,
        start_noded=False, feedback_fn=messages.append,
    )  # fmt: skip
    assert open(pathutils.RAPI_CERT_FILE).read() == "rapi"
    assert os.stat(pathutils.CRYPTO_KEYS_DIR).st_mode & 0o777 == 0o700  # ensure-dirs ran
    assert open(pathutils.ssconf_file("master_node")).read() == "node1.example.com\n"
    assert os.stat(pathutils.ssconf_file("master_node")).st_mode & 0o777 == 0o444
    assert os.stat(pathutils.NODED_CLIENT_CERT_FILE).st_mode & 0o777 == 0o440
    ok, msg = x509.verify_cert_signed_by_file(
        pathutils.NODED_CLIENT_CERT_FILE, pathutils.NODED_CERT_FILE
    )
    assert ok, msg
    assert (
        files[pathutils.NODED_CLIENT_CERT_FILE]
        == open(pathutils.NODED_CLIENT_CERT_FILE, "rb").read()
    )
    assert os.stat(ssh.key_files(constants.SSHK_ED25519)[0]).st_mode & 0o777 == 0o600
    assert cluster in open(ssh.authorized_keys_file()).read()
    assert messages[0].startswith("Setting up node")


def test_join_refuses_a_node_of_another_cluster(sshd, cluster):
    _write_ssconf("cluster_name", "other.example.com")
    with pytest.raises(errors.OpPrereqError, match="already part of cluster 'other") as err:
        ssh.join_node(
            _runner(), NODE, "cluster.example.com", "127.0.0.1", sshd.port, start_noded=False
        )
    assert err.value.args[1] == errors.ECODE_STATE
    assert not os.path.exists(pathutils.NODED_CLIENT_CERT_FILE)
    ssh.join_node(
        _runner(), NODE, "cluster.example.com", "127.0.0.1", sshd.port,
        force_join=True, start_noded=False,
    )  # fmt: skip
    assert os.path.exists(pathutils.NODED_CLIENT_CERT_FILE)


def test_join_without_cluster_certificate_fails_before_connecting(sshd, cluster):
    os.unlink(pathutils.NODED_CERT_FILE)
    with pytest.raises(errors.OpPrereqError, match="cluster certificate"):
        ssh.join_node(_runner(), NODE, "c", "127.0.0.1", _free_port(), start_noded=False)


def test_repair_restores_key_files(sshd, cluster):
    priv, pub = ssh.key_files(constants.SSHK_ED25519)
    ssh.set_pub_key("uuid-1", cluster)
    content = open(priv, "rb").read()
    ssh.repair_node_keys(_runner(), NODE, "127.0.0.1", sshd.port)
    assert open(priv, "rb").read() == content
    assert os.stat(priv).st_mode & 0o777 == 0o600


def test_renew_cluster_keys_switches_type(sshd, cluster):
    old_line = cluster
    ssh.set_pub_key("uuid-1", old_line)
    node = ssh.NodeAddress(NODE, "127.0.0.1", sshd.port)
    new_line = ssh.renew_cluster_keys(_runner(), [node], constants.SSHK_ECDSA, 256)
    assert new_line.startswith("ecdsa-sha2-nistp256 ")
    auth = open(ssh.authorized_keys_file()).read()
    assert new_line in auth and old_line.split()[1] not in auth
    assert not os.path.exists(ssh.key_files(constants.SSHK_ED25519)[0])
    assert ssh.read_pub_keys() == {"uuid-1": [new_line]}
    ecdsa = ssh.SshRunner("c", constants.SSHK_ECDSA)
    assert ecdsa.run(NODE, "echo ok", "", "127.0.0.1", sshd.port).stdout == "ok\n"


@pytest.mark.parametrize(
    "key_type,bits,name",
    [
        (constants.SSHK_ED25519, None, "ssh-ed25519"),
        (constants.SSHK_RSA, 2048, "ssh-rsa"),
        (constants.SSHK_ECDSA, 384, "ecdsa-sha2-nistp384"),
    ],
)
def test_generated_keys_load_in_paramiko(tmp_path, key_type, bits, name):
    private, public = ssh.generate_key_pair(key_type, bits, comment="c@d")
    path = tmp_path / "key"
    path.write_bytes(private)
    key = paramiko.PKey.from_path(str(path))
    assert key.get_name() == name
    assert public == "%s %s c@d" % (name, key.get_base64())


def test_bad_key_requests_are_rejected():
    with pytest.raises(errors.OpPrereqError, match="Unsupported SSH key type 'dsa'"):
        ssh.generate_key_pair(constants.SSHK_DSA)
    with pytest.raises(errors.OpPrereqError, match="256, 384 or 521"):
        ssh.generate_key_pair(constants.SSHK_ECDSA, 1024)


def test_authorized_keys_and_pub_keys_files(tmp_path):
    path = str(tmp_path / "ak")
    line = "ssh-ed25519 AAAAkey1 root@a"
    assert ssh.add_authorized_key(path, line)
    assert not ssh.add_authorized_key(path, 'from="x" ssh-ed25519 AAAAkey1 other comment')
    assert ssh.add_authorized_key(path, "ssh-rsa AAAAkey2")
    assert ssh.remove_authorized_key(path, "ssh-ed25519 AAAAkey1")
    assert open(path).read() == "ssh-rsa AAAAkey2\n"
    assert not ssh.remove_authorized_key(path, line)
    pub = str(tmp_path / "pub")
    ssh.set_pub_key("u2", "ssh-rsa B", pub)
    ssh.set_pub_key("u1", "ssh-rsa A", pub)
    assert open(pub).read() == "u1 ssh-rsa A\nu2 ssh-rsa B\n"
    assert ssh.remove_pub_key("u1", pub) and not ssh.remove_pub_key("u1", pub)
    assert ssh.read_pub_keys(pub) == {"u2": ["ssh-rsa B"]}


def test_known_hosts_replace_and_remove(tmp_path):
    path = str(tmp_path / "known_hosts")
    key1 = paramiko.Ed25519Key.from_private_key(
        __import__("io").StringIO(ssh.generate_key_pair()[0].decode())
    )
    key2 = paramiko.Ed25519Key.from_private_key(
        __import__("io").StringIO(ssh.generate_key_pair()[0].decode())
    )
    ssh.add_known_host(["a.example.com", "198.51.100.1"], key1, path)
    ssh.add_known_host(["b.example.com"], key1, path)
    ssh.add_known_host(["a.example.com", "198.51.100.1"], key2, path)
    lines = open(path).read().splitlines()
    assert len(lines) == 2 and lines[1].endswith(key2.get_base64())
    assert ssh.remove_known_host(["b.example.com"], path)
    assert open(path).read().splitlines() == [lines[1]]


def test_join_files_without_ssh_setup(sshd, cluster):
    paths = {p for p, _, _ in ssh.join_files(NODE, constants.SSHK_ED25519, setup_ssh=False)}
    assert pathutils.NODED_CLIENT_CERT_FILE in paths
    assert not paths & set(ssh.key_files(constants.SSHK_ED25519))
    script = ssh.join_script("c", [], None, start_noded=False)
    assert "authorized_keys" not in script
