"""The `Scenario` type and the comparison of two scenarios."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from sfm_graphql.db.shape import ComparisonShape
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.domain.models import from_properties
from sfm_graphql.graphql.analytics import shifts
from sfm_graphql.graphql.core import enums  # noqa: F401 (registers DeliveryKind with Strawberry)
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.graphql.core.node import Node
from sfm_graphql.graphql.graph import hydrate
from sfm_graphql.graphql.graph.types import Component, Delivery, delivery_from_props
from sfm_graphql.security.permissions import allow
from sfm_graphql.security.principal import Role
from sfm_graphql.services.scenarios import Comparison, ScenarioRecord


@strawberry.type(
    description="A named alternative state of the system; deliveries name their scenario. "
    "Scenarios used by deliveries are listed even when not declared; the id derives from the "
    "name, so it stays the same when the scenario is declared."
)
class Scenario(Node):
    name: str
    description: str | None
    declared: bool = strawberry.field(description="Whether createScenario declared it.")
    created_at: dt.datetime | None = strawberry.field(
        description="When it was declared; null for a scenario only used by deliveries."
    )
    delivery_count: int = strawberry.field(description="Deliveries in this scenario.")

    @classmethod
    def of(cls, record: ScenarioRecord) -> Scenario:
        return cls(
            id=strawberry.ID(to_global_id("Scenario", record.id)),
            name=record.name,
            description=record.description,
            declared=record.declared,
            created_at=record.created_at,
            delivery_count=record.delivery_count,
        )


@strawberry.input
class CreateScenarioInput:
    name: str = strawberry.field(
        description="1 to 64 letters, digits, spaces or _.:-/, starting with a letter or digit."
    )
    description: str | None = None


@strawberry.type
class ScenarioPayload:
    scenario: Scenario


@strawberry.type(
    description="The deliveries from one component to another of one kind, in both scenarios."
)
class ScenarioDifference:
    source: Component
    target: Component
    kind: DeliveryKind
    base_deliveries: list[Delivery]
    other_deliveries: list[Delivery]
    base_weight: float | None = strawberry.field(
        description="Total weight in the base scenario; null when it has no such delivery."
    )
    other_weight: float | None = strawberry.field(
        description="Total weight in the other scenario; null when it has no such delivery."
    )
    weight_change: float | None = strawberry.field(
        description="otherWeight - baseWeight; null unless both scenarios have the delivery."
    )


@strawberry.type(
    description="Two scenarios side by side. Deliveries match by source, target and kind; "
    "parallel deliveries of one kind are compared by their total weight."
)
class ScenarioComparison:
    base: str
    other: str
    only_in_base: list[ScenarioDifference]
    only_in_other: list[ScenarioDifference]
    changed: list[ScenarioDifference] = strawberry.field(
        description="Matches in both scenarios whose total weight differs."
    )
    only_in_base_count: int
    only_in_other_count: int
    changed_count: int
    unchanged_count: int
    truncated: bool = strawberry.field(
        description="True when a list holds fewer matches than its count (see `limit`)."
    )

    @strawberry.field(
        extensions=allow(Role.ANALYST),
        description="The components of both scenarios whose PageRank rank moved most, by the "
        "size of the move (docs/analytics.md). Analysts and above.",
    )
    async def centrality_shifts(
        self,
        info: Info,
        top: Annotated[
            int | None, strawberry.argument(description="How many components to list.")
        ] = shifts.DEFAULT_SHIFTS,
    ) -> list[shifts.CentralityShift]:
        return await shifts.centrality_shifts(info, self.base, self.other, top)


def _difference(row: dict[str, Any], shape: ComparisonShape) -> ScenarioDifference:
    source = hydrate.component(row["source"], shape.source)
    target = hydrate.component(row["target"], shape.target)
    ends = {"source": source, "target": target}

    def deliveries(items: list[dict[str, Any]]) -> list[Delivery]:
        return [
            delivery_from_props(from_properties(d), source.uuid, target.uuid, ends) for d in items
        ]

    base_weight = row["baseWeight"] if row["base"] else None
    other_weight = row["otherWeight"] if row["other"] else None
    return ScenarioDifference(
        source=source,
        target=target,
        kind=DeliveryKind(row["kind"]),
        base_deliveries=deliveries(row["base"]),
        other_deliveries=deliveries(row["other"]),
        base_weight=base_weight,
        other_weight=other_weight,
        weight_change=None
        if base_weight is None or other_weight is None
        else other_weight - base_weight,
    )


def comparison_of(result: Comparison, base: str, other: str) -> ScenarioComparison:
    def rows(outcome: str) -> list[ScenarioDifference]:
        return [_difference(r, result.shape) for r in result.rows[outcome]]

    return ScenarioComparison(
        base=base,
        other=other,
        only_in_base=rows("onlyInBase"),
        only_in_other=rows("onlyInOther"),
        changed=rows("changed"),
        only_in_base_count=result.totals["onlyInBase"],
        only_in_other_count=result.totals["onlyInOther"],
        changed_count=result.totals["changed"],
        unchanged_count=result.totals["unchanged"],
        truncated=result.truncated,
    )
