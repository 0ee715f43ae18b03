"""Node side of the guest OS definition interface (OS API 10, 15 and 20).

Owns finding OS definitions on ``pathutils.OS_SEARCH_PATH`` (first
directory named after the OS wins), checking and reading them
(``ganeti_api_version``, ``variants.list``, ``parameters.list``, the
scripts), the environment their scripts get (exactly the variables of
the OS interface), and running create / import / export / rename /
verify with their output logged under ``pathutils.LOG_OS_DIR``.  It must
never find or assemble disks itself: callers pass each disk with the
device path it has on this node.
"""

import os
import shutil
import stat
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from ganeti import constants, errors, objects, pathutils
from ganeti.utils import process as uproc
from ganeti.utils import text as utext

#: lines of a failed script's log quoted in the error
LOG_TAIL_LINES = 20


@dataclass
class OSDefinition:
    """An OS as found on disk; script attributes are absolute paths (or None)."""

    name: str
    path: str
    api_versions: list[int]
    create_script: str | None
    create_script_untrusted: str | None
    export_script: str
    import_script: str
    rename_script: str
    verify_script: str | None
    supported_variants: list[str] = field(default_factory=list)
    supported_parameters: list[list[str]] = field(default_factory=list)

    @property
    def api_version(self) -> int:
        """The API version scripts are run with (the highest both sides know)."""
        return max(constants.OS_API_VERSIONS.intersection(self.api_versions))

    @property
    def trusted(self) -> bool:
        """False when only an untrusted create script exists."""
        return self.create_script_untrusted is None


def split_name(name: str) -> tuple[str, str]:
    """``("debootstrap", "buster")`` for ``"debootstrap+buster"`` (variant "" if none)."""
    base, _, variant = name.partition("+")
    return base, variant


def _valid_os_name(name: Any) -> bool:
    return (
        isinstance(name, str)
        and bool(name)
        and "/" not in name
        and not name.startswith(".")
        and name not in (".", "..")
    )


def find_os_dir(name: str, search_path: Iterable[str] | None = None) -> str | None:
    """The first directory called ``name`` on the search path, or None."""
    if not _valid_os_name(name):
        return None
    for top in pathutils.OS_SEARCH_PATH if search_path is None else search_path:
        path = os.path.join(top, name)
        if os.path.isdir(path):
            return path
    return None


def _api_versions(os_dir: str) -> tuple[bool, Any]:
    api_file = os.path.join(os_dir, constants.OS_API_FILE)
    try:
        st = os.stat(api_file)
    except OSError as err:
        return False, "Required file '%s' not found under path %s: %s" % (
            constants.OS_API_FILE,
            os_dir,
            err.strerror or err,
        )
    if not stat.S_ISREG(st.st_mode):
        return False, "File '%s' in %s is not a regular file" % (constants.OS_API_FILE, os_dir)
    try:
        with open(api_file, encoding="utf-8") as fh:
            lines = [ln.strip() for ln in fh if ln.strip()]
    except (OSError, UnicodeDecodeError) as err:
        return False, "Error while reading the API version file at %s: %s" % (api_file, err)
    try:
        return True, [int(v) for v in lines]
    except ValueError as err:
        return False, "API version(s) can't be converted to integer: %s" % err


def _read_list(path: str) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [ln.strip() for ln in fh if ln.strip() and not ln.strip().startswith("#")]


