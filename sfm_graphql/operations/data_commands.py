"""`sfm-graphql seed-demo | import FILE | export FILE` (docs/operations/data.md).

Progress goes to stderr (operations/progress.py: a bar on a terminal, plain lines in logs,
nothing with `--quiet`); the result goes to stdout: a summary line, or with `export -` the
export itself, so stdout stays machine-readable. Exit status: 0 done, 1 refused or failed (the
lines on stderr say why, with a stable code, and what was written: normally nothing), 2 bad
usage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any, TextIO

from neo4j.exceptions import Neo4jError

from sfm_graphql.db.deadline import is_terminated, is_timeout
from sfm_graphql.errors import ErrorCode, ServiceUnavailable, SfmError, TimedOut
from sfm_graphql.operations.progress import Reporter
from sfm_graphql.services.bulk_types import BulkImportResult, RowError
from sfm_graphql.services.file_rows import BulkFileFormat
from sfm_graphql.settings import Settings, load_settings

EXIT_REFUSED = 1
EXIT_USAGE = 2
SHOWN_ROW_ERRORS = 20  # on stderr; the count says how many more there were
_SUFFIXES = {".json": "JSON", ".csv": "CSV"}


def add_parsers(sub: Any) -> None:
    """Adds `seed-demo`, `import` and `export` to the CLI's subparsers."""
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    seed = sub.add_parser("seed-demo", parents=[quiet], help="load the demo SFM model")
    seed.add_argument(
        "--if-empty", action="store_true", help="only when the graph has no components"
    )
    seed.set_defaults(run=_seed_demo)
    load = sub.add_parser(
        "import", parents=[quiet], help="import components and deliveries from an export file"
    )
    load.add_argument("file", help="a JSON or CSV file as `export` and exportGraph write them")
    load.add_argument("--format", choices=("JSON", "CSV"), help="default: from the file name")
    load.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    load.add_argument("--timeout", type=float, default=3600.0, help="write transaction, s")
    load.set_defaults(run=_import)
    dump = sub.add_parser("export", parents=[quiet], help="export the graph to a file or stdout")
    dump.add_argument("file", help="the file to write, or - for stdout")
    dump.add_argument("--format", choices=("JSON", "CSV"), help="default: from the file name")
    dump.add_argument("--scenario", help="only this scenario's deliveries (all components)")
    dump.add_argument("--page-size", type=int, default=2000, help="records per read (default 2000)")
    dump.set_defaults(run=_export)


def _reporter(command: str, args: argparse.Namespace) -> Reporter:
    """The command's progress; with --quiet also no INFO log lines (the migration lock's), so
    stderr carries warnings and errors only."""
    if args.quiet:
        logging.getLogger().setLevel(logging.WARNING)
    return Reporter.for_cli(command, quiet=args.quiet)


def _refuse(command: str, message: str, status: int = EXIT_REFUSED) -> int:
    print(f"sfm-graphql {command}: {message}", file=sys.stderr, flush=True)
    return status


def _error(command: str, exc: SfmError, after: str = "nothing was written") -> int:
    """The refusal as `CODE (field): message; after`: the code is ErrorCode's, stable."""
    field = exc.details.get("field")
    where = f" ({field})" if field else ""
    return _refuse(command, f"{exc.code.value}{where}: {exc.message}; {after}")


def _neo4j_error(
    command: str, exc: Neo4jError, timeout_s: float, after: str, elapsed_s: float = 0.0
) -> int:
    """A statement Neo4j refused, with the code that says why: the import's transaction outgrew
    Neo4j's transaction memory (LIMIT_EXCEEDED), ran past `timeout_s` (TIMEOUT: timed out, or
    terminated while waiting for a lock once `timeout_s` had passed), or another error of Neo4j's
    own code."""
    code = exc.code or ""
    if "OutOfMemory" in code or "MemoryLimit" in code:
        message = (
            f"{ErrorCode.LIMIT_EXCEEDED.value}: the work does not fit in Neo4j's transaction "
            f"memory ({exc.message}); {after}. Split the file "
            "(components first, then the deliveries) or give Neo4j more heap"
        )
    elif is_timeout(code) or (is_terminated(code) and elapsed_s >= timeout_s):
        message = (
            f"{ErrorCode.TIMEOUT.value}: Neo4j ended the transaction after {timeout_s:g} s; "
            f"{after}. Pass a longer --timeout"
        )
    else:
        message = f"{code or 'Neo4j error'}: {exc.message}; {after}"
    return _refuse(command, message)


