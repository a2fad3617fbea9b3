"""Resolvers of the global analyses: the plain result through the analysis cache
(services/analytics/global_answers.py), then the components it names, loaded for the caller
(docs/analytics.md)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from sfm_graphql.graphql.analytics.arguments import (
    KindsArg,
    ScenarioArg,
    TimeSliceArg,
    TypesArg,
    bounded,
    scope_of,
)
from sfm_graphql.graphql.analytics.cached import cached_analysis
from sfm_graphql.graphql.analytics.global_types import (
    Communities,
    Community,
    ComponentGroup,
    ComponentPair,
    ComponentScore,
    Vulnerability,
)
from sfm_graphql.graphql.analytics.hydration import components_at_paths
from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.types.graph import Component
from sfm_graphql.services.analytics import centrality as centrality_service
from sfm_graphql.services.analytics import communities as community_service
from sfm_graphql.services.analytics import global_answers as answers
from sfm_graphql.services.analytics.results import (
    CommunitiesResult,
    Members,
    Scored,
    VulnerabilityResult,
)

TopArg = Annotated[int | None, strawberry.argument(description="How many to list, highest first.")]
LimitArg = Annotated[
    int | None, strawberry.argument(description="Most entries per list, largest first.")
]
DEFAULT_TOP = 20
DEFAULT_LIMIT = 100
VULNERABILITY_TOP = 10
Found = dict[str, Component] | None


def _scores(entries: list[Scored], found: Found) -> list[ComponentScore]:
    return [
        ComponentScore(
            score=e.score,
            rank=e.rank,
            loaded=found.get(e.component_id) if found is not None else None,
        )
        for e in entries
        if found is None or e.component_id in found  # deleted since the graph was read
    ]


def _member_ids(groups: list[Members]) -> list[str]:
    return [c for g in groups for c in g.members]


def _members(group: Members, found: Found) -> list[Component]:
    return [found[c] for c in group.members if c in found] if found is not None else []


def _group(group: Members, found: Found) -> ComponentGroup:
    return ComponentGroup(
        size=group.size, members=_members(group, found), members_truncated=group.cut
    )


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
    db, settings = info.context.db, info.context.settings
    top = bounded(info, top, "top", DEFAULT_TOP)
    scope = scope_of(scenario, kinds, time_slice, types)
    ranked = await cached_analysis(
        info,
        "centrality",
        list[Scored],
        answers.centrality,
        db=db,
        settings=settings,
        scope=scope,
        measure=measure,
        top=top,
        weighted=bool(weighted),
    )
    found = await components_at_paths(info, (e.component_id for e in ranked), [("component",)])
    return _scores(ranked, found)


async def communities(
    info: Info,
    algorithm: community_service.CommunityAlgorithm,
    limit: LimitArg = DEFAULT_LIMIT,
    scenario: ScenarioArg = None,
    kinds: KindsArg = None,
    time_slice: TimeSliceArg = None,
    types: TypesArg = None,
) -> Communities:
    db, settings = info.context.db, info.context.settings
    limit = bounded(info, limit, "limit", DEFAULT_LIMIT)
    scope = scope_of(scenario, kinds, time_slice, types)
    partition = await cached_analysis(
        info,
        "communities",
        CommunitiesResult,
        answers.communities,
        db=db,
        settings=settings,
        scope=scope,
        algorithm=algorithm,
        limit=limit,
    )
    found = await components_at_paths(
        info, _member_ids(partition.communities), [("communities", "members")]
    )
    return Communities(
        modularity=partition.modularity,
        count=partition.count,
        communities=[
            Community(
                id=number,
                size=group.size,
                members=_members(group, found),
                members_truncated=group.cut,
            )
            for number, group in enumerate(partition.communities)
        ],
        truncated=partition.truncated,
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
    db, settings = info.context.db, info.context.settings
    limit = bounded(info, limit, "limit", DEFAULT_LIMIT)
    scope = scope_of(scenario, kinds, time_slice, types)
    groups = await cached_analysis(
        info,
        "connectedComponents",
        list[Members],
        answers.connected_components,
        db=db,
        settings=settings,
        scope=scope,
        strong=bool(strong),
        limit=limit,
    )
    found = await components_at_paths(info, _member_ids(groups), [("members",)])
    return [_group(g, found) for g in groups]


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
    db, settings = info.context.db, info.context.settings
    limit = bounded(info, limit, "limit", DEFAULT_LIMIT)
    top = bounded(info, top, "top", VULNERABILITY_TOP)
    scope = scope_of(scenario, kinds, time_slice, types)
    result = await cached_analysis(
        info,
        "vulnerability",
        VulnerabilityResult,
        answers.vulnerability,
        db=db,
        settings=settings,
        scope=scope,
        limit=limit,
        top=top,
    )
    ids = list(result.articulation_points)
    ids += [c for pair in result.bridges for c in pair]
    ids += _member_ids(result.weak_components) + [e.component_id for e in result.top_betweenness]
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
        ComponentPair(loaded_source=known.get(s), loaded_target=known.get(t))
        for s, t in result.bridges
        if found is None or (s in found and t in found)
    ]
    return Vulnerability(
        articulation_points=[known[c] for c in result.articulation_points if c in known],
        articulation_point_count=result.articulation_point_count,
        bridges=pairs,
        bridge_count=result.bridge_count,
        weak_components=[_group(g, found) for g in result.weak_components],
        weak_component_count=result.weak_component_count,
        top_betweenness=_scores(result.top_betweenness, found),
        truncated=result.truncated,
    )
