"""The `exportGraph` query."""

from __future__ import annotations

from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.types.enums import ExportFormat
from sfm_graphql.graphql.types.export import ExportResult
from sfm_graphql.services import export as service


async def export_graph(
    info: Info,
    format: ExportFormat,  # noqa: A002 (GraphQL argument name)
    scenario: str | None = None,
) -> ExportResult:
    document = await service.export_graph(
        db=info.context.db, settings=info.context.settings, export_format=format, scenario=scenario
    )
    return ExportResult.of(document)
