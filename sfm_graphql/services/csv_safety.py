"""CSV cells that a spreadsheet will not run as formulas (CSV / formula injection).

A spreadsheet treats a text cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or a
carriage return) as a formula; a label such as `=HYPERLINK(...)` would run when a user opens
the export. Such text gets a leading `'`, which spreadsheets show as text and do not display.
Numbers stay numbers: a negative weight is data, not a formula, and quoting it would turn it
into text for every analyst who sums the column.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float


def neutralise(text: str) -> str:
    """`text` with a leading `'` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def restore(cell: str) -> str:
    """The inverse of `neutralise`, for reading a CSV this service wrote.

    Only a `'` followed by a formula prefix is removed, so text that merely starts with `'` is
    kept. The one text that does not survive an export and re-import is one that itself starts
    with `'` and then a formula prefix: it comes back without the `'`.
    """
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_PREFIXES) else cell


def safe_cell(value: Any) -> Cell:
    """One value as a CSV cell: numbers unchanged, None empty, everything else safe text.

    Booleans become `true`/`false`, dates ISO 8601, lists and maps JSON text.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.date | dt.datetime):
        return neutralise(value.isoformat())
    if isinstance(value, list | tuple | dict):
        return neutralise(json.dumps(value, ensure_ascii=False, default=str))
    return neutralise(str(value))


def safe_row(values: Iterable[Any]) -> list[Cell]:
    """A whole row of `safe_cell`s, for `csv.writer.writerow`."""
    return [safe_cell(v) for v in values]
