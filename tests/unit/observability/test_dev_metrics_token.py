"""`make run` sets up a scrape token (tools/dev-metrics-token.sh) so /metrics can be looked at
locally: generated once, private to its owner, and accepted by the service's settings."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

from sfm_graphql.observability.metrics_scrape import scrape_token
from sfm_graphql.settings import Settings
from tests.paths import ROOT

SCRIPT = ROOT / "tools" / "dev-metrics-token.sh"


def setup_token(file: Path) -> str:
    done = subprocess.run([str(SCRIPT), str(file)], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_token_is_made_once_private_and_accepted(tmp_path: Path) -> None:
    file = tmp_path / "local" / "metrics-token"
    assert setup_token(file) == f"export SFM_METRICS_TOKEN_FILE={file}"
    token = file.read_text(encoding="utf-8")
    assert len(token) == 64
    assert int(token, 16) > 0
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    setup_token(file)
    assert file.read_text(encoding="utf-8") == token  # kept: a running scraper keeps working
    assert scrape_token(Settings(metrics_token_file=file)) == token.encode()


def test_make_run_prints_the_curl_command() -> None:
    recipe = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "tools/dev-metrics-token.sh .local/metrics-token" in recipe
    assert 'curl -H \\"Authorization: Bearer \\$(cat $SFM_METRICS_TOKEN_FILE)\\"' in recipe
    assert recipe.index("dev-metrics-token.sh") < recipe.index("sfm-graphql serve")
