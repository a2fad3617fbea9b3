"""Liveness, readiness and startup probes, with dependencies that fail and come back.

The shared test Neo4j and Redis are never stopped: an app built for these tests reaches them
through loopback TCP proxies, and cutting a proxy is the outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.http import health
from sfm_graphql.settings import Settings

pytestmark = pytest.mark.integration

WAIT_S = 30.0  # the longest any probe may take to notice a change


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target until cut; restored on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._forward, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones, as a failed peer or network would."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._open):
            writer.transport.abort()
        await self._server.wait_closed()
        self._server = None

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open.update({writer, upstream_writer})
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            for w in (writer, upstream_writer):
                self._open.discard(w)
                w.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.CancelledError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    writer.transport.abort()


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.netloc.rpartition('@')[0]}@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{netloc}127.0.0.1:{port}"))


@pytest.fixture(scope="module")
async def proxied(settings: Settings) -> AsyncIterator[tuple[Any, TcpProxy, TcpProxy]]:
    """An app whose Neo4j and Redis connections go through proxies the tests can cut."""
    neo4j_url, redis_url = urlsplit(settings.neo4j_uri), urlsplit(settings.redis_url)
    neo4j = TcpProxy(neo4j_url.hostname or "127.0.0.1", neo4j_url.port or 7687)
    redis = TcpProxy(redis_url.hostname or "127.0.0.1", redis_url.port or 6379)
    await neo4j.start()
    await redis.start()
    through = settings.model_copy(
        update={
            "neo4j_uri": _through(settings.neo4j_uri, neo4j.port),
            "redis_url": _through(settings.redis_url, redis.port),
            "health_check_timeout_s": 1.0,
            "neo4j_connect_timeout_s": 1.0,
        }
    )
    app = create_app(through)
    async with app.router.lifespan_context(app):
        yield app, neo4j, redis
    for proxy in (neo4j, redis):
        if proxy._server is not None:
            await proxy.cut()


@pytest.fixture
async def probe(proxied: tuple[Any, TcpProxy, TcpProxy]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=proxied[0]), base_url="http://testserver"
    ) as client:
        yield client


async def _until(
    client: httpx.AsyncClient, path: str, status: int, body_status: str
) -> dict[str, Any]:
    """Probe until it answers `status` with `body_status`; fails after WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    while True:
        started = time.monotonic()
        response = await client.get(path)
        # Each answer comes within the check timeout (1 s here), whatever the dependencies do.
        assert time.monotonic() - started < 5.0
        body: dict[str, Any] = response.json()
        if response.status_code == status and body["status"] == body_status:
            return body
        assert time.monotonic() < deadline, (path, response.status_code, body)
        await asyncio.sleep(0.2)


async def test_all_probes_pass_when_the_dependencies_answer(probe: httpx.AsyncClient) -> None:
    assert (await probe.get("/healthz")).json() == {"status": "ok"}
    ready = await probe.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"neo4j": "ok", "migrations": "ok", "redis": "ok"},
    }
    started = await probe.get("/startupz")
    assert started.status_code == 200
    assert started.json() == {"status": "started", "checks": {"lifespan": "ok", "migrations": "ok"}}


async def test_readiness_fails_naming_neo4j_while_it_is_unreachable_and_recovers(
    proxied: tuple[Any, TcpProxy, TcpProxy], probe: httpx.AsyncClient
) -> None:
    _, neo4j, _ = proxied
    await _until(probe, "/readyz", 200, "ready")
    await neo4j.cut()
    try:
        down = await _until(probe, "/readyz", 503, "not ready")
        assert down["failing"] == ["neo4j"]
        assert down["checks"]["neo4j"].startswith("failed")
        assert down["checks"]["redis"] == "ok"
        # Alive all the same: a restart would not bring the database back.
        assert (await probe.get("/healthz")).status_code == 200
    finally:
        await neo4j.start()
    up = await _until(probe, "/readyz", 200, "ready")
    assert up["checks"]["neo4j"] == "ok"


async def test_without_redis_the_service_is_degraded_but_still_ready(
    proxied: tuple[Any, TcpProxy, TcpProxy], probe: httpx.AsyncClient
) -> None:
    _, _, redis = proxied
    await _until(probe, "/readyz", 200, "ready")
    await redis.cut()
    try:
        degraded = await _until(probe, "/readyz", 200, "degraded")
        assert degraded["checks"]["neo4j"] == "ok"
        assert degraded["checks"]["redis"].startswith("failed")
        assert "failing" not in degraded
    finally:
        await redis.start()
    await _until(probe, "/readyz", 200, "ready")


async def test_pending_migrations_keep_the_service_unready_and_not_started(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def one_pending(*args: Any, **kwargs: Any) -> list[str]:
        return ["9999_not_yet"]

    monkeypatch.setattr(health, "pending_migrations", one_pending)
    app = create_app(settings.model_copy(update={"migrate_on_start": False}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        ready = await client.get("/readyz")
        started = await client.get("/startupz")
    assert ready.status_code == 503 and ready.json()["failing"] == ["migrations"]
    assert ready.json()["checks"]["migrations"] == "1 pending"
    assert started.status_code == 503 and started.json()["status"] == "starting"
    assert started.json()["failing"] == ["migrations"]


async def test_before_the_lifespan_has_run_the_app_is_alive_but_not_started(
    settings: Settings,
) -> None:
    app = create_app(settings)  # no lifespan: no driver, no migrations yet
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        assert (await client.get("/healthz")).status_code == 200
        started = await client.get("/startupz")
        ready = await client.get("/readyz")
    assert started.status_code == 503 and started.json()["failing"] == ["lifespan"]
    assert ready.status_code == 503 and ready.json()["status"] == "not ready"
