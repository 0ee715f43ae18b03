"""Node self-verification: the node side of cluster verify (RPC node_verify).

Owns each NV_* check a node can run on itself when the master asks (file
checksums, SSH and TCP reachability of other nodes, hypervisor and
parameter checks, clock, master IP, storage paths, LVM lists, certificate
health) and the shape of each answer, as Ganeti's cluster verify expects.
It must never judge the answers: the master compares them across nodes.
"""

import concurrent.futures
import json
import logging
import os
import random
import shutil
import socket
import sys
import time
from typing import Any

from ganeti import backend, constants, errors, hypervisor, pathutils
from ganeti.utils import net as unet
from ganeti.utils import process as uproc

#: what cluster verify calls a problem's severity
ETYPE_ERROR = "ERROR"
ETYPE_WARNING = "WARNING"

_FORBIDDEN_STORAGE_PATHS = frozenset(
    ["/", "/boot", "/dev", "/etc", "/proc", "/sys", "/lib", "/lib32", "/lib64", "/sbin", "/bin"]
    + ["/usr", "/usr/local"]
    + [
        "%s/%s" % (p, s)
        for p in ("/usr", "/usr/local")
        for s in ("bin", "lib", "lib32", "lib64", "sbin")
    ]
)


def _ssh_port_map() -> dict[str, int]:
    ports = {}
    for line in (backend._read_ssconf(constants.SS_SSH_PORTS) or "").splitlines():  # noqa: SLF001
        name, sep, port = line.strip().partition("=")
        if sep:
            try:
                ports[name] = int(port)
            except ValueError:
                pass
    return ports


def verify_ssh_hostname(node: str, port: int | None) -> tuple[bool, str]:
    """Logs in to ``node`` by SSH and checks it calls itself ``node``."""
    cmd = [
        "ssh",
        "-oBatchMode=yes",
        "-oStrictHostKeyChecking=yes",
        "-oConnectTimeout=10",
        "-oEscapeChar=none",
        "-q",
        "-p",
        str(port or 22),
        "root@%s" % node,
        "hostname",
    ]
    result = uproc.run_cmd(cmd, timeout=30)
    if result.failed:
        return False, "SSH problem: %s" % ((result.output.strip() or result.fail_reason)[:500])
    remote = result.stdout.strip()
    if remote != node:
        return False, "Hostname mismatch: expected %s but got %s" % (node, remote)
    return True, "host matches"


def _check_nodelist(value: Any, my_name: str) -> dict[str, str]:
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        nodes = list(value[0])
        bynode = value[1] if len(value) > 1 and isinstance(value[1], dict) else {}
        nodes.extend(bynode.get(my_name, []))
    else:
        nodes = list(value or [])
    random.shuffle(nodes)
    ports = _ssh_port_map()
    failures = {}
    if not nodes:
        return failures
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(nodes))) as pool:
        futures = {pool.submit(verify_ssh_hostname, n, ports.get(n)): n for n in nodes}
        for future, node in futures.items():
            ok, message = future.result()
            if not ok:
                failures[node] = message
    return failures


def _check_node_net(entries: list, my_name: str) -> dict[str, str]:
    port = constants.DEFAULT_NODED_PORT
    out = {}
    mine = [(pip, sip) for name, pip, sip in entries if name == my_name]
    if not mine:
        out[my_name] = "Can't find my own primary/secondary IP in the node list"
        return out
    my_pip, my_sip = mine[0]
    for name, pip, sip in entries:
        fail = []
        if not unet.tcp_ping(pip, port, timeout=5, source=my_pip):
            fail.append("primary")
        if sip != pip and not unet.tcp_ping(sip, port, timeout=5, source=my_sip):
            fail.append("secondary")
        if fail:
            out[name] = "failure using the %s interface(s)" % " and ".join(fail)
    return out


def _check_master_ip(value: Any, my_name: str) -> bool:
    master_name, master_ip = value
    source = None
    if master_name == my_name:
        source = "::1" if unet.is_valid_ip6(master_ip) else constants.IP4_ADDRESS_LOCALHOST
    return unet.tcp_ping(master_ip, constants.DEFAULT_NODED_PORT, timeout=5, source=source)


