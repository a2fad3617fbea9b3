"""`feedbackLoops` and `leveragePoints` over HTTP, compared against NetworkX `simple_cycles`."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from typing import Any

import networkx as nx
import pytest

from sfm_graphql.graphql.core.ids import from_global_id, to_global_id
from tests.integration.traversal_graphs import SHAPES, fresh_analyst, rotated, seed
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

LOOPS = """
query($through: ID, $maxLength: Int!, $limit: Int!) {
  feedbackLoops(through: $through, maxLength: $maxLength, limit: $limit) {
    loops { components { id } deliveries { id } length strength polarity }
    truncated
  }
}"""
LEVERAGE = """
query($maxLength: Int!, $limit: Int) {
  leveragePoints(maxLength: $maxLength, limit: $limit) {
    points { component { id } loops rank }
    loops
    truncated
  }
}"""


@pytest.fixture
def analyst(token_gql: Any) -> GraphQLClient:
    return fresh_analyst(token_gql)


def expected_loops(graph: nx.DiGraph, max_length: int) -> list[list[str]]:
    cycles = (rotated(c) for c in nx.simple_cycles(graph, length_bound=max_length))
    return sorted(cycles, key=lambda c: (len(c), c))


def local_ids(item: dict[str, Any]) -> list[str]:
    return [from_global_id(c["id"])[1] for c in item["components"]]


@pytest.mark.parametrize("shape", ["dense", "cycles", "parallel", "negative", "tree"])
async def test_loops_are_networkx_simple_cycles_with_strength_and_polarity(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any, shape: str
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES[shape])
    graph = seeded.graph
    for max_length in (2, 3, 5):
        variables = {"through": None, "maxLength": max_length, "limit": 1000}
        got = (await analyst.data(LOOPS, variables))["feedbackLoops"]
        want = expected_loops(graph, max_length)
        assert [local_ids(loop) for loop in got["loops"]] == want
        assert got["truncated"] is False
        for loop, cycle in zip(got["loops"], want, strict=True):
            hops = list(zip(cycle, cycle[1:] + cycle[:1], strict=True))
            strength = math.prod(graph[u][v]["weight"] for u, v in hops)
            assert loop["strength"] == pytest.approx(strength)
            assert loop["length"] == len(cycle)
            assert loop["polarity"] == ("REINFORCING" if strength > 0 else "BALANCING")
            deliveries = [to_global_id("Delivery", d) for h in hops for d in seeded.deliveries[h]]
            assert [d["id"] for d in loop["deliveries"]] == deliveries
    if shape == "tree":
        assert want == []


async def test_loops_through_a_component_are_those_it_lies_on(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES["cycles"])
    every = expected_loops(seeded.graph, 6)
    assert {"REINFORCING", "BALANCING"} <= {
        "REINFORCING"
        if math.prod(seeded.graph[u][v]["weight"] for u, v in itertools.pairwise([*c, c[0]])) > 0
        else "BALANCING"
        for c in every
    }
    for name in sorted(seeded.ids)[::3]:
        variables = {"through": seeded.ids[name], "maxLength": 6, "limit": 1000}
        got = (await analyst.data(LOOPS, variables))["feedbackLoops"]
        local = seeded.local[name]
        assert [local_ids(loop) for loop in got["loops"]] == [c for c in every if local in c]


async def test_loops_over_the_limit_are_truncated_to_the_shortest(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES["dense"])
    want = expected_loops(seeded.graph, 4)
    assert len(want) > 10
    got = await analyst.data(LOOPS, {"through": None, "maxLength": 4, "limit": 10})
    assert got["feedbackLoops"]["truncated"] is True
    assert [local_ids(loop) for loop in got["feedbackLoops"]["loops"]] == want[:10]


@pytest.mark.parametrize("shape", ["dense", "cycles"])
async def test_leverage_points_rank_components_by_the_loops_they_lie_on(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any, shape: str
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES[shape])
    cycles = expected_loops(seeded.graph, 4)
    counts = Counter(n for c in cycles for n in c)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    got = (await analyst.data(LEVERAGE, {"maxLength": 4, "limit": None}))["leveragePoints"]
    assert got["loops"] == len(cycles)
    assert got["truncated"] is False
    assert [
        (from_global_id(p["component"]["id"])[1], p["loops"], p["rank"]) for p in got["points"]
    ] == [(n, c, i) for i, (n, c) in enumerate(ranked, start=1)]
    top = (await analyst.data(LEVERAGE, {"maxLength": 4, "limit": 3}))["leveragePoints"]
    assert [p["loops"] for p in top["points"]] == [c for _, c in ranked[:3]]
    assert top["truncated"] is (len(ranked) > 3)