def try_os_from_disk(name: str, base_dir: str | None = None) -> tuple[bool, Any]:
    """``(True, OSDefinition)`` or ``(False, why the OS is not usable)``."""
    os_dir = find_os_dir(name, None if base_dir is None else [base_dir])
    if os_dir is None:
        return False, "Directory for OS %s not found in search path" % name
    ok, api_versions = _api_versions(os_dir)
    if not ok:
        return False, api_versions
    if not constants.OS_API_VERSIONS.intersection(api_versions):
        return False, "API version mismatch for path '%s': found %s, want %s." % (
            os_dir,
            api_versions,
            sorted(constants.OS_API_VERSIONS),
        )
    newest = max(api_versions)
    # file name -> required?
    wanted = {
        constants.OS_SCRIPT_CREATE: False,
        constants.OS_SCRIPT_CREATE_UNTRUSTED: False,
        constants.OS_SCRIPT_IMPORT: True,
        constants.OS_SCRIPT_EXPORT: True,
        constants.OS_SCRIPT_RENAME: True,
    }
    if newest >= constants.OS_API_V15:
        wanted[constants.OS_VARIANTS_FILE] = False
    if newest >= constants.OS_API_V20:
        wanted[constants.OS_SCRIPT_VERIFY] = True
        wanted[constants.OS_PARAMETERS_FILE] = True
    found: dict[str, str] = {}
    for filename, required in wanted.items():
        path = os.path.join(os_dir, filename)
        try:
            st = os.stat(path)
        except OSError as err:
            if not required and isinstance(err, FileNotFoundError):
                continue
            return False, "File '%s' under path '%s' is missing (%s)" % (
                filename,
                os_dir,
                err.strerror or err,
            )
        if not stat.S_ISREG(st.st_mode):
            return False, "File '%s' under path '%s' is not a regular file" % (filename, os_dir)
        if filename in constants.OS_SCRIPTS and not st.st_mode & stat.S_IXUSR:
            return False, "File '%s' under path '%s' is not executable" % (filename, os_dir)
        found[filename] = path
    if (
        constants.OS_SCRIPT_CREATE not in found
        and constants.OS_SCRIPT_CREATE_UNTRUSTED not in found
    ):
        return False, "A create script (trusted or untrusted) under path '%s' must exist" % os_dir
    variants: list[str] = []
    if constants.OS_VARIANTS_FILE in found:
        try:
            variants = _read_list(found[constants.OS_VARIANTS_FILE])
        except (OSError, UnicodeDecodeError) as err:
            return False, "Error while reading the OS variants file at %s: %s" % (
                found[constants.OS_VARIANTS_FILE],
                err,
            )
    parameters: list[list[str]] = []
    if constants.OS_PARAMETERS_FILE in found:
        try:
            with open(found[constants.OS_PARAMETERS_FILE], encoding="utf-8") as fh:
                lines = [ln.strip() for ln in fh if ln.strip()]
        except (OSError, UnicodeDecodeError) as err:
            return False, "Error while reading the OS parameters file at %s: %s" % (
                found[constants.OS_PARAMETERS_FILE],
                err,
            )
        for line in lines:
            pname, _, desc = line.partition(" ") if " " in line else line.partition("\t")
            parameters.append([pname.strip(), desc.strip()])
    return True, OSDefinition(
        name=name,
        path=os_dir,
        api_versions=api_versions,
        create_script=found.get(constants.OS_SCRIPT_CREATE),
        create_script_untrusted=found.get(constants.OS_SCRIPT_CREATE_UNTRUSTED),
        export_script=found[constants.OS_SCRIPT_EXPORT],
        import_script=found[constants.OS_SCRIPT_IMPORT],
        rename_script=found[constants.OS_SCRIPT_RENAME],
        verify_script=found.get(constants.OS_SCRIPT_VERIFY),
        supported_variants=variants,
        supported_parameters=parameters,
    )


def os_from_disk(name: str, base_dir: str | None = None) -> OSDefinition:
    """The OS ``name`` (a ``+variant`` suffix is ignored); InvalidOS if unusable."""
    base, _ = split_name(name)
    ok, result = try_os_from_disk(base, base_dir)
    if not ok:
        raise errors.InvalidOS(result)
    return result


def diagnose(search_path: Iterable[str] | None = None) -> list[list]:
    """Every OS directory on the search path, valid or not.

    Rows: ``[name, path, status, diagnose message, variants, parameters,
    api_versions, trusted]`` (parameters as ``[name, description]``).
    """
    result = []
    for top in pathutils.OS_SEARCH_PATH if search_path is None else search_path:
        try:
            names = sorted(n for n in os.listdir(top) if not n.startswith("."))
        except FileNotFoundError:
            continue
        except OSError as err:
            result.append(
                [
                    "",
                    top,
                    False,
                    "Can't list the OS directory %s: %s" % (top, err),
                    [],
                    [],
                    [],
                    True,
                ]
            )
            continue
        for name in names:
            ok, os_def = try_os_from_disk(name, base_dir=top)
            if ok:
                result.append(
                    [
                        name,
                        os_def.path,
                        True,
                        "",
                        list(os_def.supported_variants),
                        [list(p) for p in os_def.supported_parameters],
                        list(os_def.api_versions),
                        os_def.trusted,
                    ]
                )
            else:
                result.append([name, os.path.join(top, name), False, os_def, [], [], [], True])
    return result


def check_variant(os_def: OSDefinition, name: str) -> None:
    """InvalidOS unless the variant in ``name`` is one ``os_def`` declares."""
    _, variant = split_name(name)
    if not os_def.supported_variants:
        if variant:
            raise errors.InvalidOS(
                "OS '%s' doesn't support variants ('%s' passed)" % (os_def.name, variant)
            )
        return
    if not variant:
        raise errors.InvalidOS(
            "OS name '%s' must include a variant (one of %s)"
            % (name, ", ".join(os_def.supported_variants))
        )
    if variant not in os_def.supported_variants:
        raise errors.InvalidOS(
            "OS '%s' does not support variant '%s' (supported: %s)"
            % (os_def.name, variant, ", ".join(os_def.supported_variants))
        )


