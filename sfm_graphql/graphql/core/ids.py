"""Relay global ids: opaque base64 of `TypeName:uuid`."""

from __future__ import annotations

import base64
import binascii
import re

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.errors import BadUserInput

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_ID_LENGTH = 200
# The global-id type names of components: one GraphQL type per component type.
COMPONENT_TYPE_NAMES = frozenset(t.label for t in ComponentType)


def to_global_id(type_name: str, local_id: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{local_id}".encode()).decode().rstrip("=")


def from_global_id(global_id: str, *, field: str = "id") -> tuple[str, str]:
    """(type name, uuid) of a global id, or BAD_USER_INPUT when it is not one of ours."""
    if not isinstance(global_id, str) or len(global_id) > MAX_ID_LENGTH:
        raise BadUserInput(f"{field}: not a valid id", field=field)
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        decoded = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadUserInput(f"{field}: not a valid id", field=field) from None
    type_name, _, local_id = decoded.partition(":")
    if not type_name or not _UUID.match(local_id):
        raise BadUserInput(f"{field}: not a valid id", field=field)
    return type_name, local_id


def expect_global_id(
    global_id: str, allowed: set[str] | frozenset[str], *, field: str = "id"
) -> str:
    """The uuid of a global id whose type is one of `allowed`."""
    type_name, local_id = from_global_id(global_id, field=field)
    if type_name not in allowed:
        raise BadUserInput(
            f"{field}: expected the id of a {' or '.join(sorted(allowed))}", field=field
        )
    return local_id
