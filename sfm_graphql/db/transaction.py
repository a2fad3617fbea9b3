"""Write transactions of several statements, run again from the start when Neo4j says so.

`Database.write_transaction(work)` runs `async def work(tx)` in one explicit transaction and
returns what it returns: all of its statements commit, or none. Managed transactions
(`execute_query`, `execute_write`) are retried by the driver; this one is ours, so we retry it
the same way: when an attempt fails with an error the driver calls retryable (db/retry.py:
a deadlock, a lock wait that ran out, a leader switch), the transaction is rolled back and
`work` runs again from the start in a fresh one, after a short, growing, jittered pause
(`RetryPolicy`). The body must therefore be re-runnable: it reads what it needs inside the
transaction and keeps no state across attempts.

What is not retried: an expected failure of ours (`SfmError`: CONFLICT, NOT_FOUND, ...), an
error the driver does not retry, running out of memory (the same work needs the same memory),
and a connectivity error, which becomes SERVICE_UNAVAILABLE or OVERLOADED at once
(db/outage.py), so the outage bound holds for writes as for reads. When the retries are used up
the client gets SERVICE_UNAVAILABLE with `retryAfter`, never an internal error
(docs/observability.md, "Retried write transactions").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import neo4j
from neo4j import AsyncDriver
from neo4j import exceptions as neo4j_errors
from opentelemetry.trace import Span

from sfm_graphql.db.bookmarks import bookmark_manager
from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.deadline import raise_if_timed_out, transaction_timeout
from sfm_graphql.db.native import to_native
from sfm_graphql.db.outage import CONNECTIVITY_ERRORS
from sfm_graphql.db.retry import worth_running_again
from sfm_graphql.db.spans import set_returned_rows
from sfm_graphql.errors import Conflict, ServiceUnavailable
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
Row = dict[str, Any]
BUMP_REVISION = "revision/bump"  # the query that advances the graph revision (db/revision.py)

# The retries of a write transaction: at most 5 attempts, the pauses 0.1, 0.2, 0.4, 0.8 s (each
# +-20 %), and no retry that would start later than half the outage bound after the first
# attempt began (2.5 s by default). A deadlock is over as soon as Neo4j reports it, so the first
# retry comes quickly; the bound keeps a write that keeps colliding within a request's patience.
WRITE_ATTEMPTS = 5
FIRST_DELAY_S = 0.1
JITTER = 0.2
RETRY_SHARE = 0.5
CONTENDED_RETRY_AFTER_S = 1
CONTENDED_MESSAGE = (
    "The write kept colliding with concurrent writes and was not applied; try again shortly"
)
# What a retry listener is told (the `outcome` label of sfm_write_retries_total): an attempt
# failed and the work runs again, or it failed and no retry is left (attempts or time).
RETRIED = "retried"
EXHAUSTED = "exhausted"
RetryListener = Callable[[str], None]


class StatementHost(Protocol):
    """What a transaction's statements need from `Database` (no import of it: no circle)."""

    registry: CypherRegistry

    def span(self, name: str) -> AbstractContextManager[Span | None]: ...

    def notify(self, name: str, seconds: float) -> None: ...

    def failed(self, exc: BaseException) -> ServiceUnavailable: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = WRITE_ATTEMPTS
    first_delay_s: float = FIRST_DELAY_S
    jitter: float = JITTER
    retry_s: float = 2.5  # no retry starts later than this after the first attempt began

    @classmethod
    def of(cls, settings: Settings) -> RetryPolicy:
        return cls(retry_s=settings.neo4j_unavailable_timeout_s * RETRY_SHARE)

    def delay_s(self, retry: int) -> float:
        """The pause before retry number `retry` (1 for the first): doubling, jittered."""
        spread = random.uniform(1 - self.jitter, 1 + self.jitter)  # noqa: S311 (not a secret)
        return self.first_delay_s * 2.0 ** (retry - 1) * spread


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    observe: RetryListener | None = None,
) -> T:
    """`attempt()` until it succeeds, fails for good, or the policy's attempts or time are used
    up (then SERVICE_UNAVAILABLE, from the last error); `observe` is told RETRIED before each
    rerun and EXHAUSTED when none is left."""
    started = time.monotonic()
    retry = 0
    while True:
        try:
            return await attempt()
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as error:
            if not worth_running_again(error):
                raise
            retry += 1
            delay = policy.delay_s(retry)
            code = getattr(error, "code", None) or type(error).__name__
            if retry >= policy.attempts or time.monotonic() - started + delay > policy.retry_s:
                log.warning("write transaction given up after %d attempts: %s", retry, code)
                if observe is not None:
                    observe(EXHAUSTED)
                raise contended() from error
            log.info("write transaction retried (attempt %d failed: %s)", retry, code)
            if observe is not None:
                observe(RETRIED)
        await sleep(delay)


