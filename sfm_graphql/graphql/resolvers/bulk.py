"""The `bulkImport` mutation: GraphQL inputs to rows, then the bulk import service."""

from __future__ import annotations

from typing import Any

from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.types.bulk import BulkComponentInput, BulkDeliveryInput, BulkImportPayload
from sfm_graphql.graphql.types.mutations import provided_fields
from sfm_graphql.services import bulk_import as service


def _component_row(row: BulkComponentInput) -> dict[str, Any]:
    return {"type": row.type, **provided_fields(row)}


async def bulk_import(
    info: Info,
    components: list[BulkComponentInput] = [],  # noqa: B006 (shown as the SDL default; never mutated)
    deliveries: list[BulkDeliveryInput] = [],  # noqa: B006
    dry_run: bool = False,
) -> BulkImportPayload:
    settings = info.context.settings
    # Refuse an oversized call before converting its rows.
    service.check_row_count(len(components) + len(deliveries), settings)
    result = await service.bulk_import(
        db=info.context.db,
        settings=settings,
        components=[_component_row(c) for c in components],
        deliveries=[provided_fields(d) for d in deliveries],
        dry_run=dry_run,
    )
    return BulkImportPayload.of(result)
