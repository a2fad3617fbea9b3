"""`auditLog`: admins read the audit log, newest first, keyset-paginated by (at, id)."""

from __future__ import annotations

import datetime as dt

from sfm_graphql.errors import BadUserInput
from sfm_graphql.graphql.access.audit_types import (
    AuditEvent,
    AuditEventConnection,
    AuditEventEdge,
    AuditLogFilter,
)
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.cursors import encode_cursor
from sfm_graphql.graphql.graph.types import PageInfo
from sfm_graphql.graphql.planner import convert
from sfm_graphql.services.access import audit

SORT = "at"
MAX_FILTER_TEXT = 200


def _text(value: str | None, field: str) -> str | None:
    if value is not None and len(value) > MAX_FILTER_TEXT:
        raise BadUserInput(f"{field} must be at most {MAX_FILTER_TEXT} characters", field=field)
    return value


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


async def audit_log(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: AuditLogFilter | None = None,  # noqa: A002 (GraphQL argument name)
) -> AuditEventConnection:
    settings = info.context.settings
    page = convert.forward_page(settings, first=first, after=after, sort=SORT, descending=True)
    cursor = None
    if page.cursor is not None:
        if not isinstance(page.cursor.value, dt.datetime):
            raise BadUserInput("after: not a valid cursor", field="after")
        cursor = (page.cursor.value, page.cursor.id)
    f = filter or AuditLogFilter()
    rows = await audit.read_page(
        db=info.context.db,
        f=audit.AuditFilter(
            principal=_text(f.principal, "filter.principal"),
            action=_text(f.action, "filter.action"),
            since=_utc(f.from_),
            until=_utc(f.to),
        ),
        after=cursor,
        limit=page.size + 1,
    )
    edges = [
        AuditEventEdge(cursor=encode_cursor(SORT, row), node=AuditEvent.of(row))
        for row in rows[: page.size]
    ]
    return AuditEventConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > page.size,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
