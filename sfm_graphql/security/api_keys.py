"""API keys for scripts and notebooks.

A key reads `sfmk_<keyId>_<secret>`: the key id is a UUID (public, it names the key), the secret
comes from `secrets.token_urlsafe(32)` and is shown once. Neo4j stores only
HMAC-SHA256(pepper, keyId:secret); the pepper comes from the secrets provider and never from the
graph, so a copy of the database alone verifies nothing. Each key has roles no higher than its
creator's, a required expiry (at most `api_key_max_ttl_days` ahead), optional allowed IP
ranges, and a last-use time written at most once a minute. `api_key_cache` makes a revocation
or a rotation visible to every replica at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sfm_graphql.db.database import Database
from sfm_graphql.errors import BadUserInput, Forbidden, NotFound, Unauthenticated
from sfm_graphql.security.api_key_cache import ApiKeyCache, Entry
from sfm_graphql.security.authenticate import API_KEY_PREFIX
from sfm_graphql.security.principal import Principal, Role
from sfm_graphql.security.secrets import SecretsProvider

log = logging.getLogger(__name__)

SECRET_BYTES = 32
MAX_NAME = 100
MAX_CIDRS = 20
TOUCH_INTERVAL_S = 60
_KEY_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{40,64}$")
Status = Literal["ACTIVE", "EXPIRED", "REVOKED"]


# -- pepper ---------------------------------------------------------------------------------------


async def api_key_pepper(*, secrets_provider: SecretsProvider) -> bytes:
    """The HMAC key of API key hashes: the one place that asks for it. The provider reads
    SFM_API_KEY_PEPPER, a mounted file or Vault; outside production, with none configured, it
    generates one into `local_secrets_dir` (mode 600) that every local process shares."""
    return await secrets_provider.api_key_pepper()


# -- key text -------------------------------------------------------------------------------------


def format_key(key_id: str, secret: str) -> str:
    return f"{API_KEY_PREFIX}{key_id}_{secret}"


def parse_key(credential: str) -> tuple[str, str]:
    """(key id, secret) of a well-formed key; anything else is UNAUTHENTICATED."""
    key_id, sep, secret = credential.removeprefix(API_KEY_PREFIX).partition("_")
    if (
        not credential.startswith(API_KEY_PREFIX)
        or not sep
        or not _KEY_ID.match(key_id)
        or not _SECRET.match(secret)
    ):
        raise Unauthenticated("Invalid API key")
    return key_id, secret


def hash_secret(pepper: bytes, key_id: str, secret: str) -> str:
    return hmac.new(pepper, f"{key_id}:{secret}".encode(), hashlib.sha256).hexdigest()


# -- records --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    name: str
    roles: frozenset[Role]
    expires_at: dt.datetime
    allowed_cidrs: tuple[str, ...]
    created_by: str
    created_by_issuer: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    rotated_at: dt.datetime | None
    secret_hash: str = field(repr=False)

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> ApiKeyRecord:
        return cls(
            id=props["id"],
            name=props["name"],
            roles=Role.parse_many(props.get("roles") or []),
            expires_at=props["expiresAt"],
            allowed_cidrs=tuple(props.get("allowedCidrs") or ()),
            created_by=props["createdBy"],
            created_by_issuer=props.get("createdByIssuer") or "",
            created_at=props["createdAt"],
            last_used_at=props.get("lastUsedAt"),
            revoked_at=props.get("revokedAt"),
            rotated_at=props.get("rotatedAt"),
            secret_hash=props["secretHash"],
        )

    def status(self, now: dt.datetime | None = None) -> Status:
        if self.revoked_at is not None:
            return "REVOKED"
        if self.expires_at <= (now or dt.datetime.now(dt.UTC)):
            return "EXPIRED"
        return "ACTIVE"

    def owned_by(self, principal: Principal) -> bool:
        return (self.created_by, self.created_by_issuer) == (principal.subject, principal.issuer)


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key as issued: `key` is the only time the secret exists outside the caller's hands."""

    key: str = field(repr=False)
    record: ApiKeyRecord


# -- validation -----------------------------------------------------------------------------------


def _name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise BadUserInput(f"name must be 1 to {MAX_NAME} characters", field="input.name")
    return name


