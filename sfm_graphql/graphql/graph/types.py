"""The types of the graph itself: `Component` (one type per component type, generated from the
domain models), `Delivery`, and their Relay connections.

They reference each other (a component's deliveries, a delivery's endpoints, a connection's
nodes), so they live in one module: the schema's own cycle is no import circle.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from sfm_graphql.domain.models import FIELDS_BY_TYPE, CommonFields
from sfm_graphql.errors import NotPlanned, SfmError
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.cursors import encode_cursor
from sfm_graphql.graphql.core.direct import direct
from sfm_graphql.graphql.core.enums import (
    ComponentType,
    DeliveryKind,
    DeliveryKindInfo,
    DeliveryType,
)
from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.graphql.core.inputs import DeliveryFilter, DeliveryOrder
from sfm_graphql.graphql.core.node import Node
from sfm_graphql.graphql.graph.component_spec import (
    build_object,
    output_fields,
    python_name,
    specific_fields,
    value_reader,
    with_fields,
)
from sfm_graphql.security.personal_data import mask_personal, may_read_personal_data


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


_TOTAL_COUNT = "Number of items matching the filter (counted only when asked)."


def _total_count(root: Any, info: Info) -> int:
    # `root`: a ComponentConnection or DeliveryConnection (declared below, they use this).
    if root.total is None:  # the planner counts whenever totalCount is selected
        raise SfmError("totalCount was not computed")
    total: int = root.total
    return total


def _edge_cursor(root: ComponentEdge | DeliveryEdge, info: Info) -> str:
    # Made when read: a page's edges rarely have their cursors selected.
    return encode_cursor(root.sort, root.item)


@strawberry.type
class ComponentEdge:
    cursor: str = strawberry.field(resolver=_edge_cursor, metadata=direct(_edge_cursor))
    node: Component
    sort: strawberry.Private[str]
    item: strawberry.Private[dict[str, Any]]  # the row's properties, the cursor's sort key in it


@strawberry.type
class ComponentConnection:
    edges: list[ComponentEdge]
    page_info: PageInfo
    total: strawberry.Private[int | None]

    total_count: int = strawberry.field(
        resolver=_total_count, metadata=direct(_total_count), description=_TOTAL_COUNT
    )


@strawberry.type
class DeliveryEdge:
    cursor: str = strawberry.field(resolver=_edge_cursor, metadata=direct(_edge_cursor))
    node: Delivery
    sort: strawberry.Private[str]
    item: strawberry.Private[dict[str, Any]]


@strawberry.type
class DeliveryConnection:
    edges: list[DeliveryEdge]
    page_info: PageInfo
    total: strawberry.Private[int | None]

    total_count: int = strawberry.field(
        resolver=_total_count, metadata=direct(_total_count), description=_TOTAL_COUNT
    )


def _metadata(root: Component, info: Info) -> Any:
    # Field-level authorization of an Actor's personal fields (security/personal_data.py).
    context = info.context
    if (
        root.stored_metadata is None
        or root.type is not ComponentType.ACTOR
        or may_read_personal_data(context.principal, context.settings)
    ):
        return root.stored_metadata
    return mask_personal(root.stored_metadata, context.settings.personal_fields)


def _prefetched(root: Component, info: Info) -> DeliveryConnection:
    # Every root field plans the connections below it (selection.py) and its one statement
    # fetches them; the arguments were read by the planner, so they are unused here.
    found = root.prefetched.get(str(info.path.key))
    if found is None:
        raise NotPlanned(f"Component.{info.field_name} was not planned")
    return cast("DeliveryConnection", found)


@strawberry.interface(
    description="A component of the social fabric: a row and column of the matrix."
)
@with_fields(output_fields(CommonFields.model_fields.items()), after="type")
class Component(Node):
    """The common fields (`label` ... `externalKey`) are `CommonFields`', added after `type`."""

    uuid: str = strawberry.field(description="The stable UUID behind the global id.")
    type: ComponentType
    metadata: JSON | None = strawberry.field(resolver=_metadata, metadata=direct(_metadata))
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = strawberry.field(
        description="Incremented on every update; send it back to update."
    )
    prefetched: strawberry.Private[dict[str, Any]]
    stored_metadata: strawberry.Private[dict[str, Any] | None]

    @classmethod
    def resolve_type(cls, obj: Any, info: Any, abstract_type: Any) -> str:
        # Every component is an instance of its type's generated class: its own definition
        # names the GraphQL type (Strawberry's default searches the possible types first).
        return str(obj.__strawberry_definition__.name)

    @strawberry.field(description="Deliveries this component makes.", metadata=direct(_prefetched))
    def outgoing(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: DeliveryFilter | None = None,  # noqa: A002 (GraphQL argument name)
        order_by: DeliveryOrder | None = None,
    ) -> DeliveryConnection:
        return _prefetched(self, info)

    @strawberry.field(
        description="Deliveries this component receives.", metadata=direct(_prefetched)
    )
    def incoming(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: DeliveryFilter | None = None,  # noqa: A002
        order_by: DeliveryOrder | None = None,
    ) -> DeliveryConnection:
        return _prefetched(self, info)


