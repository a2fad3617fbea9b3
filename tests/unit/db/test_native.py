"""Driver values to the service's own (db/native.py): plain values as they are, temporal values
as `datetime`/`date`, containers converted deeply."""

from __future__ import annotations

import datetime as dt

from neo4j import time as neo4j_time

from sfm_graphql.db.native import to_native


def test_plain_values_are_returned_as_they_are() -> None:
    for value in ("text", 3, 2.5, True, None, b"raw"):
        assert to_native(value) is value


def test_temporal_values_become_the_standard_library_s() -> None:
    stamp = neo4j_time.DateTime(2026, 12, 3, 17, 5, 0, tzinfo=dt.UTC)
    assert to_native(stamp) == dt.datetime(2026, 12, 3, 17, 5, tzinfo=dt.UTC)
    assert to_native(neo4j_time.Date(2026, 12, 3)) == dt.date(2026, 12, 3)


def test_containers_are_converted_deeply() -> None:
    nested = {
        "at": neo4j_time.Date(2026, 1, 2),
        "rows": [{"on": neo4j_time.Date(2026, 1, 3), "n": 1}, ["x", neo4j_time.Date(2026, 1, 4)]],
    }
    assert to_native(nested) == {
        "at": dt.date(2026, 1, 2),
        "rows": [{"on": dt.date(2026, 1, 3), "n": 1}, ["x", dt.date(2026, 1, 4)]],
    }


def test_subclasses_of_containers_are_converted_too() -> None:
    class Row(dict):  # type: ignore[type-arg]
        pass

    assert to_native(Row(on=neo4j_time.Date(2026, 1, 2))) == {"on": dt.date(2026, 1, 2)}
