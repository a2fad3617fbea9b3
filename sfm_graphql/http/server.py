"""How `sfm-graphql serve` runs uvicorn: workers, graceful shutdown, a clean exit status.

- Workers: `--workers`, else `SFM_WORKERS`, else the CPUs this process may run on.
- SIGTERM (http/shutdown.py for the app's side): each worker fails `/readyz` for
  `shutdown_drain_s`, then stops accepting and gives its requests in flight up to
  `shutdown_grace_s` (`timeout_graceful_shutdown`) before the lifespan closes Neo4j and Redis.
- With several workers each has a listening socket of its own on the same port
  (`SO_REUSEPORT`), so the kernel spreads connections over them (`_Supervisor`); the
  supervisor keeps no copy open, so once the workers have closed theirs in a shutdown a new
  connection is refused rather than left waiting in a backlog nobody accepts from.
- Exit status 0 after a graceful shutdown: uvicorn re-raises the signal it stopped for, which
  would otherwise end the process as killed by SIGTERM.
- The garbage collector of a serving process (`tune_collector`, from `app.create_served_app`):
  what the app built at start (the schema, the modules, some 175,000 objects) is frozen out of
  the collector's scans, and the youngest generation is collected every `GEN0_THRESHOLD`
  allocations instead of Python's 700. A request allocates thousands of short-lived objects:
  at the defaults a full scan of the whole heap now and then, and a young collection per
  request, were 0.3 to 2 ms of a read (docs/decisions.md, "The garbage collector of a serving
  process").
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from sfm_graphql.settings import Settings

# By name, so the supervisor of several workers never imports the app itself.
APP = "sfm_graphql.app:create_served_app"
GEN0_THRESHOLD = 10_000  # allocations between young collections (Python's default: 700)
WORKER_PING_TIMEOUT_S = 60


def default_workers(settings: Settings) -> int:
    """`SFM_WORKERS`, else the CPUs this process may run on (its affinity, not the host's)."""
    if settings.workers is not None:
        return settings.workers
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def tune_collector() -> None:
    """Freeze what exists now (it lives as long as the process) and collect young objects less
    often. For serving processes only: a test process that builds many apps would keep every
    frozen one."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, middle, oldest)


class _Supervisor(Multiprocess):
    """uvicorn's supervisor, each worker with a listening socket of its own (`SO_REUSEPORT`).

    With one socket shared by every worker, whichever worker accepts first keeps the connection
    for as long as the client keeps it alive: a client with 100 keep-alive connections was
    measured with 78 on one worker and 22 on the other, and two workers served less than one
    (docs/benchmarks.md, "The single read's CPU by requests in flight"). With a socket per worker
    the kernel spreads new connections over them by their addresses. Every worker started
    (replacements included) reads `sockets` once and gets a new socket; the supervisor closes
    its copy as soon as the worker has it, since a socket of the group that no process accepts
    on would still be given its share of connections.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        self._handed: list[socket.socket] = []
        super().__init__(config, sockets=[])

    @property
    def sockets(self) -> list[socket.socket]:
        self._close_handed()
        own = reuse_port_socket(self.config.host, self.config.port, self.config.backlog)
        self._handed.append(own)
        return [own]

    @sockets.setter
    def sockets(self, value: list[socket.socket]) -> None:
        for sock in value:
            sock.close()

    def _close_handed(self) -> None:
        for sock in self._handed:
            sock.close()
        self._handed.clear()

    def keep_subprocess_alive(self) -> None:
        self._close_handed()  # the workers started meanwhile have theirs
        super().keep_subprocess_alive()

    def handle_term(self) -> None:
        self._close_handed()  # the workers keep theirs open until they have drained
        super().handle_term()


def reuse_port_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A listening socket on (host, port) that other processes may bind too (`SO_REUSEPORT`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    """The SIGTERM uvicorn re-raises once it has shut down; before it runs, a SIGTERM ends the
    process at once. Either way nothing failed."""
    raise SystemExit(0)


def run_server(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve the app until SIGTERM (or SIGINT) and a graceful shutdown."""
    config = uvicorn.Config(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
        # The supervisor replaces a worker that does not answer its ping in time. A starting
        # worker imports the whole app first, which takes well over uvicorn's 5 s on a busy
        # node: it would be killed and replaced in a loop, never serving.
        timeout_worker_healthcheck=WORKER_PING_TIMEOUT_S,
        # uvloop and httptools (uvicorn[standard]) by name, so a missing one fails the start
        # instead of falling back to the slower pure-Python loop and parser.
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level.lower(),
        # Our JSON handler and access log (observability/logging.py), not uvicorn's.
        log_config=None,
        access_log=False,
        # Forwarded headers are the app's (http/proxy.py, SFM_TRUSTED_PROXIES), not uvicorn's:
        # one mechanism, which also reads RFC 7239 Forwarded and works under any server.
        proxy_headers=False,
        ssl_certfile=settings.tls_certfile,
        ssl_keyfile=settings.tls_keyfile,
    )
    signal.signal(signal.SIGTERM, _exit_cleanly)
    if workers > 1:
        _Supervisor(config).run()
        return
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
