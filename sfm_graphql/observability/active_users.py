"""Distinct authenticated principals in a sliding window, counted across workers and replicas.

Each process notes the principals it serves in a local set; every metrics refresh adds them to a
Redis HyperLogLog of the current minute (PFADD) and counts the union of the window's minutes
(PFCOUNT). Memory stays bounded: at most `MAX_PENDING` hashed principals per process between
refreshes, and in Redis one HyperLogLog of at most 12 KB per minute of the window, expiring on
its own. HyperLogLog's standard error is 0.81%; small counts are exact. Principals travel as
truncated SHA-256 digests, never as subjects.
"""

from __future__ import annotations

import hashlib
import time

from redis.asyncio import Redis

from sfm_graphql.security.principal import Principal

KEY_PREFIX = "sfm:active:"
MAX_PENDING = 50_000


def principal_digest(principal: Principal) -> str:
    key = f"{principal.kind}\0{principal.issuer}\0{principal.subject}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class ActiveUsers:
    def __init__(self, *, window_s: int) -> None:
        self.window_minutes = max(1, -(-window_s // 60))
        self._pending: set[str] = set()

    def seen(self, principal: Principal) -> None:
        """Note a principal served by this process; anonymous callers are not users."""
        if principal.kind == "anonymous" or len(self._pending) >= MAX_PENDING:
            return
        self._pending.add(principal_digest(principal))

    def keys(self, now: float) -> list[str]:
        minute = int(now // 60)
        return [f"{KEY_PREFIX}{m}" for m in range(minute - self.window_minutes + 1, minute + 1)]

    async def count(self, redis: Redis, *, now: float | None = None) -> int:
        """Send the principals noted since the last call; the window's distinct count."""
        keys = self.keys(time.time() if now is None else now)
        pending, self._pending = self._pending, set()
        try:
            async with redis.pipeline(transaction=False) as pipe:
                if pending:
                    pipe.pfadd(keys[-1], *pending)
                    pipe.expire(keys[-1], (self.window_minutes + 1) * 60)
                pipe.pfcount(*keys)
                results = await pipe.execute()
        except Exception:
            # Kept for the next refresh (still bounded); the caller logs the failure.
            self._pending = set(list(pending | self._pending)[:MAX_PENDING])
            raise
        return int(results[-1])
