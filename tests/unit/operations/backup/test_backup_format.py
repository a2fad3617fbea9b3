"""The backup container and body without a database: checksums, encryption, truncation."""

from __future__ import annotations

import datetime as dt
import io
import os
import struct

import pytest
from neo4j import time as neo4j_time

from sfm_graphql.operations.backup.body import BodyReader, BodyWriter
from sfm_graphql.operations.backup.codec import decode, encode
from sfm_graphql.operations.backup.errors import CorruptBackup, WrongKey
from sfm_graphql.operations.backup.frames import CHUNK_BYTES, FrameWriter, read_body

KEY = os.urandom(32)
HEADER = {"backupId": "b1", "createdAt": "2026-01-01T00:00:00+00:00", "serviceVersion": "0"}


def _file(key: bytes | None, rows: int = 3000) -> bytes:
    sink = io.BytesIO()
    body = BodyWriter(FrameWriter(sink, key), HEADER)
    body.begin("components")
    for i in range(rows):
        # Random text does not compress: the body spans many encrypted chunks.
        body.row({"key": str(i), "props": {"noise": os.urandom(48).hex()}})
    body.end()
    body.finish(dict(HEADER))
    return sink.getvalue()


def _read(data: bytes, key: bytes | None) -> list[str]:
    reader = BodyReader(read_body(io.BytesIO(data), lambda: key or b""))
    return [row.data["key"] for row in reader.rows()]


@pytest.mark.parametrize("key", [None, KEY], ids=["plain", "encrypted"])
def test_a_file_reads_back_row_for_row(key: bytes | None) -> None:
    data = _file(key)
    assert _read(data, key) == [str(i) for i in range(3000)]
    if key:
        assert len(data) > 2 * CHUNK_BYTES  # several chunks, so the chunk checks are exercised


def test_a_wrong_key_is_told_apart_from_damage() -> None:
    with pytest.raises(WrongKey):
        _read(_file(KEY), os.urandom(32))


def test_a_flipped_bit_in_a_chunk_fails_authentication() -> None:
    data = bytearray(_file(KEY))
    data[-100] ^= 0x04
    with pytest.raises(CorruptBackup, match="fails authentication"):
        _read(bytes(data), KEY)


def _chunks(data: bytes) -> tuple[bytes, list[bytes]]:
    head, rest, chunks = data[:41], data[41:], []
    while rest:
        _, length = struct.unpack(">BI", rest[:5])
        chunks.append(rest[: 5 + length])
        rest = rest[5 + length :]
    return head, chunks


def test_a_file_cut_at_a_chunk_boundary_is_truncated() -> None:
    head, chunks = _chunks(_file(KEY))
    with pytest.raises(CorruptBackup, match="truncated"):
        _read(head + b"".join(chunks[:-1]), KEY)


def test_swapped_chunks_fail_authentication() -> None:
    head, chunks = _chunks(_file(KEY))
    chunks[0], chunks[1] = chunks[1], chunks[0]
    with pytest.raises(CorruptBackup, match="chunk 0 fails authentication"):
        _read(head + b"".join(chunks), KEY)


@pytest.mark.parametrize("key", [None, KEY], ids=["plain", "encrypted"])
def test_bytes_after_the_end_are_refused(key: bytes | None) -> None:
    with pytest.raises(CorruptBackup, match="follow"):
        _read(_file(key, rows=10) + b"x", key)


def test_a_plain_file_cut_short_is_truncated() -> None:
    data = _file(None)
    with pytest.raises(CorruptBackup, match="truncated"):
        _read(data[: len(data) // 2], None)


def test_not_a_backup_is_refused() -> None:
    with pytest.raises(CorruptBackup, match="magic"):
        _read(b"PK\x03\x04 a zip file", None)


def test_values_keep_their_neo4j_types() -> None:
    values = [
        neo4j_time.DateTime(2026, 1, 2, 3, 4, 5, 123456789, tzinfo=dt.UTC),
        neo4j_time.Date(2026, 1, 2),
        neo4j_time.Duration(months=1, days=2, seconds=3, nanoseconds=4),
        [1.5, 2.0],
        b"\x00\xff",
        "text",
        7,
        True,
        None,
    ]
    for value in values:
        back = decode(encode(value))
        assert back == value
        assert type(back) is type(value)


def test_an_unknown_tagged_value_is_refused() -> None:
    with pytest.raises(CorruptBackup):
        decode({"$t": "point", "v": "1,2"})
