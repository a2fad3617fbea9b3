"""Spans for GraphQL operations and resolvers.

Strawberry's own `OpenTelemetryExtension` records every resolver argument as an attribute and the
document always, and it makes every field's resolution awaitable. This extension records neither
arguments nor (unless enabled) the document, follows the semantic conventions for the operation
span (`graphql.operation.name`, `graphql.operation.type`, `graphql.document`), and gives a span
only to the fields worth one: root fields and fields with an async resolver, which may do I/O.
Fields that read what their root fetched cost one dictionary look-up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from inspect import isawaitable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from sfm_graphql.errors import ErrorCode, SfmError
from sfm_graphql.graphql.core.walker import select_operation
from sfm_graphql.security.masking import mask_text

MAX_NAME = 100


class TracedFields:
    """Decides, once per field of the schema, whether its resolution gets a span."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], bool] = {}

    def __call__(self, info: GraphQLResolveInfo[Any]) -> bool:
        key = (info.parent_type.name, info.field_name)
        traced = self._known.get(key)
        if traced is None:
            traced = self._known[key] = _worth_a_span(info)
        return traced


def _worth_a_span(info: GraphQLResolveInfo[Any]) -> bool:
    if info.field_name.startswith("__"):
        return False
    schema = info.schema
    if info.parent_type in (schema.query_type, schema.mutation_type, schema.subscription_type):
        return True
    field = info.parent_type.fields.get(info.field_name)
    definition = (field.extensions or {}).get("strawberry-definition") if field else None
    return bool(getattr(definition, "is_async", False))


def operation_details(execution_context: ExecutionContext) -> tuple[str | None, str | None]:
    """(name, type) of the operation; None where the document does not tell."""
    name = execution_context.operation_name
    operation = select_operation(execution_context.graphql_document, name)
    kind = operation.operation.value if operation is not None else None
    return (name[:MAX_NAME] if name else None), kind


class GraphQLTracing(SchemaExtension):
    def __init__(
        self,
        *,
        tracer: Tracer,
        fields: TracedFields,
        include_document: bool = False,
        execution_context: ExecutionContext | None = None,
    ) -> None:
        self._tracer = tracer
        self._fields = fields
        self._include_document = include_document
        self._recording = False  # whether this operation's trace is sampled
        if execution_context is not None:
            self.execution_context = execution_context

    def on_operation(self) -> Iterator[None]:
        # The parent is the HTTP span; while the operation runs, this span is the current one, so
        # the other extensions' statements (audit, rate limits) and the resolvers hang below it.
        span = self._tracer.start_span("GraphQL Operation")
        self._recording = span.is_recording()
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            yield
        finally:
            try:
                self._describe(span)
            finally:
                otel_context.detach(token)
                span.end()

    def _describe(self, span: Span) -> None:
        if not span.is_recording():
            return
        name, kind = operation_details(self.execution_context)
        if kind:
            span.update_name(f"{kind} {name}" if name else kind)
            span.set_attribute("graphql.operation.type", kind)
        if name:
            span.set_attribute("graphql.operation.name", name)
        if self._include_document and self.execution_context.query:
            span.set_attribute("graphql.document", mask_text(self.execution_context.query))
        result = self.execution_context.result
        codes = [
            str((error.extensions or {}).get("code", ""))
            for error in (result.errors or [] if result else [])
        ]
        if codes:
            span.set_attribute("graphql.error.codes", sorted(set(codes)))
        if ErrorCode.INTERNAL_SERVER_ERROR.value in codes:
            span.set_status(Status(StatusCode.ERROR))
            span.set_attribute("error.type", ErrorCode.INTERNAL_SERVER_ERROR.value)

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        # Synchronous on purpose: an async hook would make every field's resolution awaitable.
        # A trace that is not sampled gets no resolver spans at all (its children would not be).
        if not self._recording or not self._fields(info):
            return _next(root, info, *args, **kwargs)
        span = self._tracer.start_span(
            f"{info.parent_type.name}.{info.field_name}",
            attributes={
                "graphql.field.name": info.field_name,
                "graphql.field.parent_type": info.parent_type.name,
                "graphql.field.path": ".".join(str(p) for p in info.path.as_list()),
            },
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            result = _next(root, info, *args, **kwargs)
        except Exception as exc:
            _failed(span, exc)
            span.end()
            raise
        finally:
            otel_context.detach(token)
        if isawaitable(result):
            return _finish(span, result)
        span.end()
        return result


async def _finish(span: Span, awaitable: Awaitable[Any]) -> Any:
    with trace.use_span(
        span, end_on_exit=True, record_exception=False, set_status_on_exception=False
    ):
        try:
            return await awaitable
        except Exception as exc:
            _failed(span, exc)
            raise


def _failed(span: Span, exc: Exception) -> None:
    if isinstance(exc, SfmError):  # expected: the client's to handle, not a failure of ours
        span.set_attribute("graphql.error.code", exc.code.value)
        return
    if isinstance(exc, GraphQLError):  # a bad argument value, reported as BAD_USER_INPUT
        return
    # The exception itself is recorded, masked, on the operation span (observability/errors.py).
    span.set_attribute("error.type", type(exc).__qualname__)
    span.set_status(Status(StatusCode.ERROR))


def graphql_tracing(
    tracer: Tracer, *, include_document: bool = False
) -> Callable[[], GraphQLTracing]:
    """The extension factory for `strawberry.Schema(extensions=[...])`."""
    fields = TracedFields()

    def build() -> GraphQLTracing:
        return GraphQLTracing(tracer=tracer, fields=fields, include_document=include_document)

    return build
