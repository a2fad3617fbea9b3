"""The processes of the peer benchmark: sfm-graphql at production settings, the Node.js peer,
and their CPU time read from /proc.

- `sfm_environment`: what a production deployment sets (SFM_ENVIRONMENT=production, configured
  signing keys, pepper, metrics token, tracing exported over OTLP at the production ratio, JSON
  logs at INFO), pointed at the benchmark's own Neo4j and Redis.
- `Process`: one server as a child process on a loopback port, with a readiness check, its log
  in a file, and `cpu_ticks()`, the utime + stime of the process and all its descendants (the
  uvicorn workers), so CPU per request covers the whole service.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sfm_graphql.security.secrets import new_pem

HOST = "127.0.0.1"
CLI = Path(sys.executable).with_name("sfm-graphql")
PEER_DIR = Path(__file__).resolve().parent / "peer"
ISSUER = "http://sfm-bench.invalid"  # one issuer for every sfm server of the run
TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def sfm_environment(
    *, neo4j_uri: str, user: str, password: str, redis_url: str, otlp_endpoint: str
) -> dict[str, str]:
    """The settings of a production deployment, with fresh secrets of this run."""
    dropped = {k: "" for k in os.environ if k.startswith(("OTEL_", "SFM_"))}
    return {
        **dropped,
        "SFM_ENVIRONMENT": "production",
        "NEO4J_URI": neo4j_uri,
        "NEO4J_USER": user,
        "NEO4J_PASSWORD": password,
        "SFM_REDIS_URL": redis_url,
        "SFM_AUTH_ISSUER": ISSUER,
        "SFM_JWT_SIGNING_KEYS": json.dumps({"bench": new_pem()}),
        "SFM_JWT_ACTIVE_KID": "bench",
        "SFM_API_KEY_PEPPER": secrets.token_urlsafe(32),
        "SFM_BACKUP_ENCRYPTION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "SFM_METRICS_TOKEN": secrets.token_urlsafe(32),
        "SFM_LOG_LEVEL": "INFO",
        # Tracing on at the production default ratio (0.1), exported to the run's OTLP sink.
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint,
        "OTEL_SERVICE_NAME": "sfm-graphql-bench",
        "PROMETHEUS_MULTIPROC_DIR": "",  # serve makes one per run when it has workers
    }


def apply_environment(env: dict[str, str]) -> None:
    """Make `env` this process's environment too ("" unsets), for what reads settings in process."""
    for key, value in env.items():
        if value:
            os.environ[key] = value
        else:
            os.environ.pop(key, None)


def _descendants(root: int) -> list[int]:
    """`root` and every process below it, from /proc/<pid>/task/*/children."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                text = (task / "children").read_text()
            except OSError:
                continue
            todo.extend(int(p) for p in text.split())
    return out


def process_ticks(pid: int) -> int:
    """utime + stime of one process, in clock ticks (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def tree_ticks(root: int) -> dict[int, int]:
    return {pid: process_ticks(pid) for pid in _descendants(root)}


def cpu_seconds_between(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU the processes spent between two `tree_ticks` snapshots (new ones count in full)."""
    ticks = sum(t - before.get(pid, 0) for pid, t in after.items())
    return ticks / TICKS_PER_S


class Process:
    """A server as a child process; `ready` is polled until it returns True."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        ready: Callable[[], Awaitable[bool]],
        *,
        cwd: Path | None = None,
        start_timeout_s: float = 90.0,
    ) -> None:
        self.name = name
        self._argv, self._env, self._ready, self._cwd = argv, env, ready, cwd
        self._timeout = start_timeout_s
        fd, path = tempfile.mkstemp(prefix=f"sfm-peer-bench-{name}-", suffix=".log")
        os.close(fd)
        self.log_path = Path(path)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def _spawn(self) -> None:
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self._argv,
                # An empty value removes the variable (prometheus-client reads "" as the cwd).
                env={k: v for k, v in {**os.environ, **self._env}.items() if v},
                cwd=self._cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own group: stop() ends the workers with it
            )

    async def start(self) -> None:
        self._spawn()
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            self.check_running()
            try:
                if await self._ready():
                    return
            except OSError:
                pass
            await asyncio.sleep(0.3)
        await self.stop()
        raise RuntimeError(f"{self.name} was not ready in {self._timeout}s; see {self.log_path}")

    def check_running(self) -> None:
        if self._process is None or self._process.poll() is not None:
            raise RuntimeError(f"{self.name} is not running; see {self.log_path}")

    def cpu_ticks(self) -> dict[int, int]:
        return tree_ticks(self.pid)

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)  # the group of our own child, by its id
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            await asyncio.to_thread(process.wait, 5)


def sfm_process(name: str, port: int, workers: int, env: dict[str, str]) -> Process:
    async def ready() -> bool:
        import httpx

        async with httpx.AsyncClient(timeout=2.0) as http:
            try:
                response = await http.get(f"http://{HOST}:{port}/readyz")
            except httpx.TransportError:
                return False
            return response.status_code == 200

    argv = [str(CLI), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    return Process(name, argv, env, ready)


def peer_process(port: int, env: dict[str, str]) -> Process:
    """The Node.js peer (bench/peer/server.js); ready once it prints its ready line."""
    process: Process

    async def ready() -> bool:
        return "peer ready" in process.log_path.read_text(encoding="utf-8", errors="replace")

    node_env = {"NODE_ENV": "production", "PEER_PORT": str(port), **env}
    process = Process("peer", ["node", "server.js"], node_env, ready, cwd=PEER_DIR)
    return process


def neo4j_pid(instance: str) -> int | None:
    """The pid of a local Neo4j instance of tools/neo4j/neo4j.sh, or None."""
    path = Path(__file__).resolve().parent.parent / ".local" / "neo4j" / instance / "run"
    try:
        return int((path / "neo4j.pid").read_text().strip())
    except (OSError, ValueError):
        return None
