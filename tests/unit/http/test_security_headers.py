"""The CSP lets a page connect to its own origin's WebSocket, and to nothing else."""

from __future__ import annotations

import pytest

from sfm_graphql.http.headers import CONTENT_SECURITY_POLICY, content_security_policy


def _directives(policy: str) -> dict[str, str]:
    return dict(d.strip().split(" ", 1) for d in policy.split(";"))


@pytest.mark.parametrize(
    ("host", "secure", "connect"),
    [
        ("127.0.0.1:8000", False, "'self' ws://127.0.0.1:8000"),
        ("sfm.example.org", True, "'self' wss://sfm.example.org"),
        ("SFM.Example.org:8443", True, "'self' wss://sfm.example.org:8443"),
        ("[::1]:8000", False, "'self' ws://[::1]:8000"),
        ("localhost", False, "'self' ws://localhost"),
    ],
)
def test_connect_src_names_the_websocket_of_the_requested_origin_only(
    host: str, secure: bool, connect: str
) -> None:
    directives = _directives(content_security_policy(host, secure=secure))
    assert directives["connect-src"] == connect
    base = _directives(CONTENT_SECURITY_POLICY)
    assert {k: v for k, v in directives.items() if k != "connect-src"} == {
        k: v for k, v in base.items() if k != "connect-src"
    }


@pytest.mark.parametrize(
    "host",
    [
        None,
        "",
        "evil.example; script-src *",
        "a.example *",
        "*",
        "a.example/path",
        "ws://a.example",
        "a.example:80,b.example",
        "a..example",
        "-a.example",
        "[::1",
        "a.example:123456",
        "x" * 300,
    ],
)
def test_a_host_that_is_not_a_plain_host_and_port_adds_nothing(host: str | None) -> None:
    assert content_security_policy(host, secure=False) == CONTENT_SECURITY_POLICY
    assert _directives(CONTENT_SECURITY_POLICY)["connect-src"] == "'self'"
