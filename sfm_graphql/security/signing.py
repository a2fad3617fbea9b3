"""The built-in authorization server's signing keys: issue JWTs, publish the JWKS, rotate.

A key ring has one active key, which signs, and retired keys, which only verify. A retired key
stays published until `max_token_ttl` after its retirement, when every token it signed has
expired; since no token outlives `max_token_ttl`, a rotation never cuts a valid token short.
Rotation is done in the secrets store (add a key, make it active, record the old one's
retirement time); `KeyRingStore` re-reads the store now and then and on an unknown `kid`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from sfm_graphql.security.principal import Role
from sfm_graphql.security.secret_provider import SecretsError, SecretsProvider, SigningMaterial
from sfm_graphql.security.secrets import create_secrets_provider
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)

SIGNING_ALGORITHMS = ("RS256", "ES256")
MIN_RSA_BITS = 2048
_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    alg: str
    key: RSAKey | ECKey
    retired_at: dt.datetime | None = None


def load_signing_key(kid: str, pem: str, retired_at: dt.datetime | None = None) -> SigningKey:
    """An RSA (2048 bits or more, RS256) or P-256 (ES256) private key from PEM."""
    try:
        native = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise SecretsError(f"signing key {kid!r} is not a readable unencrypted PEM key") from None
    if isinstance(native, rsa.RSAPrivateKey) and native.key_size >= MIN_RSA_BITS:
        rsa_key = RSAKey.import_key(pem, {"kid": kid, "use": "sig", "alg": "RS256"})
        return SigningKey(kid, "RS256", rsa_key, retired_at)
    if isinstance(native, ec.EllipticCurvePrivateKey) and isinstance(native.curve, ec.SECP256R1):
        ec_key = ECKey.import_key(pem, {"kid": kid, "use": "sig", "alg": "ES256"})
        return SigningKey(kid, "ES256", ec_key, retired_at)
    raise SecretsError(f"signing key {kid!r} must be RSA of {MIN_RSA_BITS}+ bits or EC P-256")


def role_names(roles: Iterable[Role | str]) -> list[str]:
    """Role values, lowest first; an unknown name is an error, not silently dropped."""
    known = {r.value: r for r in Role}
    parsed = set()
    for role in roles:
        if isinstance(role, Role):
            parsed.add(role)
        elif role in known:
            parsed.add(known[role])
        else:
            raise ValueError(f"unknown role {role!r}; roles are {', '.join(known)}")
    return [r.value for r in sorted(parsed, key=lambda r: r.rank)]


class KeyRing:
    def __init__(
        self,
        keys: Sequence[SigningKey],
        active_kid: str,
        *,
        issuer: str,
        max_token_ttl: dt.timedelta,
    ) -> None:
        self.keys = {k.kid: k for k in keys}
        if active_kid not in self.keys or self.keys[active_kid].retired_at is not None:
            raise SecretsError(f"the active signing key {active_kid!r} is missing or retired")
        self.active = self.keys[active_kid]
        self.issuer = issuer
        self.max_token_ttl = max_token_ttl

    @classmethod
    def from_material(
        cls, material: SigningMaterial, *, issuer: str, max_token_ttl: dt.timedelta
    ) -> KeyRing:
        keys = [
            load_signing_key(kid, pem, material.retired_at.get(kid))
            for kid, pem in material.keys.items()
        ]
        return cls(keys, material.active_kid, issuer=issuer, max_token_ttl=max_token_ttl)

    def published(self, now: dt.datetime | None = None) -> list[SigningKey]:
        """The active key and the retired keys whose tokens may still be unexpired."""
        now = now or dt.datetime.now(dt.UTC)
        return [
            k
            for k in self.keys.values()
            if k.retired_at is None or now < k.retired_at + self.max_token_ttl
        ]

    def public_key_set(self, now: dt.datetime | None = None) -> KeySet:
        public = [k.key.as_dict(private=False) for k in self.published(now)]
        return KeySet.import_key_set({"keys": public})

    def jwks(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """The JSON Web Key Set to publish: public halves only."""
        return {"keys": [dict(k.key.as_dict(private=False)) for k in self.published(now)]}

    def issue_token(
        self,
        subject: str,
        roles: Iterable[Role | str],
        *,
        ttl: dt.timedelta,
        audience: str,
        client_id: str | None = None,
        amr: Sequence[str] | None = None,
        now: float | None = None,
    ) -> str:
        """A JWT signed with the active key; `ttl` may not exceed `max_token_ttl`."""
        if not dt.timedelta(seconds=1) <= ttl <= self.max_token_ttl:
            raise ValueError(f"a token lives between 1 second and {self.max_token_ttl}")
        issued = int(time.time() if now is None else now)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "iat": issued,
            "nbf": issued,
            "exp": issued + int(ttl.total_seconds()),
            "jti": uuid.uuid4().hex,
            "roles": role_names(roles),
        }
        if client_id is not None:
            claims["client_id"] = client_id
        if amr:
            claims["amr"] = list(amr)
        header = {"alg": self.active.alg, "kid": self.active.kid, "typ": "JWT"}
        return jwt.encode(header, claims, self.active.key, algorithms=[self.active.alg])


class KeyRingStore:
    """The current key ring, re-read from the secrets provider every `reload_after_s`, and on
    demand (an unknown `kid`) at most once per `min_reload_s`. A failed re-read keeps the ring
    it has and says so in the log."""

    def __init__(
        self,
        provider: SecretsProvider,
        *,
        issuer: str,
        max_token_ttl: dt.timedelta,
        reload_after_s: float,
        min_reload_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._provider = provider
        self._clock = clock
        self._issuer = issuer
        self._max_token_ttl = max_token_ttl
        self._reload_after_s = reload_after_s
        self._min_reload_s = min_reload_s
        self._ring: KeyRing | None = None
        self._loaded_at = 0.0
        self._attempted_at = 0.0
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, provider: SecretsProvider, settings: Settings) -> KeyRingStore:
        """A store with its first ring loaded; raises `SecretsError` when there is none."""
        store = cls(
            provider,
            issuer=settings.auth_issuer_url,
            max_token_ttl=dt.timedelta(seconds=settings.max_token_ttl_s),
            reload_after_s=settings.signing_keys_reload_s,
            min_reload_s=settings.jwks_min_refresh_s,
        )
        await store.load()
        log.info(
            "signing keys from %s: active kid %s, %d published",
            provider.description,
            store.ring.active.kid,
            len(store.ring.published()),
        )
        return store

    async def load(self) -> KeyRing:
        """Read the ring now: the first time, or to pick up a rotation at once."""
        self._ring = await self._load()
        self._loaded_at = self._attempted_at = self._clock()
        return self._ring

    @property
    def ring(self) -> KeyRing:
        if self._ring is None:
            raise RuntimeError("KeyRingStore.open() loads the first ring")
        return self._ring

    async def current(self) -> KeyRing:
        """The ring, re-read first when it is older than `reload_after_s`."""
        if self._clock() - self._loaded_at > self._reload_after_s:
            await self._reload(min_interval_s=self._min_reload_s)
        return self.ring

    async def key_set(self, kid: str | None) -> KeySet:
        """Public keys for verification (a `KeySource`); re-reads the store on an unknown kid."""
        ring = await self.current()
        if kid is not None and kid not in {k.kid for k in ring.published()}:
            await self._reload(min_interval_s=self._min_reload_s)
        return self.ring.public_key_set()

    async def _reload(self, *, min_interval_s: float) -> None:
        started = self._clock()
        async with self._lock:
            if self._attempted_at >= started or started - self._attempted_at < min_interval_s:
                return  # another task just re-read it, or it was re-read too recently
            self._attempted_at = self._clock()
            try:
                ring = await self._load()
            except SecretsError as exc:
                log.warning("could not re-read the signing keys, keeping the current ones: %s", exc)
                return
            if self._ring is not None and ring.active.kid != self._ring.active.kid:
                log.info("signing key rotated: active kid %s", ring.active.kid)
            self._ring = ring
            self._loaded_at = self._clock()

    async def _load(self) -> KeyRing:
        material = await self._provider.signing_material()
        return KeyRing.from_material(
            material, issuer=self._issuer, max_token_ttl=self._max_token_ttl
        )


def parse_ttl(text: str) -> dt.timedelta:
    """`90`, `90s`, `15m`, `8h` or `1d` as a duration."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as 90s, 15m, 8h or 1d")
    return dt.timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


async def cli_token(
    settings: Settings,
    *,
    roles: Iterable[str],
    ttl: dt.timedelta,
    subject: str | None = None,
    mfa: bool = False,
) -> str:
    """A token of the built-in issuer, signed with the configured (or local development) key.

    Whoever can read the signing key can mint any token, so this needs no other credential.
    """
    provider = create_secrets_provider(settings)
    try:
        material = await provider.signing_material()
    finally:
        await provider.aclose()
    ring = KeyRing.from_material(
        material,
        issuer=settings.auth_issuer_url,
        max_token_ttl=dt.timedelta(seconds=settings.max_token_ttl_s),
    )
    return ring.issue_token(
        subject or f"cli:{getpass.getuser()}",
        roles,
        ttl=ttl,
        audience=settings.auth_audience,
        amr=["mfa"] if mfa else None,
    )
