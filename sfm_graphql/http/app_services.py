"""The typed services of a running app: one object the lifespan builds (app.py).

Routes and middleware reach it with `app_services(app)`; resolvers never do: the GraphQL view
copies what they need into the typed context (graphql/core/context.py). Before the lifespan has
started there is none; once it has stopped, `started` is False again.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as redis
from starlette.applications import Starlette
from starlette.types import Scope

from sfm_graphql.db.bookmarks import BookmarkCodec
from sfm_graphql.db.database import Database
from sfm_graphql.observability.metrics import Metrics
from sfm_graphql.observability.metrics_setup import MetricsSetup
from sfm_graphql.security.audit_sampling import RefusalSampler
from sfm_graphql.security.login_guard import LoginGuard
from sfm_graphql.security.login_hooks import LoginHooks
from sfm_graphql.security.rate_limit import RateLimiter, WindowCounters
from sfm_graphql.security.secret_checks import SecretChecks
from sfm_graphql.security.secret_provider import SecretsProvider
from sfm_graphql.security.signing import KeyRingStore
from sfm_graphql.security.tokens import JwtVerifier
from sfm_graphql.services.access.api_keys import ApiKeyVerifier
from sfm_graphql.services.access.persisted import PersistedQueries
from sfm_graphql.services.analytics.cache import AnalysisCache
from sfm_graphql.services.analytics.jobs import AnalysisJobs
from sfm_graphql.services.analytics.processes import AnalysisProcesses
from sfm_graphql.settings import Settings


@dataclass(slots=True)
class AppServices:
    settings: Settings
    db: Database
    redis: redis.Redis
    window_counters: WindowCounters  # what both limiters below count in (Redis, or this process)
    rate_limiter: RateLimiter
    persisted_queries: PersistedQueries
    # Identity (docs/security.md): where secrets come from, the built-in issuer's key ring, and
    # the verifier of bearer tokens.
    secrets: SecretsProvider
    signing_keys: KeyRingStore
    token_verifier: JwtVerifier
    api_key_verifier: ApiKeyVerifier
    bookmark_codec: BookmarkCodec  # X-Neo4j-Bookmark tokens (docs/api.md)
    login_guard: LoginGuard  # failed logins per address, refused by LoginGate
    login_hooks: LoginHooks  # logins at the token endpoint are reported here
    refusal_sampler: RefusalSampler  # flood control for audited refusals
    secret_checks: SecretChecks  # client-secret checks (scrypt) at once, per process
    metrics_setup: MetricsSetup
    jobs: AnalysisJobs  # analysis jobs, queued here and run by `sfm-graphql worker`
    analysis_cache: AnalysisCache  # analysis results by (operation, arguments, graph revision)
    analysis_processes: AnalysisProcesses  # where this process's analyses compute
    # /startupz and /readyz: the lifespan has finished starting; no migration is pending.
    started: bool = False
    migrations_applied: bool = False

    @property
    def metrics(self) -> Metrics | None:
        """The metrics to record into, or None when metrics are off."""
        return self.metrics_setup.metrics if self.metrics_setup.enabled else None


def app_services(app: Starlette) -> AppServices | None:
    """The running app's services, or None outside its lifespan."""
    found = getattr(app.state, "services", None)
    return found if isinstance(found, AppServices) else None


def scope_services(scope: Scope) -> AppServices | None:
    """The services of the app serving an ASGI scope (for middleware), or None."""
    app = scope.get("app")
    return app_services(app) if isinstance(app, Starlette) else None


def require_services(app: Starlette) -> AppServices:
    """The running app's services; a route needing them runs only inside the lifespan."""
    found = app_services(app)
    if found is None:
        raise RuntimeError("the app's lifespan has not started: its services are not open")
    return found
