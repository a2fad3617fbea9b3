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

import httpx
import pytest

from sfm_graphql.http.graphiql import GRAPHIQL_STATIC_DIR, graphiql_html
from sfm_graphql.http.graphiql_examples import EXAMPLES, HEADERS_TEMPLATE, TOKEN_PLACEHOLDER

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


def _seed_policy_and_actor(base_url: str, token: str) -> None:
    create = (
        "mutation($i: CreateComponentInput!) { createComponent(input: $i) { component { id } } }"
    )
    link = "mutation($i: CreateDeliveryInput!) { createDelivery(input: $i) { delivery { id } } }"
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:
        ids = []
        for component in (
            {"type": "POLICY", "label": "Low-Level Radioactive Waste Policy Act"},
            {"type": "ACTOR", "label": "Central Interstate Compact Commission"},
        ):
            body = http.post("/graphql", json={"query": create, "variables": {"i": component}})
            ids.append(body.json()["data"]["createComponent"]["component"]["id"])
        delivery = {"source": ids[0], "target": ids[1], "kind": "MANDATES", "deliveryType": "RULE"}
        body = http.post("/graphql", json={"query": link, "variables": {"i": delivery}})
        assert "errors" not in body.json(), body.json()


def test_graphiql_opens_with_the_examples_and_runs_the_first_with_a_pasted_token(
    live_server_url: str, tmp_path: Path, issue_token: Any, clean_graph: None
) -> None:
    """One tab per example, the token header template; the first example runs as it stands."""
    node = _require_browser_tooling()
    _seed_policy_and_actor(live_server_url, issue_token("editor"))
    outcome = _run_script(
        node,
        live_server_url,
        "-",  # run the example of the first tab unchanged
        "Central Interstate Compact Commission",
        screenshot=tmp_path / "graphiql-examples.png",
        authorization=f"Bearer {issue_token('viewer')}",
    )
    assert outcome["tabs"] == [example.name for example in EXAMPLES]
    first = EXAMPLES[0]
    assert outcome["initialQuery"] == first.query
    assert json.loads(outcome["initialVariables"]) == first.variables
    assert json.loads(outcome["initialHeaders"]) == json.loads(HEADERS_TEMPLATE)
    # Loading the page fetched the schema without sending the placeholder as a credential.
    assert all(
        TOKEN_PLACEHOLDER not in (request["authorization"] or "")
        for request in outcome["graphqlRequests"]
    )
    result = json.loads(outcome["result"])
    assert "errors" not in result, result
    edges = result["data"]["components"]["edges"]
    policy = next(e["node"] for e in edges if e["node"]["type"] == "POLICY")
    assert policy["outgoing"]["edges"][0]["node"]["kind"] == "MANDATES"
    assert policy["outgoing"]["edges"][0]["node"]["target"]["label"] == (
        "Central Interstate Compact Commission"
    )
