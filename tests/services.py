"""Fixtures of the tests that need the real services, and the clients they hand out.

Integration and end-to-end tests run against the real Neo4j and Redis that `make test` starts;
tests/integration/conftest.py and tests/e2e/conftest.py take their fixtures from here. Run
without make, those suites start the local test instances themselves: a test never skips because
a service is missing. Unit tests (tests/unit/) load nothing from here and need no network.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
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

METRICS_TOKEN = "test-metrics-scrape-credential-0123456789"  # /metrics in the test settings


def _service_environment() -> dict[str, str]:
    """Settings of the test services; starts the local ones when the environment names none."""
    if os.environ.get("SFM_NEO4J_URI") or os.environ.get("NEO4J_URI"):
        return {}
    for script in ("tools/neo4j/neo4j.sh", "tools/redis/redis.sh"):
        subprocess.run([str(ROOT / script), "start", "test"], check=True, cwd=ROOT)
    printed = subprocess.run(
        ["bash", "-c", 'eval "$(tools/env.sh test)" && env'],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    env = {}
    for line in printed.splitlines():
        key, _, value = line.partition("=")
        if key.startswith("SFM_"):
            env[key] = value
    return env


@pytest.fixture(scope="session")
def settings() -> Settings:
    os.environ.update(_service_environment())
    # Many tests share one loopback address: the anonymous budget and the failed-login limit are
    # raised so that only the tests of those limits, with apps of their own, ever exhaust one.
    settings = Settings(environment="test", graphiql=True)
    budgets = {**settings.rate_limit_points_by_role, "anonymous": 10_000_000}
    # Metrics: /metrics answers METRICS_TOKEN; no refresh timer, so its statement never lands in
    # a test that counts statements (the metrics tests refresh when they need to).
    return settings.model_copy(
        update={
            "rate_limit_points_by_role": budgets,
            "failed_logins_per_ip": 1_000_000,
            "metrics_token": SecretStr(METRICS_TOKEN),
            "metrics_refresh_s": 0,
            # Analyses computed in the test process, where coverage measures them; the pool of
            # analysis processes has tests of its own (test_analysis_processes.py), which ask
            # for it, and `serve` subprocesses run with the default.
            "analysis_processes": 0,
        }
    )


@pytest.fixture(scope="session", autouse=True)
def fresh_redis(settings: Settings) -> None:
    """Rate-limit windows and cached keys of earlier runs must not leak into this one."""
    import redis

    client = redis.Redis.from_url(settings.redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture(scope="session")
def neo4j_driver(settings: Settings) -> Iterator[Any]:
    driver = GraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
        notifications_min_severity="OFF",
    )
    yield driver
    driver.close()


def wipe_graph(driver: Any) -> None:
    # CALL ... IN TRANSACTIONS needs an auto-commit transaction, hence session.run.
    with driver.session() as session:
        session.run(
            "MATCH (n) WHERE NOT n:SchemaMigration "
            "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS"
        ).consume()


@pytest.fixture
def clean_graph(neo4j_driver: Any) -> None:
    wipe_graph(neo4j_driver)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def anonymous_client(app: Any, clean_graph: None) -> AsyncIterator[httpx.AsyncClient]:
    """A client sending no credentials."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def client(app: Any, clean_graph: None, issue_token: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client authenticated as an admin with a token of the built-in issuer (MFA shown)."""
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {issue_token('admin', mfa=True)}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as c:
        yield c


class GraphQLClient:
    """Posts operations and returns the decoded response; `data` fails on any error."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self.execute(query, variables)
        assert "errors" not in body, body["errors"]
        result: dict[str, Any] = body["data"]
        return result

    async def error_code(self, query: str, variables: dict[str, Any] | None = None) -> str:
        body = await self.execute(query, variables)
        assert body.get("errors"), body
        code: str = body["errors"][0]["extensions"]["code"]
        return code


@pytest.fixture
async def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


class StatementCounter:
    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, name: str, seconds: float) -> None:
        self.names.append(name)


@pytest.fixture
def statements(app: Any) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    app.state.services.db.add_listener(counter)
    yield counter
    app.state.services.db.remove_listener(counter)


def stop_process(process: subprocess.Popen[bytes], wait_s: float) -> None:
    """Stop a child process the test started: SIGTERM, `wait_s` seconds for it to end, then
    SIGKILL. Nothing to do when it has already exited."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def child_pids(pid: int) -> set[int]:
    """The processes `pid` started (from /proc; none once it has gone)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def is_spawned(pid: int) -> bool:
    """Whether `pid` is a multiprocessing `spawn` child (a uvicorn worker, an analysis process),
    not multiprocessing's resource tracker."""
    command = Path(f"/proc/{pid}/cmdline").read_bytes()
    return b"spawn_main" in command and b"resource_tracker" not in command


