"""Admission control: at most `limit` requests in flight per process, at most `queue_size` more
waiting up to `wait_s` for a slot, and anything beyond refused at once with 503 OVERLOADED and
`Retry-After` (docs/operations/troubleshooting.md, docs/decisions.md).

The wait is short and bounded, like Envoy's `max_pending_requests`: a burst a little above the
limit is absorbed (a client such as `hey` re-sends a refused request at once, so refusing every
request over the limit turns a burst into a storm of 503s), while the queue can never grow past
`queue_size` nor hold a request longer than `wait_s`, so admitted requests keep a bounded
latency and the process recovers by itself as soon as the burst ends. The waiters form a FIFO
queue; a slot freed is handed to the oldest waiter directly (the in-flight count does not
change), so there is no thundering herd and no request overtakes one that waited longer. A
waiter not admitted within `wait_s` gets the same 503 (its message says it waited); a request
that finds the queue full gets it at once. While it waits, a request's body is read into a
small buffer (replayed to the app once admitted) so that a client that disconnects is noticed
and leaves the queue. `queue_size` 0 or `wait_s` 0 is the plain limit: refused at once.

The probes and `/metrics` are never refused nor queued: an overloaded process is alive and
ready, it is just full, and a scrape must still see the refusals. A request holds its slot until
the last byte of its response goes out. Pure ASGI (no BaseHTTPMiddleware): the counts are
integers and the waiters asyncio futures, changed on the event loop only, so no lock is needed.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfm_graphql.errors import ErrorCode
from sfm_graphql.http.media import JSON, negotiate
from sfm_graphql.http.responses import error_response

# Answered whatever the load: the orchestrator's probes and the metrics scrape.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/startupz", "/metrics"})
OVERLOADED_STATUS = 503
# Body bytes read while waiting, to see a disconnect behind them; past this the waiter stops
# reading (the server's flow control holds the rest) and only its wait bound applies. The size
# of the default anonymous body limit (max_anonymous_body_bytes), which anyone may send anyway.
WAIT_BUFFER_BYTES = 64 * 1024

# Reasons of a refusal (the `reason` label of sfm_requests_rejected_total).
QUEUE_FULL = "overload"  # the value the label had before the queue; kept, it is a contract
WAITED_TOO_LONG = "wait_timeout"
# Outcomes of a wait (the `outcome` label of sfm_admission_wait_seconds).
ADMITTED = "admitted"
TIMED_OUT = "timeout"
DISCONNECTED = "disconnected"


class AdmissionObserver(Protocol):
    """What admission control reports (observability/metrics.py implements it)."""

    def admission_refused(self, reason: str) -> None: ...

    def admission_waiting(self, delta: int) -> None: ...

    def admission_waited(self, seconds: float, outcome: str) -> None: ...


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
        queue_size: int = 0,
        wait_s: float = 0.0,
        observer: AdmissionObserver | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.queue_size = queue_size if wait_s > 0 else 0
        self.wait_s = wait_s
        self._observer = observer
        self.in_flight = 0
        # Oldest first; a future's result is the slot handed over to it.
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot now."""
        return len(self._waiters)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
        elif len(self._waiters) >= self.queue_size:
            await self._refuse(scope, receive, send, reason=QUEUE_FULL)
            return
        else:
            buffered: list[Message] = []
            outcome = await self._wait(receive, buffered)
            if outcome != ADMITTED:
                # A client that went away is answered all the same (the server drops it), so
                # its record, log line and metrics show this 503, not an unanswered request;
                # it is not counted as a refusal.
                timed_out = outcome == TIMED_OUT
                reason = WAITED_TOO_LONG if timed_out else None
                await self._refuse(scope, receive, send, reason=reason, waited=timed_out)
                return
            if buffered:
                receive = _replaying(buffered, receive)
        await self._run(scope, receive, send)

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request on the slot it holds, and give the slot up once answered."""
        holding = True

        def release() -> None:
            nonlocal holding
            if holding:
                holding = False
                self._release()

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

    def _release(self) -> None:
        """A slot is free: hand it to the oldest waiter, else count it free."""
        while self._waiters:
            slot = self._waiters.popleft()
            if not slot.done():
                slot.set_result(None)
                return
        self.in_flight -= 1

    async def _wait(self, receive: Receive, buffered: list[Message]) -> str:
        """Wait in the queue for a slot: ADMITTED (the slot is held), TIMED_OUT or DISCONNECTED."""
        loop = asyncio.get_running_loop()
        slot: asyncio.Future[None] = loop.create_future()
        self._waiters.append(slot)
        self._report_waiting(1)
        started = loop.time()
        watcher = asyncio.ensure_future(_watch_for_disconnect(receive, buffered))
        outcome = DISCONNECTED  # unless the wait ends: this task was cancelled
        try:
            await asyncio.wait(
                (slot, watcher), timeout=self.wait_s, return_when=asyncio.FIRST_COMPLETED
            )
            outcome = DISCONNECTED if _gone(watcher) else ADMITTED if slot.done() else TIMED_OUT
        finally:
            # Also when this task is cancelled (the server shutting down): nothing is left behind.
            watcher.cancel()
            if slot.done():
                if outcome != ADMITTED:
                    self._release()  # handed a slot it will not use: pass it on
            else:
                self._waiters.remove(slot)
                slot.cancel()
            self._report_waiting(-1)
            if self._observer is not None:
                self._observer.admission_waited(loop.time() - started, outcome)
        return outcome

    def _report_waiting(self, delta: int) -> None:
        if self._observer is not None:
            self._observer.admission_waiting(delta)

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        reason: str | None,
        waited: bool = False,
    ) -> None:
        if self._observer is not None and reason is not None:
            self._observer.admission_refused(reason)
        message = f"This server is at its limit of {self.limit} requests at once"
        if waited:
            message += f" and none finished within the {self.wait_s:g} s this request waited"
        response = error_response(
            OVERLOADED_STATUS,
            ErrorCode.OVERLOADED,
            f"{message}; retry shortly",
            {"Retry-After": str(self.retry_after_s)},
            media_type=accepted_media_type(scope),
        )
        await response(scope, receive, send)


async def _watch_for_disconnect(receive: Receive, buffered: list[Message]) -> bool:
    """Read the request while it waits; True once the client has disconnected.

    Keeps what it reads in `buffered` for the app. Once the body is complete the server's next
    message is the disconnect. Never returns False: past `WAIT_BUFFER_BYTES`, or when a server
    sends more after the complete body, it stops reading and waits until it is cancelled.
    """
    size = 0
    complete = False
    while size <= WAIT_BUFFER_BYTES:
        message = await receive()
        if message["type"] == "http.disconnect":
            return True
        buffered.append(message)
        if complete:
            break
        size += len(message.get("body", b""))
        complete = not message.get("more_body", False)
    await asyncio.Event().wait()  # cancelled when the wait ends
    return False


def _gone(watcher: asyncio.Future[bool]) -> bool:
    """Whether the watcher saw the client go (a disconnect, or a receive that failed)."""
    if not watcher.done() or watcher.cancelled():
        return False
    return watcher.exception() is not None or watcher.result()


def _replaying(buffered: list[Message], receive: Receive) -> Receive:
    """`receive` that first gives back what was read while the request waited."""
    pending = collections.deque(buffered)

    async def replay() -> Message:
        if pending:
            return pending.popleft()
        return await receive()

    return replay
