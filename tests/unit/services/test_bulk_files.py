"""Reading bulkImportFile uploads: declared types, the export's JSON and CSV shapes."""

from __future__ import annotations

import pytest

from sfm_graphql.errors import BadUserInput, LimitExceeded
from sfm_graphql.services.bulk_files import (
    JSON_COLUMNS,
    BulkFileFormat,
    check_upload,
    parse_file,
)
from sfm_graphql.services.csv_safety import neutralise, restore
from sfm_graphql.services.export import render_csv

JSON = BulkFileFormat.JSON
CSV = BulkFileFormat.CSV


def test_json_columns_are_the_list_and_map_fields() -> None:
    assert {"metadata", "powerResources", "thresholds", "targetSectors"} == JSON_COLUMNS


@pytest.mark.parametrize(
    ("file_format", "content_type"),
    [
        (JSON, "application/json"),
        (JSON, "Application/JSON; charset=UTF-8"),
        (CSV, "text/csv"),
        (CSV, 'text/csv; charset="utf-8"'),
        (CSV, "application/vnd.ms-excel"),
    ],
)
def test_declared_types_that_fit_are_accepted(
    file_format: BulkFileFormat, content_type: str
) -> None:
    check_upload(size=10, content_type=content_type, file_format=file_format, max_bytes=10)


@pytest.mark.parametrize(
    ("file_format", "content_type"),
    [(JSON, None), (JSON, "text/csv"), (CSV, "text/plain"), (CSV, "text/csv; charset=utf-16")],
)
def test_declared_types_that_do_not_fit_are_refused(
    file_format: BulkFileFormat, content_type: str | None
) -> None:
    with pytest.raises(BadUserInput):
        check_upload(size=10, content_type=content_type, file_format=file_format, max_bytes=10)


def test_a_file_one_byte_over_the_limit_is_refused() -> None:
    with pytest.raises(LimitExceeded):
        check_upload(size=11, content_type="text/csv", file_format=CSV, max_bytes=10)


def test_json_drops_system_fields_and_keeps_everything_else() -> None:
    rows = parse_file(
        b'{"components": [{"externalKey": "a", "id": "x", "version": 3, "label": "=1+1"}]}', JSON
    )
    assert rows.components == [{"externalKey": "a", "label": "=1+1"}]
    assert rows.deliveries == []


def test_an_exported_table_reads_back_to_the_values_it_was_written_from() -> None:
    component = {
        "externalKey": "a",
        "type": "ACTOR",
        "label": '=HYPERLINK("x")',
        "sector": "-minus",
        "metadata": {"k": "=v", "n": 1},
        "powerResources": [{"name": "legal", "value": 0.5}],
        "description": "'quoted",
        "id": "a",
        "version": 2,
    }
    delivery = {
        "externalKey": "d",
        "sourceKey": "a",
        "targetKey": "a",
        "kind": "FUNDS",
        "weight": -1.5,
    }
    table = render_csv([component], [delivery])

    rows = parse_file(("\ufeff" + table).encode(), CSV)  # with the mark spreadsheets write

    assert rows.components == [{k: v for k, v in component.items() if k not in {"id", "version"}}]
    assert rows.deliveries == [{**delivery, "weight": "-1.5"}]  # the model reads the number


@pytest.mark.parametrize("text", ["=1", "+1", "-x", "@x", "\tx", "'", "'x", "plain", ""])
def test_restore_undoes_neutralise(text: str) -> None:
    assert restore(neutralise(text)) == text


def test_text_that_starts_like_a_neutralised_formula_loses_its_quote() -> None:
    # The one ambiguity (docs/security.md): "'=x" is exported as it is and read back as "=x".
    assert restore(neutralise("'=x")) == "=x"
