"""Loading components and deliveries by id with a planned selection (one statement each)."""

from __future__ import annotations

from sfm_graphql.db.database import Database
from sfm_graphql.db.plan import ComponentPlan, DeliveryPlan
from sfm_graphql.graphql.graph import hydrate
from sfm_graphql.graphql.graph.types import Component, Delivery
from sfm_graphql.services import reads


async def components_by_ids(
    db: Database, ids: list[str], plan: ComponentPlan
) -> dict[str, Component]:
    found = await reads.components_by_ids(db=db, plan=plan, ids=ids)
    components = [hydrate.component(item, found.shape) for item in found.items]
    return {c.uuid: c for c in components}


async def deliveries_by_ids(
    db: Database, ids: list[str], plan: DeliveryPlan
) -> dict[str, Delivery]:
    found = await reads.deliveries_by_ids(db=db, plan=plan, ids=ids)
    deliveries = [hydrate.delivery(item, found.shape) for item in found.items]
    return {d.uuid: d for d in deliveries}
