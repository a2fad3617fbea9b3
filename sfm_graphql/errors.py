"""One error hierarchy with stable codes, surfaced as `extensions.code` in GraphQL errors."""

from __future__ import annotations

import enum
from typing import Any


class ErrorCode(enum.Enum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    BAD_REQUEST = "BAD_REQUEST"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    RATE_LIMITED = "RATE_LIMITED"
    MAX_DEPTH_EXCEEDED = "MAX_DEPTH_EXCEEDED"
    MAX_ALIASES_EXCEEDED = "MAX_ALIASES_EXCEEDED"
    MAX_ROOT_FIELDS_EXCEEDED = "MAX_ROOT_FIELDS_EXCEEDED"
    MAX_TOKENS_EXCEEDED = "MAX_TOKENS_EXCEEDED"
    MAX_COST_EXCEEDED = "MAX_COST_EXCEEDED"
    DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    JSON_TOO_COMPLEX = "JSON_TOO_COMPLEX"
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class SfmError(Exception):
    """An expected failure: its message is written for the user and safe to show."""

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def extensions(self) -> dict[str, Any]:
        return {"code": self.code.value, **self.details}


class BadUserInput(SfmError):
    code = ErrorCode.BAD_USER_INPUT

    @classmethod
    def for_fields(cls, field_errors: list[dict[str, str]]) -> BadUserInput:
        """One error naming every field that must be fixed."""
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in field_errors[:10])
        return cls(f"Invalid input: {summary}", fieldErrors=field_errors)


class NotFound(SfmError):
    code = ErrorCode.NOT_FOUND


class Conflict(SfmError):
    code = ErrorCode.CONFLICT

    @classmethod
    def stale_version(cls, what: str, expected: int, current: int) -> Conflict:
        """The optimistic-concurrency refusal: the item moved past the version the caller read."""
        return cls(
            f"The {what} changed since version {expected}; it is now at version {current}. "
            "Read it again and re-apply your change.",
            currentVersion=current,
        )


class LimitExceeded(SfmError):
    code = ErrorCode.LIMIT_EXCEEDED


class ServiceUnavailable(SfmError):
    code = ErrorCode.SERVICE_UNAVAILABLE


class Unauthenticated(SfmError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(SfmError):
    code = ErrorCode.FORBIDDEN


class RateLimited(SfmError):
    code = ErrorCode.RATE_LIMITED


class OperationRefused(SfmError):
    """An operation refused before execution; the code says which limit or rule refused it."""

    def __init__(self, code: ErrorCode, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.code = code
