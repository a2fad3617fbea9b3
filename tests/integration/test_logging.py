"""Log lines of real requests: one JSON object each, with the request's ids, and no secrets.

The app under test writes its lines to stderr (captured here with `capsys`) and traces into an
in-memory exporter, so a line's `trace_id` can be checked against the request's HTTP span.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import sentry_sdk
import structlog
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import SecretStr
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from sfm_graphql.app import create_app
from sfm_graphql.observability.errors import init_sentry, stop_sentry
from sfm_graphql.observability.logging import configure_logging
from sfm_graphql.observability.tracing import Tracing
from sfm_graphql.security.principal import Role
from sfm_graphql.services.access.api_keys import parse_key
from sfm_graphql.settings import Settings

pytestmark = pytest.mark.integration

LIST = "query ListThem { components(first: 1) { totalCount } }"
REQUEST_FIELDS = ("time", "level", "logger", "message", "request_id", "trace_id", "span_id")


@pytest.fixture(scope="module")
async def logged(settings: Settings) -> AsyncIterator[tuple[Any, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    tracing = Tracing.with_exporter(settings, exporter, batch=False, sample_ratio=1.0)
    app = create_app(settings, tracing=tracing)
    async with app.router.lifespan_context(app):
        yield app, exporter


@pytest.fixture
async def http(
    logged: tuple[Any, InMemorySpanExporter], clean_graph: None
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=logged[0]), base_url="http://testserver"
    ) as client:
        yield client


def _in_days(days: int) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).isoformat()


def _lines(text: str) -> list[dict[str, Any]]:
    """Every line parsed; one that is not a JSON object fails the test."""
    parsed = []
    for line in text.splitlines():
        if line.strip():
            value = json.loads(line)
            assert isinstance(value, dict), line
            parsed.append(value)
    return parsed


def _access_line(lines: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    (line,) = [
        x for x in lines if x["logger"] == "sfm_graphql.access" and x["request_id"] == request_id
    ]
    return line


def _server_trace_id(exporter: InMemorySpanExporter, request_id: str) -> str:
    (server,) = [
        s
        for s in exporter.get_finished_spans()
        if s.kind is SpanKind.SERVER
        and (s.attributes or {}).get("http.request.header.x-request-id") == (request_id,)
    ]
    assert server.context is not None
    return f"{server.context.trace_id:032x}"


async def test_a_request_logs_one_json_access_line_with_its_ids_and_outcome(
    logged: tuple[Any, InMemorySpanExporter],
    http: httpx.AsyncClient,
    issue_token: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, exporter = logged
    token = issue_token("viewer", subject="log-tester")
    capsys.readouterr()
    response = await http.post(
        "/graphql",
        json={"query": LIST},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-logging-1"},
    )
    assert response.status_code == 200 and "errors" not in response.json()
    assert response.headers["X-Request-ID"] == "req-logging-1"

    line = _access_line(_lines(capsys.readouterr().err), "req-logging-1")
    assert list(line)[: len(REQUEST_FIELDS)] == list(REQUEST_FIELDS)
    assert line["level"] == "info" and line["message"] == "POST /graphql 200"
    assert line["trace_id"] == _server_trace_id(exporter, "req-logging-1")
    assert re.fullmatch(r"[0-9a-f]{16}", line["span_id"])
    assert line["principal"] == "log-tester"
    assert line["operation"] == "ListThem" and line["operation_type"] == "query"
    assert line["status"] == 200 and line["outcome"] == "success"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0


async def test_a_refused_request_logs_its_outcome_and_code(
    http: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    await http.post("/graphql", json={"query": LIST}, headers={"X-Request-ID": "anon-1"})
    await http.post(
        "/graphql",
        content=b"{not json",
        headers={"Content-Type": "application/json", "X-Request-ID": "bad-json-1"},
    )
    lines = _lines(capsys.readouterr().err)

    anonymous = _access_line(lines, "anon-1")
    assert anonymous["principal"] == "anonymous"
    assert anonymous["outcome"] == "client_error" and anonymous["error_code"] == "UNAUTHENTICATED"
    malformed = _access_line(lines, "bad-json-1")
    assert malformed["status"] == 400 and malformed["outcome"] == "client_error"
    assert malformed["error_code"] == "BAD_REQUEST"


async def test_a_malformed_or_missing_request_id_is_replaced_by_a_fresh_one(
    http: httpx.AsyncClient,
) -> None:
    for bad in ("has spaces in it", "x" * 129, "semi;colon", "-leading-dash", ""):
        response = await http.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"]), bad
    fresh = (await http.get("/healthz")).headers["X-Request-ID"]
    again = (await http.get("/healthz")).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", fresh) and fresh != again
    kept = "7f3a-trace.from:the/proxy@edge=1"
    assert (await http.get("/healthz", headers={"X-Request-ID": kept})).headers[
        "X-Request-ID"
    ] == kept


async def test_no_token_key_password_or_personal_field_reaches_the_logs(
    http: httpx.AsyncClient,
    issue_token: Any,
    issue_api_key: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = issue_token("admin", mfa=True)
    api_key = await issue_api_key(Role.EDITOR)
    forged_token = token[:-8] + "AAAAAAAA"
    _, forged_secret = parse_key(api_key)
    forged_key = api_key.replace(forged_secret, "B" * len(forged_secret))
    capsys.readouterr()

    created = await http.post(
        "/graphql",
        json={
            "query": "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }",
            "variables": {
                "input": {"name": "logged", "roles": ["VIEWER"], "expiresAt": _in_days(30)}
            },
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    new_key = created.json()["data"]["createApiKey"]["key"]
    await http.post("/graphql", json={"query": LIST}, headers={"X-API-Key": api_key})
    await http.post("/graphql", json={"query": LIST}, headers={"X-API-Key": forged_key})
    await http.post(
        "/graphql", json={"query": LIST}, headers={"Authorization": f"Bearer {forged_token}"}
    )
    # Lines written by code that forgot to be careful, through both logging APIs.
    logging.getLogger("sfm_graphql.tests").warning(
        "retrying with Bearer %s and password=hunter2-secret", token, extra={"api_key": api_key}
    )
    structlog.get_logger("sfm_graphql.tests").warning(
        "login", access_token=token, email="alice@example.org", note=f"key {new_key}"
    )
    captured = capsys.readouterr()
    text = captured.out + captured.err

    lines = _lines(captured.err)
    assert len(lines) >= 6
    secrets = {
        "bearer token": token,
        "forged token": forged_token,
        "API key": api_key,
        "API key secret": forged_secret,
        "forged API key": forged_key,
        "new API key": new_key,
        "password": "hunter2-secret",
        "email": "alice@example.org",
    }
    leaked = [name for name, secret in secrets.items() if secret in text]
    assert leaked == []
    assert "[MASKED]" in text


async def test_an_unexpected_error_is_logged_once_as_json_with_its_ids(
    logged: tuple[Any, InMemorySpanExporter],
    http: httpx.AsyncClient,
    issue_token: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, _ = logged
    token = issue_token("viewer")

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"lost the connection holding Bearer {token}")

    monkeypatch.setattr(app.state.services.db, "run_composed", broken)
    capsys.readouterr()
    body = (
        await http.post(
            "/graphql",
            json={"query": LIST},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "boom-1"},
        )
    ).json()
    lines = _lines(capsys.readouterr().err)

    extensions = body["errors"][0]["extensions"]
    (line,) = [x for x in lines if x["logger"] == "sfm_graphql.graphql.core.errors"]
    assert line["level"] == "error" and extensions["errorId"] in line["message"]
    assert line["trace_id"] == extensions["traceId"] and line["request_id"] == "boom-1"
    assert "RuntimeError: lost the connection" in line["exception"]
    assert token not in json.dumps(line)
    access = _access_line(lines, "boom-1")
    assert access["outcome"] == "server_error" and access["error_code"] == "INTERNAL_SERVER_ERROR"
    assert access["level"] == "warning"


def test_the_level_comes_from_the_settings(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
        logging.getLogger("sfm_graphql.tests").info("not at WARNING")
        logging.getLogger("sfm_graphql.tests").warning("at WARNING")
        configure_logging(settings.model_copy(update={"log_level": "debug"}))
        structlog.get_logger("sfm_graphql.tests").debug("at DEBUG")
        with pytest.raises(ValueError, match="unknown log level"):
            configure_logging(settings.model_copy(update={"log_level": "LOUD"}))
    finally:
        configure_logging(settings)
    messages = [line["message"] for line in _lines(capsys.readouterr().err)]
    assert messages == ["at WARNING", "at DEBUG"]


class _CapturingTransport(Transport):
    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        event = envelope.get_event()
        if event is not None:
            self.events.append(dict(event))


@pytest.fixture
def sentry(settings: Settings) -> Iterator[_CapturingTransport]:
    transport = _CapturingTransport()
    configured = settings.model_copy(
        update={"sentry_dsn": SecretStr("https://public@sentry.invalid/1")}
    )
    assert init_sentry(configured, transport=transport)
    try:
        yield transport
    finally:
        stop_sentry()


# sentry-sdk 2.75 deprecates send_default_pii for data_collection, which older 2.x releases
# (pyproject allows >=2.0) reject; the option is kept, and its warning is expected.
@pytest.mark.filterwarnings("ignore:The send_default_pii option is deprecated:DeprecationWarning")
async def test_unexpected_errors_go_to_sentry_with_their_ids_and_without_personal_data(
    logged: tuple[Any, InMemorySpanExporter],
    http: httpx.AsyncClient,
    issue_token: Any,
    sentry: _CapturingTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, _ = logged
    token = issue_token("viewer")
    email = "alice" + "@example.org"  # built here: Sentry sends source lines as frame context

    async def broken(*args: Any, **kwargs: Any) -> Any:
        # A breadcrumb first: personal fields are masked by their key.
        logging.getLogger("sfm_graphql.tests").info("user", extra={"email": email})
        raise RuntimeError(f"failed for Bearer {token} with password=hunter2-secret")

    monkeypatch.setattr(app.state.services.db, "run_composed", broken)
    body = (
        await http.post(
            "/graphql",
            json={"query": LIST},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "sentry-1"},
        )
    ).json()
    sentry_sdk.flush(timeout=2)

    extensions = body["errors"][0]["extensions"]
    (event,) = sentry.events
    assert event["tags"]["error_id"] == extensions["errorId"]
    assert event["tags"]["trace_id"] == extensions["traceId"]
    assert event["tags"]["request_id"] == "sentry-1"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    sent = json.dumps(event, default=str)
    for secret in (token, "hunter2-secret", email):
        assert secret not in sent
    assert "request" not in event or "headers" not in event["request"]
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    assert all("vars" not in frame for frame in frames)
