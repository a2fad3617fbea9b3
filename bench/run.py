"""Service benchmark: the GraphQL service over HTTP against the same Cypher on the raw driver.

One run: generate a synthetic SFM graph, reset the bench database and load the graph (through
the service's `bulkImport` when it exists), start the service as a subprocess on a free loopback
port, check in-process that a nested page is one Cypher statement identical to the one the
driver side runs, then time each workload at each concurrency, driver and service interleaved
(driver, service, service, driver) so drift on a noisy machine hits both sides alike. Prints a
table; `--json PATH` writes the same figures. See bench/README.md and docs/benchmarks.md.

Usage: make bench [BENCH_ARGS="--json bench.json"]    (targets the bench instance, port 7689)
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import datetime as dt
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import loadgen
import loading
import workloads
from graphgen import Graph, generate
from neo4j import AsyncDriver, AsyncGraphDatabase
from server import Service

from sfm_graphql.app import create_app
from sfm_graphql.settings import Settings

WARMUP_REQUESTS = 200
# Set while the in-process check serves its request (ASGITransport runs the app in our task).
checking: contextvars.ContextVar[bool] = contextvars.ContextVar("checking", default=False)
WARMUP_CONCURRENCY = 8


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--neo4j-uri", default=env.get("SFM_NEO4J_URI") or env.get("NEO4J_URI"))
    p.add_argument("--neo4j-user", default=env.get("SFM_NEO4J_USER", "neo4j"))
    p.add_argument(
        "--password",
        default=env.get("SFM_NEO4J_PASSWORD") or env.get("NEO4J_PASSWORD"),
        help="Neo4j password (default: $SFM_NEO4J_PASSWORD)",
    )
    p.add_argument("--redis-url", default=env.get("SFM_REDIS_URL", "redis://127.0.0.1:6381/0"))
    p.add_argument("--database", default="neo4j")
    p.add_argument("--components", type=int, default=10_000)
    p.add_argument("--deliveries", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--concurrency", default="1,32", help="comma-separated levels")
    p.add_argument("--read-requests", default="500,3000", help="per concurrency level")
    p.add_argument("--page-requests", default="300,1000", help="per concurrency level")
    p.add_argument("--max-seconds", type=float, default=60.0, help="bound of each timed half")
    p.add_argument("--loader", choices=["auto", "driver", "service"], default="auto")
    p.add_argument("--import-rows-per-call", type=int, default=10_000, help="bulkImport call size")
    p.add_argument("--allow-shared-instance", action="store_true")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    if not args.neo4j_uri or not args.password:
        p.error("give --neo4j-uri and --password, or run through make bench")
    return args


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def service_env(args: argparse.Namespace) -> dict[str, str]:
    # Plain NEO4J_* win over SFM_NEO4J_* in Settings, so both are set to the bench instance.
    return {
        "SFM_NEO4J_URI": args.neo4j_uri,
        "NEO4J_URI": args.neo4j_uri,
        "SFM_NEO4J_USER": args.neo4j_user,
        "NEO4J_USER": args.neo4j_user,
        "SFM_NEO4J_PASSWORD": args.password,
        "NEO4J_PASSWORD": args.password,
        "SFM_NEO4J_DATABASE": args.database,
        "SFM_REDIS_URL": args.redis_url,
    }


# -- the one-statement check, in process --------------------------------------------------------


async def in_process_checks(
    settings: Settings,
    headers: dict[str, str],
    node: workloads.Workload,
    page: workloads.Workload,
) -> dict[str, Any]:
    """Statements each operation runs in the service, and whether their text is the driver's."""
    app = create_app(settings)
    checks: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        db = app.state.services.db
        seen: list[tuple[str, str]] = []
        original = db.run_composed

        async def recording(
            name: str, text: str, params: dict[str, Any], access: Any = "read"
        ) -> Any:
            if checking.get():
                seen.append((name, text))
            return await original(name, text, params, access)

        db.run_composed = recording
        statements: list[str] = []

        def listener(name: str, seconds: float) -> None:
            # Only statements of the checked request: the app's background tasks (metrics
            # gauges and the like) run in contexts of their own, without the mark.
            if checking.get():
                statements.append(name)

        db.add_listener(listener)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as http:
            for label, workload in (("node", node), ("page", page)):
                statements.clear()
                seen.clear()
                mark = checking.set(True)
                try:
                    await workloads.via_service(http, workload)(0)
                finally:
                    checking.reset(mark)
                expected = workload.statements[0]
                checks[label] = {
                    "statements": len(statements),
                    "names": list(statements),
                    "same_cypher_as_driver": [t for _, t in seen] == [expected.text],
                }
        db.remove_listener(listener)
    # The app set up its own logging in this process; the client's per-request INFO lines would
    # flood the output and cost the load generator time.
    for name in ("httpx", "httpcore", "neo4j"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return checks


async def profile_statement(
    driver: AsyncDriver, database: str, statement: workloads.Statement
) -> dict[str, Any]:
    """Database hits and the widest operator of one statement, from Neo4j's PROFILE."""
    async with driver.session(database=database) as session:
        result = await session.run("PROFILE " + statement.text, statement.params)
        summary = await result.consume()
    hits, widest = 0, ("", 0)

    def walk(node: dict[str, Any]) -> None:
        nonlocal hits, widest
        hits += int(node.get("dbHits", 0))
        rows = int(node.get("rows", 0))
        if rows > widest[1]:
            widest = (str(node.get("operatorType", "")).split("@")[0], rows)
        for child in node.get("children", []):
            walk(child)

    walk(summary.profile or {})
    return {"db_hits": hits, "widest_operator": widest[0], "widest_rows": widest[1]}


# -- timing -------------------------------------------------------------------------------------


def _summary(sample: loadgen.Sample) -> dict[str, Any]:
    return {
        "requests": sample.count,
        "errors": sample.errors,
        "first_error": sample.first_error or None,
        "cut_short": sample.cut_short,
        "p50_ms": round(sample.p50_ms, 3),
        "p95_ms": round(sample.p95_ms, 3),
        "rps": round(sample.rps, 1),
    }


async def measure(
    workload: workloads.Workload,
    *,
    http: httpx.AsyncClient,
    driver: AsyncDriver,
    settings: Settings,
    concurrency: int,
    requests: int,
    max_seconds: float,
) -> dict[str, Any]:
    """Driver and service halves in ABBA order; the figures combine both halves of each side."""
    service_call = workloads.via_service(http, workload)
    driver_call = workloads.via_driver(
        driver, workload, database=settings.neo4j_database, timeout_s=settings.neo4j_query_timeout_s
    )
    half = max(requests // 2, 1)
    sides = {"driver": loadgen.Sample(), "service": loadgen.Sample()}
    for side in ("driver", "service", "service", "driver"):
        call = driver_call if side == "driver" else service_call
        sides[side].add(
            await loadgen.run(call, requests=half, concurrency=concurrency, max_seconds=max_seconds)
        )
    d, s = sides["driver"], sides["service"]
    return {
        "workload": workload.name,
        "concurrency": concurrency,
        "driver": _summary(d),
        "service": _summary(s),
        "ratio_service_over_driver": {
            "p50": round(s.p50_ms / d.p50_ms, 2),
            "p95": round(s.p95_ms / d.p95_ms, 2),
            "rps": round(s.rps / d.rps, 3),
        },
    }


async def warm_up(
    workload: workloads.Workload, http: httpx.AsyncClient, driver: AsyncDriver, settings: Settings
) -> None:
    n = min(WARMUP_REQUESTS, len(workload.requests))
    for call in (
        workloads.via_driver(
            driver,
            workload,
            database=settings.neo4j_database,
            timeout_s=settings.neo4j_query_timeout_s,
        ),
        workloads.via_service(http, workload),
    ):
        sample = await loadgen.run(call, requests=n, concurrency=WARMUP_CONCURRENCY, max_seconds=60)
        if sample.errors:
            raise RuntimeError(f"warm-up of {workload.name} failed: {sample.first_error}")


# -- the run ------------------------------------------------------------------------------------


async def load_graph(
    args: argparse.Namespace, graph: Graph, http: httpx.AsyncClient, driver: AsyncDriver
) -> dict[str, Any]:
    rows = len(graph.components) + len(graph.deliveries)
    arguments = await loading.bulk_import_arguments(http)
    if args.loader == "service" and arguments is None:
        raise SystemExit("--loader service: the service has no bulkImport mutation yet")
    if arguments is not None and args.loader != "driver":
        seconds = await loading.load_through_service(
            http, graph, arguments, rows_per_call=args.import_rows_per_call
        )
        return {
            "path": f"service bulkImport, {args.import_rows_per_call} rows per call",
            "rows": rows,
            "seconds": round(seconds, 2),
            "rows_per_s": round(rows / seconds, 1),
        }
    seconds = await loading.load_through_driver(driver, args.database, graph)
    why = "no bulkImport in the schema" if arguments is None else "--loader driver"
    # Set-up only: not a service figure, so no rows/s is reported for it.
    return {
        "path": f"raw driver UNWIND ({why})",
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": None,
    }


async def neo4j_version(driver: AsyncDriver) -> str:
    records, _, _ = await driver.execute_query(
        "CALL dbms.components() YIELD versions, edition RETURN versions[0] + ' ' + edition AS v"
    )
    return str(records[0]["v"])


async def run(args: argparse.Namespace) -> dict[str, Any]:
    loading.check_target(args.neo4j_uri, allow_shared=args.allow_shared_instance)
    run_id = loading.new_run_id()
    env = service_env(args)
    os.environ.update(env)
    settings = Settings()
    levels = _ints(args.concurrency)
    read_counts, page_counts = _ints(args.read_requests), _ints(args.page_requests)
    if not len(levels) == len(read_counts) == len(page_counts):
        raise SystemExit("--concurrency, --read-requests and --page-requests need as many values")

    t0 = time.perf_counter()
    graph = generate(args.components, args.deliveries, args.seed)
    print(
        f"generated {len(graph.components)} components, {len(graph.deliveries)} deliveries "
        f"in {time.perf_counter() - t0:.1f}s"
    )

    driver = AsyncGraphDatabase.driver(
        args.neo4j_uri,
        auth=(args.neo4j_user, args.password),
        max_connection_pool_size=settings.neo4j_pool_size,  # the service's pool size
        notifications_min_severity="OFF",
    )
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "graph": {
            "components": len(graph.components),
            "deliveries": len(graph.deliveries),
            "seed": args.seed,
            "by_type": graph.counts_by_type(),
        },
    }
    try:
        report["machine"]["neo4j"] = await neo4j_version(driver)
        await loading.reset_database(driver, args.database)
        print("bench database reset and migrated")
        limits = httpx.Limits(max_connections=max(levels), max_keepalive_connections=max(levels))
        service = Service(env)
        # Its own subject per run, so earlier runs' rate-limit spending does not count.
        token = service.mint_token(f"bench-{run_id}")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        report["auth"] = "bearer token from sfm-graphql token" if token else "none"
        os.environ.update(
            {"SFM_HOST": service.env["SFM_HOST"], "SFM_PORT": service.env["SFM_PORT"]}
        )
        settings = Settings()  # the in-process check verifies tokens as the server does
        async with (
            service,
            httpx.AsyncClient(
                base_url=service.base_url,
                headers=headers,
                limits=limits,
                timeout=60.0,
            ) as http,
        ):
            print(f"service up at {service.base_url} (log: {service.log_path})")
            report["load"] = await load_graph(args, graph, http, driver)
            print(f"loaded via {report['load']['path']} in {report['load']['seconds']}s")
            stored = await loading.stored_ids(driver, args.database, graph)
            node = workloads.node_read(stored, max([*read_counts, WARMUP_REQUESTS]), args.seed + 1)
            page = workloads.nested_page(
                stored, max([*page_counts, WARMUP_REQUESTS]), args.seed + 2, settings
            )
            report["checks"] = await in_process_checks(settings, headers, node, page)
            report["page_plan"] = await profile_statement(driver, args.database, page.statements[0])
            results = []
            for workload, counts in ((node, read_counts), (page, page_counts)):
                await warm_up(workload, http, driver, settings)
                service.check_running()
                for level, count in zip(levels, counts, strict=True):
                    result = await measure(
                        workload,
                        http=http,
                        driver=driver,
                        settings=settings,
                        concurrency=level,
                        requests=count,
                        max_seconds=args.max_seconds,
                    )
                    service.check_running()
                    print(f"  {workload.name} c={level}: done")
                    results.append(result)
            report["workloads"] = results
    finally:
        await driver.close()
    return report


def print_report(report: dict[str, Any]) -> None:
    load = report["load"]
    print()
    print(
        f"sfm-graphql benchmark {report['date']}  cores={report['machine']['cores']}  "
        f"neo4j={report['machine'].get('neo4j')}"
    )
    g = report["graph"]
    print(f"graph: {g['components']} components (11 types), {g['deliveries']} deliveries")
    if load["rows_per_s"] is not None:
        print(
            f"bulk import through the service: {load['rows']} rows in {load['seconds']} s "
            f"= {load['rows_per_s']:.0f} rows/s"
        )
    else:
        print(f"bulk import through the service: not measured ({load['path']})")
    for label, check in report["checks"].items():
        ok = check["statements"] == 1 and check["same_cypher_as_driver"]
        same = check["same_cypher_as_driver"]
        print(
            f"check {label}: {check['statements']} Cypher statement(s), same text as the "
            f"driver side: {same}  [{'OK' if ok else 'FAIL'}]"
        )
    plan = report["page_plan"]
    print(
        f"page statement (PROFILE): {plan['db_hits']} db hits; widest operator "
        f"{plan['widest_operator']} with {plan['widest_rows']} rows for a "
        f"{workloads.PAGE_SIZE}-item page"
    )
    print()
    header = f"{'workload':<36} {'conc':>4}  {'side':<8}{'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8}"  # noqa: E501
    print(header)
    print("-" * len(header))
    for r in report["workloads"]:
        for side in ("driver", "service"):
            s = r[side]
            name = r["workload"] if side == "driver" else ""
            conc = str(r["concurrency"]) if side == "driver" else ""
            flag = " (cut short)" if s["cut_short"] else ""
            errors = f" errors={s['errors']}" if s["errors"] else ""
            print(
                f"{name:<36} {conc:>4}  {side:<8}{s['requests']:>6} {s['p50_ms']:>8.2f} "
                f"{s['p95_ms']:>8.2f} {s['rps']:>8.1f}{flag}{errors}"
            )
        x = r["ratio_service_over_driver"]
        print(
            f"{'':<36} {'':>4}  {'svc/drv':<8}{'':>6} {x['p50']:>7.2f}x {x['p95']:>7.2f}x "
            f"{x['rps']:>7.3f}x"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = asyncio.run(run(args))
    except loading.RefusedToWipe as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    failed = [r for r in report["workloads"] if r["driver"]["errors"] or r["service"]["errors"]]
    checks_ok = all(
        c["statements"] == 1 and c["same_cypher_as_driver"] for c in report["checks"].values()
    )
    return 0 if checks_ok and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
