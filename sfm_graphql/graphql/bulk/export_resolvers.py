"""The `exportGraph` query."""

from __future__ import annotations

from sfm_graphql.db.deadline import allow_long_request
from sfm_graphql.graphql.bulk.export_types import ExportResult
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.enums import ExportFormat
from sfm_graphql.security.personal_data import may_read_personal_data
from sfm_graphql.services import export as service


async def export_graph(
    info: Info,
    format: ExportFormat,  # noqa: A002 (GraphQL argument name)
    scenario: str | None = None,
) -> ExportResult:
    context = info.context
    allow_long_request(context.settings.bulk_request_timeout_s)
    document = await service.export_graph(
        db=context.db,
        settings=context.settings,
        export_format=format,
        scenario=scenario,
        mask_personal_data=not may_read_personal_data(context.principal, context.settings),
    )
    return ExportResult.of(document)
