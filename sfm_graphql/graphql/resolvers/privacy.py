"""`purgePersonalData`: erase an individual actor's personal data; audited like every mutation."""

from __future__ import annotations

import strawberry

from sfm_graphql.errors import NotFound
from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.ids import expect_global_id
from sfm_graphql.graphql.resolvers.fetch import components_by_ids
from sfm_graphql.graphql.selection import Planner
from sfm_graphql.graphql.types.graph import COMPONENT_TYPE_NAMES
from sfm_graphql.graphql.types.privacy import PurgePayload
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
