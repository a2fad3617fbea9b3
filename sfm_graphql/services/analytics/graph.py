"""The analysis graph of a scope, read from Neo4j in one streamed statement with bounded memory.

Nodes are numbered in the order of their component ids, so every algorithm that breaks ties by
node number breaks them by component id. Edges are kept as three flat arrays (source, target,
weight), which the graph libraries take as they are.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from sfm_graphql.db.database import Database
from sfm_graphql.errors import AnalysisTooLarge
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings

# Edges per streamed record (cypher/analytics/edges.cypher): few records, each a few MB at most.
EDGE_CHUNK = 50_000


@dataclass(frozen=True, slots=True)
class AnalysisGraph:
    """A directed simple graph: node i is component `ids[i]`; edge k is sources[k] -> targets[k]."""

    ids: tuple[str, ...]
    sources: array[int]
    targets: array[int]
    weights: array[float]
    deliveries: array[int]  # how many deliveries in scope each edge stands for
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def node_count(self) -> int:
        return len(self.ids)

    @property
    def edge_count(self) -> int:
        return len(self.sources)

    def index_of(self, component_id: str) -> int | None:
        """The node number of a component, or None when it is not in the analysis graph."""
        if not self._index and self.ids:
            self._index.update((c, i) for i, c in enumerate(self.ids))
        return self._index.get(component_id)

    def edges(self) -> list[tuple[int, int]]:
        return list(zip(self.sources, self.targets, strict=True))


async def load_graph(db: Database, scope: Scope, settings: Settings) -> AnalysisGraph:
    """The analysis graph of `scope`; ANALYSIS_TOO_LARGE beyond the settings' bounds."""
    max_edges, max_nodes = settings.analysis_max_edges, settings.analysis_max_nodes
    numbers: dict[str, int] = {}
    raw_sources, raw_targets = array("q"), array("q")
    weights, deliveries = array("d"), array("q")
    params = {**scope.params(), "chunk": EDGE_CHUNK}
    rows = db.stream("analytics/edges", params, timeout_s=settings.analysis_timeout_s)
    async for chunk_sources, chunk_targets, chunk_weights, chunk_counts in rows:
        if len(weights) + len(chunk_weights) > max_edges:
            raise AnalysisTooLarge(
                f"The analysis graph has more than {max_edges} edges; narrow its scope",
                limit=max_edges,
            )
        raw_sources.extend(numbers.setdefault(s, len(numbers)) for s in chunk_sources)
        raw_targets.extend(numbers.setdefault(t, len(numbers)) for t in chunk_targets)
        weights.extend(float(w) for w in chunk_weights)
        deliveries.extend(int(c) for c in chunk_counts)
        if len(numbers) > max_nodes:
            raise AnalysisTooLarge(
                f"The analysis graph has more than {max_nodes} components; narrow its scope",
                limit=max_nodes,
            )
    # Renumber in component-id order: ties broken by node number are then broken by id.
    ids = tuple(sorted(numbers))
    final = {c: i for i, c in enumerate(ids)}
    renumber = [0] * len(numbers)
    for component_id, first_seen in numbers.items():
        renumber[first_seen] = final[component_id]
    return AnalysisGraph(
        ids=ids,
        sources=array("q", (renumber[s] for s in raw_sources)),
        targets=array("q", (renumber[t] for t in raw_targets)),
        weights=weights,
        deliveries=deliveries,
        _index=final,
    )
