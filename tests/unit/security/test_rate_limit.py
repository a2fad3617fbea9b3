"""The rate limiter's budget arithmetic and key layout, without Redis: the same as `limits`'."""

from __future__ import annotations

import asyncio
import time

import pytest
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from sfm_graphql.security.rate_limit import (
    KEY_PREFIX,
    Hit,
    Outcome,
    budget_of,
    redis_keys,
    window_outcome,
)

NO_REDIS = "redis://127.0.0.1:1/0"  # the client connects on first use only, never here


def test_a_window_opened_this_millisecond_resets_a_window_from_now() -> None:
    hit = Hit("someone", limit=25, window_s=120, amount=1)
    now = time.time()
    reset = budget_of(hit, Outcome(True, remaining=24, reset_time=now)).reset_at
    assert now + 119 < reset <= time.time() + 120


def test_an_untouched_budget_and_a_later_reset_are_kept() -> None:
    hit = Hit("someone", limit=25, window_s=120, amount=1)
    now = time.time()
    assert budget_of(hit, Outcome(True, remaining=25, reset_time=now)).reset_at == now
    later = Outcome(True, remaining=3, reset_time=now + 5)
    assert budget_of(hit, later).reset_at == now + 5


async def test_window_statistics_are_computed_as_limits_computes_them() -> None:
    # A real (memory) storage, with a previous and a current window: the statistics `limits`
    # gives and ours, from the same counts and TTLs, agree.
    hit = Hit("someone", limit=50, window_s=1, amount=1)
    storage = MemoryStorage()
    limiter = SlidingWindowCounterRateLimiter(storage)
    item, key = hit.item(), hit.item().key_for(hit.key)

    async def agree() -> tuple[int, float, int, float]:
        window = await storage.get_sliding_window(key, 1)
        ours = window_outcome(hit, True, window, time.time())
        theirs = await limiter.get_window_stats(item, hit.key)
        assert abs(ours.remaining - theirs.remaining) <= 1  # the clock moves between the reads
        assert ours.reset_time == pytest.approx(theirs.reset_time, abs=0.05)
        return window

    await limiter.hit(item, hit.key, cost=30)
    await agree()
    await asyncio.sleep(1.05)
    await limiter.hit(item, hit.key, cost=4)
    previous, _, current, _ = await agree()
    assert (previous, current) == (30, 4)  # both windows held counts
    assert window_outcome(hit, True, (0, 0.0, 0, 0.0), 5.0) == Outcome(True, 50, 5.0)


def test_the_redis_keys_are_those_of_the_limits_redis_storage() -> None:
    hit = Hit("failed-login:192.0.2.1", limit=100, window_s=3600, amount=1)
    storage = RedisStorage(f"async+{NO_REDIS}", implementation="redispy", key_prefix=KEY_PREFIX)
    key = RateLimitItemPerSecond(100, 3600).key_for(hit.key)
    previous, current = redis_keys(hit)
    assert current == storage.bridge.prefixed_key(storage._current_window_key(key))
    assert previous == storage.bridge.prefixed_key(storage._previous_window_key(key))
