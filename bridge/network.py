"""Address helpers shared by the transports: loopback detection and client allow-lists."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_loopback_host(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    addresses = {str(info[4][0]) for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses
    )


def parse_allow_list(entries: Sequence[str]) -> tuple[IpNetwork, ...]:
    """Parse client addresses and CIDR networks (``"192.168.1.20"``, ``"10.0.0.0/24"``).

    Raises:
        ValueError: On an entry that is neither.
    """
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"allow-list entry {entry!r} is not an IP address or network") from exc
    return tuple(networks)


def is_allowed(host: str, networks: Sequence[IpNetwork]) -> bool:
    """True when ``networks`` is empty or contains the address ``host``."""
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return any(address in network for network in networks)
