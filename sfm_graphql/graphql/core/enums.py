"""Domain enums exposed to GraphQL, and the delivery-kind vocabulary as data."""

from __future__ import annotations

import strawberry

from sfm_graphql.domain import enums as domain
from sfm_graphql.domain.kinds import DeliveryKind as DomainDeliveryKind

# strawberry.enum registers each enum in place; the names below are the domain classes.
strawberry.enum(domain.ComponentType, description="The type of an SFM component.")
strawberry.enum(
    DomainDeliveryKind,
    description="The verb of a delivery. `deliveryKinds` lists each kind's ceremonial tendency "
    "and allowed source and target types.",
)
strawberry.enum(domain.DeliveryType, description="What flows along a delivery.")
for _enum in (
    domain.InstitutionLayer,
    domain.InstrumentType,
    domain.ResourceType,
    domain.DataQuality,
    domain.Direction,
    domain.SortDirection,
    domain.ComponentSortField,
    domain.DeliverySortField,
    domain.ExportFormat,
):
    strawberry.enum(_enum)

ComponentType = domain.ComponentType
DeliveryKind = DomainDeliveryKind
DeliveryType = domain.DeliveryType
InstitutionLayer = domain.InstitutionLayer
InstrumentType = domain.InstrumentType
ResourceType = domain.ResourceType
DataQuality = domain.DataQuality
Direction = domain.Direction
SortDirection = domain.SortDirection
ComponentSortField = domain.ComponentSortField
DeliverySortField = domain.DeliverySortField
ExportFormat = domain.ExportFormat


@strawberry.type(description="A delivery kind with the rules that apply to it.")
class DeliveryKindInfo:
    kind: DomainDeliveryKind
    family: str
    description: str
    ceremonial_tendency: float = strawberry.field(
        description="0 (instrumental, problem-solving) to 1 (ceremonial, status-preserving)."
    )
    allowed_source_types: list[domain.ComponentType]
    allowed_target_types: list[domain.ComponentType]

    @classmethod
    def of(cls, kind: DomainDeliveryKind) -> DeliveryKindInfo:
        rule = kind.rule
        order = list(domain.ComponentType)
        return cls(
            kind=kind,
            family=rule.family,
            description=rule.description,
            ceremonial_tendency=rule.ceremonial_tendency,
            allowed_source_types=[t for t in order if t in rule.sources],
            allowed_target_types=[t for t in order if t in rule.targets],
        )
