"""Write transactions survive a real deadlock: Neo4j fails one of two transactions that lock two
nodes in opposite order, and `Database.write_transaction` runs it again from the start
(db/transaction.py); both commit, the graph revision advances once for each, and the rerun is
counted in `sfm_write_retries_total`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from sfm_graphql.db.cypher_registry import CypherRegistry, parse_query
from sfm_graphql.db.database import Database, create_driver
from sfm_graphql.db.revision import graph_revision
from sfm_graphql.db.transaction import Transaction, Work
from sfm_graphql.observability.metrics_setup import MetricsSetup
from sfm_graphql.security.login_hooks import LoginHooks
from sfm_graphql.settings import Settings
from tests.integration.helpers import create_component
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

# Test only: takes the write lock of one component, as every graph write does.
TOUCH = "test/touch"
TOUCH_TEXT = """
// Test only: counts a touch on one component, which takes its write lock.
// Parameters: id.
// access: write
// revision: bump
MATCH (n:Component {id: $id})
SET n.touched = coalesce(n.touched, 0) + 1
RETURN n.touched AS touched
"""
DENSE = 60
CREATE_DELIVERY = """
mutation($input: CreateDeliveryInput!) { createDelivery(input: $input) { delivery { id } } }"""


@pytest.fixture
async def db(settings: Settings, neo4j_driver: Any, clean_graph: None) -> AsyncIterator[Database]:
    neo4j_driver.execute_query(
        "MERGE (r:GraphRevision {id: 'graph'}) ON CREATE SET r.value = timestamp()"
    )
    shipped = CypherRegistry.load()
    queries = {name: shipped.get(name) for name in shipped.names()}
    queries[TOUCH] = parse_query(TOUCH, TOUCH_TEXT)
    database = Database(create_driver(settings), CypherRegistry(queries), settings)
    yield database
    await database.close()


def _components(neo4j_driver: Any, count: int) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(count)]
    neo4j_driver.execute_query("UNWIND $ids AS id CREATE (:Component {id: id})", ids=ids)
    return ids


def _touched(neo4j_driver: Any, ids: list[str]) -> list[int]:
    records, _, _ = neo4j_driver.execute_query(
        "UNWIND $ids AS id MATCH (n:Component {id: id}) RETURN n.touched AS touched", ids=ids
    )
    return [record["touched"] for record in records]


class OppositeOrder:
    """Two bodies that each lock one node, wait until the other holds its node, then lock the
    other's: a deadlock on their first attempt. Later attempts do not wait."""

    def __init__(self, first: str, second: str) -> None:
        self.nodes = {"forward": (first, second), "backward": (second, first)}
        self.holding = {name: asyncio.Event() for name in self.nodes}
        self.attempts = dict.fromkeys(self.nodes, 0)

    def body(self, name: str) -> Work[int]:
        (first, second), (other,) = self.nodes[name], set(self.nodes) - {name}

        async def work(tx: Transaction) -> int:
            self.attempts[name] += 1
            await tx.run(TOUCH, id=first)
            self.holding[name].set()
            await asyncio.wait_for(self.holding[other].wait(), timeout=10)
            await tx.run(TOUCH, id=second)
            return self.attempts[name]

        return work


async def test_a_deadlock_is_retried_and_both_transactions_commit(
    db: Database, neo4j_driver: Any
) -> None:
    a, b = _components(neo4j_driver, 2)
    race = OppositeOrder(a, b)
    before = await graph_revision(db)

    attempts = await asyncio.gather(
        db.write_transaction(race.body("forward")), db.write_transaction(race.body("backward"))
    )

    # Neo4j failed one of them for the deadlock; it ran again from the start and committed.
    assert sorted(attempts) == [1, 2]
    assert _touched(neo4j_driver, [a, b]) == [2, 2]  # the failed attempt's touches rolled back
    assert await graph_revision(db) - before == 2  # once per committed transaction


async def test_the_rerun_after_a_deadlock_is_counted_in_the_metrics(
    db: Database, neo4j_driver: Any, settings: Settings
) -> None:
    # The metrics as the app factory wires them: MetricsSetup listens to the database.
    setup = MetricsSetup(settings)
    client = aioredis.from_url(settings.redis_url)
    await setup.start(db=db, redis=client, login_hooks=LoginHooks())
    try:
        race = OppositeOrder(*_components(neo4j_driver, 2))
        await asyncio.gather(
            db.write_transaction(race.body("forward")),
            db.write_transaction(race.body("backward")),
        )
        retries = {
            outcome: setup.metrics.registry.get_sample_value(
                "sfm_write_retries_total", {"outcome": outcome}
            )
            for outcome in ("retried", "exhausted")
        }
    finally:
        await setup.stop()
        await client.aclose()
    assert sorted(race.attempts.values()) == [1, 2]
    assert retries == {"retried": 1.0, "exhausted": 0.0}


async def test_a_body_that_fails_is_not_run_again(db: Database, neo4j_driver: Any) -> None:
    (a,) = _components(neo4j_driver, 1)
    runs = 0

    async def work(tx: Transaction) -> None:
        nonlocal runs
        runs += 1
        await tx.run(TOUCH, id=a)
        raise LookupError("ours")

    before = await graph_revision(db)
    with pytest.raises(LookupError):
        await db.write_transaction(work)
    assert runs == 1
    assert _touched(neo4j_driver, [a]) == [None]
    assert await graph_revision(db) == before


async def test_concurrent_deliveries_between_the_same_two_components_all_succeed(
    gql: GraphQLClient, neo4j_driver: Any
) -> None:
    actor = await create_component(gql, "ACTOR", "Dense actor")
    institution = await create_component(gql, "INSTITUTION", "Dense institution")
    # Past Neo4j's dense-node threshold (50), as in the mixed load: a creation then locks the
    # node's relationship group, and the revision node last.
    neo4j_driver.execute_query(
        "MATCH (a:Actor), (i:Institution) UNWIND range(1, $n) AS k "
        "CREATE (a)-[:DELIVERS {id: randomUUID(), kind: 'INFORMS', version: 1}]->(i)",
        n=DENSE,
    )
    pairs = [(actor, institution), (institution, actor)] * 20

    async def deliver(source: str, target: str) -> dict[str, Any]:
        variables = {"input": {"source": source, "target": target, "kind": "INFORMS"}}
        return await gql.execute(CREATE_DELIVERY, variables)

    answers = await asyncio.gather(*(deliver(s, t) for s, t in pairs))

    assert [answer.get("errors") for answer in answers] == [None] * len(pairs)
    records, _, _ = neo4j_driver.execute_query("MATCH ()-[d:DELIVERS]->() RETURN count(d) AS n")
    assert records[0]["n"] == DENSE + len(pairs)  # the graph was empty before the test
