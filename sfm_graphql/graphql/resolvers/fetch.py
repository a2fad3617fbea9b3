"""Loading components and deliveries by id with a planned selection (one statement each)."""

from __future__ import annotations

from sfm_graphql.db import compose
from sfm_graphql.db.database import Database
from sfm_graphql.db.plan import ComponentPlan, DeliveryPlan
from sfm_graphql.graphql import hydrate
from sfm_graphql.graphql.types.components import Component
from sfm_graphql.graphql.types.deliveries import Delivery


async def components_by_ids(
    db: Database, ids: list[str], plan: ComponentPlan
) -> dict[str, Component]:
    if not ids:
        return {}
    q = compose.components_by_ids(plan, ids)
    rows = await db.run_composed(q.name, q.text, q.params)
    found = [hydrate.component(r["item"], plan) for r in rows]
    return {c.uuid: c for c in found}


async def deliveries_by_ids(
    db: Database, ids: list[str], plan: DeliveryPlan
) -> dict[str, Delivery]:
    if not ids:
        return {}
    q = compose.deliveries_by_ids(plan, ids)
    rows = await db.run_composed(q.name, q.text, q.params)
    found = [hydrate.delivery(r["item"], plan) for r in rows]
    return {d.uuid: d for d in found}
