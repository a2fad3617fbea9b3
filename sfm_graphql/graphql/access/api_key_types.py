"""API key types: a key's metadata, and the payloads that show a secret once."""

from __future__ import annotations

import datetime as dt
import enum

import strawberry
from strawberry.types.enum import has_enum_definition

from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.security.principal import Role
from sfm_graphql.services.access.api_keys import ApiKeyRecord

API_KEY_TYPE = "ApiKey"

# Registered in place, once, whichever module of the schema gets here first.
if not has_enum_definition(Role):
    strawberry.enum(Role, description="Roles, each including those below it.")


@strawberry.enum
class ApiKeyStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


@strawberry.type(description="An API key's metadata; the secret is never shown again.")
class ApiKey:
    id: strawberry.ID
    key_id: str = strawberry.field(description="The public part of the key: sfmk_<keyId>_…")
    name: str
    roles: list[Role]
    status: ApiKeyStatus
    expires_at: dt.datetime
    allowed_cidrs: list[str] = strawberry.field(
        description="IP ranges the key may be used from; empty means anywhere."
    )
    created_by: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None = strawberry.field(
        description="Updated at most once a minute."
    )
    rotated_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, record: ApiKeyRecord) -> ApiKey:
        return cls(
            id=strawberry.ID(to_global_id(API_KEY_TYPE, record.id)),
            key_id=record.id,
            name=record.name,
            roles=sorted(record.roles, key=lambda r: r.rank),
            status=ApiKeyStatus(record.status()),
            expires_at=record.expires_at,
            allowed_cidrs=list(record.allowed_cidrs),
            created_by=record.created_by,
            created_at=record.created_at,
            last_used_at=record.last_used_at,
            rotated_at=record.rotated_at,
            revoked_at=record.revoked_at,
        )


@strawberry.input
class CreateApiKeyInput:
    name: str
    roles: list[Role] = strawberry.field(description="No higher than your own top role.")
    expires_at: dt.datetime = strawberry.field(
        description="Required; at most api_key_max_ttl_days ahead. Without a zone, UTC."
    )
    allowed_cidrs: list[str] | None = strawberry.field(
        default=None, description="Refuse the key from any other address."
    )


@strawberry.type(description="A key with its secret. Store `key` now: it is shown only once.")
class ApiKeySecretPayload:
    key: str = strawberry.field(description="sfmk_<keyId>_<secret>; send it as X-API-Key.")
    api_key: ApiKey


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey
