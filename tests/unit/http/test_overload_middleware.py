"""Admission control, the request timeout and the request deadline, driven as plain ASGI (no
network): the integration tests (tests/integration/test_overload.py) show them over HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from sfm_graphql.db.deadline import allow_long_request, request_deadline, transaction_timeout
from sfm_graphql.errors import TimedOut
from sfm_graphql.http.admission import WAIT_BUFFER_BYTES, AdmissionControl
from sfm_graphql.http.timeout import RequestTimeout


def _scope(path: str = "/graphql", accept: bytes = b"application/json") -> Scope:
    return {"type": "http", "method": "POST", "path": path, "headers": [(b"accept", accept)]}


async def _call(app: Any, scope: Scope) -> tuple[int, dict[str, str], bytes]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], headers, body


class Observed:
    """An `AdmissionObserver` that keeps what it was told."""

    def __init__(self) -> None:
        self.refused: list[str] = []
        self.queue = 0
        self.waited: list[tuple[float, str]] = []

    def admission_refused(self, reason: str) -> None:
        self.refused.append(reason)

    def admission_waiting(self, delta: int) -> None:
        self.queue += delta
        assert self.queue >= 0

    def admission_waited(self, seconds: float, outcome: str) -> None:
        self.waited.append((seconds, outcome))


async def _until(check: Callable[[], bool], within_s: float = 2.0) -> None:
    deadline = time.perf_counter() + within_s
    while not check():
        assert time.perf_counter() < deadline, "the condition never held"
        await asyncio.sleep(0.005)


class Held:
    """An app whose requests wait until released, then answer 200, then keep working."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.after_response = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}", "more_body": False})
        await self.after_response.wait()  # a background task after the response


async def test_a_request_beyond_the_limit_is_refused_at_once_with_retry_after() -> None:
    held = Held()
    seen = Observed()
    admission = AdmissionControl(held, limit=2, retry_after_s=3, observer=seen)
    admitted = [asyncio.create_task(_call(admission, _scope())) for _ in range(2)]
    await asyncio.sleep(0)
    started = time.perf_counter()
    status, headers, body = await _call(
        admission, _scope(accept=b"application/graphql-response+json")
    )
    assert time.perf_counter() - started < 0.05
    assert status == 503 and headers["retry-after"] == "3"
    assert headers["content-type"].startswith("application/graphql-response+json")
    document = json.loads(body)
    assert document["errors"][0]["extensions"]["code"] == "OVERLOADED"
    assert "waited" not in document["errors"][0]["message"]
    assert "data" not in document
    assert seen.refused == ["overload"] and admission.in_flight == 2
    assert seen.waited == []  # no queue by default: nothing waited
    held.release.set()
    await _until(lambda: admission.in_flight == 0)
    # Answered: the slots are free while the work after the responses goes on.
    assert admission.in_flight == 0
    assert not any(task.done() for task in admitted)
    held.after_response.set()
    await asyncio.gather(*admitted)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/startupz", "/metrics"])
