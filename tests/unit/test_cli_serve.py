"""`sfm-graphql serve` refuses unsafe set-ups before it listens (issue 9, item 15).

Outside production the service generates its secrets and serves GraphiQL and introspection, so
`serve` binds to loopback only unless explicitly allowed; the generated-secrets directory must
be private. The refusals run as a real `sfm-graphql` subprocess; nothing listens.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sfm_graphql.cli import EXIT_UNSAFE_CONFIG, is_loopback, refuse_unsafe_bind
from sfm_graphql.security.private_dir import UnsafeSecretsDirectory, check_private_dir
from sfm_graphql.settings import Settings

ANY = "0.0.0.0"  # noqa: S104 (the address the refusal is about; nothing binds to it)


def _serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SFM_")}
    clean.update({"SFM_LOCAL_SECRETS_DIR": str(tmp_path / "secrets"), **env})
    return subprocess.run(
        [sys.executable, "-m", "sfm_graphql.cli", "serve", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("host", [ANY, "::", "10.1.2.3", "sfm.example.org"])
def test_a_bare_install_refuses_to_serve_on_a_network_address(tmp_path: Path, host: str) -> None:
    done = _serve(tmp_path, "--host", host, "--port", "28799")
    assert done.returncode == EXIT_UNSAFE_CONFIG, done.stderr
    assert f"refusing to serve on {host}" in done.stderr
    assert "'development'" in done.stderr
    assert "--allow-non-production-on-network" in done.stderr
    assert not (tmp_path / "secrets").exists()  # refused before generating anything


def test_the_host_setting_is_checked_too(tmp_path: Path) -> None:
    done = _serve(tmp_path, SFM_HOST=ANY, SFM_ENVIRONMENT="test")
    assert done.returncode == EXIT_UNSAFE_CONFIG
    assert "'test'" in done.stderr


def test_loopback_production_and_the_explicit_override_pass_the_bind_check() -> None:
    development = Settings(environment="development")
    for host in ("127.0.0.1", "127.8.0.1", "localhost", "::1", "[::1]"):
        assert is_loopback(host)
        assert refuse_unsafe_bind(development, host, allowed=False) is None
    assert refuse_unsafe_bind(development, ANY, allowed=True) is None
    on_network = Settings(environment="development", allow_non_production_on_network=True)
    assert refuse_unsafe_bind(on_network, ANY, allowed=False) is None
    assert refuse_unsafe_bind(Settings(environment="production"), ANY, allowed=False) is None


def _secrets_dir(tmp_path: Path, dir_mode: int, file_mode: int) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    key = directory / "api_key_pepper"
    key.write_text("x" * 64)
    key.chmod(file_mode)
    directory.chmod(dir_mode)
    return directory


def test_serve_refuses_a_secrets_directory_whose_files_others_can_read(tmp_path: Path) -> None:
    _secrets_dir(tmp_path, 0o700, 0o644)
    done = _serve(tmp_path, "--host", "127.0.0.1", "--port", "28799")
    assert done.returncode == EXIT_UNSAFE_CONFIG, done.stderr
    assert "api_key_pepper is readable or writable by other users (mode 644)" in done.stderr
    assert "chmod -R go=" in done.stderr


@pytest.mark.parametrize(
    ("dir_mode", "file_mode"), [(0o777, 0o600), (0o720, 0o600), (0o700, 0o660)]
)
def test_secrets_that_others_could_read_or_replace_are_refused(
    tmp_path: Path, dir_mode: int, file_mode: int
) -> None:
    directory = _secrets_dir(tmp_path, dir_mode, file_mode)
    with pytest.raises(UnsafeSecretsDirectory):
        check_private_dir(directory)


def test_a_directory_others_may_only_list_is_tightened_to_700(tmp_path: Path) -> None:
    directory = _secrets_dir(tmp_path, 0o755, 0o600)
    check_private_dir(directory)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    check_private_dir(tmp_path / "missing")  # nothing there yet: generated later, mode 700
