"""Planning a bulk import without a database: per-row validation and rules against stored state."""

from __future__ import annotations

from typing import Any

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.services.bulk_plan import plan_import, validate_rows
from sfm_graphql.services.bulk_types import (
    ImportErrorCode,
    ImportSection,
    StoredComponent,
    StoredDelivery,
)

ACTOR = {"type": "ACTOR", "label": "Utility"}
RESOURCE = {"type": "RESOURCE", "label": "Waste"}


def codes(plan: Any) -> list[tuple[str, int, str | None, str]]:
    return [(e.section.value, e.row, e.field, e.code.value) for e in plan.errors]


def test_new_rows_are_planned_as_creates_with_type_labels_and_shared_ids() -> None:
    plan = plan_import(
        [{"externalKey": "a", **ACTOR}, {"externalKey": "w", **RESOURCE}],
        [{"externalKey": "d", "sourceKey": "a", "targetKey": "w", "kind": "OWNS", "weight": 2}],
        stored_components={},
        stored_deliveries={},
    )

    assert plan.errors == []
    assert [c["typeLabel"] for c in plan.component_creates] == ["Actor", "Resource"]
    [delivery] = plan.delivery_creates
    ids = {c["externalKey"]: c["id"] for c in plan.component_creates}
    assert (delivery["sourceId"], delivery["targetId"]) == (ids["a"], ids["w"])
    assert delivery["props"]["kind"] == "OWNS" and delivery["props"]["weight"] == 2.0


def test_stored_rows_are_updated_only_when_changed() -> None:
    stored = {
        "a": StoredComponent("id-a", ComponentType.ACTOR, changed=False),
        "b": StoredComponent("id-b", ComponentType.ACTOR, changed=True),
    }
    deliveries = {
        "d": StoredDelivery("id-d", "id-a", "id-b", changed=False),
        "e": StoredDelivery("id-e", "id-a", "id-b", changed=True),
    }

    plan = plan_import(
        [{"externalKey": "a", **ACTOR}, {"externalKey": "b", **ACTOR}],
        [
            {"externalKey": k, "sourceKey": "a", "targetKey": "b", "kind": "INFORMS"}
            for k in ("d", "e")
        ],
        stored_components=stored,
        stored_deliveries=deliveries,
    )

    assert (plan.components.updated, plan.components.unchanged) == (1, 1)
    assert (plan.deliveries.updated, plan.deliveries.unchanged) == (1, 1)
    assert [u["id"] for u in plan.component_updates] == ["id-b"]
    assert [u["id"] for u in plan.delivery_updates] == ["id-e"]
    assert plan.component_creates == plan.delivery_creates == []


def test_an_endpoint_may_be_a_stored_component_outside_the_call() -> None:
    plan = plan_import(
        [{"externalKey": "w", **RESOURCE}],
        [{"externalKey": "d", "sourceKey": "stored", "targetKey": "w", "kind": "OWNS"}],
        stored_components={"stored": StoredComponent("id-s", ComponentType.INSTITUTION, None)},
        stored_deliveries={},
    )

    assert plan.errors == []
    assert plan.delivery_creates[0]["sourceId"] == "id-s"


def test_every_rule_reports_its_row_and_field() -> None:
    plan = plan_import(
        [
            {"externalKey": "a", **ACTOR},
            {"externalKey": "a", **ACTOR},
            {"externalKey": "w", **RESOURCE},
            {"externalKey": "typed", "type": "POLICY", "label": "P"},
            {"type": "ACTOR", "label": "no key"},
            {"externalKey": "t", "type": "NOT_A_TYPE", "label": "T"},
        ],
        [
            {"externalKey": "d1", "sourceKey": "w", "targetKey": "a", "kind": "OWNS"},
            {"externalKey": "d2", "sourceKey": "a", "targetKey": "missing", "kind": "INFORMS"},
            {"externalKey": "moved", "sourceKey": "a", "targetKey": "w", "kind": "INFORMS"},
            {"externalKey": "d4", "targetKey": "a", "kind": "INFORMS"},
            {"externalKey": "d5", "sourceKey": "a", "targetKey": "a", "kind": "NOT_A_KIND"},
        ],
        stored_components={"typed": StoredComponent("id-t", ComponentType.ACTOR, None)},
        stored_deliveries={"moved": StoredDelivery("id-m", "id-x", "id-y", changed=False)},
    )

    assert codes(plan) == [
        ("COMPONENTS", 1, "externalKey", "DUPLICATE_KEY"),
        ("COMPONENTS", 3, "type", "TYPE_CHANGED"),
        ("COMPONENTS", 4, "externalKey", "INVALID_VALUE"),
        ("COMPONENTS", 5, "type", "INVALID_VALUE"),
        ("DELIVERIES", 0, "kind", "KIND_NOT_ALLOWED"),
        ("DELIVERIES", 1, "targetKey", "UNKNOWN_KEY"),
        ("DELIVERIES", 2, "externalKey", "ENDPOINTS_CHANGED"),
        ("DELIVERIES", 3, "sourceKey", "INVALID_VALUE"),
        ("DELIVERIES", 4, "kind", "INVALID_VALUE"),
    ]
    assert plan.errors[0].message == "component row 0 already uses this externalKey"


def test_pydantic_field_errors_become_one_row_error_each() -> None:
    validated = validate_rows(
        [
            {
                "externalKey": "a",
                "type": "ACTOR",
                "label": "",
                "certainty": 3,
                "layer": "FORMAL_RULE",
            }
        ],
        [],
    )

    fields = sorted(e.field or "" for e in validated.errors)
    assert fields == ["certainty", "label", "layer"]
    assert {e.code for e in validated.errors} == {ImportErrorCode.INVALID_VALUE}
    assert {e.section for e in validated.errors} == {ImportSection.COMPONENTS}
    assert validated.components == []


def test_an_invalid_component_row_still_resolves_as_an_endpoint() -> None:
    # One mistake must not cascade into an UNKNOWN_KEY on every delivery that names the row.
    plan = plan_import(
        [{"externalKey": "a", "type": "ACTOR", "label": "A", "certainty": 9}],
        [{"externalKey": "d", "sourceKey": "a", "targetKey": "a", "kind": "INFORMS"}],
        stored_components={},
        stored_deliveries={},
    )

    assert codes(plan) == [("COMPONENTS", 0, "certainty", "INVALID_VALUE")]
