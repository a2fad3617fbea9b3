"""http/jsonio.py: orjson bodies that read exactly as the standard library's would."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sfm_graphql.http import jsonio


def _stdlib(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":"), default=str).encode()


@pytest.mark.parametrize(
    "data",
    [
        {"data": {"node": {"id": "QWN0b3I6MQ==", "label": "Café ✓", "weight": -1.5, "n": None}}},
        {"errors": [{"message": "x", "path": ["a", 0], "extensions": {"code": "BAD_REQUEST"}}]},
        {"extensions": {"cost": {"requested": 0}}, "data": [True, False, 0, 2**40]},
        {"when": dt.datetime(2026, 12, 3, 7, 0, tzinfo=dt.UTC), "day": dt.date(2026, 1, 2)},
    ],
)
def test_dumps_is_the_standard_librarys_output(data: object) -> None:
    # The same document; non-ASCII text is written as UTF-8 rather than as \u escapes.
    assert json.loads(jsonio.dumps(data)) == json.loads(_stdlib(data))
    if _stdlib(data).isascii() and "Caf" not in str(data):
        assert jsonio.dumps(data) == _stdlib(data)


def test_non_ascii_text_is_utf8() -> None:
    assert jsonio.dumps({"label": "Café ✓"}) == '{"label":"Café ✓"}'.encode()


def test_dumps_falls_back_for_integers_beyond_64_bits() -> None:
    data = {"big": 2**70, "other": "x"}
    assert jsonio.dumps(data) == _stdlib(data)
    assert json.loads(jsonio.dumps(data))["big"] == 2**70


def test_dumps_takes_non_string_keys_as_json_does() -> None:
    assert json.loads(jsonio.dumps({1: "a"})) == {"1": "a"}
