"""Prometheus metrics after real traffic: counts and labels, bounded cardinality, the scrape
credential, and several worker processes adding up (docs/observability.md, Metrics).

Counters accumulate over the whole suite, so each test compares a scrape before its traffic with
one after it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sfm_graphql.app import create_app
from sfm_graphql.security.principal import Role
from sfm_graphql.settings import Settings
from tests.integration.helpers import create_component, create_delivery
from tests.paths import ROOT
from tests.services import METRICS_TOKEN, GraphQLClient, free_port, serving, stop_process

pytestmark = pytest.mark.integration

SCRAPE = {"Authorization": f"Bearer {METRICS_TOKEN}"}
KINDS = "query MetricsKinds { deliveryKinds { kind } }"
SFM_GRAPHQL = str(Path(sys.executable).parent / "sfm-graphql")


class Scrape:
    """One /metrics answer, parsed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples = [
            (sample.name, sample.labels, sample.value)
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        ]

    def value(self, name: str, **labels: str) -> float:
        """The sum over the samples of `name` whose labels include `labels` (0 when none)."""
        return sum(
            value
            for sample_name, sample_labels, value in self.samples
            if sample_name == name and labels.items() <= sample_labels.items()
        )

    def label_values(self, name: str, label: str) -> set[str]:
        return {labels[label] for n, labels, _ in self.samples if n == name and label in labels}


async def scrape(http: httpx.AsyncClient) -> Scrape:
    response = await http.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return Scrape(response.text)


