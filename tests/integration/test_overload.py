"""Overload and timeouts over real HTTP (issue 12, "Overload and shutdown").

Each test serves its own app with uvicorn on a free loopback port. Slow requests are made slow
the way they are in production: an update waits in Neo4j for a lock that another writer (the
test, through its own driver) holds, so they stay in flight exactly as long as the test wants.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from asyncio import FIRST_COMPLETED
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from sfm_graphql.app import create_app
from sfm_graphql.settings import Settings
from tests.conftest import METRICS_TOKEN, _free_port

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]

CREATE = """
mutation($input: CreateComponentInput!) {
  createComponent(input: $input) { component { id uuid version } }
}"""
UPDATE = """
mutation($input: UpdateComponentInput!) {
  updateComponent(input: $input) { component { id version description } }
}"""
READ = "query($id: ID!) { node(id: $id) { id } }"
# Transactions running the service's component update (cypher/components/update.cypher).
SERVICE_UPDATES = (
    "SHOW TRANSACTIONS YIELD transactionId, currentQuery, status "
    "WHERE currentQuery CONTAINS 'n.version = n.version + 1' AND NOT currentQuery STARTS WITH "
    "'SHOW' RETURN transactionId, status"
)


@contextlib.contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The app under `settings`, served by uvicorn over real HTTP on a free loopback port."""
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextlib.contextmanager
def locked(driver: Any, uuids: list[str]) -> Iterator[None]:
    """Another writer holds the write locks of these components until the block ends."""
    with driver.session() as session:
        tx = session.begin_transaction()
        try:
            tx.run(
                "MATCH (n:Component) WHERE n.id IN $ids SET n.heldByTest = true",
                ids=uuids,
            ).consume()
            yield
        finally:
            tx.rollback()


async def _components(http: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    made = []
    for i in range(count):
        response = await http.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": {"type": "ACTOR", "label": f"a{i}"}}},
        )
        assert response.status_code == 200, response.text
        made.append(response.json()["data"]["createComponent"]["component"])
    return made


def _update(component: dict[str, Any]) -> dict[str, Any]:
    change = {"id": component["id"], "version": component["version"], "description": "changed"}
    return {"query": UPDATE, "variables": {"input": change}}


def _rejected(metrics_text: str) -> float:
    for line in metrics_text.splitlines():
        if line.startswith('sfm_requests_rejected_total{reason="overload"}'):
            return float(line.split()[-1])
    raise AssertionError("sfm_requests_rejected_total is not exported")


async def test_at_three_times_capacity_the_excess_gets_fast_503s_and_the_service_recovers(
    settings: Settings, neo4j_driver: Any, issue_token: Any
) -> None:
    capacity = 2
    with serving(settings.model_copy(update={"max_concurrent_requests": capacity})) as url:
        headers = {"Authorization": f"Bearer {issue_token('editor')}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            components = await _components(http, 3 * capacity)
            with locked(neo4j_driver, [c["uuid"] for c in components]):
                calls = [
                    asyncio.create_task(http.post("/graphql", json=_update(c))) for c in components
                ]
                # Every update is either refused or waiting for its lock.
                done = await _settled(calls, count=2 * capacity, within_s=10)
                waiting = [task for task in calls if task not in done]
                assert len(done) == 2 * capacity and len(waiting) == capacity
                refused = [task.result() for task in done]
                for response in refused:
                    assert response.status_code == 503, response.text
                    assert response.headers["Retry-After"] == "1"
                    assert response.elapsed.total_seconds() < 0.1
                    error = response.json()["errors"][0]
                    assert error["extensions"]["code"] == "OVERLOADED"
                    assert "data" not in response.json()
                # A full process is alive, ready and scraped.
                assert (await http.get("/readyz")).status_code == 200
                scrape = await http.get(
                    "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
                )
                assert scrape.status_code == 200
                assert _rejected(scrape.text) == 2 * capacity
            # The lock is released: the admitted updates finish, and succeed.
            admitted = await asyncio.gather(*waiting)
            for response in admitted:
                body = response.json()
                assert response.status_code == 200 and "errors" not in body, body
                assert body["data"]["updateComponent"]["component"]["description"] == "changed"
            # After the burst every request is admitted again.
            again = await asyncio.gather(
                *(
                    http.post("/graphql", json={"query": READ, "variables": {"id": c["id"]}})
                    for c in components[:capacity]
                )
            )
            assert [r.status_code for r in again] == [200] * capacity
            assert all("errors" not in r.json() for r in again)


async def test_a_request_past_its_timeout_gets_504_and_its_transaction_ends_in_neo4j(
    settings: Settings, neo4j_driver: Any, issue_token: Any
) -> None:
    timeout_s = 2.0
    with serving(settings.model_copy(update={"request_timeout_s": timeout_s})) as url:
        headers = {
            "Authorization": f"Bearer {issue_token('editor')}",
            "Accept": "application/graphql-response+json",
        }
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            [component] = await _components(http, 1)
            with locked(neo4j_driver, [component["uuid"]]):
                started = time.monotonic()
                call = asyncio.create_task(http.post("/graphql", json=_update(component)))
                blocked = await _wait_for(lambda: _service_transactions(neo4j_driver), 1.5)
                assert blocked, "the update never reached Neo4j"
                response = await call
                answered = time.monotonic() - started
                assert response.status_code == 504, response.text
                error = response.json()["errors"][0]
                assert error["extensions"]["code"] == "TIMEOUT"
                assert error["extensions"]["timeoutSeconds"] == timeout_s
                assert timeout_s <= answered < timeout_s + 1.5
                # The service's transaction is gone from Neo4j although the lock it waited
                # for is still held: it was ended, not let through.
                gone = await _wait_for(lambda: not _service_transactions(neo4j_driver), 5)
                assert gone, _service_transactions(neo4j_driver)
                assert time.monotonic() - started < timeout_s + 5
            # Nothing of the timed-out update was written.
            read = await http.post(
                "/graphql",
                json={
                    "query": "query($id: ID!) { node(id: $id) { ... on Actor { version } } }",
                    "variables": {"id": component["id"]},
                },
            )
            assert read.json()["data"]["node"]["version"] == component["version"]


async def _settled(
    tasks: list[asyncio.Task[httpx.Response]], *, count: int, within_s: float
) -> set[asyncio.Task[httpx.Response]]:
    """The tasks done once `count` are (or `within_s` passed), after a moment for any more."""
    deadline = time.monotonic() + within_s
    pending = set(tasks)
    while len(tasks) - len(pending) < count and pending:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        _, pending = await asyncio.wait(pending, timeout=left, return_when=FIRST_COMPLETED)
    await asyncio.wait(pending, timeout=0.5)  # an admitted request that wrongly finished shows
    return {t for t in tasks if t.done()}


def _service_transactions(driver: Any) -> list[dict[str, Any]]:
    with driver.session() as session:
        return [r.data() for r in session.run(SERVICE_UPDATES)]


async def _wait_for(check: Any, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if await asyncio.to_thread(check):
            return True
        await asyncio.sleep(0.05)
    return bool(await asyncio.to_thread(check))
