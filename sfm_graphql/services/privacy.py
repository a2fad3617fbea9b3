"""Erasure of an individual actor's personal data (GDPR art. 17), keeping the analysis intact."""

from __future__ import annotations

from sfm_graphql.db.database import Database
from sfm_graphql.db.transaction import Transaction
from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.errors import BadUserInput, Conflict, NotFound

# What `privacy/purge_actor` removes (label is replaced by "[purged]"). The node, its type,
# sector, externalKey and its deliveries stay: the matrix still needs the actor's position.
PURGED_FIELDS = ("label", "description", "metadata", "legalForm", "powerResources")


async def purge_actor(*, db: Database, component_id: str) -> tuple[int, int]:
    """Remove an Actor's personal fields; returns (version before, version after)."""

    async def work(tx: Transaction) -> tuple[int, int]:
        rows = await tx.run("privacy/actor_state", id=component_id)
        if not rows:
            raise NotFound("No component has this id", field="componentId")
        component_type = ComponentType.from_labels(rows[0]["labels"])
        if component_type is not ComponentType.ACTOR:
            raise BadUserInput(
                f"Only an ACTOR holds personal data; this component is a {component_type.value}",
                field="componentId",
            )
        before: int = rows[0]["version"]
        updated = await tx.run("privacy/purge_actor", id=component_id, version=before)
        if not updated:
            raise Conflict("The component changed while it was being purged; try again")
        after: int = updated[0]["version"]
        return before, after

    return await db.write_transaction(work)