def file_format(path: str, given: str | None) -> BulkFileFormat | None:
    """The format named, else the one the file name's suffix says; None when neither does."""
    name = given or _SUFFIXES.get(Path(path).suffix.lower())
    return None if name is None else BulkFileFormat(name)


@asynccontextmanager
async def _database(settings: Settings, *, migrated: bool) -> AsyncIterator[Any]:
    from sfm_graphql.db.cypher_registry import CypherRegistry
    from sfm_graphql.db.database import Database, create_driver
    from sfm_graphql.db.migration_lock import LockTiming
    from sfm_graphql.db.migrations import migrate

    driver = create_driver(settings)
    try:
        if migrated:  # as seed-demo does: an import into a new database just works
            await migrate(driver, settings.neo4j_database, timing=LockTiming.of(settings))
        yield Database(driver, CypherRegistry.load(), settings)
    finally:
        await driver.close()


# -- seed-demo -------------------------------------------------------------------------------------


def _seed_demo(args: argparse.Namespace) -> int:
    from sfm_graphql.demo.loader import DemoLoadError, load_demo

    reporter = _reporter("seed-demo", args)
    try:
        summary = asyncio.run(
            load_demo(load_settings(), only_if_empty=args.if_empty, reporter=reporter)
        )
    except DemoLoadError as exc:
        return _refuse("seed-demo", str(exc))
    print(summary)
    return 0


# -- import ----------------------------------------------------------------------------------------


def row_error_line(error: RowError) -> str:
    """`components[3] (key a) label: INVALID_VALUE: is required`."""
    key = "" if error.external_key is None else f" (key {error.external_key})"
    field = "" if error.field is None else f" {error.field}"
    return (
        f"{error.section.value.lower()}[{error.row}]{key}{field}: {error.code.value}: "
        f"{error.message}"
    )


def _row_errors(command: str, count: int, errors: list[RowError]) -> int:
    for error in errors[:SHOWN_ROW_ERRORS]:
        print(f"sfm-graphql {command}: {row_error_line(error)}", file=sys.stderr)
    if count > SHOWN_ROW_ERRORS:
        print(f"sfm-graphql {command}: ... and {count - SHOWN_ROW_ERRORS} more", file=sys.stderr)
    return _refuse(command, f"{count} row(s) refused; nothing was written")


def _bytes_read(source: IO[bytes], advance: Callable[[int], None]) -> Callable[[int], None]:
    """A batch callback that advances by the bytes read from `source` since the last batch."""
    last = [0]

    def done(_: int) -> None:
        position = source.tell()
        advance(position - last[0])
        last[0] = position

    return done


def _rewound(source: IO[bytes]) -> IO[bytes]:
    """The file from its start: an import retried after a transient error reads it again."""
    source.seek(0)
    return source


def _summary(result: BulkImportResult) -> str:
    def part(what: str, n: Any) -> str:
        return f"{n.created} created, {n.updated} updated, {n.unchanged} unchanged {what}"

    verb = "checked (dry run, nothing written)" if result.dry_run else "imported"
    return (
        f"{verb}: {part('components', result.components)}; {part('deliveries', result.deliveries)}"
    )


def _check(path: Path, chosen: BulkFileFormat, batch_size: int, reporter: Reporter) -> Any:
    """The first pass: every row on its own, no database (a RowCheck); an exit status if the
    file cannot be read or is not the export's shape."""
    from sfm_graphql.services.bulk_stream import check_rows
    from sfm_graphql.services.file_rows import rows_of

    try:
        with (
            path.open("rb") as source,
            reporter.step("checking", path.stat().st_size, "bytes") as step,
        ):
            return check_rows(
                rows_of(source, chosen),
                batch_size=batch_size,
                batch_done=_bytes_read(source, step.advance),
            )
    except OSError as exc:
        return _refuse("import", f"cannot read {path}: {exc.strerror}")
    except SfmError as exc:
        return _error("import", exc)