def check_parameters(os_def: OSDefinition, names: Iterable[str]) -> None:
    """InvalidOS naming the parameters ``os_def`` does not declare."""
    supported = {p[0] for p in os_def.supported_parameters}
    delta = sorted(set(names) - supported)
    if delta:
        raise errors.InvalidOS(
            "The following parameters are not supported by the OS %s: %s"
            % (os_def.name, ", ".join(delta))
        )


def core_env(
    os_name: str, os_def: OSDefinition, os_params: dict[str, Any], debug: int = 0
) -> dict[str, str]:
    """The variables every script gets (OS_*, DEBUG_LEVEL, OSP_*, PATH)."""
    api = os_def.api_version
    env = {
        "OS_API_VERSION": "%d" % api,
        "OS_NAME": os_def.name,
        "DEBUG_LEVEL": "%d" % int(debug or 0),
    }
    variant = ""
    if api >= constants.OS_API_V15 and os_def.supported_variants:
        variant = split_name(os_name)[1] or os_def.supported_variants[0]
    env["OS_VARIANT"] = variant
    for pname, pvalue in (os_params or {}).items():
        env["OSP_%s" % pname.upper().replace("-", "_")] = str(pvalue)
    env["PATH"] = constants.HOOKS_PATH
    return env


@dataclass
class DiskAccess:
    """One instance disk as this node sees it: the disk and its device path/URI."""

    disk: objects.Disk
    dev_path: str | None
    uri: str | None = None


def _network_env(prefix: str, netinfo: dict[str, Any]) -> dict[str, str]:
    env = {
        prefix + "NETWORK_NAME": str(netinfo.get("name") or ""),
        prefix + "NETWORK_UUID": str(netinfo.get("uuid") or ""),
        prefix + "NETWORK_TAGS": " ".join(sorted(netinfo.get("tags") or [])),
    }
    for key, var in (
        ("network", "NETWORK_SUBNET"),
        ("gateway", "NETWORK_GATEWAY"),
        ("network6", "NETWORK_SUBNET6"),
        ("gateway6", "NETWORK_GATEWAY6"),
        ("mac_prefix", "NETWORK_MAC_PREFIX"),
    ):
        if netinfo.get(key):
            env[prefix + var] = str(netinfo[key])
    return env


def instance_env(
    instance: objects.Instance,
    os_def: OSDefinition,
    disks: list[DiskAccess],
    secondary_nodes: list[str] | None = None,
    debug: int = 0,
) -> dict[str, str]:
    """The full environment of an instance's OS script (os-api.md, Ganeti 3.0)."""
    params = dict(instance.osparams or {})
    params.update(instance.osparams_private or {})
    env = core_env(instance.os, os_def, params, debug)
    for attr in ("name", "os", "uuid", "ctime", "mtime", "primary_node"):
        env["INSTANCE_%s" % attr.upper()] = str(getattr(instance, attr))
    env["INSTANCE_SECONDARY_NODES"] = " ".join(secondary_nodes or [])
    env["HYPERVISOR"] = str(instance.hypervisor)
    env["DISK_COUNT"] = "%d" % len(disks)
    env["NIC_COUNT"] = "%d" % len(instance.nics or [])
    hvparams = instance.hvparams or {}
    for idx, access in enumerate(disks):
        disk = access.disk
        env["DISK_%d_ACCESS" % idx] = str(disk.mode or constants.DISK_RDWR)
        env["DISK_%d_UUID" % idx] = str(disk.uuid)
        env["DISK_%d_SIZE" % idx] = str(disk.size)
        if access.dev_path:
            env["DISK_%d_PATH" % idx] = access.dev_path
        if access.uri:
            env["DISK_%d_URI" % idx] = access.uri
        if disk.name:
            env["DISK_%d_NAME" % idx] = disk.name
        if constants.HV_DISK_TYPE in hvparams:
            env["DISK_%d_FRONTEND_TYPE" % idx] = str(hvparams[constants.HV_DISK_TYPE])
        if disk.dev_type in constants.DTS_BLOCK:
            env["DISK_%d_BACKEND_TYPE" % idx] = "block"
        elif disk.dev_type in constants.DTS_FILEBASED and disk.logical_id:
            env["DISK_%d_BACKEND_TYPE" % idx] = "file:%s" % disk.logical_id[0]
    for idx, nic in enumerate(instance.nics or []):
        nicparams = nic.nicparams or {}
        env["NIC_%d_MAC" % idx] = str(nic.mac)
        if nic.uuid:
            env["NIC_%d_UUID" % idx] = nic.uuid
        if nic.name:
            env["NIC_%d_NAME" % idx] = nic.name
        if nic.ip:
            env["NIC_%d_IP" % idx] = nic.ip
        mode = nicparams.get(constants.NIC_MODE)
        if mode:
            env["NIC_%d_MODE" % idx] = mode
        if mode == constants.NIC_MODE_BRIDGED and nicparams.get(constants.NIC_LINK):
            env["NIC_%d_BRIDGE" % idx] = nicparams[constants.NIC_LINK]
        if nicparams.get(constants.NIC_LINK):
            env["NIC_%d_LINK" % idx] = nicparams[constants.NIC_LINK]
        if nic.netinfo:
            env.update(_network_env("NIC_%d_" % idx, nic.netinfo))
        if constants.HV_NIC_TYPE in hvparams:
            env["NIC_%d_FRONTEND_TYPE" % idx] = str(hvparams[constants.HV_NIC_TYPE])
    for source, kind in ((instance.beparams or {}, "BE"), (hvparams, "HV")):
        for key, value in source.items():
            env["INSTANCE_%s_%s" % (kind, key)] = str(value)
    return env


