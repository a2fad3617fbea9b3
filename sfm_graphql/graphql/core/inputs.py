"""Filter, order and pagination inputs shared by root and nested connections."""

from __future__ import annotations

import datetime as dt

import strawberry

from sfm_graphql.graphql.core.enums import (
    ComponentSortField,
    ComponentType,
    DeliveryKind,
    DeliverySortField,
    DeliveryType,
    InstitutionLayer,
    SortDirection,
)


@strawberry.input(description="Conditions on deliveries; all given conditions must hold.")
class DeliveryFilter:
    kinds: list[DeliveryKind] | None = None
    delivery_types: list[DeliveryType] | None = None
    scenario: str | None = None
    time_slice: str | None = None
    spatial_unit: str | None = None
    valid_at: dt.date | None = strawberry.field(
        default=None, description="Only deliveries valid on this date (open ends count as valid)."
    )
    min_weight: float | None = None
    max_weight: float | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    source: strawberry.ID | None = strawberry.field(
        default=None, description="Source component id."
    )
    target: strawberry.ID | None = strawberry.field(
        default=None, description="Target component id."
    )


@strawberry.input(description="Conditions on components; all given conditions must hold.")
class ComponentFilter:
    types: list[ComponentType] | None = None
    text: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of label or description."
    )
    sector: str | None = None
    layer: InstitutionLayer | None = None
    external_key: str | None = None
    scenario: str | None = strawberry.field(
        default=None, description="Only components with a delivery in this scenario."
    )
    time_slice: str | None = None
    spatial_unit: str | None = None
    valid_at: dt.date | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None


@strawberry.input
class ComponentOrder:
    field: ComponentSortField = ComponentSortField.LABEL
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class DeliveryOrder:
    field: DeliverySortField = DeliverySortField.CREATED_AT
    direction: SortDirection = SortDirection.ASC
