"""`sfm-graphql backup-prune`: the retention of scheduled backups in one directory.

Only files named as `sfm-graphql backup` names them by default (sfm-graphql-<UTC stamp>.sfmbak)
are ever considered, and their age is the stamp in the name, not the file's mtime (a copy or a
restore of the volume changes mtimes, never names). Everything else in the directory, including
`.partial` files of a backup still being written, is left alone. The newest backup is never
deleted, whatever its age: retention must not leave the directory empty.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sfm_graphql.operations.backup.names import STAMP, SUFFIX

_NAME = re.compile(r"^sfm-graphql-(\d{8}T\d{6}Z)" + re.escape(SUFFIX) + "$")


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    taken_at: dt.datetime


def backups_in(directory: Path) -> list[Backup]:
    """The backup files of `directory`, newest first."""
    found = []
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if match is None or not path.is_file() or path.is_symlink():
            continue
        taken_at = dt.datetime.strptime(match[1], STAMP).replace(tzinfo=dt.UTC)
        found.append(Backup(path, taken_at))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def to_delete(
    backups: list[Backup], *, keep: int, max_age_days: int, now: dt.datetime
) -> list[Backup]:
    """Those beyond the `keep` newest or older than `max_age_days` (0: no age limit), never the
    newest one. `backups` is newest first."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    if max_age_days < 0:
        raise ValueError("max_age_days must not be negative")
    cutoff = now - dt.timedelta(days=max_age_days) if max_age_days else None
    return [
        backup
        for rank, backup in enumerate(backups)
        if rank > 0 and (rank >= keep or (cutoff is not None and backup.taken_at < cutoff))
    ]


def prune(directory: Path, *, keep: int, max_age_days: int, now: dt.datetime) -> list[Path]:
    """Deletes what `to_delete` selects; returns the deleted paths."""
    doomed = to_delete(backups_in(directory), keep=keep, max_age_days=max_age_days, now=now)
    for backup in doomed:
        backup.path.unlink(missing_ok=True)
    return [b.path for b in doomed]


def add_parser(sub: Any) -> None:
    command = sub.add_parser("backup-prune", help="delete old backups from a directory")
    command.add_argument("--dir", required=True, type=Path, help="the backup directory")
    command.add_argument("--keep", type=int, default=7, help="the newest N are kept (>= 1)")
    command.add_argument(
        "--max-age-days", type=int, default=0, help="older ones go too (0: no age limit)"
    )
    command.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    try:  # a missing directory is an OSError from iterdir
        deleted = prune(
            args.dir, keep=args.keep, max_age_days=args.max_age_days, now=dt.datetime.now(dt.UTC)
        )
    except (ValueError, OSError) as exc:
        print(f"sfm-graphql backup-prune: {exc}", file=sys.stderr)
        return 1
    for path in deleted:
        print(f"sfm-graphql backup-prune: deleted {path}", file=sys.stderr)
    print(f"{args.dir}: {len(deleted)} backup(s) deleted")
    return 0
