"""`sfm-graphql restore`: load a verified backup into an empty database, in batches.

Order: verify the whole file (nothing is written from a file that fails any check); refuse a
target holding data unless `--force` (which deletes it first); apply the service's migrations;
leave a `:RestoreInProgress` marker naming the backup; MERGE every section by its key in
batches; compare the graph's counts with the manifest; remove the marker. A run that stops
half-way leaves the marker: running the same file again rewrites what was loaded and completes
it, any other file is refused until `--force`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sfm_graphql.db.database import Database
from sfm_graphql.db.migration_files import load_migrations
from sfm_graphql.db.migrations import migrate
from sfm_graphql.operations.backup.body import Row
from sfm_graphql.operations.backup.errors import CorruptBackup, IncompatibleBackup, TargetNotEmpty
from sfm_graphql.operations.backup.reader import open_rows, verify
from sfm_graphql.operations.backup.sections import BY_NAME, OWNED_LABELS, OWNED_TYPES

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
WIPE_BATCH = 5000


async def restore_backup(
    *,
    db: Database,
    database: str,
    path: Path,
    key: bytes | None,
    force: bool = False,
    batch_size: int = 1000,
    progress: Progress = log.info,
) -> dict[str, Any]:
    """Restore `path` into the database of `db`; returns the backup's manifest."""
    manifest = verify(path, key)
    progress(f"{path}: verified (backup {manifest['backupId']} of {manifest['createdAt']})")
    latest = max((m.version for m in load_migrations()), default=0)
    if manifest["schemaVersion"] > latest:
        raise IncompatibleBackup(
            f"the backup has schema version {manifest['schemaVersion']}, this service knows "
            f"{latest}: restore it with the version that wrote it ({manifest['serviceVersion']})"
        )
    backup_id = manifest["backupId"]
    state = (await db.read("restore/target_state"))[0]
    resuming = backup_id in state["markers"]
    if not resuming and not force:
        if state["markers"]:
            raise TargetNotEmpty(
                f"an interrupted restore of backup {state['markers'][0]} is in the database; "
                "run that file again to complete it, or pass --force to replace it"
            )
        if state["nodes"]:
            raise TargetNotEmpty(
                f"the database holds {state['nodes']} nodes; restore into an empty database, "
                "or pass --force to delete them first"
            )
    if force and not resuming:
        await _wipe(db, progress)
    await migrate(db.driver, database)
    await db.write("restore/mark_started", backupId=backup_id, file=path.name)
    if resuming:
        progress(f"completing the interrupted restore of backup {backup_id}")
    await _load(
        db=db, path=path, key=key, manifest=manifest, batch_size=batch_size, progress=progress
    )
    await _check_counts(db, manifest)
    await db.write("restore/mark_finished")
    progress(f"restore of backup {backup_id} complete")
    return manifest


async def _wipe(db: Database, progress: Progress) -> None:
    for query, what in (
        ("restore/wipe_relationships_batch", "relationships"),
        ("restore/wipe_batch", "nodes"),
    ):
        total = 0
        while deleted := (await db.write(query, batchSize=WIPE_BATCH))[0]["deleted"]:
            total += deleted
        progress(f"--force: deleted {total} {what}")


async def _load(
    *,
    db: Database,
    path: Path,
    key: bytes | None,
    manifest: dict[str, Any],
    batch_size: int,
    progress: Progress,
) -> None:
    totals = {s["name"]: s["count"] for s in manifest["sections"]}
    done_by_section: dict[str, int] = {}
    with open_rows(path, key) as (reader, rows):
        for name, batch in _batches(rows, batch_size):
            section = BY_NAME[name]
            loaded = [section.loaded(row.data) for row in batch]
            done = (await db.write(section.restore_query, rows=loaded))[0]["count"]
            if done != len(loaded):
                raise IncompatibleBackup(
                    f"section {name}: {len(loaded) - done} rows name a node that is not there"
                )
            done_by_section[name] = done_by_section.get(name, 0) + done
            progress(f"{name}: {done_by_section[name]}/{totals[name]}")
        if reader.manifest.get("backupId") != manifest["backupId"]:
            raise CorruptBackup(f"{path} changed while it was being restored")


def _batches(rows: Iterator[Row], size: int) -> Iterator[tuple[str, list[Row]]]:
    """Rows grouped by section, at most `size` at a time: what one transaction writes."""
    batch: list[Row] = []
    for row in rows:
        if batch and (len(batch) == size or batch[0].section != row.section):
            yield batch[0].section, batch
            batch = []
        batch.append(row)
    if batch:
        yield batch[0].section, batch


async def _check_counts(db: Database, manifest: dict[str, Any]) -> None:
    labels = {r["label"]: r["count"] for r in await db.read("backup/label_counts")}
    types = {r["type"]: r["count"] for r in await db.read("backup/relationship_counts")}
    # :SchemaMigration is left out: this service's newer migrations may be applied on top.
    for name in sorted(OWNED_LABELS - {"SchemaMigration"}):
        if labels.get(name, 0) != manifest["labels"].get(name, 0):
            raise IncompatibleBackup(
                f"after the restore {labels.get(name, 0)} :{name} nodes, the backup has "
                f"{manifest['labels'].get(name, 0)}; the marker stays: run the restore again"
            )
    for name in sorted(OWNED_TYPES):
        if types.get(name, 0) != manifest["relationshipTypes"].get(name, 0):
            raise IncompatibleBackup(
                f"after the restore {types.get(name, 0)} {name} relationships, the backup has "
                f"{manifest['relationshipTypes'].get(name, 0)}; run the restore again"
            )
