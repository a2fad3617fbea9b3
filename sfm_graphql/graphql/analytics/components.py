"""The components and deliveries an analysis names, loaded with the selection the client asked for.

An analysis computes ids; the objects behind them are read in one statement per kind, planned from
the selection found at a path below the root field (e.g. `("component",)` for `ComponentScore`).
Ids that no longer exist are left out of the answer.
"""

from __future__ import annotations

from collections.abc import Iterable

from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.graph.fetch import components_by_ids, deliveries_by_ids
from sfm_graphql.graphql.graph.types import Component, Delivery
from sfm_graphql.graphql.planner.selection import Planner


async def components_at(info: Info, ids: Iterable[str], *path: str) -> dict[str, Component]:
    """The components with these (local) ids, planned from the selection at `path`."""
    wanted = list(dict.fromkeys(ids))
    planner = Planner(info)
    nodes = planner.descend(planner.root_nodes, *path)
    if not wanted or not nodes:
        return {}
    return await components_by_ids(info.context.db, wanted, planner.component_plan(nodes))


async def deliveries_at(info: Info, ids: Iterable[str], *path: str) -> dict[str, Delivery]:
    """The deliveries with these (local) ids, planned from the selection at `path`."""
    wanted = list(dict.fromkeys(ids))
    planner = Planner(info)
    nodes = planner.descend(planner.root_nodes, *path)
    if not wanted or not nodes:
        return {}
    return await deliveries_by_ids(info.context.db, wanted, planner.delivery_plan(nodes))
