"""Every GraphQL error gets a stable `extensions.code`; unexpected errors are masked and logged."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from sfm_graphql.errors import ErrorCode, SfmError
from sfm_graphql.observability.errors import report_unexpected
from sfm_graphql.observability.tracing import trace_extension

log = logging.getLogger(__name__)

# graphql-core reports bad argument and variable values through validation and coercion;
# these are the user's input to fix, not a malformed document. A variable the document declares
# but never uses (or uses where its type does not fit) is the document's fault: validation.
_INPUT_VALUE = re.compile(
    r"^(Variable '\$[^']*' (got invalid|has invalid|of required type|of non-null type)|"
    r"Expected value of type|Expected value of non-null type|Expected a value of non-null type|"
    r"Expected type|Enum '|Int cannot|Float cannot|"
    r"String cannot|Boolean cannot|ID cannot|Field '[^']+' of required type|"
    r"Argument '[^']+' of required type|Field '[^']+' is not defined by type|"
    r"Value '[^']*' does not exist)"
)
_PARSE = re.compile(r"^Syntax Error")
# graphql-core's and Strawberry's hints ("Did you mean 'first'?", "... to use an inline fragment
# on 'Actor'?"): they name parts of the schema, so they go where introspection is off.
_SUGGESTION = re.compile(r"\s*Did you mean\b.*$", re.DOTALL)
_TOKENS = re.compile(r"^Syntax Error: Document contains more than \d+ tokens")


def classify(error: GraphQLError) -> tuple[ErrorCode, str, dict[str, object]]:  # noqa: PLR0911 (one return per error family)
    """The code, the message to show and extra extensions for one error."""
    original = error.original_error
    if isinstance(original, SfmError):
        return original.code, original.message, original.details
    if error.path is None:  # before execution: the document or its variables are at fault
        if _TOKENS.match(error.message):
            return ErrorCode.MAX_TOKENS_EXCEEDED, error.message, {}
        if _PARSE.match(error.message):
            return ErrorCode.GRAPHQL_PARSE_FAILED, error.message, {}
        if _INPUT_VALUE.match(error.message):
            return ErrorCode.BAD_USER_INPUT, error.message, {}
        if original is None or isinstance(original, GraphQLError):
            return ErrorCode.GRAPHQL_VALIDATION_FAILED, error.message, {}
        # Anything else is a Python exception escaping an extension: its text is not for users.
    elif original is None or isinstance(original, GraphQLError):
        return ErrorCode.BAD_USER_INPUT, error.message, {}
    error_id = uuid.uuid4().hex
    log.error("unexpected error %s in %s", error_id, error.path, exc_info=original)
    # On the span, and to Sentry when configured (docs/observability.md, Logs and errors).
    report_unexpected(original, error_id=error_id, code=ErrorCode.INTERNAL_SERVER_ERROR.value)
    return ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error", {"errorId": error_id}


def coded(error: GraphQLError, *, hide_suggestions: bool) -> GraphQLError:
    """`error` with its code and the message to show (without suggestions, when hidden)."""
    code, message, details = classify(error)
    if hide_suggestions:
        message = _SUGGESTION.sub("", message)
    extensions = {
        **(error.extensions or {}),
        **details,
        "code": code.value,
        **trace_extension(),  # what the client quotes to find the trace and the log lines
    }
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=extensions,
    )


def code_errors(errors: list[GraphQLError], *, hide_suggestions: bool) -> list[GraphQLError]:
    """Codes the errors that have none yet; those ErrorCodes coded stay as they are."""
    return [
        e if "code" in (e.extensions or {}) else coded(e, hide_suggestions=hide_suggestions)
        for e in errors
    ]


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        settings = getattr(context, "settings", None)
        hide = settings is not None and not settings.introspection_enabled
        result.errors = [coded(e, hide_suggestions=hide) for e in result.errors]
