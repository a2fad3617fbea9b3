"""`sfm-graphql backup`: stream every section out of one read transaction into one file.

The file is written under a `.partial` name and renamed only once the snapshot proved quiet
(db/snapshot.py) and the manifest is written, so a file under the final name is always whole.
Memory stays bounded: rows go from the driver's fetch batches through the compressor to disk.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from neo4j import AsyncDriver

import sfm_graphql
from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.snapshot import Snapshot
from sfm_graphql.operations.backup.body import BodyWriter
from sfm_graphql.operations.backup.errors import IncompatibleBackup, InconsistentSnapshot
from sfm_graphql.operations.backup.frames import FrameWriter
from sfm_graphql.operations.backup.sections import OWNED_LABELS, OWNED_TYPES, SECTIONS

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


async def write_backup(
    *,
    driver: AsyncDriver,
    registry: CypherRegistry,
    database: str,
    output: Path,
    key: bytes | None,
    attempts: int = 3,
    timeout_s: float = 3600.0,
    progress: Progress = log.info,
) -> dict[str, Any]:
    """Write a consistent backup to `output`; returns its manifest."""
    partial = output.with_name(output.name + ".partial")
    for attempt in range(1, attempts + 1):
        started = time.perf_counter()
        header = _header(database, encrypted=key is not None)
        snapshot = await Snapshot.open(driver, registry, database=database, timeout_s=timeout_s)
        try:
            with partial.open("wb") as sink:
                body = BodyWriter(FrameWriter(sink, key), header)
                counts = await _sections(snapshot, body, progress)
                quiet = await snapshot.commit()
                if quiet:
                    consistency = {
                        "method": "one read transaction, no commit between its start and its "
                        "end (equal bookmarks)",
                        "bookmark": snapshot.bookmark,
                        "attempt": attempt,
                    }
                    seconds = round(time.perf_counter() - started, 3)
                    manifest = body.finish(
                        {**header, **counts, "consistency": consistency, "seconds": seconds}
                    )
                    sink.flush()
                    os.fsync(sink.fileno())
        finally:
            await snapshot.close()
        if quiet:
            partial.replace(output)
            progress(f"backup written to {output} (attempt {attempt})")
            return manifest
        progress(f"attempt {attempt}: writes committed while the backup read; starting again")
    partial.unlink(missing_ok=True)
    raise InconsistentSnapshot(
        f"writes committed during each of {attempts} attempts; back up in a quieter moment, "
        "raise --attempts, or use Neo4j Enterprise online backup (docs/operations/)"
    )


def _header(database: str, *, encrypted: bool) -> dict[str, Any]:
    return {
        "backupId": str(uuid.uuid4()),
        "createdAt": dt.datetime.now(dt.UTC).isoformat(),
        "serviceVersion": sfm_graphql.__version__,
        "database": database,
        "encrypted": encrypted,
    }


async def _sections(snapshot: Snapshot, body: BodyWriter, progress: Progress) -> dict[str, Any]:
    """Streams every section; returns the manifest's counts, checked against the graph's."""
    labels = {r["label"]: r["count"] for r in await snapshot.rows("backup/label_counts")}
    types = {r["type"]: r["count"] for r in await snapshot.rows("backup/relationship_counts")}
    migrations: list[dict[str, Any]] = []
    for section in SECTIONS:
        body.begin(section.name)
        async for record in snapshot.stream(section.backup_query):
            data = record.data()
            body.row(section.saved(data))
            if section.name == "schema_migrations":
                props = data["props"]
                migrations.append({k: props.get(k) for k in ("version", "name", "checksum")})
        body.end()
        written = body.sections[-1].count
        expected = (
            labels.get(section.label, 0) if section.label else types.get(section.rel_type or "", 0)
        )
        if written != expected:
            # A node without its key, or a relationship between unexpected labels: refuse,
            # rather than write a backup that silently misses data.
            raise IncompatibleBackup(
                f"section {section.name}: {expected} in the graph but {written} saved; "
                "some lack the key the backup orders them by"
            )
        progress(f"{section.name}: {written} saved")
    return {
        "schemaVersion": max((int(m["version"]) for m in migrations), default=0),
        "migrations": migrations,
        "labels": labels,
        "relationshipTypes": types,
        "notSaved": {
            "labels": {k: v for k, v in labels.items() if k not in OWNED_LABELS},
            "relationshipTypes": {k: v for k, v in types.items() if k not in OWNED_TYPES},
        },
    }
