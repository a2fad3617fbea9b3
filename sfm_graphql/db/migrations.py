"""Versioned schema migrations: up, down and status, recorded as `:SchemaMigration` nodes.

The files are `cypher/migrations/NNNN_name.cypher` (up) and `NNNN_name.down.cypher` (down, or the
reason it cannot be undone), see migration_files.py. `up` applies the pending ones in version
order, `down` undoes applied ones newest first, and both run under the lease lock
(migration_lock.py), so two runs at once apply each migration once. Every statement is
idempotent (`IF NOT EXISTS` / `IF EXISTS`), so a run whose holder crashed half-way is completed
by the next one. Drift (an applied migration whose up file changed, or whose file is gone) is
reported by `status` and refused by `up` and `down`: history is not rewritten.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from neo4j import AsyncDriver

from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.migration_files import Migration, MigrationError, load_migrations
from sfm_graphql.db.migration_lock import LockTiming, migration_lock, run_query
from sfm_graphql.db.native import to_native

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Applied:
    """One `:SchemaMigration` record."""

    version: int
    name: str
    checksum: str
    applied_at: dt.datetime | None

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


@dataclass(frozen=True, slots=True)
class Status:
    files: list[Migration]
    applied: list[Applied]  # in version order
    pending: list[Migration] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)  # one sentence per drifted version


def compute_status(files: list[Migration], applied: list[Applied]) -> Status:
    """Compares the files with the records: what is pending, and what drifted."""
    by_version = {m.version: m for m in files}
    done = {a.version for a in applied}
    drift = []
    for record in applied:
        migration = by_version.get(record.version)
        if migration is None:
            drift.append(f"{record.label} is applied but its file is missing")
        elif migration.checksum != record.checksum:
            drift.append(f"{migration.label} changed after it was applied (checksum differs)")
    pending = [m for m in files if m.version not in done]
    return Status(files=files, applied=applied, pending=pending, drift=drift)


def _refuse_drift(status: Status) -> None:
    if status.drift:
        raise MigrationError(
            f"migration drift, nothing was run: {'; '.join(status.drift)} "
            "(see `sfm-graphql migrate status`)"
        )


def plan_up(status: Status, to: int | None = None) -> list[Migration]:
    """The migrations `up` applies, in order: the pending ones up to version `to`."""
    _refuse_drift(status)
    return [m for m in status.pending if to is None or m.version <= to]


def plan_down(status: Status, to: int | None = None) -> list[Migration]:
    """The migrations `down` undoes, newest first: the last applied one without `to`, else
    every applied one above `to`. Refuses (changing nothing) when one of them is irreversible."""
    if to is not None and to < 0:
        raise MigrationError(f"--to must be 0 or a version, not {to}")
    _refuse_drift(status)
    by_version = {m.version: m for m in status.files}
    versions = sorted((a.version for a in status.applied), reverse=True)
    chosen = versions[:1] if to is None else [v for v in versions if v > to]
    plan = [by_version[v] for v in chosen]
    for migration in plan:
        if migration.irreversible is not None:
            raise MigrationError(
                f"migration {migration.label} cannot be undone: {migration.irreversible}; "
                "nothing was changed"
            )
    return plan


async def read_applied(
    driver: AsyncDriver, database: str, registry: CypherRegistry | None = None
) -> list[Applied]:
    rows = await run_query(
        driver, database, registry or CypherRegistry.load(), "schema_migrations/applied"
    )
    return [
        Applied(
            version=row["version"],
            name=row["name"] or "",
            checksum=row["checksum"] or "",
            applied_at=to_native(row["appliedAt"]),
        )
        for row in rows
    ]


async def read_status(driver: AsyncDriver, database: str, directory: Path | None = None) -> Status:
    return compute_status(load_migrations(directory), await read_applied(driver, database))


async def pending_migrations(driver: AsyncDriver, database: str) -> list[Migration]:
    """Migrations not yet applied; raises if an applied one drifted."""
    status = await read_status(driver, database)
    _refuse_drift(status)
    return status.pending


async def migrate(
    driver: AsyncDriver,
    database: str,
    *,
    to: int | None = None,
    timing: LockTiming | None = None,
    directory: Path | None = None,  # default cypher/migrations; tests pass their own
) -> list[Migration]:
    """Applies every pending migration (up to version `to`) in order; returns those applied."""
    registry = CypherRegistry.load()
    async with migration_lock(driver, database, timing or LockTiming()) as lock:
        # Read under the lock: a run that waited finds the other run's work done.
        files = load_migrations(directory)
        plan = plan_up(compute_status(files, await read_applied(driver, database, registry)), to)
        for migration in plan:
            # Schema statements cannot share a transaction with data writes, so each runs alone.
            for statement in migration.up:
                await lock.ensure_held()
                await driver.execute_query(statement, database_=database)
            await lock.ensure_held()
            await run_query(
                driver,
                database,
                registry,
                "schema_migrations/record",
                version=migration.version,
                name=migration.name,
                checksum=migration.checksum,
            )
            log.info("applied migration %s", migration.label)
        if plan:
            await driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    return plan


async def migrate_down(
    driver: AsyncDriver,
    database: str,
    *,
    to: int | None = None,
    timing: LockTiming | None = None,
    directory: Path | None = None,  # default cypher/migrations; tests pass their own
) -> list[Migration]:
    """Undoes the last applied migration, or every one above version `to`, newest first;
    returns those undone. Refuses before changing anything if one of them is irreversible."""
    registry = CypherRegistry.load()
    async with migration_lock(driver, database, timing or LockTiming()) as lock:
        files = load_migrations(directory)
        plan = plan_down(compute_status(files, await read_applied(driver, database, registry)), to)
        for migration in plan:
            for statement in migration.down:
                await lock.ensure_held()
                await driver.execute_query(statement, database_=database)
            await lock.ensure_held()
            await run_query(
                driver, database, registry, "schema_migrations/forget", version=migration.version
            )
            log.info("undid migration %s", migration.label)
    return plan
