"""The rate limiter's budget arithmetic, without Redis."""

from __future__ import annotations

import time

from limits import WindowStats

from sfm_graphql.security.rate_limit import RateLimiter


def test_a_window_opened_this_millisecond_resets_a_window_from_now() -> None:
    limiter = RateLimiter("redis://127.0.0.1:1/0", window_s=120)  # never connects here
    now = time.time()
    reset = limiter._reset_at(WindowStats(reset_time=now, remaining=24), points=25)
    assert now + 119 < reset <= time.time() + 120


def test_an_untouched_budget_and_a_later_reset_are_kept() -> None:
    limiter = RateLimiter("redis://127.0.0.1:1/0", window_s=120)
    now = time.time()
    assert limiter._reset_at(WindowStats(reset_time=now, remaining=25), points=25) == now
    assert limiter._reset_at(WindowStats(reset_time=now + 5, remaining=3), points=25) == now + 5
