"""Cost-based rate limits shared by every replica through Redis, one round trip per spend.

Each principal has a budget of cost points per window, as GitHub's GraphQL API does; unauthenticated
traffic and failed logins are limited per client address.

The counting is the `limits` library's sliding-window counter, kept key for key (the same Redis
keys, the same shift of the current window into the previous one, the same weighted count), done
by one Lua script of ours that takes a list of hits and answers, for each, whether it was allowed
and the window after it. So a spend is one round trip where `limits` needs two (its hit, then its
window statistics), and other hits can travel with it: the failed-login gate's refund goes with
the request's cost spend (`security.login_guard`, `graphql.limits`). Lua runs atomically in
Redis, so the check and the increment of each hit, and the hits of one call, never interleave
with another client's. redis-py sends the script by its SHA (EVALSHA) and loads it when Redis
does not know it yet.

When Redis cannot be reached, the hits are counted in per-process memory (the `limits` memory
storage) instead, a warning is logged once, and Redis is tried again after `RETRY_REDIS_AFTER_S`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as redis
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

log = logging.getLogger(__name__)
RETRY_REDIS_AFTER_S = 30.0
KEY_PREFIX = "sfm-ratelimit"
SOCKET_TIMEOUT_S = 0.5

# KEYS: previous and current window key of each hit, in pairs. ARGV: limit, window in seconds,
# amount and check (1/0) of each hit, in fours. Per hit it returns allowed (1/0) and, after the
# hit, the previous count, its TTL (ms), the current count and its TTL (ms). Amount 0 reads only;
# a negative amount is a refund; a check tests whether the amount would fit without counting
# it, and when it would not, the hits after it are not applied (the answer stops there). The
# arithmetic is that of `limits`' acquire_sliding_window.lua.
SPEND_SCRIPT = """
local out = {}
for i = 1, #KEYS / 2 do
  local prev_key, cur_key = KEYS[2 * i - 1], KEYS[2 * i]
  local limit = tonumber(ARGV[4 * i - 3])
  local expiry = tonumber(ARGV[4 * i - 2]) * 1000
  local amount = tonumber(ARGV[4 * i - 1])
  local check = ARGV[4 * i] == '1'
  local cur_ttl = tonumber(redis.call('pttl', cur_key))
  if cur_ttl > 0 and cur_ttl < expiry then
    redis.call('rename', cur_key, prev_key)
    redis.call('set', cur_key, 0, 'PX', cur_ttl + expiry)
  end
  local allowed = 1
  if amount ~= 0 then
    local prev_count = tonumber(redis.call('get', prev_key)) or 0
    local prev_ttl = math.max(tonumber(redis.call('pttl', prev_key)) or 0, 0)
    local cur_count = tonumber(redis.call('get', cur_key)) or 0
    local weighted = math.floor(prev_count * prev_ttl / expiry) + cur_count
    if amount > limit or weighted + amount > limit then
      allowed = 0
    elseif check then
      allowed = 1
    elseif redis.call('exists', cur_key) == 1 then
      redis.call('incrby', cur_key, amount)
    else
      redis.call('set', cur_key, amount, 'PX', expiry * 2)
    end
  end
  out[#out + 1] = allowed
  out[#out + 1] = tonumber(redis.call('get', prev_key)) or 0
  out[#out + 1] = tonumber(redis.call('pttl', prev_key))
  out[#out + 1] = tonumber(redis.call('get', cur_key)) or 0
  out[#out + 1] = tonumber(redis.call('pttl', cur_key))
  if check and allowed == 0 then
    break
  end
end
return out
"""


@dataclass(frozen=True, slots=True)
class Hit:
    """`amount` points of `key`'s budget of `limit` per `window_s` (negative: a refund).

    A `check` only tests that `amount` would fit, counting nothing; when it would not, the hits
    after it in the same call are not applied.
    """

    key: str
    limit: int
    window_s: int
    amount: int
    check: bool = False

    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.limit, self.window_s)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A hit's answer: allowed, and the window after it (what `limits` calls window stats).

    A hit not `applied` (a check before it refused) is not allowed and has no window.
    """

    allowed: bool
    remaining: int
    reset_time: float
    applied: bool = True


def window_outcome(
    hit: Hit,
    allowed: bool,
    window: tuple[int, float, int, float],
    now: float,
) -> Outcome:
    """`limits`' window statistics from (previous count, its TTL s, current count, its TTL s)."""
    previous, previous_ttl, current, current_ttl = window
    expiry = hit.window_s
    weighted = previous * previous_ttl / expiry + current
    remaining = max(0, hit.limit - math.floor(weighted))
    if not (previous or current):
        return Outcome(allowed, remaining, now)
    previous_reset, current_reset = math.inf, math.inf
    if previous:
        previous_reset = previous_ttl % (expiry / previous)
    if current:
        current_reset = current_ttl % expiry
    return Outcome(allowed, remaining, now + min(previous_reset, current_reset))


def redis_keys(hit: Hit) -> tuple[str, str]:
    """(previous, current) window keys of a hit, exactly as `limits`' Redis storage names them."""
    current = f"{KEY_PREFIX}:{{{hit.item().key_for(hit.key)}}}"
    return f"{current}/-1", current


class WindowCounters:
    """The counters every limiter of a process spends from: one Redis client, one local fallback."""

    def __init__(self, redis_url: str) -> None:
        self._redis = redis.from_url(
            redis_url, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=SOCKET_TIMEOUT_S
        )
        self._script = self._redis.register_script(SPEND_SCRIPT)
        self._local = MemoryStorage()
        self._shared_down_until = 0.0
        self.degraded = False
        self.fallbacks = 0  # times Redis failed and this process counted on its own

    async def apply(self, hits: Sequence[Hit]) -> list[Outcome]:
        """Apply `hits` in order, atomically, in one Redis round trip (or in this process)."""
        if not hits:
            return []
        if time.monotonic() >= self._shared_down_until:
            try:
                outcomes = await self._apply_shared(hits)
            except Exception as exc:  # noqa: BLE001 (any Redis failure means: count locally)
                self._mark_shared_down(exc)
            else:
                if self.degraded:
                    log.warning("Redis is reachable again; rate limits are shared across replicas")
                    self.degraded = False
                return outcomes
        return await self._apply_local(hits)

    async def _apply_shared(self, hits: Sequence[Hit]) -> list[Outcome]:
        keys = [key for hit in hits for key in redis_keys(hit)]
        args = [
            value
            for hit in hits
            for value in (hit.limit, hit.window_s, hit.amount, 1 if hit.check else 0)
        ]
        raw = await self._script(keys=keys, args=args)
        now = time.time()
        outcomes = []
        for index, hit in enumerate(hits):
            if 5 * index >= len(raw):
                outcomes.append(Outcome(False, 0, now, applied=False))
                continue
            allowed, previous, previous_ttl, current, current_ttl = raw[5 * index : 5 * index + 5]
            window = (
                int(previous),
                max(0, int(previous_ttl)) / 1000,
                int(current),
                max(0, int(current_ttl)) / 1000,
            )
            outcomes.append(window_outcome(hit, bool(allowed), window, now))
        return outcomes

    async def _apply_local(self, hits: Sequence[Hit]) -> list[Outcome]:
        limiter = SlidingWindowCounterRateLimiter(self._local)
        outcomes: list[Outcome] = []
        stopped = False  # a check refused: the hits after it are not applied
        for hit in hits:
            if stopped:
                outcomes.append(Outcome(False, 0, time.time(), applied=False))
                continue
            item = hit.item()
            if hit.check:
                allowed = await limiter.test(item, hit.key, cost=hit.amount)
            elif hit.amount != 0:
                allowed = await limiter.hit(item, hit.key, cost=hit.amount)
            else:
                allowed = True
            stats = await limiter.get_window_stats(item, hit.key)
            outcomes.append(Outcome(allowed, stats.remaining, stats.reset_time))
            stopped = hit.check and not allowed
        return outcomes

    def _mark_shared_down(self, exc: Exception) -> None:
        if not self.degraded:
            log.warning(
                "Redis is unreachable for rate limits (%s); using per-process limits for now",
                type(exc).__name__,
            )
        self.degraded = True
        self.fallbacks += 1
        self._shared_down_until = time.monotonic() + RETRY_REDIS_AFTER_S

    async def aclose(self) -> None:
        await self._redis.aclose()


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


def budget_of(hit: Hit, outcome: Outcome) -> Budget:
    """The budget a hit found: its limit, cost, what remains and when points come back."""
    reset_at = outcome.reset_time
    now = time.time()
    if reset_at <= now and outcome.remaining < hit.limit:
        # `limits` gives the reset as the window's expiry modulo its length, which is 0 when
        # the window was opened within the same millisecond: it then ends a window from now.
        reset_at = now + hit.window_s
    return Budget(hit.limit, hit.amount, outcome.remaining, reset_at, outcome.allowed)


class RateLimiter:
    """Budgets of one window length, spent from the process's `WindowCounters`."""

    def __init__(self, counters: WindowCounters, *, window_s: int) -> None:
        self._counters = counters
        self._window_s = window_s

    @property
    def degraded(self) -> bool:
        """Counting in this process because Redis could not be reached."""
        return self._counters.degraded

    @property
    def fallbacks(self) -> int:
        """How often Redis failed and this process counted on its own (it may be back since)."""
        return self._counters.fallbacks

    def hit(self, key: str, *, points: int, cost: int, check: bool = False) -> Hit:
        """A hit of `cost` points on `key`'s budget of `points` per this limiter's window."""
        return Hit(key, points, self._window_s, cost, check)

    async def apply(self, hits: Sequence[Hit]) -> list[Budget]:
        """The budgets after `hits` (of any limiter of these counters), in one round trip."""
        outcomes = await self._counters.apply(hits)
        return [budget_of(hit, outcome) for hit, outcome in zip(hits, outcomes, strict=True)]

    async def spend(self, key: str, *, points: int, cost: int) -> Budget:
        """Spend `cost` points of `key`'s budget of `points` per window."""
        [budget] = await self.apply([self.hit(key, points=points, cost=cost)])
        return budget

    async def refund(self, key: str, *, points: int, cost: int) -> None:
        """Give back `cost` points spent by `spend` (a reservation that turned out not needed).

        The sliding-window counter takes a negative hit as a decrement of the current window;
        a reservation made in the previous window is refunded from the current one, so the
        count is at most one point lower than exact, for a moment.
        """
        await self._counters.apply([self.hit(key, points=points, cost=-cost)])

    async def peek(self, key: str, *, points: int) -> Budget:
        return await self.spend(key, points=points, cost=0)
