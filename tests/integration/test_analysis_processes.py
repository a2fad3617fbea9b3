"""A request's analysis computes in a process of its API process's own, at a lower CPU priority
(services/analytics/processes.py), over HTTP against the real Neo4j and Redis: the answer is the
one computed in the API process, errors cross with their code and details, and a pool process
that dies fails only the analyses it held, the next one starting a new pool; the graphs the pool
loaded count on the API process's /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from sfm_graphql.app import create_app
from sfm_graphql.services.analytics.processes import AnalysisProcesses
from sfm_graphql.settings import Settings
from tests.integration.helpers import create_component, create_delivery
from tests.integration.test_shutdown import _serve as serve
from tests.services import (
    METRICS_TOKEN,
    GraphQLClient,
    child_pids,
    free_port,
    is_running,
    is_spawned,
)

pytestmark = pytest.mark.integration
OTHER_DB = 14

QUERIES = (
    "{ centrality(measure: PAGERANK, top: 5) { rank score component { id label } } }",
    """query($p: ID!) { reach(from: $p) {
        truncated components { distance strongestPathWeight component { id } } } }""",
    """query($p: ID!) { policyImpact(policy: $p, radius: 2) {
        byType { type count } components { distance component { id } } } }""",
    "{ feedbackLoops(maxLength: 4) { loops { length polarity components { id } } } }",
)


@pytest.fixture
async def served(settings: Settings, clean_graph: None, issue_token: Any) -> AsyncIterator[Any]:
    """Two apps on the same database: analyses in a process pool, and in the API process."""

    async def gql_of(application: Any, stack: Any) -> GraphQLClient:
        await stack.enter_async_context(application.router.lifespan_context(application))
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {issue_token('admin', mfa=True)}"},
        )
        await stack.enter_async_context(http)
        return GraphQLClient(http)

    async with AsyncExitStack() as stack:
        pooled = create_app(settings.model_copy(update={"analysis_processes": 1}))
        # Its own Redis database: each app computes its answers instead of finding the other's.
        own = redis.Redis.from_url(settings.redis_url, db=OTHER_DB)
        own.flushdb()
        own.close()
        inline_url = urlunsplit(urlsplit(settings.redis_url)._replace(path=f"/{OTHER_DB}"))
        inline = create_app(
            settings.model_copy(update={"analysis_processes": 0, "redis_url": inline_url})
        )
        yield pooled, await gql_of(pooled, stack), await gql_of(inline, stack)


async def model(gql: GraphQLClient) -> dict[str, str]:
    """P -> a1 -> a2 -> a3 -> a1 (a loop), P -> a3."""
    ids = {"p": await create_component(gql, "POLICY", "the policy")}
    for name in ("a1", "a2", "a3"):
        ids[name] = await create_component(gql, "ACTOR", f"actor {name}")
    for source, target, weight in (
        ("p", "a1", 2.0),
        ("a1", "a2", 1.5),
        ("a2", "a3", -0.5),
        ("a3", "a1", 1.0),
        ("p", "a3", 1.0),
    ):
        await create_delivery(gql, ids[source], ids[target], "GOVERNS", weight=weight)
    return ids


def pool_processes(app: Any) -> list[int]:
    """The process ids of `app`'s analysis pool."""
    processes: AnalysisProcesses = app.state.services.analysis_processes
    assert not processes.in_process
    return processes.process_ids()


async def test_the_answers_are_those_computed_in_the_api_process(served: Any) -> None:
    app, pooled, inline = served
    ids = await model(pooled)
    before = set(pool_processes(app))
    for query in QUERIES:
        answer = await pooled.data(query, {"p": ids["p"]})
        assert answer == await inline.data(query, {"p": ids["p"]})
        assert all(value not in (None, [], {}) for value in answer.values())
    started = [pid for pid in pool_processes(app) if pid not in before]
    assert len(started) == 1  # one process, started by the first analysis
    assert os.getpriority(os.PRIO_PROCESS, started[0]) >= 10  # SFM_ANALYSIS_NICE


async def test_the_graphs_the_pool_loaded_count_on_the_api_processes_metrics(served: Any) -> None:
    _, pooled, _ = served
    ids = await model(pooled)
    for query in QUERIES:  # four questions of one state: one read, then the pool's kept graph
        await pooled.data(query, {"p": ids["p"]})
    scraped = await pooled.http.get(
        "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert scraped.status_code == 200
    samples = {
        (sample.name, sample.labels.get("source")): sample.value
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
        if sample.name.startswith("sfm_analysis_graph_read")
    }
    loads = "sfm_analysis_graph_reads_total"
    assert samples[(loads, "neo4j")] == 1
    assert samples[(loads, "local")] == 3
    assert samples[(loads, "redis")] == 0
    assert samples[("sfm_analysis_graph_read_seconds_count", None)] == 1


async def test_an_error_in_the_pool_process_keeps_its_code_and_details(
    settings: Settings, clean_graph: None, issue_token: Any
) -> None:
    small = create_app(
        settings.model_copy(update={"analysis_processes": 1, "analysis_max_nodes": 10})
    )
    async with (
        small.router.lifespan_context(small),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=small),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {issue_token('admin', mfa=True)}"},
        ) as http,
    ):
        gql = GraphQLClient(http)
        first = await create_component(gql, "ACTOR", "hub")
        for n in range(11):
            await create_delivery(
                gql, first, await create_component(gql, "ACTOR", f"a{n}"), "GOVERNS"
            )
        body = await gql.execute("{ centrality(measure: DEGREE) { score } }")
        assert body["errors"][0]["extensions"]["code"] == "ANALYSIS_TOO_LARGE"
        assert body["errors"][0]["extensions"]["limit"] == 10
        assert "narrow its scope" in body["errors"][0]["message"]


async def test_a_pool_process_killed_fails_only_what_it_held_and_a_new_pool_answers(
    served: Any,
) -> None:
    app, pooled, inline = served
    ids = await model(pooled)
    query = QUERIES[1]
    expected = await inline.data(query, {"p": ids["p"]})
    assert await pooled.data(query, {"p": ids["p"]}) == expected  # the pool is up
    (pid,) = pool_processes(app)
    # Stopped, it cannot take the next analysis: it is killed while holding it.
    os.kill(pid, signal.SIGSTOP)
    await create_delivery(pooled, ids["a2"], ids["p"], "GOVERNS")  # a new revision: a miss
    held = asyncio.create_task(
        pooled.http.post("/graphql", json={"query": query, "variables": {"p": ids["p"]}})
    )
    await asyncio.sleep(0.5)
    assert not held.done()
    os.kill(pid, signal.SIGKILL)
    started = time.monotonic()
    response = await asyncio.wait_for(held, timeout=10)
    assert time.monotonic() - started < 5
    assert response.status_code == 503  # as every SERVICE_UNAVAILABLE: a retry is worth it
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "try again" in error["message"]
    # The next analysis starts a new pool and answers, with no restart of the API process.
    again = await pooled.data(query, {"p": ids["p"]})
    assert again == await inline.data(query, {"p": ids["p"]})
    assert pool_processes(app) and pid not in pool_processes(app)


async def test_a_pool_process_that_died_idle_costs_no_request(served: Any) -> None:
    app, pooled, inline = served
    ids = await model(pooled)
    query = QUERIES[0]
    await pooled.data(query)
    (pid,) = pool_processes(app)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while is_running(pid):
        assert time.monotonic() < deadline, "the killed process lingers"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # the pool notices the death
    await create_delivery(pooled, ids["a2"], ids["p"], "GOVERNS")
    assert await pooled.data(query) == await inline.data(query)


async def test_serve_starts_the_pool_and_it_ends_with_an_api_process_killed_outright(
    clean_graph: None, issue_token: Any, tmp_path: Path
) -> None:
    port = free_port()
    server = serve(port, 1, tmp_path / "serve.log")
    try:
        url = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {issue_token('admin', mfa=True)}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "serve did not start"
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.2)
            # `serve` starts the pool with the app, before any analysis.
            while not {p for p in child_pids(server.pid) if is_spawned(p)}:
                assert time.monotonic() < deadline, "no analysis process started with serve"
                await asyncio.sleep(0.2)
            ids = await model(GraphQLClient(http))
            await GraphQLClient(http).data(QUERIES[1], {"p": ids["p"]})
        # One worker: uvicorn serves in the process itself; its children are the pool's
        # process and multiprocessing's resource tracker.
        (pool_process,) = {p for p in child_pids(server.pid) if is_spawned(p)}
        os.kill(server.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while is_running(pool_process):
            assert time.monotonic() < deadline, "the pool process outlived its API process"
            await asyncio.sleep(0.2)
    finally:
        server.kill()
        server.wait(timeout=10)
