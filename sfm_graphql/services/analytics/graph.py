"""The analysis graph of a scope, read from Neo4j in one streamed statement with bounded memory.

Nodes are numbered in the order of their component ids, so every algorithm that breaks ties by
node number breaks them by component id. Edges are kept as three flat arrays (source, target,
weight), which the graph libraries take as they are.

A computation for graph revision r (the one its cache key names, `WANTED_REVISION`) may use a
graph this process read after revision r was current: that graph holds every write up to r and
perhaps later ones, which a read that started at r could have seen as well. So the analyses
asked of one state of the graph, or while a read is under way, share one read of it per scope
(`RecentGraphs`) instead of each reading 50,000 deliveries again, and with other processes
through Redis (`GraphStore`: services/analytics/shared_graphs.py; docs/analytics.md, Cache).
Where each graph an analysis used came from is told to the database's `GraphLoadObserver`
(the metrics, or in an analysis process the tally its answers carry back: processes.py).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from array import array
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

from sfm_graphql.db.database import Database
from sfm_graphql.db.revision import graph_revision
from sfm_graphql.errors import AnalysisTooLarge
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings

# Edges per streamed record (cypher/analytics/edges.cypher): few records, each a few MB at most.
EDGE_CHUNK = 50_000
# The graph revision the running computation answers for; 0: unknown, read the graph afresh.
WANTED_REVISION: ContextVar[int] = ContextVar("WANTED_REVISION", default=0)
KEPT_SCOPES = 8  # graphs kept per database, the scopes read last
KEPT_EDGES = 2_000_000  # and at most this many edges in them together (about 80 MB)
# Where the graph an analysis used came from (the `source` label of
# sfm_analysis_graph_reads_total): read now from Neo4j, another process's read shared in Redis,
# or this process's recent graphs (kept, or being read for another analysis).
NEO4J = "neo4j"
REDIS = "redis"
LOCAL = "local"
GRAPH_SOURCES = (NEO4J, REDIS, LOCAL)


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


Read = tuple[int, AnalysisGraph]  # the revision current before the read began, the graph


class GraphStore(Protocol):
    """Graphs read by other processes (services/analytics/shared_graphs.py)."""

    async def graph(self, scope: Scope, revision: int, read: Callable[[], Awaitable[Read]]) -> Read:
        """A graph of `scope` read at `revision` or later: another process's, or `read()`."""
        ...


class GraphLoadObserver(Protocol):
    """Told of each graph an analysis loaded (observability/metrics.py implements it)."""

    def graph_loaded(self, source: str, read_s: float | None) -> None:
        """`source` is NEO4J, REDIS or LOCAL; `read_s` the Neo4j read's seconds, else None."""
        ...


class RecentGraphs:
    """The graph read last per scope, and the reads under way, of one database; `shared`, when
    set, holds those other processes read; `observer`, when set, is told where each came from."""

    def __init__(self, scopes: int = KEPT_SCOPES, edges: int = KEPT_EDGES) -> None:
        self._reads: OrderedDict[Scope, tuple[int, asyncio.Future[Read]]] = OrderedDict()
        self._scopes, self._edges = scopes, edges
        self.shared: GraphStore | None = None
        self.observer: GraphLoadObserver | None = None

    def loaded(self, source: str, read_s: float | None = None) -> None:
        if self.observer is not None:
            self.observer.graph_loaded(source, read_s)

    async def graph(
        self, scope: Scope, revision: int, read: Callable[[], Awaitable[Read]]
    ) -> AnalysisGraph:
        """A graph of `scope` holding every write up to `revision`: one read that began at or
        after it (kept or under way), or a new read."""
        kept = self._reads.get(scope)
        if kept is not None and kept[0] >= revision:
            self._reads.move_to_end(scope)
            return (await asyncio.shield(kept[1]))[1]
        # A read under way that began before `revision` may miss its writes: read again. Its
        # revision is not known until it starts, so it is kept under the one wanted.
        future = asyncio.ensure_future(read())
        self._keep(scope, revision, future)
        future.add_done_callback(lambda done: self._settled(scope, done))
        return (await asyncio.shield(future))[1]

    def _keep(self, scope: Scope, revision: int, future: asyncio.Future[Read]) -> None:
        self._reads[scope] = (revision, future)
        self._reads.move_to_end(scope)
        while len(self._reads) > self._scopes:
            self._reads.popitem(last=False)

    def _settled(self, scope: Scope, future: asyncio.Future[Read]) -> None:
        kept = self._reads.get(scope)
        if kept is None or kept[1] is not future:
            if not future.cancelled():
                future.exception()  # retrieved: its callers got it
            return
        if future.cancelled() or future.exception() is not None:
            del self._reads[scope]  # a failed read is not kept: the next caller reads again
        else:
            self._reads[scope] = (future.result()[0], future)
            self._reads.move_to_end(scope)
            self._trim()

    def _trim(self) -> None:
        """The oldest graphs go first once those kept hold more than the edges allowed."""
        held = [
            (scope, f.result()[1].edge_count)
            for scope, (_, f) in self._reads.items()
            if f.done() and not f.cancelled() and f.exception() is None
        ]
        total = sum(edges for _, edges in held)
        for scope, edges in held[:-1]:  # the newest is kept: it was just read for a caller
            if total <= self._edges:
                break
            del self._reads[scope]
            total -= edges


_RECENT: weakref.WeakKeyDictionary[Database, RecentGraphs] = weakref.WeakKeyDictionary()


async def load_graph(db: Database, scope: Scope, settings: Settings) -> AnalysisGraph:
    """The analysis graph of `scope` for the revision wanted (`WANTED_REVISION`), read or shared;
    ANALYSIS_TOO_LARGE beyond the settings' bounds."""
    revision = WANTED_REVISION.get()
    recent = recent_graphs(db)
    if revision <= 0:
        return await _timed_read(recent, db, scope, settings)
    shared = recent.shared
    # Until this caller's `read` runs, the graph is this process's (kept, or being read for
    # another analysis); a read from Neo4j is told by `_timed_read` as it completes.
    source = LOCAL

    async def from_neo4j() -> Read:
        nonlocal source
        source = NEO4J
        current = await graph_revision(db)
        return current, await _timed_read(recent, db, scope, settings)

    async def read() -> Read:
        nonlocal source
        if shared is None:
            return await from_neo4j()
        source = REDIS  # unless the store has this process read (`from_neo4j`)
        return await shared.graph(scope, revision, from_neo4j)

    graph = await recent.graph(scope, revision, read)
    if source != NEO4J:
        recent.loaded(source)
    return graph


async def _timed_read(
    recent: RecentGraphs, db: Database, scope: Scope, settings: Settings
) -> AnalysisGraph:
    """`read_graph`, told to the observer when it completed (a failed read is not a load)."""
    started = time.perf_counter()
    graph = await read_graph(db, scope, settings)
    recent.loaded(NEO4J, time.perf_counter() - started)
    return graph


def recent_graphs(db: Database) -> RecentGraphs:
    """The graphs this process keeps for `db`."""
    recent = _RECENT.get(db)
    if recent is None:
        recent = _RECENT[db] = RecentGraphs()
    return recent


async def read_graph(db: Database, scope: Scope, settings: Settings) -> AnalysisGraph:
    """The analysis graph of `scope` read now; ANALYSIS_TOO_LARGE beyond the settings' bounds."""
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
