"""The caller's rate-limit budget: the `rateLimit` type and its resolver."""

from __future__ import annotations

import datetime as dt

import strawberry

from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.limits import budget_points, rate_limit_key


@strawberry.type(description="Your budget of cost points in the current window.")
class RateLimit:
    limit: int = strawberry.field(description="Points per window.")
    cost: int = strawberry.field(description="What this operation cost.")
    remaining: int
    reset_at: dt.datetime
    window_seconds: int


async def rate_limit(info: Info) -> RateLimit:
    context = info.context
    settings = context.settings
    points = budget_points(settings, context.principal)
    budget = context.budget
    if budget is None and context.rate_limiter is not None:
        budget = await context.rate_limiter.peek(
            rate_limit_key(context.principal, context.client_ip), points=points
        )
    remaining = budget.remaining if budget else points
    reset = budget.reset_at if budget else dt.datetime.now(dt.UTC).timestamp()
    return RateLimit(
        limit=points,
        cost=context.cost,
        remaining=remaining,
        reset_at=dt.datetime.fromtimestamp(reset, dt.UTC),
        window_seconds=settings.rate_limit_window_s,
    )
