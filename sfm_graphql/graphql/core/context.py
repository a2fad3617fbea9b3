"""The typed per-request context every resolver reads.

Resolvers never see the HTTP request: the GraphQL view (http/view.py) copies into the context
what they need from the request (the caller, the address, the request id) and from the app's
services.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import strawberry

from sfm_graphql.db.database import Database
from sfm_graphql.observability.metrics import Metrics
from sfm_graphql.security.audit_sampling import RefusalSampler
from sfm_graphql.security.principal import ANONYMOUS, Principal
from sfm_graphql.security.rate_limit import Budget, RateLimiter
from sfm_graphql.services.access.api_keys import ApiKeyVerifier
from sfm_graphql.services.analytics.cache import AnalysisCache
from sfm_graphql.services.analytics.jobs import AnalysisJobs
from sfm_graphql.services.analytics.processes import AnalysisProcesses
from sfm_graphql.settings import Settings


@dataclass
class Context:
    settings: Settings
    db: Database
    principal: Principal = ANONYMOUS
    client_ip: str = "127.0.0.1"
    request_id: str | None = None  # the request's record (observability/request_context.py)
    rate_limiter: RateLimiter | None = None
    api_key_verifier: ApiKeyVerifier | None = None
    refusal_sampler: RefusalSampler | None = None
    metrics: Metrics | None = None  # None when metrics are off
    cost: int = 0
    budget: Budget | None = None
    # Analysis jobs: the queue (API side); in a worker, the job's progress report and the flag
    # that lets an analysis use the job bounds (docs/analytics.md).
    jobs: AnalysisJobs | None = None
    analysis_cache: AnalysisCache | None = None  # results by (operation, arguments, revision)
    analysis_processes: AnalysisProcesses | None = None  # None: misses compute in this process
    progress: Callable[[float], Awaitable[None]] | None = None
    in_job: bool = False
    # A WebSocket's `connection_init` payload, and the check of the credentials in it (or on
    # the upgrade request) that the view builds: resolvers use neither.
    connection_params: dict[str, Any] | None = None
    authenticate_connection: Callable[[dict[str, Any]], Awaitable[Principal]] | None = None


Info = strawberry.Info[Context, None]
