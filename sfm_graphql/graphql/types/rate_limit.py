"""The caller's rate-limit budget."""

from __future__ import annotations

import datetime as dt

import strawberry


@strawberry.type(description="Your budget of cost points in the current window.")
class RateLimit:
    limit: int = strawberry.field(description="Points per window.")
    cost: int = strawberry.field(description="What this operation cost.")
    remaining: int
    reset_at: dt.datetime
    window_seconds: int
