"""The traversal fields of Query (docs/analytics.md): paths, reach, policy impact, feedback
loops, leverage points and removal. Each is for analysts and above and costed in
graphql/core/traversal_costs.py."""

from __future__ import annotations

import strawberry

from sfm_graphql.graphql.analytics import removal_resolvers, traversal_resolvers
from sfm_graphql.graphql.analytics.traversal_types import (
    LeverageRanking,
    LoopSet,
    Path,
    PathSet,
    PolicyImpact,
    Reach,
    RemovalImpact,
)
from sfm_graphql.security.permissions import allow
from sfm_graphql.security.principal import Role

_SCOPE = (
    " Scope: `scenario`, `kinds`, `timeSlice`, `types` (docs/analytics.md, The analysis graph)."
)


@strawberry.type
class TraversalQuery:
    shortest_path: Path | None = strawberry.field(
        resolver=traversal_resolvers.shortest_path,
        extensions=allow(Role.ANALYST),
        description="The shortest path between two components (weighted: the least total "
        "weight, weights as distances); on a tie the fewest hops, then the smallest sequence of "
        "component ids. Null when there is none." + _SCOPE,
    )
    paths: PathSet = strawberry.field(
        resolver=traversal_resolvers.paths,
        extensions=allow(Role.ANALYST),
        description="Every simple path of at most `maxLength` hops, shortest first, then by "
        "component ids; at most `limit`." + _SCOPE,
    )
    reach: Reach = strawberry.field(
        resolver=traversal_resolvers.reach,
        extensions=allow(Role.ANALYST),
        description="The components reachable from one within `maxDepth` hops (any number "
        "when left out), with their distance; BOTH ignores the deliveries' direction." + _SCOPE,
    )
    policy_impact: PolicyImpact = strawberry.field(
        resolver=traversal_resolvers.policy_impact,
        extensions=allow(Role.ANALYST),
        description="What a policy reaches along deliveries within `radius` hops, by type, "
        "and the density of that part of the graph." + _SCOPE,
    )
    feedback_loops: LoopSet = strawberry.field(
        resolver=traversal_resolvers.feedback_loops,
        extensions=allow(Role.ANALYST),
        description="The feedback loops (simple cycles) of at most `maxLength` hops, through "
        "one component when `through` is given, shortest first; at most `limit`." + _SCOPE,
    )
    leverage_points: LeverageRanking = strawberry.field(
        resolver=removal_resolvers.leverage_points,
        extensions=allow(Role.ANALYST),
        description="Components ranked by how many feedback loops of at most `maxLength` hops "
        "they lie on; ties by component id." + _SCOPE,
    )
    simulate_removal: RemovalImpact = strawberry.field(
        resolver=removal_resolvers.simulate_removal,
        extensions=allow(Role.ANALYST),
        description="Which components lose their connection when `ids` are removed, and with "
        "`cascade`, round by round, which fail in turn (more than `threshold` of their incoming "
        "weight lost)." + _SCOPE,
    )
