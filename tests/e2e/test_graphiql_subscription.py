"""GraphiQL runs the analysisProgress subscription in a real headless Chromium, offline.

A real job (a real `sfm-graphql worker` process, the test Redis and Neo4j) is followed from the
AnalysisProgress example tab with a token pasted in the Headers editor: the page opens a
graphql-transport-ws WebSocket to its own origin under the service's CSP, sends the token in
`connection_init`, and its result pane shows the job queued, then finished with its result.
Without a token, or with a bad one, the pane shows the refusal. Needs what
test_graphiql_browser.py needs (node, /usr/bin/chromium, the npm packages of tests/e2e/browser).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from sfm_graphql.http.graphiql_examples import ANALYSIS_QUERY, EXAMPLES, HEADERS_TEMPLATE
from tests.e2e.test_graphiql_browser import BROWSER_DIR, _require_browser_tooling

pytestmark = pytest.mark.e2e

SCRIPT = BROWSER_DIR / "graphiql-subscription.mjs"
SCRIPT_TIMEOUT_S = 130  # the script bounds itself at 100 s
FIRST_UPDATE = json.dumps(
    {"event": "first-update"}, separators=(",", ":")
)  # as the script prints it
START = "mutation($input: StartAnalysisInput!) { startAnalysis(input: $input) { id status } }"
CREATE = "mutation($i: CreateComponentInput!) { createComponent(input: $i) { component { id } } }"
LINK = "mutation($i: CreateDeliveryInput!) { createDelivery(input: $i) { delivery { id } } }"


def _post(base_url: str, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{base_url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def _start_job(base_url: str, issue_token: Any) -> str:
    """A small graph and a queued PageRank job of the analyst `ana` (no worker runs yet)."""
    editor = issue_token("editor")
    ids = [
        _post(base_url, editor, CREATE, {"i": {"type": kind, "label": label}})["createComponent"][
            "component"
        ]["id"]
        for kind, label in (
            ("POLICY", "Low-Level Radioactive Waste Policy Act"),
            ("ACTOR", "Central Interstate Compact Commission"),
            ("ACTOR", "Nebraska"),
        )
    ]
    for source, target in ((0, 1), (1, 2), (2, 1)):
        delivery = {"source": ids[source], "target": ids[target], "kind": "MANDATES"}
        _post(base_url, editor, LINK, {"i": {**delivery, "deliveryType": "RULE"}})
    analyst = issue_token("analyst", subject="ana")
    job = _post(base_url, analyst, START, {"input": {"query": ANALYSIS_QUERY}})["startAnalysis"]
    assert job["status"] == "QUEUED", job
    job_id: str = job["id"]
    return job_id


def _follow(
    base_url: str,
    job_id: str,
    expected: str,
    *,
    screenshot: Path,
    authorization: str | None = None,
    on_first_update: Callable[[], object] | None = None,
) -> dict[str, Any]:
    """Runs graphiql-subscription.mjs; calls `on_first_update` once the pane shows an update."""
    node = _require_browser_tooling()
    env = {**os.environ, "SCREENSHOT": str(screenshot)}
    env.pop("AUTHORIZATION", None)
    if authorization is not None:
        env["AUTHORIZATION"] = authorization
    proc = subprocess.Popen(
        [node, str(SCRIPT), base_url, job_id, expected],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the script ends itself within 100 s
            lines.append(line)
            if line.strip() == FIRST_UPDATE and on_first_update:
                on_first_update()
        proc.wait(timeout=SCRIPT_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read() if proc.stderr else ""
    outcomes = [line for line in lines if line.startswith("{") and '"ok"' in line]
    assert outcomes, f"no outcome (exit {proc.returncode})\nstdout:\n{''.join(lines)}\n{stderr}"
    outcome: dict[str, Any] = json.loads(outcomes[-1])
    assert proc.returncode == 0 and outcome["ok"], (
        f"GraphiQL subscription check failed (exit {proc.returncode}): {outcome.get('error')}\n"
        f"screenshot: {screenshot}\n{json.dumps(outcome, indent=2)}\nstderr:\n{stderr}"
    )
    return outcome


def _connection_init(outcome: dict[str, Any]) -> dict[str, Any]:
    (socket,) = outcome["websockets"]
    init = json.loads(socket["sent"][0])
    assert init["type"] == "connection_init", socket
    payload: dict[str, Any] = init.get("payload") or {}
    return payload


def test_graphiql_follows_a_real_job_to_its_end_over_a_websocket(
    live_server_url: str,
    tmp_path: Path,
    issue_token: Any,
    clean_graph: None,
    start_worker: Callable[..., Any],
) -> None:
    job_id = _start_job(live_server_url, issue_token)
    outcome = _follow(
        live_server_url,
        job_id,
        '"SUCCEEDED"',
        screenshot=tmp_path / "graphiql-subscription.png",
        authorization=f"Bearer {issue_token('analyst', subject='ana')}",
        on_first_update=start_worker,  # the pane shows the job queued before a worker takes it
    )
    # The tab opened as the example stands; the test then filled in the job's id and the token.
    example = next(e for e in EXAMPLES if e.name == "AnalysisProgress")
    assert outcome["query"] == example.query
    assert json.loads(outcome["initialVariables"]) == example.variables
    assert json.loads(outcome["initialHeaders"]) == json.loads(HEADERS_TEMPLATE)
    # The page connected to its own origin, as the CSP it was served with allows.
    port = live_server_url.rsplit(":", 1)[1]
    (socket,) = outcome["websockets"]
    assert socket["url"] == f"ws://127.0.0.1:{port}/graphql"
    connect_src = next(
        d.strip() for d in outcome["contentSecurityPolicy"].split(";") if "connect-src" in d
    )
    assert connect_src == f"connect-src 'self' ws://127.0.0.1:{port}"
    # The token from the Headers editor travelled in connection_init, not in a URL or a POST.
    assert _connection_init(outcome) == {"Authorization": "<AUTHORIZATION>"}
    assert all("subscription AnalysisProgress" not in r["body"] for r in outcome["graphqlRequests"])
    # The result pane showed the updates in order: queued first, the result last.
    updates = [json.loads(text)["data"]["analysisProgress"] for text in outcome["panes"]]
    assert updates[0]["status"] == "QUEUED" and updates[0]["progress"] == 0
    assert updates[-1]["status"] == "SUCCEEDED" and updates[-1]["progress"] == 1
    assert len(updates) >= 2
    progress = [u["progress"] for u in updates]
    assert progress == sorted(progress)
    ranked = updates[-1]["result"]["centrality"]
    assert [row["rank"] for row in ranked] == list(range(1, len(ranked) + 1))
    assert {row["component"]["label"] for row in ranked} >= {"Nebraska"}
    # Every update the server sent was shown; the server completed the subscription.
    frames = [json.loads(f) for f in socket["received"]]
    types = [f["type"] for f in frames]
    assert types[0] == "connection_ack" and types[-1] == "complete"
    sent = [f["payload"]["data"]["analysisProgress"] for f in frames if f["type"] == "next"]
    assert [u["status"] for u in sent][-1] == "SUCCEEDED"
    assert len(sent) >= len(updates)


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        (None, "UNAUTHENTICATED"),  # the <token> placeholder is not sent: an anonymous socket
        ("Bearer not-a-token", "4403"),  # the server refuses connection_init
    ],
    ids=["without-a-token", "with-a-bad-token"],
)
@pytest.mark.usefixtures("clean_graph")
def test_graphiql_shows_the_refusal_of_a_subscription_without_valid_credentials(
    live_server_url: str,
    tmp_path: Path,
    issue_token: Any,
    authorization: str | None,
    expected: str,
) -> None:
    job_id = _start_job(live_server_url, issue_token)
    outcome = _follow(
        live_server_url,
        job_id,
        expected,
        screenshot=tmp_path / "graphiql-refused.png",
        authorization=authorization,
    )
    (pane,) = outcome["panes"]
    refusal = json.loads(pane)
    assert "data" not in refusal or refusal["data"] is None, refusal
    error = refusal["errors"][0]
    payload = _connection_init(outcome)
    if authorization is None:
        assert payload == {}, "the placeholder must not be sent as a credential"
        assert error["extensions"]["code"] == "UNAUTHENTICATED", refusal
    else:
        assert payload == {"Authorization": "<AUTHORIZATION>"}
        assert error["extensions"]["closeCode"] == 4403, refusal
        assert "not valid" in error["message"]
