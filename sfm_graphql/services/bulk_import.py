"""Bulk import of components and deliveries, keyed by the caller's external keys.

One call is all or nothing. Every row is validated first, against the domain rules and against
what the graph already holds; if any row is wrong, the per-row errors are returned and nothing is
written. Otherwise the rows are written in batches (`UNWIND $rows`) inside one write transaction,
so a failure part-way rolls every batch back.

Re-running an import is idempotent: a row whose stored fields already equal the row is left
alone (no new version); a changed row replaces the stored fields (a field the row leaves out is
removed) and bumps `version`. Rows are mappings spelt like the GraphQL input (camelCase), which is
also how the JSON export and the demo file spell them.

The work runs in three steps: `validate_rows` (pure), a look-up of the keys in the graph (which
also compares stored and new properties, so they never travel back), and `resolve` (pure).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sfm_graphql.db.database import Database, Transaction
from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.domain.models import to_properties, validate_component, validate_delivery
from sfm_graphql.errors import BadUserInput, Conflict, LimitExceeded
from sfm_graphql.services.deliveries import check_kind
from sfm_graphql.settings import Settings

MAX_REPORTED_ERRORS = 1000
MAX_WRITTEN_IDS = 100  # ids named in the audit event of an import (audit.MAX_TARGET_IDS)
_ENDPOINT_FIELDS = ("sourceKey", "targetKey")

Row = Mapping[str, Any]


class ImportSection(enum.Enum):
    COMPONENTS = "COMPONENTS"
    DELIVERIES = "DELIVERIES"


_ROW_NOUN = {ImportSection.COMPONENTS: "component", ImportSection.DELIVERIES: "delivery"}


class ImportErrorCode(enum.Enum):
    """Why a row was refused."""

    INVALID_VALUE = "INVALID_VALUE"
    DUPLICATE_KEY = "DUPLICATE_KEY"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    KIND_NOT_ALLOWED = "KIND_NOT_ALLOWED"
    TYPE_CHANGED = "TYPE_CHANGED"
    ENDPOINTS_CHANGED = "ENDPOINTS_CHANGED"


@dataclass(frozen=True, slots=True)
class RowError:
    section: ImportSection
    row: int
    external_key: str | None
    field: str | None
    code: ImportErrorCode
    message: str


@dataclass(slots=True)
class SectionCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class BulkImportResult:
    """What the import did or, when not committed, would do for the rows that passed."""

    dry_run: bool
    committed: bool
    components: SectionCounts
    deliveries: SectionCounts
    error_count: int
    errors: list[RowError]
    # For the audit log: ids of what a committed import wrote (at most MAX_WRITTEN_IDS), and
    # how many that was.
    written_ids: tuple[str, ...] = ()
    written_count: int = 0


@dataclass(frozen=True, slots=True)
class StoredComponent:
    id: str
    type: ComponentType
    changed: bool | None  # whether the row's props differ; None when no props were compared


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    id: str
    source_id: str
    target_id: str
    changed: bool


@dataclass(frozen=True, slots=True)
class _At:
    """Where a problem is: the section, the row index and the row's external key."""

    section: ImportSection
    row: int
    key: str | None


@dataclass(frozen=True, slots=True)
class ComponentCheck:
    """A component row that passed validation; only the first row of each key gets one."""

    at: _At
    key: str
    type: ComponentType
    props: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DeliveryCheck:
    at: _At
    key: str
    source_key: str | None
    target_key: str | None
    kind: DeliveryKind
    props: dict[str, Any]


@dataclass(slots=True)
class Validated:
    """The outcome of `validate_rows`: valid rows, errors, and the keys the graph must resolve."""

    components: list[ComponentCheck] = field(default_factory=list)
    deliveries: list[DeliveryCheck] = field(default_factory=list)
    # Every component key of the call (first row wins), with its type when the row names one.
    call_types: dict[str, ComponentType | None] = field(default_factory=dict)
    endpoint_keys: dict[str, None] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def error(self, at: _At, field_name: str | None, code: ImportErrorCode, message: str) -> None:
        self.errors.append(RowError(at.section, at.row, at.key, field_name, code, message))


