"""The resource server: bearer JWTs verified against the configured issuers.

Each trusted issuer has its audience(s), its allowed algorithms (a subset of RS256, ES256,
EdDSA: never HMAC, never `none`) and a key source — its JWKS over HTTP, or, for the built-in
authorization server, the local key ring. The unverified `iss` claim only chooses which
issuer's keys to try; the signature is checked with those keys before any claim is believed.
Tokens are never logged; refusals are logged with their reason, issuer and kid.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError, MissingClaimError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from sfm_graphql.errors import Unauthenticated
from sfm_graphql.security.jwks import KeysUnavailable, RemoteJwks
from sfm_graphql.security.principal import Principal, PrincipalKind, Role
from sfm_graphql.security.token_cache import CachedToken, TokenCache
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)

ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "ES256", "EdDSA"})
# A JOSE header is flat and claims nest a few levels (`realm_access.roles`); deeper JSON is no
# token of ours, and refusing it before `json.loads` keeps a crafted `[[[[…` from recursing.
MAX_JSON_DEPTH = 16
MALFORMED = "The bearer token is not a well-formed JWT"
_TOKEN_TYPES = {"jwt", "at+jwt", "application/jwt", "application/at+jwt"}


class KeySource(Protocol):
    async def key_set(self, kid: str | None) -> KeySet:
        """The issuer's verification keys, refreshed when `kid` is not among them."""
        ...


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    issuer: str
    audiences: tuple[str, ...]
    algorithms: tuple[str, ...]
    keys: KeySource
    roles_claim: str
    builtin: bool = False

    def __post_init__(self) -> None:
        unsafe = set(self.algorithms) - ASYMMETRIC_ALGORITHMS
        if unsafe or not self.algorithms:
            raise ValueError(f"issuer {self.issuer}: algorithms must be among RS256, ES256, EdDSA")
        if not self.audiences:
            raise ValueError(f"issuer {self.issuer}: at least one audience is needed")


