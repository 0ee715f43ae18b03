"""Tests for ganeti.osapi: OS discovery, validation, script environment and runs."""

import glob
import os
import re
import tarfile

import pytest

from ganeti import constants, errors, objects, osapi, pathutils

#: variables a shell or run_cmd adds on its own
_SHELL_VARS = {"PWD", "SHLVL", "_", "OLDPWD", "LC_ALL"}

_DUMP = """#!/bin/sh
env -0 > "./%s.env"
printf '%%s\\n' "$@" > "./%s.args"
echo "%s ran" >&2
%s
"""


def _write_os(
    top: str,
    name: str = "testos",
    api: str = "20\n15\n",
    variants: str | None = "alpha\nbeta\n",
    params: str | None = "color The color\nsize-hint A hint\n",
    extra: dict[str, str] | None = None,
    skip: tuple[str, ...] = (),
) -> str:
    path = os.path.join(top, name)
    os.makedirs(path, exist_ok=True)
    files = {"ganeti_api_version": api}
    if variants is not None:
        files["variants.list"] = variants
    if params is not None:
        files["parameters.list"] = params
    for script in ("create", "import", "export", "rename", "verify"):
        tail = ""
        if script == "verify":
            tail = '[ "$OSP_COLOR" = "bad" ] && { echo "color is bad" >&2; exit 1; }; exit 0'
        if script == "create":
            tail = '[ "$OSP_COLOR" = "fail" ] && { echo "line-$OSP_COLOR"; exit 3; }; exit 0'
        if script == "export":
            tail = 'cat "$EXPORT_DISK_PATH"'
        if script == "import":
            tail = 'cat > "$IMPORT_DISK_PATH"'
        files[script] = _DUMP % (script, script, script, tail)
    files.update(extra or {})
    for fname, content in files.items():
        if fname in skip:
            continue
        full = os.path.join(path, fname)
        with open(full, "w") as fh:
            fh.write(content)
        if fname in constants.OS_SCRIPTS:
            os.chmod(full, 0o755)
    return path


def _env_of(os_dir: str, script: str) -> dict[str, str]:
    with open(os.path.join(os_dir, script + ".env"), "rb") as fh:
        items = [e.decode() for e in fh.read().split(b"\0") if e]
    env = dict(item.split("=", 1) for item in items)
    return {k: v for k, v in env.items() if k not in _SHELL_VARS}


@pytest.fixture
def root(tmp_path):
    old = pathutils.get_root()
    pathutils.set_root(str(tmp_path))
    os.makedirs(pathutils.OS_SEARCH_PATH[0])
    yield tmp_path
    pathutils.set_root(old)


def test_discovery_and_diagnose(root):
    first, second = pathutils.OS_SEARCH_PATH[0], pathutils.OS_SEARCH_PATH[1]
    good = _write_os(first)
    _write_os(second)  # shadowed by the first
    _write_os(first, "noapi", skip=("ganeti_api_version",))
    _write_os(first, "oldapi", api="5\n")
    _write_os(first, "badapi", api="twenty\n")
    _write_os(first, "noparams", params=None)
    _write_os(first, "novariants", variants=None, api="20\n")
    _write_os(first, "untrusted", skip=("create",), extra={"create_untrusted": "#!/bin/sh\n"})
    _write_os(first, "nocreate", skip=("create",))
    path = _write_os(first, "noexec")
    os.chmod(os.path.join(path, "rename"), 0o644)
    api15 = _write_os(first, "api15", api="15\n", params=None, skip=("verify",))
    open(os.path.join(first, "stray-file"), "w").close()
    ok, os_def = osapi.try_os_from_disk("testos")
    assert ok and os_def.path == good
    assert os_def.api_versions == [20, 15] and os_def.api_version == 20
    assert os_def.supported_variants == ["alpha", "beta"]
    assert os_def.supported_parameters == [["color", "The color"], ["size-hint", "A hint"]]
    assert os_def.trusted and os_def.create_script == os.path.join(good, "create")
    rows = {(r[0], r[1]): r for r in osapi.diagnose()}
    assert rows[("testos", good)] == [
        "testos",
        good,
        True,
        "",
        ["alpha", "beta"],
        [["color", "The color"], ["size-hint", "A hint"]],
        [20, 15],
        True,
    ]
    assert rows[("testos", os.path.join(second, "testos"))][2] is True
    msgs = {name: r[3] for (name, _), r in rows.items() if not r[2]}
    assert "Required file 'ganeti_api_version' not found" in msgs["noapi"]
    assert "API version mismatch" in msgs["oldapi"]
    assert "can't be converted to integer" in msgs["badapi"]
    assert "File 'parameters.list' under path" in msgs["noparams"] and "missing" in msgs["noparams"]
    assert "must exist" in msgs["nocreate"]
    assert "is not executable" in msgs["noexec"]
    assert "not found" in msgs["stray-file"]
    assert rows[("untrusted", os.path.join(first, "untrusted"))][7] is False
    assert rows[("novariants", os.path.join(first, "novariants"))][4] == []
    ok, os15 = osapi.try_os_from_disk("api15")
    assert ok and os15.verify_script is None and os15.path == api15
    with pytest.raises(errors.InvalidOS, match="not found in search path"):
        osapi.os_from_disk("missing+x")
    assert osapi.os_from_disk("testos+beta").name == "testos"
    assert osapi.find_os_dir("../etc") is None


