"""Shared steps of the traversal resolvers: the graph in scope, the ids they take, and the
objects their results name (components and the deliveries of each hop)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

import strawberry

from sfm_graphql.domain.enums import Direction
from sfm_graphql.errors import AnalysisTooLarge, BadUserInput
from sfm_graphql.graphql.analytics.components import components_at, deliveries_at
from sfm_graphql.graphql.analytics.traversal_types import ReachedComponent
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.ids import COMPONENT_TYPE_NAMES, from_global_id
from sfm_graphql.graphql.graph.types import Component, Delivery
from sfm_graphql.graphql.planner.selection import Planner
from sfm_graphql.services.analytics.graph import load_graph
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.services.analytics.traversal_graph import Deadline, TraversalGraph
from sfm_graphql.services.analytics.traversals import Reached

T = TypeVar("T")


async def in_thread(work: Callable[[], T]) -> T:
    """CPU-bound analysis off the event loop, so other requests keep being served meanwhile."""
    return await asyncio.to_thread(work)


async def analysis_graph(info: Info, scope: Scope) -> tuple[TraversalGraph, Deadline]:
    """The analysis graph of `scope` ready for traversals, and the deadline of the analysis."""
    settings = info.context.settings
    deadline = Deadline(settings.analysis_timeout_s)
    graph = await load_graph(info.context.db, scope, settings)
    deadline.check()
    traversal_graph = await in_thread(lambda: TraversalGraph.of(graph))
    return traversal_graph, deadline


def component_id(global_id: strawberry.ID, field: str) -> str:
    """The local id of a component's global id; BAD_USER_INPUT for any other id."""
    type_name, local_id = from_global_id(global_id, field=field)
    if type_name not in COMPONENT_TYPE_NAMES:
        raise BadUserInput(f"{field} must be the id of a component", field=field)
    return local_id


def bounded(value: int | None, field: str, *, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise BadUserInput(f"{field} must be between {low} and {high}", field=field)


def selects(info: Info, *path: str) -> bool:
    planner = Planner(info)
    return bool(planner.descend(planner.root_nodes, *path))


def _pairs(tg: TraversalGraph, direction: Direction, u: int, v: int) -> list[tuple[int, int]]:
    """The delivery directions (source, target) that make up the hop u -> v of a view."""
    if direction is Direction.OUTGOING:
        return [(u, v)]
    if direction is Direction.INCOMING:
        return [(v, u)]
    return [p for p in ((u, v), (v, u)) if tg.has_edge(*p)]


async def hop_objects(
    info: Info,
    tg: TraversalGraph,
    scope: Scope,
    sequences: Sequence[Sequence[int]],
    walks: Sequence[Sequence[tuple[int, int]]],
    direction: Direction,
    prefix: tuple[str, ...],
) -> tuple[dict[str, Component], list[list[Delivery]]]:
    """The components of `sequences` and, per walk (its hops), the deliveries of its hops in
    order, loaded with the selection at `prefix` (e.g. `("paths",)`)."""
    ids = tg.graph.ids
    nodes = [ids[n] for sequence in sequences for n in sequence]
    components = await components_at(info, nodes, *prefix, "components")
    if not walks or not selects(info, *prefix, "deliveries"):
        return components, [[] for _ in walks]
    pairs = {
        (ids[s], ids[t]): None
        for walk in walks
        for u, v in walk
        for s, t in _pairs(tg, direction, u, v)
    }
    if not pairs:
        return components, [[] for _ in walks]
    rows = await info.context.db.read(
        "analytics/hop_deliveries",
        pairs=[list(p) for p in pairs],
        scenario=scope.scenario,
        kinds=[k.value for k in scope.kinds],
        timeSlice=scope.time_slice,
    )
    by_pair = {(r["source"], r["target"]): r["ids"] for r in rows}
    wanted = [d for found in by_pair.values() for d in found]
    deliveries = await deliveries_at(info, wanted, *prefix, "deliveries")
    per_walk = [
        [
            deliveries[d]
            for u, v in walk
            for s, t in _pairs(tg, direction, u, v)
            for d in by_pair.get((ids[s], ids[t]), [])
            if d in deliveries
        ]
        for walk in walks
    ]
    return components, per_walk


def cap(items: list[T], info: Info) -> tuple[list[T], bool]:
    """At most `analysis_max_results` items, and whether some were cut."""
    most = info.context.settings.analysis_max_results
    return items[:most], len(items) > most


async def reached_components(
    info: Info, tg: TraversalGraph, reached: list[Reached], prefix: tuple[str, ...]
) -> list[ReachedComponent]:
    ids = tg.graph.ids
    found = await components_at(info, (ids[r.node] for r in reached), *prefix, "component")
    # Ids deleted meanwhile are left out; unselected components are never read.
    selected = selects(info, *prefix, "component")
    return [
        ReachedComponent(
            component=cast(Component, found.get(ids[r.node])),
            distance=r.distance,
            strongest_path_weight=r.strongest,
        )
        for r in reached
        if not selected or ids[r.node] in found
    ]


def too_long(hops: int, info: Info) -> None:
    most = info.context.settings.analysis_max_path_length
    if hops > most:
        raise AnalysisTooLarge(f"The shortest path has more than {most} hops", limit=most)
