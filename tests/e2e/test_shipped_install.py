"""The install the image ships starts: the Dockerfile's own steps, replayed into a fresh
virtualenv, give a `sfm-graphql serve` that answers `/readyz` 200 against the real services.

No Docker engine runs here, so the builder stage is replayed: its COPY lines copy the same files
into an empty temporary directory and its `uv` RUN lines run there as written (from the lock
file, no dev group), with `/opt/venv` replaced by a temporary path. The runtime stage's ENV,
ENTRYPOINT and CMD then start the service from that environment, in an empty working directory,
so nothing can come from the checkout or from the development virtualenv. This is what caught
the image dying with ModuleNotFoundError (httpx, cross-web declared only for development).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from sfm_graphql.security.secrets import new_pem
from sfm_graphql.settings import Settings
from tests.paths import ROOT
from tests.services import METRICS_TOKEN, free_port

pytestmark = pytest.mark.e2e

START_TIMEOUT_S = 60


@dataclass
class Stage:
    name: str
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    copies: list[tuple[list[str], str]] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def parse_dockerfile(path: Path) -> dict[str, Stage]:
    stages: dict[str, Stage] = {}
    stage: Stage | None = None
    for keyword, rest in _instructions(path.read_text(encoding="utf-8")):
        if keyword == "FROM":
            words = rest.split()
            stage = Stage(words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else "")
            stages[stage.name] = stage
        elif stage is None:
            continue  # ARG before the first FROM
        elif keyword == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                stage.env[key] = value
        elif keyword == "WORKDIR":
            stage.workdir = rest
        elif keyword == "COPY" and "--from=" not in rest:
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            stage.copies.append((words[:-1], words[-1]))
        elif keyword == "RUN":
            stage.runs.append(rest)
        elif keyword in {"ENTRYPOINT", "CMD"}:
            setattr(stage, keyword.lower(), json.loads(rest))
    return stages


def _copy_like_docker(sources: list[Path], dest: Path, *, into: bool) -> None:
    """COPY: a directory's contents go to dest; files go into dest/ or become dest."""
    for origin in sources:
        if origin.is_dir():  # without what .dockerignore keeps out of every build context
            ignore = shutil.ignore_patterns("__pycache__", "node_modules")
            shutil.copytree(origin, dest, dirs_exist_ok=True, ignore=ignore)
        elif into or len(sources) > 1:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, dest / origin.name)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, dest)


@pytest.fixture(scope="module")
def shipped_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The builder stage of the Dockerfile, replayed into a fresh virtualenv."""
    stages = parse_dockerfile(ROOT / "Dockerfile")
    builder = stages["builder"]
    base = tmp_path_factory.mktemp("image")
    venv = base / "venv"
    src = base / builder.workdir.lstrip("/")
    src.mkdir(parents=True)
    excluded = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    for sources, dest in builder.copies:
        assert not excluded & set(sources), f".dockerignore keeps {sources} out of the build"
        _copy_like_docker([ROOT / name for name in sources], src / dest, into=dest.endswith("/"))
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env.update(builder.env)
    env["UV_PROJECT_ENVIRONMENT"] = str(venv)  # /opt/venv in the image
    env["UV_COMPILE_BYTECODE"] = "0"  # bytecode changes nothing installed; it only costs CPU here
    env["UV_PYTHON"] = sys._base_executable  # the interpreter under test, never a download
    env["UV_PYTHON_DOWNLOADS"] = "never"
    uv_runs = [r for r in builder.runs if r.startswith("uv ")]
    assert any("--no-dev" in r and "--frozen" in r for r in uv_runs), builder.runs
    for command in uv_runs:
        done = subprocess.run(
            shlex.split(command),
            check=False,
            cwd=src,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return venv


def _runtime_env(venv: Path, secrets_dir: Path, port: int) -> dict[str, str]:
    """The runtime stage's ENV with the paths and the services of this machine."""
    runtime = parse_dockerfile(ROOT / "Dockerfile")["runtime"]
    env = {"HOME": str(venv.parent), "LANG": "C.UTF-8"}
    env.update(runtime.env)
    env["PATH"] = env["PATH"].replace("/opt/venv", str(venv)).replace("$PATH", "/usr/bin:/bin")
    env |= {k: v for k, v in os.environ.items() if k.startswith(("SFM_NEO4J_", "SFM_REDIS_"))}
    env |= {
        "SFM_HOST": "127.0.0.1",  # 0.0.0.0 in the image; loopback only on this machine
        "SFM_PORT": str(port),
        "SFM_SECRETS_BACKEND": "file",
        "SFM_SECRETS_DIR": str(secrets_dir),
        "SFM_AUTH_ISSUER": "https://sfm.example",
        "SFM_METRICS_TOKEN": METRICS_TOKEN,
    }
    return env


