"""The scope of an analysis: which deliveries and components make up the analysis graph.

The definition every result is tested against is in docs/analytics.md ("The analysis graph"):
in scope, one edge (s, t) per ordered pair of distinct components with at least one delivery
s -> t in scope, weighted by the sum of those deliveries' weights; one node per component that
ends at least one such edge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.domain.models import Dimension
from sfm_graphql.errors import BadUserInput

_DIMENSION: TypeAdapter[str] = TypeAdapter(Dimension)


def _dimension(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    try:
        return _DIMENSION.validate_python(value)
    except ValidationError:
        raise BadUserInput(
            f"{field} must be 1 to 64 letters, digits or `_.:-/ `, starting with a letter or digit",
            field=field,
        ) from None


@dataclass(frozen=True, slots=True)
class Scope:
    """Which deliveries count (scenario, kinds, time slice) and which components are kept."""

    scenario: str | None = None
    kinds: tuple[DeliveryKind, ...] = ()
    time_slice: str | None = None
    types: tuple[ComponentType, ...] = ()

    @classmethod
    def of(
        cls,
        scenario: str | None = None,
        kinds: list[DeliveryKind] | None = None,
        time_slice: str | None = None,
        types: list[ComponentType] | None = None,
    ) -> Scope:
        """A validated scope; duplicates are dropped and the order made canonical."""
        return cls(
            scenario=_dimension(scenario, "scenario"),
            kinds=tuple(sorted(set(kinds or ()), key=lambda k: k.value)),
            time_slice=_dimension(time_slice, "timeSlice"),
            types=tuple(sorted(set(types or ()), key=lambda t: t.value)),
        )

    def params(self) -> dict[str, Any]:
        """The Cypher parameters of `cypher/analytics/*.cypher` (empty lists mean "all")."""
        return {
            "scenario": self.scenario,
            "kinds": [k.value for k in self.kinds],
            "timeSlice": self.time_slice,
            "labels": [t.label for t in self.types],
        }

    def key(self) -> str:
        """A stable text naming this scope, for cache keys."""
        return json.dumps(self.params(), sort_keys=True, separators=(",", ":"))
