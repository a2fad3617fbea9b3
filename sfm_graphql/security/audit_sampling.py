"""Flood control for audited refusals: one event per caller and code per window, the rest counted.

A mutation refused before it runs (anonymous `UNAUTHENTICATED`, `MAX_COST_EXCEEDED`,
`RATE_LIMITED`, …) costs the caller next to nothing, while each audit event is a Neo4j write
kept for the retention period; refusals come in floods exactly when someone is attacking. So
the first refusal of a caller (principal, or client address per /64 when anonymous) with a
given code in each window is recorded, and later ones only counted: the next recorded event
of that caller and code carries `suppressed`, how many were not recorded since the previous
one. A global cap per window bounds a flood from many addresses; what it holds back is counted
the same way. The evidence (who, what, which code, how often) survives; the log stays bounded.

Counters live in Redis (shared by replicas, one script per refusal); without Redis a
per-process table does the same, bounded in size.
"""

from __future__ import annotations

import logging
import time
from typing import Any

log = logging.getLogger(__name__)

PENDING_TTL_S = 7 * 24 * 3600  # how long an unreported count waits for the next event
MAX_LOCAL_KEYS = 10_000
# KEYS: window counter, pending count, global window counter.
# ARGV: window seconds, pending TTL, events allowed per window. Returns the pending count to
# report when the refusal is to be recorded, else -1.
_ADMIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  local total = redis.call('INCR', KEYS[3])
  if total == 1 then redis.call('EXPIRE', KEYS[3], ARGV[1]) end
  if total <= tonumber(ARGV[3]) then
    local pending = tonumber(redis.call('GET', KEYS[2]) or '0')
    redis.call('DEL', KEYS[2])
    return pending
  end
end
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return -1
"""


class RefusalSampler:
    """Decides which refusals are recorded: `app.state.refusal_sampler`."""

    def __init__(self, redis: Any, *, window_s: int, max_per_window: int) -> None:
        self._redis = redis
        self._window_s = window_s
        self._max = max_per_window
        self._script = redis.register_script(_ADMIT)
        # The per-process fallback: key -> (window end, pending count).
        self._local: dict[str, tuple[float, int]] = {}
        self._local_window = (0.0, 0)  # (window end, events recorded in it)

    async def admit(self, who: str, code: str) -> int | None:
        """How many refusals of `who` with `code` went unrecorded before this one, when this
        one is to be recorded; None when it is only counted."""
        key = f"sfm-audit-refusal:{code}:{who}"
        try:
            pending = int(
                await self._script(
                    keys=[key, f"{key}:pending", "sfm-audit-refusal:all"],
                    args=[self._window_s, PENDING_TTL_S, self._max],
                )
            )
        except Exception as exc:  # noqa: BLE001 (any Redis failure: count in this process)
            log.debug("refusal sampling without Redis (%s)", type(exc).__name__)
            return self._admit_locally(key)
        return pending if pending >= 0 else None

    def _admit_locally(self, key: str) -> int | None:
        now = time.monotonic()
        if len(self._local) > MAX_LOCAL_KEYS:
            self._local.clear()
        window_end, pending = self._local.get(key, (0.0, 0))
        if now < window_end or not self._take_global(now):
            self._local[key] = (window_end, pending + 1)
            return None
        self._local[key] = (now + self._window_s, 0)
        return pending

    def _take_global(self, now: float) -> bool:
        end, used = self._local_window
        if now >= end:
            end, used = now + self._window_s, 0
        if used >= self._max:
            return False
        self._local_window = (end, used + 1)
        return True
