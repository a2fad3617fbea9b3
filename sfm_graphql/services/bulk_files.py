"""Files for `bulkImportFile`: the JSON and CSV that `exportGraph` writes, read back as rows.

Before anything is imported the file must be small enough, declare a content type that fits its
format, be UTF-8 text, and parse into the export's shape. The rows then go through the bulk
import service unchanged, so a file is validated exactly as a `bulkImport` call is, and a
problem in a row is reported per row rather than refusing the file.

- JSON: `{"components": [...], "deliveries": [...]}` of row objects, as `exportGraph(format:
  JSON)` writes it.
- CSV: the export's single table: a `record` column (`component` or `delivery`), then one column
  per field. Empty cells are absent fields; lists and maps are JSON text; the `'` the export puts
  before formula-looking text (`services/csv_safety.py`) is removed again, so an export
  re-imports to the same values, and formula-looking text in a hand-made file is stored as it is.

System fields (`id`, `createdAt`, `updatedAt`, `version`) are dropped: the graph assigns them.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from sfm_graphql.domain.models import FIELDS_BY_TYPE, DeliveryFields
from sfm_graphql.errors import BadUserInput, LimitExceeded
from sfm_graphql.services.csv_safety import restore
from sfm_graphql.services.export import SYSTEM_FIELDS

Row = dict[str, Any]


class BulkFileFormat(enum.Enum):
    JSON = "JSON"
    CSV = "CSV"


# Declared content types accepted per format. `application/vnd.ms-excel` is what browsers on
# Windows declare for a `.csv` file when a spreadsheet program is installed.
CONTENT_TYPES: dict[BulkFileFormat, frozenset[str]] = {
    BulkFileFormat.JSON: frozenset({"application/json"}),
    BulkFileFormat.CSV: frozenset({"text/csv", "application/csv", "application/vnd.ms-excel"}),
}
CSV_RECORDS = {"component": "components", "delivery": "deliveries"}
_SECTIONS = ("components", "deliveries")


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


@dataclass(frozen=True, slots=True)
class FileRows:
    components: list[Row]
    deliveries: list[Row]


def _bad(message: str) -> BadUserInput:
    return BadUserInput(message, field="file")


def check_upload(
    *, size: int, content_type: str | None, file_format: BulkFileFormat, max_bytes: int
) -> None:
    """Refuse a file over `max_bytes` or whose declared type does not fit `file_format`."""
    if size > max_bytes:
        raise LimitExceeded(
            f"Uploaded files may be at most {max_bytes} bytes", limit=max_bytes, field="file"
        )
    media_type, _, params = (content_type or "").partition(";")
    media_type = media_type.strip().lower()
    allowed = CONTENT_TYPES[file_format]
    if media_type not in allowed:
        raise _bad(
            f"A {file_format.value} file must be sent as {' or '.join(sorted(allowed))}, "
            f"not {media_type or 'a file without a content type'}"
        )
    for param in params.split(";"):
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise _bad(f"The file must be UTF-8, not {charset}")


def parse_file(content: bytes, file_format: BulkFileFormat) -> FileRows:
    """The rows of an uploaded file; BAD_USER_INPUT when it is not the export's shape."""
    try:
        text = content.decode("utf-8-sig")  # spreadsheets often write a byte-order mark
    except UnicodeDecodeError as exc:
        raise _bad(f"The file is not UTF-8 text (byte {exc.start})") from None
    if file_format is BulkFileFormat.JSON:
        return _parse_json(text)
    return _parse_csv(text)


# -- JSON ------------------------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _parse_json(text: str) -> FileRows:
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise _bad(f"The file is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise _bad('The file must be a JSON object {"components": [...], "deliveries": [...]}')
    unknown = sorted(set(document) - set(_SECTIONS))
    if unknown:
        raise _bad(f"Unknown top-level keys: {', '.join(unknown)}")
    sections: dict[str, list[Row]] = {}
    for section in _SECTIONS:
        rows = document.get(section, [])
        if not isinstance(rows, list):
            raise _bad(f"{section} must be a list of objects")
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                raise _bad(f"{section}[{index}] is not an object")
        sections[section] = [_without_system_fields(row) for row in rows]
    return FileRows(components=sections["components"], deliveries=sections["deliveries"])


def _without_system_fields(row: Row) -> Row:
    return {k: v for k, v in row.items() if k not in SYSTEM_FIELDS}


# -- CSV -------------------------------------------------------------------------------------------


def _parse_csv(text: str) -> FileRows:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: dict[str, list[Row]] = {"components": [], "deliveries": []}
    try:
        header = next(reader, None)
        columns = _header(header)
        for cells in reader:
            if not any(cells):
                continue  # a blank line
            record, row = _csv_row(columns, cells, reader.line_num)
            rows[record].append(row)
    except csv.Error as exc:
        raise _bad(f"The file is not valid CSV (line {reader.line_num}): {exc}") from None
    return FileRows(components=rows["components"], deliveries=rows["deliveries"])


def _header(header: list[str] | None) -> list[str]:
    if not header or header[0] != "record":
        raise _bad("The first CSV column must be `record`, as in the CSV export")
    if len(set(header)) != len(header):
        raise _bad("The CSV header names a column twice")
    return header


def _csv_row(columns: list[str], cells: list[str], line: int) -> tuple[str, Row]:
    if len(cells) != len(columns):
        raise _bad(f"Line {line} has {len(cells)} cells; the header has {len(columns)}")
    record = CSV_RECORDS.get(cells[0])
    if record is None:
        raise _bad(f"Line {line}: record must be `component` or `delivery`, not {cells[0]!r}")
    row: Row = {}
    for column, cell in zip(columns[1:], cells[1:], strict=True):
        if cell == "" or column in SYSTEM_FIELDS:
            continue
        value = restore(cell)
        if column in JSON_COLUMNS:
            try:
                row[column] = json.loads(value, parse_constant=_refuse_constant)
            except (ValueError, RecursionError):
                raise _bad(f"Line {line}: {column} must be JSON text") from None
        else:
            row[column] = value
    return record, row
