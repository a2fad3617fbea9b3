"""Machine clients of the built-in authorization server, stored as `:OAuthClient` nodes.

A client secret is 256 random bits, shown once; Neo4j keeps only its scrypt hash. (A random
secret that long cannot be guessed whatever the hash; scrypt makes a leaked hash useless
offline on top of that.) Admins register, list, rotate and revoke clients through GraphQL.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sfm_graphql.db.database import Database
from sfm_graphql.errors import BadUserInput, Conflict, NotFound
from sfm_graphql.security.principal import Role
from sfm_graphql.security.signing import role_names

CLIENT_ID_PREFIX = "sfmc_"
MAX_CLIENT_ID_LENGTH = 64
MAX_NAME_LENGTH = 100
GRANT_TYPE = "client_credentials"
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
# scrypt cost: 16 MiB and ~40 ms per check; parameters are stored with each hash.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


class ScryptGauge:
    """How many scrypt computations run at this moment, and the most seen at once.

    Secret checks run in worker threads, hence the lock. `sfm_graphql.security.secret_checks`
    bounds the concurrency; this counts what actually runs, so the bound can be observed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def __enter__(self) -> None:
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self.running -= 1

    def reset_peak(self) -> None:
        with self._lock:
            self.peak = self.running


SCRYPT_RUNNING = ScryptGauge()


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return "$".join(
        ["scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), _b64(salt), _b64(digest)]
    )


def verify_secret(secret: str, encoded: str) -> bool:
    """Whether `secret` matches the stored hash (compared in constant time)."""
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != "scrypt":
            return False
        with SCRYPT_RUNNING:
            digest = hashlib.scrypt(
                secret.encode(),
                salt=_unb64(salt),
                n=int(n),
                r=int(r),
                p=int(p),
                dklen=len(_unb64(expected)),
                maxmem=256 * 1024 * 1024,
            )
    except ValueError:
        return False
    return hmac.compare_digest(digest, _unb64(expected))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class OAuthClientRecord:
    """A stored client. Also the client model Authlib's server asks (duck-typed ClientMixin)."""

    client_id: str
    name: str
    roles: tuple[str, ...]
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    secret_rotated_at: dt.datetime | None = None
    secret_hash: str = field(default="", repr=False)

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> OAuthClientRecord:
        return cls(
            client_id=props["clientId"],
            name=props.get("name", ""),
            roles=tuple(props.get("roles") or ()),
            created_at=props["createdAt"],
            created_by=props.get("createdBy", ""),
            expires_at=props.get("expiresAt"),
            revoked_at=props.get("revokedAt"),
            secret_rotated_at=props.get("secretRotatedAt"),
            secret_hash=props.get("secretHash", ""),
        )

    def is_active(self, now: dt.datetime | None = None) -> bool:
        now = now or dt.datetime.now(dt.UTC)
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    # -- what Authlib's AuthorizationServer asks of a client ---------------------------------

    def get_client_id(self) -> str:
        return self.client_id

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(self.secret_hash) and verify_secret(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == GRANT_TYPE

    def get_allowed_scope(self, scope: str) -> str:
        return ""  # roles, not scopes, say what a client may do


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + secrets.token_hex(12)


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


def _validated(
    name: str, roles: Sequence[Role | str], expires_at: dt.datetime | None
) -> dict[str, Any]:
    errors = []
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        errors.append({"field": "name", "message": f"1 to {MAX_NAME_LENGTH} characters"})
    names: list[str] = []
    try:
        names = role_names(roles)
    except ValueError as exc:
        errors.append({"field": "roles", "message": str(exc)})
    if not roles:
        errors.append({"field": "roles", "message": "at least one role"})
    if expires_at is not None:
        expires_at = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=dt.UTC)
        if expires_at <= dt.datetime.now(dt.UTC):
            errors.append({"field": "expiresAt", "message": "must be in the future"})
    if errors:
        raise BadUserInput.for_fields(errors)
    return {"clientName": name, "roles": names, "expiresAt": expires_at}


async def register_client(
    *,
    db: Database,
    name: str,
    roles: Sequence[Role | str],
    expires_at: dt.datetime | None,
    created_by: str,
) -> tuple[OAuthClientRecord, str]:
    """A new client and its secret (returned once, stored only hashed).

    Any role may be granted: only admins register clients and admin is the highest role.
    """
    fields = _validated(name, roles, expires_at)
    secret = new_client_secret()
    rows = await db.write(
        "oauth/create",
        clientId=new_client_id(),
        secretHash=hash_secret(secret),
        createdBy=created_by,
        **fields,
    )
    return OAuthClientRecord.from_props(rows[0]["props"]), secret


async def get_client(*, db: Database, client_id: str) -> OAuthClientRecord | None:
    if not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH:
        return None
    rows = await db.read("oauth/get", clientId=client_id)
    return OAuthClientRecord.from_props(rows[0]["props"]) if rows else None


async def list_clients(
    *, db: Database, include_revoked: bool, limit: int
) -> list[OAuthClientRecord]:
    rows = await db.read("oauth/list", includeRevoked=include_revoked, limit=limit)
    return [OAuthClientRecord.from_props(r["props"]) for r in rows]


async def revoke_client(*, db: Database, client_id: str) -> OAuthClientRecord:
    rows = await db.write("oauth/revoke", clientId=client_id)
    if not rows:
        raise NotFound(f"No OAuth client {client_id!r}")
    return OAuthClientRecord.from_props(rows[0]["props"])


async def rotate_client_secret(*, db: Database, client_id: str) -> tuple[OAuthClientRecord, str]:
    """A new secret for the client; the old one stops working at once."""
    current = await get_client(db=db, client_id=client_id)
    if current is None:
        raise NotFound(f"No OAuth client {client_id!r}")
    if current.revoked_at is not None:
        raise Conflict("A revoked client cannot get a new secret; register a new client")
    secret = new_client_secret()
    rows = await db.write("oauth/rotate_secret", clientId=client_id, secretHash=hash_secret(secret))
    if not rows:  # revoked between the read and the write
        raise Conflict("A revoked client cannot get a new secret; register a new client")
    return OAuthClientRecord.from_props(rows[0]["props"]), secret
