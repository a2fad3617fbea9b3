"""The lease lock that makes concurrent `migrate` runs take turns (docs/decisions.md).

One `:MigrationLock {id: 'migrations'}` node, unique by id, holds the owner and the end of its
lease. It is taken by one statement that writes the node before it reads the owner
(`cypher/schema_migrations/lock_acquire.cypher`), so two runs can never both take it; the holder
renews the lease in the background while it migrates; a holder that crashed stops renewing and
the next run takes the lock once the lease has run out. A run that waited `wait_s` without
getting it fails, naming the holder. Every time is the database's clock, so hosts' clocks may
disagree.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from neo4j import AsyncDriver
from neo4j import exceptions as neo4j_errors

from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.migration_files import MigrationError
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LockTiming:
    lease_s: float = 60.0  # how long a holder that stopped renewing keeps the lock
    wait_s: float = 300.0  # how long a run waits for another run's lock before it fails
    poll_s: float = 0.5  # how often a waiter tries again

    @classmethod
    def of(cls, settings: Settings) -> LockTiming:
        return cls(lease_s=settings.migration_lock_lease_s, wait_s=settings.migration_lock_wait_s)


def new_owner() -> str:
    """An id naming this run in the lock and in messages: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def run_query(
    driver: AsyncDriver, database: str, registry: CypherRegistry, query_name: str, /, **params: Any
) -> list[dict[str, Any]]:
    """One named query of the registry on the bare driver: migrations run before (and without)
    the app's `Database`."""
    query = registry.get(query_name)
    query.check(params)
    records, _, _ = await driver.execute_query(query.text, params, database_=database)
    return [record.data() for record in records]


class LockNotHeld(MigrationError):
    """The lease ran out (or was taken over) while the run still worked."""


class LeaseLock:
    """The lock held by one run: `check()` before each step refuses once the lease is lost."""

    def __init__(self, driver: AsyncDriver, database: str, owner: str, timing: LockTiming) -> None:
        self._driver = driver
        self._database = database
        self._registry = CypherRegistry.load()
        self.owner = owner
        self._timing = timing
        self._lost = False
        self._held_until = 0.0  # monotonic time the lease surely lasts until

    async def _run(self, name: str, **params: Any) -> list[dict[str, Any]]:
        return await run_query(self._driver, self._database, self._registry, name, **params)

    @property
    def _lease_ms(self) -> int:
        return int(self._timing.lease_s * 1000)

    async def _ensure_constraint(self) -> None:
        # Two first runs at once may race to create it; the loser sees it exist on the retry.
        for attempt in range(3):
            try:
                await self._run("schema_migrations/lock_constraint")
            except neo4j_errors.ClientError:
                if attempt == 2:
                    raise
                await asyncio.sleep(0.2)
            else:
                return

    async def acquire(self) -> None:
        await self._ensure_constraint()
        deadline = time.monotonic() + self._timing.wait_s
        logged = False
        while True:
            started = time.monotonic()
            row = (
                await self._run(
                    "schema_migrations/lock_acquire", owner=self.owner, leaseMs=self._lease_ms
                )
            )[0]
            if row["owner"] == self.owner:
                self._held_until = started + self._timing.lease_s
                log.info("migration lock taken by %s", self.owner)
                return
            if time.monotonic() >= deadline:
                raise MigrationError(
                    f"the migration lock is held by {row['owner']} (lease until "
                    f"{row['expiresAt'].iso_format()}); gave up after waiting "
                    f"{self._timing.wait_s:g} s (SFM_MIGRATION_LOCK_WAIT_S)"
                )
            if not logged:
                log.info("waiting for the migration lock held by %s", row["owner"])
                logged = True
            await asyncio.sleep(min(self._timing.poll_s, max(0.0, deadline - time.monotonic())))

    async def renew(self) -> bool:
        """Extends the lease; False (and lost from then on) when another run holds the lock."""
        started = time.monotonic()
        row = (
            await self._run(
                "schema_migrations/lock_renew", owner=self.owner, leaseMs=self._lease_ms
            )
        )[0]
        if row["renewed"]:
            self._held_until = started + self._timing.lease_s
            return True
        self._lost = True
        return False

    async def keep_renewed(self) -> None:
        """Runs until cancelled: renews every third of the lease; a failed renewal is retried."""
        while not self._lost:
            await asyncio.sleep(self._timing.lease_s / 3)
            try:
                if not await self.renew():
                    log.error("migration lock of %s was taken over", self.owner)
            except Exception:  # retried next tick; check() stops the run in time
                log.warning("could not renew the migration lock", exc_info=True)

    def check(self) -> None:
        """Raises once the lease is lost or may have run out without a renewal."""
        if self._lost or time.monotonic() >= self._held_until:
            raise LockNotHeld(
                f"{self.owner} lost the migration lock (lease not renewed within "
                f"{self._timing.lease_s:g} s); nothing more was run, run migrate again"
            )

    async def release(self) -> None:
        await self._run("schema_migrations/lock_release", owner=self.owner)


@contextlib.asynccontextmanager
async def migration_lock(
    driver: AsyncDriver, database: str, timing: LockTiming, owner: str | None = None
) -> AsyncIterator[LeaseLock]:
    """Holds the lock, renewed, for the block; frees it afterwards, whatever happened."""
    lock = LeaseLock(driver, database, owner or new_owner(), timing)
    await lock.acquire()
    renewer = asyncio.create_task(lock.keep_renewed())
    try:
        yield lock
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        try:
            await lock.release()
        except Exception:  # the lease runs out by itself
            log.warning(
                "could not free the migration lock; it frees itself in %s s",
                timing.lease_s,
                exc_info=True,
            )
