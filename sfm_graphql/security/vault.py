"""The `vault` secrets backend: one KV version 2 secret in Vault or OpenBao (docs/security.md,
Identity)."""

from __future__ import annotations

import asyncio
from typing import Any

import hvac  # type: ignore[import-untyped]  # hvac ships no type information

from sfm_graphql.security.secret_provider import (
    BACKUP_KEY_FILE,
    SecretsError,
    SecretsProvider,
    SigningMaterial,
    json_field,
    retired_map,
    signing_material,
)
from sfm_graphql.settings import Settings


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
        keys = json_field(data, "jwt_signing_keys", self.description)
        if not isinstance(keys, dict):
            raise SecretsError(f"jwt_signing_keys in {self.description} must map kids to PEM keys")
        active = data.get("jwt_active_kid")
        retired = retired_map(
            json_field(data, "jwt_retired_kids", self.description, {}), self.description
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
