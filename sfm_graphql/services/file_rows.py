"""The rows of an export file (JSON or CSV), read as a stream: one row in memory at a time.

Both `bulkImportFile` (an upload, services/bulk_files.py) and `sfm-graphql import FILE`
(services/bulk_stream.py) read files here, so a file means the same on both paths.

- JSON: `{"components": [...], "deliveries": [...]}` of row objects, as `exportGraph(format:
  JSON)` and `sfm-graphql export` write it, parsed event by event (ijson), so a file of any size
  is read in bounded memory.
- CSV: the export's single table: a `record` column (`component` or `delivery`), then one column
  per field. Empty cells are absent fields; lists and maps are JSON text; the `'` the export puts
  before formula-looking text (`services/csv_safety.py`) is removed again, so an export
  re-imports to the same values, and formula-looking text in a hand-made file is stored as it is.

System fields (`id`, `createdAt`, `updatedAt`, `version`) are dropped: the graph assigns them.
A file that is not the export's shape is refused with BAD_USER_INPUT (field `file`), naming
where (the section and index, or the CSV line).
"""

from __future__ import annotations

import csv
import enum
import json
from collections.abc import Iterator
from typing import IO, Any, get_args, get_origin

import ijson
from pydantic import BaseModel

from sfm_graphql.domain.models import FIELDS_BY_TYPE, DeliveryFields
from sfm_graphql.errors import BadUserInput
from sfm_graphql.services.bulk_types import ImportSection, Row
from sfm_graphql.services.csv_safety import restore
from sfm_graphql.services.export_writers import SYSTEM_FIELDS

SectionRow = tuple[ImportSection, Row]
SECTIONS = {"components": ImportSection.COMPONENTS, "deliveries": ImportSection.DELIVERIES}
CSV_RECORDS = {"component": ImportSection.COMPONENTS, "delivery": ImportSection.DELIVERIES}
_BOM = b"\xef\xbb\xbf"


class BulkFileFormat(enum.Enum):
    JSON = "JSON"
    CSV = "CSV"


def _is_container(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (list, dict, tuple):
        return True
    return origin is not None and any(_is_container(arg) for arg in get_args(annotation))


_MODELS: tuple[type[BaseModel], ...] = (*FIELDS_BY_TYPE.values(), DeliveryFields)
# Fields whose CSV cells hold JSON text (metadata, power resources, thresholds, target sectors).
JSON_COLUMNS = frozenset(
    name
    for model in _MODELS
    for name, info in model.model_fields.items()
    if _is_container(info.annotation)
)


def bad_file(message: str) -> BadUserInput:
    return BadUserInput(message, field="file")


def without_system_fields(row: Row) -> Row:
    return {k: v for k, v in row.items() if k not in SYSTEM_FIELDS}


def rows_of(source: IO[bytes], file_format: BulkFileFormat) -> Iterator[SectionRow]:
    """The rows of a binary file in file order; a byte-order mark first is skipped."""
    if source.read(len(_BOM)) != _BOM:
        source.seek(0)
    if file_format is BulkFileFormat.JSON:
        return json_rows(source)
    return csv_rows(_text_lines(source))


def _text_lines(source: IO[bytes]) -> Iterator[str]:
    """Lines of UTF-8 text, line endings kept (the CSV reader needs them for quoted cells)."""
    for number, raw in enumerate(source, start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise bad_file(f"Line {number} is not UTF-8 text (byte {exc.start})") from None


# -- JSON ------------------------------------------------------------------------------------------


# How deep a row's values may nest (a row is at depth 3: the file's object, a section's list, the
# row); the request-body limit of the API is the same kind of bound.
MAX_JSON_DEPTH = 32
Event = tuple[str, Any]


def json_rows(source: IO[bytes]) -> Iterator[SectionRow]:
    """The rows of the JSON export shape; NaN and Infinity are refused, as JSON does.

    Events without prefixes (`ijson.basic_parse`): a prefix names every level above an event,
    so on deeply nested text the prefixes alone grew with the square of the depth (a 100 KB
    upload of `[` made gigabytes of them). Nesting deeper than `MAX_JSON_DEPTH` is refused.
    """
    events: Iterator[Event] = ijson.basic_parse(source, use_float=True)
    seen: set[str] = set()
    try:
        first = next(events, None)
        if first is None or first[0] != "start_map":
            raise bad_file(
                'The file must be a JSON object {"components": [...], "deliveries": [...]}'
            )
        for event, value in events:
            if event == "end_map":
                break
            if value not in SECTIONS:
                raise bad_file(f"Unknown top-level keys: {value}")
            if value in seen:
                raise bad_file(f"{value} appears twice")
            seen.add(value)
            yield from _section(events, value)
        for _ in events:  # anything after the object is an error the parser raises
            pass
    except ijson.JSONError as exc:
        # yajl's message has the reason on its first line, then the text around the place
        reason = (str(exc).strip().splitlines() or ["cut off"])[0]
        raise bad_file(f"The file is not valid JSON: {reason}") from None


def _section(events: Iterator[Event], name: str) -> Iterator[SectionRow]:
    section = SECTIONS[name]
    event, _ = next(events)
    if event != "start_array":
        raise bad_file(f"{name} must be a list of objects")
    # Each item's events are read by _object, so one turn of the loop is one item (or the end).
    for index, (event, value) in enumerate(events):
        if event == "end_array":
            return
        if event != "start_map":
            raise bad_file(f"{name}[{index}] is not an object")
        yield section, without_system_fields(_object(events, event, value, f"{name}[{index}]"))


def _object(events: Iterator[Event], event: str, value: Any, where: str) -> dict[str, Any]:
    """The object whose `start_map` event was just read, built from the events that follow."""
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    while depth:
        event, value = next(events)
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
            if depth + 2 > MAX_JSON_DEPTH:  # below the file's object and its section's list
                raise bad_file(f"{where} nests deeper than {MAX_JSON_DEPTH} levels")
        elif event in ("end_map", "end_array"):
            depth -= 1
    result: dict[str, Any] = builder.value
    return result


# -- CSV -------------------------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def csv_rows(lines: Iterator[str]) -> Iterator[SectionRow]:
    """The rows of the CSV export table; blank lines are skipped."""
    reader = csv.reader(lines, strict=True)
    try:
        columns = _header(next(reader, None))
        for cells in reader:
            if any(cells):
                yield _csv_row(columns, cells, reader.line_num)
    except csv.Error as exc:
        raise bad_file(f"The file is not valid CSV (line {reader.line_num}): {exc}") from None


def _header(header: list[str] | None) -> list[str]:
    if not header or header[0] != "record":
        raise bad_file("The first CSV column must be `record`, as in the CSV export")
    if len(set(header)) != len(header):
        raise bad_file("The CSV header names a column twice")
    return header


def _csv_row(columns: list[str], cells: list[str], line: int) -> SectionRow:
    if len(cells) != len(columns):
        raise bad_file(f"Line {line} has {len(cells)} cells; the header has {len(columns)}")
    section = CSV_RECORDS.get(cells[0])
    if section is None:
        raise bad_file(f"Line {line}: record must be `component` or `delivery`, not {cells[0]!r}")
    row: dict[str, Any] = {}
    for column, cell in zip(columns[1:], cells[1:], strict=True):
        if cell == "" or column in SYSTEM_FIELDS:
            continue
        value = restore(cell)
        if column in JSON_COLUMNS:
            try:
                row[column] = json.loads(value, parse_constant=_refuse_constant)
            except (ValueError, RecursionError):
                raise bad_file(f"Line {line}: {column} must be JSON text") from None
        else:
            row[column] = value
    return section, row
