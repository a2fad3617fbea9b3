"""Unexpected errors, gathered in one place: the span, the error tracker, the metrics.

`graphql/core/errors.py` masks an unexpected error as `INTERNAL_SERVER_ERROR` with an `errorId` and
calls `report_unexpected`, which records the exception on the current span (masked, status
ERROR) and sends it to Sentry when `SFM_SENTRY_DSN` is set. The `sfm_errors_total` counter, by
code, is kept by the metrics module from every error response (observability/metrics.py).

Sentry (a runtime dependency, on when `SFM_SENTRY_DSN` is set) never receives personal data:
`send_default_pii` is off, local variables and request bodies are not captured, and every event
and breadcrumb passes `security.masking.mask` before it leaves the process.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from typing import Any

import sentry_sdk
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger

from sfm_graphql import __version__
from sfm_graphql.observability.request_context import current_request
from sfm_graphql.observability.tracing import current_trace_id
from sfm_graphql.security.masking import DEFAULT_PERSONAL_FIELDS, mask, mask_text
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)

# The logger whose ERROR lines report what `report_unexpected` sends itself, with its ids.
REPORTED_LOGGER = "sfm_graphql.graphql.core.errors"

_sentry_on = False


def report_unexpected(error: BaseException, *, error_id: str, code: str) -> None:
    """Record an unexpected error on the current span and send it to Sentry when configured."""
    span = trace.get_current_span()
    if span.is_recording():
        span.record_exception(
            error,
            attributes={
                "exception.message": mask_text(str(error)),
                "exception.stacktrace": mask_text("".join(traceback.format_exception(error))),
                "sfm.error_id": error_id,
            },
        )
        span.set_status(Status(StatusCode.ERROR, code))
        span.set_attribute("error.type", type(error).__qualname__)
    if _sentry_on:
        _send_to_sentry(error, error_id=error_id, code=code)


def _send_to_sentry(error: BaseException, *, error_id: str, code: str) -> None:
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("error_id", error_id)
        scope.set_tag("code", code)
        trace_id = current_trace_id()
        if trace_id:
            scope.set_tag("trace_id", trace_id)
        info = current_request()
        if info is not None:
            scope.set_tag("request_id", info.request_id)
            if info.operation:
                scope.set_tag("operation", info.operation)
        sentry_sdk.capture_exception(error)


def init_sentry(settings: Settings, **options: Any) -> bool:
    """Start the Sentry client when `sentry_dsn` is set; False when it is not."""
    global _sentry_on  # noqa: PLW0603 (the SDK itself is process-wide)
    if settings.sentry_dsn is None:
        return False
    scrub = _scrubber(settings.personal_fields)
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.environment,
        release=f"sfm-graphql@{__version__}",
        send_default_pii=False,
        include_local_variables=False,  # frames' locals hold tokens and personal data
        max_request_body_size="never",
        # Integrations are chosen, not discovered: Strawberry's and Starlette's would report the
        # errors below a second time, without their ids.
        auto_enabling_integrations=False,
        integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
        traces_sample_rate=None,  # traces go to OpenTelemetry
        before_send=lambda event, hint: scrub(event),
        before_breadcrumb=lambda crumb, hint: scrub(crumb),
        **options,
    )
    ignore_logger(REPORTED_LOGGER)
    _sentry_on = True
    return True


def stop_sentry() -> None:
    """Flush and stop the client (tests, shutdown)."""
    global _sentry_on  # noqa: PLW0603
    if not _sentry_on:
        return
    sentry_sdk.get_client().close(timeout=2)
    _sentry_on = False


def _scrubber(personal_fields: Iterable[str] = DEFAULT_PERSONAL_FIELDS) -> Any:
    fields = tuple(personal_fields)

    def scrub(payload: Any) -> Any:
        return mask(payload, personal_fields=fields)

    return scrub
