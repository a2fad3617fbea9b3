"""Resetting the bench database and loading the synthetic graph into it.

Two loaders, kept apart on purpose:

- `load_through_service`: the `bulkImport` GraphQL mutation over HTTP. Its rows/second is the
  only bulk-import figure the benchmark reports.
- `load_through_driver`: UNWIND batches straight into Neo4j, with properties made by the
  service's own validation (`validate_component`/`validate_delivery` + `to_properties`). Used
  only while the service has no `bulkImport`; its timing is set-up, never a service figure.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import httpx
from graphgen import Component, Delivery, Graph
from neo4j import AsyncDriver

from sfm_graphql.db.migrations import migrate
from sfm_graphql.domain.enums import COMPONENT_LABEL, ComponentType
from sfm_graphql.domain.models import to_properties, validate_component, validate_delivery

MARKER_LABEL = "BenchMarker"
# The dev and test instances (tools/README.md): the tests wipe test, people keep data in dev.
SHARED_PORTS = {7687, 7688}
BATCH = 2000


class RefusedToWipe(Exception):
    pass


def check_target(uri: str, *, allow_shared: bool) -> None:
    """Refuse the dev/test instances unless asked.

    People keep data in dev, and the integration tests wipe test while they run: a benchmark
    there would destroy the one or be disturbed by the other.
    """
    port = urlsplit(uri).port
    if port in SHARED_PORTS and not allow_shared:
        raise RefusedToWipe(
            f"{uri} is the dev or test instance; use the bench instance (make bench, or "
            "tools/neo4j/neo4j.sh start bench) or pass --allow-shared-instance"
        )


async def reset_database(driver: AsyncDriver, database: str) -> None:
    """Drop the graph and its schema, then apply the service's migrations afresh.

    Only a database that is empty or that a previous bench run marked is reset, so pointing the
    benchmark at the wrong server by mistake destroys nothing.
    """
    records, _, _ = await driver.execute_query(
        f"OPTIONAL MATCH (m:{MARKER_LABEL}) WITH count(m) AS marked "
        "OPTIONAL MATCH (n) WHERE NOT n:SchemaMigration "
        f"AND NOT n:{MARKER_LABEL} WITH marked, count(n) AS others "
        "RETURN marked, others",
        database_=database,
    )
    marked, others = records[0]["marked"], records[0]["others"]
    if not marked and others:
        raise RefusedToWipe(
            f"the database holds {others} nodes that no bench run created; refusing to wipe it"
        )
    await driver.execute_query(
        f"MERGE (:{MARKER_LABEL} {{by: 'bench/run.py'}})", database_=database
    )
    async with driver.session(database=database) as session:
        # CALL … IN TRANSACTIONS needs an auto-commit transaction, hence session.run. The
        # relationships go first: DETACH DELETE of 10,000 nodes that include hubs of the 100k
        # tier (1M deliveries) exceeds the memory pool of the bench instance's 1 GB heap.
        for statement in (
            "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS",
            f"MATCH (n) WHERE NOT n:{MARKER_LABEL} "
            "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS",
        ):
            result = await session.run(statement)
            await result.consume()
    # Schema too: migrations in flight may have changed since the last run, and a stale index
    # or constraint would skew the figures.
    for kind in ("CONSTRAINTS", "INDEXES"):
        records, _, _ = await driver.execute_query(
            f"SHOW {kind} YIELD name, type WHERE type <> 'LOOKUP' RETURN name", database_=database
        )
        for record in records:
            # Names come from SHOW, not from users; backticks keep odd names intact.
            name = str(record["name"]).replace("`", "``")
            await driver.execute_query(
                f"DROP {kind[:-1] if kind == 'CONSTRAINTS' else 'INDEX'} `{name}` IF EXISTS",
                database_=database,
            )
    await migrate(driver, database)


def _batches(rows: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def load_through_driver(driver: AsyncDriver, database: str, graph: Graph) -> float:
    """Write the graph as the service's create queries would store it; returns seconds taken."""
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    by_type: dict[ComponentType, list[dict[str, Any]]] = defaultdict(list)
    for c in graph.components:
        props = to_properties(validate_component(c.type, c.fields))
        by_type[c.type].append({"id": c.id, "props": props})
    for component_type, rows in by_type.items():
        # The label comes from the enum, never from data (as in cypher/components/create).
        text = (
            f"UNWIND $rows AS row CREATE (n:{COMPONENT_LABEL}:{component_type.label}) "
            "SET n = row.props, n.id = row.id, n.createdAt = $now, n.updatedAt = $now, "
            "n.version = 1"
        )
        for batch in _batches(rows, BATCH):
            await driver.execute_query(text, rows=list(batch), now=now, database_=database)
    deliveries = [
        {
            "id": d.id,
            "s": d.source,
            "t": d.target,
            "props": to_properties(validate_delivery(d.fields)),
        }
        for d in graph.deliveries
    ]
    text = (
        f"UNWIND $rows AS row MATCH (s:{COMPONENT_LABEL} {{id: row.s}}), "
        f"(t:{COMPONENT_LABEL} {{id: row.t}}) CREATE (s)-[d:DELIVERS]->(t) "
        "SET d = row.props, d.id = row.id, d.createdAt = $now, d.updatedAt = $now, d.version = 1"
    )
    for batch in _batches(deliveries, BATCH):
        await driver.execute_query(text, rows=list(batch), now=now, database_=database)
    await driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    return time.perf_counter() - started


