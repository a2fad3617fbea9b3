"""The JWT verifier and the signing key ring, with in-memory keys and an injected clock."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.jwk import KeySet

from sfm_graphql.errors import Unauthenticated
from sfm_graphql.security.principal import Role
from sfm_graphql.security.secret_provider import SecretsError, SecretsProvider, SigningMaterial
from sfm_graphql.security.secrets import new_pem
from sfm_graphql.security.signing import KeyRing, KeyRingStore, load_signing_key, parse_ttl
from sfm_graphql.security.tokens import JwtVerifier, TrustedIssuer, claim_at, json_depth

ISSUER = "https://sfm.example"
AUDIENCE = "sfm-graphql"
MAX_TTL = dt.timedelta(hours=1)


def rsa_pem(bits: int = 2048) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class MemorySecrets(SecretsProvider):
    """A secrets store the test rotates by assigning `material`."""

    description = "memory"

    def __init__(self, material: SigningMaterial) -> None:
        super().__init__()
        self.material = material
        self.reads = 0

    async def signing_material(self) -> SigningMaterial:
        self.reads += 1
        return self.material

    async def _read_pepper(self) -> bytes:
        return b"p" * 32


def material(
    keys: dict[str, str], active: str, retired: dict[str, dt.datetime] | None = None
) -> SigningMaterial:
    return SigningMaterial(keys, active, retired or {}, "memory")


def ring_of(m: SigningMaterial, issuer: str = ISSUER) -> KeyRing:
    return KeyRing.from_material(m, issuer=issuer, max_token_ttl=MAX_TTL)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def store_of(
    provider: MemorySecrets, *, min_reload_s: float = 0.0, clock: FakeClock | None = None
) -> KeyRingStore:
    clock = clock or FakeClock()
    store = KeyRingStore(
        provider,
        issuer=ISSUER,
        max_token_ttl=MAX_TTL,
        reload_after_s=3600,
        min_reload_s=min_reload_s,
        clock=clock,
    )
    await store.load()
    clock.advance(1)
    return store


def verifier_for(store: Any, **kwargs: Any) -> JwtVerifier:
    issuer = TrustedIssuer(
        issuer=ISSUER,
        audiences=(AUDIENCE,),
        algorithms=("RS256", "ES256"),
        keys=store,
        roles_claim=kwargs.pop("roles_claim", "roles"),
        builtin=True,
    )
    return JwtVerifier([issuer], clock_skew_s=kwargs.pop("clock_skew_s", 30), **kwargs)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def forged(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"sig") -> str:
    return ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(signature)]
    )


def claims_now(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "someone",
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": "j1",
        "roles": ["editor"],
    }
    claims.update(overrides)
    return claims


@pytest.fixture
def ec_keys() -> dict[str, str]:
    return {"k1": new_pem(), "k2": new_pem()}


@pytest.fixture
async def setup(ec_keys: dict[str, str]) -> tuple[MemorySecrets, KeyRingStore, JwtVerifier]:
    provider = MemorySecrets(material({"k1": ec_keys["k1"]}, "k1"))
    store = await store_of(provider)
    return provider, store, verifier_for(store)


async def refused(verifier: JwtVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        await verifier.verify(token, client_ip="192.0.2.1")
    return caught.value.message


# -- valid tokens ------------------------------------------------------------------------------


async def test_valid_token_gives_the_roles_and_no_mfa(setup: Any) -> None:
    _, store, verifier = setup
    token = store.ring.issue_token(
        "svc", [Role.EDITOR, "viewer"], ttl=dt.timedelta(minutes=5), audience=AUDIENCE
    )
    principal = await verifier.verify(token, client_ip="192.0.2.1")
    assert principal.subject == "svc"
    assert principal.roles == {Role.EDITOR, Role.VIEWER}
    assert principal.issuer == ISSUER
    assert principal.kind == "user"
    assert not principal.mfa
    assert len(principal.credential_id) == 32


async def test_amr_mfa_sets_the_mfa_flag_and_client_id_makes_a_client(setup: Any) -> None:
    _, store, verifier = setup
    token = store.ring.issue_token(
        "c1",
        ["admin"],
        ttl=dt.timedelta(minutes=5),
        audience=AUDIENCE,
        client_id="c1",
        amr=["pwd", "mfa"],
    )
    principal = await verifier.verify(token, client_ip="192.0.2.1")
    assert principal.mfa
    assert principal.kind == "client"
    assert principal.has_role(Role.ADMIN)


async def test_acr_from_the_configured_list_sets_mfa(ec_keys: dict[str, str]) -> None:
    m = material({"k1": ec_keys["k1"]}, "k1")
    store = await store_of(MemorySecrets(m))
    verifier = verifier_for(store, mfa_acr_values=["urn:example:mfa"])
    key = store.ring.active.key
    for acr, expected in (("urn:example:mfa", True), ("urn:example:pwd", False)):
        token = jwt.encode(
            {"alg": "ES256", "kid": "k1"}, claims_now(acr=acr), key, algorithms=["ES256"]
        )
        assert (await verifier.verify(token, client_ip="x")).mfa is expected


async def test_roles_come_from_a_dotted_claim_and_unknown_roles_are_ignored(
    ec_keys: dict[str, str],
) -> None:
    store = await store_of(MemorySecrets(material({"k1": ec_keys["k1"]}, "k1")))
    verifier = verifier_for(store, roles_claim="realm_access.roles")
    claims = claims_now(realm_access={"roles": ["analyst", "offline_access"]})
    del claims["roles"]
    token = jwt.encode(
        {"alg": "ES256", "kid": "k1"}, claims, store.ring.active.key, algorithms=["ES256"]
    )
    principal = await verifier.verify(token, client_ip="x")
    assert principal.roles == {Role.ANALYST}


def test_claim_at_walks_dotted_paths() -> None:
    claims = {"a": {"b": {"c": ["x"]}}, "s": "y"}
    assert claim_at(claims, "a.b.c") == ["x"]
    assert claim_at(claims, "a.missing.c") is None
    assert claim_at(claims, "s.t") is None


async def test_a_token_expired_within_the_clock_skew_is_accepted(setup: Any) -> None:
    _, store, verifier = setup
    token = store.ring.issue_token(
        "svc", ["viewer"], ttl=dt.timedelta(seconds=60), audience=AUDIENCE, now=time.time() - 70
    )
    assert (await verifier.verify(token, client_ip="x")).subject == "svc"


# -- refused tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c",
        "a..c",
        "e30.e30.",
        "a.b.c.d.e",
        "eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln",
    ],
)
async def test_malformed_tokens_are_refused(setup: Any, token: str) -> None:
    _, _, verifier = setup
    await refused(verifier, token)


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        (b'{"alg": "ES256", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", b"{}"),
        (b'{"alg": "ES256"}', b'{"iss": "x", "c": ' + b'{"a":' * 3000 + b"1" + b"}" * 3001),
        (b'{"alg": "ES256", "x": ' + b"[" * 17 + b"]" * 17 + b"}", b"{}"),
        (b'{"alg": "ES256"}', b'{"n": ' + b"9" * 5000 + b"}"),
        (b'{"alg": "ES256"}', b"\xff\xfe"),
    ],
)
async def test_deep_or_unparsable_json_is_refused_as_malformed(
    setup: Any, header: bytes, payload: bytes
) -> None:
    _, _, verifier = setup
    token = f"{b64(header)}.{b64(payload)}.{b64(b'sig')}"
    assert await refused(verifier, token) == "The bearer token is not a well-formed JWT"


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth('{"a": "[[[\\"{{", "b": [[{}]]}') == 4
    assert json_depth('"[[["') == 0


async def test_an_expired_token_is_refused(setup: Any) -> None:
    _, store, verifier = setup
    token = store.ring.issue_token(
        "svc", ["viewer"], ttl=dt.timedelta(minutes=5), audience=AUDIENCE, now=time.time() - 3600
    )
    assert await refused(verifier, token) == "The token has expired"


async def test_a_token_not_valid_yet_is_refused(setup: Any) -> None:
    _, store, verifier = setup
    claims = claims_now(nbf=int(time.time()) + 600)
    token = jwt.encode(
        {"alg": "ES256", "kid": "k1"}, claims, store.ring.active.key, algorithms=["ES256"]
    )
    assert await refused(verifier, token) == "The token is not valid yet"


async def test_a_token_issued_in_the_future_is_refused(setup: Any) -> None:
    _, store, verifier = setup
    token = store.ring.issue_token(
        "svc", ["viewer"], ttl=dt.timedelta(minutes=5), audience=AUDIENCE, now=time.time() + 600
    )
    await refused(verifier, token)


async def test_a_token_of_another_issuer_is_refused(setup: Any) -> None:
    _, _, verifier = setup
    other = ring_of(material({"k1": new_pem()}, "k1"), issuer="https://evil.example")
    token = other.issue_token("svc", ["admin"], ttl=dt.timedelta(minutes=5), audience=AUDIENCE)
    assert await refused(verifier, token) == "The token's issuer is not trusted"


async def test_a_token_naming_the_issuer_but_signed_by_another_key_is_refused(setup: Any) -> None:
    _, _, verifier = setup
    impostor = ring_of(material({"k1": new_pem()}, "k1"))  # same iss, same kid, other key
    token = impostor.issue_token("svc", ["admin"], ttl=dt.timedelta(minutes=5), audience=AUDIENCE)
    assert await refused(verifier, token) == "The token's signature is invalid"


async def test_a_token_for_another_audience_is_refused(setup: Any) -> None:
    _, store, verifier = setup
    token = store.ring.issue_token(
        "svc", ["viewer"], ttl=dt.timedelta(minutes=5), audience="other-api"
    )
    assert await refused(verifier, token) == "The token is not meant for this service"


async def test_a_tampered_payload_is_refused(setup: Any) -> None:
    _, store, verifier = setup
    token = store.ring.issue_token(
        "svc", ["viewer"], ttl=dt.timedelta(minutes=5), audience=AUDIENCE
    )
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["admin"]
    tampered = f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
    assert await refused(verifier, tampered) == "The token's signature is invalid"


async def test_alg_none_is_refused(setup: Any) -> None:
    _, _, verifier = setup
    for signature in (b"", b"anything"):
        token = forged({"alg": "none", "typ": "JWT"}, claims_now(roles=["admin"]), signature)
        await refused(verifier, token)


async def test_hs256_signed_with_the_public_key_is_refused() -> None:
    pem = rsa_pem()
    store = await store_of(MemorySecrets(material({"r1": pem}, "r1")))
    verifier = verifier_for(store)
    public_pem = store.ring.active.key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk_json = json.dumps(store.ring.jwks()["keys"][0]).encode()
    for secret in (public_pem, jwk_json):
        header = b64(json.dumps({"alg": "HS256", "kid": "r1", "typ": "JWT"}).encode())
        payload = b64(json.dumps(claims_now(roles=["admin"])).encode())
        mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        assert await refused(verifier, f"{header}.{payload}.{b64(mac)}") == (
            "The token's algorithm is not accepted"
        )


async def test_an_algorithm_the_issuer_does_not_allow_is_refused(ec_keys: dict[str, str]) -> None:
    store = await store_of(MemorySecrets(material({"k1": ec_keys["k1"]}, "k1")))
    rs_only = TrustedIssuer(
        issuer=ISSUER, audiences=(AUDIENCE,), algorithms=("RS256",), keys=store, roles_claim="roles"
    )
    verifier = JwtVerifier([rs_only], clock_skew_s=0)
    token = store.ring.issue_token(
        "svc", ["viewer"], ttl=dt.timedelta(minutes=5), audience=AUDIENCE
    )
    assert await refused(verifier, token) == "The token's algorithm is not accepted"


def test_an_issuer_cannot_be_configured_with_hmac_or_none() -> None:
    for algorithms in (("HS256",), ("none",), ("RS256", "HS512"), ()):
        with pytest.raises(ValueError, match="algorithms"):
            TrustedIssuer(
                issuer=ISSUER,
                audiences=(AUDIENCE,),
                algorithms=algorithms,
                keys=None,
                roles_claim="r",  # type: ignore[arg-type]
            )


async def test_a_token_without_exp_is_refused(setup: Any) -> None:
    _, store, verifier = setup
    claims = claims_now()
    del claims["exp"]
    token = jwt.encode(
        {"alg": "ES256", "kid": "k1"}, claims, store.ring.active.key, algorithms=["ES256"]
    )
    assert "exp" in await refused(verifier, token)


async def test_an_unknown_kid_is_refused_after_one_rate_limited_reload(
    ec_keys: dict[str, str],
) -> None:
    provider = MemorySecrets(material({"k1": ec_keys["k1"]}, "k1"))
    clock = FakeClock()
    store = await store_of(provider, min_reload_s=60, clock=clock)
    clock.advance(60)
    verifier = verifier_for(store)
    ghost = ring_of(material({"ghost": new_pem()}, "ghost"))
    token = ghost.issue_token("svc", ["admin"], ttl=dt.timedelta(minutes=5), audience=AUDIENCE)
    reads = provider.reads
    assert await refused(verifier, token) == "The token was signed with an unknown key"
    assert provider.reads == reads + 1
    assert await refused(verifier, token) == "The token was signed with an unknown key"
    clock.advance(59)
    assert await refused(verifier, token) == "The token was signed with an unknown key"
    assert provider.reads == reads + 1, "another unknown kid within min_reload_s re-reads nothing"
    clock.advance(1)
    await refused(verifier, token)
    assert provider.reads == reads + 2


# -- rotation ------------------------------------------------------------------------------------


async def test_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key(
    ec_keys: dict[str, str],
) -> None:
    provider = MemorySecrets(material({"k1": ec_keys["k1"]}, "k1"))
    store = await store_of(provider)
    verifier = verifier_for(store)
    old_token = store.ring.issue_token(
        "svc", ["viewer"], ttl=dt.timedelta(minutes=30), audience=AUDIENCE
    )

    retired = dt.datetime.now(dt.UTC)
    provider.material = material(ec_keys, "k2", {"k1": retired})
    new_token_ring = ring_of(provider.material)
    new_token = new_token_ring.issue_token(
        "svc", ["editor"], ttl=dt.timedelta(minutes=5), audience=AUDIENCE
    )

    # The store has not re-read yet: the unknown kid k2 makes it re-read.
    assert (await verifier.verify(new_token, client_ip="x")).roles == {Role.EDITOR}
    assert store.ring.active.kid == "k2"
    assert (await verifier.verify(old_token, client_ip="x")).subject == "svc"
    assert [k["kid"] for k in store.ring.jwks()["keys"]] == ["k1", "k2"]
    assert (
        jwt.decode(
            store.ring.issue_token("a", ["viewer"], ttl=dt.timedelta(minutes=1), audience=AUDIENCE),
            store.ring.public_key_set(),
        ).header["kid"]
        == "k2"
    )


def test_a_retired_key_leaves_the_jwks_max_token_ttl_after_retirement(
    ec_keys: dict[str, str],
) -> None:
    retired = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    ring = ring_of(material(ec_keys, "k2", {"k1": retired}))
    kids = lambda at: [k["kid"] for k in ring.jwks(at)["keys"]]  # noqa: E731
    assert kids(retired + MAX_TTL - dt.timedelta(seconds=1)) == ["k1", "k2"]
    assert kids(retired + MAX_TTL) == ["k2"]


def test_the_jwks_holds_no_private_key_material(ec_keys: dict[str, str]) -> None:
    ring = ring_of(material({**ec_keys, "r1": rsa_pem()}, "r1", {"k1": dt.datetime.now(dt.UTC)}))
    for key in ring.jwks()["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & key.keys()
        assert key["use"] == "sig" and key["alg"] in ("ES256", "RS256")
    assert isinstance(KeySet.import_key_set(ring.jwks()), KeySet)


def test_tokens_may_not_outlive_max_token_ttl(ec_keys: dict[str, str]) -> None:
    ring = ring_of(material({"k1": ec_keys["k1"]}, "k1"))
    with pytest.raises(ValueError, match="between"):
        ring.issue_token("a", ["viewer"], ttl=MAX_TTL + dt.timedelta(seconds=1), audience=AUDIENCE)
    with pytest.raises(ValueError, match="unknown role"):
        ring.issue_token("a", ["root"], ttl=dt.timedelta(minutes=1), audience=AUDIENCE)


def test_signing_keys_must_be_rsa_2048_or_p256() -> None:
    assert load_signing_key("r", rsa_pem()).alg == "RS256"
    assert load_signing_key("e", new_pem()).alg == "ES256"
    with pytest.raises(SecretsError, match="RSA"):
        load_signing_key("small", rsa_pem(1024))
    p384 = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(SecretsError, match="P-256"):
        load_signing_key("p384", p384.decode())
    with pytest.raises(SecretsError, match="PEM"):
        load_signing_key("junk", "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")


def test_parse_ttl() -> None:
    assert parse_ttl("15m") == dt.timedelta(minutes=15)
    assert parse_ttl("90") == dt.timedelta(seconds=90)
    assert parse_ttl("8h") == dt.timedelta(hours=8)
    assert parse_ttl("1d") == dt.timedelta(days=1)
    with pytest.raises(ValueError, match="duration"):
        parse_ttl("15 minutes")
