"""Shared steps of the traversal resolvers: the ids they take, and the objects their results name
(components, and the deliveries of each hop), loaded for the caller with its selection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import strawberry

from sfm_graphql.errors import BadUserInput
from sfm_graphql.graphql.analytics.components import components_at, deliveries_at
from sfm_graphql.graphql.analytics.traversal_types import Path, ReachedComponent
from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.ids import from_global_id
from sfm_graphql.graphql.selection import Planner
from sfm_graphql.graphql.types.graph import COMPONENT_TYPE_NAMES, Component, Delivery
from sfm_graphql.services.analytics.results import ReachedResult, Walk
from sfm_graphql.services.analytics.scope import Scope


def component_id(global_id: strawberry.ID, field: str) -> str:
    """The local id of a component's global id; BAD_USER_INPUT for any other id."""
    type_name, local_id = from_global_id(global_id, field=field)
    if type_name not in COMPONENT_TYPE_NAMES:
        raise BadUserInput(f"{field} must be the id of a component", field=field)
    return local_id


def bounded(value: int | None, field: str, *, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise BadUserInput(f"{field} must be between {low} and {high}", field=field)


def selects(info: Info, *path: str) -> bool:
    planner = Planner(info)
    return bool(planner.descend(planner.root_nodes, *path))


async def hop_objects(
    info: Info, scope: Scope, walks: Sequence[Walk], prefix: tuple[str, ...]
) -> tuple[dict[str, Component], list[list[Delivery]]]:
    """The components of `walks` and, per walk, the deliveries of its hops in order, loaded
    with the selection at `prefix` (e.g. `("paths",)`)."""
    nodes = [c for walk in walks for c in walk.components]
    components = await components_at(info, nodes, *prefix, "components")
    if not walks or not selects(info, *prefix, "deliveries"):
        return components, [[] for _ in walks]
    pairs = {pair: None for walk in walks for hop in walk.hops for pair in hop}
    if not pairs:
        return components, [[] for _ in walks]
    rows = await info.context.db.read(
        "analytics/hop_deliveries",
        pairs=[list(p) for p in pairs],
        scenario=scope.scenario,
        kinds=[k.value for k in scope.kinds],
        timeSlice=scope.time_slice,
    )
    by_pair = {(r["source"], r["target"]): r["ids"] for r in rows}
    wanted = [d for found in by_pair.values() for d in found]
    deliveries = await deliveries_at(info, wanted, *prefix, "deliveries")
    per_walk = [
        [
            deliveries[d]
            for hop in walk.hops
            for pair in hop
            for d in by_pair.get(pair, [])
            if d in deliveries
        ]
        for walk in walks
    ]
    return components, per_walk


async def paths_of(
    info: Info, scope: Scope, walks: Sequence[Walk], prefix: tuple[str, ...]
) -> list[Path]:
    """Walks as `Path`s, their components and deliveries loaded."""
    components, deliveries = await hop_objects(info, scope, walks, prefix)
    return [
        Path(
            components=[components[c] for c in walk.components if c in components],
            deliveries=hop_deliveries,
            length=len(walk.components) - 1,
            total_weight=walk.weight,
        )
        for walk, hop_deliveries in zip(walks, deliveries, strict=True)
    ]


async def reached_components(
    info: Info, reached: list[ReachedResult], prefix: tuple[str, ...]
) -> list[ReachedComponent]:
    found = await components_at(info, (r.component_id for r in reached), *prefix, "component")
    # Ids deleted meanwhile are left out; unselected components are never read.
    selected = selects(info, *prefix, "component")
    return [
        ReachedComponent(
            component=cast(Component, found.get(r.component_id)),
            distance=r.distance,
            strongest_path_weight=r.strongest,
        )
        for r in reached
        if not selected or r.component_id in found
    ]
