"""The append-only audit log: `:AuditEvent` nodes in Neo4j, each also a JSON line on the
`sfm_graphql.audit` logger.

Every detail is masked (`security.masking`) before it is stored or logged. Events are created
here and read by `auditLog`; nothing in the API updates or deletes them. The only deletion is
`prune`, run by the `sfm-graphql audit-prune` command for the configured retention.

Hooks for other parts of the service: `record_login`, `record_failed_login`, `record_event`
(token issue, exports run outside GraphQL, …). GraphQL mutations are recorded by the
`AuditMutations` schema extension (`graphql/access/audit_events.py`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import structlog

from sfm_graphql.db.database import Database
from sfm_graphql.errors import ServiceUnavailable
from sfm_graphql.security.masking import DEFAULT_PERSONAL_FIELDS, mask
from sfm_graphql.security.principal import Principal

AUDIT_LOGGER = "sfm_graphql.audit"
SUCCESS = "success"
MAX_TARGET_IDS = 100
MAX_DETAILS_BYTES = 16_384
MAX_TEXT = 200

# Actions recorded outside GraphQL; a GraphQL operation's action is its root field name.
LOGIN = "login"
LOGIN_FAILED = "login.failed"
TOKEN_ISSUED = "token.issue"  # noqa: S105 (an action name, not a secret)
AUDIT_PRUNED = "audit.prune"

log = logging.getLogger(__name__)
_stdlib_audit = logging.getLogger(AUDIT_LOGGER)
_audit_lines = structlog.wrap_logger(
    _stdlib_audit,
    processors=[structlog.processors.JSONRenderer(sort_keys=True, default=str)],
    wrapper_class=structlog.stdlib.BoundLogger,
)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    action: str
    principal: str
    principal_kind: str
    outcome: str = SUCCESS
    operation: str = ""
    credential_id: str = ""
    target_ids: tuple[str, ...] = ()
    version_before: int | None = None
    version_after: int | None = None
    client_ip: str = ""
    request_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def properties(self) -> dict[str, Any]:
        """The node's properties (camelCase); `details` is JSON text, already masked."""
        return {
            "id": self.id,
            "at": self.at,
            "principal": self.principal,
            "principalKind": self.principal_kind,
            "credentialId": self.credential_id,
            "action": self.action,
            "operation": self.operation,
            "targetIds": list(self.target_ids),
            "versionBefore": self.version_before,
            "versionAfter": self.version_after,
            "outcome": self.outcome,
            "clientIp": self.client_ip,
            "requestId": self.request_id,
            "details": json.dumps(self.details, sort_keys=True, default=str),
        }


def _short(text: str | None) -> str:
    return (text or "")[:MAX_TEXT]


def build_event(
    *,
    action: str,
    principal: str,
    principal_kind: str,
    outcome: str = SUCCESS,
    operation: str | None = None,
    credential_id: str = "",
    target_ids: Iterable[str] = (),
    version_before: int | None = None,
    version_after: int | None = None,
    client_ip: str = "",
    request_id: str | None = None,
    details: Mapping[str, Any] | None = None,
    personal_fields: Sequence[str] = DEFAULT_PERSONAL_FIELDS,
) -> AuditEvent:
    """An event with bounded, masked fields (nothing a caller passes is stored unmasked)."""
    masked = mask(dict(details or {}), personal_fields=personal_fields)
    if len(json.dumps(masked, default=str)) > MAX_DETAILS_BYTES:
        masked = {"truncated": True, "keys": sorted(masked)[:50]}
    return AuditEvent(
        action=_short(action),
        principal=str(mask(_short(principal))),
        principal_kind=_short(principal_kind),
        outcome=_short(outcome),
        operation=str(mask(_short(operation))),
        credential_id=_short(credential_id),
        target_ids=tuple(dict.fromkeys(_short(t) for t in target_ids))[:MAX_TARGET_IDS],
        version_before=version_before,
        version_after=version_after,
        client_ip=_short(client_ip),
        request_id=str(mask(_short(request_id))) if request_id else None,
        details=masked,
    )


