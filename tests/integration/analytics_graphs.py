"""Generated SFM graphs of several shapes for the analytics tests, seeded through bulkImport,
and their analysis graph built in NetworkX from its definition (docs/analytics.md)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import networkx as nx

from tests.services import GraphQLClient

# (source, target, weight, kind) by node number; self-deliveries and parallel ones included
# where a shape asks for them.
Row = tuple[int, int, float, str]
KINDS = ("INFORMS", "CEREMONIALLY_REINFORCES", "INSTRUMENTALLY_ADAPTS", "CONSTRAINS")
TYPES = ("ACTOR", "INSTITUTION", "POLICY")
WEIGHTS = (0.5, 1.0, 1.5, 2.0, 3.0)  # exact in binary: sums of paths tie exactly


@dataclass(frozen=True)
class Shape:
    name: str
    nodes: int
    rows: list[Row]


def _rows(rng: random.Random, pairs: list[tuple[int, int]], signed: bool = False) -> list[Row]:
    out = []
    for s, t in pairs:
        weight = rng.choice(WEIGHTS) * (rng.choice((-1, 1)) if signed else 1)
        out.append((s, t, weight, rng.choice(KINDS)))
    return out


def tree(rng: random.Random) -> Shape:
    pairs = [((i - 1) // 2, i) for i in range(1, 31)]  # a binary tree, root 0
    return Shape("tree", 31, _rows(rng, pairs))


def dense(rng: random.Random) -> Shape:
    n = 14
    pairs = [(s, t) for s in range(n) for t in range(n) if s != t and rng.random() < 0.55]
    return Shape("dense", n, _rows(rng, pairs))


def cycles(rng: random.Random) -> Shape:
    n = 24
    pairs = {(i, (i + 1) % n) for i in range(n)}  # a ring, with chords forward and back
    pairs |= {(i, (i + rng.randrange(2, 8)) % n) for i in range(0, n, 2)}
    pairs |= {(i, (i - rng.randrange(2, 6)) % n) for i in range(1, n, 3)}
    return Shape("cycles", n, _rows(rng, sorted(pairs)))


def disconnected(rng: random.Random) -> Shape:
    ring = [(0, 1), (1, 2), (2, 3), (3, 0), (2, 4)]
    path = [(5, 6), (6, 7), (7, 8), (8, 9)]
    star = [(10, t) for t in range(11, 16)] + [(16, 10)]
    pair = [(17, 18), (18, 17)]
    return Shape("disconnected", 20, _rows(rng, ring + path + star + pair))  # 19: no delivery


def parallel(rng: random.Random) -> Shape:
    n = 12
    pairs = [(s, t) for s in range(n) for t in range(n) if s != t and rng.random() < 0.3]
    pairs += [rng.choice(pairs) for _ in range(25)]  # parallel deliveries
    pairs += [(i, i) for i in range(0, n, 3)]  # self-deliveries, never in the analysis graph
    return Shape("parallel", n, _rows(rng, pairs))


def negative(rng: random.Random) -> Shape:
    n = 16
    pairs = [(s, t) for s in range(n) for t in range(n) if s != t and rng.random() < 0.25]
    return Shape("negative", n, _rows(rng, pairs, signed=True))


def shapes() -> list[Shape]:
    return [make(random.Random(i)) for i, make in enumerate(GENERATORS)]


GENERATORS = (tree, dense, cycles, disconnected, parallel, negative)
SHAPE_NAMES = [g.__name__ for g in GENERATORS]


def shape(name: str) -> Shape:
    return shapes()[SHAPE_NAMES.index(name)]


BULK = """
mutation($components: [BulkComponentInput!]!, $deliveries: [BulkDeliveryInput!]!) {
  bulkImport(components: $components, deliveries: $deliveries) { committed errorCount }
}"""
IDS = """
query($after: String) {
  components(first: 100, after: $after) {
    edges { node { id uuid externalKey } }
    pageInfo { hasNextPage endCursor }
  }
}"""


@dataclass(frozen=True)
class Seeded:
    shape: Shape
    uuids: list[str]  # by node number
    global_ids: dict[str, str]  # uuid -> global id

    def reference(self) -> nx.DiGraph:
        """The analysis graph by its definition, nodes named by uuid."""
        return reference(self.shape.rows, self.uuids)


def reference(rows: list[Row], uuids: list[str]) -> nx.DiGraph:
    graph = nx.DiGraph()
    for s, t, w, _ in rows:
        if s == t:
            continue
        u, v = uuids[s], uuids[t]
        old = graph.get_edge_data(u, v, {"weight": 0.0})["weight"]
        graph.add_edge(u, v, weight=old + w)
    return graph


async def seed(gql: GraphQLClient, shape: Shape, *, scenario: str | None = None) -> Seeded:
    components = [
        {"type": TYPES[i % len(TYPES)], "label": f"C{i:03}", "externalKey": f"k{i:03}"}
        for i in range(shape.nodes)
    ]
    deliveries = [
        {
            "sourceKey": f"k{s:03}",
            "targetKey": f"k{t:03}",
            "kind": kind,
            "weight": weight,
            "externalKey": f"d{j:04}",
            **({"scenario": scenario} if scenario else {}),
        }
        for j, (s, t, weight, kind) in enumerate(shape.rows)
    ]
    result = await gql.data(BULK, {"components": components, "deliveries": deliveries})
    assert result["bulkImport"] == {"committed": True, "errorCount": 0}
    return await ids_of(gql, shape)


async def ids_of(gql: GraphQLClient, shape: Shape) -> Seeded:
    by_key: dict[str, tuple[str, str]] = {}
    after = None
    while True:
        page = (await gql.data(IDS, {"after": after}))["components"]
        for edge in page["edges"]:
            node = edge["node"]
            by_key[node["externalKey"]] = (node["uuid"], node["id"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    uuids = [by_key[f"k{i:03}"][0] for i in range(shape.nodes)]
    return Seeded(shape=shape, uuids=uuids, global_ids=dict(by_key.values()))
