"""`node` and `nodes`: any global id, whichever domain its type belongs to.

The one place that knows every node type, so the domain folders need not know each other: a
component or delivery id goes to the graph's planned fetch, a matrix or scenario id to its own
domain. Each distinct id is read once.
"""

from __future__ import annotations

from collections import defaultdict

import strawberry

from sfm_graphql.errors import LimitExceeded
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.ids import COMPONENT_TYPE_NAMES, from_global_id
from sfm_graphql.graphql.core.node import Node
from sfm_graphql.graphql.graph.fetch import components_by_ids, deliveries_by_ids
from sfm_graphql.graphql.matrices import resolvers as matrix_resolvers
from sfm_graphql.graphql.planner.selection import Planner
from sfm_graphql.graphql.scenarios import resolvers as scenario_resolvers


async def node(info: Info, id: strawberry.ID) -> Node | None:  # noqa: A002
    return (await nodes(info, [id]))[0]


async def nodes(info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
    if len(ids) > info.context.settings.max_nodes_per_request:
        raise LimitExceeded(
            f"At most {info.context.settings.max_nodes_per_request} ids per request"
        )
    decoded = [from_global_id(i, field="ids") for i in ids]
    wanted: dict[str, list[str]] = defaultdict(list)
    # Each distinct id is fetched once, however often it is listed; the answer has one entry
    # per listed id (the cost analysis counts every listed id for that reason).
    for type_name, local_id in dict.fromkeys(decoded):
        group = "component" if type_name in COMPONENT_TYPE_NAMES else type_name
        wanted[group].append(local_id)
    planner = Planner(info)
    found: dict[str, Node] = {}
    if wanted["component"]:
        found.update(
            await components_by_ids(
                info.context.db, wanted["component"], planner.component_plan(planner.root_nodes)
            )
        )
    if wanted["Delivery"]:
        found.update(
            await deliveries_by_ids(
                info.context.db, wanted["Delivery"], planner.delivery_plan(planner.root_nodes)
            )
        )
    if wanted["Matrix"]:
        projection = matrix_resolvers.plan_matrix(planner, planner.root_nodes)
        found.update(await matrix_resolvers.load_matrices(info, wanted["Matrix"], projection))
    if wanted["Scenario"]:
        found.update(await scenario_resolvers.scenarios_by_ids(info, wanted["Scenario"]))
    # A node is returned only under the type its id names.
    return [
        n if (n := found.get(local_id)) is not None and type(n).__name__ == type_name else None
        for type_name, local_id in decoded
    ]
