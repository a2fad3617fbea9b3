"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from sfm_graphql.db.migrations import pending_migrations

CHECK_TIMEOUT_S = 2.0


async def healthz(request: Request) -> JSONResponse:
    """Alive: the process answers. No dependency is checked."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready: Neo4j answers and migrations are applied. Redis down is reported as degraded."""
    state = request.app.state
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(state.db.read("system/ping"), CHECK_TIMEOUT_S)
        pending = await asyncio.wait_for(
            pending_migrations(state.db.driver, state.settings.neo4j_database), CHECK_TIMEOUT_S
        )
        checks["neo4j"] = "ok"
        checks["migrations"] = "ok" if not pending else f"{len(pending)} pending"
    except Exception as exc:  # noqa: BLE001 (any failure means not ready; the name is reported)
        checks["neo4j"] = f"failed: {type(exc).__name__}"
    try:
        await asyncio.wait_for(state.redis.ping(), CHECK_TIMEOUT_S)
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"degraded: {type(exc).__name__}"
    ready = checks.get("neo4j") == "ok" and checks.get("migrations") == "ok"
    status = "ready" if ready else "not ready"
    if ready and checks["redis"] != "ok":
        status = "degraded"
    return JSONResponse({"status": status, "checks": checks}, status_code=200 if ready else 503)