def _roles(creator: Principal, roles: list[Role] | tuple[Role, ...]) -> frozenset[Role]:
    if not roles:
        raise BadUserInput("A key needs at least one role", field="input.roles")
    top = creator.top_role
    too_high = sorted(r.value for r in roles if top is None or r.rank > top.rank)
    if too_high:
        raise Forbidden(
            f"A key cannot carry roles above your own ({top.value if top else 'none'}): "
            + ", ".join(too_high),
            field="input.roles",
        )
    return frozenset(roles)


def _expiry(expires_at: dt.datetime, *, max_ttl_days: int, cap: dt.datetime | None) -> dt.datetime:
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=dt.UTC)  # a time without a zone is read as UTC
    now = dt.datetime.now(dt.UTC)
    if expires_at <= now:
        raise BadUserInput("expiresAt must be in the future", field="input.expiresAt")
    if expires_at > now + dt.timedelta(days=max_ttl_days):
        raise BadUserInput(
            f"expiresAt may be at most {max_ttl_days} days ahead", field="input.expiresAt"
        )
    if cap is not None and expires_at > cap:
        raise BadUserInput(
            "A key created with an API key cannot outlive that key "
            f"(it expires at {cap.isoformat()})",
            field="input.expiresAt",
        )
    return expires_at


def _cidrs(cidrs: list[str] | None) -> tuple[str, ...]:
    if not cidrs:
        return ()
    if len(cidrs) > MAX_CIDRS:
        raise BadUserInput(f"At most {MAX_CIDRS} IP ranges", field="input.allowedCidrs")
    try:
        return tuple(dict.fromkeys(str(ipaddress.ip_network(c, strict=False)) for c in cidrs))
    except ValueError as exc:
        raise BadUserInput(f"allowedCidrs: {exc}", field="input.allowedCidrs") from None


def ip_allowed(client_ip: str, cidrs: tuple[str, ...] | list[str]) -> bool:
    if not cidrs:
        return True
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(c, strict=False) for c in cidrs)


# -- service functions ----------------------------------------------------------------------------


async def get_api_key(*, db: Database, key_id: str) -> ApiKeyRecord | None:
    rows = await db.read("api_keys/get", id=key_id)
    return ApiKeyRecord.from_props(rows[0]["props"]) if rows else None


async def create_api_key(
    *,
    db: Database,
    pepper: bytes,
    max_ttl_days: int,
    creator: Principal,
    name: str,
    roles: list[Role] | tuple[Role, ...],
    expires_at: dt.datetime,
    allowed_cidrs: list[str] | None = None,
) -> IssuedKey:
    """Issue a key owned by `creator`; the returned `key` is not stored anywhere."""
    cap = None
    if creator.kind == "api_key":
        calling = await get_api_key(db=db, key_id=creator.credential_id)
        cap = calling.expires_at if calling else dt.datetime.now(dt.UTC)
    props = {
        "name": _name(name),
        "roles": sorted(r.value for r in _roles(creator, roles)),
        "expiresAt": _expiry(expires_at, max_ttl_days=max_ttl_days, cap=cap),
        "allowedCidrs": list(_cidrs(allowed_cidrs)),
        "createdBy": creator.subject,
        "createdByIssuer": creator.issuer,
    }
    key_id = str(uuid.uuid4())
    secret = secrets.token_urlsafe(SECRET_BYTES)
    rows = await db.write(
        "api_keys/create",
        props={**props, "id": key_id, "secretHash": hash_secret(pepper, key_id, secret)},
    )
    return IssuedKey(
        key=format_key(key_id, secret), record=ApiKeyRecord.from_props(rows[0]["props"])
    )


async def list_api_keys(
    *, db: Database, owner: Principal | None, include_revoked: bool, limit: int
) -> list[ApiKeyRecord]:
    """The keys of `owner`, or every key when `owner` is None (admins)."""
    rows = await db.read(
        "api_keys/list",
        createdBy=owner.subject if owner else None,
        createdByIssuer=owner.issuer if owner else None,
        includeRevoked=include_revoked,
        limit=limit,
    )
    return [ApiKeyRecord.from_props(r["props"]) for r in rows]


async def _managed(
    *, db: Database, key_id: str, actor: Principal, may_manage_any: bool
) -> ApiKeyRecord:
    record = await get_api_key(db=db, key_id=key_id)
    # Someone else's key reads as missing: its existence is not the caller's business.
    if record is None or not (may_manage_any or record.owned_by(actor)):
        raise NotFound("No API key of yours has this id", field="id")
    return record


