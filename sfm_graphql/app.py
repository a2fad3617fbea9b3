"""The ASGI application factory. Connections open in the lifespan, never at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from sfm_graphql.db.bookmarks import HEADER as BOOKMARK_HEADER
from sfm_graphql.db.bookmarks import BookmarkCodec
from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.database import Database, create_driver
from sfm_graphql.db.migration_lock import LockTiming
from sfm_graphql.db.migrations import migrate
from sfm_graphql.graphql.schema import build_schema
from sfm_graphql.http.admission import AdmissionControl
from sfm_graphql.http.app_services import AppServices
from sfm_graphql.http.bookmarks import Bookmarks
from sfm_graphql.http.headers import SecurityHeaders
from sfm_graphql.http.limits import BodySizeLimit
from sfm_graphql.http.login_gate import LoginGate
from sfm_graphql.http.proxy import ProxyHeaders
from sfm_graphql.http.routes import routes
from sfm_graphql.http.server import tune_collector
from sfm_graphql.http.shutdown import install_drain
from sfm_graphql.http.timeout import RequestTimeout
from sfm_graphql.http.view import GraphQLView
from sfm_graphql.observability.access_log import AccessLog
from sfm_graphql.observability.errors import init_sentry
from sfm_graphql.observability.logging import configure_logging
from sfm_graphql.observability.metrics_setup import MetricsSetup
from sfm_graphql.observability.request_context import RequestRecords
from sfm_graphql.observability.tracing import Tracing
from sfm_graphql.security.api_key_cache import ApiKeyCache
from sfm_graphql.security.audit_sampling import RefusalSampler
from sfm_graphql.security.identity import Identity, start_identity, stop_identity
from sfm_graphql.security.login_guard import LoginGuard
from sfm_graphql.security.login_hooks import LoginHooks
from sfm_graphql.security.masking import install_log_masking
from sfm_graphql.security.rate_limit import RateLimiter, WindowCounters
from sfm_graphql.security.secret_checks import SecretChecks
from sfm_graphql.security.secrets import create_secrets_provider
from sfm_graphql.services.access.api_keys import ApiKeyVerifier, api_key_pepper
from sfm_graphql.services.access.persisted import PersistedQueries, StorePolicy
from sfm_graphql.services.analytics.cache import analysis_cache
from sfm_graphql.services.analytics.graph import recent_graphs
from sfm_graphql.services.analytics.jobs import AnalysisJobs
from sfm_graphql.services.analytics.processes import AnalysisProcesses
from sfm_graphql.services.analytics.shared_graphs import share_graphs
from sfm_graphql.settings import Settings, load_settings

log = logging.getLogger(__name__)


def create_served_app() -> Starlette:
    """The app of one `sfm-graphql serve` process, its garbage collector tuned once the app is
    built (http/server.py), its analysis processes started with it rather than by the first
    analysis (a few seconds of start-up)."""
    app = create_app()
    app.state.start_analysis_processes = True
    tune_collector()
    return app


def create_app(settings: Settings | None = None, *, tracing: Tracing | None = None) -> Starlette:
    settings = settings or load_settings()
    install_log_masking()  # credentials never reach a log line (docs/security.md, Audit log)
    # JSON log lines, error tracking, traces (docs/observability.md); `tracing` is for tests.
    configure_logging(settings)
    init_sentry(settings)
    tracing = tracing or Tracing.from_settings(settings)
    registry = CypherRegistry.load()
    metrics = MetricsSetup(settings)  # Prometheus metrics on /metrics (docs/observability.md)

    login_hooks = LoginHooks()  # failed logins and issued tokens at /oauth/token are reported here

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tracing.start()
        driver = create_driver(settings)
        db = Database(driver, registry, settings, tracer=tracing.tracer)
        redis_client = redis.from_url(
            settings.redis_url, socket_timeout=2, socket_connect_timeout=2
        )
        share_graphs(db, redis_client, settings)  # analyses computed in this process
        recent_graphs(db).observer = metrics.graph_load_observer  # where their graphs came from
        # Identity: secrets, signing keys, the token verifier (docs/security.md, Identity).
        identity = await start_identity(settings)
        services = await _open_services(
            settings=settings,
            db=db,
            redis_client=redis_client,
            identity=identity,
            metrics=metrics,
            login_hooks=login_hooks,
        )
        app.state.services = services  # the one typed object routes read (http/app_services.py)
        guard = services.login_guard
        login_hooks.failed_login.append(guard.on_failed_login)
        login_hooks.token_issued.append(guard.on_token_issued)
        await metrics.start(db=db, redis=redis_client, login_hooks=login_hooks)
        # SIGTERM: /readyz fails first, then the server drains (docs/operations/troubleshooting.md).
        uninstall_drain = install_drain(app.state, drain_s=settings.shutdown_drain_s)
        try:
            if settings.migrate_on_start:
                await migrate(driver, settings.neo4j_database, timing=LockTiming.of(settings))
            if getattr(app.state, "start_analysis_processes", False):
                services.analysis_processes.start()
            services.started = True  # /startupz and /readyz answer from here on
            yield
        finally:
            services.started = False
            uninstall_drain()
            await metrics.stop()
            login_hooks.failed_login.remove(guard.on_failed_login)
            login_hooks.token_issued.remove(guard.on_token_issued)
            await stop_identity(identity)
            await services.jobs.close()
            services.analysis_processes.close()
            await services.window_counters.aclose()
            await redis_client.aclose()
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
    return Starlette(
        routes=routes(view, metrics),
        lifespan=lifespan,
        middleware=_middleware(settings, metrics, tracing),
    )


def _middleware(settings: Settings, metrics: MetricsSetup, tracing: Tracing) -> list[Middleware]:
    """The HTTP middleware, outermost first."""
    return [
        # First: everything below sees the client a trusted proxy reports (docs/deployment.md).
        Middleware(
            ProxyHeaders,
            trusted_proxies=settings.trusted_proxies,
            forwarded_header=settings.forwarded_header,
        ),
        # The request's record: its id, codes, operation and status, read by everything below.
        Middleware(RequestRecords),
        *metrics.middleware(),  # request count, duration and error codes
        *tracing.middleware(),  # the HTTP span, when tracing is on
        Middleware(AccessLog),  # the request id on the span, the access-log line
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
            queue_size=settings.admission_queue_limit,
            wait_s=settings.admission_wait_s,
            observer=metrics.admission_observer,
        ),
        Middleware(RequestTimeout, timeout_s=settings.request_timeout_s),
        Middleware(BodySizeLimit, max_bytes=settings.max_request_bytes),
        Middleware(LoginGate),  # before any credential is read
        Middleware(Bookmarks),  # X-Neo4j-Bookmark in and out of /graphql (docs/api.md)
    ]


async def _open_services(
    *,
    settings: Settings,
    db: Database,
    redis_client: redis.Redis,
    identity: Identity,
    metrics: MetricsSetup,
    login_hooks: LoginHooks,
) -> AppServices:
    """Everything the routes need once the database, Redis and identity are open."""
    # One set of counters for the cost budgets and the failed-login gate, so that a request's
    # gate refund and cost spend share one Redis round trip (security/rate_limit.py).
    counters = WindowCounters(settings.redis_url)
    rate_limiter = RateLimiter(counters, window_s=settings.rate_limit_window_s)
    persisted_queries = PersistedQueries(
        redis=redis_client,
        db=db,
        allow_list_only=settings.persisted_queries_only,
        ttl_s=settings.apq_ttl_s,
        # Stores count against the caller's budget (docs/security.md, APQ).
        store_policy=StorePolicy(
            max_bytes=settings.apq_max_bytes,
            cost=settings.apq_store_cost,
            per_window=settings.apq_stores_per_window,
            limiter=rate_limiter,
        ),
        cache_observer=metrics.cache_observer,
    )
    # API keys (the view verifies them, GraphQL manages them) and the bookmark codec share the
    # pepper (docs/security.md, API keys; docs/api.md, read your writes).
    pepper_source = create_secrets_provider(settings)
    try:
        pepper = await api_key_pepper(secrets_provider=pepper_source)
    finally:
        await pepper_source.aclose()
    return AppServices(
        settings=settings,
        db=db,
        redis=redis_client,
        window_counters=counters,
        rate_limiter=rate_limiter,
        persisted_queries=persisted_queries,
        secrets=identity.secrets,
        signing_keys=identity.signing_keys,
        token_verifier=identity.token_verifier,
        api_key_verifier=ApiKeyVerifier(
            db=db,
            cache=ApiKeyCache(redis_client, ttl_s=settings.api_key_cache_ttl_s),
            pepper=pepper,
            cache_observer=metrics.cache_observer,
        ),
        # X-Neo4j-Bookmark tokens, signed with a key of every replica (docs/api.md).
        bookmark_codec=BookmarkCodec(pepper),
        # Failed logins per address (refused by LoginGate) and the login audit.
        login_guard=LoginGuard(
            limiter=RateLimiter(counters, window_s=settings.failed_login_window_s),
            db=db,
            limit=settings.failed_logins_per_ip,
            personal_fields=settings.personal_fields,
        ),
        login_hooks=login_hooks,
        # Flood control for audited refusals before execution (docs/security.md, Audit log).
        refusal_sampler=RefusalSampler(
            redis_client,
            window_s=settings.audit_refusal_window_s,
            max_per_window=settings.audit_refusals_per_window,
        ),
        # Client-secret checks (scrypt) at once, per process (docs/security.md).
        secret_checks=SecretChecks(
            max_concurrent=settings.max_concurrent_secret_checks,
            wait_s=settings.secret_check_wait_s,
        ),
        metrics_setup=metrics,
        # Analysis jobs: queued here, run by `sfm-graphql worker` (docs/analytics.md).
        jobs=AnalysisJobs.from_settings(settings),
        analysis_cache=analysis_cache(settings, db, redis_client, metrics.cache_observer),
        # Cache misses compute in processes of this one's own (docs/analytics.md).
        analysis_processes=AnalysisProcesses(settings, observer=metrics.graph_load_observer),
    )