async def test_probes_and_metrics_are_answered_whatever_the_load(path: str) -> None:
    async def ok(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    admission = AdmissionControl(ok, limit=1, retry_after_s=1, queue_size=1, wait_s=5)
    admission.in_flight = 1  # full
    started = time.perf_counter()
    assert (await _call(admission, _scope(path)))[0] == 200
    assert time.perf_counter() - started < 0.5 and admission.waiting == 0  # not queued


class Gate:
    """An app that reads the body, holds each request until the test finishes it by name, then
    answers 200 with the body it read."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self._finish: dict[str, asyncio.Event] = {}

    def finish(self, name: str) -> None:
        self._finish.setdefault(name, asyncio.Event()).set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.started.append(scope["name"])
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await self._finish.setdefault(scope["name"], asyncio.Event()).wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body, "more_body": False})


class Client:
    """One request as uvicorn hands it over: its body (in chunks), then nothing until the
    client goes away, when `receive` answers `http.disconnect`."""

    def __init__(
        self,
        app: Any,
        name: str,
        *,
        chunks: list[bytes] | None = None,
        on_answered: Callable[[], object] | None = None,
    ) -> None:
        self.scope = {**_scope(), "name": name}
        self.chunks = list(chunks if chunks is not None else [name.encode()])
        self.received = 0
        self.gone = asyncio.Event()
        self.sent: list[Message] = []
        self._on_answered = on_answered
        self.task = asyncio.create_task(app(self.scope, self.receive, self.send))

    async def receive(self) -> Message:
        if self.chunks:
            self.received += 1
            body = self.chunks.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(self.chunks)}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        if message["type"] == "http.response.body" and self._on_answered is not None:
            self._on_answered()

    def answer(self) -> tuple[int, bytes]:
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")
        return start["status"], body


async def _queued(
    admission: AdmissionControl, gate: Gate, names: str, **kw: Any
) -> dict[str, Client]:
    """Requests sent one after another, each settled (running or waiting) before the next."""
    clients = {}
    for name in names:
        clients[name] = Client(admission, name, **kw)
        await asyncio.sleep(0.01)
    return clients


async def test_waiters_get_the_freed_slot_oldest_first_and_a_newcomer_does_not_overtake() -> None:
    gate, seen = Gate(), Observed()
    admission = AdmissionControl(
        gate, limit=1, retry_after_s=1, queue_size=4, wait_s=5, observer=seen
    )
    clients = await _queued(admission, gate, "abcd")
    assert gate.started == ["a"] and admission.in_flight == 1 and admission.waiting == 3
    assert seen.queue == 3
    gate.finish("a")
    await _until(lambda: len(gate.started) == 2)
    # The slot went straight to the oldest waiter: still one in flight, nobody else woken.
    assert gate.started == ["a", "b"] and admission.in_flight == 1 and admission.waiting == 2
    clients["e"] = Client(admission, "e")  # arrives while others wait: joins the end
    await asyncio.sleep(0.01)
    assert gate.started == ["a", "b"] and admission.waiting == 3

    def started_last(name: str) -> Callable[[], bool]:
        return lambda: gate.started[-1] == name

    for done, following in zip("bcd", "cde", strict=True):
        gate.finish(done)
        await _until(started_last(following))
        assert admission.in_flight == 1
    gate.finish("e")
    await asyncio.gather(*(c.task for c in clients.values()))
    assert gate.started == list("abcde")
    # Each got its own body back, read while it waited and handed on to the app.
    assert {n: c.answer() for n, c in clients.items()} == {n: (200, n.encode()) for n in "abcde"}
    assert admission.in_flight == 0 and admission.waiting == 0 and seen.queue == 0
    assert [outcome for _, outcome in seen.waited] == ["admitted"] * 4 and seen.refused == []


async def test_beyond_in_flight_and_queue_the_503_comes_at_once() -> None:
    gate, seen = Gate(), Observed()
    admission = AdmissionControl(
        gate, limit=1, retry_after_s=2, queue_size=2, wait_s=5, observer=seen
    )
    clients = await _queued(admission, gate, "abc")
    started = time.perf_counter()
    status, headers, body = await _call(admission, {**_scope(), "name": "d"})
    assert time.perf_counter() - started < 0.05
    assert status == 503 and headers["retry-after"] == "2"
    error = json.loads(body)["errors"][0]
    assert error["extensions"]["code"] == "OVERLOADED" and "waited" not in error["message"]
    assert seen.refused == ["overload"] and admission.waiting == 2
    for name in "abc":
        gate.finish(name)
    await asyncio.gather(*(c.task for c in clients.values()))
    assert gate.started == list("abc") and admission.in_flight == 0


async def test_a_waiter_not_admitted_in_time_gets_503_saying_it_waited() -> None:
    gate, seen = Gate(), Observed()
    admission = AdmissionControl(
        gate, limit=1, retry_after_s=1, queue_size=1, wait_s=0.2, observer=seen
    )
    clients = await _queued(admission, gate, "ab")
    started = time.perf_counter()
    await clients["b"].task
    assert 0.15 <= time.perf_counter() - started < 1
    status, body = clients["b"].answer()
    assert status == 503
    assert any(h == (b"retry-after", b"1") for h in clients["b"].sent[0]["headers"])
    error = json.loads(body)["errors"][0]
    assert error["extensions"]["code"] == "OVERLOADED" and "waited" in error["message"]
    assert seen.refused == ["wait_timeout"]
    [(waited, outcome)] = seen.waited
    assert outcome == "timeout" and waited >= 0.2
    # No slot leaked to the one that timed out: the running one still holds the only slot,
    # and once it is done the next request runs at once.
    assert admission.in_flight == 1 and admission.waiting == 0 and seen.queue == 0
    gate.finish("a")
    await clients["a"].task
    assert admission.in_flight == 0
    gate.finish("c")
    status, _, _ = await _call(admission, {**_scope(), "name": "c"})
    assert status == 200 and gate.started == ["a", "c"]


async def test_a_client_that_disconnects_while_waiting_leaves_the_queue() -> None:
    gate, seen = Gate(), Observed()
    admission = AdmissionControl(
        gate, limit=1, retry_after_s=1, queue_size=2, wait_s=5, observer=seen
    )
    clients = await _queued(admission, gate, "abc")
    clients["b"].gone.set()
    await asyncio.wait_for(clients["b"].task, 1)
    # Answered for the record (the server drops it), not counted as a refusal.
    assert clients["b"].answer()[0] == 503 and seen.refused == []
    assert admission.waiting == 1 and seen.queue == 1
    assert [outcome for _, outcome in seen.waited] == ["disconnected"]
    gate.finish("a")
    await _until(lambda: gate.started == ["a", "c"])
    gate.finish("c")
    await asyncio.gather(clients["a"].task, clients["c"].task)
    assert admission.in_flight == 0 and admission.waiting == 0 and seen.refused == []


async def test_a_waiter_cancelled_as_the_slot_reaches_it_passes_the_slot_on() -> None:
    gate = Gate()
    admission = AdmissionControl(gate, limit=1, retry_after_s=1, queue_size=3, wait_s=5)
    # `a` answers, which hands the slot to `b`; before `b` runs, the server cancels it.
    clients = await _queued(admission, gate, "a")
    clients |= await _queued(admission, gate, "b")
    clients["a"]._on_answered = clients["b"].task.cancel
    clients |= await _queued(admission, gate, "cd")
    gate.finish("a")
    await _until(lambda: gate.started == ["a", "c"])
    assert clients["b"].task.cancelled() and admission.in_flight == 1 and admission.waiting == 1
    clients["d"].task.cancel()  # cancelled while still waiting: leaves the queue
    await asyncio.sleep(0.01)
    assert admission.waiting == 0
    gate.finish("c")
    await clients["c"].task
    assert admission.in_flight == 0 and gate.started == ["a", "c"]


async def test_a_large_body_is_read_only_up_to_the_buffer_while_waiting() -> None:
    gate = Gate()
    admission = AdmissionControl(gate, limit=1, retry_after_s=1, queue_size=1, wait_s=5)
    chunk = b"x" * (WAIT_BUFFER_BYTES // 4)
    clients = await _queued(admission, gate, "a")
    big = Client(admission, "b", chunks=[chunk] * 20)
    await asyncio.sleep(0.05)
    assert big.received <= 6  # the rest stays with the server until the app reads it
    gate.finish("a")
    gate.finish("b")
    await asyncio.gather(clients["a"].task, big.task)
    assert big.answer() == (200, chunk * 20)


@pytest.mark.parametrize(("queue_size", "wait_s"), [(0, 5.0), (5, 0.0)])
async def test_no_queue_or_no_wait_is_the_plain_limit(queue_size: int, wait_s: float) -> None:
    gate = Gate()
    admission = AdmissionControl(
        gate, limit=1, retry_after_s=1, queue_size=queue_size, wait_s=wait_s
    )
    clients = await _queued(admission, gate, "a")
    started = time.perf_counter()
    assert (await _call(admission, {**_scope(), "name": "b"}))[0] == 503
    assert time.perf_counter() - started < 0.05 and admission.waiting == 0
    gate.finish("a")
    await clients["a"].task


async def test_a_request_past_its_time_gets_504_timeout_and_is_cancelled() -> None:
    cancelled = asyncio.Event()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    started = time.perf_counter()
    status, _, body = await _call(RequestTimeout(slow, timeout_s=0.2), _scope())
    assert 0.2 <= time.perf_counter() - started < 1
    assert status == 504 and cancelled.is_set()
    error = json.loads(body)["errors"][0]
    assert error["extensions"] == {"timeoutSeconds": 0.2, "code": "TIMEOUT"}


async def test_a_response_under_way_is_not_cut_by_the_timeout() -> None:
    async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(0.3)
        await send({"type": "http.response.body", "body": b"late", "more_body": False})

    status, _, body = await _call(RequestTimeout(streaming, timeout_s=0.1), _scope())
    assert (status, body) == (200, b"late")


async def test_a_bulk_operation_allows_itself_the_longer_timeout() -> None:
    async def bulk(scope: Scope, receive: Receive, send: Send) -> None:
        allow_long_request(1.0)
        assert 0.9 < transaction_timeout(300.0) <= 1.0
        await asyncio.sleep(0.4)  # past the ordinary 0.2 s
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done", "more_body": False})

    status, _, body = await _call(RequestTimeout(bulk, timeout_s=0.2), _scope())
    assert (status, body) == (200, b"done")

    async def endless(scope: Scope, receive: Receive, send: Send) -> None:
        allow_long_request(0.5)
        await asyncio.sleep(30)

    status, _, body = await _call(RequestTimeout(endless, timeout_s=0.2), _scope())
    assert status == 504
    assert json.loads(body)["errors"][0]["extensions"]["timeoutSeconds"] == 0.5


def test_transactions_take_the_time_the_request_has_left() -> None:
    assert transaction_timeout(30.0) == 30.0  # outside a request: what was asked
    with request_deadline(5.0):
        assert 4.9 < transaction_timeout(30.0) <= 5.0
        assert transaction_timeout(1.0) == 1.0
    with request_deadline(0.0), pytest.raises(TimedOut) as refused:
        transaction_timeout(30.0)
    assert refused.value.extensions()["code"] == "TIMEOUT"
