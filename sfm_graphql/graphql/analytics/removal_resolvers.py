"""Resolvers of `leveragePoints` and `simulateRemoval` (docs/analytics.md)."""

from __future__ import annotations

from typing import cast

import strawberry

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.errors import BadUserInput
from sfm_graphql.graphql.analytics import traversal_loading as load
from sfm_graphql.graphql.analytics.cached import cached_analysis
from sfm_graphql.graphql.analytics.components import components_at
from sfm_graphql.graphql.analytics.traversal_types import (
    CascadeRound,
    LeveragePoint,
    LeverageRanking,
    RemovalImpact,
)
from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.resolvers.fetch import components_by_ids
from sfm_graphql.graphql.selection import Planner
from sfm_graphql.graphql.types.graph import Component
from sfm_graphql.services.analytics import traversal_answers as answers
from sfm_graphql.services.analytics.results import LeverageResult, RemovalResult
from sfm_graphql.services.analytics.scope import Scope


async def leverage_points(
    info: Info,
    max_length: int,
    limit: int | None = None,
    scenario: str | None = None,
    kinds: list[DeliveryKind] | None = None,
    time_slice: str | None = None,
    types: list[ComponentType] | None = None,
) -> LeverageRanking:
    db, settings = info.context.db, info.context.settings
    load.bounded(max_length, "maxLength", low=1, high=settings.analysis_max_path_length)
    load.bounded(limit, "limit", low=1, high=settings.analysis_max_results)
    most = limit if limit is not None else settings.analysis_max_results
    scope = Scope.of(scenario, kinds, time_slice, types)
    ranking = await cached_analysis(
        info,
        "leveragePoints",
        LeverageResult,
        answers.leverage_points,
        db=db,
        settings=settings,
        scope=scope,
        max_length=max_length,
        limit=most,
    )
    found = await components_at(info, (c for c, _ in ranking.points), "points", "component")
    selected = load.selects(info, "points", "component")
    points = [
        # Ids deleted meanwhile are left out; unselected components are never read.
        LeveragePoint(component=cast(Component, found.get(c)), loops=count, rank=rank)
        for rank, (c, count) in enumerate(ranking.points, start=1)
        if not selected or c in found
    ]
    return LeverageRanking(points=points, loops=ranking.loops, truncated=ranking.truncated)


async def simulate_removal(
    info: Info,
    ids: list[strawberry.ID],
    cascade: bool = False,
    threshold: float = 0.5,
    scenario: str | None = None,
    kinds: list[DeliveryKind] | None = None,
    time_slice: str | None = None,
    types: list[ComponentType] | None = None,
) -> RemovalImpact:
    settings = info.context.settings
    if not 1 <= len(ids) <= settings.max_nodes_per_request:
        raise BadUserInput(
            f"ids must list 1 to {settings.max_nodes_per_request} components", field="ids"
        )
    if not 0.0 <= threshold <= 1.0:
        raise BadUserInput("threshold must be between 0 and 1", field="threshold")
    # The answer does not depend on the order of the ids, nor on repeats.
    local_ids = sorted({load.component_id(i, "ids") for i in ids})
    scope = Scope.of(scenario, kinds, time_slice, types)
    db = info.context.db
    result = await cached_analysis(
        info,
        "simulateRemoval",
        RemovalResult,
        answers.removal,
        db=db,
        settings=settings,
        scope=scope,
        ids=local_ids,
        cascade=cascade,
        threshold=threshold,
    )
    # One statement loads the components of all three lists, with their selections merged.
    planner = Planner(info)
    selections = [
        node
        for path in (("removed",), ("disconnected",), ("rounds", "failed"))
        for node in planner.descend(planner.root_nodes, *path)
    ]
    wanted = [*result.removed, *result.disconnected, *(c for r in result.rounds for c in r)]
    found = (
        await components_by_ids(
            info.context.db, list(dict.fromkeys(wanted)), planner.component_plan(selections)
        )
        if selections and wanted
        else {}
    )

    def listed(ids: list[str]) -> list[Component]:
        return [found[c] for c in ids if c in found]

    return RemovalImpact(
        removed=listed(result.removed),
        disconnected=listed(result.disconnected),
        rounds=[
            CascadeRound(round=number, failed=listed(r))
            for number, r in enumerate(result.rounds, start=1)
        ],
        truncated=result.truncated,
    )
