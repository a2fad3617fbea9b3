"""The audit log as GraphQL: events, a keyset connection and the filter."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import strawberry
from strawberry.scalars import JSON

from sfm_graphql.graphql.graph.types import PageInfo


@strawberry.type(description="One audit record. Records are never changed or deleted by the API.")
class AuditEvent:
    id: strawberry.ID
    at: dt.datetime
    principal: str = strawberry.field(description="Who acted (a subject, client id, or key owner).")
    principal_kind: str = strawberry.field(
        description="user, client, api_key, anonymous or system."
    )
    credential_id: str = strawberry.field(description="The API key id or token id used.")
    action: str = strawberry.field(
        description="The root field (createComponent, …) or login, login.failed, audit.prune, …"
    )
    operation: str = strawberry.field(description="The GraphQL operation name, if any.")
    target_ids: list[str]
    version_before: int | None
    version_after: int | None
    outcome: str = strawberry.field(description="success, or the error code.")
    client_ip: str
    request_id: str | None
    details: JSON = strawberry.field(description="Masked: no secrets, no personal fields.")

    @classmethod
    def of(cls, props: dict[str, Any]) -> AuditEvent:
        return cls(
            id=strawberry.ID(props["id"]),
            at=props["at"],
            principal=props.get("principal") or "",
            principal_kind=props.get("principalKind") or "",
            credential_id=props.get("credentialId") or "",
            action=props.get("action") or "",
            operation=props.get("operation") or "",
            target_ids=list(props.get("targetIds") or []),
            version_before=props.get("versionBefore"),
            version_after=props.get("versionAfter"),
            outcome=props.get("outcome") or "",
            client_ip=props.get("clientIp") or "",
            request_id=props.get("requestId"),
            details=json.loads(props.get("details") or "{}"),
        )


@strawberry.type
class AuditEventEdge:
    cursor: str
    node: AuditEvent


@strawberry.type
class AuditEventConnection:
    edges: list[AuditEventEdge]
    page_info: PageInfo


@strawberry.input(description="All given conditions must hold; `from` inclusive, `to` exclusive.")
class AuditLogFilter:
    principal: str | None = None
    action: str | None = None
    from_: dt.datetime | None = strawberry.field(default=None, name="from")
    to: dt.datetime | None = None
