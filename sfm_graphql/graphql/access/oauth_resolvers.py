"""OAuth client fields, for admins only (the rule is on the schema fields)."""

from __future__ import annotations

from sfm_graphql.errors import BadUserInput
from sfm_graphql.graphql.access.oauth_types import (
    OAuthClient,
    OAuthClientSecretPayload,
    RegisterOAuthClientInput,
    RevokeOAuthClientPayload,
)
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.services.access import api_keys
from sfm_graphql.services.access import oauth_clients as service


async def oauth_clients(
    info: Info, include_revoked: bool = False, first: int = 50
) -> list[OAuthClient]:
    limit = info.context.settings.max_page_size
    if not 1 <= first <= limit:
        raise BadUserInput(f"first must be between 1 and {limit}", field="first")
    records = await service.list_clients(
        db=info.context.db, include_revoked=include_revoked, limit=first
    )
    return [OAuthClient.of(r) for r in records]


async def register_oauth_client(
    info: Info,
    input: RegisterOAuthClientInput,  # noqa: A002 (GraphQL argument name)
) -> OAuthClientSecretPayload:
    record, secret = await service.register_client(
        db=info.context.db,
        name=input.name,
        roles=input.roles,
        expires_at=input.expires_at,
        created_by=info.context.principal.subject,
    )
    return OAuthClientSecretPayload(
        client_id=record.client_id, client_secret=secret, client=OAuthClient.of(record)
    )


async def rotate_oauth_client_secret(info: Info, client_id: str) -> OAuthClientSecretPayload:
    record, secret = await service.rotate_client_secret(db=info.context.db, client_id=client_id)
    return OAuthClientSecretPayload(
        client_id=record.client_id, client_secret=secret, client=OAuthClient.of(record)
    )


async def revoke_oauth_client(info: Info, client_id: str) -> RevokeOAuthClientPayload:
    record = await service.revoke_client(db=info.context.db, client_id=client_id)
    # Keys made with the client's tokens must not outlive it (docs/security.md, API keys).
    verifier = info.context.api_key_verifier
    await api_keys.revoke_keys_of_client(
        db=info.context.db,
        cache=verifier.cache if verifier is not None else None,
        client_id=record.client_id,
    )
    return RevokeOAuthClientPayload(client=OAuthClient.of(record))
