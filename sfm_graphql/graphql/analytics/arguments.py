"""Arguments shared by the global analyses: the scope, and the bounded list lengths."""

from __future__ import annotations

from typing import Annotated

import strawberry

from sfm_graphql.errors import BadUserInput
from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.types.enums import ComponentType, DeliveryKind
from sfm_graphql.services.analytics.scope import Scope

ScenarioArg = Annotated[
    str | None,
    strawberry.argument(description="Only deliveries of this scenario; without it, every one."),
]
KindsArg = Annotated[
    list[DeliveryKind] | None, strawberry.argument(description="Only deliveries of these kinds.")
]
TimeSliceArg = Annotated[
    str | None, strawberry.argument(description="Only deliveries of this time slice.")
]
TypesArg = Annotated[
    list[ComponentType] | None,
    strawberry.argument(description="Only components of these types (others are dropped)."),
]


def scope_of(
    scenario: str | None,
    kinds: list[DeliveryKind] | None,
    time_slice: str | None,
    types: list[ComponentType] | None,
) -> Scope:
    return Scope.of(scenario=scenario, kinds=kinds, time_slice=time_slice, types=types)


def bounded(info: Info, value: int | None, name: str, default: int) -> int:
    """A `top` / `limit` within 1..analysis_max_top (null: `default`), or BAD_USER_INPUT."""
    if value is None:
        return default
    most = info.context.settings.analysis_max_top
    if not 1 <= value <= most:
        raise BadUserInput(f"{name} must be between 1 and {most}", field=name)
    return value
