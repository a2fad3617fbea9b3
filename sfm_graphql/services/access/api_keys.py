"""API keys for scripts and notebooks.

A key reads `sfmk_<keyId>_<secret>`: the key id is a UUID (public, it names the key), the secret
comes from `secrets.token_urlsafe(32)` and is shown once. Neo4j stores only
HMAC-SHA256(pepper, keyId:secret); the pepper comes from the secrets provider and never from the
graph, so a copy of the database alone verifies nothing. Each key has roles no higher than its
creator's, a required expiry (at most `api_key_max_ttl_days` ahead), optional allowed IP
ranges, and a last-use time written at most once a minute. `api_key_cache` makes a revocation
or a rotation visible to every replica at once. Who may make and manage which key, and what a
derived key inherits from its parent, is `api_key_rules`.
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

from sfm_graphql.db.database import Database, Row
from sfm_graphql.db.transaction import Transaction
from sfm_graphql.errors import BadUserInput, Forbidden, NotFound, Unauthenticated
from sfm_graphql.security.api_key_cache import ApiKeyCache, Entry
from sfm_graphql.security.api_key_rules import (
    Lineage,
    check_cidrs,
    check_expiry,
    check_name,
    check_roles,
    intersect_cidrs,
    require_key_manager,
    require_roles_at_least,
)
from sfm_graphql.security.authenticate import API_KEY_PREFIX
from sfm_graphql.security.principal import Principal, Role
from sfm_graphql.security.secret_provider import SecretsProvider
from sfm_graphql.services.access.oauth_clients import get_client

log = logging.getLogger(__name__)

SECRET_BYTES = 32
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
    parent_key_id: str | None = None  # the API key this key was made with
    ancestor_key_ids: tuple[str, ...] = ()  # every key it descends from, oldest first
    parent_client_id: str | None = None  # the OAuth client whose token made it (or an ancestor)

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
            parent_key_id=props.get("parentKeyId"),
            ancestor_key_ids=tuple(props.get("ancestorKeyIds") or ()),
            parent_client_id=props.get("parentClientId"),
        )

    def status(self, now: dt.datetime | None = None) -> Status:
        if self.revoked_at is not None:
            return "REVOKED"
        if self.expires_at <= (now or dt.datetime.now(dt.UTC)):
            return "EXPIRED"
        return "ACTIVE"

    def owned_by(self, principal: Principal) -> bool:
        return (self.created_by, self.created_by_issuer) == (principal.subject, principal.issuer)

    def is_or_descends_from(self, key_id: str) -> bool:
        return key_id == self.id or key_id in self.ancestor_key_ids


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key as issued: `key` is the only time the secret exists outside the caller's hands."""

    key: str = field(repr=False)
    record: ApiKeyRecord


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


async def lineage_of(*, db: Database, creator: Principal) -> Lineage:
    """What a key made by `creator` inherits (api_key_rules.Lineage); nothing from a person."""
    if creator.kind == "api_key":
        parent = await get_api_key(db=db, key_id=creator.credential_id)
        if parent is None or parent.status() != "ACTIVE":
            raise Unauthenticated("The API key you are using is no longer valid")
        return Lineage(
            parent_key_id=parent.id,
            ancestor_key_ids=(*parent.ancestor_key_ids, parent.id),
            parent_client_id=parent.parent_client_id,
            allowed_cidrs=parent.allowed_cidrs,
            expires_by=parent.expires_at,
        )
    if creator.kind == "client":
        client = await get_client(db=db, client_id=creator.subject)
        if client is None or not client.is_active():
            raise Unauthenticated("The OAuth client of this token is no longer active")
        return Lineage(parent_client_id=client.client_id, expires_by=client.expires_at)
    return Lineage()


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
    require_key_manager(creator)
    lineage = await lineage_of(db=db, creator=creator)
    props = {
        "name": check_name(name),
        "roles": sorted(r.value for r in check_roles(creator, roles)),
        "expiresAt": check_expiry(expires_at, max_ttl_days=max_ttl_days, cap=lineage.expires_by),
        "allowedCidrs": list(intersect_cidrs(lineage.allowed_cidrs, check_cidrs(allowed_cidrs))),
        "createdBy": creator.subject,
        "createdByIssuer": creator.issuer,
        **lineage.props(),
    }
    key_id = str(uuid.uuid4())
    secret = secrets.token_urlsafe(SECRET_BYTES)
    rows = await db.write(
        "api_keys/create",
        props={**props, "id": key_id, "secretHash": hash_secret(pepper, key_id, secret)},
    )
    if not rows:  # a parent was revoked (or expired) while the key was being made
        raise Unauthenticated("The credential you are using was revoked meanwhile")
    return IssuedKey(
        key=format_key(key_id, secret), record=ApiKeyRecord.from_props(rows[0]["props"])
    )


