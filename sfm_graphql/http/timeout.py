"""The request timeout: a request not answered within `request_timeout_s` gets 504 TIMEOUT.

Pure ASGI middleware around everything behind admission control. It opens the request's
deadline (`db/deadline.py`), from which every Cypher transaction of the request takes its
timeout, so Neo4j ends the request's statement when the request runs out of time, and it cancels
the request's task at the deadline, so nothing of it runs on. Once the response has started it
is never cut: the timeout covers the work, not a slow reader. The probes and `/metrics` keep
their own bounds (`health_check_timeout_s`).

Why 504 and not a GraphQL error with 200: nothing of the operation is returned (a cancelled
operation has no partial result worth sending), and the status lets a client, a proxy or a
load test tell a timeout from an answer without reading the body; the body is the usual error
document with `extensions.code` TIMEOUT. When Neo4j's transaction timeout is seen before the
deadline's cancellation, the view answers the same way (`apply_timeout_status`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from graphql import GraphQLError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfm_graphql.db.deadline import request_deadline
from sfm_graphql.errors import ErrorCode
from sfm_graphql.http.admission import UNLIMITED_PATHS, accepted_media_type
from sfm_graphql.http.responses import error_response

TIMEOUT_STATUS = 504


class RequestTimeout:
    def __init__(self, app: ASGIApp, *, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        started = False
        with request_deadline(self.timeout_s) as deadline:
            timer = asyncio.timeout(self.timeout_s)

            async def timed_send(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start" and not started:
                    started = True
                    if not timer.expired():
                        timer.reschedule(None)  # answering now: a response is never cut
                await send(message)

            try:
                async with timer:
                    await self.app(scope, receive, timed_send)
            except TimeoutError:
                if not timer.expired():
                    raise  # not ours
                if started:
                    return  # the app answered as the time ran out: that answer stands
                response = error_response(
                    TIMEOUT_STATUS,
                    ErrorCode.TIMEOUT,
                    deadline.error().message,
                    {"Connection": "close"},  # the request's body may be partly unread
                    media_type=accepted_media_type(scope),
                    details={"timeoutSeconds": self.timeout_s},
                )
                await response(scope, receive, send)


def apply_timeout_status(errors: Sequence[GraphQLError] | None, response: Response) -> None:
    """Make `response` a 504 when every error is TIMEOUT (Neo4j ended the transaction)."""
    if errors and all((e.extensions or {}).get("code") == ErrorCode.TIMEOUT.value for e in errors):
        response.status_code = TIMEOUT_STATUS
