"""A synthetic, deterministic SFM graph for the benchmarks.

Components carry every field of their type with plausible values; deliveries get a kind that
`DeliveryKind.allows` accepts for their endpoint types, and their dimensions (scenario, time
slice, spatial unit, validity) are spread the way an analyst's model spreads them. Endpoints are
drawn with a skew (a few hubs, many leaves), as in real matrices where agencies and markets
deliver to many rows.

Field dicts use the GraphQL input names, which are also the pydantic field names of
`sfm_graphql.domain.models`, so the same dict feeds `createComponent`/`bulkImport` and
`validate_component` + `to_properties` for the raw-driver loader.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sfm_graphql.domain.enums import (
    ComponentType,
    DataQuality,
    DeliveryType,
    InstitutionLayer,
    InstrumentType,
    ResourceType,
)
from sfm_graphql.domain.kinds import DeliveryKind

T = ComponentType
Fields = dict[str, Any]

# Share of each type among the components (sums to 100).
TYPE_SHARES: dict[ComponentType, int] = {
    T.ACTOR: 25,
    T.INSTITUTION: 15,
    T.POLICY: 8,
    T.POLICY_INSTRUMENT: 8,
    T.RESOURCE: 12,
    T.PROCESS: 8,
    T.VALUE_SYSTEM: 3,
    T.BELIEF_SYSTEM: 3,
    T.TECHNOLOGY_SYSTEM: 6,
    T.ECOLOGICAL_SYSTEM: 4,
    T.INDICATOR: 8,
}
SCENARIOS = {"baseline": 55, "carbon-tax": 20, "high-growth": 15, "deregulation": 10}
TIME_SLICES = [f"FY{year}" for year in range(2018, 2031)]
SPATIAL_UNITS = ["US-NE", "US-MW", "US-S", "US-W", "US-CI"]
SECTORS = ["energy", "waste", "finance", "agriculture", "health", "transport", "government"]
WORDS = [
    "regional",
    "federal",
    "compact",
    "municipal",
    "private",
    "public",
    "coastal",
    "rural",
    "urban",
    "national",
    "basin",
    "upstream",
    "downstream",
    "interstate",
    "cooperative",
]
FAMILY_DELIVERY_TYPES: dict[str, list[DeliveryType]] = {
    "governance": [DeliveryType.RULE, DeliveryType.AUTHORITY],
    "economic": [DeliveryType.MONEY, DeliveryType.GOODS, DeliveryType.SERVICE, DeliveryType.LABOR],
    "information": [DeliveryType.INFORMATION, DeliveryType.KNOWLEDGE],
    "social": [DeliveryType.INFLUENCE, DeliveryType.SERVICE],
    "influence": [DeliveryType.INFLUENCE],
    "structural": [DeliveryType.OTHER],
    "temporal": [DeliveryType.OTHER],
    "ecological": [DeliveryType.POLLUTION, DeliveryType.MATERIAL, DeliveryType.ENERGY],
    "cultural": [DeliveryType.LEGITIMACY, DeliveryType.INFLUENCE],
    "sfm": [DeliveryType.INFLUENCE, DeliveryType.LEGITIMACY, DeliveryType.AUTHORITY],
}
UNITS = {DeliveryType.MONEY: "USD", DeliveryType.ENERGY: "MWh", DeliveryType.MATERIAL: "t"}


@dataclass(frozen=True, slots=True)
class Component:
    id: str
    type: ComponentType
    fields: Fields  # GraphQL input / pydantic field names, enums as their names


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    source: str  # component uuid
    target: str
    fields: Fields  # includes `kind`


@dataclass(frozen=True, slots=True)
class Graph:
    components: list[Component]
    deliveries: list[Delivery]

    def counts_by_type(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.components:
            out[c.type.value] = out.get(c.type.value, 0) + 1
        return out


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _unit(rng: random.Random) -> float:
    return round(rng.random(), 3)


def _specific(rng: random.Random, t: ComponentType) -> Fields:  # noqa: PLR0911 (one per type)
    """The fields only this component type has."""
    if t is T.ACTOR:
        return {
            "sector": rng.choice(SECTORS),
            "legalForm": rng.choice(["agency", "corporation", "ngo", "cooperative", "household"]),
            "powerResources": [
                {"name": name, "value": _unit(rng)}
                for name in rng.sample(["capital", "votes", "expertise", "media", "land"], 2)
            ],
        }
    if t is T.INSTITUTION:
        return {
            "layer": rng.choice(list(InstitutionLayer)).value,
            "legitimacyBasis": rng.choice(["statute", "custom", "contract", "tradition"]),
            "changeResistance": _unit(rng),
        }
    if t is T.POLICY:
        return {
            "authority": rng.choice(["federal", "state", "compact commission", "municipal"]),
            "enforcement": _unit(rng),
            "targetSectors": rng.sample(SECTORS, 2),
        }
    if t is T.POLICY_INSTRUMENT:
        return {
            "instrumentType": rng.choice(list(InstrumentType)).value,
            "targetBehavior": rng.choice(["disposal", "emissions", "siting", "reporting"]),
        }
    if t is T.RESOURCE:
        return {
            "resourceType": rng.choice(list(ResourceType)).value,
            "unit": rng.choice(["t", "m3", "USD", "ha", "MWh"]),
        }
    if t is T.PROCESS:
        return {"technology": rng.choice(["incineration", "burial", "compaction", "transport"])}
    if t is T.VALUE_SYSTEM:
        return {
            "legitimacySource": rng.choice(["religion", "science", "tradition", "law"]),
            "priorityWeight": _unit(rng),
        }
    if t is T.BELIEF_SYSTEM:
        return {
            "domain": rng.choice(["risk", "economy", "nature", "state"]),
            "strength": _unit(rng),
        }
    if t is T.TECHNOLOGY_SYSTEM:
        return {"maturity": rng.randint(1, 9)}
    if t is T.ECOLOGICAL_SYSTEM:
        return {"ecosystemType": rng.choice(["aquifer", "watershed", "prairie", "wetland"])}
    current = round(rng.uniform(0, 100), 2)
    return {
        "valueCategory": rng.choice(["health", "wealth", "environment", "equity"]),
        "unit": rng.choice(["%", "mSv", "USD/capita", "index"]),
        "currentValue": current,
        "targetValue": round(current * rng.uniform(0.5, 1.5), 2),
        "thresholds": [{"label": "warning", "value": round(current * 1.2, 2)}],
    }


def _component(rng: random.Random, i: int, t: ComponentType) -> Component:
    word = rng.choice(WORDS)
    fields: Fields = {
        "label": f"{t.label} {i:05d} {word}",
        "description": f"Synthetic {t.label.lower()} {i} of the {word} benchmark model.",
        "certainty": round(rng.uniform(0.4, 1.0), 2),
        "dataQuality": rng.choice(list(DataQuality)).value,
        "metadata": {"source": "bench", "batch": i // 1000, "region": rng.choice(SPATIAL_UNITS)},
        "externalKey": f"bench:c:{i}",
        **_specific(rng, t),
    }
    return Component(id=_uuid(rng), type=t, fields=fields)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _skewed_picker(rng: random.Random, n: int) -> Callable[[], int]:
    """Index picker where rank r is drawn with weight 1/(r+10): a few hubs, a long tail."""
    order = list(range(n))
    rng.shuffle(order)  # hubs spread over all types
    cumulative = list(itertools.accumulate(1.0 / (rank + 10) for rank in range(n)))

    def pick() -> int:
        return order[rng.choices(range(n), cum_weights=cumulative)[0]]

    return pick


def _allowed_kinds() -> dict[tuple[ComponentType, ComponentType], list[DeliveryKind]]:
    return {(s, t): [k for k in DeliveryKind if k.allows(s, t)] for s in ComponentType for t in T}


def _delivery(
    rng: random.Random, i: int, source: Component, target: Component, kind: DeliveryKind
) -> Delivery:
    delivery_type = rng.choice(FAMILY_DELIVERY_TYPES[kind.rule.family])
    fields: Fields = {
        "kind": kind.value,
        "deliveryType": delivery_type.value,
        "weight": round(rng.uniform(0.1, 3.0) * (-1 if rng.random() < 0.1 else 1), 3),
        "certainty": round(rng.uniform(0.3, 1.0), 2),
        "description": f"{source.fields['label']} {kind.value.lower()} {target.fields['label']}",
        "scenario": _pick(rng, SCENARIOS),
        "timeSlice": rng.choice(TIME_SLICES),
        "spatialUnit": rng.choice(SPATIAL_UNITS),
        "externalKey": f"bench:d:{i}",
    }
    if delivery_type in UNITS:
        fields["quantity"] = round(rng.uniform(1, 1e6), 2)
        fields["unit"] = UNITS[delivery_type]
    if rng.random() < 0.3:
        year = int(str(fields["timeSlice"])[2:])
        fields["validFrom"] = f"{year - 1}-10-01"
        fields["validTo"] = f"{year}-09-30"
    if rng.random() < 0.2:
        fields["ceremonialScore"] = round(kind.ceremonial_tendency, 2)
        fields["instrumentalScore"] = round(1 - kind.ceremonial_tendency, 2)
    return Delivery(id=_uuid(rng), source=source.id, target=target.id, fields=fields)


def generate(n_components: int, n_deliveries: int, seed: int = 1) -> Graph:
    """`n_components` components of all 11 types and `n_deliveries` valid deliveries."""
    rng = random.Random(seed)
    types = [t for t, share in TYPE_SHARES.items() for _ in range(share)]
    components = [_component(rng, i, types[i % len(types)]) for i in range(n_components)]
    allowed = _allowed_kinds()
    pick_source = _skewed_picker(rng, n_components)
    pick_target = _skewed_picker(rng, n_components)
    deliveries: list[Delivery] = []
    while len(deliveries) < n_deliveries:
        source, target = components[pick_source()], components[pick_target()]
        if source.id == target.id:
            continue
        kinds = allowed[source.type, target.type]
        kind = rng.choice(kinds)  # never empty: INFORMS runs between any two types
        deliveries.append(_delivery(rng, len(deliveries), source, target, kind))
    return Graph(components=components, deliveries=deliveries)
