"""Traces of real requests: HTTP span → operation → resolver → Cypher, without values.

The app under test is built with an in-memory span exporter (every trace sampled); the requests
go through the whole ASGI stack to the real Neo4j and Redis.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from sfm_graphql.app import create_app
from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.observability.tracing import Tracing
from sfm_graphql.settings import Settings
from tests.integration.helpers import CREATE_COMPONENT

pytestmark = pytest.mark.integration

DISTINCTIVE = "Quokka-7f3a9c-never-in-a-span"
FIND = """query FindIt($t: String!) {
  components(first: 5, filter: {externalKey: $t}) { totalCount edges { node { id label } } }
}"""


@pytest.fixture(scope="module")
async def traced(settings: Settings) -> AsyncIterator[tuple[Any, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    tracing = Tracing.with_exporter(settings, exporter, batch=False, sample_ratio=1.0)
    app = create_app(settings, tracing=tracing)
    async with app.router.lifespan_context(app):
        yield app, exporter


@pytest.fixture
async def http(
    traced: tuple[Any, InMemorySpanExporter], clean_graph: None, issue_token: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app, exporter = traced
    headers = {"Authorization": f"Bearer {issue_token('admin', mfa=True)}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    ) as client:
        exporter.clear()
        yield client


def _spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return list(exporter.get_finished_spans())


def _trace_of(spans: list[ReadableSpan], request_id: str) -> list[ReadableSpan]:
    """Every span of the request whose HTTP span carries this X-Request-ID."""
    server = next(
        s
        for s in spans
        if s.kind is SpanKind.SERVER
        and (s.attributes or {}).get("http.request.header.x-request-id") == (request_id,)
    )
    assert server.context is not None and server.parent is None
    return [s for s in spans if s.context and s.context.trace_id == server.context.trace_id]


def _by_id(spans: Iterable[ReadableSpan]) -> dict[int, ReadableSpan]:
    return {s.context.span_id: s for s in spans if s.context is not None}


def _parent(span: ReadableSpan, index: dict[int, ReadableSpan]) -> ReadableSpan | None:
    return index.get(span.parent.span_id) if span.parent is not None else None


def _ancestry(span: ReadableSpan, index: dict[int, ReadableSpan]) -> list[str]:
    names = []
    current: ReadableSpan | None = span
    while current is not None:
        names.append(current.name)
        current = _parent(current, index)
    return names


def _everything_recorded(span: ReadableSpan) -> str:
    """Name, attributes and event attributes of a span as one text."""
    recorded: list[Any] = [span.name, dict(span.attributes or {})]
    recorded += [(e.name, dict(e.attributes or {})) for e in span.events]
    return json.dumps(recorded, default=str)


async def _post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], request_id: str
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_query_is_traced_from_the_http_span_down_to_its_cypher_statement(
    traced: tuple[Any, InMemorySpanExporter], http: httpx.AsyncClient
) -> None:
    _, exporter = traced
    created = await _post(
        http,
        CREATE_COMPONENT.replace("mutation(", "mutation CreateIt("),
        {"input": {"type": "ACTOR", "label": DISTINCTIVE, "externalKey": DISTINCTIVE}},
        "trace-create",
    )
    assert "errors" not in created, created
    found = await _post(http, FIND, {"t": DISTINCTIVE}, "trace-find")
    assert found["data"]["components"]["totalCount"] == 1

    spans = _trace_of(_spans(exporter), "trace-find")
    index = _by_id(spans)
    (server,) = [s for s in spans if s.kind is SpanKind.SERVER]
    assert server.name == "POST /graphql"
    (operation,) = [s for s in spans if s.name == "query FindIt"]
    assert _parent(operation, index) is server
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "FindIt"
    assert operation.attributes["graphql.operation.type"] == "query"
    assert "graphql.document" not in operation.attributes  # off unless trace_include_document
    (resolver,) = [s for s in spans if s.name == "Query.components"]
    assert _parent(resolver, index) is operation
    cypher = [s for s in spans if (s.attributes or {}).get("db.system") == "neo4j"]
    assert cypher, [s.name for s in spans]
    below_resolver = [s for s in cypher if _parent(s, index) is resolver]
    assert below_resolver, {s.name: _ancestry(s, index) for s in cypher}
    for span in cypher:
        attributes = span.attributes or {}
        assert span.kind is SpanKind.CLIENT
        assert attributes["db.system.name"] == "neo4j"
        assert attributes["db.operation.name"] == attributes["db.query.summary"] == span.name
        assert span.name.startswith("compose/") or span.name in CypherRegistry.load().names()
        assert "db.query.text" not in attributes
        assert _ancestry(span, index)[-1] == "POST /graphql"
    # The rate limiter spent the operation's cost in Redis, under the operation span.
    redis = [s for s in spans if (s.attributes or {}).get("db.system") == "redis"]
    assert redis and all(_parent(s, index) is not None for s in redis)


async def test_a_mutation_traces_its_transaction_statements_under_the_resolver(
    traced: tuple[Any, InMemorySpanExporter], http: httpx.AsyncClient
) -> None:
    _, exporter = traced
    body = await _post(
        http,
        CREATE_COMPONENT.replace("mutation(", "mutation CreateIt("),
        {"input": {"type": "POLICY", "label": DISTINCTIVE}},
        "trace-mutation",
    )
    assert "errors" not in body, body

    spans = _trace_of(_spans(exporter), "trace-mutation")
    index = _by_id(spans)
    (operation,) = [s for s in spans if s.name == "mutation CreateIt"]
    (resolver,) = [s for s in spans if s.name == "Mutation.createComponent"]
    assert _parent(resolver, index) is operation
    writes = [
        s
        for s in spans
        if (s.attributes or {}).get("db.system") == "neo4j" and _parent(s, index) is resolver
    ]
    assert writes, {s.name: _ancestry(s, index) for s in spans}


async def test_no_span_records_a_value_the_client_sent(
    traced: tuple[Any, InMemorySpanExporter], http: httpx.AsyncClient
) -> None:
    _, exporter = traced
    await _post(
        http,
        CREATE_COMPONENT,
        {"input": {"type": "ACTOR", "label": DISTINCTIVE, "metadata": {"note": DISTINCTIVE}}},
        "values-1",
    )
    await _post(http, FIND, {"t": DISTINCTIVE}, "values-2")
    await http.get("/graphql", params={"query": FIND, "variables": json.dumps({"t": DISTINCTIVE})})

    spans = _spans(exporter)
    assert len(spans) > 10
    leaking = [s.name for s in spans if DISTINCTIVE in _everything_recorded(s)]
    assert leaking == []


async def test_errors_carry_the_trace_id_and_unexpected_ones_mark_the_trace(
    traced: tuple[Any, InMemorySpanExporter],
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, exporter = traced
    leaked = "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl"

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"the driver broke while holding {leaked}")

    monkeypatch.setattr(app.state.services.db, "run_composed", broken)
    body = await _post(http, "query Broken { components(first: 1) { totalCount } }", {}, "boom")

    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    spans = _trace_of(_spans(exporter), "boom")
    (server,) = [s for s in spans if s.kind is SpanKind.SERVER]
    assert server.context is not None
    assert error["extensions"]["traceId"] == f"{server.context.trace_id:032x}"
    (operation,) = [s for s in spans if s.name == "query Broken"]
    assert operation.status.status_code is StatusCode.ERROR
    (event,) = [e for e in operation.events if e.name == "exception"]
    attributes = event.attributes or {}
    assert attributes["sfm.error_id"] == error["extensions"]["errorId"]
    assert attributes["exception.type"] == "RuntimeError"
    assert "the driver broke" in str(attributes["exception.message"])
    assert leaked not in _everything_recorded(operation)
    (resolver,) = [s for s in spans if s.name == "Query.components"]
    assert resolver.status.status_code is StatusCode.ERROR
    assert (resolver.attributes or {})["error.type"] == "RuntimeError"


async def test_expected_errors_carry_the_trace_id_without_marking_the_trace(
    traced: tuple[Any, InMemorySpanExporter], clean_graph: None
) -> None:
    app, exporter = traced
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as anonymous:
        exporter.clear()
        response = await anonymous.post(
            "/graphql",
            json={"query": "{ components(first: 1) { totalCount } }"},
            headers={"X-Request-ID": "anonymous-1"},
        )
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    spans = _trace_of(_spans(exporter), "anonymous-1")
    assert error["extensions"]["traceId"] == f"{spans[0].context.trace_id:032x}"  # type: ignore[union-attr]
    assert all(s.status.status_code is not StatusCode.ERROR for s in spans)


async def test_the_document_is_recorded_only_when_enabled(
    settings: Settings, issue_token: Any, clean_graph: None
) -> None:
    exporter = InMemorySpanExporter()
    enabled = settings.model_copy(update={"trace_include_document": True})
    tracing = Tracing.with_exporter(enabled, exporter, batch=False, sample_ratio=1.0)
    app = create_app(enabled, tracing=tracing)
    document = 'query Literal { components(first: 1, filter: {text: "plain"}) { totalCount } }'
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {issue_token('viewer')}"},
        ) as client,
    ):
        await client.post("/graphql", json={"query": document})
    (operation,) = [s for s in exporter.get_finished_spans() if s.name == "query Literal"]
    assert (operation.attributes or {})["graphql.document"] == document


async def test_a_request_not_sampled_exports_nothing_but_keeps_its_trace_id(
    settings: Settings, clean_graph: None
) -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing.with_exporter(settings, exporter, batch=False, sample_ratio=0.0)
    app = create_app(settings, tracing=tracing)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        exporter.clear()  # start-up statements are traces of their own
        response = await client.post("/graphql", json={"query": "{ components { totalCount } }"})
    (error,) = response.json()["errors"]
    assert re.fullmatch(r"[0-9a-f]{32}", error["extensions"]["traceId"])
    assert exporter.get_finished_spans() == ()


def test_without_an_exporter_tracing_is_off_and_installs_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    off = Tracing.from_settings(settings)
    assert not off.enabled and off.tracer is None and off.middleware() == []
    app = create_app(settings, tracing=off)
    assert not any("OpenTelemetry" in m.cls.__name__ for m in app.user_middleware)  # type: ignore[attr-defined]

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    disabled = settings.model_copy(update={"tracing_enabled": False})
    assert not Tracing.from_settings(disabled).enabled


def test_an_otlp_endpoint_turns_tracing_on_with_the_configured_ratio(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "sfm-graphql-test")
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    tracing = Tracing.from_settings(Settings(environment="production"))
    try:
        assert tracing.provider is not None
        sampler = tracing.provider.sampler.get_description()
        assert sampler.startswith("ParentBased") and "TraceIdRatioBased{0.1}" in sampler
        assert tracing.provider.resource.attributes["service.name"] == "sfm-graphql-test"
        assert tracing.middleware()
    finally:
        tracing.shutdown()
    assert settings.trace_ratio == 1.0  # development and test: every trace
    assert settings.model_copy(update={"trace_sample_ratio": 0.25}).trace_ratio == 0.25
