"""Checking the document of an analysis job before it is queued.

A job runs one query operation whose root fields are all analytics fields (those the cost model
weighs in `graphql/core/analytics_costs.py` and `traversal_costs.py`: the global analyses and the
traversals, which at 100k components need a job as much as the global ones). The document is
parsed, validated, its variables coerced and its cost measured exactly as `/graphql` would,
against the caller's role, and the cost is spent from the caller's budget now: a refusal comes
back at once, never as a failed job later.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    specified_rules,
)

from sfm_graphql.errors import BadUserInput, ErrorCode, OperationRefused, RateLimited
from sfm_graphql.graphql.core.analysis import (
    MAX_FRAGMENT_EXPANSIONS,
    CostModel,
    analyze,
    coerce_variables,
)
from sfm_graphql.graphql.core.analytics_costs import ANALYTICS_FIELD_WEIGHTS
from sfm_graphql.graphql.core.context import Context
from sfm_graphql.graphql.core.limits import OperationLimits, budget_points, rate_limit_key
from sfm_graphql.graphql.core.traversal_costs import TRAVERSAL_FIELD_WEIGHTS
from sfm_graphql.graphql.core.validation import validate_document
from sfm_graphql.graphql.core.walker import TooComplex, Walker, fragments_of, select_operation

FIELD = "input.query"


def job_fields() -> frozenset[str]:
    """The root fields a job may run: every analytics query field."""
    weighed = [*ANALYTICS_FIELD_WEIGHTS, *TRAVERSAL_FIELD_WEIGHTS]
    return frozenset(key.partition(".")[2] for key in weighed if key.startswith("Query."))


def _parse(source: str, max_bytes: int, max_tokens: int) -> DocumentNode:
    if not source.strip():
        raise BadUserInput("query must be a GraphQL document", field=FIELD)
    if len(source.encode()) > max_bytes:
        raise BadUserInput(f"query must be at most {max_bytes} bytes", field=FIELD)
    try:
        return parse(source, max_tokens=max_tokens)
    except GraphQLError as exc:
        raise BadUserInput(f"query does not parse: {exc.message}", field=FIELD) from None


def _operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    operation = select_operation(document, operation_name)
    if operation is None:
        raise BadUserInput("query must hold one operation, or name one with operationName")
    if operation.operation is not OperationType.QUERY:
        raise BadUserInput("A job runs a query operation, not a mutation or subscription")
    return operation


async def check_job_document(
    context: Context,
    schema: GraphQLSchema,
    source: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> None:
    """Raises a coded error when the document may not run as a job; spends its cost."""
    settings = context.settings
    hide = not settings.introspection_enabled
    document = _parse(source, settings.max_document_bytes, settings.max_tokens)
    errors = validate_document(schema, document, tuple(specified_rules), hide_suggestions=hide)
    if errors:
        shown = "; ".join(e.message for e in errors[:5])
        raise BadUserInput(f"query does not match the schema: {shown}", field=FIELD)
    operation = _operation(document, operation_name)
    walker = Walker(fragments_of(document), max_expansions=MAX_FRAGMENT_EXPANSIONS)
    allowed = job_fields()
    try:
        selected = walker.fields(operation.selection_set)
    except TooComplex:
        raise BadUserInput("query expands too many fragments", field=FIELD) from None
    roots = [node.name.value for node, _ in selected if node.name.value != "__typename"]
    others = sorted({n for n in roots if n not in allowed})
    if not roots or others:
        raise BadUserInput(
            "A job runs analytics fields only" + (f"; not {', '.join(others)}" if others else ""),
            field=FIELD,
        )
    coerced = coerce_variables(schema, operation, variables, hide_suggestions=hide)
    if isinstance(coerced, list):
        raise BadUserInput("; ".join(e.message for e in coerced[:5]), field="input.variables")
    analysis = analyze(schema, document, operation, coerced, model=CostModel.of(settings))
    refusal = OperationLimits.static_limits(settings, context.principal, analysis)
    if refusal is not None:
        original = refusal.original_error
        if isinstance(original, OperationRefused):
            raise original
        raise OperationRefused(ErrorCode.LIMIT_EXCEEDED, refusal.message)
    limiter = context.rate_limiter
    if limiter is not None:
        budget = await limiter.spend(
            rate_limit_key(context.principal, context.client_ip),
            points=budget_points(settings, context.principal),
            cost=analysis.cost,
        )
        if not budget.allowed:
            raise RateLimited(
                f"Rate limit exceeded: this job costs {analysis.cost} points and "
                f"{budget.remaining} remain",
                retryAfter=budget.retry_after_s,
            )
