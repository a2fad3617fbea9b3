"""What every log line of a request says about it: request id, principal, operation, outcome.

`AccessLog` (access_log.py) opens a `RequestInfo` per HTTP request in a context variable; the
GraphQL layer fills it in as it learns more (who is calling, which operation, which error codes),
and the log processor (logging.py) copies it into each line. The object is shared, not copied, so
what a resolver running in another task notes is seen by the access log line at the end.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from strawberry.extensions import SchemaExtension

from sfm_graphql.observability.graphql_tracing import operation_details

REQUEST_ID_HEADER = "x-request-id"
# What a proxy or client may send as its request id: short, no spaces, nothing to escape in logs.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,127}$")


def accept_request_id(given: str | None) -> str:
    """The caller's `X-Request-ID` when it is well formed, else a fresh one."""
    if given and _VALID_REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


@dataclass(slots=True)
class RequestInfo:
    request_id: str
    principal: str | None = None
    operation: str | None = None
    operation_type: str | None = None
    error_codes: list[str] = field(default_factory=list)


_current: ContextVar[RequestInfo | None] = ContextVar("sfm_request_info", default=None)


def current_request() -> RequestInfo | None:
    return _current.get()


@contextmanager
def open_request(request_id: str) -> Iterator[RequestInfo]:
    """The context of one request; lines logged inside it carry its fields."""
    info = RequestInfo(request_id)
    token = _current.set(info)
    try:
        yield info
    finally:
        _current.reset(token)


def note_error_codes(codes: Iterable[str]) -> None:
    """Record the `extensions.code` of errors sent to the client (for `outcome`)."""
    info = _current.get()
    if info is not None:
        info.error_codes.extend(c for c in codes if c and c not in info.error_codes)


class OperationLogContext(SchemaExtension):
    """Notes the principal, the operation and the error codes for the request's log lines."""

    def on_operation(self) -> Iterator[None]:
        info = _current.get()
        if info is not None:
            principal = getattr(self.execution_context.context, "principal", None)
            subject = getattr(principal, "subject", None)
            if isinstance(subject, str):
                info.principal = subject
        yield
        if info is None:
            return
        if info.operation is None:  # the document did not validate: name what it asked for
            info.operation, info.operation_type = operation_details(self.execution_context)
        # Listed before ErrorCodes, this runs after it: the errors carry their codes by now.
        result = self.execution_context.result
        if result is not None and result.errors:
            note_error_codes(str((e.extensions or {}).get("code", "")) for e in result.errors)

    def on_execute(self) -> Iterator[None]:
        info = _current.get()
        if info is not None:
            info.operation, info.operation_type = operation_details(self.execution_context)
        yield
