"""Driver values to the service's own: temporal types to `datetime`/`date`, records to dicts."""

from __future__ import annotations

from typing import Any

import neo4j
from neo4j import graph as neo4j_graph
from neo4j import time as neo4j_time

# Values the driver hands over as they are: most of a page's values, returned on one lookup.
_PLAIN = frozenset({str, int, float, bool, type(None), bytes})


def to_native(value: Any) -> Any:
    """Neo4j temporal values become `datetime`/`date`; containers are converted deeply."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k: to_native(v) for k, v in value.items()}
    if kind is list:
        return [to_native(v) for v in value]
    return _converted(value)


def _converted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: to_native(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_native(v) for v in value]
    if isinstance(value, neo4j_time.DateTime | neo4j_time.Date):
        return value.to_native()
    if isinstance(value, neo4j_graph.Node | neo4j_graph.Relationship):
        return {k: to_native(v) for k, v in value.items()}  # its properties, as `data()` has
    return value


def native_row(record: neo4j.Record) -> dict[str, Any]:
    """A record as a dict of native values in one pass (`to_native(record.data())` makes two
    deep copies; on a page of nested maps that is most of the conversion's time)."""
    return {
        key: to_native(value) for key, value in zip(record.keys(), record.values(), strict=True)
    }
