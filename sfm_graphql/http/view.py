"""The GraphQL HTTP endpoint: Strawberry's ASGI view with coded JSON errors and offline GraphiQL."""

from __future__ import annotations

import json
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from sfm_graphql.errors import ErrorCode, ServiceUnavailable, SfmError, Unauthenticated
from sfm_graphql.graphql.context import Context
from sfm_graphql.http.graphiql import graphiql_html
from sfm_graphql.http.unavailable import apply_unavailable_status
from sfm_graphql.observability.metrics_http import note_auth_failure, note_result
from sfm_graphql.observability.request_context import note_error_codes
from sfm_graphql.observability.tracing import trace_extension
from sfm_graphql.security.authenticate import authenticate, client_ip

# Multipart (file upload) requests are the one POST a browser form may send cross-site without a
# CORS preflight; one of these headers, which no form can set, proves a script sent it.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-requested-with")


def nothing_spent() -> dict[str, Any]:
    """`extensions` of a response to a request that ran nothing: every response has a cost."""
    return {"cost": {"requested": 0}}


def error_response(
    status: int, code: ErrorCode, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A GraphQL-shaped error document for failures before execution."""
    note_error_codes([code.value])  # for the access-log line
    return JSONResponse(
        {
            "errors": [
                {"message": message, "extensions": {"code": code.value, **trace_extension()}}
            ],
            "extensions": nothing_spent(),
        },
        status_code=status,
        headers=headers,
    )


def _http_error(exc: HTTPException) -> JSONResponse:
    reason = exc.reason
    if exc.status_code == 405 or "not allowed when using GET" in reason:
        return error_response(
            405, ErrorCode.METHOD_NOT_ALLOWED, _explain_method(reason), {"Allow": "GET, POST"}
        )
    if reason == "Unsupported content type":
        return error_response(
            415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Send POST requests as application/json"
        )
    if exc.status_code == 404:
        return error_response(
            404, ErrorCode.NOT_FOUND, "GraphiQL is disabled; POST GraphQL requests"
        )
    if reason in ("Batching is not enabled", "Too many operations"):
        return error_response(
            400,
            ErrorCode.BAD_REQUEST,
            "Batched requests (a JSON array of operations) are not accepted; nothing was run. "
            "Send one operation per request.",
        )
    return error_response(exc.status_code, ErrorCode.BAD_REQUEST, reason)


def _too_large(limit: int) -> SfmError:
    from sfm_graphql.errors import OperationRefused

    return OperationRefused(
        ErrorCode.DOCUMENT_TOO_LARGE, f"GraphQL documents may be at most {limit} bytes", limit=limit
    )


def _unproven_multipart(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == "multipart/form-data" and not any(
        request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS
    )


def _explain_method(reason: str) -> str:
    if "mutations" in reason.lower():
        return "Mutations are not allowed over GET; send them with POST"
    return reason


class GraphQLView(GraphQL[Context, None]):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self._respond(request)
        finally:
            await request.close()  # uploaded files are spooled to temporary files
        await response(scope, receive, send)

    async def _respond(self, request: Request) -> Response:
        if _unproven_multipart(request):
            return error_response(
                400,
                ErrorCode.BAD_REQUEST,
                "Multipart requests must carry an Apollo-Require-Preflight or X-Requested-With "
                "header (protection against cross-site request forgery)",
            )
        try:
            return await self.run(request)
        except HTTPException as exc:
            return _http_error(exc)
        except Unauthenticated as exc:
            note_auth_failure(request.scope, exc.message)  # sfm_auth_failures_total
            return error_response(
                401, ErrorCode.UNAUTHENTICATED, exc.message, {"WWW-Authenticate": "Bearer"}
            )
        except ServiceUnavailable as exc:  # Neo4j unreachable while checking an API key
            retry_after = str(exc.details.get("retryAfter", 1))
            return error_response(
                503, ErrorCode.SERVICE_UNAVAILABLE, exc.message, {"Retry-After": retry_after}
            )

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        state = request.app.state
        try:
            principal = await authenticate(
                request,
                tokens=getattr(state, "token_verifier", None),
                api_keys=getattr(state, "api_key_verifier", None),
            )
        except Unauthenticated as exc:
            # A presented credential failed: counted per address (http/login_gate.py refuses
            # the address once its budget is spent) and audited (docs/security.md).
            guard = getattr(state, "login_guard", None)
            if guard is not None:
                await guard.refused_request(request, exc)
            raise
        return Context(
            request=request,
            response=response,
            settings=state.settings,
            db=state.db,
            principal=principal,
            client_ip=client_ip(request),
            rate_limiter=getattr(state, "rate_limiter", None),
        )

    async def execute_single(  # noqa: PLR0917 (Strawberry's signature)
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Resolve persisted queries and check the document size before Strawberry runs it."""
        settings = context.settings
        try:
            query = await request.app.state.persisted_queries.resolve(
                request_data.query, request_data.extensions
            )
            if query is not None and len(query.encode()) > settings.max_document_bytes:
                raise _too_large(settings.max_document_bytes)
        except SfmError as exc:
            note_error_codes([exc.code.value])
            result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(exc.message, extensions={**exc.extensions(), **trace_extension()})
                ],
                extensions=nothing_spent(),
            )
        else:
            request_data.query = query
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        apply_unavailable_status(result.errors, sub_response)  # 503 + Retry-After in an outage
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        note_result(request.scope, result.errors)  # sfm_errors_total counts the codes
        return await super().process_result(request, result)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(graphiql_html(endpoint=str(request.url.path)))

    def encode_json(self, data: Any) -> str:
        return json.dumps(data, separators=(",", ":"), default=str)
