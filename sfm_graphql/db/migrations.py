"""Versioned, idempotent schema migrations, recorded in the database as `:SchemaMigration` nodes.

A migration is a file `cypher/migrations/NNNN_name.cypher` of `;`-separated statements, each
idempotent (`IF NOT EXISTS`), so two replicas starting at once cannot break each other. An
applied migration whose file changed afterwards is refused: history is not rewritten.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from neo4j import AsyncDriver

from sfm_graphql.db.cypher_registry import default_cypher_dir

log = logging.getLogger(__name__)
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.cypher$")
_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    checksum: str


class MigrationError(Exception):
    pass


def load_migrations(directory: Path | None = None) -> list[Migration]:
    root = directory or default_cypher_dir() / "migrations"
    migrations = []
    for path in sorted(root.glob("*.cypher")):
        match = _FILE.match(path.name)
        if match is None:
            raise MigrationError(f"migration file name {path.name!r} is not NNNN_name.cypher")
        text = path.read_text(encoding="utf-8")
        statements = tuple(s.strip() for s in _COMMENT.sub("", text).split(";") if s.strip())
        migrations.append(
            Migration(
                version=int(match.group(1)),
                name=match.group(2),
                statements=statements,
                checksum=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return migrations


async def applied_versions(driver: AsyncDriver, database: str) -> dict[int, str]:
    records, _, _ = await driver.execute_query(
        "MATCH (m:SchemaMigration) RETURN m.version AS version, m.checksum AS checksum",
        database_=database,
    )
    return {r["version"]: r["checksum"] for r in records}


async def pending_migrations(driver: AsyncDriver, database: str) -> list[Migration]:
    """Migrations not yet applied; raises if an applied one no longer matches its file."""
    done = await applied_versions(driver, database)
    pending = []
    for migration in load_migrations():
        checksum = done.get(migration.version)
        if checksum is None:
            pending.append(migration)
        elif checksum != migration.checksum:
            raise MigrationError(
                f"migration {migration.version:04d}_{migration.name} changed after it was applied"
            )
    return pending


async def migrate(driver: AsyncDriver, database: str) -> list[Migration]:
    """Apply every pending migration in order; returns those applied."""
    applied = []
    for migration in await pending_migrations(driver, database):
        # Schema statements cannot share a transaction with data writes, so each runs alone.
        for statement in migration.statements:
            await driver.execute_query(statement, database_=database)
        await driver.execute_query(
            "MERGE (m:SchemaMigration {version: $version}) "
            "ON CREATE SET m.name = $name, m.checksum = $checksum, m.appliedAt = datetime()",
            version=migration.version,
            name=migration.name,
            checksum=migration.checksum,
            database_=database,
        )
        log.info("applied migration %04d_%s", migration.version, migration.name)
        applied.append(migration)
    if applied:
        await driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    return applied
