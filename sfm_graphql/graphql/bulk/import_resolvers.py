"""The `bulkImport` and `bulkImportFile` mutations: inputs to rows, then the bulk import service."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from sfm_graphql.db.deadline import allow_long_request
from sfm_graphql.errors import BadUserInput
from sfm_graphql.graphql.bulk.import_types import (
    BulkComponentInput,
    BulkDeliveryInput,
    BulkFileFormat,
    BulkImportPayload,
)
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.graph.mutation_types import provided_fields
from sfm_graphql.services import bulk_files
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
    allow_long_request(settings.bulk_request_timeout_s)
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


async def bulk_import_file(
    info: Info,
    file: Upload,
    format: BulkFileFormat,  # noqa: A002 (GraphQL argument name)
    dry_run: bool = False,
) -> BulkImportPayload:
    settings = info.context.settings
    allow_long_request(settings.bulk_request_timeout_s)
    # The Upload scalar passes any variable value through: only a multipart file part is a file.
    upload: object = file
    if not isinstance(upload, UploadFile):
        raise BadUserInput("file must be a file part of a multipart request", field="file")
    limit = settings.max_upload_bytes
    content = await upload.read(limit + 1)  # one byte more tells an oversized file
    bulk_files.check_upload(
        size=len(content), content_type=upload.content_type, file_format=format, max_bytes=limit
    )
    rows = bulk_files.parse_file(content, format)
    service.check_row_count(len(rows.components) + len(rows.deliveries), settings)
    result = await service.bulk_import(
        db=info.context.db,
        settings=settings,
        components=rows.components,
        deliveries=rows.deliveries,
        dry_run=dry_run,
    )
    return BulkImportPayload.of(result)
