"""What each analysis computes, as plain data: component ids, numbers, flags (docs/analytics.md,
"Cache").

These are the values the analysis cache stores, before any component or delivery is loaded
for the caller: they hold no node numbers (those belong to one loaded graph) and nothing that
depends on who asks. Lists are already cut at the limits their key names.
"""

from __future__ import annotations

from dataclasses import dataclass

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.services.analytics.ceremonial import Balance
from sfm_graphql.services.analytics.structure import DegreeSummary

Pair = tuple[str, str]  # (source id, target id)


@dataclass(frozen=True, slots=True)
class Scored:
    component_id: str
    score: float
    rank: int


@dataclass(frozen=True, slots=True)
class Members:
    size: int
    members: list[str]  # the first `analysis_max_members`, in id order

    @property
    def cut(self) -> bool:
        return self.size > len(self.members)


@dataclass(frozen=True, slots=True)
class CommunitiesResult:
    modularity: float
    count: int
    communities: list[Members]
    truncated: bool


@dataclass(frozen=True, slots=True)
class VulnerabilityResult:
    articulation_points: list[str]
    articulation_point_count: int
    bridges: list[Pair]
    bridge_count: int
    weak_components: list[Members]
    weak_component_count: int
    top_betweenness: list[Scored]
    truncated: bool


@dataclass(frozen=True, slots=True)
class StatisticsResult:
    node_count: int
    edge_count: int
    delivery_count: int
    density: float
    by_type: list[tuple[ComponentType, int]]
    by_kind: list[tuple[DeliveryKind, int]]
    degree: DegreeSummary | None
    in_degree: DegreeSummary | None
    out_degree: DegreeSummary | None


@dataclass(frozen=True, slots=True)
class CeremonialResult:
    overall: Balance
    components: list[tuple[str, Balance]]
    most_ceremonial: list[tuple[str, Balance]]


@dataclass(frozen=True, slots=True)
class Walk:
    """A path or a loop: its components in order, per hop the (source, target) pairs whose
    deliveries make up the hop, and its weight (a path's total, a loop's product)."""

    components: list[str]
    hops: list[list[Pair]]
    weight: float


@dataclass(frozen=True, slots=True)
class Walks:
    walks: list[Walk]
    truncated: bool


@dataclass(frozen=True, slots=True)
class ReachedResult:
    component_id: str
    distance: int
    strongest: float | None


@dataclass(frozen=True, slots=True)
class ReachResult:
    components: list[ReachedResult]
    truncated: bool


@dataclass(frozen=True, slots=True)
class ImpactResult:
    by_type: list[tuple[ComponentType, int]]
    components: list[ReachedResult]
    density: float
    truncated: bool


@dataclass(frozen=True, slots=True)
class LeverageResult:
    points: list[tuple[str, int]]  # (component id, loops it lies on), most first
    loops: int
    truncated: bool


@dataclass(frozen=True, slots=True)
class RemovalResult:
    removed: list[str]
    disconnected: list[str]
    rounds: list[list[str]]
    truncated: bool
