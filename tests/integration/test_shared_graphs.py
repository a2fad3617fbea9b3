"""The analysis graph read by one process serves the others through Redis
(services/analytics/shared_graphs.py), against the real Neo4j and Redis: two databases stand for
two processes; the second reads no delivery for a revision the first read at or after, and
reads again for a newer one; the metrics count where each graph came from."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.database import Database, create_driver
from sfm_graphql.db.revision import graph_revision
from sfm_graphql.observability.metrics import Metrics
from sfm_graphql.services.analytics.graph import (
    WANTED_REVISION,
    load_graph,
    read_graph,
    recent_graphs,
)
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.services.analytics.shared_graphs import (
    KEY_PREFIX,
    LEASE_PREFIX,
    graph_key,
    lease_key,
    share_graphs,
)
from sfm_graphql.settings import Settings
from tests.integration.helpers import create_component, create_delivery
from tests.services import GraphQLClient, StatementCounter

pytestmark = pytest.mark.integration


@pytest.fixture
async def processes(settings: Settings, clean_graph: None) -> AsyncIterator[list[Any]]:
    """Two databases, each with its own Redis client and statement counter."""
    made = []
    for _ in range(2):
        db = Database(create_driver(settings), CypherRegistry.load(), settings)
        client = aioredis.from_url(settings.redis_url)
        share_graphs(db, client, settings)
        counter = StatementCounter()
        db.add_listener(counter)
        made.append((db, client, counter))
    sync = redis.Redis.from_url(settings.redis_url)
    for prefix in (KEY_PREFIX, LEASE_PREFIX):
        for key in sync.scan_iter(f"{prefix}*"):
            sync.delete(key)
    sync.close()
    yield made
    for db, client, _ in made:
        await client.aclose()
        await db.close()


async def _policy_governing_actor(gql: GraphQLClient) -> tuple[str, str]:
    """Actor a and policy b, b -> a: a graph of one edge."""
    a = await create_component(gql, "ACTOR", "a")
    b = await create_component(gql, "POLICY", "b")
    await create_delivery(gql, b, a, "GOVERNS", weight=2.0)
    return a, b


async def _graph_at(db: Database, settings: Settings, revision: int, scope: Scope) -> Any:
    token = WANTED_REVISION.set(revision)
    try:
        return await load_graph(db, scope, settings)
    finally:
        WANTED_REVISION.reset(token)


async def test_a_graph_read_by_one_process_serves_another(
    gql: GraphQLClient, settings: Settings, processes: list[Any]
) -> None:
    (first, _, first_reads), (second, client, second_reads) = processes
    await _policy_governing_actor(gql)
    revision = await graph_revision(first)
    read = await _graph_at(first, settings, revision, Scope())
    assert first_reads.names.count("analytics/edges") == 1
    assert await client.exists(graph_key(Scope()))
    shared = await _graph_at(second, settings, revision, Scope())
    assert "analytics/edges" not in second_reads.names  # taken from Redis
    assert shared == read == await read_graph(first, Scope(), settings)
    # Another scope is another graph.
    await _graph_at(second, settings, revision, Scope(scenario="baseline"))
    assert second_reads.names.count("analytics/edges") == 1


def _loads(metrics: Metrics) -> dict[str, float | None]:
    sample = metrics.registry.get_sample_value
    counts = {s: sample("sfm_analysis_graph_reads_total", {"source": s}) for s in SOURCES}
    return {**counts, "timed": sample("sfm_analysis_graph_read_seconds_count", {})}


SOURCES = ("neo4j", "redis", "local")


async def test_the_metrics_count_a_neo4j_read_a_shared_one_and_a_kept_one(
    gql: GraphQLClient, settings: Settings, processes: list[Any]
) -> None:
    (first, _, _), (second, _, second_reads) = processes
    metrics = [Metrics(max_operation_names=2, pool_size=1) for _ in processes]
    for (db, _, _), observer in zip(processes, metrics, strict=True):
        recent_graphs(db).observer = observer  # as the app factory wires its metrics
    await _policy_governing_actor(gql)
    revision = await graph_revision(first)
    await _graph_at(first, settings, revision, Scope())  # read from Neo4j, stored in Redis
    await _graph_at(second, settings, revision, Scope())  # taken from Redis
    await _graph_at(second, settings, revision, Scope())  # kept by the second process
    assert "analytics/edges" not in second_reads.names
    assert _loads(metrics[0]) == {"neo4j": 1, "redis": 0, "local": 0, "timed": 1}
    assert _loads(metrics[1]) == {"neo4j": 0, "redis": 1, "local": 1, "timed": 0}
    read_s = metrics[0].registry.get_sample_value("sfm_analysis_graph_read_seconds_sum", {})
    assert read_s is not None and 0 < read_s < 30


async def test_a_newer_revision_is_read_again_and_replaces_the_shared_graph(
    gql: GraphQLClient, settings: Settings, processes: list[Any]
) -> None:
    (first, _, _), (second, _, second_reads) = processes
    a, b = await _policy_governing_actor(gql)
    await _graph_at(first, settings, await graph_revision(first), Scope())
    await create_delivery(gql, a, b, "INFORMS")  # a new revision
    newer = await _graph_at(second, settings, await graph_revision(second), Scope())
    assert second_reads.names.count("analytics/edges") == 1
    assert newer.edge_count == 2
    # The first process now takes the newer graph from Redis.
    again = await _graph_at(first, settings, await graph_revision(first), Scope())
    assert again == newer


async def test_without_redis_graphs_are_read_from_neo4j(
    gql: GraphQLClient, settings: Settings, clean_graph: None
) -> None:
    db = Database(create_driver(settings), CypherRegistry.load(), settings)
    away = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    share_graphs(db, away, settings)
    try:
        await _policy_governing_actor(gql)
        graph = await _graph_at(db, settings, await graph_revision(db), Scope())
        assert graph.edge_count == 1
    finally:
        await away.aclose()
        await db.close()


async def test_processes_asking_at_once_put_one_read_on_neo4j(
    gql: GraphQLClient, settings: Settings, processes: list[Any]
) -> None:
    (first, _, first_reads), (second, _, second_reads) = processes
    await _policy_governing_actor(gql)
    revision = await graph_revision(first)
    graphs = await asyncio.gather(
        _graph_at(first, settings, revision, Scope()),
        _graph_at(second, settings, revision, Scope()),
    )
    assert graphs[0] == graphs[1]
    reads = first_reads.names + second_reads.names
    assert reads.count("analytics/edges") == 1  # the lease's holder read; the other waited


async def test_a_lease_whose_holder_died_goes_by_itself(
    gql: GraphQLClient, settings: Settings, processes: list[Any]
) -> None:
    (first, client, first_reads), _ = processes
    await _policy_governing_actor(gql)
    lease = lease_key(Scope())
    await client.set(lease, "a process killed while reading", px=800)  # never renewed
    started = time.monotonic()
    graph = await _graph_at(first, settings, await graph_revision(first), Scope())
    waited = time.monotonic() - started
    assert graph.edge_count == 1
    assert 0.5 < waited < 5
    assert first_reads.names.count("analytics/edges") == 1
