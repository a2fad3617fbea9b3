"""What a GraphQL selection asks of the graph, as plain data.

The GraphQL layer turns a selection set into these plans; `compose` turns a plan into one Cypher
statement. Nested connections are part of the plan, which is how a two-level selection still
costs one round trip. Plans are immutable: the composer never writes into them, it returns the
result shape next to the statement (`db/shape.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.domain.models import FIELDS_BY_TYPE, DeliveryFields

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


def _frozen(connections: Mapping[str, ConnectionPlan]) -> Mapping[str, ConnectionPlan]:
    return (
        connections
        if isinstance(connections, MappingProxyType)
        else MappingProxyType(dict(connections))
    )


@dataclass(frozen=True, slots=True)
class ComponentPlan:
    """What to fetch with each component.

    `connections`: the nested connections, by GraphQL response key (kept read-only).
    `fields`: the component properties the selection reads (names as in `COMPONENT_PROPERTIES`);
    None fetches every property. The composer adds what hydration always needs.
    """

    connections: Mapping[str, ConnectionPlan] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    fields: frozenset[str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "connections", _frozen(self.connections))


@dataclass(frozen=True, slots=True)
class ConnectionPlan:
    """One nested connection. `cursors`: whether the selection reads a cursor of it (an edge's
    `cursor`, `pageInfo.startCursor`/`endCursor`); its page's sort key is returned only then."""

    direction: DirectionName
    page: Page
    filter: DeliveryFilter
    total: bool
    delivery: DeliveryPlan
    cursors: bool = True


@dataclass(frozen=True, slots=True)
class DeliveryPlan:
    """What to fetch with each delivery: its endpoints' plans and the properties it reads
    (names as in `DELIVERY_PROPERTIES`; None fetches every property)."""

    source: ComponentPlan | None = None
    target: ComponentPlan | None = None
    fields: frozenset[str] | None = None


# The properties a plan's `fields` may name: the domain models' fields and the ones every item
# carries. GraphQL field names are the same, so the planner keeps the selected names it finds here.
_STORED = frozenset({"id", "createdAt", "updatedAt", "version"})
COMPONENT_PROPERTIES = _STORED.union(*(m.model_fields for m in FIELDS_BY_TYPE.values()))
DELIVERY_PROPERTIES = _STORED | frozenset(DeliveryFields.model_fields)
