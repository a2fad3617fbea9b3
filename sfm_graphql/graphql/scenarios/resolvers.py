"""Scenario root fields."""

from __future__ import annotations

from typing import Annotated

import strawberry

from sfm_graphql.db.plan import ComponentPlan
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.planner.selection import Planner
from sfm_graphql.graphql.scenarios.types import (
    CreateScenarioInput,
    Scenario,
    ScenarioComparison,
    ScenarioPayload,
    comparison_of,
)
from sfm_graphql.services import scenarios as scenario_service

DEFAULT_COMPARISON_LIMIT = 100
_DIFFERENCE_LISTS = ("onlyInBase", "onlyInOther", "changed")


async def scenarios(info: Info) -> list[Scenario]:
    return [Scenario.of(s) for s in await scenario_service.list_scenarios(db=info.context.db)]


async def scenarios_by_ids(info: Info, ids: list[str]) -> dict[str, Scenario]:
    found = await scenario_service.scenarios_by_ids(db=info.context.db, ids=ids)
    return {local_id: Scenario.of(record) for local_id, record in found.items()}


async def create_scenario(info: Info, input: CreateScenarioInput) -> ScenarioPayload:  # noqa: A002
    record = await scenario_service.create_scenario(
        db=info.context.db, name=input.name, description=input.description
    )
    return ScenarioPayload(scenario=Scenario.of(record))


def _endpoint_plan(planner: Planner, end: str) -> ComponentPlan:
    """One plan for every place the comparison shows a source (or target) component."""
    nodes = []
    for listed in _DIFFERENCE_LISTS:
        for path in ((end,), ("baseDeliveries", end), ("otherDeliveries", end)):
            nodes += planner.descend(planner.root_nodes, listed, *path)
    return planner.component_plan(nodes) if nodes else ComponentPlan()


async def compare_scenarios(
    info: Info,
    base: str,
    other: str,
    limit: Annotated[
        int, strawberry.argument(description="At most this many matches per list.")
    ] = DEFAULT_COMPARISON_LIMIT,
) -> ScenarioComparison:
    planner = Planner(info)
    source_plan = _endpoint_plan(planner, "source")
    target_plan = _endpoint_plan(planner, "target")
    result = await scenario_service.compare_scenarios(
        db=info.context.db,
        base=base,
        other=other,
        limit=limit,
        max_rows=info.context.settings.max_comparison_rows,
        source_plan=source_plan,
        target_plan=target_plan,
    )
    return comparison_of(result, base, other)
