"""sfm-graphql side by side with the Neo4j GraphQL Library, in one run (`make bench-peer`).

One run: generate the seeded graph (graphgen.py), load it into the service's Neo4j and, in the
peer's own layout, into the peer's Neo4j (peer_graph.py); start the peer (bench/peer/, one
Node.js process, JWT required), sfm-graphql with one uvicorn worker and with the production
worker count (production settings: auth, limits, metrics, tracing; peer_services.py); then, for
each of the three reads (peer_reads.py) at each concurrency, run `hey` for a fixed time against
each side in turn (peer, sfm 1 worker, sfm production workers), and the raw async driver on the
statement the service composes. Before each cell one response must carry `data` and no
`errors`. CPU per request comes from /proc (the side's processes, and Neo4j's).

Prints the table (peer_report.py) and writes the JSON under bench/results/. See bench/README.md
and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import loading
import peer_graph
import peer_hey
import peer_reads
import peer_report
import peer_services as svc
from graphgen import generate
from joserfc import jwt
from joserfc.jwk import OctKey
from neo4j import AsyncDriver, AsyncGraphDatabase
from observability_overhead import OtlpSink

from sfm_graphql.security.signing import cli_token
from sfm_graphql.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
WARMUP_CONCURRENCY = 8
CHECK_TIMEOUT_S = 180.0
IDLE_CPU_S = 0.1  # CPU seconds in half a second (a fifth of a core): idle enough


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--neo4j-uri", default=env.get("SFM_NEO4J_URI"))
    p.add_argument("--password", default=env.get("SFM_NEO4J_PASSWORD"))
    p.add_argument("--redis-url", default=env.get("SFM_REDIS_URL", "redis://127.0.0.1:6381/0"))
    p.add_argument("--peer-neo4j-uri", default=env.get("PEER_NEO4J_URI"))
    p.add_argument("--peer-password", default=env.get("PEER_NEO4J_PASSWORD"))
    p.add_argument("--sfm-instance", default="bench", help="tools/neo4j instance (for its pid)")
    p.add_argument("--peer-instance", default="peer", help="tools/neo4j instance of the peer")
    p.add_argument("--components", type=int, default=10_000)
    p.add_argument("--deliveries", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--concurrency", default="1,32,100", help="comma-separated levels")
    p.add_argument("--seconds", type=float, default=6.0, help="length of each cell")
    p.add_argument("--warmup-seconds", type=float, default=3.0, help="per side and read")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="production count")
    p.add_argument("--reads", default=",".join(peer_reads.READS), help="which reads")
    p.add_argument("--driver-levels", default=None, help="levels for the raw driver (all)")
    p.add_argument("--port-base", type=int, default=0, help="HTTP ports base+1..3 (free ports)")
    p.add_argument("--skip-load", action="store_true", help="keep graphs that are loaded")
    p.add_argument("--quick", action="store_true", help="smoke: small graph, c=1,32, 1 s cells")
    p.add_argument("--allow-shared-instance", action="store_true")
    p.add_argument("--json", type=Path, help="default: bench/results/peer-<date>.json")
    args = p.parse_args(argv)
    if args.quick:
        args.components, args.deliveries = 2_000, 10_000
        args.concurrency, args.seconds, args.warmup_seconds = "1,32", 1.0, 1.0
    if not (args.neo4j_uri and args.password and args.peer_neo4j_uri and args.peer_password):
        p.error("give the Neo4j URIs and passwords of both sides, or run through make bench-peer")
    return args


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _port(args: argparse.Namespace, offset: int) -> int:
    if args.port_base:
        return int(args.port_base + offset)
    import socket

    with socket.socket() as s:
        s.bind((svc.HOST, 0))
        return int(s.getsockname()[1])


def peer_token(secret: str) -> str:
    claims = {"sub": "bench-peer", "exp": int(time.time()) + 4 * 3600, "roles": ["viewer"]}
    return jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(secret))


async def load_graphs(
    args: argparse.Namespace, sfm: AsyncDriver, peer: AsyncDriver, report: dict[str, Any]
) -> None:
    graph = generate(args.components, args.deliveries, args.seed)
    want = (len(graph.components), len(graph.deliveries))
    report["graph"] = {"components": want[0], "deliveries": want[1], "seed": args.seed}
    have = (
        await peer_graph.count_components(sfm, "neo4j", peer=False),
        await peer_graph.count_components(peer, "neo4j", peer=True),
    )
    if args.skip_load and have == (want, want):
        print("graphs already loaded (--skip-load)")
    else:
        seconds = await peer_graph.load_service_graph(sfm, "neo4j", graph)
        print(f"service graph loaded in {seconds:.1f} s")
        seconds = await peer_graph.load_peer_graph(peer, "neo4j", graph)
        print(f"peer graph loaded in {seconds:.1f} s")
    picked = graph.components[len(graph.components) // 2]
    report["node_id"] = picked.id
    report["_reads"] = peer_reads.reads(picked.id, picked.type.label, Settings().max_page_size)


class Side:
    """One HTTP side of the comparison: its process, URL and a token per cell."""

    def __init__(self, name: str, process: svc.Process, url: str, neo4j: str) -> None:
        self.name, self.process, self.url, self.neo4j_instance = name, process, url, neo4j
        self.peer_headers: dict[str, str] | None = None

    async def headers(self, settings: Settings, subject: str) -> dict[str, str]:
        if self.peer_headers is not None:
            return self.peer_headers
        # Its own subject per cell: the rate limiter's budget of one cell is not the next's.
        token = await cli_token(
            settings, roles=["viewer"], ttl=dt.timedelta(hours=1), subject=subject
        )
        return {"Authorization": f"Bearer {token}"}


async def settle(side: Side, neo4j: int | None, *, max_s: float = 30.0) -> None:
    """Wait until the side and its Neo4j are idle: the last cell's requests have drained."""
    deadline = time.monotonic() + max_s
    while time.monotonic() < deadline:
        before = {**side.process.cpu_ticks(), **(svc.tree_ticks(neo4j) if neo4j else {})}
        await asyncio.sleep(0.5)
        after = {**side.process.cpu_ticks(), **(svc.tree_ticks(neo4j) if neo4j else {})}
        if svc.cpu_seconds_between(before, after) < IDLE_CPU_S:
            return


