"""The `Delivery` type: one directed flow from a source component to a target component."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from sfm_graphql.errors import NotPlanned
from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.ids import to_global_id
from sfm_graphql.graphql.types.enums import DeliveryKind, DeliveryKindInfo, DeliveryType
from sfm_graphql.graphql.types.node import Node

if TYPE_CHECKING:
    from sfm_graphql.graphql.types.components import Component

ComponentRef = Annotated["Component", strawberry.lazy("sfm_graphql.graphql.types.components")]


@strawberry.type(description="A directed delivery: the source delivers something to the target.")
class Delivery(Node):
    uuid: str
    kind: DeliveryKind
    delivery_type: DeliveryType
    quantity: float | None
    unit: str | None
    weight: float = strawberry.field(description="Influence or magnitude; negative means opposing.")
    certainty: float
    description: str | None = strawberry.field(description="The matrix cell description.")
    time_slice: str | None
    spatial_unit: str | None
    scenario: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    ceremonial_score: float | None
    instrumental_score: float | None
    metadata: JSON | None
    external_key: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int
    source_uuid: strawberry.Private[str]
    target_uuid: strawberry.Private[str]
    prefetched: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="The ceremonial tendency of this delivery's kind, 0..1.")
    def ceremonial_tendency(self) -> float:
        return self.kind.ceremonial_tendency

    @strawberry.field
    def kind_info(self) -> DeliveryKindInfo:
        return DeliveryKindInfo.of(self.kind)

    @strawberry.field
    def source(self, info: Info) -> ComponentRef:
        return _endpoint(self, info)

    @strawberry.field
    def target(self, info: Info) -> ComponentRef:
        return _endpoint(self, info)


def _endpoint(delivery: Delivery, info: Info) -> Component:
    # Every root field plans the endpoints it selects (selection.py); its statement fetched them.
    found = delivery.prefetched.get(info.field_name)
    if found is None:
        raise NotPlanned(f"Delivery.{info.field_name} was not planned")
    return cast("Component", found)


def delivery_from_props(
    props: dict[str, Any], source_uuid: str, target_uuid: str, prefetched: dict[str, Any]
) -> Delivery:
    return Delivery(
        id=strawberry.ID(to_global_id("Delivery", props["id"])),
        uuid=props["id"],
        kind=DeliveryKind(props["kind"]),
        delivery_type=DeliveryType(props.get("deliveryType") or "OTHER"),
        quantity=props.get("quantity"),
        unit=props.get("unit"),
        weight=props.get("weight", 1.0),
        certainty=props.get("certainty", 1.0),
        description=props.get("description"),
        time_slice=props.get("timeSlice"),
        spatial_unit=props.get("spatialUnit"),
        scenario=props.get("scenario") or "baseline",
        valid_from=props.get("validFrom"),
        valid_to=props.get("validTo"),
        ceremonial_score=props.get("ceremonialScore"),
        instrumental_score=props.get("instrumentalScore"),
        metadata=props.get("metadata"),
        external_key=props.get("externalKey"),
        created_at=props["createdAt"],
        updated_at=props["updatedAt"],
        version=props["version"],
        source_uuid=source_uuid,
        target_uuid=target_uuid,
        prefetched=prefetched,
    )
