"""Nested fields read what the root statement already fetched.

The fallback paths run only for objects that were not reached through a planned root field;
every root field of the schema plans its nested connections, and the N+1 test holds them to it.
"""

from __future__ import annotations

from typing import Literal

from sfm_graphql.db.plan import ComponentPlan
from sfm_graphql.errors import NotFound
from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.resolvers.fetch import components_by_ids
from sfm_graphql.graphql.selection import Planner
from sfm_graphql.graphql.types.components import Component
from sfm_graphql.graphql.types.connections import DeliveryConnection
from sfm_graphql.graphql.types.deliveries import Delivery


async def nested_connection(component: Component, info: Info) -> DeliveryConnection:
    key = str(info.path.key)
    found = component.prefetched.get(key)
    if isinstance(found, DeliveryConnection):
        return found
    planner = Planner(info)
    conn = planner.connection_plan(info.field_name, planner.root_nodes)
    plan = ComponentPlan(connections={key: conn})
    loaded = await components_by_ids(info.context.db, [component.uuid], plan)
    if component.uuid not in loaded:
        raise NotFound("The component no longer exists")
    result = loaded[component.uuid].prefetched[key]
    assert isinstance(result, DeliveryConnection)
    return result


async def delivery_endpoint(
    delivery: Delivery, info: Info, which: Literal["source", "target"]
) -> Component:
    found = delivery.prefetched.get(which)
    if isinstance(found, Component):
        return found
    planner = Planner(info)
    uuid = delivery.source_uuid if which == "source" else delivery.target_uuid
    loaded = await components_by_ids(
        info.context.db, [uuid], planner.component_plan(planner.root_nodes)
    )
    if uuid not in loaded:
        raise NotFound(f"The {which} component no longer exists")
    return loaded[uuid]
