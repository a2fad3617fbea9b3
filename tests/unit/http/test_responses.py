"""The one error envelope and the status decided from a result (http/responses.py), and the
request record the envelope notes its codes in (observability/request_context.py)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from sfm_graphql.errors import ErrorCode, OperationRefused
from sfm_graphql.http.media import GRAPHQL_RESPONSE, JSON
from sfm_graphql.http.responses import error_response, refused_result, shape
from sfm_graphql.observability.request_context import (
    RequestRecord,
    RequestRecords,
    current_request,
    open_request,
)


def _error(code: str, *, path: list[str] | None = None, **details: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"message": "m", "extensions": {"code": code, **details}}
    if path is not None:
        error["path"] = path
    return error


def test_a_spent_budget_is_429_with_retry_after_in_both_media_types() -> None:
    refused = {"data": None, "errors": [_error("RATE_LIMITED", retryAfter=7)]}
    for media_type in (JSON, GRAPHQL_RESPONSE):
        _, status, headers = shape(dict(refused), media_type=media_type)
        assert (status, headers) == (429, {"Retry-After": "7"})


def test_every_error_unavailable_is_503_even_after_execution() -> None:
    partial = {
        "data": {"component": None},
        "errors": [
            _error("SERVICE_UNAVAILABLE", path=["component"], retryAfter=2),
            _error("SERVICE_UNAVAILABLE", path=["other"], retryAfter=5),
        ],
    }
    body, status, headers = shape(partial, media_type=JSON)
    assert (status, headers) == (503, {"Retry-After": "5"})
    assert body["data"] == {"component": None}
    mixed = {"data": None, "errors": [_error("SERVICE_UNAVAILABLE"), _error("BAD_USER_INPUT")]}
    assert shape(mixed, media_type=JSON)[1] == 200


def test_a_request_error_takes_its_status_from_its_code_only_for_graphql_response_json() -> None:
    refused = {"data": None, "errors": [_error("UNAUTHENTICATED")]}
    body, status, headers = shape(dict(refused), media_type=GRAPHQL_RESPONSE)
    assert (status, headers) == (401, {"WWW-Authenticate": "Bearer"})
    assert "data" not in body
    assert shape(dict(refused), media_type=JSON)[1] == 200
    field_error = {"data": {"x": None}, "errors": [_error("NOT_FOUND", path=["x"])]}
    assert shape(field_error, media_type=GRAPHQL_RESPONSE)[1] == 200


def test_both_envelopes_are_built_alike_and_note_their_code_in_the_record() -> None:
    with open_request("r-1") as record:
        response = error_response(
            413, ErrorCode.PAYLOAD_TOO_LARGE, "too big", details={"limit": 10}
        )
        result = refused_result(
            OperationRefused(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
        )
    assert record.error_codes == ["PAYLOAD_TOO_LARGE", "PERSISTED_QUERY_NOT_FOUND"]
    assert response.status_code == 413
    assert b'"extensions":{"limit":10,"code":"PAYLOAD_TOO_LARGE"}' in response.body
    assert b'"cost":{"requested":0}' in response.body
    assert result.data is None and result.extensions == {"cost": {"requested": 0}}
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "PERSISTED_QUERY_NOT_FOUND"}


def test_outside_a_request_the_envelope_notes_nothing() -> None:
    assert current_request() is None
    error_response(400, ErrorCode.BAD_REQUEST, "no")  # no record to note in: no error either


def _app(seen: list[RequestRecord]) -> Starlette:
    async def refused(request: Request) -> JSONResponse:
        record = current_request()
        assert record is not None
        seen.append(record)
        return error_response(400, ErrorCode.BAD_REQUEST, "no")

    async def broken(request: Request) -> PlainTextResponse:
        record = current_request()
        assert record is not None
        seen.append(record)
        raise RuntimeError("boom")

    routes = [Route("/refused", refused), Route("/broken", broken)]
    return Starlette(routes=routes, middleware=[Middleware(RequestRecords)])


@pytest.mark.parametrize(
    ("sent", "kept"), [("req-7", True), ("bad id with spaces", False), (None, False)]
)
async def test_the_record_holds_the_request_id_the_response_carries(
    sent: str | None, kept: bool
) -> None:
    seen: list[RequestRecord] = []
    transport = httpx.ASGITransport(app=_app(seen), raise_app_exceptions=False)
    headers = {"X-Request-ID": sent} if sent else {}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/refused", headers=headers)
    (record,) = seen
    assert response.headers["X-Request-ID"] == record.request_id
    if kept:
        assert record.request_id == sent
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", record.request_id)
    assert (record.status, record.error_codes) == (400, ["BAD_REQUEST"])


async def test_a_request_whose_app_raises_keeps_the_status_500() -> None:
    seen: list[RequestRecord] = []
    transport = httpx.ASGITransport(app=_app(seen), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/broken")).status_code == 500
    assert seen[0].status == 500
