"""Generated sections of the docs: a table between two HTML-comment markers, rewritten from code.

`error_table.py` (docs/api.md) and `settings_reference.py` (docs/operations/configuration.md)
render their tables; this module puts a table between its markers and names the one refusal
both share, a row without its description.
"""

from __future__ import annotations

from collections.abc import Callable


class MissingDescription(Exception):
    """A generated table would have an entry without its description."""


def with_section(document: str, start: str, end: str, render: Callable[[], str]) -> str:
    """`document` with the text between `start` and `end` replaced by `render()`; ValueError
    (before anything is rendered) when a marker is missing."""
    before, found_start, rest = document.partition(start)
    _, found_end, after = rest.partition(end)
    if not found_start or not found_end:
        raise ValueError(f"the document has no {start!r} ... {end!r} section")
    return f"{before}{start}\n{render()}\n{end}{after}"
