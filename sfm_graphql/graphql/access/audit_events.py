"""`AuditMutations`: one audit event per root mutation field, and per export or audit-log read.

The event is written after the field resolved (or failed) and before the response is sent, so
a test, or an investigator, can read it at once. It is generic over payload shapes: affected ids
come from the arguments (`id`, `ids`, `input.id`, `…Id`) and from the payload (`uuid`/`id` of
nested objects, `…_id(s)` fields); `versionBefore` from the `version` argument (or a payload's
private `version_before`), `versionAfter` from the first nested object's `version`; numeric
payload fields (import counts …) go to `details.result`.

Only the shape of free-text arguments is kept: values of ids, numbers, booleans, enums and dates
are recorded, other strings and objects as "[set]". Fields that `purgePersonalData` erases
(`metadata`, `powerResources`, `label`, …) are "[set]" whatever they hold: a metadata key or a
power-resource value is personal data the purge must not leave behind here. The graph holds the
data; the audit log says who changed which fields of what, when. Everything then passes the
masking function.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, OperationType
from strawberry.extensions import SchemaExtension
from strawberry.types.base import get_object_definition
from strawberry.utils.str_converters import to_camel_case

from sfm_graphql.errors import BadUserInput, ErrorCode, SfmError
from sfm_graphql.graphql.core.context import Context
from sfm_graphql.graphql.core.ids import from_global_id
from sfm_graphql.services.access import audit
from sfm_graphql.services.privacy import PURGED_FIELDS

log = logging.getLogger(__name__)

AUDITED_QUERIES = frozenset({"auditLog"})
AUDITED_QUERY_PREFIX = "export"
SET = "[set]"
MAX_IDS = 100
MAX_LIST = 50
KEEP_TEXT = frozenset({"allowedCidrs"})  # security-relevant strings kept as given (then masked)
# Recorded as "[set]" with nothing of their content (keys, numbers, nested values): what a purge
# erases, so that no copy of it survives in the audit log (docs/security.md, Audit log).
OPAQUE = frozenset(PURGED_FIELDS)
_ID_ARG = re.compile(r"^(id|ids|uuid|source|target|[a-z][A-Za-z]*Ids?)$")
_ID_ATTR = re.compile(r"^(id|uuid|[a-z_]+_ids?)$")


def _audited(info: GraphQLResolveInfo[Context]) -> bool:
    if info.operation.operation == OperationType.MUTATION:
        return True
    name = info.field_name
    return name in AUDITED_QUERIES or name.startswith(AUDITED_QUERY_PREFIX)


def _outcome(exc: BaseException) -> str:
    original = exc.original_error if isinstance(exc, GraphQLError) else exc
    if isinstance(original, SfmError):
        return original.code.value
    if isinstance(exc, GraphQLError):
        return ErrorCode.BAD_USER_INPUT.value
    return ErrorCode.INTERNAL_SERVER_ERROR.value


def _local_id(value: str) -> str:
    try:
        return from_global_id(value)[1]
    except BadUserInput:
        return value[:200]


# -- arguments ------------------------------------------------------------------------------------


def _argument_ids(value: Any, key: str, out: list[str]) -> None:
    if len(out) >= MAX_IDS:
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            _argument_ids(v, str(k), out)
    elif isinstance(value, list):
        for item in value[:MAX_IDS]:
            _argument_ids(item, key, out)
    elif isinstance(value, str) and _ID_ARG.match(key):
        out.append(_local_id(value))


def _argument_version(kwargs: Mapping[str, Any]) -> int | None:
    for holder in (kwargs, kwargs.get("input")):
        if isinstance(holder, Mapping) and isinstance(holder.get("version"), int):
            version: int = holder["version"]
            return version
    return None


def summarize(value: Any, key: str = "") -> Any:
    """Arguments with free text reduced to "[set]" (ids, numbers, flags, enums, dates kept)."""
    if key in OPAQUE and value is not None:
        return SET
    if isinstance(value, Mapping):
        return {str(k): summarize(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        items = [summarize(v, key) for v in value[:MAX_LIST]]
        return items if all(i != SET for i in items) else SET
    if isinstance(value, enum.Enum):
        value = value.value
    elif isinstance(value, dt.date | dt.datetime):
        value = value.isoformat()
    elif isinstance(value, str) and not (_ID_ARG.match(key) or key in KEEP_TEXT):
        value = SET
    return value[:200] if isinstance(value, str) else value if _scalar(value) else SET


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float)


# -- payloads -------------------------------------------------------------------------------------


class _Payload:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.version_after: int | None = None
        self.version_before: int | None = None
        self.result: dict[str, Any] = {}

    def add_object(self, obj: Any) -> None:
        for attr in ("uuid", "id"):
            value = getattr(obj, attr, None)
            if isinstance(value, str):
                self.ids.append(_local_id(value))
                break
        version = getattr(obj, "version", None)
        if self.version_after is None and isinstance(version, int):
            self.version_after = version

    def add_written(self, payload: Any) -> None:
        """A payload may name what it wrote without showing it (a bulk import: a bounded list of
        ids and how many there were)."""
        written = getattr(payload, "written_ids", None)
        if isinstance(written, list):
            self.ids.extend(_local_id(i) for i in written[:MAX_IDS] if isinstance(i, str))
            count = getattr(payload, "written_count", None)
            self.result["writtenCount"] = count if isinstance(count, int) else len(written)

    def read(self, payload: Any) -> None:
        definition = get_object_definition(payload) if payload is not None else None
        if definition is None:
            if isinstance(payload, bool | int | float):
                self.result["value"] = payload
            return
        before = getattr(payload, "version_before", None)
        self.version_before = before if isinstance(before, int) else None
        self.add_written(payload)
        self.add_object(payload)
        for f in definition.fields:
            name = f.python_name
            value = getattr(payload, name, None)
            if isinstance(value, str):
                if _ID_ATTR.match(name):
                    self.ids.append(_local_id(value))
            elif isinstance(value, bool | int | float):
                if name != "version":
                    self.result[to_camel_case(name)] = value
            elif isinstance(value, list):
                for item in value[:MAX_IDS]:
                    if isinstance(item, str) and _ID_ATTR.match(name):
                        self.ids.append(_local_id(item))
                    elif get_object_definition(item) is not None:
                        self.add_object(item)
            elif value is not None and get_object_definition(value) is not None:
                self.add_object(value)


# -- the extension --------------------------------------------------------------------------------


class AuditMutations(SchemaExtension):
    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Context],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if info.path.prev is not None or not _audited(info):
            return _next(root, info, *args, **kwargs)
        return self._with_audit(_next(root, info, *args, **kwargs), info, kwargs)

    async def _with_audit(
        self, pending: Any, info: GraphQLResolveInfo[Context], kwargs: dict[str, Any]
    ) -> Any:
        try:
            result = await pending if inspect.isawaitable(pending) else pending
        except Exception as exc:
            await _record(info, kwargs, None, _outcome(exc))
            raise
        await _record(info, kwargs, result, audit.SUCCESS)
        return result


async def _record(
    info: GraphQLResolveInfo[Context], kwargs: dict[str, Any], result: Any, outcome: str
) -> None:
    context: Context = info.context
    try:
        ids: list[str] = []
        _argument_ids(kwargs, "", ids)
        payload = _Payload()
        payload.read(result)
        details: dict[str, Any] = {"arguments": summarize(kwargs)}
        if payload.result:
            details["result"] = payload.result
        before = _argument_version(kwargs)
        principal = context.principal
        await audit.record_event(
            db=context.db,
            action=info.field_name,
            operation=info.operation.name.value if info.operation.name else "",
            principal=principal.subject,
            principal_kind=principal.kind,
            credential_id=principal.credential_id,
            outcome=outcome,
            target_ids=[*ids, *payload.ids],
            version_before=before if before is not None else payload.version_before,
            version_after=payload.version_after,
            client_ip=context.client_ip,
            request_id=context.request_id,
            details=details,
            personal_fields=context.settings.personal_fields,
        )
    except Exception:
        log.exception("could not build the audit event of %s", info.field_name)
