"""Property values to JSON and back, keeping Neo4j's types (a datetime stays a datetime).

A plain JSON value stands for itself; any other type is an object {"$t": type, "v": text}.
Neo4j properties are never maps, so such an object cannot be mistaken for a stored value.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from typing import Any

from neo4j import time as neo4j_time

from sfm_graphql.operations.backup.errors import CorruptBackup, IncompatibleBackup

_TEMPORAL: dict[str, Callable[[str], Any]] = {
    "datetime": neo4j_time.DateTime.from_iso_format,
    "date": neo4j_time.Date.from_iso_format,
    "time": neo4j_time.Time.from_iso_format,
}


def encode(value: Any) -> Any:  # noqa: PLR0911 (one return per stored type)
    """A property value as JSON; raises IncompatibleBackup for a type the format cannot keep."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$t": "float", "v": repr(value)}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, neo4j_time.DateTime):
        if value.tzinfo is None:
            return {"$t": "localdatetime", "v": value.iso_format()}
        return {"$t": "datetime", "v": value.iso_format()}
    if isinstance(value, neo4j_time.Date):
        return {"$t": "date", "v": value.iso_format()}
    if isinstance(value, neo4j_time.Time):
        return {"$t": "time", "v": value.iso_format()}
    if isinstance(value, neo4j_time.Duration):
        parts = [value.months, value.days, value.seconds, value.nanoseconds]
        return {"$t": "duration", "v": parts}
    if isinstance(value, bytes | bytearray):
        return {"$t": "bytes", "v": base64.b64encode(value).decode()}
    raise IncompatibleBackup(f"a property of type {type(value).__name__} cannot be backed up")


def encode_props(props: dict[str, Any]) -> dict[str, Any]:
    return {key: encode(value) for key, value in props.items()}


def decode(value: Any) -> Any:  # noqa: PLR0911 (one return per stored type)
    """The inverse of `encode`; raises CorruptBackup for an object it did not write."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind, text = value.get("$t"), value.get("v")
    try:
        if kind in _TEMPORAL and isinstance(text, str):
            return _TEMPORAL[kind](text)
        if kind == "localdatetime" and isinstance(text, str):
            return neo4j_time.DateTime.from_iso_format(text)
        if kind == "duration" and isinstance(text, list) and len(text) == 4:
            months, days, seconds, nanoseconds = (int(x) for x in text)
            return neo4j_time.Duration(
                months=months, days=days, seconds=seconds, nanoseconds=nanoseconds
            )
        if kind == "bytes" and isinstance(text, str):
            return base64.b64decode(text, validate=True)
        if kind == "float" and text in ("nan", "inf", "-inf"):
            return float(text)
    except (ValueError, TypeError):
        pass
    raise CorruptBackup(f"a stored value cannot be read back: {str(value)[:80]}")


def decode_props(props: Any) -> dict[str, Any]:
    if not isinstance(props, dict):
        raise CorruptBackup("a row's properties are not an object")
    return {str(key): decode(value) for key, value in props.items()}
