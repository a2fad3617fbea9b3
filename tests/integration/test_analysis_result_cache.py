"""Every analysis is cached under (operation, arguments, graph revision), over HTTP against the
real Neo4j and Redis: a second identical call is a hit with the same answer, a write changes
the answer, without Redis the in-process cache serves correctly, and a cached result never
carries what one caller may see to another."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis

from sfm_graphql.app import create_app
from sfm_graphql.security.principal import Role
from sfm_graphql.services.analytics.cache import KEY_PREFIX, AnalysisCache
from sfm_graphql.settings import Settings
from tests.integration.helpers import create_component, create_delivery
from tests.integration.test_metrics import delta, scrape
from tests.services import GraphQLClient, free_port

pytestmark = pytest.mark.integration

# Every analytics operation, each reading its answer with components and deliveries named.
OPERATIONS: dict[str, str] = {
    "centrality": "{ centrality(measure: PAGERANK, top: 5) { rank score component { id } } }",
    "communities": """{ communities(algorithm: LOUVAIN) {
        modularity count truncated communities { id size membersTruncated members { id } } } }""",
    "connectedComponents": "{ connectedComponents(strong: true) { size members { id } } }",
    "vulnerability": """{ vulnerability {
        articulationPoints { id } articulationPointCount bridges { source { id } target { id } }
        bridgeCount weakComponents { size members { id } } weakComponentCount
        topBetweenness { rank score component { id } } truncated } }""",
    "graphStatistics": """{ graphStatistics {
        nodeCount edgeCount deliveryCount density byType { type count } byKind { kind count }
        degree { min max mean median } inDegree { max } outDegree { max } } }""",
    "ceremonialInstrumental": """query($a1: ID!) { ceremonialInstrumental(ids: [$a1]) {
        overall { deliveryCount ceremonialShare }
        components { component { id } balance { deliveryCount } }
        mostCeremonial { component { id } balance { ceremonialShare } } } }""",
    "centralityShifts": """{ compareScenarios(base: "baseline", other: "reform") {
        centralityShifts { baseRank otherRank rankChange component { id } } } }""",
    "shortestPath": """query($p: ID!, $a3: ID!) { shortestPath(from: $p, to: $a3) {
        length totalWeight components { id } deliveries { id } } }""",
    "paths": """query($p: ID!, $a3: ID!) { paths(from: $p, to: $a3, maxLength: 5) {
        truncated paths { length totalWeight components { id } deliveries { id } } } }""",
    "reach": """query($p: ID!) { reach(from: $p) {
        truncated components { distance strongestPathWeight component { id } } } }""",
    "policyImpact": """query($p: ID!) { policyImpact(policy: $p, radius: 3) {
        byType { type count } density truncated components { distance component { id } } } }""",
    "feedbackLoops": """{ feedbackLoops(maxLength: 4) {
        truncated loops { length strength polarity components { id } deliveries { id } } } }""",
    "leveragePoints": """{ leveragePoints(maxLength: 4) {
        loops truncated points { rank loops component { id } } } }""",
    "simulateRemoval": """query($a1: ID!) { simulateRemoval(ids: [$a1], cascade: true) {
        removed { id } disconnected { id } rounds { round failed { id } } truncated } }""",
}


@dataclass
class Model:
    """P (a policy) -> a1 -> a2 -> a3 -> a1, a2 -> a3 again in scenario reform; a4 unlinked."""

    ids: dict[str, str]

    def variables(self) -> dict[str, str]:
        return {name: self.ids[name] for name in ("p", "a1", "a3")}


async def build(gql: GraphQLClient) -> Model:
    ids = {"p": await create_component(gql, "POLICY", "the policy")}
    for name in ("a1", "a2", "a3", "a4"):
        ids[name] = await create_component(gql, "ACTOR", f"actor {name}")
    for source, target, weight in (("p", "a1", 2.0), ("a1", "a2", 1.5), ("a2", "a3", -0.5)):
        await create_delivery(gql, ids[source], ids[target], "GOVERNS", weight=weight)
    await create_delivery(gql, ids["a3"], ids["a1"], "INFORMS", weight=1.0, scenario="baseline")
    await create_delivery(gql, ids["a2"], ids["a1"], "INFORMS", weight=1.0, scenario="baseline")
    await create_delivery(gql, ids["a2"], ids["a3"], "INFORMS", weight=3.0, scenario="reform")
    await create_delivery(gql, ids["a3"], ids["p"], "INFORMS", weight=1.0, scenario="reform")
    return Model(ids)


@pytest.fixture
async def model(gql: GraphQLClient) -> Model:
    return await build(gql)


def cache_of(app: Any) -> AnalysisCache:
    cache: AnalysisCache = app.state.services.analysis_cache
    return cache


def counts(cache: AnalysisCache) -> tuple[int, int]:
    return cache.stats.hits, cache.stats.misses


def stored_keys(settings: Settings, operation: str) -> set[bytes]:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        return set(client.scan_iter(f"{KEY_PREFIX}*:{operation}:*"))
    finally:
        client.close()


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_a_second_identical_call_is_a_hit_with_the_same_answer(
    app: Any, gql: GraphQLClient, model: Model, settings: Settings, operation: str
) -> None:
    cache = cache_of(app)
    query, variables = OPERATIONS[operation], model.variables()
    hits, misses = counts(cache)
    earlier = stored_keys(settings, operation)
    first = await gql.data(query, variables)
    assert counts(cache) == (hits, misses + 1)  # computed once, and stored in Redis
    assert len(stored_keys(settings, operation) - earlier) == 1
    second = await gql.data(query, variables)
    assert counts(cache) == (hits + 1, misses + 1)
    assert second == first
    assert all(value not in (None, [], {}) for value in first.values())  # it found something


# Per operation: a query, and what its answer shows once a3 -> a4 -> a1 has been written.
AFTER_WRITE: dict[str, str] = {
    "reach": OPERATIONS["reach"],
    "communities": OPERATIONS["communities"],
    "feedbackLoops": OPERATIONS["feedbackLoops"],
    "shortestPath": """query($p: ID!, $a4: ID!) { shortestPath(from: $p, to: $a4) {
        length components { id } deliveries { id } } }""",
}


@pytest.mark.parametrize("operation", sorted(AFTER_WRITE))
async def test_a_write_between_two_calls_changes_the_answer(
    app: Any, gql: GraphQLClient, model: Model, operation: str
) -> None:
    variables = {**model.variables(), "a4": model.ids["a4"]}
    query = AFTER_WRITE[operation]
    before = await gql.data(query, variables)
    assert await gql.data(query, variables) == before  # cached meanwhile
    assert model.ids["a4"] not in repr(before)
    await create_delivery(gql, model.ids["a3"], model.ids["a4"], "GOVERNS", weight=1.0)
    await create_delivery(gql, model.ids["a4"], model.ids["a1"], "GOVERNS", weight=1.0)
    hits, misses = counts(cache_of(app))
    after = await gql.data(query, variables)
    assert counts(cache_of(app)) == (hits, misses + 1)  # a new revision: computed again
    assert after != before
    assert model.ids["a4"] in repr(after)  # the new component is part of the answer
    if operation == "shortestPath":
        assert after["shortestPath"]["length"] == 4
        # Every delivery of each hop: a2 -> a3 is two (GOVERNS, and INFORMS in reform).
        assert len(after["shortestPath"]["deliveries"]) == 5


async def test_aliases_variables_and_argument_order_share_one_entry(
    app: Any, gql: GraphQLClient, model: Model
) -> None:
    cache = cache_of(app)
    source = model.ids["p"]
    await gql.data(
        f'{{ reach(from: "{source}", direction: OUTGOING, kinds: [GOVERNS, INFORMS]) '
        "{ truncated } }"
    )
    hits, misses = counts(cache)
    other = """query($from: ID!, $kinds: [DeliveryKind!]) {
      spread: reach(kinds: $kinds, from: $from) { found: components { distance } }
    }"""
    answer = await gql.data(other, {"from": model.ids["p"], "kinds": ["INFORMS", "GOVERNS"]})
    assert counts(cache) == (hits + 1, misses)
    assert [c["distance"] for c in answer["spread"]["found"]] == [1, 2, 3]
    # A different scope is a different question.
    await gql.data(other, {"from": model.ids["p"], "kinds": ["GOVERNS"]})
    assert counts(cache) == (hits + 1, misses + 1)


async def test_hits_and_misses_feed_the_metrics(
    app: Any, gql: GraphQLClient, model: Model, client: httpx.AsyncClient
) -> None:
    before = await scrape(client)
    query = OPERATIONS["leveragePoints"]
    first = await gql.data(query)
    assert await gql.data(query) == first
    after = await scrape(client)
    assert delta(before, after, "sfm_cache_misses_total", cache="analysis") == 1
    assert delta(before, after, "sfm_cache_hits_total", cache="analysis") == 1


async def test_a_cached_result_shows_each_caller_only_what_it_may_see(
    app: Any, gql: GraphQLClient, token_gql: Any
) -> None:
    """Results are cached as ids; each caller's components are loaded with its own rights."""
    person = await create_component(
        gql, "ACTOR", "Jane Roe", metadata={"email": "jane@example.org", "sector": "waste"}
    )
    policy = await create_component(gql, "POLICY", "the compact")
    await create_delivery(gql, policy, person, "GOVERNS")
    query = "query($p: ID!) { reach(from: $p) { components { component { metadata } } } }"
    cache = cache_of(app)
    hits, misses = counts(cache)
    admin = (await gql.data(query, {"p": policy}))["reach"]["components"]
    analyst: GraphQLClient = token_gql(Role.ANALYST)
    masked = (await analyst.data(query, {"p": policy}))["reach"]["components"]
    assert counts(cache) == (hits + 1, misses + 1)  # the analyst was served the admin's entry
    assert admin[0]["component"]["metadata"]["email"] == "jane@example.org"
    assert masked[0]["component"]["metadata"]["email"] != "jane@example.org"
    assert masked[0]["component"]["metadata"]["sector"] == "waste"


