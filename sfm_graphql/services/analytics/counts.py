"""What the analysis graph of a scope holds, counted in Neo4j: deliveries by kind, nodes by type."""

from __future__ import annotations

from sfm_graphql.db.database import Database
from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.services.analytics.graph import AnalysisGraph
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings

_TYPE_LABELS = [t.label for t in ComponentType]


async def kind_counts(
    *, db: Database, scope: Scope, settings: Settings
) -> list[tuple[DeliveryKind, int]]:
    """Deliveries in scope by kind, in kind order."""
    rows = db.stream("analytics/kind_counts", scope.params(), timeout_s=settings.analysis_timeout_s)
    return [(DeliveryKind(kind), int(count)) async for kind, count in rows]


async def type_counts(
    *, db: Database, graph: AnalysisGraph, settings: Settings
) -> list[tuple[ComponentType, int]]:
    """The analysis graph's nodes by component type, in type order."""
    params = {"ids": list(graph.ids), "labels": _TYPE_LABELS}
    rows = db.stream("analytics/type_counts", params, timeout_s=settings.analysis_timeout_s)
    found = {ComponentType.from_labels([label]): int(count) async for label, count in rows}
    return [(t, found[t]) for t in ComponentType if t in found]