def emit_line(event: AuditEvent) -> None:
    """The event as one JSON log line on `sfm_graphql.audit`."""
    fields = asdict(event)
    fields["at"] = event.at.isoformat()
    fields["target_ids"] = list(event.target_ids)
    _audit_lines.info("audit", **fields)


async def store(*, db: Database, event: AuditEvent) -> None:
    """Log the event, then append it to the graph.

    The line is written first, so an event survives in the logs when Neo4j refuses it; a failed
    write is logged as an error and does not undo the change it describes.
    """
    emit_line(event)
    try:
        await db.write("audit/record", props=event.properties())
    except ServiceUnavailable:
        # Neo4j is down: one line per event, not a traceback each (the line above holds it).
        log.error(  # noqa: TRY400 (the cause is known; a traceback per event would flood)
            "audit event %s (%s) not stored: Neo4j is unavailable", event.id, event.action
        )
    except Exception:
        log.exception("audit event %s (%s) could not be stored in Neo4j", event.id, event.action)


async def record_event(*, db: Database, **event: Any) -> AuditEvent:
    """Build (masked) and store one event; keyword arguments as for `build_event`."""
    built = build_event(**event)
    await store(db=db, event=built)
    return built


async def record_login(
    *,
    db: Database,
    principal: Principal,
    client_ip: str,
    method: str,
    request_id: str | None = None,
    details: Mapping[str, Any] | None = None,
    personal_fields: Sequence[str] = DEFAULT_PERSONAL_FIELDS,
) -> AuditEvent:
    """A successful login: a token issued or a session started (not every authenticated request).

    `method` names how: `client_credentials`, `jwt`, `api_key`, `cli`.
    """
    return await record_event(
        db=db,
        action=LOGIN,
        principal=principal.subject,
        principal_kind=principal.kind,
        credential_id=principal.credential_id,
        client_ip=client_ip,
        request_id=request_id,
        details={"method": method, "issuer": principal.issuer, **(details or {})},
        personal_fields=personal_fields,
    )


async def record_failed_login(
    *,
    db: Database,
    client_ip: str,
    method: str,
    reason: str,
    subject: str | None = None,
    request_id: str | None = None,
    details: Mapping[str, Any] | None = None,
    personal_fields: Sequence[str] = DEFAULT_PERSONAL_FIELDS,
) -> AuditEvent:
    """A refused credential. `subject` is who it claimed to be (a client id, an API key id),
    never the credential itself; the per-address failed-login limit bounds how many are stored.
    """
    return await record_event(
        db=db,
        action=LOGIN_FAILED,
        principal=subject or "anonymous",
        principal_kind="anonymous",
        outcome="UNAUTHENTICATED",
        client_ip=client_ip,
        request_id=request_id,
        details={"method": method, "reason": reason, **(details or {})},
        personal_fields=personal_fields,
    )


@dataclass(frozen=True, slots=True)
class AuditFilter:
    principal: str | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


async def read_page(
    *,
    db: Database,
    f: AuditFilter,
    after: tuple[dt.datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to `limit` events after the (at, id) cursor, newest first, as node properties."""
    rows = await db.read(
        "audit/page",
        principal=f.principal,
        action=f.action,
        since=f.since,
        until=f.until,
        afterAt=after[0] if after else None,
        afterId=after[1] if after else None,
        limit=limit,
    )
    return [row["props"] for row in rows]


async def prune(*, db: Database, retention_days: int, batch_size: int = 5_000) -> int:
    """Delete events older than the retention, in batches; records that it ran. Not in the API."""
    before = dt.datetime.now(dt.UTC) - dt.timedelta(days=retention_days)
    deleted = 0
    while True:
        rows = await db.write("audit/prune_batch", before=before, batchSize=batch_size)
        count = int(rows[0]["deleted"]) if rows else 0
        deleted += count
        if count < batch_size:
            break
    await record_event(
        db=db,
        action=AUDIT_PRUNED,
        principal="audit-prune",
        principal_kind="system",
        details={"deleted": deleted, "before": before.isoformat(), "retentionDays": retention_days},
    )
    return deleted
