"""Inputs and payload of `bulkImport`."""

from __future__ import annotations

import strawberry

from sfm_graphql.graphql.core.enums import ComponentType, DeliveryKind
from sfm_graphql.graphql.graph.mutation_types import ComponentFieldsInput, DeliveryFieldsInput
from sfm_graphql.services import bulk_files as files
from sfm_graphql.services import bulk_types as service

# strawberry.enum registers each enum in place, under its GraphQL name; the names below are
# the service's classes, so mypy sees real types.
strawberry.enum(
    service.ImportSection,
    name="BulkImportSection",
    description="Which list of the import a row is in.",
)
strawberry.enum(
    service.ImportErrorCode,
    name="BulkImportErrorCode",
    description="Why an import row was refused.",
)
strawberry.enum(
    files.BulkFileFormat,
    name="BulkFileFormat",
    description="The format of a bulkImportFile upload: that of exportGraph's JSON or CSV.",
)
BulkImportSection = service.ImportSection
BulkImportErrorCode = service.ImportErrorCode
BulkFileFormat = files.BulkFileFormat


@strawberry.input(
    description="A component to create, or to update when one already has this externalKey. "
    "The row is the whole component: a field it leaves out is cleared on update."
)
class BulkComponentInput(ComponentFieldsInput):
    type: ComponentType
    label: str
    external_key: str = strawberry.field(description="The caller's stable key of this component.")


@strawberry.input(
    description="A delivery to create, or to update when one already has this externalKey. "
    "Endpoints are external keys of components in the same import or already in the graph."
)
class BulkDeliveryInput(DeliveryFieldsInput):
    external_key: str = strawberry.field(description="The caller's stable key of this delivery.")
    source_key: str
    target_key: str
    kind: DeliveryKind


@strawberry.type(description="One refused row of an import.")
class BulkImportError:
    section: BulkImportSection
    row: int = strawberry.field(description="0-based index of the row in its list.")
    external_key: str | None
    field: str | None = strawberry.field(description="The input field at fault, when there is one.")
    code: BulkImportErrorCode
    message: str

    @classmethod
    def of(cls, error: service.RowError) -> BulkImportError:
        return cls(
            section=error.section,
            row=error.row,
            external_key=error.external_key,
            field=error.field,
            code=error.code,
            message=error.message,
        )


@strawberry.type(
    description="What an import did. Counts cover the rows that passed validation; when "
    "`committed` is false they say what the import would have done."
)
class BulkImportPayload:
    dry_run: bool
    committed: bool = strawberry.field(description="True when the rows were written.")
    components_created: int
    components_updated: int
    components_unchanged: int
    deliveries_created: int
    deliveries_updated: int
    deliveries_unchanged: int
    error_count: int = strawberry.field(description="Every refused row problem, reported or not.")
    errors: list[BulkImportError] = strawberry.field(
        description=f"The first {service.MAX_REPORTED_ERRORS} problems, in row order."
    )
    # Read by the audit extension: what a committed import wrote (a bounded list, and a count).
    written_ids: strawberry.Private[list[str]]
    written_count: strawberry.Private[int]

    @classmethod
    def of(cls, result: service.BulkImportResult) -> BulkImportPayload:
        return cls(
            dry_run=result.dry_run,
            committed=result.committed,
            components_created=result.components.created,
            components_updated=result.components.updated,
            components_unchanged=result.components.unchanged,
            deliveries_created=result.deliveries.created,
            deliveries_updated=result.deliveries.updated,
            deliveries_unchanged=result.deliveries.unchanged,
            error_count=result.error_count,
            errors=[BulkImportError.of(e) for e in result.errors],
            written_ids=list(result.written_ids),
            written_count=result.written_count,
        )
