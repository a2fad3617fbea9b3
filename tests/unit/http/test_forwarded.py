"""Forwarded headers: parsing (RFC 7239 and X-Forwarded-*) and the walk from the right."""

from __future__ import annotations

import ipaddress

import pytest

from sfm_graphql.http.forwarded import (
    Client,
    forwarded_hops,
    parse_node,
    resolve,
    x_forwarded_hops,
    x_forwarded_proto,
)
from sfm_graphql.security.addresses import (
    UNKNOWN_CLIENT,
    IPAddress,
    canonical,
    in_networks,
    parse_networks,
    subscriber_bucket,
)

PROXIES = parse_networks(["10.0.0.0/8", "fd00::/8"])
PEER = ("10.0.0.2", 50000)


def trusted(address: IPAddress) -> bool:
    return any(address in network for network in PROXIES)


def x_client(xff: str, proto: str | None = None) -> Client:
    return resolve(
        x_forwarded_hops([xff]),
        trusted=trusted,
        peer=PEER,
        scheme=x_forwarded_proto([proto] if proto else []),
    )


def f_client(*values: str) -> Client:
    return resolve(forwarded_hops(values), trusted=trusted, peer=PEER)


@pytest.mark.parametrize(
    ("node", "address", "port"),
    [
        ("192.0.2.7", "192.0.2.7", 0),
        (" 192.0.2.7:4711 ", "192.0.2.7", 4711),
        ("[2001:db8:cafe::17]", "2001:db8:cafe::17", 0),
        ("[2001:DB8:CAFE::17]:4711", "2001:db8:cafe::17", 4711),
        ("192.0.2.7:_port1", "192.0.2.7", 0),  # an obfuscated port (RFC 7239 6.3)
        ("[::ffff:192.0.2.7]", "192.0.2.7", 0),  # IPv4-mapped is the IPv4 client
    ],
)
def test_a_node_gives_its_address_and_port(node: str, address: str, port: int) -> None:
    parsed = parse_node(node)
    assert parsed is not None
    assert (str(parsed[0]), parsed[1]) == (address, port)


@pytest.mark.parametrize(
    "node",
    [
        "unknown",
        "_hidden",
        "_SEVKISEK",
        "",
        "not-an-address",
        "192.0.2.300",
        "192.0.2.7:0",
        "192.0.2.7:65536",
        "192.0.2.7:port",
        "192.0.2.7:80:80",
        "2001:db8::1",  # RFC 7239 requires brackets around IPv6
        "[2001:db8::1",
        "[2001:db8::1]x",
        "[192.0.2.7]",
    ],
)
def test_unknown_obfuscated_and_malformed_nodes_are_no_address(node: str) -> None:
    assert parse_node(node) is None


def test_x_forwarded_for_accepts_ipv6_without_brackets() -> None:
    parsed = parse_node("2001:db8::1", bare_ipv6=True)
    assert parsed is not None and parsed[0] == ipaddress.ip_address("2001:db8::1")


def test_the_client_is_the_first_untrusted_address_from_the_right() -> None:
    # client -> 10.0.0.9 (an inner proxy) -> the peer
    assert x_client("203.0.113.5, 10.0.0.9") == Client("203.0.113.5", 0, None)


def test_entries_a_client_prepends_change_nothing() -> None:
    assert x_client("10.0.0.1, 198.51.100.1, 203.0.113.5").host == "203.0.113.5"
    # a client claiming to be a trusted proxy is still the untrusted hop that sent it
    assert x_client("fd00::1, 203.0.113.5, 10.0.0.9").host == "203.0.113.5"


def test_several_header_lines_read_as_one_list_in_order() -> None:
    hops = x_forwarded_hops(["198.51.100.1, 203.0.113.5", "10.0.0.9"])
    assert resolve(hops, trusted=trusted, peer=PEER).host == "203.0.113.5"


def test_ipv6_clients_and_ports_in_x_forwarded_for() -> None:
    assert x_client("2001:db8::5, fd00::7") == Client("2001:db8::5", 0, None)
    assert x_client("[2001:db8::5]:4711") == Client("2001:db8::5", 4711, None)
    assert x_client("203.0.113.5:4711") == Client("203.0.113.5", 4711, None)


