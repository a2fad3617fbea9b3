"""Centrality shifts between two scenarios: how far each component's PageRank rank moved."""

from __future__ import annotations

from dataclasses import dataclass

from sfm_graphql.services.analytics import centrality
from sfm_graphql.services.analytics.graph import AnalysisGraph


@dataclass(frozen=True, slots=True)
class Shift:
    component_id: str
    base_rank: int
    other_rank: int
    base_score: float
    other_score: float

    @property
    def change(self) -> int:
        """Positive when the component ranks higher (a smaller rank) in the other scenario."""
        return self.base_rank - self.other_rank


def _pagerank(graph: AnalysisGraph) -> tuple[list[float], list[int]]:
    values = centrality.scores(
        graph,
        centrality.CentralityMeasure.PAGERANK,
        weighted=False,
        sampling=centrality.BetweennessSampling(exact_max_nodes=0, pivots=1),  # unused
    )
    return values, centrality.ranks(values)


def rank_shifts(base: AnalysisGraph, other: AnalysisGraph, top: int) -> list[Shift]:
    """The `top` components of both analysis graphs whose PageRank rank moved most (by the
    size of the move, then component id); components in only one scenario are left out."""
    base_scores, base_ranks = _pagerank(base)
    other_scores, other_ranks = _pagerank(other)
    shifts = []
    for node, component_id in enumerate(base.ids):
        there = other.index_of(component_id)
        if there is None:
            continue
        shifts.append(
            Shift(
                component_id=component_id,
                base_rank=base_ranks[node],
                other_rank=other_ranks[there],
                base_score=base_scores[node],
                other_score=other_scores[there],
            )
        )
    shifts.sort(key=lambda s: (-abs(s.change), s.component_id))
    return shifts[:top]
