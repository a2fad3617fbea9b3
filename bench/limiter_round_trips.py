"""The Redis work of one authenticated request's limits, before and after, in one run.

Against the real Redis of the instance it targets, without HTTP or Neo4j, so that the figure is
the round trips alone (the HTTP benchmark, `auth_overhead.py`, drowns them in a loaded machine's
noise). Per request, as the service does it:

- `limits` (before): the failed-login gate's reservation (the `limits` sliding-window hit, then
  its window read), the cost spend (hit, window read), the gate's refund (a negative hit): five
  scripts, through `limits`' own Redis storage.
- `first-use` (now, a token the process has not verified yet): the gate's reservation, then the
  cost spend with the gate's refund in one script: two.
- `in-use` (now, a token verified before): the gate's check and the cost spend in one script.

The three run in alternating rounds with fresh keys; it prints p50 and p95 per request and the
ratio to `limits`.

    eval "$(tools/env.sh bench)" && .venv/bin/python bench/limiter_round_trips.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from sfm_graphql.security.rate_limit import RateLimiter, WindowCounters

GATE_LIMIT, GATE_WINDOW_S = 100, 3600
BUDGET, WINDOW_S, COST = 2_000_000, 3600, 11

Request = Callable[[str], Awaitable[None]]


def variants(redis_url: str) -> tuple[dict[str, Request], WindowCounters]:
    uri = redis_url.replace("redis://", "async+redis://", 1)
    storage = RedisStorage(uri, implementation="redispy", key_prefix="sfm-bench-limits")
    old = SlidingWindowCounterRateLimiter(storage)
    gate_item = RateLimitItemPerSecond(GATE_LIMIT, GATE_WINDOW_S)
    cost_item = RateLimitItemPerSecond(BUDGET, WINDOW_S)

    async def before(who: str) -> None:
        await old.hit(gate_item, f"gate:{who}", cost=1)
        await old.get_window_stats(gate_item, f"gate:{who}")
        await old.hit(cost_item, f"cost:{who}", cost=COST)
        await old.get_window_stats(cost_item, f"cost:{who}")
        await old.hit(gate_item, f"gate:{who}", cost=-1)

    counters = WindowCounters(redis_url)
    gate = RateLimiter(counters, window_s=GATE_WINDOW_S)
    cost = RateLimiter(counters, window_s=WINDOW_S)

    async def first_use(who: str) -> None:
        await gate.spend(f"gate:{who}", points=GATE_LIMIT, cost=1)
        refund = gate.hit(f"gate:{who}", points=GATE_LIMIT, cost=-1)
        await cost.apply([refund, cost.hit(f"cost:{who}", points=BUDGET, cost=COST)])

    async def in_use(who: str) -> None:
        check = gate.hit(f"gate:{who}", points=GATE_LIMIT, cost=1, check=True)
        await cost.apply([check, cost.hit(f"cost:{who}", points=BUDGET, cost=COST)])

    return {"limits": before, "first-use": first_use, "in-use": in_use}, counters


async def timed(request: Request, *, requests: int, concurrency: int) -> list[float]:
    """Latencies of `requests` requests from `concurrency` closed-loop workers."""
    latencies: list[float] = []
    left = requests

    async def worker() -> None:
        nonlocal left
        who = uuid.uuid4().hex  # a fresh principal and address per worker and round
        while left > 0:
            left -= 1
            started = time.perf_counter()
            await request(who)
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def quantile_us(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1] * 1e6


async def run(args: argparse.Namespace) -> dict[str, Any]:
    requests, counters = variants(os.environ.get("SFM_REDIS_URL", "redis://127.0.0.1:6381/0"))
    rows = []
    try:
        for concurrency in args.concurrency:
            samples: dict[str, list[float]] = {name: [] for name in requests}
            for request in requests.values():  # warm: connections, scripts loaded
                await timed(request, requests=50, concurrency=concurrency)
            for index in range(args.rounds):
                order = list(requests) if index % 2 == 0 else list(reversed(requests))
                for name in order:
                    per_round = args.requests // args.rounds
                    samples[name] += await timed(
                        requests[name], requests=per_round, concurrency=concurrency
                    )
            row: dict[str, Any] = {"concurrency": concurrency}
            base = quantile_us(samples["limits"], 0.5)
            for name, values in samples.items():
                p50, p95 = quantile_us(values, 0.5), quantile_us(values, 0.95)
                row[name] = {
                    "p50_us": round(p50),
                    "p95_us": round(p95),
                    "ratio_p50": round(p50 / base, 2),
                }
                print(
                    f"c={concurrency:<3} {name:10} p50 {p50:8.0f} µs  p95 {p95:8.0f} µs  "
                    f"vs limits {p50 / base:.2f}",
                    flush=True,
                )
            rows.append(row)
    finally:
        await counters.aclose()
    return {
        "bench": "limiter_round_trips",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average": os.getloadavg(),
        "requests": args.requests,
        "results": rows,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=4000, help="timed requests per variant")
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 16])
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
