"""Create, update and delete deliveries, checking each kind against its endpoint types."""

from __future__ import annotations

import uuid
from typing import Any

from sfm_graphql.db.database import Database
from sfm_graphql.db.transaction import Transaction
from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.domain.models import (
    DeliveryFields,
    from_properties,
    to_properties,
    validate_delivery,
)
from sfm_graphql.errors import BadUserInput, NotFound
from sfm_graphql.services.versioning import refuse_delete, update_versioned


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

    async def work(tx: Transaction) -> None:
        source, target = await _endpoint_types(tx, source_id, target_id)
        check_kind(model.kind, source, target)
        await tx.run(
            "deliveries/create",
            id=delivery_id,
            sourceId=source_id,
            targetId=target_id,
            props=to_properties(model),
        )

    await db.write_transaction(work)
    return delivery_id


async def update_delivery(
    *, db: Database, delivery_id: str, version: int, changes: dict[str, Any]
) -> None:
    async def merge(row: dict[str, Any]) -> dict[str, Any]:
        stored = from_properties(row["props"])
        merged = {k: stored[k] for k in DeliveryFields.model_fields if stored.get(k) is not None}
        merged.update(changes)
        model = validate_delivery({k: v for k, v in merged.items() if v is not None})
        check_kind(
            model.kind,
            ComponentType.from_labels(row["sourceLabels"]),
            ComponentType.from_labels(row["targetLabels"]),
        )
        return to_properties(model)

    async def work(tx: Transaction) -> None:
        await update_versioned(
            tx,
            what="delivery",
            item_id=delivery_id,
            version=version,
            read="deliveries/get_for_update",
            write="deliveries/update",
            merge=merge,
        )

    await db.write_transaction(work)


async def delete_delivery(*, db: Database, delivery_id: str, version: int | None) -> None:
    if await db.write("deliveries/delete", id=delivery_id, version=version):
        return
    await refuse_delete(
        db, what="delivery", state="deliveries/state", item_id=delivery_id, version=version
    )
