"""The ASGI application factory. Connections open in the lifespan, never at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from sfm_graphql.db.bookmarks import HEADER as BOOKMARK_HEADER
from sfm_graphql.db.bookmarks import BookmarkCodec
from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.database import Database, create_driver
from sfm_graphql.db.migration_lock import LockTiming
from sfm_graphql.db.migrations import migrate
from sfm_graphql.graphql.schema import build_schema
from sfm_graphql.http.admission import AdmissionControl
from sfm_graphql.http.bookmarks import Bookmarks
from sfm_graphql.http.graphiql import GRAPHIQL_STATIC_DIR
from sfm_graphql.http.headers import SecurityHeaders
from sfm_graphql.http.health import healthz, readyz, startupz
from sfm_graphql.http.limits import BodySizeLimit
from sfm_graphql.http.login_gate import LoginGate
from sfm_graphql.http.metrics import metrics_routes
from sfm_graphql.http.proxy import ProxyHeaders
from sfm_graphql.http.shutdown import install_drain
from sfm_graphql.http.timeout import RequestTimeout
from sfm_graphql.http.view import GraphQLView
from sfm_graphql.observability.access_log import AccessLog
from sfm_graphql.observability.errors import init_sentry
from sfm_graphql.observability.logging import configure_logging
from sfm_graphql.observability.metrics_setup import MetricsSetup
from sfm_graphql.observability.tracing import Tracing
from sfm_graphql.security.api_key_cache import ApiKeyCache
from sfm_graphql.security.api_keys import ApiKeyVerifier, api_key_pepper
from sfm_graphql.security.audit_sampling import RefusalSampler
from sfm_graphql.security.identity import start_identity, stop_identity
from sfm_graphql.security.login_guard import LoginGuard
from sfm_graphql.security.masking import install_log_masking
from sfm_graphql.security.oauth_server import LoginHooks, oauth_routes
from sfm_graphql.security.persisted_queries import PersistedQueries, StorePolicy
from sfm_graphql.security.rate_limit import RateLimiter
from sfm_graphql.security.secret_checks import SecretChecks
from sfm_graphql.security.secrets import create_secrets_provider
from sfm_graphql.services.analytics.jobs import AnalysisJobs
from sfm_graphql.settings import Settings, load_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, tracing: Tracing | None = None) -> Starlette:
    settings = settings or load_settings()
    install_log_masking()  # credentials never reach a log line (docs/security.md, Audit log)
    # JSON log lines, error tracking, traces (docs/observability.md); `tracing` is for tests.
    configure_logging(settings)
    init_sentry(settings)
    tracing = tracing or Tracing.from_settings(settings)
    registry = CypherRegistry.load()
    metrics = MetricsSetup(settings)  # Prometheus metrics on /metrics (docs/observability.md)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tracing.start()
        driver = create_driver(settings)
        app.state.db = Database(driver, registry, settings, tracer=tracing.tracer)
        app.state.redis = redis.from_url(
            settings.redis_url, socket_timeout=2, socket_connect_timeout=2
        )
        app.state.rate_limiter = RateLimiter(
            settings.redis_url, window_s=settings.rate_limit_window_s
        )
        app.state.persisted_queries = PersistedQueries(
            redis=app.state.redis,
            db=app.state.db,
            allow_list_only=settings.persisted_queries_only,
            ttl_s=settings.apq_ttl_s,
            # Stores count against the caller's budget (docs/security.md, APQ).
            store_policy=StorePolicy(
                max_bytes=settings.apq_max_bytes,
                cost=settings.apq_store_cost,
                per_window=settings.apq_stores_per_window,
                limiter=app.state.rate_limiter,
            ),
            cache_observer=metrics.cache_observer,
        )
        # Analysis jobs: queued here, run by `sfm-graphql worker` (docs/analytics.md).
        app.state.jobs = AnalysisJobs.from_settings(settings)
        # Identity: secrets, signing keys, app.state.token_verifier (docs/security.md, Identity).
        await start_identity(app, settings)
        await _start_api_keys(app, settings, metrics)
        # Failed logins per address (refused by LoginGate) and the login audit (docs/security.md).
        guard = LoginGuard(
            limiter=RateLimiter(settings.redis_url, window_s=settings.failed_login_window_s),
            db=app.state.db,
            limit=settings.failed_logins_per_ip,
            personal_fields=settings.personal_fields,
        )
        app.state.login_guard = guard
        # Flood control for audited refusals before execution (docs/security.md, Audit log).
        app.state.refusal_sampler = RefusalSampler(
            app.state.redis,
            window_s=settings.audit_refusal_window_s,
            max_per_window=settings.audit_refusals_per_window,
        )
        # Client-secret checks (scrypt) at once, per process (docs/security.md).
        app.state.secret_checks = SecretChecks(
            max_concurrent=settings.max_concurrent_secret_checks,
            wait_s=settings.secret_check_wait_s,
        )
        app.state.login_hooks.failed_login.append(guard.on_failed_login)
        app.state.login_hooks.token_issued.append(guard.on_token_issued)
        await metrics.start(app)
        # SIGTERM: /readyz fails first, then the server drains (docs/operations/troubleshooting.md).
        uninstall_drain = install_drain(app.state, drain_s=settings.shutdown_drain_s)
        try:
            if settings.migrate_on_start:
                await migrate(driver, settings.neo4j_database, timing=LockTiming.of(settings))
            app.state.started = True  # /startupz and /readyz answer from here on
            yield
        finally:
            app.state.started = False
            uninstall_drain()
            await metrics.stop(app)
            app.state.login_hooks.failed_login.remove(guard.on_failed_login)
            app.state.login_hooks.token_issued.remove(guard.on_token_issued)
            await stop_identity(app)
            await app.state.jobs.close()
            await app.state.redis.aclose()
            await driver.close()
            tracing.shutdown()

    view = GraphQLView(
        build_schema(settings, tracer=tracing.tracer),
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=True,
        # bulkImportFile (GraphQL multipart request spec); the view requires a preflight header
        # on multipart requests, so a cross-site form cannot post one (docs/security.md).
        multipart_uploads_enabled=True,
    )
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/startupz", startupz),
        Route("/graphql", view),
        WebSocketRoute("/graphql", view),  # subscriptions (graphql-transport-ws)
        *metrics_routes(metrics),  # /metrics, for the scrape credential only
        *oauth_routes(),  # /oauth/token, /.well-known/jwks.json, /.well-known/openid-configuration
        Mount("/static/graphiql", StaticFiles(directory=GRAPHIQL_STATIC_DIR), name="graphiql"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=_middleware(settings, metrics, tracing),
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.login_hooks = LoginHooks()  # failed logins and issued tokens are reported here
    return app


def _middleware(settings: Settings, metrics: MetricsSetup, tracing: Tracing) -> list[Middleware]:
    """The HTTP middleware, outermost first."""
    return [
        # First: everything below sees the client a trusted proxy reports (docs/deployment.md).
        Middleware(
            ProxyHeaders,
            trusted_proxies=settings.trusted_proxies,
            forwarded_header=settings.forwarded_header,
        ),
        *metrics.middleware(),  # request count, duration and error codes
        *tracing.middleware(),  # the HTTP span, when tracing is on
        Middleware(AccessLog),  # request id, access-log line
        Middleware(SecurityHeaders),
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-API-Key",
                "X-Request-ID",
                "Apollo-Require-Preflight",
                "X-Requested-With",
                BOOKMARK_HEADER,
            ],
            # Credentials are never allowed together with a wildcard origin.
            allow_credentials="*" not in settings.cors_origins,
            expose_headers=[BOOKMARK_HEADER],  # read your writes (docs/api.md)
            max_age=600,
        ),
        # Overload and timeouts (docs/operations/troubleshooting.md). Their 503 and 504 are
        # answered like every other error: logged, traced, with the security and CORS headers.
        Middleware(
            AdmissionControl,
            limit=settings.concurrency_limit,
            retry_after_s=settings.overload_retry_after_s,
            on_refused=metrics.on_overload,
        ),
        Middleware(RequestTimeout, timeout_s=settings.request_timeout_s),
        Middleware(BodySizeLimit, max_bytes=settings.max_request_bytes),
        Middleware(LoginGate),  # before any credential is read
        Middleware(Bookmarks),  # X-Neo4j-Bookmark in and out of /graphql (docs/api.md)
    ]


async def _start_api_keys(app: Starlette, settings: Settings, metrics: MetricsSetup) -> None:
    """API keys (the view verifies them, GraphQL manages them) and the bookmark codec, which
    share the pepper (docs/security.md, API keys; docs/api.md, read your writes)."""
    pepper_source = create_secrets_provider(settings)
    try:
        pepper = await api_key_pepper(secrets_provider=pepper_source)
    finally:
        await pepper_source.aclose()
    app.state.api_key_verifier = ApiKeyVerifier(
        db=app.state.db,
        cache=ApiKeyCache(app.state.redis, ttl_s=settings.api_key_cache_ttl_s),
        pepper=pepper,
        cache_observer=metrics.cache_observer,
    )
    # X-Neo4j-Bookmark tokens, signed with a key of every replica (docs/api.md).
    app.state.bookmark_codec = BookmarkCodec(pepper)
