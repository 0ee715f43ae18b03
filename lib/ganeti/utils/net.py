"""Network helpers: name resolution, address checks, ping over TCP."""

import ipaddress
import socket
from dataclasses import dataclass

from ganeti import errors


@dataclass
class HostInfo:
    """A resolved host: full name, aliases, first address."""

    name: str
    aliases: list[str]
    ip: str

    @staticmethod
    def resolve(name: str, family: int = socket.AF_INET) -> "HostInfo":
        """Resolves ``name``; raises ResolverError when it cannot."""
        try:
            fqdn, aliases, ips = (
                socket.gethostbyname_ex(name) if family == socket.AF_INET else _resolve6(name)
            )
        except (socket.gaierror, socket.herror, UnicodeError) as err:
            raise errors.ResolverError(
                name, getattr(err, "errno", 0), "Host name %s not found" % name
            ) from None
        return HostInfo(fqdn, aliases, ips[0])


def _resolve6(name: str) -> tuple[str, list[str], list[str]]:
    infos = socket.getaddrinfo(name, None, socket.AF_INET6)
    return name, [], [i[4][0] for i in infos]


def get_hostname() -> HostInfo:
    """This host's fully qualified name and address."""
    return HostInfo.resolve(socket.getfqdn())


def is_valid_ip4(address: str) -> bool:
    try:
        ipaddress.IPv4Address(address)
        return True
    except ValueError:
        return False


def is_valid_ip6(address: str) -> bool:
    try:
        ipaddress.IPv6Address(address)
        return True
    except ValueError:
        return False


def is_valid_ip(address: str) -> bool:
    return is_valid_ip4(address) or is_valid_ip6(address)


def tcp_ping(
    target: str,
    port: int,
    timeout: float = 10.0,
    live_port_needed: bool = False,
    source: str | None = None,
) -> bool:
    """True if ``target:port`` answers (or, unless ``live_port_needed``,
    refuses, which still proves the host is up)."""
    family = socket.AF_INET6 if is_valid_ip6(target) else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        if source is not None:
            try:
                sock.bind((source, 0))
            except OSError:
                pass
        sock.connect((target, port))
        return True
    except ConnectionRefusedError:
        return not live_port_needed
    except OSError:
        return False
    finally:
        sock.close()


def owns_ip(address: str) -> bool:
    """True if ``address`` is configured on one of this host's interfaces."""
    family = socket.AF_INET6 if is_valid_ip6(address) else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.bind((address, 0))
        return True
    except OSError:
        return False
    finally:
        sock.close()
