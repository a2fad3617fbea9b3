"""Ceremonial vs instrumental balance of the deliveries in scope, aggregated in Neo4j.

Each delivery counts with its kind's ceremonial tendency (0 instrumental .. 1 ceremonial,
`DeliveryKind.ceremonial_tendency`): the ceremonial share is the mean tendency, a delivery is
ceremonial above 0.5 and instrumental below. The per-delivery `ceremonialScore` and
`instrumentalScore` are averaged where they are set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfm_graphql.db.database import Database
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings

TENDENCIES = {k.value: k.ceremonial_tendency for k in DeliveryKind}


@dataclass(frozen=True, slots=True)
class Balance:
    deliveries: int
    ceremonial_share: float  # mean ceremonial tendency; 0 when there is no delivery
    ceremonial: int  # deliveries whose kind tends ceremonial (> 0.5)
    instrumental: int  # ... instrumental (< 0.5)
    ceremonial_scored: int
    mean_ceremonial_score: float | None
    instrumental_scored: int
    mean_instrumental_score: float | None

    @classmethod
    def empty(cls) -> Balance:
        return cls.of((0, 0.0, 0, 0, 0, None, 0, None))

    @classmethod
    def of(cls, row: tuple[Any, ...]) -> Balance:
        deliveries, tendency_sum, ceremonial, instrumental, c_n, c_mean, i_n, i_mean = row
        return cls(
            deliveries=int(deliveries),
            ceremonial_share=float(tendency_sum) / deliveries if deliveries else 0.0,
            ceremonial=int(ceremonial),
            instrumental=int(instrumental),
            ceremonial_scored=int(c_n),
            mean_ceremonial_score=None if c_mean is None else float(c_mean),
            instrumental_scored=int(i_n),
            mean_instrumental_score=None if i_mean is None else float(i_mean),
        )


async def totals(*, db: Database, scope: Scope, settings: Settings) -> Balance:
    params = {**scope.params(), "tendencies": TENDENCIES}
    rows = db.stream("analytics/ceremonial_totals", params, timeout_s=settings.analysis_timeout_s)
    found = [Balance.of(row) async for row in rows]
    return found[0]  # an aggregation without grouping keys answers one row


async def by_component(
    *, db: Database, scope: Scope, settings: Settings, ids: list[str] | None, top: int
) -> list[tuple[str, Balance]]:
    """(component id, balance) for `ids`, or for the `top` most ceremonial components."""
    params = {
        **scope.params(),
        "tendencies": TENDENCIES,
        "ids": ids,
        "top": len(ids) if ids is not None else top,
    }
    rows = db.stream(
        "analytics/ceremonial_components", params, timeout_s=settings.analysis_timeout_s
    )
    return [(str(row[0]), Balance.of(row[1:])) async for row in rows]
