"""HTTP metrics: an ASGI middleware timing every request, and the notes the view leaves for it.

The middleware puts a `RequestObservation` into the scope. The GraphQL view adds the error codes
of each result it renders (`note_result`) and reports credentials it refused
(`note_auth_failure`); the GraphQL extension records operations through it. When the view did
not render a result (an HTTP-level refusal: 401, 405, 413, 415, 429 from a middleware), the
middleware reads the codes from the small JSON error body instead. Routes are labelled by their
template (`/graphql`, `/static/graphiql`), never by the raw path; anything else is `unmatched`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfm_graphql.observability.metrics import Metrics, auth_failure_reason
from sfm_graphql.security.authenticate import API_KEY_PREFIX

SCOPE_KEY = "sfm.metrics"
UNMATCHED = "unmatched"
MAX_SNIFFED_BYTES = 16 * 1024  # refusal bodies are a few hundred bytes


@dataclass
class RequestObservation:
    metrics: Metrics
    codes: set[str] = field(default_factory=set)
    rendered_result: bool = False


def observation(scope: Scope) -> RequestObservation | None:
    found = scope.get(SCOPE_KEY)
    return found if isinstance(found, RequestObservation) else None


def note_result(scope: Scope, errors: list[Any] | None) -> None:
    """The view rendered a GraphQL result with these errors (`GraphQLError`s)."""
    found = observation(scope)
    if found is None:
        return
    found.rendered_result = True
    for error in errors or []:
        found.codes.add(str((getattr(error, "extensions", None) or {}).get("code")))


def credential_kind(headers: Headers) -> str:
    if "x-api-key" in headers:
        return "api_key"
    scheme, _, value = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return "other"
    return "api_key" if value.strip().startswith(API_KEY_PREFIX) else "token"


def note_auth_failure(scope: Scope, message: str) -> None:
    """The view refused the request's credential with this `Unauthenticated` message."""
    found = observation(scope)
    if found is not None:
        found.metrics.auth_failed(
            credential=credential_kind(Headers(scope=scope)), reason=auth_failure_reason(message)
        )


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


def _codes_in(body: bytes) -> set[str]:
    try:
        document = json.loads(body)
    except ValueError:
        return set()
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list):
        return set()
    return {
        str(e["extensions"].get("code"))
        for e in errors
        if isinstance(e, dict) and isinstance(e.get("extensions"), dict)
    }


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = RequestObservation(self.metrics)
        scope[SCOPE_KEY] = found
        started = time.perf_counter()
        status = 500  # an exception escaping the app becomes a 500 further out
        sniff = False
        body = bytearray()

        async def observing_send(message: Message) -> None:
            nonlocal status, sniff
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                sniff = status >= 400 and content_type.startswith(
                    ("application/json", "application/graphql-response+json")
                )
            elif sniff and message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                sniff = len(body) <= MAX_SNIFFED_BYTES
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            codes = found.codes if found.rendered_result else set()
            if not found.rendered_result and status >= 400 and len(body) <= MAX_SNIFFED_BYTES:
                codes = _codes_in(bytes(body))
            self.metrics.observe_request(
                method=scope["method"],
                route=route_template(scope),
                status=status,
                seconds=time.perf_counter() - started,
                codes=codes,
            )
