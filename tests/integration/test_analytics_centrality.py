"""centrality over real HTTP equals NetworkX on the analysis graph of generated SFM graphs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
import pytest

from tests.conftest import GraphQLClient
from tests.integration.analytics_graphs import SHAPE_NAMES, Seeded, seed, shape

pytestmark = [pytest.mark.integration]

CENTRALITY = """
query($measure: CentralityMeasure!, $weighted: Boolean, $top: Int) {
  centrality(measure: $measure, weighted: $weighted, top: $top) {
    score rank component { id uuid }
  }
}"""
Reference = Callable[[nx.DiGraph, str | None], dict[str, float]]


def _weighted_degree(view: Callable[..., Any]) -> Callable[[nx.DiGraph, str | None], Any]:
    def measure(g: nx.DiGraph, weight: str | None) -> dict[str, float]:
        return {u: d / (len(g) - 1) for u, d in view(g)(weight=weight)}

    return measure


# measure -> (NetworkX reference, relative tolerance, weighted reads weights as distances)
REFERENCES: dict[str, tuple[Reference, float, bool]] = {
    "DEGREE": (_weighted_degree(lambda g: g.degree), 1e-6, False),
    "IN_DEGREE": (_weighted_degree(lambda g: g.in_degree), 1e-6, False),
    "OUT_DEGREE": (_weighted_degree(lambda g: g.out_degree), 1e-6, False),
    "BETWEENNESS": (lambda g, w: nx.betweenness_centrality(g, weight=w), 1e-6, True),
    "CLOSENESS": (lambda g, w: nx.closeness_centrality(g, distance=w), 1e-6, True),
    # The iterative ones, converged tighter than NetworkX's default so that its own error does
    # not count against the 1e-4 the contract allows.
    "EIGENVECTOR": (
        lambda g, w: nx.eigenvector_centrality(g, weight=w, max_iter=10_000, tol=1e-12),
        1e-4,
        False,
    ),
    "PAGERANK": (
        lambda g, w: nx.pagerank(g, alpha=0.85, weight=w, tol=1e-12, max_iter=10_000),
        1e-4,
        False,
    ),
}


def test_unweighted_degree_references_are_networkx_own() -> None:
    g = shape("dense")
    from tests.integration.analytics_graphs import reference

    ref = reference(g.rows, [f"n{i:02}" for i in range(g.nodes)])
    for name, own in (
        ("DEGREE", nx.degree_centrality),
        ("IN_DEGREE", nx.in_degree_centrality),
        ("OUT_DEGREE", nx.out_degree_centrality),
    ):
        assert REFERENCES[name][0](ref, None) == pytest.approx(own(ref))


async def _scores(gql: GraphQLClient, measure: str, *, weighted: bool) -> list[dict[str, Any]]:
    data = await gql.data(CENTRALITY, {"measure": measure, "weighted": weighted, "top": 1000})
    entries: list[dict[str, Any]] = data["centrality"]
    return entries


def _check_order(entries: list[dict[str, Any]]) -> None:
    assert [e["rank"] for e in entries] == list(range(1, len(entries) + 1))
    for a, b in zip(entries, entries[1:], strict=False):
        tie = float(f"{a['score']:.12g}") == float(f"{b['score']:.12g}")
        assert a["score"] > b["score"] or tie
        if tie:
            assert a["component"]["uuid"] < b["component"]["uuid"]  # ties by component id


def _is_dominant_eigenvector(g: nx.DiGraph, scores: dict[str, float]) -> bool:
    """x A = lambda x with lambda the spectral radius, x >= 0 and |x| = 1 (a valid answer where
    the eigenvector is not unique)."""
    nodes = sorted(g)
    a = nx.to_numpy_array(g, nodelist=nodes, weight=None)
    x = np.array([scores[n] for n in nodes])
    radius = max(abs(np.linalg.eigvals(a)))
    return bool(
        np.allclose(x @ a, radius * x, atol=1e-6)
        and (x >= -1e-12).all()
        and abs(np.linalg.norm(x) - 1) < 1e-9
    )


async def _compare(
    gql: GraphQLClient, seeded: Seeded, measure: str, weighted: bool
) -> list[dict[str, Any]]:
    g = seeded.reference()
    reference, tolerance, _ = REFERENCES[measure]
    entries = await _scores(gql, measure, weighted=weighted)
    _check_order(entries)
    got = {e["component"]["uuid"]: e["score"] for e in entries}
    assert set(got) == set(g.nodes)  # every node of the analysis graph, and no other
    if measure == "EIGENVECTOR" and seeded.shape.name == "disconnected" and not weighted:
        # Two strongly connected parts share the largest eigenvalue: not unique.
        assert _is_dominant_eigenvector(g, got)
    else:
        want = reference(g, "weight" if weighted else None)
        assert got == pytest.approx(want, rel=tolerance, abs=1e-9), (measure, weighted)
    for entry in entries:
        assert entry["component"]["id"] == seeded.global_ids[entry["component"]["uuid"]]
    return entries


@pytest.mark.parametrize("name", SHAPE_NAMES)
async def test_every_measure_equals_networkx(gql: GraphQLClient, name: str) -> None:
    seeded = await seed(gql, shape(name))
    negative = any(w < 0 for _, _, w, _ in seeded.shape.rows)
    for measure in REFERENCES:
        for weighted in (False, True):
            refused = measure == "EIGENVECTOR" and name == "tree"
            refused |= (
                weighted and negative and measure not in ("DEGREE", "IN_DEGREE", "OUT_DEGREE")
            )
            if refused:
                variables = {"measure": measure, "weighted": weighted, "top": 5}
                assert await gql.error_code(CENTRALITY, variables) == "BAD_USER_INPUT"
                continue
            await _compare(gql, seeded, measure, weighted)


async def test_top_lists_the_highest_scores(gql: GraphQLClient) -> None:
    seeded = await seed(gql, shape("cycles"))
    every = await _scores(gql, "PAGERANK", weighted=False)
    data = await gql.data(CENTRALITY, {"measure": "PAGERANK"})
    assert len(data["centrality"]) == 20  # the default top
    assert data["centrality"] == every[:20]
    three = await gql.data(CENTRALITY, {"measure": "PAGERANK", "top": 3})
    assert three["centrality"] == every[:3]
    assert len(seeded.uuids) == 24


async def test_an_empty_scope_ranks_nothing(gql: GraphQLClient) -> None:
    await seed(gql, shape("dense"))
    query = '{ centrality(measure: PAGERANK, scenario: "nowhere") { rank } }'
    assert (await gql.data(query))["centrality"] == []


async def test_a_top_beyond_the_bound_is_refused(gql: GraphQLClient) -> None:
    await seed(gql, shape("tree"))
    for top in (0, 10_001, 1_000_000):
        variables = {"measure": "DEGREE", "top": top}
        assert await gql.error_code(CENTRALITY, variables) == "BAD_USER_INPUT"
