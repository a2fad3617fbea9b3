"""The mixed load (issue 12, "Load"): locust users against `sfm-graphql serve`, on the bench
instance, at several user counts; prints per operation throughput, p50/p95/p99 and error rate.

1. Reset the bench database (bench/loading.py: only an empty or bench-marked one), start the
   service with its production defaults (workers = CPUs) on a free loopback port, load the
   synthetic graph (bench/graphgen.py) through `bulkImport`.
2. Mint one token per simulated user (`data_manager`, subject `load-<run>-u<N>`: the bulk share
   needs `bulkImport`) with the key ring the service verifies against, and write the fixture
   (tokens, component ids, delivery endpoints, policies, search words) for
   bench/load/locustfile.py.
3. For each user count run locust headless for its `--run-time` against 127.0.0.1 only (each
   user stops after `--max-requests-per-user`; locust is killed if it overruns), read its CSV
   statistics and the reasons of its failures, and read the analysis cache's hit and miss
   counters from `/metrics` before and after.

    make bench-load BENCH_LOAD_ARGS="--users 10,100 --run-time 90s"
    make bench-load BENCH_LOAD_ARGS="--users 10,100,200 --run-time 90s,10m,10m"
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import platform
import random
import re
import secrets
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from neo4j import AsyncGraphDatabase
from prometheus_client.parser import text_string_to_metric_families

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))  # the benchmark helpers are scripts of bench/, not a package

import loading  # noqa: E402
from graphgen import Graph, generate  # noqa: E402
from server import HOST, Service  # noqa: E402

from sfm_graphql.domain.enums import ComponentType  # noqa: E402
from sfm_graphql.graphql.core.ids import to_global_id  # noqa: E402
from sfm_graphql.settings import Settings  # noqa: E402

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
LOCUST = Path(sys.executable).with_name("locust")
ROLE = "data_manager"
SAMPLE = 2000  # components and delivery endpoints handed to the users
POLICIES = 5  # the policies reach and policyImpact start from: those with most deliveries out
STOP_TIMEOUT_S = 10  # locust's --stop-timeout: a user's request in flight may finish
DURATION = re.compile(r"(\d+)([hms])")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--neo4j-uri", default=env.get("SFM_NEO4J_URI") or env.get("NEO4J_URI"))
    p.add_argument("--neo4j-user", default=env.get("SFM_NEO4J_USER", "neo4j"))
    p.add_argument(
        "--password", default=env.get("SFM_NEO4J_PASSWORD") or env.get("NEO4J_PASSWORD", "")
    )
    p.add_argument("--redis-url", default=env.get("SFM_REDIS_URL", "redis://127.0.0.1:6381/0"))
    p.add_argument("--database", default="neo4j")
    p.add_argument("--components", type=int, default=10_000)
    p.add_argument("--deliveries", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--users", default="10,100", help="comma-separated simulated user counts")
    p.add_argument(
        "--run-time",
        default="90s",
        help="locust --run-time of every user count (90s, 10m, 1h30m), or one per user count",
    )
    p.add_argument("--max-requests-per-user", type=int, default=1000)
    p.add_argument("--spawn-rate", type=float, default=20.0, help="users started per second")
    p.add_argument("--think", default="1,3", help="think time between requests, min,max seconds")
    p.add_argument("--import-rows-per-call", type=int, default=5000)
    p.add_argument("--allow-shared-instance", action="store_true")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    if not args.neo4j_uri:
        p.error("no Neo4j: set SFM_NEO4J_URI (make bench-load does) or pass --neo4j-uri")
    times = [t.strip() for t in args.run_time.split(",") if t.strip()]
    users = _ints(args.users)
    if len(times) not in (1, len(users)):
        p.error("--run-time: one duration, or one per --users count")
    args.run_times = times * len(users) if len(times) == 1 else times
    for t in args.run_times:
        seconds(t)  # refuses what locust would not read
    return args


def seconds(duration: str) -> int:
    """Seconds of a locust duration: 90, 90s, 10m, 1h30m."""
    if duration.isdigit():
        return int(duration)
    parts = DURATION.findall(duration)
    if not parts or "".join(n + u for n, u in parts) != duration:
        raise SystemExit(f"not a duration: {duration!r} (e.g. 90s, 10m, 1h30m)")
    return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def service_env(args: argparse.Namespace) -> dict[str, str]:
    # Plain NEO4J_* win over SFM_NEO4J_* in Settings, so both name the bench instance.
    return {
        "SFM_NEO4J_URI": args.neo4j_uri,
        "NEO4J_URI": args.neo4j_uri,
        "SFM_NEO4J_USER": args.neo4j_user,
        "NEO4J_USER": args.neo4j_user,
        "SFM_NEO4J_PASSWORD": args.password,
        "NEO4J_PASSWORD": args.password,
        "SFM_NEO4J_DATABASE": args.database,
        "SFM_REDIS_URL": args.redis_url,
        # To read the analysis cache's counters before and after each user count.
        "SFM_METRICS_TOKEN": secrets.token_urlsafe(32),
    }


async def mint_tokens(env: dict[str, str], subjects: list[str]) -> list[str]:
    """Tokens of the built-in issuer, signed with the key ring the service loads."""
    from sfm_graphql.security.secrets import create_secrets_provider
    from sfm_graphql.security.signing import KeyRing

    os.environ.update(env)
    settings = Settings()
    provider = create_secrets_provider(settings)
    try:
        material = await provider.signing_material()
    finally:
        await provider.aclose()
    ring = KeyRing.from_material(
        material,
        issuer=settings.auth_issuer_url,
        max_token_ttl=dt.timedelta(seconds=settings.max_token_ttl_s),
    )
    return [
        ring.issue_token(s, [ROLE], ttl=dt.timedelta(hours=2), audience=settings.auth_audience)
        for s in subjects
    ]


def fixture(graph: Graph, stored: Graph, tokens: list[str], seed: int) -> dict[str, Any]:
    """`stored` is `graph` with the ids the service gave its components (deliveries still name
    the generated ones)."""
    rng = random.Random(seed)
    by_id = {g.id: c for g, c in zip(graph.components, stored.components, strict=True)}
    components = rng.sample(stored.components, min(SAMPLE, len(stored.components)))
    deliveries = rng.sample(graph.deliveries, min(SAMPLE, len(graph.deliveries)))
    words = sorted({w for c in graph.components for w in str(c.fields["label"]).split()[2:]})
    out_degree = Counter(d.source for d in graph.deliveries)
    policies = sorted(
        (c for c in graph.components if c.type is ComponentType.POLICY),
        key=lambda c: (-out_degree[c.id], c.id),
    )[:POLICIES]

    def gid(generated_id: str) -> str:
        component = by_id[generated_id]
        return to_global_id(component.type.label, component.id)

    return {
        "tokens": tokens,
        "components": [{"id": to_global_id(c.type.label, c.id)} for c in components],
        "delivery_pairs": [
            {"source": gid(d.source), "target": gid(d.target), "kind": d.fields["kind"]}
            for d in deliveries
        ],
        "policies": [gid(p.id) for p in policies],
        "search_words": words or ["actor"],
    }


def run_locust(
    base_url: str,
    fixture_path: Path,
    users: int,
    args: argparse.Namespace,
    out: Path,
    *,
    run_time: str,
) -> list[dict[str, Any]]:
    if not base_url.startswith(f"http://{HOST}:"):
        raise SystemExit(f"the load targets {HOST} only, not {base_url}")
    think_min, think_max = (float(x) for x in args.think.split(","))
    prefix = out / f"u{users}"
    command = [
        str(LOCUST),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        base_url,
        "--users",
        str(users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        run_time,
        "--stop-timeout",
        str(STOP_TIMEOUT_S),
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {
        **os.environ,
        "SFM_LOAD_FIXTURE": str(fixture_path),
        "SFM_LOAD_THINK_MIN_S": str(think_min),
        "SFM_LOAD_THINK_MAX_S": str(think_max),
        "SFM_LOAD_MAX_REQUESTS": str(args.max_requests_per_user),
    }
    # Spawning, the run, the users' last requests and the report; then it is killed.
    bound_s = users / args.spawn_rate + seconds(run_time) + STOP_TIMEOUT_S + 60
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, timeout=bound_s
    )
    stats = prefix.with_name(prefix.name + "_stats.csv")
    if not stats.exists():
        raise RuntimeError(f"locust wrote no statistics (status {done.returncode}): {done.stderr}")
    with stats.open(newline="") as handle:
        rows = [_row(users, r) for r in csv.DictReader(handle)]
    failures = prefix.with_name(prefix.name + "_failures.csv")
    if failures.exists():  # why requests failed: "HTTP 503 OVERLOADED" and the like, counted
        with failures.open(newline="") as handle:
            for f in csv.DictReader(handle):
                for row in rows:
                    if row["operation"] == f["Name"]:
                        row["failures"][f["Error"]] = int(f["Occurrences"])
    return rows


def _row(users: int, r: dict[str, str]) -> dict[str, Any]:
    count = int(r["Request Count"])
    failures = int(r["Failure Count"])
    return {
        "users": users,
        "operation": r["Name"],
        "requests": count,
        "req_per_s": round(float(r["Requests/s"]), 2),
        "p50_ms": _ms(r["50%"]),
        "p95_ms": _ms(r["95%"]),
        "p99_ms": _ms(r["99%"]),
        "error_rate": round(failures / count, 4) if count else 0.0,
        "failures": {},
    }


def _ms(value: str) -> float | None:
    return None if value in ("", "N/A") else float(value)


async def cache_counts(http: httpx.AsyncClient, token: str) -> dict[str, float]:
    """The analysis cache's lookups so far, summed over the workers: hits and misses."""
    response = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    counts = {"hits": 0.0, "misses": 0.0}
    names = {"sfm_cache_hits_total": "hits", "sfm_cache_misses_total": "misses"}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name in names and sample.labels.get("cache") == "analysis":
                counts[names[sample.name]] += sample.value
    return counts


