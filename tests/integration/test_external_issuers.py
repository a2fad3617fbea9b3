"""Tokens of external OIDC issuers: JWKS by discovery from a real local HTTP server, cached,
refreshed on an unknown kid (rate-limited), kept through an outage. And the built-in issuer
seen from outside: a resource server that only knows the service's URL verifies its tokens."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sfm_graphql.app import create_app
from sfm_graphql.errors import Unauthenticated
from sfm_graphql.security.jwks import RemoteJwks
from sfm_graphql.security.principal import Role
from sfm_graphql.security.signing import cli_token, parse_ttl
from sfm_graphql.security.tokens import JwtVerifier, TrustedIssuer
from sfm_graphql.settings import OidcIssuer, Settings
from tests.services import free_port, serving

pytestmark = pytest.mark.integration

AUDIENCE = "sfm-graphql"


class IdentityProvider:
    """A tiny OIDC provider: discovery and JWKS, with keys the test rotates."""

    def __init__(self) -> None:
        self.url = ""
        self.keys: list[RSAKey | ECKey] = [
            RSAKey.generate_key(2048, {"kid": "idp-1", "alg": "RS256"})
        ]
        self.jwks_requests = 0
        self.down = False
        self.claimed_issuer: str | None = None
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/protocol/certs", self._jwks),
            ]
        )

    async def _discovery(self, request: Request) -> Response:
        if self.down:
            return Response(status_code=503)
        issuer = self.claimed_issuer or self.url
        return JSONResponse({"issuer": issuer, "jwks_uri": f"{self.url}/protocol/certs"})

    async def _jwks(self, request: Request) -> Response:
        self.jwks_requests += 1
        if self.down:
            return Response(status_code=503)
        return JSONResponse(KeySet(list(self.keys)).as_dict(private=False))  # type: ignore[arg-type]

    def token(self, key: RSAKey | ECKey | None = None, **claims: Any) -> str:
        key = key or self.keys[0]
        now = int(time.time())
        body = {"iss": self.url, "sub": "u-42", "aud": AUDIENCE, "iat": now, "exp": now + 300}
        body.update(claims)
        alg = "RS256" if isinstance(key, RSAKey) else "ES256"
        return jwt.encode({"alg": alg, "kid": key.kid}, body, key, algorithms=[alg])


@pytest.fixture(scope="module")
def idp() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    with serving(provider.app) as url:
        provider.url = url
        yield provider


@pytest.fixture
def fresh_idp(idp: IdentityProvider) -> IdentityProvider:
    idp.keys = idp.keys[:1]
    idp.down = False
    idp.claimed_issuer = None
    idp.jwks_requests = 0
    return idp


class NoKeys:
    """The built-in issuer's keys, never asked for here."""

    async def key_set(self, kid: str | None) -> KeySet:
        raise AssertionError("no token in this test names the built-in issuer")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def verifier_with(source: RemoteJwks, issuer: str, roles_claim: str = "roles") -> JwtVerifier:
    trusted = TrustedIssuer(
        issuer=issuer,
        audiences=(AUDIENCE,),
        algorithms=("RS256", "ES256"),
        keys=source,
        roles_claim=roles_claim,
    )
    return JwtVerifier([trusted], clock_skew_s=30)


async def test_an_oidc_issuers_tokens_are_verified_through_discovery(
    fresh_idp: IdentityProvider,
) -> None:
    settings = Settings(
        oidc_issuers=(
            OidcIssuer(
                issuer=fresh_idp.url,
                audience=AUDIENCE,
                algorithms=("RS256",),
                roles_claim="realm_access.roles",
            ),
        ),
    )
    verifier = JwtVerifier.from_settings(settings, builtin_keys=NoKeys())
    try:
        token = fresh_idp.token(
            realm_access={"roles": ["editor", "uma_authorization"]}, amr=["pwd", "mfa"]
        )
        principal = await verifier.verify(token, client_ip="192.0.2.7")
    finally:
        await verifier.aclose()
    assert principal.issuer == fresh_idp.url
    assert principal.subject == "u-42"
    assert principal.roles == {Role.EDITOR}
    assert principal.mfa and principal.kind == "user"