def _write(args: argparse.Namespace, chosen: BulkFileFormat, rows: int, reporter: Reporter) -> int:
    """The second pass: every batch in one transaction (services/bulk_stream.py)."""
    from sfm_graphql.services.bulk_stream import import_rows
    from sfm_graphql.services.file_rows import rows_of

    settings = load_settings()

    async def run(source: IO[bytes]) -> BulkImportResult:
        async with _database(settings, migrated=True) as db:
            with reporter.step("importing", rows, "rows") as step:
                return await import_rows(
                    db=db,
                    settings=settings,
                    rows=lambda: rows_of(_rewound(source), chosen),
                    dry_run=args.dry_run,
                    timeout_s=args.timeout,
                    batch_done=step.advance,
                    committing=lambda: reporter.note(f"committing {rows} rows"),
                )

    started = time.monotonic()
    try:
        with Path(args.file).open("rb") as source:
            result = asyncio.run(run(source))
    except (ServiceUnavailable, TimedOut) as exc:
        # The connection may have gone during the commit, which Neo4j may still have finished.
        return _error("import", exc, "it may or may not have committed: run it again (idempotent)")
    except Neo4jError as exc:  # raised inside the transaction, so it was rolled back
        elapsed = time.monotonic() - started
        return _neo4j_error("import", exc, args.timeout, "nothing was written", elapsed)
    except SfmError as exc:
        return _error("import", exc)
    except OSError as exc:
        return _refuse("import", f"cannot read {args.file}: {exc.strerror}")
    if result.error_count:
        return _row_errors("import", result.error_count, result.errors)
    print(_summary(result))
    return 0


def _import(args: argparse.Namespace) -> int:
    from sfm_graphql.services.bulk_stream import RowCheck

    chosen = file_format(args.file, args.format)
    if chosen is None:
        return _refuse(
            "import", f"cannot tell the format of {args.file}; pass --format", EXIT_USAGE
        )
    reporter = _reporter("import", args)
    check = _check(Path(args.file), chosen, load_settings().bulk_batch_size, reporter)
    if not isinstance(check, RowCheck):
        return int(check)
    if check.error_count:
        return _row_errors("import", check.error_count, check.errors)
    return _write(args, chosen, check.rows, reporter)


# -- export ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def _output(target: str) -> Iterator[TextIO]:
    """stdout for `-`; else a file beside the target, renamed onto it only when all went well."""
    if target == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(target)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            yield out
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _export(args: argparse.Namespace) -> int:
    from sfm_graphql.domain.enums import ExportFormat
    from sfm_graphql.services.export_stream import count_records, export_to

    chosen = file_format(args.file, args.format or ("JSON" if args.file == "-" else None))
    if chosen is None:
        return _refuse(
            "export", f"cannot tell the format of {args.file}; pass --format", EXIT_USAGE
        )
    if args.page_size < 1:
        return _refuse("export", "--page-size must be at least 1", EXIT_USAGE)
    settings = load_settings()
    reporter = _reporter("export", args)

    async def run() -> str:
        async with _database(settings, migrated=False) as db:
            totals = await count_records(db, args.scenario)
            with (
                _output(args.file) as out,
                reporter.step(
                    "exporting", totals.components + totals.deliveries, "records"
                ) as step,
            ):
                done = await export_to(
                    db=db,
                    out=out,
                    export_format=ExportFormat(chosen.value),
                    scenario=args.scenario,
                    page_size=args.page_size,
                    page_done=step.advance,
                )
        return f"exported {done.components} components and {done.deliveries} deliveries"

    try:
        summary = asyncio.run(run())
    except (SfmError, Neo4jError) as exc:
        after = "the output is incomplete" if args.file == "-" else f"{args.file} was not written"
        if isinstance(exc, Neo4jError):
            return _neo4j_error("export", exc, settings.neo4j_query_timeout_s, after)
        return _error("export", exc, after)
    except OSError as exc:
        return _refuse("export", f"cannot write {args.file}: {exc.strerror}")
    if args.file == "-":
        reporter.note(summary)  # on stderr: stdout is the export itself
    else:
        print(f"{args.file}: {summary}")
    return 0
