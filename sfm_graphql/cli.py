"""`sfm-graphql`: serve, migrate, load the demo model, import and export the graph, export the SDL,
back up and restore."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from sfm_graphql.settings import Settings, load_settings

EXIT_UNSAFE_CONFIG = 3  # serve refused a configuration that is unsafe where it would listen


def is_loopback(host: str) -> bool:
    """Whether `host` binds to this machine only (`localhost`, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # another host name: it may resolve to any interface


def refuse_unsafe_bind(settings: Settings, host: str, *, allowed: bool) -> str | None:
    """Why serving on `host` is refused, or None. Outside production the service generates its
    secrets and serves GraphiQL and introspection: fine on loopback, not for a network."""
    if settings.is_production or allowed or settings.allow_non_production_on_network:
        return None
    if is_loopback(host):
        return None
    return (
        f"refusing to serve on {host}: SFM_ENVIRONMENT is {settings.environment!r} (generated "
        "secrets, GraphiQL, introspection), which is meant for loopback only. Set "
        "SFM_ENVIRONMENT=production with configured secrets, serve on 127.0.0.1, or pass "
        "--allow-non-production-on-network (SFM_ALLOW_NON_PRODUCTION_ON_NETWORK=true) if this "
        "network is yours alone"
    )


def _unsafe_secrets_dir(directory: Path) -> str | None:
    """Why the generated-secrets directory is refused, before uvicorn starts (the app checks it
    again when it reads a secret)."""
    from sfm_graphql.security.private_dir import UnsafeSecretsDirectory, check_private_dir

    try:
        check_private_dir(directory)
    except UnsafeSecretsDirectory as exc:
        return str(exc)
    return None


def _serve(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from sfm_graphql.http.server import default_workers, run_server
    from sfm_graphql.observability.logging import configure_logging
    from sfm_graphql.observability.multiprocess import multiprocess_metrics

    if args.forwarded_allow_ips is not None:
        # Through the environment, so every worker process the factory runs in reads it too.
        os.environ["SFM_TRUSTED_PROXIES"] = args.forwarded_allow_ips
    try:
        settings = load_settings()
    except ValidationError as exc:
        print(f"sfm-graphql serve: invalid settings: {exc}", file=sys.stderr)
        return 2
    refusal = refuse_unsafe_bind(
        settings, args.host or settings.host, allowed=args.allow_non_production_on_network
    )
    if refusal is None and not settings.is_production and settings.secrets_backend == "env":
        refusal = _unsafe_secrets_dir(settings.local_secrets_dir)
    if refusal is not None:
        print(f"sfm-graphql serve: {refusal}", file=sys.stderr)
        return EXIT_UNSAFE_CONFIG
    configure_logging(settings)  # JSON lines from uvicorn's first one on
    workers = args.workers or default_workers(settings)
    # Several workers share their metrics through PROMETHEUS_MULTIPROC_DIR (docs/observability.md).
    with multiprocess_metrics(workers=workers):
        run_server(
            settings,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=workers,
        )
    return 0


def _worker(_: argparse.Namespace) -> int:
    from sfm_graphql.observability.logging import configure_logging
    from sfm_graphql.worker import run_worker

    settings = load_settings()
    configure_logging(settings)
    asyncio.run(run_worker(settings))
    return 0


def _write_or_check(
    path: Path, current: str | None, wanted: str, *, check: bool, stale: str
) -> int:
    """Write `wanted` to `path`; with --check write nothing and fail, saying `stale`, when the
    file (`current`, None when missing) is not `wanted`."""
    if check:
        if current != wanted:
            print(f"{path} differs from {stale}", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(wanted, encoding="utf-8")
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from sfm_graphql.graphql.schema import export_sdl

    path = Path(args.path)
    current = path.read_text(encoding="utf-8") if path.exists() else None
    stale = "the schema in code; run `make schema`"
    return _write_or_check(path, current, export_sdl(), check=args.check, stale=stale)


def _export_doc_table(
    args: argparse.Namespace, command: str, with_table: Callable[[str], str], source: str
) -> int:
    """Rewrite (or --check) the generated table of the document at `args.path`."""
    from sfm_graphql.doc_sections import MissingDescription

    path = Path(args.path)
    current = path.read_text(encoding="utf-8")
    try:
        wanted = with_table(current)
    except (MissingDescription, ValueError) as exc:
        print(f"sfm-graphql {command}: {exc}", file=sys.stderr)
        return 1
    stale = f"{source}; run `make docs`"
    return _write_or_check(path, current, wanted, check=args.check, stale=stale)


def _export_config_docs(args: argparse.Namespace) -> int:
    """Rewrite (or --check) the settings table of docs/operations/configuration.md."""
    from sfm_graphql.settings_reference import with_table

    return _export_doc_table(args, "export-config-docs", with_table, "Settings")


def _export_error_codes(args: argparse.Namespace) -> int:
    """Rewrite (or --check) the error-code table of docs/api.md from ErrorCode."""
    from sfm_graphql.error_table import with_table

    return _export_doc_table(args, "export-error-codes", with_table, "ErrorCode")


def _audit_prune(args: argparse.Namespace) -> int:
    """Delete audit events older than `audit_retention_days`: the only way they are deleted."""
    from sfm_graphql.db.cypher_registry import CypherRegistry
    from sfm_graphql.db.database import Database, create_driver
    from sfm_graphql.services.access.audit import prune

    settings = load_settings()

    async def run() -> int:
        driver = create_driver(settings)
        try:
            db = Database(driver, CypherRegistry.load(), settings)
            deleted = await prune(
                db=db, retention_days=settings.audit_retention_days, batch_size=args.batch_size
            )
        finally:
            await driver.close()
        print(f"deleted {deleted} audit event(s) older than {settings.audit_retention_days} days")
        return 0

    return asyncio.run(run())


def _token(args: argparse.Namespace) -> int:
    """Print an access token signed with the local key ring (docs/security.md, Identity)."""
    from sfm_graphql.security.secret_provider import SecretsError
    from sfm_graphql.security.signing import cli_token, parse_ttl

    try:
        token = asyncio.run(
            cli_token(
                load_settings(),
                roles=args.role,
                ttl=parse_ttl(args.ttl),
                subject=args.subject,
                mfa=args.mfa,
            )
        )
    except (ValueError, SecretsError) as exc:
        print(f"sfm-graphql token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _register_operations(args: argparse.Namespace) -> int:
    """Add operations to the allow-list of persisted_queries_only mode (docs/security.md)."""
    from graphql import parse, validate
    from graphql.error import GraphQLError

    from sfm_graphql.db.cypher_registry import CypherRegistry
    from sfm_graphql.db.database import Database, create_driver
    from sfm_graphql.graphql.schema import build_schema
    from sfm_graphql.services.access.persisted import (
        OperationFileError,
        read_operation_files,
        register_operations,
    )

    settings = load_settings()
    try:
        operations = read_operation_files(Path(p) for p in args.files)
    except OperationFileError as exc:
        print(f"sfm-graphql register-operations: {exc}; nothing registered", file=sys.stderr)
        return 2
    schema = build_schema(settings)._schema
    for name, document in operations.items():
        try:
            errors = validate(schema, parse(document))
        except GraphQLError as exc:
            errors = [exc]
        if errors:
            print(
                f"sfm-graphql register-operations: {name} does not run against this schema: "
                f"{errors[0].message}; nothing registered",
                file=sys.stderr,
            )
            return 2

    async def run() -> int:
        driver = create_driver(settings)
        try:
            db = Database(driver, CypherRegistry.load(), settings)
            count = await register_operations(db, operations)
        finally:
            await driver.close()
        print(f"registered {count} operation(s)")
        return 0

    return asyncio.run(run())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sfm-graphql", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes (default: SFM_WORKERS, else the CPUs this process may use)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="ADDRESSES",
        help="proxies whose forwarded headers to believe: comma-separated addresses or CIDRs "
        "(sets SFM_TRUSTED_PROXIES; default: none)",
    )
    serve.add_argument(
        "--allow-non-production-on-network",
        action="store_true",
        help="serve a development or test environment on a non-loopback address anyway",
    )
    serve.set_defaults(run=_serve)
    worker = sub.add_parser("worker", help="run analysis jobs (startAnalysis) from Redis")
    worker.set_defaults(run=_worker)
    from sfm_graphql.operations.migrate_commands import add_parser as add_migrate_parser

    add_migrate_parser(sub)  # migrate [up|down|status] (docs/operations/upgrade.md)
    from sfm_graphql.operations.data_commands import add_parsers as add_data_parsers

    add_data_parsers(sub)  # seed-demo, import FILE, export FILE (docs/operations/data.md)
    export = sub.add_parser("export-schema", help="write (or --check) the GraphQL SDL")
    export.add_argument("path", nargs="?", default="schema/schema.graphql")
    export.add_argument("--check", action="store_true")
    export.set_defaults(run=_export_schema)
    codes = sub.add_parser(
        "export-error-codes", help="write (or --check) the error-code table of docs/api.md"
    )
    codes.add_argument("path", nargs="?", default="docs/api.md")
    codes.add_argument("--check", action="store_true")
    codes.set_defaults(run=_export_error_codes)
    config_docs = sub.add_parser(
        "export-config-docs",
        help="write (or --check) the settings table of docs/operations/configuration.md",
    )
    config_docs.add_argument("path", nargs="?", default="docs/operations/configuration.md")
    config_docs.add_argument("--check", action="store_true")
    config_docs.set_defaults(run=_export_config_docs)
    prune = sub.add_parser(
        "audit-prune", help="delete audit events older than SFM_AUDIT_RETENTION_DAYS"
    )
    prune.add_argument("--batch-size", type=int, default=5000)
    prune.set_defaults(run=_audit_prune)
    token = sub.add_parser("token", help="print an access token signed with the signing key")
    token.add_argument("--role", action="append", required=True, help="repeat for several")
    token.add_argument("--ttl", default="15m", help="lifetime such as 90s, 15m, 8h (default 15m)")
    token.add_argument("--subject", help="the token's sub (default cli:<user name>)")
    token.add_argument("--mfa", action="store_true", help="mark it multi-factor (amr: mfa)")
    token.set_defaults(run=_token)
    register = sub.add_parser(
        "register-operations",
        help="add operations (.graphql files, Apollo persisted-query manifests) to the allow-list",
    )
    register.add_argument("files", nargs="+", metavar="FILE")
    register.set_defaults(run=_register_operations)
    from sfm_graphql.operations.backup.commands import add_parsers as add_backup_parsers

    # backup, restore, verify, backup-prune (docs/operations/backup-restore.md)
    add_backup_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command not in ("serve", "worker"):  # they write JSON lines (observability/logging.py)
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
