"""Causal consistency on a Neo4j cluster: bookmarks per request (docs/api.md, Read your writes).

Every transaction of one HTTP request shares one bookmark manager, so a mutation's re-read waits
for the mutation's own write even when it is routed to a follower. The request starts from the
bookmarks the client sent back in `X-Neo4j-Bookmark` and ends by handing the manager's bookmarks
to the client in the same header.

The header is the service's own token, not Neo4j's raw bookmark: the raw values are signed with
a key derived from the API-key pepper (shared by every replica), so a client cannot forge a
bookmark "from the future" that would make every read it sends wait for Neo4j's bookmark timeout.
A header that is not of the token's form is refused (400 BAD_REQUEST); a well-formed one whose
signature does not verify (another deployment, a rotated pepper) is ignored, because the write
it stands for is older than the rotation and long replicated.

Outside a request (the CLI, the lifespan, background work) the driver's own process-wide
bookmark manager is used, as `execute_query` does by default.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from neo4j import AsyncDriver, AsyncGraphDatabase, Bookmarks
from neo4j.api import AsyncBookmarkManager

from sfm_graphql.errors import ErrorCode, SfmError

HEADER = "X-Neo4j-Bookmark"
MAX_HEADER_CHARS = 2048
MAX_BOOKMARKS = 16
VERSION = "v1"
# Neo4j bookmarks are short printable tokens ("FB:" and base64 in Neo4j 5); anything else in a
# decoded token is not one of ours.
_RAW_BOOKMARK = re.compile(r"^[A-Za-z0-9:+/=_.-]{1,512}$")
_TOKEN = re.compile(r"^v1\.[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{43}$")
_KEY_LABEL = b"sfm-graphql neo4j bookmark v1"

_current: ContextVar[AsyncBookmarkManager | None] = ContextVar("neo4j_bookmarks", default=None)


class InvalidBookmark(SfmError):
    """The X-Neo4j-Bookmark header is not a token this service issues."""

    code = ErrorCode.BAD_REQUEST


class BookmarkCodec:
    """Turns raw Neo4j bookmarks into the signed header token and back."""

    def __init__(self, pepper: bytes) -> None:
        # A key of its own, derived from the pepper: a bookmark signature never doubles as an
        # API-key hash.
        self._key = hmac.new(pepper, _KEY_LABEL, hashlib.sha256).digest()

    def encode(self, bookmarks: Iterable[str]) -> str | None:
        """The header value for these bookmarks; None when there are none (or too many)."""
        values = sorted(set(bookmarks))
        if not values or len(values) > MAX_BOOKMARKS:
            return None
        payload = _b64(json.dumps(values, separators=(",", ":")).encode())
        token = f"{VERSION}.{payload}.{_b64(self._sign(payload))}"
        return token if len(token) <= MAX_HEADER_CHARS else None

    def decode(self, header: str) -> frozenset[str]:
        """The raw bookmarks of a header; empty when the signature is not ours.

        Raises InvalidBookmark when the header is not of the token's form at all.
        """
        if len(header) > MAX_HEADER_CHARS or not _TOKEN.match(header):
            raise _invalid()
        _, payload, signature = header.split(".")
        if not hmac.compare_digest(_unb64(signature), self._sign(payload)):
            return frozenset()
        try:
            values = json.loads(_unb64(payload))
        except ValueError:
            raise _invalid() from None
        if (
            not isinstance(values, list)
            or not 0 < len(values) <= MAX_BOOKMARKS
            or not all(isinstance(v, str) and _RAW_BOOKMARK.match(v) for v in values)
        ):
            raise _invalid()
        return frozenset(values)

    def _sign(self, payload: str) -> bytes:
        return hmac.new(self._key, f"{VERSION}.{payload}".encode(), hashlib.sha256).digest()


@contextmanager
def request_bookmarks(initial: Iterable[str] = ()) -> Iterator[AsyncBookmarkManager]:
    """One bookmark manager for the work of the current request, starting from `initial`."""
    manager = AsyncGraphDatabase.bookmark_manager(
        initial_bookmarks=Bookmarks.from_raw_values(initial)
    )
    token = _current.set(manager)
    try:
        yield manager
    finally:
        _current.reset(token)


def bookmark_manager(driver: AsyncDriver) -> AsyncBookmarkManager:
    """The manager a session or query of the current context joins."""
    return _current.get() or driver.execute_query_bookmark_manager


def _invalid() -> InvalidBookmark:
    return InvalidBookmark(
        f"The {HEADER} header is not a bookmark this service issued; send back the value of "
        "a recent response's header unchanged, or no header",
        header=HEADER,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise _invalid() from None
