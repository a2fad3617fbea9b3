"""The one record of an HTTP request: its id, who called, which operation, its codes and status.

`RequestRecords`, the outermost middleware after the proxy headers, opens a `RequestRecord` per
HTTP request in a context variable: it accepts the caller's `X-Request-ID` when well formed (else
makes one), returns it on the response, and notes the status the response starts with. The rest
of the service fills the record in as it learns more: the GraphQL view copies the request id
into the resolvers' context and notes the codes of every result it renders, every error envelope
built before execution notes its code (`http/responses.py`), and `OperationLogContext` notes
the principal and the operation. The metrics middleware, the access log, the log processor and
error reports read it. The object is shared, not copied, so what a resolver running in another
task notes is seen at the end of the request.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from sfm_graphql.observability.graphql_tracing import operation_details

REQUEST_ID_HEADER = "x-request-id"
# What a proxy or client may send as its request id: short, no spaces, nothing to escape in logs.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,127}$")
# The status of a request whose app raised before answering: what the client sees further out.
UNANSWERED_STATUS = 500


def accept_request_id(given: str | None) -> str:
    """The caller's `X-Request-ID` when it is well formed, else a fresh one."""
    if given and _VALID_REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


@dataclass(slots=True)
class RequestRecord:
    request_id: str
    principal: str | None = None
    operation: str | None = None
    operation_type: str | None = None
    # The `extensions.code` of every error sent to the client, first seen first, once each.
    error_codes: list[str] = field(default_factory=list)
    status: int = UNANSWERED_STATUS

    def note_codes(self, codes: Iterable[str]) -> None:
        self.error_codes.extend(c for c in codes if c and c not in self.error_codes)


_current: ContextVar[RequestRecord | None] = ContextVar("sfm_request_record", default=None)


def current_request() -> RequestRecord | None:
    return _current.get()


@contextmanager
def open_request(request_id: str) -> Iterator[RequestRecord]:
    """The record of one request; lines logged inside it carry its fields."""
    record = RequestRecord(request_id)
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


def note_error_codes(codes: Iterable[str]) -> None:
    """Record the `extensions.code` of errors sent to the client, when inside a request."""
    record = _current.get()
    if record is not None:
        record.note_codes(codes)


class RequestRecords:
    """ASGI middleware: one `RequestRecord` per HTTP request, and `X-Request-ID` on the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_request_id(_header(scope, REQUEST_ID_HEADER))
        with open_request(request_id) as record:

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    record.status = message["status"]
                    MutableHeaders(scope=message)["X-Request-ID"] = request_id
                await send(message)

            await self.app(scope, receive, send_with_id)


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode("latin-1")
    for key, value in scope.get("headers", ()):
        if key.lower() == wanted:
            return str(value.decode("latin-1"))
    return None


class OperationLogContext(SchemaExtension):
    """Notes the principal and the operation in the request's record, for its log lines."""

    def on_operation(self) -> Iterator[None]:
        record = _current.get()
        if record is not None:
            principal = getattr(self.execution_context.context, "principal", None)
            subject = getattr(principal, "subject", None)
            if isinstance(subject, str):
                record.principal = subject
        yield
        if record is not None and record.operation is None:
            # The document did not validate: name what it asked for.
            record.operation, record.operation_type = operation_details(self.execution_context)

    def on_execute(self) -> Iterator[None]:
        record = _current.get()
        if record is not None:
            record.operation, record.operation_type = operation_details(self.execution_context)
        yield
