"""JSON log lines through structlog, for our loggers and everyone else's.

Every line is one JSON object: `time`, `level`, `logger`, `message`, then `request_id`,
`trace_id`, `span_id`, `principal`, `operation` while a request is being served, then the
line's own fields. Standard-library records (uvicorn, the Neo4j driver, Strawberry) go through
structlog's `ProcessorFormatter`, so they come out the same way and pass the same masking step:
`mask_secrets`, the one processor that masks tokens, keys, passwords and personal fields
(`security.masking.mask`) in every line, whoever wrote it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from sfm_graphql.observability.request_context import current_request
from sfm_graphql.observability.tracing import current_ids
from sfm_graphql.security.masking import DEFAULT_PERSONAL_FIELDS, mask
from sfm_graphql.settings import Settings

# uvicorn configures these itself unless told not to; ours replace its handlers and access log.
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def add_request_fields(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The current request's id, principal and operation (see request_context.py)."""
    info = current_request()
    if info is not None:
        event.setdefault("request_id", info.request_id)
        if info.principal:
            event.setdefault("principal", info.principal)
        if info.operation:
            event.setdefault("operation", info.operation)
    return event


def add_trace_ids(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    ids = current_ids()
    if ids is not None:
        event.setdefault("trace_id", ids[0])
        event.setdefault("span_id", ids[1])
    return event


FIRST_FIELDS = (
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "trace_id",
    "span_id",
    "principal",
    "operation",
)


def order_fields(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The common fields first, in a fixed order, so lines read alike."""
    ordered: EventDict = {key: event[key] for key in FIRST_FIELDS if key in event}
    ordered.update(event)
    return ordered


class MaskSecrets:
    """The one masking processor: every field of every line, keys and free text alike."""

    def __init__(self, personal_fields: Iterable[str] = DEFAULT_PERSONAL_FIELDS) -> None:
        self.personal_fields = tuple(personal_fields)

    def __call__(self, _: WrappedLogger, __: str, event: EventDict) -> EventDict:
        masked: EventDict = mask(event, personal_fields=self.personal_fields)
        return masked


def _context_processors() -> list[Processor]:
    """What is added where the line is logged (the request and span are current there)."""
    return [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        add_request_fields,
        add_trace_ids,
    ]


def json_formatter(settings: Settings) -> structlog.stdlib.ProcessorFormatter:
    """The formatter of every handler we install: masks, then renders one JSON object."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_context_processors(), structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.EventRenamer("message"),
            MaskSecrets(settings.personal_fields),
            order_fields,
            structlog.processors.JSONRenderer(),
        ],
    )


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the time (a test's capture, a worker's)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]  # generic only in typeshed
    """Our handler on the root logger; `configure_logging` replaces, never stacks, it."""


def configure_logging(settings: Settings, *, stream: TextIO | None = None) -> None:
    """Route every logger through one JSON handler at `settings.log_level` (idempotent)."""
    level = log_level(settings.log_level)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_context_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = JsonHandler(stream or _CurrentStderr())
    handler.setFormatter(json_formatter(settings))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, JsonHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
        uvicorn_logger.setLevel(logging.NOTSET)
    # Our access log (access_log.py) has the request id, principal and outcome; uvicorn's has not.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # The driver's DEBUG lines are Bolt messages, parameters included: never below INFO.
    logging.getLogger("neo4j").setLevel(max(level, logging.INFO))


def log_level(name: str) -> int:
    levels = logging.getLevelNamesMapping()
    try:
        return levels[name.strip().upper()]
    except KeyError:
        raise ValueError(f"unknown log level {name!r}; use DEBUG, INFO, WARNING or ERROR") from None
