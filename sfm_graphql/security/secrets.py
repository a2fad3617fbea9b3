"""Where secrets come from: the environment, mounted files or Vault, chosen by `secrets_backend`.

Two secrets are served: the signing key ring of the built-in authorization server (PEM private
keys by kid, which one is active, when the others were retired) and the pepper that API-key
hashes are keyed with. The layout each backend expects is in docs/security.md (Identity).

With the `env` backend and nothing configured outside production, a key and a pepper are
generated once into `local_secrets_dir` (mode 600) and read from there like mounted files, so
`make run`, the `token` command and the tests share them. Production never generates secrets.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import datetime as dt
import fcntl
import json
import logging
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hvac  # type: ignore[import-untyped]  # hvac ships no type information
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sfm_graphql.security.private_dir import LOCK_FILE, UnsafeSecretsDirectory, check_private_dir
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)

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
    aware = {kid: _aware(at) for kid, at in retired_at.items() if kid in keys}
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


class FileSecrets(SecretsProvider):
    """A directory of files, as a Kubernetes secret volume mounts them."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory
        self.description = f"files in {directory}"

    async def signing_material(self) -> SigningMaterial:
        return await asyncio.to_thread(self._read_signing)

    def _read_signing(self) -> SigningMaterial:
        if not self.directory.is_dir():
            raise SecretsError(f"the secrets directory {self.directory} does not exist")
        keys = {
            path.name[len(KEY_FILE_PREFIX) : -len(KEY_FILE_SUFFIX)]: path.read_text("utf-8")
            for path in sorted(self.directory.glob(f"{KEY_FILE_PREFIX}*{KEY_FILE_SUFFIX}"))
        }
        active = self._optional_text(ACTIVE_KID_FILE)
        retired_text = self._optional_text(RETIRED_KIDS_FILE)
        retired = _retired_map(json.loads(retired_text), self.description) if retired_text else {}
        return signing_material(keys, active, retired, source=self.description)

    def _optional_text(self, name: str) -> str | None:
        path = self.directory / name
        if not path.is_file():
            return None
        return path.read_text("utf-8").strip() or None

    async def _read_pepper(self) -> bytes:
        path = self.directory / PEPPER_FILE
        if not path.is_file():
            raise SecretsError(f"no {PEPPER_FILE} file in {self.directory}")
        return (await asyncio.to_thread(path.read_bytes)).strip()

    async def _read_backup_key(self) -> str | None:
        return await asyncio.to_thread(self._optional_text, BACKUP_KEY_FILE)


