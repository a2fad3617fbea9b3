"""Mutation inputs and payloads. Component inputs are flat: the type plus that type's fields."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.utils.str_converters import to_camel_case

from sfm_graphql.domain.models import FIELDS_BY_TYPE
from sfm_graphql.graphql.core.enums import (
    ComponentType,
    DeliveryKind,
    DeliveryType,
)
from sfm_graphql.graphql.graph.component_spec import input_fields, with_fields
from sfm_graphql.graphql.graph.types import Component, Delivery

UNSET: Any = strawberry.UNSET


@strawberry.input(
    description="Fields of any component type; only those of the given type may be set."
)
@with_fields(input_fields(FIELDS_BY_TYPE))
class ComponentFieldsInput:
    """Every optional field of every component type, generated from the domain models."""


@strawberry.input
class CreateComponentInput(ComponentFieldsInput):
    type: ComponentType
    label: str


@strawberry.input(description="Omitted fields keep their value; null clears an optional field.")
class UpdateComponentInput(ComponentFieldsInput):
    id: strawberry.ID
    version: int = strawberry.field(description="The version the change is based on.")
    label: str | None = UNSET


@strawberry.input
class DeliveryFieldsInput:
    delivery_type: DeliveryType | None = UNSET
    quantity: float | None = UNSET
    unit: str | None = UNSET
    weight: float | None = UNSET
    certainty: float | None = UNSET
    description: str | None = UNSET
    time_slice: str | None = UNSET
    spatial_unit: str | None = UNSET
    scenario: str | None = UNSET
    valid_from: dt.date | None = UNSET
    valid_to: dt.date | None = UNSET
    ceremonial_score: float | None = UNSET
    instrumental_score: float | None = UNSET
    metadata: JSON | None = UNSET
    external_key: str | None = UNSET


@strawberry.input
class CreateDeliveryInput(DeliveryFieldsInput):
    source: strawberry.ID
    target: strawberry.ID
    kind: DeliveryKind


@strawberry.input
class UpdateDeliveryInput(DeliveryFieldsInput):
    id: strawberry.ID
    version: int
    kind: DeliveryKind | None = UNSET


_NOT_FIELDS = {"id", "version", "type", "source", "target"}


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {to_camel_case(k): _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, enum.Enum):
        return value
    return value


def provided_fields(data: Any) -> dict[str, Any]:
    """The fields the caller set (null included), by their GraphQL names."""
    return {
        to_camel_case(f.name): _plain(getattr(data, f.name))
        for f in dataclasses.fields(data)
        if f.name not in _NOT_FIELDS and getattr(data, f.name) is not UNSET
    }


@strawberry.type
class ComponentPayload:
    component: Component


@strawberry.type
class DeliveryPayload:
    delivery: Delivery


@strawberry.type
class DeleteComponentPayload:
    deleted_id: strawberry.ID
    deleted_delivery_ids: list[strawberry.ID]


@strawberry.type
class DeleteDeliveryPayload:
    deleted_id: strawberry.ID