def _refuse(message: str, reason: str, **context: object) -> Unauthenticated:
    log.info(
        "bearer token refused: %s %s", reason, " ".join(f"{k}={v}" for k, v in context.items())
    )
    return Unauthenticated(message)


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in `text` (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _segment(part: str, what: str, ip: str) -> dict[str, Any]:
    try:
        text = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()
        if json_depth(text) > MAX_JSON_DEPTH:
            raise _refuse(MALFORMED, f"{what} nested too deeply", ip=ip)
        value = json.loads(text)
    except (binascii.Error, ValueError, RecursionError):
        raise _refuse(MALFORMED, f"{what} not JSON", ip=ip) from None
    if not isinstance(value, dict):
        raise _refuse(MALFORMED, f"{what} not an object", ip=ip)
    return value


def claim_at(claims: dict[str, Any], path: str) -> Any:
    """The value at a dotted path such as `realm_access.roles`, or None."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _strings(value: Any) -> list[str]:
    """A list of strings, or a space-separated string, as a list; anything else is empty."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class JwtVerifier:
    """Implements `CredentialVerifier` for bearer JWTs."""

    def __init__(
        self,
        issuers: Sequence[TrustedIssuer],
        *,
        clock_skew_s: int,
        mfa_amr_values: Sequence[str] = ("mfa",),
        mfa_acr_values: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
        http: httpx.AsyncClient | None = None,
        cache_entries: int = 0,
    ) -> None:
        self._issuers = {i.issuer: i for i in issuers}
        if len(self._issuers) != len(issuers):
            raise ValueError("two trusted issuers share an issuer identifier")
        self._skew = clock_skew_s
        self._mfa_amr = frozenset(mfa_amr_values)
        self._mfa_acr = frozenset(mfa_acr_values)
        self._clock = clock
        self._http = http
        self._cache = TokenCache(cache_entries)

    @classmethod
    def from_settings(cls, settings: Settings, *, builtin_keys: KeySource) -> JwtVerifier:
        """The built-in issuer plus every issuer of `SFM_OIDC_ISSUERS`."""
        issuers = [
            TrustedIssuer(
                issuer=settings.auth_issuer_url,
                audiences=(settings.auth_audience,),
                algorithms=("RS256", "ES256"),
                keys=builtin_keys,
                roles_claim="roles",
                builtin=True,
            )
        ]
        http = httpx.AsyncClient(follow_redirects=False) if settings.oidc_issuers else None
        for configured in settings.oidc_issuers:
            assert http is not None
            source = RemoteJwks(
                issuer=configured.issuer,
                jwks_uri=configured.jwks_uri,
                http=http,
                cache_ttl_s=settings.jwks_cache_ttl_s,
                min_refresh_s=settings.jwks_min_refresh_s,
                timeout_s=settings.jwks_fetch_timeout_s,
            )
            issuers.append(
                TrustedIssuer(
                    issuer=configured.issuer,
                    audiences=configured.audience,
                    algorithms=configured.algorithms,
                    keys=source,
                    roles_claim=configured.roles_claim or settings.jwt_roles_claim,
                )
            )
        return cls(
            issuers,
            clock_skew_s=settings.jwt_clock_skew_s,
            mfa_amr_values=settings.jwt_mfa_amr_values,
            mfa_acr_values=settings.jwt_mfa_acr_values,
            http=http,
            cache_entries=settings.token_cache_entries,
        )

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    def remembers(self, credential: str) -> bool:
        """Whether this token verified here before and has not expired: no guess, so the
        failed-login gate checks its address's budget without reserving a point
        (security/login_guard.py). `verify` still decides; this only reads the cache."""
        return self._cache.holds(self._cache.digest(credential), self._clock())

    async def verify(self, credential: str, *, client_ip: str) -> Principal:
        """The principal of a valid token; raises `Unauthenticated` saying why otherwise."""
        digest = self._cache.digest(credential)
        cached = self._cache.get(digest, self._clock())
        if cached is not None:
            if await self._still_published(cached):
                return cached.principal
            self._cache.discard(digest)
        parts = credential.split(".")
        if len(parts) != 3 or not all(parts):
            raise _refuse(MALFORMED, "malformed", ip=client_ip)
        header = _segment(parts[0], "header", client_ip)
        unverified = _segment(parts[1], "payload", client_ip)
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in ASYMMETRIC_ALGORITHMS:
            raise _refuse(
                "The token's algorithm is not accepted", "algorithm", alg=alg, ip=client_ip
            )
        if kid is not None and not isinstance(kid, str):
            raise _refuse(MALFORMED, "kid type", ip=client_ip)
        typ = header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.lower() not in _TOKEN_TYPES):
            raise _refuse("The token is not an access token", "typ", typ=typ, ip=client_ip)
        claimed = unverified.get("iss")
        issuer = self._issuers.get(claimed) if isinstance(claimed, str) else None
        if issuer is None:
            raise _refuse("The token's issuer is not trusted", "issuer", ip=client_ip)
        if alg not in issuer.algorithms:
            raise _refuse(
                "The token's algorithm is not accepted", "algorithm", alg=alg, iss=issuer.issuer
            )
        claims, key = await self._verified_claims(credential, issuer, alg, kid, client_ip)
        principal = self._principal(claims, issuer)
        entry = CachedToken(principal, issuer.issuer, kid, key, float(claims["exp"]))
        self._cache.put(digest, entry)
        return principal

    async def _still_published(self, cached: CachedToken) -> bool:
        """Whether the issuer's current keys still hold the key object that verified a token."""
        issuer = self._issuers.get(cached.issuer)
        if issuer is None:
            return False
        try:
            key_set = await issuer.keys.key_set(cached.kid)
        except KeysUnavailable:
            return False  # the full check says so to the caller
        if cached.kid is None:
            candidates = list(key_set)
        else:
            candidates = [k for k in key_set if k.kid == cached.kid]
        return len(candidates) == 1 and candidates[0] is cached.key

    async def _verified_claims(
        self, credential: str, issuer: TrustedIssuer, alg: str, kid: str | None, ip: str
    ) -> tuple[dict[str, Any], Any]:
        context = {"iss": issuer.issuer, "kid": kid, "ip": ip}
        try:
            key_set = await issuer.keys.key_set(kid)
        except KeysUnavailable:
            raise _refuse(
                "The token's issuer cannot be reached to check it; try again shortly",
                "keys unavailable",
                **context,
            ) from None
        candidates = [k for k in key_set if k.kid == kid] if kid is not None else list(key_set)
        if len(candidates) != 1:
            raise _refuse("The token was signed with an unknown key", "unknown kid", **context)
        try:
            # Only the one algorithm the issuer allows and the header names; header names
            # outside the JOSE registry (some providers add their own) are tolerated.
            registry = JWSRegistry(algorithms=[alg], strict_check_header=False)
            token = jwt.decode(credential, candidates[0], algorithms=[alg], registry=registry)
        except (JoseError, ValueError, TypeError, KeyError):
            # joserfc raises plain Python errors on some malformed inputs; all are refusals.
            raise _refuse("The token's signature is invalid", "signature", **context) from None
        claims_registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()),
            leeway=self._skew,
            iss={"essential": True, "value": issuer.issuer},
            aud={"essential": True, "values": list(issuer.audiences)},
            sub={"essential": True},
            exp={"essential": True},
        )
        try:
            claims_registry.validate(token.claims)
        except ExpiredTokenError:
            raise _refuse("The token has expired", "expired", **context) from None
        except MissingClaimError as exc:
            raise _refuse(
                f"The token lacks the claim {exc.claim}", "missing claim", **context
            ) from None
        except (TypeError, ValueError, KeyError):  # a claim of the wrong JSON type
            raise _refuse("The token's claim set is invalid", "claim type", **context) from None
        except JoseError as exc:
            claim = getattr(exc, "claim", "")
            message = {
                "aud": "The token is not meant for this service",
                "nbf": "The token is not valid yet",
                "iat": "The token was issued in the future",
            }.get(claim, f"The token's claim {claim or 'set'} is invalid")
            raise _refuse(message, f"claim {claim}", **context) from None
        return token.claims, candidates[0]

    def _principal(self, claims: dict[str, Any], issuer: TrustedIssuer) -> Principal:
        roles = Role.parse_many(_strings(claim_at(claims, issuer.roles_claim)))
        amr = set(_strings(claims.get("amr")))
        acr = claims.get("acr")
        mfa = bool(amr & self._mfa_amr) or (isinstance(acr, str) and acr in self._mfa_acr)
        scopes = _strings(claims.get("scope")) or _strings(claims.get("scp"))
        kind: PrincipalKind = "client" if issuer.builtin and "client_id" in claims else "user"
        jti = claims.get("jti")
        return Principal(
            subject=str(claims["sub"]),
            roles=roles,
            kind=kind,
            issuer=issuer.issuer,
            mfa=mfa,
            credential_id=jti if isinstance(jti, str) else "",
            scopes=frozenset(scopes),
        )
