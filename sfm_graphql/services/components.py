"""Create, update and delete components."""

from __future__ import annotations

import uuid
from typing import Any

from sfm_graphql.db.database import Database
from sfm_graphql.db.transaction import Transaction
from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.models import (
    FIELDS_BY_TYPE,
    from_properties,
    to_properties,
    validate_component,
)
from sfm_graphql.errors import Conflict
from sfm_graphql.security.personal_data import restore_masked
from sfm_graphql.services.versioning import refuse_delete, update_versioned


async def create_component(
    *, db: Database, component_type: ComponentType, data: dict[str, Any]
) -> str:
    """Validate `data` for `component_type` and store it; returns the new id."""
    model = validate_component(component_type, {k: v for k, v in data.items() if v is not None})
    component_id = str(uuid.uuid4())
    await db.write(
        "components/create",
        id=component_id,
        typeLabel=component_type.label,
        props=to_properties(model),
    )
    return component_id


async def update_component(
    *, db: Database, component_id: str, version: int, changes: dict[str, Any]
) -> None:
    """Apply `changes` (None clears a field) if the component is still at `version`."""

    async def merge(row: dict[str, Any]) -> dict[str, Any]:
        stored = from_properties(row["props"])
        component_type = ComponentType.from_labels(row["labels"])
        fields = FIELDS_BY_TYPE[component_type].model_fields
        merged = {k: stored[k] for k in fields if stored.get(k) is not None}
        merged.update(changes)
        if changes.get("metadata") is not None:
            # A caller who reads personal fields masked sends back the placeholder: keep the
            # stored value instead of writing "[MASKED]" over it (security/personal_data.py).
            merged["metadata"] = restore_masked(changes["metadata"], stored.get("metadata"))
        model = validate_component(
            component_type, {k: v for k, v in merged.items() if v is not None}
        )
        return to_properties(model)

    async def work(tx: Transaction) -> None:
        await update_versioned(
            tx,
            what="component",
            item_id=component_id,
            version=version,
            read="components/get_for_update",
            write="components/update",
            merge=merge,
        )

    await db.write_transaction(work)


async def delete_component(
    *, db: Database, component_id: str, cascade: bool, version: int | None
) -> list[str]:
    """Delete a component; returns the ids of the deliveries removed with it."""
    rows = await db.write("components/delete", id=component_id, cascade=cascade, version=version)
    if not rows:
        await refuse_delete(
            db,
            what="component",
            state="components/state",
            item_id=component_id,
            version=version,
            otherwise=lambda state: Conflict(
                f"The component has {state['degree']} deliveries; "
                "delete them first or pass cascade: true",
                deliveryCount=state["degree"],
            ),
        )
    return list(rows[0]["deliveryIds"])
