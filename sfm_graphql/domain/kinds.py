"""The delivery-kind vocabulary: each kind's family, ceremonial tendency and allowed endpoints.

Kinds are stored as a property of the single `DELIVERS` relationship type (see
docs/decisions.md), so a kind never becomes Cypher text either.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sfm_graphql.domain.enums import ComponentType as T

ANY: frozenset[T] = frozenset(T)
AGENTS = frozenset({T.ACTOR, T.INSTITUTION, T.POLICY})
AUTHORITIES = frozenset({T.ACTOR, T.INSTITUTION, T.POLICY, T.POLICY_INSTRUMENT})
PAYERS = frozenset({T.ACTOR, T.INSTITUTION, T.POLICY, T.POLICY_INSTRUMENT})
PRODUCERS = frozenset({T.ACTOR, T.INSTITUTION, T.PROCESS, T.TECHNOLOGY_SYSTEM, T.ECOLOGICAL_SYSTEM})
GOODS = frozenset({T.RESOURCE, T.TECHNOLOGY_SYSTEM, T.INDICATOR})
CONSUMERS = frozenset({T.ACTOR, T.INSTITUTION, T.PROCESS, T.TECHNOLOGY_SYSTEM})
CONSUMABLES = frozenset({T.RESOURCE, T.ECOLOGICAL_SYSTEM, T.TECHNOLOGY_SYSTEM})
EMITTERS = frozenset({T.ACTOR, T.INSTITUTION, T.PROCESS, T.TECHNOLOGY_SYSTEM, T.RESOURCE})
ENVIRONMENT = frozenset({T.ECOLOGICAL_SYSTEM, T.RESOURCE, T.ACTOR})
CULTURE = frozenset({T.VALUE_SYSTEM, T.BELIEF_SYSTEM})
HOLDERS = frozenset({T.ACTOR, T.INSTITUTION})


@dataclass(frozen=True, slots=True)
class KindRule:
    family: str
    ceremonial_tendency: float
    sources: frozenset[T] = ANY
    targets: frozenset[T] = ANY
    description: str = ""


class DeliveryKind(enum.Enum):
    """The verb of a delivery: what the source does to or for the target."""

    # governance
    GOVERNS = "GOVERNS"
    REGULATES = "REGULATES"
    AUTHORIZES = "AUTHORIZES"
    MANDATES = "MANDATES"
    ENFORCES = "ENFORCES"
    PROHIBITS = "PROHIBITS"
    LICENSES = "LICENSES"
    MONITORS = "MONITORS"
    # economic
    FUNDS = "FUNDS"
    PAYS = "PAYS"
    PRODUCES = "PRODUCES"
    CONSUMES = "CONSUMES"
    OWNS = "OWNS"
    EMPLOYS = "EMPLOYS"
    TAXES = "TAXES"
    SUBSIDIZES = "SUBSIDIZES"
    SUPPLIES = "SUPPLIES"
    CONTRACTS_WITH = "CONTRACTS_WITH"
    INVESTS_IN = "INVESTS_IN"
    # information
    INFORMS = "INFORMS"
    ADVISES = "ADVISES"
    MEASURES = "MEASURES"
    REPORTS_TO = "REPORTS_TO"
    # social
    COLLABORATES_WITH = "COLLABORATES_WITH"
    SUPPORTS = "SUPPORTS"
    PARTICIPATES_IN = "PARTICIPATES_IN"
    OPPOSES = "OPPOSES"
    REPRESENTS = "REPRESENTS"
    # influence
    INFLUENCES = "INFLUENCES"
    CONSTRAINS = "CONSTRAINS"
    ENABLES = "ENABLES"
    WEAKENS = "WEAKENS"
    STRENGTHENS = "STRENGTHENS"
    # structural
    CONTAINS = "CONTAINS"
    BELONGS_TO = "BELONGS_TO"
    LOCATED_IN = "LOCATED_IN"
    # temporal
    PRECEDES = "PRECEDES"
    TRIGGERS = "TRIGGERS"
    # ecological
    POLLUTES = "POLLUTES"
    CONSERVES = "CONSERVES"
    DEPENDS_ON = "DEPENDS_ON"
    EXTRACTS = "EXTRACTS"
    RESTORES = "RESTORES"
    # cultural
    VALUES = "VALUES"
    TRUSTS = "TRUSTS"
    LEGITIMIZES = "LEGITIMIZES"
    SHAPES_BELIEF = "SHAPES_BELIEF"
    # SFM-specific
    CEREMONIALLY_REINFORCES = "CEREMONIALLY_REINFORCES"
    INSTRUMENTALLY_ADAPTS = "INSTRUMENTALLY_ADAPTS"
    CREATES_PATH_DEPENDENCY = "CREATES_PATH_DEPENDENCY"
    CONCENTRATES_POWER = "CONCENTRATES_POWER"
    DISTRIBUTES_POWER = "DISTRIBUTES_POWER"
    BENEFITS_FROM = "BENEFITS_FROM"

    @property
    def rule(self) -> KindRule:
        return KIND_RULES[self]

    @property
    def ceremonial_tendency(self) -> float:
        return KIND_RULES[self].ceremonial_tendency

    def allows(self, source: T, target: T) -> bool:
        """Whether a delivery of this kind may run from `source` to `target`."""
        rule = KIND_RULES[self]
        return source in rule.sources and target in rule.targets


K = DeliveryKind
DEFAULT_CEREMONIAL_TENDENCY = 0.5

KIND_RULES: dict[DeliveryKind, KindRule] = {
    K.GOVERNS: KindRule(
        "governance", 0.75, AGENTS, ANY, "sets the rules another component acts under"
    ),
    K.REGULATES: KindRule(
        "governance", 0.6, AUTHORITIES, ANY, "limits or shapes behaviour by rule"
    ),
    K.AUTHORIZES: KindRule("governance", 0.65, AUTHORITIES, ANY, "grants permission to act"),
    K.MANDATES: KindRule("governance", 0.7, AUTHORITIES, ANY, "requires an action"),
    K.ENFORCES: KindRule("governance", 0.7, AUTHORITIES, ANY, "compels compliance with a rule"),
    K.PROHIBITS: KindRule("governance", 0.7, AUTHORITIES, ANY, "forbids an action"),
    K.LICENSES: KindRule("governance", 0.6, AUTHORITIES, ANY, "issues a licence"),
    K.MONITORS: KindRule(
        "governance", 0.4, AUTHORITIES | {T.TECHNOLOGY_SYSTEM}, ANY, "observes compliance or state"
    ),
    K.FUNDS: KindRule("economic", 0.4, PAYERS, ANY, "provides money"),
    K.PAYS: KindRule("economic", 0.35, PAYERS, ANY, "transfers money in exchange"),
    K.PRODUCES: KindRule(
        "economic", 0.15, PRODUCERS, GOODS, "makes a good, resource or technology"
    ),
    K.CONSUMES: KindRule("economic", 0.2, CONSUMERS, CONSUMABLES, "uses up a resource"),
    K.OWNS: KindRule(
        "economic",
        0.7,
        HOLDERS,
        frozenset({T.RESOURCE, T.TECHNOLOGY_SYSTEM}),
        "holds property rights",
    ),
    K.EMPLOYS: KindRule("economic", 0.4, HOLDERS, frozenset({T.ACTOR}), "hires labour"),
    K.TAXES: KindRule(
        "economic",
        0.55,
        AUTHORITIES,
        frozenset({T.ACTOR, T.INSTITUTION, T.RESOURCE, T.PROCESS}),
        "levies a tax",
    ),
    K.SUBSIDIZES: KindRule("economic", 0.6, PAYERS, ANY, "pays to encourage an activity"),
    K.SUPPLIES: KindRule(
        "economic", 0.2, PRODUCERS | {T.RESOURCE}, ANY, "delivers goods or services"
    ),
    K.CONTRACTS_WITH: KindRule("economic", 0.45, HOLDERS, HOLDERS, "binds by contract"),
    K.INVESTS_IN: KindRule("economic", 0.35, HOLDERS | {T.POLICY}, ANY, "commits capital"),
    K.INFORMS: KindRule("information", 0.25, ANY, ANY, "passes information"),
    K.ADVISES: KindRule("information", 0.3, ANY, ANY, "gives counsel"),
    K.MEASURES: KindRule(
        "information",
        0.2,
        frozenset({T.INDICATOR, T.ACTOR, T.INSTITUTION, T.TECHNOLOGY_SYSTEM}),
        ANY,
        "quantifies a state",
    ),
    K.REPORTS_TO: KindRule("information", 0.5, ANY, AGENTS, "reports to an authority"),
    K.COLLABORATES_WITH: KindRule(
        "social", 0.3, HOLDERS | {T.POLICY}, HOLDERS | {T.POLICY}, "works jointly"
    ),
    K.SUPPORTS: KindRule("social", 0.45, ANY, ANY, "backs or sustains"),
    K.PARTICIPATES_IN: KindRule(
        "social", 0.35, HOLDERS, frozenset({T.INSTITUTION, T.POLICY, T.PROCESS}), "takes part"
    ),
    K.OPPOSES: KindRule("social", 0.4, ANY, ANY, "works against"),
    K.REPRESENTS: KindRule("social", 0.5, HOLDERS, ANY, "speaks for"),
    K.INFLUENCES: KindRule("influence", 0.5, ANY, ANY, "affects"),
    K.CONSTRAINS: KindRule("influence", 0.65, ANY, ANY, "restricts options"),
    K.ENABLES: KindRule("influence", 0.3, ANY, ANY, "makes possible"),
    K.WEAKENS: KindRule("influence", 0.45, ANY, ANY, "reduces strength"),
    K.STRENGTHENS: KindRule("influence", 0.5, ANY, ANY, "increases strength"),
    K.CONTAINS: KindRule("structural", 0.5, ANY, ANY, "has as part"),
    K.BELONGS_TO: KindRule("structural", 0.5, ANY, ANY, "is part of"),
    K.LOCATED_IN: KindRule(
        "structural",
        0.5,
        ANY,
        frozenset({T.ECOLOGICAL_SYSTEM, T.RESOURCE, T.INSTITUTION}),
        "is sited in",
    ),
    K.PRECEDES: KindRule("temporal", 0.5, ANY, ANY, "comes before"),
    K.TRIGGERS: KindRule("temporal", 0.4, ANY, ANY, "sets off"),
    K.POLLUTES: KindRule("ecological", 0.6, EMITTERS, ENVIRONMENT, "emits pollution or waste into"),
    K.CONSERVES: KindRule(
        "ecological", 0.2, ANY, frozenset({T.ECOLOGICAL_SYSTEM, T.RESOURCE}), "protects"
    ),
    K.DEPENDS_ON: KindRule("ecological", 0.5, ANY, ANY, "requires to function"),
    K.EXTRACTS: KindRule(
        "ecological",
        0.5,
        CONSUMERS,
        frozenset({T.ECOLOGICAL_SYSTEM, T.RESOURCE}),
        "takes from nature",
    ),
    K.RESTORES: KindRule(
        "ecological", 0.15, ANY, frozenset({T.ECOLOGICAL_SYSTEM, T.RESOURCE}), "repairs"
    ),
    K.VALUES: KindRule("cultural", 0.6, HOLDERS | CULTURE, ANY, "holds dear"),
    K.TRUSTS: KindRule("cultural", 0.5, HOLDERS, ANY, "relies on"),
    K.LEGITIMIZES: KindRule(
        "cultural", 0.8, HOLDERS | CULTURE | {T.POLICY}, ANY, "confers legitimacy"
    ),
    K.SHAPES_BELIEF: KindRule(
        "cultural",
        0.6,
        ANY,
        frozenset({T.BELIEF_SYSTEM, T.VALUE_SYSTEM, T.ACTOR}),
        "forms a belief",
    ),
    K.CEREMONIALLY_REINFORCES: KindRule(
        "sfm", 0.95, ANY, ANY, "preserves status and existing power"
    ),
    K.INSTRUMENTALLY_ADAPTS: KindRule("sfm", 0.05, ANY, ANY, "adapts to solve a problem"),
    K.CREATES_PATH_DEPENDENCY: KindRule("sfm", 0.85, ANY, ANY, "locks in a future course"),
    K.CONCENTRATES_POWER: KindRule("sfm", 0.9, ANY, ANY, "gathers power in few hands"),
    K.DISTRIBUTES_POWER: KindRule("sfm", 0.15, ANY, ANY, "spreads power"),
    K.BENEFITS_FROM: KindRule("sfm", 0.6, ANY, ANY, "gains from"),
}
