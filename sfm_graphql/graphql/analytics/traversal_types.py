"""Result types of the traversal fields: paths, reach, policy impact, loops, removal."""

from __future__ import annotations

import enum

import strawberry

from sfm_graphql.graphql.analytics.types import TypeCount
from sfm_graphql.graphql.graph.types import Component, Delivery


@strawberry.enum(description="Whether a feedback loop amplifies a change or damps it.")
class LoopPolarity(enum.Enum):
    REINFORCING = strawberry.enum_value(
        "REINFORCING", description="The product of the loop's edge weights is positive."
    )
    BALANCING = strawberry.enum_value(
        "BALANCING", description="The product of the loop's edge weights is negative or zero."
    )


_HOP_DELIVERIES = (
    "Per hop, in hop order, every delivery in scope that makes up the hop (the hop's weight is "
    "the sum of theirs), by delivery id."
)


@strawberry.type(description="A path of the analysis graph: a sequence of distinct components.")
class Path:
    components: list[Component] = strawberry.field(description="From the first to the last.")
    deliveries: list[Delivery] = strawberry.field(description=_HOP_DELIVERIES)
    length: int = strawberry.field(description="Hops: one less than the components.")
    total_weight: float = strawberry.field(description="The sum of the hops' edge weights.")


@strawberry.type(description="Simple paths between two components, shortest first.")
class PathSet:
    paths: list[Path]
    truncated: bool = strawberry.field(description="True when more paths exist than `limit`.")


@strawberry.type(description="A component reached from another, and how.")
class ReachedComponent:
    component: Component
    distance: int = strawberry.field(description="Hops on a shortest path.")
    strongest_path_weight: float | None = strawberry.field(
        description="Over the shortest paths to the component, the product of the edge weights "
        "with the largest magnitude (the positive one on a tie): how strongly, and with which "
        "sign, an influence arrives. Null when the direction is BOTH."
    )


@strawberry.type(description="The components reachable from one, nearest first, then by id.")
class Reach:
    components: list[ReachedComponent]
    truncated: bool = strawberry.field(
        description="True when more components were reached than the service lists at once."
    )


@strawberry.type(description="What a policy reaches within a radius.")
class PolicyImpact:
    by_type: list[TypeCount] = strawberry.field(
        description="Every reached component counted by type (the listed and the unlisted)."
    )
    components: list[ReachedComponent] = strawberry.field(
        description="As in `reach`: nearest first, then by id."
    )
    density: float = strawberry.field(
        description="Edges / (n (n - 1)) of the subgraph induced by the policy and the "
        "components it reaches."
    )
    truncated: bool = strawberry.field(
        description="True when more components were reached than the service lists at once."
    )


@strawberry.type(description="A feedback loop: a simple cycle of the analysis graph.")
class Loop:
    components: list[Component] = strawberry.field(
        description="From the one with the smallest id on; the last delivers back to the first."
    )
    deliveries: list[Delivery] = strawberry.field(
        description=_HOP_DELIVERIES + " The closing hop is last."
    )
    length: int = strawberry.field(description="Hops, as many as components.")
    strength: float = strawberry.field(description="The product of the loop's edge weights.")
    polarity: LoopPolarity


@strawberry.type(description="Feedback loops, shortest first, then by component ids.")
class LoopSet:
    loops: list[Loop]
    truncated: bool = strawberry.field(description="True when more loops exist than `limit`.")


@strawberry.type(description="A component and how many feedback loops it lies on.")
class LeveragePoint:
    component: Component
    loops: int
    rank: int = strawberry.field(description="1 for the most loops; ties by component id.")


@strawberry.type(description="Components ranked by the number of feedback loops they lie on.")
class LeverageRanking:
    points: list[LeveragePoint]
    loops: int = strawberry.field(description="How many loops were counted.")
    truncated: bool = strawberry.field(
        description="True when counting stopped at the service's maximum number of loops, or "
        "more components lie on loops than `limit`."
    )


@strawberry.type(description="The components that failed in one round of a cascade.")
class CascadeRound:
    round: int = strawberry.field(description="1 for the first round after the removal.")
    failed: list[Component]


@strawberry.type(description="What breaks when components are removed.")
class RemovalImpact:
    removed: list[Component] = strawberry.field(
        description="The given components that are part of the analysis graph."
    )
    disconnected: list[Component] = strawberry.field(
        description="Components cut off from the largest remaining piece of their weakly "
        "connected component, once the removed (and, with cascade, the failed) are gone."
    )
    rounds: list[CascadeRound] = strawberry.field(
        description="With cascade: round by round, the components that lost more than "
        "`threshold` of their incoming weight. Empty without cascade."
    )
    truncated: bool = strawberry.field(
        description="True when a list was cut at the service's maximum number of components."
    )
