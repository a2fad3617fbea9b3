"""A full Neo4j pool is overload, not an outage (db/outage.py; docs/observability.md, "When Neo4j
is unreachable").

Neo4j is reachable and the process's pool (one connection here) is held by a transaction: the
next statement times out waiting for a connection. That statement alone fails, as OVERLOADED with
`Retry-After`; the fail-fast window stays closed, so the statements that follow wait for the
pool as well instead of failing at once, and the first one after the hold ends succeeds.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.database import BUSY_MESSAGE, Database, DriverTimeouts, create_driver
from sfm_graphql.errors import Overloaded
from sfm_graphql.settings import Settings
from tests.integration.test_overload import SERVICE_UPDATES, locked
from tests.services import serving

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]

BOUND_S = 3.0  # neo4j_unavailable_timeout_s: the acquisition wait is 0.35 of it
CREATE = """
mutation($input: CreateComponentInput!) {
  createComponent(input: $input) { component { id uuid version } }
}"""
UPDATE = """
mutation($input: UpdateComponentInput!) {
  updateComponent(input: $input) { component { id version } }
}"""
READ = "query($id: ID!) { node(id: $id) { id } }"


def one_connection(settings: Settings, **more: Any) -> Settings:
    return settings.model_copy(
        update={"neo4j_pool_size": 1, "neo4j_unavailable_timeout_s": BOUND_S, **more}
    )


async def test_a_statement_that_finds_the_pool_full_fails_alone(settings: Settings) -> None:
    narrow = one_connection(settings)
    wait_s = DriverTimeouts.of(narrow).acquisition
    db = Database(create_driver(narrow), CypherRegistry.load(), narrow)
    try:
        assert await db.read("system/ping") == [{"ok": 1}]  # the pool's connection, now idle
        async with db.driver.session(database=narrow.neo4j_database) as holder:
            held = await holder.begin_transaction()  # holds the one connection until it ends
            await (await held.run("RETURN 1")).consume()
            for _ in range(2):
                started = time.monotonic()
                with pytest.raises(Overloaded) as refused:
                    await db.read("system/ping")
                waited = time.monotonic() - started
                # It waited for the pool (the second time too: no fail-fast window was opened).
                assert waited >= 0.9 * wait_s, waited
                assert refused.value.code.value == "OVERLOADED"
                assert refused.value.message == BUSY_MESSAGE
                assert refused.value.details == {"retryAfter": narrow.overload_retry_after_s}
            await held.rollback()
        started = time.monotonic()
        assert await db.read("system/ping") == [{"ok": 1}]  # at once, not SERVICE_UNAVAILABLE
        assert time.monotonic() - started < wait_s
    finally:
        await db.close()


async def _waiting_in_neo4j(driver: Any, within_s: float) -> None:
    """Until the service's update is waiting for the test's lock in Neo4j."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        records, _, _ = await asyncio.to_thread(driver.execute_query, SERVICE_UPDATES)
        if records:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the service's update never reached Neo4j")


async def test_a_request_that_finds_the_pool_full_gets_503_overloaded_and_the_next_succeeds(
    settings: Settings, neo4j_driver: Any, issue_token: Any
) -> None:
    # Admission control would refuse the second request of a one-connection process first.
    narrow = one_connection(settings, max_concurrent_requests=10)
    wait_s = DriverTimeouts.of(narrow).acquisition
    with serving(create_app(narrow), stop_timeout_s=30) as url:
        headers = {"Authorization": f"Bearer {issue_token('editor')}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            made = await http.post(
                "/graphql",
                json={"query": CREATE, "variables": {"input": {"type": "ACTOR", "label": "held"}}},
            )
            component = made.json()["data"]["createComponent"]["component"]
            # Probed ready before the spike, as the orchestrator does from the start on.
            assert (await http.get("/readyz")).json()["status"] == "ready"
            await asyncio.sleep(0.5)  # the create's audit event gives the connection back
            change = {"id": component["id"], "version": component["version"], "label": "moved"}
            with locked(neo4j_driver, [component["uuid"]]):
                # The update holds the process's one connection while it waits for the lock.
                update = asyncio.create_task(
                    http.post("/graphql", json={"query": UPDATE, "variables": {"input": change}})
                )
                await _waiting_in_neo4j(neo4j_driver, within_s=10)
                for _ in range(2):
                    read = await http.post(
                        "/graphql", json={"query": READ, "variables": {"id": component["id"]}}
                    )
                    assert read.status_code == 503, read.text
                    assert read.headers["Retry-After"] == str(narrow.overload_retry_after_s)
                    codes = {e["extensions"]["code"] for e in read.json()["errors"]}
                    assert codes == {"OVERLOADED"}, read.text
                    assert read.elapsed.total_seconds() >= 0.9 * wait_s  # waited, each time
                # The probe: the process is full, not broken (http/health.py).
                probe = await http.get("/readyz")
                assert probe.status_code == 200, probe.text
                assert probe.json()["status"] == "busy"
                assert probe.json()["checks"]["neo4j"] == "busy"
                assert not update.done()
            updated = await update
            assert updated.status_code == 200, updated.text
            assert "errors" not in updated.json(), updated.text
            read = await http.post(
                "/graphql", json={"query": READ, "variables": {"id": component["id"]}}
            )
            assert read.status_code == 200, read.text
            assert read.json()["data"]["node"] == {"id": component["id"]}