async def test_a_tampered_entry_is_recomputed_not_trusted(
    app: Any, gql: GraphQLClient, model: Model, settings: Settings
) -> None:
    query = OPERATIONS["reach"]
    earlier = stored_keys(settings, "reach")
    first = await gql.data(query, model.variables())
    keys = stored_keys(settings, "reach") - earlier
    (key,) = keys
    client = redis.Redis.from_url(settings.redis_url)
    try:
        # Neither data nor code to us: a pickle calling os.system, as an attacker would write it.
        client.set(key, b"\x80\x04\x95\x1d\x00cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85R.")
        hits, misses = counts(cache_of(app))
        assert await gql.data(query, model.variables()) == first
        assert counts(cache_of(app)) == (hits, misses + 1)
        stored = client.get(key)
        assert isinstance(stored, bytes) and stored.startswith(b"{")  # overwritten by the answer
    finally:
        client.close()


def _unreachable(url: str) -> str:
    """`url` pointing at a loopback port nothing listens on."""
    parts = urlsplit(url)
    netloc = f"{parts.netloc.rpartition('@')[0]}@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{netloc}127.0.0.1:{free_port()}"))


@pytest.fixture
async def without_redis(
    settings: Settings, issue_token: Any, clean_graph: None
) -> AsyncIterator[tuple[Any, GraphQLClient]]:
    """An app of its own whose Redis is down from the start."""
    app = create_app(settings.model_copy(update={"redis_url": _unreachable(settings.redis_url)}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {issue_token('admin', mfa=True)}"},
        ) as http,
    ):
        yield app, GraphQLClient(http)


async def test_without_redis_the_in_process_cache_serves_and_stays_correct(
    without_redis: tuple[Any, GraphQLClient],
) -> None:
    app, gql = without_redis
    model = await build(gql)
    cache = cache_of(app)
    query, variables = OPERATIONS["reach"], model.variables()
    first = await gql.data(query, variables)
    local_hits = cache.stats.local_hits
    hits, misses = counts(cache)
    assert await gql.data(query, variables) == first
    assert counts(cache) == (hits + 1, misses)
    assert cache.stats.local_hits == local_hits + 1  # served in process
    reached = {c["component"]["id"] for c in first["reach"]["components"]}
    assert model.ids["a4"] not in reached
    await create_delivery(gql, model.ids["a3"], model.ids["a4"], "GOVERNS")
    after = await gql.data(query, variables)
    assert counts(cache) == (hits + 1, misses + 1)
    assert {c["component"]["id"] for c in after["reach"]["components"]} == reached | {
        model.ids["a4"]
    }
