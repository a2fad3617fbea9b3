"""GraphQL over HTTP (the GraphQL Foundation spec) as real clients send it: `Accept` decides the
media type and the status rules; GraphiQL only for a browser asking for HTML without an
operation; hash-only persisted queries over GET as Apollo's link and curl send them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from sfm_graphql.app import create_app
from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]

GRAPHQL_RESPONSE = "application/graphql-response+json"
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
URQL_ACCEPT = (
    "application/graphql-response+json, application/graphql+json, application/json, "
    "text/event-stream, multipart/mixed"
)
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
COUNT = "{ components { totalCount } }"


def fresh(document: str) -> str:
    return f"# {uuid.uuid4()}\n{document}"


def persisted(query: str) -> str:
    digest = hashlib.sha256(query.encode()).hexdigest()
    return json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def code_of(response: httpx.Response) -> str:
    body = response.json()
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def store(client: httpx.AsyncClient, query: str) -> None:
    stored = await client.post(
        "/graphql", json={"query": query, "extensions": json.loads(persisted(query))}
    )
    assert stored.status_code == 200 and "errors" not in stored.json(), stored.text


# -- persisted queries over GET, GraphiQL ----------------------------------------------------------


@pytest.mark.parametrize("accept", ["*/*", None, APOLLO_ACCEPT, "application/json"])
async def test_a_hash_only_get_runs_the_stored_query_whatever_the_client_accepts(
    client: httpx.AsyncClient, accept: str | None
) -> None:
    query = fresh("query Count($first: Int) { components(first: $first) { totalCount } }")
    await store(client, query)
    headers = {"accept": accept} if accept else {}
    if accept is None:
        client.headers.pop("accept", None)

    response = await client.get(
        "/graphql",
        params={
            "extensions": persisted(query),
            "variables": json.dumps({"first": 2}),
            "operationName": "Count",
        },
        headers=headers,
    )

    assert response.status_code == 200, response.text
    assert media_type(response) != "text/html"
    assert response.json()["data"] == {"components": {"totalCount": 0}}


async def test_a_hash_only_get_is_no_graphiql_request_with_graphiql_off(
    settings: Settings, issue_token: Any
) -> None:
    # GraphiQL off is production's default; a hash-only GET was answered 404 there.
    application = create_app(settings.model_copy(update={"graphiql": False}))
    query = fresh(COUNT)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        headers = {"Authorization": f"Bearer {issue_token('viewer')}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as http:
            await store(http, query)
            response = await http.get(
                "/graphql", params={"extensions": persisted(query)}, headers={"accept": "*/*"}
            )
            page = await http.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"components": {"totalCount": 0}}
    assert page.status_code == 404
    assert code_of(page) == "NOT_FOUND"


async def test_graphiql_is_served_only_to_a_browser_asking_for_html_without_an_operation(
    anonymous_client: httpx.AsyncClient,
) -> None:
    page = await anonymous_client.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert page.status_code == 200
    assert media_type(page) == "text/html"
    curl = await anonymous_client.get("/graphql", headers={"accept": "*/*"})
    assert media_type(curl) == "application/json"
    assert curl.status_code == 400
    with_query = await anonymous_client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"accept": BROWSER_ACCEPT}
    )
    assert with_query.status_code == 200
    assert with_query.json()["data"] == {"__typename": "Query"}


# -- Accept and the status rules -------------------------------------------------------------------


@pytest.mark.parametrize("accept", [APOLLO_ACCEPT, URQL_ACCEPT, GRAPHQL_RESPONSE])
async def test_clients_accepting_the_graphql_response_type_get_it(
    client: httpx.AsyncClient, accept: str
) -> None:
    response = await client.post("/graphql", json={"query": COUNT}, headers={"accept": accept})
    assert response.status_code == 200
    assert media_type(response) == GRAPHQL_RESPONSE
    assert response.json()["data"] == {"components": {"totalCount": 0}}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ components { ", "GRAPHQL_PARSE_FAILED"),
        ("{ components { nope } }", "GRAPHQL_VALIDATION_FAILED"),
        ("query($n: Int!) { components(first: $n) { totalCount } }", "BAD_USER_INPUT"),
    ],
)
async def test_requests_failing_before_execution_are_400_without_data_for_the_new_type(
    client: httpx.AsyncClient, query: str, code: str
) -> None:
    new = await client.post("/graphql", json={"query": query}, headers={"accept": APOLLO_ACCEPT})
    legacy = await client.post(
        "/graphql", json={"query": query}, headers={"accept": "application/json"}
    )

    assert (new.status_code, media_type(new), code_of(new)) == (400, GRAPHQL_RESPONSE, code)
    assert "data" not in new.json()
    assert (legacy.status_code, media_type(legacy), code_of(legacy)) == (
        200,
        "application/json",
        code,
    )


async def test_an_error_during_execution_is_200_for_both_types(client: httpx.AsyncClient) -> None:
    ghost = to_global_id("Actor", "00000000-0000-4000-8000-000000000000")
    mutation = f'mutation {{ deleteComponent(id: "{ghost}") {{ deletedId }} }}'
    for accept in (APOLLO_ACCEPT, "application/json"):
        response = await client.post(
            "/graphql", json={"query": mutation}, headers={"accept": accept}
        )
        assert response.status_code == 200, response.text
        assert code_of(response) == "NOT_FOUND"
        assert "data" in response.json()


async def test_anonymous_data_requests_are_401_graphql_responses_for_the_new_type(
    anonymous_client: httpx.AsyncClient,
) -> None:
    response = await anonymous_client.post(
        "/graphql", json={"query": COUNT}, headers={"accept": APOLLO_ACCEPT}
    )
    assert (response.status_code, media_type(response)) == (401, GRAPHQL_RESPONSE)
    assert response.headers["www-authenticate"] == "Bearer"
    assert code_of(response) == "UNAUTHENTICATED"
    assert "data" not in response.json()


@pytest.mark.parametrize("accept", [APOLLO_ACCEPT, "application/json"])
async def test_a_bad_credential_is_a_401_graphql_response_in_the_accepted_type(
    app: Starlette, accept: str
) -> None:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer not-a-token", "accept": accept}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as http:
        response = await http.post("/graphql", json={"query": COUNT})
    assert response.status_code == 401
    assert media_type(response) == accept.split(",", maxsplit=1)[0]
    assert code_of(response) == "UNAUTHENTICATED"


async def test_an_unknown_hash_is_404_for_the_new_type_and_200_for_legacy_clients(
    client: httpx.AsyncClient,
) -> None:
    params = {"extensions": persisted(fresh(COUNT))}
    new = await client.get("/graphql", params=params, headers={"accept": APOLLO_ACCEPT})
    legacy = await client.get("/graphql", params=params, headers={"accept": "*/*"})
    assert (new.status_code, code_of(new)) == (404, "PERSISTED_QUERY_NOT_FOUND")
    assert (legacy.status_code, code_of(legacy)) == (200, "PERSISTED_QUERY_NOT_FOUND")


async def test_a_spent_budget_is_a_429_graphql_response_in_the_accepted_type(
    settings: Settings, issue_token: Any
) -> None:
    budgets = {**settings.rate_limit_points_by_role, "viewer": 1}
    application = create_app(settings.model_copy(update={"rate_limit_points_by_role": budgets}))
    token = issue_token("viewer", subject=f"budget-{uuid.uuid4()}")
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        headers = {"Authorization": f"Bearer {token}", "accept": APOLLO_ACCEPT}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as http:
            await http.post("/graphql", json={"query": COUNT})  # spends the one point
            response = await http.post("/graphql", json={"query": COUNT})
    assert (response.status_code, media_type(response)) == (429, GRAPHQL_RESPONSE)
    assert code_of(response) == "RATE_LIMITED"
    assert int(response.headers["retry-after"]) >= 1


async def test_a_body_over_the_limit_is_413_in_the_accepted_type(
    app: Starlette, issue_token: Any
) -> None:
    big = json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * (2 * 1024 * 1024)}})
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {issue_token('viewer')}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as viewer:
        response = await viewer.post(
            "/graphql",
            content=big,
            headers={"content-type": "application/json", "accept": APOLLO_ACCEPT},
        )
    assert (response.status_code, media_type(response)) == (413, GRAPHQL_RESPONSE)
    assert code_of(response) == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("accept", ["text/plain", "application/json;q=0", "image/png, text/csv"])
async def test_a_client_accepting_no_json_type_gets_406(
    client: httpx.AsyncClient, accept: str
) -> None:
    response = await client.post("/graphql", json={"query": COUNT}, headers={"accept": accept})
    assert response.status_code == 406
    assert media_type(response) == "application/json"
    assert code_of(response) == "NOT_ACCEPTABLE"


async def test_the_failed_login_gate_answers_429_in_the_accepted_type(
    settings: Settings,
) -> None:
    application = create_app(settings.model_copy(update={"failed_logins_per_ip": 1}))
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=(address, 40000))
        headers = {"Authorization": "Bearer not-a-token", "accept": APOLLO_ACCEPT}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as http:
            first = await http.post("/graphql", json={"query": COUNT})
            second = await http.post("/graphql", json={"query": COUNT})
    assert (first.status_code, media_type(first)) == (401, GRAPHQL_RESPONSE)
    assert (second.status_code, media_type(second)) == (429, GRAPHQL_RESPONSE)
    assert code_of(second) == "RATE_LIMITED"
