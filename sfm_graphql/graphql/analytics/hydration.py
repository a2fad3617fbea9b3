"""The components a global analysis names, loaded in one statement for every place they appear.

A result may show components at several paths (a vulnerability's articulation points, its bridges'
ends, its groups' members); one plan covers every selection, so one statement loads them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.graph.fetch import components_by_ids
from sfm_graphql.graphql.graph.types import Component
from sfm_graphql.graphql.planner.selection import Planner

Path = tuple[str, ...]


async def components_at_paths(
    info: Info, ids: Iterable[str], paths: Sequence[Path]
) -> dict[str, Component] | None:
    """The components with these (local) ids, planned from the selections at `paths`; None when
    the client selected none of the paths (nothing to load). Ids that no longer exist are left
    out."""
    planner = Planner(info)
    nodes = [n for path in paths for n in planner.descend(planner.root_nodes, *path)]
    if not nodes:
        return None
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    return await components_by_ids(info.context.db, wanted, planner.component_plan(nodes))
