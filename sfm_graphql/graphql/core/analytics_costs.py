"""What the analytics fields cost in the static cost model (graphql/core/analysis.py).

An analysis reads much more than it returns, so each root field has a weight of its own; its
lists are as long as their `top`/`limit` argument, or the maximum the service returns. A list
nested in an analytics result reads the `top`/`limit` of its root field (the walker passes the
root's arguments when the list has none of its own).
"""

from __future__ import annotations

from typing import Any

from sfm_graphql.settings import Settings

# Root fields whose work is not captured by the size of what they return, by `Type.field`.
# The global analyses read the whole analysis graph of their scope.
ANALYTICS_FIELD_WEIGHTS: dict[str, int] = {
    "Query.centrality": 200,
    "Query.communities": 300,
    "Query.connectedComponents": 100,
    "Query.vulnerability": 300,
    "Query.graphStatistics": 100,
    "Query.ceremonialInstrumental": 100,
    "ScenarioComparison.centralityShifts": 400,  # two analysis graphs, two PageRanks
}

_FIELD = Settings.model_fields
# The cost model cannot read the running settings here; it assumes their defaults.
MAX_TOP: int = _FIELD["analysis_max_top"].default
MEMBERS: int = _FIELD["analysis_max_members"].default
# Lists by the argument that bounds them and its default (the resolvers' defaults).
_RANKED: dict[str, tuple[str, int]] = {
    "Query.centrality": ("top", 20),
    "Query.connectedComponents": ("limit", 100),
    "Communities.communities": ("limit", 100),
    "Vulnerability.articulationPoints": ("limit", 100),
    "Vulnerability.bridges": ("limit", 100),
    "Vulnerability.weakComponents": ("limit", 100),
    "Vulnerability.topBetweenness": ("top", 10),
    "CeremonialInstrumental.mostCeremonial": ("top", 10),
    "ScenarioComparison.centralityShifts": ("top", 10),
}
_MEMBER_LISTS = frozenset({"Community.members", "ComponentGroup.members"})


def analytics_list_size(key: str, args: dict[str, Any] | None) -> int | None:
    """The assumed length of an analytics list `Type.field`, or None when it is not one."""
    if key in _MEMBER_LISTS:
        return MEMBERS
    if key == "CeremonialInstrumental.components":
        ids = (args or {}).get("ids")
        return max(len(ids), 1) if isinstance(ids, list) else 1
    bound = _RANKED.get(key)
    if bound is None:
        return None
    name, default = bound
    value = (args or {}).get(name)
    if not isinstance(value, int):
        return default
    # A larger value is refused when it runs (BAD_USER_INPUT), so it costs no more.
    return max(min(value, MAX_TOP), 1)