async def http_cell(
    side: Side, read: peer_reads.Read, level: int, *, seconds: float, settings: Settings, run: str
) -> dict[str, Any]:
    headers = await side.headers(settings, f"bench-peer-{run}-{side.name}-{read.name}-{level}")
    body = read.peer if side.name == "peer" else read.sfm
    # Generous: the previous cell's requests may still be queued at the side.
    async with httpx.AsyncClient(timeout=CHECK_TIMEOUT_S) as http:
        peer_reads.check_response(
            side.name, read.name, await http.post(side.url, json=body, headers=headers)
        )
    neo4j = svc.neo4j_pid(side.neo4j_instance)
    await settle(side, neo4j)
    cpu0, db0 = side.process.cpu_ticks(), svc.tree_ticks(neo4j) if neo4j else {}
    result = await peer_hey.run_hey(side.url, body, headers, concurrency=level, seconds=seconds)
    cpu, db = side.process.cpu_ticks(), svc.tree_ticks(neo4j) if neo4j else {}
    side.process.check_running()
    n = max(result.requests, 1)
    return {
        **result.as_dict(),
        "cpu_ms_per_req": round(svc.cpu_seconds_between(cpu0, cpu) * 1000 / n, 2),
        "neo4j_cpu_ms_per_req": round(svc.cpu_seconds_between(db0, db) * 1000 / n, 2)
        if neo4j
        else None,
    }


async def driver_cell(
    args: argparse.Namespace,
    driver: AsyncDriver,
    statement: peer_reads.Statement,
    level: int,
    settings: Settings,
) -> dict[str, Any]:
    neo4j = svc.neo4j_pid(args.sfm_instance)
    db0 = svc.tree_ticks(neo4j) if neo4j else {}
    result = await peer_reads.run_driver(
        driver,
        statement,
        database=settings.neo4j_database,
        timeout_s=settings.neo4j_query_timeout_s,
        concurrency=level,
        seconds=args.seconds,
    )
    db = svc.tree_ticks(neo4j) if neo4j else {}
    n = max(result.requests, 1)
    return {
        **result.as_dict(),
        "first_error": None,
        "cpu_ms_per_req": round(result.client_cpu_s * 1000 / n, 2),
        "neo4j_cpu_ms_per_req": round(svc.cpu_seconds_between(db0, db) * 1000 / n, 2)
        if neo4j
        else None,
    }


def failed_cell(error: str) -> dict[str, Any]:
    return {
        "requests": 0, "errors": 1, "seconds": 0.0, "rps": None, "p50_ms": None, "p95_ms": None,
        "first_error": error, "cpu_ms_per_req": None, "neo4j_cpu_ms_per_req": None,
    }  # fmt: skip


def result_path(args: argparse.Namespace, report: dict[str, Any]) -> Path:
    if args.json is None:
        args.json = RESULTS / f"peer-{report['date'][:16].replace(':', '')}.json"
    return Path(args.json)


def save(args: argparse.Namespace, report: dict[str, Any]) -> Path:
    """Write the figures so far: a run cut short keeps the cells it measured."""
    path = result_path(args, report)
    path.parent.mkdir(parents=True, exist_ok=True)
    public = {k: v for k, v in report.items() if not k.startswith("_")}
    public["rows"] = peer_report.rows(report)
    path.write_text(json.dumps(public, indent=2) + "\n", encoding="utf-8")
    return path


