"""Which connectivity errors are evidence that Neo4j is gone (db/outage.py).

The errors are built the way the driver raises them (neo4j 6: `_async/io/_pool.py`, `_bolt`,
`_async_compat/network/_bolt_socket.py`): the class, and what it was raised from or while
handling.
"""

from __future__ import annotations

import pytest
from neo4j import exceptions as neo4j_errors
from neo4j._exceptions import SocketDeadlineExceededError

from sfm_graphql.db.outage import CONNECTIVITY_ERRORS, Failure, diagnose


def raised_from(error: BaseException, cause: BaseException | None) -> BaseException:
    """`error` as `raise error from cause` leaves it."""
    error.__cause__ = cause
    error.__suppress_context__ = True
    return error


def raised_while_handling(error: BaseException, handled: BaseException) -> BaseException:
    """`error` as `raise error from None` in an `except` block leaves it (its context kept)."""
    error.__context__ = handled
    error.__suppress_context__ = True
    return error


def routing_failure(*errors: BaseException) -> BaseException:
    """ "Unable to retrieve routing information", raised from a group of each router's error."""
    group = ExceptionGroup("All routing table requests failed", list(errors))
    return raised_from(
        neo4j_errors.ServiceUnavailable("Unable to retrieve routing information"), group
    )


def test_a_full_pool_is_overload() -> None:
    timed_out = neo4j_errors.ConnectionAcquisitionTimeoutError(
        "failed to obtain a connection from the pool within 1.75s (timeout)"
    )
    assert diagnose(timed_out) is Failure.BUSY
    assert isinstance(timed_out, CONNECTIVITY_ERRORS)


@pytest.mark.parametrize(
    "refusal",
    [ConnectionRefusedError(111, "Connection refused"), ConnectionResetError(104, "reset")],
)
def test_a_refused_or_reset_connection_is_an_outage(refusal: OSError) -> None:
    failed = raised_from(
        neo4j_errors.ServiceUnavailable("Failed to establish connection to 127.0.0.1:7687"),
        refusal,
    )
    assert diagnose(failed) is Failure.UNREACHABLE
    assert diagnose(refusal) is Failure.UNREACHABLE


def test_a_closed_connection_or_session_without_a_wait_is_an_outage() -> None:
    closed = neo4j_errors.ServiceUnavailable("Connection closed with incomplete handshake response")
    expired = neo4j_errors.SessionExpired("Failed to read from defunct connection")
    assert diagnose(closed) is Failure.UNREACHABLE
    assert diagnose(expired) is Failure.UNREACHABLE
    assert diagnose(neo4j_errors.DatabaseUnavailable("database is starting")) is Failure.UNREACHABLE


def test_a_socket_deadline_on_an_open_connection_is_inconclusive() -> None:
    # HELLO or a statement's read past the acquisition deadline: the connection is set defunct
    # and the driver raises SessionExpired (routing) or ServiceUnavailable (direct) from it.
    deadline = SocketDeadlineExceededError("read timed out")
    assert (
        diagnose(raised_from(neo4j_errors.SessionExpired("defunct"), deadline))
        is Failure.INCONCLUSIVE
    )
    assert (
        diagnose(raised_from(neo4j_errors.ServiceUnavailable("defunct"), deadline))
        is Failure.INCONCLUSIVE
    )


def test_connecting_or_the_handshake_timing_out_is_inconclusive() -> None:
    connect = raised_while_handling(
        neo4j_errors.ServiceUnavailable("Timed out trying to establish connection"),
        TimeoutError(),
    )
    handshake = raised_from(
        neo4j_errors.ServiceUnavailable("Failed to read handshake from server"),
        TimeoutError("timed out"),
    )
    assert diagnose(connect) is Failure.INCONCLUSIVE
    assert diagnose(handshake) is Failure.INCONCLUSIVE
    assert diagnose(TimeoutError()) is Failure.INCONCLUSIVE  # the backstop around a statement


def test_a_routing_failure_is_an_outage_when_a_router_refused() -> None:
    refused = raised_from(
        neo4j_errors.ServiceUnavailable("Failed to establish connection"),
        ConnectionRefusedError(111, "Connection refused"),
    )
    slow = raised_from(neo4j_errors.SessionExpired("defunct"), SocketDeadlineExceededError("x"))
    assert diagnose(routing_failure(refused)) is Failure.UNREACHABLE
    assert diagnose(routing_failure(slow, refused)) is Failure.UNREACHABLE
    assert diagnose(routing_failure(slow)) is Failure.INCONCLUSIVE


def test_an_acquisition_timeout_wins_over_what_else_the_chain_holds() -> None:
    full = neo4j_errors.ConnectionAcquisitionTimeoutError("failed to obtain a connection")
    assert diagnose(routing_failure(full)) is Failure.BUSY


def test_no_server_of_the_role_in_the_routing_table_is_inconclusive() -> None:
    # The routing driver dropped the one server after a failure; statements racing the refresh.
    for missing in (
        neo4j_errors.ReadServiceUnavailable("No read service currently available"),
        neo4j_errors.WriteServiceUnavailable("No write service currently available"),
    ):
        expired = raised_from(
            neo4j_errors.SessionExpired("Failed to obtain connection towards 'READ' server."),
            missing,
        )
        assert diagnose(expired) is Failure.INCONCLUSIVE
    refused = raised_from(
        neo4j_errors.ServiceUnavailable("Failed to establish connection"),
        ConnectionRefusedError(111, "Connection refused"),
    )
    missing_after_refusal = raised_while_handling(
        neo4j_errors.ReadServiceUnavailable("No read service currently available"), refused
    )
    assert diagnose(missing_after_refusal) is Failure.UNREACHABLE
