"""Who may make and manage which API key (docs/security.md, "API keys").

A key is never worth more than the credential that made or manages it:
- a key made with an API key inherits that key's address ranges (the intersection with those
  asked for), cannot outlive it, and is revoked with it; one made with an OAuth client's token
  cannot outlive the client and is revoked with it (`Lineage`);
- an API key manages keys (create, rotate, revoke) only when it carries `KEY_MANAGER_ROLE`, and
  then only itself and the keys derived from it, never its owner's other keys;
- rotating a key (which hands out its new secret) needs a credential holding at least the key's
  roles, and only the owner receives a secret: admins revoke other people's keys, never rotate.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from sfm_graphql.errors import BadUserInput, Forbidden
from sfm_graphql.security.principal import Principal, Role

# Key management is account administration: a script's key that can mint or re-key credentials
# is worth stealing, so only an admin key does it; people manage their keys with their token.
KEY_MANAGER_ROLE = Role.ADMIN
MAX_NAME = 100
MAX_CIDRS = 20

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Lineage:
    """What a new key inherits from the credential that makes it."""

    parent_key_id: str | None = None
    ancestor_key_ids: tuple[str, ...] = ()  # oldest first, the parent last
    parent_client_id: str | None = None
    allowed_cidrs: tuple[str, ...] = ()  # the parent key's ranges; empty: anywhere
    expires_by: dt.datetime | None = None  # the latest expiry the new key may have

    def props(self) -> dict[str, object]:
        return {
            "parentKeyId": self.parent_key_id,
            "ancestorKeyIds": list(self.ancestor_key_ids),
            "parentClientId": self.parent_client_id,
        }


def networks(cidrs: tuple[str, ...] | list[str]) -> list[Network]:
    return [ipaddress.ip_network(c, strict=False) for c in cidrs]


def _within(inner: Network, outer: Network) -> bool:
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]  # same IP version, checked just before


def intersect_cidrs(parent: tuple[str, ...], asked: tuple[str, ...]) -> tuple[str, ...]:
    """The ranges a derived key gets: those asked for, narrowed to the parent's (empty: anywhere).

    CIDR blocks either nest or are disjoint, so each overlap is the smaller of a pair.
    """
    if not parent:
        return asked
    if not asked:
        return parent
    overlap: list[str] = []
    for a in networks(asked):
        for p in networks(parent):
            if _within(a, p):
                overlap.append(str(a))
            elif _within(p, a):
                overlap.append(str(p))
    if not overlap:
        raise BadUserInput(
            "allowedCidrs: none of these ranges lies within those of the API key you are using ("
            + ", ".join(parent)
            + ")",
            field="input.allowedCidrs",
        )
    return tuple(dict.fromkeys(overlap))


def require_key_manager(actor: Principal) -> None:
    """API keys below `KEY_MANAGER_ROLE` manage no keys at all (tokens are not limited here)."""
    if actor.kind == "api_key" and not actor.has_role(KEY_MANAGER_ROLE):
        raise Forbidden(
            f"An API key manages API keys only when it carries the {KEY_MANAGER_ROLE.value} "
            "role; sign in with your account to manage your keys"
        )


def require_roles_at_least(actor: Principal, roles: frozenset[Role]) -> None:
    top = actor.top_role
    needed = max(roles, key=lambda r: r.rank, default=None)
    if needed is not None and (top is None or top.rank < needed.rank):
        raise Forbidden(
            f"Rotating this key needs a credential with at least its roles ({needed.value})"
        )


# -- the fields of a new key ----------------------------------------------------------------------


def check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise BadUserInput(f"name must be 1 to {MAX_NAME} characters", field="input.name")
    return name


def check_roles(creator: Principal, roles: list[Role] | tuple[Role, ...]) -> frozenset[Role]:
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


def check_expiry(
    expires_at: dt.datetime, *, max_ttl_days: int, cap: dt.datetime | None
) -> dt.datetime:
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
            "A key cannot outlive the API key or OAuth client it is made with "
            f"(that expires at {cap.isoformat()})",
            field="input.expiresAt",
        )
    return expires_at


def check_cidrs(cidrs: list[str] | None) -> tuple[str, ...]:
    if not cidrs:
        return ()
    if len(cidrs) > MAX_CIDRS:
        raise BadUserInput(f"At most {MAX_CIDRS} IP ranges", field="input.allowedCidrs")
    try:
        return tuple(dict.fromkeys(str(ipaddress.ip_network(c, strict=False)) for c in cidrs))
    except ValueError as exc:
        raise BadUserInput(f"allowedCidrs: {exc}", field="input.allowedCidrs") from None