def check_client_certificate(cert_file: str | None = None) -> tuple[str | None, str]:
    """(None, digest) when the node's client certificate is usable, else
    (ETYPE_ERROR or ETYPE_WARNING, message).

    The check runs in a child process: the X.509 library it needs would
    otherwise stay loaded in the node daemon (about 12 MB).
    """
    cert_file = cert_file or pathutils.NODED_CLIENT_CERT_FILE
    if not os.path.exists(cert_file):
        return (
            ETYPE_ERROR,
            "The client certificate does not exist. Run 'gnt-cluster renew-crypto"
            " --new-node-certificates'.",
        )
    lib = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (
        "import json, sys\n"
        "from ganeti import backend_verify\n"
        "print(json.dumps(backend_verify.client_certificate_report(sys.argv[1], sys.argv[2])))\n"
    )
    env = {"PYTHONPATH": lib + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = uproc.run_cmd(
        [sys.executable, "-c", code, cert_file, pathutils.NODED_CERT_FILE], env=env, timeout=60
    )
    if result.failed:
        return ETYPE_ERROR, "Can't check the client certificate: %s" % (
            result.output.strip()[-500:] or result.fail_reason
        )
    status, message = json.loads(result.stdout.strip().splitlines()[-1])
    return status, message


def client_certificate_report(cert_file: str, ca_file: str) -> tuple[str | None, str]:
    """The client certificate check itself (see check_client_certificate)."""
    from ganeti.utils import x509  # pylint: disable=import-outside-toplevel

    try:
        _, pem = x509.read_pem_file(cert_file)
    except errors.X509CertError as err:
        return ETYPE_ERROR, "Can't read the client certificate: %s" % err.args[-1]
    ok, message = x509.verify_cert_signed_by_file(cert_file, ca_file)
    if not ok:
        return ETYPE_ERROR, message
    status, message = x509.check_expiry(pem)
    if status is not None:
        return (ETYPE_ERROR if status == "error" else ETYPE_WARNING), message
    return None, x509.cert_digest(pem)


def _allowed_storage_paths() -> list[str]:
    try:
        with open(pathutils.FILE_STORAGE_PATHS_FILE, encoding="utf-8") as fh:
            lines = [ln.strip() for ln in fh]
    except OSError:
        return []
    return [ln for ln in lines if ln and not ln.startswith("#")]


def wrong_file_storage_paths() -> list[str]:
    """Entries of file-storage-paths that must never hold instance disks."""
    return sorted(
        p
        for p in _allowed_storage_paths()
        if not os.path.isabs(p) or os.path.normpath(p) != p or p in _FORBIDDEN_STORAGE_PATHS
    )


def check_storage_path(path: str) -> str | None:
    """None if instance disks may live in ``path``, else why not."""
    if not path:
        return None
    allowed = _allowed_storage_paths()
    if not any(path == a or path.startswith(a.rstrip("/") + "/") for a in allowed):
        return "Path '%s' is not acceptable for file storage: not below an entry of %s" % (
            path,
            pathutils.FILE_STORAGE_PATHS_FILE,
        )
    probe = os.path.join(path, ".ganeti-verify-%d" % os.getpid())
    try:
        with open(probe, "w", encoding="ascii"):
            pass
        os.unlink(probe)
    except OSError as err:
        return "Path '%s' is not usable for file storage: %s" % (path, err)
    return None


def _lvm_list(cmd: list[str]) -> list[list[str]] | str:
    if not shutil.which(cmd[0]):
        return "LVM tool '%s' is not installed" % cmd[0]
    result = uproc.run_cmd(cmd)
    if result.failed:
        return "%s failed: %s" % (cmd[0], result.output.strip() or result.fail_reason)
    return [[f.strip() for f in ln.split("|")] for ln in result.stdout.splitlines() if ln.strip()]


def list_logical_volumes(vg_name: str) -> dict | str:
    """{"vg/lv": (size MiB, inactive, online)} or an error message."""
    rows = _lvm_list(
        [
            "lvs",
            "--noheadings",
            "--units=m",
            "--nosuffix",
            "--unbuffered",
            "--separator=|",
            "-o",
            "vg_name,lv_name,lv_size,lv_attr",
            vg_name,
        ]
    )
    if isinstance(rows, str):
        return rows
    out = {}
    for row in rows:
        if len(row) != 4:
            continue
        vg, lv, size, attr = row
        inactive = len(attr) > 4 and attr[4] == "-"
        online = len(attr) > 5 and attr[5] == "o"
        out["%s/%s" % (vg, lv)] = (float(size), inactive, online)
    return out


def list_physical_volumes(vg_names: list[str]) -> list[dict] | str:
    """PVs of the given VGs: dicts with name, vg_name, size, free, attributes."""
    rows = _lvm_list(
        [
            "pvs",
            "--noheadings",
            "--units=m",
            "--nosuffix",
            "--unbuffered",
            "--separator=|",
            "-o",
            "pv_name,vg_name,pv_size,pv_free,pv_attr",
        ]
    )
    if isinstance(rows, str):
        return rows
    return [
        {
            "name": r[0],
            "vg_name": r[1],
            "size": float(r[2]),
            "free": float(r[3]),
            "attributes": r[4],
        }
        for r in rows
        if len(r) == 5 and (not vg_names or r[1] in vg_names)
    ]


def _node_setup_problems() -> list[str]:
    problems = []
    for path, what in (("/sys/class/net", "sysfs"), ("/proc/sys/net", "procfs")):
        if not os.path.exists(path):
            problems.append("The %s filesystem doesn't seem to be mounted under %s" % (what, path))
    return problems


def _hypervisor_checks(what: dict, all_hvparams: dict, result: dict) -> None:
    if constants.NV_HYPERVISOR in what:
        out = {}
        for hv_name in what[constants.NV_HYPERVISOR]:
            try:
                out[hv_name] = hypervisor.get_hypervisor(hv_name).verify(
                    hvparams=(all_hvparams or {}).get(hv_name)
                )
            except errors.HypervisorError as err:
                out[hv_name] = "Error while checking hypervisor: %s" % err
        result[constants.NV_HYPERVISOR] = out
    if constants.NV_HVPARAMS in what:
        failures = []
        for source, hv_name, hvparams in what[constants.NV_HVPARAMS]:
            try:
                hypervisor.get_hypervisor(hv_name).validate_parameters(hvparams)
            except errors.HypervisorError as err:
                failures.append((source, hv_name, str(err)))
        result[constants.NV_HVPARAMS] = failures
    if constants.NV_HVINFO in what:
        hv_name = what[constants.NV_HVINFO]
        try:
            result[constants.NV_HVINFO] = hypervisor.get_hypervisor(hv_name).get_node_info(
                hvparams=(all_hvparams or {}).get(hv_name)
            )
        except errors.HypervisorError as err:
            result[constants.NV_HVINFO] = "Error while getting hypervisor information: %s" % err
    if constants.NV_INSTANCELIST in what:
        names: list[str] = []
        try:
            for hv_name in what[constants.NV_INSTANCELIST]:
                names.extend(
                    hypervisor.get_hypervisor(hv_name).list_instances(
                        hvparams=(all_hvparams or {}).get(hv_name)
                    )
                )
            result[constants.NV_INSTANCELIST] = names
        except errors.HypervisorError as err:
            result[constants.NV_INSTANCELIST] = "Error listing instances: %s" % err


def _lvm_checks(what: dict, result: dict) -> None:
    if constants.NV_VGLIST in what:
        try:
            result[constants.NV_VGLIST] = backend.list_volume_groups()
        except backend.RPCFail as err:
            logging.warning("vg list failed: %s", err)
            result[constants.NV_VGLIST] = None
    if constants.NV_LVLIST in what:
        result[constants.NV_LVLIST] = list_logical_volumes(what[constants.NV_LVLIST])
    if constants.NV_PVLIST in what:
        result[constants.NV_PVLIST] = list_physical_volumes(what[constants.NV_PVLIST])


def _drbd_checks(what: dict, result: dict) -> None:
    present = os.path.exists("/proc/drbd")
    missing = "DRBD is not available on this node (/proc/drbd not found)"
    if constants.NV_DRBDLIST in what:
        result[constants.NV_DRBDLIST] = [] if present else missing
    if constants.NV_DRBDHELPER in what:
        helper = what[constants.NV_DRBDHELPER]
        result[constants.NV_DRBDHELPER] = (False, missing) if not present else (True, helper)
    if constants.NV_DRBDVERSION in what:
        result[constants.NV_DRBDVERSION] = missing if not present else ""


def verify_node(what: dict, cluster_name: str, all_hvparams: dict) -> dict[str, Any]:
    """Runs the checks named by the NV_* keys of ``what``; unknown keys are ignored.

    Hypervisor, LVM and instance checks only run on vm_capable nodes (those
    not listed under NV_VMNODES).
    """
    if not isinstance(what, dict):
        backend._fail("node_verify needs a dictionary of checks")  # noqa: SLF001
    result: dict[str, Any] = {}
    my_name = socket.gethostname()
    vm_capable = my_name not in what.get(constants.NV_VMNODES, [])

    if vm_capable:
        _hypervisor_checks(what, all_hvparams, result)
    if constants.NV_FILELIST in what:
        result[constants.NV_FILELIST] = backend.fingerprint_files(what[constants.NV_FILELIST])
    if constants.NV_CLIENT_CERT in what:
        result[constants.NV_CLIENT_CERT] = check_client_certificate()
    if constants.NV_NODELIST in what:
        result[constants.NV_NODELIST] = _check_nodelist(what[constants.NV_NODELIST], my_name)
    if constants.NV_NODENETTEST in what:
        result[constants.NV_NODENETTEST] = _check_node_net(what[constants.NV_NODENETTEST], my_name)
    if constants.NV_MASTERIP in what:
        result[constants.NV_MASTERIP] = _check_master_ip(what[constants.NV_MASTERIP], my_name)
    if constants.NV_OOB_PATHS in what:
        result[constants.NV_OOB_PATHS] = [
            "%s is not executable or does not exist" % p
            for p in what[constants.NV_OOB_PATHS]
            if p and not (os.path.isfile(p) and os.access(p, os.X_OK))
        ]
    if constants.NV_USERSCRIPTS in what:
        result[constants.NV_USERSCRIPTS] = [
            p
            for p in what[constants.NV_USERSCRIPTS]
            if not (os.path.isfile(p) and os.access(p, os.X_OK))
        ]
    if vm_capable:
        _lvm_checks(what, result)
    if constants.NV_VERSION in what:
        result[constants.NV_VERSION] = (constants.PROTOCOL_VERSION, constants.RELEASE_VERSION)
    if constants.NV_BRIDGES in what and vm_capable:
        result[constants.NV_BRIDGES] = [
            b
            for b in what[constants.NV_BRIDGES]
            if not os.path.isdir("/sys/class/net/%s/bridge" % b)
        ]
    if constants.NV_NODESETUP in what:
        result[constants.NV_NODESETUP] = _node_setup_problems()
    if vm_capable:
        _drbd_checks(what, result)
    if constants.NV_OSLIST in what and vm_capable:
        from ganeti import osapi  # pylint: disable=import-outside-toplevel

        result[constants.NV_OSLIST] = osapi.diagnose()
    if what.get(constants.NV_ACCEPTED_STORAGE_PATHS) == my_name:
        result[constants.NV_ACCEPTED_STORAGE_PATHS] = wrong_file_storage_paths()
    for key in (
        constants.NV_FILE_STORAGE_PATH,
        constants.NV_SHARED_FILE_STORAGE_PATH,
        constants.NV_GLUSTER_STORAGE_PATH,
    ):
        if key in what:
            problem = check_storage_path(what[key])
            if problem:
                result[key] = problem
    if constants.NV_TIME in what:
        now = time.time()
        result[constants.NV_TIME] = (int(now), int((now - int(now)) * 1000000))
    return result
