"""The benchmark graph in both databases: the service's layout and the peer's.

The service's database gets the graph the way `bench/run.py` loads it without `bulkImport`
(loading.py: reset, migrations, UNWIND batches of the service's own property maps). The peer's
database gets the same components and deliveries, with the same ids and the same property
values (`to_properties` of the service's validated models), in the Neo4j GraphQL Library's
layout of bench/peer/typedefs.js: one label per component type and no shared label, so every
delivery is matched by the labels of its two endpoints.

Both resets refuse a database holding nodes that no benchmark made.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from typing import Any

import loading
from graphgen import Graph
from neo4j import AsyncDriver

from sfm_graphql.domain.models import to_properties, validate_component, validate_delivery

PEER_MARKER = "PeerBenchMarker"
BATCH = 2000


async def count_components(driver: AsyncDriver, database: str, *, peer: bool) -> tuple[int, int]:
    """(components, deliveries) the database holds, in its own layout."""
    nodes = f"MATCH (n) WHERE NOT n:{PEER_MARKER}" if peer else "MATCH (n:Component)"
    records, _, _ = await driver.execute_query(
        f"CALL () {{ {nodes} RETURN count(n) AS c }} "
        "CALL () { MATCH ()-[d:DELIVERS]->() RETURN count(d) AS d } RETURN c, d",
        database_=database,
    )
    return int(records[0]["c"]), int(records[0]["d"])


async def load_service_graph(driver: AsyncDriver, database: str, graph: Graph) -> float:
    """Reset the service's database, migrate it and load the graph; returns seconds taken."""
    started = time.perf_counter()
    await loading.reset_database(driver, database)
    await loading.load_through_driver(driver, database, graph)
    return time.perf_counter() - started


async def reset_peer_database(driver: AsyncDriver, database: str) -> None:
    records, _, _ = await driver.execute_query(
        f"OPTIONAL MATCH (m:{PEER_MARKER}) WITH count(m) AS marked "
        f"OPTIONAL MATCH (n) WHERE NOT n:{PEER_MARKER} RETURN marked, count(n) AS others",
        database_=database,
    )
    if not records[0]["marked"] and records[0]["others"]:
        raise loading.RefusedToWipe(
            f"the peer database holds {records[0]['others']} nodes that no peer benchmark "
            "created; refusing to wipe it"
        )
    await driver.execute_query(
        f"MERGE (:{PEER_MARKER} {{by: 'bench/peer_bench.py'}})", database_=database
    )
    async with driver.session(database=database) as session:
        result = await session.run(
            f"MATCH (n) WHERE NOT n:{PEER_MARKER} "
            "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        )
        await result.consume()


async def _schema(driver: AsyncDriver, database: str, labels: list[str]) -> None:
    """What the library's users would declare: a unique id and an index on the sort key."""
    for label in labels:
        await driver.execute_query(
            f"CREATE CONSTRAINT peer_{label}_id IF NOT EXISTS "
            f"FOR (n:{label}) REQUIRE n.id IS UNIQUE",
            database_=database,
        )
        await driver.execute_query(
            f"CREATE INDEX peer_{label}_label IF NOT EXISTS FOR (n:{label}) ON (n.label)",
            database_=database,
        )
    await driver.execute_query("CALL db.awaitIndexes(300)", database_=database)


async def load_peer_graph(driver: AsyncDriver, database: str, graph: Graph) -> float:
    """Reset the peer's database and load the graph in its layout; returns seconds taken."""
    started = time.perf_counter()
    await reset_peer_database(driver, database)
    now = dt.datetime.now(dt.UTC)
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    label_of: dict[str, str] = {}
    for c in graph.components:
        props = to_properties(validate_component(c.type, c.fields))
        by_label[c.type.label].append({"id": c.id, "props": props})
        label_of[c.id] = c.type.label
    await _schema(driver, database, sorted(by_label))
    for label, rows in by_label.items():
        # Labels come from the component type enum, never from data.
        text = (
            f"UNWIND $rows AS row CREATE (n:{label}) SET n = row.props, n.id = row.id, "
            "n.createdAt = $now, n.updatedAt = $now, n.version = 1"
        )
        for start in range(0, len(rows), BATCH):
            await driver.execute_query(
                text, rows=rows[start : start + BATCH], now=now, database_=database
            )
    pairs: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for d in graph.deliveries:
        row = {
            "id": d.id,
            "s": d.source,
            "t": d.target,
            "props": to_properties(validate_delivery(d.fields)),
        }
        pairs[label_of[d.source], label_of[d.target]].append(row)
    for (source, target), rows in pairs.items():
        text = (
            f"UNWIND $rows AS row MATCH (s:{source} {{id: row.s}}), (t:{target} {{id: row.t}}) "
            "CREATE (s)-[d:DELIVERS]->(t) SET d = row.props, d.id = row.id, "
            "d.createdAt = $now, d.updatedAt = $now, d.version = 1"
        )
        for start in range(0, len(rows), BATCH):
            await driver.execute_query(
                text, rows=rows[start : start + BATCH], now=now, database_=database
            )
    return time.perf_counter() - started
