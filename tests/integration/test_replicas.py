"""Replicas are stateless: two uvicorn servers on one Neo4j and one Redis act as one service.

Each replica is a separate app (its own lifespan, driver, caches and process state) served over
real HTTP on its own loopback port; what one learns the other knows at once, because the state
lives in Redis and Neo4j (docs/deployment.md, Scaling out).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.db.bookmarks import HEADER
from sfm_graphql.security.principal import Role
from sfm_graphql.settings import Settings
from tests.integration.test_api_keys import CREATE, REVOKE, _in
from tests.integration.test_limits import PAGE_OF_TEN, RATE_LIMIT, SMALL_BUDGETS
from tests.services import serving

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]

PING = "{ apiKeys { keyId } }"


@pytest.fixture(scope="module")
def replicas(settings: Settings) -> Iterator[tuple[str, str]]:
    """Two replicas with small rate-limit budgets, so one test can exhaust one."""
    small = settings.model_copy(
        update={
            "rate_limit_points_by_role": SMALL_BUDGETS,
            "rate_limit_window_s": 120,
            "apq_store_cost": 1,  # a store fits the small budgets
        }
    )
    with serving(create_app(small)) as a, serving(create_app(small)) as b:
        yield a, b


def _client(url: str, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, headers=headers, timeout=30)


async def test_a_budget_spent_on_one_replica_is_spent_on_the_other(
    replicas: tuple[str, str], issue_token: Any
) -> None:
    auth = {"Authorization": f"Bearer {issue_token('analyst', subject=f'r-{uuid.uuid4()}')}"}
    async with _client(replicas[0], **auth) as on_a, _client(replicas[1], **auth) as on_b:
        spent = [(await on_a.post("/graphql", json={"query": PAGE_OF_TEN})) for _ in range(2)]
        shown_on_b = await on_b.post("/graphql", json={"query": RATE_LIMIT})
        refused_on_b = await on_b.post("/graphql", json={"query": PAGE_OF_TEN})
    assert [r.status_code for r in spent] == [200, 200]
    assert shown_on_b.json()["data"]["rateLimit"]["remaining"] == 2  # 25 - 11 - 11 - 1
    assert refused_on_b.status_code == 429
    assert refused_on_b.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_a_persisted_query_registered_on_one_replica_is_found_on_the_other(
    replicas: tuple[str, str], issue_token: Any
) -> None:
    # Only an authenticated caller's accepted operation is stored (docs/security.md, APQ).
    auth = {"Authorization": f"Bearer {issue_token('viewer', subject=f'r-{uuid.uuid4()}')}"}
    document = f"# {uuid.uuid4()}\n{{ __typename }}"
    digest = hashlib.sha256(document.encode()).hexdigest()
    ext = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    async with _client(replicas[0], **auth) as on_a, _client(replicas[1], **auth) as on_b:
        unknown_on_b = await on_b.post("/graphql", json={"extensions": ext})
        registered = await on_a.post("/graphql", json={"query": document, "extensions": ext})
        found_on_b = await on_b.post("/graphql", json={"extensions": ext})
    assert unknown_on_b.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert registered.json()["data"] == {"__typename": "Query"}
    assert found_on_b.json()["data"] == {"__typename": "Query"}


async def test_an_api_key_revoked_on_one_replica_is_refused_at_once_by_the_other(
    replicas: tuple[str, str], issue_token: Any
) -> None:
    admin = {
        "Authorization": f"Bearer {issue_token('admin', mfa=True, subject=f'r-{uuid.uuid4()}')}"
    }
    async with _client(replicas[0], **admin) as admin_a:
        created = (
            await admin_a.post(
                "/graphql",
                json={
                    "query": CREATE,
                    "variables": {
                        "input": {
                            "name": "replicas",
                            "expiresAt": _in(),
                            "roles": [Role.VIEWER.name],
                        }
                    },
                },
            )
        ).json()["data"]["createApiKey"]
        key = {"X-API-Key": created["key"]}
        async with _client(replicas[1], **key) as keyed_b:
            # Used on B first, so B's cache holds the key as valid.
            before = await keyed_b.post(
                "/graphql", json={"query": "{ components(first: 1) { totalCount } }"}
            )
            await admin_a.post(
                "/graphql", json={"query": REVOKE, "variables": {"id": created["apiKey"]["id"]}}
            )
            after = await keyed_b.post(
                "/graphql", json={"query": "{ components(first: 1) { totalCount } }"}
            )
    assert before.status_code == 200 and "errors" not in before.json(), before.text
    assert after.status_code == 401
    assert after.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_bookmark_issued_by_one_replica_is_honoured_by_the_other(
    replicas: tuple[str, str], issue_token: Any
) -> None:
    auth = {
        "Authorization": f"Bearer {issue_token('admin', mfa=True, subject=f'r-{uuid.uuid4()}')}"
    }
    create = 'mutation { createComponent(input: {type: POLICY, label: "r"}) { component { id } } }'
    get = "query($id: ID!) { node(id: $id) { ... on Component { label } } }"
    async with _client(replicas[0], **auth) as on_a, _client(replicas[1], **auth) as on_b:
        written = await on_a.post("/graphql", json={"query": create})
        component_id = written.json()["data"]["createComponent"]["component"]["id"]
        read = await on_b.post(
            "/graphql",
            json={"query": get, "variables": {"id": component_id}},
            headers={HEADER: written.headers[HEADER]},
        )
    assert read.status_code == 200, read.text
    assert read.json()["data"]["node"] == {"label": "r"}
    assert read.headers[HEADER]
