"""What the app factory wires for metrics: the middleware, listeners, the timer and the scrape
credential `/metrics` (sfm_graphql/http/metrics.py) checks.

`create_app` builds one `MetricsSetup`, adds its middleware, passes its cache observer
to the caches, and starts and stops it in the lifespan. With `metrics_enabled` false it adds
nothing and observes nothing (the baseline `bench/` compares against).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import disable_created_metrics
from redis.asyncio import Redis
from starlette.middleware import Middleware

from sfm_graphql.db.database import Database
from sfm_graphql.observability.active_users import ActiveUsers
from sfm_graphql.observability.metrics import Metrics
from sfm_graphql.observability.metrics_http import MetricsMiddleware
from sfm_graphql.observability.metrics_refresh import MetricsRefresher, memory_limit_bytes
from sfm_graphql.observability.metrics_scrape import scrape_token
from sfm_graphql.observability.multiprocess import worker_started, worker_stopped
from sfm_graphql.security.login_hooks import LoginHooks
from sfm_graphql.settings import Settings

CacheObserver = Callable[[str, bool], None]


class MetricsSetup:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.enabled = settings.metrics_enabled
        # `*_created` samples would double the series of every counter and histogram, for a
        # start time Prometheus does not need (multiprocess mode never exports them anyway).
        disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client is untyped
        self.metrics = Metrics(
            max_operation_names=settings.metrics_max_operation_names,
            pool_size=settings.neo4j_pool_size,
            active_users=ActiveUsers(window_s=settings.metrics_active_users_window_s),
        )
        self.scrape_token: bytes | None = None  # read in start()
        self.refresher: MetricsRefresher | None = None
        self._listening: tuple[Database, LoginHooks] | None = None

    def middleware(self) -> list[Middleware]:
        """Outermost, so the time and status include every other middleware's work."""
        if not self.enabled:
            return []
        return [Middleware(MetricsMiddleware, metrics=self.metrics)]

    @property
    def admission_observer(self) -> Metrics | None:
        """What admission control (`http/admission.AdmissionObserver`) reports its refusals,
        queue and waits to."""
        return self.metrics if self.enabled else None

    @property
    def graph_load_observer(self) -> Metrics | None:
        """What the analyses (`services/analytics/graph.GraphLoadObserver`) tell where each
        graph came from, in this process or carried back from its analysis processes."""
        return self.metrics if self.enabled else None

    @property
    def cache_observer(self) -> CacheObserver | None:
        return self.metrics.observe_cache if self.enabled else None

    async def start(self, *, db: Database, redis: Redis, login_hooks: LoginHooks) -> None:
        """In the lifespan, once the database and Redis clients exist."""
        if not self.enabled:
            return
        worker_started()
        self.scrape_token = scrape_token(self.settings)  # the credential /metrics accepts
        db.add_listener(self.metrics.observe_statement)
        db.add_connection_listener(self.metrics.connections_changed)
        db.add_retry_listener(self.metrics.write_retried)
        login_hooks.failed_login.append(self.metrics.on_failed_login)
        self._listening = (db, login_hooks)
        self.refresher = MetricsRefresher(
            metrics=self.metrics,
            db=db,
            redis=redis,
            interval_s=self.settings.metrics_refresh_s,
            memory_limit=memory_limit_bytes(self.settings.memory_limit_bytes),
        )
        self.refresher.start()

    async def stop(self) -> None:
        if self.refresher is None or self._listening is None:
            return
        await self.refresher.stop()
        self.refresher = None
        db, login_hooks = self._listening
        self._listening = None
        login_hooks.failed_login.remove(self.metrics.on_failed_login)
        db.remove_listener(self.metrics.observe_statement)
        db.remove_retry_listener(self.metrics.write_retried)
        worker_stopped()

    async def refresh(self) -> None:
        """Sample the timed gauges now (tests; the timer does it every metrics_refresh_s)."""
        if self.refresher is not None:
            await self.refresher.refresh()
