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


def is_loopback_address(host: str) -> bool:
    """True when ``host`` is a literal loopback IP address (no name lookup)."""
    try:
        return ipaddress.ip_address(host.split("%")[0].strip("[]")).is_loopback
    except ValueError:
        return False


def client_is_remote(client: str) -> bool:
    """True for a transport client key (``"osc:<host>:<port>"``) from beyond loopback.

    Keys of other forms (ZeroMQ identities, in-process callers) carry no address and count as
    local: they cannot name a server file path over the network.
    """
    transport, _, rest = client.partition(":")
    if transport != "osc" or not rest:
        return False
    host = rest.rsplit(":", 1)[0]
    return not is_loopback_address(host)


def broad_networks(networks: Sequence[IpNetwork], min_prefix: int = 8) -> list[IpNetwork]:
    """Entries of an allow-list that admit a large part of the Internet (prefix shorter than
    ``min_prefix`` bits for IPv4, ``4 * min_prefix`` for IPv6), e.g. ``0.0.0.0/0``."""
    return [
        network
        for network in networks
        if network.prefixlen < (min_prefix if network.version == 4 else 4 * min_prefix)
    ]


def endpoint_hosts(endpoint: str) -> list[str]:
    """Every host named in a ZeroMQ TCP endpoint, including both sides of the
    ``tcp://source;destination:port`` form (empty for other transports)."""
    transport, _, rest = endpoint.partition("://")
    if transport != "tcp":
        return []
    address = rest.rsplit(":", 1)[0] if ":" in rest else rest
    return [part.strip().strip("[]") for part in address.split(";")]


def tcp_endpoint_is_loopback(endpoint: str) -> bool:
    """True when every host of a TCP endpoint is a loopback address (``*`` is not)."""
    hosts = endpoint_hosts(endpoint)
    return bool(hosts) and all(host not in ("", "*") and is_loopback_host(host) for host in hosts)
