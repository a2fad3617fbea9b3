"""Attacks on API-key management over the HTTP view (issue 9, items 3, 5 and 11).

A leaked, weak, address-restricted key must not turn into its owner's stronger keys; a key
made with another credential keeps that credential's address ranges and dies with it; an admin
never receives another person's new secret; sensitive operations need MFA in production.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.security.principal import Role
from sfm_graphql.settings import Settings
from tests.integration.test_production_mode import production, secrets_dir
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration
__all__ = ["secrets_dir"]  # a fixture, used by the production test below

CREATE = """
mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key apiKey { id keyId roles status allowedCidrs expiresAt } }
}"""
LIST = "{ apiKeys(includeRevoked: true) { keyId status } }"
ROTATE = "mutation($id: ID!) { rotateApiKey(id: $id) { key apiKey { id } } }"
REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id status } } }"
PING = "{ apiKeys { keyId } }"
OFFICE = ("10.20.3.4", 5000)
ELSEWHERE = ("192.168.7.7", 5000)
REGISTER = """
mutation ($input: RegisterOAuthClientInput!) {
  registerOAuthClient(input: $input) { clientId clientSecret }
}"""
REVOKE_CLIENT = "mutation ($id: String!) { revokeOAuthClient(clientId: $id) { client { active } } }"


def _in(days: float = 1) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).isoformat()


def _client(app: Any, headers: dict[str, str], address: tuple[str, int]) -> GraphQLClient:
    transport = httpx.ASGITransport(app=app, client=address)
    return GraphQLClient(
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", headers=headers)
    )


async def _status(app: Any, key: str, address: tuple[str, int] = OFFICE) -> tuple[int, str]:
    response = await _client(app, {"X-API-Key": key}, address).http.post(
        "/graphql", json={"query": PING}
    )
    errors = response.json().get("errors") or []
    return response.status_code, errors[0]["extensions"]["code"] if errors else ""


async def _create(gql: GraphQLClient, roles: list[str], **fields: Any) -> dict[str, Any]:
    variables = {"input": {"name": "k", "roles": roles, "expiresAt": _in(), **fields}}
    created: dict[str, Any] = (await gql.data(CREATE, variables))["createApiKey"]
    return created


@pytest.fixture
async def second_app(settings: Settings) -> AsyncIterator[Any]:
    replica = create_app(settings)
    async with replica.router.lifespan_context(replica):
        yield replica


# -- item 3: a key cannot reach its owner's other keys ---------------------------------------------


async def test_a_leaked_viewer_key_cannot_rotate_revoke_or_mint_its_owners_keys(
    app: Any, token_gql: Any
) -> None:
    ann = token_gql(Role.ADMIN, subject="ann")
    strong = await _create(ann, ["ADMIN"])
    leaked = await _create(ann, ["VIEWER"], allowedCidrs=["10.20.0.0/16"])
    attacker = _client(app, {"X-API-Key": leaked["key"]}, OFFICE)

    for document in (ROTATE, REVOKE):
        body = await attacker.execute(document, {"id": strong["apiKey"]["id"]})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        assert "key" not in str(body.get("data") or "")
    assert (
        await attacker.error_code(
            CREATE, {"input": {"name": "x", "roles": ["VIEWER"], "expiresAt": _in()}}
        )
        == "FORBIDDEN"
    )
    # Not even itself: a key below admin manages no keys.
    assert await attacker.error_code(ROTATE, {"id": leaked["apiKey"]["id"]}) == "FORBIDDEN"
    # It sees none of its owner's other keys.
    listed = (await attacker.data(LIST))["apiKeys"]
    assert [k["keyId"] for k in listed] == [leaked["apiKey"]["keyId"]]
    assert await _status(app, strong["key"]) == (200, "")  # untouched


async def test_an_admin_key_manages_only_itself_and_the_keys_made_with_it(
    app: Any, token_gql: Any
) -> None:
    ann = token_gql(Role.ADMIN, subject="ann")
    unrestricted = await _create(ann, ["ADMIN"])
    office_admin = await _create(ann, ["ADMIN"], allowedCidrs=["10.20.0.0/16"], expiresAt=_in(2))
    manager = _client(app, {"X-API-Key": office_admin["key"]}, OFFICE)

    # Its owner's unrestricted key stays out of reach: no new secret, no revocation.
    assert await manager.error_code(ROTATE, {"id": unrestricted["apiKey"]["id"]}) == "FORBIDDEN"
    assert await _status(app, unrestricted["key"]) == (200, "")
    # A key it made is its to rotate, and the new secret keeps the inherited ranges.
    child = await _create(manager, ["VIEWER"])
    rotated = (await manager.data(ROTATE, {"id": child["apiKey"]["id"]}))["rotateApiKey"]
    assert await _status(app, rotated["key"], ELSEWHERE) == (401, "UNAUTHENTICATED")
    assert await _status(app, rotated["key"], OFFICE) == (200, "")


async def test_rotation_needs_at_least_the_keys_roles_but_revocation_does_not(
    app: Any, token_gql: Any
) -> None:
    admin_then = token_gql(Role.ADMIN, subject="dana")
    old_admin_key = await _create(admin_then, ["ADMIN"])
    demoted = token_gql(Role.VIEWER, subject="dana")  # the same person, now a viewer
    body = await demoted.execute(ROTATE, {"id": old_admin_key["apiKey"]["id"]})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _status(app, old_admin_key["key"]) == (200, "")
    # Taking access away never needs more rights than the key's owner has.
    revoked = (await demoted.data(REVOKE, {"id": old_admin_key["apiKey"]["id"]}))["revokeApiKey"]
    assert revoked["apiKey"]["status"] == "REVOKED"


# -- item 11: an admin never receives another person's secret ----------------------------------


async def test_an_admin_may_revoke_but_not_rotate_another_persons_key(
    app: Any, token_gql: Any
) -> None:
    alice = token_gql(Role.EDITOR, subject="alice")
    admin = token_gql(Role.ADMIN, subject="root", mfa=True)
    alices = await _create(alice, ["EDITOR"])
    body = await admin.execute(ROTATE, {"id": alices["apiKey"]["id"]})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert body["data"] is None
    assert await _status(app, alices["key"]) == (200, "")  # the secret did not change
    revoked = (await admin.data(REVOKE, {"id": alices["apiKey"]["id"]}))["revokeApiKey"]
    assert revoked["apiKey"]["status"] == "REVOKED"
    assert await _status(app, alices["key"]) == (401, "UNAUTHENTICATED")


# -- item 5: derived keys keep their parent's ranges and die with it -----------------------------


async def test_a_key_made_with_a_key_inherits_its_address_ranges(app: Any, token_gql: Any) -> None:
    ann = token_gql(Role.ADMIN, subject="ann")
    parent = await _create(ann, ["ADMIN"], allowedCidrs=["10.20.0.0/16"], expiresAt=_in(2))
    with_parent = _client(app, {"X-API-Key": parent["key"]}, OFFICE)

    unrestricted_ask = await _create(with_parent, ["VIEWER"])
    assert unrestricted_ask["apiKey"]["allowedCidrs"] == ["10.20.0.0/16"]
    assert await _status(app, unrestricted_ask["key"], ELSEWHERE) == (401, "UNAUTHENTICATED")
    assert await _status(app, unrestricted_ask["key"], OFFICE) == (200, "")

    narrower = await _create(with_parent, ["VIEWER"], allowedCidrs=["10.20.3.0/24", "0.0.0.0/0"])
    assert sorted(narrower["apiKey"]["allowedCidrs"]) == ["10.20.0.0/16", "10.20.3.0/24"]
    outside = {
        "name": "x",
        "roles": ["VIEWER"],
        "expiresAt": _in(),
        "allowedCidrs": ["192.168.0.0/16"],
    }
    assert await with_parent.error_code(CREATE, {"input": outside}) == "BAD_USER_INPUT"


async def test_revoking_a_key_revokes_the_keys_made_with_it_on_every_replica(
    app: Any, second_app: Any, token_gql: Any
) -> None:
    ann = token_gql(Role.ADMIN, subject="ann")
    parent = await _create(ann, ["ADMIN"], expiresAt=_in(3))
    with_parent = _client(app, {"X-API-Key": parent["key"]}, OFFICE)
    child = await _create(with_parent, ["ADMIN"], expiresAt=_in(2))
    grandchild = await _create(_client(app, {"X-API-Key": child["key"]}, OFFICE), ["VIEWER"])
    sibling = await _create(ann, ["VIEWER"])  # made by the person: not derived
    for key in (child["key"], grandchild["key"]):
        assert await _status(app, key) == (200, "")
        assert await _status(second_app, key) == (200, "")  # cached on both replicas

    await ann.data(REVOKE, {"id": parent["apiKey"]["id"]})

    for key in (parent["key"], child["key"], grandchild["key"]):
        assert await _status(app, key) == (401, "UNAUTHENTICATED")
        assert await _status(second_app, key) == (401, "UNAUTHENTICATED")
    assert await _status(second_app, sibling["key"]) == (200, "")
    statuses = {k["keyId"]: k["status"] for k in (await ann.data(LIST))["apiKeys"]}
    assert statuses[grandchild["apiKey"]["keyId"]] == "REVOKED"
    assert statuses[sibling["apiKey"]["keyId"]] == "ACTIVE"


async def test_a_key_made_with_a_clients_token_ends_with_the_client(
    app: Any, second_app: Any, issue_token: Any, clean_graph: None
) -> None:
    admin = _client(app, {"Authorization": f"Bearer {issue_token('admin', mfa=True)}"}, OFFICE)
    variables = {"input": {"name": "etl", "roles": ["EDITOR"], "expiresAt": _in(days=3)}}
    client = (await admin.data(REGISTER, variables))["registerOAuthClient"]
    issued = await admin.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["clientId"], client["clientSecret"]),
    )
    assert issued.status_code == 200, issued.text
    as_client = _client(app, {"Authorization": f"Bearer {issued.json()['access_token']}"}, OFFICE)

    # Not beyond the client's own expiry (three days), though keys may live 90 days.
    too_long = {"name": "x", "roles": ["EDITOR"], "expiresAt": _in(days=30)}
    assert await as_client.error_code(CREATE, {"input": too_long}) == "BAD_USER_INPUT"
    key = (await _create(as_client, ["EDITOR"], expiresAt=_in(days=2)))["key"]
    assert await _status(app, key) == (200, "")
    assert await _status(second_app, key) == (200, "")

    await admin.data(REVOKE_CLIENT, {"id": client["clientId"]})
    assert await _status(app, key) == (401, "UNAUTHENTICATED")
    assert await _status(second_app, key) == (401, "UNAUTHENTICATED")


async def test_production_needs_mfa_for_sensitive_operations_by_default(
    settings: Settings, secrets_dir: Path, clean_graph: None
) -> None:
    assert Settings(environment="production").mfa_required_for_sensitive
    assert not Settings(environment="development").mfa_required_for_sensitive
    assert not Settings(
        environment="production", require_mfa_for_sensitive=False
    ).mfa_required_for_sensitive
    async with production(settings, secrets_dir, require_mfa_for_sensitive=None) as (app, _):
        ring = app.state.signing_keys.ring
        variables = {"input": {"name": "x", "roles": ["VIEWER"], "expiresAt": _in()}}
        for amr, expected in ((None, "FORBIDDEN"), (["mfa"], None)):
            token = ring.issue_token(
                "prod-viewer",
                ["viewer"],
                ttl=dt.timedelta(minutes=5),
                audience=app.state.settings.auth_audience,
                amr=amr,
            )
            gql = _client(app, {"Authorization": f"Bearer {token}"}, OFFICE)
            body = await gql.execute(CREATE, variables)
            codes = [e["extensions"]["code"] for e in body.get("errors") or []]
            assert codes == ([expected] if expected else []), body
