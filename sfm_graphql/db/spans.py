"""Spans around Cypher statements, one per statement, named by its query file.

The database layer opens them itself, so it needs nothing of the observability layer: the tracer
comes in from the app (`Tracing.tracer`, None when tracing is off). Spans never carry parameter
values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from urllib.parse import urlsplit

from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.util.types import AttributeValue

from sfm_graphql.settings import Settings


def neo4j_attributes(settings: Settings) -> dict[str, AttributeValue]:
    """Attributes every Cypher span shares (no credentials: the URI's host and port only)."""
    parts = urlsplit(settings.neo4j_uri)
    attributes: dict[str, AttributeValue] = {
        "db.system": "neo4j",
        "db.system.name": "neo4j",
        "db.namespace": settings.neo4j_database,
    }
    if parts.hostname:
        attributes["server.address"] = parts.hostname
    if parts.port:
        attributes["server.port"] = parts.port
    return attributes


def cypher_span(
    tracer: Tracer | None, name: str, shared: Mapping[str, AttributeValue]
) -> AbstractContextManager[Span | None]:
    """A client span named by the statement's query file; a no-op when tracing is off, and
    inside a trace that is not sampled (a span there would not be recorded either)."""
    if tracer is None or not is_instrumentation_enabled():
        return nullcontext()
    parent = trace.get_current_span()
    if parent.get_span_context().is_valid and not parent.is_recording():
        return nullcontext()
    return _cypher_span(tracer, name, shared)


@contextmanager
def _cypher_span(tracer: Tracer, name: str, shared: Mapping[str, AttributeValue]) -> Iterator[Span]:
    attributes = {**shared, "db.operation.name": name, "db.query.summary": name}
    with tracer.start_as_current_span(
        name,
        kind=SpanKind.CLIENT,
        attributes=attributes,
        # The driver's messages can quote values (a constraint error names the duplicate).
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except Exception as exc:
            cause = exc.__cause__ or exc
            error_type = getattr(cause, "code", None)  # Neo4j's status code, e.g. Neo.ClientError…
            span.set_attribute(
                "error.type", error_type if isinstance(error_type, str) else type(cause).__name__
            )
            span.set_status(Status(StatusCode.ERROR))
            raise


def set_returned_rows(span: Span | None, count: int) -> None:
    if span is not None:
        span.set_attribute("db.response.returned_rows", count)
