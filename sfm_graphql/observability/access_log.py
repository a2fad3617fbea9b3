"""One access-log line per HTTP request, read from the request's record (`request_context.py`).

The record holds the request id (the caller's `X-Request-ID` when well formed, else a new one),
which this middleware also puts on the HTTP span. The line says who asked for what, how it ended
and how long it took:
`method`, `path`, `status`, `duration_ms`, `outcome`, `error_code`, `operation_type`,
`client_ip` (the client a trusted proxy reports, `authenticate.client_ip`), plus the
fields every line of the request has (request id, trace and span id, principal, operation).
"""

from __future__ import annotations

import logging
import time

import structlog
from opentelemetry import trace
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from sfm_graphql.errors import ErrorCode
from sfm_graphql.observability.request_context import RequestRecord, current_request
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
        record = current_request() if scope["type"] == "http" else None
        if record is None:  # not HTTP, or outside `RequestRecords`
            await self.app(scope, receive, send)
            return
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute("http.request.header.x-request-id", (record.request_id,))
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            _log_line(scope, record, time.perf_counter() - started)


def _log_line(scope: Scope, info: RequestRecord, seconds: float) -> None:
    path = str(scope.get("path", ""))[:MAX_PATH]
    status = info.status
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
