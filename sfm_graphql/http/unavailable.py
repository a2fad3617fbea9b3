"""HTTP status of a GraphQL response whose every error is SERVICE_UNAVAILABLE: 503 with Retry-After.

Kept apart from the view's other status rules so it reads (and merges) on its own: a client or
a proxy that sees 503 with `Retry-After` backs off and retries, which is the right reaction to
an unreachable database, whereas a 200 with errors tells it nothing. A response with any other
error keeps the status the other rules give it.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphql import GraphQLError
from starlette.responses import Response

from sfm_graphql.errors import ErrorCode

UNAVAILABLE_STATUS = 503
DEFAULT_RETRY_AFTER_S = 1


def unavailable_retry_after(errors: Sequence[GraphQLError] | None) -> int | None:
    """Seconds for `Retry-After` when every error is SERVICE_UNAVAILABLE, else None."""
    if not errors:
        return None
    wait = DEFAULT_RETRY_AFTER_S
    for error in errors:
        extensions = error.extensions or {}
        if extensions.get("code") != ErrorCode.SERVICE_UNAVAILABLE.value:
            return None
        given = extensions.get("retryAfter")
        if isinstance(given, int) and given > wait:
            wait = given
    return wait


def apply_unavailable_status(errors: Sequence[GraphQLError] | None, response: Response) -> None:
    """Make `response` a 503 with `Retry-After` when every error is SERVICE_UNAVAILABLE."""
    retry_after = unavailable_retry_after(errors)
    if retry_after is not None:
        response.status_code = UNAVAILABLE_STATUS
        response.headers["Retry-After"] = str(retry_after)
