"""Secrets providers without a network: environment, mounted files, generated development
secrets; and the client-secret hash. Vault is tested against a real server in
tests/integration/test_vault_secrets.py."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from sfm_graphql.security.oauth_clients import hash_secret, verify_secret
from sfm_graphql.security.secret_provider import SecretsError
from sfm_graphql.security.secrets import (
    EnvSecrets,
    FileSecrets,
    LocalDevSecrets,
    create_secrets_provider,
    new_pem,
)
from sfm_graphql.security.vault import VaultSecrets
from sfm_graphql.settings import OidcIssuer, Settings


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def test_local_dev_secrets_are_generated_once_with_mode_600(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "secrets"
    caplog.set_level(logging.WARNING)
    first = await LocalDevSecrets(directory).signing_material()
    assert "generated a development key" in caplog.text
    second = await LocalDevSecrets(directory).signing_material()
    assert first.active_kid == second.active_kid and first.keys == second.keys
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in directory.iterdir():
        if not path.name.startswith("."):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    pepper = await LocalDevSecrets(directory).api_key_pepper()
    assert len(pepper) >= 32
    assert pepper == await LocalDevSecrets(directory).api_key_pepper()


async def test_file_secrets_read_a_mounted_key_ring(tmp_path: Path) -> None:
    (tmp_path / "jwt_signing_key.2024-a.pem").write_text(new_pem())
    (tmp_path / "jwt_signing_key.2025-b.pem").write_text(new_pem())
    (tmp_path / "jwt_active_kid").write_text("2025-b\n")
    (tmp_path / "jwt_retired_kids").write_text(json.dumps({"2024-a": "2025-01-01T00:00:00Z"}))
    (tmp_path / "api_key_pepper").write_text("p" * 40 + "\n")
    provider = FileSecrets(tmp_path)
    material = await provider.signing_material()
    assert sorted(material.keys) == ["2024-a", "2025-b"]
    assert material.active_kid == "2025-b"
    assert material.retired_at["2024-a"].year == 2025
    assert await provider.api_key_pepper() == b"p" * 40


async def test_several_keys_without_an_active_kid_are_refused(tmp_path: Path) -> None:
    (tmp_path / "jwt_signing_key.a.pem").write_text(new_pem())
    (tmp_path / "jwt_signing_key.b.pem").write_text(new_pem())
    with pytest.raises(SecretsError, match="name the active one"):
        await FileSecrets(tmp_path).signing_material()


async def test_a_short_pepper_is_refused(tmp_path: Path) -> None:
    (tmp_path / "api_key_pepper").write_text("short")
    with pytest.raises(SecretsError, match="shorter than 32"):
        await FileSecrets(tmp_path).api_key_pepper()


async def test_env_secrets_read_the_settings() -> None:
    pem = new_pem()
    s = settings(
        jwt_signing_keys=SecretStr(json.dumps({"k1": pem})),
        api_key_pepper=SecretStr("x" * 32),
        environment="production",
    )
    provider = create_secrets_provider(s)
    assert isinstance(provider, EnvSecrets)
    material = await provider.signing_material()
    assert material.active_kid == "k1"
    assert await provider.api_key_pepper() == b"x" * 32
    assert pem not in repr(material) and pem not in repr(s)


async def test_production_without_configured_secrets_refuses_to_start() -> None:
    provider = create_secrets_provider(settings(environment="production"))
    with pytest.raises(SecretsError, match="SFM_JWT_SIGNING_KEYS is not set"):
        await provider.signing_material()
    with pytest.raises(SecretsError, match="SFM_API_KEY_PEPPER is not set"):
        await provider.api_key_pepper()


async def test_development_without_configured_secrets_generates_them(tmp_path: Path) -> None:
    provider = create_secrets_provider(settings(local_secrets_dir=tmp_path / "dev"))
    material = await provider.signing_material()
    assert material.active_kid.startswith("local-")
    assert (tmp_path / "dev" / "jwt_active_kid").read_text().strip() == material.active_kid


def test_the_backend_is_chosen_by_settings(tmp_path: Path) -> None:
    assert isinstance(
        create_secrets_provider(settings(secrets_backend="file", secrets_dir=tmp_path)), FileSecrets
    )
    vault = create_secrets_provider(settings(secrets_backend="vault", vault_token=SecretStr("t")))
    assert isinstance(vault, VaultSecrets)
    with pytest.raises(SecretsError, match="SFM_VAULT_TOKEN or SFM_VAULT_KUBERNETES_ROLE"):
        create_secrets_provider(settings(secrets_backend="vault"))


def test_oidc_issuers_parse_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "SFM_OIDC_ISSUERS",
        json.dumps(
            [
                {"issuer": "https://idp.example/realms/sfm", "audience": "sfm-graphql"},
                {
                    "issuer": "https://login.example",
                    "audience": ["a", "b"],
                    "jwks_uri": "https://login.example/keys",
                    "algorithms": ["ES256", "EdDSA"],
                    "roles_claim": "realm_access.roles",
                },
            ]
        ),
    )
    issuers = settings().oidc_issuers
    assert issuers[0] == OidcIssuer(
        issuer="https://idp.example/realms/sfm", audience=("sfm-graphql",)
    )
    assert issuers[1].audience == ("a", "b") and issuers[1].algorithms == ("ES256", "EdDSA")
    monkeypatch.setenv(
        "SFM_OIDC_ISSUERS", json.dumps([{"issuer": "x", "audience": "a", "algorithms": ["HS256"]}])
    )
    with pytest.raises(ValueError, match="algorithms"):
        settings()


def test_client_secret_hashes_verify_only_the_right_secret() -> None:
    encoded = hash_secret("s3cret")
    assert encoded.startswith("scrypt$") and "s3cret" not in encoded
    assert verify_secret("s3cret", encoded)
    assert not verify_secret("s3cret!", encoded)
    assert not verify_secret("s3cret", "bcrypt$whatever")
    assert not verify_secret("s3cret", "scrypt$garbage")
    assert hash_secret("s3cret") != encoded  # salted