@dataclass(slots=True)
class ImportPlan:
    """Rows sorted into what to write; `errors` empty means the plan may be written."""

    component_creates: list[dict[str, Any]] = field(default_factory=list)
    component_updates: list[dict[str, Any]] = field(default_factory=list)
    delivery_creates: list[dict[str, Any]] = field(default_factory=list)
    delivery_updates: list[dict[str, Any]] = field(default_factory=list)
    components: SectionCounts = field(default_factory=SectionCounts)
    deliveries: SectionCounts = field(default_factory=SectionCounts)
    errors: list[RowError] = field(default_factory=list)


# -- step 1: rows on their own (pure) --------------------------------------------------------------


def _key(row: Row, name: str) -> str | None:
    value = row.get(name)
    return value if isinstance(value, str) and value else None


def _component_type(value: Any) -> ComponentType | None:
    if isinstance(value, ComponentType):
        return value
    try:
        return ComponentType(value)
    except ValueError:
        return None


def _field_errors(out: Validated, at: _At, exc: BadUserInput) -> None:
    for item in exc.details.get("fieldErrors") or [{"field": None, "message": exc.message}]:
        out.error(at, item["field"], ImportErrorCode.INVALID_VALUE, item["message"])


def _first_use(out: Validated, at: _At, first_row: dict[str, int]) -> bool:
    """Record the row's key; False (and an error) when an earlier row already used it."""
    if at.key is None:
        out.error(at, "externalKey", ImportErrorCode.INVALID_VALUE, "is required")
        return True
    if at.key in first_row:
        out.error(
            at,
            "externalKey",
            ImportErrorCode.DUPLICATE_KEY,
            f"{_ROW_NOUN[at.section]} row {first_row[at.key]} already uses this externalKey",
        )
        return False
    first_row[at.key] = at.row
    return True


def _validate_component(out: Validated, at: _At, row: Row) -> None:
    component_type = _component_type(row.get("type"))
    if at.key is not None:
        out.call_types[at.key] = component_type
    if component_type is None:
        out.error(at, "type", ImportErrorCode.INVALID_VALUE, "is not a component type")
        return
    data = {k: v for k, v in row.items() if k != "type" and v is not None}
    try:
        props = to_properties(validate_component(component_type, data))
    except BadUserInput as exc:
        _field_errors(out, at, exc)
        return
    if at.key is not None:
        out.components.append(ComponentCheck(at, at.key, component_type, props))


def _validate_delivery(out: Validated, at: _At, row: Row) -> None:
    endpoints = {}
    for name in _ENDPOINT_FIELDS:
        endpoints[name] = key = _key(row, name)
        if key is None:
            out.error(at, name, ImportErrorCode.INVALID_VALUE, "is required")
        else:
            out.endpoint_keys[key] = None
    data = {k: v for k, v in row.items() if k not in _ENDPOINT_FIELDS and v is not None}
    try:
        model = validate_delivery(data)
    except BadUserInput as exc:
        _field_errors(out, at, exc)
        return
    if at.key is not None:
        out.deliveries.append(
            DeliveryCheck(
                at,
                at.key,
                endpoints["sourceKey"],
                endpoints["targetKey"],
                model.kind,
                to_properties(model),
            )
        )


def validate_rows(components: Sequence[Row], deliveries: Sequence[Row]) -> Validated:
    """Check every row on its own: fields, types, required keys and duplicate keys."""
    out = Validated()
    first_component: dict[str, int] = {}
    for index, row in enumerate(components):
        at = _At(ImportSection.COMPONENTS, index, _key(row, "externalKey"))
        if _first_use(out, at, first_component):
            _validate_component(out, at, row)
    first_delivery: dict[str, int] = {}
    for index, row in enumerate(deliveries):
        at = _At(ImportSection.DELIVERIES, index, _key(row, "externalKey"))
        if _first_use(out, at, first_delivery):
            _validate_delivery(out, at, row)
    return out


# -- step 3: rows against the graph (pure) ---------------------------------------------------------


