"""Where a composed statement puts each planned connection in its rows: the result shape.

The composer names the map key of every nested connection while it writes the statement; it
returns those names as a tree that mirrors the plan, next to the statement text
(`ComposedQuery.shape`). Hydration walks this tree; it never reads anything back from the plan
objects, which stay immutable and may be shared between statements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sfm_graphql.db.plan import ConnectionPlan


@dataclass(frozen=True, slots=True)
class ComponentShape:
    """The nested connections in a component's map, by GraphQL response key."""

    connections: Mapping[str, ConnectionShape] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.connections, MappingProxyType):
            object.__setattr__(self, "connections", MappingProxyType(dict(self.connections)))


@dataclass(frozen=True, slots=True)
class ConnectionShape:
    """One nested connection: its plan, the map key of its rows and of its count (if counted)."""

    plan: ConnectionPlan
    key: str
    total_key: str | None
    delivery: DeliveryShape


@dataclass(frozen=True, slots=True)
class DeliveryShape:
    """A delivery's map: `d` (its properties), `sid`/`tid`, and `s`/`t` when planned."""

    source: ComponentShape | None = None
    target: ComponentShape | None = None


@dataclass(frozen=True, slots=True)
class NeighborhoodShape:
    center: ComponentShape
    components: ComponentShape
    deliveries: DeliveryShape | None


@dataclass(frozen=True, slots=True)
class ComparisonShape:
    source: ComponentShape
    target: ComponentShape


NO_CONNECTIONS = ComponentShape()
