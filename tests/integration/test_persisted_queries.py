"""Automatic persisted queries (Apollo's APQ) in Redis, and the allow-list of production mode.

Each test's documents carry a fresh comment, so the SHA-256 keys in Redis are its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from sfm_graphql import cli
from sfm_graphql.app import create_app
from sfm_graphql.security.persisted_queries import register_operations
from sfm_graphql.settings import Settings
from tests.services import GraphQLClient

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]


def fresh(document: str) -> str:
    return f"# {uuid.uuid4()}\n{document}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def code_of(response: httpx.Response) -> str:
    body = response.json()
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


@asynccontextmanager
async def allow_list_app(
    settings: Settings, operations: dict[str, str] | None = None
) -> AsyncIterator[Starlette]:
    """An app in allow-list mode; `operations` are registered before its first request."""
    application = create_app(settings.model_copy(update={"persisted_queries_only": True}))
    async with application.router.lifespan_context(application):
        if operations:
            await register_operations(application.state.db, operations)
        yield application


def client_of(app: Starlette, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"},
    )


# -- APQ -------------------------------------------------------------------------------------------


async def test_apq_asks_for_the_text_stores_it_then_runs_the_hash_alone(
    client: httpx.AsyncClient,
) -> None:
    query = fresh("{ components { totalCount } }")
    digest = sha256(query)

    unknown = await client.post("/graphql", json={"extensions": persisted(digest)})
    stored = await client.post("/graphql", json={"query": query, "extensions": persisted(digest)})
    by_hash = await client.post("/graphql", json={"extensions": persisted(digest)})
    over_get = await client.get(
        "/graphql",
        params={"extensions": json.dumps(persisted(digest))},
        headers={"accept": "application/json"},
    )

    assert unknown.status_code == 200
    assert code_of(unknown) == "PERSISTED_QUERY_NOT_FOUND"
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"  # what Apollo expects
    for response in (stored, by_hash, over_get):
        assert response.json()["data"] == {"components": {"totalCount": 0}}, response.text
    assert by_hash.json()["extensions"]["cost"]["requested"] == 11  # totalCount costs 10


async def test_a_hash_that_does_not_match_the_text_is_refused_and_not_stored(
    client: httpx.AsyncClient,
) -> None:
    query = fresh("{ components { totalCount } }")
    claimed = sha256(fresh("{ __typename }"))

    wrong = await client.post("/graphql", json={"query": query, "extensions": persisted(claimed)})
    after = await client.post("/graphql", json={"extensions": persisted(claimed)})

    assert code_of(wrong) == "BAD_USER_INPUT"
    assert code_of(after) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "extension",
    [
        {"version": 2, "sha256Hash": "0" * 64},
        {"version": 1, "sha256Hash": "not-a-hash"},
        {"version": 1, "sha256Hash": "A" * 64},
        "a string",
    ],
)
async def test_malformed_persisted_query_extensions_are_bad_user_input(
    client: httpx.AsyncClient, extension: Any
) -> None:
    response = await client.post("/graphql", json={"extensions": {"persistedQuery": extension}})
    assert code_of(response) == "BAD_USER_INPUT"


async def test_a_stored_mutation_still_never_runs_over_get(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    mutation = fresh(
        'mutation { createComponent(input: {type: ACTOR, label: "x"}) { __typename } }'
    )
    digest = sha256(mutation)
    stored = await client.post(
        "/graphql", json={"query": mutation, "extensions": persisted(digest)}
    )
    assert "errors" not in stored.json()

    over_get = await client.get(
        "/graphql",
        params={"extensions": json.dumps(persisted(digest))},
        headers={"accept": "application/json"},
    )

    assert over_get.status_code == 405
    assert code_of(over_get) == "METHOD_NOT_ALLOWED"
    assert (await gql.data("{ components { totalCount } }"))["components"]["totalCount"] == 1


async def test_a_persisted_query_is_limited_like_any_other_and_a_refused_one_is_not_stored(
    client: httpx.AsyncClient,
) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(40))
    query = fresh(f"{{ {aliases} }}")
    digest = sha256(query)
    first = await client.post("/graphql", json={"query": query, "extensions": persisted(digest)})
    again = await client.post("/graphql", json={"extensions": persisted(digest)})
    assert code_of(first) == "MAX_ALIASES_EXCEEDED"
    assert code_of(again) == "PERSISTED_QUERY_NOT_FOUND"


# -- allow-list mode -------------------------------------------------------------------------------

REGISTERED = "query Count { components { totalCount } }"


async def test_allow_list_mode_runs_only_registered_operations(
    settings: Settings, issue_token: Any
) -> None:
    async with (
        allow_list_app(settings, {"Count": REGISTERED}) as app,
        client_of(app, issue_token("viewer")) as http,
    ):
        full_text = await http.post("/graphql", json={"query": REGISTERED})
        by_hash = await http.post("/graphql", json={"extensions": persisted(sha256(REGISTERED))})
        other = await http.post("/graphql", json={"query": "{ deliveryKinds { kind } }"})
        one_space_more = await http.post("/graphql", json={"query": REGISTERED + " "})
        unknown_hash = await http.post(
            "/graphql", json={"extensions": persisted(sha256("{ __typename }"))}
        )
        apq_registration = await http.post(
            "/graphql",
            json={
                "query": "{ __typename }",
                "extensions": persisted(sha256("{ __typename }")),
            },
        )

    for response in (full_text, by_hash):
        assert response.json()["data"] == {"components": {"totalCount": 0}}, response.text
    for response in (other, one_space_more, unknown_hash, apq_registration):
        assert code_of(response) == "PERSISTED_QUERY_NOT_ALLOWED", response.text
        assert response.json()["data"] is None
        assert "cost" in response.json()["extensions"]


async def test_register_operations_command_reads_graphql_files_and_apollo_manifests(
    settings: Settings, issue_token: Any, tmp_path: Path
) -> None:
    count = tmp_path / "count.graphql"
    count.write_text("query CountFromFile {\n  components { totalCount }\n}\n", encoding="utf-8")
    body = "query KindsFromManifest { deliveryKinds { kind } }"
    manifest = tmp_path / "persisted-query-manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [
                    {"id": sha256(body), "name": "KindsFromManifest", "type": "query", "body": body}
                ],
            }
        ),
        encoding="utf-8",
    )

    status = await asyncio.to_thread(cli.main, ["register-operations", str(count), str(manifest)])

    assert status == 0
    async with allow_list_app(settings) as app, client_of(app, issue_token("viewer")) as http:
        from_file = await http.post(
            "/graphql", json={"extensions": persisted(sha256(count.read_text("utf-8")))}
        )
        from_manifest = await http.post("/graphql", json={"query": body})
        stripped = await http.post("/graphql", json={"query": count.read_text("utf-8").strip()})
    assert from_file.json()["data"] == {"components": {"totalCount": 0}}, from_file.text
    assert len(from_manifest.json()["data"]["deliveryKinds"]) > 0
    assert code_of(stripped) == "PERSISTED_QUERY_NOT_ALLOWED"  # the exact text, byte for byte


@pytest.mark.parametrize(
    ("name", "content", "complaint"),
    [
        (
            "wrong-id.json",
            json.dumps(
                {
                    "format": "apollo-persisted-query-manifest",
                    "version": 1,
                    "operations": [
                        {"id": "0" * 64, "name": "X", "type": "query", "body": "{ __typename }"}
                    ],
                }
            ),
            "SHA-256",
        ),
        ("not-a-manifest.json", json.dumps({"operations": []}), "manifest"),
        ("unknown-field.graphql", "{ noSuchField }", "does not run against this schema"),
        ("syntax.graphql", "{ components ", "does not run against this schema"),
    ],
)
async def test_register_operations_refuses_bad_files_and_registers_nothing(
    tmp_path: Path,
    neo4j_driver: Any,
    capsys: pytest.CaptureFixture[str],
    *,
    name: str,
    content: str,
    complaint: str,
) -> None:
    good = tmp_path / "good.graphql"
    good.write_text("{ __typename }", encoding="utf-8")
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8")

    status = await asyncio.to_thread(cli.main, ["register-operations", str(good), str(bad)])

    assert status == 2
    assert complaint in capsys.readouterr().err
    records, _, _ = neo4j_driver.execute_query("MATCH (p:PersistedOperation) RETURN count(p) AS n")
    assert records[0]["n"] == 0


async def test_an_operation_hash_is_registered_once(app: Starlette, neo4j_driver: Any) -> None:
    await register_operations(app.state.db, {"A": REGISTERED})
    await register_operations(app.state.db, {"B": REGISTERED})
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (p:PersistedOperation) RETURN p.hash AS hash, p.name AS name"
    )
    assert [dict(r) for r in records] == [{"hash": sha256(REGISTERED), "name": "B"}]
    constraints, _, _ = neo4j_driver.execute_query(
        "SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type "
        "WHERE 'PersistedOperation' IN labelsOrTypes RETURN properties, type"
    )
    assert [dict(c) for c in constraints] == [{"properties": ["hash"], "type": "UNIQUENESS"}]
