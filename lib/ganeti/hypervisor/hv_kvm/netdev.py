"""Tap interfaces of KVM instances: creation and connection to the network.

Owns opening a tap device (``TUNSETIFF`` on /dev/net/tun, one fd per
queue, handed to qemu) and what Ganeti's ``kvm-ifup`` script does with it:
MTU of the bridge, ``ip link set ... master <bridge>`` (with the VLAN
when given), Open vSwitch ports, routed mode's host route and proxy ARP,
then the site's ``/etc/ganeti/kvm-ifup-os`` hook if present.  The
commands are built by pure functions (tested) and run through
``utils.process``.  It must never touch an interface it did not create,
except the bridge it attaches to.
"""

import fcntl
import logging
import os
import struct
from dataclasses import dataclass
from typing import Any

from ganeti import constants, errors, pathutils
from ganeti.utils import process as uproc

TUN_DEVICE = "/dev/net/tun"
TUNSETIFF = 0x400454CA
TUNGETIFF = 0x800454D2
TUNGETFEATURES = 0x800454CF
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_ONE_QUEUE = 0x2000
IFF_VNET_HDR = 0x4000
IFF_MULTI_QUEUE = 0x0100
#: interface name size in struct ifreq (with its NUL)
IFNAMSIZ = 16


@dataclass
class NicConfig:
    """What ifup needs to know about one NIC."""

    mode: str
    link: str
    mac: str = ""
    ip: str = ""
    vlan: str = ""
    name: str = ""
    uuid: str = ""
    network: str = ""


def nic_config(nic: Any) -> NicConfig:
    """A NicConfig from an ``objects.NIC`` (or its dict)."""
    data = nic.to_dict() if hasattr(nic, "to_dict") else dict(nic or {})
    params = data.get("nicparams") or {}
    return NicConfig(
        mode=params.get(constants.NIC_MODE) or constants.NIC_MODE_BRIDGED,
        link=params.get(constants.NIC_LINK) or "",
        mac=data.get("mac") or "",
        ip=data.get("ip") or "",
        vlan=str(params.get(constants.NIC_VLAN) or ""),
        name=data.get("name") or "",
        uuid=data.get("uuid") or "",
        network=data.get("network") or "",
    )


def _tun_features(fd: int) -> int:
    try:
        raw = fcntl.ioctl(fd, TUNGETFEATURES, struct.pack("I", 0))
    except OSError:
        return 0
    return struct.unpack("I", raw)[0]


def open_tap(name: str = "tap%d", vnet_hdr: bool = True, queues: int = 1) -> tuple[str, list[int]]:
    """Opens a (non-persistent) tap device; returns (its name, one fd per queue).

    The device lives as long as one of the fds is open: qemu inherits them,
    so it disappears with the qemu process.
    """
    if len(name.encode()) >= IFNAMSIZ:
        raise errors.HypervisorError("Tap name '%s' is too long" % name)
    flags = IFF_TAP | IFF_NO_PI
    fds: list[int] = []
    try:
        for _ in range(max(1, queues)):
            fd = os.open(TUN_DEVICE, os.O_RDWR | os.O_CLOEXEC)
            fds.append(fd)
            features = _tun_features(fd)
            qflags = flags
            if vnet_hdr and features & IFF_VNET_HDR:
                qflags |= IFF_VNET_HDR
            if queues > 1:
                if not features & IFF_MULTI_QUEUE:
                    raise errors.HypervisorError("The tun driver has no multi-queue support")
                qflags |= IFF_MULTI_QUEUE
            ifr = struct.pack("16sH", name.encode(), qflags)
            ifr = fcntl.ioctl(fd, TUNSETIFF, ifr + b"\0" * 22)
            name = ifr[:IFNAMSIZ].rstrip(b"\0").decode()
    except OSError as err:
        for fd in fds:
            os.close(fd)
        raise errors.HypervisorError("Can't create a tap device: %s" % err) from None
    except errors.HypervisorError:
        for fd in fds:
            os.close(fd)
        raise
    return name, fds