def _resolve_components(
    validated: Validated, stored: Mapping[str, StoredComponent], plan: ImportPlan
) -> dict[str, tuple[str, ComponentType | None]]:
    """Plan the component rows; returns every resolvable key with its id and type."""
    endpoints: dict[str, tuple[str, ComponentType | None]] = {
        key: (found.id, found.type) for key, found in stored.items()
    }
    new_ids = {key: str(uuid.uuid4()) for key in validated.call_types if key not in stored}
    for key, component_type in validated.call_types.items():
        if key in new_ids:
            endpoints[key] = (new_ids[key], component_type)
    for check in validated.components:
        found = stored.get(check.key)
        if found is None:
            plan.components.created += 1
            plan.component_creates.append(
                {
                    "externalKey": check.key,
                    "id": new_ids[check.key],
                    "typeLabel": check.type.label,
                    "props": check.props,
                }
            )
        elif found.type != check.type:
            plan.errors.append(
                RowError(
                    check.at.section,
                    check.at.row,
                    check.key,
                    "type",
                    ImportErrorCode.TYPE_CHANGED,
                    f"the stored component with this externalKey is a {found.type.value}; "
                    "a component's type cannot change",
                )
            )
        elif found.changed:
            plan.components.updated += 1
            plan.component_updates.append({"id": found.id, "props": check.props})
        else:
            plan.components.unchanged += 1
    return endpoints


def _resolve_delivery(
    check: DeliveryCheck,
    endpoints: Mapping[str, tuple[str, ComponentType | None]],
    stored: Mapping[str, StoredDelivery],
    plan: ImportPlan,
) -> None:
    def refuse(field_name: str, code: ImportErrorCode, message: str) -> None:
        plan.errors.append(
            RowError(check.at.section, check.at.row, check.key, field_name, code, message)
        )

    resolved = []
    for name, key in (("sourceKey", check.source_key), ("targetKey", check.target_key)):
        endpoint = None if key is None else endpoints.get(key)
        if key is not None and endpoint is None:
            refuse(
                name,
                ImportErrorCode.UNKNOWN_KEY,
                "names no component of this import or of the graph",
            )
        resolved.append(endpoint)
    source, target = resolved
    if source is None or target is None:
        return
    (source_id, source_type), (target_id, target_type) = source, target
    if source_type is not None and target_type is not None:
        try:
            check_kind(check.kind, source_type, target_type)
        except BadUserInput as exc:
            refuse("kind", ImportErrorCode.KIND_NOT_ALLOWED, exc.message)
            return
    found = stored.get(check.key)
    if found is None:
        plan.deliveries.created += 1
        plan.delivery_creates.append(
            {
                "externalKey": check.key,
                "id": str(uuid.uuid4()),
                "sourceId": source_id,
                "targetId": target_id,
                "props": check.props,
            }
        )
    elif (found.source_id, found.target_id) != (source_id, target_id):
        refuse(
            "externalKey",
            ImportErrorCode.ENDPOINTS_CHANGED,
            "a delivery with this externalKey already runs between other components; "
            "delete it first or use another externalKey",
        )
    elif found.changed:
        plan.deliveries.updated += 1
        plan.delivery_updates.append({"id": found.id, "props": check.props})
    else:
        plan.deliveries.unchanged += 1


def resolve(
    validated: Validated,
    *,
    stored_components: Mapping[str, StoredComponent],
    stored_deliveries: Mapping[str, StoredDelivery],
) -> ImportPlan:
    """Check valid rows against the stored graph and sort them into creates and updates."""
    plan = ImportPlan(errors=list(validated.errors))
    endpoints = _resolve_components(validated, stored_components, plan)
    for check in validated.deliveries:
        _resolve_delivery(check, endpoints, stored_deliveries, plan)
    plan.errors.sort(key=lambda e: (e.section != ImportSection.COMPONENTS, e.row))
    return plan


def plan_import(
    components: Sequence[Row],
    deliveries: Sequence[Row],
    *,
    stored_components: Mapping[str, StoredComponent],
    stored_deliveries: Mapping[str, StoredDelivery],
) -> ImportPlan:
    """`validate_rows` then `resolve`, for callers that already know the stored graph."""
    return resolve(
        validate_rows(components, deliveries),
        stored_components=stored_components,
        stored_deliveries=stored_deliveries,
    )


