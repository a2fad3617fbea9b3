"""The error envelope and the status of `/graphql` responses (GraphQL over HTTP; docs/api.md).

One envelope: every error the service answers with before execution, whether as an HTTP
response (`error_response`) or as the result of an operation it did not run (`refused_result`),
is built by `error_entry`, which also notes the code in the request's record (the access log
and the metrics read it there).

The status is decided here, from the result, never by a schema extension (`shape`):
`application/json` (legacy): a GraphQL response is 200 whatever its errors, except the refusals
the service has always answered with their own status (401 for a credential that does not
verify, 429 with `Retry-After` for a spent budget, 503 with `Retry-After` when every error is
SERVICE_UNAVAILABLE or OVERLOADED, so a client or proxy backs off and retries).
`application/graphql-response+json`: a request that failed before execution (parse, validation,
limits, persisted query, authentication) has no `data` and a 4xx (or 5xx) status from its first
error's code; once execution happened it is 200 (or the 503 above).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from starlette.responses import JSONResponse
from strawberry.types import ExecutionResult

from sfm_graphql.errors import ErrorCode, SfmError
from sfm_graphql.http import jsonio
from sfm_graphql.http.media import GRAPHQL_RESPONSE, JSON
from sfm_graphql.observability.request_context import note_error_codes
from sfm_graphql.observability.tracing import trace_extension

# The status of a request error by its code, for application/graphql-response+json; any other
# code is 400 (the request, its document or its variables are at fault).
REQUEST_ERROR_STATUS: dict[str, int] = {
    ErrorCode.UNAUTHENTICATED.value: 401,
    ErrorCode.FORBIDDEN.value: 403,
    ErrorCode.PERSISTED_QUERY_NOT_ALLOWED.value: 403,
    ErrorCode.PERSISTED_QUERY_NOT_FOUND.value: 404,
    ErrorCode.PAYLOAD_TOO_LARGE.value: 413,
    ErrorCode.RATE_LIMITED.value: 429,
    ErrorCode.INTERNAL_SERVER_ERROR.value: 500,
    ErrorCode.SERVICE_UNAVAILABLE.value: 503,
    ErrorCode.OVERLOADED.value: 503,
    ErrorCode.TIMEOUT.value: 504,
}
UNAVAILABLE_STATUS = 503
TIMEOUT_STATUS = 504
RATE_LIMITED_STATUS = 429
DEFAULT_RETRY_AFTER_S = 1
# Errors of a response answered 503 with `Retry-After` when they are all it has: Neo4j
# unreachable or slow, or the process full (its Neo4j pool; db/outage.py).
UNAVAILABLE_CODES = frozenset({ErrorCode.SERVICE_UNAVAILABLE.value, ErrorCode.OVERLOADED.value})


class FastJSONResponse(JSONResponse):
    """A JSONResponse whose body is written by `jsonio` (orjson)."""

    def render(self, content: Any) -> bytes:
        return jsonio.dumps(content)


def nothing_spent() -> dict[str, Any]:
    """`extensions` of a response to a request that ran nothing: every response has a cost."""
    return {"cost": {"requested": 0}}


def error_entry(
    code: ErrorCode, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One error of the envelope: its message and extensions (details, code, trace id)."""
    note_error_codes([code.value])  # the request's record: access log and metrics
    return {
        "message": message,
        "extensions": {**(details or {}), "code": code.value, **trace_extension()},
    }


def error_response(
    status: int,
    code: ErrorCode,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    media_type: str = JSON,
    details: dict[str, Any] | None = None,
) -> JSONResponse:
    """A GraphQL-shaped error document (no `data`) for failures before execution."""
    return FastJSONResponse(
        {"errors": [error_entry(code, message, details)], "extensions": nothing_spent()},
        status_code=status,
        headers=headers,
        media_type=media_type,
    )


def refused_result(exc: SfmError) -> ExecutionResult:
    """The result of an operation refused before Strawberry ran it (the same envelope)."""
    entry = error_entry(exc.code, exc.message, exc.details)
    return ExecutionResult(
        data=None,
        errors=[GraphQLError(entry["message"], extensions=entry["extensions"])],
        extensions=nothing_spent(),
    )


def is_request_error(response: dict[str, Any]) -> bool:
    """Whether nothing was executed: no data, and no error raised at a field (with a path)."""
    errors = response.get("errors")
    return (
        response.get("data") is None
        and isinstance(errors, list)
        and bool(errors)
        and all(isinstance(e, dict) and "path" not in e for e in errors)
    )


def _extensions(error: Any) -> dict[str, Any]:
    extensions = error.get("extensions") if isinstance(error, dict) else None
    return extensions if isinstance(extensions, dict) else {}


def first_code(response: dict[str, Any]) -> str | None:
    code = _extensions((response.get("errors") or [{}])[0]).get("code")
    return code if isinstance(code, str) else None


def _retry_after(extensions: dict[str, Any], wait: int = DEFAULT_RETRY_AFTER_S) -> int:
    given = extensions.get("retryAfter")
    return given if isinstance(given, int) and given > wait else wait


def unavailable_retry_after(response: dict[str, Any]) -> int | None:
    """Seconds for `Retry-After` when every error is SERVICE_UNAVAILABLE or OVERLOADED, else
    None."""
    errors = response.get("errors")
    if not isinstance(errors, list) or not errors:
        return None
    wait = DEFAULT_RETRY_AFTER_S
    for error in errors:
        extensions = _extensions(error)
        if extensions.get("code") not in UNAVAILABLE_CODES:
            return None
        wait = _retry_after(extensions, wait)
    return wait


def _every_error_is(response: dict[str, Any], code: ErrorCode) -> bool:
    errors = response.get("errors")
    return (
        isinstance(errors, list)
        and bool(errors)
        and all(_extensions(e).get("code") == code.value for e in errors)
    )


def _result_status(response: dict[str, Any]) -> tuple[int | None, dict[str, str]]:
    """The status every media type gives this result (503, 429, 504), with its headers."""
    retry_after = unavailable_retry_after(response)
    if retry_after is not None:
        return UNAVAILABLE_STATUS, {"Retry-After": str(retry_after)}
    if _every_error_is(response, ErrorCode.TIMEOUT):
        # Neo4j ended the transaction for the request's time (http/timeout.py): nothing returned.
        return TIMEOUT_STATUS, {}
    if is_request_error(response) and first_code(response) == ErrorCode.RATE_LIMITED.value:
        # The caller's budget is spent (graphql/core/limits.py): back off until the window frees it.
        wait = _retry_after(_extensions(response["errors"][0]))
        return RATE_LIMITED_STATUS, {"Retry-After": str(wait)}
    return None, {}


def shape(
    response: dict[str, Any], *, media_type: str
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The body, status and extra headers of one GraphQL result for `media_type`."""
    status, headers = _result_status(response)
    if media_type != GRAPHQL_RESPONSE or not is_request_error(response):
        return response, status or 200, headers
    body = {key: value for key, value in response.items() if key != "data"}
    chosen = status or REQUEST_ERROR_STATUS.get(first_code(response) or "", 400)
    if chosen == 401:
        headers = {**headers, "WWW-Authenticate": "Bearer"}
    return body, chosen, headers