def is_running(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(
    app: Any, *, port: int | None = None, start_timeout_s: float = 30, stop_timeout_s: float = 10
) -> Iterator[str]:
    """`app` served over real HTTP by uvicorn in a thread of this process, on `port` (a free
    loopback port when None); yields its base URL once it listens and stops it when the block
    ends. The one way a test serves an app in-process."""
    port = free_port() if port is None else port
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + start_timeout_s
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"the test server on port {port} did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=stop_timeout_s)


@pytest.fixture(scope="session")
def live_server_url(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn over real HTTP on a free loopback port."""
    with serving(create_app(settings)) as url:
        yield url


# -- API keys for tests (docs/security.md, API keys) ----------------------------------------------
# Keys are issued through the service, not GraphQL, so a test can call protected fields before
# any key exists; `keyed_gql(Role.EDITOR)` is a GraphQL client sending such a key as X-API-Key.


@pytest.fixture
async def issue_api_key(app: Any, clean_graph: None) -> Any:
    import datetime as dt

    from sfm_graphql.security.principal import Principal
    from sfm_graphql.services.access.api_keys import create_api_key

    async def issue(
        role: Any,
        *,
        subject: str | None = None,
        expires_in: dt.timedelta = dt.timedelta(days=7),
        allowed_cidrs: list[str] | None = None,
    ) -> str:
        creator = Principal(
            subject=subject or f"test-{role.value}",
            roles=frozenset({role}),
            kind="user",
            issuer="tests",
        )
        issued = await create_api_key(
            db=app.state.services.db,
            pepper=app.state.services.api_key_verifier.pepper,
            max_ttl_days=app.state.services.settings.api_key_max_ttl_days,
            creator=creator,
            name=f"test {role.value}",
            roles=[role],
            expires_at=dt.datetime.now(dt.UTC) + expires_in,
            allowed_cidrs=allowed_cidrs,
        )
        return issued.key

    return issue


@pytest.fixture
async def keyed_gql(app: Any, client: httpx.AsyncClient, issue_api_key: Any) -> AsyncIterator[Any]:
    opened: list[httpx.AsyncClient] = []

    async def make(role_or_key: Any, *, target_app: Any = None, **issue: Any) -> GraphQLClient:
        key = (
            role_or_key
            if isinstance(role_or_key, str)
            else await issue_api_key(role_or_key, **issue)
        )
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=target_app or app),
            base_url="http://testserver",
            headers={"X-API-Key": key},
        )
        opened.append(http)
        return GraphQLClient(http)

    yield make
    for http in opened:
        await http.aclose()


@pytest.fixture
async def token_gql(app: Any, clean_graph: None, issue_token: Any) -> AsyncIterator[Any]:
    """`token_gql(Role.VIEWER, subject="ann")`: a GraphQL client sending a person's bearer token
    (API keys manage keys only as admins, so people manage theirs with a token)."""
    opened: list[httpx.AsyncClient] = []

    def make(role: Any, *, subject: str | None = None, mfa: bool = False) -> GraphQLClient:
        token = issue_token(role.value, subject=subject or f"test-{role.value}", mfa=mfa)
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {token}"},
        )
        opened.append(http)
        return GraphQLClient(http)

    yield make
    for http in opened:
        await http.aclose()


# -- Bearer tokens for tests (docs/security.md, Identity) ------------------------------------------
# `issue_token("admin")` is a token of the built-in issuer signed with the same key ring the app
# under test loads (the local development keys, or whatever the environment configures).


@pytest.fixture(scope="session")
async def key_ring(settings: Settings) -> Any:
    import datetime as dt

    from sfm_graphql.security.secrets import create_secrets_provider
    from sfm_graphql.security.signing import KeyRing

    provider = create_secrets_provider(settings)
    try:
        material = await provider.signing_material()
    finally:
        await provider.aclose()
    return KeyRing.from_material(
        material,
        issuer=settings.auth_issuer_url,
        max_token_ttl=dt.timedelta(seconds=settings.max_token_ttl_s),
    )


@pytest.fixture(scope="session")
def issue_token(key_ring: Any, settings: Settings) -> Any:
    import datetime as dt

    def issue(*roles: str, ttl_s: int = 600, subject: str = "test-user", mfa: bool = False) -> str:
        token: str = key_ring.issue_token(
            subject,
            roles,
            ttl=dt.timedelta(seconds=ttl_s),
            audience=settings.auth_audience,
            amr=["mfa"] if mfa else None,
        )
        return token

    return issue


# -- the analysis worker (`sfm-graphql worker`) as a real process -----------------------------------
# `start_worker(**env)` starts one against the test Redis and Neo4j; every one started is
# terminated (then killed) when the test ends. SFM_TEST_WORKER_LOG names a file for their stderr.


def _worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SFM_ENVIRONMENT": "test", **extra}
    env["SFM_REDIS_URL"] = settings.redis_url
    return env


@pytest.fixture
def start_worker(settings: Settings) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(**extra: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "sfm_graphql.cli", "worker"],
            env=_worker_env(settings, **extra),
            stdout=subprocess.DEVNULL,
            stderr=Path(os.environ.get("SFM_TEST_WORKER_LOG", os.devnull)).open("ab"),  # noqa: SIM115
        )
        started.append(process)
        return process

    yield start
    for process in started:
        stop_process(process, 20)
