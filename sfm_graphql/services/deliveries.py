"""Create, update and delete deliveries, checking each kind against its endpoint types."""

from __future__ import annotations

import uuid
from typing import Any

from sfm_graphql.db.database import Database, Transaction
from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.domain.models import (
    DeliveryFields,
    from_properties,
    to_properties,
    validate_delivery,
)
from sfm_graphql.errors import BadUserInput, Conflict, NotFound


def check_kind(kind: DeliveryKind, source: ComponentType, target: ComponentType) -> None:
    """Refuse a kind between types its rule does not allow, naming what is allowed."""
    if kind.allows(source, target):
        return
    rule = kind.rule
    raise BadUserInput(
        f"A {kind.value} delivery cannot run from {source.value} to {target.value}; it runs from "
        f"{', '.join(sorted(t.value for t in rule.sources))} to "
        f"{', '.join(sorted(t.value for t in rule.targets))}",
        field="kind",
    )


async def _endpoint_types(
    tx: Transaction, source_id: str, target_id: str
) -> tuple[ComponentType, ComponentType]:
    rows = await tx.run("components/types_by_ids", ids=[source_id, target_id])
    types = {r["id"]: ComponentType.from_labels(r["labels"]) for r in rows}
    for field, wanted in (("source", source_id), ("target", target_id)):
        if wanted not in types:
            raise NotFound(f"No component has the {field} id", field=field)
    return types[source_id], types[target_id]


async def create_delivery(
    *, db: Database, source_id: str, target_id: str, data: dict[str, Any]
) -> str:
    model = validate_delivery({k: v for k, v in data.items() if v is not None})
    delivery_id = str(uuid.uuid4())
    async with db.write_transaction() as tx:
        source, target = await _endpoint_types(tx, source_id, target_id)
        check_kind(model.kind, source, target)
        await tx.run(
            "deliveries/create",
            id=delivery_id,
            sourceId=source_id,
            targetId=target_id,
            props=to_properties(model),
        )
    return delivery_id


async def update_delivery(
    *, db: Database, delivery_id: str, version: int, changes: dict[str, Any]
) -> None:
    async with db.write_transaction() as tx:
        rows = await tx.run("deliveries/get_for_update", id=delivery_id)
        if not rows:
            raise NotFound("No delivery has this id", id=delivery_id)
        stored = from_properties(rows[0]["props"])
        if stored["version"] != version:
            raise Conflict.stale_version("delivery", version, stored["version"])
        merged = {k: stored[k] for k in DeliveryFields.model_fields if stored.get(k) is not None}
        merged.update(changes)
        model = validate_delivery({k: v for k, v in merged.items() if v is not None})
        check_kind(
            model.kind,
            ComponentType.from_labels(rows[0]["sourceLabels"]),
            ComponentType.from_labels(rows[0]["targetLabels"]),
        )
        updated = await tx.run(
            "deliveries/update", id=delivery_id, version=version, props=to_properties(model)
        )
        if not updated:
            raise Conflict("The delivery changed while it was being updated; try again")


async def delete_delivery(*, db: Database, delivery_id: str, version: int | None) -> None:
    if await db.write("deliveries/delete", id=delivery_id, version=version):
        return
    state = await db.read("deliveries/state", id=delivery_id)
    if not state:
        raise NotFound("No delivery has this id", id=delivery_id)
    raise Conflict(
        f"The delivery is at version {state[0]['version']}, not {version}",
        currentVersion=state[0]["version"],
    )
