"""`sfm-graphql verify`, and the reading half of restore: a file's rows, every check made.

Verifying reads the whole file once without a database: the header, each chunk's
authentication (encrypted files), the gzip stream, every section's checksum and count, the
manifest, and that every row is one a restore would accept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sfm_graphql.operations.backup.body import BodyReader, Row
from sfm_graphql.operations.backup.errors import CorruptBackup, KeyMissing
from sfm_graphql.operations.backup.frames import is_encrypted, read_body
from sfm_graphql.operations.backup.sections import BY_NAME, SECTIONS


def needs_key(path: Path) -> bool:
    with path.open("rb") as source:
        return is_encrypted(source)


@contextmanager
def open_rows(path: Path, key: bytes | None) -> Iterator[tuple[BodyReader, Iterator[Row]]]:
    """The reader (header and manifest once read) and its rows, for a `with` block."""

    def the_key() -> bytes:
        if key is None:
            raise KeyMissing(
                f"{path} is encrypted: configure the backup key (SFM_BACKUP_ENCRYPTION_KEY, or "
                "backup_encryption_key in the secrets backend)"
            )
        return key

    with path.open("rb") as source:
        reader = BodyReader(read_body(source, the_key))
        yield reader, reader.rows()


def verify(path: Path, key: bytes | None) -> dict[str, Any]:
    """Reads and checks the whole file; returns its manifest or raises a BackupError."""
    order = [s.name for s in SECTIONS]
    seen: list[str] = []
    with open_rows(path, key) as (reader, rows):
        for row in rows:
            section = BY_NAME.get(row.section)
            if section is None:
                raise CorruptBackup(f"unknown section {row.section!r}")
            if not seen or seen[-1] != row.section:
                seen.append(row.section)
            section.loaded(row.data)
        manifest = reader.manifest
    names = [s["name"] for s in manifest["sections"]]
    if names != order:
        raise CorruptBackup(f"the sections are {names}, not {order}")
    for entry in manifest["sections"]:
        section = BY_NAME[entry["name"]]
        counted = manifest.get("labels" if section.label else "relationshipTypes", {})
        if counted.get(section.label or section.rel_type, 0) != entry["count"]:
            raise CorruptBackup(f"section {entry['name']}: its count differs from the manifest's")
    return manifest
