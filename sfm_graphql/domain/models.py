"""Validation of component and delivery fields, and their mapping to Neo4j properties.

Pydantic models do the checking (ranges, lengths, enums, unknown fields); the helpers here turn a
validated model into the flat property map stored on a node or relationship. Nested values that
Neo4j cannot store as properties (metadata, power resources, thresholds) are stored as JSON text.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from sfm_graphql.domain.enums import (
    ComponentType,
    DataQuality,
    DeliveryType,
    InstitutionLayer,
    InstrumentType,
    ResourceType,
)
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.errors import BadUserInput

LABEL_MAX = 200
TEXT_MAX = 4000
SHORT_MAX = 200
METADATA_MAX_BYTES = 8192
METADATA_MAX_KEYS = 64
LIST_MAX = 100
DEFAULT_SCENARIO = "baseline"

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LABEL_MAX)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_MAX)]
Key = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-/]*$")
]
Dimension = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-/ ]*$")
]
Unit = Annotated[float, Field(ge=0.0, le=1.0)]
MetadataValue = str | int | float | bool | None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class PowerResource(Strict):
    name: Short
    value: Unit


class Threshold(Strict):
    label: Short
    value: float


def _check_metadata(value: dict[str, MetadataValue] | None) -> dict[str, MetadataValue] | None:
    if value is None:
        return None
    if len(value) > METADATA_MAX_KEYS:
        raise ValueError(f"at most {METADATA_MAX_KEYS} keys")
    for key, item in value.items():
        if not key or len(key) > 100:
            raise ValueError("keys must be 1 to 100 characters")
        if isinstance(item, str) and len(item) > TEXT_MAX:
            raise ValueError(f"value of {key!r} is longer than {TEXT_MAX} characters")
    if len(json.dumps(value, ensure_ascii=False).encode()) > METADATA_MAX_BYTES:
        raise ValueError(f"larger than {METADATA_MAX_BYTES} bytes as JSON")
    return value


class CommonFields(Strict):
    label: Label
    description: Text | None = None
    certainty: Unit = 1.0
    dataQuality: DataQuality = DataQuality.UNKNOWN  # noqa: N815 (GraphQL field names)
    metadata: dict[str, MetadataValue] | None = None
    externalKey: Key | None = None  # noqa: N815

    _metadata = field_validator("metadata")(_check_metadata)


class ActorFields(CommonFields):
    sector: Short | None = None
    legalForm: Short | None = None  # noqa: N815
    powerResources: list[PowerResource] | None = Field(None, max_length=LIST_MAX)  # noqa: N815


class InstitutionFields(CommonFields):
    layer: InstitutionLayer | None = None
    legitimacyBasis: Short | None = None  # noqa: N815
    changeResistance: Unit | None = None  # noqa: N815


class PolicyFields(CommonFields):
    authority: Short | None = None
    enforcement: Unit | None = None
    targetSectors: list[Short] | None = Field(None, max_length=LIST_MAX)  # noqa: N815


class PolicyInstrumentFields(CommonFields):
    instrumentType: InstrumentType | None = None  # noqa: N815
    targetBehavior: Short | None = None  # noqa: N815


class ResourceFields(CommonFields):
    resourceType: ResourceType | None = None  # noqa: N815
    unit: Short | None = None


class ProcessFields(CommonFields):
    technology: Short | None = None


class ValueSystemFields(CommonFields):
    legitimacySource: Short | None = None  # noqa: N815
    priorityWeight: Unit | None = None  # noqa: N815


class BeliefSystemFields(CommonFields):
    domain: Short | None = None
    strength: Unit | None = None


class TechnologySystemFields(CommonFields):
    # The description is the GraphQL field's; the title prefixes the input's range hint.
    maturity: Annotated[int, Field(ge=1, le=9)] | None = Field(
        None, title="TRL", description="Technology readiness level 1..9."
    )


class EcologicalSystemFields(CommonFields):
    ecosystemType: Short | None = None  # noqa: N815


class IndicatorFields(CommonFields):
    valueCategory: Short | None = None  # noqa: N815
    unit: Short | None = None
    currentValue: float | None = None  # noqa: N815
    targetValue: float | None = None  # noqa: N815
    thresholds: list[Threshold] | None = Field(None, max_length=LIST_MAX)


FIELDS_BY_TYPE: dict[ComponentType, type[CommonFields]] = {
    ComponentType.ACTOR: ActorFields,
    ComponentType.INSTITUTION: InstitutionFields,
    ComponentType.POLICY: PolicyFields,
    ComponentType.POLICY_INSTRUMENT: PolicyInstrumentFields,
    ComponentType.RESOURCE: ResourceFields,
    ComponentType.PROCESS: ProcessFields,
    ComponentType.VALUE_SYSTEM: ValueSystemFields,
    ComponentType.BELIEF_SYSTEM: BeliefSystemFields,
    ComponentType.TECHNOLOGY_SYSTEM: TechnologySystemFields,
    ComponentType.ECOLOGICAL_SYSTEM: EcologicalSystemFields,
    ComponentType.INDICATOR: IndicatorFields,
}
COMMON_FIELD_NAMES = frozenset(CommonFields.model_fields)

# Stored as JSON text because Neo4j properties cannot hold maps or lists of maps.
JSON_PROPERTIES = {
    "metadata": "metadataJson",
    "powerResources": "powerResourcesJson",
    "thresholds": "thresholdsJson",
}


class DeliveryFields(Strict):
    kind: DeliveryKind
    deliveryType: DeliveryType = DeliveryType.OTHER  # noqa: N815
    quantity: float | None = None
    unit: Short | None = None
    weight: Annotated[float, Field(ge=-1e6, le=1e6)] = 1.0
    certainty: Unit = 1.0
    description: Text | None = None
    timeSlice: Dimension | None = None  # noqa: N815
    spatialUnit: Dimension | None = None  # noqa: N815
    scenario: Dimension = DEFAULT_SCENARIO
    validFrom: dt.date | None = None  # noqa: N815
    validTo: dt.date | None = None  # noqa: N815
    ceremonialScore: Unit | None = None  # noqa: N815
    instrumentalScore: Unit | None = None  # noqa: N815
    metadata: dict[str, MetadataValue] | None = None
    externalKey: Key | None = None  # noqa: N815

    _metadata = field_validator("metadata")(_check_metadata)

    @model_validator(mode="after")
    def _validity_ordered(self) -> DeliveryFields:
        if self.validFrom and self.validTo and self.validFrom > self.validTo:
            raise ValueError("validFrom must not be after validTo")
        return self


def validation_error_to_input(error: ValidationError, prefix: str = "") -> BadUserInput:
    """A pydantic error as one BAD_USER_INPUT naming each field to fix."""
    field_errors = []
    for item in error.errors(include_url=False, include_input=False):
        path = ".".join(str(p) for p in item["loc"]) or "input"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "is not a field of this component type"
        field_errors.append({"field": f"{prefix}{path}", "message": message})
    return BadUserInput.for_fields(field_errors)


def validate_component(component_type: ComponentType, data: dict[str, Any]) -> CommonFields:
    try:
        return FIELDS_BY_TYPE[component_type].model_validate(data)
    except ValidationError as exc:
        raise validation_error_to_input(exc) from None


def validate_delivery(data: dict[str, Any]) -> DeliveryFields:
    try:
        return DeliveryFields.model_validate(data)
    except ValidationError as exc:
        raise validation_error_to_input(exc) from None


def to_properties(model: BaseModel) -> dict[str, Any]:
    """The flat Neo4j property map of a validated model (enums by name, JSON for nested values)."""
    props: dict[str, Any] = {}
    for name, value in model.model_dump(mode="python").items():
        stored_name = JSON_PROPERTIES.get(name, name)
        if name in JSON_PROPERTIES:
            props[stored_name] = None if value is None else json.dumps(value, ensure_ascii=False)
        elif hasattr(value, "value") and not isinstance(value, (int, float, str)):
            props[stored_name] = value.value
        elif isinstance(value, float) and not math.isfinite(value):
            raise BadUserInput(f"{name} must be a finite number")
        else:
            props[stored_name] = value
    return props


def from_properties(props: dict[str, Any]) -> dict[str, Any]:
    """The inverse of `to_properties` for reading: JSON text back to values."""
    out = dict(props)
    for name, stored_name in JSON_PROPERTIES.items():
        if stored_name in out:
            raw = out.pop(stored_name)
            out[name] = None if raw is None else json.loads(raw)
    return out
