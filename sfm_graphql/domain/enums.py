"""Closed vocabularies of the SFM model.

Every Neo4j label the service writes comes from `ComponentType.label`; no user string is ever
turned into a label or relationship type.
"""

from __future__ import annotations

import enum

from sfm_graphql.errors import Conflict


class ComponentType(enum.Enum):
    """Hayden's component categories plus the practical types analysts use."""

    ACTOR = "ACTOR"
    INSTITUTION = "INSTITUTION"
    POLICY = "POLICY"
    POLICY_INSTRUMENT = "POLICY_INSTRUMENT"
    RESOURCE = "RESOURCE"
    PROCESS = "PROCESS"
    VALUE_SYSTEM = "VALUE_SYSTEM"
    BELIEF_SYSTEM = "BELIEF_SYSTEM"
    TECHNOLOGY_SYSTEM = "TECHNOLOGY_SYSTEM"
    ECOLOGICAL_SYSTEM = "ECOLOGICAL_SYSTEM"
    INDICATOR = "INDICATOR"

    @property
    def label(self) -> str:
        """The Neo4j label of this type (PascalCase of the enum name)."""
        return "".join(part.capitalize() for part in self.value.split("_"))

    @classmethod
    def from_labels(cls, labels: list[str] | tuple[str, ...] | frozenset[str]) -> ComponentType:
        """The type whose label is among a node's labels.

        A node with no labels at all is one deleted by a transaction that committed while the
        reading one ran (Neo4j reads committed data): the caller may read again (CONFLICT).
        """
        if not labels:
            raise Conflict("A component was deleted while it was being read; read again")
        for label in labels:
            found = _TYPE_BY_LABEL.get(label)
            if found is not None:
                return found
        raise ValueError(f"node labels {sorted(labels)} carry no component type")


_TYPE_BY_LABEL = {t.label: t for t in ComponentType}

COMPONENT_LABEL = "Component"
DELIVERS = "DELIVERS"


class InstitutionLayer(enum.Enum):
    FORMAL_RULE = "FORMAL_RULE"
    ORGANIZATION = "ORGANIZATION"
    INFORMAL_NORM = "INFORMAL_NORM"
    CONVENTION = "CONVENTION"
    CULTURAL_INSTITUTION = "CULTURAL_INSTITUTION"


class InstrumentType(enum.Enum):
    REGULATORY = "REGULATORY"
    ECONOMIC = "ECONOMIC"
    VOLUNTARY = "VOLUNTARY"
    INFORMATION = "INFORMATION"


class ResourceType(enum.Enum):
    NATURAL = "NATURAL"
    PRODUCED = "PRODUCED"
    FINANCIAL = "FINANCIAL"
    KNOWLEDGE = "KNOWLEDGE"
    LAND = "LAND"
    WATER = "WATER"
    ENERGY = "ENERGY"
    HUMAN = "HUMAN"
    INFRASTRUCTURE = "INFRASTRUCTURE"
    WASTE = "WASTE"


class DataQuality(enum.Enum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    UNKNOWN = "UNKNOWN"


class DeliveryType(enum.Enum):
    """What flows along a delivery."""

    MONEY = "MONEY"
    ENERGY = "ENERGY"
    MATERIAL = "MATERIAL"
    GOODS = "GOODS"
    SERVICE = "SERVICE"
    LABOR = "LABOR"
    POLLUTION = "POLLUTION"
    WASTE = "WASTE"
    RULE = "RULE"
    AUTHORITY = "AUTHORITY"
    INFORMATION = "INFORMATION"
    KNOWLEDGE = "KNOWLEDGE"
    LEGITIMACY = "LEGITIMACY"
    INFLUENCE = "INFLUENCE"
    OTHER = "OTHER"


class Direction(enum.Enum):
    OUTGOING = "OUTGOING"
    INCOMING = "INCOMING"
    BOTH = "BOTH"


class SortDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


class ComponentSortField(enum.Enum):
    """Sort keys for components; each is never null, so keyset cursors stay total."""

    LABEL = "label"
    CREATED_AT = "createdAt"
    UPDATED_AT = "updatedAt"
    ID = "id"


class DeliverySortField(enum.Enum):
    CREATED_AT = "createdAt"
    UPDATED_AT = "updatedAt"
    WEIGHT = "weight"
    KIND = "kind"
    ID = "id"


class ExportFormat(enum.Enum):
    JSON = "JSON"
    CSV = "CSV"
    GRAPHML = "GRAPHML"
