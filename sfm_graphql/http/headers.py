"""Security headers on every response.

The CSP allows only same-origin scripts, styles, fonts and connections, which is all the
self-hosted GraphiQL needs (it has no inline script). Its subscriptions open a WebSocket to the
same host and port: CSP level 3 counts that as `'self'`, but browsers older than Chrome 71 or
Safari 16 do not, so `connect-src` also names that one ws: (page over http) or wss: (page over
https) origin, taken from the request's `Host` when it is a plain host[:port], else left out.
HSTS is sent when the service is reached over HTTPS, directly or through a trusted proxy that
says so (`http.proxy.ProxyHeaders` has set the scope's scheme from its `X-Forwarded-Proto` or
`Forwarded`).
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_BEFORE_CONNECT = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
)
_AFTER_CONNECT = (
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join((*_BEFORE_CONNECT, "connect-src 'self'", *_AFTER_CONNECT))
"""The policy when the request names no usable host (e.g. HTTP/1.0 without `Host`)."""

# A DNS name or IPv4 address, or a bracketed IPv6 address, and an optional port: nothing that
# could end the directive (`;`, `,`, spaces) or widen it (`*`, a scheme, a path).
_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"|\[[0-9a-f:.]{2,45}\])(?::[0-9]{1,5})?",
)


def content_security_policy(host: str | None, *, secure: bool) -> str:
    """The CSP for a request to `host` (its `Host` header) over https (`secure`) or http."""
    if host is None or len(host) > 260 or _HOST.fullmatch(host.lower()) is None:
        return CONTENT_SECURITY_POLICY
    websocket = f"{'wss' if secure else 'ws'}://{host.lower()}"
    return "; ".join((*_BEFORE_CONNECT, f"connect-src 'self' {websocket}", *_AFTER_CONNECT))


STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"
        csp = content_security_policy(Headers(scope=scope).get("host"), secure=secure)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", csp)
                for name, value in STATIC_HEADERS.items():
                    headers.setdefault(name, value)
                if secure:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
