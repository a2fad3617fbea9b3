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


async def test_an_authenticated_request_costs_two_redis_round_trips(
    settings: Settings, issue_token: Any, count_round_trips: None
) -> None:
    # The gate's reservation, then the cost spend carrying the gate's refund: one script each.
    token = issue_token("viewer", subject=f"trips-{uuid.uuid4()}")
    async with serve(settings) as app, client(app, {"Authorization": f"Bearer {token}"}) as http:
        assert (await http.post("/graphql", json={"query": PING})).status_code == 200  # warm
        with counting() as sent:
            response = await http.post("/graphql", json={"query": PING})
    assert response.status_code == 200, response.text
    assert sent == ["EVALSHA", "EVALSHA"], sent


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
    budget, burst = 25, 60  # viewer budget of 25 points; each request costs one
    token = issue_token("viewer", subject=f"burst-{uuid.uuid4()}")
    budgets = {**settings.rate_limit_points_by_role, "viewer": budget}
    update = {"rate_limit_points_by_role": budgets, "max_concurrent_requests": 2 * burst}
    with served(settings, **update) as (url, _):
        headers = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=burst)
        async with httpx.AsyncClient(
            base_url=url, headers=headers, timeout=60, limits=limits
        ) as http:
            responses = await asyncio.gather(
                *(http.post("/graphql", json={"query": ONE_POINT}) for _ in range(burst))
            )
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == budget, statuses
    assert statuses.count(429) == burst - budget, statuses
    refused = next(r for r in responses if r.status_code == 429)
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_concurrent_wrong_credentials_at_the_gate_verify_exactly_the_limit(
    settings: Settings,
) -> None:
    limit, burst = 7, 50
    update = {"failed_logins_per_ip": limit, "max_concurrent_requests": 2 * burst}
    with served(settings, **update) as (url, _):
        bad = {"Authorization": f"Bearer not-a-token-{uuid.uuid4()}"}
        limits = httpx.Limits(max_connections=burst)
        async with httpx.AsyncClient(base_url=url, headers=bad, timeout=60, limits=limits) as http:
            responses = await asyncio.gather(
                *(http.post("/graphql", json={"query": PING}) for _ in range(burst))
            )
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
