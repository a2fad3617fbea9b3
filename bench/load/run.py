"""The mixed load (issue 12, "Load"): locust users against `sfm-graphql serve`, on the bench
instance, at several user counts; prints per operation throughput, p50/p95/p99 and error rate.

1. Reset the bench database (bench/loading.py: only an empty or bench-marked one), start the
   service with its production defaults (workers = CPUs) on a free loopback port, load the
   synthetic graph (bench/graphgen.py) through `bulkImport`.
2. Mint one token per simulated user (`data_manager`, subject `load-<run>-u<N>`: the bulk share
   needs `bulkImport`) with the key ring the service verifies against, and write the fixture
   (tokens, component ids, delivery endpoints, search words) for bench/load/locustfile.py.
3. For each user count run locust headless for `--run-time` against 127.0.0.1 only, and read its
   CSV statistics.

    make bench-load BENCH_LOAD_ARGS="--users 10,100 --run-time 90s"
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
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from neo4j import AsyncGraphDatabase

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))  # the benchmark helpers are scripts of bench/, not a package

import loading  # noqa: E402
from graphgen import Graph, generate  # noqa: E402
from server import HOST, Service  # noqa: E402

from sfm_graphql.graphql.core.ids import to_global_id  # noqa: E402
from sfm_graphql.settings import Settings  # noqa: E402

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
LOCUST = Path(sys.executable).with_name("locust")
ROLE = "data_manager"
SAMPLE = 2000  # components and delivery endpoints handed to the users


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
    p.add_argument("--run-time", default="90s", help="locust --run-time of each user count")
    p.add_argument("--spawn-rate", type=float, default=20.0, help="users started per second")
    p.add_argument("--think", default="1,3", help="think time between requests, min,max seconds")
    p.add_argument("--import-rows-per-call", type=int, default=5000)
    p.add_argument("--allow-shared-instance", action="store_true")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    if not args.neo4j_uri:
        p.error("no Neo4j: set SFM_NEO4J_URI (make bench-load does) or pass --neo4j-uri")
    return args


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
        "search_words": words or ["actor"],
    }


def run_locust(
    base_url: str, fixture_path: Path, users: int, args: argparse.Namespace, out: Path
) -> list[dict[str, Any]]:
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
        args.run_time,
        "--stop-timeout",
        "10",
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
    }
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
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
        "run_time": args.run_time,
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
                results = []
                for users in levels:
                    print(f"locust: {users} users for {args.run_time}")
                    results += run_locust(service.base_url, fixture_path, users, args, out)
                    service.check_running()
            report["results"] = results
    finally:
        await driver.close()
    return report


def print_report(report: dict[str, Any]) -> None:
    print(
        f"\n{report['graph']['components']} components, {report['graph']['deliveries']} "
        f"deliveries; {report['run_time']} per user count, think time {report['think_s']} s"
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = asyncio.run(run(args))
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