COMPONENT_CLASSES: dict[ComponentType, type[Component]] = {
    component_type: build_object(
        component_type.label, Component, output_fields(specific_fields(model))
    )
    for component_type, model in FIELDS_BY_TYPE.items()
}
# Per type: (attribute, reader) of every model field by its stored name, and each attribute's
# value when the row lacks its property (the reader's default; all immutable).
_READERS = {
    component_type: {
        name: (python_name(name), value_reader(field)) for name, field in model.model_fields.items()
    }
    for component_type, model in FIELDS_BY_TYPE.items()
}
_ABSENT = {
    component_type: {attr: read(None) for attr, read in readers.values()}
    for component_type, readers in _READERS.items()
}
_LABELS = {component_type: component_type.label for component_type in ComponentType}


def component_from_props(props: dict[str, Any], prefetched: dict[str, Any]) -> Component:
    """A typed component object from a node's decoded properties and labels."""
    component_type = ComponentType.from_labels(props["__labels"])
    readers = _READERS[component_type]
    # A row carries only the selected properties: read those, start the rest at their default.
    values = dict(_ABSENT[component_type])
    for name, value in props.items():
        if value is not None and (reader := readers.get(name)) is not None:
            values[reader[0]] = reader[1](value)
    # `metadata` is resolved (personal fields masked) from the stored value.
    values["stored_metadata"] = values.pop("metadata")
    return COMPONENT_CLASSES[component_type](
        id=strawberry.ID(to_global_id(_LABELS[component_type], props["id"])),
        uuid=props["id"],
        type=component_type,
        created_at=props["createdAt"],
        updated_at=props["updatedAt"],
        version=props["version"],
        prefetched=prefetched,
        **values,
    )


def _ceremonial_tendency(root: Delivery, info: Info) -> float:
    return root.kind.ceremonial_tendency


def _kind_info(root: Delivery, info: Info) -> DeliveryKindInfo:
    return DeliveryKindInfo.of(root.kind)


def _endpoint(root: Delivery, info: Info) -> Component:
    # Every root field plans the endpoints it selects (selection.py); its statement fetched them.
    found = root.prefetched.get(info.field_name)
    if found is None:
        raise NotPlanned(f"Delivery.{info.field_name} was not planned")
    return cast("Component", found)


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

    ceremonial_tendency: float = strawberry.field(
        resolver=_ceremonial_tendency,
        metadata=direct(_ceremonial_tendency),
        description="The ceremonial tendency of this delivery's kind, 0..1.",
    )
    kind_info: DeliveryKindInfo = strawberry.field(resolver=_kind_info, metadata=direct(_kind_info))
    source: Component = strawberry.field(resolver=_endpoint, metadata=direct(_endpoint))
    target: Component = strawberry.field(resolver=_endpoint, metadata=direct(_endpoint))


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
