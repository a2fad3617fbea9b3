"""Result types of search and neighbourhood queries."""

from __future__ import annotations

import strawberry

from sfm_graphql.graphql.graph.types import Component, Delivery


@strawberry.type(description="A full-text match with its relevance score.")
class SearchHit:
    score: float
    component: Component


@strawberry.type
class ComponentDistance:
    component_id: strawberry.ID
    hops: int


@strawberry.type(
    description="The components and deliveries around a component, for a visualisation."
)
class Neighborhood:
    center: Component
    components: list[Component] = strawberry.field(
        description="The center first, then every reached component, nearest first."
    )
    distances: list[ComponentDistance] = strawberry.field(description="Hops from the center.")
    deliveries: list[Delivery] = strawberry.field(
        description="Deliveries among the returned components that match the filters."
    )
    depth: int
    truncated: bool = strawberry.field(
        description="True when more components were in reach than the service returns at once."
    )
