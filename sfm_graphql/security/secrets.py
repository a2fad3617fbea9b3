"""Where secrets come from: the environment, mounted files or Vault, chosen by `secrets_backend`.

Two secrets are served: the signing key ring of the built-in authorization server (PEM private
keys by kid, which one is active, when the others were retired) and the pepper that API-key
hashes are keyed with. The layout each backend expects is in docs/security.md (Identity).

With the `env` backend and nothing configured outside production, a key and a pepper are
generated once into `local_secrets_dir` (mode 600) and read from there like mounted files, so
`make run`, the `token` command and the tests share them. Production never generates secrets.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import json
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sfm_graphql.security.private_dir import LOCK_FILE, UnsafeSecretsDirectory, check_private_dir
from sfm_graphql.security.secret_provider import (
    ACTIVE_KID_FILE,
    BACKUP_KEY_FILE,
    KEY_FILE_PREFIX,
    KEY_FILE_SUFFIX,
    PEPPER_FILE,
    RETIRED_KIDS_FILE,
    SecretsError,
    SecretsProvider,
    SigningMaterial,
    retired_map,
    signing_material,
)
from sfm_graphql.security.vault import VaultSecrets
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)


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
        retired = retired_map(json.loads(retired_text), self.description) if retired_text else {}
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
