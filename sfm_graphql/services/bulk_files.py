"""Files for `bulkImportFile`: the JSON and CSV that `exportGraph` writes, read back as rows.

Before anything is imported the file must be small enough, declare a content type that fits its
format, be UTF-8 text, and parse into the export's shape (services/file_rows.py, the reader
`sfm-graphql import` uses too). The rows then go through the bulk import service unchanged, so a
file is validated exactly as a `bulkImport` call is, and a problem in a row is reported per row
rather than refusing the file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from sfm_graphql.errors import LimitExceeded
from sfm_graphql.services.bulk_types import ImportSection, Row
from sfm_graphql.services.file_rows import JSON_COLUMNS, BulkFileFormat, bad_file, rows_of

__all__ = ["JSON_COLUMNS", "BulkFileFormat", "FileRows", "check_upload", "parse_file"]

# Declared content types accepted per format. `application/vnd.ms-excel` is what browsers on
# Windows declare for a `.csv` file when a spreadsheet program is installed.
CONTENT_TYPES: dict[BulkFileFormat, frozenset[str]] = {
    BulkFileFormat.JSON: frozenset({"application/json"}),
    BulkFileFormat.CSV: frozenset({"text/csv", "application/csv", "application/vnd.ms-excel"}),
}


@dataclass(frozen=True, slots=True)
class FileRows:
    components: list[Row]
    deliveries: list[Row]


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
        raise bad_file(
            f"A {file_format.value} file must be sent as {' or '.join(sorted(allowed))}, "
            f"not {media_type or 'a file without a content type'}"
        )
    for param in params.split(";"):
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise bad_file(f"The file must be UTF-8, not {charset}")


def parse_file(content: bytes, file_format: BulkFileFormat) -> FileRows:
    """The rows of an uploaded file; BAD_USER_INPUT when it is not the export's shape."""
    try:
        text = content.decode("utf-8-sig")  # spreadsheets often write a byte-order mark
    except UnicodeDecodeError as exc:
        raise bad_file(f"The file is not UTF-8 text (byte {exc.start})") from None
    del text  # decoded to check it; the reader parses the bytes as they are
    rows: dict[ImportSection, list[Row]] = {section: [] for section in ImportSection}
    for section, row in rows_of(io.BytesIO(content), file_format):
        rows[section].append(row)
    return FileRows(
        components=rows[ImportSection.COMPONENTS], deliveries=rows[ImportSection.DELIVERIES]
    )