async def rotate_api_key(
    *,
    db: Database,
    cache: ApiKeyCache,
    pepper: bytes,
    actor: Principal,
    key_id: str,
    may_manage_any: bool,
) -> IssuedKey:
    """A new secret for the key; the old one is refused from now on, on every replica."""
    record = await _managed(db=db, key_id=key_id, actor=actor, may_manage_any=may_manage_any)
    if record.status() != "ACTIVE":
        raise BadUserInput(f"The key is {record.status().lower()}; create a new one", field="id")
    secret = secrets.token_urlsafe(SECRET_BYTES)
    rows = await db.write(
        "api_keys/rotate", id=key_id, secretHash=hash_secret(pepper, key_id, secret)
    )
    await cache.invalidate(key_id)
    if not rows:
        raise BadUserInput("The key was revoked meanwhile", field="id")
    return IssuedKey(
        key=format_key(key_id, secret), record=ApiKeyRecord.from_props(rows[0]["props"])
    )


async def revoke_api_key(
    *, db: Database, cache: ApiKeyCache, actor: Principal, key_id: str, may_manage_any: bool
) -> ApiKeyRecord:
    """Revoke the key (idempotent); refused from now on, on every replica."""
    await _managed(db=db, key_id=key_id, actor=actor, may_manage_any=may_manage_any)
    rows = await db.write("api_keys/revoke", id=key_id)
    await cache.invalidate(key_id)
    return ApiKeyRecord.from_props(rows[0]["props"])


# -- verification ---------------------------------------------------------------------------------


def _entry(record: ApiKeyRecord | None) -> Entry:
    if record is None:
        return {"missing": True}
    return {
        "secretHash": record.secret_hash,
        "roles": sorted(r.value for r in record.roles),
        "expiresAt": record.expires_at.isoformat(),
        "revoked": record.revoked_at is not None,
        "allowedCidrs": list(record.allowed_cidrs),
        "createdBy": record.created_by,
        "createdByIssuer": record.created_by_issuer,
    }


class ApiKeyVerifier:
    """`CredentialVerifier` for API keys; also holds what the key mutations need."""

    def __init__(
        self,
        *,
        db: Database,
        cache: ApiKeyCache,
        pepper: bytes,
        cache_observer: Callable[[str, bool], None] | None = None,
    ) -> None:
        self.db = db
        self.cache = cache
        self.pepper = pepper
        self._observe_cache = cache_observer  # told ("api_key", hit) on every lookup

    async def verify(self, credential: str, *, client_ip: str) -> Principal:
        key_id, secret = parse_key(credential)
        entry = await self._load(key_id)
        expected = entry.get("secretHash")
        # Compared in constant time; an unknown id still costs one HMAC, like a known one.
        given = hash_secret(self.pepper, key_id, secret)
        if not isinstance(expected, str) or not hmac.compare_digest(expected, given):
            raise Unauthenticated("Invalid API key")
        if entry["revoked"]:
            raise Unauthenticated("This API key has been revoked")
        if dt.datetime.fromisoformat(entry["expiresAt"]) <= dt.datetime.now(dt.UTC):
            raise Unauthenticated("This API key has expired")
        if not ip_allowed(client_ip, entry["allowedCidrs"]):
            raise Unauthenticated("This API key may not be used from this address")
        await self._touch(key_id)
        return Principal(
            subject=entry["createdBy"],
            roles=Role.parse_many(entry["roles"]),
            kind="api_key",
            issuer=entry["createdByIssuer"],
            credential_id=key_id,
        )

    async def _load(self, key_id: str) -> Entry:
        cached = await self.cache.get(key_id)
        if self._observe_cache is not None:
            self._observe_cache("api_key", cached is not None)
        if cached is not None:
            return cached
        generation = await self.cache.generation(key_id)  # before the read: see api_key_cache
        record = await get_api_key(db=self.db, key_id=key_id)
        entry = _entry(record)
        if record is not None or generation is not None:  # unknown ids are cached in Redis only
            await self.cache.put(key_id, entry, generation)
        return entry

    async def _touch(self, key_id: str) -> None:
        if not await self.cache.claim_touch(key_id, TOUCH_INTERVAL_S):
            return
        try:
            await self.db.write("api_keys/touch", id=key_id)
        except Exception as exc:  # noqa: BLE001 (a missed last-use time must not refuse the key)
            log.warning("could not record the use of API key %s: %s", key_id, type(exc).__name__)
