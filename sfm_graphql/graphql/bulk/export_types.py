"""The result of `exportGraph`."""

from __future__ import annotations

import strawberry

from sfm_graphql.graphql.core.enums import ExportFormat
from sfm_graphql.services.export import ExportDocument


@strawberry.type(description="An export of the graph as one document.")
class ExportResult:
    format: ExportFormat
    media_type: str = strawberry.field(description="The MIME type of `content`.")
    filename: str = strawberry.field(description="A file name to save `content` under.")
    content: str
    component_count: int
    delivery_count: int

    @classmethod
    def of(cls, document: ExportDocument) -> ExportResult:
        return cls(
            format=document.format,
            media_type=document.media_type,
            filename=document.filename,
            content=document.content,
            component_count=document.component_count,
            delivery_count=document.delivery_count,
        )
