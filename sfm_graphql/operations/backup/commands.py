"""The `backup`, `restore` and `verify` subcommands of `sfm-graphql` (sfm_graphql/cli.py).

Exit status: 0 done, 1 refused or failed (the message says why and what to do), 2 bad usage.
Progress goes to stderr, the one-line result (verify: the manifest as JSON) to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from sfm_graphql.operations.backup.errors import BackupError, KeyMissing
from sfm_graphql.operations.backup.names import SUFFIX, default_name
from sfm_graphql.operations.backup.retention import add_parser as add_prune_parser
from sfm_graphql.settings import Settings, load_settings


def add_parsers(sub: Any) -> None:
    """Adds the subcommands (and backup-prune, retention.py) to the CLI's subparsers."""
    backup = sub.add_parser("backup", help="write a consistent online backup to one file")
    backup.add_argument(
        "-o", "--output", help=f"the file (default sfm-graphql-<UTC time>{SUFFIX} here)"
    )
    backup.add_argument("--encrypt", action="store_true", help="AES-256-GCM, backup key")
    backup.add_argument("--attempts", type=int, default=3, help="tries for a quiet snapshot")
    backup.add_argument("--timeout", type=float, default=3600.0, help="read transaction, s")
    backup.set_defaults(run=_backup)
    restore = sub.add_parser("restore", help="load a backup into an empty database")
    restore.add_argument("file")
    restore.add_argument("--force", action="store_true", help="delete what the target holds")
    restore.add_argument("--batch-size", type=int, default=1000)
    restore.set_defaults(run=_restore)
    verify = sub.add_parser("verify", help="check a backup file without loading it")
    verify.add_argument("file")
    verify.set_defaults(run=_verify)
    add_prune_parser(sub)  # backup-prune: the scheduled backup's retention


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fail(command: str, exc: BaseException) -> int:
    print(f"sfm-graphql {command}: {exc}", file=sys.stderr)
    return 1


async def _key(settings: Settings) -> bytes:
    from sfm_graphql.security.secret_provider import SecretsError
    from sfm_graphql.security.secrets import create_secrets_provider

    provider = create_secrets_provider(settings)
    try:
        return await provider.backup_key()
    except SecretsError as exc:
        raise KeyMissing(str(exc)) from None
    finally:
        await provider.aclose()


def _file_key(settings: Settings, path: Path) -> bytes | None:
    from sfm_graphql.operations.backup.reader import needs_key

    return asyncio.run(_key(settings)) if needs_key(path) else None


def _summary(manifest: dict[str, Any]) -> str:
    counts = {s["name"]: s["count"] for s in manifest["sections"]}
    return ", ".join(f"{n} {name}" for name, n in counts.items())


def _backup(args: argparse.Namespace) -> int:
    from sfm_graphql.db.cypher_registry import CypherRegistry
    from sfm_graphql.db.database import create_driver
    from sfm_graphql.operations.backup.writer import write_backup

    settings = load_settings()
    output = Path(args.output or default_name(dt.datetime.now(dt.UTC)))

    async def run() -> dict[str, Any]:
        key = await _key(settings) if args.encrypt else None
        driver = create_driver(settings)
        try:
            return await write_backup(
                driver=driver,
                registry=CypherRegistry.load(),
                database=settings.neo4j_database,
                output=output,
                key=key,
                attempts=args.attempts,
                timeout_s=args.timeout,
                progress=_progress,
            )
        finally:
            await driver.close()

    try:
        manifest = asyncio.run(run())
    except BackupError as exc:
        return _fail("backup", exc)
    print(f"{output}: backup {manifest['backupId']}: {_summary(manifest)}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from sfm_graphql.db.cypher_registry import CypherRegistry
    from sfm_graphql.db.database import Database, create_driver
    from sfm_graphql.operations.backup.restore import restore_backup

    settings = load_settings()
    path = Path(args.file)

    async def run(key: bytes | None) -> dict[str, Any]:
        driver = create_driver(settings)
        try:
            return await restore_backup(
                db=Database(driver, CypherRegistry.load(), settings),
                database=settings.neo4j_database,
                path=path,
                key=key,
                force=args.force,
                batch_size=args.batch_size,
                progress=_progress,
            )
        finally:
            await driver.close()

    try:
        manifest = asyncio.run(run(_file_key(settings, path)))
    except (BackupError, OSError) as exc:
        return _fail("restore", exc)
    print(f"{path}: restored backup {manifest['backupId']}: {_summary(manifest)}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from sfm_graphql.operations.backup.reader import verify

    settings = load_settings()
    path = Path(args.file)
    try:
        manifest = verify(path, _file_key(settings, path))
    except (BackupError, OSError) as exc:
        return _fail("verify", exc)
    print(json.dumps(manifest, indent=2, sort_keys=True))
    _progress(f"{path}: verified: {_summary(manifest)}")
    return 0
