"""The service under test: `sfm-graphql serve` as a subprocess on a free loopback port.

Requests carry a real access token from `sfm-graphql token` (signed with the local key ring the
server verifies against), so authentication, cost limits and the Redis rate limiter all run as
they do for any caller.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

HOST = "127.0.0.1"
CLI = Path(sys.executable).with_name("sfm-graphql")
# The role that may call every operation the benchmark uses (bulkImport needs data_manager).
ROLE = "data_manager"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def spawn_logged(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start `args` with no input, its output and errors both written to `log_path`."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            args, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )


async def stop_child(process: subprocess.Popen[bytes] | None, wait_s: float) -> None:
    """Stop our own child: SIGTERM, `wait_s` seconds for it to end, then SIGKILL. Nothing to do
    when there is no process or it has already exited."""
    if process is None or process.poll() is not None:
        return
    process.terminate()  # our own child, by its pid
    try:
        await asyncio.to_thread(process.wait, wait_s)
    except subprocess.TimeoutExpired:
        process.kill()
        await asyncio.to_thread(process.wait, 5)


class LoggedChild:
    """A child process of the benchmark with its log file; `async with` stops it at the end,
    waiting `stop_wait_s` for it to end on SIGTERM."""

    stop_wait_s: float = 15

    def __init__(self, log_prefix: str) -> None:
        self._log = Path(tempfile.mkstemp(prefix=log_prefix, suffix=".log")[1])
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self._log

    @property
    def pid(self) -> int:
        """The child's pid (a served app's workers, if several, are its children)."""
        assert self._process is not None, "the process is not running"
        return self._process.pid

    async def stop(self) -> None:
        process, self._process = self._process, None
        await stop_child(process, self.stop_wait_s)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


class Service(LoggedChild):
    """`async with Service(env) as svc:` runs bench/serve_app.py until the block ends."""

    def __init__(
        self, env: dict[str, str], *, start_timeout_s: float = 60.0, cli: Path = CLI
    ) -> None:
        self.cli = cli  # another checkout's `sfm-graphql` for bench/versions.py
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        # The built-in token issuer is named after SFM_HOST/SFM_PORT: the same for CLI and server.
        self.env = {**os.environ, **env, "SFM_HOST": HOST, "SFM_PORT": str(self.port)}
        self._timeout = start_timeout_s
        super().__init__("sfm-bench-service-")

    def mint_token(self, subject: str) -> str | None:
        """A one-hour token for `subject`, or None when the service has no `token` command
        (then it has no authentication either)."""
        done = subprocess.run(
            [str(self.cli), "token", "--role", ROLE, "--ttl", "1h", "--subject", subject],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            if "invalid choice: 'token'" in done.stderr:
                return None
            raise RuntimeError(f"sfm-graphql token failed: {done.stderr.strip()}")
        return done.stdout.strip()

    async def __aenter__(self) -> Service:
        self._process = spawn_logged(
            [str(self.cli), "serve", "--host", HOST, "--port", str(self.port)], self.env, self._log
        )
        await self._wait_ready()
        return self

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._timeout
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as http:
            while time.monotonic() < deadline:
                assert self._process is not None
                if self._process.poll() is not None:
                    raise RuntimeError(f"the service exited at start-up; see {self._log}")
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        await self.stop()
        raise RuntimeError(f"the service was not ready within {self._timeout}s; see {self._log}")

    def check_running(self) -> None:
        """Raise when the service process has exited (a run must not time a dead service)."""
        status = self._process.poll() if self._process is not None else None
        if self._process is None or status is not None:
            raise RuntimeError(
                f"the service process exited (status {status}) in the middle of the run; "
                f"its log: {self._log}"
            )
