"""HTTP metrics: an ASGI middleware timing every request, read from the request's record.

The status and the error codes come from the request's record (`request_context.py`): the
GraphQL view notes the codes of each result it renders, every error envelope built before
execution (`http/responses.py`) notes its code, and the record holds the status the response
started with. Routes are labelled by their template (`/graphql`, `/static/graphiql`), never by
the raw path; anything else is `unmatched`.
"""

from __future__ import annotations

import time

from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from sfm_graphql.observability.metrics import Metrics, auth_failure_reason
from sfm_graphql.observability.request_context import current_request
from sfm_graphql.security.authenticate import API_KEY_PREFIX

UNMATCHED = "unmatched"


def credential_kind(headers: Headers) -> str:
    if "x-api-key" in headers:
        return "api_key"
    scheme, _, value = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return "other"
    return "api_key" if value.strip().startswith(API_KEY_PREFIX) else "token"


def note_auth_failure(metrics: Metrics, headers: Headers, message: str) -> None:
    """The view refused the request's credential with this `Unauthenticated` message."""
    metrics.auth_failed(credential=credential_kind(headers), reason=auth_failure_reason(message))


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    if route is None:  # refused by a middleware before routing: find the route it was meant for
        app = scope.get("app")
        for candidate in getattr(getattr(app, "router", None), "routes", ()):
            match, _ = candidate.matches(scope)
            if match is not Match.NONE:
                route = candidate
                break
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        record = current_request() if scope["type"] == "http" else None
        if record is None:  # not HTTP, or outside `RequestRecords`
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.metrics.observe_request(
                method=scope["method"],
                route=route_template(scope),
                status=record.status,
                seconds=time.perf_counter() - started,
                codes=set(record.error_codes),
            )
