"""Who is calling, and with which roles.

Roles are ordered: each includes everything the roles below it may do
(viewer < analyst < editor < data_manager < admin).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal


class Role(enum.Enum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    EDITOR = "editor"
    DATA_MANAGER = "data_manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @classmethod
    def parse_many(cls, names: list[str] | tuple[str, ...] | set[str]) -> frozenset[Role]:
        """Known role names only; unknown ones are ignored (an issuer may send others)."""
        known = {r.value: r for r in cls}
        return frozenset(known[n] for n in names if n in known)


_RANKS = {role: rank for rank, role in enumerate(Role)}

PrincipalKind = Literal["user", "client", "api_key", "anonymous"]


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    kind: PrincipalKind
    issuer: str = ""
    mfa: bool = False
    credential_id: str = ""  # token jti or API key id, for the audit log
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def top_role(self) -> Role | None:
        return max(self.roles, key=lambda r: r.rank, default=None)

    def has_role_name(self, name: str) -> bool:
        return any(r.value == name for r in Role) and self.has_role(Role(name))

    def has_role(self, role: Role) -> bool:
        top = self.top_role
        return top is not None and top.rank >= role.rank


ANONYMOUS = Principal(subject="anonymous", roles=frozenset(), kind="anonymous")
