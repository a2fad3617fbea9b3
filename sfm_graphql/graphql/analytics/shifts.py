"""compareScenarios' centralityShifts: PageRank ranks of the two scenarios' analysis graphs."""

from __future__ import annotations

import strawberry

from sfm_graphql.graphql.analytics.arguments import bounded
from sfm_graphql.graphql.analytics.cached import cached_analysis
from sfm_graphql.graphql.analytics.hydration import components_at_paths
from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.types.graph import Component
from sfm_graphql.services.analytics import global_answers as answers
from sfm_graphql.services.analytics.shifts import Shift

DEFAULT_SHIFTS = 10


@strawberry.type(
    description="A component's PageRank rank in two scenarios (rank 1 is the highest)."
)
class CentralityShift:
    base_rank: int
    other_rank: int
    rank_change: int = strawberry.field(
        description="baseRank - otherRank: positive when it ranks higher in the other scenario."
    )
    base_score: float
    other_score: float
    loaded: strawberry.Private[Component | None]

    @strawberry.field
    def component(self) -> Component:
        # Only None when the client did not select the field, so it is never resolved then.
        if self.loaded is None:
            raise RuntimeError("a component was resolved that was not loaded")
        return self.loaded


async def centrality_shifts(
    info: Info, base: str, other: str, top: int | None
) -> list[CentralityShift]:
    db, settings = info.context.db, info.context.settings
    top = bounded(info, top, "top", DEFAULT_SHIFTS)
    found_shifts = await cached_analysis(
        info,
        "centralityShifts",
        list[Shift],
        answers.centrality_shifts,
        db=db,
        settings=settings,
        base=base,
        other=other,
        top=top,
    )
    found = await components_at_paths(
        info, [s.component_id for s in found_shifts], [("component",)]
    )
    return [
        CentralityShift(
            base_rank=s.base_rank,
            other_rank=s.other_rank,
            rank_change=s.change,
            base_score=s.base_score,
            other_score=s.other_score,
            loaded=found.get(s.component_id) if found is not None else None,
        )
        for s in found_shifts
        if found is None or s.component_id in found
    ]
