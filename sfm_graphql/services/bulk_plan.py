"""The pure steps of a bulk import (sfm_graphql/services/bulk_import.py): `validate_rows` checks
each row on its own, `resolve` sorts the valid rows against what the graph holds into a plan of
writes, or per-row errors."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.models import to_properties, validate_component, validate_delivery
from sfm_graphql.errors import BadUserInput
from sfm_graphql.services.bulk_types import (
    At,
    ComponentCheck,
    DeliveryCheck,
    ImportErrorCode,
    ImportPlan,
    ImportSection,
    Row,
    RowCursor,
    RowError,
    StoredComponent,
    StoredDelivery,
    Validated,
)
from sfm_graphql.services.deliveries import check_kind

_ENDPOINT_FIELDS = ("sourceKey", "targetKey")
_ROW_NOUN = {ImportSection.COMPONENTS: "component", ImportSection.DELIVERIES: "delivery"}


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


def _field_errors(out: Validated, at: At, exc: BadUserInput) -> None:
    for item in exc.details.get("fieldErrors") or [{"field": None, "message": exc.message}]:
        out.error(at, item["field"], ImportErrorCode.INVALID_VALUE, item["message"])


def _first_use(out: Validated, at: At, first_row: dict[str, int]) -> bool:
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


def _validate_component(out: Validated, at: At, row: Row) -> None:
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


def _validate_delivery(out: Validated, at: At, row: Row) -> None:
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


def validate_rows(
    components: Sequence[Row], deliveries: Sequence[Row], cursor: RowCursor | None = None
) -> Validated:
    """Check every row on its own: fields, types, required keys and duplicate keys. With a
    `cursor`, the rows are the next batch of a stream: numbered from where it stands, checked
    for keys earlier batches used, and the cursor moves past them."""
    cursor = RowCursor() if cursor is None else cursor
    out = Validated()
    for index, row in enumerate(components, start=cursor.components):
        at = At(ImportSection.COMPONENTS, index, _key(row, "externalKey"))
        if _first_use(out, at, cursor.component_keys):
            _validate_component(out, at, row)
    for index, row in enumerate(deliveries, start=cursor.deliveries):
        at = At(ImportSection.DELIVERIES, index, _key(row, "externalKey"))
        if _first_use(out, at, cursor.delivery_keys):
            _validate_delivery(out, at, row)
    cursor.components += len(components)
    cursor.deliveries += len(deliveries)
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
