"""docs/api.md lists every error code the service can return, with what it means, generated
from the one `ErrorCode` enum (sfm_graphql/errors.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfm_graphql import error_table
from sfm_graphql.cli import main
from sfm_graphql.errors import ERROR_CODE_DESCRIPTIONS, ErrorCode
from tests.paths import ROOT

API_DOC = ROOT / "docs" / "api.md"


def test_docs_api_md_holds_the_table_of_the_enum() -> None:
    current = API_DOC.read_text(encoding="utf-8")
    assert error_table.with_table(current) == current, "docs/api.md is stale: run `make docs`"
    for code in ErrorCode:
        assert f"| `{code.value}` | {ERROR_CODE_DESCRIPTIONS[code]} |" in current


def test_every_code_has_a_description() -> None:
    assert set(ERROR_CODE_DESCRIPTIONS) == set(ErrorCode)
    assert all(len(text) > 20 for text in ERROR_CODE_DESCRIPTIONS.values())


def test_a_code_without_a_description_fails_the_export(monkeypatch: pytest.MonkeyPatch) -> None:
    partial = {k: v for k, v in ERROR_CODE_DESCRIPTIONS.items() if k is not ErrorCode.CONFLICT}
    monkeypatch.setattr(error_table, "ERROR_CODE_DESCRIPTIONS", partial)
    with pytest.raises(error_table.MissingDescription, match="CONFLICT"):
        error_table.render_table()


def test_the_cli_checks_and_rewrites_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "api.md"
    stale = API_DOC.read_text(encoding="utf-8").replace(
        f"| `{ErrorCode.RATE_LIMITED.value}` | {ERROR_CODE_DESCRIPTIONS[ErrorCode.RATE_LIMITED]} |\n",
        "",
    )
    doc.write_text(stale, encoding="utf-8")
    assert main(["export-error-codes", "--check", str(doc)]) == 1
    assert "run `make docs`" in capsys.readouterr().err
    assert main(["export-error-codes", str(doc)]) == 0
    assert doc.read_text(encoding="utf-8") == API_DOC.read_text(encoding="utf-8")
    assert main(["export-error-codes", "--check", str(doc)]) == 0


def test_a_document_without_the_markers_is_refused(tmp_path: Path) -> None:
    doc = tmp_path / "api.md"
    doc.write_text("# API\n", encoding="utf-8")
    assert main(["export-error-codes", "--check", str(doc)]) == 1
