"""GraphQL operation metrics as a schema extension: count, duration, static cost, who asked.

Listed first among the schema's extensions, so its operation hook encloses the others (limits,
error codes, audit) and times the whole operation: parse, validate, execute. The operation is
labelled by the name the document gives it (capped, see `BoundedLabel`), `anonymous` when it has
none and `invalid` when the document does not parse or names no such operation; never by the
document itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import DocumentNode, get_operation_ast
from strawberry.extensions import SchemaExtension

from sfm_graphql.observability.metrics import ANONYMOUS_OPERATION, INVALID_OPERATION, Metrics


def operation_labels(document: DocumentNode | None, operation_name: str | None) -> tuple[str, str]:
    """(name, type) of the operation a request runs."""
    operation = get_operation_ast(document, operation_name) if document is not None else None
    if operation is None:
        return INVALID_OPERATION, "unknown"
    name = operation.name.value if operation.name else ANONYMOUS_OPERATION
    return name, operation.operation.value


class GraphQLMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        context = ctx.context
        metrics = getattr(context, "metrics", None)
        if not isinstance(metrics, Metrics):  # metrics off, or a test calling the schema
            return
        name, kind = operation_labels(ctx.graphql_document, ctx.operation_name)
        result = ctx.result
        ok = not ctx.pre_execution_errors and not (result is not None and result.errors)
        metrics.observe_operation(
            name=name,
            kind=kind,
            seconds=time.perf_counter() - started,
            cost=int(getattr(context, "cost", 0) or 0),
            ok=ok,
        )
        principal = getattr(context, "principal", None)
        if principal is not None:
            metrics.active_users.seen(principal)
