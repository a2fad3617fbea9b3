"""Concurrent login attacks over real HTTP: the failed-login gate counts before it verifies, and
the token endpoint never runs more client-secret checks (scrypt, 16 MiB each) at once than its
bound.

Each test serves an app of its own with uvicorn on a free loopback port, with small limits, so
the shared app's budgets are untouched (a limit's Redis key includes its size).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.services.access import oauth_clients
from sfm_graphql.settings import Settings
from tests.services import serving

pytestmark = pytest.mark.integration

PING = "{ deliveryKinds { kind } }"
AUDIT = """
query { auditLog(first: 100, filter: {action: "login.failed"}) {
  edges { node { principal clientIp } } } }"""
FORM = {"grant_type": "client_credentials"}


@contextmanager
def served(settings: Settings, **overrides: Any) -> Iterator[tuple[str, Any]]:
    """(base URL, app) of an app with `overrides` served by uvicorn on loopback."""
    application = create_app(settings.model_copy(update=overrides))
    with serving(application) as url:
        yield url, application


async def test_a_burst_of_wrong_logins_lets_at_most_the_limit_through_to_verification(
    settings: Settings, clean_graph: None, issue_token: Any
) -> None:
    limit, burst = 5, 40
    # Well-formed keys of unknown ids: each verification is a real lookup, as a guess would be.
    guesses = [f"sfmk_{uuid.uuid4()}_{'s' * 43}" for _ in range(burst)]
    with served(settings, failed_logins_per_ip=limit) as (url, _):
        limits = httpx.Limits(max_connections=burst)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
            responses = await asyncio.gather(
                *(
                    http.post("/graphql", json={"query": PING}, headers={"X-API-Key": g})
                    for g in guesses
                )
            )
            statuses = [r.status_code for r in responses]
            assert set(statuses) <= {401, 429}, statuses
            assert statuses.count(401) <= limit, statuses
            assert statuses.count(429) >= burst - limit
            # The budget is spent: even a valid credential from this address is refused now.
            good = {"Authorization": f"Bearer {issue_token('viewer')}"}
            after = await http.post("/graphql", json={"query": PING}, headers=good)
            assert after.status_code == 429
    # Only the attempts that were verified were audited as failed logins.
    with served(settings) as (url, _):
        admin = {"Authorization": f"Bearer {issue_token('admin', mfa=True)}"}
        async with httpx.AsyncClient(base_url=url, timeout=30, headers=admin) as http:
            body = (await http.post("/graphql", json={"query": AUDIT})).json()
    claimed = {g.split("_")[1] for g in guesses}
    verified = [
        e["node"] for e in body["data"]["auditLog"]["edges"] if e["node"]["principal"] in claimed
    ]
    assert 1 <= len(verified) <= limit, verified


async def test_valid_logins_give_their_reserved_point_back(
    settings: Settings, clean_graph: None, issue_token: Any
) -> None:
    limit = 3
    good = {"Authorization": f"Bearer {issue_token('viewer')}"}
    with served(settings, failed_logins_per_ip=limit) as (url, _):
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            # Many more valid requests than the limit, some at once: none is refused.
            for _ in range(3):
                batch = await asyncio.gather(
                    *(http.post("/graphql", json={"query": PING}, headers=good) for _ in range(2))
                )
                assert [r.status_code for r in batch] == [200, 200]
            # The budget is whole: `limit` wrong tokens are still verified, then the gate shuts.
            wrong = {"Authorization": "Bearer not-a-token"}
            codes = [
                (await http.post("/graphql", json={"query": PING}, headers=wrong)).status_code
                for _ in range(limit + 1)
            ]
            assert codes == [401] * limit + [429]


async def test_concurrent_token_requests_never_run_more_scrypt_checks_than_the_bound(
    settings: Settings, app: Any, clean_graph: None
) -> None:
    bound, burst = 2, 40
    record, secret = await _register_client(app)
    with served(settings, max_concurrent_secret_checks=bound, secret_check_wait_s=10) as (url, _):
        oauth_clients.SCRYPT_RUNNING.reset_peak()
        limits = httpx.Limits(max_connections=burst)
        async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
            responses = await asyncio.gather(
                *(
                    http.post("/oauth/token", data=FORM, auth=(record.client_id, secret))
                    for _ in range(burst)
                )
            )
    assert [r.status_code for r in responses] == [200] * burst, responses[0].text
    assert oauth_clients.SCRYPT_RUNNING.peak == bound  # the bound held, and was reached


async def test_token_requests_beyond_the_bound_get_a_fast_503_and_are_no_failed_login(
    settings: Settings, app: Any, clean_graph: None
) -> None:
    burst, limit = 20, 21  # every attempt of the burst can reserve a failed-login point
    record, secret = await _register_client(app)
    with served(
        settings, max_concurrent_secret_checks=1, secret_check_wait_s=0, failed_logins_per_ip=limit
    ) as (url, _):
        oauth_clients.SCRYPT_RUNNING.reset_peak()
        limits = httpx.Limits(max_connections=burst)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
            responses = await asyncio.gather(
                *(
                    http.post("/oauth/token", data=FORM, auth=(record.client_id, secret))
                    for _ in range(burst)
                )
            )
            busy = [r for r in responses if r.status_code == 503]
            assert busy, [r.status_code for r in responses]
            assert {r.status_code for r in responses} <= {200, 503}
            for response in busy:
                assert response.json()["error"] == "temporarily_unavailable"
                assert response.headers["retry-after"] == "1"
            # Refused for load, not for a wrong secret: the address's login budget is whole.
            wrong = [
                (
                    await http.post("/oauth/token", data=FORM, auth=(record.client_id, "x"))
                ).status_code
                for _ in range(limit + 1)
            ]
            assert wrong == [401] * limit + [429]
    assert oauth_clients.SCRYPT_RUNNING.peak == 1


async def _register_client(app: Any) -> tuple[Any, str]:
    """A client registered through the shared app's database (the same Neo4j)."""
    record, secret = await oauth_clients.register_client(
        db=app.state.services.db, name="burst", roles=["viewer"], expires_at=None, created_by="test"
    )
    return record, secret
