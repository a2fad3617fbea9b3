"""The one authorization mechanism: a role requirement on every root field.

`allow(Role.EDITOR)` gives the field extensions that refuse callers below that role; the
role x operation test walks every root field and fails when one has no rule.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from sfm_graphql.errors import Forbidden, Unauthenticated
from sfm_graphql.security.addresses import in_networks, parse_networks
from sfm_graphql.security.principal import Role


class RequireRole(BasePermission):
    """Caller must hold `role` (or a higher one); `sensitive` operations may also need MFA."""

    message = "Forbidden"

    def __init__(self, role: Role, *, sensitive: bool = False) -> None:
        self.role = role
        self.sensitive = sensitive

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        context = info.context
        principal = context.principal
        if principal.kind == "anonymous":
            raise Unauthenticated("Authentication required: send a bearer token or an API key")
        if not principal.has_role(self.role):
            raise Forbidden(f"This operation needs the {self.role.value} role")
        settings = context.settings
        if self.sensitive and settings.mfa_required_for_sensitive and not principal.mfa:
            raise Forbidden(
                "This operation needs a token obtained with multi-factor authentication"
            )
        if self.role is Role.ADMIN and settings.admin_allowed_cidrs:
            # The client a trusted proxy reports (authenticate.client_ip), never the proxy.
            allowed = parse_networks(settings.admin_allowed_cidrs)
            if not in_networks(context.client_ip, allowed):
                raise Forbidden("Admin operations are not allowed from this address")
        return True


def allow(role: Role, *, sensitive: bool = False) -> list[FieldExtension]:
    """Field extensions requiring `role`; use as `strawberry.field(..., extensions=allow(...))`."""
    return [
        PermissionExtension(
            permissions=[RequireRole(role, sensitive=sensitive)], use_directives=False
        )
    ]


def required_role(field: Any) -> RequireRole | None:
    """The role rule on a Strawberry field, if any (for the role x operation test)."""
    for extension in getattr(field, "extensions", []) or []:
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if isinstance(permission, RequireRole):
                    return permission
    return None
