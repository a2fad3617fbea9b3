"""The built-in authorization server and bearer tokens, over real HTTP against the real Neo4j.

Admins register clients through GraphQL; clients get short-lived JWTs at /oauth/token
(client_credentials) and call /graphql with them. Bad tokens of every kind are refused with
UNAUTHENTICATED.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from sfm_graphql.security.principal import Principal
from sfm_graphql.security.secrets import new_pem
from sfm_graphql.security.signing import KeyRing
from sfm_graphql.services.access import oauth_clients
from sfm_graphql.settings import Settings

pytestmark = pytest.mark.integration

REGISTER = """
mutation ($input: RegisterOAuthClientInput!) {
  registerOAuthClient(input: $input) {
    clientId clientSecret
    client { clientId name roles active createdBy expiresAt revokedAt }
  }
}"""
REVOKE = (
    "mutation ($id: String!) { revokeOAuthClient(clientId: $id) { client { active revokedAt } } }"
)
ROTATE = (
    "mutation ($id: String!) { rotateOAuthClientSecret(clientId: $id) { clientId clientSecret } }"
)
LIST = "query ($all: Boolean!) { oauthClients(includeRevoked: $all) { clientId name active } }"
VIEWER_QUERY = "{ deliveryKinds { kind } }"


@pytest.fixture
async def http(live_server_url: str, clean_graph: None) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server_url, timeout=30) as client:
        yield client


async def graphql(
    http: httpx.AsyncClient, token: str | None, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


async def data(
    http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any] | None = None
) -> Any:
    response = await graphql(http, token, query, variables)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


async def error_code(
    http: httpx.AsyncClient, token: str | None, query: str, variables: dict[str, Any] | None = None
) -> str:
    body = (await graphql(http, token, query, variables)).json()
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def register(
    http: httpx.AsyncClient, admin: str, roles: list[str], **extra: Any
) -> dict[str, Any]:
    variables = {"input": {"name": "etl job", "roles": roles, **extra}}
    payload: dict[str, Any] = (await data(http, admin, REGISTER, variables))["registerOAuthClient"]
    return payload


async def token_request(
    http: httpx.AsyncClient, client_id: str, secret: str, *, post: bool = False
) -> httpx.Response:
    form = {"grant_type": "client_credentials"}
    if post:
        return await http.post(
            "/oauth/token", data={**form, "client_id": client_id, "client_secret": secret}
        )
    return await http.post("/oauth/token", data=form, auth=(client_id, secret))


# -- the client_credentials flow -----------------------------------------------------------------


async def test_client_credentials_flow_end_to_end(
    http: httpx.AsyncClient, issue_token: Any, settings: Settings
) -> None:
    admin = issue_token("admin", subject="alice")
    registered = await register(http, admin, ["VIEWER"])
    assert registered["client"] == {
        "clientId": registered["clientId"],
        "name": "etl job",
        "roles": ["VIEWER"],
        "active": True,
        "createdBy": "alice",
        "expiresAt": None,
        "revokedAt": None,
    }

    response = await token_request(http, registered["clientId"], registered["clientSecret"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    issued = response.json()
    assert issued["token_type"] == "Bearer"
    assert issued["expires_in"] == settings.oauth_token_ttl_s
    access = issued["access_token"]

    jwks = (await http.get("/.well-known/jwks.json")).json()
    token = jwt.decode(access, load_jwks(jwks))
    assert token.header["kid"] in {k["kid"] for k in jwks["keys"]}
    assert token.claims["sub"] == token.claims["client_id"] == registered["clientId"]
    assert token.claims["roles"] == ["viewer"]
    assert token.claims["exp"] - token.claims["iat"] == settings.oauth_token_ttl_s

    kinds = await data(http, access, VIEWER_QUERY)
    assert kinds["deliveryKinds"]
    assert await error_code(http, access, LIST, {"all": False}) == "FORBIDDEN"


def load_jwks(document: dict[str, Any]) -> KeySet:
    return KeySet.import_key_set(document)  # type: ignore[arg-type]


async def test_client_secret_post_works_and_an_admin_client_manages_clients(
    http: httpx.AsyncClient, issue_token: Any
) -> None:
    registered = await register(http, issue_token("admin"), ["ADMIN"])
    response = await token_request(
        http, registered["clientId"], registered["clientSecret"], post=True
    )
    assert response.status_code == 200, response.text
    listed = await data(http, response.json()["access_token"], LIST, {"all": False})
    assert [c["clientId"] for c in listed["oauthClients"]] == [registered["clientId"]]


@pytest.mark.parametrize("post", [False, True])
async def test_a_wrong_secret_or_an_unknown_client_is_401_invalid_client(
    http: httpx.AsyncClient, issue_token: Any, post: bool
) -> None:
    registered = await register(http, issue_token("admin"), ["VIEWER"])
    wrong = await token_request(http, registered["clientId"], "not-the-secret", post=post)
    unknown = await token_request(http, "sfmc_nobody", registered["clientSecret"], post=post)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json() == {
            "error": "invalid_client",
            "error_description": "Client authentication failed",
        }
        assert response.headers["cache-control"] == "no-store"
    if not post:
        assert wrong.headers["www-authenticate"].startswith("Basic")


async def test_no_client_credentials_is_401(http: httpx.AsyncClient) -> None:
    response = await http.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_a_revoked_client_gets_no_token(http: httpx.AsyncClient, issue_token: Any) -> None:
    admin = issue_token("admin")
    registered = await register(http, admin, ["EDITOR"])
    revoked = await data(http, admin, REVOKE, {"id": registered["clientId"]})
    assert revoked["revokeOAuthClient"]["client"]["active"] is False
    response = await token_request(http, registered["clientId"], registered["clientSecret"])
    assert response.status_code == 401
    assert (await data(http, admin, LIST, {"all": False}))["oauthClients"] == []
    listed = (await data(http, admin, LIST, {"all": True}))["oauthClients"]
    assert [(c["clientId"], c["active"]) for c in listed] == [(registered["clientId"], False)]
    assert await error_code(http, admin, ROTATE, {"id": registered["clientId"]}) == "CONFLICT"


async def test_an_expired_client_gets_no_token(
    http: httpx.AsyncClient, issue_token: Any, neo4j_driver: Any
) -> None:
    in_a_while = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    registered = await register(http, issue_token("admin"), ["VIEWER"], expiresAt=in_a_while)
    assert registered["client"]["expiresAt"] is not None
    assert (
        await token_request(http, registered["clientId"], registered["clientSecret"])
    ).status_code == 200
    neo4j_driver.execute_query(
        "MATCH (c:OAuthClient {clientId: $id}) SET c.expiresAt = datetime() - duration('PT1S')",
        id=registered["clientId"],
    )
    response = await token_request(http, registered["clientId"], registered["clientSecret"])
    assert response.status_code == 401


async def test_a_rotated_secret_replaces_the_old_one_at_once(
    http: httpx.AsyncClient, issue_token: Any
) -> None:
    admin = issue_token("admin")
    registered = await register(http, admin, ["VIEWER"])
    rotated = (await data(http, admin, ROTATE, {"id": registered["clientId"]}))[
        "rotateOAuthClientSecret"
    ]
    assert rotated["clientSecret"] != registered["clientSecret"]
    assert (
        await token_request(http, registered["clientId"], registered["clientSecret"])
    ).status_code == 401
    assert (
        await token_request(http, registered["clientId"], rotated["clientSecret"])
    ).status_code == 200


async def test_only_the_hash_of_a_secret_is_stored(
    http: httpx.AsyncClient, issue_token: Any, neo4j_driver: Any
) -> None:
    registered = await register(http, issue_token("admin"), ["VIEWER"])
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (c:OAuthClient {clientId: $id}) RETURN properties(c) AS p", id=registered["clientId"]
    )
    stored = records[0]["p"]
    assert stored["secretHash"].startswith("scrypt$")
    assert registered["clientSecret"] not in json.dumps(stored, default=str)


async def test_client_management_is_for_admins_only(
    http: httpx.AsyncClient, issue_token: Any
) -> None:
    operations = [
        (REGISTER, {"input": {"name": "x", "roles": ["VIEWER"]}}),
        (REVOKE, {"id": "sfmc_x"}),
        (ROTATE, {"id": "sfmc_x"}),
        (LIST, {"all": True}),
    ]
    editor = issue_token("data_manager")
    for query, variables in operations:
        assert await error_code(http, editor, query, variables) == "FORBIDDEN"
        assert await error_code(http, None, query, variables) == "UNAUTHENTICATED"


async def test_registration_input_is_validated(http: httpx.AsyncClient, issue_token: Any) -> None:
    admin = issue_token("admin")
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    for bad in ({"roles": []}, {"name": "  "}, {"expiresAt": past}, {"name": "x" * 101}):
        variables = {"input": {"name": "ok", "roles": ["VIEWER"], **bad}}
        assert await error_code(http, admin, REGISTER, variables) == "BAD_USER_INPUT", bad
    assert await error_code(http, admin, REVOKE, {"id": "sfmc_missing"}) == "NOT_FOUND"


# -- the token endpoint's own checks -------------------------------------------------------------


async def test_the_token_endpoint_checks_the_request(
    http: httpx.AsyncClient, issue_token: Any
) -> None:
    registered = await register(http, issue_token("admin"), ["VIEWER"])
    auth = (registered["clientId"], registered["clientSecret"])
    as_json = await http.post("/oauth/token", json={"grant_type": "client_credentials"}, auth=auth)
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    password = await http.post("/oauth/token", data={"grant_type": "password"}, auth=auth)
    assert password.status_code == 400 and password.json()["error"] == "unsupported_grant_type"
    repeated = await http.post(
        "/oauth/token",
        content="grant_type=client_credentials&grant_type=client_credentials",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=auth,
    )
    assert repeated.status_code == 400 and repeated.json()["error"] == "invalid_request"
    assert (await http.get("/oauth/token")).status_code == 405


async def test_plain_http_to_a_non_loopback_host_is_refused(app: Any, clean_graph: None) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sfm.example") as client:
        response = await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=("a", "b")
        )
    assert response.status_code == 400
    assert "HTTPS" in response.json()["error_description"]


async def test_login_hooks_hear_failed_logins_and_issued_tokens(
    app: Any, clean_graph: None
) -> None:
    record, secret = await oauth_clients.register_client(
        db=app.state.services.db,
        name="hooked",
        roles=["analyst"],
        expires_at=None,
        created_by="test",
    )
    failed: list[dict[str, Any]] = []
    issued: list[Principal] = []

    async def on_failed(*, client_ip: str, client_id: str | None, reason: str) -> None:
        failed.append({"ip": client_ip, "client_id": client_id, "reason": reason})

    async def on_issued(*, principal: Principal, client_ip: str) -> None:
        issued.append(principal)

    hooks = app.state.services.login_hooks
    hooks.failed_login.append(on_failed)
    hooks.token_issued.append(on_issued)
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            form = {"grant_type": "client_credentials"}
            wrong = await client.post("/oauth/token", data=form, auth=(record.client_id, "nope"))
            unknown = await client.post("/oauth/token", data=form, auth=("sfmc_ghost", "nope"))
            right = await client.post("/oauth/token", data=form, auth=(record.client_id, secret))
    finally:
        hooks.failed_login.remove(on_failed)
        hooks.token_issued.remove(on_issued)
    assert (wrong.status_code, unknown.status_code, right.status_code) == (401, 401, 200)
    assert failed == [
        {"ip": "127.0.0.1", "client_id": record.client_id, "reason": "wrong secret"},
        {"ip": "127.0.0.1", "client_id": "sfmc_ghost", "reason": "unknown client"},
    ]
    assert [(p.subject, p.kind, {r.value for r in p.roles}) for p in issued] == [
        (record.client_id, "client", {"analyst"})
    ]


# -- JWKS and discovery ---------------------------------------------------------------------------


async def test_jwks_and_discovery_publish_public_keys_only(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    jwks = await http.get("/.well-known/jwks.json")
    assert jwks.status_code == 200
    for key in jwks.json()["keys"]:
        assert key["kid"] and key["use"] == "sig" and key["alg"] in ("RS256", "ES256")
        assert not {"d", "p", "q", "dp", "dq", "qi"} & key.keys()
    metadata = (await http.get("/.well-known/openid-configuration")).json()
    issuer = settings.auth_issuer_url
    assert metadata["issuer"] == issuer
    assert metadata["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert metadata["token_endpoint"] == f"{issuer}/oauth/token"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }


# -- bad bearer tokens over HTTP --------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _claims(settings: Settings, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": settings.auth_issuer_url,
        "sub": "mallory",
        "aud": settings.auth_audience,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "roles": ["admin"],
    }
    claims.update(overrides)
    return claims


def bad_tokens(key_ring: KeyRing, settings: Settings) -> dict[str, str]:
    active = key_ring.active
    header = {"alg": active.alg, "kid": active.kid, "typ": "JWT"}
    sign = lambda claims: jwt.encode(header, claims, active.key, algorithms=[active.alg])  # noqa: E731
    valid = key_ring.issue_token(
        "mallory", ["viewer"], ttl=dt.timedelta(minutes=5), audience=settings.auth_audience
    )
    head, payload, signature = valid.split(".")
    tampered_claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    tampered_claims["roles"] = ["admin"]
    unsigned = f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(_claims(settings)).encode())}"
    public_pem = active.key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs_signing_input = (
        f"{_b64(json.dumps({'alg': 'HS256', 'kid': active.kid, 'typ': 'JWT'}).encode())}."
        f"{_b64(json.dumps(_claims(settings)).encode())}"
    )
    hs_mac = hmac.new(public_pem, hs_signing_input.encode(), hashlib.sha256).digest()
    stranger = ECKey.import_key(new_pem(), {"kid": "ghost-kid"})
    return {
        "malformed": "this-is-not-a-jwt",
        "malformed-segments": "a.b.c",
        "expired": sign(
            _claims(
                settings,
                iat=int(time.time()) - 7200,
                nbf=int(time.time()) - 7200,
                exp=int(time.time()) - 3600,
            )
        ),
        "not-yet-valid": sign(_claims(settings, nbf=int(time.time()) + 3600)),
        "wrong-issuer": sign(_claims(settings, iss="https://evil.example")),
        "wrong-audience": sign(_claims(settings, aud="another-service")),
        "tampered": f"{head}.{_b64(json.dumps(tampered_claims).encode())}.{signature}",
        "alg-none": f"{unsigned}.",
        "alg-none-with-signature": f"{unsigned}.{_b64(b'x')}",
        "hs256-with-public-key": f"{hs_signing_input}.{_b64(hs_mac)}",
        "unknown-kid": jwt.encode(
            {"alg": "ES256", "kid": "ghost-kid"}, _claims(settings), stranger, algorithms=["ES256"]
        ),
    }


CASES = {
    "malformed": "The bearer token is not a well-formed JWT",
    "malformed-segments": "The bearer token is not a well-formed JWT",
    "expired": "The token has expired",
    "not-yet-valid": "The token is not valid yet",
    "wrong-issuer": "The token's issuer is not trusted",
    "wrong-audience": "The token is not meant for this service",
    "tampered": "The token's signature is invalid",
    "alg-none": "The bearer token is not a well-formed JWT",
    "alg-none-with-signature": "The token's algorithm is not accepted",
    "hs256-with-public-key": "The token's algorithm is not accepted",
    "unknown-kid": "The token was signed with an unknown key",
}


@pytest.mark.parametrize("case", CASES)
async def test_bad_bearer_tokens_get_401_unauthenticated(
    http: httpx.AsyncClient, key_ring: KeyRing, settings: Settings, case: str
) -> None:
    token = bad_tokens(key_ring, settings)[case]
    response = await graphql(http, token, VIEWER_QUERY)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"] == CASES[case]


async def test_a_missing_token_gets_unauthenticated(http: httpx.AsyncClient) -> None:
    assert await error_code(http, None, VIEWER_QUERY) == "UNAUTHENTICATED"


async def test_a_valid_token_gets_through(http: httpx.AsyncClient, issue_token: Any) -> None:
    assert (await data(http, issue_token("viewer"), VIEWER_QUERY))["deliveryKinds"]
