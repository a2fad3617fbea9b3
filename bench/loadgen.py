"""Closed-loop load: N concurrent workers issue a bounded number of requests, timed one by one."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Call = Callable[[int], Awaitable[None]]


@dataclass(slots=True)
class Sample:
    """Latencies (seconds) of the requests that completed, and the wall time they took."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0
    first_error: str = ""
    cut_short: bool = False

    def add(self, other: Sample) -> None:
        self.latencies += other.latencies
        self.seconds += other.seconds
        self.errors += other.errors
        self.first_error = self.first_error or other.first_error
        self.cut_short = self.cut_short or other.cut_short

    @property
    def count(self) -> int:
        return len(self.latencies)

    def quantile_ms(self, q: float) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else float("nan")
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[round(q * 100) - 1] * 1000

    @property
    def p50_ms(self) -> float:
        return self.quantile_ms(0.50)

    @property
    def p95_ms(self) -> float:
        return self.quantile_ms(0.95)

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else float("nan")


async def run(call: Call, *, requests: int, concurrency: int, max_seconds: float) -> Sample:
    """Run `call(i)` for i in 0..requests-1 on `concurrency` workers; stop early at max_seconds.

    A failed call counts as an error and its latency is not recorded.
    """
    sample = Sample()
    next_index = 0
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        nonlocal next_index
        while next_index < requests:
            if time.perf_counter() > deadline:
                sample.cut_short = True
                return
            i = next_index
            next_index += 1
            started = time.perf_counter()
            try:
                await call(i)
            except Exception as exc:  # noqa: BLE001 (counted and reported, the run goes on)
                sample.errors += 1
                sample.first_error = sample.first_error or f"{type(exc).__name__}: {exc}"
                continue
            sample.latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    sample.seconds = time.perf_counter() - started
    return sample
