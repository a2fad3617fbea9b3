"""`reach` and `policyImpact` over HTTP on generated graphs, compared against NetworkX."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from typing import Any

import networkx as nx
import pytest

from sfm_graphql.graphql.core.ids import from_global_id
from tests.integration.traversal_graphs import SHAPES, fresh_analyst, oracle, seed
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

REACH = """
query($from: ID!, $direction: Direction!, $maxDepth: Int, $kinds: [DeliveryKind!]) {
  reach(from: $from, direction: $direction, maxDepth: $maxDepth, kinds: $kinds) {
    components { component { id } distance strongestPathWeight }
    truncated
  }
}"""
IMPACT = """
query($policy: ID!, $radius: Int!) {
  policyImpact(policy: $policy, radius: $radius) {
    byType { type count }
    components { component { id type } distance strongestPathWeight }
    density
    truncated
  }
}"""


@pytest.fixture
def analyst(token_gql: Any) -> GraphQLClient:
    return fresh_analyst(token_gql)


def strongest(graph: nx.DiGraph, s: str, t: str) -> float:
    """The documented strongestPathWeight, by brute force over NetworkX's shortest paths."""
    products = [
        math.prod(graph[u][v]["weight"] for u, v in itertools.pairwise(p))
        for p in nx.all_shortest_paths(graph, s, t)
    ]
    return max(products, key=lambda x: (abs(x), x))


def expected_reach(graph: nx.DiGraph, s: str, direction: str, depth: int | None) -> list[Any]:
    view = {"OUTGOING": graph, "INCOMING": graph.reverse(), "BOTH": graph.to_undirected()}
    lengths = nx.single_source_shortest_path_length(view[direction], s, cutoff=depth)
    lengths.pop(s)
    rows = sorted((d, n) for n, d in lengths.items())
    return [
        (n, d, None if direction == "BOTH" else strongest(view[direction], s, n)) for d, n in rows
    ]


def rows_of(components: list[dict[str, Any]]) -> list[Any]:
    return [
        (from_global_id(r["component"]["id"])[1], r["distance"], r["strongestPathWeight"])
        for r in components
    ]


@pytest.mark.parametrize("shape", ["tree", "dense", "cycles", "disconnected", "negative"])
async def test_reach_equals_networkx_shortest_path_lengths(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any, shape: str
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES[shape])
    for name in sorted(seeded.ids)[:6]:
        for direction, depth in itertools.product(("OUTGOING", "INCOMING", "BOTH"), (None, 1, 2)):
            variables = {"from": seeded.ids[name], "direction": direction, "maxDepth": depth}
            got = (await analyst.data(REACH, variables))["reach"]
            want = expected_reach(seeded.graph, seeded.local[name], direction, depth)
            assert got["truncated"] is False
            rows = rows_of(got["components"])
            assert [r[:2] for r in rows] == [w[:2] for w in want], (name, direction, depth)
            for (_, _, weight), (_, _, expected) in zip(rows, want, strict=True):
                assert weight == (None if expected is None else pytest.approx(expected))


async def test_reach_in_a_scope_of_kinds_uses_only_those_deliveries(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any
) -> None:
    rows = SHAPES["parallel"]
    seeded = await seed(gql, neo4j_driver, rows)
    scoped = oracle(rows, seeded.local, kinds={"SUPPORTS"})
    for name in sorted(seeded.ids)[:4]:
        variables = {
            "from": seeded.ids[name],
            "direction": "OUTGOING",
            "maxDepth": None,
            "kinds": ["SUPPORTS"],
        }
        got = rows_of((await analyst.data(REACH, variables))["reach"]["components"])
        local = seeded.local[name]
        want = expected_reach(scoped, local, "OUTGOING", None) if local in scoped else []
        assert [g[:2] for g in got] == [w[:2] for w in want]
        for (_, _, weight), (_, _, expected) in zip(got, want, strict=True):
            assert weight == pytest.approx(expected)  # the merged weight of SUPPORTS alone


async def test_policy_impact_counts_types_and_measures_density(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any
) -> None:
    types = {
        f"n{i:02d}": t
        for i, t in zip(range(1, 31), itertools.cycle(["INSTITUTION", "ACTOR", "RESOURCE"]))
    }
    seeded = await seed(
        gql, neo4j_driver, SHAPES["tree"] + [("n03", "n01", 1.0, "INFLUENCES")], types=types
    )
    for radius in (1, 2, 3, 10):
        got = await analyst.data(IMPACT, {"policy": seeded.ids["n00"], "radius": radius})
        impact = got["policyImpact"]
        want = expected_reach(seeded.graph, seeded.local["n00"], "OUTGOING", radius)
        assert [r[:2] for r in rows_of(impact["components"])] == [w[:2] for w in want]
        nodes = [seeded.local["n00"], *(w[0] for w in want)]
        assert impact["density"] == pytest.approx(nx.density(seeded.graph.subgraph(nodes)))
        by_type = Counter(r["component"]["type"] for r in impact["components"])
        assert {t["type"]: t["count"] for t in impact["byType"]} == dict(by_type)
        assert [t["type"] for t in impact["byType"]] == sorted(by_type)


async def test_policy_impact_refuses_a_component_that_is_not_a_policy(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES["tree"])
    actor = seeded.ids["n01"]
    assert await analyst.error_code(IMPACT, {"policy": actor, "radius": 2}) == "BAD_USER_INPUT"
    policy = seeded.ids["n00"]
    assert await analyst.error_code(IMPACT, {"policy": policy, "radius": 0}) == "BAD_USER_INPUT"
