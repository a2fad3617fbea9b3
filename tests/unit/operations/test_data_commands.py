"""What the data commands (operations/data_commands.py) decide without a database."""

from __future__ import annotations

import pytest

from sfm_graphql.cli import build_parser, main
from sfm_graphql.operations.data_commands import file_format, row_error_line
from sfm_graphql.services.bulk_types import ImportErrorCode, ImportSection, RowError
from sfm_graphql.services.file_rows import BulkFileFormat


@pytest.mark.parametrize(
    ("path", "given", "wanted"),
    [
        ("graph.json", None, BulkFileFormat.JSON),
        ("GRAPH.CSV", None, BulkFileFormat.CSV),
        ("graph.txt", "CSV", BulkFileFormat.CSV),
        ("graph.json", "CSV", BulkFileFormat.CSV),
        ("graph", None, None),
        ("-", None, None),
    ],
)
def test_the_format_is_the_one_named_else_the_suffixs(
    path: str, given: str | None, wanted: BulkFileFormat | None
) -> None:
    assert file_format(path, given) is wanted


def test_a_row_error_names_section_row_key_field_and_code() -> None:
    error = RowError(
        ImportSection.DELIVERIES, 7, "d1", "sourceKey", ImportErrorCode.UNKNOWN_KEY, "names none"
    )

    assert row_error_line(error) == "deliveries[7] (key d1) sourceKey: UNKNOWN_KEY: names none"


def test_the_data_commands_take_quiet() -> None:
    parser = build_parser()
    for argv in (["seed-demo", "-q"], ["import", "f.json", "--quiet"], ["export", "-", "-q"]):
        assert parser.parse_args(argv).quiet is True
    assert parser.parse_args(["export", "out.csv"]).quiet is False


@pytest.mark.parametrize(
    "argv", [["import", "graph.txt"], ["export", "graph.xml"], ["export", "-", "--page-size", "0"]]
)
def test_usage_errors_exit_2_before_any_connection(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sfm-graphql {argv[0]}: ")
