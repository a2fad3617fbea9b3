"""Client addresses: one spelling of an address, network membership, and per-subscriber buckets.

Every consumer of a client address (the failed-login gate, the anonymous cost budget, the admin
and API-key allow-lists, the audit and access logs) gets it from `authenticate.client_ip` and
compares or buckets it with these helpers, so an IPv4 client seen as `::ffff:192.0.2.7` on a
dual-stack socket is the same client as `192.0.2.7` everywhere.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from typing import TypeAlias

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

# One subscriber usually holds a whole IPv6 /64 (RFC 6177), so a client that rotates through its
# addresses must not get a fresh budget for each.
IPV6_BUCKET_PREFIX = 64
MAX_UNPARSED_KEY = 64
# The client of a connection without a peer address, or behind a proxy that named none.
UNKNOWN_CLIENT = "0.0.0.0"  # noqa: S104 (an address no allow-list names, not a bind)


def parse_address(value: str) -> IPAddress | None:
    """The address `value` names (IPv4-mapped IPv6 as IPv4), or None when it is not one."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


# A request asks for its client's spelling several times (the gate, the context, the log line).
@functools.lru_cache(maxsize=4096)
def canonical(value: str) -> str:
    """The one spelling of an address (`::FFFF:192.0.2.7` is `192.0.2.7`); other text unchanged."""
    address = parse_address(value)
    return str(address) if address is not None else value


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Addresses and CIDRs as networks; raises ValueError naming the first that is neither."""
    networks: list[IPNetwork] = []
    for value in values:
        try:
            network = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network (CIDR)") from None
        networks.append(network)
    return tuple(networks)


def in_networks(value: str, networks: Iterable[IPNetwork]) -> bool:
    """Whether the address `value` lies in one of `networks`; never for what is not an address."""
    address = parse_address(value)
    return address is not None and any(address in network for network in networks)


def subscriber_bucket(value: str) -> str:
    """What limits per client address count against: the address, an IPv6 address's /64."""
    address = parse_address(value)
    if address is None:
        return value[:MAX_UNPARSED_KEY]
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, IPV6_BUCKET_PREFIX), strict=False))
    return str(address)
