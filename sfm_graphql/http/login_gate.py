"""ASGI middleware refusing authentication attempts from an address over its failed-login limit.

An attempt is a request to the token endpoint or any request carrying `Authorization` or
`X-API-Key`. The attempt is counted before anything reads the credential, atomically (one point
of the address's budget is reserved, `security.login_guard`), and refunded when the request ends
without a failed login. So a burst of concurrent guesses lets at most the budget through to
verification; once an address has used up its budget even a valid credential from it gets 429
`RATE_LIMITED` with `Retry-After`, and guessing costs the service one Redis script per try, not
a signature check or a scrypt hash. Requests without credentials pass: they are anonymous and
limited by cost.

A bearer token this process has verified before, sent to `/graphql`, is no guess: the gate does
not reserve a point for it but defers the check of the address's budget to the request's cost
spend, in the same Redis round trip (`LoginGuard.defer`). When that check refuses, or when a
request that never spent is checked as its response starts, the gate sends its 429 in place of
the response (nothing ran: the spend comes before execution).
"""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfm_graphql.errors import ErrorCode
from sfm_graphql.http.app_services import AppServices, scope_services
from sfm_graphql.http.media import JSON, negotiate
from sfm_graphql.http.responses import error_response
from sfm_graphql.security.authenticate import client_ip, presented_jwt
from sfm_graphql.security.login_guard import Attempt, LoginGuard

TOKEN_PATH = "/oauth/token"  # noqa: S105 (a route, the one in http/oauth.py)
GRAPHQL_PATH = "/graphql"
CREDENTIAL_HEADERS = (b"authorization", b"x-api-key")


def _is_attempt(scope: Scope) -> bool:
    if scope.get("path") == TOKEN_PATH:
        return True
    return any(name.lower() in CREDENTIAL_HEADERS for name, _ in scope.get("headers", []))


class LoginGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services: AppServices | None = None
        if scope["type"] == "http" and _is_attempt(scope):
            services = scope_services(scope)
        if services is None:
            await self.app(scope, receive, send)
            return
        guard = services.login_guard
        request = Request(scope)
        if _remembered(request, services):
            attempt = guard.defer(client_ip(request))
        else:
            attempt = await guard.reserve(client_ip(request))
        if not attempt.allowed:
            await _refusal(scope, attempt)(scope, receive, send)
            return
        token = guard.current(attempt)
        try:
            if attempt.deferred:
                await self.app(scope, receive, _checked(scope, receive, send, guard, attempt))
            else:
                await self.app(scope, receive, send)
        finally:
            guard.forget(token)
            await guard.release(attempt)


def _remembered(request: Request, services: AppServices) -> bool:
    """A bearer token to `/graphql` that this process verified before (and not expired)."""
    if request.url.path != GRAPHQL_PATH:
        return False
    headers = request.headers
    jwt = presented_jwt(headers.get("authorization"), headers.get("x-api-key"))
    return jwt is not None and services.token_verifier.remembers(jwt)


def _checked(
    scope: Scope, receive: Receive, send: Send, guard: LoginGuard, attempt: Attempt
) -> Send:
    """`send`, unless the deferred `attempt` turns out refused: then the gate's 429 instead."""
    replaced = False

    async def send_checked(message: Message) -> None:
        nonlocal replaced
        if message["type"] == "http.response.start":
            await guard.check(attempt)  # only if no cost spend checked it already
            if not attempt.allowed:
                replaced = True
                await _refusal(scope, attempt)(scope, receive, send)
                return
        if not replaced:
            await send(message)

    return send_checked


def _refusal(scope: Scope, attempt: Attempt) -> Response:
    budget = attempt.budget
    assert budget is not None  # refused by a reservation or a check
    retry_after = budget.retry_after_s
    reset_at = dt.datetime.fromtimestamp(budget.reset_at, dt.UTC).isoformat()
    message = (
        f"Too many failed logins from this address; try again after {retry_after} s ({reset_at})"
    )
    headers = {"Retry-After": str(retry_after), "Cache-Control": "no-store"}
    if scope.get("path") == TOKEN_PATH:  # OAuth clients read `error` (RFC 6749 5.2)
        body = {"error": "rate_limited", "error_description": message}
        return JSONResponse(body, status_code=429, headers=headers)
    return error_response(
        429,
        ErrorCode.RATE_LIMITED,
        message,
        headers,
        # GraphQL over HTTP: the media type the client asked for (http/media.py).
        media_type=negotiate(Request(scope).headers.get("accept")) or JSON,
        details={"resetAt": reset_at, "retryAfter": retry_after},
    )
