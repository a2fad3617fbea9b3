"""Crafted bearer tokens (deep JSON nesting, huge tokens) are failed logins, never server errors.

Each one must come back as 401 UNAUTHENTICATED, be counted in `sfm_auth_failures_total` and by
the failed-login gate (so an address sending them is refused with 429 once its budget is spent),
and leave a `login.failed` audit event. Sent over real HTTP to a uvicorn server of its own.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.settings import Settings
from tests.services import METRICS_TOKEN, serving

pytestmark = pytest.mark.integration

PING = "{ deliveryKinds { kind } }"
ATTEMPTS = 6  # the crafted tokens below; the test server's gate allows one failure more


def _b64(data: str) -> str:
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def crafted_tokens(issue_token: Any) -> list[str]:
    """Tokens a forger might send; each is within the 8 KiB credential limit except the last."""
    good_head, good_payload, signature = issue_token("viewer").split(".")
    header = json.loads(base64.urlsafe_b64decode(good_head + "=="))
    deep_header = _b64(json.dumps(header)[:-1] + ', "x": ' + _deep(2500) + "}")
    deep_payload = _b64('{"iss": "x", "claims": ' + _deep(2500) + "}")
    moderately_deep = _b64('{"alg": "RS256", "x": ' + _deep(40) + "}")
    huge_number = _b64('{"n": ' + "9" * 5000 + "}")  # beyond Python's int-from-text limit
    deep_object = _b64('{"alg": "RS256", "x": ' + '{"a":' * 900 + "1" + "}" * 900 + "}")
    return [
        f"{deep_header}.{good_payload}.{signature}",
        f"{good_head}.{deep_payload}.{signature}",
        f"{moderately_deep}.{good_payload}.{signature}",
        f"{deep_object}.{good_payload}.{signature}",
        f"{_b64(json.dumps(header))}.{huge_number}.{signature}",
        f"{good_head}.{'A' * 60_000}.{signature}",  # far beyond the credential limit
    ]


@pytest.fixture
def server_url(settings: Settings, clean_graph: None) -> Iterator[str]:
    """A server whose failed-login gate lets ATTEMPTS + 1 failures through per address."""
    application = create_app(settings.model_copy(update={"failed_logins_per_ip": ATTEMPTS + 1}))
    with serving(application) as url:
        yield url


def _failures(metrics_text: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics_text.splitlines()
        if line.startswith("sfm_auth_failures_total{") and 'credential="token"' in line
    )


async def test_crafted_tokens_are_401_counted_gated_and_audited(
    server_url: str, settings: Settings, issue_token: Any, neo4j_driver: Any
) -> None:
    scrape = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    tokens = crafted_tokens(issue_token)
    assert len(tokens) == ATTEMPTS
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
        before = _failures((await http.get("/metrics", headers=scrape)).text)
        for token in tokens:
            response = await http.post(
                "/graphql", json={"query": PING}, headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 401, (len(token), response.text[:300])
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == "UNAUTHENTICATED"
            assert response.headers["www-authenticate"].startswith("Bearer")
        after = _failures((await http.get("/metrics", headers=scrape)).text)
        assert after - before == ATTEMPTS

        # The gate counted them: one more failure spends the address's budget, and then even a
        # good token is refused unread.
        last = await http.post("/graphql", json={"query": PING}, headers={"X-API-Key": "sfmk_x"})
        assert last.status_code == 401
        good = issue_token("viewer")
        blocked = await http.post(
            "/graphql", json={"query": PING}, headers={"Authorization": f"Bearer {good}"}
        )
        assert blocked.status_code == 429, blocked.text

    with neo4j_driver.session() as session:
        events = [
            record["e"]
            for record in session.run(
                "MATCH (e:AuditEvent {action: 'login.failed'}) RETURN properties(e) AS e"
            )
        ]
    assert len(events) == ATTEMPTS + 1, events
    assert {e["outcome"] for e in events} == {"UNAUTHENTICATED"}
    methods = sorted(json.loads(e["details"])["method"] for e in events)
    assert methods == ["api_key"] + ["bearer"] * ATTEMPTS
    written = json.dumps(events, default=str)
    assert all(token.split(".")[0] not in written for token in tokens)
