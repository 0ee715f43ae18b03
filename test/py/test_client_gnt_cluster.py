"""Tests of gnt-cluster's command layer against an in-process fake master.

The fake luxi client answers QueryClusterInfo from a real test
configuration and runs "jobs" by scripted results, so each sub-command's
option handling, opcodes, output and exit codes are checked without
daemons.  Local commands (init, destroy, master-failover) get a recording
stand-in for ``bootstrap``.
"""

import os
import time

import pytest

from ganeti import bootstrap, cli, cli_jobs, config, constants, errors, pathutils, ssconf
from ganeti.client import gnt_cluster
from ganeti.cmdlib import cluster as cluster_lu

import testutils_config


class FakeClient:
    """A luxi client whose jobs end at once with scripted results."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.submitted = []
        self.jobs = {}
        self.drain = False
        self.pause = None
        self.scripts = {}

    # queries
    def QueryClusterInfo(self):
        return cluster_lu.cluster_info(self.cfg)

    def QueryConfigValues(self, fields):
        return cluster_lu.config_values(self.cfg, fields, self.drain, self.pause)

    def QueryTags(self, kind, name):
        return sorted(self.cfg.get_cluster_info().get_tags())

    def SetDrainFlag(self, flag):
        self.drain = flag
        return True

    def SetWatcherPause(self, until):
        self.pause = until
        return until

    # jobs
    def _new_job(self, ops):
        job_id = max(self.jobs, default=0) + 1
        self.jobs[job_id] = None
        self.submitted.append(ops)
        script = self.scripts.get(ops[0].OP_ID, lambda op: ("success", [None], []))
        self.jobs[job_id] = script(ops[0])
        return job_id

    def SubmitJob(self, ops):
        return self._new_job(list(ops))

    def SubmitManyJobs(self, jobs):
        return [[True, self._new_job(list(ops))] for ops in jobs]

    def WaitForJobChangeOnce(self, job_id, fields, prev_info, prev_serial, timeout=None):
        status, _, logs = self.jobs[job_id]
        entries = [
            (idx + 1, [1700000000, 0], constants.ELOG_MESSAGE, msg) for idx, msg in enumerate(logs)
        ]
        if prev_serial is not None:
            entries = [e for e in entries if e[0] > prev_serial]
        return [status], entries

    def QueryJobs(self, job_ids, fields):
        out = []
        for job_id in job_ids:
            status, result, _ = self.jobs[job_id]
            opstatus = ["success" if status == "success" else "error"]
            out.append([status, opstatus, result])
        return out


@pytest.fixture
def env(tmp_path, monkeypatch):
    old = pathutils.get_root()
    path = testutils_config.make_test_cluster(str(tmp_path), extra_nodes=1, write_ssconf=True)
    pathutils.set_root(str(tmp_path))
    cfg = config.ConfigWriter(path, offline=True, accept_foreign=True)
    client = FakeClient(cfg)
    monkeypatch.setattr(cli, "get_client", lambda: client)
    monkeypatch.setattr(cli_jobs, "get_client", lambda: client)
    yield client
    pathutils.set_root(old)


def _fresh_option_defaults():
    # optparse's "append" adds to the default list object itself, so one
    # parse in this process would leak into the next: start from empty ones
    for _, _, options, _, _ in gnt_cluster.commands.values():
        for option in options:
            if isinstance(option.default, (list, dict)):
                option.default = type(option.default)()


def run(capsys, *args):
    _fresh_option_defaults()
    rc = cli.generic_main(
        gnt_cluster.commands,
        aliases=gnt_cluster.aliases,
        override={"tag_type": constants.TAG_CLUSTER},
        argv=["gnt-cluster"] + list(args),
    )
    out, err = capsys.readouterr()
    return rc, out, err


def test_version(env, capsys):
    rc, out, _ = run(capsys, "version")
    assert rc == 0
    assert out.splitlines()[:5] == [
        "Software version: 3.0.2",
        "Internode protocol: 3000000",
        "Configuration format: 3000000",
        "OS api version: 20",
        "Export interface: 0",
    ]


def test_info_and_roman(env, capsys):
    rc, out, _ = run(capsys, "info")
    assert rc == 0
    assert "Cluster name: cluster.example.com" in out
    assert "Master node: node1.example.com" in out
    assert "Default hypervisor: fake" in out
    assert "  candidate pool size: 10" in out
    lines = [ln.rstrip() for ln in out.splitlines()]
    idx = lines.index("Hypervisor parameters:")
    assert lines[idx + 1 : idx + 3] == ["  fake:", "    migration_mode: live"]
    rc, out, _ = run(capsys, "show", "--roman")
    assert rc == 0 and "  candidate pool size: X" in out


def test_getmaster_from_ssconf(env, capsys):
    rc, out, _ = run(capsys, "getmaster")
    assert (rc, out) == (0, "node1.example.com\n")
    for name in ("ssconf_master_node",):
        import os

        os.unlink(os.path.join(pathutils.DATA_DIR, name))
    rc, _, err = run(capsys, "getmaster")
    assert rc == 1 and "not part of a cluster" in err


def test_master_ping(env, capsys, monkeypatch):
    assert run(capsys, "master-ping")[0] == 0

    def no_master():
        raise errors.NoMasterError(pathutils.MASTER_SOCKET)

    monkeypatch.setattr(cli, "get_client", no_master)
    assert run(capsys, "master-ping")[0] == 1


def test_queue(env, capsys):
    assert run(capsys, "queue", "info")[1] == "The drain flag is unset\n"
    assert run(capsys, "queue", "drain")[0] == 0
    assert env.drain is True
    assert run(capsys, "queue", "info")[1] == "The drain flag is set\n"
    run(capsys, "queue", "undrain")
    assert env.drain is False
    rc, _, err = run(capsys, "queue", "flush")
    assert rc == 1


def test_watcher(env, capsys):
    assert run(capsys, "watcher", "info")[1] == "The watcher is not paused.\n"
    before = time.time()
    rc, out, _ = run(capsys, "watcher", "pause", "1h")
    assert rc == 0 and out.startswith("The watcher is paused until ")
    assert before + 3600 <= env.pause <= time.time() + 3600
    assert run(capsys, "watcher", "info")[1].startswith("The watcher is paused until")
    assert run(capsys, "watcher", "continue")[1] == "The watcher is no longer paused.\n"
    assert env.pause is None
    rc, _, err = run(capsys, "watcher", "pause")
    assert rc == 1 and "Missing pause duration" in err


def test_verify_clean_and_failing(env, capsys):
    group_results = iter([True, False])
    env.scripts["OP_CLUSTER_VERIFY"] = lambda op: (
        "success",
        [{"jobs": [[True, 2], [True, 3]]}],
        [],
    )
    env.scripts["OP_CLUSTER_VERIFY_CONFIG"] = lambda op: (
        "success",
        [True],
        ["* Verifying cluster config"],
    )
    env.scripts["OP_CLUSTER_VERIFY_GROUP"] = lambda op: (
        "success",
        [next(group_results)],
        ["* Verifying group 'default'", "  - ERROR: node node2: boom"],
    )

    # the LU submits the follow-up jobs; here the fake makes them on OP_CLUSTER_VERIFY
    original = env.scripts["OP_CLUSTER_VERIFY"]

    def verify(op):
        first = original(op)
        from ganeti import opcodes

        for job_op in (
            opcodes.OpClusterVerifyConfig(),
            opcodes.OpClusterVerifyGroup(group_name="default"),
        ):
            env._new_job([job_op])
        return first

    env.scripts["OP_CLUSTER_VERIFY"] = verify
    rc, out, _ = run(capsys, "verify", "--error-codes", "-I", "ENODETIME", "--no-nplus1-mem")
    assert rc == 0
    op = env.submitted[0][0]
    assert op.error_codes is True and op.ignore_errors == ["ENODETIME"]
    assert op.skip_checks == [constants.VERIFY_NPLUSONE_MEM]
    assert "Submitted jobs 2, 3" in out and "Waiting for job 3 ..." in out
    assert "* Verifying group 'default'" in out
    env.jobs.clear()
    env.submitted.clear()
    rc, out, _ = run(capsys, "verify")
    assert rc == 1


def test_verify_failed_job(env, capsys):
    env.jobs.clear()

    def verify(op):
        from ganeti import opcodes

        env._new_job([opcodes.OpClusterVerifyConfig()])
        env.jobs[2] = ("error", [["OpExecError", ["Node RPC is not available"]]], [])
        return "success", [{"jobs": [[True, 2]]}], []

    env.scripts["OP_CLUSTER_VERIFY"] = verify
    rc, out, err = run(capsys, "verify")
    assert rc == 1
    assert "1 job(s) failed while verifying the cluster." in out


def test_modify_options_to_opcode(env, capsys):
    rc, _, err = run(capsys, "modify")
    assert rc == 1 and "at least one of the parameters" in err
    rc, _, _ = run(
        capsys,
        "modify",
        "-C",
        "3",
        "-B",
        "maxmem=1G,vcpus=2",
        "-H",
        "fake:migration_mode=non-live",
        "--enabled-disk-templates",
        "diskless,file",
        "--uid-pool",
        "100-200,300",
        "--maintain-node-health",
        "yes",
        "--ipolicy-vcpu-ratio",
        "2.5",
        "--specs-mem-size",
        "min=64,max=1024",
    )
    assert rc == 0
    op = env.submitted[-1][0]
    assert op.OP_ID == "OP_CLUSTER_SET_PARAMS"
    assert op.candidate_pool_size == 3
    assert op.beparams == {"maxmem": 1024, "vcpus": 2}
    assert op.hvparams == {"fake": {"migration_mode": "non-live"}}
    assert op.enabled_disk_templates == ["diskless", "file"]
    assert [list(r) for r in op.uid_pool] == [[100, 200], [300, 300]]
    assert op.maintain_node_health is True
    assert op.ipolicy["vcpu-ratio"] == 2.5
    minmax = op.ipolicy["minmax"][0]
    assert minmax["min"]["memory-size"] == 64 and minmax["max"]["memory-size"] == 1024
    rc, _, err = run(capsys, "modify", "--uid-pool", "9-1")
    assert rc == 1 and "Invalid user-id range" in err


def test_init_options_to_bootstrap(env, capsys, monkeypatch):
    seen = {}
    monkeypatch.setattr(
        bootstrap, "init_cluster", lambda params, feedback_fn=None: seen.setdefault("p", params)
    )
    rc, _, err = run(
        capsys,
        "init",
        "--enabled-hypervisors",
        "fake",
        "--enabled-disk-templates",
        "diskless",
        "-H",
        "fake:migration_mode=non-live",
        "-B",
        "maxmem=512M",
        "-N",
        "link=br9",
        "--no-etc-hosts",
        "--no-ssh-init",
        "-C",
        "4",
        "--master-netmask",
        "24",
        "newcluster.example.com",
    )
    assert rc == 0, err
    params = seen["p"]
    assert params.cluster_name == "newcluster.example.com"
    assert params.enabled_hypervisors == ["fake"]
    assert params.hvparams == {"fake": {"migration_mode": "non-live"}}
    assert params.beparams == {"maxmem": 512}
    assert params.nicparams == {"link": "br9"}
    assert params.master_netdev == constants.DEFAULT_BRIDGE
    assert params.master_netmask == 24
    assert params.candidate_pool_size == 4
    assert params.modify_etc_hosts is False and params.modify_ssh_setup is False
    assert env.submitted[-1][0].OP_ID == "OP_CLUSTER_POST_INIT"
    rc, _, err = run(capsys, "init", "-B", "nosuch=1", "x.example.com")
    assert rc == 1 and "Invalid backend parameters" in err
    rc, _, err = run(capsys, "init")
    assert rc == 1


def test_destroy(env, capsys, monkeypatch):
    finalized = []
    monkeypatch.setattr(
        bootstrap,
        "finalize_cluster_destroy",
        lambda uuid, feedback_fn=None: finalized.append(uuid) or [],
    )
    rc, _, err = run(capsys, "destroy")
    assert rc == 1 and "--yes-do-it" in err and env.submitted == []
    env.scripts["OP_CLUSTER_DESTROY"] = lambda op: ("success", ["master-uuid"], [])
    assert run(capsys, "destroy", "--yes-do-it")[0] == 0
    assert finalized == ["master-uuid"]
    env.scripts["OP_CLUSTER_DESTROY"] = lambda op: (
        "error",
        [["OpPrereqError", ["There are still 1 node(s) in this cluster.", "wrong_input"]]],
        [],
    )
    rc, _, err = run(capsys, "destroy", "--yes-do-it")
    assert rc == 1 and "There are still 1 node(s)" in err
    assert finalized == ["master-uuid"]


def test_master_failover(env, capsys, monkeypatch):
    calls = []
    monkeypatch.setattr(
        bootstrap,
        "master_failover",
        lambda no_voting=False, feedback_fn=None: calls.append(no_voting) or (0, ["be careful"]),
    )
    rc, _, err = run(capsys, "master-failover")
    assert rc == 0 and err == "be careful\n" and calls == [False]
    monkeypatch.setattr(cli, "ask_user", lambda text, choices=None: False)
    assert run(capsys, "masterfailover", "--no-voting")[0] == constants.EXIT_CONFIRMATION
    assert run(capsys, "master-failover", "--no-voting", "--yes-do-it")[0] == 0
    assert calls == [False, True]


def test_tags_and_search(env, capsys):
    cluster = env.cfg.get_cluster_info()
    cluster.add_tag("b")
    cluster.add_tag("a")
    assert run(capsys, "list-tags")[1] == "a\nb\n"
    env.scripts["OP_TAGS_SEARCH"] = lambda op: (
        "success",
        [[["/instances/x", "b"], ["/cluster", "a"]]],
        [],
    )
    rc, out, _ = run(capsys, "search-tags", ".")
    assert rc == 0 and out == "/cluster a\n/instances/x b\n"
    env.scripts["OP_TAGS_SEARCH"] = lambda op: ("success", [[]], [])
    assert run(capsys, "search-tags", "nothing")[0] == 1
    rc, _, _ = run(capsys, "add-tags", "new")
    op = env.submitted[-1][0]
    assert rc == 0 and op.OP_ID == "OP_TAGS_SET" and op.kind == "cluster" and op.tags == ["new"]


def test_rename(env, capsys):
    env.scripts["OP_CLUSTER_RENAME"] = lambda op: ("success", [op.name], [])
    rc, out, _ = run(capsys, "rename", "-f", "other.example.com")
    assert rc == 0
    assert out == "Cluster renamed from 'cluster.example.com' to 'other.example.com'\n"


def test_renew_crypto_option_checks(env, capsys, monkeypatch):
    rc, _, err = run(capsys, "renew-crypto", "-f")
    assert rc == 1 and "at least one" in err
    rc, _, err = run(
        capsys, "renew-crypto", "-f", "--new-rapi-certificate", "--rapi-certificate", "x"
    )
    assert rc == 1 and "Only one of" in err
    rc, _, err = run(capsys, "renew-crypto", "-f", "--ssh-key-type", "rsa")
    assert rc == 1 and "need --new-ssh-keys" in err
    made = []
    monkeypatch.setattr(bootstrap, "generate_cluster_crypto", lambda *a, **k: made.append(k))
    rc, out, _ = run(
        capsys, "renew-crypto", "-f", "--new-confd-hmac-key", "--new-node-certificates"
    )
    assert rc == 0 and made[0]["new_confd_hmac_key"] is True
    assert [ops[0].OP_ID for ops in env.submitted] == [
        "OP_CLUSTER_REDIST_CONF",
        "OP_CLUSTER_RENEW_CRYPTO",
    ]
    assert env.submitted[1][0].node_certificates is True


def test_unknown_command_and_help(env, capsys):
    rc, out, _ = run(capsys, "nosuch")
    assert rc == 1
    rc, out, _ = run(capsys, "--help")
    assert rc == 0 and "master-failover" in out and "verify" in out


def test_ssconf_master_matches_config(env):
    assert ssconf.SimpleStore().get_master_node() == env.cfg.get_master_node_name()


def test_show_ispecs_cmd(env, capsys):
    rc, out, _ = run(capsys, "show-ispecs-cmd")
    assert rc == 0
    assert out.startswith("gnt-cluster init --ipolicy-std-specs=cpu-count=1,disk-count=1,")
    assert "--ipolicy-bounds-specs=min:cpu-count=1," in out and "/max:cpu-count=8," in out
    assert out.endswith(" cluster.example.com\n")


def _verify_disks_jobs(env, *group_results):
    """OP_CLUSTER_VERIFY_DISKS makes one job per group with these results."""

    def verify(op):
        from ganeti import opcodes

        ids = []
        for idx, result in enumerate(group_results):
            job_id = env._new_job([opcodes.OpGroupVerifyDisks(group_name="g%d" % idx)])
            env.jobs[job_id] = ("success", [result], [])
            ids.append([True, job_id])
        return "success", [{"jobs": ids}], []

    env.scripts["OP_CLUSTER_VERIFY_DISKS"] = verify


def test_verify_disks_messages(env, capsys):
    _verify_disks_jobs(env, [{}, [], {}])
    rc, out, _ = run(capsys, "verify-disks")
    assert rc == 0 and "No disks need to be activated." in out
    env.jobs.clear()
    env.submitted.clear()
    _verify_disks_jobs(
        env,
        [
            {"node3": "Connection refused"},
            ["inst1", "inst2"],
            {"inst2": [["node2", "xenvg/disk0"], ["node3", "xenvg/disk1"]]},
        ],
        [{}, [], {"inst9": [["node3", "/srv/ganeti/file-storage/inst9/disk0"]]}],
    )
    rc, out, _ = run(capsys, "verify-disks", "--node-group", "default")
    assert rc == 1
    assert env.submitted[0][0].group_name == "default"
    lines = out.splitlines()
    for expected in (
        "Error gathering data on node node3: Connection refused",
        "You need to fix these nodes first before fixing instances",
        "Activating disks for instance 'inst1'",
        "Instance inst2 has missing logical volumes:",
        "\tnode2 /dev/xenvg/disk0",
        "\tbroken node node3 /dev/xenvg/disk1",
        "You need to replace or recreate disks for all the above instances if this message"
        " persists after fixing broken nodes.",
    ):
        assert expected in lines, (expected, lines)
    # an instance with missing disks is not activated; activation jobs ran for the rest
    activated = [
        ops[0].instance_name for ops in env.submitted if ops[0].OP_ID.endswith("ACTIVATE_DISKS")
    ]
    assert activated == ["inst1"]
    # a file path is printed as it is; the second group had no broken node
    assert "\tnode3 /srv/ganeti/file-storage/inst9/disk0" in lines


@pytest.fixture
def crypto_env(env, monkeypatch, tmp_path):
    """renew-crypto with the SSH, daemon and key-generation steps recorded."""
    from ganeti import ssh
    from ganeti.client import gnt_cluster_crypto

    steps = []
    master = env.QueryClusterInfo()["master"]
    monkeypatch.setattr(
        gnt_cluster, "online_nodes", lambda cl, nodes, group: [
            (master, "192.0.2.1", 22), ("node2.example.com", "192.0.2.2", 2222)
        ]
    )  # fmt: skip
    monkeypatch.setattr(gnt_cluster_crypto, "_daemon_util", lambda *a: steps.append(("du",) + a))

    def generate(node_name, **kw):
        steps.append(("generate", node_name, kw.get("new_cluster_cert", False)))
        os.makedirs(os.path.dirname(pathutils.NODED_CERT_FILE), exist_ok=True)
        for path in (pathutils.NODED_CERT_FILE, pathutils.NODED_CLIENT_CERT_FILE):
            with open(path, "w") as fh:
                fh.write("PEM of %s" % os.path.basename(path))

    monkeypatch.setattr(bootstrap, "generate_cluster_crypto", generate)
    monkeypatch.setattr(
        ssh, "replace_cluster_certificate",
        lambda runner, node, pem, fn=None: steps.append(
            ("replace", node.name, node.address, node.port, pem, runner.key_type)
        ),
    )  # fmt: skip
    monkeypatch.setattr(
        ssh, "renew_cluster_keys",
        lambda runner, nodes, new_type, bits=None, feedback_fn=None: steps.append(
            ("ssh", runner.key_type, [n.name for n in nodes], new_type, bits)
        ),
    )  # fmt: skip
    env.watcher_calls = []
    real_pause = env.SetWatcherPause

    def pause(until):
        env.watcher_calls.append(until)
        return real_pause(until)

    env.SetWatcherPause = pause
    env.steps = steps
    return env


def test_renew_cluster_certificate(crypto_env, capsys):
    env = crypto_env
    master = env.QueryClusterInfo()["master"]
    rc, out, err = run(capsys, "renew-crypto", "-f", "--new-cluster-certificate")
    assert rc == 0, err
    assert env.steps == [
        ("du", "stop-master"),
        ("generate", master, True),
        ("replace", "node2.example.com", "192.0.2.2", 2222, b"PEM of server.pem", "rsa"),
        ("du", "stop", "ganeti-noded"),
        ("du", "start", "ganeti-noded"),
        ("du", "start-master"),
    ]
    # the master presents the cluster certificate until the LU signs it a new one
    assert not os.path.exists(pathutils.NODED_CLIENT_CERT_FILE)
    (ops,) = env.submitted
    assert ops[0].OP_ID == "OP_CLUSTER_RENEW_CRYPTO" and ops[0].node_certificates is True
    assert ops[0].renew_ssh_keys is False
    # the watcher was paused meanwhile, and resumed
    assert len(env.watcher_calls) == 2 and env.watcher_calls[1] is None
    assert "All requested certificates and keys have been replaced." in out


def test_renew_cluster_certificate_node_failure_still_restarts_master(
    crypto_env, capsys, monkeypatch
):
    from ganeti import ssh

    env = crypto_env

    def refuse(runner, node, pem, fn=None):
        raise errors.OpPrereqError("Node %s refused the cluster's SSH key" % node.name,
                                   errors.ECODE_ENVIRON)  # fmt: skip

    monkeypatch.setattr(ssh, "replace_cluster_certificate", refuse)
    rc, out, err = run(capsys, "renew-crypto", "-f", "--new-cluster-certificate")
    assert rc == 1
    assert "Could not replace the cluster certificate on node2.example.com" in err
    assert "could not be replaced on node(s) node2.example.com" in err
    assert env.steps[-1] == ("du", "start-master")
    assert env.submitted[0][0].node_certificates is True


def test_renew_ssh_keys(crypto_env, capsys):
    env = crypto_env
    rc, out, err = run(
        capsys, "renew-crypto", "-f", "--new-ssh-keys", "--ssh-key-type", "ecdsa",
        "--ssh-key-bits", "521",
    )  # fmt: skip
    assert rc == 0, err
    # logged in with the old key type, to every node but the master
    assert env.steps == [("ssh", "rsa", ["node2.example.com"], "ecdsa", 521)]
    (ops,) = env.submitted
    op = ops[0]
    assert (op.renew_ssh_keys, op.node_certificates) == (True, False)
    assert (op.ssh_key_type, op.ssh_key_bits) == ("ecdsa", 521)
    env.steps.clear()
    env.submitted.clear()
    rc, _, err = run(capsys, "renew-crypto", "-f", "--new-ssh-keys", "--ssh-key-type", "ed25519")
    assert rc == 0, err
    assert env.steps == [("ssh", "rsa", ["node2.example.com"], "ed25519", None)]
    assert (env.submitted[0][0].ssh_key_type, env.submitted[0][0].ssh_key_bits) == ("ed25519", 256)
