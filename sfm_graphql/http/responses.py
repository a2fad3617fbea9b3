"""The status and body of `/graphql` responses (GraphQL over HTTP; docs/api.md, "HTTP").

`application/json` (legacy): a GraphQL response is 200 whatever its errors, except the refusals
the service has always answered with their own status (401 for a credential that does not
verify, 429 for a spent budget). `application/graphql-response+json`: a request that failed
before execution (parse, validation, limits, persisted query, authentication) has no `data` and
a 4xx (or 5xx) status from its first error's code; once execution happened it is 200.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from sfm_graphql.errors import ErrorCode
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


def nothing_spent() -> dict[str, Any]:
    """`extensions` of a response to a request that ran nothing: every response has a cost."""
    return {"cost": {"requested": 0}}


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
    note_error_codes([code.value])  # for the access-log line
    extensions = {**(details or {}), "code": code.value, **trace_extension()}
    return JSONResponse(
        {"errors": [{"message": message, "extensions": extensions}], "extensions": nothing_spent()},
        status_code=status,
        headers=headers,
        media_type=media_type,
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


def first_code(response: dict[str, Any]) -> str | None:
    errors = response.get("errors") or [{}]
    extensions = errors[0].get("extensions") if isinstance(errors[0], dict) else None
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return code if isinstance(code, str) else None


def shape(
    response: dict[str, Any], *, media_type: str, status: int | None
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The body, status and extra headers of one GraphQL result for `media_type`.

    `status` is one a schema extension already set (429 with `Retry-After`); it stands.
    """
    if media_type != GRAPHQL_RESPONSE or not is_request_error(response):
        return response, status or 200, {}
    body = {key: value for key, value in response.items() if key != "data"}
    code = first_code(response)
    chosen = status or REQUEST_ERROR_STATUS.get(code or "", 400)
    headers = {"WWW-Authenticate": "Bearer"} if chosen == 401 else {}
    return body, chosen, headers
