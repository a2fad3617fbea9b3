"""Field-level authorization of personal data: who reads an individual actor's personal fields.

The personal fields are the `SFM_PERSONAL_FIELDS` paths (the same list the audit log and the
logs mask) inside an Actor's `metadata`: `metadata.name` is the key `name` of the metadata map,
a one-part path such as `email` is a key of that name at any depth. Callers holding
`SFM_PERSONAL_DATA_ROLE` (default data_manager, so data managers and admins) read them; everyone
else reads the stable placeholder `MASK` in their place, on every path that returns an Actor
(`node`, `nodes`, `search`, connections, matrices, payloads) and in `exportGraph`. The key stays
visible, so a client can tell "masked" from "absent"; null is not used because it reads as
"no value recorded".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sfm_graphql.security.masking import MASK
from sfm_graphql.security.principal import Principal, Role
from sfm_graphql.settings import Settings

ROOT = "metadata"


def may_read_personal_data(principal: Principal, settings: Settings) -> bool:
    return principal.has_role(Role(settings.personal_data_role))


def _paths(fields: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(part.lower() for part in f.split(".") if part) for f in fields)


def _personal(path: tuple[str, ...], personal: tuple[tuple[str, ...], ...]) -> bool:
    return any(p and len(p) <= len(path) and path[-len(p) :] == p for p in personal)


def mask_personal(metadata: Any, personal_fields: Iterable[str]) -> Any:
    """A copy of an Actor's `metadata` with every personal value replaced by `MASK`."""
    return _mask(metadata, (ROOT,), _paths(personal_fields))


def _mask(value: Any, path: tuple[str, ...], personal: tuple[tuple[str, ...], ...]) -> Any:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            child = (*path, str(key).lower())
            out[str(key)] = (
                MASK
                if item is not None and _personal(child, personal)
                else _mask(item, child, personal)
            )
        return out
    if isinstance(value, list):
        return [_mask(item, path, personal) for item in value]
    return value


def restore_masked(incoming: Any, stored: Any) -> Any:
    """`incoming` metadata with each `MASK` put back to the stored value at the same place, so
    a client that cannot read personal fields does not erase them by sending back what it read."""
    if isinstance(incoming, Mapping):
        previous = stored if isinstance(stored, Mapping) else {}
        return {
            key: (
                previous[key]
                if item == MASK and key in previous
                else restore_masked(item, previous.get(key))
            )
            for key, item in incoming.items()
        }
    return incoming
