"""`sfm-graphql serve` with two workers spreads connections over both (http/server.py: a
listening socket per worker, `SO_REUSEPORT`): 40 keep-alive connections opened at once land on
both workers, and a worker that dies is replaced with a socket of its own, every request still
answered."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.test_shutdown import _serve as serve
from tests.services import child_pids, free_port, is_spawned

pytestmark = pytest.mark.integration
CONNECTIONS = 40


def _established(port: int, state: str = "01") -> set[str]:
    """The inodes of the TCP sockets in `state` (01 established, 0A listening) on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == state:
                found.add(fields[9])
    return found


def _sockets_of(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _workers(server: int, deadline: float) -> list[int]:
    while True:
        workers = sorted(p for p in child_pids(server) if is_spawned(p))
        if len(workers) >= 2 or time.monotonic() > deadline:
            return workers
        time.sleep(0.2)


def _ready(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("serve did not become ready")


def test_two_workers_share_the_connections_and_a_replaced_worker_serves(tmp_path: Path) -> None:
    port = free_port()
    server = serve(port, 2, tmp_path / "serve.log")
    url = f"http://127.0.0.1:{port}"
    clients: list[httpx.Client] = []
    try:
        deadline = time.monotonic() + 90
        _ready(url, deadline)
        workers = _workers(server.pid, deadline)
        assert len(workers) == 2, (tmp_path / "serve.log").read_text()
        # Each worker listens on a socket of its own; the supervisor keeps none open.
        listening = _established(port, "0A")
        assert [len(_sockets_of(w) & listening) for w in workers] == [1, 1]
        assert _sockets_of(workers[0]) & _sockets_of(workers[1]) & listening == set()
        assert not _sockets_of(server.pid) & listening
        for _ in range(CONNECTIONS):  # one keep-alive connection each, kept open
            client = httpx.Client(base_url=url, timeout=10)
            assert client.get("/healthz").status_code == 200
            clients.append(client)
        established = _established(port)
        per_worker = [len(_sockets_of(w) & established) for w in workers]
        assert sum(per_worker) == CONNECTIONS
        assert min(per_worker) >= CONNECTIONS // 5, per_worker  # both serve a share
        # A worker killed is replaced, with a socket of its own: every request is answered.
        for client in clients:
            client.close()
        os.kill(workers[0], signal.SIGKILL)
        time.sleep(1)
        _ready(url, time.monotonic() + 60)
        for _ in range(20):
            with httpx.Client(base_url=url, timeout=10) as fresh:
                assert fresh.get("/healthz").status_code == 200
        assert len(_workers(server.pid, time.monotonic() + 30)) == 2
    finally:
        for client in clients:
            client.close()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode == 0
