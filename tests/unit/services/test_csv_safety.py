"""Spreadsheet formula injection: text that a spreadsheet would run gets a leading quote."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from sfm_graphql.services.csv_safety import neutralise, safe_cell, safe_row


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        '=HYPERLINK("http://evil","click")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\tx",
        "\rx",
    ],
)
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["", "Nebraska", "a=b", " =not at start", "'already quoted", "1e5"]
)
def test_other_text_is_unchanged(text: str) -> None:
    assert neutralise(text) == text


@pytest.mark.parametrize("number", [-0.5, -3, 0, 2.25, 10**12])
def test_numbers_stay_numbers(number: float) -> None:
    assert safe_cell(number) == number
    assert type(safe_cell(number)) is type(number)


def test_other_values_become_safe_text() -> None:
    assert safe_cell(None) == ""
    assert safe_cell(True) == "true"
    assert safe_cell(dt.date(2020, 1, 2)) == "2020-01-02"
    assert safe_cell({"formula": "=1"}) == '{"formula": "=1"}'
    assert safe_cell(["-x"]) == '["-x"]'
    assert safe_cell("=x") == "'=x"


def test_a_written_row_reads_back_quoted_and_numeric() -> None:
    out = io.StringIO()
    csv.writer(out).writerow(safe_row(["=cmd()", -1.5, None, 'say "hi"']))

    assert out.getvalue() == '\'=cmd(),-1.5,,"say ""hi"""\r\n'
