"""Admission control, the request timeout and the request deadline, driven as plain ASGI (no
network): the integration tests (tests/integration/test_overload.py) show them over HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from sfm_graphql.db.deadline import allow_long_request, request_deadline, transaction_timeout
from sfm_graphql.errors import TimedOut
from sfm_graphql.http.admission import AdmissionControl
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
    refusals: list[None] = []
    admission = AdmissionControl(
        held, limit=2, retry_after_s=3, on_refused=lambda: refusals.append(None)
    )
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
    assert "data" not in document
    assert len(refusals) == 1 and admission.in_flight == 2
    held.release.set()
    for _ in range(100):
        if admission.in_flight == 0:
            break
        await asyncio.sleep(0.01)
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

    admission = AdmissionControl(ok, limit=1, retry_after_s=1)
    admission.in_flight = 1  # full
    assert (await _call(admission, _scope(path)))[0] == 200
    assert (await _call(admission, _scope("/graphql")))[0] == 503


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
