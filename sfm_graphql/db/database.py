"""The one wrapper around the Neo4j async driver.

Named queries come from the registry and are parameter-checked; composed queries (built by the
selection compiler from enum-checked fragments) come with their own parameters. Transient
errors are retried: by the driver's managed transactions, and for `write_transaction` (several
statements in one explicit transaction) by db/transaction.py, which runs the work again from the
start. Listeners see every statement, which is how metrics and the N+1 tests count round trips.

A committed write that changed the analysed graph (a statement whose file says
`// revision: bump` and whose summary reports updates) advances the graph revision in the same
transaction, as its last statement (db/revision.py): here for a single write, in
db/transaction.py for a write transaction.

When Neo4j is unreachable a statement fails fast (docs/observability.md, "When Neo4j is
unreachable"): the driver's waits derive from `neo4j_unavailable_timeout_s`, every connectivity
error becomes `ServiceUnavailable` (SERVICE_UNAVAILABLE, HTTP 503 with `Retry-After`), and for
`neo4j_unavailable_retry_after_s` after evidence that Neo4j is gone (db/outage.py), statements
fail at once instead of each waiting again; then they try the database again, so the service
recovers by itself. A wait that ran out on a slow Neo4j fails that statement only, and a wait
for a pooled connection that ran out answers it OVERLOADED.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import neo4j
from neo4j import AsyncDriver, AsyncGraphDatabase, Query, RoutingControl
from neo4j import exceptions as neo4j_errors
from opentelemetry.trace import Span, Tracer

from sfm_graphql.db.bookmarks import bookmark_manager
from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.deadline import (
    is_timeout,
    past_deadline,
    raise_if_timed_out,
    transaction_timeout,
)
from sfm_graphql.db.native import native_row
from sfm_graphql.db.outage import CONNECTIVITY_ERRORS, Failure, diagnose
from sfm_graphql.db.retry import retry_once, worth_running_again
from sfm_graphql.db.spans import cypher_span, neo4j_attributes, set_returned_rows
from sfm_graphql.db.transaction import (
    BUMP_REVISION,
    RetryListener,
    Work,
    WriteTransactions,
    conflict,
    contended,
)
from sfm_graphql.errors import AnalysisTooLarge, Overloaded, ServiceUnavailable
from sfm_graphql.settings import Settings

Row = dict[str, Any]
StatementListener = Callable[[str, float], None]
# +1 when a statement or transaction starts holding (or waiting for) a pooled connection, -1 when
# it gives it back: how the metrics count the pool in use (the driver's pool is not public API).
ConnectionListener = Callable[[int], None]
Access = Literal["read", "write"]
T = TypeVar("T")


# Shares of the outage bound: a statement makes at most two attempts (the driver waits about
# 1 s, +-20 %, before its first retry and stops retrying once the retry time has passed), each
# bounded by the acquisition timeout, so 2 x 0.35 B + 1.2 s stays within B for B >= 4 s.
ACQUIRE_SHARE = 0.35
RETRY_SHARE = 0.1
UNAVAILABLE_MESSAGE = "The graph database is unavailable; try again shortly"
BUSY_MESSAGE = "No connection to the graph database came free in time; try again shortly"


@dataclass(frozen=True, slots=True)
class DriverTimeouts:
    """The driver's connection and retry times (seconds), derived from the outage bound."""

    acquisition: float  # waiting for a pooled connection, connecting included
    connect: float
    retry: float  # max_transaction_retry_time

    @classmethod
    def of(cls, settings: Settings) -> DriverTimeouts:
        bound = settings.neo4j_unavailable_timeout_s
        acquisition = bound * ACQUIRE_SHARE
        return cls(
            acquisition=acquisition,
            connect=min(settings.neo4j_connect_timeout_s, acquisition),
            retry=bound * RETRY_SHARE,
        )


def create_driver(settings: Settings) -> AsyncDriver:
    timeouts = DriverTimeouts.of(settings)
    return AsyncGraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
        max_connection_pool_size=settings.neo4j_pool_size,
        connection_acquisition_timeout=timeouts.acquisition,
        connection_timeout=timeouts.connect,
        max_transaction_retry_time=timeouts.retry,
        # Planner hints ("label does not exist" on an empty graph) are not operational news.
        notifications_min_severity="OFF",
    )


