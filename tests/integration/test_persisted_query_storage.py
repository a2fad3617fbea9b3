"""Attacks on the shared Redis through automatic persisted queries (issue: APQ stored before the
size, authentication and cost checks). A text is stored only once its operation was accepted
for execution, by an authenticated caller, within a size cap and the caller's budget.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from starlette.applications import Starlette

from sfm_graphql.app import create_app
from sfm_graphql.services.access.persisted import APQ_PREFIX
from sfm_graphql.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]

COUNT = "{ components { totalCount } }"
# About 120 000 points: over a viewer's 50 000 per operation.
COSTLY = """
{ components(first: 100) { edges { node { outgoing(first: 100) { edges { node {
    target { outgoing(first: 10) { edges { node { id } } } }
} } } } } } }
"""


def fresh(document: str) -> str:
    return f"# {uuid.uuid4()}\n{document}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def with_hash(query: str) -> dict[str, Any]:
    return {
        "query": query,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}},
    }


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[redis.Redis]:
    client = redis.from_url(settings.redis_url)
    yield client
    await client.aclose()


async def stored(store: redis.Redis, query: str) -> bool:
    return bool(await store.exists(APQ_PREFIX + sha256(query)))


def client_of(app: Starlette, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )


def code_of(response: httpx.Response) -> str | None:
    errors = response.json().get("errors")
    return errors[0]["extensions"]["code"] if errors else None


async def test_an_accepted_operation_of_an_authenticated_caller_is_stored_with_its_ttl(
    client: httpx.AsyncClient, store: redis.Redis, settings: Settings
) -> None:
    query = fresh(COUNT)
    response = await client.post("/graphql", json=with_hash(query))
    assert code_of(response) is None
    assert await stored(store, query)
    assert 0 < await store.ttl(APQ_PREFIX + sha256(query)) <= settings.apq_ttl_s


async def test_anonymous_callers_never_store(
    anonymous_client: httpx.AsyncClient, store: redis.Redis
) -> None:
    typename = fresh("{ __typename }")  # runs for anonymous callers
    data = fresh(COUNT)  # refused: UNAUTHENTICATED
    ran = await anonymous_client.post("/graphql", json=with_hash(typename))
    refused = await anonymous_client.post("/graphql", json=with_hash(data))
    assert ran.json()["data"] == {"__typename": "Query"}
    assert code_of(refused) == "UNAUTHENTICATED"
    assert not await stored(store, typename)
    assert not await stored(store, data)


async def test_a_bad_credential_stores_nothing(app: Starlette, store: redis.Redis) -> None:
    query = fresh(COUNT)
    async with client_of(app, "forged-token") as http:
        response = await http.post("/graphql", json=with_hash(query))
    assert response.status_code == 401
    assert not await stored(store, query)


async def test_a_document_over_the_size_limit_is_not_stored(
    client: httpx.AsyncClient, store: redis.Redis, settings: Settings
) -> None:
    query = fresh("#" + "x" * settings.max_document_bytes + "\n" + COUNT)
    response = await client.post("/graphql", json=with_hash(query))
    assert code_of(response) == "DOCUMENT_TOO_LARGE"
    assert not await stored(store, query)


@pytest.mark.parametrize(
    ("role", "refusal"),
    [("viewer", (413, "PAYLOAD_TOO_LARGE")), ("admin", (200, "DOCUMENT_TOO_LARGE"))],
)
async def test_a_19_mib_document_is_refused_as_too_large_and_not_stored(
    app: Starlette, issue_token: Any, store: redis.Redis, role: str, refusal: tuple[int, str]
) -> None:
    # A viewer's JSON body is refused whole; an admin may send bulk-sized bodies, but the
    # document is still over the document limit.
    query = fresh("#" + "x" * (19 * 1024 * 1024) + "\n" + COUNT)
    async with client_of(app, issue_token(role, mfa=True)) as http:
        response = await http.post("/graphql", json=with_hash(query))
    assert (response.status_code, code_of(response)) == refusal
    assert not await stored(store, query)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ components { nope } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ components { ", "GRAPHQL_PARSE_FAILED"),
        (COSTLY, "MAX_COST_EXCEEDED"),
    ],
)
async def test_an_operation_refused_before_execution_is_not_stored(
    app: Starlette, issue_token: Any, store: redis.Redis, query: str, code: str
) -> None:
    document = fresh(query)
    async with client_of(app, issue_token("viewer")) as http:
        response = await http.post("/graphql", json=with_hash(document))
    assert code_of(response) == code
    assert not await stored(store, document)


async def test_a_text_over_the_store_cap_runs_but_is_not_stored(
    client: httpx.AsyncClient, store: redis.Redis, settings: Settings
) -> None:
    query = fresh("#" + "x" * settings.apq_max_bytes + "\n" + COUNT)
    assert len(query) < settings.max_document_bytes
    response = await client.post("/graphql", json=with_hash(query))
    assert code_of(response) is None
    assert response.json()["data"] == {"components": {"totalCount": 0}}
    assert not await stored(store, query)


async def test_stores_cost_budget_points_and_are_capped_per_principal_and_window(
    settings: Settings, issue_token: Any, store: redis.Redis
) -> None:
    application = create_app(
        settings.model_copy(update={"apq_stores_per_window": 2, "apq_store_cost": 500})
    )
    token = issue_token("viewer", subject=f"apq-{uuid.uuid4()}")
    documents = [fresh("{ rateLimit { remaining } }") for _ in range(4)]
    async with (
        application.router.lifespan_context(application),
        client_of(application, token) as http,
    ):
        plain = await http.post("/graphql", json={"query": "{ rateLimit { remaining } }"})
        remaining = [plain.json()["data"]["rateLimit"]["remaining"]]
        for document in documents:
            response = await http.post("/graphql", json=with_hash(document))
            remaining.append(response.json()["data"]["rateLimit"]["remaining"])
        after = await http.post("/graphql", json={"query": "{ rateLimit { remaining } }"})
        remaining.append(after.json()["data"]["rateLimit"]["remaining"])

    assert [await stored(store, d) for d in documents] == [True, True, False, False]
    # `rateLimit` is read before the store is paid for: each store shows in the next answer.
    spent = [before - now for before, now in itertools.pairwise(remaining)]
    assert spent == [1, 501, 501, 1, 1]


async def test_a_stored_text_is_found_by_its_hash_over_get(
    client: httpx.AsyncClient,
) -> None:
    query = fresh(COUNT)
    await client.post("/graphql", json=with_hash(query))
    extensions = json.dumps(with_hash(query)["extensions"])
    response = await client.get("/graphql", params={"extensions": extensions})
    assert response.json()["data"] == {"components": {"totalCount": 0}}
