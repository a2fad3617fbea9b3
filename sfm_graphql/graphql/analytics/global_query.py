"""The global analyses as root query fields, a mixin of `Query` (graphql/schema.py)."""

from __future__ import annotations

import strawberry

from sfm_graphql.graphql.analytics import global_resolvers as resolvers
from sfm_graphql.graphql.analytics import statistics_resolvers
from sfm_graphql.graphql.analytics.global_types import (
    Communities,
    ComponentGroup,
    ComponentScore,
    Vulnerability,
)
from sfm_graphql.graphql.analytics.statistics_types import CeremonialInstrumental, GraphStatistics
from sfm_graphql.security.permissions import allow
from sfm_graphql.security.principal import Role


@strawberry.type
class GlobalAnalyticsQuery:
    centrality: list[ComponentScore] = strawberry.field(
        resolver=resolvers.centrality,
        extensions=allow(Role.ANALYST),
        description="Components ranked by a centrality of the analysis graph, highest first, "
        "ties by id; scores equal NetworkX's (docs/analytics.md).",
    )
    communities: Communities = strawberry.field(
        resolver=resolvers.communities,
        extensions=allow(Role.ANALYST),
        description="Communities of the undirected, unweighted analysis graph (seeded, so the "
        "same graph gives the same answer).",
    )
    connected_components: list[ComponentGroup] = strawberry.field(
        resolver=resolvers.connected_components,
        extensions=allow(Role.ANALYST),
        description="The weakly (or strongly) connected components of the analysis graph, "
        "largest first, ties by smallest member id; the largest `limit` of them.",
    )
    vulnerability: Vulnerability = strawberry.field(
        resolver=resolvers.vulnerability,
        extensions=allow(Role.ANALYST),
        description="Articulation points, bridges, weak components and the top betweenness "
        "components of the analysis graph.",
    )
    graph_statistics: GraphStatistics = strawberry.field(
        resolver=statistics_resolvers.graph_statistics,
        extensions=allow(Role.ANALYST),
        description="Counts by type and kind, density and degree distribution of the analysis "
        "graph.",
    )
    ceremonial_instrumental: CeremonialInstrumental = strawberry.field(
        resolver=statistics_resolvers.ceremonial_instrumental,
        extensions=allow(Role.ANALYST),
        description="The share of ceremonial vs instrumental deliveries in scope, overall and "
        "per component, with the most ceremonial components.",
    )
