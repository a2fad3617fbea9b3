"""The global algorithms on hand-built analysis graphs: ties, sampling, bounds (no network)."""

from __future__ import annotations

import asyncio
import time
from array import array

import networkx as nx
import pytest

from sfm_graphql.errors import AnalysisTooLarge, BadUserInput
from sfm_graphql.graphql.core.analytics_costs import analytics_list_size
from sfm_graphql.services.analytics import centrality, structure
from sfm_graphql.services.analytics.centrality import BetweennessSampling, CentralityMeasure
from sfm_graphql.services.analytics.graph import AnalysisGraph
from sfm_graphql.services.analytics.run import off_loop
from sfm_graphql.settings import Settings

EXACT = BetweennessSampling(exact_max_nodes=10**6, pivots=1)


def graph_of(edges: list[tuple[int, int, float]], n: int) -> AnalysisGraph:
    return AnalysisGraph(
        ids=tuple(f"c{i:04}" for i in range(n)),
        sources=array("q", [s for s, _, _ in edges]),
        targets=array("q", [t for _, t, _ in edges]),
        weights=array("d", [w for _, _, w in edges]),
        deliveries=array("q", [1] * len(edges)),
    )


def test_ties_are_broken_by_component_id_whatever_the_float_noise() -> None:
    ranked = centrality.ranked([0.1, 0.3, 0.1 + 1e-17, 0.30000000000000004, -0.0, 0.0], 6)
    assert [r.node for r in ranked] == [1, 3, 0, 2, 4, 5]
    assert [r.rank for r in ranked] == [1, 2, 3, 4, 5, 6]
    assert centrality.ranks([0.2, 0.5, 0.2]) == [2, 1, 3]


def test_sampled_betweenness_estimates_the_exact_one() -> None:
    g = nx.gnm_random_graph(400, 2400, seed=5, directed=True)
    graph = graph_of([(s, t, 1.0) for s, t in g.edges()], 400)
    exact = centrality.scores(graph, CentralityMeasure.BETWEENNESS, weighted=False, sampling=EXACT)
    sampled = centrality.scores(
        graph,
        CentralityMeasure.BETWEENNESS,
        weighted=False,
        sampling=BetweennessSampling(exact_max_nodes=100, pivots=200),
    )
    want = nx.betweenness_centrality(g)
    assert exact == pytest.approx([want[i] for i in range(400)], rel=1e-6, abs=1e-12)
    error = sum(abs(a - b) for a, b in zip(exact, sampled, strict=True)) / sum(exact)
    assert error < 0.15  # half the nodes as pivots: within 15 % in total
    top = {r.node for r in centrality.ranked(exact, 10)}
    assert len(top & {r.node for r in centrality.ranked(sampled, 10)}) >= 7


def test_weights_a_measure_cannot_read_are_refused() -> None:
    graph = graph_of([(0, 1, 1.0), (1, 2, -2.0), (2, 0, 0.0)], 3)
    for measure in CentralityMeasure:
        if measure.name.endswith("DEGREE"):
            centrality.scores(graph, measure, weighted=True, sampling=EXACT)
            continue
        with pytest.raises(BadUserInput):
            centrality.scores(graph, measure, weighted=True, sampling=EXACT)
        centrality.scores(graph, measure, weighted=False, sampling=EXACT)


def test_an_empty_graph_has_no_scores_and_no_statistics() -> None:
    empty = graph_of([], 0)
    assert (
        centrality.scores(empty, CentralityMeasure.PAGERANK, weighted=False, sampling=EXACT) == []
    )
    stats = structure.graph_statistics(empty)
    assert stats.density == 0.0 and stats.degree is None
    assert structure.connected_components(empty, strong=True) == []


def test_degree_percentiles_interpolate_between_ranks() -> None:
    found = structure.summary([1, 2, 3, 4, 10])
    assert found is not None
    assert (found.min, found.max, found.median) == (1, 10, 3.0)
    assert found.p90 == pytest.approx(7.6) and found.p99 == pytest.approx(9.76)
    single = structure.summary([4])
    assert single is not None and single.p99 == 4.0


async def test_an_analysis_that_outlasts_the_bound_is_given_up() -> None:
    quick = Settings().model_copy(update={"analysis_timeout_s": 0.05})
    started = time.perf_counter()
    with pytest.raises(AnalysisTooLarge):
        await off_loop(quick, time.sleep, 0.5)
    assert time.perf_counter() - started < 0.4
    await asyncio.sleep(0.5)  # let the abandoned thread finish


def test_list_costs_follow_their_bounds() -> None:
    assert analytics_list_size("Query.centrality", {"top": 7}) == 7
    assert analytics_list_size("Query.centrality", {}) == 20
    assert analytics_list_size("Query.centrality", {"top": 10**9}) == 1000
    assert analytics_list_size("Communities.communities", {"limit": 3}) == 3
    assert analytics_list_size("ComponentGroup.members", None) == 100
    assert analytics_list_size("Query.somethingElse", None) is None
