"""Graceful shutdown: on SIGTERM `/readyz` fails at once, requests are still served for
`shutdown_drain_s`, then the server stops (docs/operations/troubleshooting.md).

uvicorn closes its listening socket the moment it handles SIGTERM, and the app hears of the
shutdown only when the lifespan ends, after the requests in flight are done. Load balancers
that poll readiness need to see it fail before the socket closes, so the app chains a handler
in front of the server's own: the first SIGTERM marks the app draining (`/readyz` answers 503
`shutting down`) and hands the signal on to the server after the drain time; a second SIGTERM
is handed on at once. From there uvicorn refuses new connections, gives the requests in flight
up to `shutdown_grace_s` (`--timeout-graceful-shutdown`) to finish, and then runs the lifespan's
end, which closes the Neo4j driver and Redis.

The handler is installed only where a server installed a Python signal handler of its own in
the main thread (uvicorn does, in every worker); under a test client nothing is changed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from starlette.datastructures import State

log = logging.getLogger(__name__)

Handler = Callable[[int, FrameType | None], Any]


def draining(state: State) -> bool:
    """Whether shutdown has begun for the app whose state this is."""
    return bool(getattr(state, "draining", False))


def install_drain(state: State, *, drain_s: float) -> Callable[[], None]:
    """Chain the SIGTERM handler; returns the call that takes it out again."""
    state.draining = False
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    server_handler = signal.getsignal(signal.SIGTERM)
    if not callable(server_handler):
        return lambda: None  # no server of ours to hand the signal on to
    handed_on: Handler = server_handler
    loop = asyncio.get_running_loop()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if draining(state) or drain_s <= 0:
            state.draining = True
            handed_on(signum, frame)
            return
        state.draining = True
        # A signal handler runs between two bytecodes of the main thread: schedule, never log.
        loop.call_soon_threadsafe(_drain_then_stop, loop, drain_s, handed_on, signum)

    signal.signal(signal.SIGTERM, on_sigterm)

    def uninstall() -> None:
        if signal.getsignal(signal.SIGTERM) is on_sigterm:
            signal.signal(signal.SIGTERM, server_handler)

    return uninstall


def _drain_then_stop(
    loop: asyncio.AbstractEventLoop, drain_s: float, handed_on: Handler, signum: int
) -> None:
    log.info("SIGTERM: /readyz fails from now on; the server stops in %g s", drain_s)
    loop.call_later(drain_s, handed_on, signum, None)
