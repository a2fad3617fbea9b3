"""Field-level authorization of actors' personal fields (issue 9, item 13).

An Actor's personal metadata keys (`SFM_PERSONAL_FIELDS`) read as "[MASKED]" for callers below
`SFM_PERSONAL_DATA_ROLE` (default data_manager) on every path: `node`, `nodes`, `search`, nested
connections, matrices, mutation payloads and `exportGraph`; the allowed roles read them. Other
component types and the non-personal keys are never masked.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.security.principal import Role
from sfm_graphql.settings import Settings
from tests.integration.helpers import create_component, create_delivery
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

MASK = "[MASKED]"
PERSONAL = {
    "name": "Jane Roe",
    "email": "jane@example.org",
    "phone": "+41 79 000 00 00",
    "birthDate": "1970-01-01",
    "village": "Hinterdorf",
    "households": 3,
}
MASKED = {**PERSONAL, "name": MASK, "email": MASK, "phone": MASK, "birthDate": MASK}
OFFICE = {"email": "office@example.org", "name": "Commission office"}  # an Institution's

PATHS = {
    "node": ("query($a: ID!) { node(id: $a) { ... on Actor { metadata } } }", ["node"]),
    "nodes": (
        "query($a: ID!) { nodes(ids: [$a]) { ... on Component { metadata } } }",
        ["nodes", 0],
    ),
    "search": ('{ search(text: "Jane") { component { metadata } } }', ["search", 0, "component"]),
    "nested": (
        "query($i: ID!) { node(id: $i) { ... on Component { incoming(first: 5) "
        "{ edges { node { source { metadata } } } } } } }",
        ["node", "incoming", "edges", 0, "node", "source"],
    ),
    "matrix": (
        "query($m: ID!) { matrix(id: $m) { components { metadata } } }",
        ["matrix", "components", 0],
    ),
    "matrix cell": (
        "query($m: ID!) { matrix(id: $m) { cells { source { metadata } } } }",
        ["matrix", "cells", 0, "source"],
    ),
}


def _at(data: Any, path: list[Any]) -> Any:
    for step in path:
        data = data[step]
    return data


async def _graph(gql: GraphQLClient) -> dict[str, str]:
    actor = await create_component(gql, "ACTOR", "Jane Roe", metadata=PERSONAL)
    office = await create_component(gql, "INSTITUTION", "Commission", metadata=OFFICE)
    await create_delivery(gql, actor, office, "FUNDS", deliveryType="MONEY")
    created = await gql.data(
        "mutation($input: CreateMatrixInput!) { createMatrix(input: $input) { matrix { id } } }",
        {"input": {"name": "m", "componentIds": [actor, office]}},
    )
    return {"a": actor, "i": office, "m": created["createMatrix"]["matrix"]["id"]}


async def _read_everywhere(gql: GraphQLClient, ids: dict[str, str]) -> dict[str, Any]:
    seen = {}
    for name, (document, path) in PATHS.items():
        wanted = {k: v for k, v in ids.items() if f"${k}" in document}
        seen[name] = _at(await gql.data(document, wanted), path)["metadata"]
    return seen


async def test_viewers_read_personal_fields_masked_on_every_path(
    gql: GraphQLClient, token_gql: Any
) -> None:
    ids = await _graph(gql)
    for role in (Role.VIEWER, Role.ANALYST, Role.EDITOR):
        seen = await _read_everywhere(token_gql(role), ids)
        assert seen == dict.fromkeys(PATHS, MASKED), role
        assert "jane@example.org" not in json.dumps(seen)
    office = await token_gql(Role.VIEWER).data(
        "query($i: ID!) { node(id: $i) { ... on Institution { metadata } } }", {"i": ids["i"]}
    )
    assert office["node"]["metadata"] == OFFICE  # only actors hold personal data


async def test_data_managers_and_admins_read_personal_fields(
    gql: GraphQLClient, token_gql: Any
) -> None:
    ids = await _graph(gql)
    for role in (Role.DATA_MANAGER, Role.ADMIN):
        assert await _read_everywhere(token_gql(role), ids) == dict.fromkeys(PATHS, PERSONAL)


async def test_an_editor_sending_back_masked_values_does_not_erase_them(
    gql: GraphQLClient, token_gql: Any
) -> None:
    ids = await _graph(gql)
    editor = token_gql(Role.EDITOR)
    read = (
        await editor.data(
            "query($a: ID!) { node(id: $a) { ... on Actor { metadata version } } }", {"a": ids["a"]}
        )
    )["node"]
    changed = {**read["metadata"], "village": "Vorderdorf"}
    payload = await editor.data(
        "mutation($input: UpdateComponentInput!) { updateComponent(input: $input) "
        "{ component { metadata } } }",
        {"input": {"id": ids["a"], "version": read["version"], "metadata": changed}},
    )
    assert payload["updateComponent"]["component"]["metadata"] == {
        **MASKED,
        "village": "Vorderdorf",
    }
    stored = await token_gql(Role.DATA_MANAGER).data(PATHS["node"][0], {"a": ids["a"]})
    assert stored["node"]["metadata"] == {**PERSONAL, "village": "Vorderdorf"}


EXPORT = "{ exportGraph(format: JSON) { content } }"


@pytest.fixture
async def admin_only_app(settings: Settings) -> AsyncIterator[Any]:
    """An app where only admins read personal data (SFM_PERSONAL_DATA_ROLE=admin)."""
    application = create_app(settings.model_copy(update={"personal_data_role": "admin"}))
    async with application.router.lifespan_context(application):
        yield application


def _actor_metadata(export: dict[str, Any]) -> Any:
    content = json.loads(export["exportGraph"]["content"])
    return next(c["metadata"] for c in content["components"] if c["type"] == "ACTOR")


async def test_exports_mask_personal_fields_below_the_configured_role(
    gql: GraphQLClient, token_gql: Any, admin_only_app: Any, issue_token: Any
) -> None:
    await _graph(gql)
    # Default: exporting needs data_manager, which reads personal data; viewers cannot export.
    assert _actor_metadata(await token_gql(Role.DATA_MANAGER).data(EXPORT)) == PERSONAL
    assert await token_gql(Role.VIEWER).error_code(EXPORT) == "FORBIDDEN"

    def on_admin_only(role: str) -> GraphQLClient:
        headers = {"Authorization": f"Bearer {issue_token(role, subject=f'x-{role}')}"}
        transport = httpx.ASGITransport(app=admin_only_app)
        return GraphQLClient(
            httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)
        )

    assert _actor_metadata(await on_admin_only("data_manager").data(EXPORT)) == MASKED
    assert _actor_metadata(await on_admin_only("admin").data(EXPORT)) == PERSONAL
    node = await on_admin_only("data_manager").data(
        '{ search(text: "Jane") { component { metadata } } }'
    )
    assert node["search"][0]["component"]["metadata"] == MASKED
