"""Content negotiation and the JSON pre-scan of `/graphql` (http/media.py, http/body.py)."""

from __future__ import annotations

import json

import pytest

from sfm_graphql.errors import ErrorCode
from sfm_graphql.http.body import BodyRefused, JsonLimits, UploadSlots, check_json
from sfm_graphql.http.media import GRAPHQL_RESPONSE, JSON, negotiate, wants_html


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json,application/json;q=0.9", GRAPHQL_RESPONSE),
        ("application/graphql-response+json, application/json", GRAPHQL_RESPONSE),
        ("application/json, application/graphql-response+json;q=0.5", JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/json;q=0, */*", GRAPHQL_RESPONSE),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),
        ("text/plain", None),
        ("application/json;q=0", None),
        ("application/json;q=oops", None),
    ],
)
def test_the_response_type_follows_accept(accept: str | None, chosen: str | None) -> None:
    assert negotiate(accept) == chosen


@pytest.mark.parametrize(
    ("accept", "html"),
    [("text/html,*/*;q=0.8", True), ("*/*", False), (None, False), ("text/html;q=0", False)],
)
def test_only_a_client_naming_html_wants_graphiql(accept: str | None, html: bool) -> None:
    assert wants_html(accept) is html


LIMITS = JsonLimits(max_depth=8, max_elements=100)


def test_json_within_the_limits_passes() -> None:
    check_json(json.dumps({"query": "{ a }", "variables": {"x": [[1, 2], {"y": [3]}]}}), LIMITS)


def test_brackets_and_commas_inside_strings_are_text() -> None:
    check_json(json.dumps({"query": "[" * 500 + "," * 500 + '\\"{'}), LIMITS)


def test_deep_nesting_is_refused_before_parsing() -> None:
    with pytest.raises(BodyRefused) as raised:
        check_json(b'{"variables": {"x": ' + b"[" * 20 + b"]" * 20 + b"}}", LIMITS)
    assert raised.value.code is ErrorCode.JSON_TOO_COMPLEX
    assert raised.value.status == 400
    assert "nested" in raised.value.message


def test_too_many_elements_are_refused_before_parsing() -> None:
    with pytest.raises(BodyRefused) as raised:
        check_json(json.dumps({"variables": {"x": [{}] * 200}}).encode(), LIMITS)
    assert raised.value.code is ErrorCode.JSON_TOO_COMPLEX
    assert "elements" in raised.value.message


def test_upload_slots_are_per_key_and_freed() -> None:
    slots = UploadSlots()
    with (
        slots.hold("a", limit=1) as first,
        slots.hold("a", limit=1) as second,
        slots.hold("b", limit=1) as other,
    ):
        assert (first, second, other) == (True, False, True)
    with slots.hold("a", limit=1) as again:
        assert again
