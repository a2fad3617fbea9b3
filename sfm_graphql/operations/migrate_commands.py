"""`sfm-graphql migrate up | down | status` (docs/operations/upgrade.md).

`migrate` alone is `migrate up`: the Helm hook, the Makefile and the start-up path call it so.
`--dry-run` (on all three; on `status` it shows what `up` would run) prints the Cypher and runs
nothing, takes no lock. Exit status: 0 done, 1 refused or failed (drift, an irreversible step,
the lock not obtained, Neo4j unreachable; one line on stderr says why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from neo4j import AsyncDriver
from neo4j import exceptions as neo4j_errors

from sfm_graphql.db.migration_files import Migration, MigrationError
from sfm_graphql.settings import Settings, load_settings

if TYPE_CHECKING:
    from sfm_graphql.db.migrations import Status


def add_parser(sub: Any) -> None:
    """Adds `migrate` and its subcommands to the CLI's subparsers."""
    migrate = sub.add_parser(
        "migrate", help="apply (up), undo (down) or list (status) schema migrations"
    )
    migrate.set_defaults(run=_run, action="up", to=None, dry_run=False)
    actions = migrate.add_subparsers(dest="action", metavar="{up,down,status}")
    up = actions.add_parser("up", help="apply the pending migrations (the default)")
    up.add_argument("--to", type=int, metavar="N", help="apply only those up to version N")
    down = actions.add_parser("down", help="undo the last applied migration, or down to --to N")
    down.add_argument(
        "--to", type=int, metavar="N", help="undo every applied one above N, keep N (0: all)"
    )
    status = actions.add_parser("status", help="list applied, pending and drifted migrations")
    for parser, what in ((up, "up"), (down, "down"), (status, "up")):
        parser.add_argument(
            "--dry-run", action="store_true", help=f"print the Cypher `{what}` would run, run none"
        )


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        return asyncio.run(_with_driver(settings, lambda driver: _act(args, settings, driver)))
    except MigrationError as exc:
        return _fail(args.action, str(exc))
    except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
        return _fail(args.action, f"Neo4j at {settings.neo4j_uri}: {type(exc).__name__}: {exc}")


def _fail(action: str, message: str) -> int:
    print(f"sfm-graphql migrate {action}: {' '.join(message.split())}", file=sys.stderr)
    return 1


async def _with_driver(settings: Settings, body: Callable[[AsyncDriver], Awaitable[int]]) -> int:
    from sfm_graphql.db.database import create_driver

    driver = create_driver(settings)
    try:
        return await body(driver)
    finally:
        await driver.close()


async def _act(args: argparse.Namespace, settings: Settings, driver: AsyncDriver) -> int:
    from sfm_graphql.db import migrations
    from sfm_graphql.db.migration_lock import LockTiming

    database = settings.neo4j_database
    if args.dry_run:
        status = await migrations.read_status(driver, database)
        if args.action == "down":
            _print_plan("down", migrations.plan_down(status, args.to))
        else:
            _print_plan("up", migrations.plan_up(status, args.to))
        return 0
    if args.action == "status":
        return _print_status(await migrations.read_status(driver, database))
    timing = LockTiming.of(settings)
    if args.action == "down":
        undone = await migrations.migrate_down(driver, database, to=args.to, timing=timing)
        print(f"undid {len(undone)} migration(s){_labels(undone)}")
        return 0
    applied = await migrations.migrate(driver, database, to=args.to, timing=timing)
    print(f"applied {len(applied)} migration(s){_labels(applied)}")
    return 0


def _labels(plan: list[Migration]) -> str:
    return ": " + ", ".join(m.label for m in plan) if plan else ""


def _print_plan(direction: str, plan: list[Migration]) -> None:
    verb = "apply" if direction == "up" else "undo"
    print(f"// dry run: would {verb} {len(plan)} migration(s); nothing was run")
    for migration in plan:
        print(f"// {direction} {migration.label}")
        for statement in migration.up if direction == "up" else migration.down:
            print(f"{statement};")
        record = "record" if direction == "up" else "remove the :SchemaMigration record of"
        print(f"// then {record} version {migration.version}")


def _print_status(status: Status) -> int:
    applied = {a.version: a for a in status.applied}
    for migration in status.files:
        record = applied.get(migration.version)
        if record is None:
            print(f"pending  {migration.label}")
        else:
            when = record.applied_at.isoformat() if record.applied_at else "unknown time"
            print(f"applied  {migration.label}  {when}")
    for drift in status.drift:
        print(f"drift    {drift}")
    print(
        f"{len(status.applied)} applied, {len(status.pending)} pending, {len(status.drift)} drifted"
    )
    if status.drift:
        return _fail("status", f"migration drift: {'; '.join(status.drift)}")
    return 0