async def test_an_unknown_kid_refreshes_the_jwks_at_most_once_per_interval(
    fresh_idp: IdentityProvider, http: httpx.AsyncClient
) -> None:
    clock = FakeClock()
    source = RemoteJwks(
        issuer=fresh_idp.url,
        jwks_uri=None,
        http=http,
        cache_ttl_s=3600,
        min_refresh_s=30,
        timeout_s=5,
        clock=clock,
    )
    verifier = verifier_with(source, fresh_idp.url)
    assert (await verifier.verify(fresh_idp.token(), client_ip="x")).subject == "u-42"
    assert fresh_idp.jwks_requests == 1

    # The provider rotates: a token with the new kid makes the service fetch the JWKS again.
    rotated = ECKey.generate_key("P-256", {"kid": "idp-2"})
    fresh_idp.keys.append(rotated)
    clock.now += 31
    assert (await verifier.verify(fresh_idp.token(rotated), client_ip="x")).subject == "u-42"
    assert fresh_idp.jwks_requests == 2

    # Made-up kids: one fetch per interval, however many tokens name them.
    stranger = ECKey.generate_key("P-256", {"kid": "made-up"})
    clock.now += 31
    for _ in range(5):
        with pytest.raises(Unauthenticated, match="unknown key"):
            await verifier.verify(fresh_idp.token(stranger), client_ip="x")
    assert fresh_idp.jwks_requests == 3
    # The known keys keep working meanwhile, without a fetch.
    assert (await verifier.verify(fresh_idp.token(), client_ip="x")).subject == "u-42"
    assert fresh_idp.jwks_requests == 3


async def test_concurrent_unknown_kids_share_one_fetch(
    fresh_idp: IdentityProvider, http: httpx.AsyncClient
) -> None:
    source = RemoteJwks(
        issuer=fresh_idp.url,
        jwks_uri=f"{fresh_idp.url}/protocol/certs",
        http=http,
        cache_ttl_s=3600,
        min_refresh_s=30,
        timeout_s=5,
    )
    verifier = verifier_with(source, fresh_idp.url)
    token = fresh_idp.token()
    results = await asyncio.gather(*(verifier.verify(token, client_ip="x") for _ in range(10)))
    assert {p.subject for p in results} == {"u-42"}
    assert fresh_idp.jwks_requests == 1


async def test_cached_keys_outlive_an_outage_and_no_keys_means_unauthenticated(
    fresh_idp: IdentityProvider, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    source = RemoteJwks(
        issuer=fresh_idp.url,
        jwks_uri=None,
        http=http,
        cache_ttl_s=60,
        min_refresh_s=10,
        timeout_s=5,
        clock=clock,
    )
    verifier = verifier_with(source, fresh_idp.url)
    await verifier.verify(fresh_idp.token(), client_ip="x")
    fresh_idp.down = True
    clock.now += 120  # the cache is stale; the refresh fails; the stale keys still verify
    caplog.set_level(logging.WARNING)
    assert (await verifier.verify(fresh_idp.token(), client_ip="x")).subject == "u-42"
    assert "could not fetch the keys" in caplog.text and "HTTP 503" in caplog.text

    cold = RemoteJwks(
        issuer=fresh_idp.url,
        jwks_uri=None,
        http=http,
        cache_ttl_s=60,
        min_refresh_s=10,
        timeout_s=5,
    )
    with pytest.raises(Unauthenticated, match="cannot be reached"):
        await verifier_with(cold, fresh_idp.url).verify(fresh_idp.token(), client_ip="x")


async def test_a_discovery_document_naming_another_issuer_is_not_trusted(
    fresh_idp: IdentityProvider, http: httpx.AsyncClient
) -> None:
    fresh_idp.claimed_issuer = "https://someone-else.example"
    source = RemoteJwks(
        issuer=fresh_idp.url, jwks_uri=None, http=http, cache_ttl_s=60, min_refresh_s=0, timeout_s=5
    )
    with pytest.raises(Unauthenticated, match="cannot be reached"):
        await verifier_with(source, fresh_idp.url).verify(fresh_idp.token(), client_ip="x")
    assert fresh_idp.jwks_requests == 0


def test_jwks_and_issuer_urls_must_be_https_unless_loopback() -> None:
    client = httpx.AsyncClient()
    for bad in ("http://idp.example", "ftp://127.0.0.1/x", "idp.example"):
        with pytest.raises(ValueError, match="https"):
            RemoteJwks(
                issuer=bad, jwks_uri=None, http=client, cache_ttl_s=1, min_refresh_s=0, timeout_s=1
            )
    for good in ("https://idp.example", "http://127.0.0.1:9000", "http://localhost:8080/realms/x"):
        RemoteJwks(
            issuer=good, jwks_uri=None, http=client, cache_ttl_s=1, min_refresh_s=0, timeout_s=1
        )


async def test_the_builtin_issuer_is_verifiable_from_its_discovery_document(
    settings: Settings, http: httpx.AsyncClient
) -> None:
    """A resource server that knows only the service's URL verifies the service's tokens."""
    port = free_port()
    served = Settings(environment="test", graphiql=True, host="127.0.0.1", port=port)
    # The issuer is named after the host and port, so the app knows its port before it serves.
    with serving(create_app(served), port=port) as url:
        assert served.auth_issuer_url == url
        token = await cli_token(served, roles=["analyst"], ttl=parse_ttl("5m"), subject="ops")
        source = RemoteJwks(
            issuer=url, jwks_uri=None, http=http, cache_ttl_s=60, min_refresh_s=0, timeout_s=5
        )
        principal = await verifier_with(source, url).verify(token, client_ip="x")
        assert (principal.subject, principal.roles) == ("ops", {Role.ANALYST})
