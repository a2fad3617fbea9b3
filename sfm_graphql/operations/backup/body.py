"""The body of a backup: JSON lines, one section after another, and the manifest last.

    ["h", header]                       what the file is (format, backup id, time, versions)
    ["s", name]                         a section starts
    ["r", row]                          one saved node or relationship, many per section
    ["e", name, count, sha256]          the section ends: its row count and the SHA-256 of its
                                        row lines, bytes as written
    ["m", manifest]                     sections, counts per label and type, SHA-256 of every
                                        line before this one

Every check a reader makes is made while streaming: a mismatch is reported at the section where
it is found, and nothing is trusted until the manifest at the very end agrees with it all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sfm_graphql.operations.backup.errors import CorruptBackup
from sfm_graphql.operations.backup.frames import FrameWriter

FORMAT = 1
MAX_LINE_BYTES = 64 * 1024 * 1024  # far above any row; a line without an end is refused


def _line(item: list[Any]) -> bytes:
    return json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + (
        b"\n"
    )


@dataclass
class SectionSum:
    name: str
    count: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "count": self.count, "sha256": self.digest.hexdigest()}


class BodyWriter:
    """Writes lines through a FrameWriter, keeping the checksums the manifest will hold."""

    def __init__(self, frames: FrameWriter, header: dict[str, Any]) -> None:
        self._frames = frames
        self._body = hashlib.sha256()
        self.sections: list[SectionSum] = []
        self._put(["h", {"format": FORMAT, **header}])

    def _put(self, item: list[Any]) -> bytes:
        data = _line(item)
        self._body.update(data)
        self._frames.write(data)
        return data

    def begin(self, name: str) -> None:
        self._put(["s", name])
        self.sections.append(SectionSum(name))

    def row(self, row: dict[str, Any]) -> None:
        current = self.sections[-1]
        current.digest.update(self._put(["r", row]))
        current.count += 1

    def end(self) -> None:
        done = self.sections[-1].as_dict()
        self._put(["e", done["name"], done["count"], done["sha256"]])

    def finish(self, manifest: dict[str, Any]) -> dict[str, Any]:
        full = {
            **manifest,
            "format": FORMAT,
            "sections": [s.as_dict() for s in self.sections],
            "bodySha256": self._body.hexdigest(),
        }
        self._frames.write(_line(["m", full]))
        self._frames.close()
        return full


@dataclass(frozen=True, slots=True)
class Row:
    section: str
    data: dict[str, Any]


def _lines(pieces: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    for piece in pieces:
        pending += piece
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line + b"\n"
        if len(pending) > MAX_LINE_BYTES:
            raise CorruptBackup("a line of the body is impossibly long")
    if pending:
        raise CorruptBackup("the file is truncated: its body ends inside a line")


def _parse(line: bytes) -> list[Any]:
    try:
        item = json.loads(line)
    except ValueError:
        raise CorruptBackup("a line of the body is not JSON") from None
    if not isinstance(item, list) or not item or item[0] not in ("h", "s", "r", "e", "m"):
        raise CorruptBackup("a line of the body is not a backup record")
    return item


class BodyReader:
    """Iterates the rows of a body, checking every checksum; `header`/`manifest` after reading."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self._lines = _lines(pieces)
        self.header: dict[str, Any] = {}
        self.manifest: dict[str, Any] = {}

    def rows(self) -> Iterator[Row]:  # noqa: PLR0912 (one state machine, clearer whole)
        body = hashlib.sha256()
        sums: list[dict[str, Any]] = []
        current: SectionSum | None = None
        for line in self._lines:
            if self.manifest:
                raise CorruptBackup("lines follow the manifest")
            item = _parse(line)
            tag = item[0]
            if not self.header:
                if tag != "h" or not isinstance(item[1], dict):
                    raise CorruptBackup("the body does not start with a header")
                if item[1].get("format") != FORMAT:
                    raise CorruptBackup(f"backup format {item[1].get('format')} is not {FORMAT}")
                self.header = item[1]
            elif tag == "s":
                if current is not None:
                    raise CorruptBackup(f"section {current.name} has no end")
                current = SectionSum(str(item[1]))
            elif tag == "r":
                if current is None or not isinstance(item[1], dict):
                    raise CorruptBackup("a row stands outside any section")
                current.digest.update(line)
                current.count += 1
                yield Row(current.name, item[1])
            elif tag == "e":
                if current is None:
                    raise CorruptBackup("a section ends that never started")
                done = current.as_dict()
                if item[1:] != [done["name"], done["count"], done["sha256"]]:
                    raise CorruptBackup(
                        f"section {current.name} fails its checksum or count: the file was altered"
                    )
                sums.append(done)
                current = None
            elif tag == "m":
                self._check_manifest(item[1], sums, body.hexdigest(), current)
                continue
            else:
                raise CorruptBackup("a second header inside the body")
            body.update(line)
        if not self.manifest:
            raise CorruptBackup("the file is truncated: it has no manifest")

    def _check_manifest(
        self, manifest: Any, sums: list[dict[str, Any]], body: str, current: SectionSum | None
    ) -> None:
        if current is not None:
            raise CorruptBackup(f"section {current.name} has no end")
        if not isinstance(manifest, dict):
            raise CorruptBackup("the manifest is not an object")
        if manifest.get("sections") != sums or manifest.get("bodySha256") != body:
            raise CorruptBackup("the manifest does not match the sections: the file was altered")
        for key in ("backupId", "createdAt", "serviceVersion"):
            if manifest.get(key) != self.header.get(key):
                raise CorruptBackup(f"the manifest's {key} differs from the header's")
        self.manifest = manifest
