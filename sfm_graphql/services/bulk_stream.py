"""A bulk import of a stream of rows of any length: `sfm-graphql import FILE` and `seed-demo`.

The rows go through the steps of the bulk import (services/bulk_import.py: `validate_rows`,
the look-ups, `resolve`, `write_plan`) one batch of `bulk_batch_size` rows at a time, so memory
holds one batch plus the keys seen so far (to find a key used twice across batches), however
long the stream.

What is guaranteed, and how:

- `check_rows` (pure, no database) checks every row on its own first; a file with any bad row
  is refused before anything touches the graph.
- `import_rows` then writes every batch inside ONE write transaction, as `bulkImport` does: a
  later batch sees the components an earlier one created (a delivery may name a component of
  an earlier batch or of the graph), and a problem found against the graph (a type that would
  change, an unknown endpoint, a delivery's endpoints that would move) or any failure part-way
  (a constraint, a timeout, Neo4j's transaction memory, the process killed) rolls every batch
  back. Nothing is ever half-written; re-running is idempotent, as for `bulkImport`.
- The price of one transaction: Neo4j holds the whole import's changes until the commit, so the
  largest file that imports at once is bounded by its transaction memory
  (`db.memory.transaction.total.max`) and the transaction timeout, not by this process.
- A transient error (a deadlock with a concurrent write) rolls the import back and runs it
  again from the first row (db/transaction.py), so `rows` is a function that gives the rows
  from the start each time; the progress callback then counts the rows again.

A delivery must come after the components it names, or name components already stored; the
export writes components first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sfm_graphql.db.database import Database
from sfm_graphql.db.transaction import Transaction
from sfm_graphql.services.bulk_import import stored_components, stored_deliveries, write_plan
from sfm_graphql.services.bulk_plan import resolve, validate_rows
from sfm_graphql.services.bulk_types import (
    MAX_REPORTED_ERRORS,
    BulkImportResult,
    ImportPlan,
    ImportSection,
    Row,
    RowCursor,
    RowError,
    SectionCounts,
)
from sfm_graphql.services.file_rows import SectionRow
from sfm_graphql.settings import Settings

# Called after each batch with the number of rows it held.
BatchDone = Callable[[int], None]


def no_progress(_: int) -> None:
    return None


@dataclass(slots=True)
class _Batch:
    components: list[Row] = field(default_factory=list)
    deliveries: list[Row] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.components) + len(self.deliveries)


def in_batches(rows: Iterable[SectionRow], size: int) -> Iterator[_Batch]:
    """Consecutive batches of `size` rows, each split by section, file order kept within."""
    batch = _Batch()
    for section, row in rows:
        if section is ImportSection.COMPONENTS:
            batch.components.append(row)
        else:
            batch.deliveries.append(row)
        if len(batch) >= size:
            yield batch
            batch = _Batch()
    if len(batch):
        yield batch


@dataclass(slots=True)
class RowCheck:
    """What `check_rows` found: rows per section and the first errors (all counted)."""

    components: int = 0
    deliveries: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.components + self.deliveries


def _keep(errors: list[RowError], new: list[RowError]) -> None:
    errors.extend(new[: MAX_REPORTED_ERRORS - len(errors)])


def check_rows(
    rows: Iterable[SectionRow], *, batch_size: int, batch_done: BatchDone = no_progress
) -> RowCheck:
    """Check every row on its own (fields, types, required and duplicate keys): no database."""
    out = RowCheck()
    cursor = RowCursor()
    for batch in in_batches(rows, batch_size):
        errors = validate_rows(batch.components, batch.deliveries, cursor).errors
        out.error_count += len(errors)
        _keep(out.errors, errors)
        batch_done(len(batch))
    out.components, out.deliveries = cursor.components, cursor.deliveries
    return out


class _RollBack(Exception):
    """Leaves the transaction without committing (dry run, or a row refused)."""


def _roll_back_if(condition: bool) -> None:
    if condition:
        raise _RollBack


@dataclass(slots=True)
class _Totals:
    components: SectionCounts = field(default_factory=SectionCounts)
    deliveries: SectionCounts = field(default_factory=SectionCounts)
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: int = 0

    def add(self, plan: ImportPlan) -> None:
        for total, part in ((self.components, plan.components), (self.deliveries, plan.deliveries)):
            total.created += part.created
            total.updated += part.updated
            total.unchanged += part.unchanged
        self.error_count += len(plan.errors)
        _keep(self.errors, plan.errors)
        sections = (
            plan.component_creates,
            plan.component_updates,
            plan.delivery_creates,
            plan.delivery_updates,
        )
        self.written += sum(len(rows) for rows in sections)


async def _write_batches(
    tx: Transaction, rows: Iterable[SectionRow], size: int, batch_done: BatchDone
) -> _Totals:
    totals = _Totals()
    cursor = RowCursor()
    for batch in in_batches(rows, size):
        validated = validate_rows(batch.components, batch.deliveries, cursor)
        plan = resolve(
            validated,
            stored_components=await stored_components(tx, validated, size),
            stored_deliveries=await stored_deliveries(tx, validated, size),
        )
        await write_plan(tx, plan, size)
        totals.add(plan)
        batch_done(len(batch))
    return totals


async def import_rows(
    *,
    db: Database,
    settings: Settings,
    rows: Callable[[], Iterable[SectionRow]],
    dry_run: bool,
    timeout_s: float | None = None,
    batch_done: BatchDone = no_progress,
    committing: Callable[[], None] = lambda: None,
) -> BulkImportResult:
    """Import the rows `rows()` gives (from the first, each time it is called) in one
    transaction, batch by batch; commit unless a row is refused or `dry_run`. A refused row's
    batch-mates are still written inside the transaction, so later batches are checked against
    the graph as it would be, and then everything is rolled back.
    `committing` is called before the commit, which takes a while for a large import."""
    totals = _Totals()
    committed = False

    async def work(tx: Transaction) -> None:
        nonlocal totals
        # From the first row again on each attempt (db/transaction.py runs it again after a
        # transient error): the totals of a rolled-back attempt are dropped.
        totals = await _write_batches(tx, rows(), settings.bulk_batch_size, batch_done)
        _roll_back_if(totals.error_count > 0 or dry_run)
        committing()

    try:
        await db.write_transaction(work, timeout_s)
        committed = True
    except _RollBack:
        pass
    return BulkImportResult(
        dry_run=dry_run,
        committed=committed,
        components=totals.components,
        deliveries=totals.deliveries,
        error_count=totals.error_count,
        errors=totals.errors,
        written_count=totals.written if committed else 0,
    )
