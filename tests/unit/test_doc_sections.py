"""The generated sections of the docs: a table between two markers, and the CLI's --check."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfm_graphql.cli import main
from sfm_graphql.doc_sections import with_section
from tests.paths import ROOT

START, END = "<!-- t:start -->", "<!-- t:end -->"


def test_only_the_text_between_the_markers_is_replaced() -> None:
    document = f"# Title\nbefore\n{START}\nold\nrows\n{END}\nafter\n"
    assert with_section(document, START, END, lambda: "| new |") == (
        f"# Title\nbefore\n{START}\n| new |\n{END}\nafter\n"
    )


def test_a_missing_marker_is_refused_before_the_table_is_rendered() -> None:
    def render() -> str:
        raise AssertionError("rendered although a marker is missing")

    for document in (f"{START}\nno end\n", f"no start\n{END}\n", "neither\n"):
        with pytest.raises(ValueError, match="section"):
            with_section(document, START, END, render)


def test_export_schema_checks_writes_and_checks_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sdl = tmp_path / "schema" / "schema.graphql"
    assert main(["export-schema", "--check", str(sdl)]) == 1  # missing counts as stale
    assert "run `make schema`" in capsys.readouterr().err
    assert main(["export-schema", str(sdl)]) == 0
    committed = (ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8")
    assert sdl.read_text(encoding="utf-8") == committed
    assert main(["export-schema", "--check", str(sdl)]) == 0
