"""The typed per-request context every resolver reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response

from sfm_graphql.db.database import Database
from sfm_graphql.security.principal import ANONYMOUS, Principal
from sfm_graphql.security.rate_limit import Budget, RateLimiter
from sfm_graphql.services.analytics.jobs import AnalysisJobs
from sfm_graphql.settings import Settings


@dataclass
class Context:
    request: Request | None
    response: Response | None
    settings: Settings
    db: Database
    principal: Principal = ANONYMOUS
    client_ip: str = "127.0.0.1"
    rate_limiter: RateLimiter | None = None
    cost: int = 0
    budget: Budget | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    # Analysis jobs: the queue (API side); in a worker, the job's progress report and the flag
    # that lets an analysis use the job bounds. `connection_params`: a WebSocket's init payload.
    jobs: AnalysisJobs | None = None
    progress: Callable[[float], Awaitable[None]] | None = None
    in_job: bool = False
    connection_params: dict[str, Any] | None = None


Info = strawberry.Info[Context, None]
