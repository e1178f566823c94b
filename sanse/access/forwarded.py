"""Who a client is when a balancer stands between it and the dashboard (design §13): the address
a trusted proxy forwarded, and never one a client wrote itself."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK = ("127.0.0.1", "::1")  # the default [access] trusted_proxies: a balancer on this machine


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks ("10.0.0.5", "10.0.0.0/24"); ValueError names a bad one."""
    found = []
    for entry in entries:
        try:
            found.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            raise ValueError(str(entry)) from None
    return tuple(found)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: tuple[Network, ...]) -> str | None:
    """The client's address. `peer` is the connection's other end (None for this machine's own
    loopback, as Streamlit reports it); `forwarded_for` the X-Forwarded-For values sent. Only a
    trusted peer's header counts, read from the right: the last address that is not itself a
    trusted proxy is the client (HAProxy sets the header to one address, its own peer)."""
    peer = _plain(peer) if peer else None
    if not any(_within(address, trusted) for address in ([peer] if peer else LOOPBACK)):
        return peer
    hops = [_plain(hop.strip()) for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _plain(address: str) -> str:
    """An IPv4 address as itself, also when a dual-stack server reports it as ::ffff:a.b.c.d."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ip.ipv4_mapped) if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else address


def _within(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # not an address at all: never a proxy of ours
    return any(ip in network for network in trusted)
