"""Result types of the global analyses: scores, groups, communities, vulnerability."""

from __future__ import annotations

import strawberry

from sfm_graphql.graphql.graph.types import Component
from sfm_graphql.services.analytics.centrality import CentralityMeasure
from sfm_graphql.services.analytics.communities import CommunityAlgorithm

strawberry.enum(
    CentralityMeasure,
    description="A centrality of the analysis graph, as NetworkX defines it (docs/analytics.md).",
)
strawberry.enum(
    CommunityAlgorithm,
    description="How communities are found on the undirected, unweighted analysis graph.",
)


def _loaded(component: Component | None) -> Component:
    # Only None when the client did not select the field, so it is never resolved then.
    if component is None:
        raise RuntimeError("a component was resolved that was not loaded")
    return component


@strawberry.type(description="A component's score in a ranking; rank 1 is the highest score.")
class ComponentScore:
    score: float
    rank: int = strawberry.field(description="1-based position: highest first, ties by id.")
    loaded: strawberry.Private[Component | None]

    @strawberry.field
    def component(self) -> Component:
        return _loaded(self.loaded)


@strawberry.type(description="Two components linked by a bridge (ends in id order).")
class ComponentPair:
    loaded_source: strawberry.Private[Component | None]
    loaded_target: strawberry.Private[Component | None]

    @strawberry.field
    def source(self) -> Component:
        return _loaded(self.loaded_source)

    @strawberry.field
    def target(self) -> Component:
        return _loaded(self.loaded_target)


@strawberry.type(description="A connected part of the analysis graph.")
class ComponentGroup:
    size: int = strawberry.field(description="How many components the group holds.")
    members: list[Component] = strawberry.field(
        description="Its components in id order, at most `analysisMaxMembers` of them."
    )
    members_truncated: bool = strawberry.field(description="True when `members` is cut.")


@strawberry.type(description="A community of the partition.")
class Community:
    id: int = strawberry.field(description="0 is the largest community; ties by smallest id.")
    size: int
    members: list[Component] = strawberry.field(
        description="Its components in id order, at most `analysisMaxMembers` of them."
    )
    members_truncated: bool = strawberry.field(description="True when `members` is cut.")


@strawberry.type(description="A partition of the analysis graph into communities.")
class Communities:
    modularity: float = strawberry.field(
        description="Modularity of this partition (NetworkX `community.modularity`)."
    )
    count: int = strawberry.field(description="How many communities the partition has.")
    communities: list[Community] = strawberry.field(description="The largest `limit` ones.")
    truncated: bool = strawberry.field(description="True when `communities` is cut.")


@strawberry.type(
    description="What holds the undirected analysis graph together: each list holds at most "
    "`limit` entries, its count says how many there are."
)
class Vulnerability:
    articulation_points: list[Component] = strawberry.field(
        description="Components whose removal disconnects their part of the graph, in id order."
    )
    articulation_point_count: int
    bridges: list[ComponentPair] = strawberry.field(
        description="Links whose removal disconnects their part of the graph."
    )
    bridge_count: int
    weak_components: list[ComponentGroup] = strawberry.field(
        description="The weakly connected parts, largest first."
    )
    weak_component_count: int
    top_betweenness: list[ComponentScore] = strawberry.field(
        description="The components on most shortest paths (centrality BETWEENNESS)."
    )
    truncated: bool = strawberry.field(description="True when a list is cut at `limit`.")
