"""Opaque keyset cursors: the sort key, its value and the id of the item they point at."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from sfm_graphql.db.plan import Cursor, Page
from sfm_graphql.errors import BadUserInput

MAX_CURSOR_LENGTH = 1000


def encode_cursor(sort: str, props: dict[str, Any]) -> str:
    value = props.get(sort)
    if isinstance(value, dt.datetime):
        encoded: Any = {"dt": value.isoformat()}
    elif isinstance(value, dt.date):
        encoded = {"d": value.isoformat()}
    else:
        encoded = value
    raw = json.dumps([sort, encoded, props["id"]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, *, field: str) -> Cursor:
    """The position a cursor names; it must have been made for the same sort order."""
    invalid = BadUserInput(f"{field}: not a valid cursor", field=field)
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode())
        cursor_sort, encoded, item_id = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(item_id, str):
        raise invalid
    if cursor_sort != sort:
        raise BadUserInput(
            f"{field}: this cursor was made for another sort order; start again without it",
            field=field,
        )
    value: Any = encoded
    if isinstance(encoded, dict):
        try:
            value = (
                dt.datetime.fromisoformat(encoded["dt"])
                if "dt" in encoded
                else dt.date.fromisoformat(encoded["d"])
            )
        except (KeyError, ValueError):
            raise BadUserInput(f"{field}: not a valid cursor", field=field) from None
    return Cursor(value=value, id=item_id)


def make_page(
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    sort: str,
    descending: bool,
    default_size: int,
    max_size: int,
) -> Page:
    """Validate Relay pagination arguments into a keyset page."""
    if first is not None and last is not None:
        raise BadUserInput("Pass either first or last, not both", field="first")
    if last is not None or before is not None:
        if after is not None or first is not None:
            raise BadUserInput("Page backwards with last and before, forwards with first and after")
        size, field, cursor_text, backward = (last, "last", before, True)
    else:
        size, field, cursor_text, backward = (first, "first", after, False)
    if size is None:
        size = default_size
    if size < 0 or size > max_size:
        raise BadUserInput(f"{field} must be between 0 and {max_size}", field=field)
    cursor = None
    if cursor_text is not None:
        cursor = decode_cursor(cursor_text, sort, field="before" if backward else "after")
    return Page(size=size, sort=sort, descending=descending, backward=backward, cursor=cursor)
