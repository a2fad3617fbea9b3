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
# these are the user's input to fix, not a malformed document.
_INPUT_VALUE = re.compile(
    r"^(Variable '\$|Expected value of type|Expected type|Enum '|Int cannot|Float cannot|"
    r"String cannot|Boolean cannot|ID cannot|Field '[^']+' of required type|"
    r"Argument '[^']+' of required type|Field '[^']+' is not defined by type|"
    r"Value '[^']*' does not exist)"
)
_PARSE = re.compile(r"^Syntax Error")
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
        if _INPUT_VALUE.match(error.message) or original is not None:
            return ErrorCode.BAD_USER_INPUT, error.message, {}
        return ErrorCode.GRAPHQL_VALIDATION_FAILED, error.message, {}
    if original is None or isinstance(original, GraphQLError):
        return ErrorCode.BAD_USER_INPUT, error.message, {}
    error_id = uuid.uuid4().hex
    log.error("unexpected error %s in %s", error_id, error.path, exc_info=original)
    # On the span, and to Sentry when configured (docs/observability.md, Logs and errors).
    report_unexpected(original, error_id=error_id, code=ErrorCode.INTERNAL_SERVER_ERROR.value)
    return ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error", {"errorId": error_id}


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [self._coded(e) for e in result.errors]

    @staticmethod
    def _coded(error: GraphQLError) -> GraphQLError:
        code, message, details = classify(error)
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
