"""Graceful shutdown of `sfm-graphql serve` on SIGTERM (issue 12, "Overload and shutdown").

The real command runs as a subprocess on a free loopback port. Requests are kept in flight the
way slow ones are in production: updates waiting in Neo4j for locks another writer (the test)
holds. SIGTERM arrives while they wait; `/readyz` fails during the drain time, then new
connections are refused, and once the locks are released every request in flight is answered
200 in full and the process exits 0 within its grace period.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.test_overload import _components, _update, _wait_for, locked
from tests.paths import ROOT
from tests.services import free_port as _free_port

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]

DRAIN_S = 2
GRACE_S = 20
IN_FLIGHT = 4
BLOCKED_UPDATES = (
    "SHOW TRANSACTIONS YIELD currentQuery WHERE currentQuery CONTAINS "
    "'n.version = n.version + 1' AND NOT currentQuery STARTS WITH 'SHOW' RETURN count(*) AS n"
)


def _serve(port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "SFM_ENVIRONMENT": "test",
        "SFM_METRICS_REFRESH_S": "0",
        "SFM_SHUTDOWN_DRAIN_S": str(DRAIN_S),
        "SFM_SHUTDOWN_GRACE_S": str(GRACE_S),
    }
    command = [sys.executable, "-m", "sfm_graphql.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture(params=[1, 2], ids=["1-worker", "2-workers"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, str, Path]]:
    port = _free_port()
    log = tmp_path / "serve.log"
    process = _serve(port, request.param, log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start: {log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield process, url, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _refuses_connections(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) != 0


def _readyz(url: str) -> httpx.Response | None:
    try:  # a fresh connection each time, as a load balancer's probe
        return httpx.get(f"{url}/readyz", timeout=2, headers={"Connection": "close"})
    except httpx.TransportError:
        return None


async def test_sigterm_mid_load_finishes_every_request_in_flight_and_exits_0(
    service: tuple[Any, str, Path], neo4j_driver: Any, issue_token: Any
) -> None:
    process, url, log = service
    port = int(url.rsplit(":", 1)[1])
    headers = {"Authorization": f"Bearer {issue_token('editor')}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        components = await _components(http, IN_FLIGHT)
        with locked(neo4j_driver, [c["uuid"] for c in components]):
            calls = [
                asyncio.create_task(http.post("/graphql", json=_update(c))) for c in components
            ]
            assert await _wait_for(lambda: _blocked(neo4j_driver) == IN_FLIGHT, 10), log.read_text()
            process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            # Readiness fails at once (the supervisor hands the signal on within half a second)
            # while the server still answers...
            not_ready = await _wait_for(lambda: _status(_readyz(url)) == 503, DRAIN_S)
            assert not_ready, log.read_text()
            answer = _readyz(url)
            if answer is not None:  # unless the drain has just ended
                assert answer.json()["status"] == "shutting down"
            # ...then new connections are refused.
            refused = await _wait_for(lambda: _refuses_connections(port), DRAIN_S + 5)
            assert refused, log.read_text()
            assert not any(call.done() for call in calls)  # still waiting for the locks
        answers = await asyncio.gather(*calls)
    for response in answers:
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        assert body["data"]["updateComponent"]["component"]["description"] == "changed"
    exit_status = await asyncio.to_thread(process.wait, GRACE_S)
    assert exit_status == 0, log.read_text()
    assert time.monotonic() - signalled < DRAIN_S + GRACE_S


def _blocked(driver: Any) -> int:
    with driver.session() as session:
        count: int = session.run(BLOCKED_UPDATES).single(strict=True)["n"]
        return count


def _status(response: httpx.Response | None) -> int | None:
    return None if response is None else response.status_code
