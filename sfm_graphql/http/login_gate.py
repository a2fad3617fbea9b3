"""ASGI middleware refusing authentication attempts from an address over its failed-login limit.

An attempt is a request to the token endpoint or any request carrying `Authorization` or
`X-API-Key`. The attempt is counted before anything reads the credential, atomically (one point
of the address's budget is reserved, `security.login_guard`), and refunded when the request ends
without a failed login. So a burst of concurrent guesses lets at most the budget through to
verification; once an address has used up its budget even a valid credential from it gets 429
`RATE_LIMITED` with `Retry-After`, and guessing costs the service one Redis script per try, not
a signature check or a scrypt hash. Requests without credentials pass: they are anonymous and
limited by cost.
"""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sfm_graphql.errors import ErrorCode
from sfm_graphql.http.app_services import scope_services
from sfm_graphql.http.media import JSON, negotiate
from sfm_graphql.http.responses import error_response
from sfm_graphql.security.authenticate import client_ip
from sfm_graphql.security.login_guard import LoginGuard

TOKEN_PATH = "/oauth/token"  # noqa: S105 (a route, the one in http/oauth.py)
CREDENTIAL_HEADERS = (b"authorization", b"x-api-key")


def _is_attempt(scope: Scope) -> bool:
    if scope.get("path") == TOKEN_PATH:
        return True
    return any(name.lower() in CREDENTIAL_HEADERS for name, _ in scope.get("headers", []))


class LoginGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guard: LoginGuard | None = None
        if scope["type"] == "http" and _is_attempt(scope):
            services = scope_services(scope)
            guard = services.login_guard if services is not None else None
        if guard is None:
            await self.app(scope, receive, send)
            return
        attempt = await guard.reserve(client_ip(Request(scope)))
        if attempt.allowed:
            token = guard.current(attempt)
            try:
                await self.app(scope, receive, send)
            finally:
                guard.forget(token)
                await guard.release(attempt)
            return
        budget = attempt.budget
        retry_after = budget.retry_after_s
        reset_at = dt.datetime.fromtimestamp(budget.reset_at, dt.UTC).isoformat()
        message = (
            f"Too many failed logins from this address; try again after {retry_after} s"
            f" ({reset_at})"
        )
        headers = {"Retry-After": str(retry_after), "Cache-Control": "no-store"}
        response: Response
        if scope.get("path") == TOKEN_PATH:  # OAuth clients read `error` (RFC 6749 5.2)
            body = {"error": "rate_limited", "error_description": message}
            response = JSONResponse(body, status_code=429, headers=headers)
        else:
            response = error_response(
                429,
                ErrorCode.RATE_LIMITED,
                message,
                headers,
                # GraphQL over HTTP: the media type the client asked for (http/media.py).
                media_type=negotiate(Request(scope).headers.get("accept")) or JSON,
                details={"resetAt": reset_at, "retryAfter": retry_after},
            )
        await response(scope, receive, send)
