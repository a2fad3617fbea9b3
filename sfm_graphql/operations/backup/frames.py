"""The container of a backup file: a header, then the gzip-compressed body, optionally encrypted.

    magic (8 bytes) | mode (1 byte: 0 gzip, 1 gzip + AES-256-GCM)
    mode 1 adds:  salt (16) | key check (16) | chunks
    chunk:        flags (1: bit 0 = final) | length (u32) | ciphertext with its 16-byte tag

Each chunk is sealed with a key derived from the backup key and the file's random salt (HKDF),
so a file's nonce can be its chunk index without ever repeating under one key. The index and
the final flag are authenticated (associated data), so reordered, dropped or cut-off chunks fail:
a file that ends before its final chunk is truncated, bytes after it are refused. The key check
tells a wrong key from a damaged file before any chunk is opened.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sfm_graphql.operations.backup.errors import CorruptBackup, KeyMissing, WrongKey

MAGIC = b"SFMBAK\x00\x01"
MODE_PLAIN = 0
MODE_ENCRYPTED = 1
CHUNK_BYTES = 64 * 1024  # plaintext per sealed chunk: what the writer and reader hold at once
KEY_BYTES = 32
_SALT_BYTES = 16
_CHECK_BYTES = 16
_TAG_BYTES = 16
_FRAME = struct.Struct(">BI")
_FINAL = 1
_READ_BYTES = 64 * 1024
_INFLATE_LIMIT = 1024 * 1024  # decompressed bytes per step, so a crafted file cannot balloon

KeySource = Callable[[], bytes]


def _derive(key: bytes, salt: bytes) -> tuple[AESGCM, bytes]:
    if len(key) != KEY_BYTES:
        raise KeyMissing(f"the backup key must be {KEY_BYTES} bytes")
    material = HKDF(
        algorithm=hashes.SHA256(), length=64, salt=salt, info=b"sfm-graphql backup v1"
    ).derive(key)
    check = hmac.new(material[32:], MAGIC + salt, hashlib.sha256).digest()[:_CHECK_BYTES]
    return AESGCM(material[:32]), check


def _aad(salt: bytes, index: int, flags: int) -> bytes:
    return MAGIC + bytes([MODE_ENCRYPTED]) + salt + struct.pack(">QB", index, flags)


class FrameWriter:
    """Compresses what is written to it and, with a key, seals it chunk by chunk."""

    def __init__(self, sink: BinaryIO, key: bytes | None) -> None:
        self._sink = sink
        self._gzip = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip framing with its CRC
        self._pending = bytearray()
        self._index = 0
        self._aead: AESGCM | None = None
        self._salt = b""
        if key is None:
            sink.write(MAGIC + bytes([MODE_PLAIN]))
        else:
            self._salt = os.urandom(_SALT_BYTES)
            self._aead, check = _derive(key, self._salt)
            sink.write(MAGIC + bytes([MODE_ENCRYPTED]) + self._salt + check)

    def write(self, data: bytes) -> None:
        self._emit(self._gzip.compress(data))

    def close(self) -> None:
        self._emit(self._gzip.flush())
        if self._aead is not None:
            self._seal(bytes(self._pending), final=True)
            self._pending.clear()

    def _emit(self, compressed: bytes) -> None:
        if self._aead is None:
            self._sink.write(compressed)
            return
        self._pending += compressed
        while len(self._pending) > CHUNK_BYTES:
            self._seal(bytes(self._pending[:CHUNK_BYTES]), final=False)
            del self._pending[:CHUNK_BYTES]

    def _seal(self, plain: bytes, *, final: bool) -> None:
        assert self._aead is not None
        flags = _FINAL if final else 0
        nonce = self._index.to_bytes(12, "big")
        sealed = self._aead.encrypt(nonce, plain, _aad(self._salt, self._index, flags))
        self._sink.write(_FRAME.pack(flags, len(sealed)) + sealed)
        self._index += 1


def is_encrypted(source: BinaryIO) -> bool:
    """Reads the header's first bytes and rewinds: whether the file needs a key."""
    head = source.read(len(MAGIC) + 1)
    source.seek(0)
    return _mode(head) == MODE_ENCRYPTED


def _mode(head: bytes) -> int:
    if len(head) < len(MAGIC) + 1 or head[: len(MAGIC)] != MAGIC:
        raise CorruptBackup("not an sfm-graphql backup file (bad magic bytes)")
    mode = head[len(MAGIC)]
    if mode not in (MODE_PLAIN, MODE_ENCRYPTED):
        raise CorruptBackup(f"unknown backup mode {mode}")
    return mode


def read_body(source: BinaryIO, key: KeySource) -> Iterator[bytes]:
    """The decompressed body in pieces; raises CorruptBackup on any damage, at the point found.

    `key` is called only for an encrypted file, so verifying a plain one needs no secret.
    """
    mode = _mode(source.read(len(MAGIC) + 1))
    compressed = _plain_chunks(source) if mode == MODE_PLAIN else _opened_chunks(source, key())
    inflate = zlib.decompressobj(31)
    for piece in compressed:
        if inflate.eof:
            raise CorruptBackup("bytes follow the end of the compressed body")
        try:
            out = inflate.decompress(piece, _INFLATE_LIMIT)
            while True:
                if out:
                    yield out
                if not inflate.unconsumed_tail:
                    break
                out = inflate.decompress(inflate.unconsumed_tail, _INFLATE_LIMIT)
        except zlib.error as exc:
            raise CorruptBackup(f"the compressed body is damaged ({exc})") from None
    if not inflate.eof:
        raise CorruptBackup("the file is truncated: the compressed body does not end")
    if inflate.unused_data:
        raise CorruptBackup("bytes follow the end of the compressed body")


def _plain_chunks(source: BinaryIO) -> Iterator[bytes]:
    while piece := source.read(_READ_BYTES):
        yield piece


def _opened_chunks(source: BinaryIO, key: bytes) -> Iterator[bytes]:
    salt = source.read(_SALT_BYTES)
    check = source.read(_CHECK_BYTES)
    if len(check) != _CHECK_BYTES:
        raise CorruptBackup("the file is truncated inside its header")
    aead, expected = _derive(key, salt)
    if not hmac.compare_digest(check, expected):
        raise WrongKey("the backup key is not the key this file was encrypted with")
    index = 0
    while True:
        frame = source.read(_FRAME.size)
        if not frame:
            raise CorruptBackup(f"the file is truncated: it ends after chunk {index - 1}")
        if len(frame) != _FRAME.size:
            raise CorruptBackup(f"the file is truncated inside chunk {index}")
        flags, length = _FRAME.unpack(frame)
        if length > CHUNK_BYTES + _TAG_BYTES or length < _TAG_BYTES:
            raise CorruptBackup(f"chunk {index} has an impossible length {length}")
        sealed = source.read(length)
        if len(sealed) != length:
            raise CorruptBackup(f"the file is truncated inside chunk {index}")
        try:
            plain = aead.decrypt(index.to_bytes(12, "big"), sealed, _aad(salt, index, flags))
        except InvalidTag:
            raise CorruptBackup(
                f"chunk {index} fails authentication: the file was altered or damaged"
            ) from None
        yield plain
        if flags & _FINAL:
            if source.read(1):
                raise CorruptBackup("bytes follow the final chunk")
            return
        index += 1