class LocalDevSecrets(FileSecrets):
    """Development only: generates what is missing into the directory, once, with mode 600."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.description = f"generated development secrets in {directory}"

    async def signing_material(self) -> SigningMaterial:
        await asyncio.to_thread(self._generate_missing)
        return await super().signing_material()

    async def _read_pepper(self) -> bytes:
        await asyncio.to_thread(self._generate_missing)
        return await super()._read_pepper()

    def _generate_missing(self) -> None:
        with self._locked():
            if not any(self.directory.glob(f"{KEY_FILE_PREFIX}*{KEY_FILE_SUFFIX}")):
                kid = f"local-{dt.datetime.now(dt.UTC):%Y%m%d}-{secrets.token_hex(4)}"
                _write_private(
                    self.directory / f"{KEY_FILE_PREFIX}{kid}{KEY_FILE_SUFFIX}", new_pem()
                )
                _write_private(self.directory / ACTIVE_KID_FILE, kid + "\n")
                log.warning(
                    "no JWT signing key is configured: generated a development key (kid %s) "
                    "in %s; production refuses to start without configured keys",
                    kid,
                    self.directory.resolve(),
                )
            if not (self.directory / PEPPER_FILE).exists():
                _write_private(self.directory / PEPPER_FILE, secrets.token_hex(32) + "\n")
                log.warning(
                    "no API-key pepper is configured: generated a development pepper in %s",
                    self.directory.resolve(),
                )

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # Two processes starting at once (the token command and the server) must not both
        # generate a key.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            check_private_dir(self.directory)  # an existing directory keeps its old mode
        except UnsafeSecretsDirectory as exc:
            raise SecretsError(str(exc)) from None
        with (self.directory / LOCK_FILE).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


class EnvSecrets(SecretsProvider):
    """`SecretStr` settings (SFM_JWT_SIGNING_KEYS, ...); outside production, missing ones come
    from generated development secrets."""

    def __init__(self, settings: Settings, *, fallback: SecretsProvider | None) -> None:
        super().__init__()
        self._settings = settings
        self._fallback = fallback
        if settings.jwt_signing_keys is None and fallback is not None:
            self.description = fallback.description
        else:
            self.description = "the environment (SFM_JWT_SIGNING_KEYS)"

    async def signing_material(self) -> SigningMaterial:
        raw = self._settings.jwt_signing_keys
        if raw is None:
            if self._fallback is None:
                raise SecretsError(
                    "SFM_JWT_SIGNING_KEYS is not set (or choose SFM_SECRETS_BACKEND)"
                )
            return await self._fallback.signing_material()
        try:
            keys = json.loads(raw.get_secret_value())
        except ValueError:
            raise SecretsError("SFM_JWT_SIGNING_KEYS is not JSON") from None
        if not isinstance(keys, dict):
            raise SecretsError('SFM_JWT_SIGNING_KEYS must be a JSON object {"kid": "PEM"}')
        return signing_material(
            keys,
            self._settings.jwt_active_kid,
            self._settings.jwt_retired_kids,
            source="SFM_JWT_SIGNING_KEYS",
        )

    async def _read_pepper(self) -> bytes:
        pepper = self._settings.api_key_pepper
        if pepper is None:
            if self._fallback is None:
                raise SecretsError("SFM_API_KEY_PEPPER is not set")
            return await self._fallback.api_key_pepper()
        return pepper.get_secret_value().encode()

    async def _read_backup_key(self) -> str | None:
        key = self._settings.backup_encryption_key
        if key is None:
            return await self._fallback._read_backup_key() if self._fallback else None
        return key.get_secret_value()


class VaultSecrets(SecretsProvider):
    """One KV version 2 secret in Vault or OpenBao, reached with a token or Kubernetes auth.

    hvac is synchronous, so each read runs in a worker thread with the configured timeout.
    """

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self._settings = settings
        self.description = (
            f"Vault at {settings.vault_addr} ({settings.vault_mount}/{settings.vault_path})"
        )
        verify: str | bool = str(settings.vault_ca_cert) if settings.vault_ca_cert else True
        token = settings.vault_token.get_secret_value() if settings.vault_token else None
        if token is None and settings.vault_kubernetes_role is None:
            raise SecretsError(
                "the vault backend needs SFM_VAULT_TOKEN or SFM_VAULT_KUBERNETES_ROLE"
            )
        self._client = hvac.Client(
            url=settings.vault_addr, token=token, timeout=settings.vault_timeout_s, verify=verify
        )
        self._lock = asyncio.Lock()

    async def signing_material(self) -> SigningMaterial:
        data = await self._read()
        keys = _json_field(data, "jwt_signing_keys", self.description)
        if not isinstance(keys, dict):
            raise SecretsError(f"jwt_signing_keys in {self.description} must map kids to PEM keys")
        active = data.get("jwt_active_kid")
        retired = _retired_map(
            _json_field(data, "jwt_retired_kids", self.description, {}), self.description
        )
        return signing_material(
            keys, str(active) if active else None, retired, source=self.description
        )

    async def _read_pepper(self) -> bytes:
        value = (await self._read()).get("api_key_pepper")
        if not isinstance(value, str) or not value:
            raise SecretsError(f"no api_key_pepper in {self.description}")
        return value.encode()

    async def _read_backup_key(self) -> str | None:
        value = (await self._read()).get(BACKUP_KEY_FILE)
        return value if isinstance(value, str) else None

    async def _read(self) -> dict[str, Any]:
        async with self._lock:  # one login at a time; hvac's session is not shared across threads
            return await asyncio.to_thread(self._read_sync)

    def _read_sync(self) -> dict[str, Any]:
        try:
            if self._settings.vault_kubernetes_role and not self._client.token:
                self._login_kubernetes()
            try:
                response = self._fetch()
            except hvac.exceptions.Forbidden:
                if not self._settings.vault_kubernetes_role:
                    raise
                self._login_kubernetes()  # the login token expired: log in again, once
                response = self._fetch()
        except OSError as exc:  # requests' connection errors and timeouts are OSErrors
            raise SecretsError(
                f"{self.description} is unreachable ({type(exc).__name__}); check SFM_VAULT_ADDR "
                "and that Vault is up"
            ) from None
        except hvac.exceptions.InvalidPath:
            raise SecretsError(f"{self.description}: no such secret") from None
        except hvac.exceptions.Forbidden:
            raise SecretsError(f"{self.description}: permission denied") from None
        except hvac.exceptions.VaultError as exc:
            raise SecretsError(f"{self.description}: {type(exc).__name__}") from None
        data = response.get("data", {}).get("data") if isinstance(response, dict) else None
        if not isinstance(data, dict):
            raise SecretsError(f"{self.description}: the secret is not a key/value map")
        return data

    def _fetch(self) -> Any:
        return self._client.secrets.kv.v2.read_secret_version(
            path=self._settings.vault_path,
            mount_point=self._settings.vault_mount,
            raise_on_deleted_version=True,
        )

    def _login_kubernetes(self) -> None:
        path = self._settings.vault_kubernetes_token_path
        try:
            jwt = path.read_text("utf-8").strip()
        except OSError:
            raise SecretsError(
                f"cannot read the Kubernetes service account token at {path}"
            ) from None
        self._client.auth.kubernetes.login(
            role=self._settings.vault_kubernetes_role,
            jwt=jwt,
            mount_point=self._settings.vault_kubernetes_mount,
        )

    async def aclose(self) -> None:
        self._client.adapter.close()


def create_secrets_provider(settings: Settings) -> SecretsProvider:
    """The backend `secrets_backend` names; nothing is read until a secret is asked for."""
    if settings.secrets_backend == "file":
        return FileSecrets(settings.secrets_dir)
    if settings.secrets_backend == "vault":
        return VaultSecrets(settings)
    fallback = None if settings.is_production else LocalDevSecrets(settings.local_secrets_dir)
    return EnvSecrets(settings, fallback=fallback)


def new_pem() -> str:
    """A new ES256 (P-256) private key in PKCS#8 PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _write_private(path: Path, text: str) -> None:
    """Create `path` readable by its owner only, unless it exists. Written aside (mode 600 from
    the start) and linked into place, so a concurrent reader never sees half a file."""
    aside = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.link(aside, path)
    except FileExistsError:
        pass
    finally:
        aside.unlink()


def _json_field(data: Mapping[str, Any], name: str, source: str, default: Any = None) -> Any:
    """A KV field that may hold a map or the same map as JSON text."""
    value = data.get(name, default)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise SecretsError(f"{name} in {source} is neither a map nor JSON") from None
    return value


def _retired_map(value: Any, source: str) -> dict[str, dt.datetime]:
    if not isinstance(value, dict):
        raise SecretsError(f"jwt_retired_kids in {source} must map kids to ISO times")
    try:
        return {str(kid): _aware(dt.datetime.fromisoformat(str(at))) for kid, at in value.items()}
    except ValueError:
        raise SecretsError(
            f"jwt_retired_kids in {source} holds a time that is not ISO 8601"
        ) from None


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)
