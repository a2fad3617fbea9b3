"""What a failed statement says about Neo4j: unreachable, this process too busy, or nothing.

Only evidence that Neo4j cannot be reached opens `Database`'s fail-fast window (docs/
observability.md, "When Neo4j is unreachable"): a refused or reset connection, a connection
closed under a statement, a database not available. A wait that ran out proves nothing of the
kind: on a starved machine a live Neo4j answers late, and every statement of the process
failing at once for seconds would turn slowness into an outage. Such a statement fails alone:
`BUSY` when the wait for a pooled connection ran out (`ConnectionAcquisitionTimeoutError`): every
connection of the pool stayed in use for the whole wait, or the wait was spent before one could
be taken (the routing driver refreshes its table within the same wait, which a starved process
may use up); `INCONCLUSIVE` for any other deadline
(connecting, a socket read or write, the backstop around a statement) and for a routing table
without a server for the statement's role: after a connection fails, the routing driver drops
its server from the table until the next refresh, so the statements that race it find no reader
or writer whatever the reason of the first failure was.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator

from neo4j import exceptions as neo4j_errors

# The driver's own socket deadline (a RuntimeError); it is not exported, only raised.
from neo4j._exceptions import SocketDeadlineExceededError

# Errors that are about reaching the database, as opposed to a bad statement; socket errors and
# the backstop timeout included. `diagnose` tells which of them are evidence of an outage.
CONNECTIVITY_ERRORS: tuple[type[BaseException], ...] = (
    neo4j_errors.ServiceUnavailable,  # includes routing failures and IncompleteCommit
    neo4j_errors.SessionExpired,
    neo4j_errors.ConnectionPoolError,  # includes ConnectionAcquisitionTimeoutError
    neo4j_errors.DatabaseUnavailable,
    OSError,
    TimeoutError,
)
# No evidence either way: waits that ran out (socket timeouts, asyncio's and ours are all
# TimeoutError), and no server of the wanted role in the routing table.
INCONCLUSIVE: tuple[type[BaseException], ...] = (
    TimeoutError,
    SocketDeadlineExceededError,
    neo4j_errors.ReadServiceUnavailable,
    neo4j_errors.WriteServiceUnavailable,
)


class Failure(enum.Enum):
    UNREACHABLE = "unreachable"  # opens the fail-fast window
    INCONCLUSIVE = "inconclusive"  # this statement only: SERVICE_UNAVAILABLE
    BUSY = "busy"  # this statement only: OVERLOADED


def diagnose(exc: BaseException) -> Failure:
    """The failure a connectivity error (one of CONNECTIVITY_ERRORS) is evidence of."""
    errors = list(_chain(exc))
    if any(isinstance(e, neo4j_errors.ConnectionAcquisitionTimeoutError) for e in errors):
        return Failure.BUSY
    if any(_refusal(e) for e in errors):
        return Failure.UNREACHABLE
    if any(isinstance(e, INCONCLUSIVE) for e in errors):
        return Failure.INCONCLUSIVE
    # The driver's own verdict with nothing of the above under it: a connection closed.
    return Failure.UNREACHABLE


def _refusal(error: BaseException) -> bool:
    """A sign that Neo4j is not there: the kernel refused or reset the connection, or Neo4j
    said the database is not available."""
    if isinstance(error, neo4j_errors.DatabaseUnavailable):
        return True
    return isinstance(error, OSError) and not isinstance(error, TimeoutError)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The error, what caused it (explicitly or while handling), and the members of groups (a
    routing failure carries one error per router it asked)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        error = todo.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        if isinstance(error, BaseExceptionGroup):
            todo.extend(error.exceptions)
        todo.extend(e for e in (error.__cause__, error.__context__) if e is not None)
