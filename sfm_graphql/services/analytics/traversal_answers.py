"""The traversals from scope to plain result (services/analytics/results.py): read the analysis
graph, search in a worker thread within the analysis deadline, name components by id.

These are what the analysis cache stores; the resolvers load the components and deliveries
they name. Ids that are not in the analysis graph of the scope have no paths, reach nothing
and lie on no loop.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

from sfm_graphql.db.database import Database
from sfm_graphql.domain.enums import ComponentType, Direction
from sfm_graphql.errors import AnalysisTooLarge
from sfm_graphql.services.analytics import loops as loop_service
from sfm_graphql.services.analytics import traversals
from sfm_graphql.services.analytics.graph import load_graph
from sfm_graphql.services.analytics.removal import simulate_removal
from sfm_graphql.services.analytics.results import (
    ImpactResult,
    LeverageResult,
    ReachedResult,
    ReachResult,
    RemovalResult,
    Walk,
    Walks,
)
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.services.analytics.traversal_graph import Deadline, TraversalGraph
from sfm_graphql.settings import Settings

T = TypeVar("T")


async def in_thread(work: Callable[[], T]) -> T:
    """CPU-bound analysis off the event loop, so other requests keep being served meanwhile."""
    return await asyncio.to_thread(work)


async def traversal_graph(
    db: Database, settings: Settings, scope: Scope
) -> tuple[TraversalGraph, Deadline]:
    """The analysis graph of `scope` ready for traversals, and the deadline of the analysis."""
    deadline = Deadline(settings.analysis_timeout_s)
    graph = await load_graph(db, scope, settings)
    deadline.check()
    return await in_thread(lambda: TraversalGraph.of(graph)), deadline


def _pairs(tg: TraversalGraph, direction: Direction, u: int, v: int) -> list[tuple[int, int]]:
    """The delivery directions (source, target) that make up the hop u -> v of a view."""
    if direction is Direction.OUTGOING:
        return [(u, v)]
    if direction is Direction.INCOMING:
        return [(v, u)]
    return [p for p in ((u, v), (v, u)) if tg.has_edge(*p)]


def _walk(
    tg: TraversalGraph,
    nodes: Sequence[int],
    hops: Sequence[tuple[int, int]],
    direction: Direction,
    weight: float,
) -> Walk:
    ids = tg.graph.ids
    return Walk(
        components=[ids[n] for n in nodes],
        hops=[[(ids[s], ids[t]) for s, t in _pairs(tg, direction, u, v)] for u, v in hops],
        weight=weight,
    )


def _path(tg: TraversalGraph, path: list[int], direction: Direction) -> Walk:
    weight = traversals.path_weight(tg.view(direction), path)
    return _walk(tg, path, list(itertools.pairwise(path)), direction, weight)


def _cap(items: list[T], settings: Settings) -> tuple[list[T], bool]:
    """At most `analysis_max_results` items, and whether some were cut."""
    most = settings.analysis_max_results
    return items[:most], len(items) > most


async def shortest_path(
    *,
    db: Database,
    settings: Settings,
    scope: Scope,
    source: str,
    target: str,
    direction: Direction,
    weighted: bool,
) -> Walk | None:
    tg, deadline = await traversal_graph(db, settings, scope)
    s, t = tg.graph.index_of(source), tg.graph.index_of(target)
    if s is None or t is None:
        return None
    found = await in_thread(
        lambda: traversals.shortest_path(
            tg, s, t, direction=direction, weighted=weighted, deadline=deadline
        )
    )
    if found is None:
        return None
    most = settings.analysis_max_path_length
    if len(found) - 1 > most:
        raise AnalysisTooLarge(f"The shortest path has more than {most} hops", limit=most)
    return _path(tg, found, direction)


async def paths(
    *,
    db: Database,
    settings: Settings,
    scope: Scope,
    source: str,
    target: str,
    max_length: int,
    limit: int,
) -> Walks:
    tg, deadline = await traversal_graph(db, settings, scope)
    s, t = tg.graph.index_of(source), tg.graph.index_of(target)
    if s is None or t is None:
        return Walks(walks=[], truncated=False)
    found = await in_thread(
        lambda: traversals.simple_paths(
            tg, s, t, max_length=max_length, limit=limit, deadline=deadline
        )
    )
    walks = [_path(tg, p, Direction.OUTGOING) for p in found.items]
    return Walks(walks=walks, truncated=found.truncated)


def _reached(tg: TraversalGraph, reached: list[traversals.Reached]) -> list[ReachedResult]:
    ids = tg.graph.ids
    return [ReachedResult(ids[r.node], r.distance, r.strongest) for r in reached]


async def reach(
    *,
    db: Database,
    settings: Settings,
    scope: Scope,
    source: str,
    direction: Direction,
    max_depth: int | None,
) -> ReachResult:
    tg, deadline = await traversal_graph(db, settings, scope)
    s = tg.graph.index_of(source)
    if s is None:
        return ReachResult(components=[], truncated=False)
    reached = await in_thread(
        lambda: traversals.reach(tg, s, direction=direction, max_depth=max_depth, deadline=deadline)
    )
    listed, truncated = _cap(reached, settings)
    return ReachResult(components=_reached(tg, listed), truncated=truncated)


async def policy_impact(
    *, db: Database, settings: Settings, scope: Scope, policy: str, radius: int
) -> ImpactResult:
    tg, deadline = await traversal_graph(db, settings, scope)
    s = tg.graph.index_of(policy)
    if s is None:
        return ImpactResult(by_type=[], components=[], density=0.0, truncated=False)
    reached = await in_thread(
        lambda: traversals.reach(
            tg, s, direction=Direction.OUTGOING, max_depth=radius, deadline=deadline
        )
    )
    nodes = [s, *(r.node for r in reached)]
    density = await in_thread(lambda: traversals.density(tg, nodes))
    ids = tg.graph.ids
    rows = await db.read("analytics/component_types", ids=[ids[r.node] for r in reached])
    counts = Counter(ComponentType.from_labels(r["labels"]) for r in rows)
    listed, truncated = _cap(reached, settings)
    return ImpactResult(
        by_type=[(t, counts[t]) for t in sorted(counts, key=lambda t: t.value)],
        components=_reached(tg, listed),
        density=density,
        truncated=truncated,
    )


async def feedback_loops(
    *,
    db: Database,
    settings: Settings,
    scope: Scope,
    through: str | None,
    max_length: int,
    limit: int,
) -> Walks:
    tg, deadline = await traversal_graph(db, settings, scope)
    v = tg.graph.index_of(through) if through is not None else None
    if through is not None and v is None:
        return Walks(walks=[], truncated=False)
    found = await in_thread(
        lambda: loop_service.loops(
            tg, through=v, max_length=max_length, limit=limit, deadline=deadline
        )
    )
    walks = [
        _walk(
            tg,
            cycle,
            loop_service.hops(cycle),
            Direction.OUTGOING,
            loop_service.strength(tg, cycle),
        )
        for cycle in found.items
    ]
    return Walks(walks=walks, truncated=found.truncated)


async def leverage_points(
    *, db: Database, settings: Settings, scope: Scope, max_length: int, limit: int
) -> LeverageResult:
    tg, deadline = await traversal_graph(db, settings, scope)
    ranking = await in_thread(
        lambda: loop_service.leverage(
            tg,
            max_length=max_length,
            max_loops=settings.analysis_max_loops_counted,
            deadline=deadline,
        )
    )
    ids = tg.graph.ids
    return LeverageResult(
        points=[(ids[n], count) for n, count in ranking.counts[:limit]],
        loops=ranking.loops,
        truncated=ranking.truncated or len(ranking.counts) > limit,
    )


async def removal(
    *,
    db: Database,
    settings: Settings,
    scope: Scope,
    ids: list[str],
    cascade: bool,
    threshold: float,
) -> RemovalResult:
    tg, deadline = await traversal_graph(db, settings, scope)
    removed = {n for i in ids if (n := tg.graph.index_of(i)) is not None}
    result = await in_thread(
        lambda: simulate_removal(
            tg, removed, cascade=cascade, threshold=threshold, deadline=deadline
        )
    )
    most = settings.analysis_max_results
    disconnected = result.disconnected[:most]
    rounds: list[list[int]] = []
    room = most
    for failed in result.rounds:
        if room <= 0:
            break
        rounds.append(failed[:room])
        room -= len(rounds[-1])
    listed_failed = sum(len(r) for r in rounds)
    names = tg.graph.ids
    return RemovalResult(
        removed=[names[n] for n in result.removed],
        disconnected=[names[n] for n in disconnected],
        rounds=[[names[n] for n in r] for r in rounds],
        truncated=len(result.disconnected) > most or listed_failed < sum(map(len, result.rounds)),
    )
