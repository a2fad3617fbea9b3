"""Create, update and delete components."""

from __future__ import annotations

import uuid
from typing import Any

from sfm_graphql.db.database import Database
from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.models import (
    FIELDS_BY_TYPE,
    from_properties,
    to_properties,
    validate_component,
)
from sfm_graphql.errors import Conflict, NotFound
from sfm_graphql.security.personal_data import restore_masked


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
    async with db.write_transaction() as tx:
        rows = await tx.run("components/get_for_update", id=component_id)
        if not rows:
            raise NotFound("No component has this id", id=component_id)
        stored = from_properties(rows[0]["props"])
        if stored["version"] != version:
            raise Conflict.stale_version("component", version, stored["version"])
        component_type = ComponentType.from_labels(rows[0]["labels"])
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
        updated = await tx.run(
            "components/update", id=component_id, version=version, props=to_properties(model)
        )
        if not updated:  # another writer won between our read and write
            raise Conflict("The component changed while it was being updated; try again")


async def delete_component(
    *, db: Database, component_id: str, cascade: bool, version: int | None
) -> list[str]:
    """Delete a component; returns the ids of the deliveries removed with it."""
    rows = await db.write("components/delete", id=component_id, cascade=cascade, version=version)
    if rows:
        return list(rows[0]["deliveryIds"])
    state = await db.read("components/state", id=component_id)
    if not state:
        raise NotFound("No component has this id", id=component_id)
    if version is not None and state[0]["version"] != version:
        raise Conflict(
            f"The component is at version {state[0]['version']}, not {version}",
            currentVersion=state[0]["version"],
        )
    raise Conflict(
        f"The component has {state[0]['degree']} deliveries; "
        "delete them first or pass cascade: true",
        deliveryCount=state[0]["degree"],
    )
