"""`purgePersonalData`: erase an individual actor's personal data; audited like every mutation."""

from __future__ import annotations

import strawberry

from sfm_graphql.errors import NotFound
from sfm_graphql.graphql.access.privacy_types import PurgePayload
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.ids import COMPONENT_TYPE_NAMES, expect_global_id
from sfm_graphql.graphql.graph.fetch import components_by_ids
from sfm_graphql.graphql.planner.selection import Planner
from sfm_graphql.services import privacy


async def purge_personal_data(info: Info, component_id: strawberry.ID) -> PurgePayload:
    uuid = expect_global_id(component_id, COMPONENT_TYPE_NAMES, field="componentId")
    before, _ = await privacy.purge_actor(db=info.context.db, component_id=uuid)
    planner = Planner(info)
    plan = planner.component_plan(planner.descend(planner.root_nodes, "component"))
    found = await components_by_ids(info.context.db, [uuid], plan)
    if uuid not in found:
        raise NotFound("The component no longer exists")
    return PurgePayload(
        component=found[uuid], purged_fields=list(privacy.PURGED_FIELDS), version_before=before
    )
