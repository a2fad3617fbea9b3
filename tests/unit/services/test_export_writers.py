"""The export writers (services/export_writers.py): the same bytes however the records come."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest

from sfm_graphql.domain.models import FIELDS_BY_TYPE, DeliveryFields
from sfm_graphql.services.export_writers import CSV_COLUMNS, CsvWriter, JsonWriter

COMPONENTS: list[dict[str, Any]] = [
    {"externalKey": "a", "type": "ACTOR", "label": "caf\u00e9", "metadata": {"x": [1, {}]}},
    {"externalKey": "b", "type": "POLICY", "label": "=1+1", "createdAt": dt.date(2020, 1, 2)},
]
DELIVERIES: list[dict[str, Any]] = [
    {"externalKey": "d", "sourceKey": "a", "targetKey": "b", "kind": "FUNDS", "weight": -0.5}
]


def _json(pages: list[tuple[str, list[dict[str, Any]]]]) -> str:
    out = io.StringIO()
    writer = JsonWriter(out)
    for section, records in pages:
        getattr(writer, section)(records)
    writer.close()
    return out.getvalue()


def _dumps(components: list[Any], deliveries: list[Any]) -> str:
    document = {"components": components, "deliveries": deliveries}
    return json.dumps(document, ensure_ascii=False, indent=2, default=lambda v: v.isoformat())


@pytest.mark.parametrize(
    ("pages", "components", "deliveries"),
    [
        ([], [], []),
        ([("components", COMPONENTS)], COMPONENTS, []),
        ([("deliveries", DELIVERIES)], [], DELIVERIES),
        (
            [
                ("components", COMPONENTS[:1]),
                ("components", []),
                ("components", COMPONENTS[1:]),
                ("deliveries", DELIVERIES),
            ],
            COMPONENTS,
            DELIVERIES,
        ),
    ],
)
def test_json_in_pages_is_json_dumps_of_the_whole(
    pages: list[tuple[str, list[dict[str, Any]]]],
    components: list[Any],
    deliveries: list[Any],
) -> None:
    assert _json(pages) == _dumps(components, deliveries)


def test_the_csv_header_names_every_field_once() -> None:
    fields = {f for model in FIELDS_BY_TYPE.values() for f in model.model_fields}
    fields |= set(DeliveryFields.model_fields) | {"type", "sourceKey", "targetKey"}
    fields |= {"id", "createdAt", "updatedAt", "version"}

    assert CSV_COLUMNS[0] == "record"
    assert len(set(CSV_COLUMNS)) == len(CSV_COLUMNS)
    assert set(CSV_COLUMNS[1:]) == fields


def test_csv_rows_are_spreadsheet_safe_under_the_fixed_header() -> None:
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.components(COMPONENTS)
    writer.deliveries(DELIVERIES)
    writer.close()

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["record"] for r in rows] == ["component", "component", "delivery"]
    assert rows[1]["label"] == "'=1+1" and rows[1]["createdAt"] == "2020-01-02"
    assert json.loads(rows[0]["metadata"]) == {"x": [1, {}]}
    assert rows[2]["weight"] == "-0.5" and rows[2]["label"] == ""


def test_a_field_without_a_csv_column_is_an_error() -> None:
    with pytest.raises(ValueError, match="no CSV column for nonsense"):
        CsvWriter(io.StringIO()).components([{"externalKey": "a", "nonsense": 1}])
