"""Limits checked on the parsed document before anything runs, and the cost-based rate limit.

Each limit refuses with its own code. The static cost is returned in `extensions.cost` of every
response and spent from the caller's budget; an exhausted budget answers HTTP 429 with
`Retry-After`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from sfm_graphql.errors import ErrorCode, OperationRefused
from sfm_graphql.graphql.core.analysis import (
    MAX_FRAGMENT_EXPANSIONS,
    Analysis,
    CostModel,
    analyze,
    coerce_variables,
)
from sfm_graphql.graphql.core.context import Context
from sfm_graphql.graphql.core.validation import validate_document
from sfm_graphql.graphql.core.walker import (
    TooComplex,
    Walker,
    every_field,
    fragments_of,
    select_operation,
)
from sfm_graphql.security.addresses import subscriber_bucket
from sfm_graphql.security.login_guard import gate_hit, gate_refused
from sfm_graphql.security.principal import Principal
from sfm_graphql.settings import Settings

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


def max_cost(settings: Settings, principal: Principal) -> int:
    role = principal.top_role
    return settings.max_cost_by_role.get(role.value if role else "anonymous", 0)


def budget_points(settings: Settings, principal: Principal) -> int:
    role = principal.top_role
    return settings.rate_limit_points_by_role.get(role.value if role else "anonymous", 0)


def rate_limit_key(principal: Principal, client_ip: str) -> str:
    if principal.kind == "anonymous":  # per address, an IPv6 one per /64 like failed logins
        return f"ip:{subscriber_bucket(client_ip)}"
    return f"{principal.kind}:{principal.issuer}:{principal.subject}"


def _refusal(code: ErrorCode, message: str, **details: Any) -> GraphQLError:
    return GraphQLError(message, original_error=OperationRefused(code, message, **details))


def _variable_message(errors: list[GraphQLError]) -> str:
    """graphql-core's coercion messages name the variable and the expected type, nothing more."""
    shown = "; ".join(e.message for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return f"{shown}{more}"


def _asks_for_data(document: DocumentNode, operation: OperationDefinitionNode) -> bool:
    """Whether the operation selects a root field other than `__schema`, `__type` etc."""
    walker = Walker(fragments_of(document), max_expansions=MAX_FRAGMENT_EXPANSIONS)
    try:
        root_fields = walker.fields(operation.selection_set)
    except TooComplex:
        return True  # too many spreads to tell: the worst case
    return any(not node.name.value.startswith("__") for node, _ in root_fields)


def _asks_introspection(document: DocumentNode) -> bool:
    """Whether any operation or fragment selects `__schema` or `__type`, at any level.

    Fragments are searched too: `{ ...F } fragment F on Query { __schema { ... } }` asks for the
    schema as surely as the plain form does.
    """
    return any(node.name.value in INTROSPECTION_FIELDS for node in every_field(document))


class OperationLimits(SchemaExtension):
    analysis: Analysis | None = None

    async def on_validate(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.pre_execution_errors is None:
            # The limits assume a valid document, so validation runs first (Strawberry then
            # skips its own); a CachedValidation earlier in the list has already done it.
            ctx.pre_execution_errors = validate_document(
                ctx.schema._schema,
                ctx.graphql_document,
                tuple(ctx.validation_rules),
                hide_suggestions=not ctx.context.settings.introspection_enabled,
            )
        if ctx.graphql_document is not None and not ctx.pre_execution_errors:
            error = await self._check()
            if error is not None:
                ctx.pre_execution_errors = [error]
        yield

    async def _check(self) -> GraphQLError | None:  # noqa: PLR0911 (one return per refusal)
        ctx = self.execution_context
        context: Context = ctx.context
        settings = context.settings
        principal = context.principal
        document = ctx.graphql_document
        assert document is not None
        if _asks_introspection(document) and not self._introspection_allowed(settings, principal):
            return _refusal(
                ErrorCode.INTROSPECTION_DISABLED, "Introspection is disabled on this service"
            )
        operation = select_operation(document, ctx.operation_name)
        if operation is None:
            return None  # validation reports the missing or ambiguous operation
        if ctx.variables is not None and not isinstance(ctx.variables, dict):
            return _refusal(ErrorCode.BAD_USER_INPUT, "variables must be a JSON object")
        # The limits measure what will run: variables coerced as execution coerces them, with
        # their defaults; a value of the wrong type is refused here, with graphql-core's message.
        variables = coerce_variables(
            ctx.schema._schema,
            operation,
            ctx.variables,
            hide_suggestions=not settings.introspection_enabled,
        )
        if isinstance(variables, list):
            return _refusal(ErrorCode.BAD_USER_INPUT, _variable_message(variables))
        analysis = analyze(
            ctx.schema._schema, document, operation, variables, model=CostModel.of(settings)
        )
        self.analysis = analysis
        context.cost = analysis.cost
        # Every data field refuses anonymous callers: they are told so (after their address's
        # budget is charged) rather than refused for a cost or depth they could never use.
        anonymous_data = principal.kind == "anonymous" and _asks_for_data(document, operation)
        if not anonymous_data:
            refusal = self.static_limits(settings, principal, analysis)
            if refusal is not None:
                return refusal
        refusal = await self._spend(context, analysis.cost)
        if refusal is None and anonymous_data:
            return _refusal(
                ErrorCode.UNAUTHENTICATED,
                "Authentication required: send a bearer token or an API key",
            )
        return refusal

    @staticmethod
    def static_limits(
        settings: Settings, principal: Principal, analysis: Analysis
    ) -> GraphQLError | None:
        for code, value, limit, what in (
            (ErrorCode.MAX_DEPTH_EXCEEDED, analysis.depth, settings.max_query_depth, "depth"),
            (ErrorCode.MAX_ALIASES_EXCEEDED, analysis.aliases, settings.max_aliases, "aliases"),
            (
                ErrorCode.MAX_ROOT_FIELDS_EXCEEDED,
                analysis.root_fields,
                settings.max_root_fields,
                "root fields",
            ),
        ):
            if value > limit:
                return _refusal(
                    code, f"The operation has {value} {what}; the limit is {limit}", limit=limit
                )
        if analysis.exports > settings.max_exports_per_request:
            limit = settings.max_exports_per_request
            return _refusal(
                ErrorCode.LIMIT_EXCEEDED,
                f"The operation asks for {analysis.exports} exports; at most {limit} per request",
                limit=limit,
            )
        ceiling = max_cost(settings, principal)
        if analysis.cost > ceiling:
            return _refusal(
                ErrorCode.MAX_COST_EXCEEDED,
                f"The operation costs {analysis.cost} points; your limit per operation is "
                f"{ceiling}. Ask for smaller pages (first/last) or fewer nested levels.",
                cost=analysis.cost,
                limit=ceiling,
            )
        return None

    @staticmethod
    def _introspection_allowed(settings: Settings, principal: Principal) -> bool:
        if settings.introspection_enabled:
            return True
        return settings.introspection_for_admin and principal.has_role_name("admin")

    async def _spend(self, context: Context, cost: int) -> GraphQLError | None:
        limiter = context.rate_limiter
        if limiter is None:
            return None
        spend = limiter.hit(
            rate_limit_key(context.principal, context.client_ip),
            points=budget_points(context.settings, context.principal),
            cost=cost,
        )
        # The failed-login gate's part of this request travels in the same round trip: the
        # refund of its reserved point (the credential has verified by now), or the check of a
        # deferred attempt, which the spend is not applied after when it refuses
        # (security/login_guard.py). The gate then answers the request (http/login_gate.py).
        gate = gate_hit()
        if gate is None:
            [budget] = await limiter.apply([spend])
        else:
            gate_budget, budget = await limiter.apply([gate, spend])
            if gate_refused(gate_budget):
                return _refusal(ErrorCode.RATE_LIMITED, "Too many failed logins from this address")
        context.budget = budget
        if budget.allowed:
            return None
        reset_at = dt.datetime.fromtimestamp(budget.reset_at, dt.UTC).isoformat()
        return _refusal(
            ErrorCode.RATE_LIMITED,
            f"Rate limit exceeded: this operation costs {cost} points and {budget.remaining} "
            f"remain until {reset_at}",
            resetAt=reset_at,
            retryAfter=budget.retry_after_s,
        )

    def get_results(self) -> dict[str, Any]:
        if self.analysis is None:
            # Nothing was analysed (a parse or validation failure): nothing ran or was spent.
            return {"cost": {"requested": 0}}
        context: Context = self.execution_context.context
        result: dict[str, Any] = {"requested": self.analysis.cost}
        if context.budget is not None:
            result.update(limit=context.budget.limit, remaining=context.budget.remaining)
        return {"cost": result}
