"""Result types of graphStatistics and ceremonialInstrumental."""

from __future__ import annotations

import strawberry

from sfm_graphql.graphql.analytics.types import TypeCount
from sfm_graphql.graphql.core.enums import DeliveryKind
from sfm_graphql.graphql.graph.types import Component
from sfm_graphql.services.analytics import ceremonial as ceremonial_service
from sfm_graphql.services.analytics import structure


@strawberry.type(description="How many deliveries of one kind a scope holds.")
class KindCount:
    kind: DeliveryKind
    count: int


@strawberry.type(
    description="A degree distribution over the analysis graph's components; percentiles "
    "interpolate linearly between ranks."
)
class DegreeSummary:
    min: int
    max: int
    mean: float
    median: float
    p90: float
    p99: float

    @classmethod
    def of(cls, found: structure.DegreeSummary | None) -> DegreeSummary | None:
        if found is None:
            return None
        return cls(
            min=found.min,
            max=found.max,
            mean=found.mean,
            median=found.median,
            p90=found.p90,
            p99=found.p99,
        )


@strawberry.type(description="The size and shape of the analysis graph of a scope.")
class GraphStatistics:
    node_count: int = strawberry.field(description="Components of the analysis graph.")
    edge_count: int = strawberry.field(description="Linked ordered pairs of components.")
    delivery_count: int = strawberry.field(
        description="Deliveries in scope (self-deliveries left out); parallel ones count apart."
    )
    density: float = strawberry.field(
        description="edgeCount / (nodeCount (nodeCount - 1)), NetworkX `density` (directed)."
    )
    by_type: list[TypeCount] = strawberry.field(description="Components by type.")
    by_kind: list[KindCount] = strawberry.field(description="Deliveries by kind.")
    degree: DegreeSummary | None = strawberry.field(
        description="In- plus out-degree (linked components); null for an empty graph."
    )
    in_degree: DegreeSummary | None
    out_degree: DegreeSummary | None


@strawberry.type(
    description="The ceremonial (status-preserving) vs instrumental (problem-solving) balance "
    "of some deliveries, read from their kinds' ceremonial tendency and their own scores."
)
class CeremonialBalance:
    delivery_count: int
    ceremonial_share: float = strawberry.field(
        description="Mean ceremonial tendency of the deliveries' kinds, 0..1; 0 without any."
    )
    instrumental_share: float = strawberry.field(description="1 - ceremonialShare.")
    ceremonial_count: int = strawberry.field(description="Deliveries of kinds tending > 0.5.")
    instrumental_count: int = strawberry.field(description="Deliveries of kinds tending < 0.5.")
    scored_ceremonial_count: int = strawberry.field(
        description="Deliveries with a ceremonialScore of their own."
    )
    mean_ceremonial_score: float | None = strawberry.field(
        description="Mean of the deliveries' own ceremonialScore; null when none is set."
    )
    scored_instrumental_count: int
    mean_instrumental_score: float | None

    @classmethod
    def of(cls, found: ceremonial_service.Balance) -> CeremonialBalance:
        return cls(
            delivery_count=found.deliveries,
            ceremonial_share=found.ceremonial_share,
            instrumental_share=1.0 - found.ceremonial_share if found.deliveries else 0.0,
            ceremonial_count=found.ceremonial,
            instrumental_count=found.instrumental,
            scored_ceremonial_count=found.ceremonial_scored,
            mean_ceremonial_score=found.mean_ceremonial_score,
            scored_instrumental_count=found.instrumental_scored,
            mean_instrumental_score=found.mean_instrumental_score,
        )


@strawberry.type(description="A component's balance: the deliveries in scope it sends or gets.")
class ComponentCeremonialBalance:
    balance: CeremonialBalance
    loaded: strawberry.Private[Component | None]

    @strawberry.field
    def component(self) -> Component:
        # Only None when the client did not select the field, so it is never resolved then.
        if self.loaded is None:
            raise RuntimeError("a component was resolved that was not loaded")
        return self.loaded


@strawberry.type(description="Ceremonial vs instrumental dominance in a scope.")
class CeremonialInstrumental:
    overall: CeremonialBalance
    components: list[ComponentCeremonialBalance] = strawberry.field(
        description="The components asked for by `ids` (in that order); empty without `ids`."
    )
    most_ceremonial: list[ComponentCeremonialBalance] = strawberry.field(
        description="The `top` components with the highest ceremonialShare (then the most "
        "deliveries, then id)."
    )
