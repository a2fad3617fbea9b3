"""One access-log line per HTTP request, and the request id every other line carries.

The request id is the caller's `X-Request-ID` when well formed (`request_context.py`), else a new
one; it replaces the header the rest of the app reads (the audit log stores it) and is returned in
the response. The line says who asked for what, how it ended and how long it took:
`method`, `path`, `status`, `duration_ms`, `outcome`, `error_code`, `operation_type`,
`client_ip` (the client a trusted proxy reports, `authenticate.client_ip`), plus the
fields every line of the request has (request id, trace and span id, principal, operation).
"""

from __future__ import annotations

import logging
import time

import structlog
from opentelemetry import trace
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfm_graphql.errors import ErrorCode
from sfm_graphql.observability.request_context import (
    REQUEST_ID_HEADER,
    RequestInfo,
    accept_request_id,
    open_request,
)
from sfm_graphql.security.authenticate import client_ip

ACCESS_LOGGER = "sfm_graphql.access"
MAX_PATH = 200
# Probes and scrapes arrive every few seconds; their lines are DEBUG unless they fail.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/startupz", "/metrics"})
# Codes that mean the service, not the request, is at fault.
SERVER_CODES = frozenset(
    {ErrorCode.INTERNAL_SERVER_ERROR.value, ErrorCode.SERVICE_UNAVAILABLE.value}
)

SUCCESS = "success"
CLIENT_ERROR = "client_error"
SERVER_ERROR = "server_error"

log = structlog.get_logger(ACCESS_LOGGER)


def outcome(status: int, error_codes: list[str]) -> str:
    if status >= 500 or any(code in SERVER_CODES for code in error_codes):
        return SERVER_ERROR
    if status >= 400 or error_codes:
        return CLIENT_ERROR
    return SUCCESS


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, REQUEST_ID_HEADER)
        request_id = accept_request_id(given)
        if request_id != given:
            scope = _with_header(scope, REQUEST_ID_HEADER, request_id)
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute("http.request.header.x-request-id", (request_id,))
        status = 500  # what the client sees when the app raises before answering
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        with open_request(request_id) as info:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                _log_line(scope, info, status, time.perf_counter() - started)


def _log_line(scope: Scope, info: RequestInfo, status: int, seconds: float) -> None:
    path = str(scope.get("path", ""))[:MAX_PATH]
    result = outcome(status, info.error_codes)
    level = logging.INFO
    if result == SERVER_ERROR:
        level = logging.WARNING
    elif path in QUIET_PATHS and result == SUCCESS:
        level = logging.DEBUG
    method = scope.get("method", "")
    fields: dict[str, object] = {
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "outcome": result,
        "client_ip": client_ip(HTTPConnection(scope)),
    }
    if info.error_codes:
        fields["error_code"] = info.error_codes[0]
    if info.operation_type:
        fields["operation_type"] = info.operation_type
    log.log(level, f"{method} {path} {status}", **fields)


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode("latin-1")
    for key, value in scope.get("headers", ()):
        if key.lower() == wanted:
            return str(value.decode("latin-1"))
    return None


def _with_header(scope: Scope, name: str, value: str) -> Scope:
    wanted = name.encode("latin-1")
    headers = [(k, v) for k, v in scope.get("headers", ()) if k.lower() != wanted]
    headers.append((wanted, value.encode("latin-1")))
    return {**scope, "headers": headers}