async def measure(
    args: argparse.Namespace, sides: list[Side], sfm_driver: AsyncDriver, report: dict[str, Any]
) -> None:
    settings = Settings()
    run = secrets.token_hex(4)
    all_reads: dict[str, peer_reads.Read] = report.pop("_reads")
    wanted = [r for r in peer_reads.READS if r in args.reads.split(",")]
    headers = await sides[1].headers(settings, f"bench-peer-{run}-capture")
    statements = await peer_reads.capture_statements(
        settings, headers, {r: all_reads[r] for r in wanted}
    )
    report["statements"] = {k: {"name": s.name, "text": s.text} for k, s in statements.items()}
    # The in-process app set up its JSON logging here; the benchmark's own lines would flood.
    logging.getLogger().setLevel(logging.WARNING)
    levels = _ints(args.concurrency)
    driver_levels = _ints(args.driver_levels) if args.driver_levels else levels
    cells: list[dict[str, Any]] = report["cells"]
    for name in wanted:
        read = all_reads[name]
        for side in sides:  # warm-up, not recorded
            with contextlib.suppress(httpx.HTTPError, RuntimeError):  # the cells report it
                await http_cell(
                    side,
                    read,
                    WARMUP_CONCURRENCY,
                    seconds=args.warmup_seconds,
                    settings=settings,
                    run=run,
                )
        for level in levels:
            for side in sides:
                try:
                    cell = await http_cell(
                        side, read, level, seconds=args.seconds, settings=settings, run=run
                    )
                except (httpx.HTTPError, RuntimeError) as exc:
                    # A failed check or a side that did not answer: the cell has no figures.
                    side.process.check_running()
                    cell = failed_cell(f"{type(exc).__name__}: {exc}"[:300])
                cells.append({"read": name, "c": level, "side": side.name, **cell})
                print(f"  {name} c={level} {side.name}: {cell['rps']} req/s", flush=True)
                save(args, report)
            if level in driver_levels:
                cell = await driver_cell(args, sfm_driver, statements[name], level, settings)
                cells.append({"read": name, "c": level, "side": "driver", **cell})
                print(f"  {name} c={level} driver: {cell['rps']} req/s", flush=True)
                save(args, report)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    loading.check_target(args.neo4j_uri, allow_shared=args.allow_shared_instance)
    loading.check_target(args.peer_neo4j_uri, allow_shared=args.allow_shared_instance)
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "seconds_per_cell": args.seconds,
        "workers": {"sfm-1w": "1 worker", "sfm-prod": f"{args.workers} workers"},
        "cells": [],
    }
    sfm = AsyncGraphDatabase.driver(
        args.neo4j_uri, auth=("neo4j", args.password), notifications_min_severity="OFF"
    )
    peer = AsyncGraphDatabase.driver(
        args.peer_neo4j_uri, auth=("neo4j", args.peer_password), notifications_min_severity="OFF"
    )
    processes: list[svc.Process] = []
    try:
        records, _, _ = await sfm.execute_query(
            "CALL dbms.components() YIELD versions, edition RETURN versions[0] + ' ' + edition"
        )
        report["machine"]["neo4j"] = records[0][0]
        await load_graphs(args, sfm, peer, report)
        with OtlpSink() as sink:
            env = svc.sfm_environment(
                neo4j_uri=args.neo4j_uri,
                user="neo4j",
                password=args.password,
                redis_url=args.redis_url,
                otlp_endpoint=sink.endpoint,
            )
            # The in-process capture and token minting read the same settings ("" unsets).
            svc.apply_environment(env)
            secret = secrets.token_urlsafe(32)
            peer_env = {
                "PEER_NEO4J_URI": args.peer_neo4j_uri,
                "PEER_NEO4J_PASSWORD": args.peer_password,
                "PEER_JWT_SECRET": secret,
            }
            ports = [_port(args, i) for i in (1, 2, 3)]
            peer_side = Side(
                "peer",
                svc.peer_process(ports[0], peer_env),
                f"http://{svc.HOST}:{ports[0]}/",
                args.peer_instance,
            )
            peer_side.peer_headers = {"Authorization": f"Bearer {peer_token(secret)}"}
            sides = [
                peer_side,
                Side(
                    "sfm-1w",
                    svc.sfm_process("sfm-1w", ports[1], 1, env),
                    f"http://{svc.HOST}:{ports[1]}/graphql",
                    args.sfm_instance,
                ),
                Side(
                    "sfm-prod",
                    svc.sfm_process("sfm-prod", ports[2], args.workers, env),
                    f"http://{svc.HOST}:{ports[2]}/graphql",
                    args.sfm_instance,
                ),
            ]
            for side in sides:
                processes.append(side.process)
                await side.process.start()
                print(f"{side.name} up at {side.url} (log: {side.process.log_path})", flush=True)
            await measure(args, sides, sfm, report)
            report["otlp_exports"] = dict(sink.received)
    finally:
        for process in processes:
            await process.stop()
        await sfm.close()
        await peer.close()
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = asyncio.run(run(args))
    except loading.RefusedToWipe as exc:
        print(f"bench-peer: {exc}", file=sys.stderr)
        return 2
    peer_report.print_table(report)
    print(f"figures written to {save(args, report)}")
    return 0 if not any(c["errors"] for c in report["cells"]) else 1


if __name__ == "__main__":
    sys.exit(main())
