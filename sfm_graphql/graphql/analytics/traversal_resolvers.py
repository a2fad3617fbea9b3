"""Resolvers of the traversal fields (docs/analytics.md): each validates its arguments, takes the
plain result through the analysis cache (services/analytics/traversal_answers.py) and loads what
it names for the caller."""

from __future__ import annotations

from typing import Annotated

import strawberry

from sfm_graphql.domain.enums import ComponentType, Direction
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.graphql.analytics import traversal_loading as load
from sfm_graphql.graphql.analytics.cached import cached_analysis
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
from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.ids import expect_global_id
from sfm_graphql.services.analytics import traversal_answers as answers
from sfm_graphql.services.analytics.results import ImpactResult, ReachResult, Walk, Walks
from sfm_graphql.services.analytics.scope import Scope

FromId = Annotated[strawberry.ID, strawberry.argument(name="from")]


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
    db, settings = info.context.db, info.context.settings
    source, target = load.component_id(from_, "from"), load.component_id(to, "to")
    scope = Scope.of(scenario, kinds, time_slice, types)
    found = await cached_analysis(
        info,
        "shortestPath",
        Walk | None,
        answers.shortest_path,
        db=db,
        settings=settings,
        scope=scope,
        source=source,
        target=target,
        direction=direction,
        weighted=weighted,
    )
    if found is None:
        return None
    return (await load.paths_of(info, scope, [found], ()))[0]


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
    db, settings = info.context.db, info.context.settings
    source, target = load.component_id(from_, "from"), load.component_id(to, "to")
    load.bounded(max_length, "maxLength", low=1, high=settings.analysis_max_path_length)
    load.bounded(limit, "limit", low=1, high=settings.analysis_max_results)
    scope = Scope.of(scenario, kinds, time_slice, types)
    found = await cached_analysis(
        info,
        "paths",
        Walks,
        answers.paths,
        db=db,
        settings=settings,
        scope=scope,
        source=source,
        target=target,
        max_length=max_length,
        limit=limit,
    )
    listed = await load.paths_of(info, scope, found.walks, ("paths",))
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
    db, settings = info.context.db, info.context.settings
    source = load.component_id(from_, "from")
    load.bounded(max_depth, "maxDepth", low=1, high=settings.analysis_max_nodes)
    scope = Scope.of(scenario, kinds, time_slice, types)
    found = await cached_analysis(
        info,
        "reach",
        ReachResult,
        answers.reach,
        db=db,
        settings=settings,
        scope=scope,
        source=source,
        direction=direction,
        max_depth=max_depth,
    )
    components = await load.reached_components(info, found.components, ("components",))
    return Reach(components=components, truncated=found.truncated)


async def policy_impact(
    info: Info,
    policy: strawberry.ID,
    radius: int,
    scenario: str | None = None,
    kinds: list[DeliveryKind] | None = None,
    time_slice: str | None = None,
    types: list[ComponentType] | None = None,
) -> PolicyImpact:
    db, settings = info.context.db, info.context.settings
    source = expect_global_id(policy, {ComponentType.POLICY.label}, field="policy")
    load.bounded(radius, "radius", low=1, high=settings.analysis_max_nodes)
    scope = Scope.of(scenario, kinds, time_slice, types)
    found = await cached_analysis(
        info,
        "policyImpact",
        ImpactResult,
        answers.policy_impact,
        db=db,
        settings=settings,
        scope=scope,
        policy=source,
        radius=radius,
    )
    return PolicyImpact(
        by_type=[TypeCount(type=t, count=n) for t, n in found.by_type],
        components=await load.reached_components(info, found.components, ("components",)),
        density=found.density,
        truncated=found.truncated,
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
    db, settings = info.context.db, info.context.settings
    via = load.component_id(through, "through") if through is not None else None
    load.bounded(max_length, "maxLength", low=1, high=settings.analysis_max_path_length)
    load.bounded(limit, "limit", low=1, high=settings.analysis_max_results)
    scope = Scope.of(scenario, kinds, time_slice, types)
    found = await cached_analysis(
        info,
        "feedbackLoops",
        Walks,
        answers.feedback_loops,
        db=db,
        settings=settings,
        scope=scope,
        through=via,
        max_length=max_length,
        limit=limit,
    )
    components, deliveries = await load.hop_objects(info, scope, found.walks, ("loops",))
    return LoopSet(
        loops=[
            Loop(
                components=[components[c] for c in walk.components if c in components],
                deliveries=hop_deliveries,
                length=len(walk.components),
                strength=walk.weight,
                polarity=LoopPolarity.REINFORCING if walk.weight > 0 else LoopPolarity.BALANCING,
            )
            for walk, hop_deliveries in zip(found.walks, deliveries, strict=True)
        ],
        truncated=found.truncated,
    )
