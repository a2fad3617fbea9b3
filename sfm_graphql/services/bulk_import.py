"""Bulk import of components and deliveries, keyed by the caller's external keys.

One call is all or nothing. Every row is validated first, against the domain rules and against
what the graph already holds; if any row is wrong, the per-row errors are returned and nothing is
written. Otherwise the rows are written in batches (`UNWIND $rows`) inside one write transaction,
so a failure part-way rolls every batch back.

Re-running an import is idempotent: a row whose stored fields already equal the row is left
alone (no new version); a changed row replaces the stored fields (a field the row leaves out is
removed) and bumps `version`. Rows are mappings spelt like the GraphQL input (camelCase), which is
also how the JSON export and the demo file spell them.

The work runs in three steps: `validate_rows` (pure), a look-up of the keys in the graph (which
also compares stored and new properties, so they never travel back), and `resolve` (pure).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sfm_graphql.db.database import Database
from sfm_graphql.db.transaction import Transaction
from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.errors import Conflict, LimitExceeded
from sfm_graphql.services.bulk_plan import resolve, validate_rows
from sfm_graphql.services.bulk_types import (
    MAX_REPORTED_ERRORS,
    MAX_WRITTEN_IDS,
    BulkImportResult,
    ImportPlan,
    Row,
    StoredComponent,
    StoredDelivery,
    Validated,
)
from sfm_graphql.settings import Settings

# -- step 2 and the writes: the database -----------------------------------------------------------


def batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive slices of `size` items, each emptied when the next is asked for: the driver
    keeps every statement's parameters until its transaction ends, so without that an import's
    rows would all stay in memory until the commit."""
    for start in range(0, len(items), size):
        batch = items[start : start + size]
        yield batch
        batch.clear()


def _preferred(found: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Per key, the item found by externalKey beats one found by id (item[-2] is that flag)."""
    return {key: next((i for i in items if i[-2]), items[0]) for key, items in found.items()}


async def stored_components(
    tx: Transaction, validated: Validated, size: int
) -> dict[str, StoredComponent]:
    props = {check.key: check.props for check in validated.components}
    keys = dict.fromkeys([*validated.call_types, *validated.endpoint_keys])
    rows = [{"key": key, "props": props.get(key)} for key in keys]
    found: dict[str, list[Any]] = {}
    for batch in batches(rows, size):
        for item in (await tx.run("bulk/lookup_components", rows=batch))[0]["found"]:
            found.setdefault(item[0], []).append(item)
    return {
        key: StoredComponent(component_id, ComponentType.from_labels(labels), changed)
        for key, (_, component_id, labels, _, changed) in _preferred(found).items()
    }


async def stored_deliveries(
    tx: Transaction, validated: Validated, size: int
) -> dict[str, StoredDelivery]:
    rows = [{"key": check.key, "props": check.props} for check in validated.deliveries]
    found: dict[str, list[Any]] = {}
    for batch in batches(rows, size):
        for item in (await tx.run("bulk/lookup_deliveries", rows=batch))[0]["found"]:
            found.setdefault(item[0], []).append(item)
    return {
        key: StoredDelivery(delivery_id, source_id, target_id, bool(changed))
        for key, (_, delivery_id, source_id, target_id, _, changed) in _preferred(found).items()
    }


async def _write(tx: Transaction, name: str, rows: list[dict[str, Any]], size: int) -> None:
    for batch in batches(rows, size):
        result = await tx.run(name, rows=batch)
        if result[0]["written"] != len(batch):
            # Something vanished since the look-up; raising rolls back every batch.
            raise Conflict("The graph changed while the import ran; nothing was written. Retry.")


async def write_plan(tx: Transaction, plan: ImportPlan, batch_size: int) -> None:
    """Write a valid plan: components before the deliveries that need them."""
    await _write(tx, "bulk/create_components", plan.component_creates, batch_size)
    await _write(tx, "bulk/update_components", plan.component_updates, batch_size)
    await _write(tx, "bulk/create_deliveries", plan.delivery_creates, batch_size)
    await _write(tx, "bulk/update_deliveries", plan.delivery_updates, batch_size)


def check_row_count(count: int, settings: Settings) -> None:
    if count > settings.max_bulk_rows:
        raise LimitExceeded(
            f"An import takes at most {settings.max_bulk_rows} rows (components and deliveries "
            f"together), not {count}; split it into several calls",
            limit=settings.max_bulk_rows,
        )


async def bulk_import(
    *,
    db: Database,
    settings: Settings,
    components: Sequence[Row],
    deliveries: Sequence[Row],
    dry_run: bool,
) -> BulkImportResult:
    """Validate all rows; unless a row is wrong or `dry_run`, write them in one transaction."""
    check_row_count(len(components) + len(deliveries), settings)
    size = settings.bulk_batch_size
    validated = validate_rows(components, deliveries)

    async def work(tx: Transaction) -> tuple[ImportPlan, bool]:
        plan = resolve(
            validated,
            stored_components=await stored_components(tx, validated, size),
            stored_deliveries=await stored_deliveries(tx, validated, size),
        )
        commit = not plan.errors and not dry_run
        if commit:
            await write_plan(tx, plan, size)
        return plan, commit

    plan, commit = await db.write_transaction(work)
    written = _written_ids(plan) if commit else []
    return BulkImportResult(
        dry_run=dry_run,
        committed=commit,
        components=plan.components,
        deliveries=plan.deliveries,
        error_count=len(plan.errors),
        errors=plan.errors[:MAX_REPORTED_ERRORS],
        written_ids=tuple(written[:MAX_WRITTEN_IDS]),
        written_count=len(written),
    )


def _written_ids(plan: ImportPlan) -> list[str]:
    rows = (
        plan.component_creates,
        plan.component_updates,
        plan.delivery_creates,
        plan.delivery_updates,
    )
    return [str(row["id"]) for section in rows for row in section]
