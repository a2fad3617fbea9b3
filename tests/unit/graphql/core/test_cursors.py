import datetime as dt

import pytest

from sfm_graphql.errors import BadUserInput
from sfm_graphql.graphql.core.cursors import decode_cursor, encode_cursor, make_page


def test_cursor_round_trips_datetimes() -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC)
    cursor = decode_cursor(
        encode_cursor("createdAt", {"createdAt": when, "id": "a"}), "createdAt", field="after"
    )
    assert cursor.value == when
    assert cursor.id == "a"


def test_cursor_of_another_sort_is_refused() -> None:
    cursor = encode_cursor("label", {"label": "x", "id": "a"})
    with pytest.raises(BadUserInput, match="another sort order"):
        decode_cursor(cursor, "createdAt", field="after")


@pytest.mark.parametrize("garbage", ["", "!!!", "e30", "W10", "a" * 2000])
def test_garbage_cursors_are_bad_input(garbage: str) -> None:
    with pytest.raises(BadUserInput):
        decode_cursor(garbage, "label", field="after")


def _page(**kwargs: object) -> object:
    args = {
        "first": None,
        "after": None,
        "last": None,
        "before": None,
        "sort": "id",
        "descending": False,
        "default_size": 20,
        "max_size": 100,
    }
    args.update(kwargs)
    return make_page(**args)  # type: ignore[arg-type]


def test_page_size_limits() -> None:
    with pytest.raises(BadUserInput, match="between 0 and 100"):
        _page(first=101)
    with pytest.raises(BadUserInput, match="between 0 and 100"):
        _page(first=-1)
    with pytest.raises(BadUserInput, match="either first or last"):
        _page(first=1, last=1)