def close_fds(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _bridge_mtu(bridge: str) -> int | None:
    try:
        with open("/sys/class/net/%s/mtu" % bridge, encoding="ascii") as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def bridge_exists(bridge: str) -> bool:
    return os.path.isdir("/sys/class/net/%s/bridge" % bridge)


def _parse_vlan(vlan: str) -> tuple[int | None, list[int]]:
    """(untagged vlan, tagged vlans) from Ganeti's ".10", ":20:30", ".10:20" or "10"."""
    if not vlan:
        return None, []
    untagged = None
    rest = vlan
    if vlan.startswith("."):
        head, _, tail = vlan[1:].partition(":")
        untagged = int(head)
        rest = ":" + tail if tail else ""
    elif not vlan.startswith(":"):
        return int(vlan), []
    tagged = [int(v) for v in rest.split(":") if v]
    return untagged, tagged


def ifup_commands(tap: str, nic: NicConfig, mtu: int | None = None) -> list[list[str]]:
    """The commands that connect ``tap`` as ``nic`` says (pure)."""
    cmds: list[list[str]] = []
    try:
        untagged, tagged = _parse_vlan(nic.vlan)
    except ValueError:
        raise errors.HypervisorError("Invalid VLAN '%s' of NIC %s" % (nic.vlan, tap)) from None
    if nic.mode == constants.NIC_MODE_BRIDGED:
        if not nic.link:
            raise errors.HypervisorError("Bridged NIC %s has no bridge (link)" % tap)
        if mtu:
            cmds.append(["ip", "link", "set", "dev", tap, "mtu", str(mtu)])
        cmds.append(["ip", "link", "set", "dev", tap, "master", nic.link])
        if untagged is not None or tagged:
            cmds.append(["bridge", "vlan", "del", "dev", tap, "vid", "1"])
        if untagged is not None:
            cmds.append(
                ["bridge", "vlan", "add", "dev", tap, "vid", str(untagged), "pvid", "untagged"]
            )
        for vid in tagged:
            cmds.append(["bridge", "vlan", "add", "dev", tap, "vid", str(vid)])
        cmds.append(["ip", "link", "set", "dev", tap, "up"])
    elif nic.mode == constants.NIC_MODE_OVS:
        if not nic.link:
            raise errors.HypervisorError("Open vSwitch NIC %s has no switch (link)" % tap)
        port = ["ovs-vsctl", "--may-exist", "add-port", nic.link, tap]
        if untagged is not None:
            port.append("tag=%d" % untagged)
        if tagged:
            port.append("trunks=%s" % ",".join(str(v) for v in tagged))
        cmds.append(port)
        cmds.append(["ip", "link", "set", "dev", tap, "up"])
    elif nic.mode == constants.NIC_MODE_ROUTED:
        cmds.append(["ip", "link", "set", "dev", tap, "up"])
        cmds.append(["sysctl", "-q", "-w", "net.ipv4.conf.%s.proxy_arp=1" % tap])
        cmds.append(["sysctl", "-q", "-w", "net.ipv4.conf.%s.forwarding=1" % tap])
        if nic.ip:
            route = ["ip", "route", "replace", nic.ip, "dev", tap]
            if nic.link:
                route += ["table", nic.link]
            cmds.append(route)
    else:
        raise errors.HypervisorError("Unknown NIC mode '%s' for %s" % (nic.mode, tap))
    return cmds


def ifdown_commands(tap: str, nic: NicConfig) -> list[list[str]]:
    """What to undo once the tap is gone (routed routes, OVS ports)."""
    if nic.mode == constants.NIC_MODE_ROUTED and nic.ip:
        route = ["ip", "route", "del", nic.ip, "dev", tap]
        if nic.link:
            route += ["table", nic.link]
        return [route]
    if nic.mode == constants.NIC_MODE_OVS and nic.link:
        return [["ovs-vsctl", "--if-exists", "del-port", nic.link, tap]]
    return []


def hook_env(instance_name: str, tap: str, nic: NicConfig, idx: int) -> dict[str, str]:
    """The environment of the ifup hook, as Ganeti's kvm-ifup gets it."""
    env = {
        "INSTANCE": instance_name,
        "INTERFACE": tap,
        "INTERFACE_INDEX": str(idx),
        "MODE": nic.mode,
        "LINK": nic.link,
        "MAC": nic.mac,
    }
    if nic.ip:
        env["IP"] = nic.ip
    if nic.vlan:
        env["VLAN"] = nic.vlan
    if nic.name:
        env["INTERFACE_NAME"] = nic.name
    if nic.uuid:
        env["INTERFACE_UUID"] = nic.uuid
    if nic.network:
        env["NETWORK_NAME"] = nic.network
    return env


def ifup(instance_name: str, tap: str, nic: NicConfig, idx: int) -> None:
    """Connects ``tap``; HypervisorError (with the command's output) on failure."""
    if nic.mode == constants.NIC_MODE_BRIDGED and not bridge_exists(nic.link):
        raise errors.HypervisorError(
            "Bridge '%s' of NIC %d does not exist on this node" % (nic.link, idx)
        )
    mtu = _bridge_mtu(nic.link) if nic.mode == constants.NIC_MODE_BRIDGED else None
    for cmd in ifup_commands(tap, nic, mtu):
        result = uproc.run_cmd(cmd, timeout=30)
        if result.failed:
            raise errors.HypervisorError(
                "Can't configure NIC %d (%s): '%s' %s: %s"
                % (idx, tap, " ".join(cmd), result.fail_reason, result.output.strip())
            )
    hook = os.path.join(pathutils.CONF_DIR, "kvm-ifup-os")
    if os.access(hook, os.X_OK):
        result = uproc.run_cmd([hook], env=hook_env(instance_name, tap, nic, idx), timeout=60)
        if result.failed:
            raise errors.HypervisorError(
                "The NIC hook %s failed for %s: %s" % (hook, tap, result.output.strip())
            )


def ifdown(tap: str, nic: NicConfig) -> None:
    """Best-effort undo of ``ifup`` (errors are logged)."""
    for cmd in ifdown_commands(tap, nic):
        result = uproc.run_cmd(cmd, timeout=30)
        if result.failed:
            logging.warning("'%s' failed: %s", " ".join(cmd), result.output.strip())
