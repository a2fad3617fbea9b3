"""Every error leaves with a stable code and a message written for the user."""

from __future__ import annotations

import asyncio

import pytest
from graphql import GraphQLError

from sfm_graphql.errors import BadUserInput
from sfm_graphql.graphql.core.errors import classify, code_errors, coded
from sfm_graphql.graphql.core.limits import OperationLimits
from sfm_graphql.graphql.schema import build_schema
from sfm_graphql.settings import Settings


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (
            "Variable '$n' has invalid value: Int cannot represent non-integer value",
            "BAD_USER_INPUT",
        ),
        ("Variable '$n' got invalid value 'x'; Int cannot represent", "BAD_USER_INPUT"),
        ("Variable '$n' of required type 'Int!' was not provided.", "BAD_USER_INPUT"),
        ("Variable '$n' of non-null type 'Int!' must not be null.", "BAD_USER_INPUT"),
        ("Variable '$n' is never used.", "GRAPHQL_VALIDATION_FAILED"),
        ("Variable '$n' is not defined.", "GRAPHQL_VALIDATION_FAILED"),
        (
            "Variable '$n' of type 'Int' used in position expecting type 'Int!'.",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ("Cannot query field 'x' on type 'Query'.", "GRAPHQL_VALIDATION_FAILED"),
    ],
)
def test_document_errors_and_input_errors_get_their_codes(message: str, code: str) -> None:
    assert classify(GraphQLError(message))[0].value == code


def test_a_python_exception_before_execution_is_masked_not_shown() -> None:
    raw = ValueError("invalid literal for int() with base 10: 'many'")
    code, message, details = classify(GraphQLError(str(raw), original_error=raw))
    assert code.value == "INTERNAL_SERVER_ERROR"
    assert message == "Internal server error"
    assert "errorId" in details


def test_suggestions_are_cut_when_hidden() -> None:
    error = GraphQLError(
        "Unknown argument 'frist' on field 'Query.components'. Did you mean 'first'?"
    )
    assert coded(error, hide_suggestions=True).message == (
        "Unknown argument 'frist' on field 'Query.components'."
    )
    assert "Did you mean" in coded(error, hide_suggestions=False).message


def test_coded_errors_keep_their_code_and_others_get_one() -> None:
    done = GraphQLError("x", extensions={"code": "NOT_FOUND"})
    raw = RuntimeError("boom")
    escaped = GraphQLError("boom", original_error=raw)
    kept, masked = code_errors([done, escaped], hide_suggestions=True)
    assert kept is done
    assert masked.extensions is not None
    assert masked.extensions["code"] == "INTERNAL_SERVER_ERROR"
    assert masked.message == "Internal server error"
    user = GraphQLError("bad", original_error=BadUserInput("first must be positive"))
    assert code_errors([user], hide_suggestions=True)[0].message == "first must be positive"


def test_an_exception_escaping_an_extension_leaves_with_a_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(self: OperationLimits) -> None:
        raise ValueError("invalid literal for int() with base 10: 'many'")

    monkeypatch.setattr(OperationLimits, "_check", broken)
    schema = build_schema(Settings(environment="test"))

    class Context:
        settings = Settings(environment="test")

    result = asyncio.run(schema.execute("{ __typename }", context_value=Context()))
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions is not None
    assert error.extensions["code"] == "INTERNAL_SERVER_ERROR"
    assert "invalid literal" not in error.message