class Transaction:
    """One attempt of a write transaction, handed to the work: its statements by name."""

    def __init__(self, host: StatementHost, tx: neo4j.AsyncTransaction, deadline_s: float) -> None:
        self._host, self._tx, self.deadline_s = host, tx, deadline_s  # the wait for each statement
        self.changed_graph = False  # a `revision: bump` statement updated something

    async def run(self, name: str, **params: Any) -> list[Row]:
        query = self._host.registry.get(name)
        query.check(params)
        started = time.perf_counter()
        with self._host.span(name) as span:
            try:
                async with asyncio.timeout(self.deadline_s):
                    result = await self._tx.run(query.text, params)
                    records = [record async for record in result]
                    if query.bumps_revision:
                        summary = await result.consume()
                        self.changed_graph |= summary.counters.contains_updates
            except neo4j_errors.ConstraintError as exc:
                raise conflict(exc) from exc
            except CONNECTIVITY_ERRORS as exc:
                raise self._host.failed(exc) from exc
            except neo4j_errors.Neo4jError as exc:
                raise_if_timed_out(exc)
                raise
            finally:
                self._host.notify(name, time.perf_counter() - started)
            set_returned_rows(span, len(records))
        return [to_native(r.data()) for r in records]


Work = Callable[[Transaction], Awaitable[T]]


class WriteTransactions:
    """The retrying runner behind `Database.write_transaction`.

    `Database` hands over its outage guard as three callables: `fail_fast()` refuses while
    Neo4j was found unreachable, `connections(+-1)` counts the pool in use, `reachable()`
    closes the fail-fast window after a success; and `retried(outcome)`, which tells its retry
    listeners (the metrics) of each rerun and each give-up.
    """

    def __init__(
        self,
        host: StatementHost,
        driver: AsyncDriver,
        settings: Settings,
        *,
        fail_fast: Callable[[], None],
        connections: Callable[[int], None],
        reachable: Callable[[], None],
        retried: RetryListener | None = None,
    ) -> None:
        self._host, self._driver = host, driver
        self._database = settings.neo4j_database
        self._default_timeout_s = settings.neo4j_query_timeout_s * 10
        self._backstop_s = settings.neo4j_unavailable_timeout_s
        self._statement_deadline_s = settings.neo4j_query_timeout_s + self._backstop_s
        self.policy = RetryPolicy.of(settings)
        self._fail_fast, self._connections, self._reachable = fail_fast, connections, reachable
        self._retried = retried

    async def run(self, work: Work[T], timeout_s: float | None = None) -> T:
        return await retrying(
            lambda: self._attempt(work, timeout_s), self.policy, observe=self._retried
        )

    async def _attempt(self, work: Work[T], timeout_s: float | None) -> T:
        """One transaction: Neo4j ends it at `timeout_s`, and the client waits as long for each
        statement and the commit (a long import)."""
        wait = self._statement_deadline_s if timeout_s is None else timeout_s + self._backstop_s
        self._fail_fast()
        self._connections(1)
        try:
            async with self._driver.session(
                database=self._database, bookmark_manager=bookmark_manager(self._driver)
            ) as session:
                async with asyncio.timeout(self._statement_deadline_s):
                    tx = await session.begin_transaction(
                        timeout=transaction_timeout(timeout_s or self._default_timeout_s)
                    )
                transaction = Transaction(self._host, tx, wait)
                try:
                    result = await work(transaction)
                except BaseException:
                    # The first error is the one to report. A request cancelled at its timeout
                    # has had its connection closed by the driver (Neo4j ends the transaction),
                    # and a failing rollback must not turn that cancellation into an error.
                    with contextlib.suppress(Exception):
                        await tx.rollback()
                    raise
                async with asyncio.timeout(wait):
                    if transaction.changed_graph:  # last, so it holds the counter's lock briefly
                        bump = self._host.registry.get(BUMP_REVISION).text
                        await (await tx.run(bump)).consume()
                    await tx.commit()
        except CONNECTIVITY_ERRORS as exc:
            raise self._host.failed(exc) from exc
        finally:
            self._connections(-1)
        self._reachable()
        return result


def contended() -> ServiceUnavailable:
    """What the client is told when Neo4j kept failing a write transiently (a deadlock each
    time) until the retries ran out: retry later, nothing was written."""
    return ServiceUnavailable(CONTENDED_MESSAGE, retryAfter=CONTENDED_RETRY_AFTER_S)


def conflict(exc: neo4j_errors.ConstraintError) -> Conflict:
    message = exc.message or ""
    if "externalKey" in message:
        return Conflict("Another item already uses this externalKey", field="externalKey")
    return Conflict("The change conflicts with a uniqueness rule of the graph")
