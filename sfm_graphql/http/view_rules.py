"""What the GraphQL view (http/view.py) decides before Strawberry reads the body: whether the
request asks for GraphiQL, whether a multipart request proved it came from a script, how much
body this caller may send, and the coded responses for refusals Strawberry raises."""

from __future__ import annotations

from cross_web import HTTPException
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from sfm_graphql.errors import ErrorCode
from sfm_graphql.http.body import JsonLimits
from sfm_graphql.http.media import wants_html
from sfm_graphql.http.responses import error_response
from sfm_graphql.security.principal import Principal, Role
from sfm_graphql.settings import Settings

# Multipart (file upload) requests are the one POST a browser form may send cross-site without a
# CORS preflight; one of these headers, which no form can set, proves a script sent it.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-requested-with")
# Any of these in the query string makes a GET an operation, never a request for GraphiQL.
OPERATION_PARAMS = ("query", "extensions", "variables", "operationName")


def http_error(exc: HTTPException, media_type: str) -> Response:
    reason = exc.reason
    if exc.status_code == 405 or "not allowed when using GET" in reason:
        return error_response(
            405,
            ErrorCode.METHOD_NOT_ALLOWED,
            explain_method(reason),
            {"Allow": "GET, POST"},
            media_type=media_type,
        )
    if reason == "Unsupported content type":
        return error_response(
            415,
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            "Send POST requests as application/json",
            media_type=media_type,
        )
    if reason in ("Batching is not enabled", "Too many operations"):
        return error_response(
            400,
            ErrorCode.BAD_REQUEST,
            "Batched requests (a JSON array of operations) are not accepted; nothing was run. "
            "Send one operation per request.",
            media_type=media_type,
        )
    return error_response(exc.status_code, ErrorCode.BAD_REQUEST, reason, media_type=media_type)


def content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def unproven_multipart(request: Request) -> bool:
    return content_type(request) == "multipart/form-data" and not any(
        request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS
    )


def asks_for_graphiql(request: Request) -> bool:
    """A browser's `GET /graphql` with no operation in its query string."""
    params: QueryParams = request.query_params
    return (
        request.method == "GET"
        and wants_html(request.headers.get("accept"))
        and not any(name in params for name in OPERATION_PARAMS)
    )


def explain_method(reason: str) -> str:
    if "mutations" in reason.lower():
        return "Mutations are not allowed over GET; send them with POST"
    return reason


def body_limits(
    settings: Settings, principal: Principal, *, multipart: bool
) -> tuple[int, JsonLimits]:
    """The body bytes and JSON limits for this principal (docs/security.md, Request bodies)."""
    depth = settings.max_json_depth
    if principal.kind == "anonymous":
        return settings.max_anonymous_body_bytes, JsonLimits(
            depth, settings.max_anonymous_json_elements
        )
    if principal.has_role(Role.DATA_MANAGER):
        # bulkImport takes up to max_bulk_rows rows as JSON variables; only these roles may.
        limits = JsonLimits(depth, settings.max_bulk_json_elements)
        json_bytes = settings.max_bulk_json_body_bytes
    else:
        limits = JsonLimits(depth, settings.max_json_elements)
        json_bytes = settings.max_json_body_bytes
    if multipart:
        return settings.max_request_bytes, limits
    return min(json_bytes, settings.max_request_bytes), limits


def unauthenticated(message: str, media_type: str) -> Response:
    return error_response(
        401,
        ErrorCode.UNAUTHENTICATED,
        message,
        {"WWW-Authenticate": "Bearer"},
        media_type=media_type,
    )
