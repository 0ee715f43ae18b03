"""How a user reaches a KVM instance's console.

Owns the console description the master hands to ``gnt-instance console``
(Ganeti's InstanceConsole dict: ``instance, kind, host, port, user,
command, display, message``): the serial console is ``socat`` on the
instance's serial socket run over SSH on the primary node; without a
serial console, VNC (host, port, display); else a message.  It also
renders a console as the command ``--show-cmd`` prints, and, run as
``python -m ganeti.hypervisor.hv_kvm.console INSTANCE`` on a node,
attaches the terminal to the serial socket.  It must never start or
control an instance.
"""

import os
import shlex
import sys
from typing import Any

from ganeti import constants, errors, pathutils
from ganeti.hypervisor.hv_kvm import cmdline
from ganeti.hypervisor.hv_kvm import runtime as rt

_ANY_ADDRESSES = ("0.0.0.0", "::")


def serial_command(serial_socket: str) -> list[str]:
    """socat between the terminal and the serial socket (Ctrl-] detaches)."""
    return [
        constants.SOCAT_PATH,
        "STDIO,raw,echo=0,escape=%s" % constants.SOCAT_ESCAPE_CODE,
        "UNIX-CONNECT:%s" % serial_socket,
    ]


def get_instance_console(
    instance: Any,
    primary_node: Any,
    node_group: Any,
    hvparams: dict,
    beparams: dict,
    run_dir: str | None = None,
) -> dict[str, Any]:
    """The console of ``instance`` (an objects.Instance) as a dict."""
    hvp = cmdline.fill_hvparams(hvparams)
    if hvp.get(constants.HV_SERIAL_CONSOLE):
        dirs = rt.RuntimeDirs(run_dir)
        console: dict[str, Any] = {
            "instance": instance.name,
            "kind": constants.CONS_SSH,
            "host": primary_node.name,
            "user": constants.SSH_CONSOLE_USER,
            "command": serial_command(dirs.serial_socket(instance.name)),
        }
        ndparams: dict = {}
        if node_group is not None and hasattr(node_group, "fill_nd"):
            ndparams = node_group.fill_nd(primary_node) or {}
        if ndparams.get(constants.ND_SSH_PORT) is not None:
            console["port"] = ndparams[constants.ND_SSH_PORT]
        return console
    bind = hvp.get(constants.HV_VNC_BIND_ADDRESS) or ""
    if bind and not bind.startswith("/") and instance.network_port:
        host = primary_node.name if bind in _ANY_ADDRESSES else bind
        return {
            "instance": instance.name,
            "kind": constants.CONS_VNC,
            "host": host,
            "port": instance.network_port,
            "display": instance.network_port - constants.VNC_BASE_PORT,
        }
    return {
        "instance": instance.name,
        "kind": constants.CONS_MESSAGE,
        "message": "No serial shell for instance %s" % instance.name,
    }


def ssh_command(console: dict[str, Any], cluster_name: str = "") -> list[str]:
    """The ssh command that runs an ssh-kind console's command on its host."""
    cmd = [
        "ssh",
        "-oEscapeChar=none",
        "-oBatchMode=yes",
        "-oHashKnownHosts=no",
        "-oGlobalKnownHostsFile=%s" % pathutils.SSH_KNOWN_HOSTS_FILE,
        "-oUserKnownHostsFile=/dev/null",
        "-oCheckHostIP=no",
    ]
    if cluster_name:
        cmd.append("-oHostKeyAlias=%s" % cluster_name)
    if console.get("port"):
        cmd += ["-p", str(console["port"])]
    cmd += ["-t", "%s@%s" % (console.get("user") or "root", console["host"])]
    cmd.append(" ".join(shlex.quote(arg) for arg in console.get("command") or []))
    return cmd


def show_cmd(console: dict[str, Any], cluster_name: str = "") -> str:
    """What ``gnt-instance console --show-cmd`` prints for this console."""
    kind = console.get("kind")
    if kind == constants.CONS_SSH:
        return " ".join(shlex.quote(arg) for arg in ssh_command(console, cluster_name))
    if kind == constants.CONS_VNC:
        return (
            "Instance %s has VNC listening on %s:%s (display %s), please use a VNC client to connect"
            % (console["instance"], console["host"], console["port"], console["display"])
        )
    return str(console.get("message") or "")


def main(argv: list[str] | None = None) -> int:
    """Attach this terminal to a local instance's serial console."""
    args = list(sys.argv[1:] if argv is None else argv)
    show = "--show-cmd" in args
    names = [a for a in args if not a.startswith("-")]
    if len(names) != 1:
        sys.stderr.write(
            "usage: python -m ganeti.hypervisor.hv_kvm.console [--show-cmd] INSTANCE\n"
        )
        return 2
    dirs = rt.RuntimeDirs()
    try:
        path = dirs.serial_socket(names[0])
    except errors.HypervisorError as err:
        sys.stderr.write("%s\n" % err)
        return 1
    cmd = serial_command(path)
    if show:
        print(" ".join(shlex.quote(a) for a in cmd))
        return 0
    if not dirs.alive_pid(names[0]):
        sys.stderr.write("Instance %s is not running on this node\n" % names[0])
        return 1
    os.execv(cmd[0], cmd)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
