"""Who the client is and which scheme it used, from the headers trusted proxies add.

A proxy appends the address that connected to it to `X-Forwarded-For` (or adds an element to
RFC 7239 `Forwarded`). Everything left of the last entry may have been written by the client, so
the chain is read from the right: each entry is believed only while the hop that wrote it is a
trusted proxy, and the first address a trusted proxy reports that is not itself trusted is the
client. A client prepending entries therefore changes nothing. An entry a trusted proxy wrote
that is no address (`unknown`, an obfuscated `_name`, garbage) means the client is unknown:
it gets `UNKNOWN_CLIENT`, which no allow-list names, never the proxy's own address.

Only one header family is read (`forwarded_header`): a proxy that writes `X-Forwarded-For`
passes a client's `Forwarded` through untouched, and the other way round, so reading both would
let the client choose.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from sfm_graphql.security.addresses import UNKNOWN_CLIENT, IPAddress, parse_address

ForwardedHeader = Literal["x-forwarded-for", "forwarded"]

SCHEMES = frozenset({"http", "https"})
_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # an HTTP token (RFC 9110 5.6.2)
_PAIR = re.compile(rf"\s*({_TCHARS})=({_TCHARS}|\"(?:[^\"\\]|\\.)*\")\s*")
_OBFUSCATED = re.compile(r"_[A-Za-z0-9._-]+")  # RFC 7239 6.3
_PORT = re.compile(r"[0-9]{1,5}")


@dataclass(frozen=True, slots=True)
class Hop:
    """One hop a proxy reported: the address that connected to it (None: not an address)."""

    address: IPAddress | None
    port: int = 0
    proto: str | None = None


@dataclass(frozen=True, slots=True)
class Client:
    host: str
    port: int
    scheme: str | None  # None: the proxy did not say; keep the connection's


def parse_node(value: str, *, bare_ipv6: bool = False) -> tuple[IPAddress, int] | None:
    """The address and port of a node (`192.0.2.7`, `192.0.2.7:4711`, `[2001:db8::7]:4711`).

    None for `unknown`, obfuscated names and anything malformed. `bare_ipv6` accepts IPv6
    without brackets, as `X-Forwarded-For` usually carries it; RFC 7239 requires the brackets.
    """
    value = value.strip()
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or ":" not in host:
            return None
    elif bare_ipv6 and value.count(":") > 1:
        host, rest = value, ""
    else:
        host, colon, after = value.partition(":")
        rest = colon + after
        if ":" in after or "." not in host:
            return None  # an unbracketed IPv6 address, or no IPv4 address at all
    address = parse_address(host)
    number = _port(rest)
    if address is None or number is None:
        return None
    return address, number


def _port(rest: str) -> int | None:
    """The port after a node's host (`:4711`), 0 when there is none or it is obfuscated."""
    if not rest:
        return 0
    if not rest.startswith(":"):
        return None
    text = rest[1:]
    if _PORT.fullmatch(text) and 0 < int(text) <= 65535:
        return int(text)
    return 0 if _OBFUSCATED.fullmatch(text) else None


def _split(text: str, separator: str) -> list[str]:
    """`text` split at `separator` outside quoted strings (which may hold escaped quotes)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _scheme(value: str | None) -> str | None:
    scheme = (value or "").strip().lower()
    return scheme if scheme in SCHEMES else None


def forwarded_hops(values: Sequence[str]) -> list[Hop]:
    """The hops of RFC 7239 `Forwarded` header lines, first (leftmost) first.

    A malformed element is a hop whose address is unknown, so it stops the walk where it is.
    """
    values = [v for v in values if v.strip()]
    if not values:
        return []
    hops: list[Hop] = []
    for element in _split(",".join(values), ","):
        pairs: dict[str, str] = {}
        for pair in _split(element, ";"):
            match = _PAIR.fullmatch(pair)
            if match is None or match[1].lower() in pairs:
                pairs = {}  # malformed, or a parameter repeated (RFC 7239 4): nothing is known
                break
            pairs[match[1].lower()] = _unquote(match[2])
        node = parse_node(pairs["for"]) if "for" in pairs else None
        address, port = node if node is not None else (None, 0)
        hops.append(Hop(address, port, _scheme(pairs.get("proto"))))
    return hops


def x_forwarded_hops(values: Sequence[str]) -> list[Hop]:
    """The hops of `X-Forwarded-For` header lines, first (leftmost) first."""
    values = [v for v in values if v.strip()]
    if not values:
        return []
    hops: list[Hop] = []
    for entry in ",".join(values).split(","):
        node = parse_node(entry, bare_ipv6=True)
        hops.append(Hop(*node) if node is not None else Hop(None))
    return hops


def x_forwarded_proto(values: Sequence[str]) -> str | None:
    """The scheme in `X-Forwarded-Proto`: its last entry, written by the proxy next to us."""
    entries = ",".join(values).split(",") if values else []
    return _scheme(entries[-1]) if entries else None


def resolve(
    hops: Sequence[Hop],
    *,
    trusted: Callable[[IPAddress], bool],
    peer: tuple[str, int],
    scheme: str | None = None,
) -> Client:
    """The client behind the trusted `peer` that reported `hops` (and maybe `scheme`).

    The scheme is the one reported with the hop the walk stops at, else the nearest reported.
    A peer that reports no hops is the client itself.
    """
    for hop in reversed(hops):
        scheme = hop.proto or scheme
        if hop.address is None:
            return Client(UNKNOWN_CLIENT, 0, scheme)
        if not trusted(hop.address):
            return Client(str(hop.address), hop.port, scheme)
    if hops:  # every hop a trusted address: the leftmost is as far as anyone can tell
        return Client(str(hops[0].address), hops[0].port, scheme)
    return Client(peer[0], peer[1], scheme)
