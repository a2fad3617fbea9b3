"""Load the demo model through the bulk import steps, the same path as `sfm-graphql import`.

`sfm-graphql seed-demo` calls `load_demo`. Components and deliveries go through the streaming
bulk import (services/bulk_stream.py: one transaction, progress per batch);
the file's matrices are handed, with everything else parsed from it, to the steps in
`AFTER_IMPORT`, which is where the matrices step plugs in.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.database import Database, create_driver
from sfm_graphql.db.migration_lock import LockTiming
from sfm_graphql.db.migrations import migrate
from sfm_graphql.operations.progress import Mode, Reporter
from sfm_graphql.services import matrices as matrix_service
from sfm_graphql.services.bulk_stream import BatchDone, import_rows, no_progress
from sfm_graphql.services.bulk_types import BulkImportResult, ImportSection, SectionCounts
from sfm_graphql.settings import Settings

DEMO_PATH = Path(__file__).resolve().parent / "llrw_compact.json"
NOT_EMPTY = "graph not empty; demo not loaded"
# The demo file names delivery endpoints `source`/`target`; the import calls them keys.
_ENDPOINT_NAMES = {"source": "sourceKey", "target": "targetKey"}


@dataclass(frozen=True, slots=True)
class DemoModel:
    """The demo file, parsed: rows ready for the bulk import, and the matrices left as data."""

    name: str
    components: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]
    matrices: list[dict[str, Any]]


class DemoLoadError(Exception):
    """The demo file does not import; the message lists the first problems."""


# A step that runs after the import, on the same database, and returns a summary line.
DemoStep = Callable[[Database, Settings, DemoModel], Awaitable[str]]


async def create_matrices(db: Database, settings: Settings, demo: DemoModel) -> str:
    """Create the demo's matrices (components looked up by externalKey); re-running skips them."""
    return await matrix_service.ensure_matrices(
        db=db, matrices=demo.matrices, max_components=settings.max_matrix_components
    )


# Steps run by `load_demo` after the components and deliveries are in.
AFTER_IMPORT: tuple[DemoStep, ...] = (create_matrices,)


def read_demo(path: Path = DEMO_PATH) -> DemoModel:
    raw = json.loads(path.read_text(encoding="utf-8"))
    deliveries = [
        {_ENDPOINT_NAMES.get(name, name): value for name, value in row.items()}
        for row in raw["deliveries"]
    ]
    return DemoModel(
        name=raw["name"],
        components=list(raw["components"]),
        deliveries=deliveries,
        matrices=list(raw.get("matrices", [])),
    )


async def import_demo(
    *, db: Database, settings: Settings, demo: DemoModel, batch_done: BatchDone = no_progress
) -> BulkImportResult:
    """Import the demo's components and deliveries; re-running changes nothing."""
    rows = [(ImportSection.COMPONENTS, row) for row in demo.components]
    rows += [(ImportSection.DELIVERIES, row) for row in demo.deliveries]
    result = await import_rows(
        db=db,
        settings=settings,
        rows=lambda: rows,
        dry_run=False,
        batch_done=batch_done,
    )
    if not result.committed:
        problems = "; ".join(
            f"{e.section.value.lower()} row {e.row} ({e.external_key}) {e.field}: {e.message}"
            for e in result.errors[:10]
        )
        raise DemoLoadError(f"the demo model has {result.error_count} problem(s): {problems}")
    return result


def _counts(what: str, counts: SectionCounts) -> str:
    return (
        f"{counts.created + counts.updated + counts.unchanged} {what} ({counts.created} created, "
        f"{counts.updated} updated, {counts.unchanged} unchanged)"
    )


async def load_demo(
    settings: Settings,
    *,
    only_if_empty: bool = False,
    steps: Sequence[DemoStep] = AFTER_IMPORT,
    reporter: Reporter | None = None,
) -> str:
    """Migrate, then load the demo model (unless `only_if_empty` and the graph has components),
    its progress on `reporter` (none by default).

    Returns a one-line summary for the CLI.
    """
    reporter = Reporter("seed-demo", mode=Mode.QUIET) if reporter is None else reporter
    demo = read_demo()
    driver = create_driver(settings)
    try:
        await migrate(driver, settings.neo4j_database, timing=LockTiming.of(settings))
        db = Database(driver, CypherRegistry.load(), settings)
        if only_if_empty and (await db.read("components/count"))[0]["count"] > 0:
            return NOT_EMPTY
        total = len(demo.components) + len(demo.deliveries)
        with reporter.step("importing the demo model", total, "rows") as progress:
            result = await import_demo(
                db=db, settings=settings, demo=demo, batch_done=progress.advance
            )
        lines = [
            f"demo {demo.name!r}: {_counts('components', result.components)}, "
            f"{_counts('deliveries', result.deliveries)}"
        ]
        lines += [await step(db, settings, demo) for step in steps]
    finally:
        await driver.close()
    return "\n".join(lines)
