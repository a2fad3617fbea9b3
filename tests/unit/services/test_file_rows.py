"""Export files read as a stream (services/file_rows.py): the shapes, the refusals, the memory."""

from __future__ import annotations

import io
import itertools
import json
import tracemalloc
from collections.abc import Iterator

import pytest

from sfm_graphql.errors import BadUserInput
from sfm_graphql.services.bulk_types import ImportSection
from sfm_graphql.services.file_rows import (
    MAX_JSON_DEPTH,
    BulkFileFormat,
    csv_rows,
    json_rows,
    rows_of,
)

C, D = ImportSection.COMPONENTS, ImportSection.DELIVERIES


def _json(document: object) -> io.BytesIO:
    return io.BytesIO(json.dumps(document).encode())


def test_json_rows_come_in_file_order_without_system_fields() -> None:
    document = {
        "components": [{"externalKey": "a", "id": "x", "metadata": {"n": [1, 2.5, None]}}],
        "deliveries": [{"externalKey": "d", "version": 3, "weight": -0.5}],
    }

    assert list(json_rows(_json(document))) == [
        (C, {"externalKey": "a", "metadata": {"n": [1, 2.5, None]}}),
        (D, {"externalKey": "d", "weight": -0.5}),
    ]


def test_numbers_are_ints_and_floats_not_decimals() -> None:
    ((_, row),) = json_rows(_json({"components": [{"a": 1, "b": 0.1}]}))

    assert type(row["a"]) is int and type(row["b"]) is float


def test_a_byte_order_mark_is_skipped() -> None:
    rows = rows_of(io.BytesIO(b"\xef\xbb\xbf" + b'{"deliveries": []}'), BulkFileFormat.JSON)

    assert list(rows) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[]", "must be a JSON object"),
        (b"", "not valid JSON"),
        (b'{"components": [', "not valid JSON"),
        (b'{"components": [], "nodes": []}', "Unknown top-level keys: nodes"),
        (b'{"components": [], "components": []}', "components appears twice"),
        (b'{"components": {"a": 1}}', "components must be a list of objects"),
        (b'{"deliveries": [{}, 3]}', r"deliveries\[1\] is not an object"),
        (b'{"components": [{"v": NaN}]}', "not valid JSON"),
        (b'{"components": []} {}', "not valid JSON"),
    ],
)
def test_a_json_file_not_in_the_exports_shape_is_refused(content: bytes, message: str) -> None:
    with pytest.raises(BadUserInput, match=message) as caught:
        list(json_rows(io.BytesIO(content)))
    assert caught.value.details["field"] == "file"
    assert "\n" not in caught.value.message


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000,  # refused at its first event
        b'{"components": [{"metadata": ' + b"[" * 100_000,  # refused at the depth limit
        b'{"components": [' + b"[" * 100_000,
    ],
)
def test_deep_nesting_is_refused_in_bounded_memory(content: bytes) -> None:
    # A 100 KB upload of brackets once made gigabytes of event prefixes.
    tracemalloc.start()
    try:
        with pytest.raises(BadUserInput):
            list(json_rows(io.BytesIO(content)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, peak


def test_a_row_may_nest_up_to_the_limit() -> None:
    depth = MAX_JSON_DEPTH - 3  # the file's object, the section's list, the row
    nested: object = 1
    for _ in range(depth):
        nested = [nested]
    ((_, row),) = json_rows(_json({"components": [{"metadata": nested}]}))
    assert row["metadata"] == nested
    with pytest.raises(BadUserInput, match=r"components\[0\] nests deeper than 32 levels"):
        list(json_rows(_json({"components": [{"metadata": [nested]}]})))


def test_rows_before_a_refusal_have_already_been_yielded() -> None:
    rows = json_rows(io.BytesIO(b'{"components": [{"a": 1}, {"b": 2}, 7]}'))

    assert next(rows) == (C, {"a": 1})
    assert next(rows) == (C, {"b": 2})
    with pytest.raises(BadUserInput, match=r"components\[2\]"):
        next(rows)


def _endless_json() -> Iterator[bytes]:
    yield b'{"components": ['
    for i in itertools.count():
        yield (b"," if i else b"") + json.dumps({"externalKey": f"k{i}"}).encode()


class _Endless:
    """A file that never ends: only a reader that streams can take rows from it."""

    def __init__(self) -> None:
        self._chunks = _endless_json()

    def read(self, size: int = -1) -> bytes:
        return b"" if size == 0 else next(self._chunks)  # ijson reads 0 bytes to see the type


def test_json_is_read_as_a_stream_not_loaded_whole() -> None:
    rows = json_rows(_Endless())  # type: ignore[arg-type]

    first = list(itertools.islice(rows, 1000))
    assert first[-1] == (C, {"externalKey": "k999"})


def test_csv_rows_keep_file_order_and_read_json_cells() -> None:
    lines = [
        "record,externalKey,label,metadata,id\r\n",
        'component,a,"two\r\n',
        'lines",{"x": 1},uuid\r\n',
        "\r\n",
        "delivery,d,,,\r\n",
    ]

    assert list(csv_rows(iter(lines))) == [
        (C, {"externalKey": "a", "label": "two\r\nlines", "metadata": {"x": 1}}),
        (D, {"externalKey": "d"}),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "first CSV column must be `record`"),
        (b"record,a,a\r\n", "names a column twice"),
        (b"record,a\r\nnode,x\r\n", "Line 2: record must be"),
        (b"record,a\r\ncomponent\r\n", "Line 2 has 1 cells"),
        (b"record,metadata\r\ncomponent,{\r\n", "metadata must be JSON text"),
        (b'record,a\r\ncomponent,"open\r\n', "not valid CSV"),
        (b"record,a\r\ncomponent,caf\xe9\r\n", "Line 2 is not UTF-8"),
    ],
)
def test_a_csv_file_not_in_the_exports_shape_is_refused(content: bytes, message: str) -> None:
    with pytest.raises(BadUserInput, match=message):
        list(rows_of(io.BytesIO(content), BulkFileFormat.CSV))
