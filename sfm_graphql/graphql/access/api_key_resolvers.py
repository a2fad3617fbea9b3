"""API key fields: a person manages their own keys, admins list and revoke every key, an API key
only itself and the keys made with it (security/api_key_rules.py)."""

from __future__ import annotations

import strawberry

from sfm_graphql.errors import BadUserInput, ServiceUnavailable, SfmError
from sfm_graphql.graphql.access.api_key_types import (
    API_KEY_TYPE,
    ApiKey,
    ApiKeySecretPayload,
    CreateApiKeyInput,
    RevokeApiKeyPayload,
)
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.ids import expect_global_id
from sfm_graphql.security.permissions import RequireRole
from sfm_graphql.security.principal import Role
from sfm_graphql.services.access import api_keys as service

_API_KEY_TYPES = frozenset({API_KEY_TYPE})


def _verifier(info: Info) -> service.ApiKeyVerifier:
    verifier = info.context.api_key_verifier
    if verifier is None:
        raise ServiceUnavailable("API keys are not available on this service")
    return verifier


def _acts_as_admin(info: Info) -> bool:
    """Admin rights over other people's keys pass the same rule as admin fields (role, MFA,
    admin address ranges); an admin failing it still manages their own keys."""
    if not info.context.principal.has_role(Role.ADMIN):
        return False
    try:
        return RequireRole(Role.ADMIN, sensitive=True).has_permission(None, info)
    except SfmError:
        return False


async def api_keys(info: Info, include_revoked: bool = False, first: int = 50) -> list[ApiKey]:
    limit = info.context.settings.max_page_size
    if not 1 <= first <= limit:
        raise BadUserInput(f"first must be between 1 and {limit}", field="first")
    principal = info.context.principal
    admin = _acts_as_admin(info)
    records = await service.list_api_keys(
        db=info.context.db,
        owner=None if admin else principal,
        include_revoked=include_revoked,
        limit=first,
        within_key=principal.credential_id if principal.kind == "api_key" and not admin else None,
    )
    return [ApiKey.of(r) for r in records]


async def create_api_key(info: Info, input: CreateApiKeyInput) -> ApiKeySecretPayload:  # noqa: A002
    verifier = _verifier(info)
    issued = await service.create_api_key(
        db=info.context.db,
        pepper=verifier.pepper,
        max_ttl_days=info.context.settings.api_key_max_ttl_days,
        creator=info.context.principal,
        name=input.name,
        roles=input.roles,
        expires_at=input.expires_at,
        allowed_cidrs=input.allowed_cidrs,
    )
    return ApiKeySecretPayload(key=issued.key, api_key=ApiKey.of(issued.record))


async def rotate_api_key(info: Info, id: strawberry.ID) -> ApiKeySecretPayload:  # noqa: A002
    verifier = _verifier(info)
    issued = await service.rotate_api_key(
        db=info.context.db,
        cache=verifier.cache,
        pepper=verifier.pepper,
        actor=info.context.principal,
        key_id=expect_global_id(id, _API_KEY_TYPES),
        may_manage_any=_acts_as_admin(info),
    )
    return ApiKeySecretPayload(key=issued.key, api_key=ApiKey.of(issued.record))


async def revoke_api_key(info: Info, id: strawberry.ID) -> RevokeApiKeyPayload:  # noqa: A002
    record = await service.revoke_api_key(
        db=info.context.db,
        cache=_verifier(info).cache,
        actor=info.context.principal,
        key_id=expect_global_id(id, _API_KEY_TYPES),
        may_manage_any=_acts_as_admin(info),
    )
    return RevokeApiKeyPayload(api_key=ApiKey.of(record))
