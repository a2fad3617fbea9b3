"""Writers of the JSON and CSV export, record by record into any text stream.

`exportGraph` renders into memory with them and `sfm-graphql export` streams pages of records
through them into a file or stdout, so both write the same bytes for the same graph. The CSV has
one fixed header (`CSV_COLUMNS`: every field a component or a delivery can have), so it can be
written before the records are known; an empty cell is an absent field.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable
from typing import Any, Protocol, TextIO

from sfm_graphql.domain.models import FIELDS_BY_TYPE, DeliveryFields
from sfm_graphql.services.csv_safety import safe_row

Record = dict[str, Any]
SYSTEM_FIELDS = ("id", "createdAt", "updatedAt", "version")
_COMPONENT_FIELDS = (
    "externalKey",
    "type",
    *(f for m in FIELDS_BY_TYPE.values() for f in m.model_fields),
)
_DELIVERY_FIELDS = ("externalKey", "sourceKey", "targetKey", *DeliveryFields.model_fields)
CSV_COLUMNS = ("record", *dict.fromkeys((*_COMPONENT_FIELDS, *_DELIVERY_FIELDS, *SYSTEM_FIELDS)))
_INDENT = "    "  # a record inside a section of the top-level object


def json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot export a {type(value).__name__}")


class ExportWriter(Protocol):
    """Components first, then deliveries, then `close`; each section may come in many calls."""

    def components(self, records: Iterable[Record]) -> None: ...

    def deliveries(self, records: Iterable[Record]) -> None: ...

    def close(self) -> None: ...


class JsonWriter:
    """`{"components": [...], "deliveries": [...]}`, laid out as `json.dumps(indent=2)` does."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._section: str | None = None
        self._count = 0

    def _start(self, section: str) -> None:
        if self._section == section:
            return
        if self._section is None and section == "deliveries":
            self._start("components")
        self._end_section()
        self._out.write(("{\n" if self._section is None else ",\n") + f'  "{section}": [')
        self._section, self._count = section, 0

    def _end_section(self) -> None:
        if self._section is not None:
            self._out.write("\n  ]" if self._count else "]")

    def _records(self, section: str, records: Iterable[Record]) -> None:
        self._start(section)
        for record in records:
            text = json.dumps(record, ensure_ascii=False, indent=2, default=json_default)
            self._out.write(",\n" if self._count else "\n")
            self._out.write("\n".join(_INDENT + line for line in text.splitlines()))
            self._count += 1

    def components(self, records: Iterable[Record]) -> None:
        self._records("components", records)

    def deliveries(self, records: Iterable[Record]) -> None:
        self._records("deliveries", records)

    def close(self) -> None:
        self._start("deliveries")
        self._end_section()
        self._out.write("\n}")


class CsvWriter:
    """One table: the `record` column, then `CSV_COLUMNS`; cells safe from formula injection."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")
        self._writer.writerow(CSV_COLUMNS)

    def _records(self, record_kind: str, records: Iterable[Record]) -> None:
        for record in records:
            unknown = set(record) - set(CSV_COLUMNS)
            if unknown:
                raise ValueError(f"no CSV column for {', '.join(sorted(unknown))}")
            self._writer.writerow(
                safe_row([record_kind, *(record.get(c) for c in CSV_COLUMNS[1:])])
            )

    def components(self, records: Iterable[Record]) -> None:
        self._records("component", records)

    def deliveries(self, records: Iterable[Record]) -> None:
        self._records("delivery", records)

    def close(self) -> None:
        return None
