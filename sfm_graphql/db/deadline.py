"""The time a request has left, which every Cypher transaction it opens takes as its timeout.

`http/timeout.py` opens a deadline per HTTP request (`request_timeout_s`); `Database` asks
`transaction_timeout` for the timeout of each transaction, so Neo4j itself ends a statement that
would outlive its request, at the moment the request is answered 504 TIMEOUT, instead of running
on for nobody. Outside a request (the CLI, the lifespan, background work) there is no deadline
and each transaction keeps the timeout it asks for.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from neo4j.exceptions import Neo4jError

from sfm_graphql.errors import TimedOut

# Neo4j takes transaction timeouts in whole milliseconds and reads 0 as "no timeout": a request
# with less than this left does not start another transaction.
MIN_TIMEOUT_S = 0.001


@dataclass(slots=True)
class Deadline:
    started: float  # a time.monotonic() value
    budget_s: float  # the request's whole time
    # Told the new deadline when an operation extends it (the middleware moves its timer).
    on_extend: Callable[[float], None] | None = None

    @property
    def at(self) -> float:
        return self.started + self.budget_s

    def left(self) -> float:
        return self.at - time.monotonic()

    def extend(self, budget_s: float) -> None:
        """Give the request `budget_s` in all, when that is more than it has."""
        if budget_s > self.budget_s:
            self.budget_s = budget_s
            if self.on_extend is not None:
                self.on_extend(self.at)

    def error(self) -> TimedOut:
        return TimedOut(
            f"The request took longer than the {self.budget_s:g} s it may take; it was stopped "
            "and its database work ended",
            timeoutSeconds=self.budget_s,
        )


_current: ContextVar[Deadline | None] = ContextVar("sfm_request_deadline", default=None)


@contextmanager
def request_deadline(budget_s: float) -> Iterator[Deadline]:
    """The deadline of the request running inside the block."""
    deadline = Deadline(time.monotonic(), budget_s)
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


def current_deadline() -> Deadline | None:
    return _current.get()


def allow_long_request(budget_s: float) -> None:
    """For the operations that may legitimately take long (bulk imports, exports): the current
    request gets `budget_s` in all (`bulk_request_timeout_s`) instead of `request_timeout_s`."""
    deadline = _current.get()
    if deadline is not None:
        deadline.extend(budget_s)


def transaction_timeout(wanted_s: float) -> float:
    """The timeout of a transaction that would take up to `wanted_s`: at most what the request
    has left. Raises `TimedOut` when nothing is left."""
    deadline = _current.get()
    if deadline is None:
        return wanted_s
    left = deadline.left()
    if left < MIN_TIMEOUT_S:
        raise deadline.error()
    return min(wanted_s, left)


def is_timeout(code: str | None) -> bool:
    """Whether a Neo4j error code says a transaction was ended for running out of time."""
    return code is not None and "TransactionTimedOut" in code


def is_terminated(code: str | None) -> bool:
    """Whether a Neo4j error code says a transaction was ended from outside: terminated, or
    stopped while it waited for a lock (what a transaction timeout looks like during a lock
    wait). Whether its time ran out is for the caller to tell from its clock."""
    return code is not None and ("Transaction.Terminated" in code or "LockClientStopped" in code)


def past_deadline() -> bool:
    """Whether the current request has run out of time (a terminated transaction then means
    it was ended for the request's sake)."""
    deadline = _current.get()
    return deadline is not None and deadline.left() <= 0


def raise_if_timed_out(error: Neo4jError) -> None:
    """Raise `TimedOut` when Neo4j ended the transaction because the request's time ran out."""
    deadline = current_deadline()
    if deadline is None:
        return
    if is_timeout(error.code) or (is_terminated(error.code) and deadline.left() <= 0):
        raise deadline.error() from error
