"""The GraphQL HTTP endpoint: Strawberry's ASGI view with coded JSON errors and offline GraphiQL.

Before Strawberry sees a request, the view negotiates the response type (`http/media.py`),
checks the credentials in the headers and only then decides how much body it will read, how
fast, and how complex its JSON may be (`http/body.py`); nothing of the body is read before.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from sfm_graphql.errors import (
    ErrorCode,
    OperationRefused,
    ServiceUnavailable,
    SfmError,
    Unauthenticated,
)
from sfm_graphql.graphql.core.context import Context
from sfm_graphql.graphql.core.limits import budget_points, rate_limit_key
from sfm_graphql.http import jsonio
from sfm_graphql.http.app_services import AppServices, require_services
from sfm_graphql.http.body import (
    BodyRefused,
    JsonLimits,
    UploadSlots,
    check_json,
    limited_receive,
    too_large,
)
from sfm_graphql.http.graphiql import graphiql_html
from sfm_graphql.http.media import JSON, negotiate
from sfm_graphql.http.responses import error_response, refused_result, shape
from sfm_graphql.http.view_rules import (
    asks_for_graphiql,
    body_limits,
    content_type,
    http_error,
    unauthenticated,
    unproven_multipart,
)
from sfm_graphql.http.websocket import TextFrameWebSocketAdapter
from sfm_graphql.observability.metrics_http import note_auth_failure
from sfm_graphql.observability.request_context import current_request, note_error_codes
from sfm_graphql.security.authenticate import authenticate, authenticate_credentials, client_ip
from sfm_graphql.security.principal import ANONYMOUS, Principal


@dataclass(frozen=True, slots=True)
class _Terms:
    """What the view decided for the request in hand, read by Strawberry's hooks below."""

    media_type: str
    json: JsonLimits


_TERMS: ContextVar[_Terms] = ContextVar("sfm_graphql_request_terms")
_DEFAULT_TERMS = _Terms(JSON, JsonLimits(max_depth=32, max_elements=1_000))


def _too_large(limit: int) -> SfmError:
    return OperationRefused(
        ErrorCode.DOCUMENT_TOO_LARGE, f"GraphQL documents may be at most {limit} bytes", limit=limit
    )


def _executed(result: ExecutionResult) -> bool:
    """Whether execution started: data, or an error raised at a field."""
    return result.data is not None or any(e.path is not None for e in result.errors or [])


def _request_id() -> str | None:
    record = current_request()
    return record.request_id if record is not None else None


def _connection_check(
    connection: HTTPConnection, services: AppServices
) -> Callable[[dict[str, Any]], Awaitable[Principal]]:
    """How a WebSocket's `connection_init` payload (or its upgrade headers) authenticates."""

    async def check(params: dict[str, Any]) -> Principal:
        given = {str(k).lower(): v for k, v in params.items()}
        header = given.get("authorization", connection.headers.get("authorization"))
        api_key = given.get("x-api-key", connection.headers.get("x-api-key"))
        return await authenticate_credentials(
            header if isinstance(header, str) else None,
            api_key if isinstance(api_key, str) else None,
            client_ip(connection),
            tokens=services.token_verifier,
            api_keys=services.api_key_verifier,
        )

    return check


