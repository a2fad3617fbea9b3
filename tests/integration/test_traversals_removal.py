"""`simulateRemoval` over HTTP, compared against its definition (docs/analytics.md) in NetworkX."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest

from sfm_graphql.graphql.core.ids import from_global_id
from tests.integration.traversal_graphs import SHAPES, fresh_analyst, seed
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

REMOVAL = """
query($ids: [ID!]!, $cascade: Boolean!, $threshold: Float!) {
  simulateRemoval(ids: $ids, cascade: $cascade, threshold: $threshold) {
    removed { id }
    disconnected { id }
    rounds { round failed { id } }
    truncated
  }
}"""


@pytest.fixture
def analyst(token_gql: Any) -> GraphQLClient:
    return fresh_analyst(token_gql)


def cascade_rounds(graph: nx.DiGraph, removed: set[str], threshold: float) -> list[list[str]]:
    incoming = {v: sum(abs(w) for _, _, w in graph.in_edges(v, data="weight")) for v in graph}
    failed = set(removed)
    rounds = []
    while True:
        new = sorted(
            v
            for v in graph
            if v not in failed
            and incoming[v] > 0
            and sum(abs(graph[u][v]["weight"]) for u in graph.predecessors(v) if u in failed)
            > threshold * incoming[v]
        )
        if not new:
            return rounds
        rounds.append(new)
        failed.update(new)


def disconnected(graph: nx.DiGraph, gone: set[str]) -> list[str]:
    undirected = graph.to_undirected()
    out: list[str] = []
    for component in nx.connected_components(undirected):
        if not component & gone:
            continue
        rest = undirected.subgraph(component - gone)
        pieces = sorted(nx.connected_components(rest), key=lambda p: (-len(p), min(p)))
        for piece in pieces[1:]:
            out += piece
    return sorted(out)


def locals_of(components: list[dict[str, Any]]) -> list[str]:
    return [from_global_id(c["id"])[1] for c in components]


@pytest.mark.parametrize("shape", ["tree", "disconnected", "dense", "negative", "cycles"])
async def test_removal_and_its_cascade_equal_their_definition(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any, shape: str
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES[shape])
    graph = seeded.graph
    names = sorted(seeded.ids)
    choices = [[names[0]], [names[1]], [names[2], names[5]], names[3:9:2]]
    if shape == "disconnected":
        choices.append(["n20"])  # the bridge: each side keeps its own part, the smaller is cut
    for chosen in choices:
        removed = {seeded.local[n] for n in chosen}
        for cascade, threshold in ((False, 0.5), (True, 0.5), (True, 0.2), (True, 0.0)):
            variables = {
                "ids": [seeded.ids[n] for n in chosen],
                "cascade": cascade,
                "threshold": threshold,
            }
            got = (await analyst.data(REMOVAL, variables))["simulateRemoval"]
            rounds = cascade_rounds(graph, removed, threshold) if cascade else []
            gone = removed.union(*rounds)
            assert sorted(locals_of(got["removed"])) == sorted(removed)
            assert [(r["round"], locals_of(r["failed"])) for r in got["rounds"]] == list(
                enumerate(rounds, start=1)
            ), (chosen, cascade, threshold)
            assert locals_of(got["disconnected"]) == disconnected(graph, gone)
            assert got["truncated"] is False


async def test_removing_the_bridge_cuts_the_smaller_side(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any
) -> None:
    rows = [("n00", "n01", 1.0, "INFLUENCES"), ("n01", "n02", 1.0, "INFLUENCES")]
    rows += [("n02", "n03", 1.0, "INFLUENCES"), ("n03", "n04", 1.0, "INFLUENCES")]
    rows += [("n04", "n05", 1.0, "INFLUENCES")]
    seeded = await seed(gql, neo4j_driver, rows)
    variables = {"ids": [seeded.ids["n02"]], "cascade": False, "threshold": 0.5}
    got = (await analyst.data(REMOVAL, variables))["simulateRemoval"]
    assert locals_of(got["disconnected"]) == sorted([seeded.local["n00"], seeded.local["n01"]])
    assert got["rounds"] == []
    # With a cascade, everything downstream loses all its incoming weight, one hop a round.
    got = (await analyst.data(REMOVAL, {**variables, "cascade": True}))["simulateRemoval"]
    assert [locals_of(r["failed"]) for r in got["rounds"]] == [
        [seeded.local[n]] for n in ("n03", "n04", "n05")
    ]
    assert locals_of(got["disconnected"]) == []  # n00 and n01 are the largest piece left


async def test_removal_refuses_bad_thresholds_and_ids(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES["tree"])
    ok = {"ids": [seeded.ids["n01"]], "cascade": True, "threshold": 0.5}
    for bad in ({"threshold": 1.5}, {"threshold": -0.1}, {"ids": []}, {"ids": ["nope"]}):
        assert await analyst.error_code(REMOVAL, {**ok, **bad}) == "BAD_USER_INPUT"
