"""OpenTelemetry tracing: the tracer provider and the HTTP span (Cypher spans: `db/spans.py`).

A request's trace is: the HTTP server span (ASGI middleware) → the GraphQL operation
(`graphql_tracing.GraphQLTracing`) → one span per resolver that may do I/O → one span per Cypher
statement, named by its query file, and Redis commands (their arguments replaced by `?`).
Spans never carry parameter values, variables or (unless `trace_include_document`) documents.

Export is configured by the standard `OTEL_*` variables (`OTEL_EXPORTER_OTLP_ENDPOINT`,
`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`, `OTEL_BSP_*`, …). Without an
exporter, or with `tracing_enabled=false`, nothing is instrumented: no middleware, no schema
extension, and the database runs statements without a span.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace import Span, Tracer
from opentelemetry.util.http import ExcludeList
from opentelemetry.util.types import AttributeValue
from starlette.middleware import Middleware
from starlette.routing import Match

from sfm_graphql import __version__
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)

SERVICE_NAME = "sfm-graphql"
INSTRUMENTATION_NAME = "sfm_graphql"
# Probes and scrapes come every few seconds and say nothing about a user's request.
UNTRACED_PATHS = ExcludeList([r"^[a-z]+://[^/]+/(healthz|readyz|startupz|metrics)/?(\?|$)"])


class Tracing:
    """The tracer provider of one app, or nothing when tracing is off."""

    def __init__(self, provider: TracerProvider | None = None, *, include_document: bool = False):
        self.provider = provider
        self.include_document = include_document
        self.tracer: Tracer | None = (
            provider.get_tracer(INSTRUMENTATION_NAME, __version__) if provider else None
        )
        self._owns_redis_instrumentation = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Tracing:
        """Tracing as the settings and the `OTEL_*` environment configure it."""
        exporter = exporter_from_environment() if settings.tracing_enabled else None
        if exporter is None:
            return cls()
        return cls.with_exporter(settings, exporter)

    @classmethod
    def with_exporter(
        cls,
        settings: Settings,
        exporter: SpanExporter,
        *,
        batch: bool = True,
        sample_ratio: float | None = None,
    ) -> Tracing:
        """Tracing to `exporter` (tests pass an in-memory one with `batch=False`)."""
        provider = TracerProvider(
            sampler=_sampler(settings, sample_ratio), resource=service_resource(settings)
        )
        processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
        provider.add_span_processor(processor)
        return cls(provider, include_document=settings.trace_include_document)

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    def middleware(self) -> list[Middleware]:
        """The HTTP server span, outermost so every log line of the request has its ids."""
        if self.provider is None:
            return []
        return [
            Middleware(
                OpenTelemetryMiddleware,
                excluded_urls=UNTRACED_PATHS,
                default_span_details=route_span_details,
                server_request_hook=_without_query_string,
                tracer_provider=self.provider,
                # Request metrics come from Prometheus (observability/metrics.py).
                meter_provider=NoOpMeterProvider(),
                exclude_spans=["receive", "send"],
            )
        ]

    def start(self) -> None:
        """Instrument Redis (process-wide: the rate limiter's own client included)."""
        if self.provider is None:
            return
        instrumentor = RedisInstrumentor()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=self.provider)
            self._owns_redis_instrumentation = True

    def shutdown(self) -> None:
        """Export what is buffered and undo the Redis instrumentation."""
        if self.provider is None:
            return
        if self._owns_redis_instrumentation:
            RedisInstrumentor().uninstrument()
            self._owns_redis_instrumentation = False
        self.provider.shutdown()


def exporter_from_environment() -> SpanExporter | None:
    """The exporter the `OTEL_*` variables name; None when none is configured."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    names = {n.strip().lower() for n in os.environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")}
    if "console" in names:
        return ConsoleSpanExporter()
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if "otlp" not in names or not endpoint:
        return None
    if os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf") != "http/protobuf":
        log.warning("only OTLP over http/protobuf is installed; exporting with it")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # endpoint, headers, timeout, compression: from OTEL_EXPORTER_OTLP_*


def _sampler(settings: Settings, ratio: float | None) -> Sampler | None:
    if ratio is None and os.environ.get("OTEL_TRACES_SAMPLER"):
        return None  # the SDK builds the sampler OTEL_TRACES_SAMPLER(_ARG) names
    return ParentBased(TraceIdRatioBased(settings.trace_ratio if ratio is None else ratio))


def service_resource(settings: Settings) -> Resource:
    """`OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` win over these defaults."""
    detected = Resource.create()
    defaults: dict[str, AttributeValue] = {}
    if str(detected.attributes.get("service.name", "")).startswith("unknown_service"):
        defaults["service.name"] = SERVICE_NAME
    if "service.version" not in detected.attributes:
        defaults["service.version"] = __version__
    if "deployment.environment.name" not in detected.attributes:
        defaults["deployment.environment.name"] = settings.environment
    return detected.merge(Resource(defaults))


def route_span_details(scope: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """`POST /graphql`: the route's path template, never the raw path (bounded names)."""
    method = str(scope.get("method") or "HTTP")
    for route in getattr(scope.get("app"), "routes", ()):
        match, _ = route.matches(scope)
        path = getattr(route, "path", None)
        if match is Match.FULL and path:
            return f"{method} {path}", {"http.route": path}
    return method, {}


_QUERY_ATTRIBUTES = ("http.target", "http.url", "url.full")


def _without_query_string(span: Span, scope: Mapping[str, Any]) -> None:
    """A GET operation's query string holds the document and variables: keep them out."""
    if not scope.get("query_string") or not span.is_recording():
        return
    attributes = getattr(span, "attributes", None) or {}
    for name in _QUERY_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str):
            span.set_attribute(name, value.split("?", 1)[0])
    if "url.query" in attributes:
        span.set_attribute("url.query", "")


# -- ids for logs and errors ----------------------------------------------------------------


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) of the current span as hex, or None outside a trace."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id)


def current_trace_id() -> str | None:
    ids = current_ids()
    return ids[0] if ids else None


def trace_extension() -> dict[str, str]:
    """`{"traceId": …}` for an error's `extensions`, or nothing outside a trace."""
    trace_id = current_trace_id()
    return {"traceId": trace_id} if trace_id else {}