class Database:
    def __init__(
        self,
        driver: AsyncDriver,
        registry: CypherRegistry,
        settings: Settings,
        *,
        tracer: Tracer | None = None,
    ) -> None:
        self.driver = driver
        self.registry = registry
        self._tracer = tracer  # None: tracing is off and statements run without a span
        self._span_attributes = neo4j_attributes(settings)
        self._database = settings.neo4j_database
        self._timeout = settings.neo4j_query_timeout_s
        # The backstop around each statement: Neo4j ends a transaction at its timeout, so this
        # fires only when the server stopped answering on an open connection.
        self._backstop_s = settings.neo4j_unavailable_timeout_s
        self._retry_after_s = settings.neo4j_unavailable_retry_after_s
        self._retry_s = DriverTimeouts.of(settings).retry  # as the driver's managed transactions
        self._overload_retry_after_s = settings.overload_retry_after_s
        self._down_until = 0.0  # monotonic time until which statements fail at once
        self._listeners: list[StatementListener] = []
        self._connection_listeners: list[ConnectionListener] = []
        self._retry_listeners: list[RetryListener] = []
        self._writes = WriteTransactions(
            self,
            driver,
            settings,
            fail_fast=self._fail_fast,
            connections=self._connections,
            reachable=self._reachable,
            retried=self._write_retried,
        )

    def span(self, name: str) -> AbstractContextManager[Span | None]:
        """A span around one statement, named by its query file; no values are recorded."""
        return cypher_span(self._tracer, name, self._span_attributes)

    def add_listener(self, listener: StatementListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: StatementListener) -> None:
        self._listeners.remove(listener)

    def notify(self, name: str, seconds: float) -> None:
        for listener in self._listeners:
            listener(name, seconds)

    def add_connection_listener(self, listener: ConnectionListener) -> None:
        self._connection_listeners.append(listener)

    def _connections(self, delta: int) -> None:
        for listener in self._connection_listeners:
            listener(delta)

    def add_retry_listener(self, listener: RetryListener) -> None:
        """`listener(outcome)` for each rerun (`retried`) and give-up (`exhausted`) of a write
        transaction (db/transaction.py)."""
        self._retry_listeners.append(listener)

    def remove_retry_listener(self, listener: RetryListener) -> None:
        self._retry_listeners.remove(listener)

    def _write_retried(self, outcome: str) -> None:
        for listener in self._retry_listeners:
            listener(outcome)

    async def read(self, name: str, **params: Any) -> list[Row]:
        return await self._run_named(name, params, "read")

    async def write(self, name: str, **params: Any) -> list[Row]:
        return await self._run_named(name, params, "write")

    async def _run_named(self, name: str, params: dict[str, Any], access: Access) -> list[Row]:
        query = self.registry.get(name)
        query.check(params)
        if access == "read" and query.access == "write":
            raise ValueError(f"query {name!r} writes; call Database.write")
        return await self.run_composed(
            name, query.text, params, access, bumps_revision=query.bumps_revision
        )

    def failed(self, exc: BaseException) -> ServiceUnavailable:
        """The error to raise (with `retryAfter`) for a connectivity error; only evidence that
        Neo4j cannot be reached makes the next statements fail at once (db/outage.py)."""
        failure = diagnose(exc)
        if failure is Failure.BUSY:
            return Overloaded(BUSY_MESSAGE, retryAfter=self._overload_retry_after_s)
        if failure is Failure.UNREACHABLE:
            self._down_until = time.monotonic() + self._retry_after_s
        return self._unavailable_error(self._retry_after_s)

    def _unavailable_error(self, retry_after_s: float) -> ServiceUnavailable:
        return ServiceUnavailable(UNAVAILABLE_MESSAGE, retryAfter=max(1, math.ceil(retry_after_s)))

    def _fail_fast(self) -> None:
        """Refuse at once while a recent statement found Neo4j unreachable."""
        left = self._down_until - time.monotonic()
        if left > 0:
            raise self._unavailable_error(left)

    def _reachable(self) -> None:
        self._down_until = 0.0

    async def run_composed(
        self,
        name: str,
        text: str,
        params: dict[str, Any],
        access: Access = "read",
        *,
        bumps_revision: bool = False,
    ) -> list[Row]:
        """Run one statement in a managed (retried) transaction and return its rows as dicts;
        with `bumps_revision`, the graph revision advances in that transaction if it changed
        anything."""
        self._fail_fast()
        timeout = transaction_timeout(self._timeout)  # the request's time left bounds it
        started = _now()
        self._connections(1)
        with self.span(name) as span:
            try:
                async with asyncio.timeout(timeout + self._backstop_s):
                    if bumps_revision:
                        records = await self._write_bumping(text, params, timeout)
                    elif access == "read":
                        records = await self._read(Query(text, timeout=timeout), params)
                    else:
                        records, _, _ = await self.driver.execute_query(
                            Query(text, timeout=timeout),
                            params,
                            routing_=RoutingControl.WRITE,
                            database_=self._database,
                            # The request's bookmarks: read your own writes on a cluster.
                            bookmark_manager_=bookmark_manager(self.driver),
                        )
            except neo4j_errors.ConstraintError as exc:
                raise conflict(exc) from exc
            except CONNECTIVITY_ERRORS as exc:
                raise self.failed(exc) from exc
            except neo4j_errors.Neo4jError as exc:
                raise_if_timed_out(exc)
                if worth_running_again(exc):  # and the driver's retries ran out (a deadlock)
                    raise contended() from exc
                raise
            finally:
                self._connections(-1)
                self.notify(name, _now() - started)
            self._reachable()
            set_returned_rows(span, len(records))
        return [native_row(r) for r in records]

    async def stream(
        self, name: str, params: dict[str, Any], *, timeout_s: float
    ) -> AsyncIterator[tuple[Any, ...]]:
        """The rows of a named read query as value tuples, as they arrive (bounded memory).

        For analyses, which read much more than a page: Neo4j cancels the transaction after
        `timeout_s`, and that becomes ANALYSIS_TOO_LARGE. Values are the driver's own (no
        `to_native`): the queries that stream return ids and numbers.
        """
        query = self.registry.get(name)
        query.check(params)
        if query.access == "write":
            raise ValueError(f"query {name!r} writes; it cannot be streamed")
        self._fail_fast()
        timeout = transaction_timeout(timeout_s)  # and at most the request's time left
        started = _now()
        rows = 0
        self._connections(1)
        with self.span(name) as span:
            try:
                async with self.driver.session(
                    database=self._database,
                    default_access_mode=neo4j.READ_ACCESS,
                    bookmark_manager=bookmark_manager(self.driver),
                ) as session:
                    result = await session.run(Query(query.text, timeout=timeout), params)
                    async for record in result:
                        rows += 1
                        yield tuple(record.values())
            except CONNECTIVITY_ERRORS as exc:
                raise self.failed(exc) from exc
            except neo4j_errors.Neo4jError as exc:
                if past_deadline():
                    raise_if_timed_out(exc)  # the request's time ran out, not the analysis's
                if is_timeout(exc.code):
                    raise AnalysisTooLarge(
                        f"The analysis took longer than {timeout_s:g} s; narrow its scope"
                    ) from exc
                raise
            finally:
                self._connections(-1)
                self.notify(name, _now() - started)
                set_returned_rows(span, rows)
        self._reachable()

    async def _read(self, query: Query, params: dict[str, Any]) -> list[neo4j.Record]:
        """A read in an auto-commit transaction on a reader, with the request's bookmarks and
        the driver's retry rule (db/retry.py; docs/decisions.md, "Reads in auto-commit")."""

        async def attempt() -> list[neo4j.Record]:
            async with self.driver.session(
                database=self._database,
                default_access_mode=neo4j.READ_ACCESS,
                bookmark_manager=bookmark_manager(self.driver),
            ) as session:
                return [record async for record in await session.run(query, params)]

        return await retry_once(attempt, retry_s=self._retry_s)

    async def _write_bumping(
        self, text: str, params: dict[str, Any], tx_timeout_s: float
    ) -> list[neo4j.Record]:
        """One write and, if it changed anything, the revision bump: one managed transaction."""
        bump = self.registry.get(BUMP_REVISION).text

        @neo4j.unit_of_work(timeout=tx_timeout_s)
        async def work(tx: neo4j.AsyncManagedTransaction) -> list[neo4j.Record]:
            result = await tx.run(text, params)
            records = [record async for record in result]
            if (await result.consume()).counters.contains_updates:
                await (await tx.run(bump)).consume()
            return records

        async with self.driver.session(
            database=self._database, bookmark_manager=bookmark_manager(self.driver)
        ) as session:
            return await session.execute_write(work)

    async def write_transaction(self, work: Work[T], timeout_s: float | None = None) -> T:
        """`await work(tx)` in one write transaction, committed when it returns and rolled back
        on any error; run again from the start on a retryable error (db/transaction.py)."""
        return await self._writes.run(work, timeout_s)

    async def ping(self) -> None:
        await self.driver.verify_connectivity()

    async def close(self) -> None:
        await self.driver.close()


def _now() -> float:
    return time.perf_counter()
