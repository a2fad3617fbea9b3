"""What every secrets backend shares: the `SecretsProvider` interface, the signing material it
returns, the one error it raises, and the names of the secrets (sfm_graphql/security/secrets.py
chooses the backend; docs/security.md, Identity, gives each backend's layout)."""

from __future__ import annotations

import abc
import asyncio
import base64
import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_KID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PEPPER_BYTES = 32
# File names of the `file` backend (and of the generated development secrets).
KEY_FILE_PREFIX = "jwt_signing_key."
KEY_FILE_SUFFIX = ".pem"
ACTIVE_KID_FILE = "jwt_active_kid"
RETIRED_KIDS_FILE = "jwt_retired_kids"
PEPPER_FILE = "api_key_pepper"
BACKUP_KEY_FILE = "backup_encryption_key"  # base64 of 32 bytes (docs/operations/)


class SecretsError(Exception):
    """A secret is missing, malformed or unreachable; the message names it, never its value."""


@dataclass(frozen=True, slots=True)
class SigningMaterial:
    """The signing key ring as stored: PEM private keys by kid, the active kid, retirements."""

    keys: Mapping[str, str] = field(repr=False)
    active_kid: str
    retired_at: Mapping[str, dt.datetime]
    source: str


def signing_material(
    keys: Mapping[str, str],
    active_kid: str | None,
    retired_at: Mapping[str, dt.datetime],
    *,
    source: str,
) -> SigningMaterial:
    """Check what a backend read and decide the active kid (the only key when there is one)."""
    if not keys:
        raise SecretsError(f"no JWT signing keys in {source}")
    for kid, pem in keys.items():
        if not _KID.match(kid):
            raise SecretsError(f"signing key id {kid!r} in {source} is not [A-Za-z0-9._-]{{1,64}}")
        if not isinstance(pem, str) or "PRIVATE KEY" not in pem:
            raise SecretsError(f"signing key {kid!r} in {source} is not a PEM private key")
    if active_kid is None:
        if len(keys) != 1:
            raise SecretsError(f"{source} holds several signing keys; name the active one")
        active_kid = next(iter(keys))
    if active_kid not in keys:
        raise SecretsError(f"the active signing key {active_kid!r} is not in {source}")
    if active_kid in retired_at:
        raise SecretsError(f"the active signing key {active_kid!r} is marked retired in {source}")
    aware = {kid: aware_utc(at) for kid, at in retired_at.items() if kid in keys}
    return SigningMaterial(dict(keys), active_kid, aware, source)


class SecretsProvider(abc.ABC):
    """Base of the backends: reads on demand; the pepper is read once and kept."""

    description = "secrets"

    def __init__(self) -> None:
        self._pepper: bytes | None = None
        self._pepper_lock = asyncio.Lock()

    @abc.abstractmethod
    async def signing_material(self) -> SigningMaterial:
        """The current key ring; read again on every call, so a rotation is picked up."""

    async def api_key_pepper(self) -> bytes:
        """The secret key of API-key hashes (at least 32 bytes), read once per process."""
        async with self._pepper_lock:
            if self._pepper is None:
                pepper = await self._read_pepper()
                if len(pepper) < MIN_PEPPER_BYTES:
                    raise SecretsError(
                        f"the API-key pepper in {self.description} is shorter than "
                        f"{MIN_PEPPER_BYTES} bytes"
                    )
                self._pepper = pepper
            return self._pepper

    @abc.abstractmethod
    async def _read_pepper(self) -> bytes:
        """The pepper as the backend stores it."""

    async def backup_key(self) -> bytes:
        """The AES-256 key of encrypted backups, read on every call (backups are rare)."""
        text = await self._read_backup_key()
        if not text:
            raise SecretsError(f"no backup encryption key in {self.description}")
        try:
            key = base64.b64decode(text, validate=True)
        except ValueError:
            raise SecretsError(
                f"the backup encryption key in {self.description} is not base64"
            ) from None
        if len(key) != 32:
            raise SecretsError(
                f"the backup encryption key in {self.description} is not 32 bytes (base64 of "
                "`openssl rand 32`)"
            )
        return key

    async def _read_backup_key(self) -> str | None:
        """The base64 backup key as the backend stores it, or None."""
        return None

    async def aclose(self) -> None:
        return None


def json_field(data: Mapping[str, Any], name: str, source: str, default: Any = None) -> Any:
    """A KV field that may hold a map or the same map as JSON text."""
    value = data.get(name, default)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise SecretsError(f"{name} in {source} is neither a map nor JSON") from None
    return value


def retired_map(value: Any, source: str) -> dict[str, dt.datetime]:
    if not isinstance(value, dict):
        raise SecretsError(f"jwt_retired_kids in {source} must map kids to ISO times")
    try:
        return {
            str(kid): aware_utc(dt.datetime.fromisoformat(str(at))) for kid, at in value.items()
        }
    except ValueError:
        raise SecretsError(
            f"jwt_retired_kids in {source} holds a time that is not ISO 8601"
        ) from None


def aware_utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)