async def list_api_keys(
    *,
    db: Database,
    owner: Principal | None,
    include_revoked: bool,
    limit: int,
    within_key: str | None = None,
) -> list[ApiKeyRecord]:
    """The keys of `owner` (None: every key); with `within_key`, that key and those made with it."""
    rows = await db.read(
        "api_keys/list",
        createdBy=owner.subject if owner else None,
        createdByIssuer=owner.issuer if owner else None,
        keyId=within_key,
        includeRevoked=include_revoked,
        limit=limit,
    )
    return [ApiKeyRecord.from_props(r["props"]) for r in rows]


async def _managed(
    *, db: Database, key_id: str, actor: Principal, may_manage_any: bool
) -> ApiKeyRecord:
    require_key_manager(actor)
    record = await get_api_key(db=db, key_id=key_id)
    # Someone else's key reads as missing: its existence is not the caller's business.
    if record is None or not (may_manage_any or record.owned_by(actor)):
        raise NotFound("No API key of yours has this id", field="id")
    if (
        actor.kind == "api_key"
        and record.owned_by(actor)
        and not record.is_or_descends_from(actor.credential_id)
    ):
        # A leaked key must not reach its owner's other (stronger, unrestricted) keys.
        raise Forbidden(
            "An API key manages only itself and the keys made with it; sign in with your "
            "account to manage your other keys",
            field="id",
        )
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
    """A new secret for the key, for its owner only; the old one is refused on every replica."""
    record = await _managed(db=db, key_id=key_id, actor=actor, may_manage_any=may_manage_any)
    if not record.owned_by(actor):
        raise Forbidden(
            "Only the owner of a key can rotate it (the new secret would let you act as "
            "them); revoke it instead",
            field="id",
        )
    require_roles_at_least(actor, record.roles)
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
    """Revoke the key and the keys derived from it (idempotent), on every replica at once."""

    async def work(tx: Transaction) -> tuple[list[Row], list[Row]]:
        # One transaction, the parent first: its write lock orders this against api_keys/create.
        parent = await tx.run("api_keys/revoke", id=key_id)
        return parent, await tx.run("api_keys/revoke_derived", keyId=key_id, clientId=None)

    await _managed(db=db, key_id=key_id, actor=actor, may_manage_any=may_manage_any)
    rows, derived = await db.write_transaction(work)
    await cache.invalidate_many([key_id, *(row["id"] for row in derived)])
    return ApiKeyRecord.from_props(rows[0]["props"])


async def revoke_keys_of_client(
    *, db: Database, cache: ApiKeyCache | None, client_id: str
) -> list[str]:
    """Revoke the keys made with a (just revoked) OAuth client's tokens; their ids."""
    rows = await db.write("api_keys/revoke_derived", keyId=None, clientId=client_id)
    ids = [str(row["id"]) for row in rows]
    if cache is not None:
        await cache.invalidate_many(ids)
    return ids


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
        cache_observer: Callable[[str, bool], None] | None = None,  # told ("api_key", hit)
    ) -> None:
        self.db, self.cache, self.pepper, self._observe_cache = db, cache, pepper, cache_observer

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
