"""Bad requests of every kind get a coded JSON error and change nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

CREATE = 'mutation { createComponent(input: {type: ACTOR, label: "x"}) { component { id } } }'


async def _count(gql: GraphQLClient) -> int:
    total: int = (await gql.data("{ components { totalCount } }"))["components"]["totalCount"]
    return total


async def test_malformed_json_is_a_bad_request(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b'{"query": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_wrong_content_type_is_refused(client: httpx.AsyncClient, gql: GraphQLClient) -> None:
    response = await client.post("/graphql", content=CREATE, headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert await _count(gql) == 0


async def test_mutation_over_get_is_refused(client: httpx.AsyncClient, gql: GraphQLClient) -> None:
    response = await client.get(
        "/graphql", params={"query": CREATE}, headers={"accept": "application/json"}
    )
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert await _count(gql) == 0


async def test_queries_run_over_get(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={"query": "{ components { totalCount } }"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["components"]["totalCount"] == 0


async def test_other_methods_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_oversized_bodies_are_refused_before_parsing(
    client: httpx.AsyncClient, settings: object
) -> None:
    big = b'{"query": "' + b"x" * (21 * 1024 * 1024) + b'"}'
    response = await client.post(
        "/graphql", content=big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_syntax_errors_are_parse_failures(gql: GraphQLClient) -> None:
    assert await gql.error_code("{ components { ") == "GRAPHQL_PARSE_FAILED"


async def test_unknown_fields_fail_validation(gql: GraphQLClient) -> None:
    assert await gql.error_code("{ components { nope } }") == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (
            'mutation { createComponent(input: {type: WIZARD, label: "x"}) { component { id } } }',
            None,
        ),
        (
            "mutation { createComponent(input: {type: ACTOR, label: 12}) { component { id } } }",
            None,
        ),
        (
            "mutation($i: CreateComponentInput!) { createComponent(input: $i) { component { id } } }",
            {"i": {"type": "WIZARD", "label": "x"}},
        ),
        (
            "mutation($i: CreateComponentInput!) { createComponent(input: $i) { component { id } } }",
            {"i": {"type": "ACTOR", "label": "x", "certainty": "high"}},
        ),
        (
            "mutation($i: CreateComponentInput!) { createComponent(input: $i) { component { id } } }",
            {"i": {"type": "ACTOR"}},
        ),
        ("query($n: Int) { components(first: $n) { totalCount } }", {"n": 2**40}),
    ],
)
async def test_wrongly_typed_input_is_bad_user_input(
    gql: GraphQLClient, query: str, variables: dict | None
) -> None:
    assert await gql.error_code(query, variables) == "BAD_USER_INPUT"
    assert await _count(gql) == 0


@pytest.mark.parametrize("bad_id", ["nope", "QWN0b3I6bm90LWEtdXVpZA", "x" * 500, ""])
async def test_malformed_ids_are_bad_user_input(gql: GraphQLClient, bad_id: str) -> None:
    assert (
        await gql.error_code("query($id: ID!) { node(id: $id) { id } }", {"id": bad_id})
        == "BAD_USER_INPUT"
    )


async def test_unknown_ids_read_as_null_and_write_as_not_found(gql: GraphQLClient) -> None:
    from sfm_graphql.graphql.core.ids import to_global_id

    ghost = to_global_id("Actor", "00000000-0000-4000-8000-000000000000")
    assert (await gql.data("query($id: ID!) { node(id: $id) { id } }", {"id": ghost}))[
        "node"
    ] is None
    code = await gql.error_code(
        "mutation($id: ID!) { deleteComponent(id: $id) { deletedId } }", {"id": ghost}
    )
    assert code == "NOT_FOUND"


async def test_unexpected_errors_are_masked(app: object, gql: GraphQLClient) -> None:
    body = await gql.execute("{ components(first: 1) { totalCount } }")
    assert "errors" not in body
