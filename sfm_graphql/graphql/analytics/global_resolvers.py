"""Resolvers of the global analyses: load the analysis graph, compute off the event loop, name
the components found (docs/analytics.md)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from sfm_graphql.graphql.analytics.arguments import (
    KindsArg,
    ScenarioArg,
    TimeSliceArg,
    TypesArg,
    bounded,
    sampling,
    scope_of,
)
from sfm_graphql.graphql.analytics.global_types import (
    Communities,
    Community,
    ComponentGroup,
    ComponentPair,
    ComponentScore,
    Vulnerability,
)
from sfm_graphql.graphql.analytics.hydration import components_at_paths
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.graph.types import Component
from sfm_graphql.services.analytics import centrality as centrality_service
from sfm_graphql.services.analytics import communities as community_service
from sfm_graphql.services.analytics import structure
from sfm_graphql.services.analytics.graph import AnalysisGraph, load_graph
from sfm_graphql.services.analytics.groups import Group
from sfm_graphql.services.analytics.run import off_loop
from sfm_graphql.services.analytics.scope import Scope

TopArg = Annotated[int | None, strawberry.argument(description="How many to list, highest first.")]
LimitArg = Annotated[
    int | None, strawberry.argument(description="Most entries per list, largest first.")
]
DEFAULT_TOP = 20
DEFAULT_LIMIT = 100
VULNERABILITY_TOP = 10


async def _graph(info: Info, scope: Scope) -> AnalysisGraph:
    return await load_graph(info.context.db, scope, info.context.settings)


def _scores(
    graph: AnalysisGraph,
    entries: list[centrality_service.Ranked],
    found: dict[str, Component] | None,
) -> list[ComponentScore]:
    out = []
    for entry in entries:
        component_id = graph.ids[entry.node]
        if found is not None and component_id not in found:
            continue  # deleted since the graph was read
        loaded = found.get(component_id) if found is not None else None
        out.append(ComponentScore(score=entry.score, rank=entry.rank, loaded=loaded))
    return out


def _groups_ids(info: Info, graph: AnalysisGraph, groups: list[Group]) -> list[str]:
    most = info.context.settings.analysis_max_members
    return [graph.ids[n] for g in groups for n in g.members[:most]]


def _members(
    info: Info, graph: AnalysisGraph, group: Group, found: dict[str, Component] | None
) -> tuple[list[Component], bool]:
    most = info.context.settings.analysis_max_members
    if found is None:
        return [], group.size > most
    listed = [found[graph.ids[n]] for n in group.members[:most] if graph.ids[n] in found]
    return listed, group.size > most


async def centrality(
    info: Info,
    measure: centrality_service.CentralityMeasure,
    top: TopArg = DEFAULT_TOP,
    weighted: Annotated[
        bool | None,
        strawberry.argument(
            description="Weights as strengths (PAGERANK, EIGENVECTOR, degrees) or distances "
            "(BETWEENNESS, CLOSENESS)."
        ),
    ] = False,
    scenario: ScenarioArg = None,
    kinds: KindsArg = None,
    time_slice: TimeSliceArg = None,
    types: TypesArg = None,
) -> list[ComponentScore]:
    top = bounded(info, top, "top", DEFAULT_TOP)
    scope = scope_of(scenario, kinds, time_slice, types)

    async def compute() -> list[tuple[str, float, int]]:
        graph = await _graph(info, scope)
        values = await off_loop(
            info.context.settings,
            centrality_service.scores,
            graph,
            measure,
            weighted=bool(weighted),
            sampling=sampling(info),
        )
        return [
            (graph.ids[e.node], e.score, e.rank) for e in centrality_service.ranked(values, top)
        ]

    cache = info.context.analysis_cache
    arguments = {
        "scope": scope.key(),
        "measure": measure.value,
        "weighted": bool(weighted),
        "top": top,
        "sampling": repr(sampling(info)),
    }
    ranked = (
        await cache.cached("centrality", arguments, compute, encode=list, decode=_decode_ranked)
        if cache is not None
        else await compute()
    )
    found = await components_at_paths(info, (c for c, _, _ in ranked), [("component",)])
    return [
        ComponentScore(score=score, rank=rank, loaded=found.get(c) if found is not None else None)
        for c, score, rank in ranked
        if found is None or c in found  # deleted since the graph was read
    ]


def _decode_ranked(raw: list[list[Any]]) -> list[tuple[str, float, int]]:
    return [(str(c), float(score), int(rank)) for c, score, rank in raw]


async def communities(
    info: Info,
    algorithm: community_service.CommunityAlgorithm,
    limit: LimitArg = DEFAULT_LIMIT,
    scenario: ScenarioArg = None,
    kinds: KindsArg = None,
    time_slice: TimeSliceArg = None,
    types: TypesArg = None,
) -> Communities:
    limit = bounded(info, limit, "limit", DEFAULT_LIMIT)
    graph = await _graph(info, scope_of(scenario, kinds, time_slice, types))
    partition = await off_loop(
        info.context.settings, community_service.communities, graph, algorithm
    )
    listed = partition.communities[:limit]
    found = await components_at_paths(
        info, _groups_ids(info, graph, listed), [("communities", "members")]
    )
    out = []
    for number, group in enumerate(listed):
        members, cut = _members(info, graph, group, found)
        out.append(Community(id=number, size=group.size, members=members, members_truncated=cut))
    return Communities(
        modularity=partition.modularity,
        count=len(partition.communities),
        communities=out,
        truncated=len(partition.communities) > limit,
    )


async def connected_components(
    info: Info,
    strong: Annotated[
        bool | None, strawberry.argument(description="Strongly (not weakly) connected components.")
    ] = False,
    limit: LimitArg = DEFAULT_LIMIT,
    scenario: ScenarioArg = None,
    kinds: KindsArg = None,
    time_slice: TimeSliceArg = None,
    types: TypesArg = None,
) -> list[ComponentGroup]:
    limit = bounded(info, limit, "limit", DEFAULT_LIMIT)
    graph = await _graph(info, scope_of(scenario, kinds, time_slice, types))
    groups = await off_loop(
        info.context.settings, structure.connected_components, graph, strong=bool(strong)
    )
    listed = groups[:limit]
    found = await components_at_paths(info, _groups_ids(info, graph, listed), [("members",)])
    return [_group(info, graph, g, found) for g in listed]


def _group(
    info: Info, graph: AnalysisGraph, group: Group, found: dict[str, Component] | None
) -> ComponentGroup:
    members, cut = _members(info, graph, group, found)
    return ComponentGroup(size=group.size, members=members, members_truncated=cut)


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
    info: Info,
    limit: LimitArg = DEFAULT_LIMIT,
    top: Annotated[
        int | None, strawberry.argument(description="How many topBetweenness components to list.")
    ] = VULNERABILITY_TOP,
    scenario: ScenarioArg = None,
    kinds: KindsArg = None,
    time_slice: TimeSliceArg = None,
    types: TypesArg = None,
) -> Vulnerability:
    limit = bounded(info, limit, "limit", DEFAULT_LIMIT)
    top = bounded(info, top, "top", VULNERABILITY_TOP)
    graph = await _graph(info, scope_of(scenario, kinds, time_slice, types))
    cuts, groups, ranked = await off_loop(
        info.context.settings, _vulnerability_parts, graph, sampling(info), top
    )
    points, bridges, listed = cuts.articulation_points[:limit], cuts.bridges[:limit], groups[:limit]
    ids = [graph.ids[n] for n in points]
    ids += [graph.ids[n] for pair in bridges for n in pair]
    ids += _groups_ids(info, graph, listed) + [graph.ids[e.node] for e in ranked]
    found = await components_at_paths(
        info,
        ids,
        [
            ("articulationPoints",),
            ("bridges", "source"),
            ("bridges", "target"),
            ("weakComponents", "members"),
            ("topBetweenness", "component"),
        ],
    )
    known = found or {}
    pairs = [
        ComponentPair(loaded_source=known.get(graph.ids[s]), loaded_target=known.get(graph.ids[t]))
        for s, t in bridges
        if found is None or (graph.ids[s] in found and graph.ids[t] in found)
    ]
    return Vulnerability(
        articulation_points=[known[graph.ids[n]] for n in points if graph.ids[n] in known],
        articulation_point_count=len(cuts.articulation_points),
        bridges=pairs,
        bridge_count=len(cuts.bridges),
        weak_components=[_group(info, graph, g, found) for g in listed],
        weak_component_count=len(groups),
        top_betweenness=_scores(graph, ranked, found),
        truncated=max(len(cuts.articulation_points), len(cuts.bridges), len(groups)) > limit,
    )
