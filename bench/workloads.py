"""The operations the benchmark times, each as a GraphQL request and as the service's Cypher.

The Cypher side is built with the service's own functions (`convert` for pages, `compose_graph` for
the statement), so the raw driver runs exactly the text and parameters the service would; the
in-process check in run.py compares the two texts to make sure of it.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import neo4j
from graphgen import Graph
from neo4j import AsyncDriver, Query

from sfm_graphql.db import compose_graph
from sfm_graphql.db.plan import ComponentFilter, ComponentPlan, ConnectionPlan, DeliveryPlan
from sfm_graphql.graphql.core.cursors import encode_cursor
from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.graphql.planner import convert
from sfm_graphql.settings import Settings

NODE_QUERY = """query Node($id: ID!) {
  node(id: $id) { id ... on Component { label type certainty version updatedAt } }
}"""

PAGE_SIZE = 20
NESTED_SIZE = 5
PAGE_QUERY = """query Page($after: String) {
  components(first: 20, after: $after) {
    edges { node { id label type
      outgoing(first: 5) { edges { node { kind target { label } } } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


@dataclass(frozen=True, slots=True)
class Statement:
    name: str
    text: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Workload:
    """`requests[i]` is the GraphQL body of request i, `statements[i]` its Cypher."""

    name: str
    requests: list[dict[str, Any]]
    statements: list[Statement]


def node_read(graph: Graph, count: int, seed: int) -> Workload:
    rng = random.Random(seed)
    picked = [rng.choice(graph.components) for _ in range(count)]
    requests = [
        {"query": NODE_QUERY, "variables": {"id": to_global_id(c.type.label, c.id)}} for c in picked
    ]
    statements = []
    for c in picked:
        # What the Planner makes of NODE_QUERY: no nested connection, the selected properties.
        plan = ComponentPlan(fields=frozenset({"id", "label", "certainty", "version", "updatedAt"}))
        q = compose_graph.components_by_ids(plan, [c.id])
        statements.append(Statement(q.name, q.text, q.params))
    return Workload("node(id:) read", requests, statements)


def page_plan(settings: Settings) -> ComponentPlan:
    """What the Planner makes of PAGE_QUERY's selection below `edges.node`."""
    return ComponentPlan(
        connections={
            "outgoing": ConnectionPlan(
                direction="OUTGOING",
                page=convert.delivery_page(settings, {"first": NESTED_SIZE}),
                filter=convert.delivery_filter(None),
                total=False,
                delivery=DeliveryPlan(
                    target=ComponentPlan(fields=frozenset({"label"})), fields=frozenset({"kind"})
                ),
            )
        },
        fields=frozenset({"id", "label"}),
    )


def nested_page(graph: Graph, count: int, seed: int, settings: Settings) -> Workload:
    """Pages starting after a random component, in the default order (label, then id)."""
    rng = random.Random(seed)
    picked = [rng.choice(graph.components) for _ in range(count)]
    requests, statements = [], []
    for c in picked:
        cursor = encode_cursor("label", {"label": c.fields["label"], "id": c.id})
        requests.append({"query": PAGE_QUERY, "variables": {"after": cursor}})
        page = convert.component_page(settings, {"first": PAGE_SIZE, "after": cursor})
        q = compose_graph.components_page(page_plan(settings), ComponentFilter(), page, total=False)
        statements.append(Statement(q.name, q.text, q.params))
    return Workload("components page + outgoing(first:5)", requests, statements)


def via_service(http: httpx.AsyncClient, workload: Workload) -> Callable[[int], Awaitable[None]]:
    async def call(i: int) -> None:
        response = await http.post("/graphql", json=workload.requests[i])
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
        body = response.json()
        if body.get("errors") or not body.get("data"):
            raise RuntimeError(str(body.get("errors"))[:300])

    return call


async def read_auto_commit(
    driver: AsyncDriver, text: str, params: dict[str, Any], *, database: str, timeout_s: float
) -> list[neo4j.Record]:
    """A read as `Database.run_composed` runs it: one auto-commit transaction on a reader."""
    async with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        result = await session.run(Query(text, timeout=timeout_s), params)
        return [record async for record in result]


def via_driver(
    driver: AsyncDriver, workload: Workload, *, database: str, timeout_s: float
) -> Callable[[int], Awaitable[None]]:
    """The call `Database.run_composed` makes, without anything the service adds around it."""

    async def call(i: int) -> None:
        s = workload.statements[i]
        records = await read_auto_commit(
            driver, s.text, s.params, database=database, timeout_s=timeout_s
        )
        if not records:
            raise RuntimeError(f"{s.name} returned no rows")
        for record in records:
            record.data()

    return call
