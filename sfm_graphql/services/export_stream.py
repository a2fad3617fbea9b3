"""`sfm-graphql export`: the whole graph (or one scenario's deliveries) streamed page by page.

The records and the layout are `exportGraph`'s (services/export.py, services/export_writers.py),
so the two write the same JSON for the same graph and either imports again; unlike
`exportGraph` there is no size limit (`max_export_deliveries` bounds what one HTTP response
holds), because memory holds one page. Pages are read in id order after the last id of the
previous page (the uniqueness constraints' indexes serve that without a sort), each its own
short read. Between pages the graph may change, so the graph revision (db/revision.py) is read
before the first page and after the last: when it moved, the export is refused with CONFLICT and
the caller (the CLI) discards what it wrote. GraphML is not streamed: it needs the whole graph
in memory, so it stays with `exportGraph`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from sfm_graphql.db.database import Database
from sfm_graphql.db.revision import graph_revision
from sfm_graphql.domain.enums import ExportFormat
from sfm_graphql.errors import BadUserInput, Conflict
from sfm_graphql.services.export import check_scenario, component_record, delivery_record
from sfm_graphql.services.export_writers import CsvWriter, ExportWriter, JsonWriter

PageDone = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class ExportTotals:
    components: int
    deliveries: int


def _ignore(_: int) -> None:
    return None


def _writer(export_format: ExportFormat, out: TextIO) -> ExportWriter:
    if export_format is ExportFormat.JSON:
        return JsonWriter(out)
    if export_format is ExportFormat.CSV:
        return CsvWriter(out)
    raise BadUserInput(
        f"{export_format.value} cannot be streamed; use exportGraph(format: GRAPHML)",
        field="format",
    )


async def count_records(db: Database, scenario: str | None) -> ExportTotals:
    """How many components and deliveries an export of `scenario` (None: all) holds now."""
    scenario = check_scenario(scenario)
    components = (await db.read("components/count"))[0]["count"]
    deliveries = (await db.read("export/count_deliveries", scenario=scenario))[0]["count"]
    return ExportTotals(components=components, deliveries=deliveries)


async def export_to(
    *,
    db: Database,
    out: TextIO,
    export_format: ExportFormat,
    scenario: str | None,
    page_size: int,
    page_done: PageDone = _ignore,
) -> ExportTotals:
    """Write the export into `out`, one page of `page_size` records at a time."""
    scenario = check_scenario(scenario)
    writer = _writer(export_format, out)
    revision = await graph_revision(db)
    components = deliveries = 0
    after = ""
    while page := await db.read("export/components_page", after=after, limit=page_size):
        writer.components(component_record(row["labels"], row["props"]) for row in page)
        components += len(page)
        after = page[-1]["id"]
        page_done(len(page))
    after = ""
    while page := await db.read(
        "export/deliveries_page", scenario=scenario, after=after, limit=page_size
    ):
        writer.deliveries(
            delivery_record(row["props"], row["sourceKey"], row["targetKey"]) for row in page
        )
        deliveries += len(page)
        after = page[-1]["id"]
        page_done(len(page))
    writer.close()
    if await graph_revision(db) != revision:
        raise Conflict(
            "The graph changed while it was exported, so the pages may not fit together; "
            "export again (or stop the writers first)"
        )
    return ExportTotals(components=components, deliveries=deliveries)
