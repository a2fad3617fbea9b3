"""This checkout against another git revision of the service, side by side on one graph.

Usage (`make bench-versions BASE=<rev>`; the environment of the bench instance):

    python bench/versions.py --base 4839f86 [--rounds 6] [--block 100] [--concurrency 1,8]

Both services run at once against the same bench database: this checkout's `sfm-graphql serve`
and the base revision's, built into a git worktree with its own virtualenv from its own lock
file (`make venv` there). The graph is loaded once through the raw driver. Each workload is run
in alternating blocks (base, this, base, this, ...), so a noisy neighbour slows both alike; the
figures are summed per side over all blocks. Per side: requests, p50/p95 latency, req/s, and
CPU ms per request of the service's process tree from /proc; then this/base ratios. The same
number of workers on both sides (`--workers`, default 1), since a revision may pick its own.
Load is on 127.0.0.1 only, bounded by request count and time, and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import loadgen
import loading
import workloads
from graphgen import generate
from neo4j import AsyncGraphDatabase
from peer_services import cpu_seconds_between, tree_ticks
from server import CLI, Service

from sfm_graphql.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
WARMUP_REQUESTS = 50


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--base", required=True, help="the git revision to compare against")
    p.add_argument("--components", type=int, default=10_000)
    p.add_argument("--deliveries", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--concurrency", default="1,8", help="comma-separated levels")
    p.add_argument("--rounds", type=int, default=6, help="blocks per side and level")
    p.add_argument("--block", type=int, default=100, help="requests per block")
    p.add_argument("--workers", type=int, default=1, help="uvicorn workers on both sides")
    p.add_argument("--max-seconds", type=float, default=60.0, help="time bound of one block")
    p.add_argument("--json", type=Path, help="write the figures here")
    p.add_argument("--allow-shared-instance", action="store_true")
    env = os.environ
    p.add_argument("--neo4j-uri", default=env.get("SFM_NEO4J_URI") or env.get("NEO4J_URI"))
    p.add_argument("--neo4j-user", default=env.get("SFM_NEO4J_USER", "neo4j"))
    p.add_argument("--password", default=env.get("SFM_NEO4J_PASSWORD") or env.get("NEO4J_PASSWORD"))
    p.add_argument("--database", default="neo4j")
    p.add_argument("--redis-url", default=env.get("SFM_REDIS_URL", "redis://127.0.0.1:6381/0"))
    args = p.parse_args(argv)
    if not args.neo4j_uri or not args.password:
        p.error("give --neo4j-uri and --password, or run through make bench-versions")
    return args


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def base_checkout(rev: str) -> tuple[Path, str]:
    """A worktree of `rev` with its own virtualenv; its `sfm-graphql` and the commit it is."""
    commit = _git("rev-parse", "--short", rev)
    where = Path(tempfile.gettempdir()) / f"sfm-bench-base-{commit}"
    if not where.exists():
        _git("worktree", "add", "--detach", str(where), commit)
    subprocess.run(["make", "--no-print-directory", "venv"], cwd=where, check=True)
    return where / ".venv" / "bin" / "sfm-graphql", commit


@dataclass
class Side:
    name: str
    service: Service
    http: httpx.AsyncClient | None = None
    samples: dict[str, loadgen.Sample] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)

    async def block(self, key: str, workload: workloads.Workload, c: int, n: int, t: float) -> None:
        assert self.http is not None
        before = tree_ticks(self.service.pid)
        sample = await loadgen.run(
            workloads.via_service(self.http, workload), requests=n, concurrency=c, max_seconds=t
        )
        self.cpu_s[key] = self.cpu_s.get(key, 0.0) + cpu_seconds_between(
            before, tree_ticks(self.service.pid)
        )
        self.samples.setdefault(key, loadgen.Sample()).add(sample)
        self.service.check_running()


def _figures(sample: loadgen.Sample, cpu_s: float) -> dict[str, Any]:
    return {
        "requests": sample.count,
        "errors": sample.errors,
        "first_error": sample.first_error,
        "p50_ms": round(sample.p50_ms, 2),
        "p95_ms": round(sample.p95_ms, 2),
        "rps": round(sample.rps, 1),
        "cpu_ms_per_request": round(cpu_s * 1000 / max(sample.count, 1), 2),
    }


async def run(args: argparse.Namespace, base_cli: Path, base_commit: str) -> dict[str, Any]:
    env = {
        "SFM_NEO4J_URI": args.neo4j_uri,
        "NEO4J_URI": args.neo4j_uri,
        "SFM_NEO4J_USER": args.neo4j_user,
        "NEO4J_USER": args.neo4j_user,
        "SFM_NEO4J_PASSWORD": args.password,
        "NEO4J_PASSWORD": args.password,
        "SFM_NEO4J_DATABASE": args.database,
        "SFM_REDIS_URL": args.redis_url,
        "SFM_WORKERS": str(args.workers),
    }
    os.environ.update(env)
    settings = Settings()
    graph = generate(args.components, args.deliveries, args.seed)
    levels = [int(x) for x in args.concurrency.split(",")]
    driver = AsyncGraphDatabase.driver(
        args.neo4j_uri, auth=(args.neo4j_user, args.password), notifications_min_severity="OFF"
    )
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "base": base_commit,
        "this": _git("rev-parse", "--short", "HEAD"),
        "workers": args.workers,
        "graph": {"components": len(graph.components), "deliveries": len(graph.deliveries)},
    }
    try:
        await loading.reset_database(driver, args.database)
        report["load_seconds"] = round(
            await loading.load_through_driver(driver, args.database, graph), 1
        )
        stored = await loading.stored_ids(driver, args.database, graph)
        total = args.rounds * args.block + WARMUP_REQUESTS
        node = workloads.node_read(stored, total, args.seed + 1)
        page = workloads.nested_page(stored, total, args.seed + 2, settings)
        sides = [Side("base", Service(env, cli=base_cli)), Side("this", Service(env, cli=CLI))]
        for side in sides:
            await side.service.__aenter__()
        try:
            limits = httpx.Limits(
                max_connections=max(levels), max_keepalive_connections=max(levels)
            )
            for side in sides:
                token = side.service.mint_token(f"bench-versions-{side.name}")
                side.http = httpx.AsyncClient(
                    base_url=side.service.base_url,
                    headers={"Authorization": f"Bearer {token}"},
                    limits=limits,
                    timeout=60.0,
                )
            for workload in (node, page):
                for side in sides:  # warm-up, not counted
                    await side.block("warm", workload, 4, WARMUP_REQUESTS, args.max_seconds)
                for level in levels:
                    key = f"{workload.name} c={level}"
                    for _ in range(args.rounds):
                        for side in sides:
                            await side.block(key, workload, level, args.block, args.max_seconds)
                    print(f"  {key}: done", flush=True)
        finally:
            for side in sides:
                if side.http is not None:
                    await side.http.aclose()
                await side.service.stop()
    finally:
        await driver.close()
    report["results"] = [
        {
            "workload": key,
            **{s.name: _figures(s.samples[key], s.cpu_s[key]) for s in sides},
        }
        for key in sides[0].samples
        if key != "warm"
    ]
    return report


def print_report(report: dict[str, Any]) -> None:
    print(
        f"\nsfm-graphql {report['this']} against {report['base']}, {report['date']}, "
        f"{report['cores']} cores, load {report['load_average']:.1f}, {report['workers']} worker(s)"
    )
    print(f"graph: {report['graph']['components']} components, {report['graph']['deliveries']}")
    head = f"{'workload':<44}{'side':<6}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>8}{'cpu ms':>8}"
    print(head + "\n" + "-" * len(head))
    for row in report["results"]:
        for name in ("base", "this"):
            f = row[name]
            label = row["workload"] if name == "base" else ""
            errors = f" errors={f['errors']}" if f["errors"] else ""
            print(
                f"{label:<44}{name:<6}{f['requests']:>6}{f['p50_ms']:>9.2f}{f['p95_ms']:>9.2f}"
                f"{f['rps']:>8.1f}{f['cpu_ms_per_request']:>8.2f}{errors}"
            )
        b, t = row["base"], row["this"]
        print(
            f"{'':<44}{'this/base':<12}{t['p50_ms'] / b['p50_ms']:>9.2f}"
            f"{t['p95_ms'] / b['p95_ms']:>9.2f}{t['rps'] / b['rps']:>8.2f}"
            f"{t['cpu_ms_per_request'] / max(b['cpu_ms_per_request'], 1e-9):>8.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    loading.check_target(args.neo4j_uri, allow_shared=args.allow_shared_instance)
    report = asyncio.run(run(args, *base_checkout(args.base)))
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    errors = sum(row[s]["errors"] for row in report["results"] for s in ("base", "this"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
