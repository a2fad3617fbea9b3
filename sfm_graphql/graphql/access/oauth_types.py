"""OAuth client types: a client's metadata, and the payloads that show a secret once."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.types.enum import has_enum_definition

from sfm_graphql.security.principal import Role
from sfm_graphql.services.access.oauth_clients import OAuthClientRecord

# Registered in place, once, whichever module of the schema gets here first.
if not has_enum_definition(Role):
    strawberry.enum(Role, description="Roles, each including those below it.")


@strawberry.type(
    description="A machine client of the built-in authorization server (client_credentials)."
)
class OAuthClient:
    client_id: str
    name: str
    roles: list[Role] = strawberry.field(description="The roles of every token it gets.")
    active: bool = strawberry.field(description="Neither revoked nor expired.")
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    secret_rotated_at: dt.datetime | None

    @classmethod
    def of(cls, record: OAuthClientRecord) -> OAuthClient:
        return cls(
            client_id=record.client_id,
            name=record.name,
            roles=sorted(Role.parse_many(record.roles), key=lambda r: r.rank),
            active=record.is_active(),
            created_by=record.created_by,
            created_at=record.created_at,
            expires_at=record.expires_at,
            revoked_at=record.revoked_at,
            secret_rotated_at=record.secret_rotated_at,
        )


@strawberry.input
class RegisterOAuthClientInput:
    name: str = strawberry.field(description="What the client is, for people; 1 to 100 characters.")
    roles: list[Role]
    expires_at: dt.datetime | None = strawberry.field(
        default=None, description="After this the client gets no tokens. Without a zone, UTC."
    )


@strawberry.type(
    description="A client with its secret. Store `clientSecret` now: it is shown only once."
)
class OAuthClientSecretPayload:
    client_id: str
    client_secret: str = strawberry.field(
        description="Send it with client_id to POST /oauth/token (HTTP Basic or form fields)."
    )
    client: OAuthClient


@strawberry.type
class RevokeOAuthClientPayload:
    client: OAuthClient
