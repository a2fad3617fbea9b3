"""Analysis jobs end to end: a real `sfm-graphql worker` process, the test Redis and Neo4j.

A job answers exactly what the same query answers; it survives an API restart; a worker killed
with SIGKILL mid-job leaves the job retried by the next worker; a queued job can be cancelled;
only its owner and admins see it.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import redis

from sfm_graphql.app import create_app
from sfm_graphql.services.analytics.cache import KEY_PREFIX
from sfm_graphql.settings import Settings
from tests.services import GraphQLClient

PAGERANK = "{ centrality(measure: PAGERANK, top: 5) { rank score component { id label } } }"
START = """
mutation($input: StartAnalysisInput!) {
  startAnalysis(input: $input) { id status progress createdAt finishedAt }
}"""
JOB = """
query($id: ID!) {
  analysisJob(id: $id) { id status progress result error errorCode createdAt finishedAt }
}"""
CANCEL = "mutation($id: ID!) { cancelAnalysis(id: $id) { id status error } }"


@pytest.fixture
def store(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.redis_url)
    yield client
    client.close()


async def _graph(gql: GraphQLClient, components: int, deliveries: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    rows = [
        {"type": "ACTOR", "label": f"actor {i}", "externalKey": f"a{i}"} for i in range(components)
    ]
    links = []
    for j in range(deliveries):
        s, t = rng.sample(range(components), 2)
        links.append(
            {"externalKey": f"d{j}", "sourceKey": f"a{s}", "targetKey": f"a{t}", "kind": "GOVERNS"}
        )
    mutation = """
    mutation($c: [BulkComponentInput!]!, $d: [BulkDeliveryInput!]!) {
      bulkImport(components: $c, deliveries: $d) { committed }
    }"""
    await gql.data(mutation, {"c": rows, "d": []})
    for start in range(0, len(links), 5000):
        await gql.data(mutation, {"c": [], "d": links[start : start + 5000]})


async def _wait(
    gql: GraphQLClient, job_id: str, until: set[str], timeout_s: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = (await gql.data(JOB, {"id": job_id}))["analysisJob"]
        if job["status"] in until:
            return job
        assert time.monotonic() < deadline, f"job still {job['status']} after {timeout_s} s"
        await asyncio.sleep(0.2)


async def _start(gql: GraphQLClient, query: str, **more: Any) -> dict[str, Any]:
    job: dict[str, Any] = (await gql.data(START, {"input": {"query": query, **more}}))[
        "startAnalysis"
    ]
    return job


async def test_a_job_answers_what_the_query_answers(
    gql: GraphQLClient, start_worker: Callable[..., Any]
) -> None:
    await _graph(gql, 30, 90)
    start_worker()
    job = await _start(gql, PAGERANK)
    assert job["status"] == "QUEUED" and job["progress"] == 0 and job["finishedAt"] is None
    done = await _wait(gql, job["id"], {"SUCCEEDED", "FAILED"})
    assert done["status"] == "SUCCEEDED", done
    assert done["progress"] == 1.0 and done["finishedAt"] >= done["createdAt"]
    assert done["result"] == await gql.data(PAGERANK)


async def test_traversals_run_as_jobs_too(
    gql: GraphQLClient, start_worker: Callable[..., Any]
) -> None:
    await _graph(gql, 30, 90)
    start_worker()
    first = await gql.data("{ deliveries(first: 1) { edges { node { source { id } } } } }")
    source = first["deliveries"]["edges"][0]["node"]["source"]["id"]
    query = """query($id: ID!) {
      reach(from: $id) { truncated components { distance component { id } } }
      feedbackLoops(through: $id, maxLength: 3) { truncated loops { length polarity } }
    }"""
    job = await _start(gql, query, variables={"id": source})
    done = await _wait(gql, job["id"], {"SUCCEEDED", "FAILED"})
    assert done["status"] == "SUCCEEDED", done
    answer = await gql.data(query, {"id": source})
    assert answer["reach"]["components"], "the source reaches nothing: the test shows nothing"
    assert done["result"] == answer


async def test_a_job_and_a_request_share_the_analysis_cache(
    app: Any, gql: GraphQLClient, start_worker: Callable[..., Any], store: redis.Redis
) -> None:
    """The worker stores its result under the same key: the same query afterwards is a hit."""
    await _graph(gql, 30, 90)
    start_worker()
    query = "{ connectedComponents(strong: true) { size members { id } } }"
    done = await _wait(gql, (await _start(gql, query))["id"], {"SUCCEEDED", "FAILED"})
    assert done["status"] == "SUCCEEDED", done
    stats = app.state.services.analysis_cache.stats
    hits, misses = stats.hits, stats.misses
    assert await gql.data(query) == done["result"]
    assert (stats.hits, stats.misses) == (hits + 1, misses)
    # The other way round: a job reads what a request stored. The entry is rewritten with a
    # valid answer no computation gives, which the job can only have read from the cache.
    other = "{ connectedComponents(limit: 1) { size } }"
    earlier = set(store.scan_iter(f"{KEY_PREFIX}*:connectedComponents:*"))
    computed = await gql.data(other)
    (key,) = set(store.scan_iter(f"{KEY_PREFIX}*:connectedComponents:*")) - earlier
    entry = json.loads(store.get(key) or b"")
    entry[0]["size"] = 12345
    store.set(key, json.dumps(entry))
    done = await _wait(gql, (await _start(gql, other))["id"], {"SUCCEEDED", "FAILED"})
    assert done["result"] == {"connectedComponents": [{"size": 12345}]} != computed


async def test_variables_and_operation_names_travel_with_the_job(
    gql: GraphQLClient, start_worker: Callable[..., Any]
) -> None:
    await _graph(gql, 10, 20)
    start_worker()
    query = """
    query Other { centrality(measure: DEGREE) { rank } }
    query Top($top: Int!) { best: centrality(measure: PAGERANK, top: $top) { rank } }"""
    job = await _start(gql, query, variables={"top": 3}, operationName="Top")
    done = await _wait(gql, job["id"], {"SUCCEEDED", "FAILED"})
    assert done["result"] == {"best": [{"rank": 1}, {"rank": 2}, {"rank": 3}]}


@pytest.mark.parametrize(
    ("query", "more"),
    [
        ("{ components { totalCount } }", {}),  # not an analytics field
        ('mutation { deleteComponent(id: "x") { deleted } }', {}),
        ("{ centrality(measure: NOT_A_MEASURE) { rank } }", {}),
        ("{ centrality(", {}),
        ("query($t: Int!) { centrality(measure: PAGERANK, top: $t) { rank } }", {}),
        ("", {}),
    ],
)
async def test_documents_that_cannot_run_as_jobs_are_refused_at_once(
    gql: GraphQLClient, query: str, more: dict[str, Any]
) -> None:
    body = await gql.execute(START, {"input": {"query": query, **more}})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body


async def test_only_the_owner_and_admins_see_a_job(
    app: Any, gql: GraphQLClient, issue_token: Any, clean_graph: None
) -> None:
    async def as_(subject: str, role: str) -> GraphQLClient:
        headers = {"Authorization": f"Bearer {issue_token(role, subject=subject)}"}
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
        )
        return GraphQLClient(client)

    owner, other = await as_("ana", "analyst"), await as_("bob", "analyst")
    viewer = await as_("vic", "viewer")
    try:
        job = await _start(owner, PAGERANK)
        assert (await owner.data(JOB, {"id": job["id"]}))["analysisJob"]["id"] == job["id"]
        assert (await gql.data(JOB, {"id": job["id"]}))["analysisJob"]["id"] == job["id"]
        assert (await other.data(JOB, {"id": job["id"]}))["analysisJob"] is None
        assert (await other.data(CANCEL, {"id": job["id"]}))["cancelAnalysis"] is None
        assert await viewer.error_code(START, {"input": {"query": PAGERANK}}) == "FORBIDDEN"
        assert await viewer.error_code(JOB, {"id": job["id"]}) == "FORBIDDEN"
    finally:
        for client in (owner, other, viewer):
            await client.http.aclose()


async def test_a_queued_job_is_cancelled_and_survives_an_api_restart(
    gql: GraphQLClient, settings: Settings, issue_token: Any, start_worker: Callable[..., Any]
) -> None:
    job = await _start(gql, PAGERANK)  # no worker runs yet: it stays queued
    cancelled = (await gql.data(CANCEL, {"id": job["id"]}))["cancelAnalysis"]
    assert cancelled["status"] == "CANCELLED" and cancelled["error"]
    kept = await _start(gql, PAGERANK)
    # A new API process (its own lifespan, its own Redis connections) sees both jobs.
    restarted = create_app(settings)
    async with restarted.router.lifespan_context(restarted):
        headers = {"Authorization": f"Bearer {issue_token('admin', mfa=True)}"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=restarted),
            base_url="http://testserver",
            headers=headers,
        ) as http:
            fresh = GraphQLClient(http)
            seen = (await fresh.data(JOB, {"id": job["id"]}))["analysisJob"]
            assert seen["status"] == "CANCELLED"
            start_worker()
            done = await _wait(fresh, kept["id"], {"SUCCEEDED", "FAILED"})
            assert done["status"] == "SUCCEEDED"
    await asyncio.sleep(1.5)  # the worker had time to pick the cancelled job, had it been queued
    assert (await gql.data(JOB, {"id": job["id"]}))["analysisJob"]["status"] == "CANCELLED"


@pytest.mark.timeout(600)
async def test_a_job_whose_worker_is_killed_is_failed_visibly_by_the_next(
    gql: GraphQLClient, start_worker: Callable[..., Any]
) -> None:
    """One attempt per job (the default): a dead worker's job is failed, never left running."""
    await _graph(gql, 3000, 20000)  # exact betweenness takes seconds: long enough to kill
    heartbeat = {"SFM_ANALYSIS_JOB_HEARTBEAT_S": "1"}
    first = start_worker(**heartbeat)
    betweenness = "{ centrality(measure: BETWEENNESS, top: 3) { rank score } }"
    job = await _start(gql, betweenness)
    await _wait(gql, job["id"], {"RUNNING", "SUCCEEDED", "FAILED"})
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    running = (await gql.data(JOB, {"id": job["id"]}))["analysisJob"]
    assert running["status"] == "RUNNING", running  # left behind by the dead worker
    start_worker(**heartbeat)  # its sweep finds the job without a heartbeat
    done = await _wait(gql, job["id"], {"SUCCEEDED", "FAILED", "CANCELLED"}, timeout_s=200)
    assert done["status"] == "FAILED", done
    assert done["errorCode"] == "INTERNAL_SERVER_ERROR" and "start it again" in done["error"]
    assert done["finishedAt"] is not None
    # The next worker serves new jobs at once.
    again = await _start(gql, PAGERANK)
    assert (await _wait(gql, again["id"], {"SUCCEEDED", "FAILED"}))["status"] == "SUCCEEDED"