def test_validate(root):
    path = _write_os(pathutils.OS_SEARCH_PATH[0])
    assert osapi.validate(True, "testos+alpha", ["parameters"], {"color": "red"}, False)
    args = open(os.path.join(path, "verify.args")).read()
    assert args == "parameters\n"
    env = _env_of(path, "verify")
    assert env == {
        "OS_API_VERSION": "20",
        "OS_NAME": "testos",
        "OS_VARIANT": "alpha",
        "DEBUG_LEVEL": "0",
        "OSP_COLOR": "red",
        "PATH": "/sbin:/bin:/usr/sbin:/usr/bin",
    }
    assert osapi.validate(False, "missing", [], {}, False) is False
    with pytest.raises(errors.InvalidOS, match="not found in search path"):
        osapi.validate(True, "missing", [], {}, False)
    with pytest.raises(errors.InvalidOS, match="must include a variant"):
        osapi.validate(True, "testos", [], {}, False)
    with pytest.raises(errors.InvalidOS, match="does not support variant 'gamma'"):
        osapi.validate(True, "testos+gamma", [], {}, False)
    assert osapi.validate(True, "testos+gamma", [], {}, True)  # forced
    with pytest.raises(errors.InvalidOS, match="not supported by the OS testos: shape"):
        osapi.validate(True, "testos+alpha", ["parameters"], {"shape": "x", "color": "y"}, False)
    with pytest.raises(errors.InvalidOS, match="(?s)OS validation script failed .*color is bad"):
        osapi.validate(True, "testos+alpha", ["parameters"], {"color": "bad"}, False)
    with pytest.raises(errors.InvalidOS, match="Unknown OS validation checks: colour"):
        osapi.validate(True, "testos+alpha", ["colour"], {}, False)
    _write_os(pathutils.OS_SEARCH_PATH[0], "plain", variants=None, api="20\n")
    with pytest.raises(errors.InvalidOS, match="doesn't support variants"):
        osapi.validate(True, "plain+x", [], {}, False)
    _write_os(pathutils.OS_SEARCH_PATH[0], "api10", api="10\n", variants=None, params=None)
    assert osapi.validate(True, "api10", ["parameters"], {"anything": 1}, False)


def _instance() -> objects.Instance:
    return objects.Instance.from_dict(
        {
            "name": "inst1.example.com",
            "uuid": "i-uuid",
            "os": "testos+beta",
            "hypervisor": "kvm",
            "primary_node": "n-uuid-1",
            "ctime": 100.5,
            "mtime": 200.25,
            "hvparams": {"disk_type": "paravirtual", "nic_type": "e1000", "acpi": True},
            "beparams": {"maxmem": 512, "vcpus": 2},
            "osparams": {"color": "green"},
            "osparams_private": {"size-hint": "secretish"},
            "nics": [
                {
                    "mac": "aa:00:00:00:00:01",
                    "uuid": "nic0",
                    "name": "eth0",
                    "nicparams": {"mode": "bridged", "link": "br0"},
                },
                {
                    "mac": "aa:00:00:00:00:02",
                    "uuid": "nic1",
                    "ip": "198.51.100.7",
                    "nicparams": {"mode": "routed", "link": ""},
                    "netinfo": {
                        "name": "net1",
                        "uuid": "net-uuid",
                        "network": "198.51.100.0/24",
                        "gateway": "198.51.100.1",
                        "mac_prefix": "aa:00:00",
                        "tags": ["b", "a"],
                    },
                },
            ],
            "disks": ["d0", "d1"],
        }
    )