def test_a_non_address_a_trusted_hop_wrote_means_an_unknown_client() -> None:
    # Never the proxy's own address, which an allow-list may name.
    assert x_client("203.0.113.5, unknown").host == UNKNOWN_CLIENT
    assert x_client("203.0.113.5, garbage, 10.0.0.9").host == UNKNOWN_CLIENT
    assert x_client("203.0.113.5,,10.0.0.9").host == UNKNOWN_CLIENT
    # ... but garbage left of the client is never reached
    assert x_client("garbage, 203.0.113.5").host == "203.0.113.5"


def test_all_trusted_hops_give_the_leftmost_and_no_header_gives_the_peer() -> None:
    assert x_client("10.0.0.7, 10.0.0.9").host == "10.0.0.7"
    assert resolve([], trusted=trusted, peer=PEER) == Client("10.0.0.2", 50000, None)
    assert x_forwarded_hops(["  "]) == []


def test_x_forwarded_proto_takes_the_entry_of_the_nearest_proxy() -> None:
    assert x_client("203.0.113.5", "https").scheme == "https"
    assert x_client("203.0.113.5", " HTTPS ").scheme == "https"
    assert x_client("203.0.113.5", "http, https").scheme == "https"
    assert x_client("203.0.113.5", "https, http").scheme == "http"
    assert x_client("203.0.113.5", "gopher").scheme is None
    assert x_forwarded_proto([]) is None


def test_rfc_7239_forwarded() -> None:
    assert f_client("for=192.0.2.60;proto=https;by=203.0.113.43") == Client(
        "192.0.2.60", 0, "https"
    )
    assert f_client('for="[2001:db8:cafe::17]:4711"') == Client("2001:db8:cafe::17", 4711, None)
    assert f_client('For="192.0.2.43:47011";PROTO=http') == Client("192.0.2.43", 47011, "http")
    # a chain: the client's element, then the inner proxy's; the client's proto counts
    chain = 'for=198.51.100.1, for=203.0.113.5;proto=https, for="[fd00::9]";proto=http'
    assert f_client(chain) == Client("203.0.113.5", 0, "https")
    assert f_client("for=203.0.113.5", "for=10.0.0.9;proto=https") == Client(
        "203.0.113.5", 0, "https"
    )


def test_rfc_7239_obfuscated_unknown_and_malformed_elements() -> None:
    assert f_client("for=_hidden;proto=https") == Client(UNKNOWN_CLIENT, 0, "https")
    assert f_client("for=unknown").host == UNKNOWN_CLIENT
    assert f_client("proto=https").host == UNKNOWN_CLIENT  # the proxy did not say who
    assert f_client("for=[2001:db8::1]").host == UNKNOWN_CLIENT  # unquoted: not a token
    assert f_client("for=192.0.2.1;for=192.0.2.2").host == UNKNOWN_CLIENT  # repeated
    assert f_client('for="192.0.2.1').host == UNKNOWN_CLIENT  # unterminated quote
    assert f_client("for 192.0.2.1").host == UNKNOWN_CLIENT
    # quoted commas and semicolons do not split, escapes are undone
    assert f_client('for=192.0.2.1;by="a,b;c"').host == "192.0.2.1"
    assert f_client(r'for="192.0.2.\1"').host == "192.0.2.1"
    # a malformed element left of the client is never reached
    assert f_client("for=;;;, for=203.0.113.5").host == "203.0.113.5"


def test_addresses_have_one_spelling() -> None:
    assert canonical("::FFFF:192.0.2.7") == "192.0.2.7"
    assert canonical("2001:DB8::0:1") == "2001:db8::1"
    assert canonical("testclient") == "testclient"
    networks = parse_networks(["192.0.2.0/24", "2001:db8::/32"])
    assert in_networks("::ffff:192.0.2.7", networks)
    assert in_networks("2001:db8:1::1", networks)
    assert not in_networks("198.51.100.1", networks)
    assert not in_networks("not an address", networks)
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33' is not an IP address"):
        parse_networks(["10.0.0.0/33"])


def test_ipv6_clients_are_bucketed_per_64_ipv4_per_address() -> None:
    assert subscriber_bucket("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert subscriber_bucket("2001:db8:1:2::1") == subscriber_bucket("2001:db8:1:2:ffff::9")
    assert subscriber_bucket("2001:db8:1:2::1") != subscriber_bucket("2001:db8:1:3::1")
    assert subscriber_bucket("192.0.2.7") == "192.0.2.7" != subscriber_bucket("192.0.2.8")
    assert subscriber_bucket("::ffff:192.0.2.7") == "192.0.2.7"
