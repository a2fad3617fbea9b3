"""The log pipeline without a server: the masking processor, the formatter, request ids."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from sfm_graphql.observability.access_log import CLIENT_ERROR, SERVER_ERROR, SUCCESS, outcome
from sfm_graphql.observability.logging import MaskSecrets, json_formatter, order_fields
from sfm_graphql.observability.request_context import accept_request_id, open_request
from sfm_graphql.settings import Settings

JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl"
API_KEY = "sfmk_0d6f7a1c-1111-4222-8333-944455556666_" + "s" * 43


def test_the_masking_processor_masks_credentials_by_key_and_in_free_text() -> None:
    masked = MaskSecrets()(
        None,
        "info",
        {
            "event": f"retry with Bearer {JWT} and password=hunter2 for {API_KEY}",
            "access_token": "opaque-value",
            "clientSecret": "s3cr3t",
            "X-API-Key": API_KEY,
            "headers": {"authorization": f"Bearer {JWT}"},
            "status": 200,
            "request_id": "r-1",
        },
    )
    assert masked["event"] == (
        "retry with Bearer [MASKED] and password=[MASKED] for "
        "sfmk_0d6f7a1c-1111-4222-8333-944455556666_[MASKED]"
    )
    assert masked["access_token"] == masked["clientSecret"] == masked["X-API-Key"] == "[MASKED]"
    assert masked["headers"] == {"authorization": "[MASKED]"}
    assert masked["status"] == 200 and masked["request_id"] == "r-1"


def test_the_masking_processor_masks_the_configured_personal_fields() -> None:
    processor = MaskSecrets(("email", "metadata.name", "nickname"))
    masked = processor(
        None,
        "info",
        {
            "email": "alice@example.org",
            "component": {"metadata": {"name": "Alice", "role": "chair"}, "nickname": "Al"},
            "name": "a component label",
        },
    )
    assert masked == {
        "email": "[MASKED]",
        "component": {"metadata": {"name": "[MASKED]", "role": "chair"}, "nickname": "[MASKED]"},
        "name": "a component label",
    }


def _fail(message: str) -> None:
    raise RuntimeError(message)


def test_a_foreign_record_becomes_one_masked_json_line_with_the_request_id() -> None:
    formatter = json_formatter(Settings())
    try:
        _fail(f"driver said: token={JWT}")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "neo4j.io", logging.ERROR, __file__, 1, "lost %s", (f"Bearer {JWT}",), exc_info
    )
    record.email = "alice@example.org"  # an `extra` field
    with open_request("req-42"):
        line = formatter.format(record)

    assert "\n" not in line and JWT not in line and "alice@example.org" not in line
    fields = json.loads(line)
    assert list(fields)[:5] == ["time", "level", "logger", "message", "request_id"]
    assert fields["level"] == "error" and fields["logger"] == "neo4j.io"
    assert fields["message"] == "lost Bearer [MASKED]"
    assert fields["request_id"] == "req-42" and fields["email"] == "[MASKED]"
    assert "RuntimeError: driver said: token=[MASKED]" in fields["exception"]


def test_common_fields_come_first_in_a_fixed_order() -> None:
    ordered = order_fields(
        None, "info", {"status": 200, "message": "m", "time": "t", "request_id": "r"}
    )
    assert list(ordered) == ["time", "message", "request_id", "status"]


@pytest.mark.parametrize(
    "given",
    ["abc-123", "7f3a9c0e1d2b4a5f8e6d7c8b9a0f1e2d", "edge/01:02@lb=1+2", "a" * 128],
)
def test_a_well_formed_request_id_is_kept(given: str) -> None:
    assert accept_request_id(given) == given


@pytest.mark.parametrize(
    "given", [None, "", "a" * 129, "two words", 'quote"d', "-dash-first", "new\nline", "ü"]
)
def test_any_other_request_id_is_replaced(given: str | None) -> None:
    replaced = accept_request_id(given)
    assert replaced != given and len(replaced) == 32 and int(replaced, 16) >= 0


def test_the_outcome_says_whose_fault_a_failure_was() -> None:
    assert outcome(200, []) == SUCCESS
    assert outcome(200, ["NOT_FOUND"]) == CLIENT_ERROR
    assert outcome(401, []) == CLIENT_ERROR
    assert outcome(200, ["BAD_USER_INPUT", "INTERNAL_SERVER_ERROR"]) == SERVER_ERROR
    assert outcome(200, ["SERVICE_UNAVAILABLE"]) == SERVER_ERROR
    assert outcome(502, []) == SERVER_ERROR