def cache_row(users: int, before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    hits = int(after["hits"] - before["hits"])
    misses = int(after["misses"] - before["misses"])
    lookups = hits + misses
    rate = round(hits / lookups, 4) if lookups else None
    return {"users": users, "hits": hits, "misses": misses, "hit_rate": rate}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    loading.check_target(args.neo4j_uri, allow_shared=args.allow_shared_instance)
    run_id = loading.new_run_id()
    env = service_env(args)
    os.environ.update(env)
    levels = _ints(args.users)
    graph = generate(args.components, args.deliveries, args.seed)
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "graph": {"components": len(graph.components), "deliveries": len(graph.deliveries)},
        "run_time": dict(zip(levels, args.run_times, strict=True)),
        "max_requests_per_user": args.max_requests_per_user,
        "think_s": args.think,
    }
    driver = AsyncGraphDatabase.driver(
        args.neo4j_uri, auth=(args.neo4j_user, args.password), notifications_min_severity="OFF"
    )
    try:
        await loading.reset_database(driver, args.database)
        service = Service(env, start_timeout_s=300)  # workers import the app: slow on a busy box
        os.environ.update({"SFM_HOST": HOST, "SFM_PORT": service.env["SFM_PORT"]})
        env = {**env, "SFM_HOST": HOST, "SFM_PORT": service.env["SFM_PORT"]}
        [loader_token] = await mint_tokens(env, [f"load-{run_id}-loader"])
        async with (
            service,
            httpx.AsyncClient(
                base_url=service.base_url,
                headers={"Authorization": f"Bearer {loader_token}"},
                timeout=120.0,
            ) as http,
        ):
            print(f"service up at {service.base_url} (log: {service.log_path})")
            arguments = await loading.bulk_import_arguments(http)
            if arguments is None:
                raise SystemExit("the service has no bulkImport")
            seconds = await loading.load_through_service(
                http, graph, arguments, rows_per_call=args.import_rows_per_call
            )
            print(f"loaded {report['graph']} through bulkImport in {seconds:.1f}s")
            stored = await loading.stored_ids(driver, args.database, graph)
            subjects = [f"load-{run_id}-u{n}" for n in range(max(levels))]
            tokens = await mint_tokens(env, subjects)
            with tempfile.TemporaryDirectory(prefix="sfm-load-") as folder:
                out = Path(folder)
                fixture_path = out / "fixture.json"
                fixture_path.write_text(json.dumps(fixture(graph, stored, tokens, args.seed)))
                results, caches = [], []
                token = env["SFM_METRICS_TOKEN"]
                for users, run_time in zip(levels, args.run_times, strict=True):
                    print(f"locust: {users} users for {run_time}")
                    before = await cache_counts(http, token)
                    results += run_locust(
                        service.base_url, fixture_path, users, args, out, run_time=run_time
                    )
                    service.check_running()
                    caches.append(cache_row(users, before, await cache_counts(http, token)))
            report["results"] = results
            report["analysis_cache"] = caches
    finally:
        await driver.close()
    return report


def print_report(report: dict[str, Any]) -> None:
    print(
        f"\n{report['graph']['components']} components, {report['graph']['deliveries']} "
        f"deliveries; run time per user count {report['run_time']}, "
        f"think time {report['think_s']} s"
    )
    header = "| users | operation | requests | req/s | p50 ms | p95 ms | p99 ms | errors |"
    print(header)
    print("|---|---|---|---|---|---|---|---|")
    for r in report["results"]:
        print(
            f"| {r['users']} | {r['operation']} | {r['requests']} | {r['req_per_s']} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['error_rate']:.2%} |"
        )
    for r in report["results"]:
        for reason, count in sorted(r["failures"].items(), key=lambda item: -item[1]):
            print(f"  {r['users']} users, {r['operation']}: {count} x {reason}")
    print("\nanalysis cache (sfm_cache_hits_total / sfm_cache_misses_total, cache analysis):")
    for c in report["analysis_cache"]:
        rate = "-" if c["hit_rate"] is None else f"{c['hit_rate']:.1%}"
        print(f"  {c['users']} users: {c['hits']} hits, {c['misses']} misses, hit rate {rate}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = asyncio.run(run(args))
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