def _disks() -> list[osapi.DiskAccess]:
    d0 = objects.Disk(
        uuid="d0",
        name="root",
        dev_type="file",
        logical_id=["loop", "/srv/ganeti/file-storage/inst1/d0"],
        size=1024,
        mode="rw",
    )
    d1 = objects.Disk(
        uuid="d1", dev_type="blockdev", logical_id=["manual", "/dev/loop5"], size=64, mode="ro"
    )
    return [
        osapi.DiskAccess(d0, "/srv/ganeti/file-storage/inst1/d0"),
        osapi.DiskAccess(d1, "/dev/loop5", "kvm:rbd:x"),
    ]


#: every variable of os-api.md that applies to this instance, with its value
_EXPECTED_ENV = {
    "OS_API_VERSION": "20",
    "OS_NAME": "testos",
    "OS_VARIANT": "beta",
    "DEBUG_LEVEL": "1",
    "OSP_COLOR": "green",
    "OSP_SIZE_HINT": "secretish",
    "PATH": "/sbin:/bin:/usr/sbin:/usr/bin",
    "INSTANCE_NAME": "inst1.example.com",
    "INSTANCE_OS": "testos+beta",
    "INSTANCE_UUID": "i-uuid",
    "INSTANCE_CTIME": "100.5",
    "INSTANCE_MTIME": "200.25",
    "INSTANCE_PRIMARY_NODE": "n-uuid-1",
    "INSTANCE_SECONDARY_NODES": "n-uuid-2",
    "HYPERVISOR": "kvm",
    "DISK_COUNT": "2",
    "DISK_0_ACCESS": "rw",
    "DISK_0_UUID": "d0",
    "DISK_0_NAME": "root",
    "DISK_0_SIZE": "1024",
    "DISK_0_PATH": "/srv/ganeti/file-storage/inst1/d0",
    "DISK_0_FRONTEND_TYPE": "paravirtual",
    "DISK_0_BACKEND_TYPE": "file:loop",
    "DISK_1_ACCESS": "ro",
    "DISK_1_UUID": "d1",
    "DISK_1_SIZE": "64",
    "DISK_1_PATH": "/dev/loop5",
    "DISK_1_URI": "kvm:rbd:x",
    "DISK_1_FRONTEND_TYPE": "paravirtual",
    "DISK_1_BACKEND_TYPE": "block",
    "NIC_COUNT": "2",
    "NIC_0_MAC": "aa:00:00:00:00:01",
    "NIC_0_UUID": "nic0",
    "NIC_0_NAME": "eth0",
    "NIC_0_MODE": "bridged",
    "NIC_0_BRIDGE": "br0",
    "NIC_0_LINK": "br0",
    "NIC_0_FRONTEND_TYPE": "e1000",
    "NIC_1_MAC": "aa:00:00:00:00:02",
    "NIC_1_UUID": "nic1",
    "NIC_1_IP": "198.51.100.7",
    "NIC_1_MODE": "routed",
    "NIC_1_FRONTEND_TYPE": "e1000",
    "NIC_1_NETWORK_NAME": "net1",
    "NIC_1_NETWORK_UUID": "net-uuid",
    "NIC_1_NETWORK_SUBNET": "198.51.100.0/24",
    "NIC_1_NETWORK_GATEWAY": "198.51.100.1",
    "NIC_1_NETWORK_MAC_PREFIX": "aa:00:00",
    "NIC_1_NETWORK_TAGS": "a b",
    "INSTANCE_BE_maxmem": "512",
    "INSTANCE_BE_vcpus": "2",
    "INSTANCE_HV_disk_type": "paravirtual",
    "INSTANCE_HV_nic_type": "e1000",
    "INSTANCE_HV_acpi": "True",
}


