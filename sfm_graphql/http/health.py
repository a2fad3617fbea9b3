"""Liveness, readiness and startup probes (docs/observability.md, Health).

- `/healthz`: the process answers; nothing else is checked, so a slow database never gets a
  healthy pod restarted.
- `/readyz`: Neo4j answers a query and every migration is applied (else 503, naming the failing
  check); Redis is checked too, but without it the service still serves (rate limits fall back to
  per-process counters, API keys to the graph), so Redis down is `degraded`, still 200. A ping
  that found every pooled connection in use (OVERLOADED, db/outage.py) is `busy`, still 200:
  the process is full, not broken, and a probe that failed then would take every replica out of
  the Service at the same spike. From SIGTERM on it answers 503 `shutting down`
  (http/shutdown.py).
- `/startupz`: the lifespan has finished (driver, identity, migrations when `migrate_on_start`)
  and every migration is applied: a pod whose migrations run in a separate job starts once the
  job is done.

Checks run concurrently, each bounded by `health_check_timeout_s`, and are not traced.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from opentelemetry.instrumentation.utils import suppress_instrumentation
from starlette.requests import Request
from starlette.responses import JSONResponse

from sfm_graphql.db.migrations import pending_migrations
from sfm_graphql.errors import Overloaded
from sfm_graphql.http.app_services import AppServices, app_services
from sfm_graphql.http.shutdown import draining

OK = "ok"
BUSY = "busy"  # no pooled connection came free in time: Neo4j is reachable, the process is full


async def healthz(request: Request) -> JSONResponse:
    """Alive: the process answers. No dependency is checked."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready: Neo4j answers and migrations are applied. Redis down is reported as degraded."""
    if draining(request.app.state):  # SIGTERM: the load balancer must stop sending
        return _answer("shutting down", {"shutdown": "draining"}, ready=False)
    state = app_services(request.app)
    if state is None or not state.started:
        return _answer("not ready", {"lifespan": "starting"}, ready=False)
    timeout = state.settings.health_check_timeout_s
    with suppress_instrumentation():  # a probe every few seconds is not a trace worth keeping
        neo4j, migrations, redis = await asyncio.gather(
            _check(state.db.read("system/ping"), timeout),
            _migrations(state, timeout),
            _check(state.redis.ping(), timeout),
        )
    checks = {"neo4j": neo4j, "migrations": migrations, "redis": redis}
    ready = neo4j in {OK, BUSY} and migrations == OK
    if not ready:
        return _answer("not ready", checks, ready=False)
    status = "busy" if neo4j == BUSY else "ready" if redis == OK else "degraded"
    return _answer(status, checks, ready=True)


async def startupz(request: Request) -> JSONResponse:
    """Started: the lifespan has run and every migration is applied."""
    state = app_services(request.app)
    if state is None or not state.started:
        return _answer("starting", {"lifespan": "starting"}, ready=False)
    with suppress_instrumentation():
        migrations = await _migrations(state, state.settings.health_check_timeout_s)
    checks = {"lifespan": OK, "migrations": migrations}
    return _answer("started" if migrations == OK else "starting", checks, ready=migrations == OK)


def _answer(status: str, checks: dict[str, str], *, ready: bool) -> JSONResponse:
    body: dict[str, Any] = {"status": status, "checks": checks}
    if not ready:
        body["failing"] = sorted(
            name for name, result in checks.items() if result not in {OK, BUSY}
        )
    return JSONResponse(body, status_code=200 if ready else 503)


async def _check(call: Awaitable[Any], limit_s: float) -> str:
    try:
        await asyncio.wait_for(call, limit_s)
    except TimeoutError:
        return f"failed: no answer within {limit_s:g} s"
    except Overloaded:
        return BUSY
    except Exception as exc:  # noqa: BLE001 (any failure fails the check; its type is reported)
        return f"failed: {type(exc).__name__}"
    return OK


async def _migrations(state: AppServices, limit_s: float) -> str:
    """Pending migrations; once none are, that is remembered (a `migrate down` is followed by a
    rollback of the image, which starts new pods)."""
    if state.migrations_applied:
        return OK
    try:
        pending = await asyncio.wait_for(
            pending_migrations(state.db.driver, state.settings.neo4j_database), limit_s
        )
    except TimeoutError:
        return f"unknown: no answer within {limit_s:g} s"
    except Exception as exc:  # noqa: BLE001
        return f"unknown: {type(exc).__name__}"
    if pending:
        return f"{len(pending)} pending"
    state.migrations_applied = True
    return OK
