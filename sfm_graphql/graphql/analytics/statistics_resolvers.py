"""Resolvers of graphStatistics and ceremonialInstrumental (docs/analytics.md)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from sfm_graphql.errors import BadUserInput
from sfm_graphql.graphql.analytics.arguments import (
    KindsArg,
    ScenarioArg,
    TimeSliceArg,
    TypesArg,
    bounded,
    scope_of,
)
from sfm_graphql.graphql.analytics.cached import cached_analysis
from sfm_graphql.graphql.analytics.hydration import components_at_paths
from sfm_graphql.graphql.analytics.statistics_types import (
    CeremonialBalance,
    CeremonialInstrumental,
    ComponentCeremonialBalance,
    DegreeSummary,
    GraphStatistics,
    KindCount,
)
from sfm_graphql.graphql.analytics.types import TypeCount
from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.ids import expect_global_id
from sfm_graphql.graphql.types.graph import COMPONENT_TYPE_NAMES, Component
from sfm_graphql.services.analytics import ceremonial
from sfm_graphql.services.analytics import global_answers as answers
from sfm_graphql.services.analytics.results import CeremonialResult, StatisticsResult

DEFAULT_CEREMONIAL_TOP = 10


async def graph_statistics(
    info: Info,
    scenario: ScenarioArg = None,
    kinds: KindsArg = None,
    time_slice: TimeSliceArg = None,
    types: TypesArg = None,
) -> GraphStatistics:
    db, settings = info.context.db, info.context.settings
    scope = scope_of(scenario, kinds, time_slice, types)
    found = await cached_analysis(
        info,
        "graphStatistics",
        StatisticsResult,
        answers.graph_statistics,
        db=db,
        settings=settings,
        scope=scope,
    )
    return GraphStatistics(
        node_count=found.node_count,
        edge_count=found.edge_count,
        delivery_count=found.delivery_count,
        density=found.density,
        by_type=[TypeCount(type=t, count=n) for t, n in found.by_type],
        by_kind=[KindCount(kind=k, count=n) for k, n in found.by_kind],
        degree=DegreeSummary.of(found.degree),
        in_degree=DegreeSummary.of(found.in_degree),
        out_degree=DegreeSummary.of(found.out_degree),
    )


def _local_ids(info: Info, ids: list[strawberry.ID] | None) -> list[str] | None:
    if ids is None:
        return None
    most = info.context.settings.max_nodes_per_request
    if len(ids) > most:
        raise BadUserInput(f"ids takes at most {most} ids", field="ids")
    return list(dict.fromkeys(expect_global_id(i, COMPONENT_TYPE_NAMES, field="ids") for i in ids))


def _listed(
    rows: list[tuple[str, ceremonial.Balance]], found: dict[str, Component] | None
) -> list[ComponentCeremonialBalance]:
    return [
        ComponentCeremonialBalance(
            balance=CeremonialBalance.of(b), loaded=found.get(c) if found is not None else None
        )
        for c, b in rows
        if found is None or c in found  # else deleted meanwhile
    ]


async def ceremonial_instrumental(
    info: Info,
    ids: Annotated[
        list[strawberry.ID] | None,
        strawberry.argument(description="Components to report on one by one (`components`)."),
    ] = None,
    top: Annotated[
        int | None, strawberry.argument(description="How many mostCeremonial components to list.")
    ] = DEFAULT_CEREMONIAL_TOP,
    scenario: ScenarioArg = None,
    kinds: KindsArg = None,
    time_slice: TimeSliceArg = None,
    types: TypesArg = None,
) -> CeremonialInstrumental:
    db, settings = info.context.db, info.context.settings
    top = bounded(info, top, "top", DEFAULT_CEREMONIAL_TOP)
    local = _local_ids(info, ids)
    scope = scope_of(scenario, kinds, time_slice, types)
    result = await cached_analysis(
        info,
        "ceremonialInstrumental",
        CeremonialResult,
        answers.ceremonial_instrumental,
        db=db,
        settings=settings,
        scope=scope,
        ids=local,
        top=top,
    )
    asked, most = result.components, result.most_ceremonial
    found = await components_at_paths(
        info,
        [c for c, _ in asked] + [c for c, _ in most],
        [("components", "component"), ("mostCeremonial", "component")],
    )
    return CeremonialInstrumental(
        overall=CeremonialBalance.of(result.overall),
        components=_listed(asked, found),
        most_ceremonial=_listed(most, found),
    )
