"""Failed logins per client address: counted, audited without the credential, then refused.

Each test builds its own app with a small `failed_logins_per_ip` and hammers it from an address
of its own (ASGI transports set the client address), so the shared app and the other tests
never see these budgets.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.services.access import oauth_clients
from sfm_graphql.settings import Settings

pytestmark = pytest.mark.integration

PING = "{ deliveryKinds { kind } }"
AUDIT = """
query ($action: String!) {
  auditLog(first: 100, filter: {action: $action}) {
    edges { node {
      principal principalKind credentialId action operation outcome clientIp requestId details
      targetIds
    } }
  }
}"""


_addresses = itertools.count(1)


def _address() -> str:
    """A documentation address (TEST-NET-2) no other test uses (Redis is flushed per session)."""
    return f"198.51.100.{next(_addresses)}"


@asynccontextmanager
async def guarded_app(settings: Settings, **overrides: Any) -> AsyncIterator[Any]:
    application = create_app(settings.model_copy(update=overrides))
    async with application.router.lifespan_context(application):
        yield application


def _client(application: Any, ip: str) -> httpx.AsyncClient:
    # Loopback in the URL: Authlib serves the token endpoint over plain HTTP only to loopback.
    transport = httpx.ASGITransport(app=application, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=30)


async def _ping(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await http.post("/graphql", json={"query": PING}, headers=headers)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _code(response: httpx.Response) -> str:
    errors = response.json().get("errors") or []
    return str(errors[0]["extensions"]["code"]) if errors else ""


async def _audit(application: Any, admin_token: str, action: str, ip: str) -> list[Any]:
    """Audit events of `action` from `ip`, read by an admin from an address of its own."""
    async with _client(application, "192.0.2.10") as http:
        response = await http.post(
            "/graphql",
            json={"query": AUDIT, "variables": {"action": action}},
            headers=_bearer(admin_token),
        )
    body = response.json()
    assert "errors" not in body, body
    return [e["node"] for e in body["data"]["auditLog"]["edges"] if e["node"]["clientIp"] == ip]


def _assert_refused_before_verification(response: httpx.Response, window_s: int) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= window_s + 1
    assert response.headers["cache-control"] == "no-store"


async def test_bad_tokens_from_one_address_get_429_after_the_limit_even_with_a_good_token(
    settings: Settings, clean_graph: None, issue_token: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ip, elsewhere = _address(), _address()
    good = issue_token("viewer", subject="careful-user")
    head, payload, _ = issue_token("admin", subject="forger").split(".")
    guesses = [
        f"{head}.{payload}.{'A' * 86}",  # a tampered signature
        f"opaque-guess-{uuid.uuid4().hex}",
        f"opaque-guess-{uuid.uuid4().hex}",
    ]
    async with guarded_app(settings, failed_logins_per_ip=3) as application:
        async with _client(application, ip) as http:
            first = [await _ping(http, _bearer(g)) for g in guesses]
            assert [r.status_code for r in first] == [401, 401, 401]
            blocked = await _ping(http, _bearer(f"opaque-guess-{uuid.uuid4().hex}"))
            _assert_refused_before_verification(blocked, settings.failed_login_window_s)
            error = blocked.json()["errors"][0]
            assert error["extensions"]["code"] == "RATE_LIMITED"
            assert error["extensions"]["retryAfter"] == int(blocked.headers["retry-after"])
            # A valid credential from that address is refused too, unread ...
            _assert_refused_before_verification(
                await _ping(http, _bearer(good)), settings.failed_login_window_s
            )
            # ... while a request without credentials is no login attempt (and is anonymous).
            anonymous = await _ping(http, {})
            assert (anonymous.status_code, _code(anonymous)) == (200, "UNAUTHENTICATED")
        async with _client(application, elsewhere) as http:
            other = await _ping(http, _bearer(good))
            assert (other.status_code, _code(other)) == (200, ""), other.text

        events = await _audit(application, issue_token("admin", mfa=True), "login.failed", ip)
    assert len(events) == 3, events  # the refused fourth attempt was never verified
    for event in events:
        assert (event["principal"], event["principalKind"], event["outcome"]) == (
            "anonymous",
            "anonymous",
            "UNAUTHENTICATED",
        )
        assert event["details"]["method"] == "bearer"
    reasons = sorted(e["details"]["reason"] for e in events)
    assert "The token's signature is invalid" in reasons
    assert all("well-formed JWT" in r for r in reasons if "signature" not in r)
    written = json.dumps(events) + caplog.text
    for guess in guesses:
        assert guess not in written
        assert guess.rsplit(".", 1)[-1] not in written  # not even the forged signature
    assert "reached the failed-login limit" in caplog.text


async def test_bad_api_keys_count_and_are_audited_by_key_id_only(
    settings: Settings, clean_graph: None, issue_token: Any
) -> None:
    ip = _address()
    key_id = str(uuid.uuid4())
    secret = "s" * 43
    async with guarded_app(settings, failed_logins_per_ip=2) as application:
        async with _client(application, ip) as http:
            unknown = await _ping(http, {"X-API-Key": f"sfmk_{key_id}_{secret}"})
            malformed = await _ping(http, _bearer("sfmk_not-a-key"))
            assert (unknown.status_code, malformed.status_code) == (401, 401)
            blocked = await _ping(http, {"X-API-Key": f"sfmk_{key_id}_{secret}"})
            _assert_refused_before_verification(blocked, settings.failed_login_window_s)
        events = await _audit(application, issue_token("admin", mfa=True), "login.failed", ip)
    assert sorted(e["principal"] for e in events) == sorted([key_id, "anonymous"])
    assert {e["details"]["method"] for e in events} == {"api_key"}
    assert secret not in json.dumps(events)


async def test_the_token_endpoint_counts_wrong_secrets_and_audits_logins(
    settings: Settings, clean_graph: None, issue_token: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ip, elsewhere = _address(), _address()
    wrong = f"wrong-{uuid.uuid4().hex}"
    form = {"grant_type": "client_credentials"}
    async with guarded_app(settings, failed_logins_per_ip=3) as application:
        record, secret = await oauth_clients.register_client(
            db=application.state.services.db,
            name="etl",
            roles=["viewer"],
            expires_at=None,
            created_by="test",
        )
        async with _client(application, ip) as http:
            attempts = [
                await http.post("/oauth/token", data=form, auth=(record.client_id, wrong))
                for _ in range(3)
            ]
            assert [r.status_code for r in attempts] == [401, 401, 401]
            blocked = await http.post("/oauth/token", data=form, auth=(record.client_id, secret))
            _assert_refused_before_verification(blocked, settings.failed_login_window_s)
            assert blocked.json()["error"] == "rate_limited"
            # The token endpoint's budget is the address's: /graphql is refused as well.
            token = issue_token("viewer")
            assert (await _ping(http, _bearer(token))).status_code == 429
        async with _client(application, elsewhere) as http:
            issued = await http.post("/oauth/token", data=form, auth=(record.client_id, secret))
            assert issued.status_code == 200, issued.text

        admin = issue_token("admin", mfa=True)
        failed = await _audit(application, admin, "login.failed", ip)
        logins = await _audit(application, admin, "login", elsewhere)
    assert [(e["principal"], e["outcome"]) for e in failed] == [
        (record.client_id, "UNAUTHENTICATED")
    ] * 3
    assert {e["details"]["method"] for e in failed} == {"client_credentials"}
    assert {e["details"]["reason"] for e in failed} == {"wrong secret"}
    assert [(e["principal"], e["principalKind"], e["outcome"]) for e in logins] == [
        (record.client_id, "client", "success")
    ]
    assert logins[0]["details"]["method"] == "client_credentials"
    written = json.dumps(failed + logins) + caplog.text
    assert wrong not in written
    assert secret not in written
    assert issued.json()["access_token"] not in written


async def test_an_address_is_let_in_again_when_its_window_frees_points(
    settings: Settings, clean_graph: None, issue_token: Any
) -> None:
    ip = _address()
    good = issue_token("viewer")
    window_s = 2
    async with (
        guarded_app(
            settings, failed_logins_per_ip=2, failed_login_window_s=window_s
        ) as application,
        _client(application, ip) as http,
    ):
        for _ in range(2):
            assert (await _ping(http, _bearer("guess"))).status_code == 401
        blocked = await _ping(http, _bearer(good))
        _assert_refused_before_verification(blocked, window_s)
        # Refused attempts are not counted, so retrying while blocked does not extend the block.
        started = time.monotonic()
        while (response := await _ping(http, _bearer(good))).status_code == 429:
            assert time.monotonic() - started < 3 * window_s, "still refused after the window"
            await asyncio.sleep(0.2)
    assert (response.status_code, _code(response)) == (200, "")
