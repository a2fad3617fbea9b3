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
    OVERLOADED = "OVERLOADED"
    TIMEOUT = "TIMEOUT"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    JSON_TOO_COMPLEX = "JSON_TOO_COMPLEX"
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    ANALYSIS_TOO_LARGE = "ANALYSIS_TOO_LARGE"
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

    def __reduce__(self) -> tuple[Any, ...]:
        # As it is, whatever its constructor takes: an analysis process hands its errors back.
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[SfmError], args: tuple[Any, ...], state: dict[str, Any]) -> SfmError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


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


class AnalysisTooLarge(SfmError):
    """An analysis would exceed a size or time bound; narrow its scope or lower its limits."""

    code = ErrorCode.ANALYSIS_TOO_LARGE


class ServiceUnavailable(SfmError):
    code = ErrorCode.SERVICE_UNAVAILABLE


class Overloaded(ServiceUnavailable):
    """503 with `Retry-After` as well, but the service is full, not its database gone: the
    wait for a connection of the process's Neo4j pool ran out (db/outage.py)."""

    code = ErrorCode.OVERLOADED


class TimedOut(SfmError):
    """The request ran out of its time (`request_timeout_s`); its transaction was ended."""

    code = ErrorCode.TIMEOUT


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


class NotPlanned(RuntimeError):
    """A nested field found nothing its root statement fetched: the root resolver's plan missed
    it. A bug of ours, never the caller's: masked as INTERNAL_SERVER_ERROR and logged."""


# What each code means to a client: the source of the table in docs/api.md ("Error codes"),
# written by `sfm-graphql export-error-codes`. A code without a description fails
# tests/unit/test_error_codes_doc.py, so every code the service can return is documented.
ERROR_CODE_DESCRIPTIONS: dict[ErrorCode, str] = {
    ErrorCode.BAD_USER_INPUT: (
        "a value is wrong: out of range, too long, wrong type, unknown enum value, malformed id "
        "or cursor, or a variable that does not fit its type; `fieldErrors` names each field"
    ),
    ErrorCode.BAD_REQUEST: (
        "the HTTP request is not one GraphQL request: unreadable JSON, no `query`, a batch "
        "(JSON array), a multipart upload without its preflight header (HTTP 400)"
    ),
    ErrorCode.NOT_FOUND: (
        "an id names nothing that exists; over HTTP, a GET for GraphiQL where it is off (404)"
    ),
    ErrorCode.CONFLICT: (
        "the change collides with the current state: a stale `version` (`currentVersion` gives "
        "the new one), a duplicate `externalKey`, a delete refused while deliveries exist"
    ),
    ErrorCode.UNAUTHENTICATED: (
        "no credentials, or a token or API key that is malformed, expired, revoked or from an "
        "address it may not be used from (HTTP 401)"
    ),
    ErrorCode.FORBIDDEN: (
        "the credentials are valid but lack the role the operation needs (HTTP 403)"
    ),
    ErrorCode.LIMIT_EXCEEDED: (
        "the request asks for more than the service does at once: page size, nesting of "
        "connections, export or import size"
    ),
    ErrorCode.RATE_LIMITED: (
        "the caller's cost budget or failed-login allowance is spent; retry after "
        "`Retry-After` seconds (HTTP 429)"
    ),
    ErrorCode.MAX_DEPTH_EXCEEDED: "the document nests selections deeper than allowed",
    ErrorCode.MAX_ALIASES_EXCEEDED: "the document uses more aliases than allowed",
    ErrorCode.MAX_ROOT_FIELDS_EXCEEDED: "the operation asks for more root fields than allowed",
    ErrorCode.MAX_TOKENS_EXCEEDED: "the document has more lexical tokens than the parser accepts",
    ErrorCode.MAX_COST_EXCEEDED: (
        "the operation's computed cost is above the per-operation limit of the caller's role"
    ),
    ErrorCode.DOCUMENT_TOO_LARGE: "the GraphQL document is longer than the configured maximum",
    ErrorCode.INTROSPECTION_DISABLED: (
        "introspection (`__schema`, `__type`) is off on this service (production default)"
    ),
    ErrorCode.PERSISTED_QUERY_NOT_FOUND: (
        "the persisted-query hash is unknown: send the document with its hash once"
    ),
    ErrorCode.PERSISTED_QUERY_NOT_ALLOWED: (
        "the service runs only registered operations and this one is not registered"
    ),
    ErrorCode.SERVICE_UNAVAILABLE: (
        "a backing service (Neo4j) cannot be reached, a write kept colliding with concurrent "
        "writes (a deadlock) after its retries, or a feature is not configured; retry later "
        "(HTTP 503)"
    ),
    ErrorCode.OVERLOADED: (
        "this service process already has as many requests in flight as it takes "
        "(`SFM_MAX_CONCURRENT_REQUESTS`) and its admission queue is full, or the request waited "
        "`SFM_ADMISSION_WAIT_S` in it without a slot (nothing was run), or no connection of its "
        "Neo4j pool came free while a statement waited for one (that statement was not run); "
        "retry after `Retry-After` seconds (HTTP 503)"
    ),
    ErrorCode.TIMEOUT: (
        "the request took longer than `SFM_REQUEST_TIMEOUT_S`; it was stopped and its running "
        "database transaction ended (a write not yet committed is rolled back) (HTTP 504)"
    ),
    ErrorCode.GRAPHQL_PARSE_FAILED: "the document is not valid GraphQL syntax",
    ErrorCode.GRAPHQL_VALIDATION_FAILED: (
        "the document does not match the schema: unknown fields or arguments, wrong types"
    ),
    ErrorCode.METHOD_NOT_ALLOWED: (
        "an HTTP method other than GET and POST, or a mutation sent with GET (HTTP 405)"
    ),
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: (
        "a POST body in a content type the endpoint does not read: send `application/json` "
        "(HTTP 415)"
    ),
    ErrorCode.JSON_TOO_COMPLEX: (
        "the JSON body nests deeper or holds more elements than the caller's limit; nothing "
        "was parsed further (HTTP 400)"
    ),
    ErrorCode.REQUEST_TIMEOUT: (
        "the request body did not arrive within the body timeout; nothing was run (HTTP 408)"
    ),
    ErrorCode.NOT_ACCEPTABLE: (
        "the `Accept` header names neither `application/graphql-response+json` nor "
        "`application/json` (HTTP 406)"
    ),
    ErrorCode.PAYLOAD_TOO_LARGE: "the request body is larger than the configured limit (HTTP 413)",
    ErrorCode.ANALYSIS_TOO_LARGE: (
        "an analysis would exceed a bound of the service: more components or edges than it holds "
        "in memory, or longer than its time limit; narrow the scope (scenario, kinds, types)"
    ),
    ErrorCode.INTERNAL_SERVER_ERROR: (
        "unexpected; the message is masked and `errorId` finds the details in the logs"
    ),
}
