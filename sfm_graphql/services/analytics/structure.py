"""The structure of the analysis graph: connected parts, cut vertices and edges, statistics."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from sfm_graphql.services.analytics import igraphs
from sfm_graphql.services.analytics.graph import AnalysisGraph
from sfm_graphql.services.analytics.groups import Group, ordered


def connected_components(graph: AnalysisGraph, *, strong: bool) -> list[Group]:
    """Weakly (or strongly) connected components of the directed graph, largest first."""
    if graph.node_count == 0:
        return []
    parts = igraphs.directed(graph).connected_components(mode="strong" if strong else "weak")
    return ordered(parts)


@dataclass(frozen=True, slots=True)
class CutPoints:
    articulation_points: list[int]  # ascending
    bridges: list[tuple[int, int]]  # (lower, higher) node number, ascending


def cut_points(graph: AnalysisGraph) -> CutPoints:
    """Articulation points and bridges of the undirected graph (NetworkX's definitions)."""
    if graph.node_count == 0:
        return CutPoints(articulation_points=[], bridges=[])
    g = igraphs.undirected(graph)
    bridges = sorted((min(e.source, e.target), max(e.source, e.target)) for e in g.es[g.bridges()])
    return CutPoints(articulation_points=sorted(g.articulation_points()), bridges=bridges)


@dataclass(frozen=True, slots=True)
class DegreeSummary:
    min: int
    max: int
    mean: float
    median: float
    p90: float
    p99: float


@dataclass(frozen=True, slots=True)
class Statistics:
    density: float
    degree: DegreeSummary | None
    in_degree: DegreeSummary | None
    out_degree: DegreeSummary | None


def summary(degrees: list[int]) -> DegreeSummary | None:
    """Percentiles interpolate linearly between ranks (NumPy's default, `inclusive` here)."""
    if not degrees:
        return None
    cuts = statistics.quantiles(degrees, n=100, method="inclusive") if len(degrees) > 1 else []
    only = float(degrees[0])
    return DegreeSummary(
        min=min(degrees),
        max=max(degrees),
        mean=statistics.fmean(degrees),
        median=float(statistics.median(degrees)),
        p90=cuts[89] if cuts else only,
        p99=cuts[98] if cuts else only,
    )


def graph_statistics(graph: AnalysisGraph) -> Statistics:
    """Density as NetworkX's `density` of a directed graph: m / (n (n - 1))."""
    n, m = graph.node_count, graph.edge_count
    g = igraphs.directed(graph)
    return Statistics(
        density=m / (n * (n - 1)) if n > 1 else 0.0,
        degree=summary(g.degree(mode="all")),
        in_degree=summary(g.degree(mode="in")),
        out_degree=summary(g.degree(mode="out")),
    )
