"""The driver's retry rule for auto-commit reads (db/retry.py), with the driver's own errors."""

import asyncio
import time

import pytest
from neo4j import exceptions as neo4j_errors

from sfm_graphql.db.retry import retry_once, retryable


def _neo4j_error(code: str) -> neo4j_errors.Neo4jError:
    return neo4j_errors.Neo4jError._hydrate_neo4j(code=code, message="from the test")


class Attempts:
    """Fails with the given errors in turn, then answers."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "rows"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (neo4j_errors.SessionExpired("follower gone"), True),
        (neo4j_errors.ServiceUnavailable("no reader"), True),
        (_neo4j_error("Neo.TransientError.General.DatabaseUnavailable"), True),
        (_neo4j_error("Neo.ClientError.Statement.SyntaxError"), False),
        (_neo4j_error("Neo.ClientError.Transaction.Terminated"), False),
        (neo4j_errors.IncompleteCommit("maybe committed"), False),
        (ValueError("ours"), False),
    ],
)
def test_retryable_is_the_drivers_judgement(error: BaseException, expected: bool) -> None:
    assert retryable(error) is expected


async def test_a_retryable_failure_gets_one_more_attempt_after_the_delay() -> None:
    attempts = Attempts(neo4j_errors.SessionExpired("follower gone"))
    started = time.monotonic()
    assert await retry_once(attempts, retry_s=0.5, delay_s=0.05) == "rows"
    assert attempts.calls == 2
    assert time.monotonic() - started >= 0.05 * 0.8


async def test_only_one_retry() -> None:
    attempts = Attempts(neo4j_errors.SessionExpired("one"), neo4j_errors.SessionExpired("two"))
    with pytest.raises(neo4j_errors.SessionExpired, match="two"):
        await retry_once(attempts, retry_s=0.5, delay_s=0.01)
    assert attempts.calls == 2


async def test_a_statement_error_is_not_retried() -> None:
    attempts = Attempts(_neo4j_error("Neo.ClientError.Statement.SyntaxError"))
    with pytest.raises(neo4j_errors.ClientError):
        await retry_once(attempts, retry_s=0.5, delay_s=0.01)
    assert attempts.calls == 1


async def test_a_failure_after_the_retry_time_is_final() -> None:
    class Slow(Attempts):
        async def __call__(self) -> str:
            await asyncio.sleep(0.05)
            return await super().__call__()

    attempts = Slow(neo4j_errors.ServiceUnavailable("no reader"))
    with pytest.raises(neo4j_errors.ServiceUnavailable):
        await retry_once(attempts, retry_s=0.01, delay_s=0.01)
    assert attempts.calls == 1