def test_create_environment_and_log(root):
    path = _write_os(pathutils.OS_SEARCH_PATH[0])
    os_def = osapi.os_from_disk("testos+beta")
    env = osapi.instance_env(_instance(), os_def, _disks(), ["n-uuid-2"], debug=1)
    assert env == _EXPECTED_ENV
    log = osapi.run_create(os_def, env, "inst1.example.com", "testos+beta", reinstall=True)
    assert _env_of(path, "create") == dict(_EXPECTED_ENV, INSTANCE_REINSTALL="1")
    assert open(os.path.join(path, "create.args")).read() == "\n"  # no arguments
    assert os.path.dirname(log) == pathutils.LOG_OS_DIR
    assert re.fullmatch(
        r"add-testos\+beta-inst1\.example\.com-\d{4}-\d\d-\d\d_\d\d_\d\d_\d\d\.log",
        os.path.basename(log),
    )
    assert open(log).read() == "create ran\n"
    osapi.run_create(os_def, env, "inst1.example.com", "testos+beta")
    assert "INSTANCE_REINSTALL" not in _env_of(path, "create")


def test_create_failure_quotes_the_log(root):
    _write_os(pathutils.OS_SEARCH_PATH[0])
    os_def = osapi.os_from_disk("testos")
    env = osapi.core_env("testos", os_def, {"color": "fail"})
    assert env["OS_VARIANT"] == "alpha"  # the first declared one
    with pytest.raises(errors.OpExecError) as exc:
        osapi.run_create(os_def, env, "inst1", "testos")
    msg = str(exc.value)
    assert "OS create script failed (exited with exit code 3)" in msg
    assert msg.endswith("create ran\nline-fail")
    assert len(glob.glob(os.path.join(pathutils.LOG_OS_DIR, "add-testos-inst1-*.log"))) == 1


def test_rename_import_export(root, tmp_path):
    path = _write_os(pathutils.OS_SEARCH_PATH[0])
    os_def = osapi.os_from_disk("testos+alpha")
    disk_file = tmp_path / "disk0"
    disk_file.write_bytes(b"disk-content-1")
    disk = osapi.DiskAccess(
        objects.Disk(uuid="d0", dev_type="file", logical_id=["loop", str(disk_file)], size=1),
        str(disk_file),
    )
    base_env = osapi.core_env("testos+alpha", os_def, {})
    log = osapi.run_rename(os_def, base_env, "old.example.com", "new.example.com", "testos+alpha")
    assert os.path.basename(log).startswith("rename-testos+alpha-old.example.com-new.example.com-")
    assert _env_of(path, "rename")["OLD_INSTANCE_NAME"] == "old.example.com"
    dump = tmp_path / "dump"
    log = osapi.run_export(os_def, base_env, "inst1", "testos", 0, disk, str(dump))
    assert dump.read_bytes() == b"disk-content-1"
    assert os.path.basename(log).startswith("export-testos-inst1-0-")
    env = _env_of(path, "export")
    assert {k: env[k] for k in env if k.startswith("EXPORT_")} == {
        "EXPORT_INDEX": "0",
        "EXPORT_DEVICE": str(disk_file),
        "EXPORT_DISK_PATH": str(disk_file),
    }
    dump.write_bytes(b"imported!")
    osapi.run_import(os_def, base_env, "inst1", "testos", 0, disk, str(dump))
    assert disk_file.read_bytes() == b"imported!"
    env = _env_of(path, "import")
    assert env["IMPORT_INDEX"] == "0" and env["IMPORT_DEVICE"] == env["IMPORT_DISK_PATH"]
    with pytest.raises(errors.OpExecError, match="OS import script failed"):
        osapi.run_import(os_def, base_env, "inst1", "testos", 0, disk, str(tmp_path / "nope"))


def test_export_os_package(root):
    _write_os(pathutils.OS_SEARCH_PATH[0])
    os_def = osapi.os_from_disk("testos")
    package = osapi.export_os_package(os_def, {"B": "2", "A": "1"})
    try:
        with tarfile.open(package) as tar:
            names = set(tar.getnames())
            env = tar.extractfile("./environment").read().decode()
        assert {"./os/create", "./os/ganeti_api_version", "./environment"} <= names
        assert env == "A=1\nB=2\n"
    finally:
        os.unlink(package)


def test_split_name_and_log_name(root):
    assert osapi.split_name("debootstrap+buster") == ("debootstrap", "buster")
    assert osapi.split_name("noop") == ("noop", "")
    with pytest.raises(errors.ProgrammerError):
        osapi.log_name("import", "os", "inst", "a/b")
