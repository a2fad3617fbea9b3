"""The garbage collector's share of the single-component read, by the number of requests in flight.

The app runs in this process at production settings (`peer_services.sfm_environment`: signing
keys, the Redis limiter, metrics, tracing at the production ratio exported to a local OTLP sink,
JSON logs at INFO, written to /dev/null here), with its collector tuned as `sfm-graphql serve`
tunes it (`http/server.py`, `tune_collector`). `--concurrency` clients send the read of the peer
benchmark (`peer_reads`, `node(id:)`) through httpx's ASGI transport; per request it prints the
process CPU, the time spent in collections (`gc.callbacks`), and how many young and middle
collections ran. `--garbage` also counts the objects per request that only the collector frees
(cyclic garbage, `gc.DEBUG_SAVEALL` over 50 requests) and names their most common types.

    make services INSTANCE=bench && eval "$(tools/env.sh bench)"
    .venv/bin/python bench/peer_bench.py ...   # once, for the graph (or peer_graph's loader)
    .venv/bin/python bench/collector_load.py --concurrency 1,32,100 --requests 2000 --garbage

The CPU figure includes the in-process client's own work (about a tenth of it); compare runs
of this script with each other, not with a server's CPU per request.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import gc
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import peer_reads
import peer_services as svc
from graphgen import generate
from observability_overhead import OtlpSink

WARMUP_REQUESTS = 100
GARBAGE_REQUESTS = 50


class CollectorClock:
    """Time spent in collections and their count per generation, from `gc.callbacks`."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.runs = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._started
        self.runs[info["generation"]] += 1

    def reset(self) -> None:
        self.seconds, self.runs = 0.0, [0, 0, 0]


async def cyclic_garbage(send: Any, requests: int) -> tuple[float, list[tuple[str, float]]]:
    """Objects per request only the collector frees, and the most common of their types."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(requests):
            await send()
        gc.collect()
        kinds = collections.Counter(type(o).__qualname__ for o in gc.garbage)
        total = len(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    return total / requests, [(k, n / requests) for k, n in kinds.most_common(12)]


async def measure(args: argparse.Namespace, quiet: Any) -> None:
    graph = generate(args.components, args.deliveries, args.seed)
    picked = graph.components[len(graph.components) // 2]
    with OtlpSink() as sink:
        env = svc.sfm_environment(
            neo4j_uri=os.environ["SFM_NEO4J_URI"],
            user="neo4j",
            password=os.environ["SFM_NEO4J_PASSWORD"],
            redis_url=os.environ["SFM_REDIS_URL"],
            otlp_endpoint=sink.endpoint,
        )
        svc.apply_environment(env)
        # After the environment: the settings and the app read it when they are made.
        from sfm_graphql.app import create_app
        from sfm_graphql.http.server import tune_collector
        from sfm_graphql.security.signing import cli_token
        from sfm_graphql.settings import Settings

        settings = Settings()
        read = peer_reads.reads(picked.id, picked.type.label, settings.max_page_size)["node"]
        app = create_app()
        tune_collector()
        clock = CollectorClock()
        gc.callbacks.append(clock)
        stderr, sys.stderr = sys.stderr, quiet  # the app's log lines go nowhere
        try:
            async with app.router.lifespan_context(app):
                token = await cli_token(
                    settings, roles=["viewer"], ttl=dt.timedelta(hours=1), subject="collector"
                )
                transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
                async with httpx.AsyncClient(
                    transport=transport,
                    base_url="http://127.0.0.1",
                    headers={"Authorization": f"Bearer {token}"},
                ) as http:
                    await report(args, http, read.sfm, clock, stderr)
        finally:
            sys.stderr = stderr
            gc.callbacks.remove(clock)


async def report(
    args: argparse.Namespace, http: httpx.AsyncClient, body: Any, clock: CollectorClock, out: Any
) -> None:
    async def send() -> None:
        response = await http.post("/graphql", json=body)
        if response.status_code != 200 or "errors" in response.json():
            raise RuntimeError(f"the read failed: {response.status_code} {response.text[:300]}")

    for _ in range(WARMUP_REQUESTS):
        await send()
    if args.garbage:
        per_request, kinds = await cyclic_garbage(send, GARBAGE_REQUESTS)
        print(f"cyclic garbage: {per_request:.0f} objects per request", file=out)
        for kind, n in kinds:
            print(f"  {n:6.1f}  {kind}", file=out)
    for level in args.concurrency:
        each = max(1, args.requests // level)

        async def client(count: int = each) -> None:
            for _ in range(count):
                await send()

        gc.collect()
        clock.reset()
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(client() for _ in range(level)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        n = each * level
        print(
            f"c={level}: {n} requests, CPU {1000 * cpu / n:.2f} ms/req, "
            f"collector {1000 * clock.seconds / n:.3f} ms/req, "
            f"collections young/middle/old {clock.runs}, wall {1000 * wall / n:.2f} ms/req",
            file=out,
        )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--concurrency", default="1,32,100", help="comma-separated levels")
    p.add_argument("--requests", type=int, default=2000, help="per level")
    p.add_argument("--garbage", action="store_true", help="count the cyclic garbage first")
    p.add_argument("--components", type=int, default=10_000)
    p.add_argument("--deliveries", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=1, help="the graph's seed (the read's id)")
    args = p.parse_args()
    args.concurrency = [int(x) for x in args.concurrency.split(",")]
    with Path(os.devnull).open("w", encoding="utf-8") as quiet:
        asyncio.run(measure(args, quiet))
    return 0


if __name__ == "__main__":
    sys.exit(main())
