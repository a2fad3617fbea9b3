"""Resolvers of `leveragePoints` and `simulateRemoval` (docs/analytics.md)."""

from __future__ import annotations

from typing import cast

import strawberry

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.errors import BadUserInput
from sfm_graphql.graphql.analytics import traversal_loading as load
from sfm_graphql.graphql.analytics.components import components_at
from sfm_graphql.graphql.analytics.traversal_types import (
    CascadeRound,
    LeveragePoint,
    LeverageRanking,
    RemovalImpact,
)
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.graph.fetch import components_by_ids
from sfm_graphql.graphql.graph.types import Component
from sfm_graphql.graphql.planner.selection import Planner
from sfm_graphql.services.analytics import loops as loop_service
from sfm_graphql.services.analytics.removal import simulate_removal as simulate
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
    settings = info.context.settings
    load.bounded(max_length, "maxLength", low=1, high=settings.analysis_max_path_length)
    load.bounded(limit, "limit", low=1, high=settings.analysis_max_results)
    most = limit if limit is not None else settings.analysis_max_results
    scope = Scope.of(scenario, kinds, time_slice, types)
    tg, deadline = await load.analysis_graph(info, scope)
    ranking = await load.in_thread(
        lambda: loop_service.leverage(
            tg,
            max_length=max_length,
            max_loops=settings.analysis_max_loops_counted,
            deadline=deadline,
        )
    )
    listed = ranking.counts[:most]
    ids = tg.graph.ids
    found = await components_at(info, (ids[n] for n, _ in listed), "points", "component")
    selected = load.selects(info, "points", "component")
    points = [
        # Ids deleted meanwhile are left out; unselected components are never read.
        LeveragePoint(component=cast(Component, found.get(ids[n])), loops=count, rank=rank)
        for rank, (n, count) in enumerate(listed, start=1)
        if not selected or ids[n] in found
    ]
    return LeverageRanking(
        points=points,
        loops=ranking.loops,
        truncated=ranking.truncated or len(ranking.counts) > most,
    )


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
    local_ids = [load.component_id(i, "ids") for i in ids]
    scope = Scope.of(scenario, kinds, time_slice, types)
    tg, deadline = await load.analysis_graph(info, scope)
    removed = {n for i in local_ids if (n := tg.graph.index_of(i)) is not None}
    result = await load.in_thread(
        lambda: simulate(tg, removed, cascade=cascade, threshold=threshold, deadline=deadline)
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
    truncated = len(result.disconnected) > most or listed_failed < sum(map(len, result.rounds))
    names = tg.graph.ids
    # One statement loads the components of all three lists, with their selections merged.
    planner = Planner(info)
    selections = [
        node
        for path in (("removed",), ("disconnected",), ("rounds", "failed"))
        for node in planner.descend(planner.root_nodes, *path)
    ]
    wanted = [names[n] for n in [*result.removed, *disconnected, *(n for r in rounds for n in r)]]
    found = (
        await components_by_ids(
            info.context.db, list(dict.fromkeys(wanted)), planner.component_plan(selections)
        )
        if selections and wanted
        else {}
    )

    def listed(nodes: list[int]) -> list[Component]:
        return [found[names[n]] for n in nodes if names[n] in found]

    return RemovalImpact(
        removed=listed(result.removed),
        disconnected=listed(disconnected),
        rounds=[
            CascadeRound(round=number, failed=listed(r)) for number, r in enumerate(rounds, start=1)
        ],
        truncated=truncated,
    )
