"""Resolvers of the traversal fields (docs/analytics.md): each reads the analysis graph of its
scope, computes in a worker thread within the analysis deadline, and loads what it names."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Annotated

import strawberry

from sfm_graphql.domain.enums import ComponentType, Direction
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.graphql.analytics import traversal_loading as load
from sfm_graphql.graphql.analytics.traversal_types import (
    Loop,
    LoopPolarity,
    LoopSet,
    Path,
    PathSet,
    PolicyImpact,
    Reach,
)
from sfm_graphql.graphql.analytics.types import TypeCount
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.ids import expect_global_id
from sfm_graphql.services.analytics import loops as loop_service
from sfm_graphql.services.analytics import traversals
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.services.analytics.traversal_graph import TraversalGraph

FromId = Annotated[strawberry.ID, strawberry.argument(name="from")]


async def _paths(
    info: Info,
    tg: TraversalGraph,
    scope: Scope,
    found: list[list[int]],
    direction: Direction,
    prefix: tuple[str, ...],
) -> list[Path]:
    view = tg.view(direction)
    walks = [list(itertools.pairwise(p)) for p in found]
    components, deliveries = await load.hop_objects(
        info, tg, scope, found, walks, direction, prefix
    )
    ids = tg.graph.ids
    return [
        Path(
            components=[components[ids[n]] for n in p if ids[n] in components],
            deliveries=hop_deliveries,
            length=len(p) - 1,
            total_weight=traversals.path_weight(view, p),
        )
        for p, hop_deliveries in zip(found, deliveries, strict=True)
    ]


async def shortest_path(
    info: Info,
    from_: FromId,
    to: strawberry.ID,
    direction: Direction = Direction.OUTGOING,
    weighted: bool = False,
    scenario: str | None = None,
    kinds: list[DeliveryKind] | None = None,
    time_slice: str | None = None,
    types: list[ComponentType] | None = None,
) -> Path | None:
    source, target = load.component_id(from_, "from"), load.component_id(to, "to")
    scope = Scope.of(scenario, kinds, time_slice, types)
    tg, deadline = await load.analysis_graph(info, scope)
    s, t = tg.graph.index_of(source), tg.graph.index_of(target)
    if s is None or t is None:
        return None
    found = await load.in_thread(
        lambda: traversals.shortest_path(
            tg, s, t, direction=direction, weighted=weighted, deadline=deadline
        )
    )
    if found is None:
        return None
    load.too_long(len(found) - 1, info)
    return (await _paths(info, tg, scope, [found], direction, ()))[0]


async def paths(
    info: Info,
    from_: FromId,
    to: strawberry.ID,
    max_length: int,
    limit: int = 100,
    scenario: str | None = None,
    kinds: list[DeliveryKind] | None = None,
    time_slice: str | None = None,
    types: list[ComponentType] | None = None,
) -> PathSet:
    settings = info.context.settings
    source, target = load.component_id(from_, "from"), load.component_id(to, "to")
    load.bounded(max_length, "maxLength", low=1, high=settings.analysis_max_path_length)
    load.bounded(limit, "limit", low=1, high=settings.analysis_max_results)
    scope = Scope.of(scenario, kinds, time_slice, types)
    tg, deadline = await load.analysis_graph(info, scope)
    s, t = tg.graph.index_of(source), tg.graph.index_of(target)
    if s is None or t is None:
        return PathSet(paths=[], truncated=False)
    found = await load.in_thread(
        lambda: traversals.simple_paths(
            tg, s, t, max_length=max_length, limit=limit, deadline=deadline
        )
    )
    listed = await _paths(info, tg, scope, found.items, Direction.OUTGOING, ("paths",))
    return PathSet(paths=listed, truncated=found.truncated)


async def reach(
    info: Info,
    from_: FromId,
    direction: Direction = Direction.OUTGOING,
    max_depth: int | None = None,
    scenario: str | None = None,
    kinds: list[DeliveryKind] | None = None,
    time_slice: str | None = None,
    types: list[ComponentType] | None = None,
) -> Reach:
    source = load.component_id(from_, "from")
    load.bounded(max_depth, "maxDepth", low=1, high=info.context.settings.analysis_max_nodes)
    scope = Scope.of(scenario, kinds, time_slice, types)
    tg, deadline = await load.analysis_graph(info, scope)
    s = tg.graph.index_of(source)
    if s is None:
        return Reach(components=[], truncated=False)
    reached = await load.in_thread(
        lambda: traversals.reach(tg, s, direction=direction, max_depth=max_depth, deadline=deadline)
    )
    listed, truncated = load.cap(reached, info)
    components = await load.reached_components(info, tg, listed, ("components",))
    return Reach(components=components, truncated=truncated)


async def policy_impact(
    info: Info,
    policy: strawberry.ID,
    radius: int,
    scenario: str | None = None,
    kinds: list[DeliveryKind] | None = None,
    time_slice: str | None = None,
    types: list[ComponentType] | None = None,
) -> PolicyImpact:
    source = expect_global_id(policy, {ComponentType.POLICY.label}, field="policy")
    load.bounded(radius, "radius", low=1, high=info.context.settings.analysis_max_nodes)
    scope = Scope.of(scenario, kinds, time_slice, types)
    tg, deadline = await load.analysis_graph(info, scope)
    s = tg.graph.index_of(source)
    if s is None:
        return PolicyImpact(by_type=[], components=[], density=0.0, truncated=False)
    reached = await load.in_thread(
        lambda: traversals.reach(
            tg, s, direction=Direction.OUTGOING, max_depth=radius, deadline=deadline
        )
    )
    nodes = [s, *(r.node for r in reached)]
    density = await load.in_thread(lambda: traversals.density(tg, nodes))
    ids = tg.graph.ids
    rows = await info.context.db.read(
        "analytics/component_types", ids=[ids[r.node] for r in reached]
    )
    counts = Counter(ComponentType.from_labels(r["labels"]) for r in rows)
    listed, truncated = load.cap(reached, info)
    return PolicyImpact(
        by_type=[TypeCount(type=t, count=counts[t]) for t in sorted(counts, key=lambda t: t.value)],
        components=await load.reached_components(info, tg, listed, ("components",)),
        density=density,
        truncated=truncated,
    )


async def feedback_loops(
    info: Info,
    through: strawberry.ID | None = None,
    *,
    max_length: int,
    limit: int = 100,
    scenario: str | None = None,
    kinds: list[DeliveryKind] | None = None,
    time_slice: str | None = None,
    types: list[ComponentType] | None = None,
) -> LoopSet:
    settings = info.context.settings
    via = load.component_id(through, "through") if through is not None else None
    load.bounded(max_length, "maxLength", low=1, high=settings.analysis_max_path_length)
    load.bounded(limit, "limit", low=1, high=settings.analysis_max_results)
    scope = Scope.of(scenario, kinds, time_slice, types)
    tg, deadline = await load.analysis_graph(info, scope)
    v = tg.graph.index_of(via) if via is not None else None
    if via is not None and v is None:
        return LoopSet(loops=[], truncated=False)
    found = await load.in_thread(
        lambda: loop_service.loops(
            tg, through=v, max_length=max_length, limit=limit, deadline=deadline
        )
    )
    walks = [loop_service.hops(c) for c in found.items]
    components, deliveries = await load.hop_objects(
        info, tg, scope, found.items, walks, Direction.OUTGOING, ("loops",)
    )
    ids = tg.graph.ids
    out = []
    for cycle, hop_deliveries in zip(found.items, deliveries, strict=True):
        strength = loop_service.strength(tg, cycle)
        out.append(
            Loop(
                components=[components[ids[n]] for n in cycle if ids[n] in components],
                deliveries=hop_deliveries,
                length=len(cycle),
                strength=strength,
                polarity=LoopPolarity.REINFORCING if strength > 0 else LoopPolarity.BALANCING,
            )
        )
    return LoopSet(loops=out, truncated=found.truncated)
