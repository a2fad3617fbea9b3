"""API keys over the HTTP view: issue, use, rotate, revoke, expire; on one replica and on two."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.graphql.schema import build_schema
from sfm_graphql.security.api_keys import parse_key
from sfm_graphql.security.principal import Role
from sfm_graphql.settings import Settings
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

CREATE = """
mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key apiKey { id keyId name roles status expiresAt allowedCidrs createdBy } }
}"""
LIST = "{ apiKeys(includeRevoked: true) { id keyId name roles status lastUsedAt createdBy } }"
ROTATE = "mutation($id: ID!) { rotateApiKey(id: $id) { key apiKey { id status rotatedAt } } }"
REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id status revokedAt } } }"
PING = "{ apiKeys { keyId } }"


def _in(days: float = 1, seconds: float = 0) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days, seconds=seconds)).isoformat()


async def _status(
    app: Any, key: str, client: tuple[str, int] = ("127.0.0.1", 5000)
) -> tuple[int, str]:
    """HTTP status and first error code (or "") of a small protected query sent with `key`."""
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post("/graphql", json={"query": PING}, headers={"X-API-Key": key})
    body = response.json()
    errors = body.get("errors") or []
    return response.status_code, errors[0]["extensions"]["code"] if errors else ""


async def _create(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    data = await gql.data(CREATE, {"input": {"name": "notebook", "expiresAt": _in(), **fields}})
    created: dict[str, Any] = data["createApiKey"]
    return created


@pytest.fixture
async def second_app(settings: Settings) -> AsyncIterator[Any]:
    """Another replica: its own process state, the same Neo4j and Redis."""
    replica = create_app(settings)
    async with replica.router.lifespan_context(replica):
        yield replica


async def test_created_key_works_is_shown_once_and_stored_only_as_a_keyed_hash(
    app: Any, keyed_gql: Any, token_gql: Any, neo4j_driver: Any
) -> None:
    editor = token_gql(Role.EDITOR)
    created = await _create(editor, roles=["VIEWER", "EDITOR"])
    key = created["key"]
    key_id, secret = parse_key(key)
    assert created["apiKey"]["keyId"] == key_id
    assert created["apiKey"]["roles"] == ["VIEWER", "EDITOR"]
    assert created["apiKey"]["status"] == "ACTIVE"
    assert created["apiKey"]["createdBy"] == "test-editor"

    assert await _status(app, key) == (200, "")

    # The secret is in no type of the schema after creation, and listing never returns it.
    api_key_type = build_schema()._schema.get_type("ApiKey")
    assert not {"key", "secret", "secretHash"} & set(api_key_type.fields)  # type: ignore[union-attr]
    listed = (await (await keyed_gql(key)).data(LIST))["apiKeys"]
    assert key_id in {k["keyId"] for k in listed}
    assert secret not in str(listed)

    with neo4j_driver.session() as session:
        props = session.run(
            "MATCH (k:ApiKey {id: $id}) RETURN properties(k) AS p", id=key_id
        ).single()["p"]
    assert all(secret not in str(value) for value in props.values())
    expected = hmac.new(
        app.state.api_key_verifier.pepper, f"{key_id}:{secret}".encode(), hashlib.sha256
    )
    assert props["secretHash"] == expected.hexdigest()
    assert props["secretHash"] != hashlib.sha256(secret.encode()).hexdigest()  # keyed, not plain


async def test_revoked_key_is_refused_at_once_on_every_replica(
    app: Any, second_app: Any, token_gql: Any
) -> None:
    owner = token_gql(Role.ANALYST)
    created = await _create(owner, roles=["ANALYST"])
    key = created["key"]
    # Both replicas have verified (and cached) the key.
    assert await _status(app, key) == (200, "")
    assert await _status(second_app, key) == (200, "")

    revoked = (await owner.data(REVOKE, {"id": created["apiKey"]["id"]}))["revokeApiKey"]
    assert revoked["apiKey"]["status"] == "REVOKED"

    assert await _status(app, key) == (401, "UNAUTHENTICATED")
    assert await _status(second_app, key) == (401, "UNAUTHENTICATED")


async def test_expired_key_is_refused_on_every_replica(
    app: Any, second_app: Any, issue_api_key: Any
) -> None:
    key = await issue_api_key(Role.VIEWER, expires_in=dt.timedelta(seconds=2))
    assert await _status(app, key) == (200, "")
    assert await _status(second_app, key) == (200, "")
    await asyncio.sleep(2.2)
    # Still in both caches, but the expiry is checked on every request.
    assert await _status(app, key) == (401, "UNAUTHENTICATED")
    assert await _status(second_app, key) == (401, "UNAUTHENTICATED")


async def test_rotation_refuses_the_old_secret_at_once_on_every_replica(
    app: Any, second_app: Any, token_gql: Any
) -> None:
    owner = token_gql(Role.VIEWER)
    created = await _create(owner, roles=["VIEWER"])
    old = created["key"]
    assert await _status(second_app, old) == (200, "")

    rotated = (await owner.data(ROTATE, {"id": created["apiKey"]["id"]}))["rotateApiKey"]
    new = rotated["key"]
    assert parse_key(new)[0] == parse_key(old)[0]  # same key id, new secret
    assert new != old
    assert rotated["apiKey"]["rotatedAt"] is not None

    assert await _status(app, old) == (401, "UNAUTHENTICATED")
    assert await _status(second_app, old) == (401, "UNAUTHENTICATED")
    assert await _status(app, new) == (200, "")
    assert await _status(second_app, new) == (200, "")


async def test_key_is_refused_from_outside_its_allowed_ranges(app: Any, token_gql: Any) -> None:
    owner = token_gql(Role.VIEWER)
    office_only = (await _create(owner, roles=["VIEWER"], allowedCidrs=["10.20.0.0/16"]))["key"]
    assert await _status(app, office_only, client=("127.0.0.1", 5000)) == (401, "UNAUTHENTICATED")
    assert await _status(app, office_only, client=("10.99.0.1", 5000)) == (401, "UNAUTHENTICATED")
    assert await _status(app, office_only, client=("10.20.3.4", 5000)) == (200, "")


async def test_malformed_ranges_are_refused_at_creation(token_gql: Any) -> None:
    owner = token_gql(Role.VIEWER)
    code = await owner.error_code(
        CREATE,
        {
            "input": {
                "name": "x",
                "roles": ["VIEWER"],
                "expiresAt": _in(),
                "allowedCidrs": ["10.0.0.0/33"],
            }
        },
    )
    assert code == "BAD_USER_INPUT"


async def test_key_cannot_carry_roles_above_its_creators(keyed_gql: Any, token_gql: Any) -> None:
    editor = token_gql(Role.EDITOR)
    for roles in (["ADMIN"], ["EDITOR", "DATA_MANAGER"]):
        code = await editor.error_code(
            CREATE, {"input": {"name": "up", "roles": roles, "expiresAt": _in()}}
        )
        assert code == "FORBIDDEN"
    # A key below admin makes no keys at all, not even weaker ones (api_key_rules).
    created = await _create(editor, roles=["ANALYST"])
    analyst_key = await keyed_gql(created["key"])
    for roles in (["EDITOR"], ["VIEWER"]):
        code = await analyst_key.error_code(
            CREATE, {"input": {"name": "up", "roles": roles, "expiresAt": _in()}}
        )
        assert code == "FORBIDDEN"


async def test_expiry_is_required_and_bounded(token_gql: Any, settings: Settings) -> None:
    owner = token_gql(Role.VIEWER)
    too_far = _in(days=settings.api_key_max_ttl_days + 1)
    past = _in(days=-1)
    for expires_at in (too_far, past):
        code = await owner.error_code(
            CREATE, {"input": {"name": "x", "roles": ["VIEWER"], "expiresAt": expires_at}}
        )
        assert code == "BAD_USER_INPUT"
    body = await owner.execute(
        'mutation { createApiKey(input: {name: "x", roles: [VIEWER]}) { key } }'
    )
    assert body["errors"][0]["extensions"]["code"] in {
        "GRAPHQL_VALIDATION_FAILED",
        "BAD_USER_INPUT",
    }


async def test_key_made_with_a_key_cannot_outlive_it(issue_api_key: Any, keyed_gql: Any) -> None:
    short = await keyed_gql(await issue_api_key(Role.ADMIN, expires_in=dt.timedelta(hours=1)))
    code = await short.error_code(
        CREATE, {"input": {"name": "longer", "roles": ["VIEWER"], "expiresAt": _in(days=2)}}
    )
    assert code == "BAD_USER_INPUT"


async def test_callers_manage_only_their_own_keys_and_admins_every_key(
    keyed_gql: Any, token_gql: Any
) -> None:
    alice = token_gql(Role.VIEWER, subject="alice")
    bob = token_gql(Role.VIEWER, subject="bob")
    admin = await keyed_gql(Role.ADMIN)
    alices = await _create(alice, roles=["VIEWER"])

    bob_sees = {k["keyId"] for k in (await bob.data(LIST))["apiKeys"]}
    assert alices["apiKey"]["keyId"] not in bob_sees
    assert all(k["createdBy"] == "bob" for k in (await bob.data(LIST))["apiKeys"])
    assert await bob.error_code(REVOKE, {"id": alices["apiKey"]["id"]}) == "NOT_FOUND"
    assert await bob.error_code(ROTATE, {"id": alices["apiKey"]["id"]}) == "NOT_FOUND"

    admin_sees = {k["keyId"] for k in (await admin.data(LIST))["apiKeys"]}
    assert alices["apiKey"]["keyId"] in admin_sees
    revoked = (await admin.data(REVOKE, {"id": alices["apiKey"]["id"]}))["revokeApiKey"]
    assert revoked["apiKey"]["status"] == "REVOKED"


async def test_unknown_and_malformed_keys_are_unauthenticated(app: Any, issue_api_key: Any) -> None:
    real = await issue_api_key(Role.VIEWER)
    key_id, secret = parse_key(real)
    for key in (
        "sfmk_",
        "sfmk_nonsense",
        f"sfmk_{key_id}_{'A' * len(secret)}",  # right id, wrong secret
        f"sfmk_00000000-0000-4000-8000-000000000000_{secret}",  # unknown id
        real + "x",
    ):
        assert await _status(app, key) == (401, "UNAUTHENTICATED"), key


async def test_last_use_is_written_at_most_once_a_minute(
    app: Any, issue_api_key: Any, keyed_gql: Any, statements: Any
) -> None:
    key = await issue_api_key(Role.VIEWER)
    for _ in range(3):
        assert await _status(app, key) == (200, "")
    assert statements.names.count("api_keys/touch") == 1
    listed = (await (await keyed_gql(key)).data(LIST))["apiKeys"]
    assert listed[0]["lastUsedAt"] is not None


async def test_without_redis_keys_are_checked_against_neo4j(
    app: Any, settings: Settings, token_gql: Any
) -> None:
    owner = token_gql(Role.VIEWER)
    created = await _create(owner, roles=["VIEWER"])
    key = created["key"]
    no_redis = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    async with no_redis.router.lifespan_context(no_redis):
        assert await _status(no_redis, key) == (200, "")
        await owner.data(REVOKE, {"id": created["apiKey"]["id"]})
        # A replica without Redis keeps a verified key at most a couple of seconds.
        await asyncio.sleep(2.1)
        assert await _status(no_redis, key) == (401, "UNAUTHENTICATED")
