"""The analytics at the seed's tiers, measured as users get them: through the running service.

Usage (the environment of an instance, e.g. `eval "$(tools/env.sh bench)"`):

    python bench/analytics.py --tiers 1k,10k,100k [--loader auto|service|driver] [--out FILE]

Per tier (1k/5k, 10k/50k, 100k/1M components/deliveries) it generates the synthetic SFM graph
(bench/graphgen.py), resets the bench database and loads the graph (bench/loading.py: through
`bulkImport` of a service started for the load, or straight into Neo4j with the driver, which
`--loader auto` does for the 100k tier), then starts a fresh `sfm-graphql serve` (one worker
process) and `sfm-graphql worker` on loopback and sends each operation over HTTP twice: cold
(no result cached for this graph revision; the cache of earlier runs is emptied first) and
cached (the identical request again).
An operation the synchronous query refuses (ANALYSIS_TOO_LARGE, TIMEOUT) is timed again as a
`startAnalysis` job run by the worker, and the table says so. Then it reads the peak resident
memory (VmHWM) of the API, the worker and Neo4j, and Neo4j's memory settings. On the 10k tier
it also compares the service's sampled betweenness with the exact one (bench/analytics_sampling.py).

Bounded: each request by the client timeout, each job by `--job-timeout`, the run by
`--max-minutes` (operations left are reported as not run). Loopback only; the processes it
starts end with it. It prints a Markdown table and writes JSON (`--out`, default
bench/results/analytics.json, merged by tier with what the file held).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as redis
from analytics_ops import (
    REFUSED,
    Client,
    Operation,
    Targets,
    cached_results,
    choose_targets,
    clear_cached_results,
    farthest,
    operations,
    summary,
)
from analytics_processes import Worker, peak_rss_mb, process_tree, wait_quiet
from analytics_report import NEO4J_MEMORY, markdown, merge, sampling_lines
from analytics_sampling import sampling_error
from graphgen import Graph, generate
from loading import (
    bulk_import_arguments,
    check_target,
    load_through_driver,
    load_through_service,
    new_run_id,
    reset_database,
)
from neo4j import AsyncDriver, AsyncGraphDatabase
from server import Service

from sfm_graphql.settings import Settings

TIERS = {"1k": (1_000, 5_000), "10k": (10_000, 50_000), "100k": (100_000, 1_000_000)}
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results" / "analytics.json"
# bulkImport loads ~650-1,800 rows/s on the 2-core machine: the 1.1M rows of the 100k tier
# would take 10-30 minutes that way, so `auto` loads that tier straight into Neo4j.
SERVICE_LOAD_MAX_ROWS = 100_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tiers", default="1k,10k,100k", help="comma-separated: 1k, 10k, 100k")
    p.add_argument(
        "--loader",
        choices=["auto", "service", "driver"],
        default="auto",
        help=f"auto: bulkImport up to {SERVICE_LOAD_MAX_ROWS:,} rows, the driver above",
    )
    p.add_argument("--import-rows-per-call", type=int, default=10_000)
    p.add_argument("--neo4j-instance", default="bench", help="whose pid file names Neo4j")
    p.add_argument("--job-timeout", type=float, default=900.0, help="seconds a job may take")
    p.add_argument(
        "--worker-analysis-timeout",
        type=float,
        default=900.0,
        help="SFM_ANALYSIS_TIMEOUT_S of the worker (the API keeps its default)",
    )
    p.add_argument(
        "--job-heartbeat",
        type=float,
        default=120.0,
        help="SFM_ANALYSIS_JOB_HEARTBEAT_S of API and worker (see docs/benchmarks.md)",
    )
    p.add_argument("--request-timeout", type=float, default=120.0, help="client side, seconds")
    p.add_argument("--max-minutes", type=float, default=60.0, help="bound of the whole run")
    p.add_argument("--loop-length", type=int, default=4, help="feedbackLoops maxLength")
    p.add_argument("--impact-radius", type=int, default=3, help="policyImpact radius")
    p.add_argument(
        "--jobs-for",
        default="",
        help="comma-separated operation names sent straight as startAnalysis jobs",
    )
    p.add_argument("--no-sampling-error", action="store_true", help="skip exact betweenness")
    p.add_argument(
        "--skip-load",
        action="store_true",
        help="the tier's graph is loaded already (its load figures come from --out)",
    )
    p.add_argument("--allow-shared-instance", action="store_true")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON, merged by tier")
    p.add_argument("--table", type=Path, help="also write the Markdown table here")
    args = p.parse_args(argv)
    unknown = [t for t in args.tiers.split(",") if t not in TIERS]
    if unknown:
        p.error(f"unknown tiers {unknown}; choose from {list(TIERS)}")
    return args


def service_env(settings: Settings, args: argparse.Namespace) -> dict[str, str]:
    # Plain NEO4J_* win over SFM_NEO4J_* in Settings, so both name the bench instance.
    password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else ""
    return {
        "SFM_NEO4J_URI": settings.neo4j_uri,
        "NEO4J_URI": settings.neo4j_uri,
        "SFM_NEO4J_USER": settings.neo4j_user,
        "NEO4J_USER": settings.neo4j_user,
        "SFM_NEO4J_PASSWORD": password,
        "NEO4J_PASSWORD": password,
        "SFM_NEO4J_DATABASE": settings.neo4j_database,
        "SFM_REDIS_URL": settings.redis_url,
        "SFM_WORKERS": "1",  # one API process: its memory is the API's memory
        # A library call that holds the GIL (Louvain at 100k: tens of seconds on this machine)
        # stops the worker's heartbeat; a longer one keeps the sweep from ending the job.
        "SFM_ANALYSIS_JOB_HEARTBEAT_S": f"{args.job_heartbeat:g}",
    }


def neo4j_pid(instance: str) -> int | None:
    pid_file = ROOT / ".local" / "neo4j" / instance / "run" / "neo4j.pid"
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


async def neo4j_memory(driver: AsyncDriver, database: str) -> dict[str, str]:
    records, _, _ = await driver.execute_query(
        "SHOW SETTINGS YIELD name, value WHERE name IN $names RETURN name, value",
        names=NEO4J_MEMORY,
        database_=database,
    )
    return {r["name"]: str(r["value"]) for r in records}


async def load(
    args: argparse.Namespace, env: dict[str, str], driver: AsyncDriver, db: str, graph: Graph
) -> dict[str, Any]:
    rows = len(graph.components) + len(graph.deliveries)
    driver_load = args.loader == "driver" or (
        args.loader == "auto" and rows > SERVICE_LOAD_MAX_ROWS
    )
    if driver_load:
        seconds = await load_through_driver(driver, db, graph)
        return {"path": "raw driver (set-up)", "seconds": round(seconds, 1), "rows": rows}
    async with Service(env) as service:
        token = service.mint_token(f"bench-load-{new_run_id()}")
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            base_url=service.base_url, headers=headers, timeout=600.0
        ) as http:
            arguments = await bulk_import_arguments(http)
            if arguments is None:
                raise SystemExit("the service has no bulkImport; use --loader driver")
            seconds = await load_through_service(
                http, graph, arguments, rows_per_call=args.import_rows_per_call
            )
    return {
        "path": f"bulkImport, {args.import_rows_per_call:,} rows per call",
        "seconds": round(seconds, 1),
        "rows": rows,
        "rows_per_s": round(rows / seconds, 1),
    }


async def analysis_graph_size(client: Client) -> dict[str, int] | None:
    """Nodes and edges of the whole analysis graph, from `graphStatistics` (a job if need be)."""
    op = Operation("graphStatistics", "{ graphStatistics { nodeCount edgeCount } }")
    stats = await client.sync(op)
    if stats.code in REFUSED:
        stats = await client.job(op)
    if not stats.data:
        return None
    found = stats.data["graphStatistics"]
    return {"nodes": found["nodeCount"], "edges": found["edgeCount"]}


async def kept_load(out: Path, tier: str, driver: AsyncDriver, db: str) -> dict[str, Any]:
    """`--skip-load`: the tier's graph is in the database already; its generation and load
    figures are those of the run that loaded it (from `out`)."""
    n_components, n_deliveries = TIERS[tier]
    records, _, _ = await driver.execute_query(
        "MATCH (c:Component) WITH count(c) AS c MATCH ()-[d:DELIVERS]->() RETURN c, count(d) AS d",
        database_=db,
    )
    found = (records[0]["c"], records[0]["d"])
    if found != (n_components, n_deliveries):
        raise SystemExit(f"--skip-load: the database holds {found}, tier {tier} is not loaded")
    earlier = next((r for r in merge(out, []) if r["tier"] == tier), None)
    if earlier is None:
        raise SystemExit(f"--skip-load: {out} has no load figures of tier {tier}")
    load = {**earlier["load"], "kept_from": earlier["date"]}
    return {"generate_s": earlier["generate_s"], "load": load}


async def measure(
    op: Operation, client: Client, cache: redis.Redis, api_pids: list[int]
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Cold, then cached; through a job when the synchronous query is refused."""
    stored_before = await cached_results(cache)
    entry: dict[str, Any] = {}
    cold = await (client.job(op) if op.job_only else client.sync(op))
    if cold.code in REFUSED and cold.path == "sync":
        entry["refused_sync"] = cold.as_json()
        # A refused computation finishes in its thread (docs/analytics.md): let it end first.
        entry["waited_for_api_s"] = await wait_quiet(api_pids, max_s=600)
        cold = await client.job(op)
    second = client.job if cold.path == "job" else client.sync
    stored = await cached_results(cache) > stored_before
    cached = await second(op)
    entry.update(
        cold=cold.as_json(),
        cached=cached.as_json(),
        cache_stored=stored,
        summary=summary(op.name, cold.data),
    )
    return entry, cold.data