# --- running scripts ---------------------------------------------------------------------


def log_name(kind: str, os_name: str, instance: str, component: str | None = None) -> str:
    """``LOG_OS_DIR/<kind>-<os>-<instance>[-<component>]-<timestamp>.log``."""
    suffix = ""
    if component:
        if "/" in component:
            raise errors.ProgrammerError("Invalid log component '%s'" % component)
        suffix = "-%s" % component
    base = "%s-%s-%s%s-%s.log" % (
        kind,
        os_name.replace("/", "_"),
        instance.replace("/", "_"),
        suffix,
        time.strftime("%Y-%m-%d_%H_%M_%S"),
    )
    return os.path.join(pathutils.LOG_OS_DIR, base)


def _new_log(kind: str, os_name: str, instance: str, component: str | None = None) -> str:
    os.makedirs(pathutils.LOG_OS_DIR, 0o750, exist_ok=True)
    return log_name(kind, os_name, instance, component)


def tail(path: str, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last ``lines`` lines of a text file (none if unreadable)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()[-64 * 1024 :]
    except OSError:
        return []
    return [utext.safe_encode(ln) for ln in data.decode("utf-8", "replace").splitlines()[-lines:]]


def _run_logged(
    os_def: OSDefinition,
    what: str,
    cmd: list[str] | str,
    env: dict[str, str],
    logfile: str,
    timeout: float | None,
) -> str:
    """Runs an OS script (in its directory, only ``env``) into ``logfile``; the log path.

    On failure raises OpExecError naming ``what`` with the last lines of the log.
    """
    result = uproc.run_cmd(
        cmd, env=env, reset_env=True, cwd=os_def.path, output_file=logfile, timeout=timeout
    )
    if result.failed:
        raise errors.OpExecError(
            "%s failed (%s), last lines in the log file %s:\n%s"
            % (what, result.fail_reason or "failed", logfile, "\n".join(tail(logfile)))
        )
    return logfile


def run_create(
    os_def: OSDefinition,
    env: dict[str, str],
    instance_name: str,
    os_name: str,
    reinstall: bool = False,
    timeout: float | None = None,
) -> str:
    """Runs ``create`` (``INSTANCE_REINSTALL=1`` on a reinstall); returns the log path."""
    if os_def.create_script is None:
        raise errors.InvalidOS(
            "OS %s has only an untrusted create script, which needs an install helper VM"
            % os_def.name
        )
    env = dict(env)
    if reinstall:
        env["INSTANCE_REINSTALL"] = "1"
    logfile = _new_log("add", os_name, instance_name)
    return _run_logged(os_def, "OS create script", [os_def.create_script], env, logfile, timeout)


def run_rename(
    os_def: OSDefinition,
    env: dict[str, str],
    old_name: str,
    new_name: str,
    os_name: str,
    timeout: float | None = None,
) -> str:
    """Runs ``rename`` with ``OLD_INSTANCE_NAME``; returns the log path."""
    env = dict(env)
    env["OLD_INSTANCE_NAME"] = old_name
    logfile = _new_log("rename", os_name, "%s-%s" % (old_name, new_name))
    return _run_logged(os_def, "OS rename script", [os_def.rename_script], env, logfile, timeout)


def _disk_io_env(env: dict[str, str], prefix: str, idx: int, disk: DiskAccess) -> dict[str, str]:
    env = dict(env)
    env["%s_INDEX" % prefix] = str(idx)
    if disk.dev_path:
        env["%s_DEVICE" % prefix] = disk.dev_path
        env["%s_DISK_PATH" % prefix] = disk.dev_path
    if disk.uri:
        env["%s_DISK_URI" % prefix] = disk.uri
    return env


def run_import(
    os_def: OSDefinition,
    env: dict[str, str],
    instance_name: str,
    os_name: str,
    idx: int,
    disk: DiskAccess,
    source: str,
    timeout: float | None = None,
) -> str:
    """Runs ``import`` for disk ``idx`` reading the dump from file/FIFO ``source``."""
    env = _disk_io_env(env, "IMPORT", idx, disk)
    logfile = _new_log("import", os_name, instance_name, str(idx))
    cmd = "%s < %s" % (utext.shell_quote(os_def.import_script), utext.shell_quote(source))
    return _run_logged(os_def, "OS import script", cmd, env, logfile, timeout)


def run_export(
    os_def: OSDefinition,
    env: dict[str, str],
    instance_name: str,
    os_name: str,
    idx: int,
    disk: DiskAccess,
    dest: str,
    timeout: float | None = None,
) -> str:
    """Runs ``export`` for disk ``idx`` writing the dump to file/FIFO ``dest``."""
    env = _disk_io_env(env, "EXPORT", idx, disk)
    logfile = _new_log("export", os_name, instance_name, str(idx))
    cmd = "%s > %s" % (utext.shell_quote(os_def.export_script), utext.shell_quote(dest))
    return _run_logged(os_def, "OS export script", cmd, env, logfile, timeout)


def validate(
    required: bool,
    name: str,
    checks: list[str],
    params: dict[str, Any],
    force_variant: bool,
) -> bool:
    """os_validate: False if the OS is absent and not ``required``, else True.

    Raises InvalidOS when the OS is unusable (and required), the variant
    is unknown (unless ``force_variant``), a parameter is not declared, or
    ``verify <checks>`` fails.  Definitions older than API 20 pass.
    """
    if not isinstance(name, str) or not name:
        raise errors.InvalidOS("Invalid OS name %r" % (name,))
    unknown = sorted(set(checks or []) - constants.OS_VALIDATE_CALLS)
    if unknown:
        raise errors.InvalidOS("Unknown OS validation checks: %s" % ", ".join(unknown))
    ok, os_def = try_os_from_disk(split_name(name)[0])
    if not ok:
        if required:
            raise errors.InvalidOS(os_def)
        return False
    if max(os_def.api_versions) < constants.OS_API_V20:
        return True
    if not force_variant:
        check_variant(os_def, name)
    params = params or {}
    if constants.OS_VALIDATE_PARAMETERS in (checks or []):
        check_parameters(os_def, params.keys())
    env = core_env(name, os_def, params)
    result = uproc.run_cmd(
        [os_def.verify_script] + list(checks or []), env=env, reset_env=True, cwd=os_def.path
    )
    if result.failed:
        raise errors.InvalidOS(
            "OS validation script failed (%s), output: %s"
            % (result.fail_reason, result.output.strip())
        )
    return True


def export_os_package(os_def: OSDefinition, env: dict[str, str]) -> str:
    """A .tgz (path on this node) holding ``os/`` (the definition) and ``environment``.

    ``environment`` has one ``NAME=value`` line per variable; the install
    helper of untrusted OS installs unpacks it and runs the scripts.
    """
    work = tempfile.mkdtemp(prefix="ganeti-os-export-")
    try:
        with open(os.path.join(work, "environment"), "w", encoding="utf-8") as fh:
            for key in sorted(env):
                fh.write("%s=%s\n" % (key, env[key]))
        fd, package = tempfile.mkstemp(prefix="ganeti-os-", suffix=".tgz")
        os.close(fd)
        try:
            with tarfile.open(package, "w:gz", dereference=True) as tar:
                tar.add(os_def.path, arcname="./os")
                tar.add(os.path.join(work, "environment"), arcname="./environment")
        except (OSError, tarfile.TarError) as err:
            os.unlink(package)
            raise errors.OpExecError(
                "Failed to pack OS %s from %s: %s" % (os_def.name, os_def.path, err)
            ) from None
        return package
    finally:
        shutil.rmtree(work, ignore_errors=True)
