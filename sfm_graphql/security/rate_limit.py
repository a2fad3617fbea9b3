"""Cost-based rate limits shared by every replica through Redis (the `limits` library).

Each principal has a budget of cost points per window, as GitHub's GraphQL API does; unauthenticated
traffic and failed logins are limited per client address. When Redis cannot be reached the
limiter falls back to per-process counters, says so in the log, and tries Redis again later.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond, WindowStats
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

log = logging.getLogger(__name__)
RETRY_REDIS_AFTER_S = 30.0


@dataclass(frozen=True, slots=True)
class Budget:
    limit: int
    cost: int
    remaining: int
    reset_at: float
    allowed: bool

    @property
    def retry_after_s(self) -> int:
        return max(1, int(self.reset_at - time.time()) + 1)


class RateLimiter:
    def __init__(self, redis_url: str, *, window_s: int) -> None:
        self._window_s = window_s
        uri = redis_url.replace("redis://", "async+redis://", 1).replace(
            "rediss://", "async+rediss://", 1
        )
        self._shared: Storage = RedisStorage(
            uri,
            implementation="redispy",
            key_prefix="sfm-ratelimit",
            socket_timeout=0.5,
            socket_connect_timeout=0.5,
        )
        self._local: Storage = MemoryStorage()
        self._shared_down_until = 0.0
        self.degraded = False

    def _item(self, points: int) -> RateLimitItem:
        return RateLimitItemPerSecond(points, self._window_s)

    async def spend(self, key: str, *, points: int, cost: int) -> Budget:
        """Spend `cost` points of `key`'s budget of `points` per window."""
        item = self._item(points)
        for storage in self._storages():
            limiter = SlidingWindowCounterRateLimiter(storage)
            try:
                allowed = await limiter.hit(item, key, cost=cost) if cost > 0 else True
                stats = await limiter.get_window_stats(item, key)
            except Exception as exc:  # noqa: BLE001 (any storage failure means: use local)
                self._mark_shared_down(exc)
                continue
            if storage is self._shared and self.degraded:
                log.warning("Redis is reachable again; rate limits are shared across replicas")
                self.degraded = False
            return Budget(points, cost, stats.remaining, self._reset_at(stats, points), allowed)
        raise AssertionError("the local storage cannot fail")

    async def refund(self, key: str, *, points: int, cost: int) -> None:
        """Give back `cost` points spent by `spend` (a reservation that turned out not needed).

        The sliding-window counter takes a negative hit as a decrement of the current window;
        a reservation made in the previous window is refunded from the current one, so the
        count is at most one point lower than exact, for a moment.
        """
        item = self._item(points)
        for storage in self._storages():
            try:
                await SlidingWindowCounterRateLimiter(storage).hit(item, key, cost=-cost)
            except Exception as exc:  # noqa: BLE001 (any storage failure means: use local)
                self._mark_shared_down(exc)
                continue
            return

    def _reset_at(self, stats: WindowStats, points: int) -> float:
        now = time.time()
        if stats.reset_time <= now and stats.remaining < points:
            # `limits` gives the reset as the window's expiry modulo its length, which is 0 when
            # the window was opened within the same millisecond: it then ends a window from now.
            return now + self._window_s
        return stats.reset_time

    async def peek(self, key: str, *, points: int) -> Budget:
        return await self.spend(key, points=points, cost=0)

    def _storages(self) -> list[Storage]:
        if time.monotonic() < self._shared_down_until:
            return [self._local]
        return [self._shared, self._local]

    def _mark_shared_down(self, exc: Exception) -> None:
        if not self.degraded:
            log.warning(
                "Redis is unreachable for rate limits (%s); using per-process limits for now",
                type(exc).__name__,
            )
        self.degraded = True
        self._shared_down_until = time.monotonic() + RETRY_REDIS_AFTER_S
