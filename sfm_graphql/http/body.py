"""What `/graphql` reads of a request body, and how fast (docs/security.md, "Request bodies").

The view decides these per request after it has checked the credentials in the headers, before
any byte of the body is read: anonymous callers get a small body, authenticated JSON a larger
one, multipart uploads their own. The body must arrive within a deadline (slow bodies hold a
connection and, for uploads, a spool file), and JSON is measured for nesting depth and element
count on its bytes before `json.loads` builds anything.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from starlette.types import Message, Receive

from sfm_graphql.errors import ErrorCode, SfmError


class BodyRefused(SfmError):
    """A body the view will not read further; `status` is the HTTP status to answer."""

    status = 400

    def __init__(self, code: ErrorCode, status: int, message: str, **details: object) -> None:
        super().__init__(message, **details)
        self.code = code
        self.status = status


def too_large(limit: int) -> BodyRefused:
    return BodyRefused(
        ErrorCode.PAYLOAD_TOO_LARGE,
        413,
        f"Request bodies may be at most {limit} bytes here",
        limit=limit,
    )


def too_slow(timeout_s: float) -> BodyRefused:
    return BodyRefused(
        ErrorCode.REQUEST_TIMEOUT,
        408,
        f"The request body did not arrive within {timeout_s:g} s",
        limit=timeout_s,
    )


def limited_receive(receive: Receive, *, max_bytes: int, timeout_s: float) -> Receive:
    """`receive`, refusing a body over `max_bytes` or one not complete within `timeout_s`.

    Once the body is complete, later calls (Starlette waiting for a disconnect) pass through
    without a deadline.
    """
    deadline = time.monotonic() + timeout_s
    seen = 0
    complete = False

    async def receive_within_limits() -> Message:
        nonlocal seen, complete
        if complete:
            return await receive()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise too_slow(timeout_s)
        try:
            message = await asyncio.wait_for(receive(), remaining)
        except TimeoutError:
            raise too_slow(timeout_s) from None
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                raise too_large(max_bytes)
            complete = not message.get("more_body", False)
        return message

    return receive_within_limits


@dataclass(frozen=True, slots=True)
class JsonLimits:
    max_depth: int
    max_elements: int


# A JSON string, escapes included: its brackets and commas are text, not structure.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def check_json(data: str | bytes, limits: JsonLimits) -> None:
    """Refuse JSON nested deeper or holding more elements than `limits`, before it is parsed.

    A pass over the bytes in C (a regular expression and `bytes.translate`) plus a loop over the
    brackets only, which the element bound keeps short. Elements are counted as commas plus
    arrays and objects: about one per value or member.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    structure = _STRING.sub(b'""', raw)
    elements = structure.count(b",") + structure.count(b"[") + structure.count(b"{")
    if elements > limits.max_elements:
        raise BodyRefused(
            ErrorCode.JSON_TOO_COMPLEX,
            400,
            f"The JSON body holds more than {limits.max_elements} elements",
            limit=limits.max_elements,
        )
    depth = 0
    for byte in structure.translate(None, _NOT_BRACKETS):
        if byte in b"[{":
            depth += 1
            if depth > limits.max_depth:
                raise BodyRefused(
                    ErrorCode.JSON_TOO_COMPLEX,
                    400,
                    f"The JSON body is nested deeper than {limits.max_depth} levels",
                    limit=limits.max_depth,
                )
        else:
            depth -= 1


class UploadSlots:
    """Multipart uploads in progress per principal, in this process (each may spool a file)."""

    def __init__(self) -> None:
        self._active: dict[str, int] = {}

    @contextmanager
    def hold(self, key: str, *, limit: int) -> Iterator[bool]:
        """Yields whether `key` may start one more upload; the slot is freed on exit."""
        if self._active.get(key, 0) >= limit:
            yield False
            return
        self._active[key] = self._active.get(key, 0) + 1
        try:
            yield True
        finally:
            self._active[key] -= 1
            if not self._active[key]:
                del self._active[key]