def delta(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    return after.value(name, **labels) - before.value(name, **labels)


@pytest.fixture
async def http(app: Any, clean_graph: None) -> AsyncIterator[httpx.AsyncClient]:
    """The session app over ASGI from a loopback address, without credentials."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture(scope="module")
def metrics_server_url(settings: Settings) -> Iterator[str]:
    """A fresh app of its own over real HTTP: the session's live server has seen so many
    operation names by now that new ones may already read `other`."""
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
async def strict_app(settings: Settings) -> AsyncIterator[Any]:
    """An app with tiny limits: a 1 KiB body, a 1-point anonymous budget, 20 operation names."""
    strict = settings.model_copy(
        update={
            "max_request_bytes": 1024,
            "rate_limit_points_by_role": {**settings.rate_limit_points_by_role, "anonymous": 1},
            "metrics_max_operation_names": 20,
        }
    )
    application = create_app(strict)
    async with application.router.lifespan_context(application):
        yield application


# -- GraphQL operations, errors, cost -------------------------------------------------------------


async def test_operations_are_counted_by_name_type_and_outcome_over_real_http(
    metrics_server_url: str, issue_token: Any, clean_graph: None
) -> None:
    headers = {"Authorization": f"Bearer {issue_token('admin', mfa=True)}"}
    async with httpx.AsyncClient(base_url=metrics_server_url, headers=headers, timeout=30) as http:
        before = await scrape(http)
        for _ in range(3):
            assert (await http.post("/graphql", json={"query": KINDS})).status_code == 200
        await http.post("/graphql", json={"query": "{ deliveryKinds { kind } }"})
        missing = (
            'mutation MetricsDelete { deleteDelivery(id: "RGVsaXZlcnk6bm9uZQ==") { deletedId } }'
        )
        await http.post("/graphql", json={"query": missing})
        after = await scrape(http)

    ops = "sfm_graphql_operations_total"
    assert delta(before, after, ops, operation="MetricsKinds", type="query", outcome="success") == 3
    assert delta(before, after, ops, operation="anonymous", type="query", outcome="success") == 1
    assert delta(before, after, ops, operation="MetricsDelete", type="mutation") == 1
    duration = "sfm_graphql_operation_duration_seconds_count"
    assert delta(before, after, duration, operation="MetricsKinds", type="query") == 3
    assert delta(before, after, "sfm_requests_total", method="POST", route="/graphql") == 5
    assert delta(before, after, "sfm_request_duration_seconds_count", route="/graphql") == 5
    # The document, its arguments and ids are never label values.
    assert "RGVsaXZlcnk" not in after.text and "deliveryKinds" not in after.text


async def test_the_static_cost_of_each_operation_is_observed(
    http: httpx.AsyncClient, issue_token: Any
) -> None:
    headers = {"Authorization": f"Bearer {issue_token('viewer')}"}
    before = await scrape(http)
    body = (await http.post("/graphql", json={"query": KINDS}, headers=headers)).json()
    after = await scrape(http)
    cost = body["extensions"]["cost"]["requested"]
    assert cost > 0
    assert delta(before, after, "sfm_query_complexity_count", type="query") == 1
    assert delta(before, after, "sfm_query_complexity_sum", type="query") == cost


async def test_errors_are_counted_by_code_from_graphql_and_http_refusals(
    http: httpx.AsyncClient,
) -> None:
    before = await scrape(http)
    await http.post("/graphql", json={"query": "{ deliveryKinds { kind "})  # parse
    await http.post("/graphql", json={"query": "{ noSuchField }"})  # validation
    await http.post("/graphql", json={"query": KINDS})  # anonymous: the field refuses
    await http.get("/graphql", params={"query": "mutation { createScenario(name: 1) }"})
    await http.post("/graphql", content=b"{}", headers={"content-type": "text/plain"})
    unknown_hash = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    await http.post(
        "/graphql",
        json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": unknown_hash}}},
    )
    await http.get("/no/such/route")
    after = await scrape(http)
    for code in (
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "UNAUTHENTICATED",
        "METHOD_NOT_ALLOWED",
        "UNSUPPORTED_MEDIA_TYPE",
        "PERSISTED_QUERY_NOT_FOUND",
        "HTTP_4XX",  # the 404 of an unknown route carries no code
    ):
        assert delta(before, after, "sfm_errors_total", code=code) == 1, code
    assert delta(before, after, "sfm_errors_total", code="INTERNAL_SERVER_ERROR") == 0


async def test_payload_too_large_and_rate_limited_refusals_are_counted(strict_app: Any) -> None:
    transport = httpx.ASGITransport(app=strict_app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        before = await scrape(http)
        too_large = await http.post("/graphql", json={"query": "{ __typename }" + " " * 2000})
        limited = await http.post("/graphql", json={"query": KINDS})
        after = await scrape(http)
    assert too_large.status_code == 413 and limited.status_code == 429
    assert delta(before, after, "sfm_errors_total", code="PAYLOAD_TOO_LARGE") == 1
    assert delta(before, after, "sfm_errors_total", code="RATE_LIMITED") == 1
    assert delta(before, after, "sfm_rate_limited_total", route="/graphql") == 1
    # Refused before routing, the body still counts under its route's template.
    assert delta(before, after, "sfm_requests_total", route="/graphql", status="4xx") == 2


async def test_operation_name_labels_stay_bounded_under_a_thousand_distinct_names(
    strict_app: Any, issue_token: Any
) -> None:
    headers = {"Authorization": f"Bearer {issue_token('viewer')}"}
    transport = httpx.ASGITransport(app=strict_app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers=headers
    ) as http:
        before = await scrape(http)
        prefix = f"Op{uuid.uuid4().hex[:8]}"
        for i in range(1000):
            response = await http.post(
                "/graphql", json={"query": f"query {prefix}_{i} {{ __typename }}"}
            )
            assert response.status_code == 200
        after = await scrape(http)
    names = after.label_values("sfm_graphql_operations_total", "operation")
    assert len(names - {"other", "anonymous", "invalid"}) <= 20
    counted = delta(before, after, "sfm_graphql_operations_total")
    assert counted == 1000
    admitted = {n for n in names if n.startswith(prefix)}
    assert delta(before, after, "sfm_graphql_operations_total", operation="other") == 1000 - len(
        admitted
    )
    # The whole exposition stays small: 1,000 names did not make 1,000 series.
    assert len(after.samples) < 2000


# -- Cypher, caches, authentication ---------------------------------------------------------------


async def test_cypher_statements_are_counted_per_query_file(
    app: Any, gql: GraphQLClient, statements: Any
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        before = await scrape(http)
        policy = await create_component(gql, "POLICY", "Metrics policy")
        actor = await create_component(gql, "ACTOR", "Metrics actor")
        await create_delivery(gql, policy, actor, "REGULATES", deliveryType="RULE")
        await gql.data("{ components(first: 5) { edges { node { id } } } }")
        ran = list(statements.names)
        after = await scrape(http)
    assert ran, "the traffic ran no statement"
    for name in set(ran):
        assert delta(before, after, "sfm_cypher_queries_total", query=name) == ran.count(name)
        count = "sfm_cypher_query_duration_seconds_count"
        assert delta(before, after, count, query=name) == ran.count(name)
    assert "components/create" in ran and "compose/components_page" in ran


async def test_cache_hits_and_misses_are_counted(
    http: httpx.AsyncClient, keyed_gql: Any, issue_token: Any
) -> None:
    # Only an authenticated caller's accepted operation is stored (docs/security.md, APQ).
    auth = {"Authorization": f"Bearer {issue_token('viewer', subject='metrics-apq')}"}
    before = await scrape(http)
    query = f"query MetricsApq{uuid.uuid4().hex[:8]} {{ __typename }}"
    persisted = {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
    miss = await http.post(
        "/graphql", json={"extensions": {"persistedQuery": persisted}}, headers=auth
    )
    await http.post(
        "/graphql",
        json={"query": query, "extensions": {"persistedQuery": persisted}},
        headers=auth,
    )
    hit = await http.post(
        "/graphql", json={"extensions": {"persistedQuery": persisted}}, headers=auth
    )
    keyed = await keyed_gql(Role.VIEWER)
    for _ in range(2):  # the first use reads the key from Neo4j, the second from the cache
        await keyed.data("{ deliveryKinds { kind } }")
    after = await scrape(http)
    assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert hit.json()["data"] == {"__typename": "Query"}
    assert delta(before, after, "sfm_cache_misses_total", cache="apq") == 1
    assert delta(before, after, "sfm_cache_hits_total", cache="apq") == 1
    assert delta(before, after, "sfm_cache_misses_total", cache="api_key") == 1
    assert delta(before, after, "sfm_cache_hits_total", cache="api_key") == 1
    for cache in ("apq", "api_key"):
        assert 0 <= after.value("sfm_cache_hit_rate", cache=cache) <= 1


async def test_failed_authentications_are_counted_by_credential_and_reason(
    http: httpx.AsyncClient,
) -> None:
    before = await scrape(http)
    await http.post("/graphql", json={"query": KINDS}, headers={"Authorization": "Bearer x.y"})
    await http.post("/graphql", json={"query": KINDS}, headers={"X-API-Key": "sfmk_nope_nope"})
    await http.get("/metrics", headers={"Authorization": "Bearer not-the-scrape-credential"})
    form = {"grant_type": "client_credentials"}
    await http.post("/oauth/token", data=form, auth=("sfmc_metrics_ghost", "nope"))
    after = await scrape(http)
    failures = "sfm_auth_failures_total"
    assert delta(before, after, failures, credential="token", reason="malformed") == 1
    assert delta(before, after, failures, credential="api_key", reason="invalid") == 1
    assert delta(before, after, failures, credential="metrics_token", reason="invalid") == 1
    assert delta(before, after, failures, credential="client_secret", reason="invalid") == 1
    assert delta(before, after, failures) == 4


# -- the scrape credential, routes, gauges --------------------------------------------------------


async def test_metrics_are_refused_without_the_scrape_credential(
    http: httpx.AsyncClient, issue_token: Any
) -> None:
    admin = {"Authorization": f"Bearer {issue_token('admin', mfa=True)}"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, admin, {"X-API-Key": METRICS_TOKEN}):
        refused = await http.get("/metrics", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "sfm_" not in refused.text
    assert (await http.post("/metrics", headers=SCRAPE)).status_code == 405
    assert (await http.get("/metrics", headers=SCRAPE)).status_code == 200


async def test_metrics_without_a_configured_credential_refuse_everyone(settings: Settings) -> None:
    application = create_app(settings.model_copy(update={"metrics_token": None}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/metrics", headers=SCRAPE)
    assert response.status_code == 401
    assert "SFM_METRICS_TOKEN" in response.json()["errors"][0]["message"]


async def test_with_metrics_disabled_there_is_no_endpoint_and_nothing_is_observed(
    settings: Settings,
) -> None:
    application = create_app(settings.model_copy(update={"metrics_enabled": False}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert (await http.post("/graphql", json={"query": KINDS})).status_code == 200
            assert (await http.get("/metrics", headers=SCRAPE)).status_code == 404
    assert application.state.services.metrics_setup.metrics.requests.collect()[0].samples == []


async def test_routes_are_labelled_by_template_never_by_raw_path(http: httpx.AsyncClient) -> None:
    before = await scrape(http)
    assert (await http.get("/static/graphiql/init.js")).status_code == 200
    await http.get("/no/such/path/8d1c2f")
    after = await scrape(http)
    assert delta(before, after, "sfm_requests_total", route="/static/graphiql", status="2xx") == 1
    assert delta(before, after, "sfm_requests_total", route="unmatched", status="4xx") == 1
    assert "8d1c2f" not in after.text and "init.js" not in after.text


async def test_graph_size_and_active_users_are_refreshed_on_the_timer(
    app: Any, http: httpx.AsyncClient, gql: GraphQLClient, issue_token: Any
) -> None:
    policy = await create_component(gql, "POLICY", "Counted policy")
    actor = await create_component(gql, "ACTOR", "Counted actor")
    await create_delivery(gql, policy, actor, "REGULATES", deliveryType="RULE")
    await app.state.services.metrics_setup.refresh()
    before = await scrape(http)
    for subject in (f"metrics-user-{uuid.uuid4()}", f"metrics-user-{uuid.uuid4()}"):
        token = issue_token("viewer", subject=subject)
        for _ in range(2):  # a principal counts once however often it calls
            await http.post(
                "/graphql", json={"query": KINDS}, headers={"Authorization": f"Bearer {token}"}
            )
    await app.state.services.metrics_setup.refresh()
    after = await scrape(http)
    assert after.value("sfm_graph_nodes_total") == 2
    assert after.value("sfm_graph_deliveries_total") == 1
    assert delta(before, after, "sfm_active_users") == 2
    assert after.value("sfm_memory_usage_bytes") > 10 * 1024 * 1024
    assert after.value("sfm_memory_limit_bytes") >= after.value("sfm_memory_usage_bytes")


async def test_db_connections_count_statements_in_flight_against_the_pool_size(
    app: Any, http: httpx.AsyncClient, settings: Settings
) -> None:
    idle = await scrape(http)
    assert idle.value("sfm_db_connections", state="size") == settings.neo4j_pool_size
    assert idle.value("sfm_db_connections", state="in_use") == 0
    slow = asyncio.create_task(
        app.state.services.db.run_composed(
            "compose/metrics_test_slow", "UNWIND range(1, 3000000) AS x RETURN count(x) AS n", {}
        )
    )
    busy = idle
    deadline = time.monotonic() + 10
    while busy.value("sfm_db_connections", state="in_use") == 0 and not slow.done():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)  # let the statement start: a scrape may never yield
        busy = await scrape(http)
    await slow
    done = await scrape(http)
    assert busy.value("sfm_db_connections", state="in_use") == 1
    assert done.value("sfm_db_connections", state="in_use") == 0


# -- several worker processes ---------------------------------------------------------------------


def _serve_environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        SFM_NEO4J_URI=settings.neo4j_uri,
        SFM_NEO4J_USER=settings.neo4j_user,
        SFM_NEO4J_PASSWORD=settings.neo4j_password.get_secret_value(),
        SFM_REDIS_URL=settings.redis_url,
        SFM_ENVIRONMENT="test",
        SFM_METRICS_TOKEN=METRICS_TOKEN,
        SFM_MIGRATE_ON_START="false",  # the session app applied them; workers would race
        SFM_LOG_LEVEL="WARNING",
        SFM_RATE_LIMIT_POINTS_BY_ROLE='{"anonymous": 10000000}',
    )
    return env


async def test_two_workers_add_up_their_metrics(settings: Settings, app: Any) -> None:
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed below; a pipe could fill and block)
    server = subprocess.Popen(  # noqa: ASYNC220 (a long-lived child, stopped below)
        [SFM_GRAPHQL, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=_serve_environment(settings),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            await _wait_until_ready(http, server)
            name = f"Workers{uuid.uuid4().hex[:8]}"
            pids: set[str] = set()
            # Separate connections, so the kernel spreads them over both workers.
            for _ in range(40):
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as one:
                    response = await one.post(
                        "/graphql", json={"query": f"query {name} {{ __typename }}"}
                    )
                    assert response.status_code == 200
            for _ in range(5):  # whichever worker answers the scrape, it reports every worker
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as one:
                    seen = await scrape(one)
                assert seen.value("sfm_graphql_operations_total", operation=name) == 40
                pids |= seen.label_values("sfm_db_connections", "pid")
            assert len(pids) == 2, f"expected both workers in the scrape, saw pids {pids}"
            assert seen.value("sfm_db_connections", state="size") == 2 * settings.neo4j_pool_size
    finally:
        stop_process(server, 30)
        log.seek(0)
        output = log.read().decode(errors="replace")
        log.close()
    assert server.returncode == 0, output[-3000:]


async def _wait_until_ready(http: httpx.AsyncClient, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "sfm-graphql serve exited at start"
        try:
            if (await http.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError("sfm-graphql serve --workers 2 did not start")