# -- through the service ---------------------------------------------------------------------

MUTATION_FIELDS = """
query { __type(name: "Mutation") { fields { name args { name type { name kind ofType {
  name kind ofType { name kind } } } } } } }"""


async def bulk_import_arguments(http: httpx.AsyncClient) -> list[str] | None:
    """The argument names of `Mutation.bulkImport`, or None while the service has none."""
    response = await http.post("/graphql", json={"query": MUTATION_FIELDS})
    body = response.json()
    fields = (((body.get("data") or {}).get("__type") or {}).get("fields")) or []
    for field in fields:
        if field["name"] == "bulkImport":
            return [a["name"] for a in field["args"]]
    return None


BULK_IMPORT = """mutation Import($components: [BulkComponentInput!]!,
    $deliveries: [BulkDeliveryInput!]!) {
  bulkImport(components: $components, deliveries: $deliveries) {
    committed componentsCreated deliveriesCreated errorCount
    errors { section row field code message }
  }
}"""
EXPECTED_ARGUMENTS = ["components", "deliveries", "dryRun"]


class BulkImportFailed(Exception):
    pass


def _component_row(c: Component) -> dict[str, Any]:
    return {"type": c.type.value, **c.fields}


def _delivery_row(d: Delivery, keys: dict[str, str]) -> dict[str, Any]:
    return {"sourceKey": keys[d.source], "targetKey": keys[d.target], **d.fields}


async def _import(http: httpx.AsyncClient, components: list[Any], deliveries: list[Any]) -> int:
    variables = {"components": components, "deliveries": deliveries}
    response = await http.post("/graphql", json={"query": BULK_IMPORT, "variables": variables})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise BulkImportFailed(f"HTTP {response.status_code}: {str(body)[:500]}")
    payload = body["data"]["bulkImport"]
    if not payload["committed"]:
        raise BulkImportFailed(f"{payload['errorCount']} row errors: {payload['errors'][:5]}")
    created: int = payload["componentsCreated"] + payload["deliveriesCreated"]
    return created


async def load_through_service(
    http: httpx.AsyncClient, graph: Graph, arguments: list[str], *, rows_per_call: int
) -> float:
    """Import the graph with `bulkImport` calls of `rows_per_call` rows; returns seconds taken.

    Components go first (deliveries name their endpoints by external key, which must exist in
    the call or in the graph). Each call is one all-or-nothing transaction in the service.
    """
    if sorted(arguments) != EXPECTED_ARGUMENTS:
        raise BulkImportFailed(
            f"bulkImport takes {arguments}; bench/loading.py speaks {EXPECTED_ARGUMENTS}"
        )
    keys = {c.id: str(c.fields["externalKey"]) for c in graph.components}
    component_rows = [_component_row(c) for c in graph.components]
    delivery_rows = [_delivery_row(d, keys) for d in graph.deliveries]
    started = time.perf_counter()
    created = 0
    for batch in _batches(component_rows, rows_per_call):
        created += await _import(http, list(batch), [])
    for batch in _batches(delivery_rows, rows_per_call):
        created += await _import(http, [], list(batch))
    seconds = time.perf_counter() - started
    if created != len(component_rows) + len(delivery_rows):
        raise BulkImportFailed(
            f"created {created} rows of {len(component_rows) + len(delivery_rows)}"
        )
    return seconds


async def stored_ids(driver: AsyncDriver, database: str, graph: Graph) -> Graph:
    """The graph with the component ids the database holds (the service makes its own uuids)."""
    records, _, _ = await driver.execute_query(
        f"MATCH (n:{COMPONENT_LABEL}) RETURN n.externalKey AS key, n.id AS id", database_=database
    )
    by_key = {r["key"]: r["id"] for r in records}
    components = [replace(c, id=by_key[c.fields["externalKey"]]) for c in graph.components]
    return Graph(components=components, deliveries=graph.deliveries)


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]
