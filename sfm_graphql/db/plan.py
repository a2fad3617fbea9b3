"""What a GraphQL selection asks of the graph, as plain data.

The GraphQL layer turns a selection set into these plans; `compose` turns a plan into one Cypher
statement. Nested connections are part of the plan, which is how a two-level selection still
costs one round trip.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind

DirectionName = Literal["OUTGOING", "INCOMING", "BOTH"]


@dataclass(frozen=True, slots=True)
class Cursor:
    value: Any
    id: str


@dataclass(frozen=True, slots=True)
class Page:
    """A keyset page: `size` items after (or, backwards, before) `cursor` in `sort` order."""

    size: int
    sort: str = "id"
    descending: bool = False
    backward: bool = False
    cursor: Cursor | None = None


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    kinds: tuple[DeliveryKind, ...] = ()
    delivery_types: tuple[str, ...] = ()
    scenario: str | None = None
    time_slice: str | None = None
    spatial_unit: str | None = None
    valid_at: dt.date | None = None
    min_weight: float | None = None
    max_weight: float | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    source_id: str | None = None
    target_id: str | None = None

    @property
    def has_dimensions(self) -> bool:
        return any(
            v is not None
            for v in (self.scenario, self.time_slice, self.spatial_unit, self.valid_at)
        )


@dataclass(frozen=True, slots=True)
class ComponentFilter:
    types: tuple[ComponentType, ...] = ()
    text: str | None = None
    sector: str | None = None
    layer: str | None = None
    external_key: str | None = None
    deliveries: DeliveryFilter = field(default_factory=DeliveryFilter)
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None


@dataclass(slots=True)
class ComponentPlan:
    """Nested connections to fetch with each component, by GraphQL response key."""

    connections: dict[str, ConnectionPlan] = field(default_factory=dict)


@dataclass(slots=True)
class ConnectionPlan:
    direction: DirectionName
    page: Page
    filter: DeliveryFilter
    total: bool
    delivery: DeliveryPlan
    key: str = ""  # the map key in the Cypher result, set by the composer


@dataclass(slots=True)
class DeliveryPlan:
    source: ComponentPlan | None = None
    target: ComponentPlan | None = None