class GraphQLView(GraphQL[Context, None]):
    websocket_adapter_class = TextFrameWebSocketAdapter  # graphql-transport-ws is JSON text

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._uploads = UploadSlots()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        response = await self._respond(scope, receive)
        await response(scope, receive, send)

    async def _respond(self, scope: Scope, receive: Receive) -> Response:
        headers_only = Request(scope)  # reading headers and the query string reads no body
        if asks_for_graphiql(headers_only):
            if self.graphql_ide:
                return await self.render_graphql_ide(headers_only)
            return error_response(
                404, ErrorCode.NOT_FOUND, "GraphiQL is disabled; POST GraphQL requests"
            )
        media_type = negotiate(headers_only.headers.get("accept"))
        if media_type is None:
            return error_response(
                406,
                ErrorCode.NOT_ACCEPTABLE,
                "This endpoint answers application/graphql-response+json or application/json; "
                "the Accept header allows neither",
            )
        token = _TERMS.set(_Terms(media_type, _DEFAULT_TERMS.json))
        try:
            return await self._respond_as(headers_only, receive, media_type)
        finally:
            _TERMS.reset(token)

    async def _respond_as(
        self, headers_only: Request, receive: Receive, media_type: str
    ) -> Response:
        services = require_services(headers_only.app)
        refusal, principal = await self._admit(services, headers_only, media_type)
        if refusal is not None:
            return refusal
        settings = services.settings
        multipart = content_type(headers_only) == "multipart/form-data"
        max_bytes, json_limits = body_limits(settings, principal, multipart=multipart)
        declared = headers_only.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            return self._refused(too_large(max_bytes), media_type)
        _TERMS.set(_Terms(media_type, json_limits))
        request = Request(
            headers_only.scope,
            limited_receive(receive, max_bytes=max_bytes, timeout_s=settings.body_timeout_s),
        )
        request.state.principal = principal
        try:
            if not multipart:
                return await self._run(request, media_type)
            key = rate_limit_key(principal, client_ip(request))
            with self._uploads.hold(key, limit=settings.max_concurrent_uploads) as free:
                if not free:
                    return error_response(
                        429,
                        ErrorCode.RATE_LIMITED,
                        f"At most {settings.max_concurrent_uploads} uploads at a time per caller; "
                        "wait for one to finish",
                        {"Retry-After": "1"},
                        media_type=media_type,
                    )
                return await self._run(request, media_type)
        finally:
            await request.close()  # uploaded files are spooled to temporary files

    async def _admit(
        self, services: AppServices, headers_only: Request, media_type: str
    ) -> tuple[Response | None, Principal]:
        """The refusal decided from the headers alone, else None, and the principal."""
        if unproven_multipart(headers_only):
            refusal = error_response(
                400,
                ErrorCode.BAD_REQUEST,
                "Multipart requests must carry an Apollo-Require-Preflight or X-Requested-With "
                "header (protection against cross-site request forgery)",
                media_type=media_type,
            )
            return refusal, ANONYMOUS
        try:
            principal = await self._authenticate(services, headers_only)
        except Unauthenticated as exc:
            if services.metrics is not None:  # sfm_auth_failures_total
                note_auth_failure(services.metrics, headers_only.headers, exc.message)
            return unauthenticated(exc.message, media_type), ANONYMOUS
        if principal.kind == "anonymous" and content_type(headers_only) == "multipart/form-data":
            # Every upload needs a role: refused before a byte is spooled to a temporary file.
            message = "Uploads need credentials: send a bearer token or an API key"
            return unauthenticated(message, media_type), principal
        return None, principal

    async def _run(self, request: Request, media_type: str) -> Response:
        try:
            return await self.run(request)
        except HTTPException as exc:
            return http_error(exc, media_type)
        except StarletteHTTPException as exc:  # Starlette's multipart parser refusing a part
            return error_response(
                exc.status_code, ErrorCode.BAD_REQUEST, str(exc.detail), media_type=media_type
            )
        except ServiceUnavailable as exc:  # Neo4j unreachable (or too busy) at an API key
            retry_after = str(exc.details.get("retryAfter", 1))
            return error_response(
                503,
                exc.code,
                exc.message,
                {"Retry-After": retry_after},
                media_type=media_type,
            )
        except BodyRefused as exc:
            return self._refused(exc, media_type)

    @staticmethod
    def _refused(exc: BodyRefused, media_type: str) -> Response:
        headers = {"Connection": "close"}  # the rest of the body is not read
        return error_response(
            exc.status, exc.code, exc.message, headers, media_type=media_type, details=exc.details
        )

    @staticmethod
    async def _authenticate(services: AppServices, request: Request) -> Principal:
        try:
            return await authenticate(
                request, tokens=services.token_verifier, api_keys=services.api_key_verifier
            )
        except Unauthenticated as exc:
            # A presented credential failed: counted per address (http/login_gate.py refuses
            # the address once its budget is spent) and audited (docs/security.md).
            await services.login_guard.refused_request(request, exc, request_id=_request_id())
            raise

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        return False  # decided in `_respond`, before anything else

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]  # Strawberry types the request as its protocol; this view serves Starlette's
        services = require_services(request.app)
        return Context(
            settings=services.settings,
            db=services.db,
            # Set by `_respond_as` from the headers; least privilege should anything skip it.
            principal=getattr(request.state, "principal", ANONYMOUS),
            client_ip=client_ip(request),
            request_id=_request_id(),
            rate_limiter=services.rate_limiter,
            api_key_verifier=services.api_key_verifier,
            refusal_sampler=services.refusal_sampler,
            metrics=services.metrics,
            jobs=services.jobs,
            analysis_cache=services.analysis_cache,
            analysis_processes=services.analysis_processes,
            authenticate_connection=_connection_check(request, services),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """A WebSocket (graphql-transport-ws) authenticates once, in `connection_init`: its
        payload carries `Authorization` (or `X-API-Key`) as a browser cannot set headers on the
        upgrade; a header on the upgrade request counts too. Bad credentials close it (4403)."""
        check = context.authenticate_connection
        assert check is not None
        try:
            context.principal = await check(context.connection_params or {})
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"message": exc.message}) from None
        unset: UnsetType = UNSET
        return unset

    def decode_json(self, data: str | bytes) -> object:
        check_json(data, _TERMS.get(_DEFAULT_TERMS).json)
        try:
            return json.loads(data)
        except UnicodeDecodeError:
            raise BodyRefused(
                ErrorCode.BAD_REQUEST, 400, "The request body is not UTF-8 JSON"
            ) from None

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
        persisted = require_services(request.app).persisted_queries
        try:
            resolved = await persisted.resolve(request_data.query, request_data.extensions)
            query = resolved.query
            if query is not None and len(query.encode()) > settings.max_document_bytes:
                raise _too_large(settings.max_document_bytes)
        except SfmError as exc:
            result = refused_result(exc)
        else:
            request_data.query = query
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
            if resolved.store is not None and query is not None and _executed(result):
                # Accepted for execution: authenticated, under the size, validation and cost limits.
                await persisted.store_accepted(
                    resolved.store,
                    query,
                    principal=context.principal,
                    budget_key=rate_limit_key(context.principal, context.client_ip),
                    budget_points=budget_points(settings, context.principal),
                )
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # The request's record: the access log's outcome and sfm_errors_total read the codes.
        note_error_codes(
            str((error.extensions or {}).get("code", "")) for error in result.errors or []
        )
        return await super().process_result(request, result)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        media_type = _TERMS.get(_DEFAULT_TERMS).media_type
        status, extra = 200, dict[str, str]()
        body: object = response_data
        if isinstance(response_data, dict):  # the status is decided from the result, here only
            body, status, extra = shape(dict(response_data), media_type=media_type)
        response = Response(self.encode_json(body), status_code=status, media_type=media_type)
        response.headers.raw.extend(sub_response.headers.raw)
        for name, value in extra.items():
            response.headers.setdefault(name, value)
        if sub_response.background:
            response.background = sub_response.background
        return response

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(graphiql_html(endpoint=str(request.url.path)))

    def encode_json(self, data: Any) -> bytes:
        return jsonio.dumps(data)
