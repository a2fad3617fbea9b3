"""Root mutation fields: validate ids, call a service, then read the result with its selection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from graphql import FieldNode

from sfm_graphql.db.database import Database
from sfm_graphql.errors import NotFound
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.ids import COMPONENT_TYPE_NAMES, expect_global_id, to_global_id
from sfm_graphql.graphql.graph.fetch import components_by_ids, deliveries_by_ids
from sfm_graphql.graphql.graph.mutation_types import (
    ComponentPayload,
    CreateComponentInput,
    CreateDeliveryInput,
    DeleteComponentPayload,
    DeleteDeliveryPayload,
    DeliveryPayload,
    UpdateComponentInput,
    UpdateDeliveryInput,
    provided_fields,
)
from sfm_graphql.graphql.graph.types import Component, Delivery
from sfm_graphql.graphql.planner.selection import Planner
from sfm_graphql.services import components as component_service
from sfm_graphql.services import deliveries as delivery_service

DELIVERY = frozenset({"Delivery"})


_Plan = TypeVar("_Plan")
_Item = TypeVar("_Item")


async def _written(
    info: Info,
    item_id: str,
    *,
    key: str,
    plan_of: Callable[[Planner, list[FieldNode]], _Plan],
    by_ids: Callable[[Database, list[str], _Plan], Awaitable[dict[str, _Item]]],
) -> _Item:
    """The item a mutation wrote, read in one statement as the payload's `key` field selects it;
    NotFound when it was removed in the meantime."""
    planner = Planner(info)
    plan = plan_of(planner, planner.descend(planner.root_nodes, key))
    found = await by_ids(info.context.db, [item_id], plan)
    if item_id not in found:
        raise NotFound(f"The {key} no longer exists")
    return found[item_id]


async def _component(info: Info, component_id: str) -> Component:
    return await _written(
        info,
        component_id,
        key="component",
        plan_of=Planner.component_plan,
        by_ids=components_by_ids,
    )


async def _delivery(info: Info, delivery_id: str) -> Delivery:
    return await _written(
        info, delivery_id, key="delivery", plan_of=Planner.delivery_plan, by_ids=deliveries_by_ids
    )


async def create_component(info: Info, input: CreateComponentInput) -> ComponentPayload:  # noqa: A002
    data = provided_fields(input)
    component_id = await component_service.create_component(
        db=info.context.db, component_type=input.type, data=data
    )
    return ComponentPayload(component=await _component(info, component_id))


async def update_component(info: Info, input: UpdateComponentInput) -> ComponentPayload:  # noqa: A002
    component_id = expect_global_id(input.id, COMPONENT_TYPE_NAMES, field="input.id")
    await component_service.update_component(
        db=info.context.db,
        component_id=component_id,
        version=input.version,
        changes=provided_fields(input),
    )
    return ComponentPayload(component=await _component(info, component_id))


async def delete_component(
    info: Info,
    id: strawberry.ID,  # noqa: A002 (GraphQL argument name)
    cascade: bool = False,
    version: int | None = None,
) -> DeleteComponentPayload:
    component_id = expect_global_id(id, COMPONENT_TYPE_NAMES)
    removed = await component_service.delete_component(
        db=info.context.db, component_id=component_id, cascade=cascade, version=version
    )
    return DeleteComponentPayload(
        deleted_id=id,
        deleted_delivery_ids=[strawberry.ID(to_global_id("Delivery", d)) for d in removed],
    )


async def create_delivery(info: Info, input: CreateDeliveryInput) -> DeliveryPayload:  # noqa: A002
    source_id = expect_global_id(input.source, COMPONENT_TYPE_NAMES, field="input.source")
    target_id = expect_global_id(input.target, COMPONENT_TYPE_NAMES, field="input.target")
    data = {**provided_fields(input), "kind": input.kind}
    delivery_id = await delivery_service.create_delivery(
        db=info.context.db, source_id=source_id, target_id=target_id, data=data
    )
    return DeliveryPayload(delivery=await _delivery(info, delivery_id))


async def update_delivery(info: Info, input: UpdateDeliveryInput) -> DeliveryPayload:  # noqa: A002
    delivery_id = expect_global_id(input.id, DELIVERY, field="input.id")
    await delivery_service.update_delivery(
        db=info.context.db,
        delivery_id=delivery_id,
        version=input.version,
        changes=provided_fields(input),
    )
    return DeliveryPayload(delivery=await _delivery(info, delivery_id))


async def delete_delivery(
    info: Info,
    id: strawberry.ID,  # noqa: A002 (GraphQL argument name)
    version: int | None = None,
) -> DeleteDeliveryPayload:
    delivery_id = expect_global_id(id, DELIVERY)
    await delivery_service.delete_delivery(
        db=info.context.db, delivery_id=delivery_id, version=version
    )
    return DeleteDeliveryPayload(deleted_id=id)
