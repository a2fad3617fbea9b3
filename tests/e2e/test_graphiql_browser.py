"""GraphiQL in a real headless Chromium, with every non-local request refused.

Needs Node.js, ``/usr/bin/chromium`` and ``npm ci --prefix tests/e2e/browser``, which
``make test`` installs; a missing piece fails the test with the command that installs it.
The ``live_server_url`` fixture (``http://127.0.0.1:PORT``) comes from conftest.
Set ``AUTHORIZATION="Bearer ..."`` to have the script send it from the headers editor.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sfm_graphql.http.graphiql import GRAPHIQL_STATIC_DIR, graphiql_html

pytestmark = pytest.mark.e2e

BROWSER_DIR = Path(__file__).resolve().parent / "browser"
SCRIPT = BROWSER_DIR / "graphiql.mjs"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCRIPT_TIMEOUT_S = 90  # the script bounds itself at 60 s


def _require_browser_tooling() -> str:
    node = shutil.which("node")
    assert node is not None, "node is not installed"
    assert (BROWSER_DIR / "node_modules" / "playwright-core").is_dir(), (
        f"playwright-core missing: run `npm ci --prefix {BROWSER_DIR}` (make test does)"
    )
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} missing: run `tools/apt-install.sh chromium` (make test does)"
    )
    return node


def _run_script(
    node: str, base_url: str, *args: str, screenshot: Path, authorization: str | None = None
) -> dict[str, Any]:
    env = {**os.environ, "SCREENSHOT": str(screenshot)}
    if authorization is not None:
        env["AUTHORIZATION"] = authorization
    proc = subprocess.run(
        [node, str(SCRIPT), base_url, *args],
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
        env=env,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, (
        f"graphiql.mjs printed no JSON (exit {proc.returncode})\n"
        f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    outcome: dict[str, Any] = json.loads(lines[-1])
    assert proc.returncode == 0 and outcome["ok"], (
        f"GraphiQL browser check failed (exit {proc.returncode}): {outcome.get('error')}\n"
        f"screenshot: {screenshot}\n{json.dumps(outcome, indent=2)}\nstderr:\n{proc.stderr}"
    )
    return outcome


def test_graphiql_page_references_only_vendored_same_origin_assets() -> None:
    html = graphiql_html()
    assert "://" not in html, "the page must not reference absolute URLs"
    assert "<script>" not in html, "no inline script (CSP script-src 'self')"
    refs = re.findall(r'(?:src|href)="/static/graphiql/([^"]+)"', html)
    assert "init.js" in refs
    for ref in refs:
        assert (GRAPHIQL_STATIC_DIR / ref).is_file(), f"{ref} is not vendored"


def test_graphiql_runs_a_query_in_chromium_offline(
    live_server_url: str, tmp_path: Path, issue_token: Any
) -> None:
    """The page loads without credentials; the user pastes a token in the headers editor."""
    node = _require_browser_tooling()
    outcome = _run_script(
        node,
        live_server_url,
        "{ components { totalCount } }",
        '"totalCount"',
        screenshot=tmp_path / "graphiql.png",
        authorization=f"Bearer {issue_token('viewer')}",
    )
    assert outcome["blockedRequests"] == []
    assert '"data"' in (outcome["result"] or ""), outcome["result"]
    assert any(
        "application/json" in (req["contentType"] or "") for req in outcome["graphqlRequests"]
    )
    assert outcome["explorerPlugin"] and outcome["headersEditor"]
