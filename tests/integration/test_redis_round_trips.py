"""Redis round trips per request, counted on the real client against the real Redis, and the
limits they carry: the failed-login gate and the cost budget, atomic under concurrency and
falling back to per-process counting without Redis.

A round trip is one `send_packed_command` of redis-py's asyncio connection: a command, a
pipeline or a script call each send once and then read their answers. The counter counts only
what the request being served sends (a context variable, which the ASGI transport carries into
the app), never the app's background tasks.
"""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio.connection import AbstractConnection
from starlette.applications import Starlette

from sfm_graphql.app import create_app
from sfm_graphql.security.login_guard import address_key
from sfm_graphql.settings import Settings
from tests.integration.test_login_bursts import served

pytestmark = pytest.mark.integration

PING = "{ deliveryKinds { kind } }"  # no database work
ONE_POINT = "{ rateLimit { remaining } }"
_sent: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("sent", default=None)

ATTEMPTS = 3
GATE_LIMITS = (13, 17, 19)


@pytest.fixture
def count_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    """Count every send of a redis-py asyncio connection made while `_sent` holds a list."""
    original = AbstractConnection.send_packed_command

    async def counted(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        sent = _sent.get()
        if sent is not None:
            first = command if isinstance(command, bytes | str) else b"".join(command)
            sent.append(first.split(b"\r\n")[2].decode() if isinstance(first, bytes) else first)
        await original(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)


@contextmanager
def counting() -> Iterator[list[str]]:
    """The commands (their names) the requests made inside the block sent to Redis."""
    sent: list[str] = []
    token = _sent.set(sent)
    try:
        yield sent
    finally:
        _sent.reset(token)


@asynccontextmanager
async def serve(settings: Settings, **update: Any) -> AsyncIterator[Starlette]:
    application = create_app(settings.model_copy(update=update))
    async with application.router.lifespan_context(application):
        yield application


def client(app: Starlette, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)


async def test_an_authenticated_request_costs_one_redis_round_trip(
    settings: Settings, issue_token: Any, count_round_trips: None
) -> None:
    warm, token = (issue_token("viewer", subject=f"trips-{uuid.uuid4()}") for _ in "ab")
    async with serve(settings) as app, client(app) as http:
        # Connected, and the script loaded, by a request of another token.
        await http.post(
            "/graphql", json={"query": PING}, headers={"Authorization": f"Bearer {warm}"}
        )
        headers = {"Authorization": f"Bearer {token}"}
        with counting() as first:  # a token this process has not verified yet
            assert (
                await http.post("/graphql", json={"query": PING}, headers=headers)
            ).status_code == 200
        with counting() as sent:  # the same token again: verified before, no guess
            response = await http.post("/graphql", json={"query": PING}, headers=headers)
    # First the gate's reservation, then the cost spend carrying its refund; then the gate's
    # check and the cost spend in one script.
    assert first == ["EVALSHA", "EVALSHA"], first
    assert response.status_code == 200, response.text
    assert sent == ["EVALSHA"], sent


async def test_an_anonymous_request_costs_one_round_trip(
    settings: Settings, count_round_trips: None
) -> None:
    # Its address's budget is charged (then the data fields refuse it): one script.
    async with serve(settings) as app, client(app) as http:
        await http.post("/graphql", json={"query": ONE_POINT})  # the script is loaded
        with counting() as sent:
            response = await http.post("/graphql", json={"query": ONE_POINT})
    assert response.json()["extensions"]["cost"]["requested"] == 1, response.text
    assert sent == ["EVALSHA"], sent


async def test_a_refused_credential_costs_one_round_trip_and_keeps_its_point(
    settings: Settings, count_round_trips: None
) -> None:
    bad = {"Authorization": "Bearer not-a-token"}
    async with serve(settings, failed_logins_per_ip=50) as app, client(app, bad) as http:
        await http.post("/graphql", json={"query": PING})
        with counting() as sent:
            response = await http.post("/graphql", json={"query": PING})
    assert response.status_code == 401
    assert sent == ["EVALSHA"], sent  # the reservation; the failure keeps it, nothing else


async def test_concurrent_requests_at_the_cost_limit_admit_exactly_the_budget(
    settings: Settings, issue_token: Any
) -> None:
    budget, burst = 25, 40  # viewer budget of 25 points; each request costs one
    budgets = {**settings.rate_limit_points_by_role, "viewer": budget}
    update = {"rate_limit_points_by_role": budgets, "max_concurrent_requests": 2 * burst}
    # Exact while Redis answers within its timeout; a burst during which it did not (each process
    # then counts on its own, by design) is sent again with a fresh subject, at most three times.
    for _ in range(ATTEMPTS):
        token = issue_token("viewer", subject=f"burst-{uuid.uuid4()}")
        with served(settings, **update) as (url, app):
            headers = {"Authorization": f"Bearer {token}"}
            limits = httpx.Limits(max_connections=burst)
            async with httpx.AsyncClient(
                base_url=url, headers=headers, timeout=60, limits=limits
            ) as http:
                responses = await asyncio.gather(
                    *(http.post("/graphql", json={"query": ONE_POINT}) for _ in range(burst))
                )
            if app.state.services.rate_limiter.fallbacks == 0:
                break
    else:
        pytest.fail(f"Redis timed out in each of {ATTEMPTS} bursts (machine overloaded?)")
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == budget, statuses
    assert statuses.count(429) == burst - budget, statuses
    refused = next(r for r in responses if r.status_code == 429)
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_concurrent_wrong_credentials_at_the_gate_verify_exactly_the_limit(
    settings: Settings,
) -> None:
    burst = 30
    # Limits no other test of 127.0.0.1 uses: each its own Redis key. Exact while Redis answers
    # within its timeout; a burst during which it did not is sent again at the next limit.
    for limit in GATE_LIMITS:
        update = {"failed_logins_per_ip": limit, "max_concurrent_requests": 2 * burst}
        with served(settings, **update) as (url, app):
            bad = {"Authorization": f"Bearer not-a-token-{uuid.uuid4()}"}
            limits = httpx.Limits(max_connections=burst)
            async with httpx.AsyncClient(
                base_url=url, headers=bad, timeout=60, limits=limits
            ) as http:
                responses = await asyncio.gather(
                    *(http.post("/graphql", json={"query": PING}) for _ in range(burst))
                )
            if app.state.services.rate_limiter.fallbacks == 0:
                break
    else:
        pytest.fail(f"Redis timed out in each of {len(GATE_LIMITS)} bursts (machine overloaded?)")
    statuses = [r.status_code for r in responses]
    assert statuses.count(401) == limit, statuses
    assert statuses.count(429) == burst - limit, statuses
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.headers["Cache-Control"] == "no-store"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_valid_requests_leave_the_gate_budget_whole_in_the_limits_layout(
    settings: Settings, issue_token: Any
) -> None:
    # The counters are `limits`' own keys: its Redis storage reads what the script wrote.
    limit = 4
    token = issue_token("viewer", subject=f"whole-{uuid.uuid4()}")
    ip = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    async with serve(settings, failed_logins_per_ip=limit) as app:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as http:
            codes = await asyncio.gather(
                *(http.post("/graphql", json={"query": PING}) for _ in range(3 * limit))
            )
            assert {r.status_code for r in codes} <= {200, 429}
            after = [
                (await http.post("/graphql", json={"query": PING})).status_code
                for _ in range(3 * limit)
            ]
    assert after == [200] * (3 * limit)  # every point came back with its request's cost spend
    uri = settings.redis_url.replace("redis://", "async+redis://", 1)
    storage = RedisStorage(uri, implementation="redispy", key_prefix="sfm-ratelimit")
    item = RateLimitItemPerSecond(limit, settings.failed_login_window_s)
    stats = await SlidingWindowCounterRateLimiter(storage).get_window_stats(item, address_key(ip))
    assert stats.remaining == limit


async def test_without_redis_the_gate_and_the_budget_count_in_the_process(
    settings: Settings, issue_token: Any
) -> None:
    token = issue_token("viewer", subject=f"offline-gate-{uuid.uuid4()}")
    async with serve(settings, redis_url="redis://127.0.0.1:1/0", failed_logins_per_ip=3) as app:
        async with client(app, {"Authorization": f"Bearer {token}"}) as good:
            valid = [(await good.post("/graphql", json={"query": PING})).status_code for _ in "ab"]
        async with client(app, {"Authorization": "Bearer not-a-token"}) as bad:
            wrong = [(await bad.post("/graphql", json={"query": PING})).status_code for _ in "abcd"]
        async with client(app, {"Authorization": f"Bearer {token}"}) as good:
            locked_out = await good.post("/graphql", json={"query": PING})
        assert app.state.services.rate_limiter.degraded
    assert valid == [200, 200]  # valid logins gave their points back, in this process
    assert wrong == [401, 401, 401, 429]
    assert locked_out.status_code == 429


async def test_a_remembered_token_from_a_blocked_address_gets_the_gates_429_and_spends_nothing(
    settings: Settings, issue_token: Any
) -> None:
    limit = 2
    token = issue_token("viewer", subject=f"remembered-{uuid.uuid4()}")
    ip = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    good, bad = {"Authorization": f"Bearer {token}"}, {"Authorization": "Bearer not-a-token"}
    async with serve(settings, failed_logins_per_ip=limit) as app:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            spent = await http.post("/graphql", json={"query": ONE_POINT}, headers=good)
            remaining = spent.json()["data"]["rateLimit"]["remaining"]
            wrong = [
                (await http.post("/graphql", json={"query": PING}, headers=bad)).status_code
                for _ in range(limit)
            ]
            # Checked with its cost spend, which is then not applied ...
            refused = await http.post("/graphql", json={"query": ONE_POINT}, headers=good)
            # ... and checked as the response starts when nothing spends (a syntax error).
            unparsed = await http.post("/graphql", json={"query": "{"}, headers=good)
            gated = await http.post("/graphql", json={"query": PING}, headers=bad)
        # From another address the same token has its whole budget but the one point above.
        async with client(app, good) as elsewhere:
            after = await elsewhere.post("/graphql", json={"query": ONE_POINT})
    assert spent.status_code == 200 and wrong == [401] * limit
    for response in (refused, unparsed, gated):
        assert response.status_code == 429, response.text
        assert response.headers["Cache-Control"] == "no-store"
        assert 1 <= int(response.headers["Retry-After"]) <= settings.failed_login_window_s + 1
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["message"].startswith("Too many failed logins from this address")
        assert set(error["extensions"]) >= {"resetAt", "retryAfter"}
    assert refused.json().keys() == gated.json().keys()  # the gate's answer, whatever the path
    assert after.json()["data"]["rateLimit"]["remaining"] == remaining - 1, after.text


async def test_a_mutation_with_a_remembered_token_from_a_blocked_address_runs_nothing(
    settings: Settings, issue_token: Any, neo4j_driver: Any
) -> None:
    subject = f"blocked-editor-{uuid.uuid4()}"
    editor = {"Authorization": f"Bearer {issue_token('editor', subject=subject)}"}
    admin = {"Authorization": f"Bearer {issue_token('admin', mfa=True)}"}
    label = f"never-{uuid.uuid4()}"
    create = {
        "query": "mutation Create($input: CreateComponentInput!) "
        "{ createComponent(input: $input) { component { id } } }",
        "variables": {"input": {"type": "POLICY", "label": label}},
    }
    ip = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    async with serve(settings, failed_logins_per_ip=1) as app:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert (await http.post("/graphql", json={"query": PING}, headers=editor)).is_success
            bad = {"Authorization": "Bearer not-a-token"}
            assert (
                await http.post("/graphql", json={"query": PING}, headers=bad)
            ).status_code == 401
            refused = await http.post("/graphql", json=create, headers=editor)
        async with client(app, admin) as http:
            audit = await http.post(
                "/graphql",
                json={
                    "query": "query($f: AuditLogFilter) { auditLog(first: 10, filter: $f) "
                    "{ edges { node { action } } } }",
                    "variables": {"f": {"principal": subject, "action": "mutation.refused"}},
                },
            )
    assert refused.status_code == 429, refused.text
    assert refused.json()["errors"][0]["message"].startswith("Too many failed logins")
    with neo4j_driver.session() as session:
        created = session.run("MATCH (c {label: $label}) RETURN count(c) AS n", label=label)
        assert created.single()["n"] == 0  # nothing ran
    assert audit.json()["data"]["auditLog"]["edges"] == [], audit.text  # an attempt, not audited