async def run_tier(
    name: str, args: argparse.Namespace, settings: Settings, deadline: float
) -> dict[str, Any]:
    n_components, n_deliveries = TIERS[name]
    report: dict[str, Any] = {"tier": name, "components": n_components}
    report["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    report["deliveries"] = n_deliveries
    load_before = os.getloadavg()[0]
    env = service_env(settings, args)
    db = settings.neo4j_database
    password = env["SFM_NEO4J_PASSWORD"]
    driver = AsyncGraphDatabase.driver(
        settings.neo4j_uri, auth=(settings.neo4j_user, password), notifications_min_severity="OFF"
    )
    cache = redis.from_url(settings.redis_url)
    try:
        if args.skip_load:
            report.update(await kept_load(args.out, name, driver, db))
        else:
            started = time.perf_counter()
            graph = generate(n_components, n_deliveries, seed=1)
            report["generate_s"] = round(time.perf_counter() - started, 1)
            await reset_database(driver, db)
            report["load"] = await load(args, env, driver, db, graph)
        print(f"  {name}: loaded in {report['load']['seconds']} s ({report['load']['path']})")
        targets = await choose_targets(driver, db)
        report["neo4j_memory"] = await neo4j_memory(driver, db)
        report["cache_entries_cleared"] = await clear_cached_results(cache)
        worker_env = {**env, "SFM_ANALYSIS_TIMEOUT_S": f"{args.worker_analysis_timeout:g}"}
        report["settings"] = {
            "api": "analysis defaults (analysis_timeout_s 30, analysis_max_nodes 100000), "
            f"SFM_ANALYSIS_JOB_HEARTBEAT_S={args.job_heartbeat:g}",
            "worker": f"SFM_ANALYSIS_TIMEOUT_S={args.worker_analysis_timeout:g}, "
            f"SFM_ANALYSIS_JOB_HEARTBEAT_S={args.job_heartbeat:g}",
        }
        async with Service(env) as service, Worker(worker_env) as worker:
            token = service.mint_token(f"bench-analytics-{new_run_id()}")
            async with httpx.AsyncClient(
                base_url=service.base_url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=args.request_timeout,
            ) as http:
                client = Client(http, job_timeout_s=args.job_timeout)
                # The first request of a process pays for its imports and validation caches;
                # that is no analysis's cost. The analysis statements stay unplanned.
                await client.sync(Operation("warm-up", "{ __typename }"))
                report["operations"] = await run_operations(
                    args,
                    client=client,
                    cache=cache,
                    service=service,
                    worker=worker,
                    targets=targets,
                    deadline=deadline,
                    tier=name,
                )
                report["analysis_graph"] = await analysis_graph_size(client)
            api_pids = process_tree(service.pid)
            neo4j = neo4j_pid(args.neo4j_instance)
            report["peak_rss_mb"] = {
                "api": max((peak_rss_mb(p) or 0.0) for p in api_pids),
                "api_processes": len(api_pids),
                "worker": peak_rss_mb(worker.pid),
                "neo4j": peak_rss_mb(neo4j) if neo4j else None,
            }
        report["betweenness_exact_max_nodes"] = settings.analysis_betweenness_exact_max_nodes
        report["betweenness_pivots"] = settings.analysis_betweenness_pivots
        sample_here = name == "10k" and not args.no_sampling_error
        if sample_here and time.monotonic() < deadline:
            report["betweenness_sampling_error"] = await sampling_error(settings)
    finally:
        await cache.aclose()
        await driver.close()
    report["loadavg"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
    return report


async def run_operations(
    args: argparse.Namespace,
    *,
    client: Client,
    cache: redis.Redis,
    service: Service,
    worker: Worker,
    targets: Targets,
    deadline: float,
    tier: str,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    planned = operations(targets, loop_length=args.loop_length, impact_radius=args.impact_radius)
    for each in planned:
        name = each.name
        op = replace(each, job_only=name in args.jobs_for.split(","))
        if name == "shortestPath" and targets.far is not None:
            # To the farthest component the answer of `reach` listed.
            op = replace(op, variables={**op.variables, "to": targets.far})
        if time.monotonic() > deadline:
            results[name] = {"skipped": "run time bound reached"}
            continue
        service.check_running()
        worker.check_running()
        entry, data = await measure(op, client, cache, process_tree(service.pid))
        results[name] = entry
        if name == "reach":
            targets.far = farthest(data)
        print(
            f"  {tier} {op.name}: cold {entry['cold']['seconds']:.3f}s "
            f"cached {entry['cached']['seconds']:.3f}s via {entry['cold']['path']} "
            f"{entry['cold'].get('error', {}).get('code', '')} {entry['summary']}",
            flush=True,
        )
    return results


async def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings()
    check_target(settings.neo4j_uri, allow_shared=args.allow_shared_instance)
    deadline = time.monotonic() + args.max_minutes * 60
    reports = []
    for tier in args.tiers.split(","):
        print(f"tier {tier}", flush=True)
        reports.append(await run_tier(tier, args, settings, deadline))
    merged = merge(args.out, reports)
    document = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "tiers": merged,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    table = markdown(merged)
    print()
    print(table)
    for line in sampling_lines(merged):
        print(line)
    if args.table:
        args.table.write_text(table + "\n")
    failed = [
        f"{r['tier']} {n}"
        for r in reports
        for n, e in r["operations"].items()
        if "error" in e.get("cold", {})
    ]
    if failed:
        print(f"\nunanswered: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
