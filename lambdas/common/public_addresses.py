"""Which addresses an outbound request (a trend fetch, a webhook) may connect to: public ones, plus an explicit allow-list.

Every DNS answer (and, for trend fetches, every redirect target) is checked
before any connection is made, and the connection goes to the checked
address (a second lookup could answer differently). Refused: loopback, private, link-local, shared,
multicast, reserved and unspecified ranges, and IPv4-mapped forms of them.
The allow-lists (``TRENDS_ALLOWED_NETWORKS``, ``WEBHOOK_ALLOWED_NETWORKS``) exist for local runs and tests
that serve on 127.0.0.1; they can never open the cloud metadata
endpoints or link-local space.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Instance metadata (AWS IPv4/IPv6, Alibaba) and the link-local ranges they live in.
NEVER_ALLOWED: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32", "0.0.0.0/32", "::/128")
)


def allowed_networks(networks: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The allow-list, parsed; `ValueError` for a bad network or one that overlaps metadata or link-local."""
    parsed = []
    for text in networks:
        network = ipaddress.ip_network(text, strict=True)
        clash = next((n for n in NEVER_ALLOWED if n.version == network.version and n.overlaps(network)), None)
        if clash is not None:
            raise ValueError(f"{text} overlaps {clash}, which is never allowed")
        parsed.append(network)
    return tuple(parsed)


def refusal(address: IPAddress, allowed: Iterable[IPNetwork] = ()) -> str | None:
    """Why ``address`` may not be fetched from, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in n for n in NEVER_ALLOWED if n.version == address.version):
        return "link-local or metadata address"
    if any(address in n for n in allowed if n.version == address.version):
        return None
    for flag, what in (
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_private", "private"),
        ("is_multicast", "multicast"),
        ("is_reserved", "reserved"),
        ("is_unspecified", "unspecified"),
    ):
        if getattr(address, flag):
            return f"{what} address"
    return None if address.is_global else "non-public address"
