"""`shortestPath` and `paths` over HTTP on generated graphs, compared against NetworkX."""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
import pytest

from sfm_graphql.graphql.core.ids import from_global_id, to_global_id
from tests.integration.traversal_graphs import SHAPES, Seeded, fresh_analyst, seed
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

SHORTEST = """
query($from: ID!, $to: ID!, $direction: Direction!, $weighted: Boolean!) {
  shortestPath(from: $from, to: $to, direction: $direction, weighted: $weighted) {
    components { id } deliveries { id } length totalWeight
  }
}"""
PATHS = """
query($from: ID!, $to: ID!, $maxLength: Int!, $limit: Int!) {
  paths(from: $from, to: $to, maxLength: $maxLength, limit: $limit) {
    paths { components { id } deliveries { id weight } length totalWeight }
    truncated
  }
}"""


@pytest.fixture
def analyst(token_gql: Any) -> GraphQLClient:
    return fresh_analyst(token_gql)


def local_ids(path: dict[str, Any]) -> list[str]:
    return [from_global_id(c["id"])[1] for c in path["components"]]


def view_of(graph: nx.DiGraph, direction: str) -> nx.Graph:
    if direction == "OUTGOING":
        return graph
    if direction == "INCOMING":
        return graph.reverse()
    undirected = nx.Graph()
    undirected.add_nodes_from(graph)
    for s, t, w in graph.edges(data="weight"):
        old = undirected.get_edge_data(s, t, {"weight": w})["weight"]
        undirected.add_edge(s, t, weight=min(old, w))
    return undirected


def expected_shortest(graph: nx.Graph, s: str, t: str, weighted: bool) -> list[str] | None:
    """NetworkX's shortest paths, the tie broken as documented: fewest hops, then ids."""
    try:
        paths = nx.all_shortest_paths(graph, s, t, weight="weight" if weighted else None)
        return min(paths, key=lambda p: (len(p), p))
    except nx.NetworkXNoPath:
        return None


def hop_deliveries(seeded: Seeded, path: list[str], direction: str) -> list[str]:
    out = []
    for u, v in itertools.pairwise(path):
        pairs = {"OUTGOING": [(u, v)], "INCOMING": [(v, u)], "BOTH": [(u, v), (v, u)]}
        for pair in pairs[direction]:
            out += seeded.deliveries.get(pair, [])
    return [to_global_id("Delivery", d) for d in out]


@pytest.mark.parametrize("shape", ["tree", "dense", "disconnected", "parallel", "negative"])
async def test_shortest_paths_equal_networkx_in_every_direction(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any, shape: str
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES[shape])
    names = sorted(seeded.ids)[:8]
    negative = any(w < 0 for _, _, w in seeded.graph.edges(data="weight"))
    for direction in ("OUTGOING", "INCOMING", "BOTH"):
        view = view_of(seeded.graph, direction)
        for a, b in itertools.permutations(names, 2):
            for weighted in (False, True) if not negative else (False,):
                variables = {
                    "from": seeded.ids[a],
                    "to": seeded.ids[b],
                    "direction": direction,
                    "weighted": weighted,
                }
                got = (await analyst.data(SHORTEST, variables))["shortestPath"]
                want = expected_shortest(view, seeded.local[a], seeded.local[b], weighted)
                if want is None:
                    assert got is None
                    continue
                assert local_ids(got) == want, (direction, weighted, a, b)
                assert got["length"] == len(want) - 1
                total = sum(view[u][v]["weight"] for u, v in itertools.pairwise(want))
                assert got["totalWeight"] == pytest.approx(total)
                assert [d["id"] for d in got["deliveries"]] == hop_deliveries(
                    seeded, want, direction
                )


async def test_a_weighted_shortest_path_refuses_negative_weights(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES["negative"])
    a, b = sorted(seeded.ids)[:2]
    variables = {"from": seeded.ids[a], "to": seeded.ids[b], "direction": "OUTGOING"}
    code = await analyst.error_code(SHORTEST, {**variables, "weighted": True})
    assert code == "BAD_USER_INPUT"


async def test_ties_take_the_smallest_component_ids(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any
) -> None:
    # A diamond a -> {b, c} -> d and a longer path a -> e -> f -> d: two shortest paths tie.
    rows = (
        [("n00", x, 1.0, "INFLUENCES") for x in ("n01", "n02", "n04")]
        + [(x, "n03", 1.0, "INFLUENCES") for x in ("n01", "n02")]
        + [
            ("n04", "n05", 1.0, "INFLUENCES"),
            ("n05", "n03", 1.0, "INFLUENCES"),
        ]
    )
    seeded = await seed(gql, neo4j_driver, rows)
    variables = {"from": seeded.ids["n00"], "to": seeded.ids["n03"], "weighted": False}
    got = (await analyst.data(SHORTEST, {**variables, "direction": "OUTGOING"}))["shortestPath"]
    middle = min(seeded.local["n01"], seeded.local["n02"])
    assert local_ids(got) == [seeded.local["n00"], middle, seeded.local["n03"]]


async def test_a_path_to_itself_has_no_hops_and_an_unknown_pair_none(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES["tree"])
    a = seeded.ids["n00"]
    same = {"from": a, "to": a, "direction": "OUTGOING", "weighted": False}
    got = (await analyst.data(SHORTEST, same))["shortestPath"]
    assert got == {"components": [{"id": a}], "deliveries": [], "length": 0, "totalWeight": 0}
    backwards = {**same, "from": seeded.ids["n05"]}
    assert (await analyst.data(SHORTEST, backwards))["shortestPath"] is None


@pytest.mark.parametrize("shape", ["dense", "cycles", "parallel", "disconnected"])
async def test_paths_are_networkx_simple_paths_shortest_first(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any, shape: str
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES[shape])
    names = sorted(seeded.ids)
    for a, b in list(itertools.permutations(names, 2))[::7]:
        for max_length in (1, 3, 5):
            variables = {
                "from": seeded.ids[a],
                "to": seeded.ids[b],
                "maxLength": max_length,
                "limit": 100,
            }
            got = (await analyst.data(PATHS, variables))["paths"]
            s, t = seeded.local[a], seeded.local[b]
            want = sorted(
                nx.all_simple_paths(seeded.graph, s, t, cutoff=max_length),
                key=lambda p: (len(p), p),
            )
            assert [local_ids(p) for p in got["paths"]] == want[:100]
            assert got["truncated"] is (len(want) > 100)
            for path, nodes in zip(got["paths"], want, strict=False):
                total = sum(seeded.graph[u][v]["weight"] for u, v in itertools.pairwise(nodes))
                assert path["totalWeight"] == pytest.approx(total)
                assert path["length"] == len(nodes) - 1
                expected = hop_deliveries(seeded, nodes, "OUTGOING")
                assert [d["id"] for d in path["deliveries"]] == expected
                assert sum(d["weight"] for d in path["deliveries"]) == pytest.approx(total)


async def test_paths_over_the_limit_are_truncated_to_the_shortest(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES["dense"])
    s, t = seeded.local["n00"], seeded.local["n08"]
    want = sorted(nx.all_simple_paths(seeded.graph, s, t, cutoff=6), key=lambda p: (len(p), p))
    assert len(want) > 5
    variables = {"from": seeded.ids["n00"], "to": seeded.ids["n08"], "maxLength": 6, "limit": 5}
    got = (await analyst.data(PATHS, variables))["paths"]
    assert got["truncated"] is True
    assert [local_ids(p) for p in got["paths"]] == want[:5]