PROGRESS = "subscription($id: ID!) { analysisProgress(id: $id) { status progress result } }"


def _text(frame: str | bytes) -> dict[str, Any]:
    """A graphql-transport-ws message; a browser's client reads text frames only."""
    assert isinstance(frame, str), f"a binary frame: {frame!r}"
    message: dict[str, Any] = json.loads(frame)
    return message


async def _subscribe(url: str, payload: dict[str, Any], job_id: str) -> list[dict[str, Any]]:
    """The messages of one analysisProgress subscription over graphql-transport-ws."""
    from websockets.asyncio.client import connect

    ws_url = url.replace("http://", "ws://") + "/graphql"
    messages: list[dict[str, Any]] = []
    async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = _text(await asyncio.wait_for(ws.recv(), 30))
        messages.append(ack)
        if ack["type"] != "connection_ack":
            return messages
        subscribe = {"query": PROGRESS, "variables": {"id": job_id}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        while True:
            message = _text(await asyncio.wait_for(ws.recv(), 120))
            messages.append(message)
            if message["type"] in ("complete", "error"):
                return messages


async def test_progress_streams_over_a_websocket_until_the_job_ends(
    gql: GraphQLClient, live_server_url: str, issue_token: Any, start_worker: Callable[..., Any]
) -> None:
    await _graph(gql, 30, 90)
    job = await _start(gql, PAGERANK)
    start_worker()
    token = issue_token("admin", mfa=True)
    messages = await _subscribe(live_server_url, {"Authorization": f"Bearer {token}"}, job["id"])
    assert messages[0]["type"] == "connection_ack" and messages[-1]["type"] == "complete"
    updates = [m["payload"]["data"]["analysisProgress"] for m in messages[1:-1]]
    assert updates and updates[-1]["status"] == "SUCCEEDED"
    assert updates[-1]["result"] == await gql.data(PAGERANK)
    progress = [u["progress"] for u in updates]
    assert progress == sorted(progress) and all(0 <= p <= 1 for p in progress)


async def test_a_websocket_without_valid_credentials_gets_no_progress(
    gql: GraphQLClient, live_server_url: str, issue_token: Any
) -> None:
    job = await _start(gql, PAGERANK)
    from websockets.exceptions import ConnectionClosedError

    with pytest.raises(ConnectionClosedError) as closed:
        await _subscribe(live_server_url, {"Authorization": "Bearer not-a-token"}, job["id"])
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    viewer = {"Authorization": f"Bearer {issue_token('viewer', subject='vic')}"}
    messages = await _subscribe(live_server_url, viewer, job["id"])
    assert messages[-1]["type"] in ("error", "next"), messages
    errors = (
        messages[-1]["payload"]
        if messages[-1]["type"] == "error"
        else messages[-1]["payload"]["errors"]
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN", messages
    other = {"Authorization": f"Bearer {issue_token('analyst', subject='bob')}"}
    messages = await _subscribe(live_server_url, other, job["id"])
    assert [m["type"] for m in messages] == ["connection_ack", "complete"]  # not bob's job
