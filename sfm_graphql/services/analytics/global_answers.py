"""The global analyses from scope to plain result: read the analysis graph, compute off the event
loop within the time bound, name the components by id (services/analytics/results.py).

These are what the analysis cache stores; the resolvers load the components they name.
"""

from __future__ import annotations

from sfm_graphql.db.database import Database
from sfm_graphql.services.analytics import centrality as centrality_service
from sfm_graphql.services.analytics import ceremonial, counts, structure
from sfm_graphql.services.analytics import communities as community_service
from sfm_graphql.services.analytics import shifts as shift_service
from sfm_graphql.services.analytics.graph import AnalysisGraph, load_graph
from sfm_graphql.services.analytics.groups import Group
from sfm_graphql.services.analytics.results import (
    CeremonialResult,
    CommunitiesResult,
    Members,
    Scored,
    StatisticsResult,
    VulnerabilityResult,
)
from sfm_graphql.services.analytics.run import off_loop
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings


def sampling(settings: Settings) -> centrality_service.BetweennessSampling:
    return centrality_service.BetweennessSampling(
        exact_max_nodes=settings.analysis_betweenness_exact_max_nodes,
        pivots=settings.analysis_betweenness_pivots,
    )


def _members(graph: AnalysisGraph, groups: list[Group], settings: Settings) -> list[Members]:
    most = settings.analysis_max_members
    return [Members(g.size, [graph.ids[n] for n in g.members[:most]]) for g in groups]


def _scored(graph: AnalysisGraph, entries: list[centrality_service.Ranked]) -> list[Scored]:
    return [Scored(graph.ids[e.node], e.score, e.rank) for e in entries]


async def centrality(
    *,
    db: Database,
    settings: Settings,
    scope: Scope,
    measure: centrality_service.CentralityMeasure,
    top: int,
    weighted: bool,
) -> list[Scored]:
    graph = await load_graph(db, scope, settings)
    values = await off_loop(
        settings,
        centrality_service.scores,
        graph,
        measure,
        weighted=weighted,
        sampling=sampling(settings),
    )
    return _scored(graph, centrality_service.ranked(values, top))


async def communities(
    *,
    db: Database,
    settings: Settings,
    scope: Scope,
    algorithm: community_service.CommunityAlgorithm,
    limit: int,
) -> CommunitiesResult:
    graph = await load_graph(db, scope, settings)
    partition = await off_loop(settings, community_service.communities, graph, algorithm)
    return CommunitiesResult(
        modularity=partition.modularity,
        count=len(partition.communities),
        communities=_members(graph, partition.communities[:limit], settings),
        truncated=len(partition.communities) > limit,
    )


async def connected_components(
    *, db: Database, settings: Settings, scope: Scope, strong: bool, limit: int
) -> list[Members]:
    graph = await load_graph(db, scope, settings)
    groups = await off_loop(settings, structure.connected_components, graph, strong=strong)
    return _members(graph, groups[:limit], settings)


def _vulnerability_parts(
    graph: AnalysisGraph, sampling: centrality_service.BetweennessSampling, top: int
) -> tuple[structure.CutPoints, list[Group], list[centrality_service.Ranked]]:
    cuts = structure.cut_points(graph)
    groups = structure.connected_components(graph, strong=False)
    values = centrality_service.scores(
        graph, centrality_service.CentralityMeasure.BETWEENNESS, weighted=False, sampling=sampling
    )
    return cuts, groups, centrality_service.ranked(values, top)


async def vulnerability(
    *, db: Database, settings: Settings, scope: Scope, limit: int, top: int
) -> VulnerabilityResult:
    graph = await load_graph(db, scope, settings)
    cuts, groups, ranked = await off_loop(
        settings, _vulnerability_parts, graph, sampling(settings), top
    )
    ids = graph.ids
    return VulnerabilityResult(
        articulation_points=[ids[n] for n in cuts.articulation_points[:limit]],
        articulation_point_count=len(cuts.articulation_points),
        bridges=[(ids[s], ids[t]) for s, t in cuts.bridges[:limit]],
        bridge_count=len(cuts.bridges),
        weak_components=_members(graph, groups[:limit], settings),
        weak_component_count=len(groups),
        top_betweenness=_scored(graph, ranked),
        truncated=max(len(cuts.articulation_points), len(cuts.bridges), len(groups)) > limit,
    )


async def graph_statistics(*, db: Database, settings: Settings, scope: Scope) -> StatisticsResult:
    graph = await load_graph(db, scope, settings)
    found = await off_loop(settings, structure.graph_statistics, graph)
    return StatisticsResult(
        node_count=graph.node_count,
        edge_count=graph.edge_count,
        delivery_count=sum(graph.deliveries),
        density=found.density,
        by_type=await counts.type_counts(db=db, graph=graph, settings=settings),
        by_kind=await counts.kind_counts(db=db, scope=scope, settings=settings),
        degree=found.degree,
        in_degree=found.in_degree,
        out_degree=found.out_degree,
    )


async def ceremonial_instrumental(
    *, db: Database, settings: Settings, scope: Scope, ids: list[str] | None, top: int
) -> CeremonialResult:
    overall = await ceremonial.totals(db=db, scope=scope, settings=settings)
    asked: list[tuple[str, ceremonial.Balance]] = []
    if ids:
        rows = dict(
            await ceremonial.by_component(db=db, scope=scope, settings=settings, ids=ids, top=0)
        )
        # A component without a delivery in scope is reported with an empty balance.
        asked = [(c, rows.get(c, ceremonial.Balance.empty())) for c in ids]
    most = await ceremonial.by_component(db=db, scope=scope, settings=settings, ids=None, top=top)
    return CeremonialResult(overall=overall, components=asked, most_ceremonial=most)


async def centrality_shifts(
    *, db: Database, settings: Settings, base: str, other: str, top: int
) -> list[shift_service.Shift]:
    base_graph = await load_graph(db, Scope.of(scenario=base), settings)
    other_graph = await load_graph(db, Scope.of(scenario=other), settings)
    return await off_loop(settings, shift_service.rank_shifts, base_graph, other_graph, top)
