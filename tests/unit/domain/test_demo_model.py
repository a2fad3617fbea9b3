"""Checks of the demo model loaded by `make run` (sfm_graphql/demo/llrw_compact.json).

Pure file checks: no database, no network. They hold the JSON to the closed vocabularies of
`sfm_graphql.domain` so the loader never meets a kind, type or field it must reject.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from typing import Any

import networkx as nx
import pytest

from sfm_graphql.domain.enums import (
    ComponentType,
    DataQuality,
    DeliveryType,
    InstitutionLayer,
    InstrumentType,
    ResourceType,
)
from sfm_graphql.domain.kinds import DeliveryKind
from tests.paths import ROOT

DEMO_PATH = ROOT / "sfm_graphql" / "demo" / "llrw_compact.json"

KEY_PATTERN = re.compile(r"^[a-z0-9-]+$")
TOP_LEVEL_FIELDS = {"name", "description", "source", "components", "deliveries", "matrices"}
COMMON_FIELDS = {
    "externalKey",
    "type",
    "label",
    "description",
    "certainty",
    "dataQuality",
    "metadata",
}
TYPE_FIELDS: dict[ComponentType, set[str]] = {
    ComponentType.ACTOR: {"sector", "legalForm", "powerResources"},
    ComponentType.INSTITUTION: {"layer", "legitimacyBasis", "changeResistance"},
    ComponentType.POLICY: {"authority", "enforcement", "targetSectors"},
    ComponentType.POLICY_INSTRUMENT: {"instrumentType", "targetBehavior"},
    ComponentType.RESOURCE: {"resourceType", "unit"},
    ComponentType.PROCESS: {"technology"},
    ComponentType.VALUE_SYSTEM: {"legitimacySource", "priorityWeight"},
    ComponentType.BELIEF_SYSTEM: {"domain", "strength"},
    ComponentType.TECHNOLOGY_SYSTEM: {"maturity"},
    ComponentType.ECOLOGICAL_SYSTEM: {"ecosystemType"},
    ComponentType.INDICATOR: {
        "valueCategory",
        "unit",
        "currentValue",
        "targetValue",
        "thresholds",
    },
}
DELIVERY_FIELDS = {
    "externalKey",
    "source",
    "target",
    "kind",
    "deliveryType",
    "weight",
    "certainty",
    "description",
    "timeSlice",
    "spatialUnit",
    "scenario",
    "validFrom",
    "validTo",
    "quantity",
    "unit",
}
MATRIX_FIELDS = {"externalKey", "name", "description", "components"}
BASELINE = "baseline"


def _load() -> dict[str, Any]:
    with DEMO_PATH.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


MODEL = _load()
COMPONENTS: list[dict[str, Any]] = MODEL["components"]
DELIVERIES: list[dict[str, Any]] = MODEL["deliveries"]
MATRICES: list[dict[str, Any]] = MODEL["matrices"]
TYPE_BY_KEY: dict[str, ComponentType] = {
    c["externalKey"]: ComponentType[c["type"]] for c in COMPONENTS
}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_unit_interval(value: object) -> bool:
    return _is_number(value) and 0.0 <= value <= 1.0  # type: ignore[operator]


def _is_text(value: object, max_len: int | None = None) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    return max_len is None or len(value) <= max_len


def _graph(scenario: str | None = None) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(TYPE_BY_KEY)
    for delivery in DELIVERIES:
        if scenario is None or delivery["scenario"] == scenario:
            graph.add_edge(
                delivery["source"],
                delivery["target"],
                key=delivery["externalKey"],
                kind=delivery["kind"],
            )
    return graph


def _component_id(component: dict[str, Any]) -> str:
    return str(component.get("externalKey"))


def _delivery_id(delivery: dict[str, Any]) -> str:
    return str(delivery.get("externalKey"))


# ----------------------------------------------------------------------------- model level


def test_top_level_shape() -> None:
    assert set(MODEL) == TOP_LEVEL_FIELDS
    assert _is_text(MODEL["name"], 200)
    assert _is_text(MODEL["description"], 2000)
    assert _is_text(MODEL["source"], 2000)
    assert "Hayden" in MODEL["source"]


def test_sizes_are_in_the_intended_range() -> None:
    assert 45 <= len(COMPONENTS) <= 60
    assert 90 <= len(DELIVERIES) <= 140
    assert 1 <= len(MATRICES) <= 2


def test_every_component_type_is_present() -> None:
    present = Counter(TYPE_BY_KEY.values())
    missing = set(ComponentType) - set(present)
    assert not missing, f"component types without a component: {sorted(t.name for t in missing)}"


def test_external_keys_are_unique_and_well_formed() -> None:
    keys = [c["externalKey"] for c in COMPONENTS]
    keys += [d["externalKey"] for d in DELIVERIES]
    keys += [m["externalKey"] for m in MATRICES]
    duplicates = [key for key, count in Counter(keys).items() if count > 1]
    assert not duplicates, f"duplicate externalKeys: {duplicates}"
    malformed = [key for key in keys if not isinstance(key, str) or not KEY_PATTERN.match(key)]
    assert not malformed, f"externalKeys outside [a-z0-9-]: {malformed}"


def test_every_component_takes_part_in_some_delivery() -> None:
    graph = _graph()
    isolated = [node for node in graph if graph.degree(node) == 0]
    assert not isolated, f"components with no delivery: {isolated}"


def test_many_kinds_and_delivery_types_are_used() -> None:
    assert len({d["kind"] for d in DELIVERIES}) >= 20
    assert len({d["deliveryType"] for d in DELIVERIES}) >= 8


def test_scenarios_baseline_and_one_alternative() -> None:
    scenarios = Counter(d["scenario"] for d in DELIVERIES)
    assert scenarios[BASELINE] > len(DELIVERIES) / 2
    alternatives = {name: n for name, n in scenarios.items() if name != BASELINE}
    assert alternatives, "no delivery belongs to a second scenario"
    assert all(n >= 10 for n in alternatives.values()), alternatives


# ------------------------------------------------------------------------------ components


@pytest.mark.parametrize("component", COMPONENTS, ids=_component_id)
def test_component_common_fields(component: dict[str, Any]) -> None:
    assert component["type"] in ComponentType.__members__
    assert _is_text(component["label"], 200)
    assert _is_text(component["description"], 2000)
    assert _is_unit_interval(component["certainty"])
    assert component["dataQuality"] in DataQuality.__members__
    metadata = component["metadata"]
    assert isinstance(metadata, dict)
    assert len(metadata) <= 10
    for name, value in metadata.items():
        assert _is_text(name, 64)
        assert isinstance(value, str) or _is_number(value), f"metadata {name} is not flat"


@pytest.mark.parametrize("component", COMPONENTS, ids=_component_id)
def test_component_has_only_its_type_fields(component: dict[str, Any]) -> None:
    component_type = ComponentType[component["type"]]
    allowed = COMMON_FIELDS | TYPE_FIELDS[component_type]
    extra = set(component) - allowed
    assert not extra, f"{component['externalKey']} ({component_type.name}) carries {sorted(extra)}"
    missing_common = COMMON_FIELDS - set(component)
    assert not missing_common, f"{component['externalKey']} lacks {sorted(missing_common)}"


def _check_actor(component: dict[str, Any]) -> None:
    assert _is_text(component["sector"])
    assert _is_text(component["legalForm"])
    resources = component["powerResources"]
    assert isinstance(resources, list)
    assert resources
    for resource in resources:
        assert set(resource) == {"name", "value"}
        assert _is_text(resource["name"])
        assert _is_unit_interval(resource["value"])


def _check_institution(component: dict[str, Any]) -> None:
    assert component["layer"] in InstitutionLayer.__members__
    assert _is_text(component["legitimacyBasis"])
    assert _is_unit_interval(component["changeResistance"])


def _check_policy(component: dict[str, Any]) -> None:
    assert _is_text(component["authority"])
    assert _is_unit_interval(component["enforcement"])
    sectors = component["targetSectors"]
    assert isinstance(sectors, list)
    assert sectors
    assert all(_is_text(sector) for sector in sectors)


def _check_instrument(component: dict[str, Any]) -> None:
    assert component["instrumentType"] in InstrumentType.__members__
    assert _is_text(component["targetBehavior"])


def _check_resource(component: dict[str, Any]) -> None:
    assert component["resourceType"] in ResourceType.__members__
    assert _is_text(component["unit"])


def _check_process(component: dict[str, Any]) -> None:
    assert _is_text(component["technology"])


def _check_value_system(component: dict[str, Any]) -> None:
    assert _is_text(component["legitimacySource"])
    assert _is_unit_interval(component["priorityWeight"])


def _check_belief_system(component: dict[str, Any]) -> None:
    assert _is_text(component["domain"])
    assert _is_unit_interval(component["strength"])


def _check_technology(component: dict[str, Any]) -> None:
    maturity = component["maturity"]
    assert isinstance(maturity, int)
    assert not isinstance(maturity, bool)
    assert 1 <= maturity <= 9


def _check_ecology(component: dict[str, Any]) -> None:
    assert _is_text(component["ecosystemType"])


def _check_indicator(component: dict[str, Any]) -> None:
    assert _is_text(component["valueCategory"])
    assert _is_text(component["unit"])
    assert _is_number(component["currentValue"])
    assert _is_number(component["targetValue"])
    thresholds = component["thresholds"]
    assert isinstance(thresholds, list)
    for threshold in thresholds:
        assert set(threshold) == {"label", "value"}
        assert _is_text(threshold["label"])
        assert _is_number(threshold["value"])


TYPE_CHECKS = {
    ComponentType.ACTOR: _check_actor,
    ComponentType.INSTITUTION: _check_institution,
    ComponentType.POLICY: _check_policy,
    ComponentType.POLICY_INSTRUMENT: _check_instrument,
    ComponentType.RESOURCE: _check_resource,
    ComponentType.PROCESS: _check_process,
    ComponentType.VALUE_SYSTEM: _check_value_system,
    ComponentType.BELIEF_SYSTEM: _check_belief_system,
    ComponentType.TECHNOLOGY_SYSTEM: _check_technology,
    ComponentType.ECOLOGICAL_SYSTEM: _check_ecology,
    ComponentType.INDICATOR: _check_indicator,
}


def test_every_type_has_a_field_check() -> None:
    assert set(TYPE_CHECKS) == set(ComponentType)
    assert set(TYPE_FIELDS) == set(ComponentType)


@pytest.mark.parametrize("component", COMPONENTS, ids=_component_id)
def test_component_type_fields_are_valid(component: dict[str, Any]) -> None:
    component_type = ComponentType[component["type"]]
    missing = TYPE_FIELDS[component_type] - set(component)
    assert not missing, f"{component['externalKey']} lacks {sorted(missing)}"
    TYPE_CHECKS[component_type](component)


# ------------------------------------------------------------------------------ deliveries


@pytest.mark.parametrize("delivery", DELIVERIES, ids=_delivery_id)
def test_delivery_shape(delivery: dict[str, Any]) -> None:
    assert set(delivery) == DELIVERY_FIELDS


@pytest.mark.parametrize("delivery", DELIVERIES, ids=_delivery_id)
def test_delivery_endpoints_exist_and_kind_is_allowed(delivery: dict[str, Any]) -> None:
    source, target = delivery["source"], delivery["target"]
    assert source in TYPE_BY_KEY, f"unknown source {source}"
    assert target in TYPE_BY_KEY, f"unknown target {target}"
    assert source != target
    assert delivery["kind"] in DeliveryKind.__members__
    kind = DeliveryKind[delivery["kind"]]
    source_type, target_type = TYPE_BY_KEY[source], TYPE_BY_KEY[target]
    assert kind.allows(source_type, target_type), (
        f"{kind.name} not allowed from {source_type.name} to {target_type.name}"
    )


@pytest.mark.parametrize("delivery", DELIVERIES, ids=_delivery_id)
def test_delivery_values(delivery: dict[str, Any]) -> None:
    assert delivery["deliveryType"] in DeliveryType.__members__
    weight = delivery["weight"]
    assert _is_number(weight)
    assert 0.1 <= abs(weight) <= 1.0
    assert _is_unit_interval(delivery["certainty"])
    assert _is_text(delivery["description"], 2000)
    assert _is_text(delivery["timeSlice"], 64)
    assert _is_text(delivery["spatialUnit"], 64)
    assert _is_text(delivery["scenario"], 64)


@pytest.mark.parametrize("delivery", DELIVERIES, ids=_delivery_id)
def test_delivery_dates_and_quantity(delivery: dict[str, Any]) -> None:
    dates = {}
    for field in ("validFrom", "validTo"):
        value = delivery[field]
        if value is not None:
            assert isinstance(value, str)
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), f"{field} {value} is not yyyy-mm-dd"
            dates[field] = dt.date.fromisoformat(value)
    if len(dates) == 2:
        assert dates["validFrom"] <= dates["validTo"]
    quantity, unit = delivery["quantity"], delivery["unit"]
    assert (quantity is None) == (unit is None), "quantity and unit go together"
    if quantity is not None:
        assert _is_number(quantity)
        assert quantity > 0
        assert _is_text(unit, 32)


def test_some_deliveries_carry_dates_and_quantities() -> None:
    assert sum(1 for d in DELIVERIES if d["validFrom"] is not None) >= 10
    assert sum(1 for d in DELIVERIES if d["validTo"] is not None) >= 5
    units = {d["unit"] for d in DELIVERIES if d["quantity"] is not None}
    assert "USD" in units
    assert "ft3" in units


def test_negative_weights_mark_opposition() -> None:
    negative = [d for d in DELIVERIES if d["weight"] < 0]
    assert negative
    assert any(d["kind"] == DeliveryKind.OPPOSES.name for d in negative)


# -------------------------------------------------------------------------------- structure


def test_a_directed_cycle_exists() -> None:
    graph = nx.DiGraph(_graph())
    assert next(nx.simple_cycles(graph), None) is not None


def test_baseline_has_opposition_and_ceremonial_feedback_loops() -> None:
    graph = nx.DiGraph(_graph(BASELINE))
    cycles = list(nx.simple_cycles(graph, length_bound=6))
    assert any("save-boyd" in cycle for cycle in cycles), "no opposition feedback loop"
    ceremonial = {
        (d["source"], d["target"])
        for d in DELIVERIES
        if d["scenario"] == BASELINE and d["kind"] == DeliveryKind.CEREMONIALLY_REINFORCES.name
    }
    assert any(
        any((a, b) in ceremonial for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True))
        for cycle in cycles
    ), "no loop runs through a ceremonial reinforcement"


def test_graph_is_weakly_connected() -> None:
    assert nx.is_weakly_connected(_graph())


@pytest.mark.parametrize("matrix", MATRICES, ids=lambda m: str(m.get("externalKey")))
def test_matrix_references_existing_components(matrix: dict[str, Any]) -> None:
    assert set(matrix) == MATRIX_FIELDS
    assert _is_text(matrix["name"], 200)
    assert _is_text(matrix["description"], 2000)
    members = matrix["components"]
    assert 8 <= len(members) <= 15
    assert len(set(members)) == len(members)
    unknown = [key for key in members if key not in TYPE_BY_KEY]
    assert not unknown, f"matrix {matrix['externalKey']} names unknown components {unknown}"
