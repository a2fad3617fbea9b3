"""JSON of response bodies, with orjson (docs/decisions.md, "orjson for response bodies").

The document `json.dumps(data, separators=(",", ":"), default=str)` wrote for everything a
GraphQL response holds (datetimes and other unknown values go through `str`, as before), with
non-ASCII text as UTF-8 instead of backslash-u escapes; a value orjson cannot take (an integer
beyond 64 bits) falls back to the standard library. Request bodies stay with `json.loads`:
orjson would read an integer beyond 64 bits as a float, and small bodies gain nothing.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON of `data`."""
    try:
        return orjson.dumps(data, default=str, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(data, separators=(",", ":"), default=str).encode()
