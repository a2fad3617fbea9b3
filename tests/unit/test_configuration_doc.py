"""docs/operations/configuration.md lists every setting, generated from the `Settings` model and
SETTING_DESCRIPTIONS, so a setting cannot exist undocumented and a secret never shows its value."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from sfm_graphql import settings_reference
from sfm_graphql.cli import main
from sfm_graphql.settings import Settings
from sfm_graphql.settings_descriptions import SETTING_DESCRIPTIONS
from tests.paths import ROOT

CONFIG_DOC = ROOT / "docs" / "operations" / "configuration.md"


def _row(table: str, env: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(f"| `{env}`"))


def test_the_committed_doc_holds_the_table_of_the_model() -> None:
    current = CONFIG_DOC.read_text(encoding="utf-8")
    assert settings_reference.with_table(current) == current, (
        "docs/operations/configuration.md is stale: run `make docs`"
    )
    for name, field in Settings.model_fields.items():
        env = settings_reference.env_names(name, field)[0]
        assert f"| `{env}`" in current
        assert settings_reference._cell(SETTING_DESCRIPTIONS[name]) in current


def test_every_setting_has_a_description() -> None:
    assert set(SETTING_DESCRIPTIONS) == set(Settings.model_fields)
    assert all(len(text) > 10 for text in SETTING_DESCRIPTIONS.values())


def test_a_setting_without_a_description_fails_the_rendering(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    partial = {k: v for k, v in SETTING_DESCRIPTIONS.items() if k != "max_page_size"}
    monkeypatch.setattr(settings_reference, "SETTING_DESCRIPTIONS", partial)
    with pytest.raises(settings_reference.MissingDescription, match="max_page_size"):
        settings_reference.render_table()
    assert main(["export-config-docs", "--check", str(CONFIG_DOC)]) == 1


def test_aliases_are_listed_with_the_winning_name_first() -> None:
    table = settings_reference.render_table()
    assert _row(table, "NEO4J_URI").startswith("| `NEO4J_URI`, `SFM_NEO4J_URI` |")
    assert "`NEO4J_USER`, `NEO4J_USERNAME`, `SFM_NEO4J_USER`" in table
    assert "| `SFM_MAX_PAGE_SIZE` | int | `100` |" in table


def test_derived_defaults_read_unset_and_factories_are_called() -> None:
    table = settings_reference.render_table()
    assert "| `SFM_GRAPHIQL` | bool \\| None | unset |" in table
    assert '"anonymous": 100' in _row(table, "SFM_MAX_COST_BY_ROLE")


class _SecretDefaults(Settings):
    neo4j_password: SecretStr = SecretStr("default-password-never-printed")
    api_key_pepper: SecretStr | None = SecretStr("default-pepper-never-printed-000000")


def test_a_secret_default_never_appears(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_reference, "Settings", _SecretDefaults)
    monkeypatch.setenv("SFM_METRICS_TOKEN", "an-environment-value-never-printed-000")
    table = settings_reference.render_table()
    assert "never-printed" not in table
    assert "SecretStr" not in table and "**********" not in table
    for name, field in _SecretDefaults.model_fields.items():
        if settings_reference.is_secret(field):
            env = settings_reference.env_names(name, field)[0]
            assert _row(table, env).split(" | ")[2] == "(secret)", name


def test_the_cli_checks_and_rewrites_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "configuration.md"
    committed = CONFIG_DOC.read_text(encoding="utf-8")
    stale = committed.replace(_row(committed, "SFM_MAX_PAGE_SIZE") + "\n", "")
    doc.write_text(stale, encoding="utf-8")
    assert main(["export-config-docs", "--check", str(doc)]) == 1
    assert "run `make docs`" in capsys.readouterr().err
    assert main(["export-config-docs", str(doc)]) == 0
    assert doc.read_text(encoding="utf-8") == committed
    assert main(["export-config-docs", "--check", str(doc)]) == 0


def test_a_document_without_the_markers_is_refused(tmp_path: Path) -> None:
    doc = tmp_path / "configuration.md"
    doc.write_text("# Configuration\n", encoding="utf-8")
    assert main(["export-config-docs", "--check", str(doc)]) == 1