# -- step 2 and the writes: the database -----------------------------------------------------------


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _preferred(found: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Per key, the item found by externalKey beats one found by id (item[-2] is that flag)."""
    return {key: next((i for i in items if i[-2]), items[0]) for key, items in found.items()}


async def _stored_components(
    tx: Transaction, validated: Validated, size: int
) -> dict[str, StoredComponent]:
    props = {check.key: check.props for check in validated.components}
    keys = dict.fromkeys([*validated.call_types, *validated.endpoint_keys])
    rows = [{"key": key, "props": props.get(key)} for key in keys]
    found: dict[str, list[Any]] = {}
    for batch in _batches(rows, size):
        for item in (await tx.run("bulk/lookup_components", rows=batch))[0]["found"]:
            found.setdefault(item[0], []).append(item)
    return {
        key: StoredComponent(component_id, ComponentType.from_labels(labels), changed)
        for key, (_, component_id, labels, _, changed) in _preferred(found).items()
    }


async def _stored_deliveries(
    tx: Transaction, validated: Validated, size: int
) -> dict[str, StoredDelivery]:
    rows = [{"key": check.key, "props": check.props} for check in validated.deliveries]
    found: dict[str, list[Any]] = {}
    for batch in _batches(rows, size):
        for item in (await tx.run("bulk/lookup_deliveries", rows=batch))[0]["found"]:
            found.setdefault(item[0], []).append(item)
    return {
        key: StoredDelivery(delivery_id, source_id, target_id, bool(changed))
        for key, (_, delivery_id, source_id, target_id, _, changed) in _preferred(found).items()
    }


async def _write(tx: Transaction, name: str, rows: list[dict[str, Any]], size: int) -> None:
    for batch in _batches(rows, size):
        result = await tx.run(name, rows=batch)
        if result[0]["written"] != len(batch):
            # Something vanished since the look-up; raising rolls back every batch.
            raise Conflict("The graph changed while the import ran; nothing was written. Retry.")


async def write_plan(tx: Transaction, plan: ImportPlan, batch_size: int) -> None:
    """Write a valid plan: components before the deliveries that need them."""
    await _write(tx, "bulk/create_components", plan.component_creates, batch_size)
    await _write(tx, "bulk/update_components", plan.component_updates, batch_size)
    await _write(tx, "bulk/create_deliveries", plan.delivery_creates, batch_size)
    await _write(tx, "bulk/update_deliveries", plan.delivery_updates, batch_size)


def check_row_count(count: int, settings: Settings) -> None:
    if count > settings.max_bulk_rows:
        raise LimitExceeded(
            f"An import takes at most {settings.max_bulk_rows} rows (components and deliveries "
            f"together), not {count}; split it into several calls",
            limit=settings.max_bulk_rows,
        )


async def bulk_import(
    *,
    db: Database,
    settings: Settings,
    components: Sequence[Row],
    deliveries: Sequence[Row],
    dry_run: bool,
) -> BulkImportResult:
    """Validate all rows; unless a row is wrong or `dry_run`, write them in one transaction."""
    check_row_count(len(components) + len(deliveries), settings)
    size = settings.bulk_batch_size
    validated = validate_rows(components, deliveries)
    async with db.write_transaction() as tx:
        plan = resolve(
            validated,
            stored_components=await _stored_components(tx, validated, size),
            stored_deliveries=await _stored_deliveries(tx, validated, size),
        )
        commit = not plan.errors and not dry_run
        if commit:
            await write_plan(tx, plan, size)
    written = _written_ids(plan) if commit else []
    return BulkImportResult(
        dry_run=dry_run,
        committed=commit,
        components=plan.components,
        deliveries=plan.deliveries,
        error_count=len(plan.errors),
        errors=plan.errors[:MAX_REPORTED_ERRORS],
        written_ids=tuple(written[:MAX_WRITTEN_IDS]),
        written_count=len(written),
    )


def _written_ids(plan: ImportPlan) -> list[str]:
    rows = (
        plan.component_creates,
        plan.component_updates,
        plan.delivery_creates,
        plan.delivery_updates,
    )
    return [str(row["id"]) for section in rows for row in section]
