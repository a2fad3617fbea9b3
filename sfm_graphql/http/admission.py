"""Admission control: at most `concurrency_limit` requests in flight per process, the next one
refused at once with 503 OVERLOADED and `Retry-After` (docs/operations/troubleshooting.md).

Nothing waits in a queue of ours: a request beyond the limit costs one small JSON answer, so
under a burst the admitted requests keep the latency they had and the service recovers by itself
as soon as the burst ends. The probes and `/metrics` are never refused: an overloaded process is
alive and ready, it is just full, and a scrape must still see the refusals.
A request holds its slot until its response is complete. Pure ASGI (no BaseHTTPMiddleware): the
count is an integer changed on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfm_graphql.errors import ErrorCode
from sfm_graphql.http.media import JSON, negotiate
from sfm_graphql.http.responses import error_response

# Answered whatever the load: the orchestrator's probes and the metrics scrape.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/startupz", "/metrics"})
OVERLOADED_STATUS = 503


def accepted_media_type(scope: Scope) -> str:
    """The media type of an error answered from a middleware, from the request's `Accept`."""
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return negotiate(value.decode("latin-1")) or JSON
    return JSON


class AdmissionControl:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        retry_after_s: int,
        on_refused: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.retry_after_s = retry_after_s
        self._on_refused = on_refused
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await self._refuse(scope, receive, send)
            return
        self.in_flight += 1
        holding = True

        def release() -> None:
            nonlocal holding
            if holding:
                holding = False
                self.in_flight -= 1

        async def releasing_send(message: Message) -> None:
            # Answered: the slot is free as the last byte goes out, not after the work that
            # follows a response (background tasks such as the audit write), so a client that
            # sends its next request at once is admitted.
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                release()
            await send(message)

        try:
            await self.app(scope, receive, releasing_send)
        finally:
            release()

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._on_refused is not None:
            self._on_refused()
        response = error_response(
            OVERLOADED_STATUS,
            ErrorCode.OVERLOADED,
            f"This server is at its limit of {self.limit} requests at once; retry shortly",
            {"Retry-After": str(self.retry_after_s)},
            media_type=accepted_media_type(scope),
        )
        await response(scope, receive, send)
