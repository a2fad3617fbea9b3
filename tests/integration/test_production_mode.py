"""`environment=production`: introspection off (on for admins when configured), GraphiQL off
unless enabled, unexpected errors masked with an id that the log keeps.

A production app reads its signing key and API-key pepper from a `file` secrets backend in a
temporary directory, and its tokens are signed with that key.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.security.secrets import new_pem
from sfm_graphql.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]

INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE_LOOKUP = '{ __type(name: "Actor") { name } }'


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    (directory / "jwt_signing_key.prod-1.pem").write_text(new_pem(), encoding="utf-8")
    (directory / "jwt_active_kid").write_text("prod-1\n", encoding="utf-8")
    (directory / "api_key_pepper").write_text(secrets.token_hex(32), encoding="utf-8")
    return directory


@asynccontextmanager
async def production(settings: Settings, secrets_dir: Path, **update: Any) -> AsyncIterator[Any]:
    """A production app and a function giving HTTP clients with tokens of a role."""
    production_settings = settings.model_copy(
        update={
            "environment": "production",
            "secrets_backend": "file",
            "secrets_dir": secrets_dir,
            "auth_issuer": "https://sfm.example",
            "graphiql": None,
            "introspection": None,
            **update,
        }
    )
    application = create_app(production_settings)
    opened: list[httpx.AsyncClient] = []

    def as_role(role: str | None) -> httpx.AsyncClient:
        headers = {}
        if role is not None:
            token = application.state.services.signing_keys.ring.issue_token(
                f"prod-{role}",
                [role],
                ttl=dt.timedelta(minutes=5),
                audience=production_settings.auth_audience,
                amr=["mfa"],
            )
            headers["Authorization"] = f"Bearer {token}"
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application),
            base_url="http://testserver",
            headers=headers,
        )
        opened.append(http)
        return http

    async with application.router.lifespan_context(application):
        try:
            yield application, as_role
        finally:
            for http in opened:
                await http.aclose()


def code_of(response: httpx.Response) -> str:
    body = response.json()
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


def test_a_copy_of_the_settings_made_for_production_reads_as_production(
    settings: Settings,
) -> None:
    assert settings.graphiql_enabled and settings.introspection_enabled
    copy = settings.model_copy(
        update={"environment": "production", "graphiql": None, "introspection": None}
    )
    assert copy.is_production
    assert not copy.graphiql_enabled
    assert not copy.introspection_enabled


async def test_production_refuses_introspection_except_to_admins(
    settings: Settings, secrets_dir: Path
) -> None:
    async with production(settings, secrets_dir) as (_, as_role):
        viewer = as_role("viewer")
        for query in (INTROSPECTION, TYPE_LOOKUP):
            refused = await viewer.post("/graphql", json={"query": query})
            assert code_of(refused) == "INTROSPECTION_DISABLED"
            assert refused.json()["data"] is None
        assert code_of(await as_role(None).post("/graphql", json={"query": INTROSPECTION})) == (
            "INTROSPECTION_DISABLED"
        )
        admin = await as_role("admin").post("/graphql", json={"query": INTROSPECTION})
        assert admin.json()["data"]["__schema"]["queryType"]["name"] == "Query"
        # __typename is not introspection of the schema: clients ask for it everywhere.
        typename = await viewer.post("/graphql", json={"query": "{ __typename }"})
        assert typename.json()["data"] == {"__typename": "Query"}


async def test_introspection_for_admins_can_be_switched_off_too(
    settings: Settings, secrets_dir: Path
) -> None:
    async with production(settings, secrets_dir, introspection_for_admin=False) as (_, as_role):
        response = await as_role("admin").post("/graphql", json={"query": INTROSPECTION})
    assert code_of(response) == "INTROSPECTION_DISABLED"


async def test_production_error_messages_suggest_no_field_names(
    settings: Settings, secrets_dir: Path
) -> None:
    async with production(settings, secrets_dir) as (_, as_role):
        response = await as_role("viewer").post("/graphql", json={"query": "{ component }"})
    assert code_of(response) == "GRAPHQL_VALIDATION_FAILED"
    assert "Did you mean" not in response.json()["errors"][0]["message"]


async def test_graphiql_is_off_in_production_unless_enabled(
    settings: Settings, secrets_dir: Path
) -> None:
    page = {"accept": "text/html"}
    async with production(settings, secrets_dir) as (_, as_role):
        off = await as_role(None).get("/graphql", headers=page)
    async with production(settings, secrets_dir, graphiql=True) as (_, as_role):
        on = await as_role(None).get("/graphql", headers=page)
    assert off.status_code == 404
    assert code_of(off) == "NOT_FOUND"
    assert on.status_code == 200
    assert "graphiql" in on.text.lower()


async def test_unexpected_errors_are_masked_and_their_id_is_logged(
    settings: Settings,
    secrets_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret_detail = "bolt://neo4j:hunter2@db.internal:7687 refused"

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(secret_detail)

    caplog.set_level(logging.ERROR)
    async with production(settings, secrets_dir) as (app, as_role):
        monkeypatch.setattr(app.state.services.db, "run_composed", broken)
        response = await as_role("viewer").post(
            "/graphql", json={"query": "{ components(first: 1) { totalCount } }"}
        )

    assert response.status_code == 200
    assert "hunter2" not in response.text and "db.internal" not in response.text
    error = response.json()["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    error_id = error["extensions"]["errorId"]
    assert re.fullmatch(r"[0-9a-f]{32}", error_id)
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged, "the error id must lead to the log line"
    assert logged[0].exc_info is not None  # with the traceback, for whoever reads the log


async def test_production_refuses_to_start_without_signing_keys(
    settings: Settings, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(Exception, match=r"(?i)key"):
        async with production(settings, empty):
            pass


@pytest.mark.parametrize(
    "query",
    [
        "{ ...Schema } fragment Schema on Query { __schema { queryType { name } } }",
        "{ ... on Query { __schema { queryType { name } } } }",
        '{ ... { ...T } } fragment T on Query { __type(name: "Actor") { name } }',
        "query A { __typename } query B { __schema { queryType { name } } }",
    ],
)
async def test_introspection_hidden_in_fragments_is_refused_too(
    settings: Settings, secrets_dir: Path, query: str
) -> None:
    async with production(settings, secrets_dir) as (_, as_role):
        response = await as_role("viewer").post(
            "/graphql", json={"query": query, "operationName": "B" if "query B" in query else None}
        )
    assert code_of(response) == "INTROSPECTION_DISABLED", response.text


# Each answers "Did you mean ...?" where suggestions are on: an argument, an enum value (as a
# literal and in a variable), a type, an input field, a field, an inline fragment.
SUGGESTING = [
    ("{ components(frist: 1) { edges { node { id } } } }", None),
    ("{ deliveries(filter: {kinds: [MANDATE]}) { edges { node { id } } } }", None),
    (
        "query($f: DeliveryFilter) { deliveries(filter: $f) { edges { node { id } } } }",
        {"f": {"kinds": ["MANDATE"]}},
    ),
    (
        "query($f: DeliveryFilter) { deliveries(filter: $f) { edges { node { id } } } }",
        {"f": {"kind": ["MANDATES"]}},
    ),
    ("query($f: DeliveryFiltr) { deliveries(filter: $f) { edges { node { id } } } }", None),
    ("{ deliveries(filter: {kind: [MANDATES]}) { edges { node { id } } } }", None),
    ("{ components { edges { node { lable } } } }", None),
    ('{ node(id: "x") { label } }', None),
]


async def test_production_answers_no_suggestion_for_any_name(
    settings: Settings, secrets_dir: Path
) -> None:
    async with production(settings, secrets_dir) as (_, as_role):
        viewer = as_role("viewer")
        for query, variables in SUGGESTING:
            response = await viewer.post("/graphql", json={"query": query, "variables": variables})
            errors = response.json()["errors"]
            for error in errors:
                assert "Did you mean" not in error["message"], (query, error)
                assert error["extensions"]["code"] in {
                    "GRAPHQL_VALIDATION_FAILED",
                    "BAD_USER_INPUT",
                }, (query, error)


async def test_development_keeps_the_suggestions(client: httpx.AsyncClient) -> None:
    for query, variables in SUGGESTING:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        messages = " ".join(e["message"] for e in response.json()["errors"])
        assert "Did you mean" in messages, (query, messages)
