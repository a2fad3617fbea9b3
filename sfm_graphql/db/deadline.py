"""The time a request has left, which every Cypher transaction it opens takes as its timeout.

`http/timeout.py` opens a deadline per HTTP request (`request_timeout_s`); `Database` asks
`transaction_timeout` for the timeout of each transaction, so Neo4j itself ends a statement that
would outlive its request, at the moment the request is answered 504 TIMEOUT, instead of running
on for nobody. Outside a request (the CLI, the lifespan, background work) there is no deadline
and each transaction keeps the timeout it asks for.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sfm_graphql.errors import TimedOut

# Neo4j takes transaction timeouts in whole milliseconds and reads 0 as "no timeout": a request
# with less than this left does not start another transaction.
MIN_TIMEOUT_S = 0.001


@dataclass(frozen=True, slots=True)
class Deadline:
    at: float  # a time.monotonic() value
    budget_s: float  # the request's whole time, for the error message

    def left(self) -> float:
        return self.at - time.monotonic()

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
    deadline = Deadline(time.monotonic() + budget_s, budget_s)
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


def current_deadline() -> Deadline | None:
    return _current.get()


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


def past_deadline() -> bool:
    """Whether the current request has run out of time (a terminated transaction then means
    it was ended for the request's sake)."""
    deadline = _current.get()
    return deadline is not None and deadline.left() <= 0
