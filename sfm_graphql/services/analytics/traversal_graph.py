"""The analysis graph made ready for traversals: an igraph graph and sorted adjacency per direction.

Edge k of the igraph graph is edge k of the `AnalysisGraph`, so its weight is `weights[k]`.
Neighbours are listed in node-number order, which is component-id order: a search that takes
them in that order finds paths and loops in lexicographic order of their component ids.
Everything here is synchronous CPU work; resolvers run it in a worker thread
(`asyncio.to_thread`) so the event loop keeps serving, and a `Deadline` stops it in time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import igraph

from sfm_graphql.domain.enums import Direction
from sfm_graphql.errors import AnalysisTooLarge
from sfm_graphql.services.analytics.graph import AnalysisGraph

INFINITY = float("inf")
# How many search steps run between two looks at the clock.
CHECK_EVERY = 4096


class Deadline:
    """The time an analysis may take; `check()` raises ANALYSIS_TOO_LARGE once it has passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends_at = time.monotonic() + seconds
        self._steps = 0

    def check(self) -> None:
        if time.monotonic() > self.ends_at:
            raise AnalysisTooLarge(
                f"The analysis took longer than {self.seconds:g} s; narrow its scope or lower "
                "its limits",
                limit=self.seconds,
            )

    def step(self) -> None:
        """Count one search step; look at the clock every CHECK_EVERY steps."""
        self._steps += 1
        if self._steps % CHECK_EVERY == 0:
            self.check()


@dataclass(frozen=True, slots=True)
class View:
    """The analysis graph seen in one direction: OUTGOING follows deliveries, INCOMING walks
    them backwards, BOTH drops their direction (a hop's weight is then the smaller of the
    weights of the edges it stands for)."""

    direction: Direction
    out: list[list[int]]  # the neighbours a hop from u can reach, sorted
    back: list[list[int]]  # the neighbours a hop can come from, sorted
    igraph: igraph.Graph
    mode_out: str
    mode_in: str
    _weight: Callable[[int, int], float] = field(repr=False)

    def weight(self, u: int, v: int) -> float:
        """The weight of the hop u -> v in this view (it must exist)."""
        return self._weight(u, v)


@dataclass(slots=True)
class TraversalGraph:
    graph: AnalysisGraph
    directed: igraph.Graph
    _views: dict[Direction, View] = field(default_factory=dict)

    @classmethod
    def of(cls, graph: AnalysisGraph) -> TraversalGraph:
        directed = igraph.Graph(n=graph.node_count, edges=graph.edges(), directed=True)
        directed.es["weight"] = list(graph.weights)
        return cls(graph=graph, directed=directed)

    @property
    def node_count(self) -> int:
        return self.graph.node_count

    def edge_weight(self, u: int, v: int) -> float | None:
        """The weight of the edge u -> v, None when there is none."""
        edge: int = self.directed.get_eid(u, v, error=False)
        return self.graph.weights[edge] if edge >= 0 else None

    def has_edge(self, u: int, v: int) -> bool:
        return self.edge_weight(u, v) is not None

    def _weight(self, u: int, v: int) -> float:
        weight = self.edge_weight(u, v)
        assert weight is not None, (u, v)
        return weight

    def _undirected_weight(self, u: int, v: int) -> float:
        weights = [w for w in (self.edge_weight(u, v), self.edge_weight(v, u)) if w is not None]
        return min(weights)

    def _adjacency(self, graph: igraph.Graph, mode: str) -> list[list[int]]:
        return [sorted(a) for a in graph.get_adjlist(mode=mode)]

    def view(self, direction: Direction) -> View:
        if direction not in self._views:
            self._views[direction] = self._make_view(direction)
        return self._views[direction]

    def _make_view(self, direction: Direction) -> View:
        g = self.directed
        if direction is Direction.OUTGOING:
            out, back = self._adjacency(g, "out"), self._adjacency(g, "in")
            return View(direction, out, back, g, "out", "in", self._weight)
        if direction is Direction.INCOMING:
            if Direction.OUTGOING in self._views:  # the same lists, the other way round
                outgoing = self._views[Direction.OUTGOING]
                out, back = outgoing.back, outgoing.out
            else:
                out, back = self._adjacency(g, "in"), self._adjacency(g, "out")
            return View(direction, out, back, g, "in", "out", lambda u, v: self._weight(v, u))
        # One undirected edge per pair, weighted by the smaller of its directions' weights.
        undirected = g.as_undirected(mode="collapse", combine_edges={"weight": "min"})
        adjacency = self._adjacency(undirected, "all")
        return View(
            direction, adjacency, adjacency, undirected, "all", "all", self._undirected_weight
        )

    def distances(self, view: View, source: int, *, backwards: bool = False) -> list[float]:
        """Hop counts from `source` (to it, when `backwards`), INFINITY where there is no path."""
        mode = view.mode_in if backwards else view.mode_out
        row: list[float] = view.igraph.distances(source=[source], mode=mode)[0]
        return row

    def weighted_distances(
        self, view: View, source: int, *, backwards: bool = False
    ) -> list[float]:
        """Least total weight from `source` (to it, when `backwards`); weights must be >= 0."""
        mode = view.mode_in if backwards else view.mode_out
        row: list[float] = view.igraph.distances(
            source=[source], mode=mode, weights="weight", algorithm="dijkstra"
        )[0]
        return row
