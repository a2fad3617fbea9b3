"""Centrality of the analysis graph, computed with igraph and scaled to NetworkX's definitions.

Each measure equals the NetworkX function of the same name on the analysis graph (docs/analytics.md
lists them): igraph gives the raw quantity and this module applies NetworkX's normalization.
With `weighted`, PAGERANK and EIGENVECTOR read the weight as a strength and BETWEENNESS and
CLOSENESS as a distance (as NetworkX's `weight=` / `distance=` do); the degrees become weighted
degrees (NetworkX's `G.degree(weight="weight")`) over n - 1.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import igraph as ig

from sfm_graphql.errors import BadUserInput
from sfm_graphql.services.analytics import igraphs
from sfm_graphql.services.analytics.graph import AnalysisGraph

PAGERANK_ALPHA = 0.85
# Scores equal to this many significant digits tie, so float noise never decides an order.
TIE_DIGITS = 12
BETWEENNESS_SEED = 13


class CentralityMeasure(enum.Enum):
    DEGREE = "DEGREE"
    IN_DEGREE = "IN_DEGREE"
    OUT_DEGREE = "OUT_DEGREE"
    BETWEENNESS = "BETWEENNESS"
    CLOSENESS = "CLOSENESS"
    EIGENVECTOR = "EIGENVECTOR"
    PAGERANK = "PAGERANK"


_DISTANCES = frozenset({CentralityMeasure.BETWEENNESS, CentralityMeasure.CLOSENESS})
_STRENGTHS = frozenset({CentralityMeasure.PAGERANK, CentralityMeasure.EIGENVECTOR})


@dataclass(frozen=True, slots=True)
class BetweennessSampling:
    """Exact up to `exact_max_nodes` nodes; beyond, `pivots` sources drawn with a fixed seed."""

    exact_max_nodes: int
    pivots: int


@dataclass(frozen=True, slots=True)
class Ranked:
    node: int
    score: float
    rank: int


def check_weights(graph: AnalysisGraph, measure: CentralityMeasure) -> None:
    """Weighted measures need weights their definition can read; BAD_USER_INPUT otherwise."""
    if measure in _DISTANCES and any(w <= 0 for w in graph.weights):
        raise BadUserInput(
            f"weighted {measure.value} reads weights as distances and needs every edge weight "
            "in scope to be > 0; narrow the scope or ask unweighted",
            field="weighted",
        )
    if measure in _STRENGTHS and any(w < 0 for w in graph.weights):
        raise BadUserInput(
            f"weighted {measure.value} needs every edge weight in scope to be >= 0; narrow the "
            "scope or ask unweighted",
            field="weighted",
        )


def scores(
    graph: AnalysisGraph,
    measure: CentralityMeasure,
    *,
    weighted: bool,
    sampling: BetweennessSampling,
) -> list[float]:
    """The score of every node, indexed by node number."""
    n = graph.node_count
    if n == 0:
        return []
    if weighted:
        check_weights(graph, measure)
    g = igraphs.directed(graph)
    weights = "weight" if weighted else None
    if measure in (
        CentralityMeasure.DEGREE,
        CentralityMeasure.IN_DEGREE,
        CentralityMeasure.OUT_DEGREE,
    ):
        return _degree(g, measure, weights)
    if measure is CentralityMeasure.BETWEENNESS:
        return betweenness(g, weights, sampling)
    if measure is CentralityMeasure.CLOSENESS:
        return _closeness(g, weights)
    if measure is CentralityMeasure.EIGENVECTOR:
        return _eigenvector(g, weights)
    ranks: list[float] = g.pagerank(damping=PAGERANK_ALPHA, directed=True, weights=weights)
    return ranks


def _degree(g: ig.Graph, measure: CentralityMeasure, weights: str | None) -> list[float]:
    mode = {
        CentralityMeasure.DEGREE: "all",
        CentralityMeasure.IN_DEGREE: "in",
        CentralityMeasure.OUT_DEGREE: "out",
    }[measure]
    scale = 1.0 / (g.vcount() - 1) if g.vcount() > 1 else 1.0
    return [d * scale for d in g.strength(mode=mode, loops=False, weights=weights)]


def betweenness(g: ig.Graph, weights: str | None, sampling: BetweennessSampling) -> list[float]:
    """NetworkX's normalized directed betweenness: raw counts over (n - 1)(n - 2).

    Above `exact_max_nodes` it is estimated from `pivots` sources, as NetworkX's `k=` does
    (the sum over those sources scaled by n / k).
    """
    n = g.vcount()
    scale = 1.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0  # NetworkX leaves n <= 2 unscaled
    if n > sampling.exact_max_nodes and sampling.pivots < n:
        draw = random.Random(BETWEENNESS_SEED)  # noqa: S311 (a reproducible sample, no secret)
        sources = sorted(draw.sample(range(n), sampling.pivots))
        raw = g.betweenness(directed=True, weights=weights, sources=sources)
        scale *= n / sampling.pivots
    else:
        raw = g.betweenness(directed=True, weights=weights)
    return [b * scale for b in raw]


def _closeness(g: ig.Graph, weights: str | None) -> list[float]:
    """NetworkX's closeness: incoming distances, scaled by the reachable share (Wasserman-Faust).

    igraph's normalized closeness is (r - 1) / S over the r nodes that reach a node (itself
    included) and its raw one 1 / S, so their ratio is r - 1; NetworkX multiplies by
    (r - 1) / (n - 1).
    """
    n = g.vcount()
    normalized = g.closeness(mode="in", weights=weights, normalized=True)
    raw = g.closeness(mode="in", weights=weights, normalized=False)
    out: list[float] = []
    for c, c_raw in zip(normalized, raw, strict=True):
        if math.isnan(c) or not c_raw:
            out.append(0.0)
            continue
        reached = round(c / c_raw)
        out.append(c * reached / (n - 1))
    return out


def _eigenvector(g: ig.Graph, weights: str | None) -> list[float]:
    """The left (incoming) eigenvector of the adjacency matrix, L2-normalized, as NetworkX's.

    An acyclic graph has none worth the name (every eigenvalue is 0; NetworkX does not
    converge): refused. Where several strongly connected parts share the largest eigenvalue,
    the eigenvector is not unique and igraph's is one of them (docs/analytics.md).
    """
    if g.is_dag():
        raise BadUserInput(
            "EIGENVECTOR centrality is not defined on an acyclic analysis graph (its largest "
            "eigenvalue is 0); ask PAGERANK instead",
            field="measure",
        )
    found = g.eigenvector_centrality(directed=True, scale=True, weights=weights)
    values = [max(v, 0.0) for v in found]  # the Perron vector is >= 0: drop rounding noise
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values] if norm else values


def ranked(values: Sequence[float], top: int) -> list[Ranked]:
    """The `top` highest scores, highest first, ties by node number (= by component id)."""
    order = sorted(range(len(values)), key=lambda i: (-_tie_key(values[i]), i))[:top]
    return [Ranked(node=i, score=values[i], rank=k + 1) for k, i in enumerate(order)]


def _tie_key(value: float) -> float:
    return float(f"{value:.{TIE_DIGITS}g}") + 0.0  # + 0.0: -0.0 ties with 0.0


def ranks(values: Sequence[float]) -> list[int]:
    """The rank (1 = highest) of every node, ties by node number."""
    out = [0] * len(values)
    for position, entry in enumerate(ranked(values, len(values)), start=1):
        out[entry.node] = position
    return out
