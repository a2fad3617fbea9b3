"""Which Neo4j error codes say a transaction ran out of time or was ended from outside."""

from __future__ import annotations

import pytest

from sfm_graphql.db.deadline import is_terminated, is_timeout


@pytest.mark.parametrize(
    ("code", "timed_out", "terminated"),
    [
        ("Neo.ClientError.Transaction.TransactionTimedOut", True, False),
        ("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration", True, False),
        ("Neo.TransientError.Transaction.Terminated", False, True),
        # A transaction ended while it waited for a lock: how its timeout shows during a wait.
        ("Neo.ClientError.Transaction.LockClientStopped", False, True),
        ("Neo.ClientError.Schema.ConstraintValidationFailed", False, False),
        (None, False, False),
    ],
)
def test_codes(code: str | None, timed_out: bool, terminated: bool) -> None:
    assert is_timeout(code) is timed_out
    assert is_terminated(code) is terminated
