"""The `Component` interface and one type per component type, generated from the domain models."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from sfm_graphql.domain.models import FIELDS_BY_TYPE, CommonFields
from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.ids import to_global_id
from sfm_graphql.graphql.types.component_spec import (
    build_object,
    output_fields,
    python_name,
    specific_fields,
    value_reader,
    with_fields,
)
from sfm_graphql.graphql.types.enums import ComponentType
from sfm_graphql.graphql.types.inputs import DeliveryFilter, DeliveryOrder
from sfm_graphql.graphql.types.node import Node
from sfm_graphql.security.personal_data import mask_personal, may_read_personal_data

if TYPE_CHECKING:
    from sfm_graphql.graphql.types.connections import DeliveryConnection

Connection = Annotated[
    "DeliveryConnection", strawberry.lazy("sfm_graphql.graphql.types.connections")
]


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


@strawberry.interface(
    description="A component of the social fabric: a row and column of the matrix."
)
@with_fields(output_fields(CommonFields.model_fields.items()), after="type")
class Component(Node):
    """The common fields (`label` ... `externalKey`) are `CommonFields`', added after `type`."""

    uuid: str = strawberry.field(description="The stable UUID behind the global id.")
    type: ComponentType
    metadata: JSON | None = strawberry.field(resolver=_metadata)
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = strawberry.field(
        description="Incremented on every update; send it back to update."
    )
    prefetched: strawberry.Private[dict[str, Any]]
    stored_metadata: strawberry.Private[dict[str, Any] | None]

    @strawberry.field(description="Deliveries this component makes.")
    async def outgoing(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: DeliveryFilter | None = None,  # noqa: A002 (GraphQL argument name)
        order_by: DeliveryOrder | None = None,
    ) -> Connection:
        from sfm_graphql.graphql.resolvers.nested import nested_connection

        return await nested_connection(self, info)

    @strawberry.field(description="Deliveries this component receives.")
    async def incoming(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: DeliveryFilter | None = None,  # noqa: A002
        order_by: DeliveryOrder | None = None,
    ) -> Connection:
        from sfm_graphql.graphql.resolvers.nested import nested_connection

        return await nested_connection(self, info)


COMPONENT_CLASSES: dict[ComponentType, type[Component]] = {
    component_type: build_object(
        component_type.label, Component, output_fields(specific_fields(model))
    )
    for component_type, model in FIELDS_BY_TYPE.items()
}
COMPONENT_TYPE_NAMES = frozenset(t.label for t in ComponentType)
# Per type: (attribute, stored name, reader) of every model field.
_READERS = {
    component_type: [
        (python_name(name), name, value_reader(field)) for name, field in model.model_fields.items()
    ]
    for component_type, model in FIELDS_BY_TYPE.items()
}


def component_from_props(props: dict[str, Any], prefetched: dict[str, Any]) -> Component:
    """A typed component object from a node's decoded properties and labels."""
    component_type = ComponentType.from_labels(props["__labels"])
    values = {attr: read(props.get(name)) for attr, name, read in _READERS[component_type]}
    # `metadata` is resolved (personal fields masked) from the stored value.
    values["stored_metadata"] = values.pop("metadata")
    return COMPONENT_CLASSES[component_type](
        id=strawberry.ID(to_global_id(component_type.label, props["id"])),
        uuid=props["id"],
        type=component_type,
        created_at=props["createdAt"],
        updated_at=props["updatedAt"],
        version=props["version"],
        prefetched=prefetched,
        **values,
    )
