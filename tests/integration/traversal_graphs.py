"""Generated SFM graphs for the traversal tests, imported through `bulkImport` over HTTP, with
their analysis graph (docs/analytics.md) built in NetworkX as the oracle.

A shape is a list of deliveries (source, target, weight, kind) over named components; parallel
deliveries between one pair are merged in the oracle by summing their weights, as the analysis
graph does. Oracle nodes are the components' local ids, so orders by node equal orders by id.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

import networkx as nx

from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.security.principal import Role
from tests.services import GraphQLClient

# Kinds that every component type may deliver to every other.
KINDS = ("INFLUENCES", "SUPPORTS", "ENABLES")
# Exact binary fractions, so sums and products compare exactly.
POSITIVE = (0.5, 1.0, 2.0, 3.0)
MIXED = (-2.0, -1.0, -0.5, 0.5, 1.0, 2.0)

Delivery = tuple[str, str, float, str]

BULK = """
mutation($components: [BulkComponentInput!]!, $deliveries: [BulkDeliveryInput!]!) {
  bulkImport(components: $components, deliveries: $deliveries) { committed errorCount }
}"""


def fresh_analyst(token_gql: Any) -> GraphQLClient:
    """An analyst of its own (a fresh subject: a rate-limit budget no other test spends)."""
    client: GraphQLClient = token_gql(Role.ANALYST, subject=f"traversals-{uuid.uuid4()}")
    return client


def _name(i: int) -> str:
    return f"n{i:02d}"


def tree(depth: int = 4, seed: int = 1) -> list[Delivery]:
    """A binary tree, edges from parent to child."""
    rnd = random.Random(seed)
    count = 2 ** (depth + 1) - 1
    return [
        (_name((i - 1) // 2), _name(i), rnd.choice(POSITIVE), KINDS[0]) for i in range(1, count)
    ]


def dense(n: int = 9, p: float = 0.55, seed: int = 2, weights: tuple[float, ...] = POSITIVE):
    """About p of all ordered pairs of n components."""
    rnd = random.Random(seed)
    return [
        (_name(s), _name(t), rnd.choice(weights), KINDS[0])
        for s in range(n)
        for t in range(n)
        if s != t and rnd.random() < p
    ]


def many_cycles(n: int = 12, seed: int = 3) -> list[Delivery]:
    """A ring with chords both ways and mixed signs: loops of every length and polarity."""
    rnd = random.Random(seed)
    ring = [(_name(i), _name((i + 1) % n), rnd.choice(MIXED), KINDS[0]) for i in range(n)]
    chords = [(_name(i), _name((i + 3) % n), rnd.choice(MIXED), KINDS[1]) for i in range(0, n, 2)]
    back = [(_name((i + 2) % n), _name(i), rnd.choice(MIXED), KINDS[2]) for i in range(1, n, 3)]
    return ring + chords + back


def disconnected(seed: int = 4) -> list[Delivery]:
    """Two dense parts joined by one bridge component, and a separate chain."""
    left = dense(5, 0.6, seed)
    right = [(s.replace("n0", "n1"), t.replace("n0", "n1"), w, k) for s, t, w, k in dense(5, 0.6)]
    bridge = [("n04", "n20", 1.0, KINDS[0]), ("n20", "n10", 2.0, KINDS[0])]
    chain = [("n30", "n31", 1.0, KINDS[0]), ("n31", "n32", 0.5, KINDS[0])]
    return left + right + bridge + chain


def parallel(seed: int = 5) -> list[Delivery]:
    """A dense graph where many pairs have two or three deliveries of different kinds."""
    rnd = random.Random(seed)
    return [
        (s, t, w if kind == KINDS[0] else rnd.choice(MIXED), kind)
        for s, t, w, _ in dense(8, 0.5, seed, MIXED)
        for kind in KINDS[: rnd.randint(1, 3)]
    ]


def negative(seed: int = 6) -> list[Delivery]:
    return dense(9, 0.45, seed, MIXED)


SHAPES = {
    "tree": tree(),
    "dense": dense(),
    "cycles": many_cycles(),
    "disconnected": disconnected(),
    "parallel": parallel(),
    "negative": negative(),
}


@dataclass
class Seeded:
    """An imported shape: global ids by name, and the oracle analysis graph on local ids."""

    ids: dict[str, str]  # name -> global id
    local: dict[str, str]  # name -> local id
    graph: nx.DiGraph
    deliveries: dict[tuple[str, str], list[str]]  # (source local id, target local id) -> ids

    def name_of(self, global_id: str) -> str:
        return next(n for n, g in self.ids.items() if g == global_id)

    def global_of(self, local_id: str) -> str:
        return next(self.ids[n] for n, loc in self.local.items() if loc == local_id)


def oracle(rows: list[Delivery], local: dict[str, str], kinds: set[str] | None = None):
    graph = nx.DiGraph()
    for s, t, w, kind in rows:
        if s == t or (kinds is not None and kind not in kinds):
            continue
        old = graph.get_edge_data(local[s], local[t], {"weight": 0.0})["weight"]
        graph.add_edge(local[s], local[t], weight=old + w)
    return graph


async def seed(
    gql: GraphQLClient,
    neo4j_driver: Any,
    rows: list[Delivery],
    *,
    policies: frozenset[str] = frozenset({"n00"}),
    types: dict[str, str] | None = None,
) -> Seeded:
    """Import `rows` (components named by them; `policies` are POLICYs, others ACTORs unless
    `types` says otherwise) and return what the tests compare against."""
    names = sorted({n for s, t, _, _ in rows for n in (s, t)})
    kinds_of = types or {}
    components = [
        {
            "externalKey": n,
            "label": f"component {n}",
            "type": "POLICY" if n in policies else kinds_of.get(n, "ACTOR"),
        }
        for n in names
    ]
    deliveries = [
        {"externalKey": f"d{i}", "sourceKey": s, "targetKey": t, "kind": k, "weight": w}
        for i, (s, t, w, k) in enumerate(rows)
    ]
    done = await gql.data(BULK, {"components": components, "deliveries": deliveries})
    assert done["bulkImport"] == {"committed": True, "errorCount": 0}
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (c:Component) WHERE c.externalKey IN $keys "
        "RETURN c.externalKey AS key, c.id AS id, [l IN labels(c) WHERE l <> 'Component'][0] AS l",
        keys=names,
    )
    local = {r["key"]: r["id"] for r in records}
    ids = {r["key"]: to_global_id(r["l"], r["id"]) for r in records}
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (s:Component)-[d:DELIVERS]->(t:Component) WHERE s.externalKey IN $keys "
        "RETURN s.id AS s, t.id AS t, d.id AS id ORDER BY d.id",
        keys=names,
    )
    by_pair: dict[tuple[str, str], list[str]] = {}
    for r in records:
        by_pair.setdefault((r["s"], r["t"]), []).append(r["id"])
    return Seeded(ids=ids, local=local, graph=oracle(rows, local), deliveries=by_pair)


def rotated(cycle: list[str]) -> list[str]:
    """A cycle written from its smallest node, as the service writes loops."""
    first = cycle.index(min(cycle))
    return cycle[first:] + cycle[:first]
