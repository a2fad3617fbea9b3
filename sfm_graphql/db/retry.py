"""The driver's retry rule for the statements we run outside its managed transactions.

A managed transaction (`execute_query`, `execute_write`) is retried by the driver: an error it
calls retryable (`is_retryable()`: a lost connection, a routing change, a transient Neo4j
error) gets another attempt after about a second (+-20 %), as long as the first failure came
within `max_transaction_retry_time`. With the retry time the outage bound allows (a tenth of
it, db/database.py) that is at most one retry. Auto-commit reads (`Database.run_composed`)
keep the same rule through `retry_once`, so moving a read off a managed transaction changes
its cost, not how it survives a failover.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from neo4j import exceptions as neo4j_errors

T = TypeVar("T")
RETRY_DELAY_S = 1.0  # the driver's first retry delay
RETRY_JITTER = 0.2  # and its jitter: the delay is 0.8 to 1.2 s


def retryable(error: BaseException) -> bool:
    """Whether the driver would try a transaction that failed with `error` again."""
    if isinstance(error, neo4j_errors.Neo4jError | neo4j_errors.DriverError):
        return error.is_retryable()
    return False


def worth_running_again(error: BaseException) -> bool:
    """`retryable`, but not for running out of memory (the driver retries that too): the same
    work would need the same memory, and the caller is better told why it failed."""
    code = getattr(error, "code", None) or ""
    return retryable(error) and "OutOfMemory" not in code and "MemoryLimit" not in code


async def retry_once(
    attempt: Callable[[], Awaitable[T]],
    *,
    retry_s: float,
    delay_s: float = RETRY_DELAY_S,
) -> T:
    """`attempt()`, and once more after about `delay_s` if it failed retryably within `retry_s`."""
    started = time.monotonic()
    try:
        return await attempt()
    except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as error:
        if not retryable(error) or time.monotonic() - started > retry_s:
            raise
    jitter = random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)  # noqa: S311 (not a secret)
    await asyncio.sleep(delay_s * jitter)
    return await attempt()
