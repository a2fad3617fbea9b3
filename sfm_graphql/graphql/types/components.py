"""The `Component` interface and one type per component type."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.ids import to_global_id
from sfm_graphql.graphql.types.enums import (
    ComponentType,
    DataQuality,
    InstitutionLayer,
    InstrumentType,
    ResourceType,
)
from sfm_graphql.graphql.types.inputs import DeliveryFilter, DeliveryOrder
from sfm_graphql.graphql.types.node import Node
from sfm_graphql.security.personal_data import mask_personal, may_read_personal_data

if TYPE_CHECKING:
    from sfm_graphql.graphql.types.connections import DeliveryConnection

Connection = Annotated[
    "DeliveryConnection", strawberry.lazy("sfm_graphql.graphql.types.connections")
]


@strawberry.type
class PowerResource:
    name: str
    value: float


@strawberry.type
class Threshold:
    label: str
    value: float


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
class Component(Node):
    uuid: str = strawberry.field(description="The stable UUID behind the global id.")
    type: ComponentType
    label: str
    description: str | None
    certainty: float
    data_quality: DataQuality
    metadata: JSON | None = strawberry.field(resolver=_metadata)
    external_key: str | None
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


@strawberry.type
class Actor(Component):
    sector: str | None = None
    legal_form: str | None = None
    power_resources: list[PowerResource] | None = None


@strawberry.type
class Institution(Component):
    layer: InstitutionLayer | None = None
    legitimacy_basis: str | None = None
    change_resistance: float | None = None


@strawberry.type
class Policy(Component):
    authority: str | None = None
    enforcement: float | None = None
    target_sectors: list[str] | None = None


@strawberry.type
class PolicyInstrument(Component):
    instrument_type: InstrumentType | None = None
    target_behavior: str | None = None


@strawberry.type
class Resource(Component):
    resource_type: ResourceType | None = None
    unit: str | None = None


@strawberry.type
class Process(Component):
    technology: str | None = None


@strawberry.type
class ValueSystem(Component):
    legitimacy_source: str | None = None
    priority_weight: float | None = None


@strawberry.type
class BeliefSystem(Component):
    domain: str | None = None
    strength: float | None = None


@strawberry.type
class TechnologySystem(Component):
    maturity: int | None = strawberry.field(
        default=None, description="Technology readiness level 1..9."
    )


@strawberry.type
class EcologicalSystem(Component):
    ecosystem_type: str | None = None


@strawberry.type
class Indicator(Component):
    value_category: str | None = None
    unit: str | None = None
    current_value: float | None = None
    target_value: float | None = None
    thresholds: list[Threshold] | None = None


COMPONENT_CLASSES: dict[ComponentType, type[Component]] = {
    ComponentType.ACTOR: Actor,
    ComponentType.INSTITUTION: Institution,
    ComponentType.POLICY: Policy,
    ComponentType.POLICY_INSTRUMENT: PolicyInstrument,
    ComponentType.RESOURCE: Resource,
    ComponentType.PROCESS: Process,
    ComponentType.VALUE_SYSTEM: ValueSystem,
    ComponentType.BELIEF_SYSTEM: BeliefSystem,
    ComponentType.TECHNOLOGY_SYSTEM: TechnologySystem,
    ComponentType.ECOLOGICAL_SYSTEM: EcologicalSystem,
    ComponentType.INDICATOR: Indicator,
}
COMPONENT_TYPE_NAMES = frozenset(t.label for t in ComponentType)

_ENUM_FIELDS: dict[str, type[Any]] = {
    "layer": InstitutionLayer,
    "instrumentType": InstrumentType,
    "resourceType": ResourceType,
}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def component_from_props(props: dict[str, Any], prefetched: dict[str, Any]) -> Component:
    """A typed component object from a node's decoded properties and labels."""
    component_type = ComponentType.from_labels(props["__labels"])
    cls = COMPONENT_CLASSES[component_type]
    specific: dict[str, Any] = {}
    from sfm_graphql.domain.models import COMMON_FIELD_NAMES, FIELDS_BY_TYPE

    for name in FIELDS_BY_TYPE[component_type].model_fields:
        if name in COMMON_FIELD_NAMES:
            continue
        value = props.get(name)
        if value is not None and name in _ENUM_FIELDS:
            value = _ENUM_FIELDS[name](value)
        elif value is not None and name == "powerResources":
            value = [PowerResource(**v) for v in value]
        elif value is not None and name == "thresholds":
            value = [Threshold(**v) for v in value]
        specific[_snake(name)] = value
    return cls(
        id=strawberry.ID(to_global_id(component_type.label, props["id"])),
        uuid=props["id"],
        type=component_type,
        label=props["label"],
        description=props.get("description"),
        certainty=props.get("certainty", 1.0),
        data_quality=DataQuality(props.get("dataQuality") or "UNKNOWN"),
        stored_metadata=props.get("metadata"),
        external_key=props.get("externalKey"),
        created_at=props["createdAt"],
        updated_at=props["updatedAt"],
        version=props["version"],
        prefetched=prefetched,
        **specific,
    )
