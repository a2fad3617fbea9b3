"""The X-Neo4j-Bookmark token: signed, bounded, refused when malformed (no network)."""

from __future__ import annotations

import pytest

from sfm_graphql.db.bookmarks import MAX_BOOKMARKS, MAX_HEADER_CHARS, BookmarkCodec, InvalidBookmark

CODEC = BookmarkCodec(b"pepper-of-this-deployment")


def test_a_token_round_trips_its_bookmarks() -> None:
    token = CODEC.encode(["FB:kcwQNhbks+BMQDi+/9bgHWe1ZwSQ", "FB:other"])
    assert token is not None and token.startswith("v1.")
    assert CODEC.decode(token) == {"FB:kcwQNhbks+BMQDi+/9bgHWe1ZwSQ", "FB:other"}


def test_no_bookmarks_or_too_many_give_no_header() -> None:
    assert CODEC.encode([]) is None
    assert CODEC.encode(f"FB:{i}" for i in range(MAX_BOOKMARKS + 1)) is None


def test_a_token_of_another_key_decodes_to_nothing() -> None:
    token = BookmarkCodec(b"another deployment").encode(["FB:x"])
    assert token is not None
    assert CODEC.decode(token) == frozenset()


def test_a_tampered_payload_decodes_to_nothing() -> None:
    token = CODEC.encode(["FB:x"])
    assert token is not None
    other = CODEC.encode(["FB:y"])
    assert other is not None
    spliced = ".".join([*token.split(".")[:2], other.split(".")[2]])
    assert CODEC.decode(spliced) == frozenset()


@pytest.mark.parametrize(
    "header",
    [
        "",
        "FB:kcwQ",
        "v1..",
        "v1.e30",
        "v1.e30." + "A" * 42,
        "v1.e30." + "A" * 43 + "!",
        "v1." + "A" * MAX_HEADER_CHARS + "." + "A" * 43,
    ],
)
def test_a_malformed_header_is_invalid(header: str) -> None:
    with pytest.raises(InvalidBookmark) as raised:
        CODEC.decode(header)
    assert raised.value.code.value == "BAD_REQUEST"
