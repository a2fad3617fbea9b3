"""The retries of a write transaction (db/transaction.py), with the driver's own errors."""

import asyncio

import pytest
from neo4j import exceptions as neo4j_errors

from sfm_graphql.db.transaction import EXHAUSTED, RETRIED, RetryPolicy, retrying
from sfm_graphql.errors import Conflict, ErrorCode, ServiceUnavailable
from sfm_graphql.settings import Settings

DEADLOCK = "Neo.TransientError.Transaction.DeadlockDetected"


def _neo4j_error(code: str) -> neo4j_errors.Neo4jError:
    return neo4j_errors.Neo4jError._hydrate_neo4j(code=code, message="from the test")


class Sleeps:
    """Records the pauses (and waits them only when `real`)."""

    def __init__(self, *, real: bool = False) -> None:
        self.pauses: list[float] = []
        self.real = real

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        if self.real:
            await asyncio.sleep(seconds)


class Attempts:
    """Fails `failures` times with `error()`, then answers what this attempt built."""

    def __init__(self, failures: int, error: type[BaseException] | str = DEADLOCK) -> None:
        self.failures, self.error = failures, error
        self.calls = 0
        self.built: list[list[str]] = []

    async def __call__(self) -> list[str]:
        self.calls += 1
        state: list[str] = []  # what one attempt of the body builds, from nothing
        self.built.append(state)
        state.append("read")
        if self.calls <= self.failures:
            if isinstance(self.error, str):
                raise _neo4j_error(self.error)
            raise self.error("from the test")
        state.append("written")
        return state


def test_the_pauses_start_near_a_tenth_of_a_second_and_double() -> None:
    policy = RetryPolicy()
    for retry, base in enumerate((0.1, 0.2, 0.4, 0.8), start=1):
        for _ in range(50):
            assert base * 0.8 <= policy.delay_s(retry) <= base * 1.2


def test_the_retry_time_is_half_the_outage_bound() -> None:
    settings = Settings(neo4j_unavailable_timeout_s=8)
    assert RetryPolicy.of(settings).retry_s == 4
    assert RetryPolicy.of(Settings()).attempts == 5


async def test_a_deadlock_is_retried_and_the_body_runs_again_from_the_start() -> None:
    attempts, sleeps = Attempts(failures=2), Sleeps()
    assert await retrying(attempts, RetryPolicy(), sleep=sleeps) == ["read", "written"]
    assert attempts.calls == 3
    assert attempts.built == [["read"], ["read"], ["read", "written"]]
    assert len(sleeps.pauses) == 2
    assert 0.08 <= sleeps.pauses[0] <= 0.12 and 0.16 <= sleeps.pauses[1] <= 0.24


async def test_when_the_attempts_are_used_up_the_client_is_told_to_retry_later() -> None:
    attempts, sleeps = Attempts(failures=10), Sleeps()
    with pytest.raises(ServiceUnavailable) as raised:
        await retrying(attempts, RetryPolicy(attempts=5, retry_s=60), sleep=sleeps)
    assert attempts.calls == 5
    assert len(sleeps.pauses) == 4
    assert raised.value.code is ErrorCode.SERVICE_UNAVAILABLE
    assert raised.value.extensions()["retryAfter"] == 1
    assert isinstance(raised.value.__cause__, neo4j_errors.TransientError)
    assert raised.value.__cause__.code == DEADLOCK


async def test_no_retry_starts_after_the_retry_time() -> None:
    attempts, sleeps = Attempts(failures=10), Sleeps(real=True)
    # 0.1 s fits in 0.25 s, then 0.1 + 0.2 s does not: two attempts.
    with pytest.raises(ServiceUnavailable):
        await retrying(attempts, RetryPolicy(jitter=0.0, retry_s=0.25), sleep=sleeps)
    assert attempts.calls == 2
    assert sleeps.pauses == [pytest.approx(0.1)]


@pytest.mark.parametrize(
    "error",
    [
        "Neo.ClientError.Statement.SyntaxError",
        "Neo.ClientError.Transaction.Terminated",
        "Neo.ClientError.Schema.ConstraintValidationFailed",
        # Retryable for the driver, but the same work would need the same memory again.
        "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
        "Neo.TransientError.General.TransactionMemoryLimit",
        neo4j_errors.IncompleteCommit,  # it may have committed: running it again could repeat it
        Conflict,  # ours: a stale version, a duplicate key
        ValueError,
    ],
)
async def test_an_error_that_is_not_retryable_is_raised_at_once(
    error: type[BaseException] | str,
) -> None:
    attempts, sleeps = Attempts(failures=1, error=error), Sleeps()
    with pytest.raises(Exception) as raised:
        await retrying(attempts, RetryPolicy(), sleep=sleeps)
    assert not isinstance(raised.value, ServiceUnavailable)
    assert attempts.calls == 1
    assert sleeps.pauses == []


async def test_a_lock_wait_that_ran_out_and_a_leader_switch_are_retried() -> None:
    for code in (
        "Neo.TransientError.Transaction.LockAcquisitionTimeout",
        "Neo.ClientError.Cluster.NotALeader",
    ):
        attempts = Attempts(failures=1, error=code)
        assert await retrying(attempts, RetryPolicy(), sleep=Sleeps()) == ["read", "written"]
        assert attempts.calls == 2, code


async def test_the_listener_is_told_of_each_rerun_and_of_the_give_up() -> None:
    told: list[str] = []
    await retrying(Attempts(failures=2), RetryPolicy(), sleep=Sleeps(), observe=told.append)
    assert told == [RETRIED, RETRIED]

    told.clear()
    with pytest.raises(ServiceUnavailable):
        await retrying(
            Attempts(failures=10),
            RetryPolicy(attempts=3, retry_s=60),
            sleep=Sleeps(),
            observe=told.append,
        )
    assert told == [RETRIED, RETRIED, EXHAUSTED]  # three attempts: two reruns, then none left


async def test_running_out_of_retry_time_is_a_give_up_too() -> None:
    told: list[str] = []
    with pytest.raises(ServiceUnavailable):
        await retrying(
            Attempts(failures=10),
            RetryPolicy(jitter=0.0, retry_s=0.05),
            sleep=Sleeps(),
            observe=told.append,
        )
    assert told == [EXHAUSTED]


async def test_an_error_not_retried_tells_the_listener_nothing() -> None:
    told: list[str] = []
    with pytest.raises(ValueError):
        await retrying(Attempts(failures=1, error=ValueError), RetryPolicy(), observe=told.append)
    assert told == []
