"""A bound on client-secret checks running at once: each is a scrypt of 16 MiB.

Without it, a burst of token requests for a known client runs one scrypt per worker thread (up
to 40 in Starlette's pool): 640 MiB, most of a pod's memory limit. A request takes one of
`max_concurrent_secret_checks` slots before its check runs; one that cannot get a slot within
`secret_check_wait_s` is answered at once with 503 `temporarily_unavailable` and `Retry-After`,
without being counted as a failed login (it was never verified). `app.state.secret_checks`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

RETRY_AFTER_S = 1


class SecretChecksBusy(Exception):
    """Every slot stayed taken for the whole wait."""


class SecretChecks:
    def __init__(self, *, max_concurrent: int, wait_s: float) -> None:
        self._slots = asyncio.Semaphore(max_concurrent)
        self._wait_s = wait_s

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the block; raises `SecretChecksBusy` when none frees in time."""
        try:
            async with asyncio.timeout(self._wait_s):
                await self._slots.acquire()
        except TimeoutError as exc:
            raise SecretChecksBusy from exc
        try:
            yield
        finally:
            self._slots.release()