def _secrets(directory: Path) -> Path:
    """The entries of the chart's Secret (docs/deployment.md)."""
    directory.mkdir()
    (directory / "jwt_signing_key.img-1.pem").write_text(new_pem(), encoding="utf-8")
    (directory / "jwt_active_kid").write_text("img-1\n", encoding="utf-8")
    (directory / "api_key_pepper").write_text(secrets.token_hex(32), encoding="utf-8")
    return directory


def test_the_install_has_the_project_and_no_dev_dependency(shipped_venv: Path) -> None:
    probe = (
        "import importlib.util, json, sfm_graphql; print(json.dumps({'file': sfm_graphql.__file__,"
        " 'dev': [m for m in ('pytest', 'hypothesis', 'mypy', 'gql')"
        " if importlib.util.find_spec(m)]}))"
    )
    done = subprocess.run(
        [str(shipped_venv / "bin" / "python"), "-I", "-c", probe],
        cwd=shipped_venv.parent,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    found = json.loads(done.stdout)
    assert Path(found["file"]).is_relative_to(shipped_venv), found  # the wheel, not the checkout
    assert found["dev"] == []


def test_the_shipped_install_serves_ready(
    shipped_venv: Path, settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    env = _runtime_env(shipped_venv, _secrets(tmp_path / "secrets"), port)
    cli = str(shipped_venv / "bin" / "sfm-graphql")
    workdir = tmp_path / "run"  # WORKDIR is / in the image: nothing of the checkout around
    workdir.mkdir()
    # The chart runs migrations in a Job before the pods start (SFM_MIGRATE_ON_START=false).
    migrate = subprocess.run(
        [cli, "migrate"],
        check=False,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    runtime = parse_dockerfile(ROOT / "Dockerfile")["runtime"]
    command = [cli if runtime.entrypoint[0] == "sfm-graphql" else runtime.entrypoint[0]]
    command += runtime.entrypoint[1:] + runtime.cmd
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        ready = _wait_ready(base, server, tmp_path / "serve.log")
        assert ready.status_code == 200, ready.text
        checks = ready.json()["checks"]
        assert checks["neo4j"] == checks["migrations"] == checks["redis"] == "ok", ready.text
        token = subprocess.run(
            [cli, "token", "--role", "viewer", "--ttl", "5m"],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        answer = httpx.post(
            f"{base}/graphql",
            json={"query": "{ components(first: 1) { totalCount } }"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        assert "errors" not in answer.json(), answer.text
        metrics = httpx.get(
            f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
        )
        assert metrics.status_code == 200
    finally:
        _stop(server)
        log.close()
    # A clean stop on SIGTERM (uvicorn re-raises the signal once it has shut down).
    output = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert server.returncode in {0, -signal.SIGTERM}, output[-3000:]
    assert "Application shutdown complete." in output, output[-3000:]


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to its process group (uvicorn and any worker), SIGKILL after 20 s."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def _wait_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    deadline = time.monotonic() + START_TIMEOUT_S
    last: httpx.Response | Exception | None = None
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = log.read_text(encoding="utf-8", errors="replace")[-3000:]
            pytest.fail(f"sfm-graphql serve exited with status {server.returncode}:\n{output}")
        try:
            last = httpx.get(f"{base}/readyz", timeout=3)
            if last.status_code == 200:
                return last
        except httpx.TransportError as exc:
            last = exc
        time.sleep(0.5)
    pytest.fail(f"/readyz not 200 within {START_TIMEOUT_S} s: {last!r}")
