"""Fail fast when Neo4j is gone: SIGKILL the database under a write load, then bring it back.

The test runs a Neo4j of its own (instance `outage` of tools/neo4j/neo4j.sh, on a free loopback
port, with its own home under .local/neo4j/outage/), because it kills the JVM: the shared test
instance must not die under the other tests. The app is served by uvicorn on loopback and a
few clients keep creating components over HTTP before, during and after the outage.

What must hold: every acknowledged write (HTTP 200 with data) is in the graph afterwards; every
request answered within the outage bound, a failed one with 503, `Retry-After` and only
SERVICE_UNAVAILABLE errors; `/readyz` says 503 during the outage and 200 after; and writes
succeed again without the service being restarted.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from neo4j import GraphDatabase
from pydantic import SecretStr

from sfm_graphql.app import create_app
from sfm_graphql.settings import Settings
from tests.paths import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

NEO4J = ROOT / "tools" / "neo4j" / "neo4j.sh"
INSTANCE = "outage"
HOME = ROOT / ".local" / "neo4j" / INSTANCE
BOUND_S = 5.0  # neo4j_unavailable_timeout_s: the longest an outage request may take
WORKERS = 4
CREATE = """
mutation Load($input: CreateComponentInput!) {
  createComponent(input: $input) { component { uuid label } }
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _neo4j(command: str, port: int) -> str:
    env = {**os.environ, "SFM_NEO4J_PORT": str(port)}
    done = subprocess.run(
        [str(NEO4J), command, INSTANCE],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=150,
    )
    return done.stdout.strip()


def _kill_jvm() -> None:
    """SIGKILL the outage instance's JVM: only the process of that home, found by its pid file."""
    pid = int((HOME / "run" / "neo4j.pid").read_text().strip())
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    assert f"--home-dir={HOME} ".encode() in cmdline, "the pid file names another process"
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@dataclass(frozen=True)
class Answer:
    label: str
    started: float  # monotonic
    seconds: float
    status: int
    body: dict[str, Any] | None
    retry_after: str | None

    @property
    def acknowledged(self) -> bool:
        return self.status == 200 and bool(self.body) and not (self.body or {}).get("errors")

    @property
    def codes(self) -> set[str]:
        errors = (self.body or {}).get("errors") or []
        return {e.get("extensions", {}).get("code") for e in errors}


@pytest.fixture(scope="module")
def outage_neo4j() -> Iterator[int]:
    port = free_port()
    _neo4j("start", port)
    yield port
    _neo4j("stop", port)


@pytest.fixture
def outage_server(settings: Settings, outage_neo4j: int) -> Iterator[str]:
    password = _neo4j("password", outage_neo4j)
    app_settings = settings.model_copy(
        update={
            "neo4j_uri": f"neo4j://127.0.0.1:{outage_neo4j}",
            "neo4j_password": SecretStr(password),
            "neo4j_unavailable_timeout_s": BOUND_S,
            "neo4j_unavailable_retry_after_s": 2,
        }
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(app_settings), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture
async def http(outage_server: str, issue_token: Any) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {issue_token('editor', ttl_s=1800)}"}
    # A long client timeout: the test measures how long the service takes, it does not cut it.
    async with httpx.AsyncClient(base_url=outage_server, headers=headers, timeout=60) as client:
        yield client


class Load:
    """A few workers creating one component per request until stopped."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.answers: list[Answer] = []
        self.stopped = asyncio.Event()

    async def worker(self, n: int) -> None:
        i = 0
        while not self.stopped.is_set():
            label = f"load-{n}-{i}"
            i += 1
            started = time.monotonic()
            response = await self.http.post(
                "/graphql",
                json={"query": CREATE, "variables": {"input": {"type": "POLICY", "label": label}}},
            )
            seconds = time.monotonic() - started
            try:
                body = response.json()
            except ValueError:
                body = None
            self.answers.append(
                Answer(
                    label,
                    started,
                    seconds,
                    response.status_code,
                    body,
                    response.headers.get("retry-after"),
                )
            )
            await asyncio.sleep(0.05)

    def since(self, moment: float) -> list[Answer]:
        return [a for a in self.answers if a.started + a.seconds >= moment]


async def _readyz(http: httpx.AsyncClient) -> int:
    return (await http.get("/readyz")).status_code


async def test_a_killed_neo4j_fails_requests_fast_and_the_service_recovers_by_itself(
    http: httpx.AsyncClient, outage_neo4j: int
) -> None:
    began = time.monotonic()
    assert await _readyz(http) == 200
    load = Load(http)
    workers = [asyncio.create_task(load.worker(n)) for n in range(WORKERS)]
    try:
        # Writes that succeed (a fresh JVM answers its first statements slowly).
        warm_until = time.monotonic() + 30
        while sum(a.acknowledged for a in load.answers) < 4 * WORKERS:
            assert time.monotonic() < warm_until, load.answers[:3]
            await asyncio.sleep(0.1)

        killed_at = time.monotonic()
        await asyncio.to_thread(_kill_jvm)
        await asyncio.sleep(1)
        ready_during = await _readyz(http)
        await asyncio.sleep(4)  # the outage, under load

        starting_at = time.monotonic()
        await asyncio.to_thread(_neo4j, "start", outage_neo4j)  # the load keeps going meanwhile
        restarted_at = time.monotonic()
        recovered_at = None
        while time.monotonic() - restarted_at < 30:
            if any(a.acknowledged and a.started >= restarted_at for a in load.answers):
                recovered_at = time.monotonic()
                break
            await asyncio.sleep(0.2)
        ready_after = await _readyz(http)
    finally:
        load.stopped.set()
        await asyncio.gather(*workers)

    if os.environ.get("SFM_OUTAGE_DEBUG"):
        for a in load.since(killed_at):
            print(f"{a.started - killed_at:7.2f} {a.seconds:6.2f} {a.status} {sorted(a.codes)}")
        print("start", starting_at - killed_at, "ready", restarted_at - killed_at)
    during = [a for a in load.since(killed_at) if a.started < (recovered_at or restarted_at)]
    refused = [a for a in during if not a.acknowledged]
    assert refused, "no request was sent during the outage"
    # Bounded: every refusal, and every request of the outage proper (before the restart
    # began). Once Neo4j is starting again a statement may wait on the booting server, like any
    # slow statement; it then succeeds.
    slow = [
        a
        for a in load.since(killed_at)
        if a.seconds > BOUND_S and (not a.acknowledged or a.started < starting_at)
    ]
    assert not slow, f"answered after more than {BOUND_S} s: {slow[:3]}"
    wrong = [a for a in refused if a.status != 503 or a.codes != {"SERVICE_UNAVAILABLE"}]
    assert not wrong, wrong[:3]
    assert all(a.retry_after and int(a.retry_after) >= 1 for a in refused)
    assert ready_during == 503
    assert recovered_at is not None, "no write succeeded after Neo4j came back"
    assert ready_after == 200

    acknowledged = {a.label for a in load.answers if a.acknowledged}
    password = _neo4j("password", outage_neo4j)
    uri = f"bolt://127.0.0.1:{outage_neo4j}"
    with GraphDatabase.driver(uri, auth=("neo4j", password)) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (c:Component) WHERE c.label IN $labels RETURN c.label AS label",
            labels=sorted(acknowledged),
        )
    stored = {r["label"] for r in records}
    assert acknowledged - stored == set(), "acknowledged writes were lost"
    print(
        f"outage test: {len(load.answers)} requests, {len(acknowledged)} acknowledged, "
        f"{len(refused)} refused during the outage, slowest "
        f"{max(a.seconds for a in load.since(killed_at)):.2f} s, "
        f"restart took {restarted_at - killed_at:.1f} s, test body {time.monotonic() - began:.1f} s"
    )
