"""The ProxyHeaders middleware and the trusted-proxy setting, without a network."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from sfm_graphql.cli import build_parser, main
from sfm_graphql.http.forwarded import ForwardedHeader
from sfm_graphql.http.proxy import ProxyHeaders
from sfm_graphql.settings import Settings


async def _seen(
    peer: str,
    headers: dict[str, str],
    *,
    trusted: tuple[str, ...] = ("10.0.0.0/8",),
    style: ForwardedHeader = "x-forwarded-for",
) -> tuple[Any, str]:
    """The client and scheme the app behind the middleware sees."""
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.update(client=scope["client"], scheme=scope["scheme"])

    scope = {
        "type": "http",
        "scheme": "http",
        "client": (peer, 50000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }

    async def receive() -> Any:
        return {}

    async def send(_: Any) -> None:
        return None

    await ProxyHeaders(app, trusted_proxies=trusted, forwarded_header=style)(scope, receive, send)
    return seen["client"], seen["scheme"]


FORGED = {
    "X-Forwarded-For": "203.0.113.5",
    "X-Forwarded-Proto": "https",
    "Forwarded": "for=198.51.100.7;proto=https",
}


async def test_a_trusted_peer_reports_the_client_and_scheme() -> None:
    assert await _seen("10.0.0.2", FORGED) == (("203.0.113.5", 0), "https")
    # a dual-stack socket's spelling of the proxy is the proxy
    assert await _seen("::ffff:10.0.0.2", FORGED) == (("203.0.113.5", 0), "https")


async def test_a_proxy_may_report_the_scheme_alone() -> None:
    assert await _seen("10.0.0.2", {"X-Forwarded-Proto": "https"}) == (("10.0.0.2", 50000), "https")


async def test_only_the_configured_header_family_is_read() -> None:
    # A proxy writing one family passes the other through from the client untouched.
    assert await _seen("10.0.0.2", FORGED, style="forwarded") == (("198.51.100.7", 0), "https")
    only_forwarded = {"Forwarded": "for=198.51.100.7;proto=https"}
    assert await _seen("10.0.0.2", only_forwarded) == (("10.0.0.2", 50000), "http")


async def test_headers_from_an_untrusted_peer_or_with_no_trusted_proxies_are_ignored() -> None:
    assert await _seen("192.0.2.1", FORGED) == (("192.0.2.1", 50000), "http")
    assert await _seen("10.0.0.2", FORGED, trusted=()) == (("10.0.0.2", 50000), "http")


def test_trusted_proxies_come_comma_separated_and_are_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SFM_TRUSTED_PROXIES", "10.0.0.1, fd00::/8,192.168.1.7/24")
    assert Settings().trusted_proxies == ("10.0.0.1/32", "fd00::/8", "192.168.1.0/24")
    monkeypatch.setenv("SFM_TRUSTED_PROXIES", "")
    assert Settings().trusted_proxies == ()
    for wrong, said in (("*", "every client choose"), ("10.0.0.0/33", "not an IP address")):
        monkeypatch.setenv("SFM_TRUSTED_PROXIES", wrong)
        with pytest.raises(ValidationError, match=said):
            Settings()


def test_serve_accepts_forwarded_allow_ips() -> None:
    args = build_parser().parse_args(["serve", "--forwarded-allow-ips", "10.0.0.0/8"])
    assert args.forwarded_allow_ips == "10.0.0.0/8"


def test_serve_refuses_a_wildcard_before_starting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SFM_TRUSTED_PROXIES", "")  # restored afterwards: serve sets it
    assert main(["serve", "--forwarded-allow-ips", "*"]) == 2
    assert "every client choose its own address" in capsys.readouterr().err
